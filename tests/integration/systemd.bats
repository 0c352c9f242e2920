#!/usr/bin/env bats
# systemd (issue 11): the systemd cgroup driver, units from `hull generate
# systemd` and from the generator, READY that means ready.  The tests tagged
# vm need systemd as PID 1 on pure cgroup v2: run them in the test VM with
#   make vm-run CMD='bats --filter-tags vm tests/integration/systemd.bats'
# The others (unit text, generator input errors) run anywhere.

load helpers

GENERATOR="$REPO/build/hull-generator"

setup() {
	requires root
	setup_bundle
	NAME="hulltest-$$-${BATS_TEST_NUMBER}"
	UNIT="hull-$NAME.service"
}

teardown() {
	if [ -n "${UNIT:-}" ] && [ "$(cat /proc/1/comm 2>/dev/null)" = systemd ]; then
		systemctl stop "$UNIT" >/dev/null 2>&1 || true
		rm -f "/etc/hull/containers/$NAME.container" "/etc/hull/containers/bad-$NAME.container" \
			"/run/systemd/system/$UNIT"
		systemctl daemon-reload >/dev/null 2>&1 || true
		systemctl reset-failed "hull-$CID.scope" "hull-$NAME.scope" "$UNIT" >/dev/null 2>&1 || true
	fi
	podman_cleanup
	teardown_bundle
	check_no_leftovers
}

# A payload that says STATUS=starting, waits for /tmp/go in its rootfs,
# then READY=1, and leaves on SIGTERM (its stop signal) writing /tmp/got-term.
notify_payload() {
	set_args /bin/sh -c 'trap "touch /tmp/got-term; exit 0" TERM
checker notify STATUS=starting
while [ ! -e /tmp/go ]; do sleep 0.2; done
checker notify READY=1
checker notify STATUS=serving
while true; do sleep 0.2; done'
	update_config '.root.readonly = false | del(.linux.cgroupsPath)'
}

write_container() {
	mkdir -p /etc/hull/containers
	cat >"/etc/hull/containers/$NAME.container" <<-EOF
	[Unit]
	Description=test container $NAME
	[Container]
	Bundle=$BUNDLE
	Notify=yes
	StopTimeout=20
	Environment=GREETING=hello from the unit
	[Service]
	RestartSec=1
	[Install]
	WantedBy=multi-user.target
	EOF
}

install_generator() {
	mkdir -p /run/systemd/system-generators
	ln -sf "$GENERATOR" /run/systemd/system-generators/hull-generator
}

unit_prop() {
	systemctl show -P "$2" "$1"
}

wait_unit() {  # UNIT PROPERTY VALUE
	local i
	for i in $(seq 1 150); do
		[ "$(unit_prop "$1" "$2")" = "$3" ] && return 0
		sleep 0.2
	done
	echo "$1: $2 is \"$(unit_prop "$1" "$2")\", not \"$3\"" >&2
	return 1
}

no_leftovers_of_unit() {
	[ "$(unit_prop "hull-$NAME.scope" LoadState)" = not-found ]
	[ ! -e "/run/hull/$NAME" ]
	[ ! -d "/sys/fs/cgroup/system.slice/hull-$NAME.scope" ]
	run grep -c " $BUNDLE/rootfs" /proc/self/mountinfo
	[ "$output" = 0 ]
	run pgrep -f "run --bundle /run/hull/units/$NAME"
	[ "$status" -eq 1 ]
}

@test "generate systemd prints a unit systemd-analyze verify accepts" {
	command -v systemd-analyze >/dev/null || skip "needs systemd-analyze (apt-get install systemd)"
	cd "$BATS_TEST_TMPDIR"
	run_hull generate systemd --bundle "$BUNDLE" --env 'A=two words' --volume /tmp:/mnt:ro \
		--memory 64M --cpu-quota 50% --pids-limit 10 --stop-signal SIGINT --stop-timeout 7 \
		--wanted-by multi-user.target "$NAME"
	[ "$status" -eq 0 ]
	echo "$output" >"$UNIT"
	grep -qx 'Type=notify' "$UNIT"
	grep -qx 'KillSignal=SIGINT' "$UNIT"
	grep -qx "ExecStopPost=-$HULL_BIN delete --force $NAME" "$UNIT"
	run systemd-analyze verify "$BATS_TEST_TMPDIR/$UNIT"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	# --files writes the same text into the current directory.
	mkdir files && cd files
	run_hull generate systemd --files --bundle "$BUNDLE" --env 'A=two words' --volume /tmp:/mnt:ro \
		--memory 64M --cpu-quota 50% --pids-limit 10 --stop-signal SIGINT --stop-timeout 7 \
		--wanted-by multi-user.target "$NAME"
	[ "$status" -eq 0 ]
	[ "$output" = "$UNIT" ]
	cmp "$UNIT" "../$UNIT"
}

