/* Guest physical memory: a few regions of host memory, and the one function
 * every device uses to turn a guest-physical range into a host pointer. */
#ifndef HULL_VMM_MEMORY_H
#define HULL_VMM_MEMORY_H

#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"

#define VMM_MEM_MAX_REGIONS 4

struct vmm_mem_region {
	uint64_t gpa;           /* guest-physical start */
	uint64_t size;          /* bytes, > 0 */
	uint8_t *host;          /* host mapping of [gpa, gpa + size) */
	bool owned;             /* mmap'ed by us: munmap on free */
	int fd;                 /* shared: the memfd behind it, else -1 */
};

struct vmm_mem {
	struct vmm_mem_region regions[VMM_MEM_MAX_REGIONS];
	unsigned int nr;
	/* Set before vmm_mem_add: back RAM with a memfd mapped MAP_SHARED, so
	 * that a vhost-user back-end (virtiofsd) can map the same pages from
	 * the fd (vmm/vhost_user.c).  Otherwise anonymous private memory. */
	bool shared;
};

/* Map `size` bytes of anonymous, MAP_NORESERVE memory for guest-physical
 * `gpa` (optionally backed by hugepages). Regions must not overlap. */
int vmm_mem_add(struct vmm_mem *mem, uint64_t gpa, uint64_t size,
		bool hugepages, struct hull_error *err);

/* Register memory the caller owns (unit tests use a plain buffer). */
int vmm_mem_add_buffer(struct vmm_mem *mem, uint64_t gpa, void *host,
		       uint64_t size, struct hull_error *err);

void vmm_mem_free(struct vmm_mem *mem);

/* Host pointer for guest-physical [gpa, gpa + len), or NULL unless that whole
 * range lies inside ONE region. Overflow-safe for any gpa and len; len 0 is
 * treated as 1 (the address itself must be valid). This is the only place a
 * guest-physical address becomes a host pointer. */
void *vmm_mem_ptr(const struct vmm_mem *mem, uint64_t gpa, uint64_t len);

/* Copy helpers built on vmm_mem_ptr: -1 if the range is not guest RAM. */
int vmm_mem_read(const struct vmm_mem *mem, uint64_t gpa, void *dst, uint64_t len);
int vmm_mem_write(const struct vmm_mem *mem, uint64_t gpa, const void *src, uint64_t len);

/* Sum of region sizes. */
uint64_t vmm_mem_total(const struct vmm_mem *mem);

#endif
