/* vCPUs: one thread each, running KVM_RUN and dispatching the exits that
 * reach user space (port I/O, MMIO, shutdown) to the device tables. */
#include "vmm/vm.h"

#include <errno.h>
#include <linux/kvm.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>

#include "vmm/jail.h"
#include "vmm/x86.h"

int vm_create_vcpus(struct vm *vm, unsigned int n, struct hull_error *err)
{
	int mmap_size;

	for (unsigned int i = 0; i < VMM_MAX_CPUS; i++)
		vm->vcpus[i].fd = -1;
	/* Size of the shared kvm_run area (it includes the PIO data page). */
	mmap_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (mmap_size < (int)sizeof(struct kvm_run))
		return hull_error_errno(err, "KVM_GET_VCPU_MMAP_SIZE");
	for (unsigned int i = 0; i < n; i++) {
		struct vm_vcpu *cpu = &vm->vcpus[i];
		void *run;

		cpu->vm = vm;
		cpu->index = i;
		cpu->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)i);
		if (cpu->fd < 0)
			return hull_error_errno(err, "KVM_CREATE_VCPU %u", i);
		vm->ncpus = i + 1;
		/* The kvm_run page(s) KVM shares with us for this vCPU; every
		 * offset KVM reports into it is checked against run_size. */
		run = mmap(NULL, (size_t)mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, cpu->fd, 0);
		if (run == MAP_FAILED)
			return hull_error_errno(err, "mmap kvm_run for vCPU %u", i);
		cpu->run = run;
		cpu->run_size = (size_t)mmap_size;
		if (x86_setup_vcpu(vm, cpu, err) < 0)
			return -1;
	}
	return 0;
}

static int vcpu_handle_io(struct vm_vcpu *cpu)
{
	struct kvm_run *run = cpu->run;
	uint64_t size = run->io.size, count = run->io.count;
	uint64_t off = run->io.data_offset;
	bool is_write = run->io.direction == KVM_EXIT_IO_OUT;
	struct hull_error e = { 0 };

	/* The data lives inside the kvm_run mapping at data_offset; a string
	 * instruction (rep outsb) brings count > 1.  Check the whole span fits
	 * before touching it (sizes are 1/2/4 from KVM, so no overflow). */
	if (size == 0 || size > 8 || count == 0 || off > cpu->run_size ||
	    size * count > cpu->run_size - off) {
		hull_error_set(&e, EINVAL, "KVM_EXIT_IO data out of the run area");
		vm_fail(cpu->vm, &e);
		return -1;
	}
	atomic_fetch_add(&cpu->vm->pio_exits, 1);
	if (cpu->vm->port_exits)
		atomic_fetch_add(&cpu->vm->port_exits[run->io.port], 1);
	for (uint64_t i = 0; i < count; i++)
		vmm_io_dispatch(&cpu->vm->io.pio, run->io.port,
				(uint8_t *)run + off + i * size, (uint32_t)size, is_write);
	return 0;
}

