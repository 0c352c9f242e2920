# Shared helpers for Hull's bats suites.  Each test gets its own state root
# and bundle under $BATS_TEST_TMPDIR; teardown deletes what a test left and
# then checks that nothing leaked (state dirs, cgroups, processes).

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HULL_BIN="${HULL_BIN:-$REPO/build/hull}"
CHECKER_BIN="${CHECKER_BIN:-$REPO/build/tests/checker}"
ROOTFS_TEMPLATE="${ROOTFS_TEMPLATE:-$REPO/build/tests/rootfs}"
# Every test cgroup lives below this absolute path; teardown checks it.
TEST_CGROUP_PARENT="${TEST_CGROUP_PARENT:-/hull-test}"

# hull with this test's private state root.
hull() {
	"$HULL_BIN" --root "$HULL_ROOT" "$@"
}

# requires FEATURE...: skip (with the reason printed) when the host lacks it.
requires() {
	local f
	for f in "$@"; do
		case "$f" in
		root) [ "$(id -u)" = 0 ] || skip "needs root" ;;
		cgroup_v2) [ -f /sys/fs/cgroup/cgroup.controllers ] || skip "needs a pure cgroup v2 host (this one is v1/hybrid)" ;;
		cgroup_v1) [ ! -f /sys/fs/cgroup/cgroup.controllers ] || skip "needs a cgroup v1/hybrid host (this one is pure v2)" ;;
		kvm) [ -c /dev/kvm ] || skip "needs /dev/kvm" ;;
		systemd) [ "$(cat /proc/1/comm 2>/dev/null)" = systemd ] || skip "needs systemd as PID 1" ;;
		podman) command -v podman >/dev/null || skip "needs podman (apt-get install podman)" ;;
		ctr) command -v ctr >/dev/null || skip "needs containerd's ctr (apt-get install containerd)" ;;
		runc) command -v runc >/dev/null || skip "needs runc" ;;
		crun) command -v crun >/dev/null || skip "needs crun" ;;
		timens) [ -e /proc/self/ns/time ] || skip "needs time namespaces" ;;
		python3) python3 -c "import json, socket, array" 2>/dev/null || skip "needs python3 with its standard library (apt-get install python3)" ;;
		*) skip "unknown requirement $f" ;;
		esac
	done
}

# Builds the busybox+checker rootfs template once per run.
make_rootfs_template() {
	if [ -x "$ROOTFS_TEMPLATE/bin/checker" ]; then
		# A rebuilt checker replaces the template's copy (atomically: other
		# suites may be copying the template right now).
		if ! cmp -s "$CHECKER_BIN" "$ROOTFS_TEMPLATE/bin/checker"; then
			cp "$CHECKER_BIN" "$ROOTFS_TEMPLATE/bin/.checker.$$" &&
				mv -f "$ROOTFS_TEMPLATE/bin/.checker.$$" "$ROOTFS_TEMPLATE/bin/checker"
		fi
		return 0
	fi
	local tmp="$ROOTFS_TEMPLATE.tmp.$$"
	rm -rf "$tmp"
	mkdir -p "$tmp"/{bin,sbin,etc,proc,sys,dev,tmp,root,var,run,usr/bin}
	cp /bin/busybox "$tmp/bin/busybox"
	local a
	for a in $("$tmp/bin/busybox" --list); do
		[ -e "$tmp/bin/$a" ] || ln -s busybox "$tmp/bin/$a"
	done
	cp "$CHECKER_BIN" "$tmp/bin/checker"
	echo "root:x:0:0:root:/root:/bin/sh" >"$tmp/etc/passwd"
	echo "nobody:x:65534:65534:nobody:/:/bin/sh" >>"$tmp/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\ntty:x:5:\n' >"$tmp/etc/group"
	chmod 1777 "$tmp/tmp"
	mv "$tmp" "$ROOTFS_TEMPLATE" 2>/dev/null || rm -rf "$tmp"
}

# setup_bundle: a fresh bundle at $BUNDLE running `checker ids` with a
# cgroup under $TEST_CGROUP_PARENT; adjust with update_config.
setup_bundle() {
	make_rootfs_template
	HULL_ROOT="$BATS_TEST_TMPDIR/state"
	BUNDLE="$BATS_TEST_TMPDIR/bundle"
	CID="t$$-${BATS_TEST_NUMBER:-0}"
	mkdir -p "$BUNDLE"
	cp -a "$ROOTFS_TEMPLATE" "$BUNDLE/rootfs"
	(cd "$BUNDLE" && "$HULL_BIN" spec)
	update_config '.process.terminal = false
		| .process.args = ["/bin/checker", "ids"]
		| .linux.cgroupsPath = "'"$TEST_CGROUP_PARENT/$CID"'"'
	export HULL_ROOT BUNDLE CID
}

# update_config JQ_FILTER: edits $BUNDLE/config.json in place.
update_config() {
	local tmp="$BUNDLE/config.json.tmp"
	jq "$1" "$BUNDLE/config.json" >"$tmp" && mv "$tmp" "$BUNDLE/config.json"
}

