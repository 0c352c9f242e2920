/* Linux x86 boot protocol, 64-bit entry (Documentation/arch/x86/boot.rst):
 * the protected-mode kernel goes to 1 MiB, a "zero page" (struct
 * boot_params) carries the setup header, command line, initramfs and e820
 * map, and the vCPU starts in long mode at load address + 0x200 with RSI
 * pointing at the zero page.  No real-mode code ever runs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "vmm/boot.h"

#define BZ_LOAD_ADDR      0x100000ull
#define BZ_MIN_VERSION    0x020c        /* 2.12: xloadflags, 64-bit entry */
#define BZ_LOADED_HIGH    0x01
#define BZ_CAN_USE_HEAP   0x80
#define BZ_XLF_KERNEL_64  0x01
#define BZ_KERNEL_RELOC_ADDR 0x1000000ull /* where a relocatable kernel decompresses */

/* Offsets into the boot sector / struct boot_params. */
#define OFF_E820_ENTRIES  0x1e8
#define OFF_SETUP_SECTS   0x1f1
#define OFF_VID_MODE      0x1fa
#define OFF_BOOT_FLAG     0x1fe
#define OFF_JUMP          0x200
#define OFF_HEADER        0x202
#define OFF_VERSION       0x206
#define OFF_LOADER_TYPE   0x210
#define OFF_LOADFLAGS     0x211
#define OFF_RAMDISK_IMAGE 0x218
#define OFF_RAMDISK_SIZE  0x21c
#define OFF_HEAP_END      0x224
#define OFF_CMD_LINE_PTR  0x228
#define OFF_INITRD_MAX    0x22c
#define OFF_RELOCATABLE   0x234
#define OFF_XLOADFLAGS    0x236
#define OFF_CMDLINE_SIZE  0x238
#define OFF_PREF_ADDRESS  0x258
#define OFF_INIT_SIZE     0x260
#define OFF_E820_TABLE    0x2d0
#define E820_TABLE_MAX    128

static uint32_t rd16(const uint8_t *p, size_t off) { uint16_t v; memcpy(&v, p + off, 2); return v; }
static uint32_t rd32(const uint8_t *p, size_t off) { uint32_t v; memcpy(&v, p + off, 4); return v; }
static void wr16(uint8_t *p, size_t off, uint16_t v) { memcpy(p + off, &v, 2); }
static void wr32(uint8_t *p, size_t off, uint32_t v) { memcpy(p + off, &v, 4); }

struct bz_info {
	size_t setup_size;      /* bytes before the protected-mode kernel */
	size_t header_end;      /* end of the setup header in the file */
	uint32_t init_size;     /* memory the kernel needs from its load address */
	uint32_t initrd_max;
	uint32_t cmdline_max;
};

/* Check everything we rely on before touching guest memory. */
static int bz_validate(const uint8_t *img, size_t len, struct bz_info *bz, struct hull_error *err)
{
	uint32_t version, sects;

	if (len < 0x1000)
		return hull_error_set(err, EINVAL, "too small (%zu bytes) to be a bzImage", len);
	if (memcmp(img + OFF_HEADER, "HdrS", 4) != 0)
		return hull_error_set(err, EINVAL, "no \"HdrS\" setup header at 0x202: not a bzImage");
	if (rd16(img, OFF_BOOT_FLAG) != 0xaa55)
		return hull_error_set(err, EINVAL, "boot flag 0xaa55 missing");
	version = rd16(img, OFF_VERSION);
	if (version < BZ_MIN_VERSION)
		return hull_error_set(err, EINVAL, "boot protocol %u.%02u is older than 2.12 "
				      "(no 64-bit entry)", version >> 8, version & 0xff);
	if (!(img[OFF_XLOADFLAGS] & BZ_XLF_KERNEL_64))
		return hull_error_set(err, EINVAL, "kernel has no 64-bit entry point "
				      "(XLF_KERNEL_64 clear): a 32-bit kernel?");
	if (!(img[OFF_LOADFLAGS] & BZ_LOADED_HIGH))
		return hull_error_set(err, EINVAL, "kernel is not loadable at 1 MiB (zImage?)");
	if (!img[OFF_RELOCATABLE] &&
	    rd32(img, OFF_PREF_ADDRESS) != BZ_KERNEL_RELOC_ADDR)
		return hull_error_set(err, EINVAL, "kernel is not relocatable");
	sects = img[OFF_SETUP_SECTS] ? img[OFF_SETUP_SECTS] : 4;
	bz->setup_size = ((size_t)sects + 1) * 512;
	if (bz->setup_size >= len)
		return hull_error_set(err, EINVAL, "setup_sects %u runs past the end of the file", sects);
	/* The header's own length: 0x202 + the jump offset byte at 0x201. */
	bz->header_end = OFF_HEADER + img[OFF_JUMP + 1];
	if (bz->header_end > bz->setup_size || bz->header_end > 0x1000)
		return hull_error_set(err, EINVAL, "setup header length invalid");
	if (bz->header_end < OFF_INIT_SIZE + 4)
		return hull_error_set(err, EINVAL, "setup header too short for protocol 2.12");
	bz->init_size = rd32(img, OFF_INIT_SIZE);
	if (bz->init_size < len - bz->setup_size)
		return hull_error_set(err, EINVAL, "init_size %u smaller than the kernel itself",
				      bz->init_size);
	bz->initrd_max = rd32(img, OFF_INITRD_MAX);
	bz->cmdline_max = rd32(img, OFF_CMDLINE_SIZE);
	return 0;
}

