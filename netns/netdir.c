/* The network state directory and its one lock. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "base/fsutil.h"
#include "base/hash.h"
#include "netns/internal.h"

void netns_key(const char *owner_dir, char out[NETNS_KEY_LEN + 1])
{
	snprintf(out, NETNS_KEY_LEN + 1, "%010llx",
		 (unsigned long long)(hull_fnv1a(owner_dir) & UINT64_C(0xffffffffff)));
}

void netdir_tag(const char *netdir, char out[16])
{
	snprintf(out, 16, "h%06llx", (unsigned long long)(hull_fnv1a(netdir) & 0xffffff));
}

char *netdir_path(const char *netdir, const char *sub, const char *name, const char *ext)
{
	char *p = NULL;

	if (asprintf(&p, "%s%s%s%s%s%s", netdir, sub ? "/" : "", sub ? sub : "",
		     name ? "/" : "", name ? name : "", ext ? ext : "") < 0)
		return NULL;
	return p;
}

int netdir_lock(const char *netdir, struct hull_error *err)
{
	static const char *const subs[] = { "networks", "leases", "attach" };
	char path[4200];
	int fd;

	if (netdir[0] != '/')
		return hull_error_set(err, EINVAL, "network state dir \"%s\" is not absolute", netdir);
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", netdir, subs[i]);
		if (fs_mkdir_p(path, 0700, err) < 0)
			return -1;
	}
	snprintf(path, sizeof(path), "%s/lock", netdir);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
		return hull_error_errno(err, "open %s", path);
	/* Serializes IPAM, records and definitions between Hull processes. */
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR) {
			close(fd);
			return hull_error_errno(err, "flock %s", path);
		}
	return fd;
}

int netns_sysctl(const char *path, const char *value, struct hull_error *err)
{
	char cur[32] = "";
	FILE *f = fopen(path, "r");

	/* Skip the write when it is already so: cheaper, and works where
	 * /proc/sys is read-only but already configured. */
	if (f) {
		if (fgets(cur, sizeof(cur), f) == NULL)
			cur[0] = '\0';
		fclose(f);
		cur[strcspn(cur, "\n")] = '\0';
		if (strcmp(cur, value) == 0)
			return 0;
	}
	return fs_write_file(path, value, strlen(value), err);
}
