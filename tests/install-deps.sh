#!/usr/bin/env bash
# Installs what building and testing Hull needs on Debian 12 (as root).
# Usage: tests/install-deps.sh [build|test]   (default: test, a superset)
set -euo pipefail

build_pkgs=(
	gcc make pkg-config libc6-dev
	libseccomp-dev libcap-dev libyajl-dev libmd-dev libnl-3-dev libnl-route-3-dev
	# dlopen()ed on first use (base/dlib.h): headers to build, libraries to run
	libnftables-dev libcurl4-openssl-dev libarchive-dev libzstd-dev libsystemd-dev
	libapparmor-dev libselinux1-dev
	busybox-static jq
)
test_pkgs=(
	bats python3 iproute2 util-linux procps strace
	runc crun podman containernetworking-plugins curl containerd
	qemu-system-x86 debootstrap debian-archive-keyring e2fsprogs
	linux-image-cloud-amd64
	# networking, images, LSM and fuzz suites
	nftables iperf3 skopeo umoci docker-registry apache2-utils zstd apparmor apparmor-utils clang
	# Hull's guest kernel (make vm-kernel) for the microVM tests
	linux-source-6.1 flex bison bc libelf-dev libssl-dev lz4 xz-utils
)

want=("${build_pkgs[@]}")
if [ "${1:-test}" = test ]; then
	want+=("${test_pkgs[@]}")
fi
missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps: all ${#want[@]} packages present"
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing ${missing[*]}; run as root to install them" >&2
	exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
