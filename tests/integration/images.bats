#!/usr/bin/env bats
# Images: pulling from a real registry (Debian's docker-registry on
# 127.0.0.1, images pushed with skopeo from trees the test builds), the
# unpacked tree against umoci's, auth, platforms, resume, errors, a corpus
# of malicious layers, and containers run from images.

load helpers
load registry_helpers

setup_file() {
	command -v docker-registry >/dev/null || skip "needs docker-registry (apt-get install docker-registry)"
	command -v skopeo >/dev/null || skip "needs skopeo (apt-get install skopeo)"
	make_rootfs_template
	export REG_TMP="$BATS_FILE_TMPDIR"
	export LAYOUT="$BATS_FILE_TMPDIR/layout"
	export OUTSIDE="$BATS_FILE_TMPDIR/outside"
	mkdir -p "$OUTSIDE"
	"$IMG_DIR/build-test-images.sh" "$LAYOUT" "$BATS_FILE_TMPDIR/work" "$OUTSIDE"
	start_registry plain
	export REG="127.0.0.1:$REG_plain_PORT"
	local r
	for r in bb app multi multi-zstd mp evil-dotdot evil-absolute evil-symlink-dir evil-symlink-dotdot \
		evil-dot-symlink evil-hardlink-abs evil-hardlink-dotdot evil-hardlink-symlink evil-device \
		evil-overlay-xattr evil-truncated evil-bomb evil-whiteout-dotdot; do
		push "$LAYOUT" "$r" "$REG/hull-test/$r:1"
	done
}

teardown_file() {
	REG_TMP="$BATS_FILE_TMPDIR" stop_registries
}

setup() {
	requires root
	HULL_ROOT="$BATS_TEST_TMPDIR/state"
	STORE="$BATS_TEST_TMPDIR/store"
	CID="t$$-${BATS_TEST_NUMBER:-0}"
	export HULL_ROOT STORE CID
}

teardown() {
	teardown_bundle
	REG_TMP="$BATS_TEST_TMPDIR" stop_registries
	local m
	# A run's spare root (the store's spares/) is made after it, with the
	# store locked: wait for it, then unmount it, as rmi would.
	if [ -e "$STORE/lock" ]; then
		flock "$STORE/lock" true
		for m in $(awk '{print $5}' /proc/self/mountinfo | grep "^$STORE/spares/" || true); do
			umount -l "$m"
		done
	fi
	# nothing else of this test's store may stay mounted
	for m in $(awk '{print $5}' /proc/self/mountinfo | grep "^$STORE/" || true); do
		umount -l "$m"
		echo "leftover mount $m" >&2
		return 1
	done
	check_no_leftovers
}

ipull() { "$HULL_BIN" pull --store "$STORE" "$@"; }

