#!/usr/bin/env bats
# Built-in networking (issue 9, netns/): NAT, bridge, routed and host
# modes, published ports, named networks, IPv6, bad input, and no leftovers
# ever.  Every bridge, netns and veth a test makes is named from $NETP,
# traffic stays on them and on loopback, and each test has its own network
# state dir ($HULL_NET_DIR).

load helpers
load net_helpers

setup() {
	requires root
	command -v nft >/dev/null || skip "needs nft (to list rules in the leftover checks)"
	setup_bundle
	net_setup
}

teardown() {
	net_teardown
	check_no_leftovers
}

# A network with its own bridge: net_nat NAME SUBNET.
net_nat() {
	hull network create --subnet "$2" --bridge "${NETP}$1" "${NETP}$1"
	net_bridge_made "${NETP}$1"
}

@test "network: two containers on one NAT network talk TCP and UDP" {
	net_nat a "10.197.$NETX.0/24"
	net_bundle srv /bin/sh -c 'checker net-serve tcp 7000 & checker net-serve udp 7001'
	NET_SERVERS=2 net_start srv --net "nat:${NETP}a"
	[ "$(net_addr "${NETP}a" srv)" = "10.197.$NETX.2" ]
	net_bundle cli /bin/sh -c "checker net-ask tcp 10.197.$NETX.2 7000 && checker net-ask udp 10.197.$NETX.2 7001"
	net_client cli --net "nat:${NETP}a"
	echo "$output"
	[ "$status" -eq 0 ]
	# The client got the next address, and the server saw it, twice.
	[ "$(grep -c "^peer=10.197.$NETX.3$" <<<"$output")" -eq 2 ]
}

@test "network: a container reaches a service on the host through its gateway" {
	net_nat a "10.197.$NETX.0/24"
	host_serve_tcp "$PORT" "$BATS_TEST_TMPDIR/host.out"
	net_bundle cli checker net-ask tcp "10.197.$NETX.1" "$PORT"
	net_client cli --net "nat:${NETP}a"
	host_served
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "peer=10.197.$NETX.2" ]
	# Default route via the gateway, /etc files written for the network.
	net_bundle info /bin/sh -c 'ip route; cat /etc/hosts /etc/hostname'
	net_client info --net "nat:${NETP}a"
	echo "$output"
	[[ "$output" == *"default via 10.197.$NETX.1 dev eth0"* ]]
	[[ "$output" == *"10.197.$NETX.2"*hull* ]]
	# The bundle's own files are untouched.
	[ ! -s "$BUNDLE/rootfs/etc/hosts" ]
}

@test "network: published TCP and UDP ports answer from 127.0.0.1, the host's address and another container, with the client's address" {
	net_nat a "10.197.$NETX.0/24"
	net_bundle srv /bin/sh -c 'checker net-serve tcp 7000 & checker net-serve udp 7001'
	NET_SERVERS=2 net_start srv --net "nat:${NETP}a" -p "$PORT:7000" -p "$PORT:7001/udp"
	# A client "host" in its own netns, on a veth the test made.
	ip netns add "${NETP}c"
	ip link add "${NETP}h" type veth peer name eth9 netns "${NETP}c"
	ip addr add "10.196.$NETX.1/30" dev "${NETP}h"
	ip link set "${NETP}h" up
	ip -n "${NETP}c" addr add "10.196.$NETX.2/30" dev eth9
	ip -n "${NETP}c" link set eth9 up
	ip -n "${NETP}c" route add default via "10.196.$NETX.1"
	for proto in tcp udp; do
		# From another host: the container sees the client's own address.
		run ip netns exec "${NETP}c" "$CHECKER_BIN" net-ask $proto "10.196.$NETX.1" "$PORT"
		echo "$proto remote: $output"
		[ "$output" = "peer=10.196.$NETX.2" ]
		# From the host itself, to its address on that link.
		run "$CHECKER_BIN" net-ask $proto "10.196.$NETX.1" "$PORT"
		echo "$proto host address: $output"
		[ "$output" = "peer=10.196.$NETX.1" ]
		# From the host to 127.0.0.1: masqueraded to the gateway (a
		# 127/8 source cannot exist on the bridge).
		run "$CHECKER_BIN" net-ask $proto 127.0.0.1 "$PORT"
		echo "$proto loopback: $output"
		[ "$output" = "peer=10.197.$NETX.1" ]
	done
	# From another container (hairpin through the gateway): its address
	# kept, and again after the first (the gateway shortcut routes these;
	# the ICMP redirect forwarding sends must not divert the client).
	net_bundle cli /bin/sh -c "checker net-ask tcp 10.197.$NETX.1 $PORT && checker net-ask udp 10.197.$NETX.1 $PORT && checker net-ask tcp 10.197.$NETX.1 $PORT"
	net_client cli --net "nat:${NETP}a"
	echo "hairpin: $output"
	[ "$status" -eq 0 ]
	hp=$(hairpin_peer "10.197.$NETX.3" "10.197.$NETX.1")
	[ "$(grep -c "^peer=$hp$" <<<"$output")" -eq 3 ]
}

