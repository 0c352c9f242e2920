/* VM containers' networking (runtime/backend_vm_net.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/fsutil.h"
#include "netns/vmtap.h"
#include "runtime/backend_vm_net.h"
#include "vmm/guest_image.h"

#define VM_NET_NOTE "vm-net"
#define VM_ETC_MAX (64 * 1024)

static const char *const etc_files[] = { "/etc/resolv.conf", "/etc/hosts", "/etc/hostname" };

bool vm_net_etc_mount(const struct spec_mount *m)
{
	if (!m->bind || m->source == NULL)
		return false;
	for (size_t i = 0; i < sizeof(etc_files) / sizeof(etc_files[0]); i++)
		if (strcmp(m->destination, etc_files[i]) == 0)
			return true;
	return false;
}

/* The bind target made in the rootfs when missing (empty), as the Linux
 * backend does before its read-only remount: a read-only root disk is made
 * from this directory, and the guest can only mount over what exists.
 * Never through a symlink: the rootfs is the image's. */
static int make_target(const char *root, const char *dest, struct hull_error *err)
{
	autoclose int rfd = open(root, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	autoclose int dfd = -1;
	int fd;

	if (rfd < 0)
		return hull_error_errno(err, "root.path %s", root);
	/* dest is "/etc/<name>" (etc_files). */
	dfd = openat(rfd, "etc", O_DIRECTORY | O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0 && errno == ENOENT) {
		if (mkdirat(rfd, "etc", 0755) < 0 && errno != EEXIST)
			return hull_error_errno(err, "mkdir %s/etc", root);
		dfd = openat(rfd, "etc", O_DIRECTORY | O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (dfd < 0)
		return hull_error_errno(err, "%s/etc (not a directory?)", root);
	fd = openat(dfd, dest + 5, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0 && errno != ELOOP)
		return hull_error_errno(err, "creating the mount target %s in the rootfs", dest);
	if (fd >= 0)
		close(fd);
	return 0;
}

int vm_net_agent_files(const struct spec *s, char *buf, size_t max, struct hull_error *err)
{
	for (size_t i = 0; i < s->n_mounts; i++) {
		const struct spec_mount *m = &s->mounts[i];
		autofree char *text = NULL;
		size_t len = 0;
		struct stat st;

		if (!vm_net_etc_mount(m))
			continue;
		/* A file the bundle (or its engine) made, copied as it is now:
		 * the guest cannot see the host's, and these are written once
		 * before the container starts. */
		if (stat(m->source, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > VM_ETC_MAX)
			return hull_error_set(err, EINVAL, "mounts[%zu] (%s on %s): VM mode copies "
					      "this file into the guest: it must be a regular file "
					      "of at most %d bytes", i, m->source, m->destination,
					      VM_ETC_MAX);
		if (fs_read_file(m->source, &text, &len, err) < 0)
			return hull_error_prefix(err, "mounts[%zu]", i);
		if (s->root_path && make_target(s->root_path, m->destination, err) < 0)
			return hull_error_prefix(err, "mounts[%zu]", i);
		if (strlen(buf) + strlen(m->destination) + 3 * len + 16 >= max)
			return hull_error_set(err, E2BIG, "mounts[%zu]: %s too large for the VM agent",
					      i, m->source);
		strcat(buf, "etcfile ");
		if (vmm_agent_escape(buf, max - 1, m->destination) < 0)
			return hull_error_set(err, E2BIG, "mounts[%zu]", i);
		strcat(buf, " ");
		if (vmm_agent_escape(buf, max - 1, text) < 0)
			return hull_error_set(err, E2BIG, "mounts[%zu]", i);
		strcat(buf, "\n");
	}
	return 0;
}

static int write_note(const char *state_dir, const char *ns_path, const char *ifname,
		      struct hull_error *err)
{
	char path[4200];
	autofree char *text = NULL;
	int fd, n;

	if (asprintf(&text, "%s\n%s\n", ns_path, ifname) < 0)
		return hull_error_errno(err, "asprintf");
	snprintf(path, sizeof(path), "%s/" VM_NET_NOTE, state_dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return hull_error_errno(err, "open %s", path);
	n = (int)write(fd, text, strlen(text));
	close(fd);
	if (n != (int)strlen(text))
		return hull_error_errno(err, "write %s", path);
	return 0;
}

int vm_net_open(const struct spec *s, const char *state_dir, struct vmm_config *cfg,
		char *cmdline, size_t n, struct hull_error *err)
{
	const char *ns_path = s->linux.ns[NS_NET].path;
	struct vmtap_link l;
	int r, fd;

	/* No namespace of its own: the monitor is in the host's, whose
	 * interfaces are never the guest's to take. */
	if (!s->linux.ns[NS_NET].enabled)
		return 0;
	r = vmtap_find(&l, err);
	if (r <= 0)
		return r < 0 ? hull_error_prefix(err, "vm network") : 0;
	/* Noted before anything is made, so a failure below still gets
	 * cleaned up by delete. */
	if (ns_path && write_note(state_dir, ns_path, l.ifname, err) < 0)
		return -1;
	fd = vmtap_open(&l, err);
	if (fd < 0)
		return hull_error_prefix(err, "vm network (interface %s)", l.ifname);
	cfg->net_tap_fd = fd;
	memcpy(cfg->net_mac, l.mac, 6);
	cfg->net_mtu = l.mtu <= 65535 ? (uint16_t)l.mtu : 0;
	cfg->net_no_offloads = getenv("HULL_VM_NET_NO_OFFLOADS") != NULL;
	if (vmtap_cmdline(&l, cmdline, n) < 0)
		return hull_error_set(err, E2BIG, "vm network: too many addresses for the command line");
	return 0;
}

void vm_net_cleanup(const char *state_dir)
{
	char path[4200], *nl;
	autofree char *text = NULL;
	struct hull_error e = { 0 };
	size_t len;
	int nsfd;

	snprintf(path, sizeof(path), "%s/" VM_NET_NOTE, state_dir);
	if (fs_read_file(path, &text, &len, &e) < 0)
		return;
	nl = strchr(text, '\n');
	if (nl && strchr(nl + 1, '\n')) {
		*nl = '\0';
		*strchr(nl + 1, '\n') = '\0';
		/* The namespace may be gone with its owner: nothing to undo. */
		nsfd = open(text, O_RDONLY | O_CLOEXEC);
		if (nsfd >= 0) {
			vmtap_undo(nsfd, nl + 1, &e);
			close(nsfd);
		}
	}
	unlink(path);
}
