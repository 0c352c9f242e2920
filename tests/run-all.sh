#!/usr/bin/env bash
# Hull's whole test suite (as root on Debian 12): installs what it needs,
# builds with -Werror, then runs, each as one stage with its own TAP log:
#   host: layering check, C unit tests, the same under ASan/UBSan, the
#         fuzz targets for a bounded time, the bats integration suites;
#   vm:   inside the QEMU test VM, only the tests tagged `vm` (pure cgroup
#         v2, systemd as PID 1, a KVM that boots Linux).
# Every test is counted once per place it ran.  A stage whose runner
# crashed, exited non-zero without a failing test, or printed fewer results
# than its TAP plan counts as a failure.  The last line is
# "N passed, N failed, N skipped".
#
# The VM stage is the long one (~28 min of a ~40 min run) and needs only
# the build, so it starts right after the build, in the background, and
# the host stages run beside it; its log is printed when both are done.
# Each stage's output says how long it took.
#
# Environment: HULL_SKIP_VM=1 leaves out the VM stage (printed as a skip);
# HULL_CI_SERIAL=1 runs the VM stage after the host stages, not beside
# them; HULL_FUZZ_SECONDS (default 45) per fuzz target.
set -uo pipefail
cd "$(dirname "$0")/.."

logdir=$(mktemp -d /tmp/hull-tests.XXXXXX)
vm_pid=
# The VM stage runs in its own session (setsid): stopping it is one kill of
# its process group, and run-in-vm.sh's own trap then stops QEMU.
stop_vm_stage() {
	[ -n "$vm_pid" ] && kill -TERM -- "-$vm_pid" 2>/dev/null
	vm_pid=
}
trap 'stop_vm_stage; rm -rf "$logdir"' EXIT
trap 'exit 130' INT TERM
start=$SECONDS
declare -A P F S
P=([host]=0 [vm]=0) F=([host]=0 [vm]=0) S=([host]=0 [vm]=0)
skips=()

stage() { printf '\n=== %s\n' "$*"; }

# count PLACE NAME LOG RC: adds a TAP log to PLACE's totals, checking the
# plan and the runner's exit status.
count() {
	local place=$1 name=$2 log=$3 rc=$4 ok notok skip plan results line
	ok=$(grep -cE '^ok ' "$log")
	notok=$(grep -cE '^not ok ' "$log")
	skip=$(grep -cE '^ok [0-9]* ?-? ?.*# (skip|SKIP)' "$log")
	results=$((ok + notok))
	P[$place]=$((P[$place] + ok - skip))
	F[$place]=$((F[$place] + notok))
	S[$place]=$((S[$place] + skip))
	while IFS= read -r line; do
		skips+=("$place: $line")
	done < <(grep -E '^ok .*# (skip|SKIP)' "$log" | sed -E 's/^ok [0-9]+ (- )?//')
	plan=$(grep -E '^1\.\.[0-9]+' "$log" | head -n1 | sed -E 's/^1\.\.([0-9]+).*/\1/')
	if [ -n "$plan" ] && [ "$plan" -ne "$results" ]; then
		echo "not ok - $name: the runner planned $plan tests and reported $results (it crashed or stopped)"
		F[$place]=$((F[$place] + 1))
	elif [ -z "$plan" ] && [ "$results" -eq 0 ]; then
		echo "not ok - $name: no test results at all (exit $rc)"
		F[$place]=$((F[$place] + 1))
	elif [ "$rc" -ne 0 ] && [ "$notok" -eq 0 ]; then
		echo "not ok - $name: the runner exited $rc without a failing test"
		F[$place]=$((F[$place] + 1))
	fi
}

# run_stage PLACE NAME COMMAND...: runs COMMAND, its output teed to a log.
run_stage() {
	local place=$1 name=$2 rc
	shift 2
	local t0=$SECONDS
	stage "$name ($place)"
	"$@" 2>&1 | tee "$logdir/$name.log"
	rc=${PIPESTATUS[0]}
	count "$place" "$name" "$logdir/$name.log" "$rc"
	echo "($name took $((SECONDS - t0)) s)"
}

