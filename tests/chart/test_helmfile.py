"""chart/helmfile.yaml: helmfile cannot pull charts here, so its structure, its environments and the
values each release gets in each environment are what is checked."""
import re

import pytest
import yaml

from chartlib import CHART, CHART_DIR
from helmfile_values import (ENVIRONMENTS, JAEGER_NS, JAEGER_PORTS, JAEGER_SERVICE, helmfile, release_values,
                             releases, values)


def test_the_stack_is_all_there():
    charts = {r["chart"] for r in releases().values()}
    assert charts == {"istio/base", "istio/istiod", "istio/gateway", "prometheus-community/prometheus",
                      "grafana-community/grafana", "jaegertracing/jaeger", "kiali/kiali-operator"}


def test_every_chart_comes_from_a_declared_repository():
    repos = {r["name"]: r["url"] for r in helmfile()["repositories"]}
    for r in releases().values():
        assert r["chart"].split("/")[0] in repos
    assert all(u.startswith("https://") for u in repos.values())
    # The chart moved in January 2026; the old repository is frozen at a deprecated chart.
    assert repos["grafana-community"] == "https://grafana-community.github.io/helm-charts"
    assert "https://grafana.github.io/helm-charts" not in repos.values()


def test_versions_are_pinned_exactly():
    for key, r in releases().items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", str(r.get("version", ""))), f"{key}: version {r.get('version')!r}"


def test_jaeger_is_the_v2_chart():
    assert int(releases()[f"{JAEGER_NS}/jaeger"]["version"].split(".")[0]) >= 4


def test_istio_releases_are_one_version_and_match_the_vendored_crds():
    versions = {r["version"] for r in releases().values() if r["chart"].startswith("istio/")}
    assert len(versions) == 1, versions
    [v] = versions
    readme = (CHART_DIR / "crds" / "istio" / "README.md").read_text()
    line = re.search(r"^Version: Istio (\d+\.\d+)", readme, re.M)
    assert line, "chart/crds/istio/README.md has no `Version: Istio X.Y` line"
    assert v.rsplit(".", 1)[0] == line.group(1), f"helmfile installs Istio {v}, CRDs vendored from {line.group(1)}"
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    assert chart["annotations"]["istio.io/version"] == v, "Chart.yaml names another Istio than the helmfile installs"


def test_needs_name_earlier_releases_and_order_the_install():
    rel = releases()
    order = list(rel)
    for key, r in rel.items():
        for need in r.get("needs", []):
            assert need in rel, f"{key} needs unknown release {need}"
            assert order.index(need) < order.index(key), f"{key} is listed before what it needs ({need})"
    # The order that matters: CRDs, then istiod, then what istiod configures and what reads telemetry.
    assert "istio-system/istio-base" in rel["istio-system/istiod"]["needs"]
    assert "istio-system/istiod" in rel["istio-ingress/istio-ingressgateway"]["needs"]
    assert {"istio-system/prometheus", "istio-system/jaeger"} <= set(rel["istio-system/grafana"]["needs"])
    assert {"istio-system/prometheus", "istio-system/grafana", "istio-system/jaeger"} <= set(
        rel["kiali-operator/kiali-operator"]["needs"])


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_release_gets_values_that_parse(env):
    for key in releases():
        for doc in release_values(key, env):
            assert isinstance(doc, dict), f"{key} ({env}): a values file is not a mapping"


def _load_balancers(node) -> bool:
    if isinstance(node, dict):
        return node.get("type") == "LoadBalancer" or any(_load_balancers(v) for v in node.values())
    if isinstance(node, list):
        return any(_load_balancers(v) for v in node)
    return False


def _waits(release: dict) -> bool:
    return release.get("wait", helmfile().get("helmDefaults", {}).get("wait", False))


def test_default_environment_waits_on_no_load_balancer():
    """kind, minikube and bare metal give a LoadBalancer Service no address: a release waiting on one never ends."""
    assert set(ENVIRONMENTS) == {"default", "cloud"}
    for key, r in releases().items():
        if _waits(r):
            assert not any(_load_balancers(doc) for doc in release_values(key, "default")), key
    gateway = release_values("istio-ingress/istio-ingressgateway", "default")
    assert [d["service"]["type"] for d in gateway if "service" in d] == ["NodePort"]


def test_cloud_environment_gives_the_gateway_a_load_balancer():
    gateway = release_values("istio-ingress/istio-ingressgateway", "cloud")
    assert [d["service"]["type"] for d in gateway if "service" in d] == ["LoadBalancer"]
    # Only the gateway differs between the environments.
    for key in releases():
        if key != "istio-ingress/istio-ingressgateway":
            assert release_values(key, "cloud") == release_values(key, "default"), key


def test_prometheus_rules_template_reads_the_chart_rule_file():
    [_, rules_doc] = release_values("istio-system/prometheus", "default")
    rules = yaml.safe_load((CHART / "files" / "alerts.yaml").read_text())
    assert rules_doc["serverFiles"]["alerting_rules.yml"] == rules


