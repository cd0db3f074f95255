"""The compose file's demo issuer and echo upstream, run from the same modules and arguments, outside Docker."""
import subprocess
import sys
import time

import jwt
import pytest
import requests
import yaml

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


def _healthcheck(port: int) -> subprocess.CompletedProcess:
    """The compose file's issuer healthcheck command, pointed at `port` instead of the container's 8082."""
    compose = yaml.safe_load((REPO / "tests" / "envoy" / "docker-compose.yaml").read_text())["services"]
    kind, program, *args = compose["issuer"]["healthcheck"]["test"]
    assert (kind, program) == ("CMD", "python")
    args = [a.replace("127.0.0.1:8082", f"127.0.0.1:{port}") for a in args]
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=30)


def test_issuer_healthcheck_passes_once_the_issuer_answers(services):
    issuer, _ = services
    port = int(issuer.rsplit(":", 1)[1])
    _get(issuer + "/jwks")
    assert _healthcheck(port).returncode == 0


def test_issuer_healthcheck_fails_while_nothing_answers():
    assert _healthcheck(free_port()).returncode != 0
