# Test VM targets (see tests/vm/README.md); included by the top-level Makefile.
#
#   make vm-image            build the guest image into the cache (or reuse it)
#   make check-vm            run tests/vm/vm.bats, host-compat.bats and
#                            $(VM_BATS) in one VM boot; TAP on stdout
#   make vm-run CMD='...'    run one command in the VM (as root, in the repo)
#
# Suites that need the VM add themselves with `VM_BATS += path.bats`, or drop a
# file into tests/vm-suites/. Targets they need built on the host first (the
# hull binary, a checker) go into VM_DEPS; the VM sees the tree read-only.

VM_DIR := tests/vm
VM_OUT := $(VM_DIR)/out
VM_SMOKE := $(VM_OUT)/kvm-smoke
VM_BATS += $(wildcard tests/vm-suites/*.bats)
VM_DEPS ?=
VM_TIMEOUT ?= 2700
VM_SMOKE_CFLAGS ?= -O2 -Wall -Wextra -Wformat=2 -Wmissing-prototypes -Wstrict-prototypes

.PHONY: check-vm vm-image vm-run

$(VM_SMOKE): $(VM_DIR)/kvm-smoke.c
	@mkdir -p $(VM_OUT)
	$(CC) $(VM_SMOKE_CFLAGS) -o $@ $<

vm-image:
	$(VM_DIR)/build-image.sh

# Each test bounded (BATS_TEST_TIMEOUT, seconds; the longest takes ~140 s
# under TCG): a test that wedges fails alone instead of eating the stage's
# VM_TIMEOUT.  --timing: each result says how long it took.
VM_TEST_TIMEOUT ?= 400

check-vm: $(VM_SMOKE) $(VM_DEPS)
	$(VM_DIR)/run-in-vm.sh --timeout $(VM_TIMEOUT) -- \
		env BATS_TEST_TIMEOUT=$(VM_TEST_TIMEOUT) \
		bats --tap --timing --filter-tags vm $(VM_DIR)/vm.bats $(VM_DIR)/host-compat.bats $(VM_BATS)

vm-run: $(VM_SMOKE) $(VM_DEPS)
	@test -n "$(CMD)" || { echo "usage: make vm-run CMD='command'" >&2; exit 2; }
	$(VM_DIR)/run-in-vm.sh --timeout $(VM_TIMEOUT) -- sh -c '$(CMD)'
