/* Hull's microVM monitor: the one entry point the CLI and the runtime use.
 * The configuration is a plain struct so that a runtime backend can fill it
 * from a container's config without going through argv. */
#ifndef HULL_VMM_H
#define HULL_VMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "vmm/jail.h"

#define VMM_MAX_DISKS 4
#define VMM_MAX_CPUS  16
#define VMM_MAX_FS    4     /* virtio-fs devices (GSIs 5..15 are shared by all) */

/* guest_status when the guest stopped without reporting one (powered off or
 * reset through the keyboard controller, triple fault). */
#define VMM_STATUS_NONE (-1)

enum vmm_boot {
	VMM_BOOT_AUTO,          /* bzImage if it has "HdrS", else PVH ELF */
	VMM_BOOT_BZIMAGE,       /* Linux x86 boot protocol, 64-bit entry */
	VMM_BOOT_PVH,           /* uncompressed vmlinux with a PVH note */
	VMM_BOOT_FLAT,          /* flat 64-bit binary at flat_addr (tests) */
};

struct vmm_disk {
	const char *path;
	bool read_only;
};

struct vmm_config {
	const char *kernel;
	const char *initrd;     /* NULL: none */
	const char *cmdline;    /* appended to Hull's own arguments */
	enum vmm_boot boot;
	uint64_t flat_addr;     /* VMM_BOOT_FLAT: load and entry address */
	unsigned int mem_mib;
	unsigned int cpus;
	bool hugepages;
	struct vmm_disk disks[VMM_MAX_DISKS];
	unsigned int ndisks;
	bool serial;            /* 16550 on 0x3f8 (off by default: slow) */
	bool console;           /* virtio-console, port 0 = console_in/out */
	bool rng;               /* virtio-rng */
	/* --- virtio-vsock (vmm/virtio_vsock.h) --- */
	int vsock_listen_fd;    /* listening unix socket (vsock_host_listen),
				   made before any jail; -1: no vsock device */
	const char *vsock_uds;  /* its path: guest -> host port P connects to
				   "<vsock_uds>_P" */
	uint32_t vsock_cid;     /* the guest's CID (default 3) */
	/* --- end virtio-vsock --- */
	/* --- virtio-fs (vmm/virtio_fs.h): one device per entry, each a
	 * connected vhost-user socket to a back-end (virtiofsd) made before
	 * any jail; the monitor owns the fds from vmm_run on.  Guest RAM is
	 * then a shared memfd. --- */
	struct vmm_fs { int sock; const char *tag; } fs[VMM_MAX_FS];
	unsigned int nfs;
	/* --- end virtio-fs --- */
	/* --- virtio-net (vmm/virtio_net.h) --- */
	int net_tap_fd;         /* tap (IFF_TAP|IFF_NO_PI|IFF_VNET_HDR,
				   non-blocking) opened before any jail;
				   -1: no network device */
	uint8_t net_mac[6];     /* the guest's eth0 address */
	uint16_t net_mtu;       /* 0: the guest's default */
	bool net_no_offloads;   /* no checksum/TSO offloads (benchmarks) */
	/* --- end virtio-net --- */
	int console_in;         /* -1: no input */
	int console_out;        /* also where the serial port writes */
	int debug_fd;           /* port 0xe9 output goes here; -1: port off */
	bool tolerate_guest_errors; /* tests: a broken queue only resets its
				       device instead of stopping the VM */
	bool no_ioeventfd;      /* force the MMIO-exit doorbell path */
	bool count_ports;       /* fill vmm_stats.top_ports (debugging) */
	unsigned int sample_us; /* debugging: sample vCPU 0's RIP this often
				   and write the samples to sample_fd at the
				   end (vmm/sample.c); 0: off.  Not with a jail. */
	int sample_fd;
	int signal_fd;          /* signalfd, or -1 (signals keep their default
				   action on the monitor).  A signal read from
				   it goes to the guest when signal_to_guest,
				   else stops the VM with status 128+N. */
	struct vmm_jail jail;   /* jail.enabled: confine the monitor before
				   the guest runs (vmm/jail.h) */
	bool signal_to_guest;   /* signals go to the process through the
				   control channel: a second virtio-console
				   (/dev/hvc1, always there with `console`)
				   that carries each signal as one byte to
				   Hull's agent; byte 0 + a u64 says the stdin
				   ended after that many bytes.  The agent
				   answers 'R' (ready for input) and 'S' + u32
				   (exit status) on it. */
};

#define VMM_STATS_TOP_PORTS 8

struct vmm_stats {
	uint64_t exits;         /* KVM_RUN returns, all vCPUs */
	uint64_t pio_exits;
	uint64_t mmio_exits;
	uint64_t guest_errors;  /* malformed requests rejected */
	uint64_t run_ns;        /* vCPUs started .. VM stopped */
	bool used_ioeventfd, used_irqfd;
	uint64_t peak_rss_kib;      /* monitor process high-water mark, guest RAM included */
	uint64_t guest_resident_kib; /* guest RAM pages resident at the end */
	struct { uint16_t port; uint64_t exits; } top_ports[VMM_STATS_TOP_PORTS];
};

/* Defaults: 128 MiB, 1 vCPU, virtio-console on stdin/stdout, rng on. */
void vmm_config_init(struct vmm_config *cfg);

/* Validate cfg, build the VM, run it until the guest stops.  *guest_status
 * gets the status the guest reported on Hull's control port, or
 * VMM_STATUS_NONE.  stats may be NULL. */
int vmm_run(const struct vmm_config *cfg, int *guest_status,
	    struct vmm_stats *stats, struct hull_error *err);

/* The guest kernel, in this order: `override` (the --vm-kernel flag), the
 * HULL_VM_KERNEL environment variable, /usr/local/lib/hull/{vmlinux,bzImage},
 * /usr/lib/hull/{vmlinux,bzImage}, then the newest vmlinux that
 * `make vm-kernel` left in VMM_KERNEL_CACHE/<config hash>/. */
#define VMM_KERNEL_CACHE "/var/cache/hull/kernel"
int vmm_find_kernel(const char *override, char *out, size_t n, struct hull_error *err);

/* True on a host whose /dev/kvm is PVM (kvm_pvm), where only PVM-aware
 * guest kernels boot. */
bool vmm_host_is_pvm(void);
#define VMM_PVM_MESSAGE \
	"this host's /dev/kvm is PVM (kvm_pvm): standard Linux guest kernels cannot boot " \
	"here, only PVM-aware ones"

#endif
