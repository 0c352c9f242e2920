#!/bin/bash
# Run a command inside the Hull test VM and return its exit status.
#
# Usage: tests/vm/run-in-vm.sh [--timeout S] [--boot-timeout S] -- COMMAND...
#
# The VM: QEMU TCG with an emulated AMD SVM (so kvm_amd gives a real /dev/kvm
# inside), Debian 12 with systemd as PID 1 and a pure cgroup v2 hierarchy.
# The repo is shared read-only at the same absolute path it has here, and the
# command runs as root in that directory. Its stdout and stderr (merged) are
# streamed to stdout here.
#
# Exit status: the command's; 124 on timeout or guest hang; 125 when the
# harness fails (no QEMU, image build failure, kernel missing, ...).
#
# Environment:
#   HULL_VM_CACHE         image cache (see build-image.sh)
#   HULL_VM_TIMEOUT       default for --timeout (seconds, default 900)
#   HULL_VM_BOOT_TIMEOUT  default for --boot-timeout: boot to the command (default 240)
#   HULL_VM_MEM           guest memory in MiB (default 2048)
#   HULL_VM_APPEND        more arguments for the guest kernel's command line
#   HULL_VM_RESULTS       writable results directory shared with the guest
#                         (default: a fresh temp dir, removed on success)
#   HULL_VM_REPO          directory to share (default: the repo holding this script)
#   HULL_VM_KEEP          set to 1 to keep the results directory
#   HULL_VM_VERBOSE       set to 1 to report boot and run times on stderr
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
timeout_s=${HULL_VM_TIMEOUT:-900}
boot_timeout_s=${HULL_VM_BOOT_TIMEOUT:-240}
mem_mb=${HULL_VM_MEM:-2048}
repo=${HULL_VM_REPO:-$(cd "$here/../.." && pwd)}
results=
own_results=0
qemu_pid=
tail_pid=

die() { echo "run-in-vm: $*" >&2; exit 125; }
log() { echo "run-in-vm: $*" >&2; }

verbose() {
	if [ "${HULL_VM_VERBOSE:-0}" = 1 ]; then log "$*"; fi
}

# Seconds since an $EPOCHREALTIME value, with one decimal.
since() {
	awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'
}

usage() {
	echo "usage: $0 [--timeout S] [--boot-timeout S] -- COMMAND..." >&2
	exit 125
}

# Stop QEMU's whole process group (timeout + qemu), then the output streamer.
# Runs on every exit path, so no QEMU outlives this script.
cleanup() {
	if [ -n "$qemu_pid" ] && kill -0 "$qemu_pid" 2>/dev/null; then
		kill -TERM -- "-$qemu_pid" 2>/dev/null || true
		sleep 1
		kill -KILL -- "-$qemu_pid" 2>/dev/null || true
		wait "$qemu_pid" 2>/dev/null || true
	fi
	if [ -n "$tail_pid" ]; then
		kill "$tail_pid" 2>/dev/null || true
		wait "$tail_pid" 2>/dev/null || true
	fi
	if [ "$own_results" = 1 ] && [ -n "$results" ]; then
		rm -rf --one-file-system "$results"
	fi
}

parse_args() {
	while [ $# -gt 0 ]; do
		case $1 in
		--timeout) [ $# -ge 2 ] || usage; timeout_s=$2; shift 2 ;;
		--boot-timeout) [ $# -ge 2 ] || usage; boot_timeout_s=$2; shift 2 ;;
		--) shift; break ;;
		*) usage ;;
		esac
	done
	[ $# -gt 0 ] || usage
	command=("$@")
}

check_host() {
	command -v qemu-system-x86_64 >/dev/null ||
		die "qemu-system-x86_64 not found: apt-get install qemu-system-x86"
	command -v setsid >/dev/null || die "setsid not found: apt-get install util-linux"
	[ -d "$repo" ] || die "repo directory $repo not found"
	repo=$(cd "$repo" && pwd)
	case $repo in
	*[[:space:]]* | *,*) die "cannot share $repo: the path has a space or comma" ;;
	esac
}

# The host's TSC frequency, so the guest's early boot does not calibrate
# against the emulated PIT (it hangs under load without it; see notes).
host_tsc_khz() {
	awk '/^cpu MHz/ { printf "%d", $4 * 1000; exit }' /proc/cpuinfo
}

