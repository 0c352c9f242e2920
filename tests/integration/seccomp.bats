#!/usr/bin/env bats
# linux.seccomp: actions, errno values, argument conditions, the default
# action, unknown names, malformed input, and the notify listener.

load helpers

setup() {
	requires root
	setup_bundle
	update_config '.root.readonly = false'
}

teardown() {
	if [ -n "${LISTENER_PID:-}" ]; then
		kill "$LISTENER_PID" 2>/dev/null || true
		wait "$LISTENER_PID" 2>/dev/null || true
	fi
	teardown_bundle
	check_no_leftovers
}

field() {
	echo "$output" | sed -n "s/^$1=//p" | tail -n 1
}

# seccomp SYSCALLS_JSON [DEFAULT]: a filter with those rules.
seccomp() {
	update_config '.linux.seccomp = {"defaultAction": "'"${2:-SCMP_ACT_ALLOW}"'",
		"architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
		"syscalls": '"$1"'}'
}

@test "the process runs in seccomp filter mode (2), and without a filter in mode 0" {
	set_args /bin/checker seccomp
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(field Seccomp)" = 0 ]
	seccomp '[{"names": ["chroot"], "action": "SCMP_ACT_ERRNO"}]'
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(field Seccomp)" = 2 ]
}

@test "SCMP_ACT_ERRNO defaults to EPERM, errnoRet picks the errno" {
	seccomp '[{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]'
	set_args /bin/checker mkdir /tmp/d
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(field mkdir)" = EPERM ]
	[ ! -d "$BUNDLE/rootfs/tmp/d" ]
	seccomp '[{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 18}]'
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(field mkdir)" = EXDEV ]
	# Without the rule the same call works: the errno came from the filter.
	seccomp '[]'
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(field mkdir)" = ok ]
}

@test "SCMP_ACT_KILL_PROCESS kills the process with SIGSYS" {
	seccomp '[{"names": ["chroot"], "action": "SCMP_ACT_KILL_PROCESS"}]'
	set_args /bin/checker syscall chroot
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq $((128 + 31)) ]
	[[ "$output" != *chroot=* ]]
}

@test "an argument condition (SCMP_CMP_EQ) limits the rule to matching calls" {
	seccomp '[{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 18,
		"args": [{"index": 1, "value": 448, "op": "SCMP_CMP_EQ"}]}]'
	set_args /bin/sh -c 'checker mkdir-mode /tmp/a 700; checker mkdir-mode /tmp/b 755'
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | sed -n 's/^mkdir=//p' | tr '\n' ' ')" = "EXDEV ok " ]
	[ ! -d "$BUNDLE/rootfs/tmp/a" ]
	[ -d "$BUNDLE/rootfs/tmp/b" ]
}

@test "SCMP_CMP_MASKED_EQ uses valueTwo as the mask" {
	# mode & 0o007 == 0o005: matches 0755, not 0700.
	seccomp '[{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 18,
		"args": [{"index": 1, "value": 7, "valueTwo": 5, "op": "SCMP_CMP_MASKED_EQ"}]}]'
	set_args /bin/sh -c 'checker mkdir-mode /tmp/a 700; checker mkdir-mode /tmp/b 755'
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | sed -n 's/^mkdir=//p' | tr '\n' ' ')" = "ok EXDEV " ]
}

@test "unknown syscall names are ignored, the known ones still apply" {
	seccomp '[{"names": ["no_such_syscall_xyz", "mkdir", "another_bogus"], "action": "SCMP_ACT_ERRNO", "errnoRet": 18}]'
	set_args /bin/checker mkdir /tmp/d
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(field mkdir)" = EXDEV ]
}

