/* `create`: validate everything, prepare everything, then spawn.
 *
 * Order: spec parse + validation (nothing touched yet) -> seccomp compile
 * and environment (pure computation) -> state dir + lock -> exec fifo and
 * config copy -> cgroup -> network -> the root opened -> clone.  Each step
 * after the state dir has an undo, run in reverse on failure, so a failed
 * create leaves nothing.  The root is opened last so that run --image can
 * make it meanwhile (create_opts.rootfs_wait). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroups/cgroup.h"
#include "cgroups/resources.h"
#include "runtime/backend.h"
#include "base/cleanup.h"
#include "base/fsutil.h"
#include "runtime/launch.h"
#include "runtime/lifecycle.h"
#include "namespaces/idmap.h"
#include "runtime/lsm.h"
#include "runtime/net.h"
#include "runtime/seccomp.h"
#include "oci/spec.h"
#include "runtime/state.h"
#include "runtime/testpoint.h"

static char *now_rfc3339(void)
{
	struct timespec ts;
	struct tm tm;
	char buf[64], *out = NULL;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	if (asprintf(&out, "%s.%09ldZ", buf, ts.tv_nsec) < 0)
		return NULL;
	return out;
}

static int env_push(char ***env, size_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int env_push(char ***env, size_t *n, const char *fmt, ...)
{
	va_list ap;
	char *s, **nv;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0) {
		va_end(ap);
		return -1;
	}
	va_end(ap);
	nv = realloc(*env, (*n + 2) * sizeof(char *));
	if (nv == NULL) {
		free(s);
		return -1;
	}
	nv[(*n)++] = s;
	nv[*n] = NULL;
	*env = nv;
	return 0;
}

/* The process environment plus what the runtime passes through:
 * NOTIFY_SOCKET (rewritten to the in-container path) and socket
 * activation's LISTEN_FDS. */
