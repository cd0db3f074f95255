"""What the helmfile's releases put into a cluster (helmfile_releases.yaml), and the kinds Kubernetes
itself serves."""
import functools
import json
from pathlib import Path

import kubernetes_validate
import yaml

FACTS = yaml.safe_load((Path(__file__).parent / "helmfile_releases.yaml").read_text())
# Istio 1.31's Kubernetes range: a kind counts as built in when both ends serve it.
K8S_VERSIONS = ("1.32.0", "1.36.0")


@functools.cache
def builtin_kinds() -> frozenset:
    """apiVersion/Kind of every kind the Kubernetes API server itself serves, in every supported version."""
    root = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
    per_version = []
    for version in K8S_VERSIONS:
        defs = json.loads((root / f"v{version}-local-strict" / "_definitions.json").read_text())["$defs"]
        kinds = set()
        for d in defs.values():
            for gvk in d.get("x-kubernetes-group-version-kind", []):
                group = f"{gvk['group']}/" if gvk["group"] else ""
                kinds.add(f"{group}{gvk['version']}/{gvk['kind']}")
        per_version.append(kinds)
    return frozenset(set.intersection(*per_version))
