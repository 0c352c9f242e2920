#!/usr/bin/env bats
# create / start / state / kill / delete / run, as engines drive them.

load helpers

setup() {
	requires root
	setup_bundle
}

teardown() {
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
