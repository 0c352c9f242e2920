#!/bin/bash
# Build (or find cached) the Debian 12 guest image for the Hull test VM.
#
# Usage: tests/vm/build-image.sh [--force]
# Prints the image directory on stdout; it holds rootfs.ext4, vmlinuz,
# initrd.img and kernel-version. Progress goes to stderr, the full build log
# to $HULL_VM_CACHE/build-<key>.log.
#
# Environment:
#   HULL_VM_CACHE    cache directory (default /var/cache/hull-testvm)
#   HULL_VM_MIRROR   Debian mirror (default http://deb.debian.org/debian)
#   HULL_VM_FREE_MB  free space left in the image (default 1024)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${HULL_VM_CACHE:-/var/cache/hull-testvm}
mirror=${HULL_VM_MIRROR:-http://deb.debian.org/debian}
free_mb=${HULL_VM_FREE_MB:-1024}
suite=bookworm

die() { echo "build-image: $*" >&2; exit 1; }
log() { echo "build-image: $*" >&2; }

# The cache key covers everything that shapes the image: this script and the
# guest/ files (package list, units). A mirror update does not change it.
recipe_key() {
	(cd "$here" && cat build-image.sh guest/packages.list guest/packages-apt.list \
		guest/hull-autorun guest/hull-autorun.service) | sha256sum | cut -c1-16
}

package_list() { # file separator
	sed -e 's/#.*//' -e 's/[[:space:]]//g' "$here/guest/$1" |
		grep -v '^$' | paste -sd"$2" -
}

need_tools() {
	local tool
	for tool in debootstrap mkfs.ext4 unshare flock sha256sum; do
		command -v "$tool" >/dev/null ||
			die "$tool not found (apt-get install debootstrap e2fsprogs util-linux coreutils)"
	done
	[ "$(id -u)" = 0 ] || die "must run as root (debootstrap, chroot)"
}

# debootstrap mounts /proc and /sys inside the target; a private mount
# namespace makes them vanish with it, so an interrupted build leaves no mount
# behind and the temp dir can be removed safely.
run_debootstrap() {
	local root=$1
	unshare -m --propagation private \
		debootstrap --variant=minbase --include="$(package_list packages.list ,)" \
		--components=main "$suite" "$root" "$mirror"
}

# Packages debootstrap cannot configure in its own passes (podman: the
# ordering of golang-github-containers-common's dependencies) go in with apt
# inside the chroot, which resolves and configures them in order. No daemon
# starts in the chroot (policy-rc.d), and no recommends: the list names what
# the tests use.
install_apt_packages() {
	local root=$1 pkgs
	pkgs=$(package_list packages-apt.list ' ')
	[ -n "$pkgs" ] || return 0
	printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
	chmod 0755 "$root/usr/sbin/policy-rc.d"
	cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
	# shellcheck disable=SC2086 # $pkgs is a word list
	unshare -m --propagation private chroot "$root" /usr/bin/env \
		DEBIAN_FRONTEND=noninteractive /bin/sh -ec \
		'mount -t proc proc /proc; apt-get update -q;
		 apt-get install -y -q --no-install-recommends "$@"' sh $pkgs >&2
	rm -f "$root/usr/sbin/policy-rc.d"
}

# Small initrd with just what is needed to find and mount /dev/vda: it is
# decompressed by an emulated CPU on every boot.
configure_initramfs() {
	local root=$1
	cat >"$root/etc/initramfs-tools/conf.d/hull-testvm.conf" <<-'CONF'
		MODULES=list
		COMPRESS=gzip
	CONF
	printf '%s\n' virtio_pci virtio_blk ext4 >"$root/etc/initramfs-tools/modules"
	unshare -m --propagation private chroot "$root" /bin/sh -ec \
		'mount -t proc proc /proc; update-initramfs -u -k all' >&2
}

configure_system() {
	local root=$1 unit
	echo hull-testvm >"$root/etc/hostname"
	printf '127.0.0.1 localhost\n127.0.1.1 hull-testvm\n::1 localhost\n' >"$root/etc/hosts"
	echo '/dev/vda / ext4 rw,noatime 0 0' >"$root/etc/fstab"
	# A fixed machine id: an empty one makes every boot a slow "first boot".
	tr -d '-' </proc/sys/kernel/random/uuid >"$root/etc/machine-id"
	install -m 0755 "$here/guest/hull-autorun" "$root/usr/local/sbin/hull-autorun"
	install -m 0644 "$here/guest/hull-autorun.service" "$root/etc/systemd/system/"
	# The journal stays in memory: no flush to the (throw-away) disk at boot.
	mkdir -p "$root/etc/systemd/journald.conf.d"
	printf '[Journal]\nStorage=volatile\n' >"$root/etc/systemd/journald.conf.d/hull-testvm.conf"
	chroot "$root" systemctl -q set-default multi-user.target
	chroot "$root" systemctl -q enable hull-autorun.service
	# Nothing here is useful for a one-shot test boot under TCG.
	for unit in getty@.service serial-getty@.service getty.target \
		console-getty.service systemd-logind.service apt-daily.timer \
		apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service \
		fstrim.timer dpkg-db-backup.timer systemd-tmpfiles-clean.timer \
		systemd-hwdb-update.service ldconfig.service systemd-update-done.service \
		systemd-journal-catalog-update.service systemd-pstore.service \
		proc-sys-fs-binfmt_misc.automount systemd-firstboot.service \
		systemd-random-seed.service systemd-update-utmp.service \
		systemd-update-utmp-runlevel.service modprobe@dm_mod.service \
		sys-kernel-debug.mount \
		podman.service podman.socket podman-restart.service \
		podman-auto-update.service podman-auto-update.timer; do
		ln -sf /dev/null "$root/etc/systemd/system/$unit"
	done
}

trim_rootfs() {
	local root=$1
	rm -rf "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* \
		"$root"/usr/share/locale/* "$root"/var/cache/apt/*.bin \
		"$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* \
		"$root"/var/log/*.log
}

make_ext4() {
	local root=$1 image=$2 used_mb
	used_mb=$(du -sm "$root" | cut -f1)
	truncate -s "$((used_mb * 12 / 10 + free_mb))M" "$image"
	# No journal: every boot runs on a throw-away snapshot of this file.
	mkfs.ext4 -q -F -L hullroot -O ^has_journal -d "$root" "$image" >&2
}

copy_kernel() {
	local root=$1 dir=$2 kver
	kver=$(find "$root/boot" -name 'vmlinuz-*' -printf '%f\n' | sed 's/^vmlinuz-//' | sort -V | tail -1)
	[ -n "$kver" ] || die "no kernel in $root/boot (did linux-image-amd64 install?)"
	[ -f "$root/boot/initrd.img-$kver" ] || die "no initrd for $kver in $root/boot"
	cp "$root/boot/vmlinuz-$kver" "$dir/vmlinuz"
	cp "$root/boot/initrd.img-$kver" "$dir/initrd.img"
	echo "$kver" >"$dir/kernel-version"
}

build() {
	local final=$1 tmp
	tmp=$(mktemp -d "$cache/.build.XXXXXX")
	# shellcheck disable=SC2064 # expand $tmp now: it is local
	trap "rm -rf --one-file-system '$tmp'" EXIT
	trap 'exit 130' INT TERM
	log "debootstrap $suite into $tmp/rootfs"
	run_debootstrap "$tmp/rootfs" || die "debootstrap failed (see $logfile)"
	log "apt-get install $(package_list packages-apt.list ' ')"
	install_apt_packages "$tmp/rootfs" || die "apt-get install in $tmp/rootfs failed"
	log "configuring the guest"
	configure_system "$tmp/rootfs" || die "configuring $tmp/rootfs failed"
	configure_initramfs "$tmp/rootfs" || die "update-initramfs in $tmp/rootfs failed"
	copy_kernel "$tmp/rootfs" "$tmp"
	trim_rootfs "$tmp/rootfs"
	log "making $final/rootfs.ext4"
	make_ext4 "$tmp/rootfs" "$tmp/rootfs.ext4" || die "mkfs.ext4 -d $tmp/rootfs failed"
	rm -rf --one-file-system "$tmp/rootfs"
	# The rename is the commit point: a directory named by the key is complete.
	mv "$tmp" "$final"
	trap - EXIT
}

# Images of other recipes (older checkouts) not used for 14 days go; each use
# touches an image's directory.
prune_stale() {
	local keep=$1 dir
	for dir in "$cache"/*/; do
		dir=${dir%/}
		[ "$(basename "$dir")" = "$keep" ] && continue
		if [ -f "$dir/rootfs.ext4" ] && [ -n "$(find "$dir" -maxdepth 0 -mtime +14)" ]; then
			log "removing stale image $dir"
			rm -rf --one-file-system "$dir" "$cache/build-$(basename "$dir").log"
		fi
	done
}

main() {
	local force=0 key final
	[ "${1:-}" = --force ] && force=1
	need_tools
	mkdir -p "$cache" || die "cannot create cache directory $cache"
	key=$(recipe_key)
	final=$cache/$key
	logfile=$cache/build-$key.log
	exec 9>"$cache/.lock"
	flock 9
	if [ "$force" = 1 ] && [ -d "$final" ]; then
		rm -rf --one-file-system "$final"
	fi
	if [ ! -f "$final/rootfs.ext4" ]; then
		local start=$SECONDS rc
		# Under the lock no other build runs: leftovers of killed builds go.
		rm -rf --one-file-system "$cache"/.build.*
		log "building the image $key (takes minutes; log: $logfile)"
		# A plain subshell, not `if ! build`: errexit stays on inside it.
		set +e
		(set -e; build "$final") 2>"$logfile" >&2
		rc=$?
		set -e
		if [ "$rc" != 0 ]; then
			tail -n 30 "$logfile" >&2
			die "image build failed (status $rc); full log: $logfile"
		fi
		log "built $final in $((SECONDS - start)) s"
	fi
	prune_stale "$key"
	touch "$final"
	echo "$final"
}

main "$@"
