"""A loopback HTTP server that can be stopped and started again on the same port."""
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .ports import free_port


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # A hanging handler must not hold up stop().
    block_on_close = False
    allow_reuse_address = True
    # socketserver's default backlog is 5: a burst of upstream connections from Envoy would see
    # refused or retried SYNs and answer 503 where the filter had let the request through.
    request_queue_size = 1024

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._conns: set = set()
        self._conns_lock = threading.Lock()

    def process_request(self, request, client_address):
        with self._conns_lock:
            self._conns.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        with self._conns_lock:
            self._conns.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request, client_address):
        # A client that hangs up mid-answer (wrk stopping, Envoy resetting an upstream request) is
        # no server fault; anything else still prints its traceback.
        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            return
        super().handle_error(request, client_address)

    def close_connections(self):
        """Being down means kept-alive connections break too, not only new ones."""
        with self._conns_lock:
            conns, self._conns = list(self._conns), set()
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class LoopbackServer:
    """Runs `handler_cls` on 127.0.0.1; `down()` closes the socket so connections are refused."""

    def __init__(self, handler_cls: type[BaseHTTPRequestHandler], port: int | None = None, host: str = "127.0.0.1"):
        self.handler_cls = handler_cls
        self.host = host
        self.port = port or free_port()
        self._server = None
        self._thread = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        if self._server is not None:
            return self
        self._server = _Server((self.host, self.port), self.handler_cls)
        self._server.owner = self
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
            server.close_connections()
            self._thread.join(timeout=5)

    down = stop
    up = start

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