def test_istiod_normalises_paths_before_the_filters_rules_see_them():
    # README, "Security": `/public/../admin` and `//admin` reach the rules as `/admin`.
    assert values("istiod.yaml")["meshConfig"]["pathNormalization"] == {"normalization": "MERGE_SLASHES"}


def test_istiod_tracing_providers_point_at_the_jaeger_service():
    mesh = values("istiod.yaml")["meshConfig"]
    providers = {p["name"]: p for p in mesh["extensionProviders"]}
    host = f"{JAEGER_SERVICE}.{JAEGER_NS}.svc.cluster.local"
    assert providers["jaeger"]["opentelemetry"] == {"service": host, "port": JAEGER_PORTS["otlp"]}
    assert providers["zipkin"]["zipkin"] == {"service": host, "port": JAEGER_PORTS["zipkin"]}
    assert mesh["defaultProviders"]["tracing"] == ["jaeger"]
    # The chart's Telemetry names providers that exist.
    chart_values = yaml.safe_load((CHART / "values.yaml").read_text())
    assert chart_values["telemetry"]["tracingProvider"] in providers
    # The release name is what the chart names its Service after.
    assert "jaeger" in releases()[f"{JAEGER_NS}/jaeger"]["name"]


def test_jaeger_values_are_v2_all_in_one_in_memory():
    j = values("jaeger.yaml")
    # Keys of the 3.x chart (Jaeger v1 components and provisioned stores) do not exist in 4.x.
    assert not {"allInOne", "agent", "collector", "query", "provisionDataStore", "storage"} & set(j)
    # No userconfig: the image's built-in all-in-one configuration, with in-memory storage.
    assert "userconfig" not in j and j["jaeger"]["enabled"] is True
    # A headless service would give the proxies an ORIGINAL_DST cluster their tracer cannot use.
    assert j["jaeger"]["service"]["type"] == "ClusterIP"


def test_no_proxy_stats_matcher_is_set():
    """Istio always keeps the "wasm" prefix, which covers the filter's wasmcustom.jwt_authn_wasm.* counters
    (tests/chart/test_istio_proxy.py shows it with real Envoy)."""
    assert "proxyStatsMatcher" not in values("istiod.yaml")["meshConfig"].get("defaultConfig", {})
    for doc in release_values("istio-ingress/istio-ingressgateway", "default"):
        assert "proxy.istio.io/config" not in doc.get("podAnnotations", {})


def test_istiod_keeps_jwks_clusters_on_gateways():
    env = values("istiod.yaml")["pilot"]["env"]
    assert env["PILOT_FILTER_GATEWAY_CLUSTER_CONFIG"] == "false"


def test_gateway_release_gives_the_selector_the_chart_uses():
    # istio/gateway labels pods istio=<release name without the istio- prefix>.
    name = releases()["istio-ingress/istio-ingressgateway"]["name"]
    chart_values = yaml.safe_load((CHART / "values.yaml").read_text())
    assert chart_values["ingress"]["gatewaySelector"] == {"istio": name.removeprefix("istio-")}
    assert chart_values["ingress"]["gatewayNamespace"] == "istio-ingress"


def test_grafana_reads_prometheus_jaeger_and_the_dashboard_configmaps():
    g = values("grafana.yaml")
    ds = {d["type"]: d["url"] for d in g["datasources"]["datasources.yaml"]["datasources"]}
    assert ds["prometheus"] == "http://prometheus-server.istio-system.svc.cluster.local"
    assert ds["jaeger"] == f"http://{JAEGER_SERVICE}.{JAEGER_NS}.svc.cluster.local:{JAEGER_PORTS['ui']}"
    chart_values = yaml.safe_load((CHART / "values.yaml").read_text())["monitoring"]["dashboard"]
    sc = g["sidecar"]["dashboards"]
    assert sc["enabled"] and sc["searchNamespace"] == "ALL"
    assert (sc["label"], sc["labelValue"]) == (chart_values["label"], chart_values["labelValue"])
    istio = g["dashboards"]["istio"]
    assert {d["gnetId"] for d in istio.values()} >= {7639, 7636, 7630, 7645}


def test_kiali_cr_is_created_with_the_stack_urls():
    cr = values("kiali-operator.yaml")["cr"]
    assert cr["create"] is True and cr["namespace"] == "istio-system"
    ext = cr["spec"]["external_services"]
    assert ext["prometheus"]["url"] == values("grafana.yaml")["datasources"]["datasources.yaml"]["datasources"][0]["url"]
    assert ext["tracing"]["use_grpc"] is True
    assert ext["tracing"]["internal_url"] == (
        f"http://{JAEGER_SERVICE}.{JAEGER_NS}.svc.cluster.local:{JAEGER_PORTS['query_grpc']}")