@test "generate bundle derives the config the unit runs" {
	run_hull generate bundle --out "$BATS_TEST_TMPDIR/derived" --bundle "$BUNDLE" \
		-e GREETING=hi -v /tmp:/mnt:ro --network host --memory 32M --pids-limit 9 "$NAME"
	[ "$status" -eq 0 ]
	c="$BATS_TEST_TMPDIR/derived/config.json"
	[ "$(jq -r .root.path "$c")" = "$BUNDLE/rootfs" ]
	[ "$(jq -r .linux.cgroupsPath "$c")" = "system.slice:hull:$NAME" ]
	jq -e '.process.env | index("GREETING=hi")' "$c"
	jq -e '.mounts[-1] == {"destination":"/mnt","type":"bind","source":"/tmp","options":["rbind","ro"]}' "$c"
	[ "$(jq '[.linux.namespaces[] | select(.type == "network")] | length' "$c")" = 0 ]
	[ "$(jq .linux.resources.memory.limit "$c")" = 33554432 ]
	[ "$(jq .linux.resources.pids.limit "$c")" = 9 ]
	# Bad input names the option's key and writes nothing.
	run_hull generate bundle --out "$BATS_TEST_TMPDIR/bad" --bundle "$BUNDLE" --memory lots "$NAME"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Memory: \"lots\""* ]]
	[ ! -e "$BATS_TEST_TMPDIR/bad" ]
}

@test "the generator skips a malformed or unknown-key file with FILE:LINE and generates the rest" {
	dir="$BATS_TEST_TMPDIR/containers"
	out="$BATS_TEST_TMPDIR/gen"
	mkdir -p "$dir" "$out"
	printf '[Container]\nBundle=%s\n[Install]\nWantedBy=multi-user.target\n' "$BUNDLE" >"$dir/good.container"
	printf '[Container]\nBundle=%s\nColour=blue\n' "$BUNDLE" >"$dir/unknown.container"
	printf '[Container]\nBundle=%s\nthis is not ini\n' "$BUNDLE" >"$dir/broken.container"
	printf 'not even a section\n' >"$dir/worse.container"
	HULL_CONTAINERS_DIRS="$dir" run "$GENERATOR" "$out" "$out" "$out"
	[ "$status" -eq 0 ]
	[[ "$output" == *"$dir/unknown.container:3: unknown key \"Colour\" in [Container]; skipping this unit"* ]]
	[[ "$output" == *"$dir/broken.container:3: expected Key=Value"* ]]
	[[ "$output" == *"$dir/worse.container:1:"* ]]
	[ -f "$out/hull-good.service" ]
	[ -L "$out/multi-user.target.wants/hull-good.service" ]
	[ "$(ls "$out" | grep -c '\.service$')" = 1 ]
}

@test "--systemd-cgroup without systemd as PID 1 fails clearly and leaves nothing" {
	[ "$(cat /proc/1/comm)" != systemd ] || skip "systemd is PID 1 here (the VM tests cover the driver)"
	update_config '.linux.cgroupsPath = ":hull:'"$CID"'"'
	hull_detached --systemd-cgroup create --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"--systemd-cgroup: systemd is not the init system here"* ]]
	[ ! -e "$HULL_ROOT/$CID" ]
	run_hull features
	[ "$(echo "$output" | jq -r '.linux.cgroup.systemd')" = true ]
	[ "$(echo "$output" | jq -r '.annotations["io.hull.cgroupDrivers"]')" = cgroupfs ]
}

