#!/usr/bin/env bats
# Linux guests under Hull's monitor.  Needs a /dev/kvm that boots standard
# kernels, so it runs inside the test VM (make check-vm, which builds the
# assets first: make vm-test-assets); elsewhere it skips with the reason.
#
# Kernels: Hull's own (vmm/guest/kernel.config; bzImage and PVH vmlinux,
# copied to build/vmm/guest/ by vm-test-assets) and Debian's cloud bzImage
# when present (modules only for virtio, so it is tested over the 16550).

A=build/vmm/tests/assets
K=build/vmm/guest
HULL=build/hull

setup() {
	[ -c /dev/kvm ] || skip "no /dev/kvm"
	if [ -d /sys/module/kvm_pvm ] && ! grep -qwE 'vmx|svm' /proc/cpuinfo; then
		skip "this host's /dev/kvm is PVM (kvm_pvm): only PVM-aware guest kernels can boot here"
	fi
	[ -x "$HULL" ] && [ -f "$A/agent.cpio.gz" ] || skip "assets missing: make vm-test-assets"
}

agent() { # agent CONF [hull args...]
	local conf=$1
	shift
	timeout 120 "$HULL" vm-boot --kernel "${KERNEL:-$K/bzImage}" --initrd "$A/agent.cpio.gz" \
		--cmdline "quiet hull.config=/hull/$conf.conf" "$@"
}

@test "Hull kernel (bzImage): the agent runs the process with stdio on virtio-console" {
	[ -f "$K/bzImage" ] || skip "no Hull kernel (make vm-kernel)"
	run agent echo --stats
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"hello from the agent"* ]]
}

@test "Hull kernel (PVH vmlinux): same, through the PVH entry" {
	[ -f "$K/vmlinux" ] || skip "no Hull kernel (make vm-kernel)"
	KERNEL=$K/vmlinux run agent echo --stats
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"hello from the agent"* ]]
}

@test "exit status 3 comes back as hull's exit status" {
	[ -f "$K/bzImage" ] || skip "no Hull kernel"
	run agent exit3
	[ "$status" -eq 3 ]
}

@test "a process killed by SIGKILL gives 137" {
	[ -f "$K/bzImage" ] || skip "no Hull kernel"
	run agent kill9
	[ "$status" -eq 137 ]
}

@test "stdin reaches the process" {
	[ -f "$K/bzImage" ] || skip "no Hull kernel"
	run bash -c "printf 'line one\nline two\n' | timeout 120 $HULL vm-boot --kernel $K/bzImage \
		--initrd $A/agent.cpio.gz --cmdline 'quiet hull.config=/hull/stdin.conf'"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"line one"* ]]
}

@test "process settings: hostname, uid/gid, rlimit, env" {
	[ -f "$K/bzImage" ] || skip "no Hull kernel"
	run agent settings
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"hullvm 1000:1000 64 bar baz"* ]]
}

@test "root disk: virtio-blk read-only ext4 becomes /" {
	[ -f "$K/bzImage" ] || skip "no Hull kernel"
	cp "$A/rootfs.ext4" "$BATS_TEST_TMPDIR/root.ext4"
	run agent disk --disk "$BATS_TEST_TMPDIR/root.ext4,ro"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"marker from the root disk"* ]]
}

@test "virtio-rng feeds /dev/hwrng" {
	[ -f "$K/bzImage" ] || skip "no Hull kernel"
	run agent rng
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *16* ]]
}

@test "two vCPUs through the MP table" {
	[ -f "$K/bzImage" ] || skip "no Hull kernel"
	run agent nproc --cpus 2
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *2* ]]
}

@test "Debian's cloud bzImage boots over the 16550 and reboots cleanly" {
	[ -f "$K/debian-vmlinuz" ] || skip "no Debian kernel copied"
	run timeout 120 "$HULL" vm-boot --kernel "$K/debian-vmlinuz" --initrd "$A/busybox.cpio.gz" \
		--serial --mem 256 --cmdline quiet --stats
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"busybox init: 1 cpu(s)"* ]]
}

@test "a bad kernel image is refused with a reason" {
	head -c 8192 /dev/zero > "$BATS_TEST_TMPDIR/zero.img"
	run "$HULL" vm-boot --kernel "$BATS_TEST_TMPDIR/zero.img"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"neither a bzImage nor an ELF vmlinux"* ]]
}
