#!/usr/bin/env bats
# bats file_tags=vm
# The cgroup manager: limits that bite, pause/resume, update, events, ps,
# teardown and bad input.  Runs on v1/hybrid hosts and on pure v2 (the VM).

load helpers
load cgroup_helpers

setup() {
	requires root
	setup_bundle
}

teardown() {
	teardown_bundle
	cg_foreign_cleanup
	if [ -n "${other:-}" ]; then kill -9 "$other" 2>/dev/null || true; fi
	check_no_leftovers
}

@test "a memory limit OOM-kills a process above it and not one below" {
	update_config '.linux.resources.memory = {"limit": 33554432, "swap": 33554432}'
	# checker touches every page itself: a shell pipeline filling a
	# variable took most of a minute under the test VM's emulation
	set_args /bin/checker mem 8
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[[ "$output" == *mem=ok* ]]
	set_args /bin/checker mem 128
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" != *mem=ok* ]]
}

@test "a pids limit stops fork" {
	update_config '.linux.resources.pids = {"limit": 10}'
	set_args /bin/sh -c 'i=0; while [ $i -lt 30 ]; do sleep 3 & i=$((i+1)); done; echo all-forked'
	run_hull run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[[ "$output" == *"fork"* ]]
	[[ "$output" != *all-forked* ]]
}

@test "a CPU quota of 0.1 holds a busy loop near 10% (usage counters)" {
	# A small quota, so that the loop hits it even on a busy machine where
	# it would get only a fraction of a CPU anyway.
	update_config '.linux.resources.cpu = {"quota": 10000, "period": 100000}'
	set_args /bin/sh -c 'while :; do :; done'
	hull_detached run --detach --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	sleep 0.5
	u0=$(cpu_usage_usec); t0=$(date +%s%N)
	sleep 3
	u1=$(cpu_usage_usec); t1=$(date +%s%N)
	share=$(( (u1 - u0) * 1000 / ((t1 - t0) / 1000) ))   # per mille of one CPU
	echo "busy loop got ${share}/1000 of a CPU, throttled $(cpu_nr_throttled) times"
	[ "$share" -le 150 ]
	[ "$(cpu_nr_throttled)" -gt 0 ]
}

@test "a denied device cannot be opened, an allowed one can" {
	# The node comes from a bind mount, not linux.devices: devices listed
	# there are allowed in the device cgroup (as runc does).
	update_config '.mounts += [{"destination": "/dev/kmsg", "type": "bind", "source": "/dev/kmsg", "options": ["bind"]}]'
	set_args /bin/sh -c 'echo hull-cgroup-test >/dev/kmsg && echo opened'
	run_hull run --bundle "$BUNDLE" "$CID"
	[[ "$output" != *opened* ]]
	[[ "$output" == *"not permitted"* ]]
	update_config '.linux.resources.devices = [{"allow": false, "access": "rwm"}, {"allow": true, "type": "c", "major": 1, "minor": 11, "access": "w"}]'
	run_hull run --bundle "$BUNDLE" "$CID"
	[[ "$output" == *opened* ]]
}

@test "pause freezes and resume thaws; ps lists the processes" {
	set_args /bin/sleep 60
	hull_detached run --detach --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	run_hull ps --format json "$CID"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq length)" -eq 1 ]
	run_hull ps "$CID"
	[[ "$output" == *PID* && "$output" == *sleep* ]]
	hull pause "$CID"
	cg_frozen
	[ "$(hull state "$CID" | jq -r .status)" = paused ]
	hull list | grep -q paused
	run_hull pause "$CID"
	[ "$status" -ne 0 ]
	hull resume "$CID"
	run cg_frozen
	[ "$status" -ne 0 ]
	[ "$(hull state "$CID" | jq -r .status)" = running ]
}

@test "update changes a live limit and records it in the state" {
	update_config '.linux.resources = {"memory": {"limit": 67108864}, "pids": {"limit": 20}}'
	set_args /bin/sleep 60
	hull_detached run --detach --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(memory_limit)" = 67108864 ]
	hull update --memory 100m --pids-limit 30 "$CID"
	[ "$(memory_limit)" = 104857600 ]
	[ "$(cat "$(cg_dir pids)/pids.max")" = 30 ]
	echo '{"pids": {"limit": 40}}' | hull update -r - "$CID"
	[ "$(cat "$(cg_dir pids)/pids.max")" = 40 ]
	[ "$(jq '.resources.memory.limit' "$HULL_ROOT/$CID/state.json")" = 104857600 ]
	[ "$(jq '.resources.pids.limit' "$HULL_ROOT/$CID/state.json")" = 40 ]
	run_hull update --l3-cache-schema L3:0=f "$CID"
	[ "$status" -ne 0 ]
}

