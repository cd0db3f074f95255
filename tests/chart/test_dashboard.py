"""The dashboard is a well-formed Grafana dashboard that works with any Prometheus data source."""
import json

from chartlib import CHART

DASHBOARD = json.loads((CHART / "files" / "dashboard.json").read_text())


def test_identity_and_datasource_variable():
    assert DASHBOARD["uid"] == "jwt-authn-wasm"
    variables = {v["name"]: v for v in DASHBOARD["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource" and variables["datasource"]["query"] == "prometheus"


def test_panels_are_laid_out_and_bound_to_the_variable():
    ids = [p["id"] for p in DASHBOARD["panels"]]
    assert len(ids) == len(set(ids))
    cells = set()
    for p in DASHBOARD["panels"]:
        g = p["gridPos"]
        assert g["x"] + g["w"] <= 24, p["title"]
        area = {(x, y) for x in range(g["x"], g["x"] + g["w"]) for y in range(g["y"], g["y"] + g["h"])}
        assert not area & cells, f"{p['title']} overlaps another panel"
        cells |= area
        refs = [t["refId"] for t in p["targets"]]
        assert refs and len(refs) == len(set(refs))
        for t in [p, *p["targets"]]:
            assert t["datasource"] == {"type": "prometheus", "uid": "${datasource}"}


def test_required_views_are_there():
    titles = " | ".join(p["title"] for p in DASHBOARD["panels"])
    for needed in ("Allowed", "Denied by provider and reason", "JWKS fetches by provider",
                   "Token cache hit ratio by provider"):
        assert needed in titles
