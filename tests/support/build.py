"""Which build of the filter the real-Envoy tests load: the proxy-wasm module (the default) or
the dynamic module (`make dynamic-module`). `JWT_AUTHN_BUILD=dynamic` switches a whole run;
`use("dynamic")` switches within one (a suite parametrised over both builds)."""
import contextlib
import os
import subprocess
from pathlib import Path

from .paths import REPO

BUILDS = ("wasm", "dynamic")
DYNAMIC_MODULE_DIR = REPO / "build"
DYNAMIC_MODULE = DYNAMIC_MODULE_DIR / "libjwt_authn.so"

_current = os.environ.get("JWT_AUTHN_BUILD", "wasm")
_module_dir = DYNAMIC_MODULE_DIR

# The dynamic module with the test-only `simulate-host-failures` feature, in a target directory
# of its own (as support/test_build.py does for the wasm module).
TEST_TARGET_DIR = REPO / "target" / "test-features"
TEST_BUILD = ["cargo", "build", "--profile", "dynamic-module", "-p", "jwt-authn-dynamic-module",
              "--features", "simulate-host-failures", "--target-dir", str(TEST_TARGET_DIR)]


def current() -> str:
    return _current


def build_test_dynamic_module() -> Path:
    """The directory holding the test build's `libjwt_authn.so`; Cargo does nothing when it is
    up to date."""
    done = subprocess.run(TEST_BUILD, cwd=REPO, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, f"{' '.join(TEST_BUILD)} failed:\n{done.stderr[-4000:]}"
    out = TEST_TARGET_DIR / "dynamic-module"
    assert (out / "libjwt_authn.so").is_file(), out
    return out


@contextlib.contextmanager
def use(build: str, test_features: bool = False):
    """`test_features`: the dynamic module built with the test-only host failures."""
    global _current, _module_dir
    assert build in BUILDS, build
    module_dir = build_test_dynamic_module() if test_features and build == "dynamic" else DYNAMIC_MODULE_DIR
    before = _current, _module_dir
    _current, _module_dir = build, module_dir
    try:
        yield build
    finally:
        _current, _module_dir = before


def dynamic_filter(plugin_json: str, metrics_namespace: str = "wasmcustom") -> dict:
    """The dynamic-module HTTP filter, with the plugin's JSON as its configuration. Counters
    land under `wasmcustom.` by default, where the wasm build's are, so that tests read the same
    names."""
    return {
        "name": "jwt_authn",
        "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.filters.http.dynamic_modules.v3.DynamicModuleFilter",
            "dynamic_module_config": {"name": "jwt_authn", "metrics_namespace": metrics_namespace},
            "filter_name": "jwt_authn",
            "filter_config": {"@type": "type.googleapis.com/google.protobuf.StringValue",
                              "value": plugin_json},
        },
    }


def envoy_env() -> dict:
    """What Envoy needs in its environment to find the dynamic module."""
    return {"ENVOY_DYNAMIC_MODULES_SEARCH_PATH": str(_module_dir)}


def _both():
    import pytest

    return pytest.mark.parametrize("filter_build", BUILDS, indirect=True, scope="module")


# `pytestmark = build.BOTH` runs a whole suite once per build.
BOTH = _both()
