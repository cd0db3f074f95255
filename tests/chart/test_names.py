"""Names come from the release, objects sit in the namespaces the README says, and every
reference between objects lands on an object the same render has."""
import pytest

from chartlib import VALUE_SETS, named, objects, one, render, render_set, template

SERVICE_DOMAIN = ".svc.cluster.local"


def keys(docs: list[dict]) -> set:
    return {(d["kind"], d["metadata"].get("namespace"), d["metadata"]["name"]) for d in docs}


def services(docs: list[dict]) -> dict:
    """{host: Service} under every name a Service answers to in the cluster."""
    out = {}
    for s in objects(docs, "Service"):
        name, ns = s["metadata"]["name"], s["metadata"]["namespace"]
        out[f"{name}.{ns}{SERVICE_DOMAIN}"] = s
    return out


def pods_of(docs: list[dict]) -> list[dict]:
    return [d["spec"]["template"]["metadata"]["labels"] for d in objects(docs, "Deployment")]


def selects(selector: dict, labels: dict) -> bool:
    return selector.items() <= labels.items()


@pytest.mark.parametrize("value_set", sorted(VALUE_SETS))
def test_two_releases_in_one_namespace_share_no_object(value_set):
    files = VALUE_SETS[value_set]
    a = render(files, release="shop-a")
    b = render(files, release="shop-b")
    shared = keys(a) & keys(b)
    # A namespace the chart creates is the only thing two releases may name alike (one creates it).
    assert {k for k in shared if k[0] != "Namespace"} == set()


def test_every_name_carries_the_release():
    for value_set in VALUE_SETS:
        for d in render(VALUE_SETS[value_set], release="shop-a"):
            if d["kind"] != "Namespace":
                assert d["metadata"]["name"].startswith("shop-a"), (value_set, d["kind"], d["metadata"]["name"])


def test_fullname_override_replaces_the_release_name():
    docs = render(sets={"fullnameOverride": '"edge-auth"'}, release="r1")
    assert {d["metadata"]["name"] for d in docs if d["kind"] == "Deployment"} == {"edge-auth-echo",
                                                                                  "edge-auth-demo-issuer"}
    assert one(docs, "WasmPlugin")["metadata"]["name"] == "edge-auth"


def test_a_release_name_that_cannot_name_a_service_is_refused():
    proc = template(release="9lives", check=False)
    assert proc.returncode != 0 and "set fullnameOverride" in proc.stderr


def test_objects_default_to_the_release_namespace():
    docs = render(namespace="payments")
    app = {d["kind"]: d["metadata"]["namespace"] for d in docs if d["kind"] in
           ("Deployment", "Service", "PeerAuthentication", "VirtualService")}
    assert set(app.values()) == {"payments"}
    assert objects(docs, "Namespace") == []
    # The pods ask for a sidecar themselves: the existing namespace needs no label.
    for labels in pods_of(docs):
        assert labels["sidecar.istio.io/inject"] == "true"
    # The gateway's objects stay with the gateway pods.
    assert one(docs, "WasmPlugin")["metadata"]["namespace"] == "istio-ingress"


def test_a_named_namespace_can_be_created_with_its_injection_label():
    docs = render(sets={"namespace.name": '"jwt-demo"', "namespace.create": "true"}, namespace="default")
    ns = one(docs, "Namespace")
    assert ns["metadata"]["name"] == "jwt-demo"
    assert ns["metadata"]["labels"]["istio-injection"] == "enabled"
    assert {d["metadata"]["namespace"] for d in objects(docs, "Deployment")} == {"jwt-demo"}


def test_creating_the_release_namespace_is_refused():
    proc = template(sets={"namespace.name": '"default"', "namespace.create": "true"}, check=False)
    assert proc.returncode != 0 and "release namespace" in proc.stderr
    proc = template(sets={"namespace.create": "true"}, check=False)
    assert proc.returncode != 0 and "namespace.create needs namespace.name" in proc.stderr


