#!/usr/bin/env python3
"""A registry that answers every request with one status (403, 429, ...)
and the distribution spec's error body: for the error-message tests.
usage: fakereg.py PORTFILE STATUS"""
import http.server, json, sys

status = int(sys.argv[2])

class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/v2/":
            body, code = b"{}", 200
        else:
            body = json.dumps({"errors": [{"code": "TOOMANYREQUESTS" if status == 429 else "DENIED",
                                           "message": "fake registry says %d" % status}]}).encode()
            code = status
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass

s = http.server.HTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1], "w").write(str(s.server_address[1]))
s.serve_forever()
