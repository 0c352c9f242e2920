#!/bin/bash
# bench/vm-net.sh: guest -> host TCP throughput of a microVM container
# (virtio-net, tap, tc redirect, veth) against a plain container on the
# same kind of veth, in one run, and the ratio.
#
#   bench/vm-net.sh [-r ROUNDS] [-m MIB]
#       ROUNDS (default 3) alternating transfers of MIB (default 32) each;
#       the figure is the median per side.
#
# Both containers join a network namespace the script makes (a veth with
# 10.193.<n>.2/30, default route via the host's 10.193.<n>.1), as an engine
# would; a fresh one per transfer.  The sender is the checker's net-blast in
# the container, the receiver its net-sink on the host: iperf3 is neither in
# the test rootfs (busybox) nor static, so both sides use the same small
# tool instead.  The VM is measured with the checksum/TSO offloads (default)
# and without (HULL_VM_NET_NO_OFFLOADS=1).
# Needs root, jq and a /dev/kvm that boots Linux: run it in the test VM,
#   make vm-run CMD='bench/vm-net.sh'
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROUNDS=3
MIB=32
while [ $# -gt 0 ]; do
	case "$1" in
	-r) ROUNDS="$2"; shift 2 ;;
	-m) MIB="$2"; shift 2 ;;
	-h|--help) sed -n '2,19p' "$0"; exit 0 ;;
	*) echo "vm-net.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
[ "$(id -u)" = 0 ] || { echo "vm-net.sh: needs root" >&2; exit 1; }
HULL="${HULL:-$REPO/build/hull}"
CHECKER="$REPO/build/tests/checker"
export HULL_VM_KERNEL="${HULL_VM_KERNEL:-$REPO/build/vmm/guest/vmlinux}"
export HULL_VM_AGENT="${HULL_VM_AGENT:-$REPO/build/vmm/guest/hull-agent}"
WORK=$(mktemp -d /tmp/hull-vmnet-bench.XXXXXX)
export HULL_VM_DISK_CACHE="$WORK/disks"
P="hbvn$$"
N=$(( $$ % 250 + 1 ))
PORT=$(( 30000 + $$ % 5000 ))

cleanup() {
	set +e
	for id in $(ls -A "$WORK/state" 2>/dev/null); do
		"$HULL" --root "$WORK/state" delete --force "$id" >/dev/null 2>&1
	done
	ip netns del "${P}n" 2>/dev/null
	ip link del "${P}v" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT

mkdir -p "$WORK/bundle"
cp -a "$REPO/build/tests/rootfs" "$WORK/bundle/rootfs"
(cd "$WORK/bundle" && "$HULL" spec)
jq --arg ns "/run/netns/${P}n" --arg dst "10.193.$N.1" --arg port "$PORT" --arg mib "$MIB" \
	'.process.terminal = false | .root.readonly = true
	 | .process.args = ["/bin/checker", "net-blast", $dst, $port, $mib]
	 | .linux.cgroupsPath = "/hull-bench/vmnet"
	 | .linux.namespaces |= map(if .type == "network" then .path = $ns else . end)' \
	"$WORK/bundle/config.json" >"$WORK/c.json"
mv "$WORK/c.json" "$WORK/bundle/config.json"

make_netns() {
	ip netns del "${P}n" 2>/dev/null || true
	ip link del "${P}v" 2>/dev/null || true
	ip netns add "${P}n"
	ip link add "${P}v" type veth peer name eth0 netns "${P}n"
	ip addr add "10.193.$N.1/30" dev "${P}v"
	ip link set "${P}v" up
	ip -n "${P}n" addr add "10.193.$N.2/30" dev eth0
	ip -n "${P}n" link set eth0 up
	ip -n "${P}n" route add default via "10.193.$N.1"
}

# one KIND [ENV...]: one transfer, prints the receiver's Mbit/s.
one() {
	local kind="$1" flags=() out
	shift
	[ "$kind" = ct ] || flags=(--vm)
	make_netns
	timeout 600 "$CHECKER" net-sink "$PORT" >"$WORK/sink" 2>&1 &
	local sink=$!
	for _ in $(seq 50); do grep -q serving "$WORK/sink" && break; sleep 0.1; done
	env "$@" "$HULL" --root "$WORK/state" run "${flags[@]}" --bundle "$WORK/bundle" "vn-$kind" \
		</dev/null >"$WORK/out" 2>&1 || { cat "$WORK/out" >&2; kill "$sink"; return 1; }
	# A transfer the sink's timeout cut short counts as 0.
	wait "$sink" || true
	out=$(sed -n 's/^mbit=\([0-9]*\).*/\1/p' "$WORK/sink")
	[ -n "$out" ] || { echo "vm-net.sh: $kind $*: no figure (timed out?)" >&2; out=0; }
	echo "$out"
}

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : int((a[NR / 2] + a[NR / 2 + 1]) / 2) }'; }

: >"$WORK/ct"; : >"$WORK/vm"; : >"$WORK/vm0"
for r in $(seq "$ROUNDS"); do
	one ct >>"$WORK/ct"
	one vm >>"$WORK/vm"
	one vm HULL_VM_NET_NO_OFFLOADS=1 >>"$WORK/vm0"
	echo "round $r: container $(tail -1 "$WORK/ct") Mbit/s, vm $(tail -1 "$WORK/vm") Mbit/s, vm without offloads $(tail -1 "$WORK/vm0") Mbit/s" >&2
done
ct=$(median <"$WORK/ct"); vm=$(median <"$WORK/vm"); vm0=$(median <"$WORK/vm0")
printf 'guest->host TCP, %d x %d MiB, median Mbit/s:\n' "$ROUNDS" "$MIB"
printf '  container on a veth      %8d\n' "$ct"
printf '  microVM (offloads)       %8d   ratio %.4f\n' "$vm" "$(awk -v a="$vm" -v b="$ct" 'BEGIN { print a / b }')"
printf '  microVM (no offloads)    %8d   ratio %.4f\n' "$vm0" "$(awk -v a="$vm0" -v b="$ct" 'BEGIN { print a / b }')"