@test "update below the current usage fails clearly and changes nothing" {
	update_config '.linux.resources = {"memory": {"limit": 134217728}, "pids": {"limit": 20}}'
	set_args /bin/checker mem 24 hold
	hull_detached run --detach --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	wait_memory_above 16000000
	run_hull update --memory 4m --pids-limit 5 "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"below the container's current usage"* ]]
	[ "$(memory_limit)" = 134217728 ]
	[ "$(cat "$(cg_dir pids)/pids.max")" = 20 ]
	run_hull update -r - "$CID" <<<'{"unified": {"memory.nosuchfile": "1"}}'
	[ "$status" -ne 0 ]
	[[ "$output" == *'unknown key "memory.nosuchfile"'* ]]
}

@test "events reports stats and an OOM kill" {
	update_config '.linux.resources.memory = {"limit": 33554432, "swap": 33554432}'
	# checker touches the pages directly: fast enough under the test VM's
	# emulation too, where a shell pipeline took longer than the wait.
	# The process exceeds its limit only once `events` is watching (events
	# reports OOM kills that happen while it runs, as runc's does).
	set_args /bin/sh -c 'while [ ! -e /tmp/go ]; do sleep 0.1; done; /bin/checker mem 128; sleep 60'
	update_config '.root.readonly = false'
	hull_detached run --detach --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	run_hull events --stats "$CID"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r .type)" = stats ]
	echo "$output" | jq -e '.data.memory.usage.limit == 33554432'
	"$HULL_BIN" --root "$HULL_ROOT" events --interval 1s "$CID" >"$BATS_TEST_TMPDIR/events" 2>&1 &
	local ev=$! i
	# Its first stats line says it is watching; the loops only bound a failure.
	for i in $(seq 1 600); do
		grep -q '"type":"stats"' "$BATS_TEST_TMPDIR/events" && break
		sleep 0.2
	done
	hull exec "$CID" /bin/touch /tmp/go
	for i in $(seq 1 600); do
		grep -q '"type":"oom"' "$BATS_TEST_TMPDIR/events" && break
		sleep 0.2
	done
	kill "$ev" 2>/dev/null || true   # it may have ended with the container
	cat "$BATS_TEST_TMPDIR/events"   # shown when the test fails
	grep '"type":"oom"' "$BATS_TEST_TMPDIR/events"
}

# every_line_in_group TEXT: each line of a /proc/PID/cgroup is the
# container's group, and there is one per hierarchy the host has.
every_line_in_group() {
	echo "$1"
	[ "$(echo "$1" | wc -l)" -eq "$(wc -l </proc/self/cgroup)" ]
	[ -z "$(echo "$1" | grep -v ":$TEST_CGROUP_PARENT/$CID\$")" ]
}

@test "the init and an exec'd process are in the container's group of every hierarchy" {
	# Seen from inside, without a cgroup namespace to hide the paths.  On a
	# v1/hybrid host the child writes itself into each v1 group and clone3
	# places it in the cgroup2 one (cgroups/cgroup.h): a hierarchy it
	# missed would show the runtime's group here.
	update_config '.linux.namespaces |= map(select(.type != "cgroup"))'
	set_args /bin/cat /proc/self/cgroup
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	every_line_in_group "$output"
	set_args /bin/sleep 60
	hull_detached run --detach --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	run hull exec "$CID" /bin/cat /proc/self/cgroup
	[ "$status" -eq 0 ]
	every_line_in_group "$output"
}

@test "no group survives delete, also delete --force of a running container" {
	set_args /bin/sleep 60
	hull_detached run --detach --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ -d "$(cg_dir memory)" ]
	hull delete --force "$CID"
	[ -z "$(cgroup_leftovers)" ]
	[ ! -d "$(cg_dir memory)" ]
}

@test "bad cgroup input is a clear error and leaves nothing" {
	update_config '.linux.resources.unified = {"memory.nosuchfile": "1"}'
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *'unknown key "memory.nosuchfile"'* ]]
	[ -z "$(cgroup_leftovers)" ]
	update_config 'del(.linux.resources.unified) | .linux.resources.devices = [{"allow": true, "type": "q", "access": "rwm"}]'
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *'linux.resources.devices[0].type'* ]]
	update_config 'del(.linux.resources.devices) | .linux.cgroupsPath = "/hull-test/../escape"'
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *'..'* ]]
	[ ! -d /sys/fs/cgroup/memory/escape ] && [ ! -d /sys/fs/cgroup/escape ]
}

