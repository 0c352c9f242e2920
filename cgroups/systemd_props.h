/* The systemd driver's pure half: runc's "slice:prefix:name" cgroupsPath
 * turned into a scope and its cgroup path, and linux.resources turned into
 * transient unit properties.  No D-Bus here (cgroups/systemd.c talks to
 * systemd), so the unit tests cover all of it without a bus. */
#ifndef HULL_CGROUP_SYSTEMD_PROPS_H
#define HULL_CGROUP_SYSTEMD_PROPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "cgroups/resources.h"

/* One unit property as sd-bus appends it: a(sv) member of type
 * 't' (uint64), 'x' (int64), 'u' (uint32), 'i' (int32), 'b' (bool),
 * 's' (string) or 'y' (an "ay" byte array, for cpu/node masks). */
struct sd_prop {
	char *name;
	char type;
	uint64_t u;
	int64_t i;
	bool b;
	char *s;
	uint8_t *bytes;
	size_t n_bytes;
};

struct sd_props {
	struct sd_prop *v;
	size_t n;
};

void sd_props_free(struct sd_props *p);
/* Appends a zeroed property (the caller fills the value), or NULL. */
struct sd_prop *sd_props_push(struct sd_props *p, const char *name, char type,
			      struct hull_error *err);
int sd_props_add_str(struct sd_props *p, const char *name, const char *s,
		     struct hull_error *err);
int sd_props_add_bool(struct sd_props *p, const char *name, bool b,
		      struct hull_error *err);
/* The last property named `name`, or NULL (tests, `update`). */
const struct sd_prop *sd_props_find(const struct sd_props *p, const char *name);

/* "slice:prefix:name" (runc's format) -> slice "system.slice" (default when
 * empty), unit "prefix-name.scope", and the group path below the cgroup
 * root ("/system.slice/prefix-name.scope"; a slice "a-b.slice" nests as
 * "/a.slice/a-b.slice").  NULL or "" means "system.slice:hull:<id>". */
int cgroup_systemd_parse_path(const char *id, const char *cgroups_path,
			      char **slice, char **unit, char **path,
			      struct hull_error *err);

/* The properties for what systemd can express of r; the rest is written to
 * the cgroup files by the fs driver afterwards.  `update`: only what r sets. */
int cgroup_systemd_resource_props(const struct spec_resources *r,
				  struct sd_props *out, struct hull_error *err);

/* One "org.systemd.property.NAME" annotation (key without the prefix):
 * the value in GVariant text form as runc takes it: "true"/"false",
 * "uint64 N" (also int64/uint32/int32), a bare number (uint64), or a
 * quoted string. */
int cgroup_systemd_annotation_prop(const char *name, const char *value,
				   struct sd_props *out, struct hull_error *err);

/* "0-3,6" -> systemd's cpu-set byte array (bit i%8 of byte i/8). */
int cgroup_systemd_cpuset_mask(const char *list, uint8_t **bytes, size_t *n,
			       struct hull_error *err);

#define SD_ANNOTATION_PREFIX "org.systemd.property."

#endif
