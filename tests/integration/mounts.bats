#!/usr/bin/env bats
# The container's filesystem: config mounts and their flags, propagation,
# read-only root, --no-pivot, masked and read-only paths, /dev, devices,
# sysctls, hostname.  Every assertion is what the process sees inside.

load helpers

setup() {
	requires root
	setup_bundle
	HOST_MOUNTS=()
}

teardown() {
	local m
	teardown_bundle
	# Host-side mounts this test made, innermost first.
	for ((i = ${#HOST_MOUNTS[@]} - 1; i >= 0; i--)); do
		umount -l "${HOST_MOUNTS[$i]}" 2>/dev/null || true
	done
	check_no_leftovers
}

# host_mount ARGS... TARGET: mount on the host, undone in teardown.
host_mount() {
	mount "$@"
	HOST_MOUNTS+=("${!#}")
}

# add_mount JSON: appends one entry to .mounts.
add_mount() {
	update_config ".mounts += [$1]"
}

# field KEY: the value of KEY=... in $output.
field() {
	echo "$output" | sed -n "s/^$1=//p" | tail -n 1
}

@test "bind mount with ro,nosuid,nodev,noexec: flags on the mount, writes fail EROFS" {
	src="$BATS_TEST_TMPDIR/src"
	mkdir -p "$src"
	echo hello >"$src/file"
	add_mount '{"destination": "/mnt/b", "type": "bind", "source": "'"$src"'", "options": ["bind", "ro", "nosuid", "nodev", "noexec"]}'
	set_args /bin/sh -c 'checker mountinfo /mnt/b; checker read /mnt/b/file; checker write /mnt/b/new x'
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	opts=$(field opts)
	for o in ro nosuid nodev noexec; do
		[[ ",$opts," == *",$o,"* ]] || { echo "missing $o in $opts"; false; }
	done
	[ "$(field first_line)" = hello ]
	[ "$(field write)" = EROFS ]
	[ ! -e "$src/new" ]
}

@test "a writable bind mount writes through to the host" {
	src="$BATS_TEST_TMPDIR/src"
	mkdir -p "$src"
	add_mount '{"destination": "/mnt/w", "type": "none", "source": "'"$src"'", "options": ["bind", "rw"]}'
	set_args /bin/checker write /mnt/w/new from-container
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(field write)" = ok ]
	[ "$(cat "$src/new")" = from-container ]
}

@test "a file can be bind mounted onto a file" {
	echo file-content >"$BATS_TEST_TMPDIR/onefile"
	add_mount '{"destination": "/etc/injected", "type": "bind", "source": "'"$BATS_TEST_TMPDIR/onefile"'", "options": ["bind", "ro"]}'
	set_args /bin/sh -c 'checker read /etc/injected; checker stat /etc/injected'
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(field first_line)" = file-content ]
	[ "$(field mode)" = 100644 ]
}

@test "rbind carries submounts, bind does not" {
	src="$BATS_TEST_TMPDIR/src"
	mkdir -p "$src/sub"
	host_mount -t tmpfs -o size=1m tmpfs "$src/sub"
	echo inner >"$src/sub/file"
	add_mount '{"destination": "/mnt/r", "type": "bind", "source": "'"$src"'", "options": ["rbind"]}'
	add_mount '{"destination": "/mnt/nr", "type": "bind", "source": "'"$src"'", "options": ["bind"]}'
	set_args /bin/sh -c 'checker mountinfo /mnt/r/sub; checker read /mnt/r/sub/file; checker mountinfo /mnt/nr/sub; checker read /mnt/nr/sub/file'
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	echo "$output" | grep -qx 'fstype=tmpfs'
	echo "$output" | grep -qx 'first_line=inner'
	[ "$(field mountinfo)" = none ]
	[ "$(field read)" = ENOENT ]
}

@test "tmpfs takes its size and mode options" {
	add_mount '{"destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "size=1m", "mode=700"]}'
	set_args /bin/sh -c 'checker mountinfo /scratch; checker stat /scratch'
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(field fstype)" = tmpfs ]
	[[ ",$(field superopts)," == *",size=1024k,"* ]]
	[[ ",$(field opts)," == *",nosuid,"* ]]
	[ "$(field mode)" = 40700 ]
}

# The host mounts a tmpfs under an rshared directory after the container
# started; "marker" is created only after that mount, so once the container
# sees it, a propagated mount must already be there (no timing involved).
propagation_case() {
	local opt="$1"
	src="$BATS_TEST_TMPDIR/shared"
	mkdir -p "$src"
	host_mount --bind "$src" "$src"
	mount --make-rshared "$src"
	mkdir -p "$src/sub" "$src/flag"
	add_mount '{"destination": "/mnt/p", "type": "bind", "source": "'"$src"'", "options": ["rbind", "'"$opt"'"]}'
	set_args /bin/sh -c 'until [ -e /mnt/p/flag/marker ]; do sleep 0.05; done; checker mountinfo /mnt/p/sub; checker read /mnt/p/sub/file'
	hull_detached run --detach --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	host_mount -t tmpfs -o size=1m tmpfs "$src/sub"
	echo propagated >"$src/sub/file"
	touch "$src/flag/marker"
	wait_for_status "$CID" stopped
	output=$(cat "$BATS_TEST_TMPDIR/ctr.out")
	hull delete "$CID"
}

@test "a host mount under an rshared bind appears inside (rslave)" {
	propagation_case rslave
	echo "$output"
	[ "$(field fstype)" = tmpfs ]
	[ "$(field first_line)" = propagated ]
}

@test "a host mount under an rprivate bind does not appear inside" {
	propagation_case rprivate
	echo "$output"
	[ "$(field mountinfo)" = none ]
	[ "$(field read)" = ENOENT ]
}

@test "a mount made inside an rslave bind does not reach the host" {
	src="$BATS_TEST_TMPDIR/shared"
	mkdir -p "$src/sub"
	host_mount --bind "$src" "$src"
	mount --make-rshared "$src"
	add_mount '{"destination": "/mnt/p", "type": "bind", "source": "'"$src"'", "options": ["rbind", "rslave"]}'
	update_config '.process.capabilities.bounding += ["CAP_SYS_ADMIN"] | .process.capabilities.effective += ["CAP_SYS_ADMIN"] | .process.capabilities.permitted += ["CAP_SYS_ADMIN"]'
	set_args /bin/sh -c 'mount -t tmpfs tmpfs /mnt/p/sub && checker mountinfo /mnt/p/sub'
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(field fstype)" = tmpfs ]
	run grep -q " $src/sub " /proc/self/mountinfo
	[ "$status" -ne 0 ]
}

@test "rootfsPropagation shared makes / a shared mount, the default is not" {
	set_args /bin/checker mountinfo /
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[[ "$(field propagation)" != *shared:* ]]
	update_config '.linux.rootfsPropagation = "shared"'
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[[ "$(field propagation)" == *shared:* ]]
}

# A root that is a mount point already (an image's overlay, podman's and
# containerd's roots) is used without binding it onto itself: each case
# below runs from a tmpfs mounted on the rootfs, and what the container
# does to its copy of that mount never reaches the host's.
@test "a rootfs that is a mount point: default, read-only, shared, --no-pivot and a user namespace" {
	host_mount -t tmpfs -o size=16m tmpfs "$BUNDLE/rootfs"
	cp -a "$ROOTFS_TEMPLATE/." "$BUNDLE/rootfs/"
	set_args /bin/sh -c 'checker mountinfo /; checker write /etc/x y'
	update_config '.root.readonly = false'
	run_hull run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(field fstype)" = tmpfs ]
	[ "$(field write)" = ok ]
	[ "$(cat "$BUNDLE/rootfs/etc/x")" = y ]
	rm "$BUNDLE/rootfs/etc/x"
	update_config '.root.readonly = true'
	run_hull run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$(field opts)" == ro,* ]]
	[ "$(field write)" = EROFS ]
	# read-only was the container's copy of the mount, not the host's
	[[ "$(findmnt -n -o OPTIONS "$BUNDLE/rootfs")" == rw,* ]]
	update_config '.root.readonly = false | .linux.rootfsPropagation = "shared"'
	run_hull run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$(field propagation)" == *shared:* ]]
	rm "$BUNDLE/rootfs/etc/x"
	update_config 'del(.linux.rootfsPropagation)'
	run_hull run --no-pivot --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(field fstype)" = tmpfs ]
	rm "$BUNDLE/rootfs/etc/x"
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 0, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 0, "size": 65536}]'
	run_hull run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(field fstype)" = tmpfs ]
	[ "$(field write)" = ok ]
	# none of the container's mounts (proc, dev, sys...) reached the host
	run grep -c " $BUNDLE/rootfs/" /proc/self/mountinfo
	[ "$output" = 0 ]
}

@test "root.readonly: / is read-only, mounts on top stay writable" {
	set_args /bin/sh -c 'checker mountinfo /; checker write /etc/x y; checker write /dev/shm/x y'
	update_config '.root.readonly = false'
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[[ "$(field opts)" == rw,* ]]
	[ "$(echo "$output" | grep -c '^write=ok$')" -eq 2 ]
	rm "$BUNDLE/rootfs/etc/x"
	update_config '.root.readonly = true'
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[[ "$(field opts)" == ro,* ]]
	echo "$output" | grep -qx 'write=EROFS'
	[ "$(field write)" = ok ]
	[ ! -e "$BUNDLE/rootfs/etc/x" ]
}

@test "--no-pivot runs the container in its rootfs" {
	set_args /bin/sh -c 'checker read /etc/passwd; checker cwd; checker ls /'
	run_hull run --no-pivot --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(field first_line)" = "root:x:0:0:root:/root:/bin/sh" ]
	[ "$(field cwd)" = / ]
	[ "$(field entries)" = "$(ls -A "$BUNDLE/rootfs" | wc -l)" ]
}

@test "maskedPaths: a masked file reads empty, a masked directory is empty" {
	mkdir -p "$BUNDLE/rootfs/srv/secretdir"
	echo secret >"$BUNDLE/rootfs/srv/secretdir/key"
	echo secret >"$BUNDLE/rootfs/etc/secretfile"
	update_config '.root.readonly = false | .linux.maskedPaths += ["/srv/secretdir", "/etc/secretfile", "/does/not/exist"]'
	set_args /bin/sh -c 'checker read /proc/keys; checker ls /sys/firmware; checker read /etc/secretfile; checker ls /srv/secretdir; checker write /srv/secretdir/x y'
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | grep -c '^bytes=0$')" -eq 2 ]
	[ "$(echo "$output" | grep -c '^entries=0$')" -eq 2 ]
	[ "$(field write)" = EROFS ]
	# Unmasked, the same paths have content.
	update_config '.linux.maskedPaths = []'
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | grep -c '^entries=0$')" -eq 0 ]
}

