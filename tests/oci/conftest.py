"""Fixtures for the OCI image tests: the built tool, the real module, loopback registries."""
from pathlib import Path

import bcrypt
import pytest

from oci import tool
from oci.registry import Registry
from support.paths import WASM

USER, PASSWORD = "ci-user", "correct horse battery staple"


@pytest.fixture(scope="session")
def oci_push() -> Path:
    return tool.build()


@pytest.fixture(scope="session")
def module() -> Path:
    """The real filter module; `make test` builds it before the Python tests, so absence fails."""
    assert WASM.is_file(), f"{WASM} is missing: run `make wasm`"
    assert WASM.read_bytes()[:4] == b"\0asm"
    return WASM


def _serve(tmp_path_factory, name: str, auth: dict | None = None):
    reg = Registry(tmp_path_factory.mktemp(name), auth)
    try:
        yield reg.start()
    finally:
        reg.stop()


@pytest.fixture(scope="module")
def open_registry(tmp_path_factory):
    yield from _serve(tmp_path_factory, "registry-open")


@pytest.fixture(scope="module")
def htpasswd_registry(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("htpasswd")
    hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=6)).decode()
    (workdir / "htpasswd").write_text(f"{USER}:{hashed}\n")
    auth = {"htpasswd": {"realm": "jwt-authn-tests", "path": str(workdir / "htpasswd")}}
    yield from _serve(tmp_path_factory, "registry-htpasswd", auth)


@pytest.fixture(scope="module")
def token_issuer():
    from oci.token_auth import TokenIssuer

    return TokenIssuer()


@pytest.fixture(scope="module")
def token_registry(tmp_path_factory, token_issuer):
    auth = token_issuer.registry_auth(tmp_path_factory.mktemp("token-ca"))
    yield from _serve(tmp_path_factory, "registry-token", auth)
