#!/bin/bash
# bench/net.sh: the cost of Hull's built-in networking (issue 9), against
# podman with its CNI bridge plugin and against a bare veth, in one run.
#
#   bench/net.sh [-n N] [-t SECONDS]   N runs per setup figure (default 40),
#                                      iperf3 seconds per stream (default 5)
#
# Figures:
#  setup   median over N of `hull run --net nat:NET` minus `hull run` (no
#          network), the process being /bin/true; the same for `podman run
#          --network NET` (CNI bridge + host-local IPAM + portmap/firewall)
#          minus `podman run --network none`.  Target: hull <= 5 ms.
#  tput    iperf3 TCP, container -> host (the client runs in the container's
#          network namespace, the server on the bridge's gateway address),
#          against a veth pair made by hand between the host and a netns.
#          Target: >= 95 % of the bare veth.
# Needs root, iperf3, podman (optional), jq.  Everything it makes is named
# hbnb*, lives under a temp dir, and is removed at the end.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
N=40
SECS=5
while [ $# -gt 0 ]; do
	case "$1" in
	-n) N="$2"; shift 2 ;;
	-t) SECS="$2"; shift 2 ;;
	-h|--help) sed -n '2,20p' "$0"; exit 0 ;;
	*) echo "net.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
[ "$(id -u)" = 0 ] || { echo "net.sh: needs root" >&2; exit 1; }
command -v iperf3 >/dev/null || { echo "net.sh: needs iperf3 (apt-get install iperf3)" >&2; exit 1; }

HULL="${HULL:-$REPO/build/hull}"
WORK=$(mktemp -d /tmp/hull-netbench.XXXXXX)
export HULL_NET_DIR="$WORK/net"
P="hbnb$$"
CG="hull-netbench-$$"
PODMAN=(podman --root "$WORK/podman-root" --runroot "$WORK/podman-run" \
	--network-config-dir "$WORK/podman-net" --cgroup-manager cgroupfs)

