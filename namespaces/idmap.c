/* Idmapped mounts: a user namespace that carries the mapping, and a
 * detached clone of the source with that mapping set on it. */
#include "namespaces/idmap.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fsutil.h"

int idmap_write_map(pid_t pid, const char *file, const struct spec_id_mapping *m, size_t n,
		    struct hull_error *err)
{
	char path[64], buf[4096];
	size_t off = 0;

	for (size_t i = 0; i < n; i++) {
		int w = snprintf(buf + off, sizeof(buf) - off, "%u %u %u\n",
				 m[i].container_id, m[i].host_id, m[i].size);

		if (w < 0 || (size_t)w >= sizeof(buf) - off)
			return hull_error_set(err, E2BIG, "%s: too many mappings", file);
		off += (size_t)w;
	}
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	return fs_write_file(path, buf, off, err);
}

/* A user namespace with these mappings, as an fd.  It needs a process to
 * be made and mapped: a child that unshares nothing else and waits on a
 * pipe until we hold the namespace's fd, then exits. */
static int userns_fd(const struct spec_id_mapping *uids, size_t n_uids,
		     const struct spec_id_mapping *gids, size_t n_gids, struct hull_error *err)
{
	int pipefd[2];
	char path[64];
	pid_t pid;
	int fd = -1, status;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return hull_error_errno(err, "pipe");
	pid = (pid_t)syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, NULL);
	if (pid == 0) {
		char c;

		close(pipefd[1]);
		/* EOF once the parent is done with us. */
		while (read(pipefd[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(pipefd[0]);
	if (pid < 0) {
		close(pipefd[1]);
		return hull_error_errno(err, "clone(CLONE_NEWUSER)");
	}
	if (idmap_write_map(pid, "uid_map", uids, n_uids, err) < 0 ||
	    idmap_write_map(pid, "gid_map", gids, n_gids, err) < 0) {
		hull_error_prefix(err, "writing the mapping");
	} else {
		snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			hull_error_errno(err, "open %s", path);
	}
	close(pipefd[1]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return fd;
}

static int idmap_one(const struct spec *s, const struct spec_mount *m, const char *bundle,
		     struct hull_error *err)
{
	const struct spec_linux *l = &s->linux;
	bool own = m->n_uid_mappings > 0;
	autoclose int ns = -1;
	autoclose int tree = -1;
	char src[PATH_MAX];
	struct mount_attr a = { .attr_set = MOUNT_ATTR_IDMAP };

	/* Without its own mappings the mount maps as the container does
	 * (checked at parse time: then a new user namespace has them). */
	ns = userns_fd(own ? m->uid_mappings : l->uid_mappings,
		       own ? m->n_uid_mappings : l->n_uid_mappings,
		       own ? m->gid_mappings : l->gid_mappings,
		       own ? m->n_gid_mappings : l->n_gid_mappings, err);
	if (ns < 0)
		return -1;
	if (m->source[0] == '/')
		snprintf(src, sizeof(src), "%s", m->source);
	else
		snprintf(src, sizeof(src), "%s/%s", bundle, m->source);
	tree = open_tree(AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
			 (m->recursive ? AT_RECURSIVE : 0));
	if (tree < 0)
		return hull_error_errno(err, "bind source %s", src);
	a.userns_fd = (uint64_t)ns;
	/* idmap maps the top mount; ridmap every mount of an rbind. */
	if (mount_setattr(tree, "", AT_EMPTY_PATH | (m->idmap_recursive ? AT_RECURSIVE : 0),
			  &a, sizeof(a)) < 0)
		return hull_error_errno(err, "idmapping %s (mount_setattr MOUNT_ATTR_IDMAP)", src);
	return steal_fd(&tree);
}

int idmap_mounts_prepare(const struct spec *s, const char *bundle, int **fds_out,
			 struct hull_error *err)
{
	int *fds = NULL;

	*fds_out = NULL;
	for (size_t i = 0; i < s->n_mounts; i++) {
		if (!s->mounts[i].idmap)
			continue;
		if (fds == NULL) {
			fds = malloc(s->n_mounts * sizeof(*fds));
			if (fds == NULL)
				return hull_error_errno(err, "malloc");
			for (size_t j = 0; j < s->n_mounts; j++)
				fds[j] = -1;
		}
		fds[i] = idmap_one(s, &s->mounts[i], bundle, err);
		if (fds[i] < 0) {
			idmap_mounts_free(fds, s->n_mounts);
			return hull_error_prefix(err, "mounts[%zu]", i);
		}
	}
	*fds_out = fds;
	return 0;
}

void idmap_mounts_free(int *fds, size_t n)
{
	if (fds == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
}
