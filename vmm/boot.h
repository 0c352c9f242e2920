/* Loading a guest image into memory and choosing where its first vCPU
 * starts.  Each loader validates the image completely before writing any
 * of it into guest memory, and says what is wrong with a bad one. */
#ifndef HULL_VMM_BOOT_H
#define HULL_VMM_BOOT_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/vm.h"
#include "vmm/x86.h"

#define BOOT_E820_MAX 8
#define E820_RAM      1
#define E820_RESERVED 2

struct boot_e820 {
	uint64_t addr, size;
	uint32_t type;
};

/* Read a whole file (at most max bytes) into a malloc'ed buffer. */
int boot_read_file(const char *path, size_t max, uint8_t **data, size_t *len,
		   struct hull_error *err);

/* The guest's memory map: RAM regions minus the low area below 1 MiB that
 * PCs reserve (EBDA, ROMs), as Linux expects from a BIOS. */
unsigned int boot_e820(const struct vm *vm, struct boot_e820 *map);

/* Load an initramfs file as high as possible in low RAM below `max_addr`,
 * above `min_addr`, page-aligned, reading it straight into guest memory.
 * Returns its address and size. */
int boot_load_initrd(struct vm *vm, const char *path, uint64_t min_addr,
		     uint64_t max_addr, uint64_t *gpa, uint64_t *size,
		     struct hull_error *err);

/* Read exactly n bytes at offset off of fd into buf; -1 on error or EOF. */
int boot_pread_full(int fd, void *buf, uint64_t n, uint64_t off);

int vmm_load_flat(struct vm *vm, const char *path, uint64_t addr,
		  struct x86_entry *entry, struct hull_error *err);
int vmm_load_bzimage(struct vm *vm, const char *kernel, const char *initrd,
		     const char *cmdline, struct x86_entry *entry,
		     struct hull_error *err);
int vmm_load_pvh(struct vm *vm, const char *kernel, const char *initrd,
		 const char *cmdline, struct x86_entry *entry,
		 struct hull_error *err);

/* True if the file starts like a bzImage (setup header "HdrS" at 0x202). */
bool boot_is_bzimage(const char *path);

#endif
