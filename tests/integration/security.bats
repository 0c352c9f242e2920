#!/usr/bin/env bats
# Regression tests for the classic container escapes:
#   CVE-2019-5736  the container rewrites the runtime binary via /proc/<pid>/exe
#   CVE-2024-21626 a leaked runtime fd or host cwd reaches the container
#   mount-target symlinks that point out of the rootfs

load helpers

setup() {
	requires root
	setup_bundle
}

teardown() {
	teardown_bundle
	if [ -n "${RECVTTY_PID:-}" ]; then kill "$RECVTTY_PID" 2>/dev/null || true; fi
	if [ -n "${SWAPPER:-}" ]; then kill "$SWAPPER" 2>/dev/null || true; fi
	check_no_leftovers
}

field() {
	echo "$output" | sed -n "s/^$1=//p" | tail -n 1
}

hull_sha() {
	sha256sum "$HULL_BIN" | cut -d' ' -f1
}

@test "CVE-2019-5736: the runtime parked in a created container is a sealed copy, not the host binary" {
	before=$(hull_sha)
	set_args /bin/checker sleep 30
	hull_detached create --bundle "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/pid" "$CID"
	[ "$status" -eq 0 ]
	pid=$(cat "$BATS_TEST_TMPDIR/pid")
	# Until `start`, the container's pid 1 is Hull itself, waiting on the
	# exec fifo: exactly what a container process would try to reach.
	exe=$(readlink /proc/"$pid"/exe)
	echo "exe=$exe"
	[[ "$exe" == /memfd:* ]]
	[ "$exe" != "$(readlink -f "$HULL_BIN")" ]
	# The attack's write primitive, with the host's full privilege.
	run "$CHECKER_BIN" write-exe "$pid" '#!/bin/sh'
	echo "$output"
	[ "$(field write_exe)" != ok ]
	[ "$(hull_sha)" = "$before" ]
	hull delete --force "$CID"
}

@test "CVE-2019-5736: a #!/proc/self/exe process started by hull exec runs the sealed copy; the host binary survives" {
	before=$(hull_sha)
	# Executed by Hull itself, this script's interpreter /proc/self/exe is
	# whatever Hull is running from at execve time: exactly the binary the
	# attack wants to reach.  (Run by a shell in the container it would be
	# the shell, which proves nothing.)
	printf '#!/proc/self/exe\n' >"$BUNDLE/rootfs/evil"
	chmod +x "$BUNDLE/rootfs/evil"
	# Hull is linked against libc: give the rootfs the loader and libraries
	# it needs, as any distribution image has, so the attack really runs it.
	local lib
	for lib in $(ldd "$HULL_BIN" | grep -o '/[^ ]*'); do
		mkdir -p "$BUNDLE/rootfs$(dirname "$lib")"
		cp -L "$lib" "$BUNDLE/rootfs$lib"
	done
	update_config '.root.readonly = false'
	set_args /bin/checker sleep 60
	hull_detached run --detach --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	# The attacker: a sibling in the container grabbing every exe it sees
	# (O_PATH) and reopening each for writing until the runtime has exited.
	hull exec "$CID" /bin/checker grab-exe 6 >"$BATS_TEST_TMPDIR/grab" 2>&1 &
	grabber=$!
	sleep 1
	for i in $(seq 1 15); do
		run_hull exec "$CID" /evil
		# Hull ran as the container's process: its own usage error, not a
		# shell's "not found".
		echo "$output" | tail -n 2
		[ "$status" -ne 0 ]
	done
	wait "$grabber"
	cat "$BATS_TEST_TMPDIR/grab"
	# The attacker really held Hull's running binary...
	grep -q '^grabbed=/memfd:' "$BATS_TEST_TMPDIR/grab"
	# ...and could not write it, and the host binary is unchanged.
	grep -qx 'write_exe=denied' "$BATS_TEST_TMPDIR/grab"
	[ "$(hull_sha)" = "$before" ]
	hull kill "$CID" KILL
	wait_for_status "$CID" stopped
	hull delete "$CID"
}

@test "CVE-2019-5736: /proc/self/exe of the container process is its own binary, not writable" {
	set_args /bin/checker exe
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(field exe)" = /bin/checker ]
	[ "$(field exe_write)" = ETXTBSY ]
}

@test "CVE-2019-5736: a process started by hull exec sees its own binary, host binary unchanged" {
	before=$(hull_sha)
	set_args /bin/checker sleep 30
	hull_detached run --detach --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	run_hull exec "$CID" /bin/checker exe
	[ "$status" -eq 0 ]
	[ "$(field exe)" = /bin/checker ]
	[ "$(field exe_write)" = ETXTBSY ]
	run_hull exec "$CID" /bin/sh -c 'for p in /proc/[0-9]*; do checker write-exe ${p#/proc/} x; done'
	[[ "$output" != *write_exe=ok* ]]
	[ "$(hull_sha)" = "$before" ]
	hull kill "$CID" KILL
	wait_for_status "$CID" stopped
	hull delete "$CID"
}

