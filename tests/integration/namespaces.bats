#!/usr/bin/env bats
# linux.namespaces: new ones, joining by path, user namespace mappings,
# cgroup and time namespaces, as the process inside sees them.

load helpers

setup() {
	requires root
	setup_bundle
	NETNS=
}

teardown() {
	teardown_bundle
	[ -n "$NETNS" ] && ip netns del "$NETNS" 2>/dev/null
	check_no_leftovers
}

field() {
	echo "$output" | sed -n "s/^$1=//p" | tail -n 1
}

# The container's root (a mapped host uid) must be able to reach the
# rootfs: open up the per-test directories bats creates 0700.
userns_bundle() {
	local d="$BUNDLE"
	while [ "$d" != / ] && [ "$d" != /tmp ]; do
		chmod o+x "$d"
		d=$(dirname "$d")
	done
}

host_ns() {
	readlink /proc/self/ns/"$1"
}

@test "every requested namespace is new, the others are the host's" {
	requires timens
	update_config '.linux.namespaces += [{"type": "time"}]'
	set_args /bin/checker ns
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	for ns in cgroup ipc mnt net pid uts time; do
		echo "$ns: inside $(field $ns) host $(host_ns $ns)"
		echo "$output" | grep -q "^$ns=$ns:\["
		[ "$(field "$ns")" != "$(host_ns "$ns")" ]
	done
	[ "$(field user)" = "$(host_ns user)" ]
	# In its own pid namespace the process is pid 1.
	[ "$(field pid)" = 1 ]
}

@test "without a network namespace the process shares the host's" {
	update_config '.linux.namespaces |= map(select(.type != "network"))'
	set_args /bin/checker ns
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(field net)" = "$(host_ns net)" ]
	[ "$(field uts)" != "$(host_ns uts)" ]
}

@test "joining an existing network namespace by path" {
	NETNS="hull-$CID"
	ip netns add "$NETNS"
	ip -n "$NETNS" link set lo up
	want="net:[$(stat -L -c %i /var/run/netns/"$NETNS")]"
	update_config '.linux.namespaces |= map(if .type == "network" then .path = "/var/run/netns/'"$NETNS"'" else . end)'
	# lo is up only in that namespace: a fresh one has it down.
	set_args /bin/sh -c 'checker ns; ip link show lo | grep -q "[<,]UP[,>]" && echo lo=up; true'
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(field net)" = "$want" ]
	[ "$(field lo)" = up ]
	update_config '.linux.namespaces |= map(del(.path))'
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(field net)" != "$want" ]
	[ "$(field lo)" = "" ]
}

@test "joining a namespace path that is not a namespace fails, naming it" {
	update_config '.linux.namespaces |= map(if .type == "ipc" then .path = "/etc/hostname" else . end)'
	hull_detached create --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.namespaces"*"/etc/hostname"* ]]
	check_no_leftovers
}

@test "user namespace: container root maps to a host uid" {
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 300000, "size": 65536}]
		| .root.readonly = false'
	userns_bundle
	chown -R 200000:300000 "$BUNDLE/rootfs"
	set_args /bin/sh -c 'checker ids; checker ns; checker read /proc/self/uid_map; checker read /proc/self/gid_map; checker stat /bin/busybox; checker write /tmp/x y; sleep 30'
	hull_detached run --detach --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	pid=$(hull state "$CID" | jq -r .pid)
	for _ in $(seq 50); do grep -q '^write=' "$BATS_TEST_TMPDIR/ctr.out" && break; sleep 0.05; done
	# Seen from the host, the process runs as the mapped ids.
	[ "$(awk '/^Uid:/ {print $2}' /proc/"$pid"/status)" = 200000 ]
	[ "$(awk '/^Gid:/ {print $2}' /proc/"$pid"/status)" = 300000 ]
	output=$(cat "$BATS_TEST_TMPDIR/ctr.out")
	echo "$output"
	[ "$(field uid)" = 0 ]
	[ "$(field gid)" = 0 ]
	[ "$(field user)" != "$(host_ns user)" ]
	echo "$output" | grep -Eq '^first_line= *0 +200000 +65536$'
	echo "$output" | grep -Eq '^first_line= *0 +300000 +65536$'
	# Files owned by the mapped host ids belong to root inside.
	echo "$output" | grep -qx 'uid=0'
	[ "$(field write)" = ok ]
	[ "$(stat -c %u "$BUNDLE/rootfs/tmp/x")" = 200000 ]
	hull kill "$CID" KILL
	wait_for_status "$CID" stopped
	hull delete "$CID"
}

@test "user namespace: an unmapped host file is nobody's and not writable" {
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}]
		| .root.readonly = false'
	userns_bundle
	chmod 755 "$BUNDLE/rootfs/tmp"
	set_args /bin/sh -c 'checker stat /tmp; checker write /tmp/x y'
	run_hull run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(field uid)" = 65534 ]
	[ "$(field write)" = EACCES ]
}