@test "network: a 1,000-port range, same and shifted, is a few rules" {
	net_nat a "10.197.$NETX.0/24"
	local lo=$PORT hi=$((PORT + 999)) s=$((PORT + 1000))
	net_bundle srv /bin/sh -c "checker net-serve tcp $((lo + 500)) & checker net-serve tcp 5007"
	NET_SERVERS=2 net_start srv --net "nat:${NETP}a" -p "$lo-$hi:$lo-$hi" -p "$s-$((s + 999)):5000-5999"
	run "$CHECKER_BIN" net-ask tcp 127.0.0.1 $((lo + 500))
	[ "$output" = "peer=10.197.$NETX.1" ]
	run "$CHECKER_BIN" net-ask tcp 127.0.0.1 $((s + 7))
	[ "$output" = "peer=10.197.$NETX.1" ]
	# Ports of the range the container does not serve are refused by it
	# (DNAT'ed, not dropped by the host).
	run "$CHECKER_BIN" net-ask tcp 127.0.0.1 $((lo + 1))
	[[ "$output" == *"ask=Connection refused"* ]]
	k=$(net_key "$HULL_ROOT/$CID-srv")
	[ "$(nft list table inet hull | grep -c ":$k ")" -eq 4 ]
}

@test "network: bridge mode puts the container into a bridge the test made" {
	ip link add "${NETP}x" type bridge
	net_bridge_made "${NETP}x"
	ip addr add "10.195.$NETX.1/24" dev "${NETP}x"
	ip link set "${NETP}x" up
	hull network create --mode bridge --bridge "${NETP}x" --subnet "10.195.$NETX.0/24" \
		--gateway "10.195.$NETX.1" "${NETP}br"
	host_serve_tcp "$PORT" /dev/null
	net_bundle cli /bin/sh -c "ip -o link show eth0 | grep -c master; checker net-ask tcp 10.195.$NETX.1 $PORT"
	net_bundle srv checker net-serve tcp 7000
	net_start srv --net "bridge:${NETP}br"
	# The host side is a port of the admin's bridge.
	k=$(net_key "$HULL_ROOT/$CID-srv")
	ip -o link show master "${NETP}x" | grep -q "hv$k"
	net_client cli --net "bridge:${NETP}br"
	host_served
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"peer=10.195.$NETX.3"* ]]
	run "$CHECKER_BIN" net-ask tcp "10.195.$NETX.2" 7000
	[ "$output" = "peer=10.195.$NETX.1" ]
}