def test_a_revision_replaces_the_injection_labels():
    docs = render_set("gateway-api")
    ns = one(docs, "Namespace")
    assert ns["metadata"]["labels"]["istio.io/rev"] == "1-31"
    assert "istio-injection" not in ns["metadata"]["labels"]
    for labels in pods_of(docs):
        assert labels["istio.io/rev"] == "1-31" and "sidecar.istio.io/inject" not in labels
    # The Gateway API gateway is programmed and deployed by that revision too.
    assert one(docs, "Gateway")["metadata"]["labels"]["istio.io/rev"] == "1-31"


def test_deployments_and_services_select_their_own_pods(rendered):
    for deploy in objects(rendered, "Deployment"):
        assert selects(deploy["spec"]["selector"]["matchLabels"], deploy["spec"]["template"]["metadata"]["labels"])
    pods = pods_of(rendered)
    for svc in objects(rendered, "Service"):
        # Exactly one Deployment's pods: echo and the demo issuer never answer for each other.
        assert sum(selects(svc["spec"]["selector"], labels) for labels in pods) == 1, svc["metadata"]["name"]


def test_config_map_volumes_name_a_rendered_config_map(rendered):
    maps = {(c["metadata"]["namespace"], c["metadata"]["name"]) for c in objects(rendered, "ConfigMap")}
    for deploy in objects(rendered, "Deployment"):
        for vol in deploy["spec"]["template"]["spec"].get("volumes", []):
            if "configMap" in vol:
                assert (deploy["metadata"]["namespace"], vol["configMap"]["name"]) in maps


def test_routes_lead_to_a_rendered_service(rendered):
    hosts = services(rendered)
    for vs in objects(rendered, "VirtualService"):
        for http in vs["spec"]["http"]:
            for route in http["route"]:
                svc = hosts[route["destination"]["host"]]
                assert route["destination"]["port"]["number"] in {p["port"] for p in svc["spec"]["ports"]}
        gateways = {g["metadata"]["name"] for g in objects(rendered, "Gateway")}
        assert set(vs["spec"]["gateways"]) <= gateways
    for route in objects(rendered, "HTTPRoute"):
        ns = route["metadata"]["namespace"]
        for rule in route["spec"]["rules"]:
            for ref in rule["backendRefs"]:
                svc = hosts[f"{ref['name']}.{ns}{SERVICE_DOMAIN}"]
                assert ref["port"] in {p["port"] for p in svc["spec"]["ports"]}
        for parent in route["spec"]["parentRefs"]:
            assert one(rendered, "Gateway")["metadata"]["name"] == parent["name"]


def test_demo_issuer_urls_point_at_its_service(rendered):
    hosts = services(rendered)
    providers = one(rendered, "WasmPlugin")["spec"]["pluginConfig"]["providers"]
    if "demo" not in providers:
        return
    from urllib.parse import urlparse

    for url in (providers["demo"]["issuer"], providers["demo"]["remote_jwks"]["uri"]):
        u = urlparse(url)
        svc = hosts[u.hostname]
        assert u.port in {p["port"] for p in svc["spec"]["ports"]}
    issuer = named(rendered, "Deployment", "demo-issuer")
    env = {e["name"]: e["value"] for e in issuer["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["ISSUER"] == providers["demo"]["issuer"]


def test_sidecar_filter_selects_the_echo_pods():
    docs = render_set("sidecar")
    selector = one(docs, "WasmPlugin")["spec"]["selector"]["matchLabels"]
    echo = named(docs, "Deployment", "echo")["spec"]["template"]["metadata"]["labels"]
    issuer = named(docs, "Deployment", "demo-issuer")["spec"]["template"]["metadata"]["labels"]
    assert selects(selector, echo) and not selects(selector, issuer)


def test_sidecar_mode_without_echo_needs_a_selector():
    proc = template(sets={"plugin.target": '"sidecar"', "echo.enabled": "false"}, check=False)
    assert proc.returncode != 0 and "plugin.workloadSelector" in proc.stderr


def test_service_entries_sit_beside_the_plugin_and_carry_the_release():
    docs = render(VALUE_SETS["external-issuer"], release="shop-a")
    wp = one(docs, "WasmPlugin")
    for kind in ("ServiceEntry", "DestinationRule"):
        for d in objects(docs, kind):
            assert d["metadata"]["namespace"] == wp["metadata"]["namespace"]
            assert d["metadata"]["name"].startswith("shop-a-issuer-")
