/* x86 specifics of a vCPU: CPUID, MSRs, FPU, LAPIC, and the segment and
 * paging state a direct kernel boot starts in. */
#ifndef HULL_VMM_X86_H
#define HULL_VMM_X86_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/vm.h"

/* Fixed low-memory layout used by every boot path. */
#define X86_GDT_ADDR      0x500ull
#define X86_ZERO_PAGE     0x7000ull
#define X86_PML4_ADDR     0x9000ull   /* PML4, PDPT, then 4 PDs: 0x9000-0xefff */
#define X86_CMDLINE_ADDR  0x20000ull
#define X86_CMDLINE_MAX   0x10000ull
#define X86_BOOT_STACK    0x8ff0ull   /* below the page tables */

#define X86_SEL_CODE32 0x08
#define X86_SEL_CODE64 0x10
#define X86_SEL_DATA   0x18
#define X86_SEL_TSS    0x20

enum x86_entry_mode {
	X86_ENTRY_LONG64,       /* paging on, low 4 GiB identity-mapped */
	X86_ENTRY_PROT32,       /* PVH: 32-bit protected mode, paging off */
};

struct x86_entry {
	enum x86_entry_mode mode;
	uint64_t rip, rsp, rsi, rbx;
};

/* Write the GDT and identity page tables (low 4 GiB, 2 MiB pages) into
 * guest memory at the fixed addresses above. */
int x86_write_boot_tables(struct vm *vm, struct hull_error *err);

/* Per-vCPU setup done for every vCPU: CPUID, MSRs, FPU, LAPIC LVTs. */
int x86_setup_vcpu(struct vm *vm, struct vm_vcpu *cpu, struct hull_error *err);

/* Registers and segments of the boot vCPU. */
int x86_setup_entry(struct vm_vcpu *cpu, const struct x86_entry *e,
		    struct hull_error *err);

#endif