static int build_env(const struct spec_process *p, bool notify, int listen_fds,
		     char ***out, struct hull_error *err)
{
	char **env = NULL;
	size_t n = 0;

	for (size_t i = 0; i < p->n_env; i++)
		if (env_push(&env, &n, "%s", p->env[i]) < 0)
			goto oom;
	if (notify && env_push(&env, &n, "NOTIFY_SOCKET=/run/notify/notify.sock") < 0)
		goto oom;
	if (listen_fds > 0 &&
	    (env_push(&env, &n, "LISTEN_FDS=%d", listen_fds) < 0 ||
	     env_push(&env, &n, "LISTEN_PID=1") < 0))
		goto oom;
	if (env == NULL && env_push(&env, &n, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin") < 0)
		goto oom;
	*out = env;
	return 0;
oom:
	strv_free(env);
	return hull_error_errno(err, "building environment");
}

static int listen_fds_from_env(void)
{
	const char *fds = getenv("LISTEN_FDS");
	const char *pid = getenv("LISTEN_PID");

	if (fds == NULL)
		return 0;
	if (pid && atoi(pid) != getpid())
		return 0;
	return atoi(fds) > 0 ? atoi(fds) : 0;
}

struct create_ctx {
	const struct backend_ops *backend;
	struct spec *spec;
	/* the config.json text spec was parsed from: o->config_text, or
	 * config_read (the bundle's file, read once) */
	const char *config_text;
	char *config_read;
	struct container *c;
	struct launch l;
	bool spawned;
	struct runtime_net net;     /* built-in networking (runtime/net.c) */
};

static void create_undo(struct create_ctx *x, struct hull_error *err)
{
	struct hull_error ignored = { 0 };

	if (x->spawned && x->l.pid > 0) {
		kill(x->l.pid, SIGKILL);
		waitpid(x->l.pid, NULL, 0);
	}
	runtime_net_undo(&x->net);
	/* A group that cannot be removed now keeps its state record, so that
	 * `delete --force` can finish the job instead of leaking the group. */
	if (x->l.cgroup && cgroup_destroy(x->l.cgroup, &ignored) < 0) {
		if (x->c)
			container_save(x->c, &ignored);
		hull_error_prefix(err, "its cgroup could not be removed (%s; `delete --force` retries)",
				  ignored.msg);
		return;
	}
	if (x->c)
		container_remove_dir(x->c, &ignored);
}

static int prepare(const struct create_opts *o, struct create_ctx *x,
		   struct hull_error *err)
{
	struct spec *s = x->spec;
	int listen = listen_fds_from_env();
	bool notify = getenv("NOTIFY_SOCKET") != NULL;
	struct stat st;

	if (s->process == NULL)
		return hull_error_set(err, EINVAL, "process: missing (needed to create a container)");
	/* A root still being made is checked when it is opened (open_rootfs). */
	if (o->rootfs_wait == NULL && (stat(s->root_path, &st) < 0 || !S_ISDIR(st.st_mode)))
		return hull_error_set(err, ENOENT, "root.path: %s is not a directory", s->root_path);
	if (s->process->terminal && !o->tty_to_parent && o->console_socket == NULL)
		return hull_error_set(err, EINVAL,
				      "process.terminal is true: --console-socket is required");
	if (s->linux.ns[NS_USER].enabled && s->linux.ns[NS_USER].path &&
	    s->linux.ns[NS_PID].enabled && s->linux.ns[NS_PID].path == NULL)
		return hull_error_set(err, ENOTSUP,
				      "linux.namespaces: joining a user namespace by path while creating a new pid namespace is not supported");
	if (launch_check_preserved_fds(o->preserve_fds > listen ? o->preserve_fds : listen, err) < 0)
		return -1;
	if (s->linux.seccomp && seccomp_compile(s->linux.seccomp, &x->l.seccomp, err) < 0)
		return -1;
	spec_caps_fit_kernel(&s->process->caps, spec_caps_kernel_last());
	if (build_env(s->process, notify, listen, &x->l.env, err) < 0)
		return -1;
	x->l.spec = s;
	x->l.process = s->process;
	if (lsm_prepare(&x->l, s->process, err) < 0)
		return -1;
	x->l.no_pivot = o->no_pivot;
	x->l.no_new_keyring = o->no_new_keyring;
	x->l.preserve_fds = o->preserve_fds > listen ? o->preserve_fds : listen;
	x->l.tty_to_parent = o->tty_to_parent;
	x->l.console_socket = o->console_socket;
	x->l.vm_kernel = o->vm_kernel;
	x->l.vm_no_jail = o->vm_no_jail;
	return 0;
}

static int pick_backend(const struct create_opts *o, struct create_ctx *x,
			struct hull_error *err)
{
	const char *a = spec_annotation(x->spec, HULL_VM_ANNOTATION);
	bool vm = o->vm || (a && strcmp(a, "true") == 0);

	x->backend = backend_find(vm ? "vm" : "linux");
	if (x->backend == NULL)
		return hull_error_set(err, ENOTSUP,
				      "%s: the microVM backend is not built into this Hull",
				      o->vm ? "--vm" : "annotations." HULL_VM_ANNOTATION);
	return 0;
}

static int setup_state(const struct create_opts *o, struct create_ctx *x,
		       const char *bundle, struct hull_error *err)
{
	struct container *c;
	autofree char *fifo = NULL;
	struct spec *s = x->spec;

	if (container_new(o->root, o->id, &x->c, err) < 0)
		return -1;
	c = x->c;
	x->l.c = c;
	hull_test_point("state-dir");
	c->systemd_cgroup = o->systemd_cgroup;
	free(c->backend);
	if ((c->backend = strdup(x->backend->name)) == NULL)
		return hull_error_errno(err, "strdup");
	if ((c->bundle = strdup(bundle)) == NULL || (c->rootfs = strdup(s->root_path)) == NULL ||
	    (c->created = now_rfc3339()) == NULL)
		return hull_error_errno(err, "strdup");
	c->annotation_keys = calloc(s->n_annotations + 1, sizeof(char *));
	c->annotation_values = calloc(s->n_annotations + 1, sizeof(char *));
	if (c->annotation_keys == NULL || c->annotation_values == NULL)
		return hull_error_errno(err, "calloc");
	for (size_t i = 0; i < s->n_annotations; i++) {
		c->annotation_keys[i] = strdup(s->annotation_keys[i]);
		c->annotation_values[i] = strdup(s->annotation_values[i]);
		c->n_annotations++;
	}
	if (asprintf(&fifo, "%s/%s", c->dir, HULL_EXEC_FIFO) < 0)
		return hull_error_errno(err, "asprintf");
	/* The fifo is the create/start gate: the child blocks opening it for
	 * writing until `start` opens it for reading. */
	if (mkfifo(fifo, 0600) < 0)
		return hull_error_errno(err, "mkfifo %s", fifo);
	/* The child reopens the fifo for writing after it has switched to
	 * process.user, which may not be root: writable by all, as runc's
	 * 0622 (the state directory still keeps others out). */
	if (chmod(fifo, 0622) < 0)
		return hull_error_errno(err, "chmod %s", fifo);
	x->l.fifo_fd = open(fifo, O_PATH | O_CLOEXEC);
	if (x->l.fifo_fd < 0)
		return hull_error_errno(err, "open %s", fifo);
	x->l.proc_fd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (x->l.proc_fd < 0)
		return hull_error_errno(err, "open /proc");
	/* Idmapped mounts need the host's privilege: made here, attached by
	 * the child (namespaces/idmap.h). */
	if (idmap_mounts_prepare(s, c->bundle, &x->l.mount_fds, err) < 0)
		return -1;
	if (getenv("NOTIFY_SOCKET")) {
		static char notify_dir[PATH_MAX];

		snprintf(notify_dir, sizeof(notify_dir), "%s/notify", c->dir);
		if (mkdir(notify_dir, 0755) < 0)
			return hull_error_errno(err, "mkdir %s", notify_dir);
		x->l.notify_dir = notify_dir;
	}
	/* the state's copy is the text that was parsed, not a second read
	 * of a file that may have changed since */
	if (fs_write_atomic(c->dir_fd, "config.json", x->config_text, strlen(x->config_text), 0600, err) < 0)
		return -1;
	/* Record the directory before anything else exists, so a runtime
	 * killed from here on leaves something `delete --force` can read. */
	return container_save(c, err);
}

/* The root, opened once for the child.  As late as the clone allows: a
 * root that run --image is still making (o->rootfs_wait) has until here,
 * while the state, cgroup and network are set up. */
static int open_rootfs(const struct create_opts *o, struct create_ctx *x,
		       struct hull_error *err)
{
	const char *root = x->spec->root_path;

	if (o->rootfs_wait && o->rootfs_wait(o->rootfs_wait_data, err) < 0)
		return -1;
	x->l.rootfs_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (x->l.rootfs_fd < 0)
		return hull_error_errno(err, "root.path: open %s", root);
	return 0;
}

static int setup_cgroup(const struct create_opts *o, struct create_ctx *x,
			struct hull_error *err)
{
	const struct spec_linux *lx = &x->spec->linux;
	autofree struct spec_device_rule *devs =
		calloc(lx->n_devices + x->backend->n_host_devices + 1, sizeof(*devs));
	struct cgroup_config cfg = {
		.id = o->id,
		.cgroups_path = lx->cgroups_path,
		.resources = lx->resources,
		.systemd = o->systemd_cgroup,
		/* issue 11: org.systemd.property.* annotations */
		.annotation_keys = x->spec->annotation_keys,
		.annotation_values = x->spec->annotation_values,
		.n_annotations = x->spec->n_annotations,
	};

	if (devs == NULL)
		return hull_error_errno(err, "calloc");
	/* Devices the config creates are also allowed in the device cgroup,
	 * as runc does; a fifo ('p') needs no rule. */
	for (size_t i = 0; i < lx->n_devices; i++) {
		const struct spec_device *d = &lx->devices[i];

		if (d->type == 'p')
			continue;
		devs[cfg.n_extra_devices++] = (struct spec_device_rule){
			.allow = true, .type = d->type == 'u' ? 'c' : d->type,
			.major = d->major, .minor = d->minor, .access = "rwm",
		};
	}
	for (size_t i = 0; i < x->backend->n_host_devices; i++)
		devs[cfg.n_extra_devices++] = x->backend->host_devices[i];
	cfg.extra_devices = devs;

	/* Plan, save, then make: a runtime killed while it makes the groups
	 * (or before it could save them) would otherwise leave groups that no
	 * state names and no `delete` removes. */
	if (cgroup_manager_plan(&cfg, &x->l.cgroup, err) < 0)
		return -1;
	x->c->cgroup = x->l.cgroup;
	if (container_save(x->c, err) < 0)
		return -1;
	hull_test_point("cgroup-planned");
	if (cgroup_manager_realize(x->l.cgroup, err) < 0)
		return -1;
	hull_test_point("cgroup-made");
	/* Save again: the record now says which groups Hull really made. */
	return container_save(x->c, err);
}

int hull_create(const struct create_opts *o, struct created *out,
		struct hull_error *err)
{
	struct create_ctx x;
	char bundle[PATH_MAX];
	int rc = -1;

	memset(&x, 0, sizeof(x));
	hull_test_point("create");
	launch_init(&x.l, LAUNCH_CREATE);
	if (state_validate_id(o->id, err) < 0)
		return -1;
	/* run --image's bundle is the image store's own canonical path, and
	 * is still being made beside this create (o->rootfs_wait) */
	if (o->rootfs_wait)
		snprintf(bundle, sizeof(bundle), "%s", o->bundle);
	else if (realpath(o->bundle ? o->bundle : ".", bundle) == NULL)
		return hull_error_errno(err, "--bundle %s", o->bundle ? o->bundle : ".");
	if ((o->config_text ? spec_load_text(bundle, o->config_text, &x.spec, err)
			    : spec_load(bundle, &x.spec, &x.config_read, err)) < 0)
		return -1;
	x.config_text = o->config_text ? o->config_text : x.config_read;
	hull_test_point("parsed");
	if (pick_backend(o, &x, err) < 0 || prepare(o, &x, err) < 0)
		goto out;
	if (setup_state(o, &x, bundle, err) < 0)
		goto undo;
	hull_test_point("state-saved");
	if (setup_cgroup(o, &x, err) < 0)
		goto undo;
	hull_test_point("cgroup-saved");
	/* Networking: address, /etc files and their mounts before the clone. */
	if (runtime_net_prepare(o, x.spec, x.c, strcmp(x.backend->name, "vm") == 0, &x.net, err) < 0)
		goto undo;
	hull_test_point("net-prepared");
	if (open_rootfs(o, &x, err) < 0)
		goto undo;
	hull_test_point("root-open");
	x.spawned = true;
	if (x.backend->spawn(&x.l, err) < 0) {
		x.spawned = false;
		goto undo;
	}
	hull_test_point("spawned");
	x.c->pid = x.l.pid;
	x.c->pid_start = proc_start_time(x.l.pid);
	if (container_save(x.c, err) < 0)
		goto undo;
	hull_test_point("pid-saved");
	/* ...and the veth into the child's netns while it waits for start
	 * (after the pid is saved: a Hull killed in there leaves a
	 * container that `delete --force` can find and stop). */
	if (runtime_net_attach(&x.net, o->id, x.l.pid, err) < 0)
		goto undo;
	if (o->pid_file && fs_write_pid_file(o->pid_file, x.l.pid, err) < 0)
		goto undo;
	if (out) {
		out->pid = x.l.pid;
		out->pidfd = x.l.pidfd;
		out->pty_master = x.l.pty_master;
		out->vm = strcmp(x.backend->name, "vm") == 0;
	} else {
		if (x.l.pidfd >= 0)
			close(x.l.pidfd);
		if (x.l.pty_master >= 0)
			close(x.l.pty_master);
	}
	rc = 0;
	goto out;
undo:
	if (x.l.pty_master >= 0)
		close(x.l.pty_master);
	create_undo(&x, err);
out:
	x.l.cgroup = NULL; /* owned by the container */
	runtime_net_release(&x.net);
	launch_release(&x.l);
	container_free(x.c);
	spec_free(x.spec);
	free(x.config_read);
	return rc;
}
