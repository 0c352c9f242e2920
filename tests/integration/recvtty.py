#!/usr/bin/env python3
"""recvtty.py SOCKET OUTFILE [INPUT]: a minimal runc-style console socket.

Listens on SOCKET, accepts one connection, takes the pty master that the
runtime sends with SCM_RIGHTS, optionally writes INPUT to it, and copies
everything the container writes to its terminal into OUTFILE until the
slave side is closed (EIO).  Prints "ready" on stdout once listening.
"""
import array
import os
import socket
import sys


def main():
    path, out = sys.argv[1], sys.argv[2]
    text = sys.argv[3] if len(sys.argv) > 3 else None
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    print("ready", flush=True)
    conn, _ = srv.accept()
    fds = array.array("i")
    msg, anc, _, _ = conn.recvmsg(4096, socket.CMSG_SPACE(fds.itemsize))
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[: len(data) - (len(data) % fds.itemsize)])
    if not fds:
        sys.exit("recvtty: no fd received")
    master = fds[0]
    with open(out, "wb") as f:
        f.write(b"name=" + msg + b"\n")
        f.flush()
        if text is not None:
            os.write(master, text.encode())
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:
                break
            if not data:
                break
            f.write(data)
            f.flush()


if __name__ == "__main__":
    main()
