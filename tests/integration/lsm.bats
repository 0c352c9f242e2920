#!/usr/bin/env bats
# Linux security modules: process.apparmorProfile, process.selinuxLabel,
# linux.mountLabel.  A profile is applied (and is an error where AppArmor is
# off); a label where SELinux is off is ignored, as crun does.  The AppArmor
# tests need a kernel running AppArmor: the test VM (tests/vm/run-in-vm.sh
# boots it with apparmor=1 security=apparmor).

load helpers

setup() {
	requires root
	setup_bundle
	PROFILE=
}

teardown() {
	teardown_bundle
	if [ -n "$PROFILE" ]; then
		apparmor_parser -R "$BATS_TEST_TMPDIR/profile" >/dev/null 2>&1 || true
	fi
	check_no_leftovers
}

apparmor_on() {
	[ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ] &&
		[ -d /sys/kernel/security/apparmor ]
}

requires_apparmor() {
	apparmor_on || skip "needs a kernel running AppArmor (the test VM)"
	command -v apparmor_parser >/dev/null || skip "needs apparmor_parser (apt-get install apparmor)"
}

# A profile that allows everything but reading /secret.
load_profile() {
	PROFILE="hull-test-$$-${BATS_TEST_NUMBER}"
	cat >"$BATS_TEST_TMPDIR/profile" <<EOF
profile $PROFILE flags=(attach_disconnected) {
  /** rwlkmix,
  capability,
  network,
  signal,
  unix,
  ptrace,
  mount,
  umount,
  pivot_root,
  deny /secret r,
}
EOF
	apparmor_parser -r "$BATS_TEST_TMPDIR/profile"
	echo "top-secret" >"$BUNDLE/rootfs/secret"
}

@test "selinuxLabel and mountLabel are ignored where SELinux is off; the container runs" {
	[ ! -e /sys/fs/selinux/enforce ] || skip "SELinux is on here"
	update_config '.process.selinuxLabel = "system_u:system_r:container_t:s0:c1,c2"
		| .linux.mountLabel = "system_u:object_r:container_file_t:s0:c1,c2"'
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[[ "$output" == *"uid=0"* ]]
}

@test "an apparmorProfile where AppArmor is off is an error naming it, nothing left behind" {
	if apparmor_on; then skip "AppArmor is on here"; fi
	update_config '.process.apparmorProfile = "hull-nonexistent"'
	hull_detached create --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"process.apparmorProfile"*"hull-nonexistent"* ]]
	check_no_leftovers
}

# bats test_tags=vm
@test "apparmorProfile confines the process: the profile is current and its deny rule holds" {
	requires_apparmor
	load_profile
	update_config '.process.apparmorProfile = "'"$PROFILE"'"'
	set_args /bin/sh -c 'cat /proc/self/attr/current; cat /secret && echo read-ok || echo read-denied'
	run_hull run --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"$PROFILE (enforce)"* ]]
	[[ "$output" == *"read-denied"* ]]
	[[ "$output" != *"top-secret"* ]]
	# Without the profile the same read works: the denial came from it.
	update_config 'del(.process.apparmorProfile)'
	run_hull run --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[[ "$output" == *"top-secret"* ]]
}

# bats test_tags=vm
@test "exec runs under the container's apparmorProfile, or under --apparmor" {
	requires_apparmor
	load_profile
	update_config '.process.apparmorProfile = "'"$PROFILE"'"'
	set_args /bin/checker sleep 60
	hull_detached run --detach --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	run_hull exec "$CID" /bin/sh -c 'cat /proc/self/attr/current; cat /secret || echo read-denied'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"$PROFILE (enforce)"* ]]
	[[ "$output" == *"read-denied"* ]]
	run_hull exec --apparmor unconfined "$CID" /bin/cat /secret
	[ "$status" -eq 0 ]
	[[ "$output" == *"top-secret"* ]]
	hull delete --force "$CID"
}

# bats test_tags=vm
@test "an apparmorProfile that is not loaded fails create, naming it, nothing left behind" {
	requires_apparmor
	update_config '.process.apparmorProfile = "hull-not-loaded-'"$$"'"'
	hull_detached create --bundle "$BUNDLE" "$CID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"process.apparmorProfile"*"hull-not-loaded-"* ]]
	check_no_leftovers
}
