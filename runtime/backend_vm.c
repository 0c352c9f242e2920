/* The "vm" backend: the container's process runs inside a microVM driven
 * by Hull's own monitor (vmm/).  The host-side process that `kill` signals
 * and `state` reports is the monitor; it sits in the container's cgroup, so
 * the container's limits bound the whole VM.
 *
 * Work before fork: the parent finds the kernel and agent, turns the rootfs
 * into an ext4 disk image and writes the agent's initramfs (agent + the
 * process settings) into the state directory.  The child only waits on the
 * exec fifo and runs vmm_run.
 *
 * Sizing (vm_size): guest RAM is linux.resources.memory.limit less
 * VM_MONITOR_RESERVE_MIB for the monitor and KVM's own allocations (the
 * whole VM is charged to the container's cgroup), 256 MiB without a
 * limit; vCPUs are the CPU quota rounded up (quota/period), 1 without
 * one.  Annotations io.hull.vm.memory (MiB) and io.hull.vm.cpus override
 * both; io.hull.vm.kernel (or --vm-kernel) names the kernel.
 * Signals: the monitor forwards every signal it can catch to the process
 * in the guest (through the agent's control channel); SIGKILL ends the
 * monitor and with it the VM, so `kill -9` gives 137 as it would for a
 * container. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroups/cgroup.h"
#include "cgroups/resources.h"
#include "runtime/backend.h"
#include "runtime/backend_vm_exec.h"
#include "runtime/backend_vm_net.h"
#include "runtime/lsm.h"
#include "base/cleanup.h"
#include "base/fsutil.h"
#include "runtime/backend_vm.h"
#include "runtime/backend_vm_fs.h"
#include "runtime/hooks.h"
#include "runtime/launch.h"
#include "runtime/seccomp.h"
#include "vmm/guest_image.h"
#include "vmm/virtio_vsock.h"
#include "vmm/vmm.h"

#define VM_CONFIG_MAX (256 * 1024)
#define VM_DEFAULT_MIB 256
#define VM_MIN_GUEST_MIB 32
#define VM_MONITOR_RESERVE_MIB 32

static int cfg_line(char *buf, const char *key, const char *value)
{
	size_t used = strlen(buf);

	if (used + strlen(key) + 2 >= VM_CONFIG_MAX)
		return -1;
	strcat(buf, key);
	strcat(buf, " ");
	if (vmm_agent_escape(buf, VM_CONFIG_MAX - 1, value) < 0)
		return -1;
	strcat(buf, "\n");
	return 0;
}

/* What the guest applies to defend itself, as the Linux backend does on
 * the host: capabilities (all five sets), no_new_privs, umask, sysctl,
 * masked and readonly paths; the seccomp program goes in the initramfs
 * beside the config (vm_spawn). */
static int build_agent_security(const struct launch *l, char *buf)
{
	const struct spec_process *p = l->spec->process;
	const struct spec *s = l->spec;
	size_t used = strlen(buf);
	int r = 0;

	if (p->caps.set)
		snprintf(buf + used, VM_CONFIG_MAX - used, "caps %llx %llx %llx %llx %llx\n",
			 (unsigned long long)p->caps.bounding, (unsigned long long)p->caps.effective,
			 (unsigned long long)p->caps.permitted,
			 (unsigned long long)p->caps.inheritable,
			 (unsigned long long)p->caps.ambient);
	used = strlen(buf);
	if (p->no_new_privileges)
		snprintf(buf + used, VM_CONFIG_MAX - used, "nonewprivs\n");
	used = strlen(buf);
	if (p->user.has_umask)
		snprintf(buf + used, VM_CONFIG_MAX - used, "umask %o\n", (unsigned int)p->user.umask);
	used = strlen(buf);
	if (l->seccomp)
		snprintf(buf + used, VM_CONFIG_MAX - used, "seccomp %u\n", l->seccomp->flags);
	for (size_t i = 0; r == 0 && i < s->linux.n_sysctl; i++) {
		used = strlen(buf);
		if (used + strlen(s->linux.sysctl_keys[i]) + 16 >= VM_CONFIG_MAX)
			return -1;
		/* "sysctl KEY VALUE": the key is escaped by cfg_line below. */
		r = cfg_line(buf, "sysctl", s->linux.sysctl_keys[i]);
		if (r == 0) {
			buf[strlen(buf) - 1] = ' ';
			if (vmm_agent_escape(buf, VM_CONFIG_MAX - 1, s->linux.sysctl_values[i]) < 0)
				return -1;
			strcat(buf, "\n");
		}
	}
	for (size_t i = 0; r == 0 && i < s->linux.n_masked_paths; i++)
		r = cfg_line(buf, "masked", s->linux.masked_paths[i]);
	for (size_t i = 0; r == 0 && i < s->linux.n_readonly_paths; i++)
		r = cfg_line(buf, "readonly", s->linux.readonly_paths[i]);
	return r;
}

