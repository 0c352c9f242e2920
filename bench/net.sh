#!/bin/bash
# bench/net.sh: the cost of Hull's built-in networking (issue 9), against
# podman with its CNI bridge plugin and against a bare veth, in one run.
#
#   bench/net.sh [-n N] [-t SECONDS] [-r ROUNDS] [-D]
#       N runs per setup figure (default 40); iperf3 rounds (default 3) of
#       SECONDS (default 2) each, hull and bare veth alternating.
#       The state roots (hull's --root and network dir, podman's runroot)
#       live on a tmpfs the bench mounts, as /run does on most hosts; -D
#       keeps them on the disk under /tmp instead (on a filesystem mounted
#       with -o discard and no journal, every file a container's state
#       adds costs a synchronous TRIM when it is deleted).
#
# Figures:
#  setup   p50 and p90 over N of `hull run --net nat:NET` minus `hull run`
#          (no network), wall and CPU, the process being /bin/true; the
#          same for `podman run --network NET` (CNI bridge + host-local
#          IPAM + portmap/firewall) minus `podman run --network none`.
#          Target: hull <= 5 ms p50.  The same for create, start and
#          delete --force apart.  Where hull's time goes: the p50 of each
#          step netns/ times (HULL_NET_TRACE), in runs of their own.
#  tput    iperf3 TCP, container -> host (the client runs in the container's
#          network namespace, the server on the bridge's gateway address),
#          against a veth pair made by hand between the host and a netns,
#          and against a veth into a bridge made by hand (the path NAT
#          mode took before the gateway shortcut, without Hull), and
#          against a second Hull container whose shortcut the bench
#          removes (tc qdisc del), in alternating rounds: the median of
#          the rounds' ratios.  Also the CPU seconds (iperf3's client and
#          server, user and system, softirqs included) per GB moved, which
#          the machine's load moves far less than the rate.
#          Target: >= 95 % of the bare veth.
# The load average is printed at the start and the end: on a shared
# machine, figures taken under load say more about the load.
# Needs root, iperf3, podman (optional), jq.  Everything it makes is named
# hbnb*, lives under a temp dir, and is removed at the end.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
N=40
SECS=2
ROUNDS=3
ONDISK=0
while [ $# -gt 0 ]; do
	case "$1" in
	-n) N="$2"; shift 2 ;;
	-t) SECS="$2"; shift 2 ;;
	-r) ROUNDS="$2"; shift 2 ;;
	-D) ONDISK=1; shift ;;
	-h|--help) sed -n '2,30p' "$0"; exit 0 ;;
	*) echo "net.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
[ "$(id -u)" = 0 ] || { echo "net.sh: needs root" >&2; exit 1; }
command -v iperf3 >/dev/null || { echo "net.sh: needs iperf3 (apt-get install iperf3)" >&2; exit 1; }

HULL="${HULL:-$REPO/build/hull}"
WORK=$(mktemp -d /tmp/hull-netbench.XXXXXX)
RUN="$WORK/run"
mkdir -p "$RUN"
[ "$ONDISK" = 1 ] || mount -t tmpfs -o size=256m,mode=0700 hull-netbench "$RUN"
export HULL_NET_DIR="$RUN/net"
P="hbnb$$"
CG="hull-netbench-$$"
# runc: crun refuses hybrid cgroup hosts; ulimits below the host's hard
# ones (podman's defaults need CAP_SYS_RESOURCE to raise them).
PODMAN=(podman --root "$WORK/podman-root" --runroot "$RUN/podman-run" \
	--network-config-dir "$WORK/podman-net" --cgroup-manager cgroupfs --runtime runc)
PU=(--ulimit nofile=1024:1024 --ulimit nproc=1024:1024)

