"""Every rendered object against its schema, unknown fields refused: Kubernetes kinds with
kubernetes-validate (strict), Istio kinds with the CRD schemas of the Istio release we target."""
import copy
import functools
import os
import tarfile

import jsonschema
import kubernetes_validate
import pytest

import istio_crds
from chartlib import render_set

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


def test_crd_source_is_shared_in_ci():
    _schemas, source = istio_crds.load()
    if os.environ.get("CI"):
        # CI always has ../shared beside the clone: never fall back there.
        assert source == str(istio_crds.SHARED)
    else:
        assert source in {str(istio_crds.SHARED), str(istio_crds.base_chart_tgz()), os.environ.get("ISTIO_CRDS")}


def test_crds_fall_back_to_the_pinned_base_chart(tmp_path, monkeypatch):
    """A user's machine without ../shared reads the CRDs from the pulled Istio base chart."""
    reference, reference_source = istio_crds.load()
    monkeypatch.delenv("ISTIO_CRDS", raising=False)
    monkeypatch.setattr(istio_crds, "SHARED", tmp_path / "no-shared" / "crd-all.gen.yaml")
    tgz = tmp_path / f"base-{istio_crds.istio_version()}.tgz"
    monkeypatch.setattr(istio_crds, "base_chart_tgz", lambda: tgz)
    with pytest.raises(FileNotFoundError, match="helm pull base --repo https://istio-release"):
        istio_crds.load()
    with tarfile.open(tgz, "w:gz") as t:
        if reference_source.endswith(".tgz"):
            with tarfile.open(reference_source) as src:
                member = next(m for m in src.getmembers() if m.name.endswith("crd-all.gen.yaml"))
                t.addfile(member, src.extractfile(member))
        else:
            t.add(reference_source, arcname="base/files/crd-all.gen.yaml")
    schemas, source = istio_crds.load()
    assert source == str(tgz)
    assert schemas == reference


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
