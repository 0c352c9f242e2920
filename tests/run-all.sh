#!/usr/bin/env bash
# Hull's whole test suite (as root on Debian 12): installs what it needs,
# builds with -Werror, runs the C unit tests, the bats integration suites on
# this host, and the suites that need the test VM (pure cgroup v2, systemd,
# a KVM that boots Linux).  Ends with one line: "N passed, N failed, N skipped".
#
# Environment: HULL_SKIP_VM=1 leaves out the VM suites (printed as skipped).
set -uo pipefail
cd "$(dirname "$0")/.."

logdir=$(mktemp -d /tmp/hull-tests.XXXXXX)
trap 'rm -rf "$logdir"' EXIT
passed=0 failed=0 skipped=0

# count_tap LOG: adds a TAP log's ok / not ok / skip lines to the totals.
count_tap() {
	local ok notok skip
	ok=$(grep -cE '^ok ' "$1")
	notok=$(grep -cE '^not ok ' "$1")
	skip=$(grep -cE '^ok .*# (skip|SKIP)' "$1")
	passed=$((passed + ok - skip))
	failed=$((failed + notok))
	skipped=$((skipped + skip))
}

stage() { printf '\n=== %s\n' "$*"; }

stage "dependencies"
if ! tests/install-deps.sh test; then
	echo "not ok - installing dependencies" | tee "$logdir/deps"
	count_tap "$logdir/deps"
fi

stage "build (warnings are errors)"
if ! make -j"$(nproc)" CI=true all 2>&1 | tail -5; then
	echo "not ok - build" >"$logdir/build"
	count_tap "$logdir/build"
	echo "${passed} passed, ${failed} failed, ${skipped} skipped"
	exit 1
fi

stage "unit tests"
make CI=true check-unit 2>&1 | tee "$logdir/unit"
unit_rc=${PIPESTATUS[0]}
count_tap "$logdir/unit"
if [ "$unit_rc" -ne 0 ] && ! grep -qE '^not ok ' "$logdir/unit"; then
	# A unit binary failed without saying which check: count it once.
	echo "not ok - a unit test binary exited non-zero" | tee -a "$logdir/unit"
	failed=$((failed + 1))
fi

# images: begin (the image parsers' fuzz target, for a bounded time)
stage "fuzz: images (manifests, configs, auth, layer tars), ${FUZZ_SECONDS:-60}s"
if make -s fuzz-images-run FUZZ_SECONDS="${FUZZ_SECONDS:-60}" >"$logdir/fuzz.log" 2>&1; then
	echo "ok - fuzz-images found nothing in ${FUZZ_SECONDS:-60}s" | tee "$logdir/fuzz"
else
	tail -20 "$logdir/fuzz.log"
	echo "not ok - fuzz-images (see the crash above)" | tee "$logdir/fuzz"
fi
count_tap "$logdir/fuzz"
# images: end

stage "integration tests (this host)"
bats --tap tests/integration/*.bats 2>&1 | tee "$logdir/integration"
count_tap "$logdir/integration"

stage "guest kernel for the microVM suites (cached by its config's hash)"
if [ "${HULL_SKIP_VM:-0}" != 1 ]; then
	# Minutes on first use, instant when cached; niced so a busy machine
	# stays usable.  Without it the microVM tests skip and say why.
	if ! nice -n 5 make -s vm-kernel 2>&1 | tail -5; then
		echo "not ok - building the guest kernel (make vm-kernel)" | tee "$logdir/kernel"
		count_tap "$logdir/kernel"
	fi
fi

stage "test VM suites"
if [ "${HULL_SKIP_VM:-0}" = 1 ]; then
	echo "ok 1 test VM suites # skip HULL_SKIP_VM=1" | tee "$logdir/vm"
else
	make CI=true check-vm 2>&1 | tee "$logdir/vm"
	vm_rc=${PIPESTATUS[0]}
	if [ "$vm_rc" -ne 0 ] && ! grep -qE '^not ok ' "$logdir/vm"; then
		echo "not ok - test VM run failed (exit $vm_rc) before reporting tests" | tee -a "$logdir/vm"
	fi
fi
count_tap "$logdir/vm"

echo
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
[ "$failed" -eq 0 ]
