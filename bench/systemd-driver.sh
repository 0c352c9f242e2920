#!/bin/bash
# bench/systemd-driver.sh: create+delete with Hull's systemd cgroup driver
# against its cgroupfs driver (and runc's systemd driver when runc is on
# PATH), in the same run.  Needs root, jq, systemd as PID 1 and pure cgroup
# v2: run it in the test VM,
#   make vm-run CMD='bench/systemd-driver.sh -n 30'
# Prints the median and p90 of one create+delete in ms per driver and the
# difference to cgroupfs (target: systemd <= cgroupfs + 2 ms at the median),
# create and delete apart, and the median of each step of Hull's systemd
# driver (HULL_SYSTEMD_TRACE, cgroups/systemd_trace.h).  HULL_BASELINE names
# an older hull binary to time its systemd driver in the same run.  The
# drivers take turns in every round (not one after the other): the load of
# neighbours on a shared host then falls on all of them alike.
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

us() { echo $(( ($2 - $1) / 1000 )); }   # ns -> us

# CPU time (clock ticks) systemd itself spends: PID 1 and journald, which
# logs every scope's start and stop.  On the VM's one CPU it delays Hull.
JOURNALD=$(pidof systemd-journald || true)
sd_ticks() {
	local p t=0
	for p in 1 $JOURNALD; do
		t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat")))
	done
	echo "$t"
}

# one DRIVER_NAME RUNTIME GLOBAL_FLAGS CGROUPS_PATH_PREFIX I: one create+delete
one() {
	local name=$1 rt=$2 flags=$3 prefix=$4 i=$5 t0 t1 t2 c0
	jq --arg p "$prefix$i" '.linux.cgroupsPath = $p' "$W/b/config.json" >"$W/b/c.json"
	cp "$W/b/c.json" "$W/b/config.json"
	c0=$(sd_ticks)
	t0=$(date +%s%N)
	# shellcheck disable=SC2086
	"$rt" --root "$W/root-$name" $flags create --bundle "$W/b" "sdb-$i" \
		</dev/null >/dev/null 2>"$W/err" || { echo "$name: create failed: $(tail -2 "$W/err")" >&2; return 1; }
	t1=$(date +%s%N)
	# shellcheck disable=SC2086
	"$rt" --root "$W/root-$name" $flags delete --force "sdb-$i" \
		>/dev/null 2>"$W/err" || { echo "$name: delete failed: $(tail -2 "$W/err")" >&2; return 1; }
	t2=$(date +%s%N)
	us "$t0" "$t2" >>"$W/$name.us"
	us "$t0" "$t1" >>"$W/$name-create.us"
	us "$t1" "$t2" >>"$W/$name-delete.us"
	echo $(($(sd_ticks) - c0)) >>"$W/$name.ticks"
}

# Mean CPU ms of systemd (PID 1 + journald) per round of a driver.
sd_cpu() {
	awk -v hz="$(getconf CLK_TCK)" '{ t += $1 } END { printf "%.0f", t * 1000 / hz / NR }' "$W/$1.ticks"
}

# systemd's own price for a transient scope, paid by its own client: what
# systemd-run --scope (connect, StartTransientUnit with the properties Hull
# sets, wait for the job; the scope goes when true exits) adds to /bin/true.
ref() { # NAME COMMAND...
	local name=$1 t0 t1
	shift
	t0=$(date +%s%N)
	"$@" >/dev/null 2>&1 || { echo "$name: failed: $*" >&2; return 1; }
	t1=$(date +%s%N)
	us "$t0" "$t1" >>"$W/$name.us"
}

stat_of() {  # file of microseconds -> "median p90" in ms
	sort -n "$1" | awk '{ a[NR] = $1 } END {
		m = a[int((NR + 1) / 2)]; p = a[int(NR * 0.9 + 0.5)]
		printf "%.2f %.2f\n", m / 1000, p / 1000 }'
}

# "create median / delete median" of a driver, in ms
parts() {
	local c d
	read -r c _ < <(stat_of "$W/$1-create.us")
	read -r d _ < <(stat_of "$W/$1-delete.us")
	printf "create %.2f / delete %.2f" "$c" "$d"
}

