#!/usr/bin/env bats
# bats file_tags=vm
# A host-style bats file: it runs unchanged on the host (bats
# tests/vm/host-compat.bats) and inside the test VM (make check-vm), and
# shows that the repo has the same absolute path in both.

@test "the kernel release is visible" {
	run uname -r
	[ "$status" -eq 0 ]
	[ -n "$output" ]
	[ "$output" = "$(cat /proc/sys/kernel/osrelease)" ]
	echo "# kernel: $output (in VM: ${HULL_VM:-no})" >&3
}

@test "this file is reachable at its absolute path" {
	[[ "$BATS_TEST_DIRNAME" == /* ]]
	[ -f "$BATS_TEST_DIRNAME/host-compat.bats" ]
	[ -f "$BATS_TEST_DIRNAME/../../Makefile" ]
}

@test "the repo is shared read-only inside the VM" {
	[ "${HULL_VM:-}" = 1 ] || skip "only inside the test VM"
	run findmnt -no OPTIONS -T "$BATS_TEST_DIRNAME"
	[[ ",$output," == *,ro,* ]]
	run touch "$BATS_TEST_DIRNAME/.write-probe"
	[ "$status" -ne 0 ]
}

@test "the results directory is writable inside the VM" {
	[ "${HULL_VM:-}" = 1 ] || skip "only inside the test VM"
	[ -d "$HULL_VM_RESULTS" ]
	echo probe >"$HULL_VM_RESULTS/host-compat.probe"
	[ "$(cat "$HULL_VM_RESULTS/host-compat.probe")" = probe ]
	rm "$HULL_VM_RESULTS/host-compat.probe"
}
