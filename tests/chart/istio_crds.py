"""Istio's CRD schemas as strict JSON schemas, one per (apiVersion, kind).

Source: $ISTIO_CRDS (a crd-all.gen.yaml) if set, else the copy vendored in the repository,
chart/crds/istio/crd-all.gen.yaml (see the README beside it; `make istio-crds` refreshes it from the
pinned Istio base chart). Nothing outside the repository is read unless ISTIO_CRDS names it.
"""
import copy
import os
from pathlib import Path

import yaml

from chartlib import CHART_DIR, istio_version  # noqa: F401  (istio_version: for callers' messages)

VENDORED = CHART_DIR / "crds" / "istio" / "crd-all.gen.yaml"


def source() -> Path:
    """The crd-all.gen.yaml the schemas are read from."""
    env = os.environ.get("ISTIO_CRDS")
    return Path(env) if env else VENDORED


def _crd_text() -> tuple[str, str]:
    path = source()
    if not path.is_file():
        why = "named by ISTIO_CRDS" if os.environ.get("ISTIO_CRDS") else "vendored; `make istio-crds` writes it"
        raise FileNotFoundError(f"Istio CRD schemas not found at {path} ({why})")
    return path.read_text(), str(path)


def strict(schema):
    """OpenAPI v3 (Kubernetes flavour) -> JSON schema that refuses unknown fields.

    Objects with declared properties get additionalProperties: false unless Kubernetes is told to
    keep unknown fields there; `nullable` becomes a null type; CEL rules are dropped (not evaluated).
    """
    if isinstance(schema, list):
        return [strict(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {}
    for key, value in schema.items():
        if key in ("x-kubernetes-validations", "description"):
            continue
        if key in ("properties", "patternProperties", "definitions"):
            out[key] = {k: strict(v) for k, v in value.items()}
        else:
            out[key] = strict(value)
    preserve = schema.get("x-kubernetes-preserve-unknown-fields")
    if "properties" in schema and not preserve and "additionalProperties" not in schema:
        out["additionalProperties"] = False
    if schema.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if schema.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
    return out


def load() -> tuple[dict, str]:
    """{(apiVersion, kind): JSON schema of the whole object}, and where the CRDs came from."""
    text, source = _crd_text()
    schemas = {}
    # The file is large; the C loader parses it several times faster when PyYAML has it.
    for crd in yaml.load_all(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
        if not crd or crd.get("kind") != "CustomResourceDefinition":
            continue
        group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
        for version in crd["spec"]["versions"]:
            if not version.get("served", True):
                continue
            body = copy.deepcopy(version["schema"]["openAPIV3Schema"])
            body.setdefault("properties", {})
            # The CRD schema leaves the envelope out; the API server checks it.
            body["properties"].update({
                "apiVersion": {"type": "string", "enum": [f"{group}/{version['name']}"]},
                "kind": {"type": "string", "enum": [kind]},
                "metadata": {"type": "object"},
            })
            body["required"] = sorted(set(body.get("required", [])) | {"apiVersion", "kind", "metadata"})
            schemas[(f"{group}/{version['name']}", kind)] = strict(body)
    return schemas, source
