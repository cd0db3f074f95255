"""Test issuer on loopback: JWKS and OIDC discovery, with switchable failure modes and fetch counts."""
import json
import socket
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler

from .httpserver import LoopbackServer

JWKS_PATH = "/jwks"
DISCOVERY_PATH = "/.well-known/openid-configuration"

# How a path answers. "ok" serves the document; the rest are the failures a real IdP produces.
BEHAVIOURS = ("ok", "fail", "unavailable", "hang", "garbage", "html", "truncated", "huge", "not_found", "reset")
HUGE_BYTES = 300 * 1024  # above the filter's 256 KiB JWKS limit


class _IssuerHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        issuer: Issuer = self.server.owner
        path = self.path.split("?", 1)[0]
        issuer._count(path)
        behaviour, body = issuer._answer(path)
        if callable(body):
            body = body(self.path.partition("?")[2])
        if behaviour == "reset":
            # Connection closed with no response: Envoy reports a reset to the filter (no headers, no body).
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if behaviour == "hang":
            time.sleep(issuer.hang_seconds)
            behaviour = "ok"
        status, ctype = 200, "application/json"
        if body is None or behaviour == "not_found":
            status, body = 404, b"not found"
        elif behaviour == "fail":
            status, body = 500, b"internal error"
        elif behaviour == "unavailable":
            status, body = 503, b"service unavailable"
        elif behaviour == "garbage":
            body = b"\x00\xffnot json at all{{{"
        elif behaviour == "html":
            ctype, body = "text/html", b"<html><body><h1>Sign in</h1></body></html>"
        elif behaviour == "truncated":
            body = body[: len(body) // 2]
        elif behaviour == "huge":
            doc = json.loads(body)
            doc["padding"] = "x" * issuer.huge_bytes
            body = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("content-type", ctype)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Issuer(LoopbackServer):
    """Serves `/jwks` and `/.well-known/openid-configuration` (issuer = its own base URL)."""

    def __init__(self, port: int | None = None, jwks: dict | None = None, host: str = "127.0.0.1",
                 public_url: str | None = None):
        super().__init__(_IssuerHandler, port, host)
        self.public_url = public_url
        self._lock = threading.Lock()
        self._jwks = jwks or {"keys": []}
        self._behaviour: dict[str, str] = {}
        self._counts: Counter = Counter()
        self._times: list = []
        self._extra: dict[str, bytes] = {}
        self._dynamic: dict = {}
        self.hang_seconds = 10.0
        self.huge_bytes = HUGE_BYTES

    @property
    def issuer(self) -> str:
        return self.public_url or self.base_url

    @property
    def jwks_uri(self) -> str:
        return self.issuer + JWKS_PATH

    def set_jwks(self, doc: dict):
        """Rotate: the next fetch sees `doc`."""
        with self._lock:
            self._jwks = doc

    def set_behaviour(self, behaviour: str, path: str = JWKS_PATH):
        assert behaviour in BEHAVIOURS, behaviour
        with self._lock:
            self._behaviour[path] = behaviour

    def serve(self, path: str, body: bytes):
        """An extra fixed document, e.g. a discovery document pointing elsewhere."""
        with self._lock:
            self._extra[path] = body

    def serve_dynamic(self, path: str, make_body):
        """`make_body(query_string) -> bytes` answers `path`, e.g. a token endpoint."""
        with self._lock:
            self._dynamic[path] = make_body

    def fetches(self, path: str = JWKS_PATH) -> int:
        with self._lock:
            return self._counts[path]

    def requests(self) -> int:
        """Every request, whatever the path: a fetch of a URL we never published shows here."""
        with self._lock:
            return sum(self._counts.values())

    def fetch_times(self, path: str = JWKS_PATH) -> list[float]:
        """time.monotonic() of each request to `path`."""
        with self._lock:
            return [t for p, t in self._times if p == path]

    def reset_counts(self):
        with self._lock:
            self._counts.clear()
            self._times.clear()

    def _count(self, path: str):
        with self._lock:
            self._counts[path] += 1
            self._times.append((path, time.monotonic()))

    def _answer(self, path: str):
        with self._lock:
            behaviour = self._behaviour.get(path, "ok")
            if path in self._dynamic:
                return behaviour, self._dynamic[path]
            if path in self._extra:
                return behaviour, self._extra[path]
            if path == JWKS_PATH:
                return behaviour, json.dumps(self._jwks).encode()
            if path == DISCOVERY_PATH:
                doc = {"issuer": self.issuer, "jwks_uri": self.jwks_uri}
                return behaviour, json.dumps(doc).encode()
            return behaviour, None
