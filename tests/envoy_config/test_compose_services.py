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


COMPOSE = REPO / "tests" / "envoy" / "docker-compose.yaml"


def _services() -> dict:
    return yaml.safe_load(COMPOSE.read_text())["services"]


def test_every_published_port_is_this_hosts_only():
    """Envoy's listener too: the README promises localhost, and the demo issuer mints tokens for anyone."""
    published = {}
    for name, svc in _services().items():
        for port in svc.get("ports", []):
            assert isinstance(port, str), f"{name}: {port!r}"
            host_ip, host_port, container_port = port.rsplit(":", 2)
            published[int(host_port)] = (name, host_ip)
    assert published[8080] == ("envoy", "127.0.0.1")
    assert {ip for _, ip in published.values()} == {"127.0.0.1"}, published


def _image_packages() -> dict:
    """name -> version of what issuer.Dockerfile installs."""
    issuer = _services()["issuer"]
    dockerfile = COMPOSE.parent / issuer["build"]["context"] / issuer["build"]["dockerfile"]
    runs = [line for line in dockerfile.read_text().splitlines() if line.startswith("RUN ")]
    assert len(runs) == 1 and runs[0].startswith("RUN pip install "), runs
    return dict(a.split("==") for a in runs[0].split()[3:] if not a.startswith("-"))


def test_issuer_image_installs_the_tests_pinned_packages():
    pins = dict(line.split("==") for line in (REPO / "tests" / "requirements.txt").read_text().splitlines()
                if "==" in line and not line.startswith("#"))
    image = _image_packages()
    assert image and all(pins.get(name) == version for name, version in image.items()), (image, pins)


def test_issuer_starts_without_installing_anything():
    issuer = _services()["issuer"]
    command = issuer["command"]
    assert isinstance(command, list) and command[:3] == ["python", "-m", "support.demo"], command
    assert not {"pip", "apt-get", "apt", "install", "sh", "bash"} & {w for a in command for w in a.split()}
    assert "build" in issuer and issuer["image"].endswith(":local")


# Runs a module with the standard library, the repository's tests/ and only the given distributions
# (and what they require): what the issuer's image holds. Anything else fails to import, as there.
_IMAGE_PYTHON = """
import importlib.metadata as md, json, re, runpy, sys
allowed, todo = set(), [n.lower() for n in json.loads(sys.argv[1])]
while todo:
    name = todo.pop()
    if name in allowed:
        continue
    allowed.add(name)
    for req in md.requires(name) or []:
        if "extra ==" not in req:
            todo.append(re.match(r"[A-Za-z0-9_.-]+", req).group(0).lower().replace("_", "-"))
owners = md.packages_distributions()
class ImageOnly:
    def find_spec(self, name, path=None, target=None):
        top = name.partition(".")[0]
        if top in sys.stdlib_module_names or top == "support":
            return None
        if {d.lower().replace("_", "-") for d in owners.get(top, [])} & allowed:
            return None
        raise ModuleNotFoundError(f"{name} is not in the image", name=name)
sys.meta_path.insert(0, ImageOnly())
sys.argv = [sys.argv[2], *sys.argv[3:]]
runpy.run_module(sys.argv[0], run_name="__main__", alter_sys=True)
"""


def test_issuer_runs_with_only_what_its_image_installs():
    import json

    port = free_port()
    args = _services()["issuer"]["command"][2:]
    args = [{"0.0.0.0": "127.0.0.1", "8082": str(port)}.get(a, a) for a in args]
    proc = subprocess.Popen([sys.executable, "-c", _IMAGE_PYTHON, json.dumps(sorted(_image_packages())), *args],
                            cwd=REPO / "tests", stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        issuer = f"http://127.0.0.1:{port}"
        try:
            token = _get(issuer + "/token?sub=carol").json()["access_token"]
        except requests.ConnectionError:
            proc.terminate()
            raise AssertionError(proc.communicate(timeout=10)[1].decode()[-2000:])
        key = jwt.PyJWKSet.from_dict(_get(issuer + "/jwks").json()).keys[0]
        assert jwt.decode(token, key.key, algorithms=["RS256"], options={"verify_aud": False})["sub"] == "carol"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
