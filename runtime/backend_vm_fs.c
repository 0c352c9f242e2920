/* Shared bind mounts for VM containers (runtime/backend_vm_fs.h).
 *
 * One virtiofsd per VM, not one per mount: the monitor then has one
 * device and one interrupt line (the guest has 11 for every device), one
 * process to stop, and file bind mounts work too (a file in the tree is
 * bind-mounted in the guest like a directory).  The tree is private to
 * virtiofsd: in its own mount namespace, a tmpfs over the state directory
 * gets one entry per shared mount ("0", "1", ...), each a bind mount of the
 * source; read-only ones are made read-only there, on the host, so a
 * guest that remounts its side read-write still gets EROFS from the host
 * kernel.  The tmpfs itself is then remounted read-only.
 *
 * virtiofsd's socket: a listening socket bound in the state directory,
 * connected to at once and unlinked, so that the only client is the
 * monitor (which gets the connected end) and no path stays behind.
 * virtiofsd takes the listener with --fd. */
#include "runtime/backend_vm_fs.h"
#include "runtime/backend_vm_net.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fsutil.h"
#include "cgroups/cgroup.h"
#include "vmm/guest_image.h"

#define VM_FS_SOCKET "vm-fs.sock"
#define VM_FS_PIDFILE "vm-fs.pid"
#define VM_FS_LOG "virtiofsd.log"

/* Flags the guest applies to its bind of an entry. */
#define GUEST_FLAGS (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | \
		     MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME)

/* The container's /etc/hosts, hostname and resolv.conf binds (an engine's
 * or Hull's --net) are copied into the guest by backend_vm_net.c: written
 * once before start, they need no virtiofsd, and the common engine bundle
 * then starts none.  Every other bind is shared. */
bool vm_fs_is_shared(const struct spec_mount *m)
{
	return m->bind && !vm_net_etc_mount(m);
}

static bool mount_read_only(const struct spec_mount *m)
{
	return (m->flags & MS_RDONLY) || (m->rec_attr_set & MOUNT_ATTR_RDONLY);
}

int vm_fs_check(const struct spec *s, struct hull_error *err)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n_mounts; i++) {
		const struct spec_mount *m = &s->mounts[i];

		if (!vm_fs_is_shared(m))
			continue;
		if (++n > VM_FS_MAX_MOUNTS)
			return hull_error_set(err, ENOTSUP, "mounts[%zu]: VM mode shares at most %d "
					      "bind mounts", i, VM_FS_MAX_MOUNTS);
		if (m->source == NULL || m->source[0] == '\0')
			return hull_error_set(err, EINVAL, "mounts[%zu].source: a bind mount needs one", i);
		if (m->propagation & (MS_SHARED | MS_SLAVE | MS_UNBINDABLE))
			return hull_error_set(err, ENOTSUP, "mounts[%zu] (bind on %s): shared, slave and "
					      "unbindable propagation do not cross into the VM", i,
					      m->destination);
		if (m->idmap || m->n_uid_mappings || m->n_gid_mappings)
			return hull_error_set(err, ENOTSUP, "mounts[%zu] (bind on %s): idmapped mounts "
					      "are not supported in VM mode", i, m->destination);
		if (m->data && *m->data)
			return hull_error_set(err, ENOTSUP, "mounts[%zu] (bind on %s): option \"%s\" is "
					      "not supported in VM mode", i, m->destination, m->data);
		if (m->flags & ~(unsigned long)(GUEST_FLAGS | MS_BIND | MS_REC | MS_SILENT))
			return hull_error_set(err, ENOTSUP, "mounts[%zu] (bind on %s): mount flags %#lx "
					      "are not supported in VM mode", i, m->destination,
					      m->flags & ~(unsigned long)(GUEST_FLAGS | MS_BIND | MS_REC |
									  MS_SILENT));
		if ((m->rec_attr_set & ~(uint64_t)(MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
						   MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC)) ||
		    m->rec_attr_clr)
			return hull_error_set(err, ENOTSUP, "mounts[%zu] (bind on %s): recursive mount "
					      "attributes other than rro/rnosuid/rnodev/rnoexec are not "
					      "supported in VM mode", i, m->destination);
	}
	return 0;
}

