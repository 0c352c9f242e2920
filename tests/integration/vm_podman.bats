#!/usr/bin/env bats
# bats file_tags=vm
# podman drives Hull in VM mode (issue 12, item 6 and its Must show):
# `podman run --runtime <hull> --annotation io.hull.vm=true -p PORT:80`
# with an HTTP server inside the microVM, reached from the host on the
# published port through netavark's bridge and port forwarding, then
# `podman rm -f` leaves no monitor, tap, virtiofsd or Hull state.  Needs
# podman with netavark and a /dev/kvm that boots Linux: runs in the test VM
# (make vm-run CMD='bats --filter-tags vm tests/integration/vm_podman.bats').
#
# podman's storage, runroot, tmpdir and network config are private to this
# file; its network (bridge and subnet) is named per run and removed.

load helpers
load vm_helpers


pm() {
	"$PM_DIR/pm" "$@"
}

requires_vm_podman() {
	requires_vm
	command -v netavark >/dev/null || [ -x /usr/lib/podman/netavark ] ||
		skip "needs netavark (podman's network stack for -p)"
}

setup_file() {
	command -v podman >/dev/null || return 0
	[ "$(id -u)" = 0 ] || return 0
	[ -c /dev/kvm ] || return 0
	make_rootfs_template
	PM_DIR="$BATS_FILE_TMPDIR/pm"
	PMP="hvp$(( $$ % 100000 ))"
	PMX=$(( $$ % 250 + 1 ))
	export PM_DIR PMP PMX
	mkdir -p "$PM_DIR/networks"
	# The guest kernel and agent of this tree reach Hull through its
	# environment: conmon starts the runtime with podman's conmon_env_vars
	# only, so a wrapper sets them (an installed Hull finds its own).
	cat >"$PM_DIR/hull-vm" <<EOF
#!/bin/sh
export HULL_VM_KERNEL="$GUEST_KERNEL" HULL_VM_AGENT="$GUEST_AGENT"
export HULL_VM_DISK_CACHE="$PM_DIR/disks"
exec "$HULL_BIN" "\$@"
EOF
	chmod +x "$PM_DIR/hull-vm"
	cat >"$PM_DIR/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=16384:16384"]
[network]
network_config_dir = "$PM_DIR/networks"
EOF
	cat >"$PM_DIR/pm" <<EOF
#!/bin/sh
CONTAINERS_CONF="$PM_DIR/containers.conf" exec podman \\
	--root "$PM_DIR/storage" --runroot "$PM_DIR/run" --tmpdir "$PM_DIR/tmp" \\
	--runtime "$PM_DIR/hull-vm" \\
	--cgroup-manager cgroupfs --events-backend file "\$@"
EOF
	chmod +x "$PM_DIR/pm"
	# No registry: the helpers' busybox+checker rootfs is the image.
	tar -C "$ROOTFS_TEMPLATE" -cf "$PM_DIR/rootfs.tar" .
	pm import "$PM_DIR/rootfs.tar" localhost/hull-busybox:latest >/dev/null
	# podman 4.3 names the bridge itself (podmanN): noted for teardown.
	pm network create --disable-dns --subnet "10.199.$PMX.0/24" "${PMP}net" >/dev/null
	pm network inspect -f '{{.NetworkInterface}}' "${PMP}net" >"$PM_DIR/bridge"
}

teardown_file() {
	[ -n "${PM_DIR:-}" ] && [ -d "$PM_DIR" ] || return 0
	pm rm -a -f -t 0 >/dev/null 2>&1 || true
	pm network rm -f "${PMP}net" >/dev/null 2>&1 || true
	[ ! -s "$PM_DIR/bridge" ] || ip link del "$(cat "$PM_DIR/bridge")" 2>/dev/null || true
	pm rmi -a -f >/dev/null 2>&1 || true
	grep -o " $PM_DIR/[^ ]*" /proc/self/mountinfo | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null || true; done
	rm -rf "$PM_DIR" 2>/dev/null || true
}

# http_get URL: the body, via Python's urllib (Debian's static busybox
# wget segfaults in the test VM).
http_get() {
	python3 -c 'import sys, urllib.request
print(urllib.request.urlopen(sys.argv[1], timeout=3).read().decode().strip())' "$1" 2>/dev/null
}

setup() {
	requires root podman python3
	requires_vm_podman
	[ -n "${PM_DIR:-}" ] || skip "setup_file did not prepare podman"
	IMG=localhost/hull-busybox:latest
}

teardown() {
	[ -n "${PM_DIR:-}" ] || return 0
	pm rm -a -f -t 0 >/dev/null 2>&1 || true
}

# What a VM container CTR (its full id) could leave behind on this host.
vm_leftovers() {
	local id="$1"
	[ ! -e "/run/hull/$id" ] || echo "Hull state /run/hull/$id"
	pgrep -af -- "$id" | grep -v -e conmon -e pgrep || true
	# The container's taps live in its network namespace; netavark's
	# bridge must hold no port of it any more.
	ip -o link show master "$(cat "$PM_DIR/bridge")" 2>/dev/null || true
	ip netns list 2>/dev/null | grep -F "$id" || true
	grep -F "$id" /proc/self/mountinfo | grep -v -e /storage/ -e "/run/" || true
}

