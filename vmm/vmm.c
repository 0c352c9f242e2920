/* vmm_run: validate the configuration, build the machine (memory, legacy
 * ports, devices, vCPUs), load the guest, run it to the end, tear down. */
#include "vmm/vmm.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "vmm/boot.h"
#include "vmm/jail.h"
#include "vmm/legacy.h"
#include "vmm/mptable.h"
#include "vmm/serial.h"
#include "vmm/virtio_blk.h"
#include "vmm/virtio_console.h"
#include "vmm/virtio_fs.h"
#include "vmm/virtio_net.h"
#include "vmm/virtio_rng.h"
#include "vmm/virtio_vsock.h"
#include "vmm/vm.h"
#include "vmm/x86.h"

/* Arguments Hull always gives Linux: no PCI or ACPI to probe, reboot
 * through the keyboard controller (which stops the VM), no panic wait, and
 * the i8042 options that keep the guest off the legacy ports.  Boot time:
 * no_timer_check skips Linux's test of the IO-APIC timer route (a 40 ms
 * busy wait at HZ=250; KVM's in-kernel irqchip routes it), and
 * random.trust_cpu=on seeds the guest's RNG from RDRAND at once instead of
 * waiting for virtio-rng (a no-op on a CPU without RDRAND). */
#define VMM_BASE_CMDLINE \
	"reboot=k panic=-1 pci=off i8042.noaux i8042.nomux i8042.nopnp i8042.dumbkbd" \
	" no_timer_check random.trust_cpu=on"

struct machine {
	struct vm vm;
	struct legacy_devices legacy;
	struct serial serial;
	bool serial_on;
	struct virtio_blk blk[VMM_MAX_DISKS];
	unsigned int nblk;
	struct virtio_console console;
	bool console_on;
	struct virtio_console control;  /* the agent's channel (hvc1) */
	bool control_on;
	bool signal_to_guest;
	uint8_t msg[5];                 /* a guest -> host message being read */
	size_t msg_len;
	int control_pipe[2];            /* [1]: signal bytes in; [0]: the
					   control console's input */
	struct virtio_rng rng;
	bool rng_on;
	struct virtio_vsock vsock;      /* vsock: after every other device */
	bool vsock_on;
	struct virtio_fs fs[VMM_MAX_FS];        /* virtio-fs: after vsock */
	unsigned int nfs;
	struct virtio_net net;          /* virtio-net: after vsock */
	bool net_on;
	unsigned int ndev;      /* virtio-mmio slots used */
	char cmdline[X86_CMDLINE_MAX];
	struct vmm_jail_filters filters;        /* cfg->jail.enabled */
};

void vmm_config_init(struct vmm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->boot = VMM_BOOT_AUTO;
	cfg->mem_mib = 128;
	cfg->cpus = 1;
	cfg->console = true;
	cfg->rng = true;
	cfg->console_in = STDIN_FILENO;
	cfg->console_out = STDOUT_FILENO;
	cfg->debug_fd = -1;
	cfg->sample_fd = -1;
	cfg->signal_fd = -1;
	cfg->vsock_listen_fd = -1;
	cfg->vsock_cid = VSOCK_DEFAULT_CID;
	for (unsigned int i = 0; i < VMM_MAX_FS; i++)
		cfg->fs[i].sock = -1;
	cfg->net_tap_fd = -1;
}

