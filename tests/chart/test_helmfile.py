"""chart/helmfile.yaml: helmfile cannot pull charts here, so its structure is what is checked."""
import re

import yaml

from chartlib import CHART, CHART_DIR, HELMFILE, istio_version


def helmfile() -> dict:
    return yaml.safe_load(HELMFILE.read_text())


def releases() -> dict:
    return {f"{r['namespace']}/{r['name']}": r for r in helmfile()["releases"]}


def test_the_stack_is_all_there():
    charts = {r["chart"] for r in releases().values()}
    assert charts == {"istio/base", "istio/istiod", "istio/gateway", "prometheus-community/prometheus",
                      "grafana/grafana", "jaegertracing/jaeger", "kiali/kiali-operator"}


def test_every_chart_comes_from_a_declared_repository():
    repos = {r["name"]: r["url"] for r in helmfile()["repositories"]}
    for r in releases().values():
        assert r["chart"].split("/")[0] in repos
    assert all(u.startswith("https://") for u in repos.values())


def test_versions_are_pinned_exactly():
    for key, r in releases().items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", str(r.get("version", ""))), f"{key}: version {r.get('version')!r}"


def test_istio_releases_match_the_version_the_chart_is_checked_against():
    v = istio_version()
    for r in releases().values():
        if r["chart"].startswith("istio/"):
            assert r["version"] == v


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


def test_referenced_values_files_exist_and_parse():
    for key, r in releases().items():
        for v in r.get("values", []):
            path = CHART_DIR / v
            assert path.is_file(), f"{key}: {v} is missing"
            if path.suffix != ".gotmpl":
                assert isinstance(yaml.safe_load(path.read_text()), dict), v


def test_prometheus_rules_template_reads_the_chart_rule_file():
    text = (CHART_DIR / "values" / "prometheus-rules.yaml.gotmpl").read_text()
    files = re.findall(r'readFile "([^"]+)"', text)
    assert files == ["jwt-authn/files/alerts.yaml"]
    # helmfile resolves readFile against the helmfile's folder; the result must be the rule file under serverFiles.
    rules = (CHART_DIR / files[0]).read_text()
    rendered = re.sub(r'\{\{ readFile "[^"]+" \| indent 4 \}\}',
                      lambda _m: "\n".join("    " + line for line in rules.splitlines()), text)
    assert yaml.safe_load(rendered)["serverFiles"]["alerting_rules.yml"] == yaml.safe_load(rules)


def values(name: str) -> dict:
    return yaml.safe_load((CHART_DIR / "values" / name).read_text())


def test_istiod_tracing_providers_point_at_the_jaeger_collector():
    mesh = values("istiod.yaml")["meshConfig"]
    providers = {p["name"]: p for p in mesh["extensionProviders"]}
    assert providers["jaeger"]["opentelemetry"] == {
        "service": "jaeger-collector.istio-system.svc.cluster.local", "port": 4317}
    assert providers["zipkin"]["zipkin"] == {"service": "jaeger-collector.istio-system.svc.cluster.local", "port": 9411}
    assert mesh["defaultProviders"]["tracing"] == ["jaeger"]
    # The chart's Telemetry names providers that exist.
    chart_values = yaml.safe_load((CHART / "values.yaml").read_text())
    assert chart_values["telemetry"]["tracingProvider"] in providers
    # A headless collector service would give the proxies an ORIGINAL_DST cluster their tracer cannot use.
    jaeger = values("jaeger.yaml")
    assert jaeger["allInOne"]["enabled"] and jaeger["allInOne"]["service"]["headless"] is False
    assert releases()["istio-system/jaeger"]["name"] + "-collector" == "jaeger-collector"


def test_proxies_export_the_filter_counters():
    prefix = yaml.safe_load((CHART / "values.yaml").read_text())["stats"]["inclusionPrefixes"]
    mesh = values("istiod.yaml")["meshConfig"]
    assert mesh["defaultConfig"]["proxyStatsMatcher"]["inclusionPrefixes"] == prefix
    gw = yaml.safe_load(values("gateway.yaml")["podAnnotations"]["proxy.istio.io/config"])
    assert gw["proxyStatsMatcher"]["inclusionPrefixes"] == prefix


def test_gateway_release_gives_the_selector_the_chart_uses():
    # istio/gateway labels pods istio=<release name without the istio- prefix>.
    name = releases()["istio-ingress/istio-ingressgateway"]["name"]
    chart_values = yaml.safe_load((CHART / "values.yaml").read_text())
    assert chart_values["ingress"]["gatewaySelector"] == {"istio": name.removeprefix("istio-")}
    assert chart_values["ingress"]["gatewayNamespace"] == "istio-ingress"


def test_grafana_reads_prometheus_and_the_dashboard_configmaps():
    g = values("grafana.yaml")
    ds = {d["type"]: d["url"] for d in g["datasources"]["datasources.yaml"]["datasources"]}
    assert ds["prometheus"] == "http://prometheus-server.istio-system.svc.cluster.local"
    assert ds["jaeger"].startswith("http://jaeger-query.istio-system.svc.cluster.local:16686")
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
    assert ext["tracing"]["internal_url"].startswith("http://jaeger-query.istio-system")