@test "readonlyPaths: writes fail with EROFS, other paths stay writable" {
	mkdir -p "$BUNDLE/rootfs/data"
	update_config '.root.readonly = false | .linux.readonlyPaths += ["/data"]'
	set_args /bin/sh -c 'checker write /proc/sys/kernel/hostname x; checker write /data/f y; checker write /etc/f z'
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | grep -c '^write=EROFS$')" -eq 2 ]
	[ "$(field write)" = ok ]
	[ ! -e "$BUNDLE/rootfs/data/f" ]
}

@test "default devices and /dev symlinks" {
	set_args /bin/sh -c 'for d in null zero full random urandom tty; do echo "dev=$d"; checker stat /dev/$d; done
		for l in fd stdin stdout stderr ptmx; do echo "link_$l=$(readlink /dev/$l)"; done
		checker stat /dev/pts/ptmx'
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	for spec in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0; do
		d=${spec%%:*}
		echo "$output" | grep -A3 -x "dev=$d" | grep -qx 'mode=20666'
		echo "$output" | grep -A5 -x "dev=$d" | grep -qx "rdev=${spec#*:}"
	done
	[ "$(field link_fd)" = /proc/self/fd ]
	[ "$(field link_stdin)" = /proc/self/fd/0 ]
	[ "$(field link_stdout)" = /proc/self/fd/1 ]
	[ "$(field link_stderr)" = /proc/self/fd/2 ]
	[ "$(field link_ptmx)" = pts/ptmx ]
	[ "$(field rdev)" = 5:2 ]
}

