/* Legacy PC ports (CMOS, i8042 reset, POST) and Hull's control/debug ports. */
#ifndef HULL_VMM_LEGACY_H
#define HULL_VMM_LEGACY_H

#include "vmm/vm.h"

struct legacy_devices {
	struct vm *vm;
	int debug_fd;
};

int legacy_devices_init(struct legacy_devices *l, struct vm *vm, int debug_fd,
			struct hull_error *err);

#endif