static void bz_write_e820(struct vm *vm, uint8_t *zp)
{
	struct boot_e820 map[BOOT_E820_MAX];
	unsigned int n = boot_e820(vm, map);

	/* n <= BOOT_E820_MAX (8) < E820_TABLE_MAX, 20 bytes each, inside the
	 * 4 KiB zero page from offset 0x2d0. */
	for (unsigned int i = 0; i < n; i++) {
		uint8_t *e = zp + OFF_E820_TABLE + 20 * i;

		memcpy(e, &map[i].addr, 8);
		memcpy(e + 8, &map[i].size, 8);
		memcpy(e + 16, &map[i].type, 4);
	}
	zp[OFF_E820_ENTRIES] = (uint8_t)n;
}

int vmm_load_bzimage(struct vm *vm, const char *kernel, const char *initrd,
		     const char *cmdline, struct x86_entry *entry,
		     struct hull_error *err)
{
	autofree uint8_t *img = NULL;
	size_t len, cmdlen = strlen(cmdline);
	struct bz_info bz = { 0 };
	uint64_t kernel_end, initrd_gpa = 0, initrd_size = 0, initrd_max;
	uint8_t *zp, *dst;

	if (boot_read_file(kernel, 256u << 20, &img, &len, err) < 0)
		return -1;
	if (bz_validate(img, len, &bz, err) < 0)
		return hull_error_prefix(err, "kernel %s", kernel);
	if (cmdlen + 1 > X86_CMDLINE_MAX || (bz.cmdline_max && cmdlen > bz.cmdline_max))
		return hull_error_set(err, E2BIG, "kernel command line is %zu bytes; %s takes %u",
				      cmdlen, kernel, bz.cmdline_max);
	/* The kernel decompresses to 16 MiB (or stays at 1 MiB) and needs
	 * init_size bytes there; make sure RAM is large enough for that. */
	kernel_end = BZ_KERNEL_RELOC_ADDR + bz.init_size;
	if (!vmm_mem_ptr(&vm->mem, BZ_LOAD_ADDR, kernel_end - BZ_LOAD_ADDR))
		return hull_error_set(err, ENOMEM, "kernel %s needs %llu MiB of low memory",
				      kernel, (unsigned long long)(kernel_end >> 20) + 1);

	/* Protected-mode kernel at 1 MiB: [1 MiB, 1 MiB + len - setup) was
	 * covered by the kernel_end check above (init_size >= that length). */
	dst = vmm_mem_ptr(&vm->mem, BZ_LOAD_ADDR, len - bz.setup_size);
	if (dst == NULL)
		return hull_error_set(err, EFAULT, "kernel does not fit at 1 MiB");
	memcpy(dst, img + bz.setup_size, len - bz.setup_size);

	/* Zero page: fixed page in low RAM, checked whole. */
	zp = vmm_mem_ptr(&vm->mem, X86_ZERO_PAGE, 4096);
	if (zp == NULL || vmm_mem_write(&vm->mem, X86_CMDLINE_ADDR, cmdline, cmdlen + 1) < 0)
		return hull_error_set(err, EFAULT, "zero page or command line outside memory");
	memset(zp, 0, 4096);
	/* The setup header, [0x1f1, header_end), copied verbatim; header_end
	 * was checked <= setup_size < len and <= 4096. */
	memcpy(zp + OFF_SETUP_SECTS, img + OFF_SETUP_SECTS, bz.header_end - OFF_SETUP_SECTS);
	wr16(zp, OFF_VID_MODE, 0xffff);                 /* "normal" */
	zp[OFF_LOADER_TYPE] = 0xff;                     /* undefined loader */
	zp[OFF_LOADFLAGS] |= BZ_CAN_USE_HEAP;
	wr16(zp, OFF_HEAP_END, 0xfe00);
	wr32(zp, OFF_CMD_LINE_PTR, X86_CMDLINE_ADDR);

	if (initrd) {
		/* Above the decompressed kernel, below initrd_addr_max (and so
		 * below 4 GiB: the zero page fields are 32-bit). */
		initrd_max = bz.initrd_max ? (uint64_t)bz.initrd_max + 1 : 0x38000000ull;
		if (boot_load_initrd(vm, initrd, kernel_end, initrd_max, &initrd_gpa,
				     &initrd_size, err) < 0)
			return -1;
		wr32(zp, OFF_RAMDISK_IMAGE, (uint32_t)initrd_gpa);
		wr32(zp, OFF_RAMDISK_SIZE, (uint32_t)initrd_size);
	}
	bz_write_e820(vm, zp);

	*entry = (struct x86_entry){
		.mode = X86_ENTRY_LONG64,
		.rip = BZ_LOAD_ADDR + 0x200,    /* startup_64 */
		.rsi = X86_ZERO_PAGE,
		.rsp = X86_BOOT_STACK,
	};
	return 0;
}
