/*
 * kvm-smoke: the smallest useful KVM guest. It runs five bytes of 16-bit
 * real-mode code that write one byte to an I/O port and halt, and checks that
 * KVM reports exactly that: KVM_EXIT_IO with the byte, then KVM_EXIT_HLT.
 *
 * Inside the test VM /dev/kvm is kvm_amd on an emulated SVM, where real mode
 * runs. (The host's PVM /dev/kvm does not run real-mode guests.)
 *
 * Usage: kvm-smoke [/dev/kvm]. Exit status 0 on success; a message on stderr
 * naming the failed step otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define GUEST_MEM_SIZE 0x10000UL
#define CODE_ADDR 0x1000UL
#define SMOKE_PORT 0x10
#define SMOKE_BYTE 0x42

static int fail(const char *step)
{
	fprintf(stderr, "kvm-smoke: %s: %s\n", step, strerror(errno));
	return 1;
}

static int fail_msg(const char *msg)
{
	fprintf(stderr, "kvm-smoke: %s\n", msg);
	return 1;
}

/* cs = 0, ip = CODE_ADDR: the code runs at physical CODE_ADDR. */
static int setup_vcpu(int vcpu)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
		return fail("KVM_GET_SREGS");
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0)
		return fail("KVM_SET_SREGS");
	memset(&regs, 0, sizeof(regs));
	regs.rip = CODE_ADDR;
	regs.rflags = 0x2; /* bit 1 is reserved and must be set */
	if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
		return fail("KVM_SET_REGS");
	return 0;
}

/* The run area's io.data_offset comes from the kernel; check it lies inside
 * the mapping before reading the byte. */
static int check_io_exit(const struct kvm_run *run, size_t run_size)
{
	const uint8_t *data;

	if (run->exit_reason != KVM_EXIT_IO) {
		fprintf(stderr, "kvm-smoke: first exit is %u, expected KVM_EXIT_IO (%u)\n",
			run->exit_reason, KVM_EXIT_IO);
		return 1;
	}
	if (run->io.direction != KVM_EXIT_IO_OUT || run->io.size != 1 ||
	    run->io.port != SMOKE_PORT || run->io.count != 1)
		return fail_msg("KVM_EXIT_IO is not a one-byte OUT to the smoke port");
	if (run->io.data_offset >= run_size)
		return fail_msg("KVM_EXIT_IO data offset lies outside the run area");
	data = (const uint8_t *)run + run->io.data_offset;
	if (*data != SMOKE_BYTE) {
		fprintf(stderr, "kvm-smoke: port 0x%x got 0x%02x, expected 0x%02x\n",
			SMOKE_PORT, *data, SMOKE_BYTE);
		return 1;
	}
	return 0;
}

static int run_guest(int vcpu, struct kvm_run *run, size_t run_size)
{
	if (ioctl(vcpu, KVM_RUN, 0) < 0)
		return fail("KVM_RUN (first)");
	if (check_io_exit(run, run_size))
		return 1;
	if (ioctl(vcpu, KVM_RUN, 0) < 0)
		return fail("KVM_RUN (second)");
	if (run->exit_reason != KVM_EXIT_HLT) {
		fprintf(stderr, "kvm-smoke: second exit is %u, expected KVM_EXIT_HLT (%u)\n",
			run->exit_reason, KVM_EXIT_HLT);
		return 1;
	}
	return 0;
}

static int smoke(int kvm)
{
	/* mov al, SMOKE_BYTE; out SMOKE_PORT, al; hlt */
	static const uint8_t code[] = { 0xb0, SMOKE_BYTE, 0xe6, SMOKE_PORT, 0xf4 };
	struct kvm_userspace_memory_region region;
	struct kvm_run *run;
	uint8_t *mem;
	int vm, vcpu, run_size;

	if (ioctl(kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
		return fail_msg("KVM_GET_API_VERSION is not 12");
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		return fail("KVM_CREATE_VM");
	mem = mmap(NULL, GUEST_MEM_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem == MAP_FAILED)
		return fail("mmap guest memory");
	memcpy(mem + CODE_ADDR, code, sizeof(code));
	region = (struct kvm_userspace_memory_region){
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = GUEST_MEM_SIZE,
		.userspace_addr = (uintptr_t)mem,
	};
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return fail("KVM_SET_USER_MEMORY_REGION");
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		return fail("KVM_CREATE_VCPU");
	run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (run_size < (int)sizeof(*run))
		return fail("KVM_GET_VCPU_MMAP_SIZE");
	run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		return fail("mmap kvm_run");
	if (setup_vcpu(vcpu) || run_guest(vcpu, run, (size_t)run_size))
		return 1;
	/* The process exits right after: the kernel frees the VM and mappings. */
	return 0;
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "/dev/kvm";
	int kvm = open(path, O_RDWR | O_CLOEXEC);

	if (kvm < 0) {
		fprintf(stderr, "kvm-smoke: open %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (smoke(kvm))
		return 1;
	printf("kvm-smoke: ok (OUT 0x%02x to port 0x%x, then HLT)\n", SMOKE_BYTE, SMOKE_PORT);
	return 0;
}
