/* rootfloor: what an image container's root costs by itself, the floor
 * under `run --image` against a plain bundle.  Does N times, in DIR, the
 * filesystem work images_container_fill does for one container and a
 * plain bundle needs none of:
 *
 *   mkdir DIR/rf.I; its marker file; mkdir upper, work, rootfs;
 *   the overlay mount (LOWERDIRS, upper, work) on rootfs;
 *   config.json (SIZE bytes)
 *
 * and prints the median and p90 of the whole and of the mount alone, in
 * microseconds:
 *
 *   rootfloor DIR LOWERDIRS N [SIZE]
 *   -> "floor N MEDIAN_US P90_US mount MEDIAN_US P90_US"
 *
 * It works in a mount namespace of its own, so its mounts go when it
 * exits, and removes the directories it made.  Both kinds of container
 * then bind their root the same way in the child: that part is not here. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

static int write_file(int dfd, const char *name, const char *data, size_t len)
{
	int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	ssize_t w;

	if (fd < 0)
		return -1;
	w = write(fd, data, len);
	close(fd);
	return w == (ssize_t)len ? 0 : -1;
}

/* One root, as images_container_fill makes it; *mount_ns gets the mount's
 * share. */
static int one(const char *dir, const char *lower, int i, const char *cfg, size_t size,
	       long long *mount_ns)
{
	char d[4096], opts[16384], mnt[4200];
	long long t;
	int dfd;

	snprintf(d, sizeof(d), "%s/rf.%d", dir, i);
	if (mkdir(d, 0700) < 0 || (dfd = open(d, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	if (write_file(dfd, "marker", cfg, 200) < 0 || mkdirat(dfd, "upper", 0755) < 0 ||
	    mkdirat(dfd, "work", 0755) < 0 || mkdirat(dfd, "rootfs", 0755) < 0)
		goto fail;
	snprintf(opts, sizeof(opts), "lowerdir=%s,upperdir=%s/upper,workdir=%s/work", lower, d, d);
	snprintf(mnt, sizeof(mnt), "%s/rootfs", d);
	t = now_ns();
	if (mount("overlay", mnt, "overlay", MS_NODEV, opts) < 0)
		goto fail;
	*mount_ns = now_ns() - t;
	if (write_file(dfd, "config.json", cfg, size) < 0)
		goto fail;
	close(dfd);
	return 0;
fail:
	fprintf(stderr, "rootfloor: %s: %s\n", d, strerror(errno));
	close(dfd);
	return -1;
}

int main(int argc, char **argv)
{
	long long *all, *mnt, t;
	size_t size;
	char *cfg;
	int n, done;

	if (argc < 4 || (n = atoi(argv[3])) < 1) {
		fprintf(stderr, "usage: rootfloor DIR LOWERDIRS N [SIZE]\n");
		return 2;
	}
	size = argc > 4 ? (size_t)atol(argv[4]) : 2048;
	if (size < 200)
		size = 200;
	all = calloc((size_t)n, sizeof(*all));
	mnt = calloc((size_t)n, sizeof(*mnt));
	cfg = malloc(size);
	if (!all || !mnt || !cfg)
		return 1;
	memset(cfg, ' ', size);
	/* the mounts stay in this process's namespace, gone when it exits */
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		perror("rootfloor: a private mount namespace");
		return 1;
	}
	for (done = 0; done < n; done++) {
		t = now_ns();
		if (one(argv[1], argv[2], done, cfg, size, &mnt[done]) < 0)
			break;
		all[done] = now_ns() - t;
	}
	/* unmounted first (a mount point cannot be removed), also after a
	 * failed root: what was made goes either way */
	for (int i = 0; i <= done && i < n; i++) {
		char p[4200];

		snprintf(p, sizeof(p), "%s/rf.%d/rootfs", argv[1], i);
		umount2(p, MNT_DETACH);
	}
	{
		char cmd[4200];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'/rf.*", argv[1]);
		if (system(cmd) != 0)
			fprintf(stderr, "rootfloor: could not remove %s/rf.*\n", argv[1]);
	}
	if (done < n)
		return 1;
	qsort(all, (size_t)n, sizeof(*all), cmp);
	qsort(mnt, (size_t)n, sizeof(*mnt), cmp);
	printf("floor %d %lld %lld mount %lld %lld\n", n, all[n / 2] / 1000, all[n * 9 / 10] / 1000,
	       mnt[n / 2] / 1000, mnt[n * 9 / 10] / 1000);
	return 0;
}
