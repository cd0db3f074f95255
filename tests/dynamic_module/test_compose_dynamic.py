"""The docker-compose variant for the dynamic module: its Envoy config is the wasm one with the
filter swapped, generated from the template, and the real Envoy accepts it with the built library
where the override mounts it."""
import shutil
import subprocess
import sys

import yaml

from support import build
from support.paths import ENVOY_DIR, REPO, envoy_binary

sys.path.insert(0, str(REPO / "tests" / "tools"))
from render_compose import COMPOSE_CONFIG, COMPOSE_DYNAMIC_CONFIG, compose_config  # noqa: E402

OVERRIDE = ENVOY_DIR / "docker-compose.dynamic.yaml"


def _filters(doc: dict) -> list:
    hcm = doc["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]
    return hcm["typed_config"]["http_filters"]


def test_dynamic_compose_config_is_rendered_from_the_template():
    assert COMPOSE_DYNAMIC_CONFIG.read_text() == compose_config("dynamic"), \
        "run: .venv/bin/python tests/tools/render_compose.py"


def test_only_the_filter_differs_and_the_plugin_json_is_the_same():
    wasm, dynamic = (yaml.safe_load(p.read_text()) for p in (COMPOSE_CONFIG, COMPOSE_DYNAMIC_CONFIG))
    wasm_filter, dynamic_filter = _filters(wasm)[0], _filters(dynamic)[0]
    assert dynamic_filter["typed_config"]["filter_config"]["value"] == \
        wasm_filter["typed_config"]["config"]["configuration"]["value"]
    _filters(wasm)[0] = _filters(dynamic)[0] = None
    assert wasm == dynamic


def test_envoy_accepts_it_with_the_library_where_the_override_mounts_it(tmp_path):
    service = yaml.safe_load(OVERRIDE.read_text())["services"]["envoy"]
    mounts = dict(v.rsplit(":", 1)[0].split(":", 1) for v in service["volumes"])
    assert mounts["./compose/envoy-dynamic.yaml"] == "/etc/envoy/envoy.yaml"
    module_dir = service["environment"]["ENVOY_DYNAMIC_MODULES_SEARCH_PATH"]
    assert mounts["../../build/libjwt_authn.so"] == f"{module_dir}/libjwt_authn.so"
    # The container's layout, in a temporary directory.
    shutil.copy(build.DYNAMIC_MODULE, tmp_path / "libjwt_authn.so")
    config = tmp_path / "envoy.yaml"
    config.write_text(COMPOSE_DYNAMIC_CONFIG.read_text())
    done = subprocess.run([envoy_binary(), "--mode", "validate", "-c", str(config), "--log-level", "warn"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env={"ENVOY_DYNAMIC_MODULES_SEARCH_PATH": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
