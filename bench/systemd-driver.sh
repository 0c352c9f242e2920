#!/bin/bash
# bench/systemd-driver.sh: create+delete with Hull's systemd cgroup driver
# against its cgroupfs driver (and runc's systemd driver when runc is on
# PATH), in the same run.  Needs root, jq, systemd as PID 1 and pure cgroup
# v2: run it in the test VM,
#   make vm-run CMD='bench/systemd-driver.sh -n 30'
# Prints the median and p90 of one create+delete in ms per driver and the
# difference to cgroupfs (target: systemd <= cgroupfs + 2 ms at the median).
set -euo pipefail
N=30
[ "${1:-}" = -n ] && N=$2
REPO=$(cd "$(dirname "$0")/.." && pwd)
HULL=${HULL:-$REPO/build/hull}
ROOTFS=$REPO/build/tests/rootfs
[ "$(cat /proc/1/comm)" = systemd ] || { echo "needs systemd as PID 1" >&2; exit 1; }
[ -f /sys/fs/cgroup/cgroup.controllers ] || { echo "needs pure cgroup v2" >&2; exit 1; }
W=$(mktemp -d /tmp/sdbench.XXXXXX)
trap 'rm -rf "$W"; rmdir /sys/fs/cgroup/hull-sdbench 2>/dev/null || true' EXIT
mkdir -p "$W/b"
(cd "$W/b" && "$HULL" spec)
jq --arg r "$ROOTFS" '.ociVersion = "1.0.2" | .root = {path: $r, readonly: true}
	| .process.terminal = false | .process.args = ["/bin/true"]' \
	"$W/b/config.json" >"$W/b/c" && mv "$W/b/c" "$W/b/config.json"

ms() { echo $(( ($2 - $1) / 1000 )); }   # ns -> us

# one DRIVER_NAME RUNTIME GLOBAL_FLAGS CGROUPS_PATH_PREFIX
one() {
	local name=$1 rt=$2 flags=$3 prefix=$4 i t0 t1
	: >"$W/$name.us"
	for i in $(seq 1 "$N"); do
		jq --arg p "$prefix$i" '.linux.cgroupsPath = $p' "$W/b/config.json" >"$W/b/c.json"
		cp "$W/b/c.json" "$W/b/config.json"
		t0=$(date +%s%N)
		# shellcheck disable=SC2086
		"$rt" --root "$W/root-$name" $flags create --bundle "$W/b" "sdb-$i" \
			</dev/null >/dev/null 2>"$W/err" || { echo "$name: create failed: $(tail -2 "$W/err")" >&2; return 1; }
		# shellcheck disable=SC2086
		"$rt" --root "$W/root-$name" $flags delete --force "sdb-$i" \
			>/dev/null 2>"$W/err" || { echo "$name: delete failed: $(tail -2 "$W/err")" >&2; return 1; }
		t1=$(date +%s%N)
		ms "$t0" "$t1" >>"$W/$name.us"
	done
}

stat_of() {  # file -> "median p90" in ms
	sort -n "$1" | awk '{ a[NR] = $1 } END {
		m = a[int((NR + 1) / 2)]; p = a[int(NR * 0.9 + 0.5)]
		printf "%.2f %.2f\n", m / 1000, p / 1000 }'
}

printf "create+delete, %d runs each (ms)   median    p90\n" "$N"
one cgroupfs "$HULL" "" /hull-sdbench/c
read -r cm cp < <(stat_of "$W/cgroupfs.us")
printf "hull cgroupfs                       %7.2f %7.2f\n" "$cm" "$cp"
one systemd "$HULL" --systemd-cgroup system.slice:hullbench:s
read -r sm sp < <(stat_of "$W/systemd.us")
printf "hull systemd                        %7.2f %7.2f   (%+.2f ms, x%.2f)\n" "$sm" "$sp" \
	"$(awk -v a="$sm" -v b="$cm" 'BEGIN { print a - b }')" \
	"$(awk -v a="$sm" -v b="$cm" 'BEGIN { print a / b }')"
if command -v runc >/dev/null; then
	if one runc-systemd runc --systemd-cgroup system.slice:runcbench:r; then
		read -r rm rp < <(stat_of "$W/runc-systemd.us")
		printf "runc systemd                        %7.2f %7.2f   (hull systemd / runc systemd x%.2f)\n" \
			"$rm" "$rp" "$(awk -v a="$sm" -v b="$rm" 'BEGIN { print a / b }')"
	fi
else
	echo "runc not on PATH: its systemd driver is left out" >&2
fi
