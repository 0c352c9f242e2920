# Helpers of network.bats (issue 9).  Every host-level object a test makes
# is named from NETP (unique per test), and its Hull network state lives in
# its own HULL_NET_DIR, so parallel suites never see each other's.

# net_setup: per-test names, subnets and ports.
net_setup() {
	export HULL_NET_DIR="$BATS_TEST_TMPDIR/net"
	NETP="hb$(( $$ % 100000 ))${BATS_TEST_NUMBER:-0}"
	NETX=$(( ($$ + ${BATS_TEST_NUMBER:-0}) % 250 + 1 ))
	# PORT..PORT+1000 below the kernel's ephemeral range (32768 and up),
	# where some client's own port could already hold it
	PORT=$(( 20000 + (($$ * 7 + ${BATS_TEST_NUMBER:-0} * 131) % 2900) * 4 ))
	: >"$BATS_TEST_TMPDIR/ids"
	: >"$BATS_TEST_TMPDIR/bridges"
	export NETP NETX PORT
}

# net_bundle NAME ARG...: a bundle for container $CID-NAME sharing the
# test's rootfs, with its own cgroup, running ARGs.
net_bundle() {
	local name="$1" dir="$BATS_TEST_TMPDIR/b-$1" json
	shift
	mkdir -p "$dir"
	json=$(jq -cn '$ARGS.positional' --args -- "$@")
	jq --arg root "$BUNDLE/rootfs" --arg cg "$TEST_CGROUP_PARENT/$CID-$name" \
		".root.path = \$root | .linux.cgroupsPath = \$cg | .process.args = $json" \
		"$BUNDLE/config.json" >"$dir/config.json"
	echo "$CID-$name" >>"$BATS_TEST_TMPDIR/ids"
}

# net_start NAME HULL_RUN_FLAGS...: `run -d` of bundle NAME (stdio to
# $BATS_TEST_TMPDIR/NAME.out), then waits until its server says "serving".
net_start() {
	local name="$1" i
	shift
	"$HULL_BIN" --root "$HULL_ROOT" run -d --bundle "$BATS_TEST_TMPDIR/b-$name" "$@" "$CID-$name" \
		</dev/null >"$BATS_TEST_TMPDIR/$name.out" 2>&1 || { cat "$BATS_TEST_TMPDIR/$name.out" >&2; return 1; }
	for i in $(seq 1 100); do
		[ "$(grep -c serving= "$BATS_TEST_TMPDIR/$name.out")" -ge "${NET_SERVERS:-1}" ] && return 0
		sleep 0.05
	done
	echo "container $name never served: $(cat "$BATS_TEST_TMPDIR/$name.out")" >&2
	return 1
}

# net_ask NAME HULL_RUN_FLAGS... -- PROTO HOST PORT: a client container.
net_client() {
	local name="$1"
	shift
	run "$HULL_BIN" --root "$HULL_ROOT" run --bundle "$BATS_TEST_TMPDIR/b-$name" "$@" "$CID-$name" </dev/null
}

# net_addr NETWORK NAME: the address container NAME got.
net_addr() {
	hull network inspect "$1" | jq -r --arg id "$CID-$2" '.containers[] | select(.id == $id) | .address'
}

net_bridge_made() {
	echo "$1" >>"$BATS_TEST_TMPDIR/bridges"
}

# The key netns/ derives from a container's state dir (FNV-1a 64, low 40
# bits): names its host-side veth hv<key> and tags its nft rules.
net_key() {
	printf '%010x' $(( 0x$(fnv1a64 "$1") & 0xffffffffff ))
}

