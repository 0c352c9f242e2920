/* start, kill, delete, state, list: the verbs that act on an existing
 * container through its state. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroups/cgroup.h"
#include "runtime/backend.h"
#include "base/cleanup.h"
#include "images/bundle.h"
#include "runtime/backend_vm.h"
#include "runtime/hooks.h"
#include "runtime/lifecycle.h"
#include "runtime/net.h"
#include "runtime/notify.h"
#include "oci/spec.h"
#include "runtime/state.h"

/* A pidfd for the container's process, but only if it is still the same
 * process (start time checked after opening, so no pid-reuse race). */
static int open_container_pidfd(const struct container *c)
{
	int fd = (int)syscall(SYS_pidfd_open, c->pid, 0);

	if (fd < 0)
		return -1;
	if (!container_pid_alive(c)) {
		close(fd);
		errno = ESRCH;
		return -1;
	}
	return fd;
}

static int wait_pidfd(int pidfd, int timeout_ms)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };
	int r;

	do
		r = poll(&p, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	return r;
}

static int load_spec_copy(struct container *c, struct spec **out,
			  struct hull_error *err)
{
	autofree char *path = NULL;
	json_node *doc = NULL;
	int r;

	if (asprintf(&path, "%s/config.json", c->dir) < 0)
		return hull_error_errno(err, "asprintf");
	if (json_parse_file(path, &doc, err) < 0)
		return -1;
	r = spec_parse(doc, c->bundle ? c->bundle : "/", out, err);
	json_free(doc);
	return r;
}

int hull_start(const char *root, const char *id, struct hull_error *err)
{
	return hull_start_notify(root, id, NULL, err);
}

int hull_start_notify(const char *root, const char *id, int *keep_relay,
		      struct hull_error *err)
{
	struct container *c = NULL;
	autofree char *fifo = NULL;
	autoclose int fd = -1;
	autoclose int pidfd = -1;
	struct notify_relay relay = { .fd = -1 };
	enum container_status st;
	struct spec *spec = NULL;
	char b;
	int rc = -1;

	if (container_load(root, id, &c, err) < 0)
		return -1;
	st = container_status(c);
	if (st != STATUS_CREATED) {
		hull_error_set(err, EINVAL, "cannot start container \"%s\": it is %s, not created",
			       id, container_status_name(st));
		goto out;
	}
	/* vm backend: startContainer runs here on the host, before the
	 * monitor may boot the guest (runtime/backend_vm.h). */
	if (c->backend && strcmp(c->backend, "vm") == 0) {
		if (load_spec_copy(c, &spec, err) < 0 || vm_start_container_hooks(c, spec, err) < 0)
			goto out;
		spec_free(spec);
		spec = NULL;
	}
	if (getenv("NOTIFY_SOCKET") && notify_relay_bind(&relay, c->dir, err) < 0)
		goto out;
	if (asprintf(&fifo, "%s/%s", c->dir, HULL_EXEC_FIFO) < 0) {
		hull_error_errno(err, "asprintf");
		goto out;
	}
	/* Non-blocking open: a blocking one would hang forever if the child
	 * died; then wait for its byte or its death, whichever comes. */
	fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		hull_error_errno(err, "open %s", fifo);
		goto out;
	}
	pidfd = open_container_pidfd(c);
	for (;;) {
		struct pollfd p[2] = {
			{ .fd = fd, .events = POLLIN },
			{ .fd = pidfd, .events = POLLIN },
		};
		ssize_t n;

		if (poll(p, pidfd >= 0 ? 2 : 1, 100) < 0 && errno != EINTR) {
			hull_error_errno(err, "poll");
			goto out;
		}
		n = read(fd, &b, 1);
		if (n == 1)
			break;
		if ((p[1].revents & POLLIN) || !container_pid_alive(c)) {
			hull_error_set(err, ESRCH, "cannot start container \"%s\": its process exited", id);
			goto out;
		}
	}
	/* The byte came after the startContainer hooks; the writer's close
	 * (O_CLOEXEC) comes at execve.  Wait for it: poststart must run
	 * after the program started, not beside startContainer. */
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n = read(fd, &b, 1);

		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			break;
		if (n < 0 && poll(&p, 1, -1) < 0 && errno != EINTR) {
			hull_error_errno(err, "poll");
			goto out;
		}
	}
	unlinkat(c->dir_fd, HULL_EXEC_FIFO, 0);
	/* The container runs: what follows (poststart hooks, waiting for
	 * READY=1, which may never come) must not keep kill and delete out. */
	container_unlock(c);
	/* poststart runs in the runtime's namespaces once the process runs;
	 * a failing one is logged, not fatal (the spec says so). */
	if (load_spec_copy(c, &spec, err) == 0) {
		autofree char *state = container_state_json(c, false);
		struct hull_error herr = { 0 };

		if (state && hooks_run(&spec->hooks, HOOK_POSTSTART, state, &herr) < 0)
			fprintf(stderr, "hull: warning: %s\n", herr.msg);
	}
	hull_error_clear(err);
	if (relay.fd >= 0) {
		/* issue 11: READY may take minutes; wait without the
		 * container's lock, so kill/state/delete are not blocked. */
		pid_t pid = c->pid;

		container_free(c);
		c = NULL;
		if (notify_relay_wait_ready(&relay, pidfd, pid, err) < 0)
			goto out;
		if (keep_relay) {
			/* Foreground run: hull stays the main process and
			 * keeps relaying STATUS/WATCHDOG (see run.c). */
			*keep_relay = relay.fd;
			relay.fd = -1;
		} else if (notify_send_mainpid(pid, err) < 0) {
			goto out;
		}
	}
	rc = 0;
