#!/usr/bin/env bats
# create / start / state / kill / delete / run, as engines drive them.

load helpers

setup() {
	requires root
	setup_bundle
}

teardown() {
	# Background commands a test left waiting (they may hold the lock).
	local p
	for p in ${bg_pids:-}; do kill -9 "$p" 2>/dev/null || true; done
	for p in ${gates:-}; do timeout 2 sh -c "echo >$p" 2>/dev/null || true; done
	teardown_bundle
	check_no_leftovers
}

@test "run prints the container's output and exits with its status" {
	set_args /bin/checker ids
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[[ "$output" == *"uid=0"* ]]
	set_args /bin/checker exit 3
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 3 ]
}

@test "run reports 128+N when the process dies of signal N" {
	# A pid namespace's init ignores its own SIGKILL, so kill from outside.
	set_args /bin/checker sleep 30
	"$HULL_BIN" --root "$HULL_ROOT" run --bundle "$BUNDLE" "$CID" </dev/null >/dev/null 2>&1 &
	runner=$!
	wait_for_status "$CID" running
	hull kill "$CID" KILL
	rc=0
	wait "$runner" || rc=$?
	[ "$rc" -eq 137 ]
}

@test "create, start, state and delete walk through the statuses" {
	set_args /bin/checker sleep 30
	hull_detached create --bundle "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/pid" "$CID"
	[ "$status" -eq 0 ]
	run_hull state "$CID"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r .status)" = created ]
	[ "$(echo "$output" | jq -r .pid)" = "$(cat "$BATS_TEST_TMPDIR/pid")" ]
	[ "$(echo "$output" | jq -r .bundle)" = "$BUNDLE" ]
	run_hull start "$CID"
	[ "$status" -eq 0 ]
	wait_for_status "$CID" running
	run_hull start "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"not created"* ]]
	run_hull delete "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"--force"* ]]
	run_hull kill "$CID" KILL
	[ "$status" -eq 0 ]
	wait_for_status "$CID" stopped
	run_hull delete "$CID"
	[ "$status" -eq 0 ]
	run_hull state "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"does not exist"* ]]
}

@test "kill accepts names with and without SIG, and numbers" {
	set_args /bin/sh -c 'trap "echo got-usr1 > /tmp/usr1" USR1; while true; do sleep 0.1; done'
	hull_detached run --detach --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	run_hull kill "$CID" SIGUSR1
	[ "$status" -eq 0 ]
	run_hull kill "$CID" BOGUS
	[ "$status" -ne 0 ]
	[[ "$output" == *'unknown signal "BOGUS"'* ]]
	run_hull kill "$CID" 9
	[ "$status" -eq 0 ]
	wait_for_status "$CID" stopped
	hull delete "$CID"
}

@test "list shows containers in table and json form" {
	set_args /bin/checker sleep 30
	hull_detached create --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	run_hull list
	[ "$status" -eq 0 ]
	[[ "$output" == *"$CID"*created* ]]
	run_hull list --format json
	[ "$(echo "$output" | jq -r '.[0].id')" = "$CID" ]
	run_hull list -q
	[ "$output" = "$CID" ]
	hull delete --force "$CID"
}

@test "delete --force of a created container kills it and cleans up" {
	set_args /bin/checker sleep 30
	hull_detached create --bundle "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/pid" "$CID"
	pid=$(cat "$BATS_TEST_TMPDIR/pid")
	[ -d /proc/"$pid" ]
	hull delete --force "$CID"
	# Gone, or a zombie waiting for its reaper (create's parent exited).
	[ ! -d /proc/"$pid" ] || grep -q '^State:.*Z' /proc/"$pid"/status
}

@test "the state's config.json is the text create parsed, though the bundle's changes during the create" {
	local pid rc=0
	set_args /bin/checker sleep 30
	cp "$BUNDLE/config.json" "$BATS_TEST_TMPDIR/parsed.json"
	env HULL_TEST_STOP_AT=parsed "$HULL_BIN" --root "$HULL_ROOT" create --bundle "$BUNDLE" "$CID" \
		</dev/null >"$BATS_TEST_TMPDIR/create.out" 2>&1 &
	pid=$!
	bg_pids="$pid"
	wait_stopped "$pid"
	# stopped right after the parse: the bundle's file changes now
	set_args /bin/checker sleep 31
	kill -CONT "$pid"
	wait "$pid" || rc=$?
	cat "$BATS_TEST_TMPDIR/create.out"
	[ "$rc" -eq 0 ]
	cmp "$BATS_TEST_TMPDIR/parsed.json" "$HULL_ROOT/$CID/config.json"
	[ "$(jq -r '.process.args[2]' "$HULL_ROOT/$CID/config.json")" = 30 ]
	# ...and it is what the container runs
	hull start "$CID"
	[ "$(tr '\0' ' ' <"/proc/$(hull state "$CID" | jq -r .pid)/cmdline")" = "/bin/checker sleep 30 " ]
	hull delete --force "$CID"
}

