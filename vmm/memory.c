/* Guest memory regions and guest-physical -> host translation. */
#include "vmm/memory.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	/* Both lengths are > 0 and a + alen, b + blen were checked not to wrap. */
	return a < b + blen && b < a + alen;
}

static int mem_insert(struct vmm_mem *mem, uint64_t gpa, void *host,
		      uint64_t size, bool owned, struct hull_error *err)
{
	if (mem->nr >= VMM_MEM_MAX_REGIONS)
		return hull_error_set(err, ENOSPC, "too many memory regions (max %d)",
				      VMM_MEM_MAX_REGIONS);
	if (size == 0 || gpa + size < gpa)
		return hull_error_set(err, EINVAL, "bad memory region 0x%llx+0x%llx",
				      (unsigned long long)gpa, (unsigned long long)size);
	for (unsigned int i = 0; i < mem->nr; i++)
		if (ranges_overlap(gpa, size, mem->regions[i].gpa, mem->regions[i].size))
			return hull_error_set(err, EINVAL, "memory region 0x%llx overlaps another",
					      (unsigned long long)gpa);
	mem->regions[mem->nr++] = (struct vmm_mem_region){
		.gpa = gpa, .size = size, .host = host, .owned = owned,
	};
	return 0;
}

int vmm_mem_add(struct vmm_mem *mem, uint64_t gpa, uint64_t size,
		bool hugepages, struct hull_error *err)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS;
	void *p;

	/* Hugepages are reserved at mmap time (no NORESERVE): with too small
	 * a pool, a NORESERVE mapping would SIGBUS on the guest's first touch
	 * of a missing page instead of failing here with ENOMEM. */
	flags |= hugepages ? MAP_HUGETLB : MAP_NORESERVE;
	/* Anonymous private mapping: zero-filled, populated lazily on first guest
	 * touch, so a 1 GiB VM that uses 40 MiB costs 40 MiB. NORESERVE keeps
	 * overcommit accounting from refusing large, mostly-idle guests. */
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, flags, -1, 0);
	if (p == MAP_FAILED)
		return hull_error_errno(err, "mmap guest memory (%llu MiB%s)",
					(unsigned long long)(size >> 20),
					hugepages ? " of 2 MiB hugepages; see /proc/sys/vm/nr_hugepages" : "");
	/* Guest memory must not leak into a forked child (hooks, helpers). */
	(void)madvise(p, size, MADV_DONTFORK);
	if (!hugepages)
		(void)madvise(p, size, MADV_HUGEPAGE);
	if (mem_insert(mem, gpa, p, size, true, err) < 0) {
		munmap(p, size);
		return -1;
	}
	return 0;
}

int vmm_mem_add_buffer(struct vmm_mem *mem, uint64_t gpa, void *host,
		       uint64_t size, struct hull_error *err)
{
	return mem_insert(mem, gpa, host, size, false, err);
}

void vmm_mem_free(struct vmm_mem *mem)
{
	for (unsigned int i = 0; i < mem->nr; i++)
		if (mem->regions[i].owned)
			munmap(mem->regions[i].host, mem->regions[i].size);
	mem->nr = 0;
}

void *vmm_mem_ptr(const struct vmm_mem *mem, uint64_t gpa, uint64_t len)
{
	if (len == 0)
		len = 1;
	for (unsigned int i = 0; i < mem->nr; i++) {
		const struct vmm_mem_region *r = &mem->regions[i];

		/* Written without gpa + len so that no sum can wrap: the range is
		 * inside iff gpa >= start, len <= size and the offset leaves room
		 * for len bytes before the end. */
		if (gpa < r->gpa || len > r->size)
			continue;
		if (gpa - r->gpa > r->size - len)
			continue;
		return r->host + (gpa - r->gpa);
	}
	return NULL;
}

int vmm_mem_read(const struct vmm_mem *mem, uint64_t gpa, void *dst, uint64_t len)
{
	void *src = vmm_mem_ptr(mem, gpa, len);

	if (src == NULL)
		return -1;
	memcpy(dst, src, len);
	return 0;
}

int vmm_mem_write(const struct vmm_mem *mem, uint64_t gpa, const void *src, uint64_t len)
{
	void *dst = vmm_mem_ptr(mem, gpa, len);

	if (dst == NULL)
		return -1;
	memcpy(dst, src, len);
	return 0;
}

uint64_t vmm_mem_total(const struct vmm_mem *mem)
{
	uint64_t total = 0;

	for (unsigned int i = 0; i < mem->nr; i++)
		total += mem->regions[i].size;
	return total;
}
