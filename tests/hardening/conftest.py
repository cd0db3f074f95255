"""The Envoy the attack corpus is sent to (see support/attack_stack.py)."""
import pytest

from support.attack_stack import start_attack_stack


@pytest.fixture(scope="module")
def attack_stack(wasm_module):
    st = start_attack_stack()
    try:
        yield st
    finally:
        st.stop()
