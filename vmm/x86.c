/* x86 vCPU state for direct boot. */
#include "vmm/x86.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "base/cleanup.h"

#define CR0_PE (1u << 0)
#define CR0_ET (1u << 4)
#define CR0_PG (1u << 31)
#define CR4_PAE (1u << 5)
#define EFER_LME (1u << 8)
#define EFER_LMA (1u << 10)

#define PTE_P   1ull
#define PTE_RW  2ull
#define PTE_PS  0x80ull

static uint64_t gdt_entry(uint16_t flags, uint32_t base, uint32_t limit)
{
	return ((uint64_t)(base & 0xff000000u) << 32) | ((uint64_t)(flags & 0xf0ffu) << 40) |
	       ((uint64_t)(limit & 0x000f0000u) << 32) | ((uint64_t)(base & 0x00ffffffu) << 16) |
	       (uint64_t)(limit & 0x0000ffffu);
}

int x86_write_boot_tables(struct vm *vm, struct hull_error *err)
{
	const uint64_t gdt[5] = {
		0,
		gdt_entry(0xc09b, 0, 0xfffff),  /* 0x08: 32-bit code, flat */
		gdt_entry(0xa09b, 0, 0xfffff),  /* 0x10: 64-bit code (L=1) */
		gdt_entry(0xc093, 0, 0xfffff),  /* 0x18: data, flat */
		gdt_entry(0x008b, 0, 0x67),     /* 0x20: busy TSS, for VMX entry */
	};
	uint64_t *pml4, *pdpt, *pd;

	/* Each table is a fixed page in low RAM; vmm_mem_ptr proves the whole
	 * page is guest memory (RAM is >= 16 MiB, so this only fails if the
	 * layout constants are broken). */
	pml4 = vmm_mem_ptr(&vm->mem, X86_PML4_ADDR, 4096);
	pdpt = vmm_mem_ptr(&vm->mem, X86_PML4_ADDR + 0x1000, 4096);
	pd = vmm_mem_ptr(&vm->mem, X86_PML4_ADDR + 0x2000, 4 * 4096);
	if (pml4 == NULL || pdpt == NULL || pd == NULL ||
	    vmm_mem_write(&vm->mem, X86_GDT_ADDR, gdt, sizeof(gdt)) < 0)
		return hull_error_set(err, EFAULT, "boot tables do not fit in guest memory");
	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	pml4[0] = (X86_PML4_ADDR + 0x1000) | PTE_P | PTE_RW;
	for (int i = 0; i < 4; i++)
		pdpt[i] = (X86_PML4_ADDR + 0x2000 + 0x1000ull * i) | PTE_P | PTE_RW;
	/* 2048 entries of 2 MiB: the low 4 GiB, RAM and MMIO hole alike. */
	for (uint64_t i = 0; i < 2048; i++)
		pd[i] = (i << 21) | PTE_P | PTE_RW | PTE_PS;
	return 0;
}

static struct kvm_cpuid2 *get_supported_cpuid(int kvm_fd, struct hull_error *err)
{
	for (unsigned int n = 128; n <= 4096; n *= 2) {
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));

		if (c == NULL) {
			hull_error_errno(err, "calloc");
			return NULL;
		}
		c->nent = n;
		/* KVM writes at most nent entries into the array sized above;
		 * E2BIG means it needs more, so retry with a bigger one. */
		if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0)
			return c;
		free(c);
		if (errno != E2BIG) {
			hull_error_errno(err, "KVM_GET_SUPPORTED_CPUID");
			return NULL;
		}
	}
	hull_error_set(err, E2BIG, "KVM_GET_SUPPORTED_CPUID: too many entries");
	return NULL;
}

