#!/usr/bin/env bats
# Runtime-spec features (issue 8): linux.memoryPolicy, linux.personality
# flags, process.scheduler validation and linux.netDevices, checked from
# inside the container; bad values fail at create naming the field and
# leave nothing behind.

load helpers

setup() {
	requires root
	setup_bundle
	NETDEV="hcmp$$${BATS_TEST_NUMBER:-0}"
}

teardown() {
	teardown_bundle
	ip link del "$NETDEV" >/dev/null 2>&1 || true
	ip link del "${NETDEV}p" >/dev/null 2>&1 || true
	ip netns del "${NETDEV}ns" >/dev/null 2>&1 || true
	check_no_leftovers
}

field() {
	echo "$output" | sed -n "s/^$1=//p" | tail -n 1
}

# refused JQ MESSAGE: the config change makes run fail with MESSAGE.
refused() {
	update_config "$1"
	run_hull run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"$2"* ]]
}

@test "memoryPolicy MPOL_BIND, MPOL_INTERLEAVE, MPOL_LOCAL with flags" {
	set_args checker mempolicy
	update_config '.linux.memoryPolicy = {"mode": "MPOL_BIND", "nodes": "0"}'
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(field mempolicy)" = ok ]
	[ "$(field mode)" = 2 ]
	[ "$(field nodes)" = 0x1 ]
	update_config '.linux.memoryPolicy = {"mode": "MPOL_INTERLEAVE", "nodes": "0", "flags": ["MPOL_F_STATIC_NODES"]}'
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	# MPOL_INTERLEAVE (3) | MPOL_F_STATIC_NODES (1 << 15)
	[ "$(field mode)" = 32771 ]
	update_config '.linux.memoryPolicy = {"mode": "MPOL_LOCAL"}'
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(field mode)" = 4 ]
	# Without a policy the process has the default.
	update_config 'del(.linux.memoryPolicy)'
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(field mode)" = 0 ]
}

@test "memoryPolicy: invalid values name the field" {
	refused '.linux.memoryPolicy = {"mode": "MPOL_BIND"}' 'linux.memoryPolicy.nodes: MPOL_BIND needs at least one node'
	refused '.linux.memoryPolicy = {"mode": "MPOL_BOGUS", "nodes": "0"}' 'linux.memoryPolicy.mode: unknown mode "MPOL_BOGUS"'
	refused '.linux.memoryPolicy = {"mode": "MPOL_BIND", "nodes": "3-1"}' 'linux.memoryPolicy.nodes: "3-1" is not a list'
	refused '.linux.memoryPolicy = {"mode": "MPOL_BIND", "nodes": "0,,1"}' 'linux.memoryPolicy.nodes: "0,,1" is not a list'
	refused '.linux.memoryPolicy = {"mode": "MPOL_DEFAULT", "nodes": "0"}' 'linux.memoryPolicy.nodes: MPOL_DEFAULT takes no nodes'
	refused '.linux.memoryPolicy = {"mode": "MPOL_BIND", "nodes": "0", "flags": ["MPOL_F_STATIC_NODES", "MPOL_F_RELATIVE_NODES"]}' 'exclude each other'
	refused '.linux.memoryPolicy = {"mode": "MPOL_INTERLEAVE", "nodes": "0", "flags": ["MPOL_F_NUMA_BALANCING"]}' 'MPOL_F_NUMA_BALANCING needs MPOL_BIND or MPOL_PREFERRED_MANY'
	refused '.linux.memoryPolicy = {"mode": "MPOL_BIND", "nodes": "0", "flags": ["MPOL_F_NOPE"]}' 'linux.memoryPolicy.flags[0]: unknown flag "MPOL_F_NOPE"'
}