static int validate_config(const struct vmm_config *cfg, struct hull_error *err)
{
	if (cfg->kernel == NULL || cfg->kernel[0] == '\0')
		return hull_error_set(err, EINVAL, "no kernel given");
	if (access(cfg->kernel, R_OK) < 0)
		return hull_error_errno(err, "kernel %s", cfg->kernel);
	if (cfg->initrd && access(cfg->initrd, R_OK) < 0)
		return hull_error_errno(err, "initrd %s", cfg->initrd);
	if (cfg->cpus < 1 || cfg->cpus > VMM_MAX_CPUS)
		return hull_error_set(err, EINVAL, "cpus: %u not in 1..%d", cfg->cpus, VMM_MAX_CPUS);
	if (cfg->mem_mib < 16 || cfg->mem_mib > (1u << 20))
		return hull_error_set(err, EINVAL, "memory: %u MiB not in 16..1048576", cfg->mem_mib);
	if (cfg->nfs > VMM_MAX_FS)
		return hull_error_set(err, EINVAL, "at most %d shared file systems", VMM_MAX_FS);
	if (cfg->ndisks > VMM_MAX_DISKS)
		return hull_error_set(err, EINVAL, "at most %d disks", VMM_MAX_DISKS);
	for (unsigned int i = 0; i < cfg->ndisks; i++)
		if (cfg->disks[i].path == NULL ||
		    access(cfg->disks[i].path, cfg->disks[i].read_only ? R_OK : R_OK | W_OK) < 0)
			return hull_error_errno(err, "disk %u (%s)", i,
						cfg->disks[i].path ? cfg->disks[i].path : "none");
	if (cfg->cmdline && strlen(cfg->cmdline) > X86_CMDLINE_MAX / 2)
		return hull_error_set(err, EINVAL, "kernel command line too long");
	if (cfg->boot == VMM_BOOT_FLAT && cfg->flat_addr < 0x100000)
		return hull_error_set(err, EINVAL, "flat image address below 1 MiB");
	return 0;
}

static void signal_event(void *opaque, int fd, uint32_t events)
{
	struct machine *m = opaque;
	struct signalfd_siginfo si;
	uint8_t b;

	/* The caller's signalfd: one read returns one whole siginfo. */
	if (read(fd, &si, sizeof(si)) != sizeof(si))
		return;
	if (!m->signal_to_guest || si.ssi_signo == 0 || si.ssi_signo > 255) {
		vm_request_stop(&m->vm, 128 + (int)si.ssi_signo);
		return;
	}
	/* One byte per signal into the control console's input; the pipe
	 * holds 64 KiB, far more than signals that can be pending. */
	/* A terminal's new size: the guest kernel tells its foreground
	 * process group itself (SIGWINCH from hvc_resize). */
	if (si.ssi_signo == SIGWINCH && m->console_on && m->console.size_fd >= 0) {
		virtio_console_update_size(&m->console);
		return;
	}
	b = (uint8_t)si.ssi_signo;
	if (write(m->control_pipe[1], &b, 1) != 1)
		vm_request_stop(&m->vm, 128 + (int)si.ssi_signo);
}

/* Control message 0: the container's stdin ended after `total` bytes
 * (little-endian u64 follows), so the agent can close the process's stdin
 * once it has passed on exactly that many. */
static void stdin_eof(void *opaque, uint64_t total)
{
	struct machine *m = opaque;
	uint8_t msg[9] = { 0 };

	for (int i = 0; i < 8; i++)
		msg[1 + i] = (uint8_t)(total >> (8 * i));
	if (write(m->control_pipe[1], msg, sizeof(msg)) != (ssize_t)sizeof(msg)) {
		/* Only if the agent never reads its channel: it then never
		 * sees end-of-file either, as without a control channel. */
	}
}

static void console_ready(void *opaque)
{
	struct machine *m = opaque;

	/* The agent opens hvc1 before it says it is ready, so both consoles
	 * can take input from here on. */
	virtio_console_open_input(&m->console);
	if (m->control_on)
		virtio_console_open_input(&m->control);
}

/* Guest -> host messages on the control console, from Hull's agent:
 *   'R'                 the agent has its consoles open: input may flow
 *   'S' + LE u32        the process's exit status; the VM stops
 * Every byte is guest-controlled: unknown bytes are ignored, a status is
 * masked to 31 bits as on the control port.  Called with the control
 * console's lock held (the stdio console's lock nests inside it). */
