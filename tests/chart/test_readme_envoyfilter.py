"""The README's EnvoyFilter (underscore headers on an Istio gateway) is one Istio serves: it passes
the pinned Istio's EnvoyFilter schema, and its patch, merged into the HttpConnectionManager we
ship, is a configuration Envoy accepts."""
import copy
import re
import subprocess

import yaml

from chartlib import REPO
from support.paths import envoy_binary
from test_object_schemas import validate_istio

HCM = "envoy.filters.network.http_connection_manager"


def _readme_envoyfilter() -> dict:
    readme = (REPO / "README.md").read_text()
    blocks = [re.sub(r"^  ", "", b, flags=re.M) for b in re.findall(r"  ```yaml\n(.*?)  ```", readme, re.S)]
    [doc] = [yaml.safe_load(b) for b in blocks if "kind: EnvoyFilter" in b]
    return doc


def _merge(base: dict, patch: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in patch.items():
        out[key] = _merge(out.get(key, {}), value) if isinstance(value, dict) else value
    return out


def test_readme_envoyfilter_is_valid_for_istio():
    validate_istio(_readme_envoyfilter())


def test_its_patch_on_our_listener_is_valid_for_envoy(tmp_path):
    patch = _readme_envoyfilter()["spec"]["configPatches"][0]
    assert (patch["applyTo"], patch["patch"]["operation"]) == ("NETWORK_FILTER", "MERGE")
    template = (REPO / "tests" / "envoy" / "envoy.template.yaml").read_text()
    doc = yaml.safe_load(re.sub(r"\$\{(\w*PORT)\}", "1", re.sub(r"\$\{(\w*(ADDRESS|HOST))\}", "127.0.0.1", template)))
    listener = doc["static_resources"]["listeners"][0]
    hcm = listener["filter_chains"][0]["filters"][0]
    assert hcm["name"] == HCM
    typed = hcm["typed_config"]
    typed.pop("common_http_protocol_options")
    hcm["typed_config"] = _merge(typed, patch["patch"]["value"]["typed_config"])
    # Only the HCM matters here: a filter chain with the router alone.
    hcm["typed_config"]["http_filters"] = [f for f in typed["http_filters"] if f["name"] == "envoy.filters.http.router"]
    config = tmp_path / "envoy.yaml"
    config.write_text(yaml.safe_dump(doc))
    out = subprocess.run([str(envoy_binary()), "--mode", "validate", "-c", str(config)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    assert hcm["typed_config"]["common_http_protocol_options"] == {"headers_with_underscores_action": "REJECT_REQUEST"}
