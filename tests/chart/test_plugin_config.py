"""The pluginConfig of each rendered WasmPlugin passes the filter's own validator."""
import json
import subprocess

import pytest

from chartlib import one, render_set
from support.paths import VALIDATOR


def validate_config(config: dict, tmp_path) -> subprocess.CompletedProcess:
    assert VALIDATOR.is_file(), f"{VALIDATOR} is missing: run `make validator`"
    path = tmp_path / "plugin-config.json"
    path.write_text(json.dumps(config))
    return subprocess.run([str(VALIDATOR), str(path)], capture_output=True, text=True, timeout=30)


def test_rendered_plugin_config_is_valid(rendered, tmp_path):
    proc = validate_config(one(rendered, "WasmPlugin")["spec"]["pluginConfig"], tmp_path)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("mutate,field", [
    (lambda c: c.update(token_cache_sise=10), "token_cache_sise"),
    (lambda c: c["providers"]["demo"].pop("issuer"), "issuer"),
])
def test_validator_refuses_a_broken_rendered_config(mutate, field, tmp_path):
    config = json.loads(json.dumps(one(render_set("default"), "WasmPlugin")["spec"]["pluginConfig"]))
    mutate(config)
    proc = validate_config(config, tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.startswith("invalid config:") and field in proc.stderr