int vm_fs_agent_config(const struct spec *s, char *buf, size_t cap, struct hull_error *err)
{
	size_t idx = 0;
	bool any = false;

	for (size_t i = 0; i < s->n_mounts; i++) {
		const struct spec_mount *m = &s->mounts[i];
		unsigned long flags;
		size_t used = strlen(buf);

		if (!vm_fs_is_shared(m))
			continue;
		if (!any && used + 32 < cap) {
			strcat(buf, "fs " VM_FS_TAG "\n");
			any = true;
			used = strlen(buf);
		}
		/* rnosuid & co.: the guest's side has no submounts, so the
		 * plain flags say the same. */
		flags = (m->flags & GUEST_FLAGS) | (mount_read_only(m) ? MS_RDONLY : 0) |
			(m->rec_attr_set & MOUNT_ATTR_NOSUID ? MS_NOSUID : 0) |
			(m->rec_attr_set & MOUNT_ATTR_NODEV ? MS_NODEV : 0) |
			(m->rec_attr_set & MOUNT_ATTR_NOEXEC ? MS_NOEXEC : 0);
		/* "bind ENTRY FLAGS DEST": DEST last, escaped. */
		if (used + 64 >= cap)
			return hull_error_set(err, E2BIG, "mounts: too many for the VM agent's config");
		snprintf(buf + used, cap - used, "bind %zu %lx ", idx++, flags);
		if (vmm_agent_escape(buf, cap - 2, m->destination) < 0)
			return hull_error_set(err, E2BIG, "mounts: too many for the VM agent's config");
		strcat(buf, "\n");
	}
	return 0;
}

/* ---- virtiofsd's child: build the tree, exec ---- */

struct fs_child {
	const struct spec *s;
	char (*src)[4096];      /* resolved sources, per shared mount */
	const char *dir;        /* state directory: the tree's mount point */
	int go, errw, lsn, log; /* fds, all >= FD_BASE after move_fds */
};

#define FD_BASE 1000

/* "WHAT ARG: strerror" to the parent, which reports it as the error. */
static __attribute__((noreturn)) void child_fail(int errw, const char *what, const char *arg)
{
	int e = errno;

	dprintf(errw, "%s%s%s: %s", what, *arg ? " " : "", arg, strerror(e));
	_exit(1);
}

/* Keep exactly our four fds (moved above FD_BASE) and stdio. */
static void move_fds(struct fs_child *c)
{
	int *fds[] = { &c->go, &c->errw, &c->lsn, &c->log };

	for (size_t i = 0; i < 4; i++) {
		int n = fcntl(*fds[i], F_DUPFD_CLOEXEC, FD_BASE + (int)i);

		if (n != FD_BASE + (int)i) {
			/* EOF alone would read as a successful exec. */
			dprintf(c->errw, "virtiofsd: fd %d is taken", FD_BASE + (int)i);
			_exit(1);
		}
		*fds[i] = n;
	}
	close_range(3, FD_BASE - 1, 0);
	close_range(FD_BASE + 4, ~0U, 0);
}

static void build_tree(struct fs_child *c)
{
	size_t idx = 0;
	char p[4200];
	int fd[VM_FS_MAX_MOUNTS];
	struct stat st[VM_FS_MAX_MOUNTS];

	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		child_fail(c->errw, "private mount namespace", "");
	/* The sources are opened before the tmpfs covers the state
	 * directory, and in this namespace (a bind needs a mount of ours). */
	for (size_t i = 0; i < c->s->n_mounts; i++) {
		if (!vm_fs_is_shared(&c->s->mounts[i]))
			continue;
		fd[idx] = open(c->src[idx], O_PATH | O_CLOEXEC);
		if (fd[idx] < 0 || fstat(fd[idx], &st[idx]) < 0) {
			char what[64];

			snprintf(what, sizeof(what), "mounts[%zu].source", i);
			child_fail(c->errw, what, c->src[idx]);
		}
		idx++;
	}
	if (mount("tmpfs", c->dir, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0755,size=64k") < 0)
		child_fail(c->errw, "tmpfs on", c->dir);
	idx = 0;
	for (size_t i = 0; i < c->s->n_mounts; i++) {
		const struct spec_mount *m = &c->s->mounts[i];
		char src[64];

		if (!vm_fs_is_shared(m))
			continue;
		snprintf(p, sizeof(p), "%s/%zu", c->dir, idx);
		snprintf(src, sizeof(src), "/proc/self/fd/%d", fd[idx]);
		if (S_ISDIR(st[idx].st_mode) ? mkdir(p, 0755) < 0 :
		    mknod(p, S_IFREG | 0644, 0) < 0)
			child_fail(c->errw, "mount point", p);
		if (mount(src, p, NULL, MS_BIND | (m->recursive ? MS_REC : 0), NULL) < 0)
			child_fail(c->errw, "bind", c->src[idx]);
		if (mount_read_only(m)) {
			struct mount_attr a = { .attr_set = MOUNT_ATTR_RDONLY };

			/* Every submount too: a read-only volume has no
			 * writable corner. */
			if (mount_setattr(AT_FDCWD, p, m->recursive ? AT_RECURSIVE : 0, &a,
					  sizeof(a)) < 0)
				child_fail(c->errw, "read-only", c->src[idx]);
		}
		close(fd[idx]);
		idx++;
	}
	if (mount(NULL, c->dir, NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  NULL) < 0)
		child_fail(c->errw, "read-only tmpfs on", c->dir);
}

static __attribute__((noreturn)) void fs_child_main(struct fs_child *c)
{
	char source[4200], fdarg[32];
	char b;
	int null;

	move_fds(c);
	/* The parent has put us in the container's cgroup. */
	if (read(c->go, &b, 1) != 1)
		_exit(1);
	build_tree(c);
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(c->log, 2) < 0 ||
	    dup2(c->lsn, 3) < 0)
		child_fail(c->errw, "stdio", "");
	snprintf(source, sizeof(source), "source=%s", c->dir);
	snprintf(fdarg, sizeof(fdarg), "--fd=%d", 3);
	{
		char *const argv[] = {
			(char *)VM_FS_VIRTIOFSD, fdarg, "-o", source, "-o", "cache=auto",
			"-o", "sandbox=namespace", "-o", "log_level=warn", NULL,
		};
		char *const envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };

		execve(VM_FS_VIRTIOFSD, argv, envp);
	}
	child_fail(c->errw, "exec", VM_FS_VIRTIOFSD);
}