@test "a duplicate id is refused and the first container survives" {
	set_args /bin/checker sleep 30
	hull_detached create --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	hull_detached create --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"already exists"* ]]
	[ "$(hull state "$CID" | jq -r .status)" = created ]
	hull delete --force "$CID"
}

@test "stdin reaches the process in the foreground" {
	set_args /bin/sh -c 'read line; echo "read:$line"'
	run bash -c "echo hello | '$HULL_BIN' --root '$HULL_ROOT' run --bundle '$BUNDLE' '$CID'"
	[ "$status" -eq 0 ]
	[ "$output" = "read:hello" ]
}

@test "--help works on every verb and --version names the spec" {
	for v in create start run state kill delete list spec features exec; do
		run "$HULL_BIN" "$v" --help
		[ "$status" -eq 0 ]
		[[ "$output" == *"Usage: hull $v"* ]]
	done
	run "$HULL_BIN" --version
	[[ "$output" == *"spec: 1.2.0"* ]]
}

@test "LISTEN_FDS socket activation passes the fds and rewrites LISTEN_PID" {
	set_args /bin/sh -c 'echo "fds=$LISTEN_FDS pid=$LISTEN_PID"; cat <&3'
	echo activated >"$BATS_TEST_TMPDIR/fd3"
	run bash -c "exec 3<'$BATS_TEST_TMPDIR/fd3'; export LISTEN_FDS=1 LISTEN_PID=\$\$; \
		exec '$HULL_BIN' --root '$HULL_ROOT' run --bundle '$BUNDLE' '$CID'"
	[ "$status" -eq 0 ]
	[[ "$output" == *"fds=1 pid=1"* ]]
	[[ "$output" == *activated* ]]
}

@test "--log-format json writes errors as JSON lines" {
	run "$HULL_BIN" --root "$HULL_ROOT" --log "$BATS_TEST_TMPDIR/log.json" --log-format json state nosuch
	[ "$status" -ne 0 ]
	[ "$(jq -r .level "$BATS_TEST_TMPDIR/log.json")" = error ]
	[[ "$(jq -r .msg "$BATS_TEST_TMPDIR/log.json")" == *'"nosuch" does not exist'* ]]
	jq -e .time "$BATS_TEST_TMPDIR/log.json" >/dev/null
}

# hull_bounded ARGS: hull with a bound, so a command that would hang
# behind a lock fails the test instead of hanging it.
hull_bounded() {
	run timeout 20 "$HULL_BIN" --root "$HULL_ROOT" "$@"
}

@test "state, list, ps, kill and delete do not wait behind a start that waits for READY=1" {
	set_args /bin/sleep 1000
	# No listener is needed: the container never sends READY=1.
	export NOTIFY_SOCKET="$BATS_TEST_TMPDIR/notify.sock"
	hull_detached create --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	"$HULL_BIN" --root "$HULL_ROOT" start "$CID" </dev/null >"$BATS_TEST_TMPDIR/start.out" 2>&1 3>&- &
	start_pid=$!
	bg_pids=$start_pid
	unset NOTIFY_SOCKET
	# start removes the exec fifo once the process runs.
	for i in $(seq 1 100); do
		[ -e "$HULL_ROOT/$CID/exec.fifo" ] || break
		sleep 0.1
	done
	[ ! -e "$HULL_ROOT/$CID/exec.fifo" ]
	kill -0 "$start_pid"
	hull_bounded state "$CID"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r .status)" = running ]
	hull_bounded list
	[ "$status" -eq 0 ]
	[[ "$output" == *"$CID"* ]]
	hull_bounded ps "$CID"
	[ "$status" -eq 0 ]
	hull_bounded kill "$CID" KILL
	[ "$status" -eq 0 ]
	hull_bounded delete --force "$CID"
	[ "$status" -eq 0 ]
	# start gives up once the container is gone, with an error.
	run wait "$start_pid"
	[ "$status" -ne 0 ]
}

