/* PVH direct boot of an uncompressed vmlinux (ELF): load the PT_LOAD
 * segments at their physical addresses, find the 32-bit entry in the Xen
 * ELF note XEN_ELFNOTE_PHYS32_ENTRY (18), and pass an hvm_start_info
 * (command line, initramfs as module 0, memory map) in EBX.  Skips the
 * kernel's self-decompression entirely. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "vmm/boot.h"

#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define HVM_START_MAGIC 0x336ec578u

#define PVH_START_INFO 0x6000ull
#define PVH_MODLIST    0x6100ull
#define PVH_MEMMAP     0x6200ull

struct hvm_start_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
	uint32_t memmap_entries, reserved;
};

struct hvm_modlist_entry {
	uint64_t paddr, size, cmdline_paddr, reserved;
};

struct hvm_memmap_entry {
	uint64_t addr, size;
	uint32_t type, reserved;
};

/* [off, off + n) inside a file of len bytes, without overflow. */
static bool in_file(size_t len, uint64_t off, uint64_t n)
{
	return off <= len && n <= len - off;
}

static int pvh_validate_elf(const Elf64_Ehdr *eh, uint64_t len, struct hull_error *err)
{
	if (len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0)
		return hull_error_set(err, EINVAL, "neither a bzImage nor an ELF vmlinux");
	if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh->e_machine != EM_X86_64)
		return hull_error_set(err, EINVAL, "ELF is not x86-64 little-endian");
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0 ||
	    !in_file(len, eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr)))
		return hull_error_set(err, EINVAL, "ELF program headers missing or truncated");
	return 0;
}

/* Walk the notes in one PT_NOTE segment for Xen's PHYS32_ENTRY. */
static bool pvh_find_entry(const uint8_t *p, uint64_t n, uint64_t *entry)
{
	uint64_t off = 0;

	while (n - off >= 12) {
		uint32_t namesz, descsz, type;
		uint64_t name_off, desc_off, next;

		memcpy(&namesz, p + off, 4);
		memcpy(&descsz, p + off + 4, 4);
		memcpy(&type, p + off + 8, 4);
		name_off = off + 12;
		desc_off = name_off + (((uint64_t)namesz + 3) & ~3ull);
		next = desc_off + (((uint64_t)descsz + 3) & ~3ull);
		/* Every piece of the note inside the segment (64-bit sums of
		 * 32-bit sizes cannot wrap). */
		if (next > n)
			return false;
		if (namesz == 4 && memcmp(p + name_off, "Xen", 4) == 0 &&
		    type == XEN_ELFNOTE_PHYS32_ENTRY && (descsz == 4 || descsz == 8)) {
			uint32_t e32 = 0;

			memcpy(&e32, p + desc_off, 4);
			*entry = e32;
			return true;
		}
		off = next;
	}
	return false;
}

#define PVH_MAX_NOTES (64u << 10)

/* Segments are read straight from the file into guest memory: a 20 MiB
 * vmlinux never passes through a heap buffer (that would count against
 * the monitor's RSS for the VM's whole life as a high-water mark). */
static int pvh_load_segments(struct vm *vm, int fd, uint64_t len, const Elf64_Ehdr *eh,
			     uint64_t *entry, uint64_t *end, struct hull_error *err)
{
	autofree Elf64_Phdr *ph = NULL;
	bool have_entry = false;

	*end = 0;
	ph = calloc(eh->e_phnum, sizeof(*ph));
	if (ph == NULL)
		return hull_error_errno(err, "calloc");
	/* The header table was checked to lie inside the file. */
	if (boot_pread_full(fd, ph, (uint64_t)eh->e_phnum * sizeof(*ph), eh->e_phoff) < 0)
		return hull_error_errno(err, "reading ELF program headers");
	for (unsigned int i = 0; i < eh->e_phnum; i++) {
		uint8_t *dst;

		if (ph[i].p_type == PT_NOTE && !have_entry && ph[i].p_filesz <= PVH_MAX_NOTES &&
		    in_file(len, ph[i].p_offset, ph[i].p_filesz)) {
			autofree uint8_t *notes = malloc(ph[i].p_filesz + 1);

			if (notes && boot_pread_full(fd, notes, ph[i].p_filesz, ph[i].p_offset) == 0)
				have_entry = pvh_find_entry(notes, ph[i].p_filesz, entry);
		}
		if (ph[i].p_type != PT_LOAD || ph[i].p_memsz == 0)
			continue;
		if (ph[i].p_filesz > ph[i].p_memsz || !in_file(len, ph[i].p_offset, ph[i].p_filesz))
			return hull_error_set(err, EINVAL, "ELF segment %u runs past the file", i);
		/* The whole in-memory image of the segment in guest RAM. */
		dst = vmm_mem_ptr(&vm->mem, ph[i].p_paddr, ph[i].p_memsz);
		if (dst == NULL || ph[i].p_paddr < 0x100000)
			return hull_error_set(err, ENOMEM, "ELF segment %u (0x%llx+0x%llx) does not fit "
					      "in guest memory", i, (unsigned long long)ph[i].p_paddr,
					      (unsigned long long)ph[i].p_memsz);
		/* dst has room for p_memsz >= p_filesz bytes. */
		if (boot_pread_full(fd, dst, ph[i].p_filesz, ph[i].p_offset) < 0)
			return hull_error_errno(err, "reading ELF segment %u", i);
		memset(dst + ph[i].p_filesz, 0, ph[i].p_memsz - ph[i].p_filesz);
		if (ph[i].p_paddr + ph[i].p_memsz > *end)
			*end = ph[i].p_paddr + ph[i].p_memsz;
	}
	if (*end == 0)
		return hull_error_set(err, EINVAL, "ELF has no loadable segments");
	if (!have_entry)
		return hull_error_set(err, EINVAL, "no PVH entry (Xen ELF note type 18): build the "
				      "kernel with CONFIG_PVH=y, or boot its bzImage");
	return 0;
}

