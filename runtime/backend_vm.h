/* The microVM backend's pieces that the shared lifecycle calls. */
#ifndef HULL_BACKEND_VM_H
#define HULL_BACKEND_VM_H

#include "base/error.h"
#include "oci/spec.h"
#include "runtime/state.h"

/* Every config field VM mode does not honour is an error naming it
 * (backend_vm_check.c lists both sides). */
int vm_check_spec(const struct spec *s, struct hull_error *err);

/* `start` of a VM container: the startContainer hooks, on the host, before
 * the monitor may boot the guest.  A failing hook kills the monitor (the
 * container then stops, as a container's init would exit). */
int vm_start_container_hooks(struct container *c, const struct spec *s, struct hull_error *err);

#endif