@test "network: --ip gives a static address in bridge mode; a taken, outside or reserved one is refused" {
	ip link add "${NETP}x" type bridge
	net_bridge_made "${NETP}x"
	ip addr add "10.195.$NETX.1/24" dev "${NETP}x"
	ip link set "${NETP}x" up
	hull network create --mode bridge --bridge "${NETP}x" --subnet "10.195.$NETX.0/24" \
		--gateway "10.195.$NETX.1" "${NETP}br"
	net_bundle srv checker net-serve tcp 7000
	net_start srv --net "bridge:${NETP}br" --ip "10.195.$NETX.77"
	[ "$(net_addr "${NETP}br" srv)" = "10.195.$NETX.77" ]
	run "$CHECKER_BIN" net-ask tcp "10.195.$NETX.77" 7000
	[ "$output" = "peer=10.195.$NETX.1" ]
	# Inside: the address with the subnet's prefix, the default route.
	net_bundle info /bin/sh -c 'ip -o addr show eth0; ip route'
	net_client info --net "bridge:${NETP}br" --ip "10.195.$NETX.78"
	echo "$output"
	[[ "$output" == *"inet 10.195.$NETX.78/24"* ]]
	[[ "$output" == *"default via 10.195.$NETX.1 dev eth0"* ]]
	net_bundle c1 checker exit 0
	run_hull run --bundle "$BATS_TEST_TMPDIR/b-c1" --net "bridge:${NETP}br" --ip "10.195.$NETX.77" "$CID-c1"
	[ "$status" -ne 0 ]
	[[ "$output" == *"--ip 10.195.$NETX.77: already used by container $CID-srv"* ]]
	run_hull run --bundle "$BATS_TEST_TMPDIR/b-c1" --net "bridge:${NETP}br" --ip "10.196.$NETX.5" "$CID-c1"
	[[ "$output" == *"not inside network ${NETP}br's subnet 10.195.$NETX.0/24"* ]]
	run_hull run --bundle "$BATS_TEST_TMPDIR/b-c1" --net "bridge:${NETP}br" --ip "10.195.$NETX.1" "$CID-c1"
	[[ "$output" == *"gateway or broadcast address"* ]]
	run_hull run --bundle "$BATS_TEST_TMPDIR/b-c1" --net "bridge:${NETP}br" --ip "10.195.$NETX.9/16" "$CID-c1"
	[[ "$output" == *"subnet is 10.195.$NETX.0/24"* ]]
	run_hull run --bundle "$BATS_TEST_TMPDIR/b-c1" --net "bridge:${NETP}br" --ip "10.195.$NETX.300" "$CID-c1"
	[[ "$output" == *"--ip"*"not an IPv4 or IPv6 address"* ]]
	# The refused ones left nothing: one lease, the server's.
	[ ! -e "$HULL_ROOT/$CID-c1" ]
	[ "$(ls "$HULL_NET_DIR/leases/${NETP}br")" = "10.195.$NETX.77" ]
	# A bridge network without a subnet: the address brings its prefix
	# (here through the io.hull.net.ip annotation).
	hull network create --mode bridge --bridge "${NETP}x" "${NETP}nb"
	run_hull run --bundle "$BATS_TEST_TMPDIR/b-info" --net "bridge:${NETP}nb" --ip "10.195.$NETX.88" "$CID-info"
	[[ "$output" == *"network ${NETP}nb has no subnet; give the prefix length too"* ]]
	jq --arg ip "10.195.$NETX.88/24" '.annotations["io.hull.net.ip"] = $ip' "$BATS_TEST_TMPDIR/b-info/config.json" \
		>"$BATS_TEST_TMPDIR/c" && mv "$BATS_TEST_TMPDIR/c" "$BATS_TEST_TMPDIR/b-info/config.json"
	net_client info --net "bridge:${NETP}nb"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"inet 10.195.$NETX.88/24"* ]]
	run "$CHECKER_BIN" net-ask tcp "10.195.$NETX.77" 7000
	[ "$output" = "peer=10.195.$NETX.1" ]
	hull delete --force "$CID-srv"
	net_leftovers
}

@test "network: routed mode gives a /32 with a host route and no bridge" {
	hull network create --mode routed --subnet "10.194.$NETX.0/24" "${NETP}r"
	net_bundle srv checker net-serve tcp 7000
	net_start srv --net "routed:${NETP}r"
	k=$(net_key "$HULL_ROOT/$CID-srv")
	# A host route to the container's address over its veth, no master.
	ip route show "10.194.$NETX.2" | grep -q "dev hv$k"
	run ip -o link show "hv$k"
	[[ "$output" != *master* ]]
	run "$CHECKER_BIN" net-ask tcp "10.194.$NETX.2" 7000
	[ "$output" = "peer=10.194.$NETX.1" ]
	net_bundle info /bin/sh -c 'ip -o addr show eth0; ip route'
	net_client info --net "routed:${NETP}r"
	echo "$output"
	[[ "$output" == *"10.194.$NETX.3/32"* ]]
	[[ "$output" == *"default via 10.194.$NETX.1 dev eth0"* ]]
}