cleanup() {
	set +e
	for id in $(ls -A "$WORK/state" 2>/dev/null); do
		"$HULL" --root "$WORK/state" delete --force "$id" >/dev/null 2>&1
	done
	"$HULL" network rm "${P}n" >/dev/null 2>&1
	if command -v podman >/dev/null; then
		"${PODMAN[@]}" rm -af >/dev/null 2>&1
		"${PODMAN[@]}" network rm -f "${P}p" >/dev/null 2>&1
		"${PODMAN[@]}" system reset -f >/dev/null 2>&1
	fi
	ip netns del "${P}ns" 2>/dev/null
	ip link del "${P}h" 2>/dev/null
	[ -n "${IPERF_PID:-}" ] && kill "$IPERF_PID" 2>/dev/null
	rmdir /sys/fs/cgroup/*/"$CG"/* /sys/fs/cgroup/*/"$CG" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT

# The bundle: busybox + checker rootfs, /bin/true.
make -C "$REPO" -s all rootfs-template >/dev/null
mkdir -p "$WORK/bundle"
cp -a "$REPO/build/tests/rootfs" "$WORK/bundle/rootfs"
(cd "$WORK/bundle" && "$HULL" spec)
jq --arg cg "/$CG/c" '.process.terminal = false | .process.args = ["/bin/true"] | .linux.cgroupsPath = $cg' \
	"$WORK/bundle/config.json" >"$WORK/c" && mv "$WORK/c" "$WORK/bundle/config.json"
"$HULL" network create --subnet 10.193.$(( $$ % 250 )).0/24 --bridge "${P}b" "${P}n"
GW=10.193.$(( $$ % 250 )).1

now_us() { echo $(( $(date +%s%N) / 1000 )); }
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# time_runs LABEL CMD...: N wall times in microseconds, one a line.
time_runs() {
	local i t0 t1
	for i in $(seq 1 "$N"); do
		t0=$(now_us)
		"$@" >/dev/null 2>>"$WORK/errors.log" </dev/null
		t1=$(now_us)
		echo $(( t1 - t0 ))
	done
}

echo "# setup cost per container (median of $N, microseconds)"
hull_run() { "$HULL" --root "$WORK/state" run --bundle "$WORK/bundle" "$@" bench; }
hull_run --net "nat:${P}n" >/dev/null 2>&1 </dev/null   # warm: the bridge is made once
# Interleaved, so that noise from the shared machine hits both alike.
: >"$WORK/h0"; : >"$WORK/h1"
for i in $(seq 1 "$N"); do
	N=1 time_runs hull_run >>"$WORK/h0"
	N=1 time_runs hull_run --net "nat:${P}n" >>"$WORK/h1"
done
H0=$(median <"$WORK/h0"); H1=$(median <"$WORK/h1")
HD=$(( ${H1%.*} - ${H0%.*} ))
printf '%-34s %10s us\n' "hull run (no network)" "$H0" "hull run --net nat" "$H1" "hull network setup (difference)" "$HD"

PD=""
if command -v podman >/dev/null; then
	tar -C "$WORK/bundle/rootfs" -c . | "${PODMAN[@]}" import - hbnb:latest >/dev/null
	"${PODMAN[@]}" network create --subnet 10.192.$(( $$ % 250 )).0/24 "${P}p" >/dev/null
	pod_run() { "${PODMAN[@]}" run --rm "$@" hbnb:latest /bin/true; }
	pod_run --network "${P}p" >/dev/null 2>&1 || true      # warm
	: >"$WORK/p0"; : >"$WORK/p1"
	PN=$(( N < 20 ? N : 20 ))
	for i in $(seq 1 "$PN"); do
		N=1 time_runs pod_run --network none >>"$WORK/p0"
		N=1 time_runs pod_run --network "${P}p" >>"$WORK/p1"
	done
	P0=$(median <"$WORK/p0"); P1=$(median <"$WORK/p1")
	PD=$(( ${P1%.*} - ${P0%.*} ))
	printf '%-34s %10s us\n' "podman run --network none" "$P0" "podman run --network (CNI bridge)" "$P1" \
		"podman network setup (difference)" "$PD"
else
	echo "podman: not installed, left out"
fi

echo "# container -> host TCP throughput (iperf3, $SECS s)"
iperf3 -s -B "$GW" -p 5399 -D --pidfile "$WORK/iperf-c.pid" >/dev/null
jq '.process.args = ["/bin/sleep", "600"]' "$WORK/bundle/config.json" >"$WORK/c" &&
	mv "$WORK/c" "$WORK/bundle/config.json"
"$HULL" --root "$WORK/state" run -d --bundle "$WORK/bundle" --net "nat:${P}n" tput </dev/null >/dev/null 2>&1
CPID=$(jq .pid "$WORK/state/tput/state.json")
sleep 0.5
CT=$(nsenter -t "$CPID" -n iperf3 -c "$GW" -p 5399 -t "$SECS" -J | jq '.end.sum_received.bits_per_second')
kill "$(cat "$WORK/iperf-c.pid")"

ip netns add "${P}ns"
ip link add "${P}h" type veth peer name eth0 netns "${P}ns"
ip addr add 10.191.$(( $$ % 250 )).1/30 dev "${P}h"
ip link set "${P}h" up
ip -n "${P}ns" addr add 10.191.$(( $$ % 250 )).2/30 dev eth0
ip -n "${P}ns" link set eth0 up
ip -n "${P}ns" link set lo up
iperf3 -s -B 10.191.$(( $$ % 250 )).1 -p 5398 -D --pidfile "$WORK/iperf-b.pid" >/dev/null
sleep 0.5
BT=$(ip netns exec "${P}ns" iperf3 -c 10.191.$(( $$ % 250 )).1 -p 5398 -t "$SECS" -J | jq '.end.sum_received.bits_per_second')
kill "$(cat "$WORK/iperf-b.pid")"
gbps() { awk -v b="$1" 'BEGIN { printf "%.2f", b / 1e9 }'; }
printf '%-34s %10s Gbit/s\n' "hull nat container -> host" "$(gbps "$CT")" "bare veth netns -> host" "$(gbps "$BT")"

echo "# ratios"
awk -v hd="$HD" -v pd="${PD:-0}" -v ct="$CT" -v bt="$BT" 'BEGIN {
	printf "hull setup p50: %.2f ms (target <= 5 ms)\n", hd / 1000
	if (pd > 0) printf "hull setup / podman CNI setup: %.3f (podman %.1f ms)\n", hd / pd, pd / 1000
	printf "hull throughput / bare veth: %.3f (target >= 0.95)\n", ct / bt
}'
[ -s "$WORK/errors.log" ] && { echo "# errors seen:"; sort "$WORK/errors.log" | uniq -c | head; }
exit 0
