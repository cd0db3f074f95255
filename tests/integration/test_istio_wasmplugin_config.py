"""The filter as Istio 1.31 delivers it to a gateway, in real Envoy: wasmplugin/manifests/gateway.yaml as
written (its pluginConfig unchanged; only the JWKS cluster it names leads to a loopback issuer), turned
into the TrafficExtension istiod makes of every WasmPlugin and the ECDS resource istiod and the agent
hand Envoy (support/istio_filters.py says which Istio source each part follows), behind a filter chain
ordered as Istio orders a gateway's."""
import copy
import json
import time

import pytest

from support.istio_filters import WASM_TYPE, plugin_config_json
from support.istio_gateway import IstioGateway, load_wasmplugin
from support.keys import make_key

KEY = make_key("ES256", kid="gateway-1")
RELOAD_WAIT_S = 10


def _with_config(plugin: dict, **changes) -> dict:
    out = copy.deepcopy(plugin)
    out["spec"]["pluginConfig"].update(changes)
    return out


@pytest.fixture(scope="module")
def manifest() -> dict:
    return load_wasmplugin()


@pytest.fixture(scope="module")
def gateway(wasm_module, manifest):
    with IstioGateway(manifest, wasm_module, KEY) as gw:
        yield gw


def _wait_for(predicate, timeout: float = RELOAD_WAIT_S) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_envoy_holds_the_config_istio_generates(gateway, manifest):
    """What `istioctl proxy-config` / the config dump shows a user: the filter named after the
    TrafficExtension Istio 1.31 makes of the WasmPlugin, loaded by ECDS, pluginConfig as a JSON string."""
    meta, spec = manifest["metadata"], manifest["spec"]
    ecds = [c["ecds_filter"] for c in gateway.config_dump("ecds_filters")]
    translated = f"{meta['namespace']}.{meta['name']}~istio-translated-wasmplugin"
    assert [e["name"] for e in ecds] == [f"extensions.istio.io/trafficextension/{translated}"]
    typed = ecds[0]["typed_config"]
    assert typed["@type"] == WASM_TYPE
    cfg = typed["config"]
    assert cfg["name"] == translated
    assert cfg.get("root_id", "") == spec.get("pluginName", "")
    assert "vm_id" not in cfg["vm_config"]  # istiod sets none
    assert cfg["vm_config"]["runtime"] == "envoy.wasm.runtime.v8"
    assert cfg["vm_config"]["code"]["local"]["filename"] == str(gateway.module_path)
    assert (spec["failStrategy"], cfg["failure_policy"]) == ("FAIL_CLOSE", "FAIL_CLOSED")
    assert json.loads(cfg["configuration"]["value"]) == spec["pluginConfig"]
    assert gateway.ecds_stat("update_success") == 1 and gateway.ecds_stat("update_rejected") == 0


def test_the_listener_refers_to_the_filter_by_ecds(gateway):
    listeners = gateway.config_dump("static_listeners")
    hcm = listeners[0]["listener"]["filter_chains"][0]["filters"][0]["typed_config"]
    first = hcm["http_filters"][0]
    assert first["name"] == gateway.filter_name
    assert first["config_discovery"]["type_urls"] == [
        WASM_TYPE, "type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC"]
    assert hcm["http_filters"][-1]["name"] == "envoy.filters.http.router"


def test_a_valid_token_passes_and_its_subject_reaches_the_upstream(gateway):
    allowed = gateway.envoy.counter("wasmcustom.jwt_authn_wasm.allowed")
    resp = gateway.request("/headers", gateway.token(sub="alice"))
    assert resp.status_code == 200, resp.text
    assert resp.json()["headers"]["x-jwt-sub"] == "alice"
    # The counters keep the names the chart's dashboard and alerts use, whatever Istio names the filter.
    assert gateway.envoy.counter("wasmcustom.jwt_authn_wasm.allowed") == allowed + 1


def test_no_token_is_401(gateway):
    resp = gateway.request("/headers")
    assert (resp.status_code, resp.text) == (401, "Jwt is missing")
    assert resp.headers["www-authenticate"].startswith("Bearer realm=")


def test_wrong_audience_is_403(gateway):
    resp = gateway.request("/headers", gateway.token(aud="someone-else"))
    assert (resp.status_code, resp.text) == (403, "Audiences in Jwt are not allowed")


def test_the_health_path_needs_no_token(gateway):
    assert gateway.request("/healthz").status_code == 200


def test_istio_json_escapes_are_read(wasm_module, manifest):
    """istiod writes pluginConfig with Go's encoding/json, which escapes & < > as \\u0026 …: a JWKS
    URI with a query string arrives escaped and must still be fetched."""
    plugin = copy.deepcopy(manifest)
    provider = next(iter(plugin["spec"]["pluginConfig"]["providers"].values()))
    provider["remote_jwks"]["uri"] += "?format=jwks&v=1"
    assert "\\u0026" in plugin_config_json(plugin["spec"]["pluginConfig"])
    with IstioGateway(plugin, wasm_module, KEY) as gw:
        resp = gw.request("/headers", gw.token(sub="alice"))
        assert resp.status_code == 200, gw.envoy.log_tail()


@pytest.mark.parametrize("strategy", ["FAIL_CLOSE", "FAIL_OPEN", "FAIL_RELOAD"])
def test_a_bad_plugin_config_lets_nothing_through(wasm_module, manifest, strategy):
    """Envoy refuses the ECDS update (the module's on_configure fails) whatever failStrategy says (it
    governs a module that cannot be fetched, or a VM that fails while serving); with no config the
    listener answers every request 500 (response flag NFCF, no filter config found): nothing reaches
    the upstream, with or without a token."""
    bad = _with_config(manifest, bogus_field=1)
    bad["spec"]["failStrategy"] = strategy
    with IstioGateway(bad, wasm_module, KEY) as gw:
        assert gw.ecds_stat("update_rejected") == 1
        for token in (None, gw.token(sub="alice")):
            resp = gw.request("/headers", token)
            assert resp.status_code == 500, resp.text
        assert gw.echo.requests() == 0
        assert "bogus_field" in gw.envoy.log()


def test_a_bad_update_keeps_the_last_good_config(wasm_module, manifest):
    """A WasmPlugin edited into a bad pluginConfig is refused; the gateway keeps authenticating with
    the config it had."""
    with IstioGateway(manifest, wasm_module, KEY) as gw:
        gw.publish(_with_config(manifest, bogus_field=1))
        assert _wait_for(lambda: gw.ecds_stat("update_rejected") == 1), gw.envoy.log_tail()
        assert gw.ecds_stat("version_text") == "1"
        assert gw.request("/headers").status_code == 401
        assert gw.request("/headers", gw.token(sub="alice")).status_code == 200


@pytest.mark.parametrize("strategy, status", [("FAIL_CLOSE", 403), ("FAIL_OPEN", 200)])
def test_a_module_the_agent_cannot_fetch(wasm_module, manifest, strategy, status):
    """The agent's stand-in RBAC filter: FAIL_CLOSE refuses everything, FAIL_OPEN lets every request
    through unauthenticated, which is why the manifest says FAIL_CLOSE."""
    plugin = copy.deepcopy(manifest)
    plugin["spec"]["failStrategy"] = strategy
    with IstioGateway(plugin, wasm_module, KEY) as gw:
        gw.publish(plugin, fetched=False)
        assert _wait_for(lambda: gw.ecds_stat("update_success") == 2), gw.envoy.log_tail()
        resp = gw.request("/headers")
        assert resp.status_code == status, resp.text
        if status == 403:
            assert resp.text == "RBAC: access denied" and gw.echo.requests() == 0

