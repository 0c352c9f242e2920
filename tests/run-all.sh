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
# Environment: HULL_SKIP_VM=1 leaves out the VM stage (printed as a skip);
# HULL_FUZZ_SECONDS (default 45) per fuzz target.
set -uo pipefail
cd "$(dirname "$0")/.."

logdir=$(mktemp -d /tmp/hull-tests.XXXXXX)
trap 'rm -rf "$logdir"' EXIT
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
	stage "$name ($place)"
	"$@" 2>&1 | tee "$logdir/$name.log"
	rc=${PIPESTATUS[0]}
	count "$place" "$name" "$logdir/$name.log" "$rc"
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
if ! make -j"$(nproc)" CI=true all rootfs-template 2>&1 | tail -n 5; then
	fail_now "build"
	summary
	exit 1
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
else
	stage "guest kernel for the microVM suites (cached by its config's hash)"
	# Minutes on first use, instant when cached; niced so a busy machine
	# stays usable.  Without it the microVM tests skip and say why.
	nice -n 5 make -s vm-kernel 2>&1 | tail -n 5 || fail_now "building the guest kernel (make vm-kernel)"
	run_stage vm vm make -s CI=true check-vm
fi

summary
[ $((F[host] + F[vm])) -eq 0 ]
