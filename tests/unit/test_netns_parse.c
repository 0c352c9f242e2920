/* Unit tests of netns/'s pure parsers: CIDR prefixes, addresses and
 * published-port specs (a table of good and bad inputs, then a fuzz-ish
 * loop of random strings that must never crash and, when accepted, must
 * format back to a spec that parses to the same value).  No root. */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netns/addr.h"

static int failures;

#define CHECK(cond, ...) do { \
	if (cond) { printf("ok - " __VA_ARGS__); printf("\n"); } \
	else { printf("not ok - " __VA_ARGS__); printf("\n"); failures++; } \
} while (0)

static const struct { const char *in; const char *out; } cidr_good[] = {
	{ "10.88.0.0/16", "10.88.0.0/16" },
	{ "0.0.0.0/0", "0.0.0.0/0" },
	{ "192.168.1.4/30", "192.168.1.4/30" },
	{ "10.0.0.1/32", "10.0.0.1/32" },
	{ "fd00:1::/64", "fd00:1::/64" },
	{ "::/0", "::/0" },
};

static const struct { const char *in; const char *msg; } cidr_bad[] = {
	{ "10.0.0.1/24", "did you mean 10.0.0.0/24" },
	{ "10.0.0.0", "not a CIDR" },
	{ "10.0.0.0/", "not a CIDR" },
	{ "10.0.0.0/33", "prefix length must be 0..32" },
	{ "fd00::/129", "prefix length must be 0..128" },
	{ "10.0.0.0/-1", "prefix length" },
	{ "10.0.0.0/2x", "prefix length" },
	{ "10.0.0/8", "not an IPv4 or IPv6" },
	{ "300.0.0.0/8", "not an IPv4 or IPv6" },
	{ "hello/8", "not an IPv4 or IPv6" },
};

/* Static addresses (--ip): text, the prefix it carries, or an error. */
static const struct { const char *in; unsigned int prefix; const char *msg; } ip_cases[] = {
	{ "10.0.0.5", 0, NULL },
	{ "10.0.0.5/24", 24, NULL },
	{ "fd00::5", 0, NULL },
	{ "fd00::5/64", 64, NULL },
	{ "10.0.0.5/0", 0, "prefix length must be 1..32" },
	{ "10.0.0.5/33", 0, "prefix length must be 1..32" },
	{ "fd00::5/129", 0, "prefix length must be 1..128" },
	{ "10.0.0.5/", 0, "prefix length" },
	{ "10.0.0.5/2x", 0, "prefix length" },
	{ "10.0.0/24", 0, "not an IPv4 or IPv6" },
	{ "", 0, "not an IPv4 or IPv6" },
};

static const struct { const char *in; const char *canon; } port_good[] = {
	{ "8080:80", "8080:80/tcp" },
	{ "8080:80/udp", "8080:80/udp" },
	{ "127.0.0.1:8080:80/tcp", "127.0.0.1:8080:80/tcp" },
	{ "8000-8999:8000-8999", "8000-8999:8000-8999/tcp" },
	{ "9000-9002:80-82/udp", "9000-9002:80-82/udp" },
	{ "[::1]:8080:80", "[::1]:8080:80/tcp" },
	{ "65535:1", "65535:1/tcp" },
};

static const struct { const char *in; const char *msg; } port_bad[] = {
	{ "80", "expected [HOSTIP:]" },
	{ "", "expected [HOSTIP:]" },
	{ "0:80", "must be 1..65535" },
	{ "65536:80", "must be 1..65535" },
	{ "8080:80/sctp", "not tcp or udp" },
	{ "8000-7000:80-81", "low to high" },
	{ "8000-8001:80", "differ in length" },
	{ "a:80", "not a number" },
	{ "8080:8x", "not a number" },
	{ "1.2.3:8080:80", "not an IPv4 address" },
	{ "::1:8080:80", "not an IPv4 address" },
	{ "[::1:8080:80", "unbalanced" },
	{ "[1.2.3.4]:8080:80", "not an IPv6 address" },
	{ "8080-:80", "not a number" },
};