setup_results() {
	if [ -n "${HULL_VM_RESULTS:-}" ]; then
		results=$HULL_VM_RESULTS
		mkdir -p "$results" || die "cannot create results directory $results"
		results=$(cd "$results" && pwd -P)
		rm -f "$results/status" "$results/started"
	else
		results=$(mktemp -d "${TMPDIR:-/tmp}/hull-vm.XXXXXX")
		own_results=1
	fi
	printf 'HULL_REPO=%q\n' "$repo" >"$results/job.env"
	{
		echo '# written by run-in-vm.sh'
		printf 'exec'
		printf ' %q' "${command[@]}"
		echo
	} >"$results/job.sh"
	: >"$results/console.log"
	: >"$results/output.log"
}

start_qemu() {
	local image=$1 khz append
	khz=$(host_tsc_khz)
	[ -n "$khz" ] || log "warning: no 'cpu MHz' in /proc/cpuinfo; booting without tsc_early_khz"
	append="console=ttyS0 root=/dev/vda rw rootfstype=ext4 quiet loglevel=0"
	append+=" systemd.show_status=0 systemd.unified_cgroup_hierarchy=1"
	append+=" fsck.mode=skip edd=off panic=-1 ${khz:+tsc_early_khz=$khz}"
	# AppArmor on: lsm.bats loads a profile and checks it confines the process.
	append+=" apparmor=1 security=apparmor"
	append+="${HULL_VM_APPEND:+ $HULL_VM_APPEND}"
	# setsid: QEMU gets its own process group, which cleanup() kills whole.
	# timeout: a backstop if this script itself is killed with SIGKILL.
	setsid timeout --kill-after=10 "$((timeout_s + 30))" \
		qemu-system-x86_64 -M q35 -accel tcg,thread=multi \
		-cpu EPYC,+svm,+npt -smp 1 -m "$mem_mb" \
		-nodefaults -no-user-config -nographic -no-reboot \
		-kernel "$image/vmlinuz" -initrd "$image/initrd.img" -append "$append" \
		-drive "file=$image/rootfs.ext4,format=raw,if=virtio,snapshot=on" \
		-virtfs "local,path=$repo,mount_tag=hullrepo,security_model=none,readonly=on,id=hullrepo" \
		-virtfs "local,path=$results,mount_tag=hullresults,security_model=none,id=hullresults" \
		-serial "file:$results/console.log" -serial "file:$results/output.log" \
		-monitor "unix:$results/monitor.sock,server=on,wait=off" \
		</dev/null >"$results/qemu.log" 2>&1 &
	qemu_pid=$!
}

stream_output() {
	tail -n +1 -f --pid="$qemu_pid" "$results/output.log" &
	tail_pid=$!
}

show_console() {
	log "last 40 lines of the guest console ($1):"
	# Drop the firmware's terminal escapes and carriage returns.
	tr -d '\r' <"$results/console.log" |
		sed -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/\x1bc//g' | tail -n 40 >&2
	# TCG's warnings about CPU features it lacks are harmless noise.
	if grep -qv "TCG doesn't support requested feature" "$results/qemu.log"; then
		log "QEMU said:"
		grep -v "TCG doesn't support requested feature" "$results/qemu.log" | tail -n 20 >&2
	fi
}

# QEMU's CPU time so far, in clock ticks (QEMU is the child of timeout).
qemu_ticks() {
	local q
	q=$(pgrep -P "$qemu_pid" -x qemu-system-x86 | head -n1)
	[ -n "$q" ] && awk '{ print $14 + $15 }' "/proc/$q/stat" 2>/dev/null
}