@test "/dev/null works for reading and writing" {
	set_args /bin/sh -c 'echo gone >/dev/null && checker read /dev/null'
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(field bytes)" = 0 ]
}

@test "linux.devices are created with their type, numbers, mode and owner" {
	update_config '.linux.devices = [
		{"path": "/dev/mychar", "type": "c", "major": 1, "minor": 5, "fileMode": 416, "uid": 1000, "gid": 1001},
		{"path": "/dev/sub/myblk", "type": "b", "major": 7, "minor": 200, "fileMode": 384},
		{"path": "/dev/myfifo", "type": "p"}]'
	set_args /bin/sh -c 'checker stat /dev/mychar; checker stat /dev/sub/myblk; checker stat /dev/myfifo'
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	modes=$(echo "$output" | sed -n 's/^mode=//p' | tr '\n' ' ')
	[ "$modes" = "20640 60600 10666 " ]
	rdevs=$(echo "$output" | sed -n 's/^rdev=//p' | head -2 | tr '\n' ' ')
	[ "$rdevs" = "1:5 7:200 " ]
	[ "$(echo "$output" | sed -n 's/^uid=//p' | head -1)" = 1000 ]
	[ "$(echo "$output" | sed -n 's/^gid=//p' | head -1)" = 1001 ]
}