/* The agent config (format in vmm/guest/agent.c) from the spec. */
static int build_agent_config(const struct launch *l, char *buf, struct hull_error *err)
{
	const struct spec_process *p = l->spec->process;
	char tmp[256];
	int r = 0;

	buf[0] = '\0';
	snprintf(tmp, sizeof(tmp), "root /dev/vda ext4 %s\n", l->spec->root_readonly ? "ro" : "rw");
	strcat(buf, tmp);
	for (size_t i = 0; i < p->n_args && r == 0; i++)
		r = cfg_line(buf, "arg", p->args[i]);
	for (char **e = l->env; e && *e && r == 0; e++)
		r = cfg_line(buf, "env", *e);
	if (r == 0 && p->cwd)
		r = cfg_line(buf, "cwd", p->cwd);
	if (r == 0 && l->spec->hostname)
		r = cfg_line(buf, "hostname", l->spec->hostname);
	if (r == 0 && l->spec->domainname)
		r = cfg_line(buf, "domainname", l->spec->domainname);
	if (r == 0 && p->terminal)
		strcat(buf, "terminal\n");
	if (r == 0) {
		size_t used = strlen(buf);
		int n = snprintf(buf + used, VM_CONFIG_MAX - used, "user %u %u",
				 p->user.uid, p->user.gid);

		for (size_t i = 0; n > 0 && i < p->user.n_additional_gids; i++) {
			used = strlen(buf);
			n = snprintf(buf + used, VM_CONFIG_MAX - used, "%c%u", i ? ',' : ' ',
				     p->user.additional_gids[i]);
		}
		strcat(buf, "\n");
	}
	r = r == 0 ? build_agent_security(l, buf) : r;
	/* --- vm network: the container's /etc files (backend_vm_net.c) --- */
	if (r == 0 && vm_net_agent_files(l->spec, buf, VM_CONFIG_MAX, err) < 0)
		return -1;
	for (size_t i = 0; r == 0 && i < p->n_rlimits; i++) {
		size_t used = strlen(buf);

		snprintf(buf + used, VM_CONFIG_MAX - used, "rlimit %d %lld %lld\n",
			 p->rlimits[i].resource,
			 p->rlimits[i].soft == UINT64_MAX ? -1LL : (long long)p->rlimits[i].soft,
			 p->rlimits[i].hard == UINT64_MAX ? -1LL : (long long)p->rlimits[i].hard);
	}
	if (r < 0 || strlen(buf) >= VM_CONFIG_MAX - 64)
		return hull_error_set(err, E2BIG, "process settings too large for the VM agent");
	return 0;
}

/* An annotation that sizes the VM: absent leaves *v alone; anything but a
 * number in min..max is an error naming it. */
static int annotation_uint(const struct spec *s, const char *key, unsigned int min,
			   unsigned int max, unsigned int *v, struct hull_error *err)
{
	const char *a = spec_annotation(s, key);
	char *end;
	unsigned long n;

	if (a == NULL)
		return 0;
	errno = 0;
	n = strtoul(a, &end, 10);
	if (*a == '\0' || *end || errno || n < min || n > max)
		return hull_error_set(err, EINVAL, "annotations.%s: \"%s\" is not a number in %u..%u",
				      key, a, min, max);
	*v = (unsigned int)n;
	return 0;
}

