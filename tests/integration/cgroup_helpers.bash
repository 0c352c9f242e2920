# Cgroup helpers for cgroups.bats; work on v1/hybrid and on pure v2 hosts.

cg_is_v2() { [ -f /sys/fs/cgroup/cgroup.controllers ]; }

# cg_dir CONTROLLER: the container's group for that controller.
cg_dir() {
	if cg_is_v2; then
		echo "/sys/fs/cgroup${TEST_CGROUP_PARENT}/$CID"
	else
		echo "/sys/fs/cgroup/$1${TEST_CGROUP_PARENT}/$CID"
	fi
}

# cpu_usage_usec: CPU time used by the group so far, in microseconds.
cpu_usage_usec() {
	if cg_is_v2; then
		awk '$1 == "usage_usec" { print $2 }' "$(cg_dir cpu)/cpu.stat"
	else
		echo $(($(cat "$(cg_dir cpuacct)/cpuacct.usage") / 1000))
	fi
}

cpu_nr_throttled() {
	awk '$1 == "nr_throttled" { print $2 }' "$(cg_dir cpu)/cpu.stat"
}

cg_frozen() {
	if cg_is_v2; then
		grep -qx "frozen 1" "$(cg_dir freezer)/cgroup.events"
	else
		grep -qx FROZEN "$(cg_dir freezer)/freezer.state"
	fi
}

memory_limit() {
	if cg_is_v2; then cat "$(cg_dir memory)/memory.max"; else cat "$(cg_dir memory)/memory.limit_in_bytes"; fi
}

memory_usage() {
	if cg_is_v2; then cat "$(cg_dir memory)/memory.current"; else cat "$(cg_dir memory)/memory.usage_in_bytes"; fi
}

# wait_memory_above BYTES: until the group uses that much (10s at most).
wait_memory_above() {
	local i
	for i in $(seq 1 100); do
		[ "$(memory_usage)" -gt "$1" ] && return 0
		sleep 0.1
	done
	echo "memory usage stayed at $(memory_usage)" >&2
	return 1
}

# cgroup_dirs_for ID: the group of container ID under $TEST_CGROUP_PARENT in
# every hierarchy (v1 controllers, name=systemd and the hybrid unified
# one), or the one group on a pure v2 host.
cgroup_dirs_for() {
	local m
	if cg_is_v2; then
		echo "/sys/fs/cgroup${TEST_CGROUP_PARENT}/$1"
		return
	fi
	for m in $(awk '$3 == "cgroup" || $3 == "cgroup2" { print $2 }' /proc/self/mounts | grep '^/sys/fs/cgroup/'); do
		echo "$m${TEST_CGROUP_PARENT}/$1"
	done
}
