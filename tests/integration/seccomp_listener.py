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


def accept_one(srv, f):
    """Takes one runtime connection: records the state, returns the fd."""
    conn, _ = srv.accept()
    fds = array.array("i")
    msg, anc, _, _ = conn.recvmsg(65536, socket.CMSG_SPACE(fds.itemsize))
    conn.close()
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[: len(data) - (len(data) % fds.itemsize)])
    state = json.loads(msg)
    f.write("fds=%s\n" % ",".join(state.get("fds", [])))
    f.write("metadata=%s\n" % state.get("metadata", ""))
    f.write("status=%s\n" % state.get("state", {}).get("status", ""))
    f.write("pid=%s\n" % state.get("pid", ""))
    f.write("got_fd=%s\n" % ("yes" if fds else "no"))
    f.flush()
    return fds[0] if fds else None


def answer(notify, f, err):
    """Answers one notification; False once the filter's users are gone."""
    buf = bytearray(NOTIF_SIZE)
    try:
        fcntl.ioctl(notify, NOTIF_RECV, buf)
    except OSError:
        return False
    nid, pid, _flags, nr = struct.unpack_from("=QIIi", buf)
    f.write("notified nr=%d pid=%d\n" % (nr, pid))
    f.flush()
    resp = struct.pack("=QqiI", nid, 0, -err, 0)
    try:
        fcntl.ioctl(notify, NOTIF_SEND, bytearray(resp))
    except OSError:
        pass
    return True


def main():
    """Serves the runtime's connections (the container's init, then each
    exec, which brings its own listener) until every filter is gone."""
    path, out, err = sys.argv[1], sys.argv[2], int(sys.argv[3])
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(4)
    poller = select.poll()
    poller.register(srv, select.POLLIN)
    live = set()
    with open(out, "w") as f:
        while True:
            for fd, ev in poller.poll():
                if fd == srv.fileno():
                    notify = accept_one(srv, f)
                    if notify is None:
                        return
                    poller.register(notify, select.POLLIN)
                    live.add(notify)
                elif not (ev & select.POLLIN) or not answer(fd, f, err):
                    # POLLHUP: this filter's last user is gone
                    poller.unregister(fd)
                    live.discard(fd)
                    os.close(fd)
                    if not live:
                        return


if __name__ == "__main__":
    main()
