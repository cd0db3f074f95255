"""The Envoy the attack corpus is sent to (see support/attack_stack.py)."""
import pytest

from support import build
from support.attack_stack import start_attack_stack


@pytest.fixture(scope="module", params=("auto", "module", "cross_check", "dynamic-module"))
def attack_stack(request, wasm_module):
    """The corpus runs once per crypto backend, and once against the dynamic-module build (aws-lc-rs
    natively, as `module`); none may let a token through, and under cross_check the two
    backends must never have disagreed."""
    which, mode = ("dynamic", "module") if request.param == "dynamic-module" else ("wasm", request.param)
    with build.use(which):
        st = start_attack_stack(mode)
    try:
        yield st
        if request.param == "cross_check":
            disagreements = st.envoy.counter("wasmcustom.jwt_authn_wasm.verify_backend_disagreement")
            errors = st.envoy.counter("wasmcustom.jwt_authn_wasm.verify_host_error")
            assert (disagreements, errors) == (0, 0), st.envoy.log_tail()
    finally:
        st.stop()
