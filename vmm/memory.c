/* Guest memory regions and guest-physical -> host translation. */
#include "vmm/memory.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

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
		.gpa = gpa, .size = size, .host = host, .owned = owned, .fd = -1,
	};
	return 0;
}

/* Guest RAM starts at a 2 MiB-aligned host address (as QEMU's does).  KVM
 * maps guest memory with 2 MiB pages only where the host address and the
 * guest-physical address agree modulo 2 MiB, and the host backs only whole
 * aligned 2 MiB blocks with transparent hugepages.  With a plain mmap the
 * guest takes one fault (an exit) per 4 KiB page it first touches; under
 * nested virtualization that was a large part of every boot. */
#define GUEST_RAM_ALIGN (2ull << 20)

static void *map_aligned(uint64_t size, int flags, int fd)
{
	uint64_t span = size + GUEST_RAM_ALIGN;
	uint8_t *res = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	uint8_t *p;
	int saved;

	if (res == MAP_FAILED)
		return MAP_FAILED;
	p = (uint8_t *)(((uintptr_t)res + GUEST_RAM_ALIGN - 1) & ~(uintptr_t)(GUEST_RAM_ALIGN - 1));
	/* MAP_FIXED inside our own reservation: replaces nothing else. */
	if (mmap(p, size, PROT_READ | PROT_WRITE, flags | MAP_FIXED, fd, 0) == MAP_FAILED) {
		saved = errno;
		munmap(res, span);
		errno = saved;
		return MAP_FAILED;
	}
	if (p > res)
		munmap(res, (size_t)(p - res));
	if (res + span > p + size)
		munmap(p + size, (size_t)(res + span - (p + size)));
	return p;
}

/* Shared guest RAM: a memfd of `size` bytes mapped MAP_SHARED.  Another
 * process (the vhost-user back-end) maps the same fd and sees the guest's
 * writes, which private anonymous memory cannot offer.  Sealed against
 * shrinking: a back-end that truncated it would make our own mapping
 * SIGBUS on the next guest access. */
static void *map_shared(uint64_t size, bool hugepages, int *fd_out, struct hull_error *err)
{
	int fd = memfd_create("hull-guest-ram", MFD_CLOEXEC | MFD_ALLOW_SEALING |
			      (hugepages ? MFD_HUGETLB : 0));
	void *p;

	if (fd < 0)
		return hull_error_errno(err, "memfd_create for guest memory"), NULL;
	if (ftruncate(fd, (off_t)size) < 0 ||
	    (!hugepages && fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0)) {
		hull_error_errno(err, "sizing shared guest memory (%llu MiB)",
				 (unsigned long long)(size >> 20));
		close(fd);
		return NULL;
	}
	/* NORESERVE as for private memory: pages come on first touch. */
	p = map_aligned(size, MAP_SHARED | (hugepages ? 0 : MAP_NORESERVE), fd);
	if (p == MAP_FAILED) {
		hull_error_errno(err, "mmap shared guest memory (%llu MiB)",
				 (unsigned long long)(size >> 20));
		close(fd);
		return NULL;
	}
	*fd_out = fd;
	return p;
}

int vmm_mem_add(struct vmm_mem *mem, uint64_t gpa, uint64_t size,
		bool hugepages, struct hull_error *err)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS;
	int fd = -1;
	void *p;

	if (mem->shared) {
		p = map_shared(size, hugepages, &fd, err);
		if (p == NULL)
			return -1;
		(void)madvise(p, size, MADV_DONTFORK);
		if (mem_insert(mem, gpa, p, size, true, err) < 0) {
			munmap(p, size);
			close(fd);
			return -1;
		}
		mem->regions[mem->nr - 1].fd = fd;
		return 0;
	}

	/* Hugepages are reserved at mmap time (no NORESERVE): with too small
	 * a pool, a NORESERVE mapping would SIGBUS on the guest's first touch
	 * of a missing page instead of failing here with ENOMEM. */
	flags |= hugepages ? MAP_HUGETLB : MAP_NORESERVE;
	/* Anonymous private mapping: zero-filled, populated lazily on first guest
	 * touch, so a 1 GiB VM that uses 40 MiB costs 40 MiB. NORESERVE keeps
	 * overcommit accounting from refusing large, mostly-idle guests. */
	p = map_aligned(size, flags, -1);
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
	for (unsigned int i = 0; i < mem->nr; i++) {
		if (mem->regions[i].owned)
			munmap(mem->regions[i].host, mem->regions[i].size);
		if (mem->regions[i].fd >= 0)
			close(mem->regions[i].fd);
	}
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
