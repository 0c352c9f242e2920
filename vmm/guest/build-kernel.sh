#!/bin/sh
# Build Hull's guest kernel from Debian's linux-source-6.1 into a cache
# outside the repo: $HULL_KERNEL_CACHE/<hash of kernel.config + this
# script>/{bzImage,vmlinux,config}.  Prints the output directory.
# Needs: linux-source-6.1 flex bison bc libelf-dev libssl-dev lz4.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
cache=${HULL_KERNEL_CACHE:-/var/cache/hull/kernel}
tarball=${HULL_KERNEL_SOURCE:-/usr/src/linux-source-6.1.tar.xz}
jobs=${HULL_KERNEL_JOBS:-$(nproc)}
key=$(cat "$here/kernel.config" "$here/build-kernel.sh" | sha256sum | cut -c1-16)
out=$cache/$key

if [ -f "$out/bzImage" ] && [ -f "$out/vmlinux" ]; then
	echo "$out"
	exit 0
fi
[ -f "$tarball" ] || { echo "build-kernel: $tarball missing (apt-get install linux-source-6.1)" >&2; exit 1; }
mkdir -p "$cache"
# One build tree is shared by every config (below): two builds at once
# would corrupt it, so they take turns.
exec 9>"$cache/.build.lock"
flock 9
if [ -f "$out/bzImage" ] && [ -f "$out/vmlinux" ]; then
	echo "$out"
	exit 0
fi
src=$cache/src-$(basename "$tarball" .tar.xz)
if [ ! -f "$src/.unpacked" ]; then
	rm -rf "$src" && mkdir -p "$src"
	tar -xJf "$tarball" -C "$src" --strip-components=1
	touch "$src/.unpacked"
fi
# One build tree for all configs: a config change rebuilds incrementally.
build=$cache/build
mkdir -p "$build"
make -C "$src" O="$build" -s tinyconfig
"$src/scripts/kconfig/merge_config.sh" -m -O "$build" "$build/.config" "$here/kernel.config" >/dev/null
make -C "$src" O="$build" -s olddefconfig
# Report symbols of the fragment that did not survive olddefconfig.
grep -E '^CONFIG_[A-Z0-9_]+=y' "$here/kernel.config" | while read -r line; do
	grep -qx "$line" "$build/.config" || echo "build-kernel: note: $line not set" >&2
done
make -C "$src" O="$build" -s -j"$jobs" bzImage vmlinux
mkdir -p "$out.tmp"
cp "$build/arch/x86/boot/bzImage" "$out.tmp/bzImage"
objcopy --strip-debug "$build/vmlinux" "$out.tmp/vmlinux"
cp "$build/.config" "$out.tmp/config"
rm -rf "$out" && mv "$out.tmp" "$out"
echo "$out"
