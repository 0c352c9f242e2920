/* Shared pieces of the boot paths: files, e820 map, initramfs placement,
 * and the flat test-guest loader. */
#include "vmm/boot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"

int boot_read_file(const char *path, size_t max, uint8_t **data, size_t *len,
		   struct hull_error *err)
{
	autoclose int fd = open(path, O_RDONLY | O_CLOEXEC);
	autofree uint8_t *buf = NULL;
	struct stat st;
	size_t done = 0;

	if (fd < 0)
		return hull_error_errno(err, "open %s", path);
	if (fstat(fd, &st) < 0)
		return hull_error_errno(err, "stat %s", path);
	if (!S_ISREG(st.st_mode))
		return hull_error_set(err, EINVAL, "%s is not a regular file", path);
	if (st.st_size <= 0 || (uint64_t)st.st_size > max)
		return hull_error_set(err, EFBIG, "%s: size %lld not in 1..%zu", path,
				      (long long)st.st_size, max);
	buf = malloc((size_t)st.st_size);
	if (buf == NULL)
		return hull_error_errno(err, "malloc");
	while (done < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + done, (size_t)st.st_size - done);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return hull_error_errno(err, "read %s", path);
		if (r == 0)
			return hull_error_set(err, EIO, "%s shrank while reading", path);
		done += (size_t)r;
	}
	*len = done;
	*data = steal_pointer(&buf);
	return 0;
}

unsigned int boot_e820(const struct vm *vm, struct boot_e820 *map)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < vm->mem.nr && n + 2 <= BOOT_E820_MAX; i++) {
		const struct vmm_mem_region *r = &vm->mem.regions[i];

		if (r->gpa == 0) {
			/* 0..0x9fc00 usable, 0x9fc00..1 MiB reserved (where the
			 * EBDA and option ROMs would be; the MP table goes there). */
			map[n++] = (struct boot_e820){ 0, 0x9fc00, E820_RAM };
			map[n++] = (struct boot_e820){ 0x9fc00, 0x100000 - 0x9fc00, E820_RESERVED };
			if (r->size > 0x100000)
				map[n++] = (struct boot_e820){ 0x100000, r->size - 0x100000, E820_RAM };
		} else {
			map[n++] = (struct boot_e820){ r->gpa, r->size, E820_RAM };
		}
	}
	return n;
}

int boot_pread_full(int fd, void *buf, uint64_t n, uint64_t off)
{
	uint8_t *p = buf;

	while (n > 0) {
		ssize_t r = pread(fd, p, n > (1u << 30) ? (1u << 30) : (size_t)n, (off_t)off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (uint64_t)r;
		off += (uint64_t)r;
	}
	return 0;
}

int boot_load_initrd(struct vm *vm, const char *path, uint64_t min_addr,
		     uint64_t max_addr, uint64_t *gpa, uint64_t *size,
		     struct hull_error *err)
{
	const struct vmm_mem_region *low = &vm->mem.regions[0];
	autoclose int fd = open(path, O_RDONLY | O_CLOEXEC);
	uint64_t top = low->gpa + low->size;
	uint64_t addr, len;
	struct stat st;
	void *dst;

	if (fd < 0 || fstat(fd, &st) < 0)
		return hull_error_errno(err, "initrd %s", path);
	if (!S_ISREG(st.st_mode) || st.st_size <= 0)
		return hull_error_set(err, EINVAL, "initrd %s: not a non-empty file", path);
	len = (uint64_t)st.st_size;
	if (max_addr < top)
		top = max_addr;
	/* Highest page-aligned start with the whole image below `top`;
	 * compared without subtraction underflow. */
	if (len > top || top - len < min_addr)
		return hull_error_set(err, ENOSPC, "initrd %s (%llu bytes) does not fit in guest "
				      "memory between 0x%llx and 0x%llx", path, (unsigned long long)len,
				      (unsigned long long)min_addr, (unsigned long long)top);
	addr = (top - len) & ~0xfffull;
	if (addr < min_addr)
		return hull_error_set(err, ENOSPC, "initrd %s does not fit above the kernel", path);
	/* [addr, addr + len) was just shown to be inside the low region;
	 * vmm_mem_ptr checks it again before we write there. */
	dst = vmm_mem_ptr(&vm->mem, addr, len);
	if (dst == NULL)
		return hull_error_set(err, EFAULT, "initrd placement outside guest memory");
	if (boot_pread_full(fd, dst, len, 0) < 0)
		return hull_error_errno(err, "reading initrd %s", path);
	*gpa = addr;
	*size = len;
	return 0;
}

int vmm_load_flat(struct vm *vm, const char *path, uint64_t addr,
		  struct x86_entry *entry, struct hull_error *err)
{
	autofree uint8_t *img = NULL;
	size_t len;
	void *dst;

	if (boot_read_file(path, 64u << 20, &img, &len, err) < 0)
		return -1;
	/* The whole image must land in RAM at addr (overflow-safe check). */
	dst = vmm_mem_ptr(&vm->mem, addr, len);
	if (dst == NULL || addr < 0x100000)
		return hull_error_set(err, EINVAL, "flat image %s (%zu bytes) does not fit at 0x%llx",
				      path, len, (unsigned long long)addr);
	memcpy(dst, img, len);
	*entry = (struct x86_entry){
		.mode = X86_ENTRY_LONG64, .rip = addr, .rsp = 0x80000,
	};
	return 0;
}

bool boot_is_bzimage(const char *path)
{
	autoclose int fd = open(path, O_RDONLY | O_CLOEXEC);
	char magic[4];

	return fd >= 0 && pread(fd, magic, 4, 0x202) == 4 && memcmp(magic, "HdrS", 4) == 0;
}
