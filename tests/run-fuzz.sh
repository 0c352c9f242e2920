#!/usr/bin/env bash
# Runs every libFuzzer target in build-fuzz/ (make fuzz) for a bounded time
# over its seed corpus; prints one TAP line per target.  A crash, leak or
# sanitizer report is a failure, and the input that caused it is printed.
#
# Seeds: tests/fuzz/corpus/ for fuzz_spec, tests/fuzz/corpus-NAME/ for
# fuzz_NAME (optional).  Environment: HULL_FUZZ_SECONDS (default 45).
set -uo pipefail
cd "$(dirname "$0")/.."
secs=${HULL_FUZZ_SECONDS:-45}
bins=(build-fuzz/fuzz_*)
bins=("${bins[@]/*.o/}")
targets=()
for b in "${bins[@]}"; do
	[ -x "$b" ] && [ -f "$b" ] && targets+=("$b")
done
echo "1..${#targets[@]}"
n=0 rc=0
for b in "${targets[@]}"; do
	n=$((n + 1))
	name=${b#build-fuzz/fuzz_}
	seeds=tests/fuzz/corpus-$name
	[ "$name" = spec ] && seeds=tests/fuzz/corpus
	work=$(mktemp -d /tmp/hull-fuzz.XXXXXX)
	[ -d "$seeds" ] && cp -r "$seeds"/. "$work"/
	log=$work.log
	# -rss_limit_mb bounds memory; -timeout catches hangs on one input.
	"$b" -max_total_time="$secs" -timeout=10 -rss_limit_mb=1024 -print_final_stats=1 \
		-artifact_prefix="$work." "$work" >"$log" 2>&1
	frc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	if [ "$frc" -eq 0 ]; then
		echo "ok $n - fuzz_$name: ${secs} s, ${runs:-?} inputs, no finding"
	else
		echo "not ok $n - fuzz_$name: finding (exit $frc)"
		grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" | head -n 20 | sed 's/^/#   /'
		for a in "$work".crash-* "$work".leak-* "$work".timeout-* "$work".oom-*; do
			[ -f "$a" ] && { echo "#   input $a:"; head -c 600 "$a" | od -c | head -n 12 | sed 's/^/#   /'; }
		done
		rc=1
	fi
	rm -rf "$work" "$log" "$work".*
done
exit $rc