@test "network: two NAT networks are isolated from each other" {
	net_nat a "10.197.$NETX.0/24"
	net_nat b "10.198.$NETX.0/24"
	net_bundle srv checker net-serve tcp 7000
	net_start srv --net "nat:${NETP}a"
	net_bundle other checker net-ask tcp "10.197.$NETX.2" 7000
	net_client other --net "nat:${NETP}b"
	echo "other network: $output"
	[ "$status" -ne 0 ]
	[[ "$output" != *peer=* ]]
	net_bundle same checker net-ask tcp "10.197.$NETX.2" 7000
	net_client same --net "nat:${NETP}a"
	echo "same network: $output"
	[ "$output" = "peer=10.197.$NETX.3" ]
}

@test "network: IPv6 subnet: container to container, to the host's gateway, published ports" {
	hull network create --subnet "fd97:$NETX::/64" --bridge "${NETP}6" "${NETP}6"
	net_bridge_made "${NETP}6"
	net_bundle srv checker net-serve tcp 7000
	net_start srv --net "nat:${NETP}6" -p "$((PORT + 1)):7000"
	[ "$(net_addr "${NETP}6" srv)" = "fd97:$NETX::2" ]
	host_serve_tcp "$PORT" /dev/null
	# Direct, to the host through the gateway, and to the published port
	# on the gateway (hairpin, the client's address kept).
	# The hairpin twice: the second after the ICMPv6 redirect the first
	# may draw (the gateway shortcut routes it).
	net_bundle cli /bin/sh -c "checker net-ask tcp fd97:$NETX::2 7000 && checker net-ask tcp fd97:$NETX::1 $PORT && checker net-ask tcp fd97:$NETX::1 $((PORT + 1)) && checker net-ask tcp fd97:$NETX::1 $((PORT + 1))"
	net_client cli --net "nat:${NETP}6"
	host_served
	echo "$output"
	[ "$status" -eq 0 ]
	hp=$(hairpin_peer "fd97:$NETX::3" "fd97:$NETX::1")
	[ "$(grep "^peer=" <<<"$output")" = "$(printf 'peer=%s\n' "fd97:$NETX::3" "fd97:$NETX::3" "$hp" "$hp")" ]
	# The published port from the host, on its address.
	run "$CHECKER_BIN" net-ask tcp "fd97:$NETX::1" "$((PORT + 1))"
	[ "$output" = "peer=fd97:$NETX::1" ]
	# ::1 cannot be published (no route_localnet in IPv6): refused up front.
	net_bundle bad checker exit 0
	run_hull run --bundle "$BATS_TEST_TMPDIR/b-bad" --net "nat:${NETP}6" -p "[::1]:$((PORT + 2)):7000" "$CID-bad"
	[ "$status" -ne 0 ]
	[[ "$output" == *"::1 cannot be published"* ]]
}