static void test_cidr(void)
{
	struct hull_error err = { 0 };
	struct net_cidr c, d;
	struct net_addr a;
	char buf[64];

	for (size_t i = 0; i < sizeof(cidr_good) / sizeof(cidr_good[0]); i++) {
		hull_error_clear(&err);
		CHECK(net_cidr_parse(cidr_good[i].in, &c, &err) == 0 &&
		      strcmp(net_cidr_format(&c, buf, sizeof(buf)), cidr_good[i].out) == 0,
		      "cidr %s parses and formats as %s (%s)", cidr_good[i].in, cidr_good[i].out, err.msg);
	}
	for (size_t i = 0; i < sizeof(cidr_bad) / sizeof(cidr_bad[0]); i++) {
		hull_error_clear(&err);
		CHECK(net_cidr_parse(cidr_bad[i].in, &c, &err) < 0 && strstr(err.msg, cidr_bad[i].msg),
		      "cidr \"%s\" is refused with \"%s\" (got \"%s\")", cidr_bad[i].in, cidr_bad[i].msg, err.msg);
	}
	net_cidr_parse("10.1.0.0/16", &c, &err);
	net_cidr_parse("10.1.2.0/24", &d, &err);
	CHECK(net_cidr_overlap(&c, &d) && net_cidr_overlap(&d, &c), "10.1.0.0/16 overlaps 10.1.2.0/24");
	net_cidr_parse("10.2.0.0/16", &d, &err);
	CHECK(!net_cidr_overlap(&c, &d), "10.1.0.0/16 does not overlap 10.2.0.0/16");
	net_cidr_parse("fd00::/8", &d, &err);
	CHECK(!net_cidr_overlap(&c, &d), "v4 and v6 never overlap");
	net_cidr_parse("10.1.0.0/16", &c, &err);
	CHECK(net_cidr_nth(&c, 258, &a) == 0 && strcmp(net_addr_format(&a, buf), "10.1.1.2") == 0,
	      "the 258th address of 10.1.0.0/16 is 10.1.1.2");
	CHECK(net_cidr_nth(&c, 65536, &a) < 0, "index 65536 is outside a /16");
	CHECK(net_cidr_contains(&c, &a), "10.1.0.0/16 contains 10.1.1.2");
	net_cidr_parse("fd00::/120", &c, &err);
	CHECK(net_cidr_nth(&c, 255, &a) == 0 && strcmp(net_addr_format(&a, buf), "fd00::ff") == 0,
	      "v6 nth carries within the host bits");
}

static void test_ports(void)
{
	struct hull_error err = { 0 };
	struct net_port p, q;
	char buf[128];

	for (size_t i = 0; i < sizeof(port_good) / sizeof(port_good[0]); i++) {
		hull_error_clear(&err);
		CHECK(net_port_parse(port_good[i].in, &p, &err) == 0 &&
		      strcmp(net_port_format(&p, buf, sizeof(buf)), port_good[i].canon) == 0,
		      "port %s is %s (%s)", port_good[i].in, port_good[i].canon, err.msg);
	}
	for (size_t i = 0; i < sizeof(port_bad) / sizeof(port_bad[0]); i++) {
		hull_error_clear(&err);
		CHECK(net_port_parse(port_bad[i].in, &p, &err) < 0 && strstr(err.msg, port_bad[i].msg),
		      "port \"%s\" is refused with \"%s\" (got \"%s\")", port_bad[i].in, port_bad[i].msg, err.msg);
	}
	net_port_parse("8000-8999:8000-8999", &p, &err);
	net_port_parse("8500:80", &q, &err);
	CHECK(net_port_conflict(&p, &q), "8500 conflicts with 8000-8999");
	net_port_parse("8500:80/udp", &q, &err);
	CHECK(!net_port_conflict(&p, &q), "udp does not conflict with tcp");
	net_port_parse("127.0.0.1:9000:80", &p, &err);
	net_port_parse("127.0.0.2:9000:80", &q, &err);
	CHECK(!net_port_conflict(&p, &q), "different host addresses do not conflict");
	net_port_parse("9000:80", &q, &err);
	CHECK(net_port_conflict(&p, &q), "an unspecified host address conflicts with any");
}