/* Guest RAM and vCPUs from linux.resources, then the annotations. */
static int vm_size(const struct spec *s, struct vmm_config *cfg, struct hull_error *err)
{
	const struct spec_resources *r = s->linux.resources;
	int64_t limit = -1;

	cfg->mem_mib = VM_DEFAULT_MIB;
	cfg->cpus = 1;
	if (r && r->memory_set && r->memory.limit.set && r->memory.limit.v > 0)
		limit = r->memory.limit.v >> 20;
	if (limit >= 0) {
		if (limit < VM_MIN_GUEST_MIB + VM_MONITOR_RESERVE_MIB)
			return hull_error_set(err, EINVAL,
					      "linux.resources.memory.limit: %lld MiB is too small for a microVM "
					      "(at least %d MiB: %d for the guest, %d for the monitor)",
					      (long long)limit, VM_MIN_GUEST_MIB + VM_MONITOR_RESERVE_MIB,
					      VM_MIN_GUEST_MIB, VM_MONITOR_RESERVE_MIB);
		cfg->mem_mib = (unsigned int)(limit - VM_MONITOR_RESERVE_MIB);
	}
	if (r && r->cpu_set && r->cpu.quota.set && r->cpu.quota.v > 0) {
		uint64_t period = r->cpu.period.set && r->cpu.period.v ? r->cpu.period.v : 100000;
		uint64_t n = ((uint64_t)r->cpu.quota.v + period - 1) / period;

		cfg->cpus = n < 1 ? 1 : n > VMM_MAX_CPUS ? VMM_MAX_CPUS : (unsigned int)n;
	}
	if (annotation_uint(s, HULL_VM_ANNOTATION ".memory", VM_MIN_GUEST_MIB, 1u << 20,
			    &cfg->mem_mib, err) < 0)
		return -1;
	return annotation_uint(s, HULL_VM_ANNOTATION ".cpus", 1, VMM_MAX_CPUS, &cfg->cpus, err);
}

struct vm_child {
	struct vmm_config cfg;
	char disk[4096], initrd[4096], kernel[4096];
	int disk_fd;            /* the cached read-only disk, or -1 */
	int tty_fd;             /* process.terminal: the host pty's slave, or -1 */
	int netns_fd;           /* linux.namespaces network with a path, or -1 */
	int go_fd;              /* read end: parent placed us in the cgroup and
				   sends the jail's uid (a u32) */
	int ready_fd;           /* write end: we are about to park on the fifo */
	char vsock[4096];       /* <state>/vsock.sock (runtime/backend_vm_exec.c) */
	char cmdline[1024];     /* the guest's extra kernel arguments */
};

/* The jail's uid and gid: a dedicated id per VM, from a range no
 * distribution hands out (above 2^30, below the 2^31 some tools treat as
 * negative), plus the monitor's host pid, unique among live monitors.
 * Two VMs then never share an id (no ptrace, no signals between them,
 * separate RLIMIT_NPROC counts). */
#define VM_JAIL_ID_BASE 0x48000000u

/* The monitor's namespaces at clone time: a pid namespace can only be
 * entered by a new process, so it is made here (the jail makes the mount,
 * ipc and uts ones itself, vmm/jail.c).  The network namespace is the
 * container's: a new one when linux.namespaces asks for one without a
 * path, the given one (joined in the child) with a path, the host's when
 * the config has none, as for a container. */
static unsigned long vm_clone_flags(const struct spec *s, bool jail)
{
	unsigned long flags = 0;

	if (jail)
		flags |= CLONE_NEWPID;
	if (s->linux.ns[NS_NET].enabled && s->linux.ns[NS_NET].path == NULL)
		flags |= CLONE_NEWNET;
	return flags;
}

/* The monitor never execs, so CLOEXEC does not protect it: close every fd
 * the runtime had open except stdio and `keep`.  Above all the state
 * directory's fd, whose flock would otherwise stay held for the VM's whole
 * life and block `start`, `kill` and `delete`. */
static void close_other_fds(const int *keep, size_t n)
{
	unsigned int from = 3;

	for (;;) {
		unsigned int next = ~0U;

		for (size_t i = 0; i < n; i++)
			if (keep[i] >= (int)from && (unsigned int)keep[i] < next)
				next = (unsigned int)keep[i];
		if (next > from)
			close_range(from, next - 1, 0);
		if (next == ~0U)
			return;
		from = next + 1;
	}
}

