/* linux.sysctl keys: which ones a container may set.
 *
 * The runtime writes sysctls as root in the container's namespaces.  A key
 * that no namespace isolates (kernel.core_pattern, vm.*) would change the
 * host: kernel.core_pattern alone runs a program of the config's choosing
 * as host root.  So, as runc and crun do, only keys that a namespace of the
 * container holds are accepted, and only when the config gives the
 * container that namespace (not the host's). */
#include "oci/spec.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static bool has_prefix(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

/* The namespace that isolates key, or -1 when none does. */
static int sysctl_namespace(const char *key)
{
	if (has_prefix(key, "net."))
		return NS_NET;
	if (has_prefix(key, "kernel.msg") || has_prefix(key, "kernel.shm") ||
	    strcmp(key, "kernel.sem") == 0 || strcmp(key, "kernel.sem_next_id") == 0 ||
	    has_prefix(key, "fs.mqueue."))
		return NS_IPC;
	if (strcmp(key, "kernel.hostname") == 0 || strcmp(key, "kernel.domainname") == 0)
		return NS_UTS;
	return -1;
}

/* A key is dot-separated names: no empty component (which "..", a leading
 * or a trailing dot make), no "/" (the key becomes a path under
 * /proc/sys). */
static bool valid_key(const char *key)
{
	size_t n = strlen(key);

	return n > 0 && key[0] != '.' && key[n - 1] != '.' && strstr(key, "..") == NULL &&
	       strchr(key, '/') == NULL;
}

/* Joining a namespace by path isolates only if that namespace is not the
 * runtime's own (runc refuses net.* in the host's netns the same way). */
static bool is_host_namespace(const char *path, enum spec_ns_type t)
{
	static const char *const self[NS_COUNT] = {
		[NS_NET] = "/proc/self/ns/net", [NS_IPC] = "/proc/self/ns/ipc",
		[NS_UTS] = "/proc/self/ns/uts",
	};
	struct stat a, b;

	if (self[t] == NULL || stat(path, &a) < 0 || stat(self[t], &b) < 0)
		return false; /* a bad path is reported when it is joined */
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int spec_check_sysctl(const struct spec_linux *l, struct hull_error *err)
{
	for (size_t i = 0; i < l->n_sysctl; i++) {
		const char *k = l->sysctl_keys[i];
		int ns;

		if (!valid_key(k))
			return hull_error_set(err, EINVAL, "linux.sysctl.%s: invalid key", k);
		ns = sysctl_namespace(k);
		if (ns < 0)
			return hull_error_set(err, EINVAL,
					      "linux.sysctl.%s: not isolated by any namespace, it would change the host (only net.*, the IPC keys kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.*, and kernel.hostname/domainname are allowed)",
					      k);
		if (!l->ns[ns].enabled)
			return hull_error_set(err, EINVAL,
					      "linux.sysctl.%s: needs a new %s namespace in linux.namespaces",
					      k, spec_ns_name((enum spec_ns_type)ns));
		if (l->ns[ns].path && is_host_namespace(l->ns[ns].path, (enum spec_ns_type)ns))
			return hull_error_set(err, EINVAL,
					      "linux.sysctl.%s: the %s namespace %s is the host's",
					      k, spec_ns_name((enum spec_ns_type)ns), l->ns[ns].path);
	}
	return 0;
}