# drop_spares: waits for the spare root a run makes after itself (with
# the store locked), then unmounts and removes every spare.
drop_spares() {
	local d
	flock "$STORE/lock" true
	for d in "$STORE"/spares/*; do
		[ -d "$d" ] || continue
		umount "$d/rootfs"
		rm -rf "$d"
	done
}

@test "images: pull busybox, list it, inspect it; the tree equals umoci unpack's" {
	run ipull "$REG/hull-test/bb:1"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Pulled $REG/hull-test/bb:1"* ]]
	[[ "$output" == *"unpacked"* ]]
	run "$HULL_BIN" images --store "$STORE"
	[ "$status" -eq 0 ]
	[[ "$output" == *"$REG/hull-test/bb:1"*"linux/amd64"* ]]
	run "$HULL_BIN" image inspect --store "$STORE" "$REG/hull-test/bb:1"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r '.config.config.Cmd[0]')" = /bin/checker ]
	[ "$(echo "$output" | jq -r '.layers | length')" = 1 ]
	run "$HULL_BIN" bundle --store "$STORE" "$REG/hull-test/bb:1" "$BATS_TEST_TMPDIR/b"
	[ "$status" -eq 0 ]
	umoci unpack --image "$LAYOUT:bb" "$BATS_TEST_TMPDIR/u" >/dev/null
	list_tree "$BATS_TEST_TMPDIR/b/rootfs" >"$BATS_TEST_TMPDIR/hull.list"
	list_tree "$BATS_TEST_TMPDIR/u/rootfs" >"$BATS_TEST_TMPDIR/umoci.list"
	diff -u "$BATS_TEST_TMPDIR/umoci.list" "$BATS_TEST_TMPDIR/hull.list"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/hull.list")" -gt 200 ]
}

@test "images: multi-layer image (whiteouts, opaque dir, hardlinks, symlinks, xattrs, setuid, owners) equals umoci's, as a copy and as an overlay" {
	run ipull "$REG/hull-test/multi:1"
	[ "$status" -eq 0 ]
	umoci unpack --image "$LAYOUT:multi" "$BATS_TEST_TMPDIR/u" >/dev/null
	list_tree "$BATS_TEST_TMPDIR/u/rootfs" >"$BATS_TEST_TMPDIR/umoci.list"
	# the copy (hull bundle)
	"$HULL_BIN" bundle --store "$STORE" "$REG/hull-test/multi:1" "$BATS_TEST_TMPDIR/b"
	list_tree "$BATS_TEST_TMPDIR/b/rootfs" >"$BATS_TEST_TMPDIR/copy.list"
	diff -u "$BATS_TEST_TMPDIR/umoci.list" "$BATS_TEST_TMPDIR/copy.list"
	# what the test built really is in there
	grep -q '^usr/local/suid f 6755 0:0 ' "$BATS_TEST_TMPDIR/copy.list"
	grep -q '^owned f 600 1000:1001 ' "$BATS_TEST_TMPDIR/copy.list"
	grep -q '^x f 644 0:0 user.hull.test=' "$BATS_TEST_TMPDIR/copy.list"
	grep -q '^d/new ' "$BATS_TEST_TMPDIR/copy.list"
	run grep -E '^(a/b/gone|a/del|d/old1|d/old2) ' "$BATS_TEST_TMPDIR/copy.list"
	[ "$status" -eq 1 ]
	[ "$(stat -c %i "$BATS_TEST_TMPDIR/b/rootfs/h1")" = "$(stat -c %i "$BATS_TEST_TMPDIR/b/rootfs/h2")" ]
	# the overlay a container gets
	hull_detached run -d --image "$REG/hull-test/multi:1" --store "$STORE" "$CID"
	[ "$status" -eq 0 ]
	grep -q " $(store_ctr "$CID")/rootfs .* overlay " /proc/self/mountinfo
	list_tree "$(store_ctr "$CID")/rootfs" >"$BATS_TEST_TMPDIR/overlay.list"
	diff -u "$BATS_TEST_TMPDIR/umoci.list" "$BATS_TEST_TMPDIR/overlay.list"
	"$HULL_BIN" --root "$HULL_ROOT" delete --force "$CID"
	[ ! -e "$(store_ctr "$CID")" ]
	# the copy fallback (where overlayfs is unavailable) gives the same tree
	hull_detached run -d --copy --image "$REG/hull-test/multi:1" --store "$STORE" "$CID"
	[ "$status" -eq 0 ]
	run grep -c " $(store_ctr "$CID")/rootfs " /proc/self/mountinfo
	[ "$output" = 0 ]
	list_tree "$(store_ctr "$CID")/rootfs" >"$BATS_TEST_TMPDIR/copyfb.list"
	diff -u "$BATS_TEST_TMPDIR/umoci.list" "$BATS_TEST_TMPDIR/copyfb.list"
	"$HULL_BIN" --root "$HULL_ROOT" delete --force "$CID"
	[ ! -e "$(store_ctr "$CID")" ]
	# a zstd layer gives the same tree
	run ipull "$REG/hull-test/multi-zstd:1"
	[ "$status" -eq 0 ]
	"$HULL_BIN" bundle --store "$STORE" "$REG/hull-test/multi-zstd:1" "$BATS_TEST_TMPDIR/bz"
	list_tree "$BATS_TEST_TMPDIR/bz/rootfs" >"$BATS_TEST_TMPDIR/zstd.list"
	diff -u "$BATS_TEST_TMPDIR/umoci.list" "$BATS_TEST_TMPDIR/zstd.list"
}

@test "images: run --image pulls and runs; the process sees the image's files, env, cwd and user" {
	run "$HULL_BIN" --root "$HULL_ROOT" run --image "$REG/hull-test/app:1" --store "$STORE" "$CID" </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"uid=65534"* ]]
	[[ "$output" == *"gid=65534"* ]]
	[[ "$output" == *"cwd=/work"* ]]
	[[ "$output" == *"FOO=from-image"* ]]
	[[ "$output" == *"from-the-image"* ]]
	# deleted after a foreground run: no mount, no root in the store
	[ ! -e "$(store_ctr "$CID")" ]
	run "$HULL_BIN" images --store "$STORE" -q
	[ "$output" = "$REG/hull-test/app:1" ]
}

@test "images: bundle's config.json carries Entrypoint, Cmd, Env, WorkingDir, User, ports, labels, stop signal" {
	run "$HULL_BIN" bundle --store "$STORE" "$REG/hull-test/app:1" "$BATS_TEST_TMPDIR/b"
	[ "$status" -eq 0 ]
	local c="$BATS_TEST_TMPDIR/b/config.json"
	[ "$(jq -c .process.args "$c")" = '["/bin/sh","-c","checker ids; checker cwd; checker env FOO; cat /etc/imagefile"]' ]
	[ "$(jq -c .process.env "$c")" = '["FOO=from-image","PATH=/bin:/usr/bin"]' ]
	[ "$(jq -r .process.cwd "$c")" = /work ]
	[ "$(jq -c .process.user "$c")" = '{"uid":65534,"gid":65534}' ]
	[ "$(jq -r '.annotations["org.example.test"]' "$c")" = yes ]
	[ "$(jq -r '.annotations["org.opencontainers.image.exposedPorts"]' "$c")" = 8080/tcp ]
	[ "$(jq -r '.annotations["org.opencontainers.image.stopSignal"]' "$c")" = SIGUSR1 ]
	# and a plain `hull run -b` of it works
	BUNDLE="$BATS_TEST_TMPDIR/b"
	update_config '.linux.cgroupsPath = "'"$TEST_CGROUP_PARENT/$CID"'"'
	run "$HULL_BIN" --root "$HULL_ROOT" run -b "$BUNDLE" "$CID" </dev/null
	[ "$status" -eq 0 ]
	[[ "$output" == *"uid=65534"*"cwd=/work"*"FOO=from-image"*"from-the-image"* ]]
	unset BUNDLE
}

@test "images: a bundle's mounts, process security and linux objects are hull spec's defaults" {
	run "$HULL_BIN" bundle --store "$STORE" "$REG/hull-test/bb:1" "$BATS_TEST_TMPDIR/b"
	[ "$status" -eq 0 ]
	mkdir "$BATS_TEST_TMPDIR/s"
	"$HULL_BIN" spec -b "$BATS_TEST_TMPDIR/s"
	local f
	for f in .mounts .linux .process.capabilities .process.rlimits .process.noNewPrivileges; do
		[ "$(jq -S -c "$f" "$BATS_TEST_TMPDIR/b/config.json")" = "$(jq -S -c "$f" "$BATS_TEST_TMPDIR/s/config.json")" ]
	done
	[ "$(jq -c '[.mounts[].destination]' "$BATS_TEST_TMPDIR/b/config.json")" = \
	  '["/proc","/dev","/dev/pts","/dev/shm","/dev/mqueue","/sys","/sys/fs/cgroup"]' ]
}

@test "images: containers from one image share its layers: nothing is copied per container" {
	local i
	for i in 1 2 3; do
		hull_detached run -d --image "$REG/hull-test/multi:1" --store "$STORE" "$CID-$i"
		[ "$status" -eq 0 ]
	done
	for i in 1 2 3; do
		grep -q " $(store_ctr "$CID-$i")/rootfs .* overlay " /proc/self/mountinfo
		# the upper dir holds only what the container wrote (nothing yet)
		[ -z "$(ls -A "$(store_ctr "$CID-$i")/upper")" ]
	done
	[ "$(ls "$STORE/layers" | wc -l)" = 3 ]
	# on ext4 containers/ is a top of directory hierarchies (chattr +T),
	# so each shard's inodes (containers/shard-X/...) go to a group of
	# their own
	if [ "$(stat -f -c %T "$STORE")" = ext2/ext3 ]; then
		[[ "$(lsattr -d "$STORE/containers" | cut -d' ' -f1)" == *T* ]]
	fi
	# gc keeps what running containers use, even with the image removed
	run "$HULL_BIN" rmi --store "$STORE" "$REG/hull-test/multi:1"
	[ "$status" -eq 0 ]
	[ "$(ls "$STORE/layers" | wc -l)" = 3 ]
	for i in 1 2 3; do
		"$HULL_BIN" --root "$HULL_ROOT" delete --force "$CID-$i"
	done
	run "$HULL_BIN" gc --store "$STORE"
	[ "$status" -eq 0 ]
	[ -z "$(ls "$STORE/layers")" ]
	[ -z "$(ls "$STORE/blobs/sha256")" ]
}

@test "images: run --image finds an image by name, id prefix and digest, and follows a name to the image it names now" {
	push "$LAYOUT" bb "$REG/hull-test/moved:1"
	run ipull "$REG/hull-test/moved:1"
	[ "$status" -eq 0 ]
	local id what
	id=$("$HULL_BIN" image inspect --store "$STORE" "$REG/hull-test/moved:1" | jq -r .id)
	[[ "$id" == sha256:* ]]
	for what in "$REG/hull-test/moved:1" "${id:7:12}" "$id"; do
		run "$HULL_BIN" --root "$HULL_ROOT" run --image "$what" --store "$STORE" "$CID" </dev/null
		[ "$status" -eq 0 ]
		[[ "$output" == *"uid=0"* ]]
		[[ "$output" != *"from-the-image"* ]]
	done
	# the tag moves to another image: after rmi and a new pull the name
	# runs that one, not what was stored for it before
	push "$LAYOUT" app "$REG/hull-test/moved:1"
	run "$HULL_BIN" rmi --store "$STORE" "$REG/hull-test/moved:1"
	[ "$status" -eq 0 ]
	run ipull "$REG/hull-test/moved:1"
	[ "$status" -eq 0 ]
	[ "$("$HULL_BIN" image inspect --store "$STORE" "$REG/hull-test/moved:1" | jq -r .id)" != "$id" ]
	run "$HULL_BIN" --root "$HULL_ROOT" run --image "$REG/hull-test/moved:1" --store "$STORE" "$CID" </dev/null
	[ "$status" -eq 0 ]
	[[ "$output" == *"uid=65534"*"from-the-image"* ]]
	# and a pull over a name that is still stored replaces its record too
	push "$LAYOUT" bb "$REG/hull-test/moved:1"
	run ipull "$REG/hull-test/moved:1"
	[ "$status" -eq 0 ]
	run "$HULL_BIN" --root "$HULL_ROOT" run --image "$REG/hull-test/moved:1" --store "$STORE" "$CID" </dev/null
	[ "$status" -eq 0 ]
	[[ "$output" == *"uid=0"* ]]
	[[ "$output" != *"from-the-image"* ]]
}

# config_cache NAME [BUILD]: the store's cached container config for image
# NAME made by build BUILD, Hull's by default
# (configs/<sha256 of the name>-<build id>, images/store.c)
config_cache() {
	local build=${2:-$(readelf -n "$HULL_BIN" | awk '/Build ID/ { print $3 }')}
	echo "$STORE/configs/$(printf '%s' "$1" | sha256sum | cut -d' ' -f1)-$build"
}

@test "images: run --image starts from the store's cached config: used when this build made it for the image's config, else remade or refused" {
	local name="$REG/hull-test/bb:1" c cfg id other
	run ipull "$name"
	[ "$status" -eq 0 ]
	c=$(config_cache "$name")
	[ ! -e "$c" ]
	run "$HULL_BIN" --root "$HULL_ROOT" run --image "$name" --store "$STORE" "$CID" </dev/null
	[ "$status" -eq 0 ]
	[[ "$output" == *"uid=0"* ]]
	# the first container wrote it: this build's id, the image's config
	cfg=$("$HULL_BIN" image inspect --store "$STORE" "$name" | jq -r .id)
	head -1 "$c" | grep -Eq "^hull-config [0-9a-f]{40} $cfg [0-9a-f]+\.[0-9a-f]+\.[0-9a-f]+\$"
	tail -n +2 "$c" | jq -e '.process.args == ["/bin/checker", "ids"]'
	# it is what the next container starts from
	{ head -1 "$c"; tail -n +2 "$c" | jq '.process.args = ["/bin/checker", "env", "CACHED"] | .process.env += ["CACHED=from-the-cache"]'; } >"$c.new"
	mv "$c.new" "$c"
	run "$HULL_BIN" --root "$HULL_ROOT" run --image "$name" --store "$STORE" "$CID" </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"CACHED=from-the-cache"* ]]
	# another build's is its own file, which this build neither reads
	# nor replaces
	other=$(config_cache "$name" 0000000000000000000000000000000000000000)
	sed '1s/^hull-config [0-9a-f]*/hull-config 0000000000000000000000000000000000000000/' "$c" >"$other"
	rm "$c"
	run "$HULL_BIN" --root "$HULL_ROOT" run --image "$name" --store "$STORE" "$CID" </dev/null
	[ "$status" -eq 0 ]
	[[ "$output" == *"uid=0"* ]]
	[[ "$output" != *"CACHED"* ]]
	head -1 "$c" | grep -Eq "^hull-config [0-9a-f]{40} $cfg [0-9a-f]+\.[0-9a-f]+\.[0-9a-f]+\$"
	[[ "$(head -1 "$other")" == "hull-config 0000000000"* ]]
	# one that names another build inside is not read, and is made again
	tail -n +2 "$other" | jq -e '.process.env | index("CACHED=from-the-cache")'
	cp "$other" "$c"
	run "$HULL_BIN" --root "$HULL_ROOT" run --image "$name" --store "$STORE" "$CID" </dev/null
	[ "$status" -eq 0 ]
	[[ "$output" == *"uid=0"* ]]
	[[ "$output" != *"CACHED"* ]]
	head -1 "$c" | grep -Eq "^hull-config [0-9a-f]{40} $cfg [0-9a-f]+\.[0-9a-f]+\.[0-9a-f]+\$"
	[[ "$(head -1 "$c")" != "hull-config 0000000000"* ]]
	# gc removes other builds' entries, not this build's
	run "$HULL_BIN" gc --store "$STORE"
	[ "$status" -eq 0 ]
	[ ! -e "$other" ]
	[ -e "$c" ]
	# one made from another config than the image's record names (a
	# store changed behind Hull's back): the create it started is undone,
	# the entry dropped, and the next run is right again
	sed -i "1s/sha256:[0-9a-f]*/sha256:$(printf '%064d' 0)/" "$c"
	run "$HULL_BIN" --root "$HULL_ROOT" run --image "$name" --store "$STORE" "$CID" </dev/null
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"cached config was made from sha256:0000"*"run again"* ]]
	[ ! -e "$c" ]
	[ ! -e "$(store_ctr "$CID")" ]
	[ ! -e "$HULL_ROOT/$CID" ]
	run "$HULL_BIN" --root "$HULL_ROOT" run --image "$name" --store "$STORE" "$CID" </dev/null
	[ "$status" -eq 0 ]
	[[ "$output" == *"uid=0"* ]]
	# rmi drops it with the image's record, every build's
	[ -e "$c" ]
	cp "$c" "$other"
	run "$HULL_BIN" rmi --store "$STORE" "$name"
	[ "$status" -eq 0 ]
	[ ! -e "$c" ]
	[ ! -e "$other" ]
}