@test "CVE-2024-21626: fds leaked into the runtime do not reach the container" {
	set_args /bin/checker fds
	run bash -c "exec 5</etc/hostname 7</ 9<'$BUNDLE'; '$HULL_BIN' --root '$HULL_ROOT' run --bundle '$BUNDLE' '$CID'"
	echo "$output"
	[ "$status" -eq 0 ]
	fds=$(echo "$output" | sed -n 's/^fd=\([0-9]*\):.*/\1/p' | sort -n | tr '\n' ' ')
	[ "$fds" = "0 1 2 " ]
}

@test "CVE-2024-21626: --preserve-fds N passes exactly fds 3..3+N-1" {
	echo one >"$BATS_TEST_TMPDIR/f3"
	echo two >"$BATS_TEST_TMPDIR/f4"
	set_args /bin/sh -c 'checker fds; checker read /proc/self/fd/3; checker read /proc/self/fd/4'
	run bash -c "exec 3<'$BATS_TEST_TMPDIR/f3' 4<'$BATS_TEST_TMPDIR/f4' 5</etc/hostname; '$HULL_BIN' --root '$HULL_ROOT' run --preserve-fds 2 --bundle '$BUNDLE' '$CID'"
	echo "$output"
	[ "$status" -eq 0 ]
	# checker runs under sh; its fds are sh's, which are the container's.
	fds=$(echo "$output" | sed -n 's/^fd=\([0-9]*\):.*/\1/p' | sort -n | tr '\n' ' ')
	[ "$fds" = "0 1 2 3 4 " ]
	echo "$output" | grep -qx 'first_line=one'
	echo "$output" | grep -qx 'first_line=two'
	# Asking for a fd that is not open is an error, not a silent gap.
	run bash -c "exec 3</dev/null; '$HULL_BIN' --root '$HULL_ROOT' run --preserve-fds 3 --bundle '$BUNDLE' '$CID' 4>&- 5>&-"
	[ "$status" -ne 0 ]
	[[ "$output" == *"--preserve-fds"* ]]
}

