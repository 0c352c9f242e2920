/* The Linux loaders against crafted images in plain guest memory (no KVM):
 * what a good bzImage / PVH ELF puts where, and the reason given for each
 * kind of bad image. */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm/boot.h"

#define MEM (64ull << 20)

static int failures;

#define CHECK(cond, what) do { \
	if (cond) printf("ok - %s\n", what); \
	else { printf("not ok - %s (line %d)\n", what, __LINE__); failures++; } \
} while (0)

static const char *write_tmp(const char *name, const void *data, size_t len)
{
	static char paths[8][64];
	static int n;
	char *p = paths[n++ % 8];
	FILE *f;

	snprintf(p, 64, "/tmp/hull-test-boot-%d-%s", (int)getpid(), name);
	f = fopen(p, "we");
	if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		perror(p);
		exit(1);
	}
	return p;
}

static void put16(uint8_t *b, size_t off, uint16_t v) { memcpy(b + off, &v, 2); }
static void put32(uint8_t *b, size_t off, uint32_t v) { memcpy(b + off, &v, 4); }

static void make_bzimage(uint8_t *img, size_t len)
{
	memset(img, 0, len);
	img[0x1f1] = 1;                         /* setup_sects: 1 + boot sector */
	put16(img, 0x1fe, 0xaa55);
	img[0x201] = 0x66;                      /* header ends at 0x268 */
	memcpy(img + 0x202, "HdrS", 4);
	put16(img, 0x206, 0x020f);
	img[0x211] = 0x01;                      /* LOADED_HIGH */
	put32(img, 0x22c, 0x37ffffff);          /* initrd_addr_max */
	img[0x234] = 1;                         /* relocatable */
	img[0x236] = 0x01;                      /* XLF_KERNEL_64 */
	put32(img, 0x238, 2047);                /* cmdline_size */
	put32(img, 0x260, 0x400000);            /* init_size */
	memcpy(img + 1024, "KERNELBODY", 10);
}

static int load_bz(struct vm *vm, const uint8_t *img, size_t len, const char *initrd,
		   struct x86_entry *e, struct hull_error *err)
{
	hull_error_clear(err);
	return vmm_load_bzimage(vm, write_tmp("bz", img, len), initrd, "console=hvc0 quiet", e, err);
}