out:
	notify_relay_close(&relay);
	spec_free(spec);
	container_free(c);
	return rc;
}

int hull_kill(const char *root, const char *id, int sig, bool all,
	      struct hull_error *err)
{
	struct container *c = NULL;
	autoclose int pidfd = -1;
	enum container_status st;
	int rc = -1;

	if (container_load(root, id, &c, err) < 0)
		return -1;
	st = container_status(c);
	if (st == STATUS_STOPPED || st == STATUS_CREATING) {
		if (all && c->cgroup) {
			rc = cgroup_kill_all(c->cgroup, sig, err);
			goto out;
		}
		hull_error_set(err, ESRCH, "container \"%s\" is not running", id);
		goto out;
	}
	if (all && c->cgroup) {
		/* A frozen task does not act on signals until thawed. */
		rc = cgroup_kill_all(c->cgroup, sig, err);
		goto out;
	}
	pidfd = open_container_pidfd(c);
	if (pidfd < 0) {
		hull_error_set(err, ESRCH, "container \"%s\" is not running", id);
		goto out;
	}
	if (syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0) {
		hull_error_errno(err, "kill container \"%s\"", id);
		goto out;
	}
	rc = 0;
out:
	container_free(c);
	return rc;
}

/* Where pid sits in the freezer hierarchy, for an error message. */
static void describe_freezer(pid_t pid, char *buf, size_t size)
{
	char file[64], line[512];
	FILE *f;

	buf[0] = '\0';
	snprintf(file, sizeof(file), "/proc/%d/cgroup", (int)pid);
	f = fopen(file, "re");
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, ":freezer:")) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(buf, size, " (its freezer cgroup is %s: if that group is frozen and not "
				 "Hull's, its owner must thaw it)", strstr(line, ":freezer:") + 9);
			break;
		}
	fclose(f);
}

/* Kills the container's processes and waits until the init is gone.
 * Only a cgroup Hull made is emptied wholesale; the init itself is killed
 * through a pidfd (no pid reuse), and success means it is really gone. */
static int stop_all(struct container *c, struct hull_error *err)
{
	autoclose int pidfd = open_container_pidfd(c);

	if (c->cgroup) {
		/* Someone may have moved the init into a frozen v1 freezer,
		 * where SIGKILL does not reach: bring it home (that thaws it). */
		if (pidfd >= 0)
			cgroup_reclaim(c->cgroup, c->pid, err);
		hull_error_clear(err);
		if (cgroup_owned(c->cgroup)) {
			if (cgroup_is_frozen(c->cgroup))
				cgroup_freeze(c->cgroup, false, err);
			hull_error_clear(err);
			cgroup_kill_all(c->cgroup, SIGKILL, err);
			hull_error_clear(err);
		}
	}
	if (pidfd >= 0) {
		syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
		if (wait_pidfd(pidfd, 10000) <= 0) {
			char where[600];

			describe_freezer(c->pid, where, sizeof(where));
			return hull_error_set(err, ETIMEDOUT,
					      "container \"%s\": process %d did not die after SIGKILL%s",
					      c->id, c->pid, where);
		}
		/* Reap it if it is our child (run); harmless otherwise. */
		waitpid(c->pid, NULL, WNOHANG);
	}
	return 0;
}

int hull_delete(const char *root, const char *id, bool force,
		struct hull_error *err)
{
	struct container *c = NULL;
	struct spec *spec = NULL;
	enum container_status st;
	int rc = -1;

	if (container_load(root, id, &c, err) < 0)
		return -1;
	st = container_status(c);
	if ((st == STATUS_RUNNING || st == STATUS_PAUSED) && !force) {
		hull_error_set(err, EBUSY,
			       "cannot delete container \"%s\": it is %s (stop it first, or use --force)",
			       id, container_status_name(st));
		goto out;
	}
	/* A created container has not run user code: deleting it is safe
	 * (runc allows it), and so is a half-created one (status creating). */
	if (st != STATUS_STOPPED && stop_all(c, err) < 0)
		goto out;
	/* Built-in networking: rules, veth, lease, in reverse.  Forced, a
	 * failure is left to the next reconcile (the record outlives us). */
	if (runtime_net_teardown(c, err) < 0) {
		if (!force)
			goto out;
		fprintf(stderr, "hull: warning: %s\n", err->msg);
		hull_error_clear(err);
	}
	if (c->cgroup && cgroup_destroy(c->cgroup, err) < 0)
		goto out;
	{
		const struct backend_ops *b = backend_find(c->backend ? c->backend : "linux");

		if (b && b->cleanup && b->cleanup(c, err) < 0)
			goto out;
	}
	if (c->bundle && load_spec_copy(c, &spec, err) == 0) {
		autofree char *state = container_state_json_as(c, STATUS_STOPPED);
		struct hull_error herr = { 0 };

		if (state && hooks_run(&spec->hooks, HOOK_POSTSTOP, state, &herr) < 0)
			fprintf(stderr, "hull: warning: %s\n", herr.msg);
	}
	hull_error_clear(err);
	rc = container_remove_dir(c, err);
	/* images: a root Hull made from an image goes with its container */
	if (rc == 0)
		rc = images_container_remove(c->bundle, err);
out:
	spec_free(spec);
	container_free(c);
	return rc;
}