@test "images: a container of the older store layout (bare marker, image/record) is still deleted, and gc keeps its layers until then" {
	hull_detached run -d --image "$REG/hull-test/bb:1" --store "$STORE" "$CID"
	[ "$status" -eq 0 ]
	local c="$(store_ctr "$CID")" s
	# the marker holds the store and the image's record
	s=$(jq -r .store "$c/.hull-image-container")
	[ "$s/${c#"$STORE/"}" = "$c" ] && [ -d "$c" ]
	[ "$(jq -r '.layers | length' "$c/.hull-image-container")" = 1 ]
	# rewritten as the older layout had it
	mkdir "$c/image"
	jq 'del(.store)' "$c/.hull-image-container" >"$c/image/record"
	printf '%s' "$s" >"$c/.hull-image-container"
	run "$HULL_BIN" rmi --store "$STORE" "$REG/hull-test/bb:1"
	[ "$status" -eq 0 ]
	run "$HULL_BIN" gc --store "$STORE"
	[ "$status" -eq 0 ]
	[ "$(ls "$STORE/layers" | wc -l)" = 1 ]
	# a store from before the shards: containers/ID at the top
	mkdir -p "$STORE/containers/old-$CID/image"
	cp "$c/.hull-image-container" "$STORE/containers/old-$CID/"
	cp "$c/image/record" "$STORE/containers/old-$CID/image/"
	"$HULL_BIN" --root "$HULL_ROOT" delete --force "$CID"
	[ ! -e "$c" ]
	run "$HULL_BIN" gc --store "$STORE"
	[ "$status" -eq 0 ]
	[ "$(ls "$STORE/layers" | wc -l)" = 1 ]
	rm -r "$STORE/containers/old-$CID"
	run "$HULL_BIN" gc --store "$STORE"
	[ "$status" -eq 0 ]
	[ -z "$(ls "$STORE/layers")" ]
}