# name -> "runtime|flags|cgroupsPath prefix"; a driver that fails drops out.
declare -A drv=(
	[cgroupfs]="$HULL||/hull-sdbench/c"
	[systemd]="$HULL|--systemd-cgroup|system.slice:hullbench:s"
)
order=(cgroupfs systemd)
if [ -n "${HULL_BASELINE:-}" ]; then
	drv[baseline]="$HULL_BASELINE|--systemd-cgroup|system.slice:hullbase:b"
	order+=(baseline)
fi
if command -v runc >/dev/null; then
	drv[runc-systemd]="runc|--systemd-cgroup|system.slice:runcbench:r"
	order+=(runc-systemd)
else
	echo "runc not on PATH: its systemd driver is left out" >&2
fi
refs=1
for i in $(seq 1 "$N"); do
	for name in "${order[@]}"; do
		[ -n "${drv[$name]}" ] || continue
		IFS='|' read -r rt flags prefix <<<"${drv[$name]}"
		if [ "$name" = systemd ]; then
			HULL_SYSTEMD_TRACE=$W/trace one "$name" "$rt" "$flags" "$prefix" "$i" || drv[$name]=
		else
			one "$name" "$rt" "$flags" "$prefix" "$i" || drv[$name]=
		fi
	done
	if [ "$refs" = 1 ]; then
		ref plain /bin/true && ref scope systemd-run --scope --quiet --collect \
			--slice=system.slice -p Delegate=yes -p MemoryAccounting=yes -p CPUAccounting=yes \
			-p TasksAccounting=yes -p IOAccounting=yes -p DefaultDependencies=no /bin/true || refs=0
	fi
done
[ -n "${drv[cgroupfs]}" ] && [ -n "${drv[systemd]}" ] || exit 1

printf "create+delete, %d rounds (ms)       median    p90\n" "$N"
read -r cm cp < <(stat_of "$W/cgroupfs.us")
printf "hull cgroupfs                       %7.2f %7.2f   %s\n" "$cm" "$cp" "$(parts cgroupfs)"
read -r sm sp < <(stat_of "$W/systemd.us")
printf "hull systemd                        %7.2f %7.2f   %s   (%+.2f ms, x%.2f)\n" "$sm" "$sp" \
	"$(parts systemd)" \
	"$(awk -v a="$sm" -v b="$cm" 'BEGIN { print a - b }')" \
	"$(awk -v a="$sm" -v b="$cm" 'BEGIN { print a / b }')"
if [ -n "${drv[baseline]:-}" ]; then
	read -r bm bp < <(stat_of "$W/baseline.us")
	printf "baseline hull systemd               %7.2f %7.2f   %s   (%+.2f ms)\n" "$bm" "$bp" \
		"$(parts baseline)" "$(awk -v a="$bm" -v b="$cm" 'BEGIN { print a - b }')"
fi
if [ -n "${drv[runc-systemd]:-}" ]; then
	read -r rm rp < <(stat_of "$W/runc-systemd.us")
	printf "runc systemd                        %7.2f %7.2f   %s   (%+.2f ms; hull systemd / runc systemd x%.2f)\n" \
		"$rm" "$rp" "$(parts runc-systemd)" "$(awk -v a="$rm" -v b="$cm" 'BEGIN { print a - b }')" \
		"$(awk -v a="$sm" -v b="$rm" 'BEGIN { print a / b }')"
fi
if [ "$refs" = 1 ]; then
	read -r pm _ < <(stat_of "$W/plain.us")
	read -r scm _ < <(stat_of "$W/scope.us")
	printf "systemd-run --scope true vs true    %7.2f ms more (systemd's own client, same scope)\n" \
		"$(awk -v a="$scm" -v b="$pm" 'BEGIN { print a - b }')"
fi

# Where Hull's systemd driver spends its time: the median of each step.
if [ -s "$W/trace" ]; then
	echo "hull systemd driver, median per step (ms):"
	awk '{ print $1 }' "$W/trace" | awk '!seen[$0]++' | while read -r step; do
		awk -v s="$step" '$1 == s { print $2 }' "$W/trace" >"$W/step.us"
		read -r m _ < <(stat_of "$W/step.us")
		printf "  %-24s %7.2f\n" "$step" "$m"
	done
fi
echo "systemd's own CPU (PID 1 + journald) per create+delete, mean (ms):"
for name in "${order[@]}"; do
	[ -s "$W/$name.ticks" ] && printf "  %-24s %7s\n" "$name" "$(sd_cpu "$name")"
done
