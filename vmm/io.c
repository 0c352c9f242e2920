/* Port I/O and MMIO dispatch tables. */
#include "vmm/io.h"

#include <errno.h>
#include <string.h>

int vmm_io_register(struct vmm_io_table *t, uint64_t base, uint64_t len,
		    vmm_io_fn fn, void *opaque, struct hull_error *err)
{
	if (t->n >= VMM_IO_MAX_RANGES)
		return hull_error_set(err, ENOSPC, "too many I/O ranges");
	if (len == 0 || base + len < base)
		return hull_error_set(err, EINVAL, "bad I/O range 0x%llx+0x%llx",
				      (unsigned long long)base, (unsigned long long)len);
	for (unsigned int i = 0; i < t->n; i++)
		if (base < t->r[i].base + t->r[i].len && t->r[i].base < base + len)
			return hull_error_set(err, EBUSY, "I/O range 0x%llx overlaps another",
					      (unsigned long long)base);
	t->r[t->n++] = (struct vmm_io_range){ base, len, fn, opaque };
	return 0;
}

bool vmm_io_dispatch(const struct vmm_io_table *t, uint64_t addr,
		     uint8_t *data, uint32_t len, bool is_write)
{
	for (unsigned int i = 0; i < t->n; i++) {
		const struct vmm_io_range *r = &t->r[i];

		/* Whole access inside the range, written without addr + len so
		 * a guest address near 2^64 cannot wrap. */
		if (addr < r->base || len > r->len || addr - r->base > r->len - len)
			continue;
		r->fn(r->opaque, addr - r->base, data, len, is_write);
		return true;
	}
	if (!is_write)
		memset(data, 0xff, len);
	return false;
}
