/* Intel MultiProcessor tables: how a Linux guest without ACPI finds its
 * vCPUs, the IOAPIC and the routing of ISA IRQs 0-15 to IOAPIC pins. */
#ifndef HULL_VMM_MPTABLE_H
#define HULL_VMM_MPTABLE_H

#include "vmm/vm.h"

#define MPTABLE_ADDR 0x9fc00ull    /* in the e820-reserved EBDA area */

int mptable_write(struct vm *vm, unsigned int ncpus, struct hull_error *err);

#endif
