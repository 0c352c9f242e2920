#!/usr/bin/env bats
# bats file_tags=vm
# What the test VM must provide and the host cannot: pure cgroup v2, systemd
# as PID 1, and a /dev/kvm that runs a real-mode guest. Runs inside the VM
# (make check-vm); skips elsewhere.

setup() {
	[ "${HULL_VM:-}" = 1 ] || skip "runs inside the test VM (make check-vm)"
}

@test "cgroup v2 is the only hierarchy" {
	run stat -fc %T /sys/fs/cgroup
	[ "$status" -eq 0 ]
	[ "$output" = cgroup2fs ]
}

@test "the root cgroup offers cpu, memory, pids, io and cpuset" {
	local controllers c
	controllers=$(cat /sys/fs/cgroup/cgroup.controllers)
	echo "# controllers: $controllers" >&3
	for c in cpu memory pids io cpuset; do
		[[ " $controllers " == *" $c "* ]] || {
			echo "missing controller $c in: $controllers"
			return 1
		}
	done
}

@test "PID 1 is systemd" {
	run readlink /proc/1/exe
	[ "$status" -eq 0 ]
	[[ "$output" == */systemd ]]
}

@test "systemctl is-system-running says running or degraded" {
	run timeout 120 systemctl is-system-running --wait
	echo "# is-system-running: $output" >&3
	[[ "$output" == running || "$output" == degraded ]]
}

@test "/dev/kvm exists" {
	[ -c /dev/kvm ]
}

@test "a real-mode KVM guest writes to a port and halts" {
	local smoke=${HULL_KVM_SMOKE:-$BATS_TEST_DIRNAME/out/kvm-smoke}
	[ -x "$smoke" ] || {
		echo "$smoke not built: run 'make tests/vm/out/kvm-smoke' on the host"
		return 1
	}
	run "$smoke"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"kvm-smoke: ok"* ]]
}