# The gateway shortcut (netns/gwpath.c): frames a container sends to its
# gateway reach the host's stack without the bridge; everything else still
# crosses it.  Its parts, and that the traffic takes it.
@test "network: a container's frames to its gateway skip the bridge, for IPv4 and IPv6" {
	net_nat a "10.197.$NETX.0/24"
	hull network create --subnet "fd97:$NETX::/64" --bridge "${NETP}6" "${NETP}6"
	net_bridge_made "${NETP}6"
	local br k pid cmac bmac fam gw
	for fam in 4 6; do
		if [ $fam = 4 ]; then br="${NETP}a"; gw="10.197.$NETX.1"; else br="${NETP}6"; gw="fd97:$NETX::1"; fi
		net_bundle srv$fam checker net-serve tcp 7000
		net_start srv$fam --net "nat:$br"
		k=$(net_key "$HULL_ROOT/$CID-srv$fam")
		pid=$(jq .pid "$HULL_ROOT/$CID-srv$fam/state.json")
		# The bridge has an address of its own (it does not follow its
		# ports'), and the container's host end wears it.
		bmac=$(cat "/sys/class/net/$br/address")
		[ "$(cat "/sys/class/net/$br/addr_assign_type")" = 3 ]
		[ "$(cat "/sys/class/net/hv$k/address")" = "$bmac" ]
		# The container's MAC is a static entry of the bridge.
		cmac=$(nsenter -t "$pid" -n ip -o link show eth0 | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
		echo "bridge $bmac, container $cmac: $(bridge fdb show br "$br" | grep "$cmac")"
		bridge fdb show br "$br" | grep -q "^$cmac dev hv$k master $br static"
		run tc filter show dev "hv$k" ingress
		echo "$output"
		[[ "$output" == *"Ingress Redirect to device $br"* ]]
		# A host service on the gateway: it sees the container's
		# address, and the filter carried the frames.
		host_serve_tcp "$PORT" "$BATS_TEST_TMPDIR/host$fam.out"
		run "$HULL_BIN" --root "$HULL_ROOT" exec "$CID-srv$fam" checker net-ask tcp "$gw" "$PORT"
		host_served
		echo "$output"
		[ "$status" -eq 0 ]
		[ "$output" = "peer=$(net_addr "$br" srv$fam)" ]
		run tc -s filter show dev "hv$k" ingress
		echo "$output"
		[[ "$output" =~ Sent\ [1-9][0-9]*\ bytes ]]
		# The bridge keeps its address when its only port goes.
		"$HULL_BIN" --root "$HULL_ROOT" delete --force "$CID-srv$fam"
		[ "$(cat "/sys/class/net/$br/address")" = "$bmac" ]
	done
}

@test "network: bad input is refused with a clear error and changes nothing" {
	net_nat a "10.197.$NETX.0/24"
	before=$(hull network ls)
	run_hull network create --subnet "10.197.$NETX.128/25" "${NETP}o"
	[ "$status" -ne 0 ]
	[[ "$output" == *"overlaps network ${NETP}a"* ]]
	run_hull network create --subnet "10.197.$NETX.1/24" "${NETP}m"
	[[ "$output" == *"host bits set"* ]]
	run_hull network create --subnet "10.300.0.0/16" "${NETP}m"
	[[ "$output" == *"not an IPv4 or IPv6 address"* ]]
	run_hull network create --mode bridge --bridge "${NETP}none" "${NETP}m"
	[[ "$output" == *"bridge \"${NETP}none\" does not exist"* ]]
	[ "$(hull network ls)" = "$before" ]
	net_bundle c1 checker exit 0
	run_hull run --bundle "$BATS_TEST_TMPDIR/b-c1" --net "nat:${NETP}a" -p 80:8x "$CID-c1"
	[[ "$output" == *"container port \"8x\" is not a number"* ]]
	run_hull run --bundle "$BATS_TEST_TMPDIR/b-c1" --net "nat:${NETP}nope" "$CID-c1"
	[[ "$output" == *"network \"${NETP}nope\" does not exist"* ]]
	run_hull run --bundle "$BATS_TEST_TMPDIR/b-c1" --net "warp" "$CID-c1"
	[[ "$output" == *"mode must be none, host, nat, bridge or routed"* ]]
	# A port already published.
	net_bundle srv checker net-serve tcp 7000
	net_start srv --net "nat:${NETP}a" -p "$PORT-$((PORT + 9)):7000-7009"
	run_hull run --bundle "$BATS_TEST_TMPDIR/b-c1" --net "nat:${NETP}a" -p "$((PORT + 5)):80" "$CID-c1"
	[ "$status" -ne 0 ]
	[[ "$output" == *"already published by container $CID-srv"* ]]
	# An exhausted subnet: a /30 holds one container besides the gateway.
	hull network create --subnet "10.198.$NETX.0/30" --bridge "${NETP}t" "${NETP}t"
	net_bridge_made "${NETP}t"
	net_bundle one checker net-serve tcp 7000
	net_start one --net "nat:${NETP}t"
	run_hull run --bundle "$BATS_TEST_TMPDIR/b-c1" --net "nat:${NETP}t" "$CID-c1"
	[ "$status" -ne 0 ]
	[[ "$output" == *"subnet 10.198.$NETX.0/30 is exhausted"* ]]
	# A network in use is not removed.
	run_hull network rm "${NETP}t"
	[ "$status" -ne 0 ]
	[[ "$output" == *"network \"${NETP}t\" is in use by 1 container(s)"* ]]
	# None of the refused containers left anything.
	[ ! -e "$HULL_ROOT/$CID-c1" ]
	k=$(net_key "$HULL_ROOT/$CID-c1")
	run ip link show "hv$k"
	[ "$status" -ne 0 ]
	[ "$(ls "$HULL_NET_DIR/attach" | wc -l)" -eq 2 ]
}

@test "network: no leftovers after delete and after a create that fails after plumbing" {
	net_nat a "10.197.$NETX.0/24"
	net_bundle srv checker net-serve tcp 7000
	net_start srv --net "nat:${NETP}a" -p "$PORT:7000"
	k=$(net_key "$HULL_ROOT/$CID-srv")
	ip link show "hv$k" >/dev/null
	nft list table inet hull | grep -q ":$k "
	hull delete --force "$CID-srv"
	net_leftovers
	# --pid-file in a missing directory fails after the veth and the rules
	# exist: the undo removes them.
	run_hull run -d --bundle "$BATS_TEST_TMPDIR/b-srv" --net "nat:${NETP}a" -p "$PORT:7000" \
		--pid-file /nonexistent/dir/pid "$CID-srv"
	[ "$status" -ne 0 ]
	net_leftovers
}

@test "network: what finishes the veth's release after delete holds none of delete's files, cwd or output" {
	net_nat a "10.197.$NETX.0/24"
	net_bundle srv checker net-serve tcp 7000
	net_start srv --net "nat:${NETP}a"
	mkdir "$BATS_TEST_TMPDIR/cwd"
	# delete returns once the kernel has unlisted the veth; a helper
	# sleeps through the rest (an RCU barrier, tens of ms): look at once.
	(cd "$BATS_TEST_TMPDIR/cwd" && "$HULL_BIN" --root "$HULL_ROOT" delete --force "$CID-srv" \
		</dev/null >"$BATS_TEST_TMPDIR/cwd/out" 2>&1)
	local p bad=0
	for p in /proc/[0-9]*; do
		if [ "$(readlink "$p/cwd" 2>/dev/null)" = "$BATS_TEST_TMPDIR/cwd" ]; then
			echo "$p ($(cat "$p/comm" 2>/dev/null)) has its cwd in delete's" >&2; bad=1
		fi
		if ls -l "$p/fd" 2>/dev/null | grep -q "$BATS_TEST_TMPDIR/cwd/out"; then
			echo "$p ($(cat "$p/comm" 2>/dev/null)) holds delete's output" >&2; bad=1
		fi
	done
	[ "$bad" -eq 0 ]
	net_leftovers
	[ ! -s "$BATS_TEST_TMPDIR/cwd/out" ]
}

@test "network: no leftovers after kill -9 of hull at several points of create, then delete --force" {
	net_nat a "10.197.$NETX.0/24"
	net_bundle srv checker net-serve tcp 7000
	for point in prepared bridge veth peer rules; do
		# (stdio to a file: the orphaned container would hold bats' pipe)
		status=0
		HULL_NET_FAULT=$point "$HULL_BIN" --root "$HULL_ROOT" create \
			--bundle "$BATS_TEST_TMPDIR/b-srv" --net "nat:${NETP}a" -p "$PORT:7000" "$CID-srv" \
			</dev/null >"$BATS_TEST_TMPDIR/fault.out" 2>&1 || status=$?
		echo "$point: status $status"
		[ "$status" -eq 137 ]
		[ -e "$HULL_NET_DIR/attach/$(net_key "$HULL_ROOT/$CID-srv").json" ]
		hull delete --force "$CID-srv"
		net_leftovers
	done
	# The same port and address are free again.
	net_start srv --net "nat:${NETP}a" -p "$PORT:7000"
	[ "$(net_addr "${NETP}a" srv)" = "10.197.$NETX.2" ]
}

# net_vanish NAME: container NAME's process, cgroup and state disappear
# behind Hull's back, as after a reboot.
net_vanish() {
	local pid d
	pid=$(hull state "$CID-$1" | jq .pid)
	kill -9 "$pid"
	while [ -e "/proc/$pid" ]; do sleep 0.05; done
	for d in /sys/fs/cgroup/*/"${TEST_CGROUP_PARENT#/}/$CID-$1" /sys/fs/cgroup/"${TEST_CGROUP_PARENT#/}/$CID-$1"; do
		[ -d "$d" ] && rmdir "$d"
	done
	rm -rf "${HULL_ROOT:?}/$CID-$1"
}

@test "network: reconcile removes what a vanished container left (reboot, lost state)" {
	net_nat a "10.197.$NETX.0/24"
	net_bundle srv checker net-serve tcp 7000
	net_start srv --net "nat:${NETP}a" -p "$PORT:7000"
	k=$(net_key "$HULL_ROOT/$CID-srv")
	# The container's state vanishes behind Hull's back (as /run after a
	# reboot): the process is killed and its state dir removed.
	net_vanish srv
	nft list table inet hull | grep -q ":$k "
	run_hull network reconcile
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"removed 1 "* ]]
	net_leftovers
	# ...and automatically before the next attachment.
	net_start srv --net "nat:${NETP}a" -p "$PORT:7000"
	net_vanish srv
	net_bundle c2 checker exit 0
	run_hull run --bundle "$BATS_TEST_TMPDIR/b-c2" --net "nat:${NETP}a" -p "$PORT:7000" "$CID-c2"
	[ "$status" -eq 0 ]
	net_leftovers
}

@test "network: 200 sequential containers leave nothing behind" {
	net_nat a "10.197.$NETX.0/24"
	net_bundle seq checker exit 0
	for i in $(seq 1 200); do
		"$HULL_BIN" --root "$HULL_ROOT" run --bundle "$BATS_TEST_TMPDIR/b-seq" \
			--net "nat:${NETP}a" -p "$PORT:7000" "$CID-seq" </dev/null >/dev/null
	done
	net_leftovers
	[ -z "$(ip -o link show master "${NETP}a")" ]
}

@test "network: io.hull.net annotations in a runc-made config, /etc files from the state dir" {
	requires runc
	net_nat a "10.197.$NETX.0/24"
	mkdir -p "$BATS_TEST_TMPDIR/b-ann"
	(cd "$BATS_TEST_TMPDIR/b-ann" && runc spec)
	jq --arg root "$BUNDLE/rootfs" --arg cg "$TEST_CGROUP_PARENT/$CID-ann" --arg net "nat:${NETP}a" \
		--arg ports "$PORT:7000,$((PORT + 1)):7001/udp" \
		'.root.path = $root | .linux.cgroupsPath = $cg | .process.terminal = false
		 | .process.args = ["/bin/sh", "-c", "checker net-serve tcp 7000 & checker net-serve udp 7001"]
		 | .process.capabilities.ambient = []
		 | .annotations = {"io.hull.net": $net, "io.hull.net.ports": $ports}' \
		"$BATS_TEST_TMPDIR/b-ann/config.json" >"$BATS_TEST_TMPDIR/b-ann/c" &&
		mv "$BATS_TEST_TMPDIR/b-ann/c" "$BATS_TEST_TMPDIR/b-ann/config.json"
	echo "$CID-ann" >>"$BATS_TEST_TMPDIR/ids"
	NET_SERVERS=2 net_start ann
	run "$CHECKER_BIN" net-ask tcp 127.0.0.1 "$PORT"
	[ "$output" = "peer=10.197.$NETX.1" ]
	run "$CHECKER_BIN" net-ask udp 127.0.0.1 "$((PORT + 1))"
	[ "$output" = "peer=10.197.$NETX.1" ]
	grep -q "10.197.$NETX.2" "$HULL_ROOT/$CID-ann/etc/hosts"
}

@test "network: --net host shares the host's namespace; none keeps the bundle's" {
	net_bundle h /bin/sh -c 'readlink /proc/self/ns/net'
	net_client h --net host
	[ "$status" -eq 0 ]
	[ "$output" = "$(readlink /proc/self/ns/net)" ]
	net_client h --net none
	[ "$output" != "$(readlink /proc/self/ns/net)" ]
	net_client h --net host -p 80:80
	[[ "$output" == *"published ports need --net nat"* ]]
}

@test "network: the default NAT network is made on first use of --net nat" {
	[ -z "$(hull network ls | awk 'NR > 1')" ]
	ip link show hull0 >/dev/null 2>&1 && skip "a bridge hull0 exists on this host already"
	net_bridge_made hull0
	net_bundle cli /bin/sh -c 'ip -o addr show eth0'
	net_client cli --net nat
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"10.89.0.2/16"* ]]
	hull network ls | grep -q '^hull .*nat .*10.89.0.0/16 .*hull0'
}