static int setup_cpuid(struct vm *vm, struct vm_vcpu *cpu, struct hull_error *err)
{
	autofree struct kvm_cpuid2 *c = get_supported_cpuid(vm->kvm_fd, err);
	/* KVM reports the TSC-deadline timer as a capability, never in the
	 * supported CPUID (api.rst); userspace sets the bit.  With it Linux
	 * skips calibrating the LAPIC timer against the PIT, measured at
	 * ~250 ms of every boot under nested emulation. */
	bool tsc_deadline = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_TSC_DEADLINE_TIMER) > 0;

	if (c == NULL)
		return -1;
	for (uint32_t i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		switch (e->function) {
		case 1:
			/* Bit 31 "hypervisor present": KVM does not set it, and
			 * without it Linux never looks at leaf 0x40000000, so no
			 * kvm-clock, and clock calibration hangs under nested
			 * emulation (measured, see the test-VM notes). */
			e->ecx |= 1u << 31;
			if (tsc_deadline)
				e->ecx |= 1u << 24;
			/* Initial APIC id = vCPU index; CLFLUSH size etc. kept. */
			e->ebx = (e->ebx & 0x00ffffffu) | (cpu->index << 24);
			break;
		case 0xb:
		case 0x1f:
			e->edx = cpu->index;    /* x2APIC id */
			break;
		default:
			break;
		}
	}
	/* The array is the one KVM filled above, nent entries. */
	if (ioctl(cpu->fd, KVM_SET_CPUID2, c) < 0)
		return hull_error_errno(err, "KVM_SET_CPUID2");
	return 0;
}

static int setup_msrs(struct vm_vcpu *cpu, struct hull_error *err)
{
	static const struct { uint32_t index; uint64_t data; } boot_msrs[] = {
		{ 0x174, 0 },           /* SYSENTER_CS */
		{ 0x175, 0 },           /* SYSENTER_ESP */
		{ 0x176, 0 },           /* SYSENTER_EIP */
		{ 0xc0000081, 0 },      /* STAR */
		{ 0xc0000082, 0 },      /* LSTAR */
		{ 0xc0000083, 0 },      /* CSTAR */
		{ 0xc0000084, 0 },      /* SYSCALL_MASK */
		{ 0xc0000102, 0 },      /* KERNEL_GS_BASE */
		{ 0x1a0, 1 },           /* MISC_ENABLE: fast strings */
		{ 0x2ff, (1u << 11) | 6 }, /* MTRR default: enabled, write-back */
	};
	enum { N = sizeof(boot_msrs) / sizeof(boot_msrs[0]) };
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[N];
	} m;
	int r;

	memset(&m, 0, sizeof(m));
	m.hdr.nmsrs = N;
	for (int i = 0; i < N; i++) {
		m.e[i].index = boot_msrs[i].index;
		m.e[i].data = boot_msrs[i].data;
	}
	/* nmsrs matches the entries that follow the header in this struct. */
	r = ioctl(cpu->fd, KVM_SET_MSRS, &m);
	if (r < 0)
		return hull_error_errno(err, "KVM_SET_MSRS");
	if (r != N)
		return hull_error_set(err, EINVAL, "KVM_SET_MSRS: MSR 0x%x refused",
				      boot_msrs[r].index);
	return 0;
}

static int setup_fpu(struct vm_vcpu *cpu, struct hull_error *err)
{
	struct kvm_fpu fpu = { .fcw = 0x37f, .mxcsr = 0x1f80 };

	/* Power-on x87 control word and SSE MXCSR, as after FNINIT. */
	if (ioctl(cpu->fd, KVM_SET_FPU, &fpu) < 0)
		return hull_error_errno(err, "KVM_SET_FPU");
	return 0;
}

