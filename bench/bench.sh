#!/bin/bash
# bench/bench.sh: Hull, runc and crun side by side, in one run, on the same
# busybox bundle.  Prints a table of figures and the ratios hull/runc and
# hull/crun.  See bench/README.md.
#
#   bench/bench.sh [-n N]          N runs per latency figure (default 50)
#
# Environment: HULL (default build/hull), RUNC, CRUN (default from PATH),
# BENCH_KEEP=1 keeps the work directory.
#
# All three runtimes run inside one private mount namespace in which
# /sys/fs/cgroup/unified/cgroup.controllers is hidden (bound over with
# /dev/null): crun refuses hybrid hosts whose cgroup2 mount carries a
# controller, and the comparison is only fair if every runtime sees the
# same host.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
N=50
while [ $# -gt 0 ]; do
	case "$1" in
	-n) N="$2"; shift 2 ;;
	-h|--help) sed -n '2,16p' "$0"; exit 0 ;;
	*) echo "bench.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done

[ "$(id -u)" = 0 ] || { echo "bench.sh: needs root" >&2; exit 1; }

if [ -z "${HULL_BENCH_INNER:-}" ]; then
	exec unshare -m --propagation private env HULL_BENCH_INNER=1 "$0" -n "$N"
fi
if [ -f /sys/fs/cgroup/unified/cgroup.controllers ]; then
	mount --bind /dev/null /sys/fs/cgroup/unified/cgroup.controllers
fi

HULL="${HULL:-$REPO/build/hull}"
RUNC="${RUNC:-$(command -v runc || true)}"
CRUN="${CRUN:-$(command -v crun || true)}"
[ -x "$HULL" ] || { echo "bench.sh: no $HULL (run make)" >&2; exit 1; }

WORK=$(mktemp -d /tmp/hull-bench.XXXXXX)
CG_PARENT="hull-bench-${WORK##*.}"
LOG="$WORK/errors.log"
cleanup() {
	local rt root id
	for rt in hull runc crun; do
		root="$WORK/state-$rt"
		[ -d "$root" ] || continue
		for id in $(ls -A "$root" 2>/dev/null); do
			"$(bin_of "$rt")" --root "$root" delete --force "$id" >/dev/null 2>&1 || true
		done
	done
	# The runtimes remove their containers' cgroups; the parent is ours.
	rmdir /sys/fs/cgroup/*/"$CG_PARENT"/* /sys/fs/cgroup/*/"$CG_PARENT" 2>/dev/null || true
	[ -n "${BENCH_KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT

bin_of() {
	case "$1" in
	hull) echo "$HULL" ;;
	runc) echo "$RUNC" ;;
	crun) echo "$CRUN" ;;
	esac
}

RUNTIMES=(hull)
[ -n "$RUNC" ] && RUNTIMES+=(runc) || echo "bench.sh: runc not found, left out" >&2
[ -n "$CRUN" ] && RUNTIMES+=(crun) || echo "bench.sh: crun not found, left out" >&2

cc -O2 -Wall -Wextra -o "$WORK/runstat" "$REPO/bench/runstat.c"
RUNSTAT="$WORK/runstat"

# One rootfs for every bundle (root.path is absolute); per runtime, bundles
# w0..w3 (one per parallel worker, each with its own cgroup) and one for
# the exec target.  ociVersion 1.0.2: crun 1.8 rejects newer versions.
ROOTFS="$REPO/build/tests/rootfs"
if [ ! -x "$ROOTFS/bin/busybox" ]; then
	ROOTFS="$WORK/rootfs"
	mkdir -p "$ROOTFS"/{bin,proc,sys,dev,tmp}
	cp /bin/busybox "$ROOTFS/bin/busybox"
	for a in true sleep sh; do ln -s busybox "$ROOTFS/bin/$a"; done
fi
# The bundle is `crun spec`'s (the peers' default, not Hull's own), so all
# three runtimes run the config that engines and users hand them; only
# root, args, terminal and cgroupsPath are changed below.
if [ -n "$CRUN" ]; then
	(cd "$WORK" && "$CRUN" spec)
elif [ -n "$RUNC" ]; then
	echo "bench.sh: no crun, the bundle is runc's spec" >&2
	(cd "$WORK" && "$RUNC" spec)