static int vcpu_handle_exit(struct vm_vcpu *cpu)
{
	struct kvm_run *run = cpu->run;
	struct hull_error e = { 0 };

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		return vcpu_handle_io(cpu);
	case KVM_EXIT_MMIO:
		atomic_fetch_add(&cpu->vm->mmio_exits, 1);
		/* len is at most 8 = sizeof(run->mmio.data). */
		if (run->mmio.len == 0 || run->mmio.len > sizeof(run->mmio.data)) {
			hull_error_set(&e, EINVAL, "MMIO exit of %u bytes", run->mmio.len);
			vm_fail(cpu->vm, &e);
			return -1;
		}
		vmm_io_dispatch(&cpu->vm->io.mmio, run->mmio.phys_addr, run->mmio.data,
				run->mmio.len, run->mmio.is_write);
		return 0;
	case KVM_EXIT_HLT:
		/* Only without an in-kernel irqchip: nothing can wake us. */
		vm_request_stop(cpu->vm, VMM_STATUS_NONE);
		return -1;
	case KVM_EXIT_SHUTDOWN:
		/* Triple fault: Linux's reboot=t path, or a crash. Either way
		 * the guest is done. */
		vm_request_stop(cpu->vm, VMM_STATUS_NONE);
		return -1;
	case KVM_EXIT_SYSTEM_EVENT:
		vm_request_stop(cpu->vm, VMM_STATUS_NONE);
		return -1;
	case KVM_EXIT_INTR:
		return 0;
	case KVM_EXIT_FAIL_ENTRY:
		hull_error_set(&e, EIO, "vCPU %u: entry failed, reason 0x%llx%s", cpu->index,
			       (unsigned long long)run->fail_entry.hardware_entry_failure_reason,
			       vmm_host_is_pvm() ? " (this host's /dev/kvm is PVM (kvm_pvm): only "
			       "PVM-aware guest kernels can boot here)" : "");
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		hull_error_set(&e, EIO, "vCPU %u: KVM internal error, suberror %u%s", cpu->index,
			       run->internal.suberror,
			       vmm_host_is_pvm() ? " (this host's /dev/kvm is PVM (kvm_pvm): only "
			       "PVM-aware guest kernels can boot here)" : "");
		break;
	default:
		hull_error_set(&e, EIO, "vCPU %u: unhandled exit reason %u", cpu->index,
			       run->exit_reason);
		break;
	}
	vm_fail(cpu->vm, &e);
	return -1;
}

static void *vcpu_thread(void *arg)
{
	struct vm_vcpu *cpu = arg;
	struct hull_error e = { 0 };
	sigset_t set;

	/* SIGUSR1 is the kick from vm_request_stop: unblocked only here, so
	 * it interrupts KVM_RUN (EINTR) rather than some other thread. */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	/* Narrow the main thread's setup filter to the vCPU list before the
	 * first guest instruction runs on this thread. */
	if (cpu->vm->vcpu_filter && vmm_jail_install(cpu->vm->vcpu_filter, &e) < 0) {
		hull_error_prefix(&e, "vCPU %u", cpu->index);
		vm_fail(cpu->vm, &e);
		return NULL;
	}
	while (!atomic_load(&cpu->vm->stopping)) {
		if (ioctl(cpu->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR && cpu->vm->sample_us)
				vm_sample_take(cpu);
			if (errno == EINTR || errno == EAGAIN)
				continue;
			hull_error_errno(&e, "vCPU %u: KVM_RUN", cpu->index);
			vm_fail(cpu->vm, &e);
			break;
		}
		atomic_fetch_add(&cpu->vm->exits, 1);
		if (vcpu_handle_exit(cpu) < 0)
			break;
	}
	return NULL;
}

static void kick_handler(int sig)
{
	(void)sig;      /* only here to make KVM_RUN return EINTR */
}

int vm_start_vcpus(struct vm *vm, struct hull_error *err)
{
	struct sigaction sa = { .sa_handler = kick_handler };
	sigset_t set, old;
	int r;

	/* No SA_RESTART: the point is to interrupt the KVM_RUN ioctl. */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL) < 0)
		return hull_error_errno(err, "sigaction SIGUSR1");
	/* Threads inherit the mask: block everything while creating them so
	 * that only the caller's thread handles SIGINT/SIGTERM and friends. */
	sigfillset(&set);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	for (unsigned int i = 0; i < vm->ncpus; i++) {
		r = pthread_create(&vm->vcpus[i].thread, NULL, vcpu_thread, &vm->vcpus[i]);
		if (r != 0) {
			pthread_sigmask(SIG_SETMASK, &old, NULL);
			errno = r;
			hull_error_errno(err, "starting vCPU thread %u", i);
			vm_request_stop(vm, VMM_STATUS_NONE);
			return -1;
		}
		vm->vcpus[i].thread_started = true;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return 0;
}

void vm_join_vcpus(struct vm *vm)
{
	for (unsigned int i = 0; i < vm->ncpus; i++)
		if (vm->vcpus[i].thread_started) {
			pthread_join(vm->vcpus[i].thread, NULL);
			vm->vcpus[i].thread_started = false;
		}
}
