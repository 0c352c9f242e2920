/* hull-agent's exec service: `hull exec` into the microVM (protocol in
 * exec_proto.h).  agent_exec_start() forks a server that listens on vsock
 * port EXEC_PORT inside the container's root; each control connection gets
 * its own supervisor process, which owns that exec from request to exit
 * status.  The supervisor's children are its own, so PID 1's reaper never
 * sees (and steals) their statuses.
 *
 * Only the host (CID 2) is served: a connection from any other CID is
 * closed.  The request is parsed by the small JSON reader below (the agent
 * is static and links nothing but libc); anything it does not understand
 * is an error reported back, never a crash. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <linux/vm_sockets.h>
#include <termios.h>
#include <unistd.h>

#include "exec_proto.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

void agent_exec_start(void);
/* agent.c: the container's confinement for an exec'd process. */
const char *agent_exec_confine(uid_t uid, gid_t gid, const gid_t *groups, int ngroups,
			       bool no_new_privs);
const char *agent_exec_confine_last(bool no_new_privs);

#define MAX_ARGS 256
#define MAX_ENV 512
#define MAX_GROUPS 64

struct exec_req {
	char *args[MAX_ARGS + 1];
	int nargs;
	char *env[MAX_ENV + 1];
	int nenv;
	char *cwd;
	uid_t uid;
	gid_t gid;
	gid_t groups[MAX_GROUPS];
	int ngroups;
	bool terminal, detach, no_new_privs;
	unsigned short rows, cols;
};

/* --- a minimal JSON reader: objects, arrays, strings, numbers, bools ---
 * It walks the text once; `on_value` sees each scalar with its key path. */
struct jr {
	char *p;
	bool bad;
};

static void jr_ws(struct jr *j)
{
	while (*j->p == ' ' || *j->p == '\n' || *j->p == '\t' || *j->p == '\r')
		j->p++;
}

/* A string in place: decodes escapes into the same buffer (never longer)
 * and returns it NUL-terminated. */
static char *jr_string(struct jr *j)
{
	char *out, *w;

	if (*j->p != '"') {
		j->bad = true;
		return NULL;
	}
	out = w = ++j->p;
	while (*j->p && *j->p != '"') {
		char c = *j->p++;

		if (c == '\\') {
			c = *j->p++;
			switch (c) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'r': c = '\r'; break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'u': {
				unsigned v = 0;

				for (int i = 0; i < 4; i++) {
					char h = *j->p++;

					v <<= 4;
					if (h >= '0' && h <= '9') v |= (unsigned)(h - '0');
					else if (h >= 'a' && h <= 'f') v |= (unsigned)(h - 'a' + 10);
					else if (h >= 'A' && h <= 'F') v |= (unsigned)(h - 'A' + 10);
					else { j->bad = true; return NULL; }
				}
				/* Non-ASCII escapes: UTF-8 for the BMP. */
				if (v < 0x80) {
					c = (char)v;
				} else if (v < 0x800) {
					*w++ = (char)(0xc0 | (v >> 6));
					c = (char)(0x80 | (v & 0x3f));
				} else {
					*w++ = (char)(0xe0 | (v >> 12));
					*w++ = (char)(0x80 | ((v >> 6) & 0x3f));
					c = (char)(0x80 | (v & 0x3f));
				}
				break;
			}
			case '\0': j->bad = true; return NULL;
			default: break;   /* \" \\ \/ */
			}
		}
		*w++ = c;
	}
	if (*j->p != '"') {
		j->bad = true;
		return NULL;
	}
	j->p++;
	*w = '\0';
	return out;
}

typedef void (*jr_fn)(void *ctx, const char *path, char *str, long long num, bool is_num);

static void jr_value(struct jr *j, char *path, size_t plen, jr_fn fn, void *ctx, int depth);

