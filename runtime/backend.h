/* Isolation backends: one lifecycle, several ways to run the container's
 * process.  "linux" (namespaces + cgroups, runtime/spawn.c) is the default;
 * "vm" (Hull's KVM monitor) runs the same bundle in a microVM.
 *
 * The lifecycle (state, lock, exec fifo, cgroup, hooks, kill, delete) is
 * shared and lives in runtime/; a backend only supplies the process:
 *
 *   spawn   Called by `create` after the state directory, the exec fifo
 *           and the cgroup exist.  Must start the container's process (for
 *           "vm": the monitor), place it in l->cgroup (cgroup_enter or
 *           clone3(CLONE_INTO_CGROUP)), and return once that process is
 *           parked on the exec fifo: it opens "self/fd/<l->fifo_fd>" under
 *           l->proc_fd for writing, which blocks until `start`, then runs the
 *           workload.  Set l->pid (host pid, what `kill` signals and `state`
 *           reports), l->pidfd (or -1) and l->pty_master (or -1).  The
 *           process inherits Hull's stdio, which becomes the workload's.
 *           On failure nothing of the backend's may remain.
 *           Signals sent to l->pid by `kill` must reach the workload (the
 *           "vm" monitor forwards them to the guest; SIGKILL ends the VM).
 *           Its exit status must be the workload's (128+N for signal N).
 *   host_devices  Device-cgroup rules the process started by spawn needs.
 *   cleanup Called by `delete` after the process is gone and the cgroup is
 *           removed: delete what spawn created in the state dir or
 *           elsewhere (disk images, sockets).  May be NULL.
 *
 * A backend registers itself with HULL_BACKEND(); `create` picks one by
 * `--vm` or the annotation "io.hull.vm": "true", and records its name in
 * the state ("backend", shown by `state` and `list`). */
#ifndef HULL_BACKEND_H
#define HULL_BACKEND_H

#include "base/error.h"
#include "runtime/launch.h"
#include "runtime/state.h"

#define HULL_VM_ANNOTATION "io.hull.vm"

struct spec_device_rule;

struct backend_ops {
	const char *name;
	/* Devices the backend's host process opens after it is in the
	 * container's cgroup (the vm monitor: /dev/kvm); `create` adds them
	 * to the cgroup's allowed devices. */
	const struct spec_device_rule *host_devices;
	size_t n_host_devices;
	int (*spawn)(struct launch *l, struct hull_error *err);
	int (*cleanup)(struct container *c, struct hull_error *err);
};

#define HULL_BACKEND(var) \
	static const struct backend_ops var; \
	static const struct backend_ops *const var##_ptr \
		__attribute__((used, section("hull_backends"), aligned(sizeof(void *)))) = &var; \
	static const struct backend_ops var

/* NULL when no backend of that name is built in. */
const struct backend_ops *backend_find(const char *name);

#endif
