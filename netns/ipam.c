/* IPAM (see ipam.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "netns/ipam.h"

static bool leased(const struct ipam_lease *l, size_t n, const struct net_addr *a)
{
	for (size_t i = 0; i < n; i++)
		if (net_addr_equal(&l[i].addr, a))
			return true;
	return false;
}

int ipam_pick(const struct net_cidr *subnet, const struct net_addr *gw,
	      const struct ipam_lease *leases, size_t n, struct net_addr *out,
	      struct hull_error *err)
{
	unsigned int hb = net_cidr_host_bits(subnet);
	bool v4 = subnet->addr.family == AF_INET;
	/* Last usable index: the v4 broadcast address is excluded.  Past
	 * n + 2 candidates one is free by pigeonhole, so a v6 /64 is not
	 * scanned to its end. */
	uint64_t last = hb >= 63 ? UINT64_MAX - 1 : (UINT64_C(1) << hb) - (v4 ? 2 : 1);
	char c[NET_ADDR_STRLEN + 8];

	if (!v4 || hb >= 2)
		for (uint64_t i = 1; i <= last && i <= (uint64_t)n + 2; i++) {
			struct net_addr a;

			if (net_cidr_nth(subnet, i, &a) < 0)
				break;
			if ((gw && net_addr_equal(gw, &a)) || leased(leases, n, &a))
				continue;
			*out = a;
			return 0;
		}
	return hull_error_set(err, ENOSPC, "subnet %s is exhausted (%zu addresses leased)",
			      net_cidr_format(subnet, c, sizeof(c)), n);
}

int ipam_read(const char *dir, struct ipam_lease **out, size_t *n,
	      struct hull_error *err)
{
	autoclosedir DIR *d = opendir(dir);
	struct ipam_lease *v = NULL;
	struct dirent *e;
	size_t cnt = 0;

	*out = NULL;
	*n = 0;
	if (d == NULL)
		return errno == ENOENT ? 0 : hull_error_errno(err, "opendir %s", dir);
	while ((e = readdir(d)) != NULL) {
		struct ipam_lease l;
		struct hull_error ignored = { 0 };
		ssize_t len;

		if (e->d_name[0] == '.' || net_addr_parse(e->d_name, &l.addr, &ignored) < 0)
			continue;
		len = readlinkat(dirfd(d), e->d_name, l.key, sizeof(l.key) - 1);
		if (len <= 0)
			continue;
		l.key[len] = '\0';
		struct ipam_lease *nv = realloc(v, (cnt + 1) * sizeof(*v));

		if (nv == NULL) {
			free(v);
			return hull_error_errno(err, "realloc");
		}
		v = nv;
		v[cnt++] = l;
	}
	*out = v;
	*n = cnt;
	return 0;
}

int ipam_add(const char *dir, const struct ipam_lease *l, struct hull_error *err)
{
	char path[4300], a[NET_ADDR_STRLEN];

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return hull_error_errno(err, "mkdir %s", dir);
	snprintf(path, sizeof(path), "%s/%s", dir, net_addr_format(&l->addr, a));
	if (symlink(l->key, path) < 0)
		return hull_error_errno(err, "leasing %s", a);
	return 0;
}

static bool not_key(const char *key, void *arg)
{
	return strcmp(key, arg) != 0;
}

int ipam_release(const char *dir, const char *key, size_t *released,
		 struct hull_error *err)
{
	return ipam_prune(dir, not_key, (void *)key, released, err);
}

int ipam_prune(const char *dir, bool (*keep)(const char *key, void *arg), void *arg,
	       size_t *released, struct hull_error *err)
{
	autofree struct ipam_lease *l = NULL;
	size_t n = 0;

	if (ipam_read(dir, &l, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char path[4300], a[NET_ADDR_STRLEN];

		if (keep(l[i].key, arg))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, net_addr_format(&l[i].addr, a));
		if (unlink(path) < 0 && errno != ENOENT)
			return hull_error_errno(err, "unlink %s", path);
		if (released)
			(*released)++;
	}
	return 0;
}