@test "CVE-2024-21626: a cwd through /proc/self/fd/N never lands outside the rootfs" {
	set_args /bin/checker cwd
	for n in 3 4 5 6 7 8 9 10; do
		ln -sfn /proc/self/fd/"$n" "$BUNDLE/rootfs/fdlink$n"
	done
	for want in /proc/self/fd/{3..10} /fdlink{3..10}; do
		update_config '.process.cwd = "'"$want"'"'
		run bash -c "exec 7</ 8</tmp; '$HULL_BIN' --root '$HULL_ROOT' run --bundle '$BUNDLE' '$CID'"
		echo "cwd $want: status=$status $output"
		if [ "$status" -eq 0 ]; then
			# Either refused, or a directory of the rootfs.
			cwd=$(field cwd)
			[[ "$cwd" == /* ]]
			[[ "$cwd" != *unreachable* ]]
			[ -d "$BUNDLE/rootfs$cwd" ]
		else
			[[ "$output" == *"process.cwd"* ]]
		fi
		check_no_leftovers
	done
}

@test "CVE-2024-21626: cwd with .. or a symlink out of the rootfs stays inside" {
	ln -s ../../../../../../../../../tmp "$BUNDLE/rootfs/escape"
	ln -s /root "$BUNDLE/rootfs/abs"
	set_args /bin/sh -c 'checker cwd; checker ls .'
	update_config '.process.cwd = "/../../../../.."'
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(field cwd)" = / ]
	[ "$(field entries)" = "$(ls -A "$BUNDLE/rootfs" | wc -l)" ]
	update_config '.process.cwd = "/escape"'
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(field cwd)" = /tmp ]
	[ "$(field entries)" = "$(ls -A "$BUNDLE/rootfs/tmp" | wc -l)" ]
	update_config '.process.cwd = "/abs"'
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(field cwd)" = /root ]
}

@test "mount destination through an absolute symlink lands inside the rootfs" {
	victim="$BATS_TEST_TMPDIR/victim"
	mkdir -p "$victim"
	ln -s "$victim" "$BUNDLE/rootfs/link-abs"
	ln -s /etc "$BUNDLE/rootfs/link-etc"
	update_config '.mounts += [
		{"destination": "/link-abs/newdir", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]},
		{"destination": "/link-etc/hull-escape-'"$CID"'", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]}]'
	set_args /bin/sh -c "checker mountinfo $victim/newdir; checker mountinfo /etc/hull-escape-$CID"
	run_hull run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | grep -c '^fstype=tmpfs$')" -eq 2 ]
	# The host paths were not touched; the rootfs got the directories.
	[ ! -e "$victim/newdir" ]
	[ ! -e "/etc/hull-escape-$CID" ]
	[ -d "$BUNDLE/rootfs$victim/newdir" ]
	[ -d "$BUNDLE/rootfs/etc/hull-escape-$CID" ]
}

@test "mount destination through a ../ symlink lands inside the rootfs" {
	victim="$BATS_TEST_TMPDIR/victim"
	mkdir -p "$victim"
	echo host-secret >"$BATS_TEST_TMPDIR/hostfile"
	ln -s "../../../../../../../../../../..$victim" "$BUNDLE/rootfs/link-rel"
	ln -s "../../../../../../../../../../..$BATS_TEST_TMPDIR/hostfile" "$BUNDLE/rootfs/filelink"
	echo from-bind >"$BATS_TEST_TMPDIR/src-file"
	update_config '.mounts += [
		{"destination": "/link-rel/sub/deeper", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]},
		{"destination": "/filelink", "type": "bind", "source": "'"$BATS_TEST_TMPDIR/src-file"'", "options": ["bind"]}]'
	set_args /bin/sh -c "checker mountinfo $victim/sub/deeper; checker read /filelink"
	run_hull run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(field fstype)" = tmpfs ]
	[ "$(field first_line)" = from-bind ]
	[ ! -e "$victim/sub" ]
	[ -d "$BUNDLE/rootfs$victim/sub/deeper" ]
	[ "$(cat "$BATS_TEST_TMPDIR/hostfile")" = host-secret ]
}

@test "a device path through a symlink is created inside the rootfs" {
	victim="$BATS_TEST_TMPDIR/victim"
	mkdir -p "$victim"
	update_config '.mounts |= map(select(.destination != "/dev" and (.destination | startswith("/dev/") | not)))'
	rmdir "$BUNDLE/rootfs/dev"
	ln -s "$victim" "$BUNDLE/rootfs/dev"
	update_config '.linux.devices = [{"path": "/dev/evil", "type": "c", "major": 1, "minor": 3}]'
	set_args /bin/checker stat "$victim/evil"
	run_hull run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(field rdev)" = 1:3 ]
	[ ! -e "$victim/evil" ]
	[ -c "$BUNDLE/rootfs$victim/evil" ]
}

# A user namespace with root mapped to host root: devices are bind
# mounts of the host's nodes there.
userns_root_config() {
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 0, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 0, "size": 65536}]'
}

@test "user namespace devices: a host path that is not the declared device node is refused" {
	userns_root_config
	echo host-secret >"$BATS_TEST_TMPDIR/notadev"
	update_config '.linux.devices = [{"path": "'"$BATS_TEST_TMPDIR/notadev"'", "type": "c", "major": 1, "minor": 3}]'
	set_args /bin/checker read "$BATS_TEST_TMPDIR/notadev"
	run_hull run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.devices[0]: device $BATS_TEST_TMPDIR/notadev: the host's $BATS_TEST_TMPDIR/notadev is not the character device 1:3"* ]]
	check_no_leftovers
	# A real node with other numbers than declared.
	update_config '.linux.devices = [{"path": "/dev/zero", "type": "c", "major": 1, "minor": 3}]'
	run_hull run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"device /dev/zero: the host's /dev/zero is not the character device 1:3"* ]]
	update_config '.linux.devices = [{"path": "/dev/zero", "type": "b", "major": 1, "minor": 5}]'
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"is not the block device 1:5"* ]]
}

@test "maskedPaths: a /dev/null planted in the rootfs (file or symlink) never covers a masked path" {
	# No /dev mount: the container's /dev is the rootfs's own directory.
	update_config '.mounts |= map(select(.destination != "/dev" and (.destination | startswith("/dev/") | not)))
		| .linux.maskedPaths = ["/proc/kcore", "/proc/keys"]'
	echo planted >"$BUNDLE/rootfs/dev/null"
	set_args /bin/sh -c 'checker read /proc/keys; checker stat /proc/keys'
	run_hull run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(field bytes)" = 0 ]
	[ "$(field rdev)" = 1:3 ]
	rm "$BUNDLE/rootfs/dev/null"
	echo secret >"$BUNDLE/rootfs/etc/secret"
	ln -s /etc/secret "$BUNDLE/rootfs/dev/null"
	run_hull run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(field bytes)" = 0 ]
	[ "$(field rdev)" = 1:3 ]
}

@test "terminal: a /dev/console symlink in the rootfs is refused, not mounted through" {
	requires python3
	sock="$BATS_TEST_TMPDIR/console.sock"
	start_recvtty "$sock"
	# /dev is the rootfs's directory (devpts stays mounted on /dev/pts).
	update_config '.mounts |= map(select(.destination != "/dev"))
		| .process.terminal = true'
	echo victim >"$BUNDLE/rootfs/etc/victim"
	ln -s /etc/victim "$BUNDLE/rootfs/dev/console"
	set_args /bin/checker stat /etc/victim
	hull_detached run --detach --console-socket "$sock" --bundle "$BUNDLE" "$CID"
	kill "$RECVTTY_PID" 2>/dev/null || true
	wait "$RECVTTY_PID" 2>/dev/null || true
	RECVTTY_PID=
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"process.terminal: /dev/console in the container is not a file or a device"* ]]
}

@test "terminal: /dev/console is the process's pty" {
	requires python3
	sock="$BATS_TEST_TMPDIR/console.sock"
	start_recvtty "$sock"
	update_config '.process.terminal = true'
	set_args /bin/sh -c 'checker stat /dev/console; checker stat "$(tty)"'
	hull_detached run --detach --console-socket "$sock" --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	wait_for_status "$CID" stopped
	output=$(recvtty_output)
	echo "$output"
	[ "$(echo "$output" | grep -c '^rdev=136:')" -eq 2 ]
	[ "$(echo "$output" | sed -n 's/^rdev=//p' | sort -u | wc -l)" -eq 1 ]
	hull delete "$CID"
}

@test "additionalGids that setgroups cannot apply fail the create instead of being dropped" {
	update_config '.process.user.additionalGids = [4242]'
	# Without CAP_SETGID, setgroups fails with EPERM outside any user
	# namespace's "deny": the container must not start with the
	# runtime's own groups in place of the ones asked for.
	run capsh --drop=cap_setgid -- -c 'exec "$0" --root "$1" run --bundle "$2" "$3"' \
		"$HULL_BIN" "$HULL_ROOT" "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"process.user.additionalGids: setgroups: Operation not permitted"* ]]
	check_no_leftovers
}

# The swapper: exchanges two names atomically (renameat2 RENAME_EXCHANGE),
# as fast as it can, until killed.
SWAP_PY='
import ctypes, sys
libc = ctypes.CDLL(None, use_errno=True)
a, b = (p.encode() for p in sys.argv[1:3])
while True:
    libc.renameat2(-100, a, -100, b, 2)
'

@test "a mount target swapped between a directory and a symlink to the host, while hull mounts: nothing lands on the host" {
	requires python3
	victim="$BATS_TEST_TMPDIR/victim"
	mkdir -p "$victim" "$BUNDLE/rootfs/mnt/x" "$BATS_TEST_TMPDIR/src"
	echo from-bind >"$BATS_TEST_TMPDIR/src-file"
	# rootfs/mnt/x flips between a directory and a symlink to the host's
	# victim directory (and one to the host's /).
	ln -s "$victim" "$BUNDLE/rootfs/mnt/y"
	ln -s / "$BUNDLE/rootfs/mnt/root-link"
	update_config '.mounts += [
		{"destination": "/mnt/x/sub", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]},
		{"destination": "/mnt/x/bind", "type": "bind", "source": "'"$BATS_TEST_TMPDIR/src"'", "options": ["rbind"]},
		{"destination": "/mnt/x/file", "type": "bind", "source": "'"$BATS_TEST_TMPDIR/src-file"'", "options": ["bind"]},
		{"destination": "/mnt/root-link/hull-race-'"$CID"'", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]}]'
	set_args /bin/true
	# Not holding bats' fd 3, and its own pid (no subshell) to kill.
	python3 -c "$SWAP_PY" "$BUNDLE/rootfs/mnt/x" "$BUNDLE/rootfs/mnt/y" 3>&- &
	SWAPPER=$!
	ok=0
	for i in $(seq 20); do
		if "$HULL_BIN" --root "$HULL_ROOT" run --bundle "$BUNDLE" "$CID-$i" >/dev/null 2>&1; then
			ok=$((ok + 1))
		fi
		"$HULL_BIN" --root "$HULL_ROOT" delete --force "$CID-$i" >/dev/null 2>&1 || true
	done
	kill "$SWAPPER"
	wait "$SWAPPER" 2>/dev/null || true
	SWAPPER=
	echo "runs that succeeded: $ok of 20"
	# Whatever the race did, the host's directories got nothing.
	[ -z "$(ls -A "$victim")" ]
	[ ! -e "/hull-race-$CID" ]
	[ -z "$(grep " $victim" /proc/self/mountinfo)" ]
}