cleanup() {
	set +e
	for id in $(ls -A "$RUN/state" 2>/dev/null); do
		"$HULL" --root "$RUN/state" delete --force "$id" >/dev/null 2>&1
	done
	"$HULL" network rm "${P}n" >/dev/null 2>&1
	if command -v podman >/dev/null; then
		"${PODMAN[@]}" rm -af >/dev/null 2>&1
		"${PODMAN[@]}" network rm -f "${P}p" >/dev/null 2>&1
		"${PODMAN[@]}" system reset -f >/dev/null 2>&1
	fi
	ip netns del "${P}ns" 2>/dev/null
	ip link del "${P}h" 2>/dev/null
	ip netns del "${P}nb" 2>/dev/null
	ip link del "${P}hb" 2>/dev/null
	ip link del "${P}br" 2>/dev/null
	[ -n "${IPERF_PID:-}" ] && kill "$IPERF_PID" 2>/dev/null
	rmdir /sys/fs/cgroup/*/"$CG"/* /sys/fs/cgroup/*/"$CG" 2>/dev/null
	mountpoint -q "$RUN" && umount "$RUN"
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

cc -O2 -Wall -Wextra -o "$WORK/runstat" "$REPO/bench/runstat.c"
# one LABEL CMD...: one run; appends "WALL_US CPU_US" to $WORK/LABEL.
one() {
	local label="$1"
	shift
	"$WORK/runstat" 1 "$@" 2>>"$WORK/errors.log" |
		awk '$1 == "run" { print $2, $3 + $4; if ($6 != 0) print "status " $6 > "/dev/stderr" }' >>"$WORK/$label"
}
# q LABEL COLUMN Q: the Q-quantile (nearest rank) of a column.
q() { awk -v c="$2" '{ print $c }' "$WORK/$1" | sort -n |
	awk -v q="$3" '{ a[NR] = $1 } END { i = int(NR * q + 0.999999); if (i < 1) i = 1; print a[i] }'; }
med() { q "$1" "$2" 0.5; }
row() { printf '%-34s wall p50 %7s p90 %7s us   cpu p50 %6s p90 %6s us\n' "$1" \
	"$(q "$2" 1 0.5)" "$(q "$2" 1 0.9)" "$(q "$2" 2 0.5)" "$(q "$2" 2 0.9)"; }
# diffrow LABEL WITH WITHOUT: the quantiles' differences.
diffrow() { printf '%-34s wall p50 %7s p90 %7s us   cpu p50 %6s p90 %6s us\n' "$1" \
	$(( $(q "$2" 1 0.5) - $(q "$3" 1 0.5) )) $(( $(q "$2" 1 0.9) - $(q "$3" 1 0.9) )) \
	$(( $(q "$2" 2 0.5) - $(q "$3" 2 0.5) )) $(( $(q "$2" 2 0.9) - $(q "$3" 2 0.9) )); }

echo "# load at start: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) CPUs); state on $( [ "$ONDISK" = 1 ] && echo "disk ($(findmnt -no FSTYPE,OPTIONS -T "$WORK"))" || echo tmpfs)"
echo "# setup cost per container (over $N runs each; microseconds)"
ST="$RUN/state"
one warm "$HULL" --root "$ST" run --bundle "$WORK/bundle" --net "nat:${P}n" w   # the bridge is made once
# Interleaved, so that noise from the shared machine hits both alike.
for i in $(seq 1 "$N"); do
	one hrun0 "$HULL" --root "$ST" run --bundle "$WORK/bundle" r
	one hrun1 "$HULL" --root "$ST" run --bundle "$WORK/bundle" --net "nat:${P}n" r
	# The lifecycle's steps apart: what the network adds to each.
	one hcre0 "$HULL" --root "$ST" create --bundle "$WORK/bundle" c
	one hsta0 "$HULL" --root "$ST" start c
	one hdel0 "$HULL" --root "$ST" delete --force c
	one hcre1 "$HULL" --root "$ST" create --bundle "$WORK/bundle" --net "nat:${P}n" c
	one hsta1 "$HULL" --root "$ST" start c
	one hdel1 "$HULL" --root "$ST" delete --force c
done
# Step timings in runs of their own: the trace's writes stay out of the
# figures above.
for i in $(seq 1 "$(( N < 20 ? N : 20 ))"); do
	HULL_NET_TRACE="$WORK/trace" "$HULL" --root "$ST" run --bundle "$WORK/bundle" --net "nat:${P}n" r \
		</dev/null >/dev/null 2>>"$WORK/errors.log"
done
# pairdiff A B COLUMN Q: the Q-quantile of A's run i minus B's run i (each
# pair ran back to back: less of the load's drift than two quantiles).
pairdiff() { paste "$WORK/$1" "$WORK/$2" | awk -v c="$3" '{ print $c - $(c + 2) }' | sort -n |
	awk -v q="$4" '{ a[NR] = $1 } END { i = int(NR * q + 0.999999); if (i < 1) i = 1; print a[i] }'; }
row "hull run" hrun0
row "hull run --net nat" hrun1
diffrow "  network cost (run)" hrun1 hrun0
printf '%-34s wall p50 %7s p90 %7s us   cpu p50 %6s p90 %6s us\n' "  network cost (run), paired" \
	"$(pairdiff hrun1 hrun0 1 0.5)" "$(pairdiff hrun1 hrun0 1 0.9)" "$(pairdiff hrun1 hrun0 2 0.5)" "$(pairdiff hrun1 hrun0 2 0.9)"
row "hull create" hcre0
row "hull create --net nat" hcre1
diffrow "  network cost (create)" hcre1 hcre0
row "hull start" hsta0
row "hull start (--net nat)" hsta1
diffrow "  network cost (start)" hsta1 hsta0
row "hull delete --force" hdel0
row "hull delete --force (--net nat)" hdel1
diffrow "  network cost (delete)" hdel1 hdel0
HD=$(( $(med hrun1 1) - $(med hrun0 1) ))
HC=$(( $(med hrun1 2) - $(med hrun0 2) ))
HS=$(( $(med hcre1 1) - $(med hcre0 1) ))
HX=$(( $(med hdel1 1) - $(med hdel0 1) ))
HD9=$(( $(q hrun1 1 0.9) - $(q hrun0 1 0.9) ))
HP=$(pairdiff hrun1 hrun0 1 0.5)
if [ -s "$WORK/trace" ]; then
	echo "# where hull run --net nat's network time goes (HULL_NET_TRACE, p50 of each step)"
	awk '{ w[$2] = w[$2] " " $3; c[$2] = c[$2] " " $4; if (!($2 in seen)) { seen[$2] = 1; o[++k] = $2 } }
	     function p50(s,   n, a, i, j, t) { n = split(s, a, " "); for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > t + 0; j--) a[j + 1] = a[j]; a[j + 1] = t }
	                                        return a[int((n + 1) / 2)] }
	     END { for (i = 1; i <= k; i++) { s = o[i]; W = p50(w[s]); C = p50(c[s]); tw += W; tc += C
	                                      printf "  %-22s wall %6d us  cpu %6d us\n", s, W, C }
	           printf "  %-22s wall %6d us  cpu %6d us\n", "(sum of the p50s)", tw, tc }' "$WORK/trace"
