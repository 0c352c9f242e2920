#!/usr/bin/env bats
# Bad input: every case exits non-zero with a message that names the field
# or path at fault, and leaves nothing behind (state, cgroup, mounts,
# processes).

load helpers

setup() {
	requires root
	setup_bundle
	set_args /bin/checker sleep 30
}

teardown() {
	teardown_bundle
	check_no_leftovers
}

# No process may still have the bundle's rootfs as its root.
no_container_processes() {
	local p
	for p in /proc/[0-9]*; do
		if [ "$(readlink "$p/root" 2>/dev/null)" = "$BUNDLE/rootfs" ]; then
			echo "leftover process ${p#/proc/}" >&2
			return 1
		fi
	done
}

# create_fails SUBSTRING...: create must fail, its message must hold every
# SUBSTRING, and nothing may remain.
create_fails() {
	local s
	hull_detached create --bundle "$BUNDLE" "$CID"
	echo "status=$status output=$output"
	[ "$status" -ne 0 ]
	for s in "$@"; do
		[[ "$output" == *"$s"* ]] || { echo "message lacks: $s"; return 1; }
	done
	[ -z "$(ls -A "$HULL_ROOT" 2>/dev/null)" ] || { echo "state left: $(ls -A "$HULL_ROOT")"; return 1; }
	[ -z "$(cgroup_leftovers)" ] || { echo "cgroup left: $(cgroup_leftovers)"; return 1; }
	if grep -q " $BUNDLE" /proc/self/mountinfo; then echo "mounts left"; return 1; fi
	no_container_processes
	# `run` goes through the same path.
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[ -z "$(ls -A "$HULL_ROOT" 2>/dev/null)" ]
}

@test "config.json that is not JSON" {
	echo '{"ociVersion": "1.2.0", "process": ' >"$BUNDLE/config.json"
	create_fails config.json
}

@test "a missing config.json names the file" {
	rm "$BUNDLE/config.json"
	create_fails "$BUNDLE/config.json"
}

@test "wrong types name the JSON path" {
	cp "$BUNDLE/config.json" "$BATS_TEST_TMPDIR/good.json"
	update_config '.process.args = "/bin/sh"'
	create_fails process.args
	cp "$BATS_TEST_TMPDIR/good.json" "$BUNDLE/config.json"
	update_config '.process.user.uid = "root"'
	create_fails process.user.uid
	cp "$BATS_TEST_TMPDIR/good.json" "$BUNDLE/config.json"
	update_config '.hostname = 5'
	create_fails hostname
	cp "$BATS_TEST_TMPDIR/good.json" "$BUNDLE/config.json"
	update_config '.mounts[2].options = "ro"'
	create_fails "mounts[2].options"
	cp "$BATS_TEST_TMPDIR/good.json" "$BUNDLE/config.json"
	update_config '.process.user.uid = -1'
	create_fails process.user.uid
}

@test "an unknown rlimit names process.rlimits[N].type and the value" {
	update_config '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 10, "hard": 10}, {"type": "RLIMIT_FOO", "soft": 1, "hard": 1}]'
	create_fails 'process.rlimits[1].type' RLIMIT_FOO
}

@test "an rlimit whose soft value exceeds its hard value" {
	update_config '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 100, "hard": 10}]'
	create_fails 'process.rlimits[0]'
}

@test "missing root.path, and a rootfs that does not exist" {
	update_config 'del(.root.path)'
	create_fails root.path
	update_config '.root.path = "rootfs"'
	rm -rf "$BUNDLE/rootfs"
	create_fails root.path "$BUNDLE/rootfs"
}

@test "an unknown namespace type names linux.namespaces[N].type" {
	update_config '.linux.namespaces += [{"type": "bogus"}]'
	create_fails 'linux.namespaces[6].type' bogus
}

@test "a relative mount destination names mounts[N].destination" {
	update_config '.mounts += [{"destination": "relative/dir", "type": "tmpfs", "source": "tmpfs"}]'
	create_fails 'mounts[7].destination' 'absolute'
}

@test "a cgroupsPath with .. is refused" {
	update_config '.linux.cgroupsPath = "'"$TEST_CGROUP_PARENT"'/../escape-'"$CID"'"'
	create_fails linux.cgroupsPath
	[ ! -d "/sys/fs/cgroup/memory/escape-$CID" ]
	[ ! -d "/sys/fs/cgroup/cpu,cpuacct/escape-$CID" ]
}

@test "a missing bind source fails in the child, naming the mount; nothing left" {
	update_config '.mounts += [{"destination": "/mnt/x", "type": "bind", "source": "'"$BATS_TEST_TMPDIR"'/no-such-dir", "options": ["bind"]}]'
	create_fails 'mounts[7]' no-such-dir
}

@test "a failing mount of an unknown filesystem type names it; nothing left" {
	update_config '.mounts += [{"destination": "/mnt/x", "type": "nosuchfs", "source": "none"}]'
	create_fails 'mounts[7]' nosuchfs
}

@test "an id that is not a valid container id" {
	hull_detached create --bundle "$BUNDLE" "../escape"
	[ "$status" -ne 0 ]
	[[ "$output" == *"../escape"* ]]
	[ -z "$(ls -A "$HULL_ROOT" 2>/dev/null)" ]
	[ ! -e "$(dirname "$HULL_ROOT")/escape" ]
}

@test "unknown fields are ignored, as the spec says" {
	update_config '.someFutureField = {"x": 1} | .process.unknownThing = true | .linux.newKnob = [1]'
	set_args /bin/checker exit 0
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
}

@test "bad flags and a missing id are usage errors" {
	run_hull create --no-such-flag --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *no-such-flag* ]]
	run_hull create --bundle "$BUNDLE"
	[ "$status" -ne 0 ]
	[[ "$output" == *"id"* ]]
	run_hull create --preserve-fds many --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"--preserve-fds"* ]]
	run_hull kill
	[ "$status" -ne 0 ]
	run_hull --log-format yaml list
	[ "$status" -ne 0 ]
	[[ "$output" == *yaml* ]]
	[ -z "$(ls -A "$HULL_ROOT" 2>/dev/null)" ]
}

@test "an unknown verb is named" {
	run_hull frobnicate "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *'unknown command "frobnicate"'* ]]
}

@test "verbs on a container that does not exist name it" {
	for v in start state delete; do
		run_hull "$v" nosuch-"$CID"
		[ "$status" -ne 0 ]
		[[ "$output" == *nosuch-"$CID"*"does not exist"* ]]
	done
	run_hull kill nosuch-"$CID" KILL
	[ "$status" -ne 0 ]
	[[ "$output" == *nosuch-"$CID"* ]]
}

@test "--systemd-cgroup without systemd as init fails clearly, leaving nothing" {
	if [ -d /run/systemd/system ]; then
		skip "systemd is the init system here (the driver is tested in systemd.bats)"
	fi
	run "$HULL_BIN" --root "$HULL_ROOT" --systemd-cgroup run --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"--systemd-cgroup: systemd is not the init system here"* ]]
	[ ! -e "$HULL_ROOT/$CID" ]
	[ -z "$(cgroup_leftovers)" ]
}
