/* Exit dispatch: port I/O and MMIO ranges that user-space devices claim.
 * Ranges are registered before the vCPUs start and never change after, so
 * lookups from vCPU threads need no lock. */
#ifndef HULL_VMM_IO_H
#define HULL_VMM_IO_H

#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"

#define VMM_IO_MAX_RANGES 32

/* `data` holds `len` bytes (1, 2, 4 or 8): filled by the handler on a read,
 * provided by the guest on a write.  `offset` is relative to the range base. */
typedef void (*vmm_io_fn)(void *opaque, uint64_t offset, uint8_t *data,
			  uint32_t len, bool is_write);

struct vmm_io_range {
	uint64_t base, len;
	vmm_io_fn fn;
	void *opaque;
};

struct vmm_io_table {
	struct vmm_io_range r[VMM_IO_MAX_RANGES];
	unsigned int n;
};

struct vmm_io {
	struct vmm_io_table pio;
	struct vmm_io_table mmio;
};

int vmm_io_register(struct vmm_io_table *t, uint64_t base, uint64_t len,
		    vmm_io_fn fn, void *opaque, struct hull_error *err);

/* Run the handler for [addr, addr + len).  Returns false (reads then see
 * all ones) when no single range covers the whole access. */
bool vmm_io_dispatch(const struct vmm_io_table *t, uint64_t addr,
		     uint8_t *data, uint32_t len, bool is_write);

#endif
