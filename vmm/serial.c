/* 16550A UART model: enough for Linux's 8250 driver to probe it as a
 * 16550A and write through it, with or without interrupts.  Transmission is
 * instant, so the transmitter is always empty. */
#include "vmm/serial.h"

#include <string.h>
#include <unistd.h>

#define UART_IER_RDI  0x01
#define UART_IER_THRI 0x02
#define UART_IIR_NONE 0x01
#define UART_IIR_THRI 0x02
#define UART_IIR_FIFO 0xc0
#define UART_LCR_DLAB 0x80
#define UART_MCR_LOOP 0x10
#define UART_LSR_THRE 0x20
#define UART_LSR_TEMT 0x40

static void serial_update_irq(struct serial *s)
{
	bool level = (s->ier & UART_IER_THRI) && s->thri_pending;

	if (level != s->irq_level) {
		s->irq_level = level;
		vm_set_irq(s->vm, SERIAL_COM1_IRQ, level);
	}
}

static uint8_t serial_read(struct serial *s, uint64_t off)
{
	uint8_t v;

	switch (off) {
	case 0:
		return (s->lcr & UART_LCR_DLAB) ? s->dll : 0;   /* no input */
	case 1:
		return (s->lcr & UART_LCR_DLAB) ? s->dlm : s->ier;
	case 2:
		v = (s->fcr & 1) ? UART_IIR_FIFO : 0;
		if ((s->ier & UART_IER_THRI) && s->thri_pending) {
			/* Reading IIR acknowledges the THRE interrupt. */
			s->thri_pending = false;
			return v | UART_IIR_THRI;
		}
		return v | UART_IIR_NONE;
	case 3:
		return s->lcr;
	case 4:
		return s->mcr;
	case 5:
		return UART_LSR_THRE | UART_LSR_TEMT;
	case 6:
		/* Loopback mode reflects MCR outputs (the 8250 probe checks);
		 * otherwise carrier, DSR and CTS are up. */
		if (s->mcr & UART_MCR_LOOP)
			return (uint8_t)(((s->mcr & 0x0c) << 4) | ((s->mcr & 0x01) << 5) |
					 ((s->mcr & 0x02) << 3));
		return 0xb0;
	default:
		return s->scr;
	}
}

static void serial_write(struct serial *s, uint64_t off, uint8_t v)
{
	switch (off) {
	case 0:
		if (s->lcr & UART_LCR_DLAB) {
			s->dll = v;
			break;
		}
		if (!(s->mcr & UART_MCR_LOOP) && s->out_fd >= 0 && write(s->out_fd, &v, 1) < 0) {
			/* Output is best effort: a closed reader must not stop the VM. */
		}
		s->thri_pending = true;
		break;
	case 1:
		if (s->lcr & UART_LCR_DLAB) {
			s->dlm = v;
			break;
		}
		/* Enabling THRI with an empty transmitter interrupts at once. */
		if (!(s->ier & UART_IER_THRI) && (v & UART_IER_THRI))
			s->thri_pending = true;
		s->ier = v & 0x0f;
		break;
	case 2:
		s->fcr = v;
		break;
	case 3:
		s->lcr = v;
		break;
	case 4:
		s->mcr = v & 0x1f;
		break;
	case 7:
		s->scr = v;
		break;
	default:
		break;
	}
}

static void serial_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	struct serial *s = opaque;

	/* The UART is a byte device: wider accesses touch only the first byte
	 * (off < 8 is guaranteed by the 8-port range registration). */
	pthread_mutex_lock(&s->lock);
	if (is_write) {
		serial_write(s, off, data[0]);
	} else {
		memset(data, 0, len);
		data[0] = serial_read(s, off);
	}
	serial_update_irq(s);
	pthread_mutex_unlock(&s->lock);
}

int serial_init(struct serial *s, struct vm *vm, int out_fd, struct hull_error *err)
{
	memset(s, 0, sizeof(*s));
	s->vm = vm;
	s->out_fd = out_fd;
	s->mcr = 0x08;          /* OUT2: IRQ line gated through, as on a PC */
	pthread_mutex_init(&s->lock, NULL);
	if (vmm_io_register(&vm->io.pio, SERIAL_COM1_PORT, 8, serial_io, s, err) < 0)
		return hull_error_prefix(err, "serial port");
	return 0;
}

void serial_destroy(struct serial *s)
{
	pthread_mutex_destroy(&s->lock);
}
