#!/usr/bin/env bats
# containerd 1.6 drives Hull through its runc shim (`ctr run --runc-binary`):
# run, exit status, detach, exec, kill, rm and a TTY.  The file starts a
# private containerd (own root, state and socket under the file's temp dir)
# and stops it at the end; the machine's containerd, if any, is not touched.

load helpers

# The shim keeps runtime state under /run/containerd/runc/<namespace>: a
# namespace of our own keeps it apart from anything else on the machine.
# (Set in setup_file and exported: each test runs in a process of its own.)
CTR_IMAGE=localhost/hull-busybox:latest

# c ARGS...: ctr against the private containerd.
c() {
	ctr --address "$CTR_DIR/containerd.sock" --namespace "$CTR_NS" "$@"
}

# An image from the helpers' busybox+checker rootfs, as a docker archive
# built by hand (no registry here): manifest.json, an image config naming
# the layer's diff id, and the layer tar.
make_image_archive() {
	local dir="$CTR_DIR/image" layer cfg
	mkdir -p "$dir"
	tar -C "$ROOTFS_TEMPLATE" -cf "$dir/layer.tar" .
	layer=$(sha256sum "$dir/layer.tar" | cut -d' ' -f1)
	cat >"$dir/config.json" <<EOF
{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":["sha256:$layer"]}}
EOF
	cfg=$(sha256sum "$dir/config.json" | cut -d' ' -f1)
	mv "$dir/config.json" "$dir/$cfg.json"
	echo "[{\"Config\":\"$cfg.json\",\"RepoTags\":[\"$CTR_IMAGE\"],\"Layers\":[\"layer.tar\"]}]" >"$dir/manifest.json"
	tar -C "$dir" -cf "$CTR_DIR/image.tar" manifest.json "$cfg.json" layer.tar
}

setup_file() {
	command -v containerd >/dev/null && command -v ctr >/dev/null || return 0
	[ "$(id -u)" = 0 ] || return 0
	make_rootfs_template
	# A short path: unix socket paths are limited to 108 bytes.
	CTR_DIR=$(mktemp -d /tmp/hull-ctr.XXXXXX)
	CTR_NS="hull-test-${CTR_DIR##*.}"
	export CTR_DIR CTR_NS
	cat >"$CTR_DIR/config.toml" <<EOF
version = 2
root = "$CTR_DIR/root"
state = "$CTR_DIR/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$CTR_DIR/containerd.sock"
[ttrpc]
  address = "$CTR_DIR/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
EOF
	containerd --config "$CTR_DIR/config.toml" </dev/null >"$CTR_DIR/containerd.log" 2>&1 &
	echo $! >"$CTR_DIR/containerd.pid"
	local i
	for i in $(seq 1 100); do
		c version >/dev/null 2>&1 && break
		sleep 0.1
	done
	c version >/dev/null || { cat "$CTR_DIR/containerd.log" >&2; return 1; }
	make_image_archive
	c image import "$CTR_DIR/image.tar" >/dev/null
}

teardown_file() {
	[ -n "${CTR_DIR:-}" ] && [ -d "$CTR_DIR" ] || return 0
	local id pid
	for id in $(c task ls -q 2>/dev/null); do
		c task kill -s SIGKILL "$id" >/dev/null 2>&1 || true
		c task rm -f "$id" >/dev/null 2>&1 || true
	done
	for id in $(c container ls -q 2>/dev/null); do
		c container rm "$id" >/dev/null 2>&1 || true
	done
	c image rm "$CTR_IMAGE" >/dev/null 2>&1 || true
	pid=$(cat "$CTR_DIR/containerd.pid" 2>/dev/null)
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null || true
		for id in $(seq 1 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$pid" 2>/dev/null || true
	fi
	grep -o " $CTR_DIR/[^ ]*" /proc/self/mountinfo | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null || true; done
	rm -rf "$CTR_DIR"
	# The namespace's directories that this file caused to exist: empty now.
	rmdir "/run/containerd/runc/$CTR_NS" 2>/dev/null || true
	rmdir /sys/fs/cgroup/*/"$CTR_NS" /sys/fs/cgroup/"$CTR_NS" 2>/dev/null || true
}

# What a container left: tasks, containers, Hull state, cgroups, shims.
ctr_leftovers() {
	c task ls -q
	c container ls -q
	ls -A "/run/containerd/runc/$CTR_NS" 2>/dev/null || true
	ls -d /sys/fs/cgroup/*/"$CTR_NS"/* /sys/fs/cgroup/"$CTR_NS"/* 2>/dev/null |
		grep -v '/[a-z_]*\.[a-z_.]*$' || true
	pgrep -f "containerd-shim-runc-v2 -namespace $CTR_NS " || true
}

setup() {
	requires root ctr
	command -v containerd >/dev/null || skip "needs containerd (apt-get install containerd)"
}

teardown() {
	local id
	[ -n "${CTR_DIR:-}" ] || return 0
	for id in $(c task ls -q 2>/dev/null); do
		c task kill -s SIGKILL "$id" >/dev/null 2>&1 || true
		c task rm -f "$id" >/dev/null 2>&1 || true
	done
	for id in $(c container ls -q 2>/dev/null); do
		c container rm "$id" >/dev/null 2>&1 || true
	done
	# The shim exits a moment after its last task is gone.
	for id in $(seq 1 30); do
		[ -z "$(ctr_leftovers)" ] && return 0
		sleep 0.1
	done
	echo "leftovers: $(ctr_leftovers)" >&2
	return 1
}

@test "ctr run --rm prints the output and passes the exit status" {
	run c run --runc-binary "$HULL_BIN" --rm "$CTR_IMAGE" run1 echo hello-from-hull
	[ "$status" -eq 0 ]
	[ "$output" = "hello-from-hull" ]
	run c run --runc-binary "$HULL_BIN" --rm "$CTR_IMAGE" run2 sh -c 'exit 7'
	[ "$status" -eq 7 ]
	run c run --runc-binary "$HULL_BIN" --rm "$CTR_IMAGE" run3 /bin/checker ids
	[ "$status" -eq 0 ]
	[[ "$output" == *"uid=0"* ]]
}

@test "ctr run -d, task exec, kill and rm" {
	run c run --runc-binary "$HULL_BIN" -d "$CTR_IMAGE" det1 sleep 600
	[ "$status" -eq 0 ]
	run c task ls
	[[ "$output" == *"det1"*"RUNNING"* ]]
	run c task exec --exec-id x1 det1 sh -c 'echo exec-ok; cat /proc/1/cmdline | tr "\0" " "'
	[ "$status" -eq 0 ]
	[[ "$output" == *"exec-ok"* ]]
	[[ "$output" == *"sleep 600"* ]]
	run c task exec --exec-id x2 det1 sh -c 'exit 5'
	[ "$status" -eq 5 ]
	run c task kill -s SIGKILL det1
	[ "$status" -eq 0 ]
	local i
	for i in $(seq 1 50); do
		[[ "$(c task ls)" == *"det1"*"STOPPED"* ]] && break
		sleep 0.1
	done
	[[ "$(c task ls)" == *"det1"*"STOPPED"* ]]
	run c task rm det1
	[ "$status" -eq 0 ]
	run c container rm det1
	[ "$status" -eq 0 ]
	[ -z "$(c container ls -q)" ]
}

@test "ctr run -t and task exec -t attach a TTY" {
	command -v script >/dev/null || skip "needs script (bsdutils)"
	local ctr="ctr --address $CTR_DIR/containerd.sock --namespace $CTR_NS"
	run timeout 60 script -qec "$ctr run --runc-binary $HULL_BIN --rm -t $CTR_IMAGE tty1 sh -c 'tty; exit 4'" /dev/null </dev/null
	[ "$status" -eq 4 ]
	[[ "$output" == *"/dev/pts/"* ]]
	c run --runc-binary "$HULL_BIN" -d "$CTR_IMAGE" tty2 sleep 600
	run timeout 60 script -qec "$ctr task exec -t --exec-id t1 tty2 tty" /dev/null </dev/null
	[ "$status" -eq 0 ]
	[[ "$output" == *"/dev/pts/"* ]]
}
