#!/bin/sh
# Read throughput of a host directory shared into a microVM (virtio-fs
# through virtiofsd) against the same file through a container's bind
# mount and through the guest's own root disk (virtio-blk), same run:
#   checker read-rate FILE (1 MiB reads, monotonic clock inside the
#   container/guest), best of N runs each, MB/s and ratios.
# Needs a /dev/kvm that boots Linux (run it in the test VM:
#   make vm-run CMD='sh bench/vm-fs-bench.sh'), the guest kernel at
# build/vmm/guest/vmlinux (make vm-test-assets), build/tests/rootfs and
# /usr/lib/qemu/virtiofsd.
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
hull=${HULL:-$repo/build/hull}
n=${N:-3}
mib=${MIB:-64}
export HULL_VM_KERNEL=${HULL_VM_KERNEL:-$repo/build/vmm/guest/vmlinux}
export HULL_VM_AGENT=${HULL_VM_AGENT:-$repo/build/vmm/guest/hull-agent}
tmp=$(mktemp -d /tmp/hull-fs-bench.XXXXXX)
export HULL_VM_DISK_CACHE=${HULL_VM_DISK_CACHE:-$tmp/disks}
root=$tmp/state
trap '"$hull" --root "$root" delete --force fb >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bundle" "$tmp/shared"
cp -a "$repo/build/tests/rootfs" "$tmp/bundle/rootfs"
mkdir -p "$tmp/bundle/rootfs/data"
head -c $((mib << 20)) /dev/urandom >"$tmp/shared/big"
cp "$tmp/shared/big" "$tmp/bundle/rootfs/big"
(cd "$tmp/bundle" && "$hull" spec)
jq --arg src "$tmp/shared" '.process.terminal = false
    | .process.args = ["/bin/sh", "-c", "checker read-rate /data/big; checker read-rate /big"]
    | .linux.cgroupsPath = "/hull-bench/fs"
    | .mounts += [{"destination": "/data", "type": "bind", "source": $src, "options": ["rbind", "ro"]}]' \
	"$tmp/bundle/config.json" >"$tmp/c.json"
mv "$tmp/c.json" "$tmp/bundle/config.json"

# mbps: "bytes=B ns=T" lines in, MB/s per line out.
mbps() { awk -F'[= ]' '/^bytes=/ { printf "%.1f\n", $2 / ($4 / 1e9) / 1e6 }'; }

best() { sort -n | tail -1; }

: >"$tmp/ct"; : >"$tmp/vmfs"; : >"$tmp/vmblk"
i=0
while [ "$i" -lt "$n" ]; do
	"$hull" --root "$root" run --bundle "$tmp/bundle" fb </dev/null | mbps | head -1 >>"$tmp/ct"
	"$hull" --root "$root" run --vm --bundle "$tmp/bundle" fb </dev/null | mbps >"$tmp/one"
	sed -n 1p "$tmp/one" >>"$tmp/vmfs"
	sed -n 2p "$tmp/one" >>"$tmp/vmblk"
	i=$((i + 1))
done
ct=$(best <"$tmp/ct"); fs=$(best <"$tmp/vmfs"); blk=$(best <"$tmp/vmblk")
echo "read $mib MiB, best of $n (MB/s): container bind mount $ct, microVM virtio-fs $fs, microVM root disk (virtio-blk) $blk"
echo "ratios: virtio-fs / container bind $(echo "$fs $ct" | awk '{ printf "%.2f", $1 / $2 }')x," \
	"virtio-fs / guest root disk $(echo "$fs $blk" | awk '{ printf "%.2f", $1 / $2 }')x"
