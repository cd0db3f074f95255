"""The WasmPlugin manifests as written: valid for Istio and Kubernetes, and wired together
(plugin -> issuer cluster -> ServiceEntry/DestinationRule, plugin -> pull Secret)."""
import base64
import json
import re
import subprocess
from pathlib import Path
from urllib.parse import urlparse

import kubernetes_validate
import jsonschema
import pytest
import yaml

from oci import istio_schema
from support.paths import REPO, VALIDATOR

MANIFESTS = REPO / "wasmplugin" / "manifests"
FILES = sorted(MANIFESTS.glob("*.yaml"))


def load(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def all_objects() -> list[dict]:
    return [obj for f in FILES for obj in load(f)]


def plugins() -> list[dict]:
    return [o for o in all_objects() if o["kind"] == "WasmPlugin"]


def validate_object(obj: dict) -> None:
    if istio_schema.is_istio(obj):
        istio_schema.validate(obj)
    else:
        kubernetes_validate.validate(obj, "1.32", strict=True)
        kubernetes_validate.validate(obj, "1.36", strict=True)


def test_there_is_a_gateway_and_a_sidecar_plugin():
    selectors = sorted(json.dumps(p["spec"]["selector"]["matchLabels"]) for p in plugins())
    assert selectors == ['{"app": "echo"}', '{"istio": "ingressgateway"}']


@pytest.mark.parametrize("path", FILES, ids=[f.name for f in FILES])
def test_every_object_validates_strictly(path):
    for obj in load(path):
        validate_object(obj)


def test_strict_validation_refuses_an_unknown_field():
    plugin = json.loads(json.dumps(plugins()[0]))
    plugin["spec"]["imagePullPolicy"] = "Sometimes"
    with pytest.raises(jsonschema.ValidationError):
        istio_schema.validate(plugin)
    plugin = json.loads(json.dumps(plugins()[0]))
    plugin["spec"]["failstrategy"] = "FAIL_CLOSE"
    with pytest.raises(jsonschema.ValidationError, match="failstrategy"):
        istio_schema.validate(plugin)


@pytest.mark.parametrize("plugin", plugins(), ids=lambda p: p["metadata"]["namespace"])
def test_plugin_settings(plugin):
    spec = plugin["spec"]
    assert spec["phase"] == "AUTHN" and spec["failStrategy"] == "FAIL_CLOSE" and spec["type"] == "HTTP"
    # Pinned by manifest digest, in the url as in sha256, so that a moved tag changes nothing.
    assert re.fullmatch(r"oci://[^@:]+(:\d+)?/[^@:]+@sha256:[0-9a-f]{64}", spec["url"]), spec["url"]
    assert spec["url"].endswith("@sha256:" + spec["sha256"])
    assert spec["imagePullPolicy"] in ("IfNotPresent", "Always")


def run_validator(config: dict, tmp_path: Path) -> subprocess.CompletedProcess:
    assert VALIDATOR.is_file(), f"{VALIDATOR} is missing: run `make validator`"
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    return subprocess.run([str(VALIDATOR), str(path)], capture_output=True, text=True, timeout=30)


@pytest.mark.parametrize("plugin", plugins(), ids=lambda p: p["metadata"]["namespace"])
def test_plugin_config_passes_the_filters_validator(plugin, tmp_path):
    r = run_validator(plugin["spec"]["pluginConfig"], tmp_path)
    assert r.returncode == 0, r.stderr
    broken = json.loads(json.dumps(plugin["spec"]["pluginConfig"]))
    next(iter(broken["providers"].values()))["remote_jwks"]["timeout"] = 5
    r = run_validator(broken, tmp_path)
    assert r.returncode == 1 and "invalid config:" in r.stderr, (r.returncode, r.stderr)


def test_gateway_plugin_reaches_its_issuer_over_tls():
    """The cluster the filter calls must exist (ServiceEntry) and speak TLS (DestinationRule)
    in the plugin's namespace, for every provider's remote JWKS."""
    [gateway] = [p for p in plugins() if p["spec"]["selector"]["matchLabels"] == {"istio": "ingressgateway"}]
    ns = gateway["metadata"]["namespace"]
    objs = [o for o in all_objects() if o["metadata"].get("namespace") == ns]
    for provider in gateway["spec"]["pluginConfig"]["providers"].values():
        uri = urlparse(provider["remote_jwks"]["uri"])
        port = uri.port or 443
        assert provider["remote_jwks"]["cluster"] == f"outbound|{port}||{uri.hostname}"
        [se] = [o for o in objs if o["kind"] == "ServiceEntry" and uri.hostname in o["spec"]["hosts"]]
        assert port in [p["number"] for p in se["spec"]["ports"]]
        [dr] = [o for o in objs if o["kind"] == "DestinationRule" and o["spec"]["host"] == uri.hostname]
        tls = {s["port"]["number"]: s["tls"] for s in dr["spec"]["trafficPolicy"]["portLevelSettings"]}
        assert tls[port] == {"mode": "SIMPLE", "sni": uri.hostname}


def test_pull_secret_matches_the_plugin():
    [gateway] = [p for p in plugins() if "imagePullSecret" in p["spec"]]
    [secret] = [o for o in all_objects() if o["kind"] == "Secret"]
    assert secret["metadata"]["name"] == gateway["spec"]["imagePullSecret"]
    assert secret["metadata"]["namespace"] == gateway["metadata"]["namespace"]
    assert secret["type"] == "kubernetes.io/dockerconfigjson"
    config = json.loads(base64.b64decode(secret["data"][".dockerconfigjson"]))
    registry = urlparse(gateway["spec"]["url"]).hostname
    assert ":" in base64.b64decode(config["auths"][registry]["auth"]).decode()
