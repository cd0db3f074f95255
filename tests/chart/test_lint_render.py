"""helm lint and what the rendered chart must contain for each value set."""
import json

import pytest

from chartlib import CHART, VALUE_SETS, helm, named, objects, one, render, render_set, value_args


def test_value_sets_cover_every_mode():
    assert {"default", "external-issuer", "sidecar", "gateway-api", "authorization", "tenant-host"} <= set(VALUE_SETS)


def test_helm_lint_strict(value_set):
    proc = helm("lint", "--strict", str(CHART), *value_args(VALUE_SETS[value_set]), check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 chart(s) failed" in proc.stdout


def test_every_object_has_a_namespace_except_the_namespace(rendered):
    for d in rendered:
        if d["kind"] != "Namespace":
            assert d["metadata"].get("namespace"), f"{d['kind']}/{d['metadata']['name']} has no namespace"


def test_strict_mtls_for_the_release_pods(rendered):
    pa = one(rendered, "PeerAuthentication")
    assert pa["spec"]["mtls"] == {"mode": "STRICT"}
    # Only this release's pods: a shared namespace keeps its own policy.
    selected = pa["spec"]["selector"]["matchLabels"]
    pods = [d["spec"]["template"]["metadata"]["labels"] for d in objects(rendered, "Deployment")]
    assert pods and all(selected.items() <= labels.items() for labels in pods)


def test_mtls_is_optional_and_can_cover_the_namespace():
    assert objects(render(sets={"mtls.enabled": "false"}), "PeerAuthentication") == []
    pa = one(render(sets={"mtls.namespaceWide": "true"}), "PeerAuthentication")
    assert "selector" not in pa["spec"]


def test_gateway_routes_to_the_echo_service(rendered, value_set):
    if value_set == "gateway-api":
        assert objects(rendered, "VirtualService") == []
        return
    gw = one(rendered, "Gateway")
    vs = one(rendered, "VirtualService")
    assert gw["apiVersion"] == "networking.istio.io/v1"
    assert gw["spec"]["selector"] == {"istio": "ingressgateway"}
    assert vs["spec"]["gateways"] == [gw["metadata"]["name"]]
    svc = named(rendered, "Service", "echo")
    dest = vs["spec"]["http"][0]["route"][0]["destination"]
    assert dest["host"] == f"jwt-authn-echo.{svc['metadata']['namespace']}.svc.cluster.local"
    assert dest["port"]["number"] == svc["spec"]["ports"][0]["port"]


def test_wasmplugin_core_fields(rendered):
    wp = one(rendered, "WasmPlugin")["spec"]
    assert wp["url"].startswith("oci://")
    assert wp["phase"] == "AUTHN"
    assert wp["failStrategy"] == "FAIL_CLOSE"
    assert wp["type"] == "HTTP"
    assert wp["pluginConfig"]["providers"]


def test_wasmplugin_on_gateway_by_default():
    docs = render_set("default")
    wp = one(docs, "WasmPlugin")
    assert wp["metadata"]["namespace"] == "istio-ingress"
    assert wp["spec"]["selector"] == {"matchLabels": {"istio": "ingressgateway"}}


def test_wasmplugin_on_sidecar_matches_inbound_only():
    docs = render_set("sidecar")
    wp = one(docs, "WasmPlugin")
    assert wp["metadata"]["namespace"] == "shop"
    echo = named(docs, "Deployment", "echo")
    assert wp["spec"]["selector"] == {"matchLabels": echo["spec"]["selector"]["matchLabels"]}
    assert wp["spec"]["match"] == [{"mode": "SERVER"}]
    # Istio keeps the filter's counters (`wasm` prefix) without a proxyStatsMatcher annotation.
    assert "proxy.istio.io/config" not in echo["spec"]["template"]["metadata"].get("annotations", {})


def test_pinned_image_and_pull_secret_for_external_issuer():
    wp = one(render_set("external-issuer"), "WasmPlugin")["spec"]
    assert len(wp["sha256"]) == 64
    assert wp["imagePullPolicy"] == "Always"
    assert wp["imagePullSecret"] == "registry-example-com"


def test_demo_issuer_is_the_default_provider():
    docs = render_set("default")
    cfg = one(docs, "WasmPlugin")["spec"]["pluginConfig"]
    demo = cfg["providers"]["demo"]
    deploy = named(docs, "Deployment", "demo-issuer")
    env = {e["name"]: e["value"] for e in deploy["spec"]["template"]["spec"]["containers"][0]["env"]}
    # The filter accepts the demo issuer's tokens only if iss and aud agree on both sides.
    assert env["ISSUER"] == demo["issuer"] == "http://jwt-authn-demo-issuer.default.svc.cluster.local:8080"
    assert demo["audiences"] == [env["AUDIENCE"]]
    assert demo["remote_jwks"]["uri"] == demo["issuer"] + "/jwks"
    # Without rules every request needs a token: an empty list must not reach the filter.
    assert "rules" not in cfg
    cm = named(docs, "ConfigMap", "demo-issuer")
    assert cm["data"]["demo_issuer.py"] == (CHART / "files" / "demo_issuer.py").read_text().rstrip("\n")


def test_external_issuer_gets_service_entries_and_tls_origination():
    docs = render_set("external-issuer")
    assert "demo" not in one(docs, "WasmPlugin")["spec"]["pluginConfig"]["providers"]
    entries = {se["spec"]["hosts"][0]: se for se in objects(docs, "ServiceEntry")}
    assert set(entries) == {"login.example.com", "idp.partner.example", "keys.partner.example"}
    assert entries["idp.partner.example"]["spec"]["ports"][0]["number"] == 8443
    rules = {dr["spec"]["host"]: dr for dr in objects(docs, "DestinationRule")}
    assert set(rules) == set(entries)
    for host, se in entries.items():
        # Same namespace as the WasmPlugin and exported nowhere else.
        assert se["metadata"]["namespace"] == "istio-ingress"
        assert se["spec"]["exportTo"] == ["."]
        assert se["spec"]["location"] == "MESH_EXTERNAL"
        port = se["spec"]["ports"][0]["number"]
        tls = rules[host]["spec"]["trafficPolicy"]["portLevelSettings"][0]
        assert tls == {"port": {"number": port}, "tls": {"mode": "SIMPLE", "sni": host}}


def test_no_service_entry_for_in_cluster_issuer():
    assert objects(render_set("default"), "ServiceEntry") == []


def test_telemetry_traces_and_logs(rendered):
    tel = objects(rendered, "Telemetry")
    assert tel, "no Telemetry"
    for t in tel:
        assert t["spec"]["tracing"][0]["providers"][0]["name"] in {"jaeger", "zipkin"}
        assert 0 < t["spec"]["tracing"][0]["randomSamplingPercentage"] <= 100
        assert t["spec"]["accessLogging"][0]["providers"] == [{"name": "envoy"}]


def test_dashboard_configmap_for_grafana_sidecar():
    cm = named(render_set("default"), "ConfigMap", "dashboard")
    assert cm["metadata"]["labels"]["grafana_dashboard"] == "1"
    dashboard = json.loads(cm["data"]["jwt-authn-wasm.json"])
    assert dashboard == json.loads((CHART / "files" / "dashboard.json").read_text())


def test_prometheus_rule_matches_the_plain_rule_file():
    import yaml

    rule = one(render_set("prometheus-operator"), "PrometheusRule")
    assert rule["spec"] == yaml.safe_load((CHART / "files" / "alerts.yaml").read_text())
    assert rule["metadata"]["labels"]["release"] == "kube-prometheus-stack"


@pytest.mark.parametrize("target", ["gateway", "sidecar"])
def test_no_providers_at_all_is_refused(target):
    proc = helm("template", "x", str(CHART), *value_args(), "--set", "demoIssuer.enabled=false",
                "--set", f"plugin.target={target}", check=False)
    assert proc.returncode != 0
    assert "needs at least one provider" in proc.stderr



def test_chart_readme_explains_each_values_set():
    readme = (CHART.parent / "README.md").read_text()
    for name in VALUE_SETS:
        if name != "default":
            assert f"ci/{name}-values.yaml" in readme, name
    # The trap an Istio operator walks into with this filter.
    assert "requestPrincipals" in readme and "request.headers[x-jwt-sub]" in readme