@test "memoryPolicy on a node this host lacks is the kernel's error, with the field" {
	local last
	last=$(cat /sys/devices/system/node/online)
	last=${last##*[-,]}
	update_config '.linux.memoryPolicy = {"mode": "MPOL_BIND", "nodes": "'"$((last + 1))"'"}'
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.memoryPolicy: set_mempolicy"*"Invalid argument"* ]]
}

@test "personality flags" {
	set_args checker personality
	update_config '.linux.personality = {"domain": "LINUX", "flags": ["ADDR_NO_RANDOMIZE"]}'
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(field personality)" = 0x40000 ]
	update_config '.linux.personality = {"domain": "LINUX32", "flags": ["ADDR_NO_RANDOMIZE", "UNAME26"]}'
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(field personality)" = 0x60008 ]
	refused '.linux.personality = {"domain": "LINUX", "flags": ["NO_SUCH_FLAG"]}' 'linux.personality.flags[0]: unknown flag "NO_SUCH_FLAG"'
}

@test "scheduler: values the kernel would refuse fail at create, naming the field" {
	refused '.process.scheduler = {"policy": "SCHED_DEADLINE", "runtime": 2000000, "deadline": 1000000, "period": 3000000}' \
		'process.scheduler.runtime: runtime 2000000 must not exceed deadline 1000000'
	refused '.process.scheduler = {"policy": "SCHED_DEADLINE", "runtime": 1000000, "deadline": 5000000, "period": 3000000}' \
		'process.scheduler.deadline: deadline 5000000 must not exceed period 3000000'
	refused '.process.scheduler = {"policy": "SCHED_DEADLINE", "runtime": 1000, "deadline": 5000}' \
		"process.scheduler.runtime: 1000 ns is below the kernel's minimum of 1024 ns"
	refused '.process.scheduler = {"policy": "SCHED_DEADLINE", "runtime": 2000}' \
		'process.scheduler.deadline: SCHED_DEADLINE needs a deadline'
	refused '.process.scheduler = {"policy": "SCHED_DEADLINE", "runtime": 2000, "deadline": 9223372036854775808}' \
		'process.scheduler.deadline: must be below 2^63 ns'
	refused '.process.scheduler = {"policy": "SCHED_OTHER", "priority": 5}' \
		'process.scheduler.priority: only SCHED_FIFO and SCHED_RR take a priority'
	refused '.process.scheduler = {"policy": "SCHED_BATCH", "runtime": 5000}' \
		'process.scheduler.runtime: only SCHED_DEADLINE takes runtime, deadline and period'
	refused '.process.scheduler = {"policy": "SCHED_ISO"}' 'process.scheduler.policy: SCHED_ISO is not supported by Linux'
	refused '.process.scheduler = {"policy": "SCHED_OTHER", "nice": 20}' 'process.scheduler.nice'
	refused '.process.scheduler = {"policy": "SCHED_OTHER", "flags": ["SCHED_FLAG_RECLAIM"]}' \
		'SCHED_FLAG_RECLAIM and SCHED_FLAG_DL_OVERRUN need SCHED_DEADLINE'
}

@test "scheduler: SCHED_BATCH with nice applies" {
	set_args checker sched
	update_config '.process.scheduler = {"policy": "SCHED_BATCH", "nice": 7}'
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(field policy)" = 3 ]
	[ "$(field nice)" = 7 ]
}

@test "netDevices moves a host interface in, renamed" {
	ip link add "$NETDEV" type veth peer name "${NETDEV}p"
	update_config '.linux.netDevices = {"'"$NETDEV"'": {"name": "ctr0"}}'
	set_args sh -c 'ls /sys/class/net; cat /sys/class/net/ctr0/type'
	hull_detached create --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	# While the container exists the host no longer has it.
	run ip link show "$NETDEV"
	[ "$status" -ne 0 ]
	run_hull start "$CID"
	[ "$status" -eq 0 ]
	wait_for_status "$CID" stopped
	output=$(cat "$BATS_TEST_TMPDIR/ctr.out")
	[[ "$output" == *ctr0* ]]
	[[ "$output" != *"$NETDEV"* ]]
	run_hull delete "$CID"
	[ "$status" -eq 0 ]
	# A virtual device dies with the namespace (as with runc): the kernel
	# does not return it to the host, and its veth peer goes with it.
	run ip link show "$NETDEV"
	[ "$status" -ne 0 ]
	run ip link show "${NETDEV}p"
	[ "$status" -ne 0 ]
	run ip link show ctr0
	[ "$status" -ne 0 ]
}

@test "netDevices: a missing interface or no new netns is an error naming it" {
	refused '.linux.netDevices = {"'"$NETDEV"'": {}}' "linux.netDevices.$NETDEV: no such interface on the host"
	refused '.linux.netDevices = {"eth0": {"name": "bad/name"}}' 'linux.netDevices.eth0.name: "bad/name" is not a valid interface name'
	refused '.linux.netDevices = {"eth0": {}} | .linux.namespaces -= [{"type": "network"}]' 'linux.netDevices: unable to move network devices without a network namespace'
}

@test "netDevices: a failed create leaves the other devices where they were" {
	ip link add "$NETDEV" type veth peer name "${NETDEV}p"
	refused '.linux.netDevices = {"'"$NETDEV"'": {}, "'"hcmpx$$"'": {}}' "linux.netDevices.hcmpx$$: no such interface"
	# Looked up before anything moved: the dummy is still on the host.
	run ip link show "$NETDEV"
	[ "$status" -eq 0 ]
}

@test "scheduler: SCHED_DEADLINE within the kernel's bounds applies" {
	set_args checker sched
	update_config '.process.scheduler = {"policy": "SCHED_DEADLINE", "runtime": 1000000, "deadline": 10000000, "period": 10000000}'
	run_hull run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(field policy)" = 6 ]
}

@test "netDevices into a joined network namespace keeps addresses and up state" {
	ip link add "$NETDEV" type veth peer name "${NETDEV}p"
	ip addr add 169.254.77.1/32 dev "$NETDEV"
	ip link set "$NETDEV" up
	ip netns add "${NETDEV}ns"
	update_config '.linux.netDevices = {"'"$NETDEV"'": {"name": "ctr1"}}
		| (.linux.namespaces[] | select(.type == "network")).path = "/run/netns/'"${NETDEV}ns"'"'
	set_args ip addr show dev ctr1
	run_hull run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"inet 169.254.77.1/32"* ]]
	[[ "$output" == *"<"*"UP"*">"* ]]
	# The namespace outlives the container, and the device stays in it.
	run ip netns exec "${NETDEV}ns" ip link show ctr1
	[ "$status" -eq 0 ]
}