@test "cgroup namespace: the container's cgroup is its root" {
	set_args /bin/cat /proc/self/cgroup
	run_hull run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	# Every hierarchy the container was placed in reads as "/".
	[ -n "$output" ]
	[ -z "$(echo "$output" | grep -v ':/$')" ]
	# Without the namespace the full path shows.
	update_config '.linux.namespaces |= map(select(.type != "cgroup"))'
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	echo "$output" | grep -q ":$TEST_CGROUP_PARENT/$CID\$"
}

@test "time namespace: timeOffsets shift boottime and monotonic clocks" {
	requires timens
	update_config '.linux.namespaces += [{"type": "time"}]
		| .linux.timeOffsets = {"boottime": {"secs": 864000, "nanosecs": 0}, "monotonic": {"secs": 172800}}'
	set_args /bin/cat /proc/uptime
	before=$(cut -d. -f1 /proc/uptime)
	run_hull run --bundle "$BUNDLE" "$CID"
	after=$(cut -d. -f1 /proc/uptime)
	[ "$status" -eq 0 ]
	inside=${output%%.*}
	echo "host $before..$after inside $inside"
	[ "$inside" -ge $((before + 864000)) ]
	[ "$inside" -le $((after + 864000 + 1)) ]
}

# runc spec's config without the mount namespace (and without what runc
# itself refuses then: maskedPaths, readonlyPaths; and the mounts, which
# would be made on the host).
nomntns_bundle() {
	(cd "$BUNDLE" && rm config.json && runc spec)
	update_config '.process.terminal = false | .root.readonly = false
		| .linux.cgroupsPath = "'"$TEST_CGROUP_PARENT/$CID"'"
		| .linux.namespaces |= map(select(.type != "mount"))
		| .mounts = [] | del(.linux.maskedPaths) | del(.linux.readonlyPaths)'
}

# Issue #8 item 4: refused before ("a mount namespace is required").
@test "without a mount namespace (runc spec) the process runs chrooted in root.path, in the host's mount namespace" {
	requires runc
	nomntns_bundle
	update_config '.process.cwd = "/tmp"'
	set_args /bin/sh -c 'pwd; cat /etc/passwd; exec checker sleep 60'
	hull_detached run --detach --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	pid=$(hull state "$CID" | jq -r .pid)
	[ "$(readlink /proc/"$pid"/ns/mnt)" = "$(readlink /proc/self/ns/mnt)" ]
	[ "$(readlink /proc/"$pid"/root)" = "$BUNDLE/rootfs" ]
	[ "$(readlink /proc/"$pid"/cwd)" = "$BUNDLE/rootfs/tmp" ]
	# Nothing was mounted on the host for it.
	run grep -c " $BUNDLE" /proc/self/mountinfo
	[ "$output" = 0 ]
	hull delete --force "$CID"
	output=$(cat "$BATS_TEST_TMPDIR/ctr.out")
	# (runc spec's ambient capabilities add a warning line of Hull's.)
	echo "$output" | grep -qx /tmp
	[[ "$output" == *"nobody:x:65534"* ]]
}

@test "without a mount namespace, mounts and maskedPaths are refused by name, nothing left behind" {
	requires runc
	nomntns_bundle
	update_config '.mounts = [{"destination": "/proc", "type": "proc", "source": "proc"}]'
	hull_detached create --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"mounts: needs a mount namespace"* ]]
	check_no_leftovers
	update_config '.mounts = [] | .linux.maskedPaths = ["/proc/kcore"]'
	hull_detached create --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.maskedPaths: needs a mount namespace"* ]]
	check_no_leftovers
}

@test "user namespace without a network namespace: the host /sys bound in is read-only, its submounts too" {
	update_config '.linux.namespaces |= (map(select(.type != "network")) + [{"type": "user"}])
		| .linux.uidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}]
		| .mounts |= map(select(.destination != "/sys/fs/cgroup"))
		| .mounts |= map(if .destination == "/sys" then .options = ["nosuid", "noexec", "nodev"] else . end)
		| .root.readonly = false'
	userns_bundle
	chown -R 200000:200000 "$BUNDLE/rootfs"
	# sysfs cannot be mounted without owning the network namespace: the
	# host's /sys is bound instead, and /sys/fs/cgroup is a submount of it.
	grep -q ' /sys/fs/cgroup ' /proc/self/mountinfo
	set_args /bin/sh -c 'checker mountinfo /sys; checker mountinfo /sys/fs/cgroup'
	run_hull run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | grep -c '^opts=')" -eq 2 ]
	[ "$(echo "$output" | grep -c '^opts=ro,')" -eq 2 ]
}
