#!/usr/bin/env bats
# Hooks: the six kinds in the spec's order, with the state on stdin, their
# env and args, timeouts, and failures that leave nothing behind.

load helpers

setup() {
	requires root
	setup_bundle
	HOOKDIR="$BATS_TEST_TMPDIR/hooks"
	mkdir -p "$HOOKDIR"
	# One script for every kind: appends "KIND STATUS PID VAR" to the log.
	# It is reachable inside the container too (startContainer runs there)
	# through a bind mount of $HOOKDIR at the same path.
	cat >"$HOOKDIR/hook.sh" <<-'EOF'
	#!/bin/sh
	state=$(cat)
	st=$(echo "$state" | sed -n 's/.*"status": *"\([a-z]*\)".*/\1/p')
	pid=$(echo "$state" | sed -n 's/.*"pid": *\([0-9]*\).*/\1/p')
	echo "$1 $st ${pid:-none} ${HOOKVAR:-unset} $(readlink /proc/self/ns/mnt)" >>"$(dirname "$0")/log"
	exit "${2:-0}"
	EOF
	chmod 755 "$HOOKDIR/hook.sh"
	update_config '.mounts += [{"destination": "'"$HOOKDIR"'", "type": "bind", "source": "'"$HOOKDIR"'", "options": ["bind"]}]'
}

teardown() {
	teardown_bundle
	check_no_leftovers
}

# hook KIND [EXIT [TIMEOUT]]: appends one hook of KIND running hook.sh.
hook() {
	local extra=""
	[ -n "${3:-}" ] && extra=', "timeout": '"$3"
	update_config '.hooks.'"$1"' += [{"path": "'"$HOOKDIR/hook.sh"'",
		"args": ["hook.sh", "'"$1"'", "'"${2:-0}"'"], "env": ["HOOKVAR=v-'"$1"'"]'"$extra"'}]'
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

@test "all six hooks run in the spec's order with the state on stdin" {
	for k in prestart createRuntime createContainer startContainer poststart poststop; do
		hook "$k"
	done
	set_args /bin/checker sleep 30
	hull_detached create --bundle "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/pid" "$CID"
	[ "$status" -eq 0 ]
	pid=$(cat "$BATS_TEST_TMPDIR/pid")
	# Creation hooks have run, start hooks not yet.
	[ "$(cut -d' ' -f1 "$HOOKDIR/log" | tr '\n' ' ')" = "prestart createRuntime createContainer " ]
	hull start "$CID"
	wait_for_status "$CID" running
	hull kill "$CID" KILL
	wait_for_status "$CID" stopped
	hull delete "$CID"
	cat "$HOOKDIR/log"
	[ "$(cut -d' ' -f1 "$HOOKDIR/log" | tr '\n' ' ')" = "prestart createRuntime createContainer startContainer poststart poststop " ]
	# Status each kind saw, from the state on its stdin.
	[ "$(cut -d' ' -f2 "$HOOKDIR/log" | tr '\n' ' ')" = "creating creating creating created running stopped " ]
	# Every hook got the container's pid (poststop may see it or not).
	[ "$(head -5 "$HOOKDIR/log" | cut -d' ' -f3 | sort -u)" = "$pid" ]
	# Each got its own env.
	[ "$(cut -d' ' -f4 "$HOOKDIR/log" | tr '\n' ' ')" = "v-prestart v-createRuntime v-createContainer v-startContainer v-poststart v-poststop " ]
	# Namespaces: prestart, createRuntime, poststart, poststop in the
	# runtime's mount namespace; createContainer, startContainer in the
	# container's.
	host=$(readlink /proc/self/ns/mnt)
	[ "$(awk '$1 == "prestart" || $1 == "createRuntime" || $1 == "poststart" || $1 == "poststop" {print $5}' "$HOOKDIR/log" | sort -u)" = "$host" ]
	ctr=$(awk '$1 == "createContainer" || $1 == "startContainer" {print $5}' "$HOOKDIR/log" | sort -u)
	[ "$(echo "$ctr" | wc -l)" -eq 1 ]
	[ "$ctr" != "$host" ]
}

@test "hull run runs the hooks too, poststop after the process exits" {
	for k in prestart createRuntime createContainer startContainer poststart poststop; do
		hook "$k"
	done
	set_args /bin/checker exit 0
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	cat "$HOOKDIR/log"
	[ "$(cut -d' ' -f1 "$HOOKDIR/log" | tr '\n' ' ')" = "prestart createRuntime createContainer startContainer poststart poststop " ]
}

