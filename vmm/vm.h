/* Internal: the state of one running VM, shared by the KVM core, the vCPU
 * threads and the devices. */
#ifndef HULL_VMM_VM_H
#define HULL_VMM_VM_H

#include <linux/filter.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "vmm/event.h"
#include "vmm/io.h"
#include "vmm/memory.h"
#include "vmm/vmm.h"

/* Guest-physical layout (x86).  RAM is split around the 32-bit MMIO hole. */
#define VM_MMIO_HOLE_START   0xc0000000ull   /* RAM below this ... */
#define VM_MMIO_HOLE_END     0x100000000ull  /* ... and again from here */
#define VM_VIRTIO_MMIO_BASE  0xd0000000ull   /* one 4 KiB window per device */
#define VM_VIRTIO_MMIO_SIZE  0x1000ull
#define VM_VIRTIO_IRQ_BASE   5               /* GSI of the first virtio device */
#define VM_TSS_ADDR          0xfffbd000ull   /* 3 pages KVM needs for VMX */
#define VM_IDENTITY_MAP_ADDR 0xfffbc000ull
#define VM_CONTROL_PORT      0x600           /* guest writes its exit status */
#define VM_CONSOLE_READY_PORT 0x604          /* guest ready for console input */
#define VM_DEBUG_PORT        0xe9            /* bochs-style debug output */

struct vm;

struct vm_vcpu {
	struct vm *vm;
	unsigned int index;
	int fd;
	struct kvm_run *run;
	size_t run_size;
	pthread_t thread;
	bool thread_started;
};

struct vm {
	int kvm_fd, vm_fd;
	bool has_irqchip, has_ioeventfd, has_irqfd;
	struct vmm_mem mem;
	struct vmm_io io;
	struct vmm_event_loop events;  /* run by the I/O thread */
	unsigned int ncpus;
	struct vm_vcpu vcpus[VMM_MAX_CPUS];
	int stop_efd;                   /* becomes readable when the VM stops */
	atomic_bool stopping;
	bool tolerate_guest_errors;

	pthread_mutex_t lock;           /* guards the result fields below */
	int guest_status;
	struct hull_error fatal;        /* first fatal error, if any */

	atomic_uint_fast64_t exits, pio_exits, mmio_exits, guest_errors;
	atomic_uint_fast64_t *port_exits;  /* 65536 counters, or NULL */
	/* The jail's vCPU seccomp program, installed by each vCPU thread
	 * before its first KVM_RUN; NULL without a jail. */
	const struct sock_fprog *vcpu_filter;
	/* Guest RIP samples of vCPU 0 (sample.c, debugging; sample_us 0: off). */
	unsigned int sample_us;
	atomic_bool sample_req;
	pthread_t sampler;
	bool sampler_started;
	uint64_t sample_t0;
	struct { uint64_t ns, rip; } *samples;
	unsigned int nsamples;
};

#define VM_MAX_SAMPLES 100000

/* kvm.c */
int vm_create(struct vm *vm, struct hull_error *err);
int vm_add_memory(struct vm *vm, uint64_t ram_bytes, bool hugepages,
		  struct hull_error *err);
void vm_destroy(struct vm *vm);
int vm_set_irq(struct vm *vm, uint32_t gsi, bool level);
/* Edge: raise then lower the line (virtio-mmio and serial use edges). */
void vm_pulse_irq(struct vm *vm, uint32_t gsi);

/* Ask every vCPU and the I/O loop to stop; status is recorded if the guest
 * reported one (VMM_STATUS_NONE otherwise keeps any earlier status). */
void vm_request_stop(struct vm *vm, int status);
/* A fatal monitor-side error: recorded (first wins) and the VM stops. */
void vm_fail(struct vm *vm, const struct hull_error *e);
/* The guest broke a device's rules: counted; fatal unless tolerated. */
void vm_guest_error(struct vm *vm, const char *what, const struct hull_error *e);

/* vcpu.c */
int vm_create_vcpus(struct vm *vm, unsigned int n, struct hull_error *err);
int vm_start_vcpus(struct vm *vm, struct hull_error *err);
void vm_join_vcpus(struct vm *vm);

/* sample.c: vm->sample_us is set before vm_start_vcpus and the sampler
 * started after it; stop it once the VM is stopping, before
 * vm_join_vcpus; write ("hull sample: <ms> <rip>" lines) after. */
int vm_sampler_start(struct vm *vm, struct hull_error *err);
void vm_sample_take(struct vm_vcpu *cpu);
void vm_sampler_stop(struct vm *vm);
void vm_sampler_write(struct vm *vm, int fd);

#endif
