/* Where the guest's time goes, seen from outside (debugging only: `hull
 * vm-boot --sample US`, used by vmm/bench/vm-boot-profile.sh).  A thread
 * interrupts vCPU 0 every period with the stop kick (SIGUSR1); KVM_RUN
 * returns EINTR and the vCPU thread records the guest's RIP and the time.
 * The guest's own clock is unreliable under nested emulation and its log
 * says nothing between two lines; this shows what ran, idle (hlt) included. */
#include "vmm/vm.h"

#include <errno.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void *sampler_thread(void *arg)
{
	struct vm *vm = arg;
	struct timespec ts = { .tv_sec = vm->sample_us / 1000000,
			       .tv_nsec = (long)(vm->sample_us % 1000000) * 1000 };

	while (!atomic_load(&vm->stopping)) {
		nanosleep(&ts, NULL);
		atomic_store(&vm->sample_req, true);
		pthread_kill(vm->vcpus[0].thread, SIGUSR1);
	}
	return NULL;
}

int vm_sampler_start(struct vm *vm, struct hull_error *err)
{
	sigset_t set, old;
	int r;

	vm->samples = calloc(VM_MAX_SAMPLES, sizeof(*vm->samples));
	if (vm->samples == NULL)
		return hull_error_errno(err, "calloc samples");
	vm->sample_t0 = mono_ns();
	/* Signals stay with the threads that expect them. */
	sigfillset(&set);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	r = pthread_create(&vm->sampler, NULL, sampler_thread, vm);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0) {
		free(vm->samples);
		vm->samples = NULL;
		errno = r;
		return hull_error_errno(err, "starting the sampler thread");
	}
	vm->sampler_started = true;
	return 0;
}

void vm_sample_take(struct vm_vcpu *cpu)
{
	struct vm *vm = cpu->vm;
	struct kvm_regs regs;

	if (cpu->index != 0 || !atomic_exchange(&vm->sample_req, false) ||
	    vm->nsamples >= VM_MAX_SAMPLES || ioctl(cpu->fd, KVM_GET_REGS, &regs) < 0)
		return;
	vm->samples[vm->nsamples].ns = mono_ns() - vm->sample_t0;
	vm->samples[vm->nsamples].rip = regs.rip;
	vm->nsamples++;
}

void vm_sampler_stop(struct vm *vm)
{
	/* Before the vCPU threads are joined: the sampler signals them. */
	if (vm->sampler_started)
		pthread_join(vm->sampler, NULL);
	vm->sampler_started = false;
}

void vm_sampler_write(struct vm *vm, int fd)
{
	FILE *f;

	if (vm->samples == NULL)
		return;
	f = fdopen(dup(fd), "w");
	if (f) {
		/* Only after the vCPUs were joined: no writer is left. */
		for (unsigned int i = 0; i < vm->nsamples; i++)
			fprintf(f, "hull sample: %.1f %llx\n", vm->samples[i].ns / 1e6,
				(unsigned long long)vm->samples[i].rip);
		fclose(f);
	}
	free(vm->samples);
	vm->samples = NULL;
}
