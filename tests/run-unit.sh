#!/usr/bin/env bash
# Runs C unit test binaries and prints one TAP stream for all of them:
# each binary's ok / not ok lines, prefixed with its name.  A binary that
# exits non-zero without a "not ok", that prints fewer results than its
# plan, or that cannot run is a failure; one that skips as a whole
# ("1..0 # skip REASON" or "# skip: REASON") is one skipped test.
set -uo pipefail
[ $# -gt 0 ] || { echo "usage: $0 BINARY..." >&2; exit 2; }
n=0 rc=0
emit() { n=$((n + 1)); echo "$1 $n - $2"; }
for b in "$@"; do
	name=${b##*/}
	if [ ! -x "$b" ]; then
		emit "not ok" "$name: not built"
		rc=1
		continue
	fi
	out=$("$b" 2>&1)
	brc=$?
	printf '%s\n' "$out" | sed -n 's/^#/#/p' | sed "s|^|# $name: |"
	plan=$(printf '%s\n' "$out" | sed -n 's/^1\.\.\([0-9]*\).*/\1/p' | head -n1)
	skipwhy=$(printf '%s\n' "$out" | sed -n 's/^1\.\.0 *# *[Ss][Kk][Ii][Pp] *//p; s/^# skip: *//p' | head -n1)
	results=0 bad=0
	while IFS= read -r line; do
		case $line in
		"not ok"*) emit "not ok" "$name: ${line#not ok }"; results=$((results + 1)); bad=1 ;;
		"ok"*) emit "ok" "$name: ${line#ok }"; results=$((results + 1)) ;;
		esac
	done < <(printf '%s\n' "$out")
	if [ -n "$skipwhy" ] && [ "$results" -eq 0 ]; then
		emit "ok" "$name # skip $skipwhy"
		continue
	fi
	if [ -n "$plan" ] && [ "$plan" != "$results" ]; then
		emit "not ok" "$name: planned $plan results, printed $results (crashed?)"
		bad=1
	fi
	if [ "$brc" -ne 0 ] && [ "$bad" = 0 ]; then
		emit "not ok" "$name: exited $brc"
		bad=1
	fi
	if [ "$results" -eq 0 ] && [ "$bad" = 0 ]; then
		emit "not ok" "$name: printed no result"
		bad=1
	fi
	[ "$bad" = 0 ] || rc=1
done
echo "1..$n"
exit $rc