@test "images: a container of the older layout named like a shard is never used as one" {
	local h sh
	h=$(fnv1a64 "$CID")
	sh="$STORE/containers/shard-${h: -1}"
	mkdir -p "$sh"
	printf '%s' "$STORE" >"$sh/.hull-image-container"
	run "$HULL_BIN" --root "$HULL_ROOT" run -d --image "$REG/hull-test/bb:1" --store "$STORE" "$CID" </dev/null
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"$sh is a container of an older layout"* ]]
	[ "$(ls -A "$sh")" = .hull-image-container ]
	[ ! -e "$HULL_ROOT/$CID" ]
}

# spare_run ID IMAGE: run -d --image with HULL_TIMING into t-ID;
# has_point / lacks_point ID POINT: whether that run passed the point.
spare_run() {
	HULL_TIMING="$BATS_TEST_TMPDIR/t-$1" hull_detached run -d --image "$2" --store "$STORE" "$1"
}
has_point() {
	grep -q "^$2 " "$BATS_TEST_TMPDIR/t-$1"
}
lacks_point() {
	if grep -q "^$2" "$BATS_TEST_TMPDIR/t-$1"; then
		echo "run $1 passed $2" >&2
		return 1
	fi
}

@test "images: a run leaves a spare root that the next run takes whole; gc keeps it, rmi removes it" {
	local name="$REG/hull-test/bb:1" sp ino d
	run ipull "$name"
	[ "$status" -eq 0 ]
	hull_detached run -d --image "$name" --store "$STORE" "$CID-1"
	[ "$status" -eq 0 ]
	# made after the run, with the store locked: one spare, an overlay
	flock "$STORE/lock" true
	sp=$(ls "$STORE/spares")
	[ "$(echo "$sp" | wc -w)" = 1 ]
	# named by the image's config and this build (its config.json is this
	# build's text)
	[ "sha256:$sp" = "$("$HULL_BIN" image inspect --store "$STORE" "$name" | jq -r .id)-$(readelf -n "$HULL_BIN" | awk '/Build ID/ { print $3 }')" ]
	grep -q " $STORE/spares/$sp/rootfs .* overlay " /proc/self/mountinfo
	ino=$(stat -c %i "$STORE/spares/$sp/upper")
	# a name some other root holds already is refused, and the spare stays
	d=$(store_ctr "$CID-x")
	mkdir -p "$d"
	run "$HULL_BIN" --root "$HULL_ROOT" run --image "$name" --store "$STORE" "$CID-x" </dev/null
	[ "$status" -ne 0 ]
	[[ "$output" == *"container \"$CID-x\" already has a root in the image store"* ]]
	[ -z "$(ls -A "$d")" ]
	rmdir "$d"
	[ "$(stat -c %i "$STORE/spares/$sp/upper")" = "$ino" ]
	# the next run takes it: no fill, its root is the spare's, renamed,
	# and without the store's lock (its cached config was made with the
	# record file the store has now)
	spare_run "$CID-2" "$name"
	[ "$status" -eq 0 ]
	has_point "$CID-2" image-spare-taken
	has_point "$CID-2" image-unlocked
	lacks_point "$CID-2" image-store-open
	lacks_point "$CID-2" image-fill
	[ "$(stat -c %i "$(store_ctr "$CID-2")/upper")" = "$ino" ]
	grep -q " $(store_ctr "$CID-2")/rootfs .* overlay " /proc/self/mountinfo
	cmp "$(store_ctr "$CID-1")/config.json" "$(store_ctr "$CID-2")/config.json"
	# the container's bundle is that directory, and its program ran there
	# (bb's checker prints its ids)
	[ "$("$HULL_BIN" --root "$HULL_ROOT" state "$CID-2" | jq -r .bundle)" = "$(store_ctr "$CID-2")" ]
	grep -q "uid=0" "$BATS_TEST_TMPDIR/ctr.out"
	# ...and a new spare was made after it
	flock "$STORE/lock" true
	[ -d "$STORE/spares/$sp" ]
	[ "$(stat -c %i "$STORE/spares/$sp/upper")" != "$ino" ]
	# a record file rewritten since the entry was made (any pull does
	# that; a change of ctime stands for it): the run takes the locked
	# way, reads the record, takes the spare, and stamps the entry anew,
	# so the run after it is unlocked again
	touch "$STORE/images/$(printf '%s' "$name" | sha256sum | cut -d' ' -f1)"
	spare_run "$CID-3" "$name"
	[ "$status" -eq 0 ]
	has_point "$CID-3" image-store-open
	has_point "$CID-3" image-spare-taken
	lacks_point "$CID-3" image-unlocked
	flock "$STORE/lock" true
	spare_run "$CID-4" "$name"
	[ "$status" -eq 0 ]
	has_point "$CID-4" image-unlocked
	flock "$STORE/lock" true
	# a spare whose overlay is gone (after a reboot its directory is
	# there, its rootfs empty) is not taken: the run makes its own root
	# and runs, and the spare is made again, mounted
	umount "$STORE/spares/$sp/rootfs"
	spare_run "$CID-5" "$name"
	[ "$status" -eq 0 ]
	has_point "$CID-5" image-fill-started
	lacks_point "$CID-5" image-spare-taken
	for _ in $(seq 50); do
		grep -q "uid=0" "$BATS_TEST_TMPDIR/ctr.out" && break
		sleep 0.1
	done
	grep -q "uid=0" "$BATS_TEST_TMPDIR/ctr.out"
	flock "$STORE/lock" true
	grep -q " $STORE/spares/$sp/rootfs .* overlay " /proc/self/mountinfo
	# ...and gc removes one, leaving nothing under another name
	umount "$STORE/spares/$sp/rootfs"
	run "$HULL_BIN" gc --store "$STORE"
	[ "$status" -eq 0 ]
	[ -z "$(ls -A "$STORE/spares")" ]
	spare_run "$CID-6" "$name"
	[ "$status" -eq 0 ]
	has_point "$CID-6" image-fill-started
	flock "$STORE/lock" true
	[ -d "$STORE/spares/$sp" ]
	# gc keeps the spare of an image in the store, and removes a half-made
	# one and another build's
	mkdir "$STORE/spares/.new-999999" "$STORE/spares/${sp%-*}-0123abcd"
	run "$HULL_BIN" gc --store "$STORE"
	[ "$status" -eq 0 ]
	[ -d "$STORE/spares/$sp" ]
	[ ! -e "$STORE/spares/.new-999999" ]
	[ ! -e "$STORE/spares/${sp%-*}-0123abcd" ]
	# rmi: the spare goes with its image; deleting the containers leaves
	# no mount of the store
	run "$HULL_BIN" rmi --store "$STORE" "$name"
	[ "$status" -eq 0 ]
	[ -z "$(ls -A "$STORE/spares")" ]
	for i in 1 2 3 4 5 6; do
		"$HULL_BIN" --root "$HULL_ROOT" delete --force "$CID-$i"
	done
	run grep -c " $STORE/" /proc/self/mountinfo
	[ "$output" = 0 ]
}

