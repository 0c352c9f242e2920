/* KVM core: the VM file descriptor, guest memory slots, the in-kernel
 * interrupt controllers and PIT, and the stop/fail bookkeeping every thread
 * of the monitor shares. */
#include "vmm/vm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/cleanup.h"

bool vmm_host_is_pvm(void)
{
	autofclose FILE *f = NULL;
	char line[4096];

	if (access("/sys/module/kvm_pvm", F_OK) != 0)
		return false;
	f = fopen("/proc/cpuinfo", "re");
	if (f == NULL)
		return true;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "flags", 5) == 0 &&
		    (strstr(line, " vmx") || strstr(line, " svm")))
			return false;
	return true;
}

static int kvm_check(struct vm *vm, long cap)
{
	/* KVM_CHECK_EXTENSION on the VM fd reports what this VM type offers. */
	int r = ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, cap);

	return r < 0 ? 0 : r;
}

int vm_create(struct vm *vm, struct hull_error *err)
{
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	uint64_t idmap = VM_IDENTITY_MAP_ADDR;
	int version;

	vm->kvm_fd = vm->vm_fd = vm->stop_efd = -1;
	vm->events.epfd = -1;
	for (unsigned int i = 0; i < VMM_MAX_CPUS; i++)
		vm->vcpus[i].fd = -1;
	vm->guest_status = VMM_STATUS_NONE;
	pthread_mutex_init(&vm->lock, NULL);

	vm->stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->stop_efd < 0)
		return hull_error_errno(err, "eventfd");
	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0)
		return hull_error_errno(err, "open /dev/kvm");
	/* The ABI has been 12 since Linux 2.6.22; anything else is not KVM as
	 * this code knows it. */
	version = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (version != KVM_API_VERSION)
		return hull_error_set(err, ENOTSUP, "/dev/kvm API version %d, need %d",
				      version, KVM_API_VERSION);
	/* Type 0: the default x86 VM. */
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0)
		return hull_error_errno(err, "KVM_CREATE_VM");
	(void)fcntl(vm->vm_fd, F_SETFD, FD_CLOEXEC);

	/* Intel VMX needs three pages for a real-mode TSS and one for an
	 * identity page table, in guest-physical space that is not RAM; both
	 * sit in the 32-bit hole below the LAPIC and are harmless on AMD. */
	if (kvm_check(vm, KVM_CAP_SET_TSS_ADDR) &&
	    ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)VM_TSS_ADDR) < 0)
		return hull_error_errno(err, "KVM_SET_TSS_ADDR");
	if (kvm_check(vm, KVM_CAP_SET_IDENTITY_MAP_ADDR) &&
	    ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap) < 0)
		return hull_error_errno(err, "KVM_SET_IDENTITY_MAP_ADDR");

	/* In-kernel PIC + IOAPIC + LAPICs: interrupts never bounce through us.
	 * Must come before any vCPU is created. */
	if (kvm_check(vm, KVM_CAP_IRQCHIP)) {
		if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
			return hull_error_errno(err, "KVM_CREATE_IRQCHIP");
		vm->has_irqchip = true;
		/* The PIT (ports 0x40-0x43, 0x61) in the kernel too: Linux
		 * calibrates against it; a dummy speaker port avoids exits. */
		if (kvm_check(vm, KVM_CAP_PIT2) &&
		    ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0)
			return hull_error_errno(err, "KVM_CREATE_PIT2");
	}
	vm->has_irqfd = vm->has_irqchip && kvm_check(vm, KVM_CAP_IRQFD);
	vm->has_ioeventfd = kvm_check(vm, KVM_CAP_IOEVENTFD);
	return 0;
}

static int vm_map_region(struct vm *vm, uint32_t slot, uint64_t gpa, uint64_t size,
			 bool hugepages, struct hull_error *err)
{
	struct kvm_userspace_memory_region r;
	const struct vmm_mem_region *mr;

	if (vmm_mem_add(&vm->mem, gpa, size, hugepages, err) < 0)
		return -1;
	mr = &vm->mem.regions[vm->mem.nr - 1];
	r = (struct kvm_userspace_memory_region){
		.slot = slot,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uint64_t)(uintptr_t)mr->host,
	};
	/* The host range [host, host + size) is exactly the mapping just made,
	 * page-aligned (mmap) and size a multiple of the page size (caller). */
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
		return hull_error_errno(err, "KVM_SET_USER_MEMORY_REGION slot %u", slot);
	return 0;
}

