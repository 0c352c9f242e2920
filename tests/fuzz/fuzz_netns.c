/* libFuzzer target: netns/'s parsers of user input (-p specs, the
 * io.hull.net.ports annotation, --subnet, --ip) must never crash
 * or read out of bounds, what they accept must round-trip, and an
 * address IPAM picks lies in the prefix.
 *   make fuzz-netns && build-fuzz/fuzz_netns -max_total_time=60 */
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netns/addr.h"
#include "netns/ipam.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hull_error err = { 0 };
	char *text = malloc(size + 1), buf[128];
	struct net_port p, q;
	struct net_cidr c, d;

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (net_port_parse(text, &p, &err) == 0) {
		hull_error_clear(&err);
		if (net_port_parse(net_port_format(&p, buf, sizeof(buf)), &q, &err) < 0 ||
		    memcmp(&p, &q, sizeof(p)) != 0)
			abort();
	}
	hull_error_clear(&err);
	if (net_cidr_parse(text, &c, &err) == 0) {
		hull_error_clear(&err);
		if (net_cidr_parse(net_cidr_format(&c, buf, sizeof(buf)), &d, &err) < 0 ||
		    !net_addr_equal(&c.addr, &d.addr) || c.prefix != d.prefix)
			abort();
		struct net_addr a;

		if (ipam_pick(&c, NULL, NULL, 0, &a, &err) == 0 && !net_cidr_contains(&c, &a))
			abort();
	}
	hull_error_clear(&err);
	{
		struct net_addr a, b;
		unsigned int prefix;

		/* --ip: an accepted address formats back to itself. */
		if (net_addr_prefix_parse(text, &a, &prefix, &err) == 0 &&
		    (net_addr_parse(net_addr_format(&a, buf), &b, &err) < 0 || !net_addr_equal(&a, &b) ||
		     prefix > (a.family == AF_INET6 ? 128u : 32u)))
			abort();
	}
	free(text);
	return 0;
}
