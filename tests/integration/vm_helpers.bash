# Shared by the microVM test files (vm*.bats): where the guest kernel and
# agent are, and the checks that skip, with the reason, where a guest
# cannot boot.  Load after helpers (it needs $REPO).

GUEST_KERNEL="$REPO/build/vmm/guest/vmlinux"

# In the test VM (TCG with emulated nested SVM) a guest now and then stops
# getting its timer interrupt: QEMU's emulation loses it (tests/vm/README.md,
# HULL_VM_KICK_S); the microVM guest then stalls until the test's bounds end
# it.  There, and only there, a failed microVM test gets one more try, which
# says so on the TAP stream (requires_kvm_guest); a failure that repeats
# still fails.
if [ "${HULL_VM:-0}" = 1 ]; then
	BATS_TEST_RETRIES=1
fi
GUEST_AGENT="$REPO/build/vmm/guest/hull-agent"

# PVM (kvm_pvm) runs flat 64-bit guests set up through KVM_SET_SREGS only.
is_pvm() {
	[ -d /sys/module/kvm_pvm ] && ! grep -qwE 'vmx|svm' /proc/cpuinfo
}

# requires_kvm_guest [WHAT]: a /dev/kvm that boots WHAT (default: standard
# guest kernels), the agent and mkfs.ext4.  The agent and a disk cache of
# the test's own are exported: the test VM shares the tree at another path
# than the one built into hull, and what one test caches must not answer
# for another.
requires_kvm_guest() {
	if [ "${BATS_TEST_TRY_NUMBER:-1}" -gt 1 ]; then
		echo "# retried (try $BATS_TEST_TRY_NUMBER): $BATS_TEST_DESCRIPTION" >&3
	fi
	[ -c /dev/kvm ] || skip "needs /dev/kvm"
	if is_pvm; then
		skip "this host's /dev/kvm is PVM: ${1:-standard guest kernels} cannot boot (run in the test VM)"
	fi
	[ -x "$GUEST_AGENT" ] || skip "no guest agent (make vm-agent)"
	command -v mkfs.ext4 >/dev/null || skip "needs mkfs.ext4 (apt-get install e2fsprogs)"
	export HULL_VM_AGENT="$GUEST_AGENT"
	export HULL_VM_DISK_CACHE="$BATS_TEST_TMPDIR/disks"
}

# requires_vm: the above with Hull's own guest kernel, named explicitly.
requires_vm() {
	requires_kvm_guest
	[ -f "$GUEST_KERNEL" ] || skip "no Hull guest kernel at $GUEST_KERNEL (make vm-kernel vm-test-assets)"
	export HULL_VM_KERNEL="$GUEST_KERNEL"
}
