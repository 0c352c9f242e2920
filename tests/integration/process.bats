#!/usr/bin/env bats
# The container process's attributes: identity, capabilities, limits,
# environment, program lookup, terminal, personality, I/O priority and
# scheduler, as the process itself reports them.

load helpers

setup() {
	requires root
	setup_bundle
}

teardown() {
	if [ -n "${RECVTTY_PID:-}" ]; then
		kill "$RECVTTY_PID" 2>/dev/null || true
		wait "$RECVTTY_PID" 2>/dev/null || true
	fi
	teardown_bundle
	check_no_leftovers
}

field() {
	echo "$output" | sed -n "s/^$1=//p" | tail -n 1
}

@test "uid, gid, additionalGids and umask" {
	update_config '.process.user = {"uid": 1000, "gid": 1001, "additionalGids": [5, 1002], "umask": 23}'
	set_args /bin/sh -c 'checker ids; checker umask'
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(field uid)" = 1000 ]
	[ "$(field euid)" = 1000 ]
	[ "$(field gid)" = 1001 ]
	[ "$(field egid)" = 1001 ]
	[ "$(field groups | tr ',' '\n' | sort -n | tr '\n' ' ')" = "5 1002 " ]
	[ "$(field umask)" = 0027 ]
}

@test "no additionalGids means no supplementary groups" {
	update_config '.process.user = {"uid": 0, "gid": 0}'
	set_args /bin/checker ids
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(field groups)" = "" ]
}

# CHOWN=bit 0, KILL=bit 5, NET_BIND_SERVICE=bit 10.
@test "all five capability sets, as root" {
	update_config '.process.capabilities = {
		"bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
		"effective": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
		"permitted": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
		"inheritable": ["CAP_KILL"],
		"ambient": ["CAP_KILL"]}'
	set_args /bin/checker caps
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(field CapBnd)" = 0000000000000421 ]
	[ "$(field CapPrm)" = 0000000000000421 ]
	[ "$(field CapEff)" = 0000000000000421 ]
	[ "$(field CapInh)" = 0000000000000020 ]
	[ "$(field CapAmb)" = 0000000000000020 ]
}

@test "all five capability sets, as a non-root user (ambient carries across exec)" {
	update_config '.process.user = {"uid": 1000, "gid": 1000}
		| .process.capabilities = {
		"bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
		"effective": ["CAP_CHOWN", "CAP_KILL"],
		"permitted": ["CAP_CHOWN", "CAP_KILL"],
		"inheritable": ["CAP_CHOWN", "CAP_KILL"],
		"ambient": ["CAP_KILL"]}'
	set_args /bin/checker caps
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(field CapBnd)" = 0000000000000421 ]
	[ "$(field CapInh)" = 0000000000000021 ]
	[ "$(field CapPrm)" = 0000000000000020 ]
	[ "$(field CapEff)" = 0000000000000020 ]
	[ "$(field CapAmb)" = 0000000000000020 ]
}

@test "dropping every capability makes mount fail with EPERM, CAP_SYS_ADMIN allows it" {
	update_config '.process.capabilities = {"bounding": [], "effective": [], "permitted": [], "inheritable": [], "ambient": []}'
	set_args /bin/sh -c 'checker caps; checker syscall mount'
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(field CapEff)" = 0000000000000000 ]
	[ "$(field CapBnd)" = 0000000000000000 ]
	[ "$(field mount)" = EPERM ]
	update_config '.process.capabilities = {"bounding": ["CAP_SYS_ADMIN"], "effective": ["CAP_SYS_ADMIN"], "permitted": ["CAP_SYS_ADMIN"]}'
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(field mount)" = ok ]
}

@test "an unknown capability name is an error naming it (the spec says MUST)" {
	update_config '.process.capabilities = {"bounding": ["CAP_KILL", "CAP_BOGUS"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]}'
	set_args /bin/checker caps
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *'process.capabilities.bounding[1]: unknown capability "CAP_BOGUS"'* ]]
	update_config '.process.capabilities.bounding = ["CAP_KILL"]'
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(field CapBnd)" = 0000000000000020 ]
	[ "$(field CapEff)" = 0000000000000020 ]
}

@test "rlimits are applied, soft and hard" {
	update_config '.process.rlimits = [
		{"type": "RLIMIT_NOFILE", "soft": 1000, "hard": 2000},
		{"type": "RLIMIT_CORE", "soft": 0, "hard": 4096},
		{"type": "RLIMIT_NPROC", "soft": 77, "hard": 88}]'
	set_args /bin/checker rlimits
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(field NOFILE)" = 1000:2000 ]
	[ "$(field CORE)" = 0:4096 ]
	[ "$(field NPROC)" = 77:88 ]
}

