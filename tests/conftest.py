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


@pytest.fixture(autouse=True, scope="module")
def filter_build(request):
    """The build of the filter a suite's Envoys load: `JWT_AUTHN_BUILD` (wasm by default), or
    each build in turn for a suite marked with `support.build.BOTH`."""
    from support import build

    which = getattr(request, "param", build.current())
    if which == "dynamic":
        assert build.DYNAMIC_MODULE.is_file(), f"{build.DYNAMIC_MODULE} is missing: run `make dynamic-module`"
    with build.use(which):
        yield which


@pytest.fixture(scope="module", params=["wasm", "dynamic"])
def each_build(request, filter_build):
    """Each build in turn, for a module's stack fixture: the tests that use the stack run against
    both builds, the module's other tests (a validator, a config file) once."""
    from support import build

    if request.param == "dynamic":
        assert build.DYNAMIC_MODULE.is_file(), f"{build.DYNAMIC_MODULE} is missing: run `make dynamic-module`"
    with build.use(request.param):
        yield request.param
