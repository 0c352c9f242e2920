#!/usr/bin/env bats
# NOTIFY_SOCKET passthrough: the container gets a socket of its own, and
# its READY=1 reaches the caller's socket only once `start` ran (start
# returns after forwarding it, as runc does).

load helpers

setup() {
	requires root python3
	setup_bundle
	SOCK="$BATS_TEST_TMPDIR/notify.sock"
	LOG="$BATS_TEST_TMPDIR/notify.log"
	# A datagram listener standing in for systemd: one line per message.
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
open(sys.argv[2], "w").close()
while True:
    m = s.recv(4096)
    with open(sys.argv[2], "a") as f:
        f.write(m.decode().replace("\n", " ") + "\n")
' "$SOCK" "$LOG" &
	LISTENER_PID=$!
	for _ in $(seq 50); do [ -S "$SOCK" ] && [ -e "$LOG" ] && break; sleep 0.05; done
}

teardown() {
	[ -z "${START_PID:-}" ] || kill "$START_PID" 2>/dev/null || true
	kill "$LISTENER_PID" 2>/dev/null || true
	wait "$LISTENER_PID" 2>/dev/null || true
	teardown_bundle
	check_no_leftovers
}

# wait_for_log LINE: the listener received LINE (it may lag a datagram).
wait_for_log() {
	for _ in $(seq 50); do
		grep -qx "$1" "$LOG" && return 0
		sleep 0.05
	done
	echo "listener never got \"$1\"; it has: $(cat "$LOG")" >&2
	return 1
}

@test "READY=1 reaches NOTIFY_SOCKET only after start" {
	set_args /bin/sh -c 'checker env NOTIFY_SOCKET >/tmp/env; checker notify READY=1; exec checker sleep 30'
	update_config '.root.readonly = false'
	NOTIFY_SOCKET="$SOCK" hull_detached create --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	# Created: the process has not run, nothing may have been sent.
	[ ! -s "$LOG" ]
	run env NOTIFY_SOCKET="$SOCK" "$HULL_BIN" --root "$HULL_ROOT" start "$CID"
	[ "$status" -eq 0 ]
	wait_for_log READY=1
	# Inside, the variable names the container's own socket, not the host's.
	[ "$(cat "$BUNDLE/rootfs/tmp/env")" = NOTIFY_SOCKET=/run/notify/notify.sock ]
	hull kill "$CID" KILL
	wait_for_status "$CID" stopped
	hull delete "$CID"
}

@test "start forwards the messages before READY=1 and returns after it" {
	set_args /bin/sh -c 'checker notify STATUS=starting; checker notify "READY=1
STATUS=up"; exec checker sleep 30'
	NOTIFY_SOCKET="$SOCK" hull_detached run --detach --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	# run -d returned, so READY=1 was forwarded already (up to the listener's read).
	wait_for_log 'READY=1 STATUS=up'
	[ "$(head -1 "$LOG")" = STATUS=starting ]
	hull kill "$CID" KILL
	wait_for_status "$CID" stopped
	hull delete "$CID"
}

@test "a container that exits without READY=1 makes start fail" {
	set_args /bin/checker exit 0
	NOTIFY_SOCKET="$SOCK" hull_detached run --detach --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *READY=1* ]]
	[ ! -s "$LOG" ]
	hull delete --force "$CID" 2>/dev/null || true
}

@test "without NOTIFY_SOCKET the container gets none" {
	set_args /bin/checker env NOTIFY_SOCKET
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$output" = "NOTIFY_SOCKET=(unset)" ]
}

# --- issue 8/11: the relay passes only what systemd should hear from a
# container, and Hull itself names the main pid.

