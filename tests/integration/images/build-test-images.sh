#!/usr/bin/env bash
# Builds the test images into the OCI layout $1 (work files under $2):
#   bb      busybox + checker, one gzip layer
#   app     bb + a layer with /etc/imagefile, /work; User nobody, Env, Cmd
#   multi   bb + a layer of everything (setuid, hardlinks, symlinks, xattrs,
#           owners, fifo, sticky dir) + a zstd layer deleting and hiding
#   mp      an index: linux/amd64 (bb + /etc/arch) and linux/arm64/v8
#   evil-*  one malicious layer each (see images.bats)
set -euo pipefail
L="$1" W="$2"
M="$(dirname "$0")/mkimage.py"
REPO="$(cd "$(dirname "$0")/../../.." && pwd)"
mkdir -p "$W"
cd "$W"
python3 "$M" tar bb.tar --dir "$REPO/build/tests/rootfs"
python3 "$M" image "$L" --ref bb --layer bb.tar --config '{"Cmd":["/bin/checker","ids"]}'

cat >app.json <<'J'
[{"name": "etc/", "type": "dir"}, {"name": "etc/imagefile", "data": "from-the-image\n"},
 {"name": "work/", "type": "dir", "mode": 511}]
J
python3 "$M" tar app.tar --spec app.json
python3 "$M" image "$L" --ref app --layer bb.tar --layer app.tar --config '{
  "User": "nobody", "WorkingDir": "/work", "Env": ["FOO=from-image", "PATH=/bin:/usr/bin"],
  "Entrypoint": ["/bin/sh", "-c"],
  "Cmd": ["checker ids; checker cwd; checker env FOO; cat /etc/imagefile"],
  "Labels": {"org.example.test": "yes"}, "ExposedPorts": {"8080/tcp": {}}, "StopSignal": "SIGUSR1"}'

cat >m1.json <<'J'
[{"name": "a/", "type": "dir"}, {"name": "a/b/", "type": "dir", "mode": 488},
 {"name": "a/keep", "data": "keep"}, {"name": "a/b/gone", "data": "gone"},
 {"name": "a/b/stay", "data": "stay"}, {"name": "a/del/", "type": "dir"},
 {"name": "a/del/inner", "data": "x"},
 {"name": "d/", "type": "dir"}, {"name": "d/old1", "data": "1"}, {"name": "d/old2/", "type": "dir"},
 {"name": "d/old2/deep", "data": "2"},
 {"name": "usr/", "type": "dir"}, {"name": "usr/local/", "type": "dir"},
 {"name": "usr/local/suid", "data": "#!/bin/sh\n", "mode": 3565},
 {"name": "usr/local/sgid", "data": "g", "mode": 1517, "gid": 50},
 {"name": "owned", "data": "o", "uid": 1000, "gid": 1001, "mode": 384},
 {"name": "ln-rel", "type": "symlink", "target": "a/keep"},
 {"name": "ln-abs", "type": "symlink", "target": "/a/keep"},
 {"name": "ln-dangling", "type": "symlink", "target": "/nowhere/at/all"},
 {"name": "h1", "data": "hardlinked"}, {"name": "h2", "type": "hardlink", "target": "h1"},
 {"name": "x", "data": "xattrs", "xattrs": {"user.hull.test": "value1", "user.other": "2"}},
 {"name": "fifo", "type": "fifo", "mode": 416},
 {"name": "sticky/", "type": "dir", "mode": 1023},
 {"name": "replace-me", "type": "symlink", "target": "a/keep"}]
J
cat >m2.json <<'J'
[{"name": "a/", "type": "dir"}, {"name": "a/b/", "type": "dir", "mode": 488},
 {"name": "a/b/.wh.gone", "data": ""}, {"name": "a/.wh.del", "data": ""},
 {"name": "d/", "type": "dir"}, {"name": "d/.wh..wh..opq", "data": ""}, {"name": "d/new", "data": "new"},
 {"name": "replace-me", "data": "now a file"},
 {"name": "h3", "data": "second layer link"}, {"name": "a/h4", "type": "hardlink", "target": "h3"},
 {"name": "x2", "data": "x", "xattrs": {"user.layer": "two"}}]
