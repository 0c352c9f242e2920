#!/usr/bin/env bats
# bats file_tags=vm
# The microVM backend: the same bundle and lifecycle, the process inside a
# VM run by Hull's own monitor.  Needs a /dev/kvm that boots standard Linux
# kernels, so most of it runs inside the test VM (make check-vm); on a PVM
# host only the refusal is tested.  The guest kernel is Hull's own
# (make vm-kernel, copied to build/vmm/guest/ by make vm-test-assets).

load helpers
load vm_helpers




# run_vm_background: `hull run --vm` in the background, output in
# $BATS_TEST_TMPDIR/out, its pid in $runner; returns once the process has
# printed "ready" (boot under nested emulation takes seconds).
run_vm_background() {
	"$HULL_BIN" --root "$HULL_ROOT" run --vm --bundle "$BUNDLE" "$CID" </dev/null \
		>"$BATS_TEST_TMPDIR/out" 2>&1 &
	runner=$!
	for _ in $(seq 600); do grep -q ready "$BATS_TEST_TMPDIR/out" && return 0; sleep 0.1; done
	cat "$BATS_TEST_TMPDIR/out"
	return 1
}

setup() {
	requires root
	setup_bundle
}

teardown() {
	teardown_bundle
	check_no_leftovers
	# No monitor may outlive its container.
	if pgrep -f -- "--root $HULL_ROOT" >/dev/null; then
		echo "a monitor outlived its container" >&2
		return 1
	fi
}

@test "vm: on a PVM host, run --vm says standard guests cannot boot and leaves nothing" {
	is_pvm || skip "this host's /dev/kvm is not PVM"
	run_hull run --vm --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"PVM"* ]]
	[[ "$output" == *"cannot boot"* ]]
}

@test "vm: run --vm prints the container's output from inside a guest kernel" {
	requires_vm
	set_args /bin/sh -c 'echo hello from the sandbox; cat /proc/cmdline'
	run_hull run --vm --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"hello from the sandbox"* ]]
	# Only a guest booted by Hull's monitor has its devices on the command line.
	[[ "$output" == *"virtio_mmio.device="* ]]
}

@test "vm: the checker runs with the process settings of config.json" {
	requires_vm
	set_args /bin/checker ids
	update_config '.process.user = {"uid": 1000, "gid": 1000, "additionalGids": [5]}
		| .process.cwd = "/tmp" | .hostname = "vmbox"'
	run_hull run --vm --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"uid=1000"* ]]
	[[ "$output" == *"gid=1000"* ]]
	set_args /bin/sh -c 'echo "$(hostname) $(pwd) $HOME"'
	update_config '.process.env += ["HOME=/vmhome"]'
	run_hull run --vm --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"vmbox /tmp /vmhome"* ]]
}

@test "vm: the exit status is the process's (0 and 3)" {
	requires_vm
	set_args /bin/true
	run_hull run --vm --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	set_args /bin/sh -c 'exit 3'
	run_hull run --vm --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 3 ]
}

@test "vm: stdin reaches the process, and so does its end" {
	requires_vm
	# cat only exits at end-of-file.
	set_args /bin/cat
	run bash -c "printf 'line one\nline two\n' | '$HULL_BIN' --root '$HULL_ROOT' run --vm --bundle '$BUNDLE' '$CID'"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"line one"*"line two"* ]]
	# Every byte, more than one console buffer's worth, then the end.
	set_args /bin/wc -c
	run bash -c "head -c 100000 /dev/zero | '$HULL_BIN' --root '$HULL_ROOT' run --vm --bundle '$BUNDLE' '$CID'"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"100000"* ]]
	# No stdin at all: the process sees end-of-file at once.
	set_args /bin/cat
	run_hull run --vm --bundle "$BUNDLE" "$CID" </dev/null
	[ "$status" -eq 0 ]
}

@test "vm: kill -9 of a running VM container gives 137 and leaves nothing" {
	requires_vm
	set_args /bin/sh -c 'echo ready; exec sleep 600'
	run_vm_background
	wait_for_status "$CID" running
	hull kill "$CID" 9
	rc=0
	wait "$runner" || rc=$?
	cat "$BATS_TEST_TMPDIR/out"
	[ "$rc" -eq 137 ]
}

@test "vm: SIGTERM is delivered to the process inside the guest" {
	requires_vm
	# The trap proves delivery: stopping the VM instead would give 143.
	set_args /bin/sh -c 'trap "echo got TERM; exit 7" TERM; echo ready; while :; do sleep 0.2; done'
	run_vm_background
	hull kill "$CID" TERM
	rc=0
	wait "$runner" || rc=$?
	cat "$BATS_TEST_TMPDIR/out"
	[ "$rc" -eq 7 ]
	grep -q "got TERM" "$BATS_TEST_TMPDIR/out"
}

