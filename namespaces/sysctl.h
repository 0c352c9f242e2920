/* linux.sysctl, written after pivot_root through the container's own
 * procfs.  Which keys are allowed is decided when the config is parsed
 * (oci/spec_sysctl.c). */
#ifndef HULL_SYSCTL_H
#define HULL_SYSCTL_H

#include <stddef.h>

#include "base/error.h"

int sysctl_apply(char *const *keys, char *const *values, size_t n, struct hull_error *err);

#endif
