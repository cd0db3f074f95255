"""Shared fixtures: keys for every algorithm, and the module-wide Envoy stacks."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from support.keys import ALL_ALGS, make_key  # noqa: E402
from support.paths import WASM  # noqa: E402
from support.stack import NATIVE_UNDER_TEST  # noqa: E402


@pytest.fixture(scope="session")
def wasm_module() -> Path:
    """The built filter; its absence is a failure (`make test` builds it first), never a skip."""
    if not NATIVE_UNDER_TEST:
        assert WASM.is_file(), f"{WASM} is missing: run `make wasm`"
    return WASM


@pytest.fixture(scope="session")
def keys() -> dict:
    """One signing key per algorithm, kid = '<alg>-main'."""
    return {alg: make_key(alg, kid=f"{alg.lower()}-main") for alg in ALL_ALGS}