@test "defaultAction applies to every syscall not listed" {
	# An allow-list just big enough for the static checker to start, print
	# and exit; everything else gets the default errno.
	update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 18,
		"architectures": ["SCMP_ARCH_X86_64"],
		"syscalls": [{"action": "SCMP_ACT_ALLOW", "names": ["execve", "brk", "arch_prctl",
			"set_tid_address", "set_robust_list", "rseq", "prlimit64", "readlink",
			"readlinkat", "mprotect", "mmap", "munmap", "uname", "newfstatat", "fstat",
			"write", "writev", "exit", "exit_group", "getrandom", "ioctl", "getpid",
			"rt_sigaction", "rt_sigprocmask", "close", "fcntl", "futex", "getuid",
			"geteuid", "getgid", "getegid", "getgroups", "capget", "capset", "prctl",
			"setresuid", "setresgid", "setgroups", "setuid", "setgid", "keyctl", "chdir", "openat",
			"sched_setattr", "ioprio_set", "personality", "setrlimit", "close_range", "setsid",
			"read", "sethostname", "setdomainname", "getcwd", "statx", "lseek", "umask"]}]}'
	set_args /bin/checker syscall mkdir
	run_hull run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(field mkdir)" = EXDEV ]
	set_args /bin/checker syscall getpid
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(field getpid)" = ok ]
}

@test "a filter works together with noNewPrivileges and a non-root user" {
	update_config '.process.noNewPrivileges = true | .process.user = {"uid": 1000, "gid": 1000}'
	seccomp '[{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 18}]'
	set_args /bin/sh -c 'checker seccomp; checker nnp; checker mkdir /tmp/d'
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(field Seccomp)" = 2 ]
	[ "$(field NoNewPrivs)" = 1 ]
	[ "$(field mkdir)" = EXDEV ]
}

@test "a malformed action is an error naming the JSON path, nothing left behind" {
	seccomp '[{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"}, {"names": ["chroot"], "action": "SCMP_ACT_BOGUS"}]'
	hull_detached create --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.seccomp.syscalls[1].action"*SCMP_ACT_BOGUS* ]]
	check_no_leftovers
	update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_NOPE"}'
	hull_detached create --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.seccomp.defaultAction"* ]]
	seccomp '[{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 9, "value": 1, "op": "SCMP_CMP_EQ"}]}]'
	hull_detached create --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.seccomp.syscalls[0].args[0]"* ]]
	seccomp '[{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 1, "value": 1, "op": "SCMP_CMP_SOMETIMES"}]}]'
	hull_detached create --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.seccomp.syscalls[0].args[0].op"* ]]
	check_no_leftovers
}

@test "SCMP_ACT_NOTIFY sends the listener fd and state to listenerPath; the agent answers" {
	requires python3
	sock="$BATS_TEST_TMPDIR/agent.sock"
	python3 "$REPO/tests/integration/seccomp_listener.py" "$sock" "$BATS_TEST_TMPDIR/agent.out" 18 &
	LISTENER_PID=$!
	for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.05; done
	update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
		"listenerPath": "'"$sock"'", "listenerMetadata": "hello-agent",
		"syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]}'
	set_args /bin/checker mkdir /tmp/d
	run_hull run --bundle "$BUNDLE" "$CID"
	echo "$output"
	cat "$BATS_TEST_TMPDIR/agent.out"
	[ "$status" -eq 0 ]
	[ "$(field mkdir)" = EXDEV ]
	grep -qx 'got_fd=yes' "$BATS_TEST_TMPDIR/agent.out"
	grep -qx 'fds=seccompFd' "$BATS_TEST_TMPDIR/agent.out"
	grep -qx 'metadata=hello-agent' "$BATS_TEST_TMPDIR/agent.out"
	grep -qx 'status=creating' "$BATS_TEST_TMPDIR/agent.out"
	grep -q '^notified nr=83 ' "$BATS_TEST_TMPDIR/agent.out"
}

@test "SCMP_ACT_NOTIFY with an unreachable listenerPath fails create cleanly" {
	update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
		"listenerPath": "'"$BATS_TEST_TMPDIR"'/nobody-listens.sock",
		"syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]}'
	hull_detached create --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.seccomp.listenerPath"* ]]
	check_no_leftovers
}