# lock_holder DIR GATE: holds the container lock on DIR until GATE is
# written to; returns once the lock is held.
lock_holder() {
	mkfifo "$2"
	gates="${gates:-} $2"
	flock "$1" cat "$2" >/dev/null 3>&- &
	bg_pids="${bg_pids:-} $!"
	for i in $(seq 1 100); do
		flock -n "$1" true || return 0
		sleep 0.05
	done
	return 1
}

@test "a command that waited for the lock of a removed container does not act on its successor" {
	set_args /bin/sleep 1000
	# An old directory for the id, locked by someone.
	mkdir -p "$HULL_ROOT/$CID"
	lock_holder "$HULL_ROOT/$CID" "$BATS_TEST_TMPDIR/gate1"
	"$HULL_BIN" --root "$HULL_ROOT" delete --force "$CID" </dev/null >"$BATS_TEST_TMPDIR/delete.out" 2>&1 3>&- &
	del_pid=$!
	bg_pids="$bg_pids $del_pid"
	# delete waits for the lock, with the old directory open.
	for i in $(seq 1 100); do
		ls -l "/proc/$del_pid/fd" 2>/dev/null | grep -q " $HULL_ROOT/$CID\$" && break
		sleep 0.05
	done
	ls -l "/proc/$del_pid/fd" | grep -q " $HULL_ROOT/$CID\$"
	# Meanwhile the directory goes away and a new container takes the id,
	# whose lock someone else holds.
	mv "$HULL_ROOT/$CID" "$BATS_TEST_TMPDIR/old-dir"
	hull_detached create --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	lock_holder "$HULL_ROOT/$CID" "$BATS_TEST_TMPDIR/gate2"
	echo >"$BATS_TEST_TMPDIR/gate1"
	# delete must now wait for the new container's lock, not delete it
	# under its holder's feet.
	for i in $(seq 1 30); do
		kill -0 "$del_pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$del_pid"
	[ "$(hull state "$CID" | jq -r .status)" = created ]
	echo >"$BATS_TEST_TMPDIR/gate2"
	wait "$del_pid"
	run_hull state "$CID"
	[ "$status" -ne 0 ]
	rmdir "$BATS_TEST_TMPDIR/old-dir"
}

@test "--pid-file follows no symlink, neither at its name nor at a temporary name" {
	requires python3
	set_args /bin/sleep 1000
	victim="$BATS_TEST_TMPDIR/victim"
	echo precious >"$victim"
	piddir="$BATS_TEST_TMPDIR/pids"
	mkdir "$piddir"
	ln -s "$victim" "$piddir/pid"
	# Every temporary name a predictable scheme could use next, made by
	# one process so that making them does not use up the pids.
	python3 -c '
import os, sys
last = int(open("/proc/sys/kernel/ns_last_pid").read())
top = int(open("/proc/sys/kernel/pid_max").read())
for i in range(3000):
    n = last + i
    if n >= top:
        n = n - top + 300
    os.symlink(sys.argv[1], "%s/.pid.tmp.%d" % (sys.argv[2], n))
' "$victim" "$piddir"
	hull_detached create --pid-file "$piddir/pid" --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(cat "$victim")" = precious ]
	[ ! -L "$piddir/pid" ]
	[ "$(cat "$piddir/pid")" = "$(hull state "$CID" | jq .pid)" ]
	hull delete --force "$CID"
}

@test "run --keep keeps the stopped container; create --keep is refused" {
	set_args /bin/sh -c 'exit 3'
	run_hull run --keep --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 3 ]
	[ "$(hull state "$CID" | jq -r .status)" = stopped ]
	hull delete "$CID"
	run_hull create --keep --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"--keep"* ]]
	[ ! -d "$HULL_ROOT/$CID" ]
}

@test "flags that Hull cannot honour are refused, not ignored" {
	run "$HULL_BIN" --root "$HULL_ROOT" --criu /usr/sbin/criu list
	[ "$status" -ne 0 ]
	[[ "$output" == *"--criu"* ]]
	run "$HULL_BIN" --root "$HULL_ROOT" --rootless true list
	[ "$status" -ne 0 ]
	[[ "$output" == *"--rootless true"* ]]
	# What Hull does anyway is fine.
	run "$HULL_BIN" --root "$HULL_ROOT" --rootless auto list
	[ "$status" -eq 0 ]
	run "$HULL_BIN" --root "$HULL_ROOT" --rootless false list
	[ "$status" -eq 0 ]
}
