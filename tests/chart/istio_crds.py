"""Istio's CRD schemas as strict JSON schemas, one per (apiVersion, kind).

Source, first found: $ISTIO_CRDS (a crd-all.gen.yaml), ../shared/istio/crd-all.gen.yaml beside the
repository (CI has it), or the pinned Istio base chart pulled into .tools/ (on a user's machine).
"""
import copy
import io
import os
import tarfile
from pathlib import Path

import yaml

from chartlib import REPO, istio_version

SHARED = REPO.parent / "shared" / "istio" / "crd-all.gen.yaml"


def base_chart_tgz() -> Path:
    return REPO / ".tools" / f"base-{istio_version()}.tgz"


def how_to_get() -> str:
    v = istio_version()
    return (f"Istio CRD schemas not found. CI reads {SHARED}. Elsewhere, pull the pinned Istio base chart:\n"
            f"  .tools/bin/helm pull base --repo https://istio-release.storage.googleapis.com/charts "
            f"--version {v} -d .tools/\n"
            f"(the tests then read {base_chart_tgz()}), or point ISTIO_CRDS at a crd-all.gen.yaml.")


def _crd_text() -> tuple[str, str]:
    env = os.environ.get("ISTIO_CRDS")
    if env:
        return Path(env).read_text(), env
    if SHARED.is_file():
        return SHARED.read_text(), str(SHARED)
    tgz = base_chart_tgz()
    if tgz.is_file():
        with tarfile.open(tgz) as t:
            member = next((m for m in t.getmembers() if m.name.endswith("crd-all.gen.yaml")), None)
            if member is None:
                raise FileNotFoundError(f"{tgz} holds no crd-all.gen.yaml")
            return io.TextIOWrapper(t.extractfile(member), encoding="utf-8").read(), str(tgz)
    raise FileNotFoundError(how_to_get())


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
