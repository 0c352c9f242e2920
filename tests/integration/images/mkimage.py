#!/usr/bin/env python3
"""Builds OCI image layouts for the image tests (no engine needed).

  mkimage.py tar OUT.tar (--dir DIR | --spec SPEC.json) [--compress gzip|zstd|none]
      A layer from a directory tree (owners, modes, xattrs, hardlinks kept)
      or from a JSON list of entries (for whiteouts and malicious layers):
      {"name", "type": file|dir|symlink|hardlink|char|block|fifo,
       "data", "mode", "uid", "gid", "target", "xattrs": {k: v}, "size"}
  mkimage.py image LAYOUT --ref NAME --layer L.tar... [--platform os/arch[/v]]
      [--config JSON]   appends an image manifest to the OCI layout
  mkimage.py index LAYOUT --ref NAME --from NAME...
      an image index over manifests already in the layout
"""
import argparse, gzip, hashlib, io, json, os, stat, subprocess, sys, tarfile

def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()

def add_dir_entries(tf, root):
    seen = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        rel = os.path.relpath(dirpath, root)
        names = [] if rel == "." else [rel]
        for n in names + [os.path.join(rel, f) if rel != "." else f for f in sorted(filenames) + sorted(
                d for d in dirnames if os.path.islink(os.path.join(dirpath, d)))]:
            p = os.path.join(root, n)
            st = os.lstat(p)
            ti = tarfile.TarInfo(n)
            ti.mode = stat.S_IMODE(st.st_mode)
            ti.uid, ti.gid, ti.mtime = st.st_uid, st.st_gid, int(st.st_mtime)
            ti.uname = ti.gname = ""
            pax = {}
            try:
                for k in os.listxattr(p, follow_symlinks=False):
                    pax["SCHILY.xattr." + k] = os.getxattr(p, k, follow_symlinks=False).decode("latin-1")
            except OSError:
                pass
            ti.pax_headers = pax
            if stat.S_ISDIR(st.st_mode):
                ti.type = tarfile.DIRTYPE
                tf.addfile(ti)
            elif stat.S_ISLNK(st.st_mode):
                ti.type = tarfile.SYMTYPE
                ti.linkname = os.readlink(p)
                tf.addfile(ti)
            elif stat.S_ISREG(st.st_mode):
                key = (st.st_dev, st.st_ino)
                if st.st_nlink > 1 and key in seen:
                    ti.type = tarfile.LNKTYPE
                    ti.linkname = seen[key]
                    tf.addfile(ti)
                else:
                    seen[key] = n
                    ti.size = st.st_size
                    with open(p, "rb") as f:
                        tf.addfile(ti, f)
            elif stat.S_ISFIFO(st.st_mode):
                ti.type = tarfile.FIFOTYPE
                tf.addfile(ti)

def add_spec_entries(tf, spec):
    types = {"file": tarfile.REGTYPE, "dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE,
             "hardlink": tarfile.LNKTYPE, "char": tarfile.CHRTYPE, "block": tarfile.BLKTYPE,
             "fifo": tarfile.FIFOTYPE}
    for e in spec:
        ti = tarfile.TarInfo(e["name"])
        ti.type = types[e.get("type", "file")]
        ti.mode = e.get("mode", 0o755 if e.get("type") == "dir" else 0o644)
        ti.uid, ti.gid = e.get("uid", 0), e.get("gid", 0)
        ti.mtime = e.get("mtime", 1700000000)
        ti.linkname = e.get("target", "")
        ti.devmajor, ti.devminor = e.get("major", 0), e.get("minor", 0)
        ti.pax_headers = {"SCHILY.xattr." + k: v for k, v in e.get("xattrs", {}).items()}
        data = None
        if ti.type == tarfile.REGTYPE:
            if "zeros" in e:
                ti.size = e["zeros"]
                data = ZeroReader(e["zeros"])
            else:
                b = e.get("data", "").encode()
                ti.size = len(b)
                data = io.BytesIO(b)
        tf.addfile(ti, data)

class ZeroReader:
    def __init__(self, n): self.n = n
    def read(self, k=-1):
        k = self.n if k < 0 else min(k, self.n)
        self.n -= k
        return b"\0" * k

