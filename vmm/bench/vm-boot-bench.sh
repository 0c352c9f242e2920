#!/bin/sh
# vm-boot-bench.sh HULL VMLINUX BZIMAGE INITRD [RUNS]
# Boot-to-workload time and peak RSS: Hull's monitor vs QEMU -M microvm,
# same kernel (its PVH vmlinux and its bzImage), same initramfs (the agent
# running `echo`), same devices (virtio-mmio console + rng), KVM, 1 vCPU,
# 128 MiB.  RUNS rounds (default 5); in each round the four cases (Hull
# PVH, QEMU bzImage, Hull bzImage, QEMU PVH) take turns, so that a change in
# host load falls on all of them alike.  Prints the best time of each case,
# and the ratio of Hull's best case to QEMU's best case (each side in its
# fastest mode), plus the per-entry ratios.  Needs runstat
# (vmm/bench/runstat.c) on PATH and qemu-system-x86_64.  Run it where
# /dev/kvm boots Linux (the test VM); never assert on these numbers,
# compare them.  QEMU microvm gets reboot=t: it ignores the i8042 reset that
# Hull uses (reboot=k), and Hull's agent stops its VM through its control
# console before rebooting anyway.  acpi=off: with ACPI, QEMU describes its
# virtio-mmio devices only in the DSDT, and Hull's kernel has no ACPI
# (devices come from the command line).
set -eu
hull=$1 vmlinux=$2 bzimage=$3 initrd=$4 runs=${5:-5}
args="quiet hull.config=/hull/echo.conf"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

run_hull() {
	runstat "$hull" vm-boot --kernel "$1" --initrd "$initrd" --mem 128 \
		--cmdline "$args" </dev/null
}

run_qemu() {
	runstat qemu-system-x86_64 -M microvm,x-option-roms=off,rtc=off,isa-serial=off,acpi=off \
		-enable-kvm -cpu host -smp 1 -m 128 -nodefaults -no-user-config -nographic \
		-no-reboot -kernel "$1" -initrd "$initrd" \
		-chardev stdio,id=con -device virtio-serial-device -device virtconsole,chardev=con \
		-device virtio-rng-device \
		-append "console=hvc0 reboot=t panic=-1 $args" </dev/null
}

# one CASE MONITOR KERNEL: one boot, its runstat line appended to $work/CASE
one() {
	out=$("run_$2" "$3" 2>&1 || true)
	echo "$out" | grep -q "hello from the agent" || echo "$1: no workload output" >&2
	echo "$out" | sed -n 's/^runstat: //p' >> "$work/$1"
}

i=0
while [ "$i" -lt "$runs" ]; do
	one hull-pvh hull "$vmlinux"
	one qemu-bzimage qemu "$bzimage"
	one hull-bzimage hull "$bzimage"
	one qemu-pvh qemu "$vmlinux"
	i=$((i + 1))
done

best_ms() { sed -n 's/.*wall_ms=\([0-9.]*\).*/\1/p' "$work/$1" | sort -n | head -1; }
best_rss() { sed -n 's/.*maxrss_kib=\([0-9]*\).*/\1/p' "$work/$1" | sort -n | head -1; }
for c in hull-pvh hull-bzimage qemu-pvh qemu-bzimage; do
	echo "$c: best boot-to-workload-exit $(best_ms "$c") ms, peak RSS $(best_rss "$c") KiB" \
		"(best of $runs; all: $(sed -n 's/.*wall_ms=\([0-9.]*\).*/\1/p' "$work/$c" | tr '\n' ' '))"
done
awk -v hp="$(best_ms hull-pvh)" -v hb="$(best_ms hull-bzimage)" \
	-v qp="$(best_ms qemu-pvh)" -v qb="$(best_ms qemu-bzimage)" 'BEGIN {
	h = hp < hb ? hp : hb; q = qp < qb ? qp : qb
	printf "ratio hull/qemu, best against best: %.2f (%s %.0f ms vs %s %.0f ms)\n", h / q,
		hp < hb ? "hull-pvh" : "hull-bzimage", h, qp < qb ? "qemu-pvh" : "qemu-bzimage", q
	printf "ratio per entry: PVH %.2f, bzImage %.2f\n", hp / qp, hb / qb
}'
