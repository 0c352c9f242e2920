#!/bin/bash
# bench/images.sh: pulling and running images, in one run, from one local
# registry (Debian's docker-registry on 127.0.0.1):
#   1. `hull pull` + the first `hull run --image`
#      vs `skopeo copy` + `umoci unpack`   vs `podman pull` + `podman run`
#      on a ~200 MB image (busybox + /usr/lib/python3 + /usr/share/doc);
#   2. unpack throughput on an image of FILES small files (default 100000):
#      hull (pull from the local registry, so download included) vs umoci
#      unpack (from a local OCI layout, no download);
#   3. creating the 2nd..Nth container (default 100) from one pulled image
#      (`run -d --image`, an overlay each) vs from a plain bundle (`run -d`)
#      vs from a plain bundle whose rootfs is an overlay mounted by hand,
#      taking turns; with HULL_BASELINE=OLD_HULL an older build's two kinds
#      take turns with them, in the same store and state root; with
#      -r PASSES that is done PASSES times, the containers of a pass
#      deleted before the next, and all rounds counted together: more
#      rounds at the same numbers of containers (the host slows as they
#      pile up; the spare root an image run leaves for the next is waited
#      for untimed, so its making never lands on another kind's run); and,
#      timed alone by bench/rootfloor.c, the floor: the
#      filesystem work an image's root needs and a plain bundle does not
#      (its directories, marker, config.json, the overlay mount); and
#      where the difference goes: 40 more rounds with HULL_TIMING, the
#      median of each step of the create for both kinds; and, so that the
#      spare's making after each image run is paid where it lands, 3
#      batches of 20 runs of each kind back to back, with no wait.
#      Each run is timed with bash's $EPOCHREALTIME, from before the fork
#      to after the wait (until 2026-12-03 with `date`, whose own start
#      was inside the time: figures before then are ~1 ms higher).
# Prints the figures and the ratios.
#
#   bench/images.sh [-f FILES] [-c CONTAINERS] [-p PARTS] [-r PASSES]   (PARTS: e.g. 3 or 1,3)
#   HULL_BENCH_TMP=DIR: the work dir (registry, store, state roots) under DIR
#   instead of /var/tmp, e.g. a journaled ext4 to compare with this host's
#   journal-less, -o discard root.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FILES=100000
CONTAINERS=100
PARTS=1,2,3
PASSES=1
TIMELINE=40
BATCH=20
while [ $# -gt 0 ]; do
	case "$1" in
	-f) FILES="$2"; shift 2 ;;
	-c) CONTAINERS="$2"; shift 2 ;;
	-p) PARTS="$2"; shift 2 ;;
	-r) PASSES="$2"; shift 2 ;;
	-h|--help) sed -n '2,35p' "$0"; exit 0 ;;
	*) echo "images.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
[ "$(id -u)" = 0 ] || { echo "images.sh: needs root" >&2; exit 1; }
part() { [[ ",$PARTS," == *",$1,"* ]]; }
HULL="${HULL:-$REPO/build/hull}"
BASE="${HULL_BASELINE:-}"
M="$REPO/tests/integration/images/mkimage.py"
W=$(mktemp -d "${HULL_BENCH_TMP:-/var/tmp}/hull-bench-images.XXXXXX")
REGPID=
cleanup() {
	set +e
	for id in $(ls "$W/state" 2>/dev/null); do "$HULL" --root "$W/state" delete --force "$id" >/dev/null 2>&1; done
	# a spare root still being made after the last run holds the store's lock
	[ -e "$W/store/lock" ] && flock "$W/store/lock" true
	[ -n "$REGPID" ] && kill "$REGPID"
	podman --root "$W/podman" --runroot "$W/podman-run" --storage-driver overlay rmi -a -f >/dev/null 2>&1
	umount -R "$W/podman" 2>/dev/null
	# roots a delete left mounted (an older HULL's delete does not know a
	# newer build's store layout)
	for m in $(awk -v w="$W/" 'index($5, w) == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
		umount -l "$m"
	done
	[ -n "${BENCH_KEEP:-}" ] || rm -rf "$W"
}
trap cleanup EXIT
now() { date +%s.%N; }
# CPU seconds (user + sys) of the waited-for children so far: on a busy
# machine wall time is mostly I/O wait, so both are printed.
# (`times` must run in this shell, not in a $(...) subshell)
mark() { times >"$W/times"; CPU_MARK=$(tail -1 "$W/times" | awk '{ split($1, a, "m"); split($2, b, "m"); print a[1] * 60 + a[2] + b[1] * 60 + b[2] }'); }
secs() { echo "$2 - $1" | bc; }
ratio() { echo "scale=2; $1 / $2" | bc; }

(cd "$REPO" && make -s all rootfs-template >/dev/null)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$W/reg" "$W/state"
cat >"$W/reg.yml" <<Y
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $W/reg}}
http: {addr: 127.0.0.1:$PORT}
Y
/usr/bin/docker-registry serve "$W/reg.yml" >"$W/reg.log" 2>&1 &
REGPID=$!
for i in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$PORT/v2/" && break; sleep 0.1; done
REG="127.0.0.1:$PORT"

