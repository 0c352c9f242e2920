/* What the microVM backend does not honour, refused by name before
 * anything starts: a field the VM would silently drop is a container that
 * is less isolated, or differently configured, than its config says.
 *
 * Honoured in VM mode (README "microVM"): process args/env/cwd/user/umask/
 * rlimits/terminal/consoleSize/capabilities/noNewPrivileges/oomScoreAdj
 * (on the monitor), hostname, domainname, root, linux.sysctl,
 * maskedPaths, readonlyPaths, seccomp (without notify), resources (the
 * monitor's cgroup), cgroupsPath, the network namespace (the monitor's),
 * all six hook kinds (on the host), process.apparmorProfile (on the
 * monitor, backend_vm.c: the guest kernel has none), the standard kernel file systems
 * (the guest mounts its own /proc, /sys and /dev), and bind mounts of
 * host directories and files (virtio-fs, runtime/backend_vm_fs.c). */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "runtime/backend_vm.h"
#include "runtime/backend_vm_fs.h"
#include "runtime/backend_vm_net.h"

/* Mounts every bundle generator adds and the guest provides itself. */
static bool mount_provided_by_guest(const struct spec_mount *m)
{
	static const char *const dest[] = {
		"/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/sys/fs/cgroup",
	};

	if (m->bind || m->type == NULL)
		return false;
	for (size_t i = 0; i < sizeof(dest) / sizeof(dest[0]); i++)
		if (strcmp(m->destination, dest[i]) == 0)
			return true;
	return false;
}

int vm_check_spec(const struct spec *s, struct hull_error *err)
{
	const struct spec_process *p = s->process;
	const struct spec_linux *lx = &s->linux;
	static const char *const ns_name[NS_COUNT] = {
		[NS_MOUNT] = "mount", [NS_PID] = "pid", [NS_NET] = "network", [NS_IPC] = "ipc",
		[NS_UTS] = "uts", [NS_USER] = "user", [NS_CGROUP] = "cgroup", [NS_TIME] = "time",
	};

	/* Bind mounts reach the guest through virtio-fs (backend_vm_fs.c),
	 * which refuses by name what it cannot honour. */
	if (vm_fs_check(s, err) < 0)
		return -1;
	for (size_t i = 0; i < s->n_mounts; i++)
		if (!mount_provided_by_guest(&s->mounts[i]) && !vm_fs_is_shared(&s->mounts[i]) &&
		    !vm_net_etc_mount(&s->mounts[i]))
			return hull_error_set(err, ENOTSUP,
					      "mounts[%zu] (%s on %s): VM mode cannot mount this into the "
					      "guest yet", i, s->mounts[i].type ? s->mounts[i].type : "bind",
					      s->mounts[i].destination);
	if (lx->n_devices > 0)
		return hull_error_set(err, ENOTSUP, "linux.devices: VM mode has no host devices "
				      "in the guest (%s)", lx->devices[0].path);
	for (int t = 0; t < NS_COUNT; t++) {
		if (!lx->ns[t].enabled)
			continue;
		/* The guest kernel is every namespace but the network one (the
		 * monitor's, see backend_vm.c); joining another's is meaningless. */
		if (lx->ns[t].path && t != NS_NET)
			return hull_error_set(err, ENOTSUP, "linux.namespaces: VM mode cannot join an "
					      "existing %s namespace (%s)", ns_name[t], lx->ns[t].path);
		if (t == NS_USER || t == NS_TIME)
			return hull_error_set(err, ENOTSUP, "linux.namespaces: VM mode has no %s "
					      "namespace (the guest kernel is the isolation)",
					      ns_name[t]);
	}
	if (lx->n_uid_mappings || lx->n_gid_mappings)
		return hull_error_set(err, ENOTSUP, "linux.uidMappings/gidMappings: not in VM mode");
	if (lx->has_time_offsets)
		return hull_error_set(err, ENOTSUP, "linux.timeOffsets: not in VM mode");
	if (lx->has_personality)
		return hull_error_set(err, ENOTSUP, "linux.personality: not in VM mode");
	if (lx->mount_label && *lx->mount_label)
		return hull_error_set(err, ENOTSUP, "linux.mountLabel: no SELinux in VM mode");
	if (lx->rootfs_propagation)
		return hull_error_set(err, ENOTSUP, "linux.rootfsPropagation: not in VM mode");
	if (lx->seccomp && (lx->seccomp->uses_notify || lx->seccomp->listener_path))
		return hull_error_set(err, ENOTSUP, "linux.seccomp: SCMP_ACT_NOTIFY / listenerPath "
				      "cannot reach an agent on the host from inside the VM");
	if (p == NULL)
		return 0;
	if (p->selinux_label && *p->selinux_label)
		return hull_error_set(err, ENOTSUP, "process.selinuxLabel: no SELinux in VM mode");
	if (p->has_io_priority)
		return hull_error_set(err, ENOTSUP, "process.ioPriority: not in VM mode");
	if (p->has_scheduler)
		return hull_error_set(err, ENOTSUP, "process.scheduler: not in VM mode");
	return 0;
}
