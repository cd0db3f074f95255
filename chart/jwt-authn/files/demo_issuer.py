"""Demo OIDC-style issuer: serves a JWKS, a discovery document and RS256 tokens.

Standard library only, so it runs in a stock python image without installing anything.
The RSA key is made at start-up and never leaves the process; a restart rotates it, which
the filter handles by refetching the JWKS on an unknown kid.

Environment: ISSUER (the exact `iss`), AUDIENCE, PORT, TOKEN_TTL_SECONDS, BIND (default 0.0.0.0).
GET /token?sub=alice&aud=other&ttl=60 returns a token; /jwks, /.well-known/openid-configuration, /healthz.
"""

import base64
import hashlib
import json
import os
import secrets
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

SMALL_PRIMES = [p for p in range(3, 2000, 2) if all(p % d for d in range(3, int(p**0.5) + 1, 2))]
# DER DigestInfo prefix for SHA-256 (RFC 8017, EMSA-PKCS1-v1_5).
SHA256_PREFIX = bytes.fromhex("3031300d060960864801650304020105000420")


def is_probable_prime(n, rounds=40):
    if any(n % p == 0 for p in SMALL_PRIMES):
        return n in SMALL_PRIMES
    d, r = n - 1, 0
    while d % 2 == 0:
        d, r = d // 2, r + 1
    for _ in range(rounds):
        x = pow(secrets.randbelow(n - 3) + 2, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(r - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def random_prime(bits):
    while True:
        # Top two bits set so that p*q has exactly 2*bits bits.
        candidate = secrets.randbits(bits) | (3 << (bits - 2)) | 1
        if is_probable_prime(candidate):
            return candidate


def generate_rsa(bits=2048, e=65537):
    while True:
        p, q = random_prime(bits // 2), random_prime(bits // 2)
        phi = (p - 1) * (q - 1)
        if p != q and phi % e:
            return p * q, e, pow(e, -1, phi)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def int_bytes(n):
    return n.to_bytes((n.bit_length() + 7) // 8, "big")


class Issuer:
    def __init__(self, issuer, audience, ttl):
        self.issuer, self.audience, self.ttl = issuer, audience, ttl
        self.n, self.e, self.d = generate_rsa()
        self.kid = hashlib.sha256(int_bytes(self.n)).hexdigest()[:16]

    def jwks(self):
        key = {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": self.kid,
               "n": b64url(int_bytes(self.n)), "e": b64url(int_bytes(self.e))}
        return {"keys": [key]}

    def sign(self, message):
        k = (self.n.bit_length() + 7) // 8
        digest_info = SHA256_PREFIX + hashlib.sha256(message).digest()
        encoded = b"\x00\x01" + b"\xff" * (k - len(digest_info) - 3) + b"\x00" + digest_info
        return pow(int.from_bytes(encoded, "big"), self.d, self.n).to_bytes(k, "big")

    def token(self, sub, aud, ttl):
        now = int(time.time())
        header = {"alg": "RS256", "typ": "JWT", "kid": self.kid}
        claims = {"iss": self.issuer, "sub": sub, "aud": aud, "iat": now, "nbf": now, "exp": now + ttl}
        signing_input = ".".join(b64url(json.dumps(x, separators=(",", ":")).encode()) for x in (header, claims))
        return signing_input + "." + b64url(self.sign(signing_input.encode()))


def make_handler(issuer):
    class Handler(BaseHTTPRequestHandler):
        def reply(self, status, body, ctype="application/json"):
            data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", ctype)
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            url = urlparse(self.path)
            query = {k: v[-1] for k, v in parse_qs(url.query).items()}
            if url.path == "/jwks":
                self.reply(200, issuer.jwks())
            elif url.path == "/.well-known/openid-configuration":
                self.reply(200, {"issuer": issuer.issuer, "jwks_uri": issuer.issuer + "/jwks",
                                 "id_token_signing_alg_values_supported": ["RS256"]})
            elif url.path == "/token":
                try:
                    ttl = int(query.get("ttl", issuer.ttl))
                except ValueError:
                    return self.reply(400, "ttl must be an integer\n", "text/plain")
                tok = issuer.token(query.get("sub", "demo-user"), query.get("aud", issuer.audience), ttl)
                self.reply(200, tok + "\n", "text/plain")
            elif url.path == "/healthz":
                self.reply(200, "ok\n", "text/plain")
            else:
                self.reply(404, "not found\n", "text/plain")

        def log_message(self, fmt, *args):
            print("%s %s" % (self.address_string(), fmt % args), flush=True)

    return Handler


def main():
    port = int(os.environ.get("PORT", "8080"))
    issuer = Issuer(os.environ["ISSUER"], os.environ.get("AUDIENCE", "demo-api"),
                    int(os.environ.get("TOKEN_TTL_SECONDS", "3600")))
    server = ThreadingHTTPServer((os.environ.get("BIND", "0.0.0.0"), port), make_handler(issuer))
    print("demo issuer %s on port %d, kid %s" % (issuer.issuer, server.server_address[1], issuer.kid), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
