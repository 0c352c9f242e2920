/* linux.personality: the execution domain and its flags, folded into the
 * one value the container child passes to personality(2).
 *
 * The runtime-spec names no flag values yet ("currently no flag values are
 * supported"); Hull accepts the kernel's flag names from
 * <sys/personality.h> so a config can ask for e.g. ADDR_NO_RANDOMIZE, and
 * refuses any other name rather than ignoring it. */
#include "oci/spec.h"

#include <errno.h>
#include <string.h>
#include <sys/personality.h>

#include "base/cleanup.h"

static const struct {
	const char *name;
	unsigned long flag;
} personality_flags[] = {
	{ "ADDR_COMPAT_LAYOUT", ADDR_COMPAT_LAYOUT },
	{ "ADDR_LIMIT_32BIT", ADDR_LIMIT_32BIT },
	{ "ADDR_LIMIT_3GB", ADDR_LIMIT_3GB },
	{ "ADDR_NO_RANDOMIZE", ADDR_NO_RANDOMIZE },
	{ "FDPIC_FUNCPTRS", FDPIC_FUNCPTRS },
	{ "MMAP_PAGE_ZERO", MMAP_PAGE_ZERO },
	{ "READ_IMPLIES_EXEC", READ_IMPLIES_EXEC },
	{ "SHORT_INODE", SHORT_INODE },
	{ "STICKY_TIMEOUTS", STICKY_TIMEOUTS },
	{ "UNAME26", UNAME26 },
	{ "WHOLE_SECONDS", WHOLE_SECONDS },
};

int spec_parse_personality(const json_node *node, struct spec_linux *l,
			   struct hull_error *err)
{
	const json_node *p;
	autofree char *domain = NULL;
	char **flags = NULL;
	size_t n = 0;
	int r = json_get_object(node, "personality", "linux", &p, err);

	if (r <= 0)
		return r;
	if (json_get_string(p, "domain", "linux.personality", &domain, err) < 0)
		return -1;
	if (domain == NULL || strcmp(domain, "LINUX") == 0)
		l->personality = PER_LINUX;
	else if (strcmp(domain, "LINUX32") == 0)
		l->personality = PER_LINUX32;
	else
		return hull_error_set(err, EINVAL,
				      "linux.personality.domain: unknown domain \"%s\" (LINUX or LINUX32)",
				      domain);
	if (json_get_string_array(p, "flags", "linux.personality", &flags, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		size_t j;

		for (j = 0; j < sizeof(personality_flags) / sizeof(personality_flags[0]); j++)
			if (strcmp(flags[i], personality_flags[j].name) == 0)
				break;
		if (j == sizeof(personality_flags) / sizeof(personality_flags[0])) {
			hull_error_set(err, EINVAL, "linux.personality.flags[%zu]: unknown flag \"%s\"",
				       i, flags[i]);
			strv_free(flags);
			return -1;
		}
		l->personality |= personality_flags[j].flag;
	}
	strv_free(flags);
	l->has_personality = true;
	return 0;
}
