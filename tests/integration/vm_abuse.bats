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
# (monitor, virtiofsd, state dir, cgroup, mounts, tap and tc redirect).
# Needs a /dev/kvm that boots standard guests: runs in the test VM (make
# vm-run).

load helpers
load vm_helpers
bats_require_minimum_version 1.5.0

ABUSE_DIR="$REPO/build/tests/vm-guests"
VIRTIOFSD=/usr/lib/qemu/virtiofsd
# Generous bound for one lifecycle command under nested emulation; the
# tests assert that the command finished, never how fast.
BOUND=30

requires_vm_abuse() {
	requires_kvm_guest "PVH guests"
	[ -f "$ABUSE_DIR/abuse-flood.elf" ] || skip "no abuse guests in $ABUSE_DIR (make vm-abuse-guests)"
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
	# As hull_detached, bounded: the container's stdio in ctr.out.
	timeout -k 10 "$BOUND" "$HULL_BIN" --root "$HULL_ROOT" run --vm --detach \
		--vm-kernel "$ABUSE_DIR/abuse-$mode.elf" --bundle "$BUNDLE" "$CID" \
		</dev/null >"$BATS_TEST_TMPDIR/ctr.out" 2>&1 || { cat "$BATS_TEST_TMPDIR/ctr.out"; return 1; }
	for _ in $(seq 600); do grep -qF "$line" "$BATS_TEST_TMPDIR/ctr.out" && break; sleep 0.1; done
	cat "$BATS_TEST_TMPDIR/ctr.out"
	grep -qF "$line" "$BATS_TEST_TMPDIR/ctr.out" || { dump_processes; return 1; }
	pid=$(timeout -k 10 "$BOUND" "$HULL_BIN" --root "$HULL_ROOT" state "$CID" | jq -r .pid)
	[ -n "$pid" ] && [ "$pid" != null ]
}

# dump_processes: where the monitor's and virtiofsd's threads wait, for a
# test that failed.
dump_processes() {
	local p t
	for p in $(monitor_pids) $(virtiofsd_pids); do
		echo "== $p $(tr '\0' ' ' <"/proc/$p/cmdline" | cut -c1-120)"
		cat "$HULL_ROOT/$CID/virtiofsd.log" 2>/dev/null | tail -5
		for t in /proc/"$p"/task/*; do
			echo "  ${t##*/} $(cat "$t/comm") $(cut -d' ' -f3 "$t/stat") $(cat "$t/wchan" 2>/dev/null)"
			sed 's/^/    /' "$t/stack" 2>/dev/null | head -8
		done
	done
}

# run_abuse MODE: `run --vm` of abuse-MODE.elf in the foreground, bounded;
# for guests that break a device, which must end the VM by itself.
run_abuse() {
	set_args /bin/true
	# Into a file, not through run's pipe: should the timeout end hull, the
	# monitor (the container, which outlives a killed `run` as runc's
	# does) would hold the pipe open and keep the test waiting for ever.
	# Teardown's delete --force ends it.
	status=0
	timeout -k 10 120 "$HULL_BIN" --root "$HULL_ROOT" run --vm --vm-kernel "$ABUSE_DIR/abuse-$1.elf" \
		--bundle "$BUNDLE" "$CID" </dev/null >"$BATS_TEST_TMPDIR/run.out" 2>&1 || status=$?
	output=$(cat "$BATS_TEST_TMPDIR/run.out")
	echo "status $status"
	echo "$output"
	if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then dump_processes; fi
}

# ring_attack_ends_vm MODE ID DEVICE: the guest attacked the ring of the
# device with virtio id ID, and the monitor ended the VM itself (not the
# timeout's 124) with an error naming DEVICE.
ring_attack_ends_vm() {
	run_abuse "$1"
	[ "$status" -ne 0 ]
	[ "$status" -ne 124 ]
	[[ "$output" == *"attacking the ring of id=$2"* ]]
	[[ "$output" == *"guest error in $3"* ]]
}

# add_netns: a network namespace made outside Hull (as a CNI plugin would:
# a veth with an address and a default route), joined by path, so the VM
# gets a virtio-net device on a tap in it.  Names start with $NETP.
add_netns() {
	NETP="hab$(( $$ % 100000 ))${BATS_TEST_NUMBER:-0}"
	local x=$(( ($$ + ${BATS_TEST_NUMBER:-0}) % 250 + 1 ))
	ip netns add "${NETP}n"
	ip link add "${NETP}v" type veth peer name eth0 netns "${NETP}n"
	ip addr add "10.193.$x.1/30" dev "${NETP}v"
	ip link set "${NETP}v" up
	ip -n "${NETP}n" addr add "10.193.$x.2/30" dev eth0
	ip -n "${NETP}n" link set eth0 up
	ip -n "${NETP}n" route add default via "10.193.$x.1"
	update_config '.linux.namespaces |= map(if .type == "network" then .path = "/run/netns/'"${NETP}n"'" else . end)'
}

