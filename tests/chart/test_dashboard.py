"""The dashboard is a well-formed Grafana dashboard that works with any Prometheus data source."""
import json
import re

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


def test_denial_panel_names_every_reason_the_filter_counts():
    # The filter's reasons are declared once, in src/error.rs; a reason missing from the panel's
    # regex is a denial nobody sees on the dashboard.
    src = (CHART.parent.parent / "src" / "error.rs").read_text()
    declared = re.search(r"^reasons! \{$(.*?)^\}$", src, re.S | re.M)
    reasons = set(re.findall(r'"([a-z_]+)" =>', declared.group(1)))
    exprs = [t["expr"] for p in DASHBOARD["panels"] for t in p.get("targets", []) if "_denied_" in t["expr"]]
    assert exprs
    for expr in exprs:
        for listed in re.findall(r"_denied_\(([a-z_|]+)\)", expr):
            assert set(listed.split("|")) == reasons
