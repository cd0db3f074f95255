"""Credentials against registries that enforce htpasswd basic auth or bearer tokens, and registries
that never answer or are not there: every failure is a quick, clear error with exit status 1."""
import socket
import threading

import pytest

from oci import tool
from oci.conftest import PASSWORD, USER
from oci.istio_fetch import fetch
from support.ports import free_port

REPO = "private/jwt-authn-wasm"


def test_registry_really_enforces_auth(htpasswd_registry):
    assert htpasswd_registry.manifest(REPO, "any").status_code == 401


def test_right_password_pushes_and_pulls(oci_push, module, htpasswd_registry):
    ref = f"{htpasswd_registry.host}/{REPO}:1"
    pushed = tool.run("push", "--wasm", str(module), "--image", ref, "--username", USER, "--password-stdin",
                      stdin=PASSWORD + "\n").digest
    digest, _, fetched = fetch(htpasswd_registry, REPO, "1", auth=(USER, PASSWORD))
    assert (digest, fetched) == (pushed, module.read_bytes())
    pulled = tool.run("pull", "--image", ref, "--username", USER, env={"OCI_PUSH_PASSWORD": PASSWORD})
    assert pulled.code == 0 and pushed in pulled.out


@pytest.mark.parametrize(
    "args, env, reason",
    [
        ([], {}, "no credentials were given"),
        (["--username", USER], {"OCI_PUSH_PASSWORD": "wrong"}, "user name or password is wrong"),
        (["--username", "nobody"], {"OCI_PUSH_PASSWORD": PASSWORD}, "user name or password is wrong"),
    ],
    ids=["anonymous", "wrong-password", "unknown-user"],
)
@pytest.mark.parametrize("command", ["push", "pull"])
def test_refused_credentials_are_a_clear_quick_error(oci_push, module, htpasswd_registry, args, env, reason, command):
    ref = f"{htpasswd_registry.host}/{REPO}:denied"
    extra = ["--wasm", str(module)] if command == "push" else []
    r = tool.run(command, *extra, "--image", ref, *args, env=env, timeout=30)
    assert r.code == 1, r
    assert f"registry {htpasswd_registry.host} refused access" in r.err and reason in r.err
    assert r.seconds < 10
    assert r.out == ""


@pytest.fixture
def silent_server():
    """Accepts connections and never answers, like a registry stuck behind a broken proxy."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.2)
    accepted, stop = [], threading.Event()

    def loop():
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                pass

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in accepted:
            conn.close()
        listener.close()


def test_silent_registry_times_out(oci_push, module, silent_server):
    r = tool.run("push", "--wasm", str(module), "--image", f"127.0.0.1:{silent_server}/x/y:1", "--timeout", "2",
                 timeout=30)
    assert r.code == 1
    assert "did not answer in time" in r.err or "gave up" in r.err, r.err
    assert r.seconds < 10


def test_bearer_token_pushes_and_pulls(oci_push, module, token_registry, token_issuer):
    ref = f"{token_registry.host}/{REPO}:bearer"
    token = token_issuer.token(REPO, ["pull", "push"])
    pushed = tool.run("push", "--wasm", str(module), "--image", ref, "--token-stdin", stdin=token + "\n").digest
    headers = {"Authorization": f"Bearer {token}"}
    digest, _, fetched = fetch(token_registry, REPO, "bearer", headers=headers)
    assert (digest, fetched) == (pushed, module.read_bytes())
    pulled = tool.run("pull", "--image", ref, env={"OCI_PUSH_TOKEN": token_issuer.token(REPO, ["pull"])})
    assert pulled.code == 0 and pushed in pulled.out


@pytest.mark.parametrize("case", ["pull-only-scope", "foreign-signer", "expired"])
def test_refused_bearer_token_is_a_clear_quick_error(oci_push, module, token_registry, token_issuer, case):
    from oci.token_auth import TokenIssuer

    token = {
        "pull-only-scope": lambda: token_issuer.token(REPO, ["pull"]),
        "foreign-signer": lambda: TokenIssuer().token(REPO, ["pull", "push"]),
        "expired": lambda: token_issuer.token(REPO, ["pull", "push"], ttl=-60),
    }[case]()
    r = tool.run("push", "--wasm", str(module), "--image", f"{token_registry.host}/{REPO}:denied",
                 env={"OCI_PUSH_TOKEN": token}, timeout=30)
    assert r.code == 1, r
    assert "refused access" in r.err and "bearer token is wrong, expired or lacks" in r.err
    assert r.seconds < 10


def test_unreachable_registry_is_a_clear_quick_error(oci_push, module):
    port = free_port()  # nothing listens there
    r = tool.run("push", "--wasm", str(module), "--image", f"127.0.0.1:{port}/x/y:1", timeout=30)
    assert r.code == 1 and f"cannot connect to registry 127.0.0.1:{port}" in r.err, r.err
    assert r.seconds < 10
