# vmm/vmm.mk: the monitor's extra targets, included by the top Makefile.
#
#   check-vmm    run the flat test guest under the monitor on /dev/kvm
#                (works on PVM hosts; skips with a reason without /dev/kvm)
#   vm-agent     static guest agent (PID 1 inside the microVM)
#   vm-kernel    guest kernel from Debian's linux-source-6.1, cached in
#                $(VM_KERNEL_CACHE)/<hash of kernel.config>/

VMM_GUEST_CFLAGS := -std=gnu11 -O2 -Wall -Wextra -ffreestanding -nostdlib -static \
	-fno-pic -no-pie -mno-red-zone -mgeneral-regs-only -fno-stack-protector \
	-fno-asynchronous-unwind-tables -fcf-protection=none
VMM_TEST_GUEST := $(BUILD)/vmm/tests/guest.bin
VMM_TEST_BIN   := $(BUILD)/vmm/tests/test_vmm_guest

.PHONY: check-vmm vm-agent vm-kernel

$(BUILD)/vmm/tests/guest.elf: vmm/tests/guest.c vmm/tests/guest_vring.h vmm/tests/guest.ld
	@mkdir -p $(dir $@)
	$(CC) $(VMM_GUEST_CFLAGS) -Wl,-T,vmm/tests/guest.ld -Wl,--build-id=none \
		-Wl,--no-warn-rwx-segments -o $@ vmm/tests/guest.c

$(VMM_TEST_GUEST): $(BUILD)/vmm/tests/guest.elf
	objcopy -O binary $< $@

$(VMM_TEST_BIN): vmm/tests/test_vmm_guest.c $(LIBHULL) $(VMM_TEST_GUEST)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) \
		-DHULL_TEST_GUEST='"$(abspath $(VMM_TEST_GUEST))"' -o $@ $< \
		-Wl,--whole-archive $(LIBHULL) -Wl,--no-whole-archive $(PKG_LIBS) $(EXTRA_LIBS)

VMM_BOOT_TEST := $(BUILD)/vmm/tests/test_boot

$(VMM_BOOT_TEST): vmm/tests/test_boot.c $(LIBHULL)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< \
		-Wl,--whole-archive $(LIBHULL) -Wl,--no-whole-archive $(PKG_LIBS) $(EXTRA_LIBS)

check-vmm: $(VMM_TEST_BIN) $(VMM_BOOT_TEST)
	@tests/run-unit.sh $(VMM_BOOT_TEST) $(VMM_TEST_BIN)

# The KVM test is part of the unit suite (it needs no Linux guest).
UNIT_BINS += $(VMM_BOOT_TEST) $(VMM_TEST_BIN)
check-unit: $(VMM_BOOT_TEST) $(VMM_TEST_BIN)

-include vmm/guest/guest.mk

# Assets for vmm/tests/linux-boot.bats, which runs in the test VM (the VM
# sees the repo, build/ included, read-only).  vm-kernel must have run.
# Files are replaced only when they changed, and then by a rename: the CI
# runs the test VM beside the host suites, and a test reading a kernel
# must never see one half copied.
VMM_ASSETS := $(BUILD)/vmm/tests/assets/agent.cpio.gz
$(VMM_ASSETS): vmm/tests/make-test-assets.sh $(VM_AGENT)
	vmm/tests/make-test-assets.sh $(VM_AGENT) $(dir $@)

vm-test-assets: $(HULL) $(VMM_ASSETS)
	@mkdir -p $(BUILD)/vmm/guest
	@k=$$(HULL_KERNEL_CACHE=$${HULL_KERNEL_CACHE:-/var/cache/hull/kernel} \
		sh -c 'd=$$HULL_KERNEL_CACHE/$$(cat vmm/guest/kernel.config vmm/guest/build-kernel.sh | sha256sum | cut -c1-16); \
		[ -f $$d/bzImage ] && echo $$d'); \
	if [ -n "$$k" ]; then for f in bzImage vmlinux; do \
		vmm/tests/install-if-changed.sh $$k/$$f $(BUILD)/vmm/guest/$$f || exit 1; done && \
		nm -n $(BUILD)/vmm/guest/vmlinux > $(BUILD)/vmm/guest/.System.map.tmp && \
		vmm/tests/install-if-changed.sh $(BUILD)/vmm/guest/.System.map.tmp $(BUILD)/vmm/guest/System.map && \
		rm -f $(BUILD)/vmm/guest/.System.map.tmp; \
	else echo "vm-test-assets: no cached Hull kernel (make vm-kernel); its tests will skip"; fi
	@d=$$(ls /boot/vmlinuz-*-cloud-amd64 2>/dev/null | sort -V | tail -1); \
	if [ -n "$$d" ]; then vmm/tests/install-if-changed.sh $$d $(BUILD)/vmm/guest/debian-vmlinuz; fi

.PHONY: vm-test-assets
VM_BATS += vmm/tests/linux-boot.bats
VM_DEPS += vm-test-assets

# The boot benchmark inside the test VM: Hull's monitor against QEMU
# -M microvm, same kernel and initramfs (uncompressed, as Hull's runtime
# writes it), PVH vmlinux and bzImage taking turns.
vm-bench: vm-test-assets
	$(VM_DIR)/run-in-vm.sh --timeout 900 -- sh -c 'PATH=$$PWD/build/vmm/bench:$$PATH; \
		sh vmm/bench/vm-boot-bench.sh build/hull build/vmm/guest/vmlinux \
		build/vmm/guest/bzImage build/vmm/tests/assets/agent.cpio 5'
.PHONY: vm-bench

# Where the guest's boot goes (vmm/bench/vm-boot-profile.sh), in the test VM.
vm-boot-profile: vm-test-assets
	$(VM_DIR)/run-in-vm.sh --timeout 900 -- sh -c 'PATH=$$PWD/build/vmm/bench:$$PATH; \
		sh vmm/bench/vm-boot-profile.sh build/hull build/vmm/guest/vmlinux \
		build/vmm/tests/assets/agent.cpio build/vmm/guest/System.map'
.PHONY: vm-boot-profile

# Benchmark helper (vmm/bench/vm-boot-bench.sh): static, so it runs in any guest.
VMM_RUNSTAT := $(BUILD)/vmm/bench/runstat
$(VMM_RUNSTAT): vmm/bench/runstat.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O2 -Wall -Wextra -static -o $@ $<
vm-test-assets: $(VMM_RUNSTAT)
