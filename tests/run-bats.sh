#!/usr/bin/env bash
# Runs bats files (a directory or files), prints their TAP output and a
# closing summary line "N passed, N failed, N skipped"; exits non-zero when
# any test failed.
set -uo pipefail

if [ $# -eq 0 ]; then
	echo "usage: $0 DIR|FILE.bats..." >&2
	exit 2
fi
files=()
for a in "$@"; do
	if [ -d "$a" ]; then
		while IFS= read -r f; do files+=("$f"); done < <(ls "$a"/*.bats 2>/dev/null | sort)
	else
		files+=("$a")
	fi
done
if [ ${#files[@]} -eq 0 ]; then
	echo "run-bats: no .bats files in $*" >&2
	exit 2
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
bats --tap "${files[@]}" 2>&1 | tee "$log"
passed=$(grep -cE '^ok [0-9]+' "$log" | tr -d ' ')
skipped=$(grep -cE '^ok [0-9]+ .*# skip' "$log" | tr -d ' ')
failed=$(grep -cE '^not ok [0-9]+' "$log" | tr -d ' ')
passed=$((passed - skipped))
echo "bats: ${passed} passed, ${failed} failed, ${skipped} skipped"
[ "$failed" -eq 0 ]
