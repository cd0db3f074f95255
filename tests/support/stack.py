"""Issuers + echo upstream + one Envoy, started together and always stopped together."""
import http.client
import os

import requests

from .echo import echo_server
from .envoy import Envoy
from .envoy_config import Layout, Ports, render
from .issuer import Issuer
from .ports import free_port

# JWT_FILTER_UNDER_TEST=native runs a suite against Envoy's own jwt_authn, to check the tests themselves.
NATIVE_UNDER_TEST = os.environ.get("JWT_FILTER_UNDER_TEST") == "native"


class Stack:
    """`issuers` named issuer servers; the first is cluster `issuer`, the others clusters of their own name."""

    def __init__(self, issuer_names=("issuer",), native_listener: bool = False, concurrency: int = 1,
                 issuers: dict | None = None, wasm_path: str | None = None):
        """`wasm_path`: another build of the module than the default (support/paths.py WASM)."""
        self.issuers = issuers or {name: Issuer() for name in issuer_names}
        self.echo = echo_server()
        self.ports = Ports(admin=free_port(), listen=free_port(), echo=self.echo.port,
                           issuer=self.issuer.port, native=free_port() if native_listener else None)
        self.concurrency = concurrency
        self.wasm_path = wasm_path
        self.envoy: Envoy | None = None

    @property
    def issuer(self) -> Issuer:
        return next(iter(self.issuers.values()))

    def layout(self) -> Layout:
        names = list(self.issuers)
        clusters = {n: ("127.0.0.1", self.issuers[n].port) for n in names[1:]}
        layout = Layout(ports=self.ports, clusters=clusters)
        if self.wasm_path is not None:
            layout.wasm_path = str(self.wasm_path)
        return layout

    def config(self, plugin_config: dict, native_config: dict | None = None) -> str:
        return render(self.layout(), plugin_config, native_config, native_under_test=NATIVE_UNDER_TEST)

    def start(self, plugin_config: dict, native_config: dict | None = None, down: tuple = (),
              wait: bool = True):
        """Starts the echo upstream, the issuers not named in `down`, then Envoy."""
        self.echo.start()
        for name, issuer in self.issuers.items():
            if name not in down:
                issuer.start()
        self.envoy = Envoy(self.config(plugin_config, native_config), self.ports.admin, self.concurrency)
        self.envoy.start(wait=wait)
        return self

    def stop(self):
        try:
            if self.envoy is not None:
                self.envoy.close()
        finally:
            self.echo.stop()
            for i in self.issuers.values():
                i.stop()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def url(self, path: str = "/", native: bool = False) -> str:
        port = self.ports.native if native else self.ports.listen
        return f"http://127.0.0.1:{port}{path}"

    def request(self, path: str = "/", token: str | None = None, headers: dict | None = None,
                method: str = "GET", native: bool = False, timeout: float = 15,
                data: bytes | None = None) -> requests.Response:
        h = dict(headers or {})
        if token is not None:
            h["authorization"] = f"Bearer {token}"
        return requests.request(method, self.url(path, native), headers=h, timeout=timeout, data=data)

    def raw_status(self, path: str, headers: dict | list, native: bool = False, timeout: float = 15) -> int:
        """GET with the path exactly as written (`requests` would decode `%2e` and friends) and
        headers as given, a list of pairs repeating a name if need be."""
        port = self.ports.native if native else self.ports.listen
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        try:
            pairs = list(headers.items() if isinstance(headers, dict) else headers)
            conn.putrequest("GET", path, skip_accept_encoding=True,
                            skip_host=any(name.lower() == "host" for name, _ in pairs))
            for name, value in pairs:
                conn.putheader(name, value)
            conn.endheaders()
            response = conn.getresponse()
            response.read()
            return response.status
        finally:
            conn.close()
