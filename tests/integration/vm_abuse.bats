#!/usr/bin/env bats
# bats file_tags=vm
# Bad input from the guest kernel itself (issue 12, "Must show"): a guest
# that floods the queues or writes garbage to the devices.  The guests are
# tests/vm-guests/abuse.c, one PVH ELF per misbehaviour (make
# vm-abuse-guests, part of the test VM's deps), booted with --vm-kernel in
# place of Hull's kernel; they report on the stdio console as "abuse: ...".
# What must hold: the host side never crashes or wedges, `state` answers,
# kill/delete --force finish within a bound (timeout), a guest that breaks a
# device ends the VM with an error naming that device, and nothing is left
# (monitor, virtiofsd, state dir, cgroup, mounts).  Needs a /dev/kvm that
# boots standard guests: runs in the test VM (make vm-run).

load helpers
bats_require_minimum_version 1.5.0

GUEST_AGENT="$REPO/build/vmm/guest/hull-agent"
ABUSE_DIR="$REPO/build/tests/vm-guests"
VIRTIOFSD=/usr/lib/qemu/virtiofsd
# Generous bound for one lifecycle command under nested emulation; the
# tests assert that the command finished, never how fast.
BOUND=30

requires_vm_abuse() {
	[ -c /dev/kvm ] || skip "needs /dev/kvm"
	if [ -d /sys/module/kvm_pvm ] && ! grep -qwE 'vmx|svm' /proc/cpuinfo; then
		skip "this host's /dev/kvm is PVM: PVH guests cannot boot (run in the test VM)"
	fi
	[ -f "$ABUSE_DIR/abuse-flood.elf" ] || skip "no abuse guests in $ABUSE_DIR (make vm-abuse-guests)"
	[ -x "$GUEST_AGENT" ] || skip "no guest agent (make vm-agent)"
	command -v mkfs.ext4 >/dev/null || skip "needs mkfs.ext4 (apt-get install e2fsprogs)"
	export HULL_VM_AGENT="$GUEST_AGENT"
	export HULL_VM_DISK_CACHE="$BATS_TEST_TMPDIR/disks"
}

requires_virtiofsd() {
	[ -x "$VIRTIOFSD" ] || skip "needs $VIRTIOFSD (apt-get install qemu-system-common)"
}

# add_share: a read-write bind of a host directory, so the VM gets a
# virtio-fs device served by virtiofsd.
add_share() {
	mkdir -p "$BATS_TEST_TMPDIR/share" "$BUNDLE/rootfs/share"
	update_config ".mounts += [{\"destination\": \"/share\", \"type\": \"bind\", \"source\": \"$BATS_TEST_TMPDIR/share\", \"options\": [\"rbind\", \"rw\"]}]"
}

virtiofsd_pids() {
	pgrep -f -- "source=$HULL_ROOT" || true
}

monitor_pids() {
	pgrep -f -- "--root $HULL_ROOT" || true
}

# start_abuse MODE LINE: `run --detach` of abuse-MODE.elf (the console
# output in $BATS_TEST_TMPDIR/ctr.out); waits (bounded) until the guest
# printed LINE; $pid is the monitor's (0 if the VM already ended).
start_abuse() {
	local mode=$1 line=$2
	set_args /bin/true
	hull_detached run --vm --detach --vm-kernel "$ABUSE_DIR/abuse-$mode.elf" --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	for _ in $(seq 600); do grep -qF "$line" "$BATS_TEST_TMPDIR/ctr.out" && break; sleep 0.1; done
	cat "$BATS_TEST_TMPDIR/ctr.out"
	grep -qF "$line" "$BATS_TEST_TMPDIR/ctr.out"
	pid=$(hull state "$CID" | jq -r .pid)
	[ -n "$pid" ] && [ "$pid" != null ]
}

# run_abuse MODE: `run --vm` of abuse-MODE.elf in the foreground, bounded;
# for guests that break a device, which must end the VM by itself.
run_abuse() {
	set_args /bin/true
	run timeout 120 "$HULL_BIN" --root "$HULL_ROOT" run --vm --vm-kernel "$ABUSE_DIR/abuse-$1.elf" \
		--bundle "$BUNDLE" "$CID"
	echo "$output"
}

# vm_rss PID: resident set size in kB.
vm_rss() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

setup() {
	requires root
	setup_bundle
}

teardown() {
	teardown_bundle
	check_no_leftovers
	if [ -n "$(monitor_pids)" ]; then
		echo "a monitor outlived its container: $(monitor_pids)" >&2
		return 1
	fi
	if [ -n "$(virtiofsd_pids)" ]; then
		echo "a virtiofsd outlived its container: $(virtiofsd_pids)" >&2
		return 1
	fi
}

