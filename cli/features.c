/* `features`: the runtime-spec features document, from what is built in. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/capability.h>
#include <unistd.h>

#include "cli/cli.h"
#include "base/json.h"
#include "oci/spec.h"
#include "cgroups/cgroup.h"

static void gen_caps(json_gen *g)
{
	json_gen_key(g, "capabilities");
	json_gen_array_open(g);
	for (int i = 0; i <= CAP_LAST_CAP; i++) {
		char *name = cap_to_name(i);
		char upper[64];
		size_t k;

		if (name == NULL)
			continue;
		for (k = 0; name[k] && k < sizeof(upper) - 1; k++)
			upper[k] = (char)((name[k] >= 'a' && name[k] <= 'z') ? name[k] - 32 : name[k]);
		upper[k] = '\0';
		json_gen_string(g, upper);
		cap_free(name);
	}
	json_gen_array_close(g);
}

/* compat (issue 8): linux.memoryPolicy (runtime-spec 1.2) and
 * linux.netDevices (1.3), both applied. */
static void gen_memory_policy_net_devices(json_gen *g)
{
	static const char *const modes[] = {
		"MPOL_DEFAULT", "MPOL_BIND", "MPOL_INTERLEAVE", "MPOL_WEIGHTED_INTERLEAVE",
		"MPOL_PREFERRED", "MPOL_PREFERRED_MANY", "MPOL_LOCAL", NULL,
	};
	static const char *const flags[] = {
		"MPOL_F_NUMA_BALANCING", "MPOL_F_RELATIVE_NODES", "MPOL_F_STATIC_NODES", NULL,
	};

	json_gen_key(g, "memoryPolicy");
	json_gen_object_open(g);
	json_gen_kv_strv(g, "modes", modes);
	json_gen_kv_strv(g, "flags", flags);
	json_gen_object_close(g);
	json_gen_key(g, "netDevices");
	json_gen_object_open(g);
	json_gen_kv_bool(g, "enabled", true);
	json_gen_object_close(g);
}