@test "vm: create, start, state, list and delete drive the VM; state shows the backend" {
	requires_vm
	set_args /bin/sh -c 'echo started > /dev/null; exec sleep 600'
	hull_detached create --vm --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	run_hull state "$CID"
	[ "$(echo "$output" | jq -r .status)" = created ]
	[ "$(echo "$output" | jq -r .backend)" = vm ]
	# The monitor (the state's pid) sits in the container's cgroup.
	pid=$(echo "$output" | jq -r .pid)
	grep -q "$TEST_CGROUP_PARENT/$CID" "/proc/$pid/cgroup"
	run_hull list --format json
	[ "$(echo "$output" | jq -r '.[0].backend')" = vm ]
	run_hull start "$CID"
	[ "$status" -eq 0 ]
	wait_for_status "$CID" running
	# exec goes into the guest over vsock (never into the monitor's
	# host namespaces): the guest's kernel command line proves where.
	run_hull exec "$CID" /bin/cat /proc/cmdline
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"virtio_mmio.device="* ]]
	run_hull delete "$CID"
	[ "$status" -ne 0 ]
	run_hull delete --force "$CID"
	[ "$status" -eq 0 ]
	[ ! -d "$HULL_ROOT/$CID" ]
	run kill -0 "$pid"
	[ "$status" -ne 0 ]
}

@test "vm: the memory limit and CPU quota size the guest" {
	requires_vm
	set_args /bin/sh -c 'grep MemTotal /proc/meminfo; echo cpus=$(grep -c ^processor /proc/cpuinfo)'
	update_config '.linux.resources.memory.limit = 201326592
		| .linux.resources.cpu = {"quota": 150000, "period": 100000}'
	run_hull run --vm --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"cpus=2"* ]]
	# 192 MiB limit - 32 MiB for the monitor = 160 MiB of guest RAM, of
	# which the kernel reports somewhat less as MemTotal.
	kib=$(echo "$output" | awk '/MemTotal/ {print $2}')
	[ "$kib" -gt $((120 * 1024)) ]
	[ "$kib" -le $((160 * 1024)) ]
}

@test "vm: bad sizing annotations and a missing kernel are errors naming them, nothing left" {
	requires_vm
	update_config '.annotations["io.hull.vm.cpus"] = "many"'
	run_hull run --vm --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"annotations.io.hull.vm.cpus"* ]]
	check_no_leftovers
	update_config 'del(.annotations["io.hull.vm.cpus"])'
	run_hull run --vm-kernel /nonexistent/vmlinux --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"/nonexistent/vmlinux"* ]]
	check_no_leftovers
	update_config '.linux.resources.memory.limit = 33554432'
	run_hull run --vm --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.resources.memory.limit"* ]]
}

@test "vm: a guest that cannot run the process fails with the agent's reason" {
	requires_vm
	set_args /no/such/program
	run_hull run --vm --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"/no/such/program"* ]]
}