@test "vm abuse: a guest flooding every queue: state answers, kill KILL and delete finish, nothing left" {
	requires_vm_abuse
	start_abuse flood "abuse: flooding"
	# The guest found and drove the devices it floods.
	grep -q "found device id=2" "$BATS_TEST_TMPDIR/ctr.out"
	grep -q "found device id=4" "$BATS_TEST_TMPDIR/ctr.out"
	run ! grep -q "init refused" "$BATS_TEST_TMPDIR/ctr.out"
	# The flood grows no memory in the monitor: its RSS (guest RAM the
	# guest touched included, which this guest does not add to) stays
	# within a few MiB while the flood goes on.
	rss0=$(vm_rss "$pid")
	sleep 3
	rss1=$(vm_rss "$pid")
	echo "monitor RSS: $rss0 kB, then $rss1 kB"
	[ "$rss1" -le $((rss0 + 4096)) ]
	# The lifecycle answers while the guest floods, within a bound.
	run timeout "$BOUND" "$HULL_BIN" --root "$HULL_ROOT" state "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(jq -r .status <<<"$output")" = running ]
	run timeout "$BOUND" "$HULL_BIN" --root "$HULL_ROOT" kill "$CID" KILL
	echo "$output"
	[ "$status" -eq 0 ]
	wait_for_status "$CID" stopped 300
	run kill -0 "$pid"
	[ "$status" -ne 0 ]
	run timeout "$BOUND" "$HULL_BIN" --root "$HULL_ROOT" delete "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ ! -e "$HULL_ROOT/$CID" ]
}

@test "vm abuse: a guest flooding every queue, virtio-fs included: delete --force finishes, no virtiofsd left" {
	requires_vm_abuse
	requires_virtiofsd
	add_share
	start_abuse flood "abuse: flooding"
	grep -q "found device id=26" "$BATS_TEST_TMPDIR/ctr.out"
	run ! grep -q "init refused" "$BATS_TEST_TMPDIR/ctr.out"
	[ -n "$(virtiofsd_pids)" ]
	run timeout "$BOUND" "$HULL_BIN" --root "$HULL_ROOT" state "$CID"
	[ "$status" -eq 0 ]
	run timeout "$BOUND" "$HULL_BIN" --root "$HULL_ROOT" delete --force "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ ! -e "$HULL_ROOT/$CID" ]
	run kill -0 "$pid"
	[ "$status" -ne 0 ]
	[ -z "$(virtiofsd_pids)" ]
}

@test "vm abuse: garbage in every register of every device: devices reset cleanly, then a bad queue ends the VM naming virtio-rng" {
	requires_vm_abuse
	run_abuse regs
	# Not the timeout's 124: the monitor ended the VM itself.
	[ "$status" -ne 0 ]
	[ "$status" -ne 124 ]
	[[ "$output" == *"abuse: garbage written to every register"* ]]
	[[ "$output" != *"BAD after reset"* ]]
	[[ "$output" == *"abuse: rng works after the garbage"* ]]
	[[ "$output" == *"guest error in virtio-rng"*"queue size 3 invalid"* ]]
	[ ! -e "$HULL_ROOT/$CID" ]
}

@test "vm abuse: a descriptor loop on virtio-blk ends the VM with an error naming the device" {
	requires_vm_abuse
	run_abuse ring-blk
	[ "$status" -ne 0 ]
	[ "$status" -ne 124 ]
	[[ "$output" == *"attacking the ring of id=2"* ]]
	[[ "$output" == *"guest error in virtio-blk"*"loop in descriptor chain"* ]]
}

@test "vm abuse: a chain longer than the queue on the console ends the VM with an error naming the device" {
	requires_vm_abuse
	run_abuse ring-console
	[ "$status" -ne 0 ]
	[ "$status" -ne 124 ]
	[[ "$output" == *"attacking the ring of id=3"* ]]
	[[ "$output" == *"guest error in virtio-console"* ]]
	[[ "$output" == *"loop in descriptor chain"* || "$output" == *"too long"* ]]
}

@test "vm abuse: a 4 GiB buffer outside guest RAM on virtio-rng ends the VM with an error naming the device" {
	requires_vm_abuse
	run_abuse ring-rng
	[ "$status" -ne 0 ]
	[ "$status" -ne 124 ]
	[[ "$output" == *"attacking the ring of id=4"* ]]
	[[ "$output" == *"guest error in virtio-rng"*"outside guest memory"* ]]
}

@test "vm abuse: avail.idx jumping past the queue size on vsock ends the VM with an error naming the device" {
	requires_vm_abuse
	run_abuse ring-vsock
	[ "$status" -ne 0 ]
	[ "$status" -ne 124 ]
	[[ "$output" == *"attacking the ring of id=19"* ]]
	[[ "$output" == *"guest error in virtio-vsock"*"runs"*"ahead"* ]]
}

@test "vm abuse: malformed virtio-fs rings (parsed by virtiofsd) end the VM with an error naming virtio-fs, nothing left" {
	requires_vm_abuse
	requires_virtiofsd
	add_share
	# The line before the attack: the VM may end before the guest says more.
	start_abuse ring-fs "abuse: attacking the ring of id=26"
	run timeout "$BOUND" "$HULL_BIN" --root "$HULL_ROOT" state "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	# virtiofsd refuses the rings and leaves; the monitor sees the hang-up
	# and ends the VM (vmm/virtio_fs.c backend_hangup).
	wait_for_status "$CID" stopped 600
	cat "$BATS_TEST_TMPDIR/ctr.out"
	grep -q 'virtio-fs "[^"]*": the vhost-user back-end closed its connection' "$BATS_TEST_TMPDIR/ctr.out"
	run timeout "$BOUND" "$HULL_BIN" --root "$HULL_ROOT" delete --force "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ ! -e "$HULL_ROOT/$CID" ]
	# ($pid may be 0 here: the VM can end before start_abuse reads it.)
	[ -z "$(monitor_pids)" ]
	[ -z "$(virtiofsd_pids)" ]
}
