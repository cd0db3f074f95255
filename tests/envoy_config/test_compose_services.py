"""The compose file's demo issuer and echo upstream, run from the same modules and arguments, outside Docker."""
import subprocess
import sys
import time

import jwt
import pytest
import requests

from support.paths import REPO
from support.ports import free_port


def _serve(module: str, port: int, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", module, "--host", "127.0.0.1", "--port", str(port), *extra],
                            cwd=REPO / "tests", stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _get(url: str, timeout: float = 15) -> requests.Response:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return requests.get(url, timeout=2)
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@pytest.fixture
def services():
    issuer_port, echo_port = free_port(), free_port()
    procs = [_serve("support.demo", issuer_port, "--public-url", "http://issuer:8082"),
             _serve("support.echo", echo_port)]
    try:
        yield f"http://127.0.0.1:{issuer_port}", f"http://127.0.0.1:{echo_port}"
    finally:
        for p in procs:
            p.terminate()
            p.wait(timeout=10)


def test_demo_issuer_mints_tokens_its_jwks_verifies(services):
    issuer, _ = services
    token = _get(issuer + "/token?aud=demo-api&sub=bob").json()["access_token"]
    discovery = _get(issuer + "/.well-known/openid-configuration").json()
    assert discovery == {"issuer": "http://issuer:8082", "jwks_uri": "http://issuer:8082/jwks"}
    key = jwt.PyJWKSet.from_dict(_get(issuer + "/jwks").json()).keys[0]
    body = jwt.decode(token, key.key, algorithms=["RS256"], audience="demo-api", issuer="http://issuer:8082")
    assert body["sub"] == "bob"


def test_echo_returns_request(services):
    _, echo = services
    seen = _get(echo + "/a?b=1").json()
    assert (seen["method"], seen["path"]) == ("GET", "/a?b=1")
    assert "host" in seen["headers"]
