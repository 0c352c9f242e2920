#!/bin/sh
# Build the guest-side assets of the Linux boot tests (vmm/tests/linux-boot.bats)
# into OUT (default build/vmm/tests/assets):
#   agent.cpio.gz   hull-agent as /init, static busybox, and one agent
#                   config per scenario under /hull/ (picked with
#                   hull.config=/hull/NAME.conf on the kernel command line)
#   agent.cpio      the same, uncompressed, as Hull's runtime writes its
#                   initramfs (the boot benchmark uses this one)
#   busybox.cpio.gz a plain busybox /init that prints and reboots
#   rootfs.ext4     a busybox root disk with a marker file
# Usage: make-test-assets.sh AGENT [OUT]
set -eu

agent=$1
out=${2:-build/vmm/tests/assets}
bb=$(command -v busybox)
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$tmp/a/bin" "$tmp/a/hull" "$tmp/a/proc" "$tmp/a/sys" "$tmp/a/dev"
cp "$agent" "$tmp/a/init"
cp "$bb" "$tmp/a/bin/busybox"
for t in sh echo cat head nproc wc sleep kill ls mount hostname id; do
	ln -s busybox "$tmp/a/bin/$t"
done
common='env PATH=/bin
cwd /'
printf '%s\narg /bin/echo\narg hello%%20from%%20the%%20agent\n' "$common" > "$tmp/a/hull/echo.conf"
printf '%s\narg /bin/sh\narg -c\narg exit%%203\n' "$common" > "$tmp/a/hull/exit3.conf"
printf '%s\narg /bin/sh\narg -c\narg kill%%20-9%%20$$\n' "$common" > "$tmp/a/hull/kill9.conf"
printf '%s\narg /bin/head\narg -n1\n' "$common" > "$tmp/a/hull/stdin.conf"
printf '%s\narg /bin/nproc\n' "$common" > "$tmp/a/hull/nproc.conf"
printf '%s\narg /bin/sh\narg -c\narg head%%20-c%%2016%%20/dev/hwrng%%20|%%20wc%%20-c\n' "$common" > "$tmp/a/hull/rng.conf"
printf '%s\nhostname hullvm\nuser 1000 1000\nrlimit 7 64 64\narg /bin/sh\narg -c\narg echo%%20$(hostname)%%20$(id%%20-u):$(id%%20-g)%%20$(ulimit%%20-n)%%20$FOO\nenv FOO=bar%%20baz\n' "$common" > "$tmp/a/hull/settings.conf"
printf 'root /dev/vda ext4 ro\n%s\narg /bin/cat\narg /marker\n' "$common" > "$tmp/a/hull/disk.conf"
# The guest kernel's own log (vmm/bench/vm-boot-profile.sh: initcall_debug).
printf '%s\narg /bin/busybox\narg dmesg\n' "$common" > "$tmp/a/hull/dmesg.conf"
(cd "$tmp/a" && find . | cpio -o -H newc 2>/dev/null) > "$out/agent.cpio"
gzip -1 < "$out/agent.cpio" > "$out/agent.cpio.gz"

mkdir -p "$tmp/b/bin" "$tmp/b/proc"
cp "$bb" "$tmp/b/bin/busybox"
cat > "$tmp/b/init" <<'EOI'
#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
echo "busybox init: $(/bin/busybox grep -c ^processor /proc/cpuinfo) cpu(s)"
/bin/busybox reboot -f
EOI
chmod +x "$tmp/b/init"
(cd "$tmp/b" && find . | cpio -o -H newc 2>/dev/null) | gzip -1 > "$out/busybox.cpio.gz"

mkdir -p "$tmp/r/bin" "$tmp/r/proc" "$tmp/r/sys" "$tmp/r/dev"
cp "$bb" "$tmp/r/bin/busybox"
ln -s busybox "$tmp/r/bin/cat"
ln -s busybox "$tmp/r/bin/sh"
echo "marker from the root disk" > "$tmp/r/marker"
rm -f "$out/rootfs.ext4"
mkfs.ext4 -q -d "$tmp/r" "$out/rootfs.ext4" 8M