# netns_clean: the namespace is as add_netns made it (no tap, no redirect).
netns_clean() {
	run ip -n "${NETP}n" link show tap0
	[ "$status" -ne 0 ]
	run ip netns exec "${NETP}n" tc qdisc show dev eth0
	echo "$output"
	[[ "$output" != *ingress* ]]
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
	# Bounded here too: a wedged delete must fail the test, not hang it.
	[ -z "${HULL_ROOT:-}" ] || [ ! -d "$HULL_ROOT/$CID" ] ||
		timeout -k 10 "$BOUND" "$HULL_BIN" --root "$HULL_ROOT" delete --force "$CID" ||
		{ echo "delete --force in teardown failed or hung" >&2; dump_processes >&2; }
	teardown_bundle
	if [ -n "${NETP:-}" ]; then
		ip netns del "${NETP}n" 2>/dev/null || true
		ip link del "${NETP}v" 2>/dev/null || true
	fi
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
	start_abuse flood "abuse: flood rounds=1024"
	# The guest found and drove the devices it floods, and got through
	# 1024 rounds of it, mid-flight resets and re-inits included.
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
	run timeout -k 10 "$BOUND" "$HULL_BIN" --root "$HULL_ROOT" state "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(jq -r .status <<<"$output")" = running ]
	run timeout -k 10 "$BOUND" "$HULL_BIN" --root "$HULL_ROOT" kill "$CID" KILL
	echo "$output"
	[ "$status" -eq 0 ]
	wait_for_status "$CID" stopped 300
	run kill -0 "$pid"
	[ "$status" -ne 0 ]
	run timeout -k 10 "$BOUND" "$HULL_BIN" --root "$HULL_ROOT" delete "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ ! -e "$HULL_ROOT/$CID" ]
}

@test "vm abuse: a guest flooding every queue, virtio-fs included: delete --force finishes, no virtiofsd left" {
	requires_vm_abuse
	requires_virtiofsd
	add_share
	start_abuse flood "abuse: flood rounds=1024"
	grep -q "found device id=26" "$BATS_TEST_TMPDIR/ctr.out"
	run ! grep -q "init refused" "$BATS_TEST_TMPDIR/ctr.out"
	[ -n "$(virtiofsd_pids)" ]
	run timeout -k 10 "$BOUND" "$HULL_BIN" --root "$HULL_ROOT" state "$CID"
	[ "$status" -eq 0 ]
	run timeout -k 10 "$BOUND" "$HULL_BIN" --root "$HULL_ROOT" delete --force "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ ! -e "$HULL_ROOT/$CID" ]
	run kill -0 "$pid"
	[ "$status" -ne 0 ]
	[ -z "$(virtiofsd_pids)" ]
}

@test "vm abuse: a guest flooding every queue, virtio-net included: delete --force finishes, no tap or redirect left" {
	requires_vm_abuse
	command -v tc >/dev/null || skip "needs tc (iproute2) to check for leftover qdiscs"
	add_netns
	start_abuse flood "abuse: flood rounds=1024"
	grep -q "found device id=1" "$BATS_TEST_TMPDIR/ctr.out"
	run ! grep -q "init refused" "$BATS_TEST_TMPDIR/ctr.out"
	run timeout -k 10 "$BOUND" "$HULL_BIN" --root "$HULL_ROOT" state "$CID"
	[ "$status" -eq 0 ]
	[ "$(jq -r .status <<<"$output")" = running ]
	run timeout -k 10 "$BOUND" "$HULL_BIN" --root "$HULL_ROOT" delete --force "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ ! -e "$HULL_ROOT/$CID" ]
	run kill -0 "$pid"
	[ "$status" -ne 0 ]
	netns_clean
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
	ring_attack_ends_vm ring-blk 2 virtio-blk
	[[ "$output" == *"guest error in virtio-blk"*"loop in descriptor chain"* ]]
}

@test "vm abuse: a chain longer than the queue on the console ends the VM with an error naming the device" {
	requires_vm_abuse
	ring_attack_ends_vm ring-console 3 virtio-console
	[[ "$output" == *"loop in descriptor chain"* || "$output" == *"too long"* ]]
}

@test "vm abuse: a 4 GiB buffer outside guest RAM on virtio-rng ends the VM with an error naming the device" {
	requires_vm_abuse
	ring_attack_ends_vm ring-rng 4 virtio-rng
	[[ "$output" == *"guest error in virtio-rng"*"outside guest memory"* ]]
}

@test "vm abuse: avail.idx jumping past the queue size on vsock ends the VM with an error naming the device" {
	requires_vm_abuse
	ring_attack_ends_vm ring-vsock 19 virtio-vsock
	[[ "$output" == *"guest error in virtio-vsock"*"runs"*"ahead"* ]]
}

@test "vm abuse: a transmit buffer outside guest RAM on virtio-net ends the VM with an error naming the device, no tap left" {
	requires_vm_abuse
	command -v tc >/dev/null || skip "needs tc (iproute2) to check for leftover qdiscs"
	add_netns
	ring_attack_ends_vm ring-net 1 virtio-net
	[[ "$output" == *"guest error in virtio-net"*"outside guest memory"* ]]
	[ ! -e "$HULL_ROOT/$CID" ]
	netns_clean
}

@test "vm abuse: malformed virtio-fs rings (parsed by virtiofsd) end the VM with an error naming virtio-fs, nothing left" {
	requires_vm_abuse
	requires_virtiofsd
	add_share
	# The line before the attack: the VM may end before the guest says more.
	start_abuse ring-fs "abuse: attacking the ring of id=26"
	run timeout -k 10 "$BOUND" "$HULL_BIN" --root "$HULL_ROOT" state "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	# virtiofsd refuses the rings and leaves; the monitor sees the hang-up
	# and ends the VM (vmm/virtio_fs.c backend_hangup).
	wait_for_status "$CID" stopped 600
	cat "$BATS_TEST_TMPDIR/ctr.out"
	grep -q 'virtio-fs "[^"]*": the vhost-user back-end closed its connection' "$BATS_TEST_TMPDIR/ctr.out"
	run timeout -k 10 "$BOUND" "$HULL_BIN" --root "$HULL_ROOT" delete --force "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ ! -e "$HULL_ROOT/$CID" ]
	# ($pid may be 0 here: the VM can end before start_abuse reads it.)
	[ -z "$(monitor_pids)" ]
	[ -z "$(virtiofsd_pids)" ]
}