@test "sysctl: net.ipv4.ip_forward in the container's netns, host unchanged" {
	host_before=$(cat /proc/sys/net/ipv4/ip_forward)
	want=$((1 - host_before))
	update_config '.linux.sysctl = {"net.ipv4.ip_forward": "'"$want"'"}'
	set_args /bin/checker read /proc/sys/net/ipv4/ip_forward
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(field first_line)" = "$want" ]
	[ "$(cat /proc/sys/net/ipv4/ip_forward)" = "$host_before" ]
}

@test "sysctl: kernel.shmmni in the container's ipc namespace, host unchanged" {
	host_before=$(cat /proc/sys/kernel/shmmni)
	update_config '.linux.sysctl = {"kernel.shmmni": "1234", "kernel.msgmax": "4321"}'
	set_args /bin/sh -c 'checker read /proc/sys/kernel/shmmni; checker read /proc/sys/kernel/msgmax'
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	echo "$output" | grep -qx 'first_line=1234'
	echo "$output" | grep -qx 'first_line=4321'
	[ "$(cat /proc/sys/kernel/shmmni)" = "$host_before" ]
}

@test "hostname and domainname are set in the new uts namespace" {
	host_name=$(hostname)
	update_config '.hostname = "hull-box" | .domainname = "example.test"'
	set_args /bin/checker hostname
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(field hostname)" = hull-box ]
	[ "$(field domainname)" = example.test ]
	[ "$(hostname)" = "$host_name" ]
}

@test "linux.devices in a user namespace are bind mounts of the host's nodes" {
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 0, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 0, "size": 65536}]
		| .linux.devices = [{"path": "/dev/net/tun", "type": "c", "major": 10, "minor": 200},
			{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229}]'
	set_args /bin/sh -c 'checker stat /dev/net/tun; checker stat /dev/fuse; checker mountinfo /dev/net/tun'
	run_hull run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | sed -n 's/^rdev=//p' | tr '\n' ' ')" = "10:200 10:229 " ]
	[ "$(field mountinfo)" = ok ]
}

# peer_spec runc|crun: config.json is the one that runtime's `spec` writes
# (terminal true, relative root.path), given this test's cgroup.
peer_spec() {
	requires "$1"
	rm "$BUNDLE/config.json"
	(cd "$BUNDLE" && "$1" spec)
	update_config '.process.terminal = false | .linux.cgroupsPath = "'"$TEST_CGROUP_PARENT/$CID"'"'
}

# writes: the write= results in $output, in order, space-separated.
writes() {
	echo "$output" | sed -n 's/^write=//p' | tr '\n' ' '
}

@test "rro on an rbind (runc spec config): EROFS on the mount and its submounts; ro guards only the top, as runc" {
	peer_spec runc
	src="$BATS_TEST_TMPDIR/src"
	mkdir -p "$src/sub"
	host_mount -t tmpfs -o size=1m tmpfs "$src/sub"
	add_mount '{"destination": "/mnt/rro", "type": "bind", "source": "'"$src"'", "options": ["rbind", "rro"]}'
	add_mount '{"destination": "/mnt/ro", "type": "bind", "source": "'"$src"'", "options": ["rbind", "ro"]}'
	set_args /bin/sh -c 'checker write /mnt/rro/top x; checker write /mnt/rro/sub/f x; checker write /mnt/ro/top x; checker write /mnt/ro/sub/f y'
	run_hull run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(writes)" = "EROFS EROFS EROFS ok " ]
	[ ! -e "$src/top" ]
	[ "$(cat "$src/sub/f")" = y ]
}