static void jr_value(struct jr *j, char *path, size_t plen, jr_fn fn, void *ctx, int depth)
{
	jr_ws(j);
	if (j->bad || depth > 8) {
		j->bad = true;
		return;
	}
	if (*j->p == '{' || *j->p == '[') {
		bool obj = *j->p == '{';
		char close = obj ? '}' : ']';

		j->p++;
		jr_ws(j);
		if (*j->p == close) {
			j->p++;
			return;
		}
		for (;;) {
			size_t n = plen;

			if (obj) {
				char *k;

				jr_ws(j);
				k = jr_string(j);
				if (k == NULL)
					return;
				n = plen + (size_t)snprintf(path + plen, 256 - plen, ".%s", k);
				if (n >= 256) {
					j->bad = true;
					return;
				}
				jr_ws(j);
				if (*j->p++ != ':') {
					j->bad = true;
					return;
				}
			} else {
				/* Array elements share the array's path + "[]". */
				n = plen + (size_t)snprintf(path + plen, 256 - plen, "[]");
			}
			jr_value(j, path, n, fn, ctx, depth + 1);
			path[plen] = '\0';
			if (j->bad)
				return;
			jr_ws(j);
			if (*j->p == ',') {
				j->p++;
				continue;
			}
			if (*j->p++ != close)
				j->bad = true;
			return;
		}
	}
	if (*j->p == '"') {
		char *s = jr_string(j);

		if (s)
			fn(ctx, path, s, 0, false);
		return;
	}
	if (strncmp(j->p, "true", 4) == 0 || strncmp(j->p, "false", 5) == 0) {
		bool t = *j->p == 't';

		j->p += t ? 4 : 5;
		fn(ctx, path, NULL, t, true);
		return;
	}
	if (strncmp(j->p, "null", 4) == 0) {
		j->p += 4;
		return;
	}
	{
		char *end;
		long long v;

		errno = 0;
		v = strtoll(j->p, &end, 10);
		if (end == j->p || errno) {
			j->bad = true;
			return;
		}
		j->p = end;
		/* Fractions and exponents are not part of this protocol. */
		if (*j->p == '.' || *j->p == 'e' || *j->p == 'E') {
			j->bad = true;
			return;
		}
		fn(ctx, path, NULL, v, true);
	}
}

static void req_field(void *ctx, const char *path, char *s, long long v, bool is_num)
{
	struct exec_req *r = ctx;

	if (strcmp(path, ".args[]") == 0 && s && r->nargs < MAX_ARGS)
		r->args[r->nargs++] = s;
	else if (strcmp(path, ".env[]") == 0 && s && r->nenv < MAX_ENV)
		r->env[r->nenv++] = s;
	else if (strcmp(path, ".cwd") == 0 && s)
		r->cwd = s;
	else if (strcmp(path, ".user.uid") == 0 && is_num && v >= 0 && v < 0xffffffffLL)
		r->uid = (uid_t)v;
	else if (strcmp(path, ".user.gid") == 0 && is_num && v >= 0 && v < 0xffffffffLL)
		r->gid = (gid_t)v;
	else if (strcmp(path, ".user.additionalGids[]") == 0 && is_num && v >= 0 &&
		 v < 0xffffffffLL && r->ngroups < MAX_GROUPS)
		r->groups[r->ngroups++] = (gid_t)v;
	else if (strcmp(path, ".terminal") == 0 && is_num)
		r->terminal = v != 0;
	else if (strcmp(path, ".detach") == 0 && is_num)
		r->detach = v != 0;
	else if (strcmp(path, ".noNewPrivileges") == 0 && is_num)
		r->no_new_privs = v != 0;
	else if (strcmp(path, ".consoleSize.height") == 0 && is_num && v >= 0 && v <= 0xffff)
		r->rows = (unsigned short)v;
	else if (strcmp(path, ".consoleSize.width") == 0 && is_num && v >= 0 && v <= 0xffff)
		r->cols = (unsigned short)v;
}

