"""Every rendered object against its schema, unknown fields refused: Kubernetes kinds with
kubernetes-validate (strict), Istio kinds with Istio's CRD schemas vendored in
chart/crds/istio/ (or $ISTIO_CRDS), Gateway API and prometheus-operator kinds with the CRDs
vendored in chart/crds/gateway-api/ and chart/crds/prometheus-operator/."""
import copy
import functools

import jsonschema
import kubernetes_validate
import pytest
import yaml

import crd_schemas
import istio_crds
from chartlib import CHART_DIR, REPO, VALUE_SETS, render_set

# The oldest and newest Kubernetes the pinned Istio supports (chart/README.md, Supported versions).
K8S_VERSIONS = ("1.32.0", "1.36.0")
OTHER_CRD_DIRS = [CHART_DIR / "crds" / "gateway-api", CHART_DIR / "crds" / "prometheus-operator"]
METADATA_KEYS = {"name", "namespace", "labels", "annotations"}


@functools.lru_cache(maxsize=None)
def istio_schemas() -> dict:
    try:
        schemas, _source = istio_crds.load()
    except FileNotFoundError as e:
        pytest.fail(str(e))
    return schemas


@functools.lru_cache(maxsize=None)
def other_schemas() -> dict:
    return crd_schemas.from_files(sorted(p for d in OTHER_CRD_DIRS for p in d.glob("*.yaml")))


def is_istio(doc: dict) -> bool:
    return doc["apiVersion"].split("/")[0].endswith(".istio.io")


def check(doc: dict, schema: dict):
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{'.'.join(map(str, e.path))}: {e.message}" for e in errors)
    assert set(doc["metadata"]) <= METADATA_KEYS, doc["metadata"]


def validate_istio(doc: dict):
    schema = istio_schemas().get((doc["apiVersion"], doc["kind"]))
    assert schema is not None, f"{doc['apiVersion']} {doc['kind']} is not served by Istio {istio_crds.istio_version()}"
    check(doc, schema)


def validate_crd(doc: dict):
    schema = other_schemas().get((doc["apiVersion"], doc["kind"]))
    assert schema is not None, f"{doc['apiVersion']} {doc['kind']} is in no vendored CRD"
    check(doc, schema)


def with_unknown_field(value_set: str, kind: str, path: list, field: str) -> dict:
    """A copy of the first rendered object of that kind with `field` added at `path`."""
    doc = copy.deepcopy(next(d for d in render_set(value_set) if d["kind"] == kind))
    node = doc
    for p in path:
        node = node[p]
    node[field] = "x"
    return doc


def validate(doc: dict):
    if is_istio(doc):
        validate_istio(doc)
    elif doc["apiVersion"].split("/")[0] in ("gateway.networking.k8s.io", "monitoring.coreos.com"):
        # PrometheusRule expressions are checked by promtool in test_alerts.py.
        validate_crd(doc)
    else:
        for version in K8S_VERSIONS:
            kubernetes_validate.validate(doc, version, strict=True)


def test_crds_are_read_from_the_vendored_copy(monkeypatch):
    """Without ISTIO_CRDS the schemas come from the file in the repository, nothing beside it."""
    monkeypatch.delenv("ISTIO_CRDS", raising=False)
    schemas, source = istio_crds.load()
    assert source == str(istio_crds.VENDORED)
    assert istio_crds.VENDORED.resolve().is_relative_to(REPO)
    assert "templates" not in istio_crds.VENDORED.relative_to(REPO).parts, "helm would install it"
    assert (istio_crds.VENDORED.parent / "README.md").is_file(), "say where the copy comes from"
    assert schemas


def test_istio_crds_overrides_the_vendored_copy(tmp_path, monkeypatch):
    docs = list(yaml.safe_load_all(istio_crds.VENDORED.read_text()))
    wasm = [d for d in docs if d and d["spec"]["names"]["kind"] == "WasmPlugin"]
    other = tmp_path / "crd-all.gen.yaml"
    other.write_text(yaml.safe_dump_all(wasm))
    monkeypatch.setenv("ISTIO_CRDS", str(other))
    schemas, source = istio_crds.load()
    assert source == str(other)
    assert set(schemas) == {("extensions.istio.io/v1alpha1", "WasmPlugin")}
    monkeypatch.setenv("ISTIO_CRDS", str(tmp_path / "missing.yaml"))
    with pytest.raises(FileNotFoundError, match="ISTIO_CRDS"):
        istio_crds.load()