@test "vm: a read-only root disk is cached by content; a changed rootfs boots its new content" {
	requires_vm
	echo one >"$BUNDLE/rootfs/etc/marker"
	set_args /bin/cat /etc/marker
	run_hull run --vm --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[[ "$output" == *one* ]]
	first=$(ls -i "$HULL_VM_DISK_CACHE"/*.ext4)
	run_hull run --vm --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	# The same image (same inode), not a second one.
	[ "$(ls -i "$HULL_VM_DISK_CACHE"/*.ext4)" = "$first" ]
	echo two >"$BUNDLE/rootfs/etc/marker"
	run_hull run --vm --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *two* ]]
	[ "$(ls "$HULL_VM_DISK_CACHE"/*.ext4 | wc -l)" -eq 2 ]
}

@test "vm: a missing disk cache directory is made (mkdir -p, 0700); one that cannot be made is an error naming it" {
	requires_vm
	# As on a fresh host, where /var/cache/hull does not exist yet.
	export HULL_VM_DISK_CACHE="$BATS_TEST_TMPDIR/fresh/var/cache/hull/disks"
	set_args /bin/echo booted
	run_hull run --vm --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *booted* ]]
	[ "$(stat -c %a "$HULL_VM_DISK_CACHE")" = 700 ]
	[ "$(stat -c %a "$BATS_TEST_TMPDIR/fresh/var/cache/hull")" = 700 ]
	[ "$(ls "$HULL_VM_DISK_CACHE"/*.ext4 | wc -l)" -eq 1 ]
	# A file where a directory must go: refused, naming the path.
	touch "$BATS_TEST_TMPDIR/blocker"
	export HULL_VM_DISK_CACHE="$BATS_TEST_TMPDIR/blocker/disks"
	run_hull run --vm --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"$BATS_TEST_TMPDIR/blocker"* ]]
	[[ "$output" == *"disk cache"* ]]
	[ ! -e "$HULL_ROOT/$CID" ]
}

@test "vm: a writable root gets the container's own disk, gone after delete" {
	requires_vm
	update_config '.root.readonly = false'
	set_args /bin/sh -c 'echo written > /root/note && cat /root/note'
	hull_detached run --vm --detach --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ -f "$HULL_ROOT/$CID/vm-rootfs.ext4" ]
	wait_for_status "$CID" stopped 600
	grep -q written "$BATS_TEST_TMPDIR/ctr.out"
	run_hull delete "$CID"
	[ "$status" -eq 0 ]
	[ ! -e "$HULL_ROOT/$CID" ]
	# Nothing cached for a writable root, and the bundle is untouched.
	[ ! -e "$HULL_VM_DISK_CACHE" ] || [ -z "$(ls -A "$HULL_VM_DISK_CACHE")" ]
	[ ! -e "$BUNDLE/rootfs/root/note" ]
}

@test "vm: process.terminal: the pty master goes to --console-socket, the guest console is the process's tty" {
	requires_vm
	requires python3
	sock="$BATS_TEST_TMPDIR/console.sock"
	python3 "$REPO/tests/integration/recvtty.py" "$sock" "$BATS_TEST_TMPDIR/tty.out" $'hello\n' \
		>/dev/null 2>"$BATS_TEST_TMPDIR/recvtty.err" &
	recvtty=$!
	for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.05; done
	update_config '.process.terminal = true'
	set_args /bin/sh -c 'tty; read line; echo "got $line"'
	hull_detached run --vm --detach --console-socket "$sock" --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	wait_for_status "$CID" stopped 600
	wait "$recvtty"
	output=$(tr -d '\r' <"$BATS_TEST_TMPDIR/tty.out")
	echo "$output"
	echo "$output" | grep -qx /dev/hvc0
	# The guest's terminal is cooked: it echoes the input line.
	echo "$output" | grep -qx hello
	echo "$output" | grep -qx "got hello"
	hull delete "$CID"
}

# --- The monitor's jail (vmm/jail.c) ---------------------------------------

# monitor_field PID FIELD: a line's value from /proc/PID/status.
monitor_field() {
	awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"
}

@test "vm jail: the monitor runs without capabilities, under seccomp, unprivileged, in its own namespaces and an empty root (but the vsock directory)" {
	requires_vm
	update_config '.linux.namespaces += [{"type": "network"}] | .linux.namespaces |= unique_by(.type)'
	set_args /bin/sh -c 'echo ready; exec sleep 600'
	run_vm_background
	wait_for_status "$CID" running
	pid=$(hull state "$CID" | jq -r .pid)
	cat "/proc/$pid/status"
	# All five capability sets empty.
	for set in CapInh CapPrm CapEff CapBnd CapAmb; do
		[ "$(monitor_field "$pid" "$set")" = 0000000000000000 ]
	done
	[ "$(monitor_field "$pid" NoNewPrivs)" = 1 ]
	# Every thread (the I/O thread and each vCPU) is in filter mode.
	for t in /proc/"$pid"/task/*; do
		[ "$(awk '$1 == "Seccomp:" { print $2 }' "$t/status")" = 2 ]
	done
	[ "$(ls /proc/"$pid"/task | wc -l)" -ge 2 ]
	# A dedicated unprivileged id (real, effective, saved, fs).
	uid=$(monitor_field "$pid" Uid)
	[ "$uid" -ge $((0x48000000)) ]
	[ "$(awk '$1 == "Uid:" { print $2 $3 $4 $5 }' "/proc/$pid/status")" = "$uid$uid$uid$uid" ]
	[ "$(monitor_field "$pid" Gid)" = "$uid" ]
	# Its own mount, pid, ipc and uts namespaces, the container's network one.
	for ns in mnt pid ipc uts net; do
		[ "$(readlink "/proc/$pid/ns/$ns")" != "$(readlink "/proc/self/ns/$ns")" ]
	done
	# Its root is not the host's, and there is nothing in it but the
	# vsock socket's directory (the state directory, read-only, for
	# guest -> host connections).
	[ "$(stat -L -c %d:%i "/proc/$pid/root/")" != "$(stat -c %d:%i /)" ]
	[ "$(ls -A "/proc/$pid/root/")" = vsock ]
	[ "$(stat -L -c %d:%i "/proc/$pid/root/vsock")" = "$(stat -c %d:%i "$HULL_ROOT/$CID")" ]
	awk '$5 == "/vsock" { print $6 }' "/proc/$pid/mountinfo" | grep -q '^ro,nosuid,nodev,noexec'
	[ "$(awk '$5 == "/vsock"' "/proc/$pid/mountinfo" | wc -l)" -eq 1 ]
	# The jail's tmpfs is not visible on the host.
	run grep -c hull-vm-jail /proc/self/mountinfo
	[ "$output" = 0 ]
	# Rlimits: no core dumps, a handful of processes.
	[ "$(awk '/^Max core file size/ { print $5 }' "/proc/$pid/limits")" = 0 ]
	[ "$(awk '/^Max processes/ { print $3 }' "/proc/$pid/limits")" -le 16 ]
	# And the jailed VM still works: signals reach the guest, the status comes back.
	hull kill "$CID" 9
	rc=0
	wait "$runner" || rc=$?
	[ "$rc" -eq 137 ]
}

@test "vm jail: a system call outside the monitor's allow-list kills it; the container ends with a clear error and nothing left" {
	requires_vm
	set_args /bin/sh -c 'echo ready; exec sleep 600'
	HULL_VM_DEBUG_FORBIDDEN_SYSCALL=1 run_hull run --vm --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq $((128 + 31)) ]
	[[ "$output" == *"killed by SIGSYS"* ]]
	[[ "$output" == *"seccomp allow-list"* ]]
	[ ! -e "$HULL_ROOT/$CID" ]
	check_no_leftovers
}

@test "vm jail: --vm-no-jail is loud and leaves the monitor unconfined (debugging only)" {
	requires_vm
	set_args /bin/sh -c 'echo ready; exec sleep 600'
	"$HULL_BIN" --root "$HULL_ROOT" run --vm-no-jail --bundle "$BUNDLE" "$CID" </dev/null \
		>"$BATS_TEST_TMPDIR/out" 2>&1 &
	runner=$!
	for _ in $(seq 600); do grep -q ready "$BATS_TEST_TMPDIR/out" && break; sleep 0.1; done
	cat "$BATS_TEST_TMPDIR/out"
	grep -q "WARNING: --vm-no-jail" "$BATS_TEST_TMPDIR/out"
	pid=$(hull state "$CID" | jq -r .pid)
	[ "$(monitor_field "$pid" Seccomp)" = 0 ]
	[ "$(monitor_field "$pid" Uid)" = 0 ]
	hull kill "$CID" 9
	rc=0
	wait "$runner" || rc=$?
	[ "$rc" -eq 137 ]
}

# --- A guest that defends itself (vmm/guest/agent.c) ------------------------

@test "vm guest: capabilities (five sets), no_new_privs, seccomp, umask and no port I/O, seen from inside the guest" {
	requires_vm
	update_config '.process.user = {"uid": 1000, "gid": 1000, "umask": 23}
		| .process.noNewPrivileges = true
		| .process.capabilities = {"bounding": ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
			"effective": ["CAP_KILL"], "permitted": ["CAP_KILL"],
			"inheritable": ["CAP_KILL"], "ambient": ["CAP_KILL"]}
		| .linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
			"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}'
	set_args /bin/sh -c 'checker caps; checker nnp; checker seccomp; checker umask; checker syscall mkdir; checker ioport'
	run_hull run --vm --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	# CAP_KILL is bit 5, CAP_NET_BIND_SERVICE bit 10.
	[[ "$output" == *"CapInh=0000000000000020"* ]]
	[[ "$output" == *"CapPrm=0000000000000020"* ]]
	[[ "$output" == *"CapEff=0000000000000020"* ]]
	[[ "$output" == *"CapBnd=0000000000000420"* ]]
	[[ "$output" == *"CapAmb=0000000000000020"* ]]
	[[ "$output" == *"NoNewPrivs=1"* ]]
	[[ "$output" == *"Seccomp=2"* ]]
	# umask 23 in JSON is decimal: 027.
	[[ "$output" == *"umask=0027"* ]]
	# The host-compiled filter answers inside the guest.
	[[ "$output" == *"mkdir=EPERM"* ]]
	[[ "$output" == *"iopl=ENOSYS"* ]]
	[[ "$output" == *"ioperm=ENOSYS"* ]]
}

@test "vm guest: even with every capability the workload cannot iopl/ioperm; sysctl, masked and readonly paths apply in the guest" {
	requires_vm
	mkdir -p "$BUNDLE/rootfs/etc/masked-dir"
	echo secret >"$BUNDLE/rootfs/etc/masked-file"
	echo secret >"$BUNDLE/rootfs/etc/masked-dir/inside"
	caps=$(jq -c '[range(0; 41)] | map("CAP_" + (["CHOWN","DAC_OVERRIDE","DAC_READ_SEARCH","FOWNER","FSETID","KILL","SETGID","SETUID","SETPCAP","LINUX_IMMUTABLE","NET_BIND_SERVICE","NET_BROADCAST","NET_ADMIN","NET_RAW","IPC_LOCK","IPC_OWNER","SYS_MODULE","SYS_RAWIO","SYS_CHROOT","SYS_PTRACE","SYS_PACCT","SYS_ADMIN","SYS_BOOT","SYS_NICE","SYS_RESOURCE","SYS_TIME","SYS_TTY_CONFIG","MKNOD","LEASE","AUDIT_WRITE","AUDIT_CONTROL","SETFCAP","MAC_OVERRIDE","MAC_ADMIN","SYSLOG","WAKE_ALARM","BLOCK_SUSPEND","AUDIT_READ","PERFMON","BPF","CHECKPOINT_RESTORE"][.]))' -n)
	update_config ".process.capabilities = {\"bounding\": $caps, \"effective\": $caps, \"permitted\": $caps}
		| del(.linux.seccomp)
		| .linux.sysctl = {\"net.ipv4.ip_forward\": \"1\"}
		| .linux.maskedPaths += [\"/etc/masked-file\", \"/etc/masked-dir\", \"/no/such/path\"]
		| .linux.readonlyPaths += [\"/dev\"]"
	set_args /bin/sh -c 'checker caps; checker ioport; checker read /proc/sys/net/ipv4/ip_forward; echo file:; checker read /etc/masked-file; echo dir:; checker ls /etc/masked-dir; checker write /dev/probe x'
	run_hull run --vm --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"first_line=1"* ]]
	# Masked: the file reads empty, the directory lists nothing.
	[[ "$output" == *"file:"*"read=ok"*"bytes=0"*"dir:"*"entries=0"* ]]
	[[ "$output" != *"secret"* ]]
	[[ "$output" == *"write=EROFS"* ]]
	# CAP_SYS_RAWIO (bit 17) is held, yet the guest kernel has no port I/O.
	[[ "$output" == *"CapEff=000001ffffffffff"* ]]
	[[ "$output" == *"iopl=ENOSYS"* ]]
	[[ "$output" == *"ioperm=ENOSYS"* ]]
}

# --- The whole bundle: hooks on the host, the rest refused by name ---------

@test "vm bundle: all six hook kinds run on the host, in order, with the VM monitor's pid" {
	requires_vm
	hookdir="$BATS_TEST_TMPDIR/hooks"
	mkdir -p "$hookdir"
	cat >"$hookdir/hook.sh" <<-'EOF'
	#!/bin/sh
	state=$(cat)
	st=$(echo "$state" | sed -n 's/.*"status": *"\([a-z]*\)".*/\1/p')
	pid=$(echo "$state" | sed -n 's/.*"pid": *\([0-9]*\).*/\1/p')
	echo "$1 $st ${pid:-none} $(readlink /proc/self/ns/mnt)" >>"$(dirname "$0")/log"
	EOF
	chmod 755 "$hookdir/hook.sh"
	for k in prestart createRuntime createContainer startContainer poststart poststop; do
		update_config '.hooks.'"$k"' += [{"path": "'"$hookdir/hook.sh"'", "args": ["hook.sh", "'"$k"'"]}]'
	done
	set_args /bin/sh -c 'exec sleep 600'
	hull_detached create --vm --bundle "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/pid" "$CID"
	cat "$BATS_TEST_TMPDIR/ctr.out"
	[ "$status" -eq 0 ]
	pid=$(cat "$BATS_TEST_TMPDIR/pid")
	[ "$(cut -d' ' -f1 "$hookdir/log" | tr '\n' ' ')" = "prestart createRuntime createContainer " ]
	hull start "$CID"
	wait_for_status "$CID" running
	hull kill "$CID" KILL
	wait_for_status "$CID" stopped 600
	hull delete "$CID"
	cat "$hookdir/log"
	[ "$(cut -d' ' -f1 "$hookdir/log" | tr '\n' ' ')" = "prestart createRuntime createContainer startContainer poststart poststop " ]
	[ "$(cut -d' ' -f2 "$hookdir/log" | tr '\n' ' ')" = "creating creating creating created running stopped " ]
	[ "$(head -5 "$hookdir/log" | cut -d' ' -f3 | sort -u)" = "$pid" ]
	# All on the host: the runtime's mount namespace.
	[ "$(cut -d' ' -f4 "$hookdir/log" | sort -u)" = "$(readlink /proc/self/ns/mnt)" ]
}

@test "vm bundle: fields VM mode does not honour are refused by name before anything starts" {
	# Refused before the PVM check and before any image is built: runs anywhere.
	[ -c /dev/kvm ] || skip "needs /dev/kvm"
	export HULL_VM_AGENT="$GUEST_AGENT" HULL_VM_KERNEL="$GUEST_KERNEL"
	check_refused() {
		run_hull run --vm --bundle "$BUNDLE" "$CID"
		echo "$output"
		[ "$status" -ne 0 ]
		[[ "$output" == *"$1"* ]]
		[ ! -e "$HULL_ROOT/$CID" ]
		check_no_leftovers
	}
	cp "$BUNDLE/config.json" "$BATS_TEST_TMPDIR/config.orig"
	# vmfs: bind mounts are shared (vm_fs.bats); a tmpfs is not (yet), nor
	# propagation that cannot cross into the guest.
	update_config '.mounts += [{"destination": "/data", "type": "tmpfs", "source": "tmpfs"}]'
	check_refused "mounts["
	check_refused "/data"
	cp "$BATS_TEST_TMPDIR/config.orig" "$BUNDLE/config.json"
	update_config '.mounts += [{"destination": "/data", "type": "bind", "source": "/tmp", "options": ["rbind", "rslave"]}]'
	check_refused "propagation"
	cp "$BATS_TEST_TMPDIR/config.orig" "$BUNDLE/config.json"
	update_config '.linux.devices = [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229}]'
	check_refused "linux.devices"
	cp "$BATS_TEST_TMPDIR/config.orig" "$BUNDLE/config.json"
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
	check_refused "user namespace"
	cp "$BATS_TEST_TMPDIR/config.orig" "$BUNDLE/config.json"
	update_config '.linux.personality = {"domain": "LINUX32"}'
	check_refused "linux.personality"
	cp "$BATS_TEST_TMPDIR/config.orig" "$BUNDLE/config.json"
	update_config '.process.ioPriority = {"class": "IOPRIO_CLASS_IDLE", "priority": 0}'
	check_refused "process.ioPriority"
	cp "$BATS_TEST_TMPDIR/config.orig" "$BUNDLE/config.json"
	update_config '.process.scheduler = {"policy": "SCHED_BATCH"}'
	check_refused "process.scheduler"
	cp "$BATS_TEST_TMPDIR/config.orig" "$BUNDLE/config.json"
	update_config '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/tmp/none.sock",
		"syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]}'
	check_refused "SCMP_ACT_NOTIFY"
}

# --- Terminal size ------------------------------------------------------------

@test "vm terminal: consoleSize and a later resize of the pty reach the guest's console" {
	requires_vm
	requires python3
	sock="$BATS_TEST_TMPDIR/console.sock"
	python3 "$REPO/tests/integration/vm_resize_tty.py" "$sock" "$BATS_TEST_TMPDIR/tty.out" \
		>/dev/null 2>"$BATS_TEST_TMPDIR/resize.err" &
	helper=$!
	for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.05; done
	update_config '.process.terminal = true | .process.consoleSize = {"height": 30, "width": 100}'
	set_args /bin/sh -c 'trap "checker winsize; exit 0" WINCH; checker winsize; echo ready; while :; do sleep 0.2; done'
	hull_detached run --vm --detach --console-socket "$sock" --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	wait_for_status "$CID" stopped 600
	wait "$helper"
	cat "$BATS_TEST_TMPDIR/resize.err"
	output=$(tr -d '\r' <"$BATS_TEST_TMPDIR/tty.out")
	echo "$output"
	# First the size create gave the pty, then the one the helper set.
	echo "$output" | grep -qx "winsize=30x100"
	echo "$output" | grep -qx "winsize=41x132"
	hull delete "$CID"
}

# --- Bad input -----------------------------------------------------------------

@test "vm bad input: a guest that never boots is stopped by delete --force, nothing left" {
	requires_vm
	requires python3
	python3 "$REPO/tests/integration/vm_hang_kernel.py" "$BATS_TEST_TMPDIR/hang.elf"
	set_args /bin/true
	hull_detached run --vm --detach --vm-kernel "$BATS_TEST_TMPDIR/hang.elf" --bundle "$BUNDLE" "$CID"
	cat "$BATS_TEST_TMPDIR/ctr.out"
	[ "$status" -eq 0 ]
	wait_for_status "$CID" running
	pid=$(hull state "$CID" | jq -r .pid)
	# A signal nobody in the guest takes leaves the VM spinning...
	hull kill "$CID" TERM
	[ "$(hull state "$CID" | jq -r .status)" = running ]
	# ...delete --force ends it, within a bound, and leaves nothing.
	run timeout 60 "$HULL_BIN" --root "$HULL_ROOT" delete --force "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ ! -e "$HULL_ROOT/$CID" ]
	run kill -0 "$pid"
	[ "$status" -ne 0 ]
}

# --- exec and vsock (issue 12 items 4 and 5) ---

# exec_vm_start: a VM container whose process idles, running (in the
# background through run_vm_background); stopped again by exec_vm_stop.
exec_vm_start() {
	set_args /bin/sh -c 'echo ready; exec sleep 600'
	run_vm_background
	wait_for_status "$CID" running
}

exec_vm_stop() {
	hull kill "$CID" 9 || true
	wait "$runner" || true
}

@test "vm: exec without a tty: output, stdin, stderr, exit status 0 and 3, env/cwd/user seen inside" {
	requires_vm
	exec_vm_start
	run_hull exec "$CID" /bin/checker ids
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"uid=0"* ]]
	run_hull exec --user 1000:1001 --additional-gids 5,7 --cwd /tmp --env EXECVAR=inside \
		"$CID" /bin/sh -c '/bin/checker ids; /bin/checker cwd; /bin/checker env EXECVAR'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"uid=1000"* ]]
	[[ "$output" == *"gid=1001"* ]]
	[[ "$output" == *"cwd=/tmp"* ]]
	[[ "$output" == *"EXECVAR=inside"* ]]
	echo "$output" | grep -E '^groups=.*\b5\b.*\b7\b'
	run_hull exec "$CID" /bin/sh -c 'exit 3'
	[ "$status" -eq 3 ]
	# stdin with its end, stdout and stderr on their own streams.
	run bash -c "printf 'one\ntwo\n' | '$HULL_BIN' --root '$HULL_ROOT' exec '$CID' /bin/sh -c 'wc -l; echo to-stderr >&2' 2>'$BATS_TEST_TMPDIR/err'"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | tr -d ' ')" = 2 ]
	grep -qx to-stderr "$BATS_TEST_TMPDIR/err"
	# --process: a runtime-spec process JSON.
	cat >"$BATS_TEST_TMPDIR/process.json" <<-'EOF'
	{"args": ["/bin/checker", "env", "FROMFILE"], "env": ["FROMFILE=yes"], "cwd": "/",
	 "user": {"uid": 0, "gid": 0}}
	EOF
	run_hull exec --process "$BATS_TEST_TMPDIR/process.json" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"FROMFILE=yes"* ]]
	exec_vm_stop
}

