/* Pure address, prefix and port-spec handling (see addr.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netns/addr.h"

size_t net_addr_len(const struct net_addr *a)
{
	return a->family == AF_INET6 ? 16 : 4;
}

int net_addr_parse(const char *s, struct net_addr *out, struct hull_error *err)
{
	memset(out, 0, sizeof(*out));
	if (strchr(s, ':') != NULL) {
		if (inet_pton(AF_INET6, s, out->b) == 1) {
			out->family = AF_INET6;
			return 0;
		}
	} else if (inet_pton(AF_INET, s, out->b) == 1) {
		out->family = AF_INET;
		return 0;
	}
	return hull_error_set(err, EINVAL, "\"%s\" is not an IPv4 or IPv6 address", s);
}

const char *net_addr_format(const struct net_addr *a, char buf[NET_ADDR_STRLEN])
{
	if (inet_ntop(a->family == AF_INET6 ? AF_INET6 : AF_INET, a->b, buf, NET_ADDR_STRLEN) == NULL)
		snprintf(buf, NET_ADDR_STRLEN, "?");
	return buf;
}

const char *net_cidr_format(const struct net_cidr *c, char *buf, size_t size)
{
	char a[NET_ADDR_STRLEN];

	snprintf(buf, size, "%s/%u", net_addr_format(&c->addr, a), c->prefix);
	return buf;
}

bool net_addr_equal(const struct net_addr *a, const struct net_addr *b)
{
	return a->family == b->family && memcmp(a->b, b->b, net_addr_len(a)) == 0;
}

/* Whether the first `bits` bits of x and y agree. */
static bool prefix_equal(const uint8_t *x, const uint8_t *y, unsigned int bits)
{
	unsigned int full = bits / 8, rest = bits % 8;

	if (memcmp(x, y, full) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (x[full] & mask) == (y[full] & mask);
}

int net_addr_prefix_parse(const char *s, struct net_addr *out, unsigned int *prefix,
			  struct hull_error *err)
{
	char buf[128];
	const char *slash = strchr(s, '/');
	char *end;
	unsigned long p;
	unsigned int max;

	*prefix = 0;
	if (slash == NULL)
		return net_addr_parse(s, out, err);
	if ((size_t)(slash - s) >= sizeof(buf))
		return hull_error_set(err, EINVAL, "\"%s\" is not an address", s);
	memcpy(buf, s, (size_t)(slash - s));
	buf[slash - s] = '\0';
	if (net_addr_parse(buf, out, err) < 0)
		return hull_error_prefix(err, "\"%s\"", s);
	errno = 0;
	p = strtoul(slash + 1, &end, 10);
	max = out->family == AF_INET6 ? 128 : 32;
	/* /0 would leave no room for a host on the link. */
	if (*end || errno || slash[1] < '0' || slash[1] > '9' || p < 1 || p > max)
		return hull_error_set(err, EINVAL, "\"%s\": prefix length must be 1..%u", s, max);
	*prefix = (unsigned int)p;
	return 0;
}

int net_cidr_parse(const char *s, struct net_cidr *out, struct hull_error *err)
{
	char buf[128];
	const char *slash = strchr(s, '/');
	char *end;
	unsigned long prefix;
	unsigned int max;

	if (slash == NULL || (size_t)(slash - s) >= sizeof(buf) || slash[1] == '\0')
		return hull_error_set(err, EINVAL, "\"%s\" is not a CIDR prefix (ADDRESS/LENGTH)", s);
	memcpy(buf, s, (size_t)(slash - s));
	buf[slash - s] = '\0';
	if (net_addr_parse(buf, &out->addr, err) < 0)
		return hull_error_prefix(err, "\"%s\"", s);
	errno = 0;
	prefix = strtoul(slash + 1, &end, 10);
	max = out->addr.family == AF_INET6 ? 128 : 32;
	if (*end || errno || slash[1] < '0' || slash[1] > '9' || prefix > max)
		return hull_error_set(err, EINVAL, "\"%s\": prefix length must be 0..%u", s, max);
	out->prefix = (unsigned int)prefix;
	/* Host bits must be zero: "10.0.0.1/24" is usually a typo. */
	for (unsigned int bit = out->prefix; bit < max; bit++)
		if (out->addr.b[bit / 8] & (0x80 >> (bit % 8))) {
			struct net_cidr fixed = *out;
			char f[NET_ADDR_STRLEN + 8];

			for (unsigned int k = out->prefix; k < max; k++)
				fixed.addr.b[k / 8] &= (uint8_t)~(0x80 >> (k % 8));
			return hull_error_set(err, EINVAL, "\"%s\" has host bits set (did you mean %s?)",
					      s, net_cidr_format(&fixed, f, sizeof(f)));
		}
	return 0;
}

bool net_cidr_contains(const struct net_cidr *c, const struct net_addr *a)
{
	return c->addr.family == a->family && prefix_equal(c->addr.b, a->b, c->prefix);
}

bool net_cidr_overlap(const struct net_cidr *a, const struct net_cidr *b)
{
	unsigned int p = a->prefix < b->prefix ? a->prefix : b->prefix;

	return a->addr.family == b->addr.family && prefix_equal(a->addr.b, b->addr.b, p);
}

unsigned int net_cidr_host_bits(const struct net_cidr *c)
{
	return (c->addr.family == AF_INET6 ? 128 : 32) - c->prefix;
}

int net_cidr_nth(const struct net_cidr *c, uint64_t index, struct net_addr *out)
{
	unsigned int hb = net_cidr_host_bits(c);
	size_t len = net_addr_len(&c->addr);
	unsigned int carry = 0;

	if (hb < 64 && index >> hb)
		return -1;
	*out = c->addr;
	/* Add index to the address from its last byte; the bounds check above
	 * keeps the sum inside the host bits. */
	for (size_t i = len; i-- > 0;) {
		unsigned int v = out->b[i] + (unsigned int)(index & 0xff) + carry;

		out->b[i] = (uint8_t)v;
		carry = v >> 8;
		index >>= 8;
		if (index == 0 && carry == 0)
			break;
	}
	return 0;
}

const char *net_proto_name(int proto)
{
	return proto == IPPROTO_UDP ? "udp" : "tcp";
}

static int parse_range(const char *s, const char *what, uint16_t *lo, uint16_t *hi,
		       const char *spec, struct hull_error *err)
{
	char *end;
	unsigned long a, b;

	if (*s < '0' || *s > '9')
		goto bad;
	a = strtoul(s, &end, 10);
	b = a;
	if (*end == '-') {
		if (end[1] < '0' || end[1] > '9')
			goto bad;
		b = strtoul(end + 1, &end, 10);
	}
	if (*end != '\0')
		goto bad;
	if (a < 1 || a > 65535 || b < 1 || b > 65535 || b < a)
		return hull_error_set(err, EINVAL,
				      "port spec \"%s\": %s port range \"%s\" must be 1..65535, low to high",
				      spec, what, s);
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
	return 0;
bad:
	return hull_error_set(err, EINVAL, "port spec \"%s\": %s port \"%s\" is not a number or range",
			      spec, what, s);
}

int net_port_parse(const char *spec, struct net_port *out, struct hull_error *err)
{
	char buf[256];
	char *s = buf, *proto, *hostport, *ctrport;

	memset(out, 0, sizeof(*out));
	if (strlen(spec) >= sizeof(buf))
		return hull_error_set(err, EINVAL, "port spec is too long");
	strcpy(buf, spec);
	out->proto = IPPROTO_TCP;
	if ((proto = strrchr(s, '/')) != NULL) {
		*proto++ = '\0';
		if (strcmp(proto, "udp") == 0)
			out->proto = IPPROTO_UDP;
		else if (strcmp(proto, "tcp") != 0)
			return hull_error_set(err, EINVAL,
					      "port spec \"%s\": protocol \"%s\" is not tcp or udp", spec, proto);
	}
	if (*s == '[') {        /* [v6addr]:host:ctr */
		char *close = strchr(s, ']');

		if (close == NULL || close[1] != ':')
			return hull_error_set(err, EINVAL, "port spec \"%s\": unbalanced [ ] around the host address", spec);
		*close = '\0';
		if (net_addr_parse(s + 1, &out->host_ip, err) < 0 || out->host_ip.family != AF_INET6)
			return hull_error_set(err, EINVAL, "port spec \"%s\": \"%s\" is not an IPv6 address", spec, s + 1);
		out->has_host_ip = true;
		s = close + 2;
	}
	if ((ctrport = strrchr(s, ':')) == NULL)
		return hull_error_set(err, EINVAL,
				      "port spec \"%s\": expected [HOSTIP:]HOSTPORT[-END]:CONTAINERPORT[-END][/tcp|udp]", spec);
	*ctrport++ = '\0';
	hostport = strrchr(s, ':');
	if (hostport != NULL) {
		*hostport++ = '\0';
		if (out->has_host_ip || net_addr_parse(s, &out->host_ip, err) < 0 ||
		    out->host_ip.family != AF_INET) {
			hull_error_clear(err);
			return hull_error_set(err, EINVAL, "port spec \"%s\": host address \"%s\" is not an IPv4 address (IPv6 goes in brackets)", spec, s);
		}
		out->has_host_ip = true;
	} else {
		hostport = s;
	}
	if (parse_range(hostport, "host", &out->host_lo, &out->host_hi, spec, err) < 0 ||
	    parse_range(ctrport, "container", &out->ctr_lo, &out->ctr_hi, spec, err) < 0)
		return -1;
	if (out->ctr_hi - out->ctr_lo != out->host_hi - out->host_lo)
		return hull_error_set(err, EINVAL,
				      "port spec \"%s\": host and container ranges differ in length", spec);
	return 0;
}

const char *net_port_format(const struct net_port *p, char *buf, size_t size)
{
	char ip[NET_ADDR_STRLEN], h[16], c[16];
	int n = 0;

	if (p->host_lo == p->host_hi)
		snprintf(h, sizeof(h), "%u", p->host_lo);
	else
		snprintf(h, sizeof(h), "%u-%u", p->host_lo, p->host_hi);
	if (p->ctr_lo == p->ctr_hi)
		snprintf(c, sizeof(c), "%u", p->ctr_lo);
	else
		snprintf(c, sizeof(c), "%u-%u", p->ctr_lo, p->ctr_hi);
	if (p->has_host_ip)
		n = snprintf(buf, size, p->host_ip.family == AF_INET6 ? "[%s]:" : "%s:",
			     net_addr_format(&p->host_ip, ip));
	if (n >= 0 && (size_t)n < size)
		snprintf(buf + n, size - (size_t)n, "%s:%s/%s", h, c, net_proto_name(p->proto));
	return buf;
}

bool net_port_conflict(const struct net_port *a, const struct net_port *b)
{
	if (a->proto != b->proto || a->host_hi < b->host_lo || b->host_hi < a->host_lo)
		return false;
	if (!a->has_host_ip || !b->has_host_ip)
		return true;
	return net_addr_equal(&a->host_ip, &b->host_ip);
}
