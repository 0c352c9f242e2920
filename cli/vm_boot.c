/* hull vm-boot: a hidden debug verb that boots a kernel under Hull's own
 * monitor (vmm/) with the given devices, and exits with the status the
 * guest reported on the control port. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "vmm/vmm.h"

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 0);

	if (*s == '\0' || *end != '\0' || *s == '-' || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_disk(struct vmm_config *cfg, char *arg)
{
	char *comma = strrchr(arg, ',');

	if (cfg->ndisks >= VMM_MAX_DISKS)
		return -1;
	cfg->disks[cfg->ndisks].read_only = false;
	if (comma && (strcmp(comma, ",ro") == 0 || strcmp(comma, ",rw") == 0)) {
		cfg->disks[cfg->ndisks].read_only = comma[2] == 'o';
		*comma = '\0';
	}
	cfg->disks[cfg->ndisks++].path = arg;
	return 0;
}

static int cmd_vm_boot(struct cli_global *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kernel", required_argument, NULL, 'k' },
		{ "initrd", required_argument, NULL, 'i' },
		{ "disk", required_argument, NULL, 'd' },
		{ "cmdline", required_argument, NULL, 'c' },
		{ "mem", required_argument, NULL, 'm' },
		{ "cpus", required_argument, NULL, 'n' },
		{ "serial", no_argument, NULL, 's' },
		{ "flat", required_argument, NULL, 'f' },
		{ "no-ioeventfd", no_argument, NULL, 'E' },
		{ "stats", no_argument, NULL, 'S' },
		{ "hugepages", no_argument, NULL, 'H' },
		{ "no-rng", no_argument, NULL, 'R' },
		{ "sample", required_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 },
	};
	struct vmm_config cfg;
	struct vmm_stats st;
	struct hull_error err = { 0 };
	bool stats = false;
	char kernel[4096];
	unsigned long v;
	int c, status;

	vmm_config_init(&cfg);
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (c) {
		case 'k': cfg.kernel = optarg; break;
		case 'i': cfg.initrd = optarg; break;
		case 'c': cfg.cmdline = optarg; break;
		case 's': cfg.serial = true; break;
		case 'E': cfg.no_ioeventfd = true; break;
		case 'S': stats = true; cfg.count_ports = true; break;
		case 'H': cfg.hugepages = true; break;
		case 'R': cfg.rng = false; break;
		case 'P':
			if (parse_uint(optarg, 1000000, &v) < 0 || v == 0)
				return cli_usage_error(g, "vm-boot", "--sample: \"%s\" not in 1..1000000 us", optarg);
			cfg.sample_us = (unsigned int)v;
			cfg.sample_fd = STDERR_FILENO;
			break;
		case 'd':
			if (parse_disk(&cfg, optarg) < 0)
				return cli_usage_error(g, "vm-boot", "--disk: at most %d disks", VMM_MAX_DISKS);
			break;
		case 'm':
			if (parse_uint(optarg, 1u << 20, &v) < 0)
				return cli_usage_error(g, "vm-boot", "--mem: \"%s\" is not a size in MiB", optarg);
			cfg.mem_mib = (unsigned int)v;
			break;
		case 'n':
			if (parse_uint(optarg, VMM_MAX_CPUS, &v) < 0 || v == 0)
				return cli_usage_error(g, "vm-boot", "--cpus: \"%s\" not in 1..%d", optarg, VMM_MAX_CPUS);
			cfg.cpus = (unsigned int)v;
			break;
		case 'f':
			if (parse_uint(optarg, ~0ul, &v) < 0)
				return cli_usage_error(g, "vm-boot", "--flat: \"%s\" is not an address", optarg);
			cfg.boot = VMM_BOOT_FLAT;
			cfg.flat_addr = v;
			cfg.debug_fd = 2;
			break;
		default:
			return cli_usage_error(g, "vm-boot", "invalid flags");
		}
	}
	if (optind != argc)
		return cli_usage_error(g, "vm-boot", "unexpected argument \"%s\"", argv[optind]);
	if (cfg.kernel == NULL) {
		if (vmm_find_kernel(NULL, kernel, sizeof(kernel), &err) < 0)
			return cli_fail(g, &err);
		cfg.kernel = kernel;
	}
	/* With the serial console on, it owns the output; virtio-console is
	 * still offered for the guest's userspace. */
	if (vmm_run(&cfg, &status, &st, &err) < 0)
		return cli_fail(g, &err);
	if (stats)
		fprintf(stderr, "hull vm-boot: %llu exits (pio %llu, mmio %llu), %.1f ms, "
			"guest errors %llu, ioeventfd %s, irqfd %s\n",
			(unsigned long long)st.exits, (unsigned long long)st.pio_exits,
			(unsigned long long)st.mmio_exits, st.run_ns / 1e6,
			(unsigned long long)st.guest_errors, st.used_ioeventfd ? "yes" : "no",
			st.used_irqfd ? "yes" : "no");
	if (stats)
		fprintf(stderr, "hull vm-boot: peak RSS %llu KiB, guest RAM resident %llu KiB, "
			"monitor overhead ~%lld KiB\n", (unsigned long long)st.peak_rss_kib,
			(unsigned long long)st.guest_resident_kib,
			(long long)st.peak_rss_kib - (long long)st.guest_resident_kib);
	for (int i = 0; stats && i < VMM_STATS_TOP_PORTS && st.top_ports[i].exits; i++)
		fprintf(stderr, "hull vm-boot:   port 0x%x: %llu exits\n", st.top_ports[i].port,
			(unsigned long long)st.top_ports[i].exits);
	cli_log(g, "debug", "vm-boot: guest status %d, %llu exits", status,
		(unsigned long long)st.exits);
	return status == VMM_STATUS_NONE ? 0 : (status > 255 ? 255 : status);
}

HULL_COMMAND(vm_boot_cmd) = {
	.name = "vm-boot",
	.summary = "boot a kernel in Hull's microVM monitor (debugging)",
	.usage =
	"Usage: hull vm-boot [--kernel K] [options]\n"
	"\n"
	"Boots K (bzImage, or vmlinux with a PVH note) under Hull's KVM monitor.\n"
	"virtio-console is stdin/stdout, virtio-rng is on.  Exits with the status\n"
	"the guest wrote to port 0x600, or 0 if it powered off without one.\n"
	"\n"
	"  --kernel K          kernel image (default: HULL_VM_KERNEL, then\n"
	"                      /usr/{local/,}lib/hull/{vmlinux,bzImage}, then the\n"
	"                      newest /var/cache/hull/kernel/*/vmlinux)\n"
	"  --initrd I          initramfs\n"
	"  --disk IMG[,ro]     virtio-blk disk (repeatable; first is /dev/vda)\n"
	"  --cmdline S         appended to Hull's kernel arguments\n"
	"  --mem MiB           guest memory (default 128)\n"
	"  --cpus N            vCPUs (default 1)\n"
	"  --serial            16550 on COM1 and console=ttyS0 (slow: exits per byte)\n"
	"  --flat ADDR         K is a flat 64-bit binary entered at ADDR (tests);\n"
	"                      port 0xe9 output goes to stderr\n"
	"  --hugepages         back guest memory with 2 MiB hugepages (MAP_HUGETLB)\n"
	"  --no-rng            no virtio-rng device\n"
	"  --sample US         every US microseconds note vCPU 0's guest RIP;\n"
	"                      the samples go to stderr at the end (profiling)\n"
	"  --no-ioeventfd      handle queue doorbells as MMIO exits\n"
	"  --stats             print exit counts and run time to stderr\n",
	.run = cmd_vm_boot,
	.hidden = true,
};
