#!/usr/bin/env python3
"""An HTTP proxy in front of a registry on 127.0.0.1, for the resume test:
forwards each GET (Range and Authorization included) to UPSTREAM, sends
blob bodies at most RATE bytes per second, and appends one line per
request to LOG: "PATH STATUS BYTES-OF-BODY-SENT" (written when the body
ends, or when the client went away mid-body).
usage: slowproxy.py PORTFILE UPSTREAM_PORT RATE LOG"""
import http.client, http.server, sys, time

portfile, upstream, rate, logf = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade"}

class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def do_GET(self):
        c = http.client.HTTPConnection("127.0.0.1", upstream, timeout=60)
        hdrs = {k: v for k, v in self.headers.items() if k.lower() not in HOP and k.lower() != "host"}
        c.request("GET", self.path, headers=hdrs)
        r = c.getresponse()
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in HOP:
                self.send_header(k, v)
        self.send_header("Connection", "close")
        self.end_headers()
        sent = 0
        slow = "/blobs/" in self.path
        try:
            while True:
                b = r.read(16384)
                if not b:
                    break
                self.wfile.write(b)
                self.wfile.flush()
                sent += len(b)
                if slow:
                    time.sleep(len(b) / rate)
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            with open(logf, "a") as f:
                f.write("%s %d %d\n" % (self.path, r.status, sent))
            c.close()

    def log_message(self, *a):
        pass

s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
open(portfile, "w").write(str(s.server_address[1]))
s.serve_forever()
