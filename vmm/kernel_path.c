/* Where Hull finds the guest kernel when none is named: see vmm.h. */
#include "vmm/vmm.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"

static bool is_file(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* Newest <cache>/<hash>/vmlinux (the PVH entry skips decompression). */
static bool newest_cached(const char *cache, char *out, size_t n)
{
	autoclosedir DIR *d = opendir(cache);
	struct dirent *e;
	time_t best = 0;
	bool found = false;

	if (d == NULL)
		return false;
	while ((e = readdir(d)) != NULL) {
		char p[4096];
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		/* Only finished outputs: build-kernel.sh writes config last
		 * into <hash>/ by renaming the directory into place. */
		snprintf(p, sizeof(p), "%s/%s/config", cache, e->d_name);
		if (!is_file(p))
			continue;
		snprintf(p, sizeof(p), "%s/%s/vmlinux", cache, e->d_name);
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode) && st.st_mtime >= best &&
		    strlen(p) < n) {
			best = st.st_mtime;
			strcpy(out, p);
			found = true;
		}
	}
	return found;
}

int vmm_find_kernel(const char *override, char *out, size_t n, struct hull_error *err)
{
	static const char *const fixed[] = {
		"/usr/local/lib/hull/vmlinux", "/usr/local/lib/hull/bzImage",
		"/usr/lib/hull/vmlinux", "/usr/lib/hull/bzImage",
	};
	const char *env = getenv("HULL_VM_KERNEL");

	if (override == NULL && env && *env)
		override = env;
	if (override) {
		if (!is_file(override))
			return hull_error_set(err, ENOENT, "guest kernel %s: not a file", override);
		if (strlen(override) >= n)
			return hull_error_set(err, ENAMETOOLONG, "guest kernel path too long");
		strcpy(out, override);
		return 0;
	}
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (is_file(fixed[i]) && strlen(fixed[i]) < n) {
			strcpy(out, fixed[i]);
			return 0;
		}
	if (newest_cached(VMM_KERNEL_CACHE, out, n))
		return 0;
	return hull_error_set(err, ENOENT, "no guest kernel: pass --vm-kernel, set HULL_VM_KERNEL, "
			      "install one as /usr/lib/hull/vmlinux, or run `make vm-kernel`");
}
