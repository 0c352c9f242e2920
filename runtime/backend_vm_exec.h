/* `hull exec` into a microVM container: over virtio-vsock to the guest
 * agent's exec service (protocol in vmm/guest/exec_proto.h). */
#ifndef HULL_BACKEND_VM_EXEC_H
#define HULL_BACKEND_VM_EXEC_H

#include "base/error.h"
#include "oci/spec.h"
#include "runtime/exec.h"
#include "runtime/state.h"

/* The monitor's vsock unix socket, in the state directory. */
#define VM_VSOCK_SOCKET "vsock.sock"

/* What of exec_opts a VM container cannot honour, refused by name. */
int vm_exec_check(const struct exec_opts *o, struct container *c, struct hull_error *err);

/* Run p in the guest of container c (running, locked: the lock is let go
 * once the request is on its way).  Foreground: *status is the process's
 * exit status (128+N after signal N); signals sent to us are forwarded.
 * --detach: returns once it runs, a small keeper process stays behind to
 * forward signals (its pid is what --pid-file gets). */
int vm_exec_run(struct container *c, const struct spec_process *p,
		const struct exec_opts *o, int *status, struct hull_error *err);

#endif
