#!/bin/sh
# exec latency into a microVM container (over vsock to the guest agent)
# against exec into a plain container, same rootfs, same run:
#   `hull exec ID /bin/true`, N times each, median and ratio.
# Needs a /dev/kvm that boots Linux (run it in the test VM:
#   make vm-run CMD='sh bench/vm-exec-bench.sh'), the guest kernel at
# build/vmm/guest/vmlinux (make vm-test-assets) and build/tests/rootfs.
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
hull=${HULL:-$repo/build/hull}
n=${N:-20}
export HULL_VM_KERNEL=${HULL_VM_KERNEL:-$repo/build/vmm/guest/vmlinux}
export HULL_VM_AGENT=${HULL_VM_AGENT:-$repo/build/vmm/guest/hull-agent}
tmp=$(mktemp -d /tmp/hull-exec-bench.XXXXXX)
# A disk cache of our own: /var/cache/hull may not exist (or be writable).
export HULL_VM_DISK_CACHE=${HULL_VM_DISK_CACHE:-$tmp/disks}
root=$tmp/state
trap '"$hull" --root "$root" delete --force eb-vm >/dev/null 2>&1 || true
      "$hull" --root "$root" delete --force eb-ct >/dev/null 2>&1 || true
      rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bundle"
cp -a "$repo/build/tests/rootfs" "$tmp/bundle/rootfs"
(cd "$tmp/bundle" && "$hull" spec)
jq '.process.terminal = false | .process.args = ["/bin/sleep", "600"]
    | .linux.cgroupsPath = "/hull-bench/exec"' "$tmp/bundle/config.json" >"$tmp/c.json"
mv "$tmp/c.json" "$tmp/bundle/config.json"

now_ns() { date +%s%N; }

# median_ms ID: N execs of /bin/true, the median in ms (3 decimals).
median_ms() {
	i=0
	: >"$tmp/times"
	while [ "$i" -lt "$n" ]; do
		t0=$(now_ns)
		"$hull" --root "$root" exec "$1" /bin/true
		t1=$(now_ns)
		echo $(((t1 - t0) / 1000)) >>"$tmp/times"
		i=$((i + 1))
	done
	sort -n "$tmp/times" | awk '{ a[NR] = $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.3f\n", m / 1000 }'
}

"$hull" --root "$root" run --detach --bundle "$tmp/bundle" eb-ct </dev/null >"$tmp/ct.out"
jq '.linux.cgroupsPath = "/hull-bench/exec-vm"' "$tmp/bundle/config.json" >"$tmp/c.json"
mv "$tmp/c.json" "$tmp/bundle/config.json"
"$hull" --root "$root" run --vm --detach --bundle "$tmp/bundle" eb-vm </dev/null >"$tmp/vm.out"
# The first exec waits for the guest to boot: not measured.
"$hull" --root "$root" exec eb-vm /bin/true
"$hull" --root "$root" exec eb-ct /bin/true
ct=$(median_ms eb-ct)
vm=$(median_ms eb-vm)
echo "exec /bin/true, median of $n: container ${ct} ms, microVM ${vm} ms, ratio $(echo "$vm $ct" | awk '{ printf "%.2f", $1 / $2 }')x"
