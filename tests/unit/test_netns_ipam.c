/* Unit tests of netns/ipam: which address a container gets, exhaustion,
 * the lease file format.  Pure; no root. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
		struct ipam_lease *p = NULL;
		size_t pn = 0;
		char *text;

		n = 0;
		l[n++] = lease("10.1.0.2", "aaaaaaaaaa");
		l[n++] = lease("fd00::9", "bbbbbbbbbb");
		text = ipam_format(l, n);
		CHECK(text && ipam_parse(text, &p, &pn, &err) == 0 && pn == 2 &&
		      net_addr_equal(&p[1].addr, &l[1].addr) && strcmp(p[1].key, "bbbbbbbbbb") == 0,
		      "lease file round-trips");
		free(text);
		free(p);
		p = NULL;
		CHECK(ipam_parse("10.1.0.2\n", &p, &pn, &err) < 0 && strstr(err.msg, "line 1"),
		      "a line without a key is an error naming the line");
		hull_error_clear(&err);
		CHECK(ipam_parse("", &p, &pn, &err) == 0 && pn == 0, "an empty file has no leases");
		free(p);
	}
	printf("1..%s\n", failures ? "FAILED" : "done");
	return failures ? 1 : 0;
}
