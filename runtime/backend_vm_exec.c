/* `hull exec` on a "vm" container.  The same front door as the Linux
 * backend (runtime/exec.c builds the process from config.json and the
 * flags); here it travels over virtio-vsock to the guest agent's exec
 * service instead of through setns.  Protocol: vmm/guest/exec_proto.h.
 *
 * The host side speaks Firecracker's hybrid vsock: connect to
 * <state>/vsock.sock, "CONNECT <port>\n", "OK <hostport>\n".  One control
 * stream (request, pid, signals, resize, exit status) and one stream per
 * stdio fd, or one pty stream with --tty; nothing multiplexed, no idle
 * timeout anywhere (kata#5249, kata#8026 are that class of bug).
 *
 * Who stands for the guest process on the host: `hull exec` itself in the
 * foreground; with --detach, or with --console-socket (whose pty must be
 * our controlling terminal to hear about resizes), a forked "keeper" that
 * holds the control stream.  Signals sent to that process are forwarded
 * into the guest, and it exits with the guest process's status; its pid
 * is what --pid-file gets. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fsutil.h"
#include "base/json.h"
#include "runtime/backend_vm_exec.h"
#include "runtime/launch.h"
#include "vmm/guest/exec_proto.h"

/* How long the guest may take to start answering on EXEC_PORT (boot under
 * nested emulation takes seconds).  Only connection set-up is bounded;
 * an established exec never times out. */
#define DIAL_DEADLINE_MS 120000

struct vmx {
	char sock[108];         /* how we reach <state>/vsock.sock (sun_path) */
	int dir_fd;             /* O_PATH on the state dir (for long paths) */
	struct container *c;
};

int vm_exec_check(const struct exec_opts *o, struct container *c, struct hull_error *err)
{
	const char *flag = o->caps && o->caps[0] ? "--cap" :
			   o->preserve_fds ? "--preserve-fds" :
			   o->apparmor ? "--apparmor" :
			   o->process_label ? "--process-label" : NULL;

	if (flag)
		return hull_error_set(err, ENOTSUP,
				      "exec %s: not supported for a microVM container \"%s\"", flag, c->id);
	if (container_status(c) != STATUS_RUNNING)
		return hull_error_set(err, EINVAL,
				      "cannot exec in container \"%s\": it is %s (a microVM container's "
				      "guest runs only once it is started, and not while paused)",
				      c->id, container_status_name(container_status(c)));
	return 0;
}

/* --- framing: u32 LE length + JSON --- */