@test "images: a failed create leaves no root in the store" {
	run "$HULL_BIN" --root "$HULL_ROOT" run --image "$REG/hull-test/bb:1" --store "$STORE" --preserve-fds 200 "$CID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"--preserve-fds"* ]]
	[ ! -e "$(store_ctr "$CID")" ]
	run grep -c " $STORE/" /proc/self/mountinfo
	[ "$output" = 0 ]
}

@test "images: a root that cannot be made (a layer gone from the store) undoes the create that started beside it" {
	local name="$REG/hull-test/bb:1" diff
	run ipull "$name"
	[ "$status" -eq 0 ]
	# twice: without the config cache (the record is read first) and with
	# it (the record is read beside the create)
	run "$HULL_BIN" --root "$HULL_ROOT" run --image "$name" --store "$STORE" "$CID" </dev/null
	[ "$status" -eq 0 ]
	[ -e "$(config_cache "$name")" ]
	# the spare root that run left is a root already made: without it the
	# next run has to make one
	drop_spares
	diff=$("$HULL_BIN" image inspect --store "$STORE" "$name" | jq -r '.layers[0].diffId')
	[[ "$diff" == sha256:* ]]
	mv "$STORE/layers/${diff#sha256:}" "$STORE/layers.away"
	run "$HULL_BIN" --root "$HULL_ROOT" run --image "$name" --store "$STORE" "$CID" </dev/null
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"layer $diff"*"pull the image again"* ]]
	[ ! -e "$(store_ctr "$CID")" ]
	[ ! -e "$HULL_ROOT/$CID" ]
	rm -f "$(config_cache "$name")"
	run "$HULL_BIN" --root "$HULL_ROOT" run --image "$name" --store "$STORE" "$CID" </dev/null
	[ "$status" -ne 0 ]
	[[ "$output" == *"layer $diff"*"pull the image again"* ]]
	[ ! -e "$(store_ctr "$CID")" ]
	[ ! -e "$HULL_ROOT/$CID" ]
	mv "$STORE/layers.away" "$STORE/layers/${diff#sha256:}"
}

@test "images: an id whose root is already in the store is refused, and that root is left alone" {
	local name="$REG/hull-test/bb:1" d
	run ipull "$name"
	[ "$status" -eq 0 ]
	d=$(store_ctr "$CID")
	mkdir -p "$d"
	echo theirs >"$d/keep"
	run "$HULL_BIN" --root "$HULL_ROOT" run --image "$name" --store "$STORE" "$CID" </dev/null
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"container \"$CID\" already has a root in the image store"* ]]
	[ "$(cat "$d/keep")" = theirs ]
	[ ! -e "$HULL_ROOT/$CID" ]
	rm -rf "$d"
}

@test "images: run --image with the id of a plain bundle's container fails, and leaves no root in the store" {
	local name="$REG/hull-test/bb:1" st
	run ipull "$name"
	[ "$status" -eq 0 ]
	setup_bundle
	STORE="$BATS_TEST_TMPDIR/store"
	update_config '.process.args = ["/bin/checker", "spin", "300"]'
	hull_detached create --bundle "$BUNDLE" "$CID"
	[ "$status" -eq 0 ]
	# with the config cache (which another container's run made) and without
	run "$HULL_BIN" --root "$HULL_ROOT" run --image "$name" --store "$STORE" "$CID-warm" </dev/null
	[ "$status" -eq 0 ]
	[ -e "$(config_cache "$name")" ]
	for st in cached uncached; do
		[ "$st" = cached ] || rm -f "$(config_cache "$name")"
		run "$HULL_BIN" --root "$HULL_ROOT" run --image "$name" --store "$STORE" "$CID" </dev/null
		echo "$output"
		[ "$status" -ne 0 ]
		[[ "$output" == *"$CID"* ]]
		[ ! -e "$(store_ctr "$CID")" ]
		[ "$("$HULL_BIN" --root "$HULL_ROOT" state "$CID" | jq -r .bundle)" = "$BUNDLE" ]
	done
	run "$HULL_BIN" --root "$HULL_ROOT" delete --force "$CID"
	[ "$status" -eq 0 ]
}

@test "images: a multi-platform index: the host's platform, --platform arm64 (v8 implied), and a missing one" {
	run ipull "$REG/hull-test/mp:1"
	[ "$status" -eq 0 ]
	"$HULL_BIN" bundle --store "$STORE" "$REG/hull-test/mp:1" "$BATS_TEST_TMPDIR/amd"
	[ "$(cat "$BATS_TEST_TMPDIR/amd/rootfs/etc/arch")" = amd64 ]
	run ipull --platform linux/arm64 "$REG/hull-test/mp:1"
	[ "$status" -eq 0 ]
	run "$HULL_BIN" image inspect --store "$STORE" "$REG/hull-test/mp:1"
	[ "$(echo "$output" | jq -r .platform)" = linux/arm64/v8 ]
	run ipull --platform linux/s390x "$REG/hull-test/mp:1"
	[ "$status" -ne 0 ]
	[[ "$output" == *"no image for platform linux/s390x"*"linux/amd64"*"linux/arm64/v8"* ]]
	run ipull --platform linux "$REG/hull-test/mp:1"
	[ "$status" -ne 0 ]
	[[ "$output" == *"--platform \"linux\": expected os/arch"* ]]
}

@test "images: htpasswd registry: no credentials, wrong ones, and auth.json" {
	htpasswd -Bbn hulluser s3cret >"$BATS_TEST_TMPDIR/htpasswd"
	REG_TMP="$BATS_TEST_TMPDIR" start_registry auth htpasswd "$BATS_TEST_TMPDIR/htpasswd"
	local areg="127.0.0.1:$REG_auth_PORT"
	push "$LAYOUT" bb "$areg/hull-test/bb:1" --dest-creds hulluser:s3cret
	run env HOME="$BATS_TEST_TMPDIR" REGISTRY_AUTH_FILE=/nonexistent "$HULL_BIN" pull --store "$STORE" "$areg/hull-test/bb:1"
	[ "$status" -ne 0 ]
	[[ "$output" == *"needs credentials"* ]]
	printf '{"auths":{"%s":{"auth":"%s"}}}' "$areg" "$(printf hulluser:wrong | base64)" >"$BATS_TEST_TMPDIR/bad.json"
	run env REGISTRY_AUTH_FILE="$BATS_TEST_TMPDIR/bad.json" "$HULL_BIN" pull --store "$STORE" "$areg/hull-test/bb:1"
	[ "$status" -ne 0 ]
	[[ "$output" == *"401 unauthorized"*"refused the credentials"* ]]
	printf '{"auths":{"%s":{"auth":"%s"}}}' "$areg" "$(printf hulluser:s3cret | base64)" >"$BATS_TEST_TMPDIR/auth.json"
	run env REGISTRY_AUTH_FILE="$BATS_TEST_TMPDIR/auth.json" "$HULL_BIN" pull --store "$STORE" "$areg/hull-test/bb:1"
	[ "$status" -eq 0 ]
	# ~/.docker/config.json works too
	mkdir -p "$BATS_TEST_TMPDIR/home/.docker"
	cp "$BATS_TEST_TMPDIR/auth.json" "$BATS_TEST_TMPDIR/home/.docker/config.json"
	rm -rf "$STORE"
	run env HOME="$BATS_TEST_TMPDIR/home" REGISTRY_AUTH_FILE= "$HULL_BIN" pull --store "$STORE" "$areg/hull-test/bb:1"
	[ "$status" -eq 0 ]
}

