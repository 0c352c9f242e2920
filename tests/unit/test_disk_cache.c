/* The microVM root-disk cache (vmm/disk_cache.c) on a temp tree: a hit
 * reuses the image, any change to the tree (content, mode, a new file)
 * makes a new one, the image holds the tree, and old images are evicted.
 * Needs mkfs.ext4 and debugfs (e2fsprogs); says so and skips without. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/guest_image.h"

static int failures, n;
static char dir[] = "/tmp/hull-test-disks-XXXXXX";
static char tree[512], cache[512];

#define CHECK(cond, ...) do { \
	n++; \
	if (cond) { printf("ok %d - ", n); printf(__VA_ARGS__); printf("\n"); } \
	else { failures++; printf("not ok %d - ", n); printf(__VA_ARGS__); printf("  (%s:%d)\n", __FILE__, __LINE__); } \
} while (0)

static void put(const char *rel, const char *text)
{
	char p[1024];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", tree, rel);
	f = fopen(p, "w");
	if (f == NULL) {
		perror(p);
		exit(1);
	}
	fputs(text, f);
	fclose(f);
}

static int cached(char *out, size_t len)
{
	struct hull_error err = { 0 };
	int r = vmm_rootfs_cached(tree, cache, out, len, &err);

	if (r < 0)
		printf("# vmm_rootfs_cached: %s\n", err.msg);
	return r;
}

static ino_t inode_of(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 ? st.st_ino : 0;
}

static int count_images(void)
{
	char cmd[1024];
	FILE *f;
	int c = -1;

	snprintf(cmd, sizeof(cmd), "ls %s/*.ext4 2>/dev/null | wc -l", cache);
	f = popen(cmd, "r");
	if (f && fscanf(f, "%d", &c) != 1)
		c = -1;
	if (f)
		pclose(f);
	return c;
}

/* The file's contents inside the image, read with debugfs. */
static bool image_has(const char *img, const char *path, const char *want)
{
	char cmd[2048], buf[256] = "";
	FILE *f;
	size_t len;

	snprintf(cmd, sizeof(cmd), "debugfs -R 'cat %s' %s 2>/dev/null", path, img);
	f = popen(cmd, "r");
	if (f == NULL)
		return false;
	len = fread(buf, 1, sizeof(buf) - 1, f);
	buf[len] = '\0';
	pclose(f);
	return strcmp(buf, want) == 0;
}

int main(void)
{
	char a[4096], b[4096], c[4096];
	char p[1024];

	if (system("command -v mkfs.ext4 >/dev/null && command -v debugfs >/dev/null") != 0) {
		printf("1..0 # skip needs mkfs.ext4 and debugfs (apt-get install e2fsprogs)\n");
		return 0;
	}
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(tree, sizeof(tree), "%s/rootfs", dir);
	snprintf(cache, sizeof(cache), "%s/cache", dir);
	mkdir(tree, 0755);
	snprintf(p, sizeof(p), "%s/etc", tree);
	mkdir(p, 0755);
	put("etc/marker", "one\n");

	CHECK(cached(a, sizeof(a)) == 0, "a miss makes an image");
	CHECK(image_has(a, "/etc/marker", "one\n"), "the image holds the tree's files");
	CHECK(cached(b, sizeof(b)) == 0 && strcmp(a, b) == 0 && inode_of(a) == inode_of(b),
	      "the same tree again is a hit on the same image");
	CHECK(count_images() == 1, "one image in the cache");

	/* Same size and, with the old times put back, the same mtime: only
	 * ctime tells (and nothing can set that back). */
	{
		struct stat st;
		struct timespec times[2];

		snprintf(p, sizeof(p), "%s/etc/marker", tree);
		stat(p, &st);
		times[0] = st.st_atim;
		times[1] = st.st_mtim;
		put("etc/marker", "two\n");
		utimensat(AT_FDCWD, p, times, 0);
		stat(p, &st);
		CHECK(st.st_mtim.tv_sec == times[1].tv_sec && st.st_mtim.tv_nsec == times[1].tv_nsec,
		      "(setup) the rewritten file has its old mtime");
	}
	CHECK(cached(c, sizeof(c)) == 0 && strcmp(a, c) != 0, "changed content (mtime reset) is a new key");
	CHECK(image_has(c, "/etc/marker", "two\n"), "the new image holds the new content");

	snprintf(p, sizeof(p), "%s/etc/marker", tree);
	chmod(p, 0600);
	CHECK(cached(b, sizeof(b)) == 0 && strcmp(b, c) != 0, "a mode change is a new key");

	put("etc/extra", "x");
	CHECK(cached(a, sizeof(a)) == 0 && strcmp(a, b) != 0, "a new file is a new key");

	/* Eviction: ten more distinct trees leave the newest eight. */
	for (int i = 0; i < 10; i++) {
		char name[32];

		snprintf(name, sizeof(name), "etc/f%d", i);
		put(name, "y");
		cached(a, sizeof(a));
	}
	CHECK(count_images() == 8, "the cache keeps the newest 8 images (has %d)", count_images());
	CHECK(access(a, R_OK) == 0, "the newest image is kept");

	{
		struct hull_error err = { 0 };

		CHECK(vmm_rootfs_cached("/nonexistent/rootfs", cache, a, sizeof(a), &err) < 0 &&
		      strstr(err.msg, "/nonexistent/rootfs") != NULL,
		      "a missing rootfs is an error naming it");
	}
	snprintf(p, sizeof(p), "rm -rf %s", dir);
	if (system(p) != 0)
		printf("# cleanup of %s failed\n", dir);
	printf("1..%d\n", n);
	return failures ? 1 : 0;
}
