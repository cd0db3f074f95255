"""ingress.api=gatewayAPI: a Gateway API Gateway and HTTPRoute instead of Istio's Gateway and
VirtualService, and the WasmPlugin attached to that Gateway by targetRefs."""
import yaml

from chartlib import CHART_DIR, named, objects, one, render_set

GATEWAY_API_CRDS = CHART_DIR / "crds" / "gateway-api"


def test_gateway_api_objects_replace_istios():
    docs = render_set("gateway-api")
    assert objects(docs, "VirtualService") == []
    gw = one(docs, "Gateway")
    assert gw["apiVersion"] == "gateway.networking.k8s.io/v1"
    assert gw["spec"]["gatewayClassName"] == "istio"
    assert [(lst["port"], lst["protocol"], lst["hostname"]) for lst in gw["spec"]["listeners"]] == [
        (80, "HTTP", "api.example.com")]
    route = one(docs, "HTTPRoute")
    assert route["spec"]["parentRefs"] == [{"group": "gateway.networking.k8s.io", "kind": "Gateway",
                                            "name": gw["metadata"]["name"]}]
    assert route["spec"]["hostnames"] == ["api.example.com"]
    echo = named(docs, "Service", "echo")
    assert route["spec"]["rules"] == [{"backendRefs": [{"name": echo["metadata"]["name"], "port": 80}]}]
    assert route["metadata"]["namespace"] == gw["metadata"]["namespace"] == echo["metadata"]["namespace"]


def test_wasmplugin_attaches_to_the_gateway_by_target_refs():
    docs = render_set("gateway-api")
    gw = one(docs, "Gateway")
    wp = one(docs, "WasmPlugin")
    assert wp["spec"]["targetRefs"] == [{"group": "gateway.networking.k8s.io", "kind": "Gateway",
                                         "name": gw["metadata"]["name"]}]
    # Istio refuses selector together with targetRefs (a CEL rule the schema test does not evaluate).
    assert "selector" not in wp["spec"]
    # Istio deploys the gateway's pods in the Gateway's namespace; a WasmPlugin reaches only its own.
    assert wp["metadata"]["namespace"] == gw["metadata"]["namespace"] == "edge"


def test_every_policy_on_the_gateway_uses_target_refs_alone():
    for d in render_set("gateway-api"):
        spec = d.get("spec", {})
        if "targetRefs" in spec:
            assert "selector" not in spec, d["kind"]


def test_the_gateway_needs_no_stats_annotation():
    """Istio always keeps stats under `wasm` (tests/chart/test_istio_proxy.py), so the Gateway
    leaves its proxies' stats configuration alone."""
    gw = one(render_set("gateway-api"), "Gateway")
    assert "proxy.istio.io/config" not in gw["spec"].get("infrastructure", {}).get("annotations", {})


def test_vendored_gateway_api_is_the_version_istio_supports():
    """Istio 1.31 is built against Gateway API v1.6.0; the README says where the files come from."""
    versions = set()
    for path in sorted(GATEWAY_API_CRDS.glob("*.yaml")):
        crd = yaml.safe_load(path.read_text())
        versions.add(crd["metadata"]["annotations"]["gateway.networking.k8s.io/bundle-version"])
        assert crd["metadata"]["annotations"]["gateway.networking.k8s.io/channel"] == "standard"
    assert versions == {"v1.6.0"}
    readme = (GATEWAY_API_CRDS / "README.md").read_text()
    assert "v1.6.0" in readme and "kubernetes-sigs/gateway-api" in readme
