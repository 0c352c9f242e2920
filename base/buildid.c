/* hull_build_id; see buildid.h. */
#include <elf.h>
#include <link.h>
#include <stdio.h>
#include <string.h>

#include "base/buildid.h"

static char build_id[2 * 32 + 1];

/* The main program is the first object dl_iterate_phdr reports. */
static int find_note(struct dl_phdr_info *info, size_t size, void *data)
{
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		const char *p, *end;

		if (ph->p_type != PT_NOTE)
			continue;
		p = (const char *)(info->dlpi_addr + ph->p_vaddr);
		end = p + ph->p_memsz;
		/* notes: header, name and descriptor, each 4-byte aligned */
		while (p + sizeof(ElfW(Nhdr)) <= end) {
			const ElfW(Nhdr) *n = (const ElfW(Nhdr) *)p;
			const char *name = p + sizeof(*n);
			const unsigned char *desc = (const unsigned char *)name + ((n->n_namesz + 3) & ~3u);

			if ((const char *)desc + n->n_descsz > end)
				break;
			if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 && memcmp(name, "GNU", 4) == 0 &&
			    n->n_descsz <= 32) {
				for (unsigned k = 0; k < n->n_descsz; k++)
					snprintf(build_id + 2 * k, 3, "%02x", desc[k]);
				return 1;
			}
			p = (const char *)desc + ((n->n_descsz + 3) & ~3u);
		}
	}
	return 1;
}

const char *hull_build_id(void)
{
	if (build_id[0] == '\0')
		dl_iterate_phdr(find_note, NULL);
	return build_id;
}