# bats test_tags=vm
@test "--systemd-cgroup: create, update, pause, delete, with the properties in systemctl show" {
	requires systemd cgroup_v2
	set_args /bin/checker sleep 300
	update_config '.linux.cgroupsPath = "system.slice:hulltest:'"$CID"'"
		| .linux.resources = {"memory":{"limit":67108864},"cpu":{"quota":50000,"period":100000,"cpus":"0"},"pids":{"limit":99}}
		| .annotations = {"org.systemd.property.TimeoutStopUSec":"uint64 5000000"}'
	scope="hulltest-$CID.scope"
	hull_detached --systemd-cgroup run --detach --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(unit_prop "$scope" ActiveState)" = active ]
	[ "$(unit_prop "$scope" MemoryMax)" = 67108864 ]
	[ "$(unit_prop "$scope" CPUQuotaPerSecUSec)" = 500ms ]
	[ "$(unit_prop "$scope" TasksMax)" = 99 ]
	[ "$(unit_prop "$scope" AllowedCPUs)" = 0 ]
	[ "$(unit_prop "$scope" Delegate)" = yes ]
	[ "$(unit_prop "$scope" TimeoutStopUSec)" = 5s ]
	[ "$(unit_prop "$scope" Slice)" = system.slice ]
	run_hull features
	[ "$(echo "$output" | jq -r '.annotations["io.hull.cgroupDrivers"]')" = cgroupfs,systemd ]
	# The container's init is in the scope, and the limits are in its files.
	pid=$(hull state "$CID" | jq -r .pid)
	grep -qx "0::/system.slice/$scope" "/proc/$pid/cgroup"
	[ "$(cat "/sys/fs/cgroup/system.slice/$scope/cpu.max")" = "50000 100000" ]
	hull update --memory 100m --pids-limit 50 --cpu-quota 25000 "$CID"
	[ "$(unit_prop "$scope" MemoryMax)" = 104857600 ]
	[ "$(unit_prop "$scope" TasksMax)" = 50 ]
	[ "$(unit_prop "$scope" CPUQuotaPerSecUSec)" = 250ms ]
	[ "$(cat "/sys/fs/cgroup/system.slice/$scope/memory.max")" = 104857600 ]
	hull pause "$CID"
	[ "$(hull state "$CID" | jq -r .status)" = paused ]
	[ "$(cat "/sys/fs/cgroup/system.slice/$scope/cgroup.freeze")" = 1 ]
	hull resume "$CID"
	[ "$(hull state "$CID" | jq -r .status)" = running ]
	run_hull exec "$CID" /bin/checker ids
	[ "$status" -eq 0 ]
	hull delete --force "$CID"
	[ "$(unit_prop "$scope" LoadState)" = not-found ]
	[ ! -d "/sys/fs/cgroup/system.slice/$scope" ]
}

# bats test_tags=vm
@test "--systemd-cgroup: a failed unit of the same name left by a crash is reset and the container starts" {
	requires systemd cgroup_v2
	set_args /bin/checker sleep 300
	update_config '.linux.cgroupsPath = ":hull:'"$CID"'"'
	scope="hull-$CID.scope"
	# A scope that failed (RuntimeMaxSec ran out) stays loaded as "failed":
	# StartTransientUnit of that name then fails with "already exists".
	systemd-run --scope --unit "$scope" -p RuntimeMaxSec=1 -p CollectMode=inactive \
		sleep 30 >/dev/null 2>&1 </dev/null &
	wait_unit "$scope" ActiveState failed
	hull_detached --systemd-cgroup run --detach --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	[ "$(unit_prop "$scope" ActiveState)" = active ]
	hull delete --force "$CID"
	[ "$(unit_prop "$scope" LoadState)" = not-found ]
}

# bats test_tags=vm
@test "--systemd-cgroup: a cgroupfs-style cgroupsPath is refused with the format, leaving nothing" {
	requires systemd cgroup_v2
	update_config '.linux.cgroupsPath = "/hull-test/'"$CID"'"'
	hull_detached --systemd-cgroup create --bundle "$BUNDLE" "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *'is not "slice:prefix:name"'* ]]
	[ ! -e "$HULL_ROOT/$CID" ]
}

