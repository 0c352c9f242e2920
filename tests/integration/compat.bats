#!/usr/bin/env bats
# Inputs Hull did not write (issue 8): bundles from `runc spec` and `crun
# spec`, podman's device modes, capability names, and HOME from the
# container's /etc/passwd, each checked from inside the container.

load helpers

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

# foreign_spec TOOL: replaces the bundle's config.json with TOOL's own
# `spec`, changed only where a test bundle must differ (terminal, args,
# an absolute cgroupsPath under the test parent).
foreign_spec() {
	rm -f "$BUNDLE/config.json"
	(cd "$BUNDLE" && "$1" spec)
	update_config '.process.terminal = false
		| .process.args = ["/bin/sh", "-c", "checker caps; checker ids"]
		| .linux.cgroupsPath = "'"$TEST_CGROUP_PARENT/$CID"'"'
}

@test "a runc spec bundle runs: ambient caps that are not inheritable are a warning" {
	requires runc
	foreign_spec runc
	# The premise: runc's default lists ambient caps and no inheritable set.
	[ "$(jq -r '.process.capabilities.ambient | length' "$BUNDLE/config.json")" -gt 0 ]
	[ "$(jq -r '.process.capabilities.inheritable // [] | length' "$BUNDLE/config.json")" -eq 0 ]
	run "$HULL_BIN" --root "$HULL_ROOT" --log "$BATS_TEST_TMPDIR/hull.log" run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(field uid)" = 0 ]
	[ "$(field CapAmb)" = 0000000000000000 ]
	# CAP_AUDIT_WRITE (29), CAP_KILL (5), CAP_NET_BIND_SERVICE (10)
	[ "$(field CapEff)" = 0000000020000420 ]
	[ "$(field CapBnd)" = 0000000020000420 ]
	grep -q 'warning: process.capabilities.ambient: .*CAP_KILL.*not both permitted and inheritable' "$BATS_TEST_TMPDIR/hull.log"
}

@test "a crun spec bundle runs unmodified" {
	requires crun
	foreign_spec crun
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(field uid)" = 0 ]
	[ "$(field CapEff)" = 0000000020000420 ]
}

@test "ambient caps that are permitted and inheritable are raised" {
	update_config '.process.capabilities = {"bounding": ["CAP_KILL", "CAP_CHOWN"],
		"effective": ["CAP_KILL", "CAP_CHOWN"], "permitted": ["CAP_KILL", "CAP_CHOWN"],
		"inheritable": ["CAP_KILL"], "ambient": ["CAP_KILL", "CAP_CHOWN"]}
		| .process.user = {"uid": 1000, "gid": 1000}'
	set_args checker caps
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	# CAP_KILL is raised (and so stays effective after the uid change);
	# CAP_CHOWN is not inheritable: left out, with a warning on stderr.
	[ "$(field CapAmb)" = 0000000000000020 ]
	[[ "$output" == *"warning: process.capabilities.ambient: CAP_CHOWN not both"* ]]
}

@test "an unknown capability name is an error naming it" {
	update_config '.process.capabilities.bounding += ["CAP_NOT_A_CAP"]'
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *'process.capabilities.bounding['*']: unknown capability "CAP_NOT_A_CAP"'* ]]
	update_config '.process.capabilities.bounding -= ["CAP_NOT_A_CAP"]
		| .process.capabilities.effective += ["KILL"]'
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *'process.capabilities.effective['*']: unknown capability "KILL"'* ]]
}

@test "device fileMode with podman's file-type bits" {
	# podman --privileged writes fileMode 8630 = 0o20666 (S_IFCHR | 0666).
	update_config '.linux.devices = [{"path": "/dev/hull-null", "type": "c",
		"major": 1, "minor": 3, "fileMode": 8630, "uid": 0, "gid": 0}]'
	set_args checker stat /dev/hull-null
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(field mode)" = 20666 ]
	[ "$(field rdev)" = 1:3 ]
}

@test "device fileMode type bits that contradict type are an error" {
	# 0o60666: a block device's bits on a "c" entry.
	update_config '.linux.devices = [{"path": "/dev/hull-null", "type": "c",
		"major": 1, "minor": 3, "fileMode": 25014}]'
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *'linux.devices[0].fileMode: file type bits 060000 do not match type "c"'* ]]
}

@test "HOME comes from the container's /etc/passwd when env lacks it" {
	echo "app:x:1000:1000:App:/home/app:/bin/sh" >>"$BUNDLE/rootfs/etc/passwd"
	update_config '.process.env = ["PATH=/bin"] | .process.user = {"uid": 1000, "gid": 1000}'
	set_args checker env HOME
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(field HOME)" = /home/app ]
}

@test "HOME is / for a uid without a passwd entry, /root for root, and kept if set" {
	update_config '.process.env = ["PATH=/bin"] | .process.user = {"uid": 4321, "gid": 4321}'
	set_args checker env HOME
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(field HOME)" = / ]
	update_config '.process.user = {"uid": 0, "gid": 0}'
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(field HOME)" = /root ]
	update_config '.process.env = ["PATH=/bin", "HOME=/custom"]'
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(field HOME)" = /custom ]
}

@test "exec without HOME in env gets it from /etc/passwd" {
	echo "app:x:1000:1000:App:/home/app:/bin/sh" >>"$BUNDLE/rootfs/etc/passwd"
	update_config '.process.env = ["PATH=/bin"]'
	set_args sleep 600
	hull_detached run --detach --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	run_hull exec --user 1000:1000 "$CID" checker env HOME
	[ "$status" -eq 0 ]
	[ "$(field HOME)" = /home/app ]
	run_hull delete --force "$CID"
	[ "$status" -eq 0 ]
}

@test "warnings go to --log as JSON with --log-format json, not to stderr" {
	update_config '.process.capabilities.ambient = ["CAP_KILL"] | .process.capabilities.inheritable = []'
	set_args checker caps
	run "$HULL_BIN" --root "$HULL_ROOT" --log "$BATS_TEST_TMPDIR/log.json" --log-format json run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[[ "$output" != *"warning"* ]]
	run jq -r 'select(.level == "warning") | .msg' "$BATS_TEST_TMPDIR/log.json"
	[ "$status" -eq 0 ]
	[[ "$output" == *"process.capabilities.ambient: CAP_KILL not both permitted and inheritable"* ]]
}