def test_vendored_crds_serve_every_istio_kind_we_write(monkeypatch):
    """Each Istio kind the chart renders (any value set) or wasmplugin/manifests hold is in the
    vendored file, with the apiVersion we write served."""
    monkeypatch.delenv("ISTIO_CRDS", raising=False)
    served = set(istio_crds.load()[0])
    written = {(d["apiVersion"], d["kind"]) for name in VALUE_SETS for d in render_set(name) if is_istio(d)}
    for path in sorted((REPO / "wasmplugin" / "manifests").glob("*.yaml")):
        written |= {(d["apiVersion"], d["kind"]) for d in yaml.safe_load_all(path.read_text())
                    if d and is_istio(d)}
    assert {k for _v, k in written} >= {"WasmPlugin", "PeerAuthentication", "Gateway", "VirtualService",
                                         "AuthorizationPolicy"}
    assert written <= served, sorted(written - served)


def test_rendered_objects_are_valid(rendered):
    for doc in rendered:
        try:
            validate(doc)
        except (AssertionError, kubernetes_validate.ValidationError) as e:
            pytest.fail(f"{doc['kind']}/{doc['metadata']['name']}: {e}")


def test_istio_kinds_are_checked(rendered, value_set):
    kinds = {d["kind"] for d in rendered if is_istio(d)}
    routing = {"Gateway", "VirtualService"} if value_set != "gateway-api" else set()
    assert {"WasmPlugin", "PeerAuthentication"} | routing <= kinds


@pytest.mark.parametrize("kind,path,field", [
    ("WasmPlugin", ["spec"], "pluginConfigs"),
    ("WasmPlugin", ["spec", "selector"], "labels"),
    ("ServiceEntry", ["spec", "ports", 0], "protocl"),
    ("DestinationRule", ["spec", "trafficPolicy", "portLevelSettings", 0, "tls"], "sniHost"),
    ("Telemetry", ["spec", "tracing", 0], "samplingPercentage"),
    ("PeerAuthentication", ["spec", "mtls"], "strict"),
])
def test_unknown_istio_field_is_refused(kind, path, field):
    doc = with_unknown_field("external-issuer", kind, path, field)
    with pytest.raises(AssertionError, match=field):
        validate_istio(doc)


def test_bad_istio_enum_is_refused():
    doc = copy.deepcopy(next(d for d in render_set("default") if d["kind"] == "WasmPlugin"))
    doc["spec"]["failStrategy"] = "FAIL_CLOSED"
    with pytest.raises(AssertionError, match="failStrategy"):
        validate_istio(doc)


def test_unknown_kubernetes_field_is_refused():
    doc = copy.deepcopy(next(d for d in render_set("default") if d["kind"] == "Deployment"))
    doc["spec"]["template"]["spec"]["containers"][0]["imagePullPolcy"] = "Always"
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(doc)


def test_custom_kinds_outside_istio_are_checked():
    """Each non-Istio custom kind some value set renders has a vendored CRD, with a README saying
    where it comes from, outside the chart (helm would install it)."""
    written = {(d["apiVersion"], d["kind"]) for name in VALUE_SETS for d in render_set(name)
               if d["apiVersion"].split("/")[0] in ("gateway.networking.k8s.io", "monitoring.coreos.com")}
    assert written == {("gateway.networking.k8s.io/v1", "Gateway"), ("gateway.networking.k8s.io/v1", "HTTPRoute"),
                       ("monitoring.coreos.com/v1", "PodMonitor"), ("monitoring.coreos.com/v1", "PrometheusRule")}
    assert written <= set(other_schemas())
    for d in OTHER_CRD_DIRS:
        assert (d / "README.md").is_file(), d
        assert "jwt-authn" not in d.relative_to(REPO).parts


@pytest.mark.parametrize("value_set,kind,path,field", [
    ("gateway-api", "Gateway", ["spec", "listeners", 0], "hostnames"),
    ("gateway-api", "HTTPRoute", ["spec", "rules", 0, "backendRefs", 0], "service"),
    ("prometheus-operator", "PodMonitor", ["spec", "podMetricsEndpoints", 0], "targetPort2"),
    ("prometheus-operator", "PrometheusRule", ["spec"], "group"),
])
def test_unknown_field_of_a_vendored_crd_is_refused(value_set, kind, path, field):
    doc = with_unknown_field(value_set, kind, path, field)
    with pytest.raises(AssertionError, match=field):
        validate_crd(doc)
