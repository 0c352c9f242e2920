/* `hull exec` into a microVM: the wire protocol between the host
 * (runtime/backend_vm_exec.c) and the guest agent's exec service
 * (vmm/guest/agent_exec.c), over virtio-vsock.  The host reaches guest
 * ports through the monitor's unix socket <state>/vsock.sock with
 * Firecracker's "CONNECT <port>\n" / "OK <hostport>\n" handshake.
 *
 * Every message is a little-endian u32 length (at most EXEC_MSG_MAX)
 * followed by that many bytes of one JSON object.
 *
 *  1. host -> guest port EXEC_PORT (the control stream), the request:
 *       {"args": [..], "env": ["K=V", ..], "cwd": "/",
 *        "user": {"uid": 0, "gid": 0, "additionalGids": [..]},
 *        "terminal": false, "consoleSize": {"height": 24, "width": 80},
 *        "detach": false}
 *  2. guest -> host: {"port": P, "streams": "012"} (or "t" with a
 *     terminal, "" when detached: the process gets /dev/null; Hull's host
 *     side never asks for that, its --detach keeper relays the streams),
 *     or {"error": "..."}.  P is a fresh
 *     vsock port listening only for this exec.
 *  3. host -> guest port P, once per letter of "streams": a connection
 *     whose first byte names it: '0' stdin, '1' stdout, '2' stderr, 't'
 *     the pty (both ways).  One stream per fd: nothing is multiplexed, and
 *     neither side ever times out an idle stream.
 *  4. guest -> host on the control stream: {"pid": N} once the process
 *     runs, or {"error": "<the guest's reason>"} when it could not start
 *     (a missing binary fails here, at once).
 *  5. host -> guest, any time: {"signal": N}, {"resize": {"height": H,
 *     "width": W}}.
 *  6. guest -> host: {"exit": N} (128+N when killed by signal N); the
 *     stdout/stderr (or pty) streams end after the process's last byte.
 */
#ifndef HULL_EXEC_PROTO_H
#define HULL_EXEC_PROTO_H

#define EXEC_PORT    1024u
#define EXEC_MSG_MAX (256u * 1024)

#endif