static void control_message(void *opaque, const uint8_t *p, uint32_t n)
{
	struct machine *m = opaque;

	for (uint32_t i = 0; i < n; i++) {
		if (m->msg_len == 0) {
			if (p[i] == 'R') {
				virtio_console_open_input(&m->console);
				/* The guest's console exists: its first size. */
				virtio_console_update_size(&m->console);
			}
			else if (p[i] == 'S')
				m->msg[m->msg_len++] = p[i];
			continue;
		}
		m->msg[m->msg_len++] = p[i];
		if (m->msg_len < sizeof(m->msg))
			continue;
		m->msg_len = 0;
		vm_request_stop(&m->vm, (int)(((uint32_t)m->msg[1] | (uint32_t)m->msg[2] << 8 |
					       (uint32_t)m->msg[3] << 16 | (uint32_t)m->msg[4] << 24) &
					      0x7fffffff));
	}
}

/* --- virtio-vsock, guest -> host under the jail --- */
/* The directory of cfg->vsock_uds, which the jail binds at
 * VMM_JAIL_VSOCK_DIR; "" when there is none. */
static void vsock_uds_dir(const struct vmm_config *cfg, char *dir, size_t n)
{
	const char *slash = cfg->vsock_uds ? strrchr(cfg->vsock_uds, '/') : NULL;

	dir[0] = '\0';
	if (slash && slash > cfg->vsock_uds && (size_t)(slash - cfg->vsock_uds) < n) {
		memcpy(dir, cfg->vsock_uds, (size_t)(slash - cfg->vsock_uds));
		dir[slash - cfg->vsock_uds] = '\0';
	}
}

/* The socket's name as the jailed monitor sees it: VMM_JAIL_VSOCK_DIR/<name>
 * ("" when there is no directory to bind: then guests get RST). */
static void vsock_jailed_uds(struct machine *m, const struct vmm_config *cfg)
{
	char dir[4096];

	vsock_uds_dir(cfg, dir, sizeof(dir));
	m->vsock.uds[0] = '\0';
	if (dir[0] && strlen(VMM_JAIL_VSOCK_DIR) + strlen(cfg->vsock_uds + strlen(dir)) + 12 <=
			      sizeof(m->vsock.uds))
		snprintf(m->vsock.uds, sizeof(m->vsock.uds), "%s%s", VMM_JAIL_VSOCK_DIR,
			 cfg->vsock_uds + strlen(dir));
}
/* --- end virtio-vsock --- */

