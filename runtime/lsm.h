/* Linux security modules: process.apparmorProfile, process.selinuxLabel.
 *
 * The parent decides (lsm_prepare): a profile for an LSM this kernel does
 * not run is an error, a label for one is ignored (crun's rules: a profile
 * is a policy the user asked for, a label is a hint engines always send).
 * The child only writes the prepared attributes, through the host /proc fd
 * the parent checked to be a procfs (the runc CVE-2025-52881 class: a path
 * under the container's /proc could be anything). */
#ifndef HULL_LSM_H
#define HULL_LSM_H

#include "base/error.h"
#include "runtime/launch.h"

/* Fills l->lsm from the process (apparmorProfile, selinuxLabel). */
int lsm_prepare(struct launch *l, const struct spec_process *p, struct hull_error *err);

/* Child: makes the next execve enter the profile / label. */
int lsm_apply_exec(const struct launch *l, struct hull_error *err);

/* linux.mountLabel: the label to add as context= to the container's
 * mounts, or NULL when SELinux is off (then it is ignored). */
const char *lsm_mount_label(const struct spec *s);

#endif
