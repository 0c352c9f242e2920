/* IPAM (see ipam.h). */
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
#include "base/fsutil.h"
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

int ipam_parse(const char *text, struct ipam_lease **out, size_t *n,
	       struct hull_error *err)
{
	struct ipam_lease *v = NULL;
	size_t cnt = 0, line = 0;
	const char *p = text;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char buf[128], addr[64], key[64];
		struct ipam_lease *nv;

		line++;
		if (len == 0 || len >= sizeof(buf))
			goto bad;
		memcpy(buf, p, len);
		buf[len] = '\0';
		if (sscanf(buf, "%63s %63s", addr, key) != 2 || strlen(key) >= IPAM_KEY_MAX)
			goto bad;
		if ((nv = realloc(v, (cnt + 1) * sizeof(*v))) == NULL) {
			free(v);
			return hull_error_errno(err, "realloc");
		}
		v = nv;
		if (net_addr_parse(addr, &v[cnt].addr, err) < 0)
			goto bad;
		snprintf(v[cnt].key, IPAM_KEY_MAX, "%s", key);
		cnt++;
		p += len + (nl ? 1 : 0);
	}
	*out = v;
	*n = cnt;
	return 0;
bad:
	free(v);
	hull_error_clear(err);
	return hull_error_set(err, EINVAL, "lease line %zu is malformed", line);
}

char *ipam_format(const struct ipam_lease *l, size_t n)
{
	size_t cap = n * (NET_ADDR_STRLEN + IPAM_KEY_MAX + 2) + 1, off = 0;
	char *s = malloc(cap), a[NET_ADDR_STRLEN];

	if (s == NULL)
		return NULL;
	s[0] = '\0';
	for (size_t i = 0; i < n; i++)
		off += (size_t)snprintf(s + off, cap - off, "%s %s\n",
					net_addr_format(&l[i].addr, a), l[i].key);
	return s;
}

int ipam_read(const char *path, struct ipam_lease **out, size_t *n,
	      struct hull_error *err)
{
	autofree char *text = NULL;
	size_t len;

	if (access(path, F_OK) < 0 && errno == ENOENT) {
		*out = NULL;
		*n = 0;
		return 0;
	}
	if (fs_read_file(path, &text, &len, err) < 0)
		return -1;
	if (ipam_parse(text, out, n, err) < 0)
		return hull_error_prefix(err, "%s", path);
	return 0;
}

int ipam_write(const char *path, const struct ipam_lease *l, size_t n,
	       struct hull_error *err)
{
	autofree char *text = ipam_format(l, n);
	autofree char *dir = strdup(path);
	autoclose int dfd = -1;
	char *slash;

	if (text == NULL || dir == NULL)
		return hull_error_errno(err, "formatting leases");
	if ((slash = strrchr(dir, '/')) == NULL)
		return hull_error_set(err, EINVAL, "%s: not an absolute path", path);
	*slash = '\0';
	if ((dfd = open(dir, O_DIRECTORY | O_CLOEXEC)) < 0)
		return hull_error_errno(err, "open %s", dir);
	return fs_write_atomic(dfd, slash + 1, text, strlen(text), 0644, err);
}