@test "the relay drops MAINPID= and FDSTORE= from the container and sends the init's MAINPID itself" {
	set_args /bin/sh -c 'checker notify "MAINPID=1
FDSTORE=1
READY=1
STATUS=up
EXTEND_TIMEOUT_USEC=5000000"; exec checker sleep 30'
	NOTIFY_SOCKET="$SOCK" hull_detached run --detach --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	wait_for_log 'READY=1 STATUS=up EXTEND_TIMEOUT_USEC=5000000'
	pid=$(hull state "$CID" | jq -r .pid)
	wait_for_log "MAINPID=$pid"
	wait_for_log BARRIER=1
	# Nothing the container chose for systemd's bookkeeping got through.
	run grep -E 'MAINPID=1( |$)|FDSTORE' "$LOG"
	[ "$status" -eq 1 ]
	hull kill "$CID" KILL
	wait_for_status "$CID" stopped
	hull delete "$CID"
}

@test "READY=1 inside another line is not readiness" {
	set_args /bin/sh -c 'checker notify "STATUS=waiting for READY=1"; checker notify "NOTREADY=1"; exit 0'
	NOTIFY_SOCKET="$SOCK" hull_detached run --detach --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"exited before notifying READY=1"* ]]
	wait_for_log 'STATUS=waiting for READY=1'
	run grep -x NOTREADY=1 "$LOG"
	[ "$status" -eq 1 ]
	hull delete --force "$CID" 2>/dev/null || true
}

@test "start binds the notify socket world-writable without a chmod through the container's directory" {
	command -v strace >/dev/null || skip "needs strace (apt-get install strace)"
	set_args /bin/sh -c 'ls -l /run/notify/notify.sock >/tmp/mode; checker notify READY=1; exec checker sleep 30'
	update_config '.root.readonly = false'
	NOTIFY_SOCKET="$SOCK" hull_detached create --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	run env NOTIFY_SOCKET="$SOCK" strace -f -qq -e trace=chmod,fchmodat -o "$BATS_TEST_TMPDIR/strace" \
		"$HULL_BIN" --root "$HULL_ROOT" start "$CID"
	[ "$status" -eq 0 ]
	# A chmod by path would follow a symlink the container put there.
	run grep notify.sock "$BATS_TEST_TMPDIR/strace"
	[ "$status" -eq 1 ]
	wait_for_log READY=1
	[[ "$(cat "$BUNDLE/rootfs/tmp/mode")" == srwxrwxrwx* ]]
	hull kill "$CID" KILL
	wait_for_status "$CID" stopped
	hull delete "$CID"
}

@test "run in the foreground keeps relaying STATUS and WATCHDOG after READY and sends no MAINPID" {
	set_args /bin/sh -c 'checker notify READY=1; checker notify STATUS=serving; checker notify WATCHDOG=1; checker notify MAINPID=1; checker notify "WATCHDOG=1
STATUS=done"'
	NOTIFY_SOCKET="$SOCK" run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	wait_for_log READY=1
	wait_for_log STATUS=serving
	wait_for_log 'WATCHDOG=1 STATUS=done'
	grep -qx WATCHDOG=1 "$LOG"
	run grep MAINPID "$LOG"
	[ "$status" -eq 1 ]
}

@test "start waits for READY=1 without holding the container's lock" {
	set_args /bin/sh -c 'touch /tmp/waiting; while [ ! -e /tmp/go ]; do sleep 0.1; done; checker notify READY=1; exec checker sleep 30'
	update_config '.root.readonly = false'
	NOTIFY_SOCKET="$SOCK" hull_detached create --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	NOTIFY_SOCKET="$SOCK" "$HULL_BIN" --root "$HULL_ROOT" start "$CID" \
		>"$BATS_TEST_TMPDIR/start.out" 2>&1 3>&- &
	START_PID=$!
	# start is waiting for READY=1: state must still answer (bounded,
	# so the old behaviour fails instead of hanging).
	for _ in $(seq 100); do [ -e "$BUNDLE/rootfs/tmp/waiting" ] && break; sleep 0.1; done
	[ -e "$BUNDLE/rootfs/tmp/waiting" ]
	run timeout 20 "$HULL_BIN" --root "$HULL_ROOT" state "$CID"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r .status)" = running ]
	[ ! -s "$LOG" ]
	touch "$BUNDLE/rootfs/tmp/go"
	wait "$START_PID"
	wait_for_log READY=1
	hull kill "$CID" KILL
	wait_for_status "$CID" stopped
	hull delete "$CID"
}
