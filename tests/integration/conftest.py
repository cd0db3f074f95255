"""The session-wide Envoy for the behaviour tests (see support/main_config.py)."""
import json

import pytest

from support.issuer import DISCOVERY_PATH
from support.keys import ASYMMETRIC_ALGS, jwks, make_key
from support.main_config import main_plugin_config
from support.stack import Stack


OIDC_JWKS_PATH = "/oauth2/v3/certs"


@pytest.fixture(scope="session")
def oidc_key():
    return make_key("ES256", kid="oidc-1")


@pytest.fixture(scope="session")
def main_stack(wasm_module, keys, oidc_key):
    stack = Stack(issuer_names=("issuer", "oidc"))
    try:
        stack.issuer.set_jwks(jwks(*(keys[a] for a in ASYMMETRIC_ALGS)))
        # jwks_uri deliberately not <issuer>/jwks: the filter must follow the discovery document.
        oidc = stack.issuers["oidc"]
        oidc.serve(OIDC_JWKS_PATH, json.dumps(jwks(oidc_key)).encode())
        discovery = {"issuer": oidc.issuer, "jwks_uri": oidc.issuer + OIDC_JWKS_PATH}
        oidc.serve(DISCOVERY_PATH, json.dumps(discovery).encode())
        stack.start(main_plugin_config(stack, keys))
        yield stack
    finally:
        stack.stop()