fi

echo "# netns/ phases alone (bench/netsetup.c: prepare + attach = setup, then detach)"
cc -O2 -D_GNU_SOURCE -I"$REPO" $(pkg-config --cflags libnl-route-3.0 yajl libnftables) \
	-o "$WORK/netsetup" "$REPO/bench/netsetup.c" "$REPO/build/libhull.a" \
	-Wl,-Bstatic -lseccomp -lcap -l:libyajl_s.a -lmd -lnl-route-3 -lnl-3 -Wl,-Bdynamic -ldl -pthread
echo "without ports:"
"$WORK/netsetup" "$HULL_NET_DIR" "${P}n" "$N" | tee "$WORK/ns0"
echo "with one published port:"
"$WORK/netsetup" "$HULL_NET_DIR" "${P}n" "$N" "$(( 30000 + $$ % 20000 )):80" | tee "$WORK/ns1"
NS0=$(awk '$1 == "setup" { print $4 }' "$WORK/ns0")
NS1=$(awk '$1 == "setup" { print $4 }' "$WORK/ns1")

echo "# the kernel's link operations alone (bench/netkern.c, p50 and p90 over $N)"
cc -O2 -D_GNU_SOURCE $(pkg-config --cflags libnl-route-3.0) -o "$WORK/netkern" "$REPO/bench/netkern.c" \
	$(pkg-config --libs libnl-route-3.0) -pthread
