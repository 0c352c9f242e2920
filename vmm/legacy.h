/* Legacy PC ports (CMOS, i8042 reset, POST) and Hull's control/debug ports. */
#ifndef HULL_VMM_LEGACY_H
#define HULL_VMM_LEGACY_H

#include "vmm/vm.h"

#include <pthread.h>

struct legacy_devices {
	struct vm *vm;
	int debug_fd;
	pthread_mutex_t lock;           /* i8042 state, from any vCPU */
	uint8_t i8042_ctr;              /* controller configuration byte */
	uint8_t i8042_out;              /* output buffer (port 0x60) */
	bool i8042_obf;
	bool i8042_ctr_next;            /* next 0x60 write is the config byte */
	void (*console_ready)(void *opaque);   /* port 0x604 written */
	void *console_ready_opaque;
};

int legacy_devices_init(struct legacy_devices *l, struct vm *vm, int debug_fd,
			struct hull_error *err);

#endif