# The test VM can freeze under TCG while nested guests run: QEMU stops
# delivering its local APIC timer interrupt.  Two forms seen:
# - idle: the vCPU halted with interrupts on, the timer counting, QEMU
#   using no CPU (4 times in a few hundred nested boots);
# - busy: the vCPU inside a nested guest that never exits on its own (the
#   abuse guests' floods), the timer expired, its vector pending in IRR and
#   never taken: the test VM's clock and bats' timeouts stop with it (CI,
#   2026-12-02: an abuse test held for 10 minutes, and went on at once
#   after a key press).
# Any new interrupt makes QEMU take the pending one, and a tickless kernel
# then programs its timer afresh.  So every KICK_S seconds: if QEMU used no
# CPU meanwhile, or the monitor shows the timer expired with its interrupt
# pending twice 1 s apart, a key press (an i8042 interrupt; shift alone
# types nothing) through the monitor.  Counted in $results/kicks.
monitor_kick() { # MODE: idle (kick) or busy (kick only if the timer is stuck)
	python3 - "$results/monitor.sock" "$1" <<-'PY' 2>/dev/null
	import re, socket, sys, time
	s = socket.socket(socket.AF_UNIX)
	s.settimeout(5)
	s.connect(sys.argv[1])
	def ask(cmd):
	    if cmd:
	        s.sendall(cmd.encode() + b"\n")
	    out = b""
	    t = time.time() + 5
	    while time.time() < t and not out.endswith(b"(qemu) "):
	        try:
	            d = s.recv(65536)
	        except socket.timeout:
	            break
	        if not d:
	            break
	        out += d
	    return out.decode(errors="replace")
	def stuck():
	    a = ask("info lapic")
	    irr = re.search(r"^IRR\s+\d[\d ]*\s*$", a, re.M)
	    return bool(irr) and re.search(r"current_count = 0\b", a) is not None
	ask(None)   # the banner, up to the first prompt
	if sys.argv[2] == "busy":
	    if not stuck():
	        sys.exit(1)
	    time.sleep(1)
	    if not stuck():
	        sys.exit(1)
	ask("sendkey shift")
	s.close()
	PY
}

kick_guest() { # MODE
	if monitor_kick "$1"; then
		case $1 in
		idle) echo "$(date +%T) guest idle without a tick for ${kick_s} s: key press sent" ;;
		busy) echo "$(date +%T) timer interrupt pending and not taken: key press sent" ;;
		esac >>"$results/kicks"
	fi
}

# Poll until QEMU exits, the boot takes too long, or the whole run does.
wait_for_qemu() {
	local start=$SECONDS elapsed t0=$EPOCHREALTIME booted=0 kick_s=${HULL_VM_KICK_S:-10}
	local ticks last_ticks= last_check=$SECONDS
	while kill -0 "$qemu_pid" 2>/dev/null; do
		elapsed=$((SECONDS - start))
		if [ "$booted" = 1 ] && [ $((SECONDS - last_check)) -ge "$kick_s" ]; then
			ticks=$(qemu_ticks)
			if [ -n "$ticks" ] && [ -n "$last_ticks" ] && [ "$ticks" = "$last_ticks" ]; then
				kick_guest idle
			else
				kick_guest busy
			fi
			last_ticks=$ticks
			last_check=$SECONDS
		fi
		if [ "$booted" = 0 ] && [ -e "$results/started" ]; then
			booted=1
			verbose "the command started $(since "$t0") s after QEMU did"
		fi
		if [ ! -e "$results/started" ] && [ "$elapsed" -ge "$boot_timeout_s" ]; then
			show_console "guest hang: the command did not start within $boot_timeout_s s"
			return 124
		fi
		if [ "$elapsed" -ge "$timeout_s" ]; then
			show_console "timeout: the command ran past $timeout_s s"
			return 124
		fi
		sleep 0.2
	done
	wait "$qemu_pid" 2>/dev/null || true
	qemu_pid=
	verbose "QEMU ran for $(since "$t0") s"
	if [ -s "$results/kicks" ]; then
		log "the guest's timer stalled $(wc -l <"$results/kicks") time(s) and a key press revived it (see kicks)"
	fi
	return 0
}

exit_status() {
	if [ -s "$results/status" ]; then
		cat "$results/status"
		return
	fi
	if [ ! -e "$results/started" ]; then
		show_console "the guest stopped before the command started"
	else
		show_console "the guest stopped without recording an exit status"
	fi
	echo 125
}

main() {
	local image rc=0
	parse_args "$@"
	check_host
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	image=$("$here/build-image.sh") || die "image build failed (see above)"
	if [ ! -f "$image/vmlinuz" ] || [ ! -f "$image/initrd.img" ]; then
		die "kernel not found: $image/vmlinuz or initrd.img missing (rebuild: $here/build-image.sh --force)"
	fi
	setup_results
	start_qemu "$image"
	stream_output
	wait_for_qemu || rc=$?
	if [ "$rc" = 0 ]; then
		# Let tail print what is left, then collect the status.
		wait "$tail_pid" 2>/dev/null || true
		tail_pid=
		rc=$(exit_status)
	fi
	if [ "${HULL_VM_KEEP:-0}" = 1 ] && [ "$own_results" = 1 ]; then
		own_results=0
		log "results kept in $results"
	fi
	return "$rc"
}

main "$@"