@test "a hook that hangs is killed at its timeout and create fails naming it" {
	cat >"$HOOKDIR/hang.sh" <<-EOF
	#!/bin/sh
	echo \$\$ >"$HOOKDIR/hang.pid"
	exec sleep 600
	EOF
	chmod 755 "$HOOKDIR/hang.sh"
	update_config '.hooks.prestart = [{"path": "'"$HOOKDIR/hang.sh"'", "timeout": 1}]'
	set_args /bin/checker sleep 30
	hull_detached create --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"hooks.prestart[0]"* ]]
	[[ "$output" == *"timed out"* ]]
	hang=$(cat "$HOOKDIR/hang.pid")
	[ ! -d /proc/"$hang" ] || grep -q '^State:.*Z' /proc/"$hang"/status
	check_no_leftovers
	no_container_processes
}

@test "a failing createRuntime hook fails create and leaves nothing behind" {
	hook prestart
	hook createRuntime 3
	hook createContainer
	hook poststop
	set_args /bin/checker sleep 30
	hull_detached create --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"hooks.createRuntime[0]"*"status 3"* ]]
	# The later creation hook never ran.
	[ "$(cut -d' ' -f1 "$HOOKDIR/log" | tr '\n' ' ')" = "prestart createRuntime " ] ||
		[ "$(cut -d' ' -f1 "$HOOKDIR/log" | tr '\n' ' ')" = "prestart createRuntime poststop " ]
	check_no_leftovers
	no_container_processes
	run grep -q " $BUNDLE/rootfs" /proc/self/mountinfo
	[ "$status" -ne 0 ]
}

@test "a failing createContainer hook fails create and leaves nothing behind" {
	hook createContainer 4
	set_args /bin/checker sleep 30
	hull_detached create --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"hooks.createContainer[0]"*"status 4"* ]]
	check_no_leftovers
	no_container_processes
}

@test "a hook that cannot be executed is named in the error" {
	update_config '.hooks.createRuntime = [{"path": "'"$HOOKDIR"'/missing-hook"}]'
	hull_detached create --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"hooks.createRuntime[0]"*missing-hook* ]]
	check_no_leftovers
}

@test "a failing poststart or poststop hook does not stop delete" {
	hook poststop 5
	set_args /bin/checker sleep 30
	hull_detached run --detach --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	hull kill "$CID" KILL
	wait_for_status "$CID" stopped
	run_hull delete "$CID"
	[ "$status" -eq 0 ]
	grep -q '^poststop ' "$HOOKDIR/log"
}

@test "hooks start with no blocked or ignored signal, in a session of their own, also under hull run" {
	# The hooks are the reporting binaries themselves (a shell in between
	# could reset the mask); their stdout is Hull's.
	update_config '.hooks.createRuntime = [
		{"path": "/bin/grep", "args": ["grep", "-E", "^Sig(Blk|Ign):", "/proc/self/status"]},
		{"path": "/usr/bin/cut", "args": ["cut", "-d", " ", "-f", "1,5,6", "--output-delimiter=:", "/proc/self/stat"]}]'
	run_hull run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	echo "$output" | grep -qx "SigBlk:[[:space:]]*0000000000000000"
	echo "$output" | grep -qx "SigIgn:[[:space:]]*0000000000000000"
	# pid = process group = session.
	ids=$(echo "$output" | grep -x "[0-9]*:[0-9]*:[0-9]*")
	IFS=: read -r pid pgrp sid <<<"$ids"
	[ -n "$pid" ] && [ "$pid" = "$pgrp" ] && [ "$pid" = "$sid" ]
}

@test "a hook's timeout kills its whole process group" {
	update_config '.hooks.createRuntime = [{"path": "/bin/sh", "timeout": 1, "args": ["sh", "-c",
		"sleep 1000 >/dev/null 2>&1 & echo $! >'"$HOOKDIR"'/bg; wait"]}]'
	run_hull create --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"timed out"* ]]
	bg=$(cat "$HOOKDIR/bg")
	# Gone, or a zombie waiting for its reaper: not running.
	st=$(awk '{ print $3 }' "/proc/$bg/stat" 2>/dev/null || echo gone)
	if [ "$st" != gone ] && [ "$st" != Z ]; then
		kill -9 "$bg"
		echo "the hook's child $bg survived the timeout ($st)" >&2
		return 1
	fi
}