else
	(cd "$WORK" && "$HULL" spec)
fi
make_bundle() { # DIR CGROUP ARGS_JSON
	mkdir -p "$1"
	jq --arg root "$ROOTFS" --arg cg "/$CG_PARENT/$2" --argjson args "$3" \
		'.ociVersion = "1.0.2" | .root.path = $root | .root.readonly = true
		| .process.terminal = false | .process.args = $args
		| .linux.cgroupsPath = $cg' "$WORK/config.json" >"$1/config.json"
}
for rt in "${RUNTIMES[@]}"; do
	for w in 0 1 2 3; do
		make_bundle "$WORK/$rt/w$w" "$rt-w$w" '["/bin/true"]'
	done
	make_bundle "$WORK/$rt/exec" "$rt-exec" '["/bin/sleep", "100000"]'
	mkdir -p "$WORK/state-$rt"
done

# stats FILE: "median p90 cpu_median maxrss_max failures" from runstat lines.
stats() {
	awk '$1 == "run" { n++; w[n] = $2; c[n] = $3 + $4; if ($5 > m) m = $5; if ($6 != 0) f++ }
	function sort(a, n,   i, j, t) { for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j > 0 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t } }
	END { sort(w, n); sort(c, n); p = int(n * 0.9 + 0.5); if (p < 1) p = 1
	      printf "%d %d %d %d %d\n", w[int((n + 1) / 2)], w[p], c[int((n + 1) / 2)], m, f }' "$1"
}
total_of() { awk '$1 == "total" { print $2 }' "$1"; }

# The runtimes take turns: each iteration runs hull, then runc, then crun,
# so that a change in the machine's load (2 CPUs shared with others) falls
# on all three alike rather than on whichever ran during it.
declare -A R
rs() { # RUNTIME OUTFILE RUNSTAT_ARGS... (the runtime binary and --root follow)
	local rt="$1" out="$WORK/out-$rt/$2"
	shift 2
	"$RUNSTAT" "$@" >>"$out" 2>>"$LOG"
}
rt_cmd() { echo "$(bin_of "$1")" --root "$WORK/state-$1"; }

for rt in "${RUNTIMES[@]}"; do
	mkdir -p "$WORK/out-$rt"
	echo "== $rt: $("$(bin_of "$rt")" --version 2>/dev/null | head -1)" >&2
	# Warm the page cache and the cgroup parents.
	rs "$rt" warm 3 $(rt_cmd "$rt") run --bundle "$WORK/$rt/w0" "$rt-warm{}"
done

echo "run, create/start/delete: $N rounds" >&2
for i in $(seq 1 "$N"); do
	for rt in "${RUNTIMES[@]}"; do
		# run: create + start + wait + delete of /bin/true.
		rs "$rt" run 1 $(rt_cmd "$rt") run --bundle "$WORK/$rt/w0" "$rt-run$i"
		# create / start / delete, each step timed on its own.
		rs "$rt" create 1 $(rt_cmd "$rt") create --bundle "$WORK/$rt/w0" "$rt-csd$i"
		rs "$rt" start 1 $(rt_cmd "$rt") start "$rt-csd$i"
		# /bin/true is quick; wait for it, so delete measures the delete.
		while [ "$($(rt_cmd "$rt") state "$rt-csd$i" 2>/dev/null | jq -r .status)" = running ]; do :; done
		rs "$rt" delete 1 $(rt_cmd "$rt") delete "$rt-csd$i"
	done
done

echo "exec: $N rounds" >&2
for rt in "${RUNTIMES[@]}"; do
	$(rt_cmd "$rt") run --detach --bundle "$WORK/$rt/exec" "$rt-exec" </dev/null >/dev/null 2>>"$LOG"
done
for i in $(seq 1 "$N"); do
	for rt in "${RUNTIMES[@]}"; do
		rs "$rt" exec 1 $(rt_cmd "$rt") exec "$rt-exec" /bin/true
	done
done
for rt in "${RUNTIMES[@]}"; do
	$(rt_cmd "$rt") kill "$rt-exec" KILL 2>>"$LOG" || true
done
sleep 0.3
for rt in "${RUNTIMES[@]}"; do
	$(rt_cmd "$rt") delete --force "$rt-exec" 2>>"$LOG" || true