static __attribute__((noreturn)) void vm_child_main(struct launch *l, struct vm_child *vc)
{
	struct hull_error err = { 0 };
	char path[64];
	sigset_t set;
	int fifo, status = 0;
	uint32_t jail_id;
	const int keep[] = { vc->go_fd, vc->ready_fd, l->fifo_fd, l->proc_fd, vc->disk_fd,
			     vc->tty_fd, vc->netns_fd, vc->cfg.vsock_listen_fd,
			     vc->cfg.fs[0].sock /* virtio-fs */ };

	close_other_fds(keep, sizeof(keep) / sizeof(keep[0]));
	if (vc->netns_fd >= 0 && setns(vc->netns_fd, CLONE_NEWNET) < 0) {
		dprintf(2, "hull: vm: joining the container's network namespace: %s\n",
			strerror(errno));
		_exit(127);
	}
	if (vc->netns_fd >= 0)
		close(vc->netns_fd);
	/* The console pty becomes the monitor's controlling terminal, so a
	 * resize on its master (run's proxy, a --console-socket holder)
	 * sends the monitor SIGWINCH, which it passes on to the guest's
	 * console as a size change. */
	if (vc->tty_fd >= 0 && (setsid() < 0 || ioctl(vc->tty_fd, TIOCSCTTY, 0) < 0)) {
		dprintf(2, "hull: vm: console pty as controlling terminal: %s\n", strerror(errno));
		_exit(127);
	}
	if (read(vc->go_fd, &jail_id, sizeof(jail_id)) != sizeof(jail_id))
		_exit(127);
	close(vc->go_fd);
	vc->cfg.jail.uid = jail_id;
	vc->cfg.jail.gid = jail_id;
	/* Signals go through a signalfd to the monitor's event loop, which
	 * forwards them to the process in the guest.  Blocked before we tell
	 * the parent we are ready, so a `kill` right after `create` waits in
	 * the signalfd instead of killing the monitor with its default
	 * action. */
	sigfillset(&set);
	sigdelset(&set, SIGUSR1);       /* the monitor's vCPU kick */
	sigdelset(&set, SIGSEGV);
	sigdelset(&set, SIGBUS);
	sigprocmask(SIG_BLOCK, &set, NULL);
	vc->cfg.signal_fd = signalfd(-1, &set, SFD_CLOEXEC);
	vc->cfg.signal_to_guest = true;
	if (write(vc->ready_fd, "r", 1) != 1)
		_exit(127);
	close(vc->ready_fd);
	/* The create/start gate, as for the linux backend (runtime/child.c). */
	snprintf(path, sizeof(path), "self/fd/%d", l->fifo_fd);
	do
		fifo = openat(l->proc_fd, path, O_WRONLY | O_CLOEXEC);
	while (fifo < 0 && errno == EINTR);
	if (fifo < 0 || write(fifo, "0", 1) != 1) {
		dprintf(2, "hull: exec fifo: %s\n", strerror(errno));
		_exit(127);
	}
	close(l->fifo_fd);
	close(l->proc_fd);
	close(fifo);
	/* --- vm network: the tap joined to the container's interface, now
	 * that `start` let us go (Hull's --net attached its veth during
	 * create) and before vmm_run jails us (backend_vm_net.c) --- */
	if (vm_net_open(l->spec, l->c->dir, &vc->cfg, vc->cmdline, sizeof(vc->cmdline), &err) < 0) {
		dprintf(2, "hull: %s\n", err.msg);
		_exit(125);
	}
	if (vmm_run(&vc->cfg, &status, NULL, &err) < 0) {
		dprintf(2, "hull: vm: %s\n", err.msg);
		_exit(125);
	}
	_exit(status == VMM_STATUS_NONE ? 0 : (status > 255 ? 255 : status));
}

static int vm_cleanup(struct container *c, struct hull_error *err)
{
	char p[4096];

	snprintf(p, sizeof(p), "%s/vm-initrd.cpio", c->dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/vm-rootfs.ext4", c->dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/" VM_VSOCK_SOCKET, c->dir);
	unlink(p);
	vm_fs_cleanup(c);
	vm_net_cleanup(c->dir);
	return 0;
}

/* The root disk.  A read-only root comes from the disk cache (made once
 * per rootfs content, see vmm/disk_cache.c) and reaches the monitor as an
 * fd opened here, so a later eviction cannot pull it away before `start`;
 * a writable one is the container's own image in its state directory. */
