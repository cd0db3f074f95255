"""Which build of the filter the real-Envoy tests load: the proxy-wasm module (the default) or
the dynamic module (`make dynamic-module`). `JWT_AUTHN_BUILD=dynamic` switches a whole run;
`use("dynamic")` switches within one (a suite parametrised over both builds)."""
import contextlib
import os

from .paths import REPO

BUILDS = ("wasm", "dynamic")
DYNAMIC_MODULE_DIR = REPO / "build"
DYNAMIC_MODULE = DYNAMIC_MODULE_DIR / "libjwt_authn.so"

_current = os.environ.get("JWT_AUTHN_BUILD", "wasm")


def current() -> str:
    return _current


@contextlib.contextmanager
def use(build: str):
    global _current
    assert build in BUILDS, build
    before, _current = _current, build
    try:
        yield build
    finally:
        _current = before


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
    return {"ENVOY_DYNAMIC_MODULES_SEARCH_PATH": str(DYNAMIC_MODULE_DIR)}


def _both():
    import pytest

    return pytest.mark.parametrize("filter_build", BUILDS, indirect=True, scope="module")


# `pytestmark = build.BOTH` runs a whole suite once per build.
BOTH = _both()