"$WORK/netkern" "$N"

PD=""
if command -v podman >/dev/null; then
	tar -C "$WORK/bundle/rootfs" -c . | "${PODMAN[@]}" import - hbnb:latest >/dev/null 2>&1
	"${PODMAN[@]}" network create --subnet 10.192.$(( $$ % 250 )).0/24 "${P}p" >/dev/null
	one warm "${PODMAN[@]}" run --rm "${PU[@]}" --network "${P}p" hbnb:latest /bin/true
	PN=$(( N < 20 ? N : 20 ))
	for i in $(seq 1 "$PN"); do
		one prun0 "${PODMAN[@]}" run --rm "${PU[@]}" --network none hbnb:latest /bin/true
		one prun1 "${PODMAN[@]}" run --rm "${PU[@]}" --network "${P}p" hbnb:latest /bin/true
	done
	row "podman run --network none" prun0
	row "podman run --network (CNI bridge)" prun1
	diffrow "  network cost (podman run)" prun1 prun0
	PD=$(( $(med prun1 1) - $(med prun0 1) ))
	PC=$(( $(med prun1 2) - $(med prun0 2) ))
else
	echo "podman: not installed, left out"
fi

echo "# container -> host TCP throughput (iperf3, $ROUNDS alternating rounds of $SECS s, median)"
jq '.process.args = ["/bin/sleep", "600"]' "$WORK/bundle/config.json" >"$WORK/c" &&
	mv "$WORK/c" "$WORK/bundle/config.json"
"$HULL" --root "$ST" run -d --bundle "$WORK/bundle" --net "nat:${P}n" tput </dev/null >/dev/null 2>&1
CPID=$(jq .pid "$ST/tput/state.json")
# A second one without the gateway shortcut (netns/gwpath.c: its host
# end's ingress filter removed by hand): the bridge path Hull took before.
jq --arg cg "/$CG/c2" '.linux.cgroupsPath = $cg' "$WORK/bundle/config.json" >"$WORK/c" &&
	mkdir -p "$WORK/bundle2" && mv "$WORK/c" "$WORK/bundle2/config.json" &&
	ln -s "$WORK/bundle/rootfs" "$WORK/bundle2/rootfs"
