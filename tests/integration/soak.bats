#!/usr/bin/env bats
# Crash and failure soak: Hull killed with SIGKILL at every step of create,
# and creates that fail at every stage, must leave nothing behind once
# `delete --force` ran: no cgroup in any hierarchy, no state directory, no
# mount, no process.  The steps are Hull's named test points
# (runtime/testpoint.h): HULL_TEST_STOP_AT=<name> makes Hull stop itself
# there, and the test kills it while it is stopped.

load helpers

# Every step of create, in order (runtime/create.c, runtime/spawn.c).
CREATE_POINTS="state-dir state-saved cgroup-planned cgroup-made cgroup-saved net-prepared root-open cloned spawned pid-saved"

setup() {
	requires root
	setup_bundle
	# The marker finds every process of this test: Hull's own clone child
	# inherits Hull's environment, the container's process gets it from
	# process.env.
	MARK="HULL_SOAK=$CID"
	update_config '.process.args = ["/bin/sleep", "1000"] | .process.env += ["'"$MARK"'"]'
}

teardown() {
	teardown_bundle
	soak_kill_marked
	check_no_leftovers
}

# Pids of processes that carry this test's marker in their environment.
soak_marked_pids() {
	local p
	for p in /proc/[0-9]*; do
		if tr "\0" "\n" 2>/dev/null <"$p/environ" | grep -qx "$MARK"; then
			echo "${p#/proc/}"
		fi
	done
}

soak_kill_marked() {
	local p
	for p in $(soak_marked_pids); do kill -9 "$p" 2>/dev/null || true; done
}

# soak_check WHAT: nothing of this container may be left; names WHAT if so.
soak_check() {
	local bad=0 procs
	if ! check_no_leftovers; then bad=1; fi
	# Hull's own cgroup parent for this test must not hold a stray group.
	procs=$(soak_marked_pids)
	if [ -n "$procs" ]; then
		echo "leftover processes: $procs" >&2
		ps -o pid,stat,args -p "$(echo $procs | tr ' ' ,)" >&2 || true
		bad=1
	fi
	if [ "$bad" -ne 0 ]; then
		echo "after: $1" >&2
		return 1
	fi
}

# kill_at VERB POINT: runs `hull VERB` stopped at POINT, kills it there with
# SIGKILL, then runs delete --force; nothing may be left.
kill_at() {
	local verb=$1 point=$2 pid
	env HULL_TEST_STOP_AT="$point" "$MARK" "$HULL_BIN" --root "$HULL_ROOT" \
		$verb --bundle "$BUNDLE" "$CID" </dev/null >"$BATS_TEST_TMPDIR/hull.out" 2>&1 &
	pid=$!
	if ! wait_stopped "$pid"; then
		echo "hull $verb never reached test point $point:" >&2
		cat "$BATS_TEST_TMPDIR/hull.out" >&2
		return 1
	fi
	kill -9 "$pid"
	{ wait "$pid"; } 2>/dev/null || true
	run_hull delete --force "$CID"
	if [ "$status" -ne 0 ]; then
		echo "delete --force after kill at $point: $output" >&2
		return 1
	fi
	soak_check "hull $verb killed at $point"
}

@test "hull create killed at each step, then delete --force, leaves nothing" {
	local point
	for point in $CREATE_POINTS; do
		kill_at create "$point"
	done
}

@test "hull run --detach killed at each step of create leaves nothing after delete --force" {
	local point
	for point in $CREATE_POINTS; do
		kill_at "run --detach" "$point"
	done
}

@test "HULL_TIMING: a line for every point of a run, in order, and its file is not open in the container" {
	local t="$BATS_TEST_TMPDIR/timing" points last=0 us
	set_args /bin/checker fds
	run env HULL_TIMING="$t" "$HULL_BIN" --root "$HULL_ROOT" run --bundle "$BUNDLE" "$CID" </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	# the container's descriptors: its stdio only
	[[ "$output" == *"fd=0:"* ]]
	[[ "$output" != *"timing"* ]]
	[ -z "$(echo "$output" | grep '^fd=' | grep -v '^fd=[012]:')" ]
	cat "$t"
	# "main" twice: before and after the runtime re-executes itself
	points=$(awk '{ print $1 }' "$t" | tr '\n' ' ')
	[ "$points" = "main main create parsed $CREATE_POINTS exit " ]
	# microseconds of CLOCK_MONOTONIC, never going back, and one pid
	while read -r _ us _ _; do
		[ "$us" -ge "$last" ]
		last=$us
	done <"$t"
	[ "$(awk '{ print $4 }' "$t" | sort -u | wc -l)" = 1 ]
}

@test "hull killed while a createRuntime hook runs leaves nothing after delete --force" {
	# The hook stops its parent, Hull, in the middle of the hook phase.
	update_config '.hooks.createRuntime = [{"path": "/bin/sh", "args": ["sh", "-c", "kill -STOP $PPID"]}]'
	kill_at create none
}

@test "creates that fail at each stage leave nothing" {
	# A hook that fails (runtime namespace, then container namespace).
	update_config '.hooks.createRuntime = [{"path": "/bin/false"}]'
	run_hull create --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	soak_check "failing createRuntime hook"
	update_config 'del(.hooks) | .hooks.createContainer = [{"path": "/bin/false"}]'
	run_hull create --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	soak_check "failing createContainer hook"
	# A hook binary that does not exist.
	update_config 'del(.hooks) | .hooks.prestart = [{"path": "/nonexistent/hook"}]'
	run_hull create --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	soak_check "missing hook binary"
	# A process binary that does not exist (create, then run).
	update_config 'del(.hooks) | .process.args = ["/nonexistent/binary"]'
	run_hull create --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"/nonexistent/binary"* ]]
	soak_check "missing process binary (create)"
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	soak_check "missing process binary (run)"
	# A cgroup value the kernel refuses after the group was made.
	update_config '.process.args = ["/bin/sleep", "1000"] | .linux.resources.cpu = {"cpus": "4095"}'
	run_hull run --detach --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	soak_check "cpuset the kernel refuses"
	# A rootfs mount that cannot be made (inside the container's setup).
	update_config 'del(.linux.resources.cpu) | .mounts += [{"destination": "/x", "type": "bind", "source": "/nonexistent/source", "options": ["bind"]}]'
	run_hull run --detach --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	soak_check "bind mount of a missing source"
}

@test "repeated create, start, kill and delete --force leave nothing" {
	local i
	for i in $(seq 1 6); do
		hull_detached run --detach --bundle "$BUNDLE" "$CID"
		[ "$status" -eq 0 ]
		if [ $((i % 2)) -eq 0 ]; then
			hull kill "$CID" KILL
		fi
		hull delete --force "$CID"
		soak_check "run/kill/delete round $i"
	done
}
