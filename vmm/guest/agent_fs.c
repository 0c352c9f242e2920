/* hull-agent: the container's shared mounts (virtio-fs).  The host shares
 * one tree per VM (runtime/backend_vm_fs.c) whose entry N is mounts[]'s
 * N-th bind mount, already read-only on the host where asked.  Config:
 *
 *   fs TAG                 mount the virtio-fs device TAG (once)
 *   bind N FLAGS DEST      bind entry N onto DEST in the container root,
 *                          then remount it with FLAGS (MS_* in hex: ro,
 *                          nosuid, nodev, noexec, atime flags)
 *
 * Done before switching into the root, so the tree's own mount point
 * stays in the initramfs, out of the workload's reach. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <fcntl.h>

#define MAX_BINDS 64
#define TREE "/hull-fs"

static char *tag;
static struct { unsigned int entry; unsigned long flags; char *dest; } binds[MAX_BINDS];
static int nbinds;
static char errbuf[600];

void agent_fs_tag(char *t);
int agent_fs_bind(const char *entry, const char *flags, char *dest);
const char *agent_fs_mount(const char *root);

void agent_fs_tag(char *t)
{
	tag = t;
}

int agent_fs_bind(const char *entry, const char *flags, char *dest)
{
	if (nbinds >= MAX_BINDS || dest[0] != '/')
		return -1;
	binds[nbinds].entry = (unsigned int)strtoul(entry, NULL, 10);
	binds[nbinds].flags = strtoul(flags, NULL, 16);
	binds[nbinds].dest = dest;
	nbinds++;
	return 0;
}

/* mkdir -p for path's components (the last too when dir). */
static int make_path(char *path, bool dir)
{
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST) {
			*p = '/';
			return -1;
		}
		*p = '/';
	}
	if (dir)
		return mkdir(path, 0755) < 0 && errno != EEXIST ? -1 : 0;
	/* An existing file is the mount point as it is (opening it for
	 * writing would fail on a read-only root). */
	if (access(path, F_OK) == 0)
		return 0;
	{
		int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);

		if (fd < 0)
			return -1;
		close(fd);
	}
	return 0;
}

/* "WHAT PATH"; errno is kept for the caller's fail(), which adds it. */
static const char *failed(const char *what, const char *path)
{
	int e = errno;

	snprintf(errbuf, sizeof(errbuf), "%s %s", what, path);
	errno = e;
	return errbuf;
}

const char *agent_fs_mount(const char *root)
{
	char src[64], dst[4200];
	struct stat st;

	if (tag == NULL)
		return NULL;
	mkdir(TREE, 0755);
	if (mount(tag, TREE, "virtiofs", MS_NOSUID | MS_NODEV, NULL) < 0)
		return failed("mount virtiofs", tag);
	for (int i = 0; i < nbinds; i++) {
		snprintf(src, sizeof(src), TREE "/%u", binds[i].entry);
		snprintf(dst, sizeof(dst), "%s%s", root, binds[i].dest);
		if (stat(src, &st) < 0)
			return failed("shared entry", src);
		/* Missing mount points are made, as in container mode (not
		 * possible on a read-only root: then the error says so). */
		if (make_path(dst, S_ISDIR(st.st_mode)) < 0 && errno != EEXIST)
			return failed("mount point", binds[i].dest);
		if (mount(src, dst, NULL, MS_BIND, NULL) < 0)
			return failed("bind mount on", binds[i].dest);
		if (binds[i].flags &&
		    mount(NULL, dst, NULL, MS_BIND | MS_REMOUNT | binds[i].flags, NULL) < 0)
			return failed("mount flags on", binds[i].dest);
	}
	/* The binds keep the file system; the tree's mount point goes. */
	if (umount2(TREE, MNT_DETACH) < 0)
		return failed("unmount", TREE);
	return NULL;
}