# set_args ARG...: the process's args.
set_args() {
	local json
	# --args keeps an argument with newlines in it one argument.
	json=$(jq -cn '$ARGS.positional' --args -- "$@")
	update_config ".process.args = $json"
}

# run_hull ARGS: run hull, with output in $output and status in $status.
run_hull() {
	run "$HULL_BIN" --root "$HULL_ROOT" "$@"
}

# wait_stopped PID: until PID is stopped (state T: a HULL_TEST_STOP_AT
# point, runtime/testpoint.h); fails if it exits.
wait_stopped() {
	local i st
	for i in $(seq 1 200); do
		st=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
		[ "$st" = T ] && return 0
		[ "$st" = Z ] && return 1
		sleep 0.05
	done
	return 1
}

# wait_for_status ID STATUS [TRIES]
wait_for_status() {
	local i
	# Each state bounded: a wedged runtime fails the test, not the run.
	for i in $(seq 1 "${3:-50}"); do
		[ "$(timeout -k 5 60 "$HULL_BIN" --root "$HULL_ROOT" state "$1" 2>/dev/null | jq -r .status)" = "$2" ] && return 0
		sleep 0.1
	done
	echo "container $1 never reached status $2 (now: $(timeout -k 5 60 "$HULL_BIN" --root "$HULL_ROOT" state "$1" 2>&1))" >&2
	return 1
}

# Leftover checks: no state, no cgroup, no mount, no process of this test.
cgroup_leftovers() {
	local d
	# No container id: the test skipped before setup_bundle made one, and
	# the parent group alone (shared by every test) is no leftover.
	[ -n "${CID:-}" ] || return 0
	for d in /sys/fs/cgroup/*/"${TEST_CGROUP_PARENT#/}"/"$CID" /sys/fs/cgroup/"${TEST_CGROUP_PARENT#/}"/"$CID"; do
		[ -d "$d" ] && echo "$d"
	done
	return 0
}

check_no_leftovers() {
	local bad=0
	if [ -n "${HULL_ROOT:-}" ] && [ -d "$HULL_ROOT" ] && [ -n "$(ls -A "$HULL_ROOT")" ]; then
		echo "leftover state: $(ls -A "$HULL_ROOT")" >&2
		bad=1
	fi
	if [ -n "$(cgroup_leftovers)" ]; then
		echo "leftover cgroups: $(cgroup_leftovers)" >&2
		bad=1
	fi
	if [ -n "${BUNDLE:-}" ] && grep -q " $BUNDLE" /proc/self/mountinfo; then
		echo "leftover mounts under $BUNDLE" >&2
		bad=1
	fi
	return $bad
}

teardown_bundle() {
	local id
	if [ -n "${HULL_ROOT:-}" ] && [ -d "$HULL_ROOT" ]; then
		for id in $(ls -A "$HULL_ROOT"); do
			# bounded: a delete that hangs is reported, and the
			# leftover check below fails the test
			timeout -k 10 120 "$HULL_BIN" --root "$HULL_ROOT" delete --force "$id" >/dev/null 2>&1 ||
				echo "teardown: delete --force $id failed or hung" >&2
		done
	fi
}

# create_detached ARGS...: `hull create`/`run --detach` whose container
# stdio goes to $BATS_TEST_TMPDIR/ctr.out, so bats' pipes are not held open
# by the waiting container (it inherits the runtime's stdio, as with runc).
# Runtime errors land in the same file; $status and $output are set.
hull_detached() {
	local rc=0
	"$HULL_BIN" --root "$HULL_ROOT" "$@" </dev/null >"$BATS_TEST_TMPDIR/ctr.out" 2>&1 || rc=$?
	status=$rc
	output=$(cat "$BATS_TEST_TMPDIR/ctr.out")
	return 0
}

# A console-socket receiver (recvtty.py) for terminal tests: it takes the pty
# master Hull sends and copies what the process writes to $BATS_TEST_TMPDIR/
# tty.out.  start_recvtty SOCK waits until the socket exists; recvtty_output
# waits for the receiver to end (the process closed the pty) and prints what
# it got, without carriage returns.  The caller's teardown kills $RECVTTY_PID
# when a test fails before that.
start_recvtty() {
	python3 "$REPO/tests/integration/recvtty.py" "$1" "$BATS_TEST_TMPDIR/tty.out" \
		>/dev/null 2>"$BATS_TEST_TMPDIR/recvtty.err" &
	RECVTTY_PID=$!
	local _
	for _ in $(seq 50); do [ -S "$1" ] && break; sleep 0.05; done
}

recvtty_output() {
	wait "$RECVTTY_PID"
	RECVTTY_PID=
	tr -d '\r' <"$BATS_TEST_TMPDIR/tty.out"
}

# fnv1a64 STR: FNV-1a 64 of STR (ASCII) in 16 hex digits, as base/hash.h
# computes it: netns/ names veths and rules with it, images/ shards
# containers by it.
fnv1a64() {
	local s="$1" h=$(( 0xcbf29ce484222325 )) i c
	for (( i = 0; i < ${#s}; i++ )); do
		printf -v c '%d' "'${s:i:1}"
		h=$(( (h ^ c) * 0x100000001b3 ))
	done
	printf '%016x' "$h"
}
