#!/usr/bin/env bats
# bats file_tags=vm
# Bind mounts of host directories in VM containers: one virtiofsd per VM
# (runtime/backend_vm_fs.c) over vhost-user to the monitor's virtio-fs
# device (vmm/virtio_fs.c); the guest agent binds each entry onto its
# destination (vmm/guest/agent_fs.c).  Needs a /dev/kvm that boots
# standard kernels: runs in the test VM (make vm-run).

load helpers
load vm_helpers

VIRTIOFSD=/usr/lib/qemu/virtiofsd

requires_vm_fs() {
	requires_kvm_guest
	[ -x "$VIRTIOFSD" ] || skip "needs $VIRTIOFSD (apt-get install qemu-system-common)"
	if [ -f "$GUEST_KERNEL" ]; then
		export HULL_VM_KERNEL="$GUEST_KERNEL"
	fi
}

# add_bind SOURCE DEST [OPTION...]: a bind mount appended to mounts[],
# its mount point made in the (read-only) root; prints nothing.
add_bind() {
	local src=$1 dst=$2 opts
	shift 2
	opts=$(jq -cn '$ARGS.positional' --args -- bind "$@")
	[ -e "$BUNDLE/rootfs$dst" ] || mkdir -p "$BUNDLE/rootfs$dst"
	update_config ".mounts += [{\"destination\": \"$dst\", \"type\": \"bind\", \"source\": \"$src\", \"options\": $opts}]"
}

virtiofsd_pids() {
	pgrep -f -- "source=$HULL_ROOT" || true
}

# start_idle_vm: `hull run --vm` in the background of a process that says
# "ready" and idles; output in $BATS_TEST_TMPDIR/out, the runner's pid in
# $runner; fails (with the output) if "ready" never comes.
start_idle_vm() {
	set_args /bin/sh -c 'echo ready; exec sleep 600'
	"$HULL_BIN" --root "$HULL_ROOT" run --vm --bundle "$BUNDLE" "$CID" </dev/null \
		>"$BATS_TEST_TMPDIR/out" 2>&1 &
	runner=$!
	for _ in $(seq 600); do grep -q ready "$BATS_TEST_TMPDIR/out" && break; sleep 0.1; done
	cat "$BATS_TEST_TMPDIR/out"
	grep -q ready "$BATS_TEST_TMPDIR/out"
}

setup() {
	requires root
	setup_bundle
	HOSTDIR="$BATS_TEST_TMPDIR/vmfs-host"
	mkdir -p "$HOSTDIR/ro" "$HOSTDIR/rw"
}

teardown() {
	teardown_bundle
	check_no_leftovers
	if [ -n "$(virtiofsd_pids)" ]; then
		echo "a virtiofsd outlived its container: $(virtiofsd_pids)" >&2
		return 1
	fi
}

@test "vm fs: a read-only host directory is readable in the guest and refuses writes" {
	requires_vm_fs
	echo "host says hi" >"$HOSTDIR/ro/greeting"
	add_bind "$HOSTDIR/ro" /data ro
	set_args /bin/sh -c 'checker read /data/greeting; checker write /data/greeting guest; checker write /data/new guest'
	run_hull run --vm --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"host says hi"* ]]
	# Both the overwrite and a new file fail, and the host is unchanged.
	[ "$(grep -cE 'write=(EROFS|EACCES)' <<<"$output")" -eq 2 ]
	[ "$(cat "$HOSTDIR/ro/greeting")" = "host says hi" ]
	[ ! -e "$HOSTDIR/ro/new" ]
}

@test "vm fs: the guest writes into a read-write host directory and the host sees it" {
	requires_vm_fs
	add_bind "$HOSTDIR/rw" /out rw
	set_args /bin/sh -c 'checker write /out/from-guest "written in the VM"; mkdir /out/sub && echo nested >/out/sub/f'
	run_hull run --vm --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"write=ok"* ]]
	[ "$(cat "$HOSTDIR/rw/from-guest")" = "written in the VM" ]
	[ "$(cat "$HOSTDIR/rw/sub/f")" = "nested" ]
}

