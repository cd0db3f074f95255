"""Fixtures for the OCI image tests: the built tool, the real module, loopback registries."""
from pathlib import Path

import bcrypt
import pytest

from oci import tool
from oci.registry import Registry

USER, PASSWORD = "ci-user", "correct horse battery staple"


@pytest.fixture(scope="session")
def oci_push() -> Path:
    return tool.build()


@pytest.fixture(scope="session")
def module(wasm_module) -> Path:
    """The real filter module (tests/conftest.py fails when it is not built)."""
    assert wasm_module.is_file() and wasm_module.read_bytes()[:4] == b"\0asm", wasm_module
    return wasm_module


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