/* Control messages from the host: signal and resize. */
struct ctl_msg {
	int signal;
	int rows, cols;
};

static void ctl_field(void *ctx, const char *path, char *s, long long v, bool is_num)
{
	struct ctl_msg *m = ctx;

	(void)s;
	if (!is_num)
		return;
	if (strcmp(path, ".signal") == 0 && v > 0 && v < NSIG)
		m->signal = (int)v;
	else if (strcmp(path, ".resize.height") == 0 && v >= 0 && v <= 0xffff)
		m->rows = (int)v;
	else if (strcmp(path, ".resize.width") == 0 && v >= 0 && v <= 0xffff)
		m->cols = (int)v;
}

static bool json_walk(char *text, jr_fn fn, void *ctx)
{
	char path[256] = "";
	struct jr j = { .p = text };

	jr_value(&j, path, 0, fn, ctx, 0);
	jr_ws(&j);
	return !j.bad && *j.p == '\0';
}

/* --- framing --- */

static bool full_write(int fd, const void *p, size_t n)
{
	const char *b = p;

	while (n > 0) {
		ssize_t w = send(fd, b, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		b += w;
		n -= (size_t)w;
	}
	return true;
}

static bool full_read(int fd, void *p, size_t n)
{
	char *b = p;

	while (n > 0) {
		ssize_t r = read(fd, b, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		b += r;
		n -= (size_t)r;
	}
	return true;
}

static bool send_msg(int fd, const char *json)
{
	uint32_t n = (uint32_t)strlen(json);
	uint8_t len[4] = { (uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16), (uint8_t)(n >> 24) };

	return full_write(fd, len, 4) && full_write(fd, json, n);
}

/* One message, NUL-terminated, malloc'ed; NULL at EOF or on a bad length. */
static char *recv_msg(int fd)
{
	uint8_t len[4];
	uint32_t n;
	char *buf;

	if (!full_read(fd, len, 4))
		return NULL;
	n = (uint32_t)len[0] | (uint32_t)len[1] << 8 | (uint32_t)len[2] << 16 | (uint32_t)len[3] << 24;
	if (n > EXEC_MSG_MAX)
		return NULL;
	buf = malloc(n + 1);
	if (buf == NULL || !full_read(fd, buf, n)) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

/* {"error": "<msg>"} with the string escaped. */
static void send_error(int fd, const char *msg)
{
	char out[1200];
	size_t w = 0;

	w += (size_t)snprintf(out, sizeof(out), "{\"error\":\"");
	for (const char *s = msg; *s && w < sizeof(out) - 16; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			w += (size_t)snprintf(out + w, sizeof(out) - w, "\\%c", c);
		else if (c < 0x20)
			w += (size_t)snprintf(out + w, sizeof(out) - w, "\\u%04x", c);
		else
			out[w++] = (char)c;
	}
	snprintf(out + w, sizeof(out) - w, "\"}");
	send_msg(fd, out);
}

/* --- the exec'd process --- */

/* /dev/pts for exec'd terminals: the agent mounts only devtmpfs. */
static int open_pty(int *slave)
{
	int m;

	if (access("/dev/pts/ptmx", F_OK) != 0) {
		mkdir("/dev/pts", 0755);
		if (mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
			  "newinstance,ptmxmode=0666,mode=0620") < 0 && errno != EBUSY)
			return -1;
	}
	m = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (m < 0)
		return -1;
	{
		int unlock = 0;

		if (ioctl(m, TIOCSPTLCK, &unlock) < 0) {
			close(m);
			return -1;
		}
	}
	*slave = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (*slave < 0) {
		close(m);
		return -1;
	}
	return m;
}

/* In the child: stdio, identity, cwd, exec.  Any failure is written to
 * errfd (CLOEXEC: silent on a successful exec) for the host to see. */
static __attribute__((noreturn)) void exec_child(const struct exec_req *r, int fds[3], bool tty,
						 int errfd)
{
	extern char **environ;
	char msg[1024];
	sigset_t none;
	const char *what = "exec";

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	setsid();
	if (tty && ioctl(fds[0], TIOCSCTTY, 0) < 0) {
		what = "TIOCSCTTY";
		goto fail;
	}
	for (int i = 0; i < 3; i++)
		if (dup2(fds[i], i) < 0) {
			what = "stdio";
			goto fail;
		}
	/* The container's capabilities, umask and seccomp filter with this
	 * exec's user (agent.c: the same code as for the process). */
	if ((what = agent_exec_confine(r->uid, r->gid, r->groups, r->ngroups,
				       r->no_new_privs)) != NULL) {
		snprintf(msg, sizeof(msg), "%s (uid %u gid %u): %s", what, r->uid, r->gid,
			 strerror(errno));
		goto report;
	}
	if (chdir(r->cwd ? r->cwd : "/") < 0) {
		snprintf(msg, sizeof(msg), "chdir %s: %s", r->cwd ? r->cwd : "/", strerror(errno));
		goto report;
	}
	if ((what = agent_exec_confine_last(r->no_new_privs)) != NULL)
		goto fail;
	/* execvpe searches the PATH of *our* environment: install theirs. */
	environ = (char **)r->env;
	execvpe(r->args[0], (char **)r->args, (char **)r->env);
	snprintf(msg, sizeof(msg), "exec %s: %s", r->args[0], strerror(errno));
	goto report;
fail:
	snprintf(msg, sizeof(msg), "%s: %s", what, strerror(errno));
report:
	if (write(errfd, msg, strlen(msg)) < 0) {
		/* nobody to tell */
	}
	_exit(127);
}

/* --- one exec, start to end (runs in its own process) --- */

struct relay_buf {
	char b[4096];
	size_t off, len;
};

/* from -> buf -> to, without blocking; false once `from` ended. */
static bool relay_step(int from, int to, struct relay_buf *rb, bool readable, bool writable)
{
	if (readable && rb->len == 0) {
		ssize_t n = read(from, rb->b, sizeof(rb->b));

		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			return false;
		if (n > 0) {
			rb->off = 0;
			rb->len = (size_t)n;
		}
	}
	if (writable && rb->len > 0) {
		/* Both ends are non-blocking; SIGPIPE is ignored here. */
		ssize_t n = write(to, rb->b + rb->off, rb->len);

		if (n < 0 && errno != EAGAIN && errno != EINTR)
			n = (ssize_t)rb->len;   /* reader gone: drop */
		if (n > 0) {
			rb->off += (size_t)n;
			rb->len -= (size_t)n;
		}
	}
	return true;
}

/* Accept the streams the host was told to open on `lfd`. */
static bool accept_streams(int lfd, int ctl, const char *want, int fds[4])
{
	size_t need = strlen(want), got = 0;

	while (got < need) {
		struct pollfd p[2] = { { .fd = lfd, .events = POLLIN }, { .fd = ctl, .events = POLLIN } };
		struct sockaddr_vm sa;
		socklen_t sl = sizeof(sa);
		char which;
		int s;
		const char *slot;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		/* The host went away (or spoke out of turn) before the streams. */
		if (p[1].revents)
			return false;
		s = accept4(lfd, (struct sockaddr *)&sa, &sl, SOCK_CLOEXEC);
		if (s < 0)
			continue;
		/* Only the host, one byte naming a stream it was told to open,
		 * each at most once. */
		slot = NULL;
		if (sa.svm_cid == VMADDR_CID_HOST && full_read(s, &which, 1))
			slot = strchr(want, which);
		if (slot == NULL || which == '\0' || fds[slot - want] >= 0) {
			close(s);
			continue;
		}
		fds[slot - want] = s;
		got++;
	}
	return true;
}

static int wait_status(int st)
{
	return WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 255;
}

static __attribute__((noreturn)) void supervise(int ctl)
{
	static struct exec_req r;
	struct sockaddr_vm sa = { .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY,
				  .svm_port = VMADDR_PORT_ANY };
	socklen_t sl = sizeof(sa);
	char *req = recv_msg(ctl), reply[128], err[1024];
	const char *want;
	int lfd, streams[4] = { -1, -1, -1, -1 }, child_fds[3], master = -1, slave = -1;
	int errp[2], sfd, status = -1;
	struct relay_buf to_host = { .len = 0 }, to_pty = { .len = 0 };
	bool pty_open = true, host_in_open = true, ctl_open = true;
	sigset_t chld;
	pid_t pid;
	ssize_t n;

	signal(SIGCHLD, SIG_DFL);
	if (req == NULL)
		_exit(1);
	if (!json_walk(req, req_field, &r) || r.nargs == 0) {
		send_error(ctl, "malformed exec request (no args, or not the JSON object expected)");
		_exit(1);
	}
	want = r.terminal ? "t" : r.detach ? "" : "012";
	lfd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 4) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &sl) < 0) {
		snprintf(err, sizeof(err), "exec stream listener: %s", strerror(errno));
		send_error(ctl, err);
		_exit(1);
	}
	snprintf(reply, sizeof(reply), "{\"port\":%u,\"streams\":\"%s\"}", sa.svm_port, want);
	if (!send_msg(ctl, reply) || !accept_streams(lfd, ctl, want, streams))
		_exit(1);
	close(lfd);
	if (r.terminal) {
		struct winsize ws = { .ws_row = r.rows, .ws_col = r.cols };

		master = open_pty(&slave);
		if (master < 0) {
			snprintf(err, sizeof(err), "exec --tty: a pty in the guest: %s", strerror(errno));
			send_error(ctl, err);
			_exit(1);
		}
		if (ws.ws_row && ws.ws_col)
			ioctl(master, TIOCSWINSZ, &ws);
		child_fds[0] = child_fds[1] = child_fds[2] = slave;
	} else if (r.detach) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);

		child_fds[0] = child_fds[1] = child_fds[2] = null;
	} else {
		for (int i = 0; i < 3; i++)
			child_fds[i] = streams[i];
	}
	/* SIGCHLD through a signalfd (blocked before the fork, so an early
	 * exit is not missed): one poll waits for exit, control and pty. */
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0 || pipe2(errp, O_CLOEXEC) < 0) {
		send_error(ctl, "exec: signalfd/pipe failed in the guest");
		_exit(1);
	}
	pid = fork();
	if (pid < 0) {
		snprintf(err, sizeof(err), "exec: fork: %s", strerror(errno));
		send_error(ctl, err);
		_exit(1);
	}
	if (pid == 0)
		exec_child(&r, child_fds, r.terminal, errp[1]);
	close(errp[1]);
	/* Our copies of the process's stdio: only it may hold them now, so
	 * its streams end when it (and whatever inherited them) is done. */
	if (r.terminal)
		close(slave);
	else
		for (int i = 0; i < 3; i++)
			close(child_fds[i]);
	n = read(errp[0], err, sizeof(err) - 1);
	close(errp[0]);
	if (n > 0) {
		int st;

		err[n] = '\0';
		waitpid(pid, &st, 0);
		send_error(ctl, err);
		_exit(0);
	}
	snprintf(reply, sizeof(reply), "{\"pid\":%d}", (int)pid);
	send_msg(ctl, reply);
	if (r.terminal) {
		fcntl(master, F_SETFL, O_NONBLOCK);
		fcntl(streams[0], F_SETFL, O_NONBLOCK);
	}
	while (status < 0) {
		struct pollfd p[4] = {
			{ .fd = sfd, .events = POLLIN },
			{ .fd = ctl_open ? ctl : -1, .events = POLLIN },
			{ .fd = r.terminal && pty_open ? master : -1,
			  .events = (to_host.len == 0 ? POLLIN : 0) | (to_pty.len ? POLLOUT : 0) },
			{ .fd = r.terminal && host_in_open ? streams[0] : -1,
			  .events = (to_pty.len == 0 ? POLLIN : 0) | (to_host.len ? POLLOUT : 0) },
		};
		struct signalfd_siginfo si;
		int st;

		if (poll(p, 4, -1) < 0 && errno != EINTR)
			break;
		while (read(sfd, &si, sizeof(si)) == sizeof(si))
			;
		if (p[1].revents) {
			char *m = recv_msg(ctl);
			struct ctl_msg cm = { 0 };

			if (m == NULL) {
				/* The host went away: the process keeps running (as
				 * runc's exec'd processes do when runc is killed). */
				ctl_open = false;
			} else if (json_walk(m, ctl_field, &cm)) {
				if (cm.signal)
					kill(pid, cm.signal);
				if (cm.rows && cm.cols && master >= 0) {
					struct winsize ws = { .ws_row = (unsigned short)cm.rows,
							      .ws_col = (unsigned short)cm.cols };

					ioctl(master, TIOCSWINSZ, &ws);
				}
			}
			free(m);
		}
		if (r.terminal) {
			if (pty_open && !relay_step(master, streams[0], &to_host,
						    p[2].revents & (POLLIN | POLLHUP | POLLERR),
						    p[3].revents & POLLOUT))
				pty_open = false;
			if (host_in_open && !relay_step(streams[0], master, &to_pty,
							p[3].revents & (POLLIN | POLLHUP | POLLERR),
							p[2].revents & POLLOUT))
				host_in_open = false;
		}
		if (waitpid(pid, &st, WNOHANG) == pid)
			status = wait_status(st);
	}
	if (r.terminal) {
		/* The last output: what the pty still holds (a grandchild that
		 * keeps the slave open must not hold the exit status back). */
		fcntl(streams[0], F_SETFL, 0);
		for (;;) {
			if (to_host.len > 0 && !full_write(streams[0], to_host.b + to_host.off, to_host.len))
				break;
			to_host.len = 0;
			n = read(master, to_host.b, sizeof(to_host.b));
			if (n <= 0)
				break;
			to_host.off = 0;
			to_host.len = (size_t)n;
		}
		close(streams[0]);
	}
	snprintf(reply, sizeof(reply), "{\"exit\":%d}", status < 0 ? 255 : status);
	if (ctl_open)
		send_msg(ctl, reply);
	_exit(0);
}