# A cgroup of the test's own (not Hull's) in the v1 freezer hierarchy;
# removed by cg_foreign_cleanup.
cg_foreign_freezer() {
	FOREIGN="/sys/fs/cgroup/freezer/hull-test-$CID"
	mkdir "$FOREIGN"
}

cg_foreign_cleanup() {
	local p
	[ -n "${FOREIGN:-}" ] && [ -d "$FOREIGN" ] || return 0
	echo THAWED >"$FOREIGN/freezer.state" 2>/dev/null || true
	for p in $(cat "$FOREIGN/cgroup.procs" 2>/dev/null); do
		kill -9 "$p" 2>/dev/null || true
		echo "$p" >/sys/fs/cgroup/freezer/cgroup.procs 2>/dev/null || true
	done
	rmdir "$FOREIGN" 2>/dev/null || true
}

@test "delete --force kills an init that someone moved into a frozen v1 freezer, and leaves that freezer alone" {
	requires cgroup_v1
	[ -d /sys/fs/cgroup/freezer ] || skip "needs the v1 freezer hierarchy"
	set_args /bin/sleep 1000
	hull_detached run --detach --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	pid=$(hull state "$CID" | jq .pid)
	cg_foreign_freezer
	echo "$pid" >"$FOREIGN/cgroup.procs"
	echo FROZEN >"$FOREIGN/freezer.state"
	for i in $(seq 1 50); do
		grep -qx FROZEN "$FOREIGN/freezer.state" && break
		sleep 0.1
	done
	run_hull delete --force "$CID"
	echo "$output"
	# Success must mean the process is gone (a zombie awaiting its reaper
	# is gone for this purpose).
	[ "$status" -eq 0 ]
	st=$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null || echo gone)
	[ "$st" = gone ] || [ "$st" = Z ]
	[ ! -d "$HULL_ROOT/$CID" ]
	# The test's own freezer group is still there, still frozen.
	[ -d "$FOREIGN" ]
	grep -qx FROZEN "$FOREIGN/freezer.state"
	cg_foreign_cleanup
}

# bats test_tags=vm
@test "a cgroupsPath that holds another container's processes is refused, and the other survives" {
	set_args /bin/sleep 1000
	hull_detached run --detach --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	pid=$(hull state "$CID" | jq .pid)
	# A second container with the same cgroupsPath.
	hull_detached run --detach --bundle "$BUNDLE" "$CID-2"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"$TEST_CGROUP_PARENT/$CID"*"process"* ]]
	[ ! -d "$HULL_ROOT/$CID-2" ]
	# The first one still runs, its group is intact.
	[ "$(hull state "$CID" | jq -r .status)" = running ]
	kill -0 "$pid"
	[ -d "$(cg_dir memory)" ]
	grep -qx "$pid" "$(cg_dir memory)/cgroup.procs"
	hull delete --force "$CID"
}

# bats test_tags=vm
@test "delete neither kills nor removes a cgroup that Hull did not make" {
	# The test makes the container's group itself (in every hierarchy),
	# and puts a process of its own in it once the container runs.
	local d
	for d in $(cgroup_dirs_for "$CID"); do mkdir -p "$d"; done
	if [ -f "$(cg_dir cpuset)/cpuset.cpus" ] && ! cg_is_v2; then
		cat "$(dirname "$(cg_dir cpuset)")/cpuset.cpus" >"$(cg_dir cpuset)/cpuset.cpus"
		cat "$(dirname "$(cg_dir cpuset)")/cpuset.mems" >"$(cg_dir cpuset)/cpuset.mems"
	fi
	set_args /bin/sleep 1000
	hull_detached run --detach --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	pid=$(hull state "$CID" | jq .pid)
	sleep 1000 &
	other=$!
	for d in $(cgroup_dirs_for "$CID"); do echo "$other" >"$d/cgroup.procs"; done
	hull delete --force "$CID"
	# The container's process is gone, the other one is not.
	st=$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null || echo gone)
	[ "$st" = gone ] || [ "$st" = Z ]
	kill -0 "$other"
	for d in $(cgroup_dirs_for "$CID"); do [ -d "$d" ]; done
	kill -9 "$other"
	wait "$other" || true
	for d in $(cgroup_dirs_for "$CID"); do rmdir "$d"; done
}