@test "images: clear errors for 404, 403, 429, a registry that is down, a bad reference" {
	run ipull "$REG/hull-test/nosuch:1"
	[ "$status" -ne 0 ]
	[[ "$output" == *"404 not found"*"MANIFEST_UNKNOWN"* || "$output" == *"404 not found"*"NAME_UNKNOWN"* ]]
	local code port
	for code in 403 429; do
		python3 "$IMG_DIR/fakereg.py" "$BATS_TEST_TMPDIR/port$code" "$code" &
		echo $! >>"$BATS_TEST_TMPDIR/pids"
		for i in $(seq 50); do [ -s "$BATS_TEST_TMPDIR/port$code" ] && break; sleep 0.1; done
		port=$(cat "$BATS_TEST_TMPDIR/port$code")
		run ipull "127.0.0.1:$port/x/y:1"
		[ "$status" -ne 0 ]
		[[ "$output" == *"$code"* ]]
	done
	[[ "$output" == *"429 too many requests"*"try later"* ]]
	port=$(free_port)
	run ipull "127.0.0.1:$port/x/y:1"
	[ "$status" -ne 0 ]
	[[ "$output" == *"unreachable"* ]]
	run ipull "$REG/Hull-Test/UPPER:1"
	[ "$status" -ne 0 ]
	[[ "$output" == *"invalid repository"* ]]
	[ -z "$(ls "$STORE/images" 2>/dev/null)" ]
}

@test "images: a blob whose bytes do not match its digest stores nothing" {
	REG_TMP="$BATS_TEST_TMPDIR" start_registry tamper
	local treg="127.0.0.1:$REG_tamper_PORT"
	push "$LAYOUT" bb "$treg/hull-test/bb:1"
	# corrupt the layer blob in the registry's own storage
	local layer f
	layer=$(jq -r '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"]=="bb") | .digest' "$LAYOUT/index.json")
	layer=$(jq -r '.layers[0].digest' "$LAYOUT/blobs/sha256/${layer#sha256:}")
	f=$(find "$BATS_TEST_TMPDIR/reg-tamper/data" -path "*/blobs/sha256/*/${layer#sha256:}/data")
	[ -f "$f" ]
	printf 'X' | dd of="$f" bs=1 seek=1000 conv=notrunc status=none
	run ipull "$treg/hull-test/bb:1"
	[ "$status" -ne 0 ]
	[[ "$output" == *"digest mismatch"*"nothing was stored"* ]]
	[ ! -e "$STORE/blobs/sha256/${layer#sha256:}" ]
	[ ! -e "$STORE/blobs/partial/${layer#sha256:}" ]
	[ -z "$(ls "$STORE/layers")" ]
	[ -z "$(ls "$STORE/images")" ]
}

@test "images: an interrupted pull resumes: it downloads only the missing bytes" {
	local layer size half
	layer=$(jq -r '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"]=="bb") | .digest' "$LAYOUT/index.json")
	layer=$(jq -r '.layers[0].digest' "$LAYOUT/blobs/sha256/${layer#sha256:}")
	size=$(stat -c %s "$LAYOUT/blobs/sha256/${layer#sha256:}")
	half=$((size / 2))
	# what an interrupted pull leaves: the first half in blobs/partial
	mkdir -p "$STORE/blobs/partial"
	head -c "$half" "$LAYOUT/blobs/sha256/${layer#sha256:}" >"$STORE/blobs/partial/${layer#sha256:}"
	: >"$REG_plain_LOG.mark"
	local before
	before=$(wc -l <"$REG_plain_LOG")
	run ipull "$REG/hull-test/bb:1"
	[ "$status" -eq 0 ]
	[[ "$output" == *"resuming at $half bytes"* ]]
	[[ "$output" == *"verified ($((size - half)) bytes fetched)"* ]]
	# the registry's access log: bytes it sent for that blob in this pull
	local sent
	sent=$(tail -n +"$((before + 1))" "$REG_plain_LOG" | grep "GET /v2/hull-test/bb/blobs/$layer" |
		sed -n 's/.*" \(20[06]\) \([0-9]*\) .*/\2/p' | awk '{s+=$1} END {print s+0}')
	echo "size=$size half=$half sent=$sent"
	[ "$sent" -gt 0 ]
	[ "$sent" -le $((size - half)) ]
	[ -f "$STORE/blobs/sha256/${layer#sha256:}" ]
}

@test "images: malicious layers: each fails with a clear error, nothing is written outside the root" {
	local name want
	while read -r name want; do
		run ipull "$REG/hull-test/evil-$name:1"
		echo "$name: $output"
		[ "$status" -ne 0 ]
		[[ "$output" == *"$want"* ]]
		# no partial layer and no image left behind
		[ -z "$(ls -A "$STORE/layers")" ]
		[ -z "$(ls "$STORE/images")" ]
	done <<-'EOF'
	dotdot ".." component would escape
	absolute absolute names are refused
	symlink-dir esc/through-symlink
	symlink-dotdot esc/through-dotdot
	dot-symlink the layer root would be replaced
	hardlink-abs absolute names are refused
	hardlink-dotdot ".." component would escape
	hardlink-symlink target not in this layer
	truncated truncated or corrupt
	bomb decompression bomb
	whiteout-dotdot invalid whiteout
	EOF
	[ -z "$(ls -A "$OUTSIDE")" ]
	[ ! -e /etc/passwd.hull ]
}

