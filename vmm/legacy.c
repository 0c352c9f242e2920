/* The few legacy PC ports a Linux guest touches without a BIOS, answered
 * cheaply so that it does not spin on them (every unanswered read costs an
 * exit, and CMOS reads of 0xff keep "update in progress" set: ~80,000 exits
 * per boot measured), plus Hull's own control and debug ports:
 *
 *   0x70/0x71  CMOS/RTC: index ignored, every register reads 0
 *   0x60/0x64  i8042: status "empty", command 0xFE (pulse reset) stops the VM
 *   0x80       POST diagnostics: ignored
 *   0x600      control: a 32-bit write is the guest's exit status; VM stops
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

static void i8042_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	struct legacy_devices *l = opaque;

	if (!is_write) {
		/* Status (0x64): output buffer empty, input buffer empty, so
		 * Linux's i8042 probe sees no controller traffic to wait for.
		 * Data (0x60): nothing pending. */
		memset(data, 0, len);
		return;
	}
	/* Command 0xFE on port 0x64: pulse the CPU reset line, which is how
	 * Linux reboots with reboot=k.  For a microVM, reset means "stop". */
	if (off == 4 && data[0] == 0xfe)
		vm_request_stop(l->vm, VMM_STATUS_NONE);
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
	if (vmm_io_register(&vm->io.pio, 0x70, 2, cmos_io, l, err) < 0 ||
	    vmm_io_register(&vm->io.pio, 0x60, 5, i8042_io, l, err) < 0 ||
	    vmm_io_register(&vm->io.pio, 0x80, 1, post_io, l, err) < 0 ||
	    vmm_io_register(&vm->io.pio, VM_CONTROL_PORT, 4, control_io, l, err) < 0)
		return hull_error_prefix(err, "legacy devices");
	if (debug_fd >= 0 &&
	    vmm_io_register(&vm->io.pio, VM_DEBUG_PORT, 1, debug_io, l, err) < 0)
		return hull_error_prefix(err, "debug port");
	return 0;
}