/* ---- the runtime's side ---- */

/* Its start time in ticks, 0 if gone or a zombie. */
static unsigned long long start_time(pid_t pid)
{
	char path[64], buf[1024];
	autoclose int fd = -1;
	ssize_t n;
	char *p;
	unsigned long long t = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || (n = read(fd, buf, sizeof(buf) - 1)) <= 0)
		return 0;
	buf[n] = '\0';
	/* Field 22; comm (field 2) may hold spaces, so count after ')'. */
	p = strrchr(buf, ')');
	/* A zombie has exited: as good as gone (its parent reaps it). */
	if (p == NULL || (p[1] == ' ' && p[2] == 'Z'))
		return 0;
	for (int f = 2; p && f < 22; f++)
		p = strchr(p + 1, ' ');
	if (p)
		sscanf(p + 1, "%llu", &t);
	return t;
}

static int resolve_sources(struct launch *l, char (*src)[4096], struct hull_error *err)
{
	const struct spec *s = l->spec;
	size_t idx = 0;

	for (size_t i = 0; i < s->n_mounts; i++) {
		const struct spec_mount *m = &s->mounts[i];
		struct stat st;

		if (!vm_fs_is_shared(m))
			continue;
		/* Relative to the bundle, as in container mode. */
		if (m->source[0] == '/' || l->c->bundle == NULL)
			snprintf(src[idx], 4096, "%s", m->source);
		else
			snprintf(src[idx], 4096, "%s/%s", l->c->bundle, m->source);
		if (stat(src[idx], &st) < 0)
			return hull_error_errno(err, "mounts[%zu].source %s", i, src[idx]);
		if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
			return hull_error_set(err, ENOTSUP, "mounts[%zu].source %s: VM mode shares "
					      "directories and regular files only", i, src[idx]);
		idx++;
	}
	return (int)idx;
}

/* The listener virtiofsd takes and the monitor's connected end. */
static int make_socket(struct container *c, int *lsn, int *conn, struct hull_error *err)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };

	/* Through the directory fd: the state path may exceed sun_path. */
	snprintf(a.sun_path, sizeof(a.sun_path), "/proc/self/fd/%d/" VM_FS_SOCKET, c->dir_fd);
	unlinkat(c->dir_fd, VM_FS_SOCKET, 0);
	*lsn = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	*conn = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (*lsn < 0 || *conn < 0 || bind(*lsn, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(*lsn, 1) < 0 || connect(*conn, (struct sockaddr *)&a, sizeof(a)) < 0) {
		hull_error_errno(err, "vhost-user socket for virtiofsd");
		unlinkat(c->dir_fd, VM_FS_SOCKET, 0);
		return -1;
	}
	/* Connected (queued on the listener): nobody else may connect. */
	unlinkat(c->dir_fd, VM_FS_SOCKET, 0);
	return 0;
}

static int record_pid(struct container *c, pid_t pid, struct hull_error *err)
{
	char buf[64];
	int n = snprintf(buf, sizeof(buf), "%d %llu\n", (int)pid, start_time(pid));

	return fs_write_atomic(c->dir_fd, VM_FS_PIDFILE, buf, (size_t)n, 0600, err);
}

