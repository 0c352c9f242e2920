#!/usr/bin/env bats
# Configs that other tools wrote (tests/fixtures/, see its README.md), run
# by Hull as they are, but for what a test bundle must change: root.path (a
# copy of the test rootfs), process.args (the checker), process.terminal
# (false) and linux.cgroupsPath (absolute, under the test parent); bind
# sources that lived in the capturing tool's temp state (@CAPTURE@/...)
# are made again, empty, under the test's temp dir.  The checker then
# reports from inside what the config asked for: uid, gid and groups,
# capabilities, no_new_privs and the seccomp mode.

load helpers

FIXTURES="$REPO/tests/fixtures"

setup() {
	requires root
	setup_bundle
}

teardown() {
	teardown_bundle
	check_no_leftovers
}

field() {
	echo "$output" | sed -n "s/^$1=//p" | tail -n 1
}

# Capability names in number order (linux/capability.h).
CAP_NAMES=(CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID
	SETPCAP LINUX_IMMUTABLE NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW
	IPC_LOCK IPC_OWNER SYS_MODULE SYS_RAWIO SYS_CHROOT SYS_PTRACE SYS_PACCT
	SYS_ADMIN SYS_BOOT SYS_NICE SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD
	LEASE AUDIT_WRITE AUDIT_CONTROL SETFCAP MAC_OVERRIDE MAC_ADMIN SYSLOG
	WAKE_ALARM BLOCK_SUSPEND AUDIT_READ PERFMON BPF CHECKPOINT_RESTORE)

# cap_mask SET: the config's capability set as a number.
cap_mask() {
	local name i m=0
	for name in $(jq -r ".process.capabilities.$1 // [] | .[]" "$BUNDLE/config.json"); do
		for i in "${!CAP_NAMES[@]}"; do
			[ "CAP_${CAP_NAMES[$i]}" = "$name" ] && m=$((m | (1 << i)))
		done
	done
	echo "$m"
}

