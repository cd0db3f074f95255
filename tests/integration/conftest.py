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


def _start_main_stack(keys, oidc_key) -> Stack:
    stack = Stack(issuer_names=("issuer", "oidc"))
    try:
        stack.issuer.set_jwks(jwks(*(keys[a] for a in ASYMMETRIC_ALGS)))
        # jwks_uri deliberately not <issuer>/jwks: the filter must follow the discovery document.
        oidc = stack.issuers["oidc"]
        oidc.serve(OIDC_JWKS_PATH, json.dumps(jwks(oidc_key)).encode())
        discovery = {"issuer": oidc.issuer, "jwks_uri": oidc.issuer + OIDC_JWKS_PATH}
        oidc.serve(DISCOVERY_PATH, json.dumps(discovery).encode())
        stack.start(main_plugin_config(stack, keys))
        return stack
    except BaseException:
        stack.stop()
        raise


@pytest.fixture(scope="session")
def main_stacks(wasm_module, keys, oidc_key):
    """One main stack per build, started when a suite first needs it, shared by the session."""
    started: dict[str, Stack] = {}

    def get(which: str) -> Stack:
        if which not in started:
            started[which] = _start_main_stack(keys, oidc_key)
        return started[which]

    try:
        yield get
    finally:
        for stack in started.values():
            stack.stop()


@pytest.fixture(scope="module")
def main_stack(main_stacks, filter_build):
    """The main stack of the build a suite runs on (support/build.py)."""
    return main_stacks(filter_build)