echo "# building images in $W"
cd "$W"
python3 "$M" tar bb.tar --dir "$REPO/build/tests/rootfs"
IMAGES=bb
if part 1; then
	mkdir -p big/usr/lib big/usr/share
	cp -a /usr/lib/python3 big/usr/lib/
	cp -a /usr/share/doc big/usr/share/
	python3 "$M" tar big.tar --dir big
	python3 "$M" image layout --ref big --layer bb.tar --layer big.tar --config '{"Cmd":["/bin/checker","ids"]}'
	BIGSIZE=$(du -sb big | cut -f1)
	IMAGES="$IMAGES big"
fi
if part 2; then
	python3 - "$FILES" <<'PY'
import json, sys
n = int(sys.argv[1])
e = [{"name": "d%03d/" % d, "type": "dir"} for d in range((n + 99) // 100)]
e += [{"name": "d%03d/f%05d" % (i // 100, i), "data": "file %d\n" % i} for i in range(n)]
json.dump(e, open("small.json", "w"))
PY
	python3 "$M" tar small.tar --spec small.json
	python3 "$M" image layout --ref small --layer small.tar --config '{"Cmd":["/bin/sh"]}'
	IMAGES="$IMAGES small"
fi
python3 "$M" image layout --ref bb --layer bb.tar --config '{"Cmd":["/bin/sleep","3600"]}'
for r in $IMAGES; do
	skopeo copy -q --dest-tls-verify=false "oci:layout:$r" "docker://$REG/bench/$r:1"
done

if part 1; then
	echo "# 1. pull + first run of a $((BIGSIZE / 1048576)) MiB image"
	sync
	t0=$(now)
	mark; c0=$CPU_MARK
	"$HULL" pull -q --store "$W/store" "$REG/bench/big:1" >/dev/null
	"$HULL" --root "$W/state" run --image "$REG/bench/big:1" --store "$W/store" first </dev/null >/dev/null
	t1=$(now)
	T_HULL=$(secs "$t0" "$t1")
	mark; C_HULL=$(echo "$CPU_MARK - $c0" | bc)
	t0=$(now)
	mark; c0=$CPU_MARK
	skopeo copy -q --src-tls-verify=false "docker://$REG/bench/big:1" "oci:$W/skopeo:big"
	umoci unpack --image "$W/skopeo:big" "$W/umoci-bundle" >/dev/null
	t1=$(now)
	T_UMOCI=$(secs "$t0" "$t1")
	mark; C_UMOCI=$(echo "$CPU_MARK - $c0" | bc)
	P="podman --root $W/podman --runroot $W/podman-run --storage-driver overlay --cgroup-manager cgroupfs --events-backend file"
	# (--ulimit: podman's default rlimits are above this host's hard limits;
	# runc: crun refuses cgroup v1/hybrid hosts whose cgroup2 mount has controllers)
	T_PODMAN=n/a
	t0=$(now)
	mark; c0=$CPU_MARK
	if $P pull -q --tls-verify=false "$REG/bench/big:1" >/dev/null 2>"$W/podman.err" &&
	   $P run --rm --network none --runtime runc --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 "$REG/bench/big:1" >/dev/null 2>>"$W/podman.err"; then
		t1=$(now)
		T_PODMAN=$(secs "$t0" "$t1")
		mark; C_PODMAN=$(echo "$CPU_MARK - $c0" | bc)
	else
		echo "podman failed: $(tail -1 "$W/podman.err")"
	fi
	printf '%-44s %8.2f s wall %7.2f s cpu\n' "hull pull + run --image" "$T_HULL" "$C_HULL" \
		"skopeo copy + umoci unpack" "$T_UMOCI" "$C_UMOCI"
	[ "$T_PODMAN" = n/a ] || printf '%-44s %8.2f s wall %7.2f s cpu (podman only; its conmon/crun are not its children)\n' \
		"podman pull + podman run" "$T_PODMAN" "$C_PODMAN"
	echo "ratio (skopeo+umoci)/hull: wall $(ratio "$T_UMOCI" "$T_HULL")x, cpu $(ratio "$C_UMOCI" "$C_HULL")x"
	[ "$T_PODMAN" = n/a ] || echo "ratio podman/hull: wall $(ratio "$T_PODMAN" "$T_HULL")x"
fi

if part 2; then
	echo "# 2. unpack of $FILES small files"
	t0=$(now)
	mark; c0=$CPU_MARK
	"$HULL" pull -q --store "$W/store" "$REG/bench/small:1" >/dev/null
	t1=$(now)
	T_HS=$(secs "$t0" "$t1")
	mark; C_HS=$(echo "$CPU_MARK - $c0" | bc)
	t0=$(now)
	mark; c0=$CPU_MARK
	umoci unpack --image "$W/layout:small" "$W/umoci-small" >/dev/null
	t1=$(now)
	T_US=$(secs "$t0" "$t1")
	mark; C_US=$(echo "$CPU_MARK - $c0" | bc)
	printf '%-44s %8.2f s wall %7.2f s cpu %8.0f files/s\n' "hull pull (download + unpack)" "$T_HS" "$C_HS" "$(echo "$FILES / $T_HS" | bc)"
	printf '%-44s %8.2f s wall %7.2f s cpu %8.0f files/s\n' "umoci unpack (local)" "$T_US" "$C_US" "$(echo "$FILES / $T_US" | bc)"
	echo "ratio umoci/hull: wall $(ratio "$T_US" "$T_HS")x, cpu $(ratio "$C_US" "$C_HS")x"
fi

if part 3; then
	echo "# 3. containers 2..$CONTAINERS ($PASSES pass(es)): from a pulled image vs from a plain bundle"
	"$HULL" pull -q --store "$W/store" "$REG/bench/bb:1" >/dev/null
	"$HULL" bundle --store "$W/store" "$REG/bench/bb:1" "$W/plain"
	"$HULL" --root "$W/state" run -d --image "$REG/bench/bb:1" --store "$W/store" img1 </dev/null >/dev/null 2>&1
	"$HULL" --root "$W/state" run -d -b "$W/plain" plain1 </dev/null >/dev/null 2>&1
	# A third kind tells the root from the way to it: a plain bundle whose
	# rootfs is an overlay of the same layers, mounted here by hand (the
	# cleanup unmounts it), run with `run -d -b` like the plain one.
	LOWER=$(findmnt -n -o OPTIONS "$(ls -d "$W"/store/containers/shard-*/img1)/rootfs" | tr , '\n' | sed -n 's/^lowerdir=//p')
	mkdir -p "$W/ovl/rootfs" "$W/ovl/upper" "$W/ovl/work"
	cp "$W/plain/config.json" "$W/ovl/"
	mount -t overlay overlay -o "lowerdir=$LOWER,upperdir=$W/ovl/upper,workdir=$W/ovl/work" "$W/ovl/rootfs"
	KINDS="hull"
	[ -z "$BASE" ] || KINDS="hull base"
	ms() { echo "($2 - $1) * 1000" | bc; }
	# alternate the kinds, so a machine whose load changes meanwhile weighs on
	# all alike; each run's milliseconds go to $W/times.KIND-WHAT
	# The order turns every round: the first create after a pause pays
	# costs the one right behind it does not (on cgroup v1 a pid written
	# to cgroup.procs waits out an RCU grace period, and one that follows
	# within it does not), so a fixed order gave the image runs, always
	# first, ~10 ms more than the plain ones.
	for pass in $(seq 1 "$PASSES"); do
		for i in $(seq 2 "$CONTAINERS"); do
			for k in $KINDS; do
				h="$HULL"
				[ "$k" = hull ] || h="$BASE"
				case $((i % 3)) in
				0) order="img plain ovl" ;;
				1) order="plain ovl img" ;;
				2) order="ovl img plain" ;;
				esac
				for x in $order; do
					# bash's own clock, read before the fork and
					# after the wait: a `date` here would put its
					# own start (~1 ms, and whatever runs beside
					# it) inside the time
					t0=$EPOCHREALTIME
					if [ "$x" = img ]; then
						"$h" --root "$W/state" run -d --image "$REG/bench/bb:1" --store "$W/store" "$k-img$pass.$i" </dev/null >/dev/null 2>&1
					else
						"$h" --root "$W/state" run -d -b "$W/$x" "$k-$x$pass.$i" </dev/null >/dev/null 2>&1
					fi
					t1=$EPOCHREALTIME
					ms "$t0" "$t1" >>"$W/times.$k-$x"
					# An image run leaves the image's spare root
					# for the next (made after it, with the store
					# locked): wait for it here, untimed, so that
					# its making never lands on the next run of
					# another kind; its cost is the root's floor
					# below.
					[ "$x" = img ] && flock "$W/store/lock" true
				done
			done
		done
		# the next pass starts again from one container of each kind (the
		# last pass's stay, for the counts below)
		[ "$pass" = "$PASSES" ] && break
		for i in $(seq 2 "$CONTAINERS"); do
			for k in $KINDS; do
				for x in img plain ovl; do
					"$HULL" --root "$W/state" delete --force "$k-$x$pass.$i" >/dev/null 2>&1
				done
			done
		done
	done
	# Where the difference goes: TIMELINE more rounds of the two kinds,
	# taking turns, each run with HULL_TIMING (runtime/testpoint.h: a line
	# per named point on the create's path), and the median of each step.
	mkdir -p "$W/timeline"
	for i in $(seq 1 "$TIMELINE"); do
		order="img plain"
		[ $((i % 2)) = 0 ] && order="plain img"
		for x in $order; do
			if [ "$x" = img ]; then
				HULL_TIMING="$W/timeline/img.$i" "$HULL" --root "$W/state" run -d --image "$REG/bench/bb:1" \
					--store "$W/store" "tl-img.$i" </dev/null >/dev/null 2>&1
				flock "$W/store/lock" true
			else
				HULL_TIMING="$W/timeline/plain.$i" "$HULL" --root "$W/state" run -d -b "$W/plain" \
					"tl-plain.$i" </dev/null >/dev/null 2>&1
			fi
		done
	done
	# The floor: the root's own filesystem work (the container's directory,
	# marker, upper/work/rootfs, the overlay mount, config.json), which a
	# plain bundle does not do, timed alone as many times as there were
	# rounds, in the store's own containers/ (inodes land where the
	# image runs' do) and with the image's layers.
	cc -O2 -Wall -Wextra -o "$W/rootfloor" "$REPO/bench/rootfloor.c"
	FLOOR_DIR=$(dirname "$(ls -d "$W"/store/containers/shard-*/img1)")
	read -r _ _ FLOOR_P50 FLOOR_P90 _ MOUNT_P50 MOUNT_P90 < <("$W/rootfloor" "$FLOOR_DIR" "$LOWER" \
		$(( (CONTAINERS - 1) * PASSES )) "$(wc -c <"$W/plain/config.json")")
	UPPER=$(find "$W"/store/containers/shard-*/*/upper -mindepth 1 | wc -l)
	ROOTS=$(grep -c " $W/store/containers/.*/rootfs .* overlay " /proc/self/mountinfo || true)
	python3 - "$W" "$FLOOR_P50" $KINDS <<-'PY'
	import math, random, statistics, sys
	w = sys.argv[1]
	floor = int(sys.argv[2]) / 1000
	def q(v, p):
	    v = sorted(v)
	    return v[min(len(v) - 1, int(p * len(v)))]
	for k in sys.argv[3:]:
	    t = {x: [float(l) for l in open("%s/times.%s-%s" % (w, k, x))] for x in ("img", "plain", "ovl")}
	    for x, what in (("img", "run -d --image (overlay)"), ("plain", "run -d -b plain bundle"),
	                    ("ovl", "run -d -b overlay bundle")):
	        print("%-4s %-28s mean %6.2f ms  p50 %6.2f  p90 %6.2f" %
	              (k, what, statistics.mean(t[x]), q(t[x], .5), q(t[x], .9)))
	    print("%-4s ratio image/plain: mean %.2fx, p50 %.2fx, p90 %.2fx" %
	          (k, statistics.mean(t["img"]) / statistics.mean(t["plain"]),
	           q(t["img"], .5) / q(t["plain"], .5), q(t["img"], .9) / q(t["plain"], .9)))
	    # each round's image run against its plain run, next to each other:
	    # the medians above move with how many runs fall in the slow mode
	    # (see the order note above), a round's own difference does not
	    d = [a - b for a, b in zip(t["img"], t["plain"])]
	    print("%-4s paired (same round) image - plain: median %+.2f ms, mean %+.2f ms, image faster in %d%% of rounds" %
	          (k, q(d, .5), statistics.mean(d), round(100 * sum(1 for x in d if x < 0) / len(d))))
	    # the root alone (an overlay mounted by hand against a directory),
	    # and the way to it alone (--image against that same kind of root)
	    for a, b in (("ovl", "plain"), ("img", "ovl")):
	        e = [x - y for x, y in zip(t[a], t[b])]
	        print("%-4s paired %s - %s: median %+.2f ms, mean %+.2f ms" % (k, a, b, q(e, .5), statistics.mean(e)))
	    # How sure: a 95% interval for each ratio, from 2000 resamplings
	    # of the rounds (a round's two runs stay together), and a sign
	    # test on the rounds.  Slower "beyond noise" where the sign test
	    # says so (p < 0.05, most rounds slower) or both intervals lie
	    # wholly above 1; the upper ends bound how much slower it can be.
	    rng = random.Random(1)
	    n = len(d)
	    boot = {"mean": [], "p50": []}
	    for _ in range(2000):
	        idx = [rng.randrange(n) for _ in range(n)]
	        a = [t["img"][i] for i in idx]
	        b = [t["plain"][i] for i in idx]
	        boot["mean"].append(statistics.mean(a) / statistics.mean(b))
	        boot["p50"].append(q(a, .5) / q(b, .5))
	    ci = {m: (q(v, .025), q(v, .975)) for m, v in boot.items()}
	    faster = sum(1 for x in d if x < 0)
	    slower = sum(1 for x in d if x > 0)
	    m = faster + slower
	    tail = sum(math.comb(m, i) for i in range(min(faster, slower) + 1)) / 2 ** m if m else 1
	    print("%-4s 95%% interval of the ratio image/plain: mean [%.3f, %.3f], p50 [%.3f, %.3f]; "
	          "sign test over %d rounds: p = %.2f" %
	          (k, ci["mean"][0], ci["mean"][1], ci["p50"][0], ci["p50"][1], n, min(1, 2 * tail)))
	    hi = max(ci["mean"][1], ci["p50"][1])
	    shown = (slower > faster and 2 * tail < 0.05) or min(ci["mean"][0], ci["p50"][0]) > 1
	    print("%-4s so: image at most %+.1f%% against plain (the upper ends above); %s" %
	          (k, 100 * (hi - 1), "slower beyond this run's noise" if shown
	           else "a slowdown not shown beyond this run's noise"))
	    # against what the root alone costs (its floor, timed below the runs)
	    print("%-4s paired median image - plain %+.2f ms against the root's floor %.2f ms: "
	          "%.0f%% of the floor is left on the create's path" %
	          (k, q(d, .5), floor, 100 * q(d, .5) / floor if floor > 0 else float("nan")))
	PY
	python3 - "$W/timeline" <<-'PY'
	import glob, os, statistics, sys
	# the points both kinds pass, in order ("main" twice: before and after
	# the runtime re-executes itself from its sealed copy)
	common = ["main", "main#2", "create", "parsed", "state-dir", "state-saved", "cgroup-planned",
	          "cgroup-made", "cgroup-saved", "net-prepared", "root-open", "cloned", "spawned",
	          "pid-saved", "exit"]
	# after the run, the start of the image's next spare, on the run's path
	after = ["pid-saved", "image-spare-refill", "image-spare-started", "exit"]
	# (a run takes the image's spare root, or starts the fill's thread)
	image = ["main#2", "image-unlocked", "image-store-open", "image-config", "image-spare-taken",
	         "image-fill-started", "create"]
	def load(f):
	    ev, seen = {}, {}
	    for line in open(f):
	        name, us = line.split()[:2]
	        seen[name] = seen.get(name, 0) + 1
	        ev[name if seen[name] == 1 else "%s#%d" % (name, seen[name])] = int(us)
	    return ev
	def steps(kind, points):
	    out = {}
	    for f in glob.glob(os.path.join(sys.argv[1], kind + ".*")):
	        ev = load(f)
	        there = [p for p in points if p in ev]
	        for a, b in zip(there, there[1:]):
	            out.setdefault("%s -> %s" % (a, b), []).append(ev[b] - ev[a])
	        if "main" in ev and "exit" in ev:
	            out.setdefault("whole run", []).append(ev["exit"] - ev["main"])
	        if "image-fill-begin" in ev:
	            out.setdefault("(the fill, on its thread)", []).append(ev["image-fill-end"] - ev["image-fill-begin"])
	            out.setdefault("(its lead over the wait for it)", []).append(ev["image-root-wait"] - ev["image-fill-end"])
	    return out
	img, plain = steps("img", common), steps("plain", common)
	n = len(glob.glob(os.path.join(sys.argv[1], "img.*")))
	print("where the time goes, medians of %d runs of each kind (us; HULL_TIMING):" % n)
	print("  %-44s %8s %8s %8s" % ("step", "image", "plain", "diff"))
	for k in list(plain):
	    if k in img:
	        a, b = statistics.median(img[k]), statistics.median(plain[k])
	        print("  %-44s %8.0f %8.0f %+8.0f" % (k, a, b, a - b))
	only = steps("img", image)
	only.update(steps("img", after))
	for k in only:
	    print("  %-44s %8.0f (%d runs)" % ("  of which " + k, statistics.median(only[k]), len(only[k])))
	for k in ("(the fill, on its thread)", "(its lead over the wait for it)"):
	    if k in img:
	        print("  %-44s %8.0f" % (k, statistics.median(img[k])))
	PY
	# Back to back: BATCH runs of one kind with no wait between them, so
	# that the spare an image run leaves is made while the next runs (and
	# the next run takes the locked way when it is not made yet); the
	# kinds take turns by batch.  Time per run of the whole batch.
	for rep in 1 2 3; do
		for k in $KINDS; do
			h="$HULL"
			[ "$k" = hull ] || h="$BASE"
			order="img plain"
			[ $((rep % 2)) = 0 ] && order="plain img"
			for x in $order; do
				t0=$EPOCHREALTIME
				for i in $(seq 1 "$BATCH"); do
					if [ "$x" = img ]; then
						"$h" --root "$W/state" run -d --image "$REG/bench/bb:1" --store "$W/store" "bb-$k-img$rep.$i" </dev/null >/dev/null 2>&1
					else
						"$h" --root "$W/state" run -d -b "$W/plain" "bb-$k-plain$rep.$i" </dev/null >/dev/null 2>&1
					fi
				done
				t1=$EPOCHREALTIME
				echo "($t1 - $t0) * 1000 / $BATCH" | bc -l >>"$W/batch.$k-$x"
				flock "$W/store/lock" true
			done
		done
	done
	for k in $KINDS; do
		a=$(sort -n "$W/batch.$k-img" | sed -n 2p)
		b=$(sort -n "$W/batch.$k-plain" | sed -n 2p)
		printf '%-4s back to back, %d runs a batch, median of 3 batches: image %.2f ms/run, plain %.2f ms/run, ratio %.3f\n' \
			"$k" "$BATCH" "$a" "$b" "$(echo "$a / $b" | bc -l)"
	done
	echo "the root's floor alone (rootfloor, $(( (CONTAINERS - 1) * PASSES )) roots): p50 $FLOOR_P50 us, p90 $FLOOR_P90 us; its overlay mount p50 $MOUNT_P50 us, p90 $MOUNT_P90 us"
	echo "$ROOTS overlay roots mounted; their upper dirs hold $UPPER entries in all (nothing copied)"
	echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
fi
