# tests/vm-guests/vm-guests.mk: hostile test guests for the microVM
# backend's bad-input tests (tests/integration/vm_abuse.bats), included by
# the top Makefile.  One PVH ELF per misbehaviour, all from abuse.c.
VM_ABUSE_MODES := flood regs ring-blk ring-console ring-rng ring-vsock ring-net ring-fs
VM_ABUSE_GUESTS := $(patsubst %,$(BUILD)/tests/vm-guests/abuse-%.elf,$(VM_ABUSE_MODES))
VM_ABUSE_SRC := tests/vm-guests/abuse.c tests/vm-guests/entry.S tests/vm-guests/abuse.ld

$(BUILD)/tests/vm-guests/abuse-%.elf: $(VM_ABUSE_SRC) vmm/tests/guest_vring.h tests/vm-guests/vm-guests.mk
	@mkdir -p $(dir $@)
	$(CC) $(VMM_GUEST_CFLAGS) -I. -DMODE_$(shell echo $* | tr a-z- A-Z_) \
		-Wl,-T,tests/vm-guests/abuse.ld -Wl,--build-id=none -Wl,--no-warn-rwx-segments \
		-o $@ tests/vm-guests/entry.S tests/vm-guests/abuse.c

vm-abuse-guests: $(VM_ABUSE_GUESTS)
.PHONY: vm-abuse-guests
VM_DEPS += vm-abuse-guests
