/* `run` in the foreground: create, start, then stay as the container's
 * parent: forward signals, proxy the terminal, return its exit status, and
 * delete it afterwards (runc's behaviour). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "runtime/lifecycle.h"
#include "oci/spec.h"
#include "runtime/supervise.h"
#include "runtime/notify.h"

struct tty_proxy {
	int master;
	bool raw;
	struct termios saved;
};

static void tty_raw(struct tty_proxy *t)
{
	struct termios raw;

	if (!isatty(0) || tcgetattr(0, &t->saved) < 0)
		return;
	raw = t->saved;
	cfmakeraw(&raw);
	if (tcsetattr(0, TCSANOW, &raw) == 0)
		t->raw = true;
}

static void tty_restore(struct tty_proxy *t)
{
	if (t->raw)
		tcsetattr(0, TCSANOW, &t->saved);
}

static void tty_resize(struct tty_proxy *t)
{
	struct winsize ws;

	if (t->master >= 0 && ioctl(0, TIOCGWINSZ, &ws) == 0)
		ioctl(t->master, TIOCSWINSZ, &ws);
}

/* Copies what is readable from one fd to another; false at EOF/error. */
static bool pump(int from, int to)
{
	char buf[8192];
	ssize_t n = read(from, buf, sizeof(buf));

	if (n <= 0)
		return n < 0 && (errno == EINTR || errno == EAGAIN);
	for (ssize_t off = 0; off < n; ) {
		ssize_t w = write(to, buf + off, (size_t)(n - off));

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return false;
		off += w;
	}
	return true;
}

static int exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 255;
}

/* The event loop: signals in through a signalfd (forwarded as they come,
 * except SIGCHLD and SIGWINCH which are ours), the pty both ways. */
static int supervise(pid_t pid, int pidfd, struct tty_proxy *t, int sfd, int relay_fd)
{
	struct notify_relay relay = { .fd = relay_fd };
	bool stdin_open = t->master >= 0;
	bool master_open = t->master >= 0;
	int status = 0;

	for (;;) {
		struct pollfd p[5] = {
			{ .fd = sfd, .events = POLLIN },
			{ .fd = pidfd, .events = POLLIN },
			{ .fd = stdin_open ? 0 : -1, .events = POLLIN },
			{ .fd = master_open ? t->master : -1, .events = POLLIN },
			{ .fd = relay.fd, .events = POLLIN },
		};

		if (poll(p, 5, pidfd >= 0 ? -1 : 100) < 0 && errno != EINTR)
			break;
		/* NOTIFY_SOCKET after READY=1: STATUS=, WATCHDOG=1 ... */
		if (p[4].revents & POLLIN) {
			struct hull_error ignored = { 0 };

			notify_relay_pump(&relay, &ignored);
		}
		if (p[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGWINCH)
					tty_resize(t);
				else if (si.ssi_signo != SIGCHLD)
					kill(pid, (int)si.ssi_signo);
			}
		}
		if (p[2].revents & (POLLIN | POLLHUP))
			stdin_open = pump(0, t->master);
		if (p[3].revents & (POLLIN | POLLHUP))
			master_open = pump(t->master, 1);
		if ((pidfd >= 0 && (p[1].revents & POLLIN)) || pidfd < 0) {
			pid_t r = waitpid(pid, &status, pidfd >= 0 ? 0 : WNOHANG);

			if (r == pid) {
				/* Drain what the process wrote before it exited. */
				while (master_open && pump(t->master, 1)) {
					struct pollfd q = { .fd = t->master, .events = POLLIN };

					if (poll(&q, 1, 50) <= 0)
						break;
				}
				/* ...and what it sent to NOTIFY_SOCKET: its last
				 * datagrams may still be queued behind its exit. */
				for (;;) {
					struct pollfd q = { .fd = relay.fd, .events = POLLIN };
					struct hull_error ignored = { 0 };

					if (relay.fd < 0 || poll(&q, 1, 0) <= 0 || !(q.revents & POLLIN) ||
					    notify_relay_pump(&relay, &ignored) < 0)
						break;
				}
				return exit_code(status);
			}
		}
	}
	return 255;
}

int supervise_process(pid_t pid, int pidfd, int pty_master, const sigset_t *old)
{
	return supervise_process_relay(pid, pidfd, pty_master, -1, old);
}

int supervise_process_relay(pid_t pid, int pidfd, int pty_master, int relay_fd,
			    const sigset_t *old)
{
	struct tty_proxy t = { .master = pty_master };
	sigset_t all;
	int sfd, code;

	sigfillset(&all);
	sfd = signalfd(-1, &all, SFD_CLOEXEC);
	if (t.master >= 0) {
		tty_raw(&t);
		tty_resize(&t);
	}
	code = supervise(pid, pidfd, &t, sfd, relay_fd);
	tty_restore(&t);
	if (sfd >= 0)
		close(sfd);
	sigprocmask(SIG_SETMASK, old, NULL);
	return code;
}

int hull_run(const struct create_opts *o, bool detach, int *status,
	     struct hull_error *err)
{
	struct create_opts co = *o;
	struct created cr = { .pid = -1, .pidfd = -1, .pty_master = -1 };
	struct hull_error derr = { 0 }, note = { 0 };
	sigset_t all, old;
	int relay_fd = -1;

	/* In the foreground without a console socket, the terminal is ours to
	 * proxy; spec_load in create decides whether one is asked for. */
	co.tty_to_parent = !detach && o->console_socket == NULL;
	/* Block signals before the container exists, so none meant for it is
	 * lost between its start and our signalfd. */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	if (hull_create(&co, &cr, err) < 0)
		goto fail;
	if (hull_start_notify(o->root, o->id, detach ? NULL : &relay_fd, err) < 0) {
		hull_delete(o->root, o->id, true, &derr);
		goto fail;
	}
	if (detach) {
		if (cr.pidfd >= 0)
			close(cr.pidfd);
		sigprocmask(SIG_SETMASK, &old, NULL);
		*status = 0;
		return 0;
	}
	*status = supervise_process_relay(cr.pid, cr.pidfd, cr.pty_master, relay_fd, &old);
	if (relay_fd >= 0)
		close(relay_fd);
	/* The guest's own processes cannot die of SIGSYS on the host: only
	 * the monitor's seccomp filter kills it that way.  Said here, as an
	 * error the caller prints, while the status stays 128+SIGSYS. */
	if (cr.vm && *status == 128 + SIGSYS)
		hull_error_set(&note, EPERM, "vm: the monitor was killed by SIGSYS: it made a system "
			       "call outside its seccomp allow-list (a bug in Hull, or a guest "
			       "that took the monitor over)");
	if (cr.pidfd >= 0)
		close(cr.pidfd);
	if (cr.pty_master >= 0)
		close(cr.pty_master);
	/* --keep (runc's): the stopped container stays for state/delete. */
	if (!o->keep && hull_delete(o->root, o->id, true, err) < 0)
		return -1;
	if (note.set)
		*err = note;
	return 0;
fail:
	if (cr.pidfd >= 0)
		close(cr.pidfd);
	if (cr.pty_master >= 0)
		close(cr.pty_master);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return -1;
}
