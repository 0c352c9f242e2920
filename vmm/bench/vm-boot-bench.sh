#!/bin/sh
# vm-boot-bench.sh HULL KERNEL INITRD [RUNS]
# Boot-to-workload time and peak RSS: Hull's monitor vs QEMU -M microvm,
# same kernel, same initramfs (the agent running `echo`), same devices
# (virtio-mmio console + rng), KVM, 1 vCPU, 128 MiB.  Best of RUNS (default
# 5) for time; RSS from the same runs.  Needs runstat (vmm/bench/runstat.c)
# on PATH and qemu-system-x86_64.  Run it where /dev/kvm boots Linux (the
# test VM); never assert on these numbers, compare them.  QEMU microvm gets
# reboot=t: it ignores the i8042 reset that Hull uses (reboot=k), and Hull's
# agent stops its VM through port 0x600 before rebooting anyway.  acpi=off:
# with ACPI, QEMU describes its virtio-mmio devices only in the DSDT, and
# Hull's kernel has no ACPI (devices come from the command line).
set -eu
hull=$1 kernel=$2 initrd=$3 runs=${4:-5}
args="quiet hull.config=/hull/echo.conf"

best() { sort -n | head -1; }

run_hull() {
	runstat "$hull" vm-boot --kernel "$kernel" --initrd "$initrd" --mem 128 \
		--cmdline "$args" </dev/null
}

run_qemu() {
	runstat qemu-system-x86_64 -M microvm,x-option-roms=off,rtc=off,isa-serial=off,acpi=off \
		-enable-kvm -cpu host -smp 1 -m 128 -nodefaults -no-user-config -nographic \
		-no-reboot -kernel "$kernel" -initrd "$initrd" \
		-chardev stdio,id=con -device virtio-serial-device -device virtconsole,chardev=con \
		-device virtio-rng-device \
		-append "console=hvc0 reboot=t panic=-1 $args" </dev/null
}

for m in hull qemu; do
	: > "/tmp/bench-$m"
	i=0
	while [ "$i" -lt "$runs" ]; do
		out=$("run_$m" 2>&1 || true)
		echo "$out" | grep -q "hello from the agent" || echo "$m: run $i: no workload output" >&2
		echo "$out" | sed -n 's/^runstat: //p' >> "/tmp/bench-$m"
		i=$((i + 1))
	done
	t=$(sed 's/.*wall_ms=\([0-9.]*\).*/\1/' "/tmp/bench-$m" | best)
	r=$(sed 's/.*maxrss_kib=\([0-9]*\).*/\1/' "/tmp/bench-$m" | best)
	echo "$m: best boot-to-workload-exit ${t} ms, peak RSS ${r} KiB (best of $runs)"
done