"$HULL" --root "$ST" run -d --bundle "$WORK/bundle2" --net "nat:${P}n" tput2 </dev/null >/dev/null 2>&1
CPID2=$(jq .pid "$ST/tput2/state.json")
HIF2=$(jq -r 'select(.id == "tput2") | .host_if' "$HULL_NET_DIR"/attach/*.json)
tc qdisc del dev "$HIF2" ingress
B=10.191.$(( $$ % 250 ))
ip netns add "${P}ns"
ip link add "${P}h" type veth peer name eth0 netns "${P}ns"
ip addr add "$B.1/30" dev "${P}h"
ip link set "${P}h" up
ip -n "${P}ns" addr add "$B.2/30" dev eth0
ip -n "${P}ns" link set eth0 up
# ...and a bridge made by hand with a veth into another netns: the path
# Hull's NAT mode took before the gateway shortcut (veth, bridge, the
# bridge's own address), without Hull.  Its ratio to the bare veth is the
# bridge's price on this host (with br_netfilter's bridge-nf-call-iptables,
# a host-wide setting).
ip netns add "${P}nb"
ip link add "${P}br" type bridge
ip addr add "$B.5/30" dev "${P}br"
ip link set "${P}br" up
ip link add "${P}hb" type veth peer name eth0 netns "${P}nb"
ip link set "${P}hb" master "${P}br" up
ip -n "${P}nb" addr add "$B.6/30" dev eth0
ip -n "${P}nb" link set eth0 up
IPORT=$(( 52000 + $$ % 8000 ))
iperf3 -s -p "$IPORT" -D --pidfile "$WORK/iperf.pid" >/dev/null
for i in $(seq 1 50); do [ -s "$WORK/iperf.pid" ] && break; sleep 0.1; done
IPERF_PID=$(tr -dc 0-9 <"$WORK/iperf.pid")
# Alternating rounds: on a shared machine one long run of each would
# compare two different moments more than two network paths.
# iround OUT CMD...: one round; appends its bit rate to OUT and to OUT.cpu
# the CPU seconds (client and server, user and system) per GB it moved,
# which the load of a shared machine moves far less than the rate.
iround() {
	local out="$1"
	shift
	"$@" -p "$IPORT" -t "$SECS" -J >"$WORK/j" || true
	jq '.end.sum_received.bits_per_second // 0' "$WORK/j" >>"$WORK/$out"
	jq '(.end.cpu_utilization_percent.host_total + .end.cpu_utilization_percent.remote_total) / 100
	    * .end.sum_received.seconds / (.end.sum_received.bytes / 1e9)' "$WORK/j" >>"$WORK/$out.cpu" ||
		echo 0 >>"$WORK/$out.cpu"
}
: >"$WORK/tc"; : >"$WORK/tb"; : >"$WORK/tg"; : >"$WORK/tn"
# The order turns every round: no path always follows the same one.
for r in $(seq 1 "$ROUNDS"); do
	for k in 0 1 2 3; do
		case $(( (r + k) % 4 )) in
		0) iround tc nsenter -t "$CPID" -n iperf3 -c "$GW" ;;
		1) iround tn nsenter -t "$CPID2" -n iperf3 -c "$GW" ;;
		2) iround tb ip netns exec "${P}ns" iperf3 -c "$B.1" ;;
		3) iround tg ip netns exec "${P}nb" iperf3 -c "$B.5" ;;
		esac
	done
done
kill "$IPERF_PID"; IPERF_PID=""
medf() { sort -g "$1" | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
CT=$(medf "$WORK/tc"); BT=$(medf "$WORK/tb")
paste "$WORK/tc" "$WORK/tb" | awk '{ print $1 / $2 }' >"$WORK/tr"
TR=$(medf "$WORK/tr")
paste "$WORK/tg" "$WORK/tb" | awk '{ print $1 / $2 }' >"$WORK/tgr"
paste "$WORK/tc" "$WORK/tg" | awk '{ print $1 / $2 }' >"$WORK/tcg"
TGR=$(medf "$WORK/tgr"); TCG=$(medf "$WORK/tcg")
paste "$WORK/tn" "$WORK/tb" | awk '{ print $1 / $2 }' >"$WORK/tnr"
paste "$WORK/tc" "$WORK/tn" | awk '{ print $1 / $2 }' >"$WORK/tcn"
TNR=$(medf "$WORK/tnr"); TCN=$(medf "$WORK/tcn")
gbps() { awk -v b="$1" 'BEGIN { printf "%.2f", b / 1e9 }'; }
printf '%-40s %9s Gbit/s (rounds: %s)\n' "hull nat container -> host" "$(gbps "$CT")" \
	"$(while read -r x; do printf '%s ' "$(gbps "$x")"; done <"$WORK/tc")"
printf '%-40s %9s Gbit/s (rounds: %s)\n' "hull nat without the gateway shortcut" "$(gbps "$(medf "$WORK/tn")")" \
	"$(while read -r x; do printf '%s ' "$(gbps "$x")"; done <"$WORK/tn")"
printf '%-40s %9s Gbit/s (rounds: %s)\n' "bare veth netns -> host" "$(gbps "$BT")" \
	"$(while read -r x; do printf '%s ' "$(gbps "$x")"; done <"$WORK/tb")"
printf '%-40s %9s Gbit/s (rounds: %s)\n' "bridge by hand netns -> host" "$(gbps "$(medf "$WORK/tg")")" \
	"$(while read -r x; do printf '%s ' "$(gbps "$x")"; done <"$WORK/tg")"
# CPU per GB: the bare veth's over each path's, per round (1 = as cheap).
for f in tc tn tg; do paste "$WORK/tb.cpu" "$WORK/$f.cpu" | awk '$2 > 0 { print $1 / $2 }' >"$WORK/$f.eff"; done
printf '%-40s %9s s (hull %s, without shortcut %s, bridge by hand %s)\n' "CPU per GB, bare veth" \
	"$(medf "$WORK/tb.cpu")" "$(medf "$WORK/tc.cpu")" "$(medf "$WORK/tn.cpu")" "$(medf "$WORK/tg.cpu")"
CE=$(medf "$WORK/tc.eff"); NE=$(medf "$WORK/tn.eff"); GE=$(medf "$WORK/tg.eff")
printf '%-40s %9s (without shortcut %s, bridge by hand %s)\n' "CPU per GB, bare / hull, median" "$CE" "$NE" "$GE"
printf '%-40s %9s (rounds: %s)\n' "hull / bare veth, per round, median" "$TR" "$(tr '\n' ' ' <"$WORK/tr")"
printf '%-40s %9s (rounds: %s)\n' "hull without shortcut / bare veth" "$TNR" "$(tr '\n' ' ' <"$WORK/tnr")"
printf '%-40s %9s (rounds: %s)\n' "hull / hull without shortcut, median" "$TCN" "$(tr '\n' ' ' <"$WORK/tcn")"
printf '%-40s %9s (rounds: %s)\n' "bridge by hand / bare veth, median" "$TGR" "$(tr '\n' ' ' <"$WORK/tgr")"
printf '%-40s %9s (rounds: %s)\n' "hull / bridge by hand, median" "$TCG" "$(tr '\n' ' ' <"$WORK/tcg")"

echo "# ratios (load at end: $(cut -d' ' -f1-3 /proc/loadavg))"
awk -v ns0="$NS0" -v ns1="$NS1" -v hd="$HD" -v hd9="$HD9" -v hp="$HP" -v hc="$HC" -v hs="$HS" -v hx="$HX" -v pd="${PD:-0}" -v pc="${PC:-0}" -v tr="$TR" -v tgr="$TGR" -v tcg="$TCG" -v tnr="$TNR" -v ce="$CE" -v ne="$NE" -v ge="$GE" 'BEGIN {
	printf "hull network cost, run  (wall p50 diff): %.2f ms (target <= 5 ms); p90 diff %.2f ms; paired p50 %.2f ms\n", hd / 1000, hd9 / 1000, hp / 1000
	printf "hull network cost, run  (CPU p50 diff):  %.2f ms\n", hc / 1000
	printf "hull network setup, create (wall p50 diff): %.2f ms; teardown, delete: %.2f ms\n", hs / 1000, hx / 1000
	printf "netns setup alone (wall p50): %.2f ms without ports, %.2f ms with a port\n", ns0 / 1000, ns1 / 1000
	if (pd > 0) printf "podman CNI network cost, run: %.1f ms wall, %.1f ms CPU; hull/podman: %.3f wall, %.3f CPU\n", pd / 1000, pc / 1000, hd / pd, (pc > 0 ? hc / pc : 0)
	printf "hull throughput / bare veth (median of per-round ratios): %.3f (target >= 0.95); without the gateway shortcut: %.3f; a bridge by hand / bare veth: %.3f; hull / that bridge: %.3f\n", tr, tnr, tgr, tcg
	printf "CPU per GB moved, bare veth / path (median of per-round ratios; 1 = as cheap): hull %.3f, without the gateway shortcut %.3f, a bridge by hand %.3f\n", ce, ne, ge
}'
if [ -s "$WORK/errors.log" ]; then echo "# errors seen:"; sort "$WORK/errors.log" | uniq -c | head; fi
exit 0