@test "vm: exec of a missing binary fails at once with the guest's error" {
	requires_vm
	exec_vm_start
	run_hull exec "$CID" /no/such/binary
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"/no/such/binary"* ]]
	[[ "$output" == *"No such file or directory"* ]]
	# The container is unharmed: the next exec works.
	run_hull exec "$CID" /bin/true
	[ "$status" -eq 0 ]
	exec_vm_stop
}

@test "vm: a signal to hull exec reaches the process in the guest (128+N), and a trap sees it" {
	requires_vm
	exec_vm_start
	"$HULL_BIN" --root "$HULL_ROOT" exec "$CID" /bin/sh -c 'echo started; exec sleep 600' \
		</dev/null >"$BATS_TEST_TMPDIR/sleep.out" 2>&1 &
	execpid=$!
	for _ in $(seq 600); do grep -q started "$BATS_TEST_TMPDIR/sleep.out" && break; sleep 0.1; done
	kill -TERM "$execpid"
	rc=0
	wait "$execpid" || rc=$?
	[ "$rc" -eq 143 ]
	"$HULL_BIN" --root "$HULL_ROOT" exec "$CID" /bin/sh -c \
		'trap "echo got USR1; exit 9" USR1; echo armed; while :; do sleep 0.1; done' \
		</dev/null >"$BATS_TEST_TMPDIR/trap.out" 2>&1 &
	execpid=$!
	for _ in $(seq 600); do grep -q armed "$BATS_TEST_TMPDIR/trap.out" && break; sleep 0.1; done
	kill -USR1 "$execpid"
	rc=0
	wait "$execpid" || rc=$?
	cat "$BATS_TEST_TMPDIR/trap.out"
	[ "$rc" -eq 9 ]
	grep -q "got USR1" "$BATS_TEST_TMPDIR/trap.out"
	# The container's own process was not touched.
	[ "$(hull state "$CID" | jq -r .status)" = running ]
	exec_vm_stop
}