done

echo "100 sequential runs, 100 runs by 4 parallel workers" >&2
for rt in "${RUNTIMES[@]}"; do
	rs "$rt" seq 100 $(rt_cmd "$rt") run --bundle "$WORK/$rt/w0" "$rt-seq{}"
	rs "$rt" par -j 4 100 $(rt_cmd "$rt") run --bundle "$WORK/$rt/w{w}" "$rt-par{}"
done

for rt in "${RUNTIMES[@]}"; do
	out="$WORK/out-$rt"
	read -r R[$rt,run_med] R[$rt,run_p90] R[$rt,run_cpu] R[$rt,run_rss] R[$rt,run_fail] < <(stats "$out/run")
	for step in create start delete; do
		read -r R[$rt,${step}_med] R[$rt,${step}_p90] _ _ R[$rt,${step}_fail] < <(stats "$out/$step")
	done
	read -r R[$rt,exec_med] R[$rt,exec_p90] R[$rt,exec_cpu] R[$rt,exec_rss] R[$rt,exec_fail] < <(stats "$out/exec")
	R[$rt,seq]=$(total_of "$out/seq")
	R[$rt,seq_fail]=$(stats "$out/seq" | cut -d' ' -f5)
	R[$rt,par]=$(total_of "$out/par")
	R[$rt,par_fail]=$(stats "$out/par" | cut -d' ' -f5)
done

# The table: figures in ms (RSS in KiB), then the ratios.
ms() { awk -v u="$1" 'BEGIN { printf "%.2f", u / 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "-" }'; }
row() { # LABEL KEY UNIT
	local label="$1" key="$2" unit="$3" rt v line
	line=$(printf '%-28s' "$label")
	for rt in hull runc crun; do
		v="${R[$rt,$key]:-}"
		if [ -z "$v" ]; then
			line+=$(printf ' %10s' -)
		elif [ "$unit" = ms ]; then
			line+=$(printf ' %10s' "$(ms "$v")")
		else
			line+=$(printf ' %10s' "$v")
		fi
	done
	line+=$(printf ' %10s' "$(ratio "${R[hull,$key]:-0}" "${R[runc,$key]:-0}")")
	line+=$(printf ' %10s' "$(ratio "${R[hull,$key]:-0}" "${R[crun,$key]:-0}")")
	echo "$line"
}

echo
echo "Hull vs runc vs crun, $N runs per latency figure, $(nproc) CPUs, $(uname -r)"
echo "(all three in one private mount namespace with cgroup2 controllers hidden)"
printf '%-28s %10s %10s %10s %10s %10s\n' "" hull runc crun hull/runc hull/crun
row "run median (ms)" run_med ms
row "run p90 (ms)" run_p90 ms
row "run CPU user+sys median (ms)" run_cpu ms
row "run peak RSS (KiB)" run_rss kib
row "create median (ms)" create_med ms
row "start median (ms)" start_med ms
row "delete median (ms)" delete_med ms
row "exec median (ms)" exec_med ms
row "exec p90 (ms)" exec_p90 ms
row "exec CPU median (ms)" exec_cpu ms
row "exec peak RSS (KiB)" exec_rss kib
row "100 sequential runs (ms)" seq ms
row "100 runs, 4 parallel (ms)" par ms

fails=0
for rt in "${RUNTIMES[@]}"; do
	for k in run_fail create_fail start_fail delete_fail exec_fail seq_fail par_fail; do
		[ "${R[$rt,$k]:-0}" = 0 ] || { echo "$rt: ${R[$rt,$k]} failed runs in ${k%_fail}" >&2; fails=1; }
	done
done
# A runtime's warnings are not errors: crun spec's ambient capabilities are
# not inheritable, which Hull (like runc) reports once per container.
if grep -q 'warning' "$LOG"; then
	echo "runtime warnings (first of $(grep -c warning "$LOG")): $(grep -m1 warning "$LOG")" >&2
fi
if [ "$fails" = 1 ] || grep -qv 'warning' "$LOG"; then
	echo "runtime errors (first lines of $LOG):" >&2
	grep -v 'warning' "$LOG" | head -20 >&2
fi