@test "images: device nodes are skipped and counted, trusted.* xattrs (forged overlay metadata) are not applied" {
	run ipull "$REG/hull-test/evil-device:1"
	[ "$status" -eq 0 ]
	[[ "$output" == *"skipped 2 device nodes"* ]]
	[ -z "$(find "$STORE/layers" -type b -o -type c)" ]
	run ipull "$REG/hull-test/evil-overlay-xattr:1"
	[ "$status" -eq 0 ]
	[[ "$output" == *"skipped 2 xattrs"* ]]
	run python3 -c 'import os, sys; print(",".join(os.listxattr(sys.argv[1])))' "$STORE"/layers/*/d
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "images: bearer tokens: a token per repository scope from the registry's token service" {
	python3 -c 'import cryptography' 2>/dev/null || skip "needs python3-cryptography for the token service"
	local t="$BATS_TEST_TMPDIR"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$t/key.pem" -out "$t/cert.pem" -days 1 \
		-subj /CN=hull-test-token 2>/dev/null
	python3 "$IMG_DIR/tokenserver.py" "$t/tport" "$t/cert.pem" "$t/key.pem" tokuser:tokpass "$t/scopes" &
	echo $! >>"$t/pids"
	for i in $(seq 50); do [ -s "$t/tport" ] && break; sleep 0.1; done
	REG_TMP="$t" start_registry tok token "http://127.0.0.1:$(cat "$t/tport")/token" "$t/cert.pem"
	local treg="127.0.0.1:$REG_tok_PORT"
	push "$LAYOUT" bb "$treg/hull-test/bb:1" --dest-creds tokuser:tokpass
	: >"$t/scopes"
	run env REGISTRY_AUTH_FILE=/nonexistent HOME="$t" "$HULL_BIN" pull --store "$STORE" "$treg/hull-test/bb:1"
	[ "$status" -ne 0 ]
	[[ "$output" == *"getting a token: 401"* ]]
	printf '{"auths":{"%s":{"auth":"%s"}}}' "$treg" "$(printf tokuser:tokpass | base64)" >"$t/auth.json"
	run env REGISTRY_AUTH_FILE="$t/auth.json" "$HULL_BIN" pull --store "$STORE" "$treg/hull-test/bb:1"
	echo "$output"
	[ "$status" -eq 0 ]
	grep -qx "repository:hull-test/bb:pull" "$t/scopes"
	run "$HULL_BIN" images --store "$STORE" -q
	[ "$output" = "$treg/hull-test/bb:1" ]
}

@test "images: bearer tokens: an insufficient_scope answer gets a token for the scope the registry names, once" {
	python3 -c 'import cryptography' 2>/dev/null || skip "needs python3-cryptography for the token service"
	local t="$BATS_TEST_TMPDIR"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$t/key.pem" -out "$t/cert.pem" -days 1 \
		-subj /CN=hull-test-token 2>/dev/null
	# the token service grants nothing while $t/stingy counts down
	python3 "$IMG_DIR/tokenserver.py" "$t/tport" "$t/cert.pem" "$t/key.pem" tokuser:tokpass "$t/scopes" "$t/stingy" &
	echo $! >>"$t/pids"
	for i in $(seq 50); do [ -s "$t/tport" ] && break; sleep 0.1; done
	REG_TMP="$t" start_registry tok token "http://127.0.0.1:$(cat "$t/tport")/token" "$t/cert.pem"
	local treg="127.0.0.1:$REG_tok_PORT"
	push "$LAYOUT" bb "$treg/hull-test/bb:1" --dest-creds tokuser:tokpass
	printf '{"auths":{"%s":{"auth":"%s"}}}' "$treg" "$(printf tokuser:tokpass | base64)" >"$t/auth.json"
	# the first token (asked for at the /v2/ challenge) grants nothing: the
	# registry answers insufficient_scope and Hull asks again for the scope
	# the challenge names
	echo 1 >"$t/stingy"
	: >"$t/scopes"
	run env REGISTRY_AUTH_FILE="$t/auth.json" "$HULL_BIN" pull --store "$STORE" "$treg/hull-test/bb:1"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(cat "$t/stingy")" = 0 ]
	[ "$(grep -cx "repository:hull-test/bb:pull" "$t/scopes")" = 2 ]
	run "$HULL_BIN" images --store "$STORE" -q
	[ "$output" = "$treg/hull-test/bb:1" ]
	# a registry that keeps refusing: one retry, then a clear error, no loop
	echo 5 >"$t/stingy"
	: >"$t/scopes"
	run env REGISTRY_AUTH_FILE="$t/auth.json" "$HULL_BIN" pull --store "$STORE/2" "$treg/hull-test/bb:1"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"manifest $treg/hull-test/bb:1: 401 unauthorized"* ]]
	[ "$(wc -l <"$t/scopes")" = 2 ]
	[ -z "$(ls "$STORE/2/images")" ]
}

@test "images: progress: per-layer bars with sizes on a terminal, one line per event otherwise, nothing with --quiet" {
	command -v script >/dev/null || skip "needs script(1) (util-linux) for a terminal"
	local t="$BATS_TEST_TMPDIR" m n d sz
	m=$(jq -r '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"]=="multi") | .digest' "$LAYOUT/index.json")
	m="$LAYOUT/blobs/sha256/${m#sha256:}"
	n=$(jq '.layers | length' "$m")
	[ "$n" -ge 2 ]
	# a terminal: script(1) runs hull on a pty
	script -qec "$HULL_BIN pull --store $STORE/tty $REG/hull-test/multi:1" /dev/null >"$t/tty.out"
	cat -v "$t/tty.out"
	# bars are redrawn in place (cursor up), and their last state shows
	# each layer with its size, fully fetched and unpacked
	grep -q $'\033\\['"$n"'A' "$t/tty.out"
	for i in $(seq 0 $((n - 1))); do
		d=$(jq -r ".layers[$i].digest" "$m")
		sz=$(jq -r ".layers[$i].size" "$m")
		sz=$(python3 -c 'import sys; b = int(sys.argv[1]); print("%.1f MiB" % (b / 2**20) if b >= 2**20 else "%.1f KiB" % (b / 1024) if b >= 1024 else "%d B" % b)' "$sz")
		grep -a "${d:7:14} \[=*\] *$sz / $sz *unpacked" "$t/tty.out"
	done
	run grep -c "^layer " "$t/tty.out"
	[ "$output" = 0 ]
	# no terminal: one line per event, 3 per layer (downloading, verified,
	# unpacked) between "Resolved" and "Pulled", then the image id on stdout
	"$HULL_BIN" pull --store "$STORE/plain" "$REG/hull-test/multi:1" 2>"$t/err" >"$t/out"
	cat "$t/err"
	[ "$(wc -l <"$t/err")" = $((3 * n + 2)) ]
	[ "$(grep -c "^layer [0-9]*/$n sha256:[0-9a-f]\{64\}: downloading [0-9.]* \(B\|KiB\|MiB\)$" "$t/err")" = "$n" ]
	[ "$(grep -c "^layer [0-9]*/$n sha256:[0-9a-f]\{64\}: verified ([0-9]* bytes fetched)$" "$t/err")" = "$n" ]
	[ "$(grep -c "^layer [0-9]*/$n sha256:[0-9a-f]\{64\}: unpacked [0-9]* entries" "$t/err")" = "$n" ]
	head -1 "$t/err" | grep -q "^Resolved $REG/hull-test/multi:1 to sha256:"
	tail -1 "$t/err" | grep -q "^Pulled $REG/hull-test/multi:1 sha256:"
	grep -qx 'sha256:[0-9a-f]\{64\}' "$t/out"
	# --quiet: nothing on stderr, the image id alone on stdout
	"$HULL_BIN" pull -q --store "$STORE/quiet" "$REG/hull-test/multi:1" 2>"$t/qerr" >"$t/qout"
	[ ! -s "$t/qerr" ]
	[ "$(cat "$t/qout")" = "$(cat "$t/out")" ]
}

