"""Every rendered object against its schema, unknown fields refused: Kubernetes kinds with
kubernetes-validate (strict), Istio kinds with Istio's CRD schemas vendored in
chart/crds/istio/ (or $ISTIO_CRDS)."""
import copy
import functools

import jsonschema
import kubernetes_validate
import pytest
import yaml

import istio_crds
from chartlib import REPO, VALUE_SETS, render_set

K8S_VERSION = "1.31.0"
METADATA_KEYS = {"name", "namespace", "labels", "annotations"}


@functools.lru_cache(maxsize=None)
def istio_schemas() -> dict:
    try:
        schemas, _source = istio_crds.load()
    except FileNotFoundError as e:
        pytest.fail(str(e))
    return schemas


def is_istio(doc: dict) -> bool:
    return doc["apiVersion"].split("/")[0].endswith(".istio.io")


def validate_istio(doc: dict):
    schema = istio_schemas().get((doc["apiVersion"], doc["kind"]))
    assert schema is not None, f"{doc['apiVersion']} {doc['kind']} is not served by Istio {istio_crds.istio_version()}"
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{'.'.join(map(str, e.path))}: {e.message}" for e in errors)
    assert set(doc["metadata"]) <= METADATA_KEYS, doc["metadata"]


def validate(doc: dict):
    if is_istio(doc):
        validate_istio(doc)
    elif doc["apiVersion"] == "monitoring.coreos.com/v1":
        # Its rule groups are checked by promtool in test_alerts.py.
        assert doc["kind"] == "PrometheusRule" and set(doc["spec"]) == {"groups"}
    else:
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


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
    assert {k for _v, k in written} >= {"WasmPlugin", "PeerAuthentication", "Gateway", "VirtualService"}
    assert written <= served, sorted(written - served)


def test_rendered_objects_are_valid(rendered):
    for doc in rendered:
        try:
            validate(doc)
        except (AssertionError, kubernetes_validate.ValidationError) as e:
            pytest.fail(f"{doc['kind']}/{doc['metadata']['name']}: {e}")


def test_istio_kinds_are_checked(rendered):
    kinds = {d["kind"] for d in rendered if is_istio(d)}
    assert {"WasmPlugin", "PeerAuthentication", "Gateway", "VirtualService"} <= kinds


@pytest.mark.parametrize("kind,path,field", [
    ("WasmPlugin", ["spec"], "pluginConfigs"),
    ("WasmPlugin", ["spec", "selector"], "labels"),
    ("ServiceEntry", ["spec", "ports", 0], "protocl"),
    ("DestinationRule", ["spec", "trafficPolicy", "portLevelSettings", 0, "tls"], "sniHost"),
    ("Telemetry", ["spec", "tracing", 0], "samplingPercentage"),
    ("PeerAuthentication", ["spec", "mtls"], "strict"),
])
def test_unknown_istio_field_is_refused(kind, path, field):
    doc = copy.deepcopy(next(d for d in render_set("external-issuer") if d["kind"] == kind))
    node = doc
    for p in path:
        node = node[p]
    node[field] = "x"
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
