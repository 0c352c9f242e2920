/* process.terminal: the pty is made inside the container (its devpts), the
 * master goes out to the parent over the sync socket, the slave becomes the
 * process's controlling terminal and stdio.  The parent then hands the
 * master to `run`'s proxy or to --console-socket (terminal_hand_over).
 * The vm backend makes its pty on the host (terminal_open_host). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "runtime/launch.h"
#include "runtime/sync.h"

int terminal_hand_over(int master, bool to_parent, const char *console_socket, int *keep,
		       struct hull_error *err)
{
	autoclose int sock = -1;

	*keep = -1;
	if (to_parent) {
		*keep = master;
		return 0;
	}
	if (console_socket == NULL) {
		close(master);
		return hull_error_set(err, EINVAL,
				      "process.terminal is true but no --console-socket was given");
	}
	sock = unix_connect(console_socket, SOCK_STREAM, err);
	/* runc's protocol (recvtty): one message, the master as SCM_RIGHTS. */
	if (sock < 0 || unix_send_fd(sock, master, "/dev/ptmx", 9, err) < 0) {
		close(master);
		return hull_error_prefix(err, "--console-socket");
	}
	close(master);
	return 0;
}

/* process.consoleSize, when given, on either end of the pty. */
static int set_size(int fd, const struct spec_process *p, struct hull_error *err)
{
	struct winsize ws = {
		.ws_row = (unsigned short)p->console_height,
		.ws_col = (unsigned short)p->console_width,
	};

	if (p->console_width && p->console_height && ioctl(fd, TIOCSWINSZ, &ws) < 0)
		return hull_error_errno(err, "process.consoleSize: TIOCSWINSZ");
	return 0;
}

/* A new pty pair from the devpts instance at /dev/ptmx (the container's
 * own once the child has mounted it), both ends CLOEXEC; name gets the
 * slave's path. */
static int open_pty(int *master_out, int *slave_out, char *name, size_t n,
		    struct hull_error *err)
{
	autoclose int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	int slave;

	if (master < 0)
		master = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		return hull_error_errno(err, "process.terminal: open /dev/ptmx");
	if (unlockpt(master) < 0)
		return hull_error_errno(err, "process.terminal: unlockpt");
	if (ptsname_r(master, name, n) != 0)
		return hull_error_errno(err, "process.terminal: ptsname");
	/* The peer of this very master, not whatever the name resolves to
	 * in a /dev/pts the container can reach (Linux >= 4.13). */
	slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0 && (errno == EINVAL || errno == ENOTTY))
		slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		return hull_error_errno(err, "process.terminal: open %s", name);
	*slave_out = slave;
	*master_out = master;
	master = -1;
	return 0;
}

int terminal_open_host(const struct spec_process *p, int *master_out, int *slave_out,
		       struct hull_error *err)
{
	char name[64];
	struct termios t;

	if (open_pty(master_out, slave_out, name, sizeof(name), err) < 0)
		return -1;
	/* Raw on the host: the terminal that cooks input and echoes is the
	 * one the process has on the far side. */
	if (tcgetattr(*slave_out, &t) == 0) {
		cfmakeraw(&t);
		tcsetattr(*slave_out, TCSANOW, &t);
	}
	if (set_size(*master_out, p, err) < 0) {
		close(*master_out);
		close(*slave_out);
		return -1;
	}
	return 0;
}

/* Binding the slave on /dev/console makes programs that open the console
 * talk to the same pty (runc does this).  /dev/console is in the
 * container's /dev, after pivot_root: the name may be a symlink the image
 * (or a racing container) put there, and a bind by name would cover its
 * target (runc's CVE-2025-52565).  So the target is opened without
 * following links, must be a plain file or a character device, and both
 * ends of the mount are fds: the slave we hold, not its name. */
static int bind_dev_console(int slave, struct hull_error *err)
{
	autoclose int cfd = open("/dev/console", O_PATH | O_NOFOLLOW | O_CLOEXEC);
	char src[64], dst[64];
	struct stat st;

	if (cfd < 0 && errno == ENOENT) {
		/* O_EXCL: create the mount point, never open what is there. */
		int c = open("/dev/console", O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC,
			     0600);

		if (c < 0 && errno == ENOENT)
			return 0; /* no /dev to put it in */
		if (c < 0)
			return hull_error_errno(err, "process.terminal: creating /dev/console");
		close(c);
		cfd = open("/dev/console", O_PATH | O_NOFOLLOW | O_CLOEXEC);
	}
	if (cfd < 0)
		return hull_error_errno(err, "process.terminal: open /dev/console");
	if (fstat(cfd, &st) < 0)
		return hull_error_errno(err, "process.terminal: stat /dev/console");
	if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode))
		return hull_error_set(err, EPERM,
				      "process.terminal: /dev/console in the container is not a file or a device (mode %o), refusing to mount on it",
				      (unsigned int)st.st_mode);
	snprintf(src, sizeof(src), "/proc/self/fd/%d", slave);
	snprintf(dst, sizeof(dst), "/proc/self/fd/%d", cfd);
	if (mount(src, dst, NULL, MS_BIND, NULL) < 0)
		return hull_error_errno(err, "bind mounting the pty on /dev/console");
	return 0;
}

int process_setup_tty(int sync_fd, bool bind_console, const struct spec_process *p,
		      struct hull_error *err)
{
	autoclose int master = -1;
	autoclose int slave = -1;
	char name[64];

	if (open_pty(&master, &slave, name, sizeof(name), err) < 0)
		return -1;
	if (set_size(slave, p, err) < 0)
		return -1;
	if (bind_console && bind_dev_console(slave, err) < 0)
		return -1;
	if (sync_send(sync_fd, SYNC_PTY, master, err) < 0)
		return -1;
	if (setsid() < 0 && errno != EPERM)
		return hull_error_errno(err, "setsid");
	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		return hull_error_errno(err, "process.terminal: TIOCSCTTY");
	for (int fd = 0; fd < 3; fd++)
		if (dup2(slave, fd) < 0)
			return hull_error_errno(err, "dup2 terminal");
	return 0;
}
