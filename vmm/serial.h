/* A 16550A UART on COM1 (0x3f8, IRQ 4), output only: early kernel output
 * and "console=ttyS0".  Off by default: every character costs exits. */
#ifndef HULL_VMM_SERIAL_H
#define HULL_VMM_SERIAL_H

#include <pthread.h>
#include <stdint.h>

#include "vmm/vm.h"

#define SERIAL_COM1_PORT 0x3f8
#define SERIAL_COM1_IRQ  4

struct serial {
	struct vm *vm;
	int out_fd;
	pthread_mutex_t lock;
	uint8_t ier, lcr, mcr, scr, fcr, dll, dlm;
	bool thri_pending;      /* "transmitter empty" interrupt not yet read */
	bool irq_level;
};

int serial_init(struct serial *s, struct vm *vm, int out_fd, struct hull_error *err);
void serial_destroy(struct serial *s);

#endif
