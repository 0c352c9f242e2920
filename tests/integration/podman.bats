#!/usr/bin/env bats
# podman (Debian's 4.3) drives Hull through conmon: run, exit status, detach,
# exec, stop, rm, a TTY and a published port.  Every podman call uses a
# private storage root, runroot, tmpdir and Hull state root under the file's
# temp dir, so the machine's own podman state is never touched.

load helpers

# pm ARGS...: podman with Hull as its runtime and private state (a script,
# so that `script -c` can run it under a terminal too).
pm() {
	"$PM_DIR/pm" "$@"
}

setup_file() {
	command -v podman >/dev/null || return 0
	[ "$(id -u)" = 0 ] || return 0
	make_rootfs_template
	PM_DIR="$BATS_FILE_TMPDIR/pm"
	export PM_DIR
	mkdir -p "$PM_DIR/www"
	# podman's cgroupfs manager makes /libpod_parent; remove it at the end
	# only if this file caused it to exist.
	[ -d /sys/fs/cgroup/pids/libpod_parent ] || touch "$PM_DIR/made-libpod-parent"
	# The hard nofile limit on this host is 20000, below podman's default
	# of 1048576.  podman also asks for nproc 1048576 and, failing to raise
	# its own limit (no CAP_SYS_RESOURCE here), runs conmon with 32768:
	# the container may not ask for more than the runtime has.
	local nproc
	nproc=$(ulimit -Hu)
	[ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ] && nproc=32768
	cat >"$PM_DIR/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=16384:16384", "nproc=$nproc:$nproc"]
EOF
	cat >"$PM_DIR/pm" <<EOF
#!/bin/sh
CONTAINERS_CONF="$PM_DIR/containers.conf" exec podman \\
	--root "$PM_DIR/storage" --runroot "$PM_DIR/run" --tmpdir "$PM_DIR/tmp" \\
	--runtime "$HULL_BIN" \\
	--cgroup-manager cgroupfs --events-backend file "\$@"
EOF
	chmod +x "$PM_DIR/pm"
	echo "served-by-busybox-httpd" >"$PM_DIR/www/index.html"
	# No registry here: the helpers' busybox+checker rootfs is the image.
	tar -C "$ROOTFS_TEMPLATE" -cf "$PM_DIR/rootfs.tar" .
	pm import "$PM_DIR/rootfs.tar" localhost/hull-busybox:latest >/dev/null
}

teardown_file() {
	[ -n "${PM_DIR:-}" ] && [ -d "$PM_DIR" ] || return 0
	pm rm -a -f -t 0 >/dev/null 2>&1 || true
	pm rmi -a -f >/dev/null 2>&1 || true
	# containers/storage may leave its overlay home mounted.
	grep -o " $PM_DIR/[^ ]*" /proc/self/mountinfo | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null || true; done
	if [ -e "$PM_DIR/made-libpod-parent" ]; then
		rmdir /sys/fs/cgroup/*/libpod_parent/conmon /sys/fs/cgroup/*/libpod_parent 2>/dev/null || true
	fi
	rm -rf "$PM_DIR" 2>/dev/null || true
}