@test "images: a pull killed mid-blob (kill -9) resumes: the next pull fetches at most the missing bytes" {
	local t="$BATS_TEST_TMPDIR" layer size part have sent preg pid
	# a 4 MiB layer of random (incompressible) bytes
	mkdir -p "$t/tree"
	head -c 4194304 /dev/urandom >"$t/tree/big"
	python3 "$MKIMAGE" tar "$t/big.tar" --dir "$t/tree"
	python3 "$MKIMAGE" image "$t/layout" --ref big --layer "$t/big.tar" --config '{"Cmd":["/bin/sh"]}'
	push "$t/layout" big "$REG/hull-test/big-$CID:1"
	layer=$(jq -r '.manifests[0].digest' "$t/layout/index.json")
	layer=$(jq -r '.layers[0].digest' "$t/layout/blobs/sha256/${layer#sha256:}")
	size=$(stat -c %s "$t/layout/blobs/sha256/${layer#sha256:}")
	# a proxy in front of the registry sends blobs at 1 MiB/s and logs
	# the body bytes it sent per request
	python3 "$IMG_DIR/slowproxy.py" "$t/pport" "$REG_plain_PORT" 1048576 "$t/proxy.log" &
	echo $! >>"$t/pids"
	for i in $(seq 50); do [ -s "$t/pport" ] && break; sleep 0.1; done
	preg="127.0.0.1:$(cat "$t/pport")"
	part="$STORE/blobs/partial/${layer#sha256:}"
	"$HULL_BIN" pull --store "$STORE" "$preg/hull-test/big-$CID:1" >"$t/first.out" 2>&1 &
	pid=$!
	for i in $(seq 600); do
		[ "$(stat -c %s "$part" 2>/dev/null || echo 0)" -ge 1048576 ] && break
		sleep 0.05
	done
	kill -9 "$pid"
	wait "$pid" || true
	have=$(stat -c %s "$part")
	echo "size=$size have=$have"
	[ "$have" -ge 1048576 ]
	[ "$have" -lt "$size" ]
	[ -z "$(ls "$STORE/images")" ]
	# The proxy logs a request when its connection ends: wait for the
	# killed pull's line, so that it is not counted as the resumed pull's.
	for i in $(seq 100); do
		grep -q "/blobs/$layer " "$t/proxy.log" && break
		sleep 0.1
	done
	: >"$t/proxy.log"
	run "$HULL_BIN" pull --store "$STORE" "$preg/hull-test/big-$CID:1"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"resuming at $have bytes"* ]]
	cat "$t/proxy.log"
	sent=$(grep "/blobs/$layer " "$t/proxy.log" | awk '{s += $3} END {print s + 0}')
	echo "sent=$sent missing=$((size - have))"
	[ "$sent" -gt 0 ]
	[ "$sent" -le $((size - have)) ]
	# the layer is whole, and nothing of the killed pull is left over
	[ "$(sha256sum "$STORE"/layers/*/big | cut -d' ' -f1)" = "$(sha256sum "$t/tree/big" | cut -d' ' -f1)" ]
	[ -f "$STORE/blobs/sha256/${layer#sha256:}" ]
	[ ! -e "$part" ]
	[ "$(ls -A "$STORE/layers" | grep -c '^\.tmp-')" = 0 ]
}

@test "images: load and save: OCI layouts and docker-archives, checked with umoci and skopeo" {
	local t="$BATS_TEST_TMPDIR"
	umoci unpack --image "$LAYOUT:multi" "$t/u" >/dev/null
	list_tree "$t/u/rootfs" >"$t/umoci.list"
	# an OCI layout with one image under a bare tag
	skopeo copy -q "oci:$LAYOUT:multi" "oci:$t/one:v1"
	run "$HULL_BIN" load --store "$STORE" "$t/one"
	[ "$status" -eq 0 ]
	[ "$output" = "localhost/one:v1" ]
	# a docker-archive, as skopeo writes it
	skopeo copy -q "oci:$LAYOUT:multi" "docker-archive:$t/m.tar:example.org/hull/multi:2"
	run "$HULL_BIN" load --store "$STORE" "$t/m.tar"
	[ "$status" -eq 0 ]
	[ "$output" = "example.org/hull/multi:2" ]
	"$HULL_BIN" bundle --store "$STORE" example.org/hull/multi:2 "$t/b"
	list_tree "$t/b/rootfs" >"$t/loaded.list"
	diff -u "$t/umoci.list" "$t/loaded.list"
	# save as an OCI layout: umoci unpacks it to the same tree
	run "$HULL_BIN" save --store "$STORE" localhost/one:v1 "$t/saved"
	[ "$status" -eq 0 ]
	umoci unpack --image "$t/saved:localhost/one:v1" "$t/u2" >/dev/null
	list_tree "$t/u2/rootfs" >"$t/saved.list"
	diff -u "$t/umoci.list" "$t/saved.list"
	# save as a docker-archive: skopeo reads it back
	run "$HULL_BIN" save --store "$STORE" --format docker-archive example.org/hull/multi:2 "$t/out.tar"
	[ "$status" -eq 0 ]
	skopeo copy -q "docker-archive:$t/out.tar" "oci:$t/back:x"
	umoci unpack --image "$t/back:x" "$t/u3" >/dev/null
	list_tree "$t/u3/rootfs" >"$t/back.list"
	diff -u "$t/umoci.list" "$t/back.list"
	# a corrupted blob in a layout is refused, and nothing is loaded
	rm -rf "$STORE"
	cp -a "$t/one" "$t/bad"
	local l
	l=$(ls -S "$t/bad/blobs/sha256" | head -1)
	printf 'X' | dd of="$t/bad/blobs/sha256/$l" bs=1 seek=100 conv=notrunc status=none
	run "$HULL_BIN" load --store "$STORE" "$t/bad"
	[ "$status" -ne 0 ]
	[[ "$output" == *"digest mismatch"* ]]
	[ -z "$(ls "$STORE/images")" ]
}

@test "images: delete leaves a plain bundle alone, even one holding a copied store marker" {
	setup_bundle
	echo "$STORE" >"$BUNDLE/.hull-image-container"
	run "$HULL_BIN" --root "$HULL_ROOT" run -b "$BUNDLE" "$CID" </dev/null
	[ "$status" -eq 0 ]
	[ -d "$BUNDLE/rootfs/bin" ]
	[ -f "$BUNDLE/config.json" ]
	# a marker of today's form (JSON naming the store) alike
	printf '{"store": "%s"}' "$(dirname "$BUNDLE")" >"$BUNDLE/.hull-image-container"
	run "$HULL_BIN" --root "$HULL_ROOT" run -b "$BUNDLE" "$CID" </dev/null
	[ "$status" -eq 0 ]
	[ -d "$BUNDLE/rootfs/bin" ]
	[ -f "$BUNDLE/config.json" ]
}