static int prepare_root_disk(struct launch *l, struct vm_child *vc, struct hull_error *err)
{
	const struct spec *s = l->spec;
	const char *cache = getenv("HULL_VM_DISK_CACHE");
	char cached[4096];

	if (!s->root_readonly) {
		snprintf(vc->disk, sizeof(vc->disk), "%s/vm-rootfs.ext4", l->c->dir);
		return vmm_rootfs_image(s->root_path, vc->disk, err);
	}
	if (vmm_rootfs_cached(s->root_path, cache && *cache ? cache : VMM_DISK_CACHE, cached,
			      sizeof(cached), err) < 0)
		return -1;
	vc->disk_fd = open(cached, O_RDONLY | O_CLOEXEC);
	if (vc->disk_fd < 0)
		return hull_error_errno(err, "open %s", cached);
	snprintf(vc->disk, sizeof(vc->disk), "/proc/self/fd/%d", vc->disk_fd);
	return 0;
}

/* The monitor exists and waits on the exec fifo: what container mode
 * does at this point.  process.oomScoreAdj goes on the monitor (the host's
 * OOM killer sees the whole VM as it); prestart, createRuntime and
 * createContainer run on the host with the state "creating" and the
 * monitor's pid, as the Linux backend runs them (createContainer there in
 * the container's namespaces: the VM's are inside the guest). */
static int vm_after_spawn(struct launch *l, pid_t pid, struct hull_error *err)
{
	const struct spec_process *p = l->spec->process;
	autofree char *state = NULL;

	if (p->has_oom_score_adj) {
		char path[64], v[16];
		int n = snprintf(v, sizeof(v), "%d", p->oom_score_adj);

		snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", (int)pid);
		if (fs_write_file(path, v, (size_t)n, err) < 0)
			return hull_error_prefix(err, "process.oomScoreAdj (on the VM monitor)");
	}
	l->c->pid = pid;
	state = container_state_json_as(l->c, STATUS_CREATING);
	if (state == NULL)
		return hull_error_set(err, ENOMEM, "building state for hooks");
	if (hooks_run(&l->spec->hooks, HOOK_PRESTART, state, err) < 0 ||
	    hooks_run(&l->spec->hooks, HOOK_CREATE_RUNTIME, state, err) < 0 ||
	    hooks_run(&l->spec->hooks, HOOK_CREATE_CONTAINER, state, err) < 0)
		return -1;
	return 0;
}

int vm_start_container_hooks(struct container *c, const struct spec *s, struct hull_error *err)
{
	autofree char *state = container_state_json_as(c, STATUS_CREATED);

	if (state == NULL)
		return hull_error_set(err, ENOMEM, "building state for hooks");
	if (hooks_run(&s->hooks, HOOK_START_CONTAINER, state, err) < 0) {
		if (c->pid > 0)
			kill(c->pid, SIGKILL);
		return -1;
	}
	return 0;
}

