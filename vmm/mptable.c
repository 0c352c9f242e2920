/* MP spec 1.4 tables: floating pointer + configuration table with one
 * processor entry per vCPU, an ISA bus, the IOAPIC, identity routing of
 * IRQ i to IOAPIC pin i, and the LAPIC LINT0/LINT1 wiring. */
#include "vmm/mptable.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#define IOAPIC_ADDR 0xfec00000u
#define LAPIC_ADDR  0xfee00000u
#define MP_IRQS     16
#define MPTABLE_MAX 0x400u          /* up to 0xa0000 */

struct __attribute__((packed)) mpf_intel {
	char signature[4];
	uint32_t physptr;
	uint8_t length, specification, checksum, feature1, feature2, feature3[3];
};

struct __attribute__((packed)) mpc_table {
	char signature[4];
	uint16_t length;
	uint8_t spec, checksum;
	char oem[8], productid[12];
	uint32_t oemptr;
	uint16_t oemsize, oemcount;
	uint32_t lapic;
	uint16_t ext_length;
	uint8_t ext_checksum, reserved;
};

struct __attribute__((packed)) mpc_cpu {
	uint8_t type, apicid, apicver, cpuflag;
	uint32_t cpufeature, featureflag, reserved[2];
};

struct __attribute__((packed)) mpc_bus {
	uint8_t type, busid;
	char bustype[6];
};

struct __attribute__((packed)) mpc_ioapic {
	uint8_t type, apicid, apicver, flags;
	uint32_t apicaddr;
};

struct __attribute__((packed)) mpc_intsrc {
	uint8_t type, irqtype;
	uint16_t irqflag;
	uint8_t srcbus, srcbusirq, dstapic, dstirq;
};

static uint8_t checksum(const uint8_t *p, size_t n)
{
	uint8_t sum = 0;

	while (n--)
		sum = (uint8_t)(sum + *p++);
	return (uint8_t)(0 - sum);
}

int mptable_write(struct vm *vm, unsigned int ncpus, struct hull_error *err)
{
	uint8_t buf[MPTABLE_MAX];
	struct mpf_intel mpf = { .signature = "_MP_", .length = 1, .specification = 4 };
	struct mpc_table mpc = { .signature = "PCMP", .spec = 4, .oem = "HULL    ",
				 .productid = "MICROVM     ", .lapic = LAPIC_ADDR };
	size_t off = sizeof(mpf) + sizeof(mpc);
	uint8_t ioapic_id = (uint8_t)ncpus;
	uint16_t count = 0;

	/* Worst case: 16 CPUs * 20 + 8 + 8 + (16 + 2) * 8 + 60 = 540 bytes. */
	if (ncpus == 0 || ncpus > VMM_MAX_CPUS)
		return hull_error_set(err, EINVAL, "mptable: %u CPUs", ncpus);
	memset(buf, 0, sizeof(buf));
#define MP_ADD(entry) do { memcpy(buf + off, &(entry), sizeof(entry)); off += sizeof(entry); count++; } while (0)
	for (unsigned int i = 0; i < ncpus; i++) {
		struct mpc_cpu cpu = {
			.type = 0, .apicid = (uint8_t)i, .apicver = 0x14,
			.cpuflag = 1 | (i == 0 ? 2 : 0),        /* enabled, BSP */
			.cpufeature = 0x600, .featureflag = 0x201, /* FPU, APIC */
		};
		MP_ADD(cpu);
	}
	{
		struct mpc_bus bus = { .type = 1, .busid = 0, .bustype = "ISA   " };
		struct mpc_ioapic io = { .type = 2, .apicid = ioapic_id, .apicver = 0x11,
					 .flags = 1, .apicaddr = IOAPIC_ADDR };
		MP_ADD(bus);
		MP_ADD(io);
	}
	for (uint8_t irq = 0; irq < MP_IRQS; irq++) {
		/* ISA default polarity/trigger (edge, active high): irqfd and
		 * vm_pulse_irq deliver edges. */
		struct mpc_intsrc src = { .type = 3, .irqtype = 0, .irqflag = 0, .srcbus = 0,
					  .srcbusirq = irq, .dstapic = ioapic_id, .dstirq = irq };
		MP_ADD(src);
	}
	{
		struct mpc_intsrc lint0 = { .type = 4, .irqtype = 3 /* ExtINT */, .dstapic = 0xff, .dstirq = 0 };
		struct mpc_intsrc lint1 = { .type = 4, .irqtype = 1 /* NMI */, .dstapic = 0xff, .dstirq = 1 };
		MP_ADD(lint0);
		MP_ADD(lint1);
	}
#undef MP_ADD
	mpc.length = (uint16_t)(off - sizeof(mpf));
	mpc.oemcount = count;
	memcpy(buf + sizeof(mpf), &mpc, sizeof(mpc));
	buf[sizeof(mpf) + offsetof(struct mpc_table, checksum)] =
		checksum(buf + sizeof(mpf), mpc.length);
	mpf.physptr = (uint32_t)(MPTABLE_ADDR + sizeof(mpf));
	memcpy(buf, &mpf, sizeof(mpf));
	buf[offsetof(struct mpf_intel, checksum)] = checksum(buf, sizeof(mpf));
	/* [0x9fc00, 0x9fc00 + off) lies in low RAM (>= 16 MiB), checked. */
	if (vmm_mem_write(&vm->mem, MPTABLE_ADDR, buf, off) < 0)
		return hull_error_set(err, EFAULT, "mptable outside guest memory");
	return 0;
}