def cmd_tar(a):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tf:
        if a.dir:
            add_dir_entries(tf, a.dir)
        else:
            add_spec_entries(tf, json.load(open(a.spec)))
    data = raw.getvalue()
    diff_id = sha(data)
    if a.compress == "gzip":
        data = gzip.compress(data, 6, mtime=0)
        mt = "application/vnd.oci.image.layer.v1.tar+gzip"
    elif a.compress == "zstd":
        data = subprocess.run(["zstd", "-q", "-c"], input=data, stdout=subprocess.PIPE, check=True).stdout
        mt = "application/vnd.oci.image.layer.v1.tar+zstd"
    else:
        mt = "application/vnd.oci.image.layer.v1.tar"
    if a.truncate:
        data = data[: len(data) // 2]
    open(a.out, "wb").write(data)
    json.dump({"diff_id": diff_id, "mediaType": mt}, open(a.out + ".json", "w"))

def put_blob(layout, data):
    d = sha(data)
    os.makedirs(os.path.join(layout, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(layout, "blobs", "sha256", d[7:]), "wb") as f:
        f.write(data)
    return d

def load_index(layout):
    os.makedirs(layout, exist_ok=True)
    with open(os.path.join(layout, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    p = os.path.join(layout, "index.json")
    if os.path.exists(p):
        return json.load(open(p))
    return {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": []}

def save_index(layout, idx, desc, ref):
    idx["manifests"] = [m for m in idx["manifests"]
                        if m.get("annotations", {}).get("org.opencontainers.image.ref.name") != ref]
    desc = dict(desc)
    desc["annotations"] = {"org.opencontainers.image.ref.name": ref}
    idx["manifests"].append(desc)
    json.dump(idx, open(os.path.join(layout, "index.json"), "w"))

def cmd_image(a):
    os_, arch, *var = a.platform.split("/")
    layers, diff_ids = [], []
    for l in a.layer:
        meta = json.load(open(l + ".json"))
        data = open(l, "rb").read()
        layers.append({"mediaType": meta["mediaType"], "digest": put_blob(a.layout, data), "size": len(data)})
        diff_ids.append(meta["diff_id"])
    cfg = {"architecture": arch, "os": os_, "config": json.loads(a.config) if a.config else {},
           "rootfs": {"type": "layers", "diff_ids": diff_ids}, "history": []}
    if var:
        cfg["variant"] = var[0]
    cb = json.dumps(cfg).encode()
    man = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
           "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": put_blob(a.layout, cb),
                      "size": len(cb)}, "layers": layers}
    mb = json.dumps(man).encode()
    desc = {"mediaType": man["mediaType"], "digest": put_blob(a.layout, mb), "size": len(mb),
            "platform": {"os": os_, "architecture": arch}}
    if var:
        desc["platform"]["variant"] = var[0]
    save_index(a.layout, load_index(a.layout), desc, a.ref)

def cmd_index(a):
    idx = load_index(a.layout)
    by = {m.get("annotations", {}).get("org.opencontainers.image.ref.name"): m for m in idx["manifests"]}
    ents = []
    for f in a.frm:
        m = dict(by[f])
        m.pop("annotations", None)
        ents.append(m)
    ib = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                     "manifests": ents}).encode()
    desc = {"mediaType": "application/vnd.oci.image.index.v1+json", "digest": put_blob(a.layout, ib), "size": len(ib)}
    save_index(a.layout, idx, desc, a.ref)

p = argparse.ArgumentParser()
sp = p.add_subparsers(dest="cmd", required=True)
t = sp.add_parser("tar"); t.add_argument("out"); t.add_argument("--dir"); t.add_argument("--spec")
t.add_argument("--compress", default="gzip"); t.add_argument("--truncate", action="store_true")
i = sp.add_parser("image"); i.add_argument("layout"); i.add_argument("--ref", required=True)
i.add_argument("--layer", action="append", default=[]); i.add_argument("--platform", default="linux/amd64")
i.add_argument("--config")
x = sp.add_parser("index"); x.add_argument("layout"); x.add_argument("--ref", required=True)
x.add_argument("--from", dest="frm", action="append", required=True)
a = p.parse_args()
{"tar": cmd_tar, "image": cmd_image, "index": cmd_index}[a.cmd](a)