# use_fixture FILE: the fixture as the bundle's config.json.
use_fixture() {
	local f="$FIXTURES/$1" cap="$BATS_TEST_TMPDIR/capture" src
	[ -f "$f" ] || { echo "no fixture $f (tests/fixtures/regenerate.sh makes them)" >&2; return 1; }
	mkdir -p "$cap/dir" "$cap/file"
	for src in $(jq -r '.mounts[]?.source // empty' "$f" | grep '^@CAPTURE@/' || true); do
		case "$src" in
		@CAPTURE@/dir/*) mkdir -p "$cap/dir/${src##*/}" ;;
		@CAPTURE@/file/*) touch "$cap/file/${src##*/}" ;;
		esac
	done
	jq --arg cap "$cap" --arg cg "$TEST_CGROUP_PARENT/$CID" '
		.root.path = "rootfs"
		| .process.terminal = false
		| .process.args = ["/bin/sh", "-c", "checker ids; checker caps; checker nnp; checker seccomp"]
		| .linux.cgroupsPath = $cg
		| .mounts = [.mounts[]? | if (.source // "" | startswith("@CAPTURE@/")) then .source = $cap + (.source | ltrimstr("@CAPTURE@")) else . end]' \
		"$f" >"$BUNDLE/config.json"
}

# check_fixture FILE [SHELL]: run it, and compare what the process reports
# with what the config asked for.  SHELL runs after the checker, for what a
# fixture asks beyond identity (its output is left to the caller's checks).
check_fixture() {
	use_fixture "$1"
	if [ -n "${2:-}" ]; then
		update_config ".process.args[2] += $(jq -n --arg x "; $2" '$x')"
	fi
	run_hull run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	local uid gid nnp bnd inh amb prm eff
	uid=$(jq -r '.process.user.uid // 0' "$BUNDLE/config.json")
	gid=$(jq -r '.process.user.gid // 0' "$BUNDLE/config.json")
	[ "$(field uid)" = "$uid" ]
	[ "$(field euid)" = "$uid" ]
	[ "$(field gid)" = "$gid" ]
	[ "$(field groups)" = "$(jq -r '.process.user.additionalGids // [] | sort | map(tostring) | join(",")' "$BUNDLE/config.json")" ]
	bnd=$(cap_mask bounding)
	inh=$(cap_mask inheritable)
	prm=$(cap_mask permitted)
	# Ambient caps that are not both permitted and inheritable are left
	# out (with a warning), as runc and crun do.
	amb=$(( $(cap_mask ambient) & prm & inh ))
	# After execve: root gets bounding|inheritable as permitted and
	# effective; any other uid keeps only its ambient set.
	if [ "$uid" = 0 ]; then eff=$((bnd | inh)); else eff=$amb; fi
	[ "$(field CapBnd)" = "$(printf '%016x' "$bnd")" ]
	[ "$(field CapAmb)" = "$(printf '%016x' "$amb")" ]
	[ "$(field CapEff)" = "$(printf '%016x' "$eff")" ]
	[ "$(field CapPrm)" = "$(printf '%016x' "$eff")" ]
	[ "$(field CapInh)" = "$(printf '%016x' "$inh")" ]
	nnp=$(jq -r 'if .process.noNewPrivileges then 1 else 0 end' "$BUNDLE/config.json")
	[ "$(field NoNewPrivs)" = "$nnp" ]
	if jq -e '.linux.seccomp' "$BUNDLE/config.json" >/dev/null; then
		[ "$(field Seccomp)" = 2 ]
	else
		[ "$(field Seccomp)" = 0 ]
	fi
}

@test "the state's config.json of a runc spec and a crun spec container is their config.json, byte for byte" {
	local f
	for f in spec/runc-spec.json spec/crun-spec.json; do
		use_fixture "$f"
		update_config '.process.args = ["/bin/checker", "sleep", "30"]'
		hull_detached create --bundle "$BUNDLE" "$CID"
		echo "$output"
		[ "$status" -eq 0 ]
		cmp "$BUNDLE/config.json" "$HULL_ROOT/$CID/config.json"
		run_hull delete --force "$CID"
		[ "$status" -eq 0 ]
	done
}

@test "fixture spec/runc-spec" { check_fixture spec/runc-spec.json; }
@test "fixture spec/runc-spec-rootless" { check_fixture spec/runc-spec-rootless.json; }
@test "fixture spec/crun-spec" { check_fixture spec/crun-spec.json; }
@test "fixture spec/crun-spec-rootless is refused as runc refuses it" {
	# crun fills in the calling user's mappings itself; the spec (and runc)
	# need them in the config: a clear error naming the field.
	use_fixture spec/crun-spec-rootless.json
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.uidMappings: a new user namespace needs uidMappings and gidMappings"* ]]
}

@test "fixture podman/default" { check_fixture podman/default.json; }
# Issue 8 item 2: podman's --user config has noNewPrivileges false and a
# seccomp profile, which failed with "installing seccomp filter:
# Permission denied" while the filter went in after the uid switch.
@test "fixture podman/user-1000" {
	check_fixture podman/user-1000.json
}
@test "fixture podman/user-nobody" {
	check_fixture podman/user-nobody.json
	[ "$(field uid)" = 65534 ]
}
@test "fixture podman/privileged" {
	check_fixture podman/privileged.json 'checker stat /dev/fuse'
	# All that podman itself holds: every one but CAP_SYS_RESOURCE, which
	# root lacks on this host (see podman.bats).
	[ "$(field CapBnd)" = 000001fffeffffff ]
	[ "$(field rdev)" = 10:229 ]
}
@test "fixture podman/cap-add-net-admin" { check_fixture podman/cap-add-net-admin.json; }
@test "fixture podman/seccomp-unconfined" { check_fixture podman/seccomp-unconfined.json; }
@test "fixture podman/no-new-privileges" { check_fixture podman/no-new-privileges.json; }
@test "fixture podman/sysctl-ip-forward" {
	check_fixture podman/sysctl-ip-forward.json 'echo ip_forward=$(cat /proc/sys/net/ipv4/ip_forward)'
	[ "$(field ip_forward)" = 1 ]
}
@test "fixture podman/volume-ro" {
	check_fixture podman/volume-ro.json 'checker ls /data; checker write /data/x y'
	[ "$(field ls)" = ok ]
	[ "$(field write)" = EROFS ]
}
@test "fixture podman/device-fuse" {
	check_fixture podman/device-fuse.json 'checker stat /dev/fuse'
	[ "$(field rdev)" = 10:229 ]
	[ "$(field mode)" = 20666 ]
}
@test "fixture podman/tmpfs" {
	check_fixture podman/tmpfs.json 'checker write /scratch/x y; grep " /scratch " /proc/self/mountinfo'
	[ "$(field write)" = ok ]
	[[ "$output" == *" /scratch "*" - tmpfs "* ]]
}

@test "fixture containerd/default" { check_fixture containerd/default.json; }
@test "fixture containerd/privileged" { check_fixture containerd/privileged.json; }
@test "fixture containerd/seccomp" { check_fixture containerd/seccomp.json; }
@test "fixture containerd/cap-add-net-admin" { check_fixture containerd/cap-add-net-admin.json; }
@test "fixture containerd/mount-ro" {
	check_fixture containerd/mount-ro.json 'checker write /data/x y'
	[ "$(field write)" = EROFS ]
}
@test "fixture containerd/read-only" {
	check_fixture containerd/read-only.json 'checker write /x y'
	[ "$(field write)" = EROFS ]
}