@test "vm: exec --tty over --console-socket: a guest pty, input echoed, resize followed, status" {
	requires_vm
	requires python3
	exec_vm_start
	sock="$BATS_TEST_TMPDIR/tty.sock"
	python3 - "$sock" "$BATS_TEST_TMPDIR/tty.out" >/dev/null 2>"$BATS_TEST_TMPDIR/recv.err" <<-'EOF' &
	import array, fcntl, os, socket, struct, sys, termios
	srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
	srv.bind(sys.argv[1]); srv.listen(1)
	conn, _ = srv.accept()
	fds = array.array("i")
	_, anc, _, _ = conn.recvmsg(64, socket.CMSG_SPACE(fds.itemsize))
	for lvl, kind, data in anc:
	    fds.frombytes(data[: len(data) - len(data) % fds.itemsize])
	m = fds[0]
	out = b""
	def until(s):
	    global out
	    while s not in out:
	        d = os.read(m, 4096)
	        if not d: raise SystemExit("eof before " + s.decode())
	        out += d
	fcntl.ioctl(m, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
	os.write(m, b"first\n")
	until(b"size1=30 100")
	fcntl.ioctl(m, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
	os.write(m, b"second\n")
	try:
	    while True:
	        d = os.read(m, 4096)
	        if not d: break
	        out += d
	except OSError:
	    pass
	open(sys.argv[2], "wb").write(out)
	EOF
	recv=$!
	for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
	waitsize='s=; for i in $(seq 100); do s=$(stty size); [ "$s" = "$1" ] && break; sleep 0.1; done; echo "$2=$s"'
	run_hull exec --tty --console-socket "$sock" "$CID" /bin/sh -c \
		"tty; read a; set -- '30 100' size1; $waitsize; read b; set -- '40 120' size2; $waitsize; echo \"got \$a \$b\"; exit 5"
	echo "$output"
	[ "$status" -eq 5 ]
	wait "$recv"
	out=$(tr -d '\r' <"$BATS_TEST_TMPDIR/tty.out")
	echo "$out"
	echo "$out" | grep -q '^/dev/pts/'
	echo "$out" | grep -qx first          # the guest's pty echoes
	echo "$out" | grep -qx 'size1=30 100'
	echo "$out" | grep -qx 'size2=40 120'
	echo "$out" | grep -qx 'got first second'
	exec_vm_stop
}

@test "vm: exec --detach with --pid-file; a host client speaks Firecracker's vsock protocol; the jailed monitor connects guest-initiated ones to <socket>_PORT" {
	requires_vm
	requires python3
	exec_vm_start
	# --detach: back at once; the pid file names a host process that
	# stands for the guest process and, as runc's detached process, keeps
	# the stdio it was given (so not bats' `run` pipe: a file).
	"$HULL_BIN" --root "$HULL_ROOT" exec --detach --pid-file "$BATS_TEST_TMPDIR/exec.pid" \
		"$CID" /bin/checker vsock-echo 5000 </dev/null >"$BATS_TEST_TMPDIR/exec.out" 2>&1
	keeper=$(cat "$BATS_TEST_TMPDIR/exec.pid")
	kill -0 "$keeper"
	# host -> guest: CONNECT 5000, OK <port>, then the echo server's bytes.
	run python3 - "$HULL_ROOT/$CID/vsock.sock" <<-'EOF'
	import socket, sys, time
	for attempt in range(300):
	    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
	    s.connect(sys.argv[1])
	    s.sendall(b"CONNECT 5000\n")
	    line = b""
	    while not line.endswith(b"\n"):
	        d = s.recv(1)
	        if not d: break
	        line += d
	    if line.startswith(b"OK "):
	        break
	    s.close()
	    time.sleep(0.1)   # the echo server is not listening yet
	else:
	    sys.exit("never connected")
	print(line.decode().strip())
	s.sendall(b"ping through vsock")
	s.shutdown(socket.SHUT_WR)
	data = b""
	while True:
	    d = s.recv(4096)
	    if not d: break
	    data += d
	print("echo=" + data.decode())
	EOF
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"OK "* ]]
	[[ "$output" == *"echo=ping through vsock"* ]]
	# A port nobody listens on: closed without OK.
	run python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(b"CONNECT 4999\n"); print("reply=%r" % s.recv(64))' "$HULL_ROOT/$CID/vsock.sock"
	echo "$output"
	[[ "$output" == *"reply=b''"* ]]
	# guest -> host, with the monitor jailed: it sees the state directory
	# (read-only, at /vsock in its empty root) and connects, as its own
	# unprivileged uid, to a listener at <socket>_6000 that lets it (mode
	# 0777, as under Firecracker's jailer); the listener gets the guest's
	# bytes and its reply reaches the guest.
	python3 - "$HULL_ROOT/$CID/vsock.sock_6000" "$BATS_TEST_TMPDIR/got" <<-'EOF' &
	import os, socket, sys
	os.umask(0)
	s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1); s.settimeout(120)
	c, _ = s.accept()
	data = b""
	while True:
	    d = c.recv(4096)
	    if not d: break
	    data += d
	open(sys.argv[2], "wb").write(data)
	c.sendall(b"got:" + data)
	c.close()
	EOF
	listener=$!
	for _ in $(seq 100); do [ -S "$HULL_ROOT/$CID/vsock.sock_6000" ] && break; sleep 0.05; done
	run_hull exec "$CID" /bin/checker vsock-send 6000 "hello host"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"reply=got:hello host"* ]]
	wait "$listener"
	[ "$(cat "$BATS_TEST_TMPDIR/got")" = "hello host" ]
	rm -f "$HULL_ROOT/$CID/vsock.sock_6000"
	# A listener the jail's uid may not connect to (0755, root's) and a
	# port nobody listens on: the guest's connect is refused (RST).
	python3 -c 'import os,socket,sys; os.umask(0o022); s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1); s.settimeout(60); s.accept()' \
		"$HULL_ROOT/$CID/vsock.sock_6001" 2>/dev/null &
	listener=$!
	for _ in $(seq 100); do [ -S "$HULL_ROOT/$CID/vsock.sock_6001" ] && break; sleep 0.05; done
	run_hull exec "$CID" /bin/checker vsock-send 6001 hi
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"vsock_send=Connection re"* ]]
	kill "$listener" 2>/dev/null || true
	wait "$listener" 2>/dev/null || true
	rm -f "$HULL_ROOT/$CID/vsock.sock_6001"
	run_hull exec "$CID" /bin/checker vsock-send 6002 hi
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"vsock_send=Connection re"* ]]
	# The keeper forwards signals: TERM ends the echo server (143).
	kill -TERM "$keeper"
	for _ in $(seq 300); do kill -0 "$keeper" 2>/dev/null || break; sleep 0.1; done
	run kill -0 "$keeper"
	[ "$status" -ne 0 ]
	exec_vm_stop
}

