#!/usr/bin/env python3
"""A tiny Bearer token service for docker-registry's token auth: checks
Basic credentials USER:PASS, grants the scopes asked for, signs an RS256
JWT whose x5c is the certificate the registry trusts, and logs each scope
it was asked for (one per line) to LOG.  With STINGY, a file holding a
number N, the next N tokens grant nothing (N is counted down), so the
registry answers insufficient_scope.
usage: tokenserver.py PORTFILE CERT KEY USER:PASS LOG [STINGY]"""
import base64, http.server, json, sys, time, urllib.parse
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

portfile, certf, keyf, creds, logf = sys.argv[1:6]
stingy = sys.argv[6] if len(sys.argv) > 6 else None

def stingy_now():
    """True (and one less) while the STINGY file holds a positive count."""
    try:
        n = int(open(stingy).read().strip() or "0")
    except (TypeError, OSError, ValueError):
        return False
    if n <= 0:
        return False
    open(stingy, "w").write(str(n - 1))
    return True
cert = x509.load_pem_x509_certificate(open(certf, "rb").read())
key = serialization.load_pem_private_key(open(keyf, "rb").read(), None)
x5c = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()

def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()

class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        auth = self.headers.get("Authorization", "")
        if auth != "Basic " + base64.b64encode(creds.encode()).decode():
            self.send_response(401)
            self.end_headers()
            return
        access = []
        for scope in q.get("scope", []):
            open(logf, "a").write(scope + "\n")
            typ, name, actions = scope.split(":")
            access.append({"type": typ, "name": name, "actions": actions.split(",")})
        if stingy_now():
            access = []
        now = int(time.time())
        claims = {"iss": "hull-test-issuer", "sub": creds.split(":")[0], "aud": q["service"][0],
                  "exp": now + 300, "nbf": now - 10, "iat": now, "jti": str(now), "access": access}
        head = {"typ": "JWT", "alg": "RS256", "x5c": [x5c]}
        signing = b64(json.dumps(head).encode()) + "." + b64(json.dumps(claims).encode())
        sig = key.sign(signing.encode(), padding.PKCS1v15(), hashes.SHA256())
        body = json.dumps({"token": signing + "." + b64(sig)}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass

s = http.server.HTTPServer(("127.0.0.1", 0), H)
open(portfile, "w").write(str(s.server_address[1]))
s.serve_forever()