/* Random strings over the spec alphabet: no crash, and whatever parses
 * formats to text that parses back to the same value. */
static void fuzz(void)
{
	static const char alpha[] = "0123456789:.-/[]abtcpudx";
	unsigned int seed = 12345;
	int accepted = 0, bad = 0;

	for (int i = 0; i < 200000; i++) {
		char s[32], buf[128];
		size_t len = (size_t)(rand_r(&seed) % 24);
		struct hull_error err = { 0 };
		struct net_port p, q;
		struct net_cidr c, d;

		if (i % 2) {
			for (size_t k = 0; k < len; k++)
				s[k] = alpha[rand_r(&seed) % (sizeof(alpha) - 1)];
			s[len] = '\0';
		} else {
			/* Shaped like a spec, with values around the limits. */
			static const char *const ips[] = { "", "127.0.0.1:", "[::1]:", "1.2.3.4:", "[x]:" };
			static const char *const protos[] = { "", "/tcp", "/udp", "/sctp" };
			unsigned int a = (unsigned int)rand_r(&seed) % 66000, w = (unsigned int)rand_r(&seed) % 3;
			unsigned int b = (unsigned int)rand_r(&seed) % 66000, v = (unsigned int)rand_r(&seed) % 3;
			char h[16], ct[16];

			if (w)
				snprintf(h, sizeof(h), "%u-%u", a, a + w);
			else
				snprintf(h, sizeof(h), "%u", a);
			if (v)
				snprintf(ct, sizeof(ct), "%u-%u", b, b + v);
			else
				snprintf(ct, sizeof(ct), "%u", b);
			snprintf(s, sizeof(s), "%s%s:%s%s", ips[rand_r(&seed) % 5], h, ct,
				 protos[rand_r(&seed) % 4]);
		}
		if (net_port_parse(s, &p, &err) == 0) {
			accepted++;
			hull_error_clear(&err);
			if (net_port_parse(net_port_format(&p, buf, sizeof(buf)), &q, &err) < 0 ||
			    memcmp(&p, &q, sizeof(p)) != 0)
				bad++;
		}
		hull_error_clear(&err);
		if (net_cidr_parse(s, &c, &err) == 0) {
			hull_error_clear(&err);
			if (net_cidr_parse(net_cidr_format(&c, buf, sizeof(buf)), &d, &err) < 0 ||
			    !net_addr_equal(&c.addr, &d.addr) || c.prefix != d.prefix)
				bad++;
		}
	}
	CHECK(bad == 0, "fuzz: 200000 random specs, %d accepted, %d did not round-trip", accepted, bad);
}

static void test_static_ip(void)
{
	for (size_t i = 0; i < sizeof(ip_cases) / sizeof(ip_cases[0]); i++) {
		struct hull_error err = { 0 };
		struct net_addr a;
		unsigned int prefix = 99;
		int r = net_addr_prefix_parse(ip_cases[i].in, &a, &prefix, &err);

		if (ip_cases[i].msg == NULL)
			CHECK(r == 0 && prefix == ip_cases[i].prefix, "--ip \"%s\" gives prefix %u",
			      ip_cases[i].in, ip_cases[i].prefix);
		else
			CHECK(r < 0 && strstr(err.msg, ip_cases[i].msg) != NULL,
			      "--ip \"%s\" is refused: %s", ip_cases[i].in, err.msg);
	}
}

int main(void)
{
	test_cidr();
	test_static_ip();
	test_ports();
	fuzz();
	printf("1..%s\n", failures ? "FAILED" : "done");
	return failures ? 1 : 0;
}
