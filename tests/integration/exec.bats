#!/usr/bin/env bats
# exec: joins every namespace and the cgroup, returns the status.

load helpers

setup() {
	requires root
	setup_bundle
	set_args /bin/checker sleep 60
	hull_detached run --detach --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
}

teardown() {
	teardown_bundle
	check_no_leftovers
}

@test "exec joins the container's namespaces" {
	pid=$(hull state "$CID" | jq -r .pid)
	run_hull exec "$CID" /bin/checker ns
	[ "$status" -eq 0 ]
	for ns in mnt pid net ipc uts cgroup; do
		want=$(readlink /proc/"$pid"/ns/$ns)
		[[ "$output" == *"$ns=$want"* ]]
	done
}

@test "exec returns the process's exit status" {
	run_hull exec "$CID" /bin/checker exit 7
	[ "$status" -eq 7 ]
}

@test "exec joins the container's cgroup" {
	pid=$(hull state "$CID" | jq -r .pid)
	# On the host: the container's init is in its cgroup in every hierarchy.
	[[ "$(cat /proc/"$pid"/cgroup)" == *"$TEST_CGROUP_PARENT/$CID"* ]]
	# The exec'd process (a sleeper we can find from the host) is in exactly
	# the init's cgroups, hierarchy by hierarchy.
	hull exec "$CID" /bin/sleep 30 </dev/null >/dev/null 2>&1 &
	local epid=""
	for i in $(seq 1 50); do
		epid=$(pgrep -P "$pid" -x sleep || true)
		[ -z "$epid" ] || break
		epid=$(pgrep -f '^/bin/sleep 30$' | while read -r p; do
			[ "$(readlink /proc/$p/ns/pid)" = "$(readlink /proc/$pid/ns/pid)" ] && echo "$p"; done | head -n1)
		[ -z "$epid" ] || break
		sleep 0.1
	done
	[ -n "$epid" ]
	diff <(sort /proc/"$pid"/cgroup) <(sort /proc/"$epid"/cgroup)
	kill "$epid"
}

@test "exec --user, --env, --cwd and --cap apply" {
	run_hull exec --user 65534:65534 --additional-gids 5 "$CID" /bin/checker ids
	[[ "$output" == *"uid=65534"* ]]
	[[ "$output" == *"gid=65534"* ]]
	[[ "$output" == *"groups=5"* ]]
	run_hull exec --env FOO=bar "$CID" /bin/checker env FOO
	[ "$output" = "FOO=bar" ]
	run_hull exec --cwd /tmp "$CID" /bin/checker cwd
	[ "$output" = "cwd=/tmp" ]
	run_hull exec "$CID" /bin/checker syscall sethostname
	[ "$output" = "sethostname=EPERM" ]
	run_hull exec --cap CAP_SYS_ADMIN "$CID" /bin/checker syscall sethostname
	[ "$output" = "sethostname=ok" ]
}

@test "exec --process runs a process.json" {
	cat >"$BATS_TEST_TMPDIR/process.json" <<JSON
{"terminal": false, "cwd": "/", "args": ["/bin/checker", "env", "X"], "env": ["X=from-process-json"], "user": {"uid": 0, "gid": 0}}
JSON
	run_hull exec --process "$BATS_TEST_TMPDIR/process.json" "$CID"
	[ "$status" -eq 0 ]
	[ "$output" = "X=from-process-json" ]
}

@test "exec --detach returns at once and writes the pid file" {
	hull_detached exec --detach --pid-file "$BATS_TEST_TMPDIR/epid" "$CID" /bin/checker sleep 5
	[ "$status" -eq 0 ]
	epid=$(cat "$BATS_TEST_TMPDIR/epid")
	grep -q checker /proc/"$epid"/cmdline
}

@test "exec sees no runtime fd and stdin works" {
	run bash -c "echo piped | '$HULL_BIN' --root '$HULL_ROOT' exec '$CID' /bin/cat"
	[ "$output" = "piped" ]
	run_hull exec "$CID" /bin/checker fds
	[ "$status" -eq 0 ]
	# Only 0, 1, 2 (and the checker's own directory fd, which it skips).
	[ "$(echo "$output" | grep -c '^fd=')" -eq 3 ]
}

@test "exec of a missing program or into a stopped container fails clearly" {
	run_hull exec "$CID" /nonexistent
	[ "$status" -ne 0 ]
	[[ "$output" == *"process.args[0]"*"/nonexistent"* ]]
	hull kill "$CID" KILL
	wait_for_status "$CID" stopped
	run_hull exec "$CID" /bin/true
	[ "$status" -ne 0 ]
	[[ "$output" == *"stopped"* ]]
}

# Issue #8: --ignore-paused and --cgroup were accepted and ignored.
@test "exec into a paused container is refused unless --ignore-paused" {
	hull pause "$CID"
	run_hull exec "$CID" /bin/checker exit 3
	[ "$status" -ne 0 ]
	[[ "$output" == *"paused"*"--ignore-paused"* ]]
	# Accepted now; the process sits frozen until the container resumes.
	"$HULL_BIN" --root "$HULL_ROOT" exec --ignore-paused "$CID" /bin/checker exit 3 &
	exec_pid=$!
	hull resume "$CID"
	rc=0
	wait "$exec_pid" || rc=$?
	[ "$rc" -eq 3 ]
}

@test "exec --cgroup is refused clearly, nothing runs" {
	run_hull exec --cgroup sub "$CID" /bin/checker exit 0
	[ "$status" -ne 0 ]
	[[ "$output" == *"--cgroup sub"*"not supported"* ]]
}

# runtime-spec 1.2 process.execCPUAffinity: exec runs on .final once in the
# container's cgroup; the init is not affected (the spec says so).
@test "process.execCPUAffinity: an exec'd process runs on .final, the init keeps its cpus" {
	[ "$(nproc)" -ge 2 ] || skip "needs 2 cpus"
	hull delete --force "$CID"
	update_config '.process.execCPUAffinity = {"initial": "0", "final": "1"}'
	hull_detached run --detach --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	pid=$(hull state "$CID" | jq -r .pid)
	init_cpus=$(sed -n 's/^Cpus_allowed_list:\t//p' /proc/"$pid"/status)
	[ "$init_cpus" = "$(sed -n 's/^Cpus_allowed_list:\t//p' /proc/self/status)" ]
	run_hull exec "$CID" /bin/grep Cpus_allowed_list /proc/self/status
	[ "$status" -eq 0 ]
	[[ "$output" == *"Cpus_allowed_list:"*"1" ]]
	# --process: its own execCPUAffinity.
	jq '.process | .args = ["/bin/grep", "Cpus_allowed_list", "/proc/self/status"]
		| .execCPUAffinity = {"final": "0"}' "$BUNDLE/config.json" >"$BATS_TEST_TMPDIR/p.json"
	run_hull exec --process "$BATS_TEST_TMPDIR/p.json" "$CID"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Cpus_allowed_list:"*"0" ]]
}

@test "a malformed execCPUAffinity list is an error naming it, nothing left behind" {
	hull delete --force "$CID"
	update_config '.process.execCPUAffinity = {"final": "1-x"}'
	hull_detached create --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"process.execCPUAffinity.final"*"1-x"* ]]
	check_no_leftovers
}