@test "rnosuid, rnodev, rnoexec, rnosymfollow, rnoatime reach every submount of an rbind" {
	src="$BATS_TEST_TMPDIR/src"
	mkdir -p "$src/sub"
	host_mount -t tmpfs -o size=1m tmpfs "$src/sub"
	add_mount '{"destination": "/mnt/r", "type": "bind", "source": "'"$src"'", "options": ["rbind", "rnosuid", "rnodev", "rnoexec", "rnosymfollow", "rnoatime"]}'
	set_args /bin/sh -c 'checker mountinfo /mnt/r; checker mountinfo /mnt/r/sub'
	run_hull run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | grep -c '^opts=')" -eq 2 ]
	for opts in $(echo "$output" | sed -n 's/^opts=//p'); do
		for o in nosuid nodev noexec nosymfollow noatime; do
			[[ ",$opts," == *",$o,"* ]] || { echo "missing $o in $opts"; false; }
		done
	done
}

@test "nosymfollow on a bind mount: symlinks under it do not resolve" {
	src="$BATS_TEST_TMPDIR/src"
	mkdir -p "$src"
	echo target >"$src/file"
	ln -s file "$src/link"
	add_mount '{"destination": "/mnt/n", "type": "bind", "source": "'"$src"'", "options": ["bind", "nosymfollow"]}'
	set_args /bin/sh -c 'checker read /mnt/n/file; checker read /mnt/n/link'
	run_hull run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(field first_line)" = target ]
	[ "$(field read)" = ELOOP ]
}

@test "an unknown option on a bind mount is an error naming it, and nothing is left behind" {
	src="$BATS_TEST_TMPDIR/src"
	mkdir -p "$src"
	add_mount '{"destination": "/mnt/b", "type": "bind", "source": "'"$src"'", "options": ["rbind", "rreadonly"]}'
	run_hull run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *'].options[1]: unknown mount option "rreadonly"'* ]]
	check_no_leftovers
}

@test "tmpcopyup: the tmpfs starts with what the directory held, writes stay off the rootfs" {
	mkdir -p "$BUNDLE/rootfs/data/sub"
	echo one >"$BUNDLE/rootfs/data/a"
	chmod 640 "$BUNDLE/rootfs/data/a"
	echo two >"$BUNDLE/rootfs/data/sub/b"
	chown 1000:1001 "$BUNDLE/rootfs/data/sub/b"
	ln -s a "$BUNDLE/rootfs/data/link"
	add_mount '{"destination": "/data", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m", "tmpcopyup"]}'
	add_mount '{"destination": "/rodata", "type": "tmpfs", "source": "tmpfs", "options": ["ro", "size=1m", "tmpcopyup"]}'
	mkdir -p "$BUNDLE/rootfs/rodata"
	echo three >"$BUNDLE/rootfs/rodata/c"
	set_args /bin/sh -c 'checker mountinfo /data; checker stat /data/a; checker read /data/link; checker stat /data/sub/b; checker read /data/sub/b; checker write /data/new x
		checker read /rodata/c; checker write /rodata/new y'
	run_hull run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(field fstype)" = tmpfs ]
	echo "$output" | grep -qx 'mode=100640'
	echo "$output" | grep -qx 'first_line=one'
	[ "$(field uid)" = 1000 ]
	[ "$(field gid)" = 1001 ]
	echo "$output" | grep -qx 'first_line=two'
	[ "$(writes)" = "ok EROFS " ]
	[ ! -e "$BUNDLE/rootfs/data/new" ]
	# A read-only tmpfs is filled first, then made read-only.
	[ "$(field first_line)" = three ]
}