# bats test_tags=vm
@test "vm podman: podman run --runtime hull --annotation io.hull.vm=true -p serves HTTP from the guest; rm -f leaves no monitor, tap or state" {
	local port=$(( 20000 + ($$ * 7) % 20000 )) body= i id pid
	run pm run -d --name pmvm --network "${PMP}net" --annotation io.hull.vm=true \
		-p "$port:80" "$IMG" \
		sh -c 'ip -4 addr show eth0; mkdir -p /tmp/w && cat /proc/version >/tmp/w/index.html && exec httpd -f -p 80 -h /tmp/w'
	echo "$output"
	[ "$status" -eq 0 ]
	id=$(pm inspect -f '{{.Id}}' pmvm)
	pid=$(pm inspect -f '{{.State.Pid}}' pmvm)
	[ -n "$id" ] && [ "$pid" -gt 0 ]
	# Hull ran it as a VM: its state says so, and the container's network
	# namespace (netavark's) holds the tap joined to eth0.
	run "$HULL_BIN" state "$id"
	echo "$output"
	[ "$(echo "$output" | jq -r .backend)" = vm ]
	nsenter -t "$pid" -n ip link show tap0
	# podman's AppArmor profile (on AppArmor hosts) confines the monitor,
	# the container's only process on this host.
	aa=$(pm inspect -f '{{.AppArmorProfile}}' pmvm)
	echo "podman's AppArmor profile: ${aa:-none}"
	if [ -n "$aa" ] && [ "$aa" != unconfined ]; then
		[ "$(cat "/proc/$pid/attr/current")" = "$aa (enforce)" ]
	fi
	[ "$(nsenter -t "$pid" -n tc filter show dev eth0 ingress | grep -c 'Redirect to device tap0')" -eq 1 ]
	# The guest boots under nested emulation: seconds.
	for i in $(seq 1 60); do
		body=$(http_get "http://127.0.0.1:$port/index.html") && [ -n "$body" ] && break
		sleep 0.5
	done
	echo "served: $body"
	if [ -z "$body" ]; then
		pm inspect -f 'status={{.State.Status}} exit={{.State.ExitCode}} ip={{.NetworkSettings.Networks}}' pmvm || true
		pm logs pmvm 2>&1 | tail -n 40 || true
		ls -la "/run/hull/$id" 2>&1 || true
		cat "/run/hull/$id/virtiofsd.log" 2>/dev/null | tail -n 5 || true
		http_get "http://10.199.$PMX.2/index.html" || true
		nsenter -t "$pid" -n ip -s link show 2>&1 || true
		nsenter -t "$pid" -n ip addr 2>&1 || true
		iptables-save 2>/dev/null | grep -i -e "$port" -e 10.199 | head -n 20 || true
	fi
	[[ "$body" == "Linux version "* ]]
	# The guest's kernel answered, not this host's.
	[ "$body" != "$(cat /proc/version)" ]
	# Through the bridge's gateway address too (podman's DNAT, not only
	# the loopback path).
	body=$(http_get "http://10.199.$PMX.1:$port/index.html")
	[[ "$body" == "Linux version "* ]]
	# podman exec (conmon -> hull exec -> the guest agent over vsock)
	# runs in the guest, under podman's profile where there is one.
	run pm exec pmvm cat /proc/version
	echo "exec: $output"
	[ "$status" -eq 0 ]
	[[ "$output" == "Linux version "* ]]
	[ "$output" != "$(cat /proc/version)" ]
	run pm exec pmvm sh -c 'exit 7'
	[ "$status" -eq 7 ]
	run pm rm -f -t 0 pmvm
	echo "$output"
	[ "$status" -eq 0 ]
	run pm ps -a -q
	[ -z "$output" ]
	run vm_leftovers "$id"
	echo "$output"
	[ -z "$output" ]
	run ps -o pid= -p "$pid"
	[ "$status" -ne 0 ]
}

# bats test_tags=vm
@test "vm: process.apparmorProfile not loaded, or with --vm-no-jail, is refused by name and leaves nothing" {
	[ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ] || skip "needs AppArmor enabled"
	local loaded
	loaded=$(sed -n 's/ (enforce)$//p' /sys/kernel/security/apparmor/profiles | head -n 1)
	[ -n "$loaded" ] || skip "needs a loaded AppArmor profile in enforce mode"
	export HULL_VM_KERNEL="$GUEST_KERNEL" HULL_VM_AGENT="$GUEST_AGENT"
	export HULL_VM_DISK_CACHE="$BATS_TEST_TMPDIR/disks"
	setup_bundle
	update_config '.process.args = ["/bin/true"] | .process.apparmorProfile = "hull-no-such-profile"'
	run "$HULL_BIN" --root "$HULL_ROOT" run --vm --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *'process.apparmorProfile: profile "hull-no-such-profile" is not loaded'* ]]
	update_config '.process.apparmorProfile = "'"$loaded"'"'
	run "$HULL_BIN" --root "$HULL_ROOT" run --vm --vm-no-jail --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"process.apparmorProfile \"$loaded\" is entered by the monitor's jail: not with --vm-no-jail"* ]]
	"$HULL_BIN" --root "$HULL_ROOT" delete --force "$CID" 2>/dev/null || true
	check_no_leftovers
}