# bats test_tags=vm
@test "a generated unit starts like at boot, is active only after READY, restarts when killed, and stop leaves nothing" {
	requires systemd cgroup_v2
	notify_payload
	write_container
	install_generator
	# daemon-reload runs the generators exactly as boot does.
	systemctl daemon-reload
	[ "$(unit_prop "$UNIT" LoadState)" = loaded ]
	[ "$(unit_prop "$UNIT" SourcePath)" = "/etc/hull/containers/$NAME.container" ]
	[ -L "/run/systemd/generator/multi-user.target.wants/$UNIT" ]
	# Boot's own job: multi-user.target pulls in what it wants.
	systemctl start --no-block multi-user.target
	wait_unit "$UNIT" StatusText starting
	# Not ready yet: the payload has not said READY=1.
	[ "$(unit_prop "$UNIT" ActiveState)" = activating ]
	touch "$BUNDLE/rootfs/tmp/go"
	wait_unit "$UNIT" ActiveState active
	wait_unit "$UNIT" StatusText serving
	# The container runs in its scope, with the unit's environment.
	pid=$(hull --root /run/hull state "$NAME" | jq -r .pid)
	grep -qx "0::/system.slice/hull-$NAME.scope" "/proc/$pid/cgroup"
	grep -qz '^GREETING=hello from the unit$' "/proc/$pid/environ"
	# Killed: systemd restarts it (the payload finds /tmp/go and is ready).
	kill -KILL "$pid"
	wait_unit "$UNIT" NRestarts 1
	wait_unit "$UNIT" ActiveState active
	newpid=$(hull --root /run/hull state "$NAME" | jq -r .pid)
	[ "$newpid" != "$pid" ]
	# stop: the container gets its stop signal, and nothing is left.
	systemctl stop "$UNIT"
	[ -e "$BUNDLE/rootfs/tmp/got-term" ]
	[ "$(unit_prop "$UNIT" ActiveState)" = inactive ]
	no_leftovers_of_unit
}

# bats test_tags=vm
@test "the generator's errors reach the journal with FILE:LINE and do not break daemon-reload" {
	requires systemd cgroup_v2
	notify_payload
	write_container
	printf '[Container]\nBundle=%s\nColour=blue\n' "$BUNDLE" >"/etc/hull/containers/bad-$NAME.container"
	install_generator
	run systemctl daemon-reload
	[ "$status" -eq 0 ]
	[ "$(unit_prop "$UNIT" LoadState)" = loaded ]
	[ "$(unit_prop "hull-bad-$NAME.service" LoadState)" = not-found ]
	# The generator writes to the kernel log and to stderr, which systemd
	# hands to the journal: either way it is in this boot's journal.
	output="$(journalctl -b --no-pager 2>&1; echo "--- dmesg"; dmesg 2>&1)"
	# journal: "hull-generator[PID]: FILE:3: ...", kmsg: "hull-generator: FILE:3: ..."
	[[ "$output" == *"hull-generator"*": /etc/hull/containers/bad-$NAME.container:3: unknown key \"Colour\" in [Container]; skipping this unit"* ]]
}

# bats test_tags=vm
@test "a Notify=no unit is active once the container started" {
	requires systemd cgroup_v2
	set_args /bin/sh -c 'trap "exit 0" TERM; while true; do sleep 0.2; done'
	update_config 'del(.linux.cgroupsPath)'
	cd "$BATS_TEST_TMPDIR"
	"$HULL_BIN" generate systemd --bundle "$BUNDLE" "$NAME" >"/run/systemd/system/$UNIT"
	systemctl daemon-reload
	systemctl start "$UNIT"
	[ "$(unit_prop "$UNIT" ActiveState)" = active ]
	systemctl stop "$UNIT"
	no_leftovers_of_unit
}

