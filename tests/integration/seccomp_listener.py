#!/usr/bin/env python3
"""seccomp_listener.py SOCKET OUTFILE ERRNO: a minimal seccomp agent.

Accepts one connection on SOCKET, takes the notify fd (SCM_RIGHTS) and the
container process state (JSON) that the runtime sends, records the state's
fields in OUTFILE, then answers every intercepted syscall with -ERRNO until
the container goes away.
"""
import array
import fcntl
import json
import os
import select
import socket
import struct
import sys

# _IOWR('!', 0, struct seccomp_notif) and _IOWR('!', 1, struct seccomp_notif_resp)
NOTIF_RECV = 0xC0502100
NOTIF_SEND = 0xC0182101
NOTIF_SIZE = 80  # id u64, pid u32, flags u32, seccomp_data (nr i32, arch u32, ip u64, args u64[6])


def main():
    path, out, err = sys.argv[1], sys.argv[2], int(sys.argv[3])
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    conn, _ = srv.accept()
    fds = array.array("i")
    msg, anc, _, _ = conn.recvmsg(65536, socket.CMSG_SPACE(fds.itemsize))
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[: len(data) - (len(data) % fds.itemsize)])
    state = json.loads(msg)
    with open(out, "w") as f:
        f.write("fds=%s\n" % ",".join(state.get("fds", [])))
        f.write("metadata=%s\n" % state.get("metadata", ""))
        f.write("status=%s\n" % state.get("state", {}).get("status", ""))
        f.write("got_fd=%s\n" % ("yes" if fds else "no"))
        f.flush()
        if not fds:
            return
        notify = fds[0]
        poller = select.poll()
        poller.register(notify, select.POLLIN)
        while True:
            ev = poller.poll()
            if not any(e & select.POLLIN for _, e in ev):
                break  # POLLHUP: the filter's last user is gone
            buf = bytearray(NOTIF_SIZE)
            try:
                fcntl.ioctl(notify, NOTIF_RECV, buf)
            except OSError:
                break  # the filter's last user is gone
            nid, pid, _flags, nr = struct.unpack_from("=QIIi", buf)
            f.write("notified nr=%d\n" % nr)
            f.flush()
            resp = struct.pack("=QqiI", nid, 0, -err, 0)
            try:
                fcntl.ioctl(notify, NOTIF_SEND, bytearray(resp))
            except OSError:
                pass


if __name__ == "__main__":
    main()