@test "vm fs: two mounts and a file bind reach their destinations with their own modes" {
	requires_vm_fs
	echo "from ro" >"$HOSTDIR/ro/a"
	echo "single file" >"$HOSTDIR/file"
	touch "$BUNDLE/rootfs/etc/vmfs-file"
	add_bind "$HOSTDIR/ro" /mnt/one ro
	add_bind "$HOSTDIR/rw" /mnt/two
	add_bind "$HOSTDIR/file" /etc/vmfs-file ro
	set_args /bin/sh -c 'cat /mnt/one/a /etc/vmfs-file; checker write /mnt/one/x y; checker write /mnt/two/x y; cat /mnt/two/x; echo'
	run_hull run --vm --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"from ro"*"single file"* ]]
	[[ "$output" == *"write=EROFS"*"write=ok"* ]]
	[ ! -e "$HOSTDIR/ro/x" ]
	[ "$(cat "$HOSTDIR/rw/x")" = "y" ]
}

@test "vm fs: a config from runc spec with a bind mount works" {
	requires_vm_fs
	requires runc
	rm -f "$BUNDLE/config.json"
	(cd "$BUNDLE" && runc spec)
	update_config '.process.terminal = false | .linux.cgroupsPath = "'"$TEST_CGROUP_PARENT/$CID"'"'
	echo "runc-made" >"$HOSTDIR/ro/f"
	add_bind "$HOSTDIR/ro" /data rbind ro
	set_args /bin/cat /data/f
	run_hull run --vm --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"runc-made"* ]]
}

@test "vm fs: a missing source is an error naming mounts[N].source, and nothing is left" {
	requires_vm_fs
	n=$(jq '.mounts | length' "$BUNDLE/config.json")
	add_bind "$HOSTDIR/does-not-exist" /data ro
	run_hull run --vm --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"mounts[$n].source"*"does-not-exist"* ]]
	[ -z "$(virtiofsd_pids)" ]
	[ -z "$(ls -A "$HULL_ROOT" 2>/dev/null)" ]
}

@test "vm fs: propagation the VM cannot honour is refused by name" {
	requires_vm_fs
	add_bind "$HOSTDIR/ro" /data rshared
	run_hull run --vm --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"mounts["*"propagation"* ]]
}

@test "vm fs: read-only is enforced by the host; delete --force of a running VM leaves no virtiofsd" {
	requires_vm_fs
	add_bind "$HOSTDIR/ro" /data ro
	start_idle_vm
	pids=$(virtiofsd_pids)
	echo "virtiofsd: $pids"
	[ -n "$pids" ]
	# virtiofsd's own view of the shared entry is a read-only mount.
	opts=$(for p in $pids; do awk '$5 ~ /\/0$/ { print $6 }' "/proc/$p/mountinfo"; done)
	echo "entry mount options: $opts"
	[[ "$opts" == ro* ]]
	run_hull delete --force "$CID"
	[ "$status" -eq 0 ]
	[ -z "$(virtiofsd_pids)" ]
	rc=0
	wait "$runner" || rc=$?
	[ "$rc" -ne 0 ]
}

@test "vm fs: kill -9 of a running VM container leaves no virtiofsd" {
	requires_vm_fs
	add_bind "$HOSTDIR/rw" /data
	start_idle_vm
	[ -n "$(virtiofsd_pids)" ]
	hull kill "$CID" KILL
	rc=0
	wait "$runner" || rc=$?
	[ "$rc" -eq 137 ]
	# virtiofsd leaves once its client is gone (and run's own delete
	# stops it by pid if not).
	for _ in $(seq 100); do [ -z "$(virtiofsd_pids)" ] && break; sleep 0.1; done
	[ -z "$(virtiofsd_pids)" ]
}
