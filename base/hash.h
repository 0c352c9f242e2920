/* FNV-1a, 64 bits: short stable names derived from longer ones (netns/'s
 * veth keys and rule tags, images/' container shards).  Not for anything an
 * adversary could exploit by choosing collisions. */
#ifndef HULL_BASE_HASH_H
#define HULL_BASE_HASH_H

#include <stdint.h>

static inline uint64_t hull_fnv1a(const char *s)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);

	for (; *s; s++) {
		h ^= (uint8_t)*s;
		h *= UINT64_C(0x100000001b3);
	}
	return h;
}

#endif
