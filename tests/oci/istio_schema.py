"""Strict validation of Istio objects against Istio's own CRD schemas: besides the CRD's rules,
no field the CRD does not declare (the API server would prune it silently; we refuse it)."""
import copy
import functools
import os
from pathlib import Path

import jsonschema
import yaml

from support.paths import REPO

CRDS = Path(os.environ.get("ISTIO_CRDS", REPO.parent / "shared" / "istio" / "crd-all.gen.yaml"))


def _closed(schema: dict) -> dict:
    """Adds additionalProperties: false wherever the CRD lists properties and keeps no unknowns."""
    if isinstance(schema, dict):
        schema = {k: _closed(v) for k, v in schema.items()}
        if ("properties" in schema and not schema.get("x-kubernetes-preserve-unknown-fields")
                and "additionalProperties" not in schema):
            schema["additionalProperties"] = False
    elif isinstance(schema, list):
        schema = [_closed(v) for v in schema]
    return schema


@functools.cache
def _schemas() -> dict:
    assert CRDS.is_file(), f"Istio CRDs not found at {CRDS} (set ISTIO_CRDS)"
    out = {}
    for crd in yaml.safe_load_all(CRDS.read_text()):
        if not crd or crd.get("kind") != "CustomResourceDefinition":
            continue
        group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
        for version in crd["spec"]["versions"]:
            schema = copy.deepcopy(version["schema"]["openAPIV3Schema"])
            props = schema.setdefault("properties", {})
            props["apiVersion"] = {"const": f"{group}/{version['name']}"}
            props["kind"] = {"const": kind}
            props["metadata"] = {
                "type": "object", "required": ["name"],
                "properties": {"name": {"type": "string"}, "namespace": {"type": "string"},
                               "labels": {"type": "object"}, "annotations": {"type": "object"}},
            }
            out[(f"{group}/{version['name']}", kind)] = _closed(schema)
    return out


def is_istio(obj: dict) -> bool:
    return obj.get("apiVersion", "").split("/")[0].endswith("istio.io")


def validate(obj: dict) -> None:
    key = (obj["apiVersion"], obj["kind"])
    schema = _schemas().get(key)
    assert schema is not None, f"{key} is not an Istio CRD version in {CRDS}"
    jsonschema.validate(obj, schema)
