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
