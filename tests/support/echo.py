"""Upstream that answers every request with the method, path and headers it received, as JSON."""
import json
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler

from .httpserver import LoopbackServer


class EchoHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle's algorithm the body then waits for
    # the peer's delayed ACK, tens of milliseconds per request under load.
    disable_nagle_algorithm = True

    def _echo(self):
        owner = getattr(self.server, "owner", None)
        if owner is not None:
            owner.record(self.path)
        length = int(self.headers.get("content-length") or 0)
        if length:
            self.rfile.read(length)
        headers = {}
        for name, value in self.headers.items():
            # Repeated headers are kept as a list so a forged duplicate is visible.
            name = name.lower()
            if name in headers:
                prev = headers[name]
                headers[name] = (prev if isinstance(prev, list) else [prev]) + [value]
            else:
                headers[name] = value
        body = json.dumps({"method": self.command, "path": self.path, "headers": headers}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = _echo

    def log_message(self, *args):
        pass


class EchoServer(LoopbackServer):
    """Also counts what reached it, so a test can prove a refused request never did."""

    def __init__(self, port: int | None = None):
        super().__init__(EchoHandler, port)
        self._lock = threading.Lock()
        self._paths: Counter = Counter()

    def record(self, path: str):
        with self._lock:
            self._paths[path] += 1

    def requests(self, path_prefix: str = "") -> int:
        """How many requests arrived whose path starts with `path_prefix`."""
        with self._lock:
            return sum(n for p, n in self._paths.items() if p.startswith(path_prefix))


def echo_server(port: int | None = None) -> EchoServer:
    return EchoServer(port)


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--port", type=int, default=8081)
    ap.add_argument("--host", default="0.0.0.0")
    args = ap.parse_args()
    from .httpserver import _Server

    _Server((args.host, args.port), EchoHandler).serve_forever()
