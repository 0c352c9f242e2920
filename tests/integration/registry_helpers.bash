# Helpers for images.bats: a private docker-registry on 127.0.0.1, images
# built with images/mkimage.py and pushed with skopeo, and tree listings.
IMG_DIR="$REPO/tests/integration/images"
MKIMAGE="$IMG_DIR/mkimage.py"

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_registry NAME [htpasswd FILE | token REALM_URL CERT KEY]: sets
# REG_<NAME>_PORT and REG_<NAME>_LOG; the registry's pid goes to a file
# teardown reads.
start_registry() {
	local name="$1" kind="${2:-none}" port dir
	port=$(free_port)
	dir="${REG_TMP:-$BATS_TEST_TMPDIR}/reg-$name"
	mkdir -p "$dir/data"
	{
		echo "version: 0.1"
		echo "log: {level: info, accesslog: {disabled: false}}"
		echo "storage: {filesystem: {rootdirectory: $dir/data}, delete: {enabled: true}}"
		echo "http: {addr: 127.0.0.1:$port, secret: hull-test-$name}"
		case "$kind" in
		htpasswd) echo "auth: {htpasswd: {realm: hull-test, path: $3}}" ;;
		token) echo "auth: {token: {realm: $3, service: hull-test-registry, issuer: hull-test-issuer, rootcertbundle: $4}}" ;;
		esac
	} >"$dir/config.yml"
	/usr/bin/docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 &
	echo $! >>"${REG_TMP:-$BATS_TEST_TMPDIR}/pids"
	local i
	# (up to 30 s: on a loaded machine the registry is slow to start)
	for i in $(seq 1 300); do
		curl -s -o /dev/null "http://127.0.0.1:$port/v2/" && break
		sleep 0.1
	done
	export "REG_${name}_PORT=$port" "REG_${name}_LOG=$dir/log"
}

stop_registries() {
	local p f="${REG_TMP:-$BATS_TEST_TMPDIR}/pids"
	[ -f "$f" ] || return 0
	while read -r p; do
		kill "$p" 2>/dev/null
	done <"$f"
	rm -f "$f"
}

# push LAYOUT REF DEST [skopeo flags]: oci layout -> registry (all platforms)
push() {
	skopeo copy -q --all --dest-tls-verify=false "${@:4}" "oci:$1:$2" "docker://$3"
}

# list_tree DIR: one line per entry: path type mode uid gid xattrs content-hash
# (what must match between Hull's tree and umoci's)
list_tree() {
	python3 - "$1" <<'PY'
import hashlib, os, stat, sys
root = sys.argv[1]
out = []
for dp, dns, fns in os.walk(root):
    for n in sorted(dns + fns):
        p = os.path.join(dp, n)
        st = os.lstat(p)
        rel = os.path.relpath(p, root)
        m = st.st_mode
        t = "d" if stat.S_ISDIR(m) else "l" if stat.S_ISLNK(m) else "f" if stat.S_ISREG(m) else \
            "p" if stat.S_ISFIFO(m) else "c" if stat.S_ISCHR(m) else "?"
        extra = ""
        if t == "l":
            extra = os.readlink(p)
        elif t == "f":
            extra = hashlib.sha256(open(p, "rb").read()).hexdigest()[:16]
        xs = []
        try:
            for k in sorted(os.listxattr(p, follow_symlinks=False)):
                if k.startswith("trusted.overlay") or k == "security.selinux":
                    continue
                xs.append(k + "=" + os.getxattr(p, k, follow_symlinks=False).hex())
        except OSError:
            pass
        out.append("%s %s %o %d:%d %s %s" % (rel, t, stat.S_IMODE(m), st.st_uid, st.st_gid, ",".join(xs), extra))
print("\n".join(sorted(out)))
PY
}

# store_ctr ID: the directory of image container ID in $STORE
# (containers/shard-<last hex digit of its FNV-1a>/ID, images/store.c).
store_ctr() {
	local h
	h=$(fnv1a64 "$1")
	echo "$STORE/containers/shard-${h: -1}/$1"
}