# Everything Hull's networking could leave: records, leases, veths, bridge
# ports, nft rules, cgroups and state of every container this test used.
net_leftovers() {
	local bad=0 id k f br
	if [ -n "$(ls -A "$HULL_NET_DIR/attach" 2>/dev/null)" ]; then
		echo "leftover records: $(ls -A "$HULL_NET_DIR/attach")" >&2; bad=1
	fi
	for f in "$HULL_NET_DIR"/leases/*/*; do
		[ -L "$f" ] && { echo "leftover lease $f -> $(readlink "$f")" >&2; bad=1; }
	done
	for id in $(cat "$BATS_TEST_TMPDIR/ids" 2>/dev/null); do
		k=$(net_key "$HULL_ROOT/$id")
		if ip link show "hv$k" >/dev/null 2>&1; then echo "leftover veth hv$k ($id)" >&2; bad=1; fi
		if nft list table inet hull 2>/dev/null | grep -q ":$k "; then echo "leftover nft rule of $id" >&2; bad=1; fi
		if [ -e "$HULL_ROOT/$id" ]; then echo "leftover state $id" >&2; bad=1; fi
		for f in /sys/fs/cgroup/*/"${TEST_CGROUP_PARENT#/}/$id" /sys/fs/cgroup/"${TEST_CGROUP_PARENT#/}/$id"; do
			[ -d "$f" ] && { echo "leftover cgroup $f" >&2; bad=1; }
		done
	done
	for br in $(cat "$BATS_TEST_TMPDIR/bridges" 2>/dev/null); do
		if [ -n "$(ip -o link show master "$br" 2>/dev/null)" ]; then
			echo "leftover ports on $br: $(ip -o link show master "$br")" >&2; bad=1
		fi
	done
	return $bad
}

net_teardown() {
	local id n
	for id in $(cat "$BATS_TEST_TMPDIR/ids" 2>/dev/null); do
		"$HULL_BIN" --root "$HULL_ROOT" delete --force "$id" >/dev/null 2>&1 || true
	done
	teardown_bundle
	net_leftovers
	local rc=$?
	# Networks, then what the test made by hand.
	for n in $(hull network ls 2>/dev/null | awk 'NR > 1 { print $1 }'); do
		hull network rm "$n" >/dev/null 2>&1 || echo "network rm $n failed" >&2
	done
	for n in $(cat "$BATS_TEST_TMPDIR/bridges" 2>/dev/null); do ip link del "$n" 2>/dev/null || true; done
	ip netns del "${NETP}c" 2>/dev/null || true
	ip link del "${NETP}h" 2>/dev/null || true
	if nft list table inet hull 2>/dev/null | grep -q "net:$NETP"; then
		echo "leftover network rules of $NETP" >&2; rc=1
	fi
	return $rc
}

# host_serve_tcp PORT OUT: the checker serving one TCP client on the host's
# PORT (output to OUT), in the background for at most 300 s (a microVM
# client boots first); returns once it listens, so a client started next is
# never refused.  The caller waits for it with host_served.
host_serve_tcp() {
	timeout 300 "$CHECKER_BIN" net-serve tcp "$1" 1 >"$2" 2>&1 &
	HOST_SERVER_PID=$!
	local _
	for _ in $(seq 200); do
		[ -n "$(ss -Hltn "sport = :$1")" ] && return 0
		if ! kill -0 "$HOST_SERVER_PID" 2>/dev/null; then
			echo "the host's checker exited before it listened on port $1 (taken?):" >&2
			ss -Hatn "sport = :$1" >&2
			return 1
		fi
		sleep 0.05
	done
	echo "the host's checker never listened on port $1" >&2
	return 1
}

# host_served: waits for the server host_serve_tcp started.  By its pid,
# never with a bare `wait`: under BATS_TEST_TIMEOUT (the test VM's stage)
# bats' own watchdog is a background child of the test's shell, so a bare
# `wait` returns only when the watchdog kills the test.
host_served() {
	wait "$HOST_SERVER_PID" || true
}

# hairpin_peer CLIENT GATEWAY: the address a container sees for a neighbour
# that reached it through a port published on the gateway.  With
# br_netfilter the client's own (the reply is un-NAT'ed on the bridge);
# without it Hull masquerades hairpin connections, the only way they work
# (netns/plumb.c), and the server sees the gateway.
hairpin_peer() {
	if [ -d /proc/sys/net/bridge ]; then
		echo "$1"
	else
		echo "# no br_netfilter here: hairpin connections are masqueraded" >&3
		echo "$2"
	fi
}