static int setup_lapic(struct vm *vm, struct vm_vcpu *cpu, struct hull_error *err)
{
	struct kvm_lapic_state lapic;
	uint32_t v;

	if (!vm->has_irqchip)
		return 0;
	/* KVM fills and reads exactly sizeof(struct kvm_lapic_state). */
	if (ioctl(cpu->fd, KVM_GET_LAPIC, &lapic) < 0)
		return hull_error_errno(err, "KVM_GET_LAPIC");
	/* LINT0 as ExtINT (the 8259 PIC's output) and LINT1 as NMI: what a
	 * BIOS leaves behind, and what Linux expects when it finds no MP or
	 * ACPI tables and uses the PIC in virtual-wire mode. Offsets 0x350 and
	 * 0x360 are inside the 1 KiB register page. */
	memcpy(&v, &lapic.regs[0x350], 4);
	v = (v & ~0x700u) | (7u << 8);
	memcpy(&lapic.regs[0x350], &v, 4);
	memcpy(&v, &lapic.regs[0x360], 4);
	v = (v & ~0x700u) | (4u << 8);
	memcpy(&lapic.regs[0x360], &v, 4);
	if (ioctl(cpu->fd, KVM_SET_LAPIC, &lapic) < 0)
		return hull_error_errno(err, "KVM_SET_LAPIC");
	return 0;
}

int x86_setup_vcpu(struct vm *vm, struct vm_vcpu *cpu, struct hull_error *err)
{
	if (setup_cpuid(vm, cpu, err) < 0 || setup_msrs(cpu, err) < 0 ||
	    setup_fpu(cpu, err) < 0 || setup_lapic(vm, cpu, err) < 0)
		return hull_error_prefix(err, "vCPU %u", cpu->index);
	return 0;
}

static void flat_segment(struct kvm_segment *s, uint16_t sel, uint8_t type, bool code64)
{
	*s = (struct kvm_segment){
		.base = 0, .limit = 0xffffffff, .selector = sel, .type = type,
		.present = 1, .dpl = 0, .db = code64 ? 0 : 1, .s = 1,
		.l = code64 ? 1 : 0, .g = 1,
	};
}

int x86_setup_entry(struct vm_vcpu *cpu, const struct x86_entry *e,
		    struct hull_error *err)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	bool long64 = e->mode == X86_ENTRY_LONG64;

	if (ioctl(cpu->fd, KVM_GET_SREGS, &sregs) < 0)
		return hull_error_errno(err, "KVM_GET_SREGS");
	flat_segment(&sregs.cs, long64 ? X86_SEL_CODE64 : X86_SEL_CODE32, 0xb, long64);
	flat_segment(&sregs.ds, X86_SEL_DATA, 0x3, false);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	sregs.tr = (struct kvm_segment){ .base = 0, .limit = 0x67, .selector = X86_SEL_TSS,
					 .type = 0xb, .present = 1 };
	sregs.gdt.base = X86_GDT_ADDR;
	sregs.gdt.limit = 5 * 8 - 1;
	sregs.idt.base = 0;
	sregs.idt.limit = 0;
	sregs.cr0 = CR0_PE | CR0_ET;
	if (long64) {
		/* Long mode straight away: the identity tables written by
		 * x86_write_boot_tables, PAE, LME+LMA, paging on. */
		sregs.cr3 = X86_PML4_ADDR;
		sregs.cr4 = CR4_PAE;
		sregs.efer = EFER_LME | EFER_LMA;
		sregs.cr0 |= CR0_PG;
	} else {
		/* PVH: 32-bit protected mode, paging off (Xen PVH ABI). */
		sregs.cr3 = 0;
		sregs.cr4 = 0;
		sregs.efer = 0;
	}
	if (ioctl(cpu->fd, KVM_SET_SREGS, &sregs) < 0)
		return hull_error_errno(err, "KVM_SET_SREGS");

	memset(&regs, 0, sizeof(regs));
	regs.rflags = 2;        /* bit 1 is reserved-one; interrupts off */
	regs.rip = e->rip;
	regs.rsp = e->rsp;
	regs.rbp = e->rsp;
	regs.rsi = e->rsi;
	regs.rbx = e->rbx;
	if (ioctl(cpu->fd, KVM_SET_REGS, &regs) < 0)
		return hull_error_errno(err, "KVM_SET_REGS");
	return 0;
}