static int add_devices(struct machine *m, const struct vmm_config *cfg, struct hull_error *err)
{
	bool bells = !cfg->no_ioeventfd;

	/* Disks first, so the first disk is /dev/vda. */
	for (unsigned int i = 0; i < cfg->ndisks; i++) {
		if (virtio_blk_init(&m->blk[i], &m->vm, m->ndev, cfg->disks[i].path,
				    cfg->disks[i].read_only, bells, err) < 0)
			return -1;
		m->nblk = i + 1;
		virtio_mmio_cmdline(&m->blk[i].t, m->cmdline, sizeof(m->cmdline));
		m->ndev++;
	}
	if (cfg->console) {
		/* On a terminal the guest's console follows its size. */
		if (virtio_console_init_sized(&m->console, &m->vm, m->ndev, cfg->console_in,
					      cfg->console_out,
					      isatty(cfg->console_out) ? cfg->console_out : -1,
					      bells, err) < 0)
			return -1;
		m->console_on = true;
		m->legacy.console_ready = console_ready;
		m->legacy.console_ready_opaque = m;
		virtio_mmio_cmdline(&m->console.t, m->cmdline, sizeof(m->cmdline));
		m->ndev++;
	}
	/* Right after the stdio console, so that the guest numbers it hvc1
	 * (virtio devices probe in command-line order).  Always there with a
	 * console: it is how the agent reports the exit status (the guest
	 * kernel has no user-space port I/O). */
	if (cfg->console) {
		if (pipe2(m->control_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
			return hull_error_errno(err, "control channel pipe");
		if (virtio_console_init(&m->control, &m->vm, m->ndev, m->control_pipe[0], -1,
					bells, err) < 0)
			return -1;
		m->control_on = true;
		m->signal_to_guest = cfg->signal_to_guest;
		m->control.on_output = control_message;
		m->control.output_opaque = m;
		m->console.on_eof = stdin_eof;
		m->console.eof_opaque = m;
		virtio_mmio_cmdline(&m->control.t, m->cmdline, sizeof(m->cmdline));
		m->ndev++;
	}
	if (cfg->rng) {
		if (virtio_rng_init(&m->rng, &m->vm, m->ndev, bells, err) < 0)
			return -1;
		m->rng_on = true;
		virtio_mmio_cmdline(&m->rng.t, m->cmdline, sizeof(m->cmdline));
		m->ndev++;
	}
	/* --- virtio-vsock: last, so it shifts no other device's number --- */
	if (cfg->vsock_listen_fd >= 0) {
		if (virtio_vsock_init(&m->vsock, &m->vm, m->ndev, cfg->vsock_cid,
				      cfg->vsock_listen_fd, cfg->vsock_uds, bells, err) < 0)
			return -1;
		m->vsock_on = true;
		/* A jailed monitor sees the socket's directory at
		 * VMM_JAIL_VSOCK_DIR (machine_jail): "<uds>_P" is looked up
		 * there.  Host->guest connections use the listening fd. */
		if (cfg->jail.enabled)
			vsock_jailed_uds(m, cfg);
		virtio_mmio_cmdline(&m->vsock.t, m->cmdline, sizeof(m->cmdline));
		m->ndev++;
	}
	/* --- end virtio-vsock --- */
	/* --- virtio-fs: after vsock (the agent finds them by tag) --- */
	for (unsigned int i = 0; i < cfg->nfs; i++) {
		/* The MP table routes ISA IRQs 0..15 only. */
		if (VM_VIRTIO_IRQ_BASE + m->ndev > 15)
			return hull_error_set(err, ENOSPC, "virtio-fs: no interrupt line left for "
					      "device %u", m->ndev);
		/* virtio_fs_init owns the socket from here, even on failure. */
		if (virtio_fs_init(&m->fs[i], &m->vm, m->ndev, cfg->fs[i].tag, cfg->fs[i].sock,
				   bells, err) < 0) {
			for (unsigned int j = i + 1; j < cfg->nfs; j++)
				close(cfg->fs[j].sock);
			return -1;
		}
		m->nfs = i + 1;
		virtio_mmio_cmdline(&m->fs[i].t, m->cmdline, sizeof(m->cmdline));
		m->ndev++;
	}
	/* --- end virtio-fs --- */
	/* --- virtio-net: after vsock, the guest's only NIC (eth0) --- */
	if (cfg->net_tap_fd >= 0) {
		if (VM_VIRTIO_IRQ_BASE + m->ndev > 15)
			return hull_error_set(err, ENOSPC, "virtio-net: no interrupt line left for "
					      "device %u", m->ndev);
		if (virtio_net_init(&m->net, &m->vm, m->ndev, cfg->net_tap_fd, cfg->net_mac,
				    cfg->net_mtu, cfg->net_no_offloads, bells, err) < 0)
			return -1;
		m->net_on = true;
		virtio_mmio_cmdline(&m->net.t, m->cmdline, sizeof(m->cmdline));
		m->ndev++;
	}
	/* --- end virtio-net --- */
	if (cfg->serial) {
		if (serial_init(&m->serial, &m->vm, cfg->console_out, err) < 0)
			return -1;
		m->serial_on = true;
	}
	return 0;
}

static int build_cmdline(struct machine *m, const struct vmm_config *cfg, struct hull_error *err)
{
	char devices[X86_CMDLINE_MAX / 2];
	int r;

	/* add_devices appended the virtio_mmio.device= arguments already. */
	memcpy(devices, m->cmdline, sizeof(devices));
	devices[sizeof(devices) - 1] = '\0';
	/* Without Hull's 16550 there is no UART to probe for. */
	r = snprintf(m->cmdline, sizeof(m->cmdline), "%s %s%s %s", VMM_BASE_CMDLINE,
		     cfg->serial ? "console=ttyS0" : "console=hvc0 8250.nr_uarts=0", devices,
		     cfg->cmdline ? cfg->cmdline : "");
	if (r < 0 || (size_t)r >= sizeof(m->cmdline))
		return hull_error_set(err, E2BIG, "kernel command line too long");
	return 0;
}

static int load_guest(struct machine *m, const struct vmm_config *cfg,
		      struct x86_entry *entry, struct hull_error *err)
{
	enum vmm_boot boot = cfg->boot;

	if (boot == VMM_BOOT_AUTO)
		boot = boot_is_bzimage(cfg->kernel) ? VMM_BOOT_BZIMAGE : VMM_BOOT_PVH;
	/* Linux finds vCPUs and the IOAPIC through the MP table (no ACPI). */
	if (boot != VMM_BOOT_FLAT && mptable_write(&m->vm, cfg->cpus, err) < 0)
		return -1;
	switch (boot) {
	case VMM_BOOT_FLAT:
		return vmm_load_flat(&m->vm, cfg->kernel, cfg->flat_addr, entry, err);
	case VMM_BOOT_BZIMAGE:
		return vmm_load_bzimage(&m->vm, cfg->kernel, cfg->initrd, m->cmdline, entry, err);
	default:
		return vmm_load_pvh(&m->vm, cfg->kernel, cfg->initrd, m->cmdline, entry, err);
	}
}

static void machine_destroy(struct machine *m)
{
	for (unsigned int i = 0; i < m->nblk; i++)
		virtio_blk_destroy(&m->blk[i]);
	if (m->console_on)
		virtio_console_destroy(&m->console);
	if (m->control_on)
		virtio_console_destroy(&m->control);
	for (int i = 0; i < 2; i++)
		if (m->control_pipe[i] >= 0)
			close(m->control_pipe[i]);
	if (m->rng_on)
		virtio_rng_destroy(&m->rng);
	if (m->vsock_on)
		virtio_vsock_destroy(&m->vsock);
	for (unsigned int i = 0; i < m->nfs; i++)
		virtio_fs_destroy(&m->fs[i]);
	if (m->net_on)
		virtio_net_destroy(&m->net);
	if (m->serial_on)
		serial_destroy(&m->serial);
	vmm_event_destroy(&m->vm.events);
	vm_destroy(&m->vm);
	free(m->vm.port_exits);
	vmm_jail_filters_free(&m->filters);
}

/* The most-used ports, for finding what a guest spins on. */
static void collect_top_ports(const struct vm *vm, struct vmm_stats *stats)
{
	for (unsigned int port = 0; port < 65536; port++) {
		uint64_t n = atomic_load(&vm->port_exits[port]);
		unsigned int i = VMM_STATS_TOP_PORTS;

		while (i > 0 && stats->top_ports[i - 1].exits < n)
			i--;
		if (i == VMM_STATS_TOP_PORTS || n == 0)
			continue;
		memmove(&stats->top_ports[i + 1], &stats->top_ports[i],
			(VMM_STATS_TOP_PORTS - 1 - i) * sizeof(stats->top_ports[0]));
		stats->top_ports[i].port = (uint16_t)port;
		stats->top_ports[i].exits = n;
	}
}

/* Guest pages actually resident, so that callers can tell the monitor's
 * own footprint (peak RSS minus this) from the guest's. */
static uint64_t guest_resident_kib(const struct vm *vm)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned char vec[4096];
	uint64_t pages = 0;

	for (unsigned int i = 0; i < vm->mem.nr; i++) {
		const struct vmm_mem_region *r = &vm->mem.regions[i];

		/* Walk the region in chunks of sizeof(vec) pages; each chunk is
		 * inside [host, host + size) of a live mapping. */
		for (uint64_t off = 0; off < r->size; off += sizeof(vec) * (uint64_t)page) {
			uint64_t len = r->size - off;

			if (len > sizeof(vec) * (uint64_t)page)
				len = sizeof(vec) * (uint64_t)page;
			if (mincore(r->host + off, len, vec) < 0)
				return 0;
			for (uint64_t p = 0; p < len / (uint64_t)page; p++)
				pages += vec[p] & 1;
		}
	}
	return pages * (uint64_t)page / 1024;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The jail's rlimits follow what the built machine holds. */
static void jail_limits(const struct machine *m, const struct vmm_config *cfg,
			struct vmm_jail_limits *lim)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	/* A fresh fd is the lowest free one; the highest in use is found by
	 * F_GETFD from the top of the range the runtime could have left. */
	lim->max_fd = fd;
	if (fd >= 0)
		close(fd);
	for (int i = 4096; i > lim->max_fd; i--)
		if (fcntl(i, F_GETFD) >= 0) {
			lim->max_fd = i;
			break;
		}
	lim->threads = cfg->cpus;
}

/* Confine the monitor (vmm/jail.h): everything it needs is open now, and
 * no guest instruction has run yet.  The main thread keeps the "setup"
 * filter until the vCPU threads exist (machine_run narrows it). */
static int machine_jail(struct machine *m, const struct vmm_config *cfg, struct hull_error *err)
{
	struct vmm_jail_limits lim;
	struct vmm_jail jail = cfg->jail;
	char vsock_dir[4096];

	jail_limits(m, cfg, &lim);
	/* --- virtio-vsock: the socket's directory goes into the jail --- */
	vsock_uds_dir(cfg, vsock_dir, sizeof(vsock_dir));
	if (m->vsock_on && m->vsock.uds[0] && vsock_dir[0])
		jail.vsock_dir = vsock_dir;
	/* --- end virtio-vsock --- */
	if (vmm_jail_filters_build(&m->filters, err) < 0 ||
	    vmm_jail_enter(&jail, &lim, err) < 0 ||
	    vmm_jail_install(&m->filters.setup, err) < 0)
		return -1;
	m->vm.vcpu_filter = &m->filters.vcpu;
	return 0;
}

static int machine_run(struct machine *m, const struct vmm_config *cfg,
		       int *guest_status, struct vmm_stats *stats, struct hull_error *err)
{
	struct x86_entry entry;
	uint64_t t0;
	int r;

	m->vm.tolerate_guest_errors = cfg->tolerate_guest_errors;
	if (cfg->count_ports) {
		m->vm.port_exits = calloc(65536, sizeof(*m->vm.port_exits));
		if (m->vm.port_exits == NULL)
			return hull_error_errno(err, "calloc");
	}
	if (vm_create(&m->vm, err) < 0)
		return -1;
	/* A vhost-user back-end maps guest RAM from its memfds. */
	m->vm.mem.shared = cfg->nfs > 0;
	if (vmm_event_init(&m->vm.events, err) < 0 ||
	    vm_add_memory(&m->vm, (uint64_t)cfg->mem_mib << 20, cfg->hugepages, err) < 0 ||
	    legacy_devices_init(&m->legacy, &m->vm, cfg->debug_fd, err) < 0 ||
	    add_devices(m, cfg, err) < 0 || build_cmdline(m, cfg, err) < 0 ||
	    x86_write_boot_tables(&m->vm, err) < 0 ||
	    vm_create_vcpus(&m->vm, cfg->cpus, err) < 0 ||
	    load_guest(m, cfg, &entry, err) < 0 ||
	    x86_setup_entry(&m->vm.vcpus[0], &entry, err) < 0)
		return -1;

	if (cfg->signal_fd >= 0 &&
	    vmm_event_add(&m->vm.events, cfg->signal_fd, EPOLLIN, signal_event, m, err) < 0)
		return -1;
	if (cfg->jail.enabled && machine_jail(m, cfg, err) < 0)
		return -1;
	/* Debugging only (the jail's lists do not allow it). */
	if (!cfg->jail.enabled)
		m->vm.sample_us = cfg->sample_us;
	t0 = now_ns();
	if (vm_start_vcpus(&m->vm, err) < 0) {
		vm_join_vcpus(&m->vm);
		return -1;
	}
	if (m->vm.sample_us) {
		if (vm_sampler_start(&m->vm, err) < 0) {
			vm_request_stop(&m->vm, VMM_STATUS_NONE);
			vm_join_vcpus(&m->vm);
			return -1;
		}
	}
	/* This thread is the I/O thread from here on: its own list.  A
	 * failure stops the vCPUs that already run. */
	if (cfg->jail.enabled) {
		if (vmm_jail_install(&m->filters.io, err) < 0) {
			vm_request_stop(&m->vm, VMM_STATUS_NONE);
			vm_join_vcpus(&m->vm);
			return -1;
		}
		if (cfg->jail.forbidden_syscall_selftest)
			vmm_jail_forbidden_syscall();
	}
	r = vmm_event_run(&m->vm.events, m->vm.stop_efd, err);
	if (r < 0)
		vm_request_stop(&m->vm, VMM_STATUS_NONE);
	vm_sampler_stop(&m->vm);
	vm_join_vcpus(&m->vm);
	vm_sampler_write(&m->vm, cfg->sample_fd);
	/* The guest may stop (control port, reset) right after queueing its
	 * last output while the I/O thread has not served that doorbell yet:
	 * flush the console's transmit queue once more. */
	if (m->console_on)
		virtio_mmio_kick(&m->console.t, 1);
	if (m->control_on)
		virtio_mmio_kick(&m->control.t, 1);
	if (stats) {
		stats->run_ns = now_ns() - t0;
		stats->exits = atomic_load(&m->vm.exits);
		stats->pio_exits = atomic_load(&m->vm.pio_exits);
		stats->mmio_exits = atomic_load(&m->vm.mmio_exits);
		stats->guest_errors = atomic_load(&m->vm.guest_errors);
		stats->used_ioeventfd = m->vm.has_ioeventfd && !cfg->no_ioeventfd;
		stats->used_irqfd = m->vm.has_irqfd;
		if (m->vm.port_exits)
			collect_top_ports(&m->vm, stats);
		{
			struct rusage ru;

			if (getrusage(RUSAGE_SELF, &ru) == 0)
				stats->peak_rss_kib = (uint64_t)ru.ru_maxrss;
		}
		stats->guest_resident_kib = guest_resident_kib(&m->vm);
	}
	if (r < 0)
		return -1;
	if (m->vm.fatal.set) {
		*err = m->vm.fatal;
		return -1;
	}
	*guest_status = m->vm.guest_status;
	return 0;
}

int vmm_run(const struct vmm_config *cfg, int *guest_status,
	    struct vmm_stats *stats, struct hull_error *err)
{
	struct machine *m;
	int r;

	*guest_status = VMM_STATUS_NONE;
	if (stats)
		memset(stats, 0, sizeof(*stats));
	if (validate_config(cfg, err) < 0)
		return hull_error_prefix(err, "vm configuration");
	if (access("/dev/kvm", R_OK | W_OK) < 0)
		return hull_error_errno(err, "/dev/kvm");
	/* A flat test guest runs on PVM; a Linux kernel would crawl through
	 * emulation and die, so say why up front. */
	if (cfg->boot != VMM_BOOT_FLAT && vmm_host_is_pvm())
		return hull_error_set(err, ENOTSUP, VMM_PVM_MESSAGE);
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return hull_error_errno(err, "calloc");
	m->control_pipe[0] = m->control_pipe[1] = -1;
	r = machine_run(m, cfg, guest_status, stats, err);
	machine_destroy(m);
	free(m);
	return r;
}