@test "vm: exec into a created (not started) VM container is refused by name, nothing left" {
	requires_vm
	set_args /bin/sleep 600
	hull_detached create --vm --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	run_hull exec "$CID" /bin/true
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"created"* ]]
	run_hull exec --cap CAP_SYS_ADMIN "$CID" /bin/true
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"--cap"* ]]
	hull delete --force "$CID"
}

# One confinement for the process and for exec (the agent's shared code):
# an exec'd process must not run with more than the container's process.
@test "vm: exec gets the container's capabilities, no_new_privs and seccomp filter" {
	requires_vm
	update_config '.process.capabilities = {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]}
		| .process.noNewPrivileges = true
		| .linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 18}]}'
	exec_vm_start
	run_hull exec "$CID" /bin/sh -c 'checker caps; checker seccomp; checker nnp; checker mkdir /tmp/x'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | sed -n 's/^CapEff=//p')" = 0000000000000020 ]
	[ "$(echo "$output" | sed -n 's/^CapBnd=//p')" = 0000000000000020 ]
	[ "$(echo "$output" | sed -n 's/^Seccomp=//p')" = 2 ]
	[ "$(echo "$output" | sed -n 's/^NoNewPrivs=//p')" = 1 ]
	[ "$(echo "$output" | sed -n 's/^mkdir=//p')" = EXDEV ]
	exec_vm_stop
}

@test "vm: hull features describes vsock and exec into VM containers" {
	run_hull features
	[ "$status" -eq 0 ]
	run jq -r '.annotations["io.hull.vm.vsock"]' <<<"$output"
	[[ "$output" == *"CONNECT <port>"* ]]
	[[ "$output" == *"vsock.sock_P"* ]]
	run_hull features
	run jq -r '.annotations["io.hull.vm.exec"]' <<<"$output"
	[[ "$output" == *"--tty"* ]]
	[[ "$output" == *"refused: --cap"* ]]
}