static int cmd_features(struct cli_global *g, int argc, char **argv)
{
	static const char *const hooks[] = {
		"prestart", "createRuntime", "createContainer", "startContainer",
		"poststart", "poststop", NULL,
	};
	static const char *const namespaces[] = {
		"cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts", NULL,
	};
	static const char *const actions[] = {
		"SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
		"SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY", "SCMP_ACT_TRACE",
		"SCMP_ACT_TRAP", NULL,
	};
	static const char *const operators[] = {
		"SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE", "SCMP_CMP_LT",
		"SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE", NULL,
	};
	static const char *const archs[] = {
		"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM", "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64",
		"SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64",
		"SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64", "SCMP_ARCH_PPC64LE",
		"SCMP_ARCH_RISCV64", "SCMP_ARCH_S390", "SCMP_ARCH_S390X", "SCMP_ARCH_X32",
		"SCMP_ARCH_X86", "SCMP_ARCH_X86_64", NULL,
	};
	static const char *const flags[] = {
		"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
		"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", NULL,
	};
	json_gen *j = json_gen_new(true);
	char *text;

	if (j == NULL)
		return 1;
	json_gen_object_open(j);
	json_gen_kv_string(j, "ociVersionMin", "1.0.0");
	json_gen_kv_string(j, "ociVersionMax", "1.2.0");
	json_gen_kv_strv(j, "hooks", hooks);
	json_gen_kv_strv(j, "mountOptions", spec_mount_option_names());
	json_gen_key(j, "linux");
	json_gen_object_open(j);
	json_gen_kv_strv(j, "namespaces", namespaces);
	gen_caps(j);
	json_gen_key(j, "cgroup");
	json_gen_object_open(j);
	json_gen_kv_bool(j, "v1", true);
	json_gen_kv_bool(j, "v2", true);
	json_gen_kv_bool(j, "systemd", true);
	json_gen_kv_bool(j, "systemdUser", false);
	json_gen_kv_bool(j, "rdma", true);
	json_gen_object_close(j);
	json_gen_key(j, "seccomp");
	json_gen_object_open(j);
	json_gen_kv_bool(j, "enabled", true);
	json_gen_kv_strv(j, "actions", actions);
	json_gen_kv_strv(j, "operators", operators);
	json_gen_kv_strv(j, "archs", archs);
	json_gen_kv_strv(j, "knownFlags", flags);
	json_gen_kv_strv(j, "supportedFlags", flags);
	json_gen_object_close(j);
	json_gen_key(j, "apparmor");
	json_gen_object_open(j);
	json_gen_kv_bool(j, "enabled", access("/sys/kernel/security/apparmor", F_OK) == 0);
	json_gen_object_close(j);
	json_gen_key(j, "selinux");
	json_gen_object_open(j);
	json_gen_kv_bool(j, "enabled", access("/sys/fs/selinux/enforce", F_OK) == 0);
	json_gen_object_close(j);
	json_gen_key(j, "intelRdt");
	json_gen_object_open(j);
	json_gen_kv_bool(j, "enabled", false);
	json_gen_object_close(j);
	gen_memory_policy_net_devices(j);
	json_gen_key(j, "mountExtensions");
	json_gen_object_open(j);
	json_gen_key(j, "idmap");
	json_gen_object_open(j);
	json_gen_kv_bool(j, "enabled", true);
	json_gen_object_close(j);
	json_gen_object_close(j);
	json_gen_object_close(j);
	json_gen_key(j, "annotations");
	json_gen_object_open(j);
	json_gen_kv_string(j, "io.hull.version", HULL_VERSION);
	json_gen_kv_string(j, "io.hull.vm", "set to \"true\" to run the container in a microVM");
	/* vmfs: bind mounts reach the guest (runtime/backend_vm_fs.c). */
	json_gen_kv_string(j, "io.hull.vm.mounts", "bind mounts of host directories and files "
			   "through virtio-fs (virtiofsd); read-only enforced on the host");
	/* netns (issue 9): built-in networking, as --net / -p */
	json_gen_kv_string(j, "io.hull.net", "none, host, nat[:NETWORK], bridge:NETWORK or routed:NETWORK (as --net)");
	json_gen_kv_string(j, "io.hull.net.ports", "comma-separated [HOSTIP:]HOSTPORT[-END]:CONTAINERPORT[-END][/tcp|udp] (as -p)");
	/* issue 11: which cgroup drivers this host can use right now */
	json_gen_kv_string(j, "io.hull.cgroupDrivers",
			   cgroup_systemd_available() ? "cgroupfs,systemd" : "cgroupfs");
	/* vmjail: what VM mode refuses (runtime/backend_vm_check.c). */
	json_gen_kv_string(j, "io.hull.vm.unsupported",
			   "mounts other than bind mounts and /proc /dev /dev/pts /dev/shm /dev/mqueue "
			   "/sys /sys/fs/cgroup, bind mounts with shared/slave/unbindable propagation, "
			   "idmap or fs-specific options, linux.devices, user/time namespaces, "
			   "uid/gid mappings, "
			   "joining namespaces other than network, timeOffsets, personality, "
			   "mountLabel, rootfsPropagation, seccomp notify/listenerPath, "
			   "selinuxLabel, ioPriority, scheduler");
	/* vmmisc: vsock and exec into VM containers (README, The microVM sandbox). */
	json_gen_kv_string(j, "io.hull.vm.vsock",
			   "virtio-vsock, Firecracker's host protocol on <state>/vsock.sock: "
			   "\"CONNECT <port>\\n\" -> \"OK <hostport>\\n\"; guest-initiated connections "
			   "to host port P go to a listener at <state>/vsock.sock_P (with the jail, "
			   "one the monitor's unprivileged uid may connect to, e.g. mode 0777)");
	json_gen_kv_string(j, "io.hull.vm.exec",
			   "exec into a running VM container over vsock: --tty (resize followed), "
			   "--detach, --pid-file, --process, --user, --env, --cwd, exit status, "
			   "signals; refused: --cap, --preserve-fds, --apparmor, --process-label");
	json_gen_object_close(j);
	json_gen_object_close(j);
	text = json_gen_finish(j, NULL);
	json_gen_free(j);
	if (text == NULL)
		return 1;
	printf("%s\n", text);
	free(text);
	return 0;
}

HULL_COMMAND(features_cmd) = {
	.name = "features",
	.summary = "print the runtime-spec features document",
	.usage = "Usage: hull features\n\nPrints what this build supports, as runtime-spec features.md defines.\n",
	.run = cmd_features,
};