/* --- the server --- */

void agent_exec_start(void)
{
	struct sockaddr_vm sa = { .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY,
				  .svm_port = EXEC_PORT };
	sigset_t none;
	int lfd;
	pid_t p = fork();

	if (p != 0)
		return;         /* PID 1 goes on (or runs without exec on failure) */
	/* The server keeps nothing of PID 1's: no console, no control. */
	close_range(3, ~0U, 0);
	{
		int null = open("/dev/null", O_RDWR);

		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			if (null > 2)
				close(null);
		}
	}
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* Supervisors reap their own children; the server lets the kernel
	 * reap the supervisors. */
	signal(SIGCHLD, SIG_IGN);
	setsid();
	lfd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 16) < 0) {
		fprintf(stderr, "hull-agent: exec service on vsock port %u: %s\n", EXEC_PORT,
			strerror(errno));
		_exit(1);
	}
	for (;;) {
		struct sockaddr_vm from;
		socklen_t sl = sizeof(from);
		int c = accept4(lfd, (struct sockaddr *)&from, &sl, SOCK_CLOEXEC);

		if (c < 0)
			continue;
		if (from.svm_cid != VMADDR_CID_HOST) {
			close(c);
			continue;
		}
		if (fork() == 0) {
			close(lfd);
			supervise(c);
		}
		close(c);
	}
}
