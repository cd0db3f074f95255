"""The Envoy the attack corpus is sent to (see support/attack_stack.py)."""
import pytest

from support.attack_stack import start_attack_stack


@pytest.fixture(scope="module", params=("auto", "module", "cross_check"))
def attack_stack(request, wasm_module):
    """The corpus runs once per crypto backend; none may let a token through, and under
    cross_check the two backends must never have disagreed."""
    st = start_attack_stack(request.param)
    try:
        yield st
        if request.param == "cross_check":
            disagreements = st.envoy.counter("wasmcustom.jwt_authn_wasm.verify_backend_disagreement")
            errors = st.envoy.counter("wasmcustom.jwt_authn_wasm.verify_host_error")
            assert (disagreements, errors) == (0, 0), st.envoy.log_tail()
    finally:
        st.stop()