# bats test_tags=vm
@test "containers killed by the OOM killer leave no failed or leftover units" {
	requires systemd cgroup_v2
	loops=${HULL_OOM_LOOPS:-100}
	# Several at once: under the test VM's one emulated CPU, one run's
	# waits (systemd's jobs, the OOM kill, the reaping) overlap another's
	# work, and units come and go side by side, as on a busy host.
	par=${HULL_OOM_PAR:-4}
	# dd's 64 MiB buffer in an 8 MiB container: killed by the OOM killer.
	set_args /bin/dd if=/dev/zero of=/dev/null bs=64M count=1
	# One bundle per run (its own cgroupsPath), all on the same rootfs.
	update_config '.linux.resources = {"memory":{"limit":8388608,"swap":8388608}}
		| .root.path = "'"$BUNDLE/rootfs"'"
		| .linux.cgroupsPath = "system.slice:hulloom:@ID@"'
	for i in $(seq 1 "$loops"); do
		mkdir "$BATS_TEST_TMPDIR/oom$i"
		sed "s/@ID@/$CID-$i/" "$BUNDLE/config.json" >"$BATS_TEST_TMPDIR/oom$i/config.json"
	done
	oom_run() {
		local rc=0
		"$HULL_BIN" --root "$HULL_ROOT" --systemd-cgroup run --bundle "$BATS_TEST_TMPDIR/oom$1" "$CID-$1" \
			</dev/null >/dev/null 2>&1 || rc=$?
		echo "$rc" >"$BATS_TEST_TMPDIR/oom$1/rc"
	}
	pids=()
	for i in $(seq 1 "$loops"); do
		oom_run "$i" &
		pids+=($!)
		if [ "${#pids[@]}" -ge "$par" ]; then
			wait "${pids[0]}"
			pids=("${pids[@]:1}")
		fi
	done
	for p in "${pids[@]}"; do wait "$p"; done
	killed=$(cat "$BATS_TEST_TMPDIR"/oom*/rc | grep -cx 137 || true)
	echo "# $killed of $loops runs OOM-killed, $par at a time" >&3
	[ "$killed" = "$loops" ]
	run systemctl list-units --all --plain --no-legend 'hulloom-*'
	[ -z "$output" ]
	run systemctl list-units --failed --plain --no-legend
	[[ "$output" != *hulloom* ]]
	[ -z "$(ls /sys/fs/cgroup/system.slice | grep hulloom || true)" ]
}

# Podman (issue 11): podman's own config.json, conmon in between, its
# cgroupsPath "machine.slice:libpod:<id>" and --systemd-cgroup.  Private
# storage and --network none: the test leaves no podman state, bridge or
# firewall rule on the host.
podman_hull() {
	podman --root "$BATS_TEST_TMPDIR/pstore" --runroot "$BATS_TEST_TMPDIR/prun" \
		--cgroup-manager systemd --runtime "$HULL_BIN" --events-backend file "$@"
}

# Removes what a failed podman test left: its containers, then the mounts
# podman keeps in its private storage.
podman_cleanup() {
	local mnt
	[ -d "$BATS_TEST_TMPDIR/pstore" ] || return 0
	podman_hull rm -af -t 0 >/dev/null 2>&1 || true
	awk -v p="$BATS_TEST_TMPDIR/p" 'index($5, p) == 1 { print $5 }' /proc/self/mountinfo |
		sort -r | while read -r mnt; do umount "$mnt" 2>/dev/null || true; done
}

# bats test_tags=vm
@test "podman --cgroup-manager systemd --runtime hull runs, execs and stops" {
	requires systemd cgroup_v2 podman
	ctr="hullpod-$$"
	run podman_hull run -d --name "$ctr" --network none \
		--rootfs "$BUNDLE/rootfs" /bin/checker sleep 300
	echo "run: $output"
	[ "$status" -eq 0 ]
	id=${lines[-1]}
	scope="libpod-$id.scope"
	# The container's init runs in its own scope, in machine.slice.
	run systemctl is-active "$scope"
	echo "$scope: $output"
	[ "$output" = active ]
	run systemctl show -p Delegate -p Slice "$scope"
	[[ "$output" == *"Delegate=yes"* ]]
	[[ "$output" == *"Slice=machine.slice"* ]]
	pid=$(podman_hull inspect -f '{{.State.Pid}}' "$ctr")
	grep -qx "0::/machine.slice/$scope" "/proc/$pid/cgroup"
	run podman_hull exec "$ctr" /bin/checker ids
	echo "exec ids: $output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"uid=0"* ]]
	# The exec'd process joined the container's cgroup (seen from inside).
	run podman_hull exec "$ctr" /bin/checker read /proc/self/cgroup
	echo "exec cgroup: $output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "first_line=0::/" ]
	run podman_hull stop -t 2 "$ctr"
	echo "stop: $output"
	[ "$status" -eq 0 ]
	run podman_hull inspect -f '{{.State.Status}}' "$ctr"
	[ "$output" = exited ]
	run podman_hull rm "$ctr"
	echo "rm: $output"
	[ "$status" -eq 0 ]
	run systemctl list-units --all --plain --no-legend "$scope"
	[ -z "$output" ]
	[ ! -e "/sys/fs/cgroup/machine.slice/$scope" ]
	[ ! -e "/proc/$pid" ] || [ "$(cat /proc/$pid/comm)" != checker ]
}