# Issue #8 item 2: without noNewPrivileges the filter needs CAP_SYS_ADMIN,
# which a non-root process.user loses at the uid switch.  runc's config
# (runc spec) with a user and noNewPrivileges false, as podman --user sends.
@test "a filter without noNewPrivileges and a non-root user (runc spec config), create and exec" {
	requires runc
	(cd "$BUNDLE" && rm config.json && runc spec)
	update_config '.process.terminal = false | .root.readonly = false
		| .linux.cgroupsPath = "'"$TEST_CGROUP_PARENT/$CID"'"
		| .process.noNewPrivileges = false | .process.user = {"uid": 1000, "gid": 1000}'
	seccomp '[{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 18}]'
	set_args /bin/sh -c 'checker seccomp; checker nnp; checker caps; checker mkdir /tmp/d; checker ids'
	run_hull run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(field Seccomp)" = 2 ]
	[ "$(field NoNewPrivs)" = 0 ]
	[ "$(field mkdir)" = EXDEV ]
	# The CAP_SYS_ADMIN kept for the install is gone in the process.
	[ "$(field CapEff)" = 0000000000000000 ]
	[ "$(field CapPrm)" = 0000000000000000 ]
	[[ "$output" == *"uid=1000"* ]]
	# exec --user into a container whose own user is root.
	update_config '.process.user = {"uid": 0, "gid": 0}'
	set_args /bin/checker sleep 60
	hull_detached run --detach --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	run_hull exec --user 1000:1000 "$CID" /bin/sh -c 'checker seccomp; checker caps; checker mkdir /tmp/e'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(field Seccomp)" = 2 ]
	[ "$(field mkdir)" = EXDEV ]
	[ "$(field CapEff)" = 0000000000000000 ]
	hull delete --force "$CID"
}

# Issue #8 item 5: Hull's own setup (the cwd check, the fd sweep, the
# identity switch, the create gate) must not run under the container's
# filter: a profile may deny whatever the process itself does not use.
@test "a profile denying getcwd and the runtime's own setup calls still runs (create and exec)" {
	seccomp '[{"names": ["getcwd", "chdir", "fchdir", "close_range", "capset", "capget",
		"setresuid", "setresgid", "setgroups", "keyctl", "umask", "access", "faccessat",
		"faccessat2", "prctl", "sendmsg", "recvmsg", "dup2", "dup3"],
		"action": "SCMP_ACT_ERRNO"}]'
	set_args /bin/checker seccomp
	run_hull run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(field Seccomp)" = 2 ]
	set_args /bin/checker sleep 60
	hull_detached run --detach --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	run_hull exec "$CID" /bin/checker seccomp
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(field Seccomp)" = 2 ]
	hull delete --force "$CID"
}

# Issue #8: exec ran its process with no filter at all when the profile
# used SCMP_ACT_NOTIFY.  It gets the same filter, and its own listener fd
# goes to listenerPath, as runc does.
@test "exec gets the SCMP_ACT_NOTIFY filter too; its listener reaches listenerPath again" {
	requires python3
	sock="$BATS_TEST_TMPDIR/agent.sock"
	python3 "$REPO/tests/integration/seccomp_listener.py" "$sock" "$BATS_TEST_TMPDIR/agent.out" 18 &
	LISTENER_PID=$!
	for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.05; done
	update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
		"listenerPath": "'"$sock"'", "listenerMetadata": "hello-agent",
		"syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]}'
	set_args /bin/checker sleep 60
	hull_detached run --detach --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	run_hull exec "$CID" /bin/sh -c 'checker seccomp; checker mkdir /tmp/d'
	echo "$output"
	cat "$BATS_TEST_TMPDIR/agent.out"
	[ "$status" -eq 0 ]
	[ "$(field Seccomp)" = 2 ]
	[ "$(field mkdir)" = EXDEV ]
	[ ! -d "$BUNDLE/rootfs/tmp/d" ]
	[ "$(grep -c '^got_fd=yes$' "$BATS_TEST_TMPDIR/agent.out")" -eq 2 ]
	grep -qx 'status=running' "$BATS_TEST_TMPDIR/agent.out"
	grep -q '^notified nr=83 ' "$BATS_TEST_TMPDIR/agent.out"
	hull delete --force "$CID"
}