# The VM stage's work: the guest kernel (cached by its config's hash;
# minutes on first use, niced so the host stages keep their pace), then
# the tagged tests in the test VM.  Output goes to files, shown later.
vm_stage() {
	local t0=$SECONDS rc=0
	nice -n 5 make -s vm-kernel >"$logdir/vm-kernel.log" 2>&1 || echo fail >"$logdir/vm-kernel.failed"
	echo "($((SECONDS - t0)) s)" >>"$logdir/vm-kernel.log"
	t0=$SECONDS
	make -s CI=true check-vm >"$logdir/vm.log" 2>&1 || rc=$?
	echo "$rc" >"$logdir/vm.rc"
	echo "$((SECONDS - t0))" >"$logdir/vm.seconds"
}

# Shows what vm_stage left and counts it.
vm_report() {
	stage "guest kernel for the microVM suites (cached by its config's hash)"
	tail -n 6 "$logdir/vm-kernel.log"
	[ -e "$logdir/vm-kernel.failed" ] && fail_now "building the guest kernel (make vm-kernel)"
	stage "vm (vm)"
	if [ ! -e "$logdir/vm.rc" ]; then
		cat "$logdir/vm.log" 2>/dev/null
		fail_now "the VM stage ended without a status"
		return
	fi
	cat "$logdir/vm.log"
	count vm vm "$logdir/vm.log" "$(cat "$logdir/vm.rc")"
	echo "(vm took $(cat "$logdir/vm.seconds") s)"
}

fail_now() {
	echo "not ok - $1"
	F[host]=$((F[host] + 1))
}

summary() {
	echo
	if [ ${#skips[@]} -gt 0 ]; then
		echo "Skipped, with reasons:"
		printf '  %s\n' "${skips[@]}"
	fi
	for place in host vm; do
		echo "$place: ${P[$place]} passed, ${F[$place]} failed, ${S[$place]} skipped"
	done
	echo "$((P[host] + P[vm])) passed, $((F[host] + F[vm])) failed, $((S[host] + S[vm])) skipped"
}

stage "dependencies"
tests/install-deps.sh test || fail_now "installing dependencies (tests/install-deps.sh)"

stage "build (warnings are errors)"
if ! make -j"$(nproc)" CI=true all rootfs-template vm-test-assets 2>&1 | tail -n 5; then
	fail_now "build"
	summary
	exit 1
fi

if [ "${HULL_SKIP_VM:-0}" != 1 ] && [ "${HULL_CI_SERIAL:-0}" != 1 ]; then
	stage "test VM suites: started beside the host stages, shown after them"
	setsid bash -c "$(declare -f vm_stage); logdir='$logdir'; vm_stage" </dev/null &
	vm_pid=$!
fi

run_stage host floors tests/check-floors.sh
run_stage host test-lint tests/check-tests.sh
run_stage host unit make -s CI=true check-unit
run_stage host unit-asan make -s CI=true check-unit-asan
if make -s -j"$(nproc)" fuzz >"$logdir/fuzz-build.log" 2>&1; then
	run_stage host fuzz tests/run-fuzz.sh
else
	tail -n 20 "$logdir/fuzz-build.log"
	fail_now "building the fuzz targets (make fuzz)"
fi
run_stage host integration bats --tap tests/integration

if [ "${HULL_SKIP_VM:-0}" = 1 ]; then
	stage "test VM suites"
	echo "ok 1 - test VM suites # skip HULL_SKIP_VM=1" | tee "$logdir/vm.log"
	count vm vm "$logdir/vm.log" 0
elif [ -n "$vm_pid" ]; then
	# the host stages are done: the VM stage is now the only job
	wait "$vm_pid"
	vm_pid=
	vm_report
else
	vm_stage
	vm_report
fi

echo "(all stages took $((SECONDS - start)) s)"
summary
[ $((F[host] + F[vm])) -eq 0 ]