static void test_bzimage(struct vm *vm)
{
	static uint8_t img[0x3000];
	struct x86_entry e;
	struct hull_error err = { 0 };
	const char *initrd = write_tmp("initrd", "INITRAMFS-DATA", 14);
	const uint8_t *zp = vmm_mem_ptr(&vm->mem, X86_ZERO_PAGE, 4096);
	uint32_t rd_addr, rd_size, cmd;

	make_bzimage(img, sizeof(img));
	CHECK(load_bz(vm, img, sizeof(img), initrd, &e, &err) == 0, "bzImage: good image loads");
	if (err.set)
		printf("# %s\n", err.msg);
	CHECK(memcmp(vmm_mem_ptr(&vm->mem, 0x100000, 10), "KERNELBODY", 10) == 0,
	      "bzImage: protected-mode part at 1 MiB");
	CHECK(e.mode == X86_ENTRY_LONG64 && e.rip == 0x100200 && e.rsi == X86_ZERO_PAGE,
	      "bzImage: 64-bit entry at 1 MiB + 0x200, RSI = zero page");
	memcpy(&cmd, zp + 0x228, 4);
	CHECK(cmd == X86_CMDLINE_ADDR &&
	      strcmp(vmm_mem_ptr(&vm->mem, cmd, 19), "console=hvc0 quiet") == 0,
	      "bzImage: command line placed and pointed to");
	memcpy(&rd_addr, zp + 0x218, 4);
	memcpy(&rd_size, zp + 0x21c, 4);
	CHECK(rd_size == 14 && rd_addr % 4096 == 0 && rd_addr >= 0x1000000 + 0x400000 &&
	      rd_addr + rd_size <= MEM &&
	      memcmp(vmm_mem_ptr(&vm->mem, rd_addr, 14), "INITRAMFS-DATA", 14) == 0,
	      "bzImage: initramfs above the kernel, below the end of RAM, page-aligned");
	CHECK(zp[0x210] == 0xff && (zp[0x211] & 0x80) && zp[0x1e8] == 3,
	      "bzImage: loader type, CAN_USE_HEAP, three e820 entries");

	make_bzimage(img, sizeof(img));
	memcpy(img + 0x202, "XXXX", 4);
	CHECK(load_bz(vm, img, sizeof(img), NULL, &e, &err) < 0 && strstr(err.msg, "HdrS"),
	      "bzImage: missing HdrS is named");
	make_bzimage(img, sizeof(img));
	put16(img, 0x206, 0x0209);
	CHECK(load_bz(vm, img, sizeof(img), NULL, &e, &err) < 0 && strstr(err.msg, "older than 2.12"),
	      "bzImage: old boot protocol is named");
	make_bzimage(img, sizeof(img));
	img[0x236] = 0;
	CHECK(load_bz(vm, img, sizeof(img), NULL, &e, &err) < 0 && strstr(err.msg, "64-bit entry"),
	      "bzImage: missing XLF_KERNEL_64 is named");
	make_bzimage(img, sizeof(img));
	img[0x1f1] = 200;
	CHECK(load_bz(vm, img, sizeof(img), NULL, &e, &err) < 0 && strstr(err.msg, "past the end"),
	      "bzImage: setup_sects past the file is named");
	make_bzimage(img, sizeof(img));
	put32(img, 0x260, 0x10000000);
	CHECK(load_bz(vm, img, sizeof(img), NULL, &e, &err) < 0 && strstr(err.msg, "MiB of low memory"),
	      "bzImage: init_size larger than RAM is named");
	make_bzimage(img, sizeof(img));
	put32(img, 0x238, 8);
	CHECK(load_bz(vm, img, sizeof(img), NULL, &e, &err) < 0 && strstr(err.msg, "command line"),
	      "bzImage: command line longer than cmdline_size is refused");
}

struct pvh_image {
	Elf64_Ehdr eh;
	Elf64_Phdr ph[2];
	uint8_t note[24];
	uint8_t text[16];
};

static void make_pvh(struct pvh_image *im, bool with_note)
{
	uint32_t namesz = 4, descsz = 4, type = 18, entry = 0x200008;

	memset(im, 0, sizeof(*im));
	memcpy(im->eh.e_ident, ELFMAG, SELFMAG);
	im->eh.e_ident[EI_CLASS] = ELFCLASS64;
	im->eh.e_ident[EI_DATA] = ELFDATA2LSB;
	im->eh.e_machine = EM_X86_64;
	im->eh.e_phoff = offsetof(struct pvh_image, ph);
	im->eh.e_phentsize = sizeof(Elf64_Phdr);
	im->eh.e_phnum = 2;
	im->ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = offsetof(struct pvh_image, text),
				  .p_paddr = 0x200000, .p_filesz = 16, .p_memsz = 4096 };
	im->ph[1] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = offsetof(struct pvh_image, note),
				  .p_filesz = sizeof(im->note) };
	memcpy(im->note, &namesz, 4);
	memcpy(im->note + 4, &descsz, 4);
	memcpy(im->note + 8, &type, 4);
	memcpy(im->note + 12, with_note ? "Xen" : "Foo", 4);
	memcpy(im->note + 16, &entry, 4);
	memcpy(im->text, "PVHKERNELTEXT...", 16);
}

