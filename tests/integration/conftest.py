"""The session-wide Envoy for the behaviour tests (see support/main_config.py)."""
import pytest

from support.keys import ASYMMETRIC_ALGS, jwks, make_key
from support.main_config import main_plugin_config
from support.stack import Stack


@pytest.fixture(scope="session")
def oidc_key():
    return make_key("ES256", kid="oidc-1")


@pytest.fixture(scope="session")
def main_stack(wasm_module, keys, oidc_key):
    stack = Stack(issuer_names=("issuer", "oidc"))
    try:
        stack.issuer.set_jwks(jwks(*(keys[a] for a in ASYMMETRIC_ALGS)))
        stack.issuers["oidc"].set_jwks(jwks(oidc_key))
        stack.start(main_plugin_config(stack, keys))
        yield stack
    finally:
        stack.stop()