int vmm_load_pvh(struct vm *vm, const char *kernel, const char *initrd,
		 const char *cmdline, struct x86_entry *entry,
		 struct hull_error *err)
{
	autoclose int fd = -1;
	size_t cmdlen = strlen(cmdline);
	Elf64_Ehdr eh;
	struct stat st;
	struct boot_e820 map[BOOT_E820_MAX];
	struct hvm_memmap_entry mm[BOOT_E820_MAX];
	struct hvm_start_info si = { .magic = HVM_START_MAGIC, .version = 1 };
	struct hvm_modlist_entry mod = { 0 };
	uint64_t pvh_entry = 0, kernel_end;
	unsigned int n;

	fd = open(kernel, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0)
		return hull_error_errno(err, "kernel %s", kernel);
	memset(&eh, 0, sizeof(eh));
	if (!S_ISREG(st.st_mode) || pread(fd, &eh, sizeof(eh), 0) < 0)
		return hull_error_set(err, EINVAL, "kernel %s: not a readable file", kernel);
	if (pvh_validate_elf(&eh, (uint64_t)st.st_size, err) < 0 ||
	    pvh_load_segments(vm, fd, (uint64_t)st.st_size, &eh, &pvh_entry, &kernel_end, err) < 0)
		return hull_error_prefix(err, "kernel %s", kernel);
	if (cmdlen + 1 > X86_CMDLINE_MAX)
		return hull_error_set(err, E2BIG, "kernel command line too long");
	if (vmm_mem_write(&vm->mem, X86_CMDLINE_ADDR, cmdline, cmdlen + 1) < 0)
		return hull_error_set(err, EFAULT, "command line outside memory");
	si.cmdline_paddr = X86_CMDLINE_ADDR;

	if (initrd) {
		if (boot_load_initrd(vm, initrd, (kernel_end + 0xfff) & ~0xfffull,
				     VM_MMIO_HOLE_START, &mod.paddr, &mod.size, err) < 0)
			return -1;
		si.nr_modules = 1;
		si.modlist_paddr = PVH_MODLIST;
	}
	n = boot_e820(vm, map);
	for (unsigned int i = 0; i < n; i++)
		mm[i] = (struct hvm_memmap_entry){ map[i].addr, map[i].size, map[i].type, 0 };
	si.memmap_paddr = PVH_MEMMAP;
	si.memmap_entries = n;
	/* Fixed low pages, each write checked against guest RAM. */
	if (vmm_mem_write(&vm->mem, PVH_START_INFO, &si, sizeof(si)) < 0 ||
	    vmm_mem_write(&vm->mem, PVH_MODLIST, &mod, sizeof(mod)) < 0 ||
	    vmm_mem_write(&vm->mem, PVH_MEMMAP, mm, sizeof(mm[0]) * n) < 0)
		return hull_error_set(err, EFAULT, "PVH start info outside memory");

	*entry = (struct x86_entry){
		.mode = X86_ENTRY_PROT32,
		.rip = pvh_entry,
		.rbx = PVH_START_INFO,
		.rsp = X86_BOOT_STACK,
	};
	return 0;
}