@test "noNewPrivileges sets no_new_privs, and it is off otherwise" {
	set_args /bin/checker nnp
	update_config '.process.noNewPrivileges = true'
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(field NoNewPrivs)" = 1 ]
	update_config '.process.noNewPrivileges = false'
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(field NoNewPrivs)" = 0 ]
}

@test "oomScoreAdj can be raised" {
	update_config '.process.oomScoreAdj = 567'
	set_args /bin/checker oom
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(field oom_score_adj)" = 567 ]
}

@test "oomScoreAdj below the runtime's own fails clearly without CAP_SYS_RESOURCE" {
	if capsh --has-p=cap_sys_resource 2>/dev/null; then
		skip "this host grants CAP_SYS_RESOURCE, so lowering succeeds"
	fi
	update_config '.process.oomScoreAdj = -500'
	set_args /bin/checker oom
	run_hull run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"process.oomScoreAdj"* ]]
	[[ "$output" == *"Permission denied"* || "$output" == *"not permitted"* ]]
}

@test "env reaches the process; an empty value is kept" {
	update_config '.process.env = ["PATH=/bin", "FOO=bar baz", "EMPTY="]'
	set_args /bin/sh -c 'checker env FOO; checker env EMPTY; checker env HOSTVAR'
	HOSTVAR=leak run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(field FOO)" = "bar baz" ]
	echo "$output" | grep -qx 'EMPTY='
	[ "$(field HOSTVAR)" = "(unset)" ]
}

@test "cwd is where the process starts" {
	mkdir -p "$BUNDLE/rootfs/work/dir"
	update_config '.process.cwd = "/work/dir"'
	set_args /bin/checker cwd
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(field cwd)" = /work/dir ]
}

@test "args[0] is looked up in the process's PATH" {
	mkdir -p "$BUNDLE/rootfs/opt/tools"
	cp "$BUNDLE/rootfs/bin/checker" "$BUNDLE/rootfs/opt/tools/mychecker"
	update_config '.process.env = ["PATH=/nowhere:/opt/tools"]'
	set_args mychecker ids
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(field uid)" = 0 ]
}

@test "a missing program is an error naming process.args[0], with nothing left behind" {
	set_args no-such-program
	run_hull run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"process.args[0]"*no-such-program* ]]
	check_no_leftovers
	set_args /bin/no-such-program
	hull_detached create --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"process.args[0]"*/bin/no-such-program* ]]
	check_no_leftovers
	# A directory is not a program either.
	set_args /etc
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"process.args[0]"* ]]
}

@test "terminal: the pty master goes to --console-socket, the process has a tty" {
	requires python3
	sock="$BATS_TEST_TMPDIR/console.sock"
	start_recvtty "$sock"
	update_config '.process.terminal = true'
	set_args /bin/sh -c 'tty; checker fds; stty size'
	hull_detached run --detach --console-socket "$sock" --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	wait_for_status "$CID" stopped
	output=$(recvtty_output)
	echo "$output"
	echo "$output" | grep -qx '/dev/pts/0'
	for fd in 0 1 2; do echo "$output" | grep -qx "fd=$fd:/dev/pts/0"; done
	hull delete "$CID"
}

@test "terminal without --console-socket is refused before anything is created" {
	update_config '.process.terminal = true'
	hull_detached create --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"--console-socket"* ]]
	check_no_leftovers
}

@test "personality LINUX32" {
	update_config '.linux.personality = {"domain": "LINUX32"}'
	set_args /bin/sh -c 'checker personality; uname -m'
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(field personality)" = 0x8 ]
	[[ "$output" == *$'\ni686'* || "$output" == *$'\ni386'* ]]
}

@test "ioPriority class and level" {
	update_config '.process.ioPriority = {"class": "IOPRIO_CLASS_BE", "priority": 6}'
	set_args /bin/checker ioprio
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(field ioprio_class)" = 2 ]
	[ "$(field ioprio_level)" = 6 ]
	update_config '.process.ioPriority = {"class": "IOPRIO_CLASS_IDLE", "priority": 0}'
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(field ioprio_class)" = 3 ]
}

@test "scheduler policy and nice" {
	update_config '.process.scheduler = {"policy": "SCHED_BATCH", "nice": 7}'
	set_args /bin/checker sched
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(field policy)" = 3 ]
	[ "$(field nice)" = 7 ]
	update_config '.process.scheduler = {"policy": "SCHED_IDLE"}'
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(field policy)" = 5 ]
}