# What podman left in Hull's state root and in podman's cgroups.
pm_runtime_state() {
	ls -A /run/hull 2>/dev/null | grep -E '^[0-9a-f]{64}$' || true
	ls -d /sys/fs/cgroup/*/libpod_parent/libpod-* 2>/dev/null || true
}

setup() {
	requires root podman
	IMG=localhost/hull-busybox:latest
	pm_runtime_state >"$BATS_TEST_TMPDIR/state.before"
}

teardown() {
	local c
	[ -n "${PM_DIR:-}" ] || return 0
	for c in $(pm ps -a -q 2>/dev/null); do
		pm rm -f -t 0 "$c" >/dev/null 2>&1 || true
	done
	# Nothing of this test may remain: no container, no Hull state, no
	# container cgroup.
	[ -z "$(pm ps -a -q)" ] || { echo "leftover podman containers" >&2; return 1; }
	local left
	left=$(pm_runtime_state | grep -vxF -f "$BATS_TEST_TMPDIR/state.before" || true)
	[ -z "$left" ] || { echo "leftover runtime state: $left" >&2; return 1; }
}

@test "podman run --rm prints the output and passes the exit status" {
	run pm run --rm "$IMG" echo hello-from-hull
	[ "$status" -eq 0 ]
	[ "$output" = "hello-from-hull" ]
	run pm run --rm "$IMG" sh -c 'exit 7'
	[ "$status" -eq 7 ]
	# The process sees what podman asked for, through Hull.
	run pm run --rm --hostname pmhost "$IMG" /bin/checker ids
	[ "$status" -eq 0 ]
	[[ "$output" == *"uid=0"* ]]
	run pm run --rm --hostname pmhost "$IMG" hostname
	[ "$output" = "pmhost" ]
}

@test "podman run -d, exec, stop and rm" {
	run pm run -d --name pm-detach "$IMG" sleep 600
	[ "$status" -eq 0 ]
	run pm inspect -f '{{.State.Status}}' pm-detach
	[ "$output" = "running" ]
	run pm exec pm-detach sh -c 'echo exec-ok; cat /proc/1/cmdline | tr "\0" " "'
	[ "$status" -eq 0 ]
	[[ "$output" == *"exec-ok"* ]]
	[[ "$output" == *"sleep 600"* ]]
	run pm exec pm-detach sh -c 'exit 5'
	[ "$status" -eq 5 ]
	# sleep as PID 1 has no SIGTERM handler: stop ends with SIGKILL.
	run pm stop -t 1 pm-detach
	[ "$status" -eq 0 ]
	run pm inspect -f '{{.State.Status}}' pm-detach
	[ "$output" = "exited" ]
	run pm rm pm-detach
	[ "$status" -eq 0 ]
	run pm ps -a -q
	[ -z "$output" ]
}

# Issue #8 item 2: podman's seccomp profile with noNewPrivileges false
# failed to install for a non-root user ("installing seccomp filter:
# Permission denied").
@test "podman run --user UID, --user NAME and exec --user run under podman's seccomp profile" {
	run pm run --rm --user 1000 "$IMG" sh -c 'checker ids; checker seccomp; checker nnp'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"uid=1000"* ]]
	[[ "$output" == *"Seccomp=2"* ]]
	[[ "$output" == *"NoNewPrivs=0"* ]]
	run pm run --rm --user nobody "$IMG" /bin/checker ids
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"uid=65534"* ]]
	run pm run -d --name pm-user "$IMG" sleep 600
	[ "$status" -eq 0 ]
	run pm exec --user 1000 pm-user sh -c 'checker ids; checker seccomp'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"uid=1000"* ]]
	[[ "$output" == *"Seccomp=2"* ]]
	run pm rm -f -t 0 pm-user
	[ "$status" -eq 0 ]
}

@test "podman run -t attaches a TTY" {
	command -v script >/dev/null || skip "needs script (bsdutils)"
	# script gives podman a terminal of its own.
	run timeout 60 script -qec "$PM_DIR/pm run --rm -t $IMG sh -c 'tty; exit 4'" /dev/null </dev/null
	[ "$status" -eq 4 ]
	[[ "$output" == *"/dev/pts/"* ]]
}

@test "podman exec -t attaches a TTY" {
	command -v script >/dev/null || skip "needs script (bsdutils)"
	pm run -d --name pm-exectty "$IMG" sleep 600
	run timeout 60 script -qec "$PM_DIR/pm exec -t pm-exectty tty" /dev/null </dev/null
	[ "$status" -eq 0 ]
	[[ "$output" == *"/dev/pts/"* ]]
	pm rm -f -t 0 pm-exectty
}

@test "podman run -p publishes a port" {
	command -v curl >/dev/null || skip "needs curl"
	local port=$((20000 + RANDOM % 20000))
	run pm run -d --name pm-web -p "127.0.0.1:$port:80" -v "$PM_DIR/www:/www:ro" \
		"$IMG" httpd -f -p 80 -h /www
	[ "$status" -eq 0 ]
	local i body=
	for i in $(seq 1 50); do
		body=$(curl -s --max-time 2 "http://127.0.0.1:$port/index.html") && break
		sleep 0.1
	done
	[ "$body" = "served-by-busybox-httpd" ]
	run pm rm -f -t 0 pm-web
	[ "$status" -eq 0 ]
}

# Engine flags whose configs broke Hull before issue 8, each checked from
# inside the container.  --network none: no netavark work, which these
# tests do not need (a new network namespace is still made).

field() {
	echo "$output" | sed -n "s/^$1=//p" | tail -n 1
}

@test "podman run --user 1000 and --user nobody" {
	# Issue 8 item 2: podman's config has noNewPrivileges false and a
	# seccomp profile; this failed with "installing seccomp filter:
	# Permission denied" while the filter went in after the uid switch.
	run pm run --rm --network none --user 1000 "$IMG" id -u
	[ "$status" -eq 0 ]
	[ "$output" = 1000 ]
	run pm run --rm --network none --user nobody "$IMG" checker ids
	[ "$status" -eq 0 ]
	[ "$(field uid)" = 65534 ]
}

@test "podman run --privileged" {
	run pm run --rm --network none --privileged "$IMG" sh -c 'checker caps; checker stat /dev/fuse'
	[ "$status" -eq 0 ]
	# The host's devices, made from podman's fileMode with type bits.
	[ "$(field rdev)" = 10:229 ]
	# CAP_SYS_ADMIN (21) among the effective caps.
	[ $(( 0x$(field CapEff) >> 21 & 1 )) -eq 1 ]
}

@test "podman run --cap-add NET_ADMIN" {
	run pm run --rm --network none --cap-add NET_ADMIN "$IMG" checker caps
	[ "$status" -eq 0 ]
	[ $(( 0x$(field CapEff) >> 12 & 1 )) -eq 1 ]
	run pm run --rm --network none "$IMG" checker caps
	[ "$status" -eq 0 ]
	[ $(( 0x$(field CapEff) >> 12 & 1 )) -eq 0 ]
}

@test "podman run --security-opt seccomp=unconfined and no-new-privileges" {
	run pm run --rm --network none "$IMG" sh -c 'checker seccomp; checker nnp'
	[ "$status" -eq 0 ]
	[ "$(field Seccomp)" = 2 ]
	[ "$(field NoNewPrivs)" = 0 ]
	run pm run --rm --network none --security-opt seccomp=unconfined "$IMG" checker seccomp
	[ "$status" -eq 0 ]
	[ "$(field Seccomp)" = 0 ]
	run pm run --rm --network none --security-opt no-new-privileges "$IMG" checker nnp
	[ "$status" -eq 0 ]
	[ "$(field NoNewPrivs)" = 1 ]
}

@test "podman run --sysctl net.ipv4.ip_forward=1" {
	run pm run --rm --network none --sysctl net.ipv4.ip_forward=1 "$IMG" cat /proc/sys/net/ipv4/ip_forward
	[ "$status" -eq 0 ]
	[ "$output" = 1 ]
}

@test "podman run -v DIR:/data:ro and :rro" {
	mkdir -p "$BATS_TEST_TMPDIR/data"
	run pm run --rm --network none -v "$BATS_TEST_TMPDIR/data:/data:ro" "$IMG" checker write /data/x y
	[ "$status" -eq 0 ]
	[ "$(field write)" = EROFS ]
	[ ! -e "$BATS_TEST_TMPDIR/data/x" ]
	run pm run --rm --network none -v "$BATS_TEST_TMPDIR/data:/data:rro" "$IMG" checker write /data/x y
	if [[ "$output" == *'invalid option type "rro"'* ]]; then
		skip "podman $(podman --version | cut -d' ' -f3) does not know the rro volume option"
	fi
	[ "$status" -eq 0 ]
	[ "$(field write)" = EROFS ]
}

@test "podman run --device /dev/fuse" {
	[ -c /dev/fuse ] || skip "needs /dev/fuse on the host"
	run pm run --rm --network none --device /dev/fuse "$IMG" checker stat /dev/fuse
	[ "$status" -eq 0 ]
	[ "$(field rdev)" = 10:229 ]
	[ "$(field mode)" = 20666 ]
}

@test "podman run --tmpfs /scratch" {
	run pm run --rm --network none --tmpfs /scratch "$IMG" sh -c 'checker write /scratch/x y; grep " /scratch " /proc/self/mountinfo'
	[ "$status" -eq 0 ]
	[ "$(field write)" = ok ]
	[[ "$output" == *" /scratch "*" - tmpfs "* ]]
}