static int write_all(int fd, const void *p, size_t n)
{
	const char *b = p;

	while (n > 0) {
		ssize_t w = send(fd, b, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

static int read_all(int fd, void *p, size_t n)
{
	char *b = p;

	while (n > 0) {
		ssize_t r = read(fd, b, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

static int msg_send(int fd, const char *json, struct hull_error *err)
{
	uint32_t n = (uint32_t)strlen(json);
	uint8_t len[4] = { (uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16), (uint8_t)(n >> 24) };

	if (write_all(fd, len, 4) < 0 || write_all(fd, json, n) < 0)
		return hull_error_errno(err, "exec: sending to the guest");
	return 0;
}

/* The next message as a parsed object; -1 at end of stream (err set). */
static int msg_recv(int fd, json_node **out, struct hull_error *err)
{
	uint8_t len[4];
	uint32_t n;
	autofree char *buf = NULL;

	if (read_all(fd, len, 4) < 0)
		return hull_error_set(err, ECONNRESET,
				      "exec: the connection to the guest ended (did the VM stop?)");
	n = (uint32_t)len[0] | (uint32_t)len[1] << 8 | (uint32_t)len[2] << 16 | (uint32_t)len[3] << 24;
	if (n > EXEC_MSG_MAX || (buf = malloc(n + 1)) == NULL)
		return hull_error_set(err, EPROTO, "exec: message of %u bytes from the guest", n);
	if (read_all(fd, buf, n) < 0)
		return hull_error_set(err, ECONNRESET, "exec: the connection to the guest ended");
	buf[n] = '\0';
	if (json_parse(buf, out, err) < 0)
		return hull_error_prefix(err, "exec: message from the guest");
	if (json_type_of(*out) != JSON_OBJECT) {
		json_free(*out);
		return hull_error_set(err, EPROTO, "exec: message from the guest is not an object");
	}
	return 0;
}

/* An {"error": "..."} from the guest becomes our error, verbatim. */
static int guest_error(const json_node *m, struct hull_error *err)
{
	const json_node *e = json_object_get(m, "error");

	if (e == NULL)
		return 0;
	return hull_error_set(err, EIO, "exec in the guest: %s",
			      json_type_of(e) == JSON_STRING ? json_string(e) : "failed");
}

/* --- Firecracker's handshake --- */

/* Connect to guest port `port`.  -1 with *refused when the monitor closed
 * the connection without "OK" (no such port, or the guest not up yet). */
static int dial(const struct vmx *x, unsigned int port, bool *refused, struct hull_error *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	autoclose int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	char line[64];
	size_t n = 0;
	int r;

	*refused = false;
	if (fd < 0)
		return hull_error_errno(err, "exec: socket");
	memcpy(sa.sun_path, x->sock, sizeof(x->sock));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return hull_error_errno(err, "exec: connect to the VM's vsock socket");
	snprintf(line, sizeof(line), "CONNECT %u\n", port);
	if (write_all(fd, line, strlen(line)) < 0)
		return hull_error_errno(err, "exec: vsock CONNECT");
	/* Byte by byte: what follows the line is the guest's stream. */
	while (n < sizeof(line) - 1) {
		if (read_all(fd, line + n, 1) < 0) {
			*refused = true;
			return hull_error_set(err, ECONNREFUSED, "exec: guest port %u refused", port);
		}
		if (line[n++] == '\n')
			break;
	}
	line[n] = '\0';
	if (strncmp(line, "OK ", 3) != 0)
		return hull_error_set(err, EPROTO, "exec: vsock handshake answered \"%.20s\"", line);
	r = fd;
	fd = -1;
	return r;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* The control stream: the agent's exec service starts with the guest, so
 * right after `start` it may not listen yet; retry while the VM lives. */
static int dial_control(const struct vmx *x, struct hull_error *err)
{
	for (long waited = 0;; waited += 20) {
		bool refused;
		int fd = dial(x, EXEC_PORT, &refused, err);

		if (fd >= 0 || !refused)
			return fd;
		if (!container_pid_alive(x->c))
			return hull_error_set(err, ESRCH, "exec: the VM of container \"%s\" stopped",
					      x->c->id);
		if (waited >= DIAL_DEADLINE_MS)
			return hull_error_prefix(err, "the guest's exec service did not answer in %d s",
						 DIAL_DEADLINE_MS / 1000);
		hull_error_clear(err);
		sleep_ms(20);
	}
}

/* --- the request --- */

/* No "detach": even a detached exec's stdio streams are opened, and its
 * keeper relays them to the stdio it was given (conmon's and containerd's
 * pipes), as runc's detached process keeps its own. */
static char *build_request(const struct spec_process *p, unsigned int rows, unsigned int cols)
{
	json_gen *g = json_gen_new(false);

	json_gen_object_open(g);
	json_gen_key(g, "args");
	json_gen_array_open(g);
	for (size_t i = 0; i < p->n_args; i++)
		json_gen_string(g, p->args[i]);
	json_gen_array_close(g);
	json_gen_key(g, "env");
	json_gen_array_open(g);
	for (size_t i = 0; i < p->n_env; i++)
		json_gen_string(g, p->env[i]);
	json_gen_array_close(g);
	json_gen_kv_string(g, "cwd", p->cwd ? p->cwd : "/");
	json_gen_key(g, "user");
	json_gen_object_open(g);
	json_gen_kv_int(g, "uid", p->user.uid);
	json_gen_kv_int(g, "gid", p->user.gid);
	json_gen_key(g, "additionalGids");
	json_gen_array_open(g);
	for (size_t i = 0; i < p->user.n_additional_gids; i++)
		json_gen_uint(g, p->user.additional_gids[i]);
	json_gen_array_close(g);
	json_gen_object_close(g);
	json_gen_kv_bool(g, "terminal", p->terminal);
	json_gen_kv_bool(g, "noNewPrivileges", p->no_new_privileges);
	if (rows && cols) {
		json_gen_key(g, "consoleSize");
		json_gen_object_open(g);
		json_gen_kv_int(g, "height", rows);
		json_gen_kv_int(g, "width", cols);
		json_gen_object_close(g);
	}
	json_gen_object_close(g);
	return json_gen_finish(g, NULL);
}

/* --- the session: relay stdio, forward signals, wait for the status --- */

struct session {
	int ctl;
	int s[3];               /* stdin, stdout, stderr streams; or s[0]: pty */
	bool tty;
	int in, out, errfd;     /* our ends: stdio, or the console socket's slave */
	int winsz_fd;           /* where SIGWINCH's new size is read, or -1 */
	int sigfd;
};

static void send_resize(struct session *ss)
{
	struct winsize ws;
	char m[96];
	struct hull_error e = { 0 };

	if (ss->winsz_fd < 0 || ioctl(ss->winsz_fd, TIOCGWINSZ, &ws) < 0 || !ws.ws_row)
		return;
	snprintf(m, sizeof(m), "{\"resize\":{\"height\":%u,\"width\":%u}}", ws.ws_row, ws.ws_col);
	msg_send(ss->ctl, m, &e);
}

/* Copy what is readable on `from` to `to` (blocking write: our own stdout
 * may apply back-pressure).  False at end of stream. */
static bool pump_out(int from, int to)
{
	char buf[16384];
	ssize_t n = read(from, buf, sizeof(buf));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n <= 0)
		return false;
	for (ssize_t off = 0; off < n;) {
		ssize_t w = write(to, buf + off, (size_t)(n - off));

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;  /* our reader is gone: drop, keep draining */
		off += w;
	}
	return true;
}

static int session_run(struct session *ss, int *status, struct hull_error *err)
{
	/* inbuf: our stdin on its way to s[0], never blocking the loop (the
	 * process may not read its stdin while signals must still pass). */
	char inbuf[16384];
	size_t in_off = 0, in_len = 0;
	bool in_open = ss->in >= 0 && ss->s[0] >= 0, have_exit = false;
	bool out_open[3] = { false, ss->s[1] >= 0, ss->s[2] >= 0 };

	if (ss->tty)
		out_open[1] = ss->s[0] >= 0;
	if (ss->s[0] >= 0)
		fcntl(ss->s[0], F_SETFL, fcntl(ss->s[0], F_GETFL) | O_NONBLOCK);
	while (!have_exit || out_open[1] || out_open[2]) {
		int outfd1 = ss->tty ? ss->s[0] : ss->s[1];
		struct pollfd p[6] = {
			{ .fd = ss->sigfd, .events = POLLIN },
			{ .fd = have_exit ? -1 : ss->ctl, .events = POLLIN },
			{ .fd = in_open && in_len == 0 ? ss->in : -1, .events = POLLIN },
			{ .fd = in_open && in_len > 0 ? ss->s[0] : -1, .events = POLLOUT },
			{ .fd = out_open[1] ? outfd1 : -1, .events = POLLIN },
			{ .fd = out_open[2] ? ss->s[2] : -1, .events = POLLIN },
		};

		if (poll(p, 6, -1) < 0) {
			if (errno == EINTR)
				continue;
			return hull_error_errno(err, "exec: poll");
		}
		if (p[0].revents) {
			struct signalfd_siginfo si;

			while (read(ss->sigfd, &si, sizeof(si)) == sizeof(si)) {
				char m[48];

				if (si.ssi_signo == SIGWINCH)
					send_resize(ss);
				else if (si.ssi_signo != SIGCHLD && si.ssi_signo != SIGPIPE &&
					 si.ssi_signo != SIGURG && !have_exit) {
					snprintf(m, sizeof(m), "{\"signal\":%u}", si.ssi_signo);
					msg_send(ss->ctl, m, err);
					hull_error_clear(err);
				}
			}
		}
		if (p[1].revents) {
			json_node *m = NULL;
			int64_t v;

			if (msg_recv(ss->ctl, &m, err) < 0)
				return -1;
			if (json_object_get(m, "exit") &&
			    json_number_int64(json_object_get(m, "exit"), &v) == 0) {
				*status = v < 0 || v > 255 ? 255 : (int)v;
				have_exit = true;
			}
			json_free(m);
		}
		if (p[2].revents) {
			ssize_t n = read(ss->in, inbuf, sizeof(inbuf));

			if (n > 0) {
				in_off = 0;
				in_len = (size_t)n;
			} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
				/* Our stdin ended: so does the process's. */
				in_open = false;
				shutdown(ss->s[0], SHUT_WR);
			}
		}
		if (p[3].revents) {
			ssize_t n = send(ss->s[0], inbuf + in_off, in_len, MSG_NOSIGNAL);

			if (n > 0) {
				in_off += (size_t)n;
				in_len -= (size_t)n;
			} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
				in_open = false;        /* the process closed its stdin */
				in_len = 0;
			}
		}
		if (p[4].revents && !pump_out(outfd1, ss->out))
			out_open[1] = false;
		if (p[5].revents && !pump_out(ss->s[2], ss->errfd))
			out_open[2] = false;
	}
	return 0;
}

/* --- the front door --- */

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Open the streams the guest asked for ("012", "t" or ""). */
static int open_streams(const struct vmx *x, unsigned int port, const char *want, int s[3],
			struct hull_error *err)
{
	for (size_t i = 0; want[i]; i++) {
		bool refused;
		int fd;

		if (i >= 3 || !strchr("012t", want[i]))
			return hull_error_set(err, EPROTO, "exec: guest asked for streams \"%s\"", want);
		fd = dial(x, port, &refused, err);
		if (fd < 0)
			return -1;
		s[i] = fd;
		if (write_all(fd, &want[i], 1) < 0)
			return hull_error_errno(err, "exec: opening stream %c", want[i]);
	}
	return 0;
}

/* Request, streams, and the guest's word that the process runs. */
static int start_exec(const struct vmx *x, const struct spec_process *p, unsigned int rows,
		      unsigned int cols, struct session *ss, struct hull_error *err)
{
	autofree char *req = build_request(p, rows, cols);
	json_node *m = NULL;
	const char *want;
	int64_t port;
	int r;

	if (req == NULL)
		return hull_error_set(err, ENOMEM, "exec: building the request");
	ss->ctl = dial_control(x, err);
	if (ss->ctl < 0 || msg_send(ss->ctl, req, err) < 0 || msg_recv(ss->ctl, &m, err) < 0)
		return -1;
	if (guest_error(m, err) < 0 || json_object_get(m, "streams") == NULL ||
	    json_type_of(json_object_get(m, "streams")) != JSON_STRING ||
	    json_number_int64(json_object_get(m, "port"), &port) < 0 || port < 0 ||
	    port > 0xffffffffLL) {
		json_free(m);
		return err->set ? -1 : hull_error_set(err, EPROTO, "exec: unexpected reply from the guest");
	}
	want = json_string(json_object_get(m, "streams"));
	r = open_streams(x, (unsigned int)port, want, ss->s, err);
	json_free(m);
	m = NULL;
	if (r < 0)
		return -1;
	/* {"pid": N}, or the guest's reason it could not start (a missing
	 * binary: at once, with the guest's error). */
	if (msg_recv(ss->ctl, &m, err) < 0)
		return -1;
	r = guest_error(m, err);
	json_free(m);
	return r;
}

/* The keeper: stands for the guest process on the host after we return
 * (--detach) or as our child (--console-socket). */
static __attribute__((noreturn)) void keeper_main(struct session *ss, int slave)
{
	struct hull_error e = { 0 };
	int status = 255, null = slave >= 0 ? open("/dev/null", O_RDWR | O_CLOEXEC) : -1;

	setsid();
	/* The console socket's pty as our controlling terminal: its resizes
	 * (TIOCSWINSZ on the master, by whoever received it) reach us as
	 * SIGWINCH. */
	if (slave >= 0) {
		ioctl(slave, TIOCSCTTY, 0);
		/* A size set before we were its session leader sent no
		 * SIGWINCH: pass on the one it has now. */
		send_resize(ss);
	}
	/* With a pty the slave is the process's stdio, and ours must not hold
	 * the caller's terminal or pipes.  Without one (--detach) our stdio is
	 * the process's: runc's detached process keeps the stdio it was given,
	 * and conmon and containerd's shim read its output from those pipes. */
	if (slave >= 0 && null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
	}
	if (session_run(ss, &status, &e) < 0)
		status = 255;
	_exit(status);
}

/* Foreground with a keeper: wait for it, passing signals on. */
static int wait_keeper(pid_t keeper, int sigfd, int *status)
{
	for (;;) {
		struct signalfd_siginfo si;
		struct pollfd p = { .fd = sigfd, .events = POLLIN };
		int st;

		if (waitpid(keeper, &st, WNOHANG) == keeper) {
			*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
			return 0;
		}
		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			return -1;
		while (read(sigfd, &si, sizeof(si)) == sizeof(si))
			if (si.ssi_signo != SIGCHLD && si.ssi_signo != SIGPIPE &&
			    si.ssi_signo != SIGURG && si.ssi_signo != SIGWINCH)
				kill(keeper, (int)si.ssi_signo);
	}
}

static int vmx_init(struct vmx *x, struct container *c, struct hull_error *err)
{
	int n;

	x->c = c;
	x->dir_fd = -1;
	n = snprintf(x->sock, sizeof(x->sock), "%s/" VM_VSOCK_SOCKET, c->dir);
	if (n > 0 && (size_t)n < sizeof(((struct sockaddr_un *)0)->sun_path))
		return 0;
	/* A state directory too deep for sun_path: reach it through an fd. */
	x->dir_fd = open(c->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (x->dir_fd < 0)
		return hull_error_errno(err, "exec: %s", c->dir);
	snprintf(x->sock, sizeof(x->sock), "/proc/self/fd/%d/" VM_VSOCK_SOCKET, x->dir_fd);
	return 0;
}

int vm_exec_run(struct container *c, const struct spec_process *p,
		const struct exec_opts *o, int *status, struct hull_error *err)
{
	struct session ss = { .ctl = -1, .s = { -1, -1, -1 }, .in = STDIN_FILENO,
			      .out = STDOUT_FILENO, .errfd = STDERR_FILENO, .winsz_fd = -1,
			      .sigfd = -1 };
	struct vmx x;
	struct termios saved;
	bool raw = false;
	int master = -1, slave = -1, rc = -1;
	unsigned int rows = p->console_height, cols = p->console_width;
	sigset_t all, old;
	pid_t keeper = 0;

	*status = 255;
	if (vmx_init(&x, c, err) < 0)
		return -1;
	/* Every signal through a signalfd from here: none meant for the
	 * process is lost, whichever process ends up forwarding it. */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	ss.sigfd = signalfd(-1, &all, SFD_CLOEXEC | SFD_NONBLOCK);
	if (ss.sigfd < 0) {
		hull_error_errno(err, "exec: signalfd");
		goto out;
	}
	ss.tty = p->terminal;
	if (p->terminal && o->console_socket) {
		struct winsize ws;

		if (terminal_open_host(p, &master, &slave, err) < 0)
			goto out;
		if (ioctl(slave, TIOCGWINSZ, &ws) == 0 && ws.ws_row) {
			rows = ws.ws_row;
			cols = ws.ws_col;
		}
		ss.in = ss.out = ss.errfd = ss.winsz_fd = slave;
	} else if (p->terminal && isatty(STDIN_FILENO)) {
		struct winsize ws;

		ss.winsz_fd = STDIN_FILENO;
		if (!(rows && cols) && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0) {
			rows = ws.ws_row;
			cols = ws.ws_col;
		}
	}
	if (start_exec(&x, p, rows, cols, &ss, err) < 0)
		goto out;
	/* The process runs: let other commands at the container meanwhile. */
	if (c->dir_fd >= 0) {
		close(c->dir_fd);
		c->dir_fd = -1;
	}
	if (master >= 0) {
		int keep;

		/* The receiver gets the master; our slave end is relayed. */
		if (terminal_hand_over(master, false, o->console_socket, &keep, err) < 0) {
			master = -1;
			goto out;
		}
		master = -1;
	}
	if (o->detach || slave >= 0) {
		keeper = fork();
		if (keeper < 0) {
			hull_error_errno(err, "exec: fork");
			goto out;
		}
		if (keeper == 0)
			keeper_main(&ss, slave);
	}
	if (o->pid_file && fs_write_pid_file(o->pid_file, keeper ? keeper : getpid(), err) < 0)
		goto out;
	if (o->detach) {
		*status = 0;
		rc = 0;
		goto out;
	}
	if (keeper) {
		rc = wait_keeper(keeper, ss.sigfd, status);
		if (rc < 0)
			hull_error_errno(err, "exec: waiting");
		goto out;
	}
	if (p->terminal && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0) {
		struct termios t = saved;

		/* Our terminal passes keys through; the guest's pty cooks. */
		cfmakeraw(&t);
		raw = tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0;
	}
	rc = session_run(&ss, status, err);
	if (raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
out:
	close_fd(&ss.ctl);
	for (int i = 0; i < 3; i++)
		close_fd(&ss.s[i]);
	close_fd(&ss.sigfd);
	close_fd(&master);
	close_fd(&slave);
	close_fd(&x.dir_fd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return rc;
}
