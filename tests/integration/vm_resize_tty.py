#!/usr/bin/env python3
"""vm_resize_tty.py SOCKET OUTFILE: a console socket that resizes the pty.

Like recvtty.py: takes the pty master sent with SCM_RIGHTS and copies what
the container writes into OUTFILE until EIO.  Once the output has said
"ready", it sets the window size to 41 rows x 132 columns (TIOCSWINSZ on
the master), as a terminal emulator does when its window changes.
"""
import array
import fcntl
import os
import socket
import struct
import sys
import termios


def main():
    path, out = sys.argv[1], sys.argv[2]
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    conn, _ = srv.accept()
    fds = array.array("i")
    _, anc, _, _ = conn.recvmsg(4096, socket.CMSG_SPACE(fds.itemsize))
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[: len(data) - (len(data) % fds.itemsize)])
    if not fds:
        sys.exit("vm_resize_tty: no fd received")
    master = fds[0]
    seen = b""
    resized = False
    with open(out, "wb") as f:
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:
                break
            if not data:
                break
            f.write(data)
            f.flush()
            seen += data
            if not resized and b"ready" in seen:
                fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", 41, 132, 0, 0))
                resized = True


if __name__ == "__main__":
    main()