static void test_pvh(struct vm *vm)
{
	struct pvh_image im;
	struct x86_entry e;
	struct hull_error err = { 0 };
	const char *initrd = write_tmp("initrd2", "RAMDISK", 7);
	uint32_t si[4];
	uint64_t mod[2], cmdline;
	uint8_t *bss;

	/* Dirty the would-be bss so the loader has to zero it. */
	memset(vmm_mem_ptr(&vm->mem, 0x200000, 4096), 0xaa, 4096);
	make_pvh(&im, true);
	CHECK(vmm_load_pvh(vm, write_tmp("pvh", &im, sizeof(im)), initrd, "root=/dev/vda", &e, &err) == 0,
	      "PVH: good ELF loads");
	if (err.set)
		printf("# %s\n", err.msg);
	CHECK(e.mode == X86_ENTRY_PROT32 && e.rip == 0x200008 && e.rbx == 0x6000,
	      "PVH: 32-bit entry from the Xen note, EBX = start info");
	bss = vmm_mem_ptr(&vm->mem, 0x200000, 4096);
	CHECK(memcmp(bss, "PVHKERNELTEXT...", 16) == 0 && bss[16] == 0 && bss[4095] == 0,
	      "PVH: segment copied at p_paddr, rest of p_memsz zeroed");
	memcpy(si, vmm_mem_ptr(&vm->mem, 0x6000, 16), 16);
	memcpy(&cmdline, vmm_mem_ptr(&vm->mem, 0x6000 + 24, 8), 8);
	CHECK(si[0] == 0x336ec578 && si[1] == 1 && si[3] == 1 &&
	      strcmp(vmm_mem_ptr(&vm->mem, cmdline, 14), "root=/dev/vda") == 0,
	      "PVH: hvm_start_info magic, version 1, one module, command line");
	memcpy(mod, vmm_mem_ptr(&vm->mem, 0x6100, 16), 16);
	CHECK(mod[1] == 7 && mod[0] >= 0x201000 &&
	      memcmp(vmm_mem_ptr(&vm->mem, mod[0], 7), "RAMDISK", 7) == 0,
	      "PVH: initramfs as module 0, above the kernel");

	make_pvh(&im, false);
	hull_error_clear(&err);
	CHECK(vmm_load_pvh(vm, write_tmp("pvh2", &im, sizeof(im)), NULL, "", &e, &err) < 0 &&
	      strstr(err.msg, "no PVH entry"), "PVH: missing Xen note is named");
	make_pvh(&im, true);
	im.ph[0].p_filesz = 1 << 20;
	hull_error_clear(&err);
	CHECK(vmm_load_pvh(vm, write_tmp("pvh3", &im, sizeof(im)), NULL, "", &e, &err) < 0 &&
	      strstr(err.msg, "runs past the file"), "PVH: segment past the end of the file is named");
	make_pvh(&im, true);
	im.ph[0].p_paddr = MEM - 16;
	hull_error_clear(&err);
	CHECK(vmm_load_pvh(vm, write_tmp("pvh4", &im, sizeof(im)), NULL, "", &e, &err) < 0 &&
	      strstr(err.msg, "does not fit"), "PVH: segment beyond guest memory is named");
	hull_error_clear(&err);
	CHECK(vmm_load_pvh(vm, write_tmp("junk", "junkjunkjunk", 12), NULL, "", &e, &err) < 0 &&
	      strstr(err.msg, "neither a bzImage nor an ELF"), "PVH: junk file is named");
}

int main(void)
{
	static struct vm vm;
	struct hull_error err = { 0 };
	char cmd[128];

	if (vmm_mem_add(&vm.mem, 0, MEM, false, &err) < 0) {
		printf("not ok - guest memory: %s\n", err.msg);
		return 1;
	}
	test_bzimage(&vm);
	test_pvh(&vm);
	vmm_mem_free(&vm.mem);
	snprintf(cmd, sizeof(cmd), "rm -f /tmp/hull-test-boot-%d-*", (int)getpid());
	if (system(cmd) != 0)
		printf("# could not clean up temp files\n");
	return failures ? 1 : 0;
}