static int vm_spawn(struct launch *l, struct hull_error *err)
{
	const struct spec *s = l->spec;
	autofree char *config = NULL;
	struct vm_child vc;
	struct vm_fs fs = { .pid = 0, .sock = -1 };
	int go[2] = { -1, -1 }, ready[2] = { -1, -1 }, master = -1;
	pid_t pid;
	uint32_t jail_id;
	char b;

	if (s->process == NULL || s->process->n_args == 0)
		return hull_error_set(err, EINVAL, "vm: process.args is required");
	if (vm_check_spec(s, err) < 0)
		return hull_error_prefix(err, "vm");
	/* process.apparmorProfile (podman sends its containers-default on
	 * AppArmor hosts): the guest kernel has no AppArmor, and the monitor
	 * is the container's only process on the host, so the profile
	 * confines it, checked as the Linux backend checks it and entered by
	 * the jail (vmm/jail.h), hence refused with --vm-no-jail. */
	if (lsm_prepare(l, s->process, err) < 0)
		return hull_error_prefix(err, "vm");
	if (l->lsm.apparmor_profile && l->vm_no_jail)
		return hull_error_set(err, ENOTSUP, "vm: process.apparmorProfile \"%s\" is entered "
				      "by the monitor's jail: not with --vm-no-jail",
				      l->lsm.apparmor_profile);
	/* Refuse before building images: a standard kernel cannot boot on PVM. */
	if (vmm_host_is_pvm())
		return hull_error_set(err, ENOTSUP, "vm: " VMM_PVM_MESSAGE);
	if (access("/dev/kvm", R_OK | W_OK) < 0)
		return hull_error_errno(err, "vm: /dev/kvm");
	memset(&vc, 0, sizeof(vc));
	vc.disk_fd = vc.tty_fd = vc.netns_fd = -1;
	vmm_config_init(&vc.cfg);
	if (vm_size(s, &vc.cfg, err) < 0)
		return -1;
	if (vmm_find_kernel(l->vm_kernel ? l->vm_kernel :
			    spec_annotation(s, HULL_VM_ANNOTATION ".kernel"),
			    vc.kernel, sizeof(vc.kernel), err) < 0)
		return -1;
	config = malloc(VM_CONFIG_MAX);
	if (config == NULL)
		return hull_error_errno(err, "malloc");
	if (build_agent_config(l, config, err) < 0 ||
	    vm_fs_agent_config(s, config, VM_CONFIG_MAX - 64, err) < 0)
		return -1;
	{
		char agent[4096];

		if (vmm_find_agent(agent, sizeof(agent), err) < 0)
			return -1;
		snprintf(vc.initrd, sizeof(vc.initrd), "%s/vm-initrd.cpio", l->c->dir);
		if (vmm_initramfs_write_seccomp(vc.initrd, agent, config, strlen(config),
						l->seccomp ? l->seccomp->fprog.filter : NULL,
						l->seccomp ? l->seccomp->fprog.len *
							     sizeof(struct sock_filter) : 0,
						err) < 0)
			return hull_error_prefix(err, "vm");
	}
	if (prepare_root_disk(l, &vc, err) < 0) {
		hull_error_prefix(err, "vm: root disk");
		goto fail;
	}
	vc.cfg.kernel = vc.kernel;
	vc.cfg.initrd = vc.initrd;
	vc.cfg.disks[0] = (struct vmm_disk){ .path = vc.disk, .read_only = s->root_readonly };
	vc.cfg.ndisks = 1;
	snprintf(vc.cmdline, sizeof(vc.cmdline), "quiet");
	vc.cfg.cmdline = vc.cmdline;
	/* The jail's empty root is mounted over the state directory inside
	 * the monitor's own mount namespace: the host never sees it. */
	vc.cfg.jail.enabled = !l->vm_no_jail;
	vc.cfg.jail.mount_point = l->c->dir;
	vc.cfg.jail.forbidden_syscall_selftest = getenv("HULL_VM_DEBUG_FORBIDDEN_SYSCALL") != NULL;
	vc.cfg.jail.apparmor_profile = l->lsm.apparmor_profile;  /* lsm_prepare above */
	if (s->linux.ns[NS_NET].enabled && s->linux.ns[NS_NET].path) {
		vc.netns_fd = open(s->linux.ns[NS_NET].path, O_RDONLY | O_CLOEXEC);
		if (vc.netns_fd < 0) {
			hull_error_errno(err, "vm: linux.namespaces: network path %s",
					 s->linux.ns[NS_NET].path);
			goto fail;
		}
	}
	/* --- virtio-fs: bind mounts through one virtiofsd, connected here,
	 * before the fork (runtime/backend_vm_fs.c) --- */
	if (vm_fs_start(l, &fs, err) < 0)
		goto fail;
	if (fs.sock >= 0) {
		vc.cfg.fs[0] = (struct vmm_fs){ .sock = fs.sock, .tag = VM_FS_TAG };
		vc.cfg.nfs = 1;
	}
	/* --- end virtio-fs --- */
	/* --- virtio-vsock: <state>/vsock.sock listens from here, before the
	 * fork and before the monitor is confined in any way, so the monitor
	 * needs only the fd (exec and Firecracker-style clients use it). --- */
	snprintf(vc.vsock, sizeof(vc.vsock), "%s/" VM_VSOCK_SOCKET, l->c->dir);
	vc.cfg.vsock_listen_fd = vsock_host_listen(vc.vsock, err);
	if (vc.cfg.vsock_listen_fd < 0)
		goto fail;
	vc.cfg.vsock_uds = vc.vsock;
	/* The jailed monitor (its own uid) connects to "<state>/vsock.sock_P"
	 * for guest -> host: it must be able to search the state directory,
	 * not list it (0711, as runc's container directories are). */
	if (vc.cfg.jail.enabled && chmod(l->c->dir, 0711) < 0) {
		hull_error_errno(err, "vm: chmod %s", l->c->dir);
		goto fail;
	}
	/* --- end virtio-vsock --- */

	/* process.terminal: the VM's console is a host pty whose master goes
	 * where a container's would (run's proxy or --console-socket); the
	 * guest's console is the process's cooked controlling terminal. */
	if (s->process->terminal) {
		if (terminal_open_host(s->process, &master, &vc.tty_fd, err) < 0)
			goto fail;
		vc.cfg.console_in = vc.cfg.console_out = vc.tty_fd;
	}
	if (pipe2(go, O_CLOEXEC) < 0 || pipe2(ready, O_CLOEXEC) < 0) {
		hull_error_errno(err, "vm: pipe");
		goto fail;
	}
	/* fork()-like: no new stack, the child returns 0 here. */
	pid = (pid_t)syscall(SYS_clone, SIGCHLD | vm_clone_flags(s, vc.cfg.jail.enabled), NULL,
			     NULL, NULL, 0);
	if (pid < 0) {
		hull_error_errno(err, "vm: clone");
		goto fail;
	}
	if (pid == 0) {
		close(go[1]);
		close(ready[0]);
		vc.go_fd = go[0];
		vc.ready_fd = ready[1];
		vm_child_main(l, &vc);
	}
	close(go[0]);
	close(ready[1]);
	go[0] = ready[1] = -1;
	/* Into the cgroup before the monitor maps guest memory, so the
	 * container's memory limit covers the guest's RAM. */
	jail_id = VM_JAIL_ID_BASE + (uint32_t)pid;
	if (cgroup_enter(l->cgroup, pid, err) < 0 ||
	    write(go[1], &jail_id, sizeof(jail_id)) != sizeof(jail_id) ||
	    read(ready[0], &b, 1) != 1) {
		hull_error_set(err, EIO, "vm: monitor did not start");
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		goto fail;
	}
	close(go[1]);
	close(ready[0]);
	go[1] = ready[0] = -1;
	if (vm_after_spawn(l, pid, err) < 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		goto fail;
	}
	l->pid = pid;
	l->pidfd = -1;
	l->pty_master = -1;
	if (master >= 0) {
		int m = master;

		master = -1;
		if (terminal_hand_over(m, l->tty_to_parent, l->console_socket, &l->pty_master,
				       err) < 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			goto fail;
		}
	}
	if (vc.disk_fd >= 0)
		close(vc.disk_fd);
	if (vc.tty_fd >= 0)
		close(vc.tty_fd);
	if (vc.netns_fd >= 0)
		close(vc.netns_fd);
	if (vc.cfg.vsock_listen_fd >= 0)
		close(vc.cfg.vsock_listen_fd);  /* the monitor has its copy */
	vm_fs_release(&fs);                     /* so has it of this one */
	return 0;
fail:
	for (int i = 0; i < 2; i++) {
		if (go[i] >= 0)
			close(go[i]);
		if (ready[i] >= 0)
			close(ready[i]);
	}
	if (vc.disk_fd >= 0)
		close(vc.disk_fd);
	if (vc.tty_fd >= 0)
		close(vc.tty_fd);
	if (vc.netns_fd >= 0)
		close(vc.netns_fd);
	if (master >= 0)
		close(master);
	if (vc.cfg.vsock_listen_fd >= 0)
		close(vc.cfg.vsock_listen_fd);
	vm_fs_abort(&fs);
	vm_cleanup(l->c, err);
	return -1;
}


/* The monitor opens /dev/kvm once it is in the container's cgroup, whose
 * device rules (the container's) would refuse it. */
static const struct spec_device_rule vm_host_devices[] = {
	{ .allow = true, .type = 'c', .major = 10, .minor = 232, .access = "rw" },
};

HULL_BACKEND(backend_vm) = {
	.name = "vm",
	.host_devices = vm_host_devices,
	.n_host_devices = sizeof(vm_host_devices) / sizeof(vm_host_devices[0]),
	.spawn = vm_spawn,
	.cleanup = vm_cleanup,
};