@test "sysctl: a key no namespace isolates (kernel.core_pattern) is refused before anything runs (crun spec config)" {
	peer_spec crun
	host=$(cat /proc/sys/kernel/core_pattern)
	# The host's own value, so that even a runtime that wrote it changed nothing.
	update_config ".linux.sysctl = {\"kernel.core_pattern\": $(jq -Rn --arg v "$host" '$v')}"
	run_hull run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.sysctl.kernel.core_pattern: not isolated by any namespace"* ]]
	[ "$(cat /proc/sys/kernel/core_pattern)" = "$host" ]
	check_no_leftovers
}

@test "sysctl: written only through the container's procfs, never a file the rootfs puts at /proc" {
	update_config '.mounts |= map(select(.destination != "/proc"))
		| .linux.maskedPaths = [] | .linux.readonlyPaths = []
		| .linux.sysctl = {"net.ipv4.ip_forward": "1"}'
	mkdir -p "$BUNDLE/rootfs/proc/sys/net/ipv4"
	echo planted >"$BUNDLE/rootfs/proc/sys/net/ipv4/ip_forward"
	run_hull run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.sysctl: /proc in the container is not a procfs mount"* ]]
	[ "$(cat "$BUNDLE/rootfs/proc/sys/net/ipv4/ip_forward")" = planted ]
}

@test "idmapped bind mount with its own uidMappings/gidMappings: files show the mapped owner" {
	src="$BATS_TEST_TMPDIR/src"
	mkdir -p "$src"
	echo data >"$src/file"
	chown 0:0 "$src/file"
	add_mount '{"destination": "/mnt/i", "type": "bind", "source": "'"$src"'", "options": ["bind", "idmap"],
		"uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}],
		"gidMappings": [{"containerID": 0, "hostID": 2000, "size": 1}]}'
	add_mount '{"destination": "/mnt/plain", "type": "bind", "source": "'"$src"'", "options": ["bind"]}'
	set_args /bin/sh -c 'checker stat /mnt/i/file; checker read /mnt/i/file; checker stat /mnt/plain/file; checker write /mnt/i/new x'
	run_hull run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | sed -n 's/^uid=//p' | tr '\n' ' ')" = "1000 0 " ]
	# The container's root (host root) has no id in the mount's mapping:
	# it cannot create files there (runc's idmap.bats expects the same).
	[ "$(field write)" = EOVERFLOW ]
	[ ! -e "$src/new" ]
	[ "$(echo "$output" | sed -n 's/^gid=//p' | tr '\n' ' ')" = "2000 0 " ]
	[ "$(field first_line)" = data ]
	[ "$(stat -c %u:%g "$src/file")" = 0:0 ]
}

@test "idmap without mappings in a user namespace: host root's files are the container root's, its writes land as host root" {
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}]
		| .root.readonly = false'
	d="$BUNDLE"
	while [ "$d" != / ] && [ "$d" != /tmp ]; do chmod o+x "$d"; d=$(dirname "$d"); done
	chown -R 200000:200000 "$BUNDLE/rootfs"
	src="$BATS_TEST_TMPDIR/src"
	mkdir -p "$src/sub"
	chmod 755 "$src"
	echo data >"$src/file"
	host_mount -t tmpfs -o size=1m tmpfs "$src/sub"
	echo inner >"$src/sub/file"
	add_mount '{"destination": "/mnt/i", "type": "bind", "source": "'"$src"'", "options": ["rbind", "ridmap"]}'
	set_args /bin/sh -c 'checker stat /mnt/i/file; checker stat /mnt/i/sub/file; checker write /mnt/i/new x; checker write /mnt/i/sub/new y'
	run_hull run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | sed -n 's/^uid=//p' | tr '\n' ' ')" = "0 0 " ]
	[ "$(writes)" = "ok ok " ]
	[ "$(stat -c %u:%g "$src/new")" = 0:0 ]
	[ "$(stat -c %u:%g "$src/sub/new")" = 0:0 ]
}

@test "idmap on a filesystem that cannot be idmapped is an error naming the mount, nothing left behind" {
	# procfs does not support idmapped mounts.
	add_mount '{"destination": "/mnt/i", "type": "bind", "source": "/proc/sys", "options": ["rbind", "idmap"],
		"uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}],
		"gidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]}'
	run_hull run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"mounts["*"]: idmapping /proc/sys (mount_setattr MOUNT_ATTR_IDMAP)"* ]]
	check_no_leftovers
}