int hull_state(const char *root, const char *id, char **json,
	       struct hull_error *err)
{
	struct container *c = NULL;

	if (container_read(root, id, &c, err) < 0)
		return -1;
	*json = container_state_json(c, true);
	container_free(c);
	if (*json == NULL)
		return hull_error_set(err, ENOMEM, "generating state");
	return 0;
}

int hull_list(const char *root, struct list_entry **entries, size_t *n,
	      struct hull_error *err)
{
	char **ids = NULL;
	struct list_entry *v;
	size_t count = 0, k = 0;

	if (state_list_ids(root, &ids, err) < 0)
		return -1;
	while (ids[count])
		count++;
	v = calloc(count + 1, sizeof(*v));
	if (v == NULL) {
		strv_free(ids);
		return hull_error_errno(err, "calloc");
	}
	for (size_t i = 0; i < count; i++) {
		struct container *c = NULL;
		struct hull_error lerr = { 0 };
		enum container_status st;

		/* A container deleted meanwhile is simply not listed. */
		if (container_read(root, ids[i], &c, &lerr) < 0)
			continue;
		st = container_status(c);
		v[k].id = strdup(c->id);
		v[k].pid = st == STATUS_STOPPED ? 0 : c->pid;
		v[k].status = strdup(container_status_name(st));
		v[k].bundle = strdup(c->bundle ? c->bundle : "");
		v[k].created = strdup(c->created ? c->created : "");
		v[k].owner = strdup(c->owner == 0 ? "root" : "");
		v[k].backend = strdup(c->backend ? c->backend : "linux");
		k++;
		container_free(c);
	}
	strv_free(ids);
	*entries = v;
	*n = k;
	return 0;
}

void hull_list_free(struct list_entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(e[i].id);
		free(e[i].status);
		free(e[i].bundle);
		free(e[i].created);
		free(e[i].owner);
		free(e[i].backend);
	}
	free(e);
}

int hull_parse_signal(const char *s, int *sig, struct hull_error *err)
{
	static const struct { const char *name; int sig; } names[] = {
		{ "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT }, { "ILL", SIGILL },
		{ "TRAP", SIGTRAP }, { "ABRT", SIGABRT }, { "IOT", SIGIOT }, { "BUS", SIGBUS },
		{ "FPE", SIGFPE }, { "KILL", SIGKILL }, { "USR1", SIGUSR1 }, { "SEGV", SIGSEGV },
		{ "USR2", SIGUSR2 }, { "PIPE", SIGPIPE }, { "ALRM", SIGALRM }, { "TERM", SIGTERM },
		{ "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD }, { "CONT", SIGCONT },
		{ "STOP", SIGSTOP }, { "TSTP", SIGTSTP }, { "TTIN", SIGTTIN }, { "TTOU", SIGTTOU },
		{ "URG", SIGURG }, { "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ }, { "VTALRM", SIGVTALRM },
		{ "PROF", SIGPROF }, { "WINCH", SIGWINCH }, { "IO", SIGIO }, { "POLL", SIGPOLL },
		{ "PWR", SIGPWR }, { "SYS", SIGSYS },
	};
	const char *name = s;
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return hull_error_set(err, EINVAL, "signal: empty");
	v = strtol(s, &end, 10);
	if (*end == '\0') {
		if (v <= 0 || v > SIGRTMAX)
			return hull_error_set(err, EINVAL, "signal: %s out of range", s);
		*sig = (int)v;
		return 0;
	}
	if (strncasecmp(name, "SIG", 3) == 0)
		name += 3;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(name, names[i].name) == 0) {
			*sig = names[i].sig;
			return 0;
		}
	if (strncasecmp(name, "RTMIN", 5) == 0 || strncasecmp(name, "RTMAX", 5) == 0) {
		long off = name[5] ? strtol(name + 5, &end, 10) : 0;
		int base = strncasecmp(name, "RTMIN", 5) == 0 ? SIGRTMIN : SIGRTMAX;

		if (*end == '\0' && base + off >= SIGRTMIN && base + off <= SIGRTMAX) {
			*sig = (int)(base + off);
			return 0;
		}
	}
	return hull_error_set(err, EINVAL, "signal: unknown signal \"%s\"", s);
}