J
python3 "$M" tar m1.tar --spec m1.json
python3 "$M" tar m2.tar --spec m2.json
python3 "$M" tar m2z.tar --spec m2.json --compress zstd
python3 "$M" image "$L" --ref multi --layer bb.tar --layer m1.tar --layer m2.tar \
	--config '{"Cmd":["/bin/checker","spin","300"]}'
# the same with its last layer zstd-compressed (umoci cannot read zstd:
# the test compares it with umoci's tree of multi)
python3 "$M" image "$L" --ref multi-zstd --layer bb.tar --layer m1.tar --layer m2z.tar \
	--config '{"Cmd":["/bin/checker","spin","300"]}'

echo '[{"name": "etc/", "type": "dir"}, {"name": "etc/arch", "data": "amd64\n"}]' >amd.json
echo '[{"name": "etc/", "type": "dir"}, {"name": "etc/arch", "data": "arm64\n"}]' >arm.json
python3 "$M" tar amd.tar --spec amd.json
python3 "$M" tar arm.tar --spec arm.json
python3 "$M" image "$L" --ref mp-amd64 --platform linux/amd64 --layer bb.tar --layer amd.tar --config '{"Cmd":["/bin/sh"]}'
python3 "$M" image "$L" --ref mp-arm64 --platform linux/arm64/v8 --layer arm.tar --config '{"Cmd":["/bin/sh"]}'
python3 "$M" index "$L" --ref mp --from mp-amd64 --from mp-arm64

# Malicious layers.  OUTSIDE is a directory the tests check stays empty.
O="$3"
evil() {  # evil NAME SPEC-JSON [tar flags]
	echo "$2" >"evil-$1.json"
	python3 "$M" tar "evil-$1.tar" --spec "evil-$1.json" "${@:3}"
	python3 "$M" image "$L" --ref "evil-$1" --layer "evil-$1.tar" --config '{"Cmd":["/bin/sh"]}'
}
evil dotdot '[{"name": "../../../../../../'"$O"'/dotdot", "data": "x"}]'
evil absolute '[{"name": "'"$O"'/absolute", "data": "x"}]'
evil symlink-dir '[{"name": "esc", "type": "symlink", "target": "'"$O"'"}, {"name": "esc/through-symlink", "data": "x"}]'
evil symlink-dotdot '[{"name": "esc", "type": "symlink", "target": "../../../../../../../'"$O"'"}, {"name": "esc/through-dotdot", "data": "x"}]'
evil dot-symlink '[{"name": ".", "type": "symlink", "target": "'"$O"'"}, {"name": "dot-redirect", "data": "x"}]'
evil hardlink-abs '[{"name": "hl", "type": "hardlink", "target": "/etc/passwd"}]'
evil hardlink-dotdot '[{"name": "hl", "type": "hardlink", "target": "../../../../../../etc/passwd"}]'
evil hardlink-symlink '[{"name": "s", "type": "symlink", "target": "/etc"}, {"name": "hl", "type": "hardlink", "target": "s/passwd"}]'
evil device '[{"name": "dev/", "type": "dir"}, {"name": "dev/sda-copy", "type": "block", "major": 8, "minor": 0}, {"name": "dev/mem-copy", "type": "char", "major": 1, "minor": 1}]'
evil overlay-xattr '[{"name": "d/", "type": "dir", "xattrs": {"trusted.overlay.opaque": "y", "trusted.overlay.redirect": "/etc"}}]'
evil truncated '[{"name": "big", "data": "'"$(head -c 300000 /dev/urandom | base64 -w0)"'"}]' --truncate
evil bomb '[{"name": "zeros", "zeros": 209715200}]'
evil whiteout-dotdot '[{"name": "a/", "type": "dir"}, {"name": "a/.wh...", "data": ""}]'
