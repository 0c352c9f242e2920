/* The few legacy PC ports a Linux guest touches without a BIOS, answered
 * cheaply so that it does not spin on them (every unanswered read costs an
 * exit, and CMOS reads of 0xff keep "update in progress" set: ~80,000 exits
 * per boot measured), plus Hull's own control and debug ports:
 *
 *   0x70/0x71  CMOS/RTC: index ignored, every register reads 0
 *   0x60/0x64  i8042: a controller with no devices behind it: answers the
 *              config-byte and self-test commands (else Linux polls the
 *              status port ~10,000 times waiting for them); 0xFE (pulse
 *              reset) stops the VM
 *   0x80       POST diagnostics: ignored
 *   0x600      control: a 32-bit write is the guest's exit status; VM stops
 *   0x604      console ready: the guest can take console input now
 *   0xe9       debug: bytes written go to cfg->debug_fd (only if set)
 */
#include "vmm/legacy.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

static void cmos_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	/* RTC reads as all-zero time with update-in-progress clear; Linux
	 * then reports "unable to read current time" once and moves on. */
	if (!is_write)
		memset(data, 0, len);
}

#define I8042_STATUS_OBF 0x01   /* output buffer full: data at 0x60 */
#define I8042_STATUS_SYS 0x04   /* system flag: self-test passed */

static void i8042_output(struct legacy_devices *l, uint8_t v)
{
	l->i8042_out = v;
	l->i8042_obf = true;
}

static void i8042_command(struct legacy_devices *l, uint8_t cmd)
{
	switch (cmd) {
	case 0x20: i8042_output(l, l->i8042_ctr); break;   /* read config byte */
	case 0x60: l->i8042_ctr_next = true; break;         /* write config byte */
	case 0xaa: i8042_output(l, 0x55); break;            /* controller self-test */
	case 0xab: i8042_output(l, 0x00); break;            /* keyboard port test */
	case 0xfe:
		/* Pulse the CPU reset line: how Linux reboots with reboot=k.
		 * For a microVM, reset means "stop". */
		vm_request_stop(l->vm, VMM_STATUS_NONE);
		break;
	default:
		break;  /* port enable/disable and the rest: nothing behind them */
	}
}

static void i8042_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	struct legacy_devices *l = opaque;

	pthread_mutex_lock(&l->lock);
	if (!is_write) {
		memset(data, 0, len);
		if (off == 4) {
			data[0] = I8042_STATUS_SYS | (l->i8042_obf ? I8042_STATUS_OBF : 0);
		} else if (off == 0) {
			data[0] = l->i8042_out;
			l->i8042_obf = false;
		}
	} else if (off == 4) {
		i8042_command(l, data[0]);
	} else if (off == 0 && l->i8042_ctr_next) {
		l->i8042_ctr = data[0];
		l->i8042_ctr_next = false;
	}
	/* Other data bytes would go to a keyboard; there is none, and no
	 * answer makes Linux's atkbd give up. */
	pthread_mutex_unlock(&l->lock);
}

static void post_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	if (!is_write)
		memset(data, 0, len);
}

static void control_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	struct legacy_devices *l = opaque;
	uint32_t status = 0;

	if (!is_write) {
		memset(data, 0, len);
		return;
	}
	/* len is 1, 2 or 4 (port I/O), within the 4-byte status. */
	memcpy(&status, data, len < 4 ? len : 4);
	vm_request_stop(l->vm, (int)(status & 0x7fffffff));
}

static void console_ready_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len,
			     bool is_write)
{
	struct legacy_devices *l = opaque;

	if (!is_write)
		memset(data, 0, len);
	else if (l->console_ready)
		l->console_ready(l->console_ready_opaque);
}

static void debug_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	struct legacy_devices *l = opaque;

	if (!is_write) {
		memset(data, 0xe9, len);        /* bochs convention: "present" */
		return;
	}
	if (write(l->debug_fd, data, len) < 0) {
		/* Debug output is best effort; a closed pipe must not stop the VM. */
	}
}

int legacy_devices_init(struct legacy_devices *l, struct vm *vm, int debug_fd,
			struct hull_error *err)
{
	l->vm = vm;
	l->debug_fd = debug_fd;
	l->i8042_ctr = 0x01 | 0x04 | 0x40;  /* kbd irq, system flag, translate */
	pthread_mutex_init(&l->lock, NULL);
	if (vmm_io_register(&vm->io.pio, 0x70, 2, cmos_io, l, err) < 0 ||
	    vmm_io_register(&vm->io.pio, 0x60, 5, i8042_io, l, err) < 0 ||
	    vmm_io_register(&vm->io.pio, 0x80, 1, post_io, l, err) < 0 ||
	    vmm_io_register(&vm->io.pio, VM_CONTROL_PORT, 4, control_io, l, err) < 0 ||
	    vmm_io_register(&vm->io.pio, VM_CONSOLE_READY_PORT, 1, console_ready_io, l, err) < 0)
		return hull_error_prefix(err, "legacy devices");
	if (debug_fd >= 0 &&
	    vmm_io_register(&vm->io.pio, VM_DEBUG_PORT, 1, debug_io, l, err) < 0)
		return hull_error_prefix(err, "debug port");
	return 0;
}
