#!/usr/bin/env bash
# Finds the smallest linux.resources.memory.limit with which `hull run` of a
# trivial container (/bin/true) succeeds, on this host's cgroup version.
# Usage: bench/min-memory.sh   (root; run it in the test VM for pure v2:
#        tests/vm/run-in-vm.sh -- bench/min-memory.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
HULL=${HULL:-$PWD/build/hull}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/rootfs/bin"
cp /bin/busybox "$work/rootfs/bin/"
ln -s busybox "$work/rootfs/bin/true"
(cd "$work" && "$HULL" spec)
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then v=v2; else v=v1/hybrid; fi
for kib in 64 128 192 256 384 512 768 1024 2048; do
	jq ".process.terminal = false | .process.args = [\"/bin/true\"]
	    | .linux.cgroupsPath = \"/hull-minmem/c$kib\"
	    | .linux.resources.memory = {\"limit\": $((kib * 1024))}" \
		"$work/config.json" >"$work/c.json" && mv "$work/c.json" "$work/config.json"
	if "$HULL" --root "$work/state" run --bundle "$work" "m$kib" >/dev/null 2>&1; then
		echo "cgroup $v: smallest working memory limit: $kib KiB"
		exit 0
	fi
	"$HULL" --root "$work/state" delete --force "m$kib" >/dev/null 2>&1 || true
	echo "cgroup $v: $kib KiB: fails"
done
echo "cgroup $v: no limit up to 2 MiB worked"
exit 1
