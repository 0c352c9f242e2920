#!/usr/bin/env bash
# Every folder may include only folders on floors below its own (STYLE.md):
# base at the bottom, cli on top.  Prints one TAP line per folder.
set -uo pipefail
cd "$(dirname "$0")/.."
floors=(base cgroups vmm netns oci images namespaces runtime cli)
declare -A level
for i in "${!floors[@]}"; do level[${floors[$i]}]=$i; done
n=0 bad=0
echo "1..${#floors[@]}"
for d in "${floors[@]}"; do
	n=$((n + 1))
	if [ ! -d "$d" ]; then
		echo "ok $n - floor $d # skip no such folder yet"
		continue
	fi
	up=$(grep -rnoE '#include "[a-z_]+/' "$d" --include='*.c' --include='*.h' |
		while IFS= read -r hit; do
			dep=${hit##*#include \"}; dep=${dep%/}
			[ "$dep" = "$d" ] && continue
			if [ -z "${level[$dep]+x}" ] || [ "${level[$dep]}" -ge "${level[$d]}" ]; then
				echo "$hit"
			fi
		done)
	if [ -n "$up" ]; then
		echo "not ok $n - floor $d includes folders at or above it:"
		printf '#   %s\n' $up
		bad=1
	else
		echo "ok $n - floor $d uses only floors below it"
	fi
done
exit $bad
