#!/usr/bin/env bash
# One command for a fresh Debian 12 machine (as root): install the build
# and runtime dependencies, build Hull, make a busybox bundle and run it.
set -euo pipefail
cd "$(dirname "$0")/.."

tests/install-deps.sh build
make -j"$(nproc)"

bundle=${HULL_DEMO_BUNDLE:-/tmp/hull-demo}
rm -rf "$bundle"
mkdir -p "$bundle/rootfs/bin"
cp /bin/busybox "$bundle/rootfs/bin/"
for a in $("$bundle/rootfs/bin/busybox" --list); do
	[ -e "$bundle/rootfs/bin/$a" ] || ln -s busybox "$bundle/rootfs/bin/$a"
done
(cd "$bundle" && "$OLDPWD/build/hull" spec)
# Not a terminal: print and exit, so the command works in scripts too.
jq '.process.terminal = false
    | .process.args = ["sh", "-c", "echo Hello from a Hull container: $(hostname), pid $$, $(id)"]
    | .linux.cgroupsPath = "/hull-demo"' "$bundle/config.json" >"$bundle/config.json.new"
mv "$bundle/config.json.new" "$bundle/config.json"
exec build/hull run --bundle "$bundle" hull-demo