int vm_fs_start(struct launch *l, struct vm_fs *fs, struct hull_error *err)
{
	autofree char (*src)[4096] = NULL;
	struct fs_child child = { .s = l->spec, .dir = l->c->dir };
	int go[2] = { -1, -1 }, ep[2] = { -1, -1 }, lsn = -1, log = -1, n;
	char msg[512];
	ssize_t got;

	fs->pid = 0;
	fs->sock = -1;
	src = calloc(VM_FS_MAX_MOUNTS, sizeof(*src));
	if (src == NULL)
		return hull_error_errno(err, "calloc");
	n = resolve_sources(l, src, err);
	if (n <= 0)
		return n;
	if (access(VM_FS_VIRTIOFSD, X_OK) < 0)
		return hull_error_errno(err, "mounts: %s (Debian's qemu-system-common) is needed "
					"to share host directories with the VM", VM_FS_VIRTIOFSD);
	log = openat(l->c->dir_fd, VM_FS_LOG, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (log < 0)
		return hull_error_errno(err, "%s/%s", l->c->dir, VM_FS_LOG);
	if (make_socket(l->c, &lsn, &fs->sock, err) < 0)
		goto fail;
	if (pipe2(go, O_CLOEXEC) < 0 || pipe2(ep, O_CLOEXEC) < 0) {
		hull_error_errno(err, "pipe");
		goto fail;
	}
	fs->pid = fork();
	if (fs->pid < 0) {
		fs->pid = 0;
		hull_error_errno(err, "fork virtiofsd");
		goto fail;
	}
	if (fs->pid == 0) {
		child.src = src;
		child.go = go[0];
		child.errw = ep[1];
		child.lsn = lsn;
		child.log = log;
		fs_child_main(&child);
	}
	close(go[0]);
	close(ep[1]);
	go[0] = ep[1] = -1;
	/* In the container's cgroup before it does anything: its memory and
	 * pids count against the container, and `delete` empties it. */
	if (cgroup_enter(l->cgroup, fs->pid, err) < 0 || record_pid(l->c, fs->pid, err) < 0)
		goto fail;
	if (write(go[1], "g", 1) != 1) {
		hull_error_errno(err, "starting virtiofsd");
		goto fail;
	}
	/* EOF once it has exec'ed (the pipe is close-on-exec), else why not. */
	got = read(ep[0], msg, sizeof(msg) - 1);
	if (got != 0) {
		msg[got > 0 ? got : 0] = '\0';
		hull_error_set(err, EIO, "%s", got > 0 ? msg : "virtiofsd did not start");
		goto fail;
	}
	close(go[1]);
	close(ep[0]);
	close(lsn);
	close(log);
	return 0;
fail:
	for (int i = 0; i < 2; i++) {
		if (go[i] >= 0)
			close(go[i]);
		if (ep[i] >= 0)
			close(ep[i]);
	}
	if (lsn >= 0)
		close(lsn);
	close(log);
	vm_fs_abort(fs);
	hull_error_prefix(err, "vm: shared mounts");
	return -1;
}

void vm_fs_release(struct vm_fs *fs)
{
	if (fs->sock >= 0)
		close(fs->sock);
	fs->sock = -1;
}

void vm_fs_abort(struct vm_fs *fs)
{
	vm_fs_release(fs);
	if (fs->pid > 0) {
		kill(fs->pid, SIGKILL);
		while (waitpid(fs->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	fs->pid = 0;
}

void vm_fs_cleanup(struct container *c)
{
	autofree char *data = NULL;
	size_t len = 0;
	struct hull_error ignored = { 0 };
	char path[4200];
	int pid = 0;
	unsigned long long t = 0;

	snprintf(path, sizeof(path), "%s/" VM_FS_PIDFILE, c->dir);
	if (fs_read_file(path, &data, &len, &ignored) == 0 &&
	    sscanf(data, "%d %llu", &pid, &t) == 2 && pid > 0 && t != 0 && start_time(pid) == t) {
		/* Normally gone already: it exits when the monitor's end of
		 * the socket closes, and `delete` empties the cgroup. */
		kill(pid, SIGKILL);
		for (int i = 0; i < 200 && start_time(pid) == t; i++) {
			struct timespec ts = { 0, 10 * 1000 * 1000 };

			waitpid(pid, NULL, WNOHANG);    /* ours under `run` */
			nanosleep(&ts, NULL);
		}
	}
	unlink(path);
	snprintf(path, sizeof(path), "%s/" VM_FS_LOG, c->dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/" VM_FS_SOCKET, c->dir);
	unlink(path);
}
