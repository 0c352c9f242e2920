#!/bin/sh
# vm-boot-profile.sh HULL KERNEL INITRD [SYSTEM_MAP]
# Where a Hull guest's boot goes, two ways.  From the guest's own log:
# boots KERNEL with initcall_debug under `quiet` (so the timing lines go to
# the log buffer, not through the console, which would cost exits of its
# own) and has the agent print the log (hull.config=/hull/dmesg.conf, made
# by vmm/tests/make-test-assets.sh).  Prints the slowest initcalls and
# device probes (symbols from SYSTEM_MAP when given), the largest gaps
# between consecutive log lines (early boot has no initcalls), and the
# monitor's own view: exits, run time and wall time (runstat on PATH).
# From outside: a plain boot (the `echo` workload) under `hull vm-boot
# --sample`, which notes the guest's RIP every millisecond; with
# SYSTEM_MAP, the functions most often seen and the top three per 200 ms
# of the boot (this is what finds time the log cannot show, e.g. between
# two lines).  The guest's clock under nested emulation is only roughly
# right and host load stretches everything: compare lines of one run, not
# runs.
set -eu
hull=$1 kernel=$2 initrd=$3 map=${4:-}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
runstat "$hull" vm-boot --kernel "$kernel" --initrd "$initrd" --mem 128 --stats \
	--cmdline "quiet initcall_debug log_buf_len=1M printk.time=1 hull.config=/hull/dmesg.conf" \
	</dev/null >"$out" 2>&1 || true
grep -q 'initcall' "$out" || { echo "no initcall lines: is dmesg.conf in $initrd?" >&2; cat "$out" >&2; exit 1; }
sym() {
	if [ -n "$map" ]; then
		awk -v a="$1" 'BEGIN { a = tolower(a); sub(/^0x/, "", a) } $1 == a { print $3; exit }' "$map"
	fi
}
echo "# slowest initcalls and probes (ms)"
grep -E 'returned .* after [0-9]+ usecs' "$out" |
	sed -E 's/.*(initcall|probe of) ([^ ]+) returned.* after ([0-9]+) usecs.*/\3 \1 \2/' |
	sort -rn | head -15 | while read -r us kind what; do
		s=$(sym "$what")
		printf '%8.1f  %s %s%s\n' "$(echo "$us" | awk '{ print $1 / 1000 }')" "$kind" "$what" "${s:+ ($s)}"
	done
echo "# largest gaps between log lines (ms), with the line after the gap"
grep -E '^\[ *[0-9]+\.[0-9]+\]' "$out" |
	awk -F'[][]' '{ t = $2 + 0; if (NR > 1) printf "%.1f %s\n", (t - p) * 1000, $3; p = t }' |
	sort -rn | head -10
echo "# the monitor"
grep -E '^hull vm-boot: [0-9]+ exits|^runstat:' "$out"

[ -n "$map" ] || exit 0
runstat "$hull" vm-boot --kernel "$kernel" --initrd "$initrd" --mem 128 --stats --sample 1000 \
	--cmdline "quiet hull.config=/hull/echo.conf" </dev/null >"$out" 2>&1 || true
# Symbolise: addresses are fixed-width hex, so one sort orders samples
# among the symbols; each sample belongs to the symbol before it.
sampled=$(mktemp)
trap 'rm -f "$out" "$sampled"' EXIT
{
	awk '$2 ~ /^[tTwW]$/ { print $1, "S", $3 }' "$map"
	awk '/^hull sample: / { a = $4; while (length(a) < 16) a = "0" a; print a, "R", $3 }' "$out"
} | sort -k1,1 | awk '$2 == "S" { f = $3 } $2 == "R" { print $3, (f == "" ? "(user-space/early-boot)" : f) }' \
	> "$sampled"
echo "# sampled every 1 ms: where vCPU 0 was ($(wc -l < "$sampled") samples)"
awk '{ n[$2]++ } END { for (f in n) print n[f], f }' "$sampled" | sort -rn | head -15 |
	awk '{ printf "%6d  %s\n", $1, $2 }'
echo "# per 200 ms of the boot (host time), the three most sampled functions"
awk '{ w = int($1 / 200); n[w "|" $2]++ }
	END { for (k in n) { split(k, a, "|"); print a[1], n[k], a[2] } }' "$sampled" |
	sort -k1,1n -k2,2nr | awk '$1 != p { c = 0; p = $1 } c++ < 3 { l[$1] = l[$1] sprintf(" %s %d,", $3, $2) }
	END { for (w in l) printf "%6d ms:%s\n", w * 200, l[w] }' | sort -n
grep -E '^hull vm-boot: [0-9]+ exits|^runstat:' "$out"
