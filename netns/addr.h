/* Addresses, CIDR prefixes and published-port specs: pure parsers and
 * arithmetic, no syscalls, so they are unit-tested and fuzzed alone
 * (tests/unit/test_netns_parse.c, tests/fuzz/fuzz_netns.c). */
#ifndef HULL_NETNS_ADDR_H
#define HULL_NETNS_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

#define NET_ADDR_STRLEN 46      /* INET6_ADDRSTRLEN */

/* An IPv4 (family AF_INET, bytes 0..3) or IPv6 address, network order. */
struct net_addr {
	int family;
	uint8_t b[16];
};

struct net_cidr {
	struct net_addr addr;       /* the network address: host bits are 0 */
	unsigned int prefix;
};

/* "10.0.0.1" or "fd00::1"; 0 or -1 (err names the text). */
int net_addr_parse(const char *s, struct net_addr *out, struct hull_error *err);
/* A host address with an optional prefix length, "10.0.0.5" or
 * "10.0.0.5/24" (a static address, --ip): *prefix is 0 without one. */
int net_addr_prefix_parse(const char *s, struct net_addr *out, unsigned int *prefix,
			  struct hull_error *err);
/* "10.88.0.0/16"; host bits set is an error (it usually is a typo). */
int net_cidr_parse(const char *s, struct net_cidr *out, struct hull_error *err);
const char *net_addr_format(const struct net_addr *a, char buf[NET_ADDR_STRLEN]);
/* "10.88.0.0/16" into buf (NET_ADDR_STRLEN + 4 bytes). */
const char *net_cidr_format(const struct net_cidr *c, char *buf, size_t size);
size_t net_addr_len(const struct net_addr *a);      /* 4 or 16 */
bool net_addr_equal(const struct net_addr *a, const struct net_addr *b);
bool net_cidr_contains(const struct net_cidr *c, const struct net_addr *a);
bool net_cidr_overlap(const struct net_cidr *a, const struct net_cidr *b);
/* Number of host bits (32 - prefix or 128 - prefix). */
unsigned int net_cidr_host_bits(const struct net_cidr *c);
/* The address `index` places after the network address; -1 when index
 * is outside the prefix. */
int net_cidr_nth(const struct net_cidr *c, uint64_t index, struct net_addr *out);

/* A published port: [HOSTIP:]HOSTPORT[-END]:CONTAINERPORT[-END][/tcp|udp]. */
struct net_port {
	bool has_host_ip;
	struct net_addr host_ip;    /* IPv6 written in brackets: [::1]:80:80 */
	uint16_t host_lo, host_hi;
	uint16_t ctr_lo, ctr_hi;
	int proto;                  /* IPPROTO_TCP or IPPROTO_UDP */
};

int net_port_parse(const char *s, struct net_port *out, struct hull_error *err);
/* The canonical text of a spec (parses back to the same value). */
const char *net_port_format(const struct net_port *p, char *buf, size_t size);
/* Same protocol, overlapping host ranges, and host addresses that can be
 * the same destination (equal, or one of them unspecified). */
bool net_port_conflict(const struct net_port *a, const struct net_port *b);
const char *net_proto_name(int proto);

#endif
