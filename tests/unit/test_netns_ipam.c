/* Unit tests of netns/ipam: which address a container gets, exhaustion,
 * the lease file format.  Pure; no root. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netns/ipam.h"

static int failures;

#define CHECK(cond, ...) do { \
	if (cond) { printf("ok - " __VA_ARGS__); printf("\n"); } \
	else { printf("not ok - " __VA_ARGS__); printf("\n"); failures++; } \
} while (0)

static struct ipam_lease lease(const char *addr, const char *key)
{
	struct ipam_lease l;
	struct hull_error err = { 0 };

	memset(&l, 0, sizeof(l));
	net_addr_parse(addr, &l.addr, &err);
	snprintf(l.key, sizeof(l.key), "%s", key);
	return l;
}

static const char *pick(const char *subnet, const char *gw, struct ipam_lease *l, size_t n,
			char *buf, struct hull_error *err)
{
	struct net_cidr c;
	struct net_addr g, out;

	hull_error_clear(err);
	net_cidr_parse(subnet, &c, err);
	if (gw)
		net_addr_parse(gw, &g, err);
	if (ipam_pick(&c, gw ? &g : NULL, l, n, &out, err) < 0)
		return "error";
	return net_addr_format(&out, buf);
}

int main(void)
{
	struct hull_error err = { 0 };
	struct ipam_lease l[300];
	char buf[64];
	size_t n = 0;

	CHECK(strcmp(pick("10.1.0.0/24", "10.1.0.1", l, 0, buf, &err), "10.1.0.2") == 0,
	      "first address after the gateway");
	l[n++] = lease("10.1.0.2", "aaaaaaaaaa");
	l[n++] = lease("10.1.0.4", "bbbbbbbbbb");
	CHECK(strcmp(pick("10.1.0.0/24", "10.1.0.1", l, n, buf, &err), "10.1.0.3") == 0,
	      "a hole left by a released lease is reused");
	CHECK(strcmp(pick("10.1.0.0/24", NULL, l, n, buf, &err), "10.1.0.1") == 0,
	      "without a gateway .1 is a host address");
	CHECK(strcmp(pick("10.1.0.0/30", "10.1.0.1", l, 0, buf, &err), "10.1.0.2") == 0,
	      "a /30 has one address besides the gateway");
	n = 0;
	l[n++] = lease("10.1.0.2", "aaaaaaaaaa");
	CHECK(strcmp(pick("10.1.0.0/30", "10.1.0.1", l, n, buf, &err), "error") == 0 &&
	      strstr(err.msg, "10.1.0.0/30 is exhausted"), "a full /30 is exhausted, not its broadcast (%s)", err.msg);
	CHECK(strcmp(pick("10.1.0.0/31", NULL, l, 0, buf, &err), "error") == 0, "a /31 has no host address");
	/* Fill a /24: 253 leases after the gateway, then exhausted. */
	n = 0;
	for (int i = 2; i < 255; i++) {
		char a[32];

		snprintf(a, sizeof(a), "10.2.0.%d", i);
		l[n++] = lease(a, "cccccccccc");
	}
	CHECK(strcmp(pick("10.2.0.0/24", "10.2.0.1", l, n, buf, &err), "error") == 0,
	      "a /24 with 253 leases is exhausted");
	n--;
	CHECK(strcmp(pick("10.2.0.0/24", "10.2.0.1", l, n, buf, &err), "10.2.0.254") == 0,
	      "the last host address is handed out, the broadcast never");
	CHECK(strcmp(pick("fd00:5::/64", "fd00:5::1", l, 0, buf, &err), "fd00:5::2") == 0,
	      "IPv6: first address after the gateway");
	n = 0;
	l[n++] = lease("fd00:5::2", "dddddddddd");
	CHECK(strcmp(pick("fd00:5::/64", "fd00:5::1", l, n, buf, &err), "fd00:5::3") == 0,
	      "IPv6: leases are skipped without scanning the /64");
	{
		/* The lease directory: symlinks address -> key. */
		char dir[64] = "/tmp/hull-ipam-test.XXXXXX";
		struct ipam_lease *p = NULL;
		size_t pn = 0, released = 0;

		CHECK(mkdtemp(dir) != NULL, "temp dir");
		strcat(dir, "/");
		strcat(dir, "net");
		CHECK(ipam_read(dir, &p, &pn, &err) == 0 && pn == 0, "a missing lease dir has no leases");
		free(p);
		n = 0;
		l[n++] = lease("10.1.0.2", "aaaaaaaaaa");
		l[n++] = lease("fd00::9", "bbbbbbbbbb");
		l[n++] = lease("10.1.0.3", "aaaaaaaaaa");
		for (size_t i = 0; i < n; i++)
			ipam_add(dir, &l[i], &err);
		CHECK(ipam_add(dir, &l[0], &err) < 0 && strstr(err.msg, "leasing 10.1.0.2"),
		      "an address is leased once (%s)", err.msg);
		hull_error_clear(&err);
		CHECK(ipam_read(dir, &p, &pn, &err) == 0 && pn == 3, "three leases read back");
		free(p);
		CHECK(ipam_release(dir, "aaaaaaaaaa", &released, &err) == 0 && released == 2,
		      "releasing a key gives back all of its leases");
		CHECK(ipam_read(dir, &p, &pn, &err) == 0 && pn == 1 && strcmp(p[0].key, "bbbbbbbbbb") == 0 &&
		      net_addr_equal(&p[0].addr, &l[1].addr), "the other key's lease stays");
		free(p);
		ipam_release(dir, "bbbbbbbbbb", NULL, &err);
		rmdir(dir);
		*strrchr(dir, '/') = '\0';
		CHECK(rmdir(dir) == 0, "nothing left in the temp dir");
	}
	printf("1..%s\n", failures ? "FAILED" : "done");
	return failures ? 1 : 0;
}
