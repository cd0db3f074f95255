"""`helmfile apply` on an empty cluster, replayed from what each release renders.

helmfile apply first runs helm-diff on every release, before installing any; helm-diff checks each
rendered object against the cluster's API, so a kind the cluster does not serve yet stops the whole
apply ("no matches for kind ... ensure CRDs are installed first"), unless the release has
`disableValidationOnInstall: true`, which passes helm-diff --disable-validation while the release is
not installed (roboll/helmfile#1618, kept by helmfile/helmfile). Then it installs the releases in
`needs` order: each one's crds/ folder first, then its templates, all of whose kinds the cluster
must serve by then. What each chart renders comes from helmfile_releases.yaml (rendered from the
charts' sources; the repositories are out of reach here)."""
import copy
import hashlib

from chartlib import CHART_DIR
from helmfile_facts import FACTS, builtin_kinds
from helmfile_values import helmfile, releases

def needed(rel: dict, key: str) -> set:
    """The releases `key` waits for, directly or through others."""
    out, todo = set(), list(rel[key].get("needs", []))
    while todo:
        n = todo.pop()
        if n not in out:
            out.add(n)
            todo += rel[n].get("needs", [])
    return out


def replay(hf: dict) -> list[str]:
    """The errors `helmfile apply` would stop at on an empty cluster; [] when it goes through."""
    rel = {f"{r['namespace']}/{r['name']}": r for r in hf["releases"]}
    builtin = builtin_kinds()
    errors = []
    # 1. helm-diff of every release, nothing installed yet.
    for key, r in rel.items():
        if r.get("disableValidationOnInstall"):
            continue
        for kind in FACTS[key]["renders"]:
            if kind not in builtin:
                errors.append(f"diff {key}: no matches for kind {kind}: ensure CRDs are installed first")
    # 2. helm install, in `needs` order: the CRDs of what the release waits for are in place, then
    #    its own crds/ folder; CRDs in its templates are created with the objects, too late for them.
    for key in rel:
        served = set(builtin) | set(FACTS[key]["crds_folder"])
        for n in needed(rel, key):
            served |= set(FACTS[n]["defines"]) | set(FACTS[n]["crds_folder"])
        for kind in FACTS[key]["renders"]:
            if kind not in served:
                errors.append(f"install {key}: no matches for kind {kind}")
    return errors


def test_the_facts_are_those_of_the_pinned_releases_and_values():
    rel = releases()
    assert set(FACTS) == set(rel)
    for key, r in rel.items():
        f = FACTS[key]
        assert (f["chart"], f["version"]) == (r["chart"], r["version"]), f"{key}: facts of another chart version"
        current = {v: hashlib.sha256((CHART_DIR / v).read_bytes()).hexdigest() for v in r["values"]}
        assert f["values"] == current, f"{key}: values changed since its objects were rendered; render again"
        assert f["source"] and f["renders"], key


def test_helmfile_apply_goes_through_on_an_empty_cluster():
    assert replay(helmfile()) == []


def test_kiali_cr_is_applied_after_its_crd():
    facts = FACTS["kiali-operator/kiali-operator"]
    assert "kiali.io/v1alpha1/Kiali" in facts["renders"] and "kiali.io/v1alpha1/Kiali" in facts["crds_folder"]
    # Without the flag, helm-diff stops the apply at this release, before anything is installed.
    hf = copy.deepcopy(helmfile())
    for r in hf["releases"]:
        r.pop("disableValidationOnInstall", None)
    assert replay(hf) == ["diff kiali-operator/kiali-operator: no matches for kind kiali.io/v1alpha1/Kiali: "
                          "ensure CRDs are installed first"]


def test_only_releases_that_need_it_skip_validation():
    """Skipping helm-diff's validation hides mistakes: only where a kind comes from the release's own crds/."""
    for key, r in releases().items():
        if r.get("disableValidationOnInstall"):
            custom = [k for k in FACTS[key]["renders"] if k not in builtin_kinds()]
            assert custom and set(custom) <= set(FACTS[key]["crds_folder"]), key


def test_a_kind_from_a_release_not_needed_is_refused():
    """A release using CRDs of a release it does not wait for may be installed first."""
    hf = copy.deepcopy(helmfile())
    for r in hf["releases"]:
        if r["name"] == "istiod":
            r["needs"] = []
    saved = FACTS["istio-system/istiod"]["renders"]
    FACTS["istio-system/istiod"]["renders"] = saved + ["networking.istio.io/v1/Gateway"]
    try:
        errors = replay(hf)
    finally:
        FACTS["istio-system/istiod"]["renders"] = saved
    assert "install istio-system/istiod: no matches for kind networking.istio.io/v1/Gateway" in errors