int vm_add_memory(struct vm *vm, uint64_t ram_bytes, bool hugepages,
		  struct hull_error *err)
{
	uint64_t align = hugepages ? (2ull << 20) : 4096;
	uint64_t low = ram_bytes;

	if (ram_bytes < (16ull << 20) || ram_bytes % align)
		return hull_error_set(err, EINVAL, "guest memory must be >= 16 MiB and a multiple of %llu KiB",
				      (unsigned long long)(align >> 10));
	/* RAM stops at the 32-bit MMIO hole (virtio windows, IOAPIC, LAPIC,
	 * TSS) and resumes at 4 GiB. */
	if (low > VM_MMIO_HOLE_START)
		low = VM_MMIO_HOLE_START;
	if (vm_map_region(vm, 0, 0, low, hugepages, err) < 0)
		return -1;
	if (ram_bytes > low &&
	    vm_map_region(vm, 1, VM_MMIO_HOLE_END, ram_bytes - low, hugepages, err) < 0)
		return -1;
	return 0;
}

void vm_destroy(struct vm *vm)
{
	for (unsigned int i = 0; i < vm->ncpus; i++) {
		if (vm->vcpus[i].run)
			munmap(vm->vcpus[i].run, vm->vcpus[i].run_size);
		if (vm->vcpus[i].fd >= 0)
			close(vm->vcpus[i].fd);
	}
	vm->ncpus = 0;
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	if (vm->stop_efd >= 0)
		close(vm->stop_efd);
	vm->vm_fd = vm->kvm_fd = vm->stop_efd = -1;
	/* After the VM fd is gone KVM no longer references guest memory. */
	vmm_mem_free(&vm->mem);
	pthread_mutex_destroy(&vm->lock);
}

int vm_set_irq(struct vm *vm, uint32_t gsi, bool level)
{
	struct kvm_irq_level irq = { .irq = gsi, .level = level };

	if (!vm->has_irqchip)
		return 0;       /* polling guests (tests) run without one */
	return ioctl(vm->vm_fd, KVM_IRQ_LINE, &irq);
}

void vm_pulse_irq(struct vm *vm, uint32_t gsi)
{
	vm_set_irq(vm, gsi, true);
	vm_set_irq(vm, gsi, false);
}

void vm_request_stop(struct vm *vm, int status)
{
	uint64_t one = 1;

	pthread_mutex_lock(&vm->lock);
	if (status != VMM_STATUS_NONE && !atomic_load(&vm->stopping))
		vm->guest_status = status;
	pthread_mutex_unlock(&vm->lock);
	if (atomic_exchange(&vm->stopping, true))
		return;
	/* Tell every vCPU: immediate_exit makes a KVM_RUN that has not entered
	 * the guest yet return at once; the signal kicks one already inside. */
	for (unsigned int i = 0; i < vm->ncpus; i++) {
		if (vm->vcpus[i].run)
			vm->vcpus[i].run->immediate_exit = 1;
		if (vm->vcpus[i].thread_started &&
		    !pthread_equal(vm->vcpus[i].thread, pthread_self()))
			pthread_kill(vm->vcpus[i].thread, SIGUSR1);
	}
	if (write(vm->stop_efd, &one, sizeof(one)) < 0) {
		/* Counter full is impossible after one write; nothing to do. */
	}
}

void vm_fail(struct vm *vm, const struct hull_error *e)
{
	pthread_mutex_lock(&vm->lock);
	if (!vm->fatal.set)
		vm->fatal = *e;
	pthread_mutex_unlock(&vm->lock);
	vm_request_stop(vm, VMM_STATUS_NONE);
}

void vm_guest_error(struct vm *vm, const char *what, const struct hull_error *e)
{
	struct hull_error copy = *e;

	atomic_fetch_add(&vm->guest_errors, 1);
	if (vm->tolerate_guest_errors)
		return;
	hull_error_prefix(&copy, "guest error in %s", what);
	vm_fail(vm, &copy);
}
