"""authorization: an Istio AuthorizationPolicy on the filter's pods that conditions on claim
headers the filter writes (Istio's requestPrincipals / request.auth.claims never see this filter)."""
import json

import pytest

from chartlib import VALUE_SETS, one, render, render_set, template

ALICE_ONLY = [{"when": [{"key": "request.headers[x-jwt-sub]", "values": ["alice"]}]}]


def test_only_alice_is_allowed():
    docs = render_set("authorization")
    policy = one(docs, "AuthorizationPolicy")
    assert policy["apiVersion"] == "security.istio.io/v1"
    assert policy["spec"]["action"] == "ALLOW"
    # Only on the listener the WasmPlugin runs on (tests/chart/test_listener_coverage.py).
    assert policy["spec"]["rules"] == [{**ALICE_ONLY[0], "to": [{"operation": {"ports": ["80"]}}]}]


def test_the_header_it_reads_is_one_the_filter_writes_from_sub():
    docs = render_set("authorization")
    wp = one(docs, "WasmPlugin")
    # AUTHN: the filter runs before Istio's RBAC filter, which evaluates the policy.
    assert wp["spec"]["phase"] == "AUTHN"
    written = {(c["header_name"], c["claim_name"]) for p in wp["spec"]["pluginConfig"]["providers"].values()
               for c in p.get("claim_to_headers", [])}
    assert ("x-jwt-sub", "sub") in written


@pytest.mark.parametrize("value_set", ["authorization", "gateway-api", "sidecar"])
def test_policy_selects_the_same_pods_as_the_wasmplugin(value_set):
    docs = render(VALUE_SETS[value_set], sets={"authorization.enabled": "true",
                                               "authorization.rules": json.dumps(ALICE_ONLY)})
    wp, policy = one(docs, "WasmPlugin"), one(docs, "AuthorizationPolicy")
    assert policy["metadata"]["namespace"] == wp["metadata"]["namespace"]
    target = {k: v for k, v in wp["spec"].items() if k in ("selector", "targetRefs")}
    assert len(target) == 1
    assert {k: v for k, v in policy["spec"].items() if k in ("selector", "targetRefs")} == target


def test_no_policy_unless_enabled():
    assert [d for d in render_set("default") if d["kind"] == "AuthorizationPolicy"] == []


@pytest.mark.parametrize("sets,message", [
    ({"authorization.enabled": "true"}, "an ALLOW policy without rules refuses every request"),
    ({"authorization.enabled": "true", "authorization.rules": json.dumps(
        [{"when": [{"key": "request.headers[x-user]", "values": ["alice"]}]}])},
     "request.headers[x-user] is not a header the filter writes"),
    ({"authorization.enabled": "true", "plugin.phase": '"STATS"', "authorization.rules": json.dumps(ALICE_ONLY)},
     "after Istio's RBAC filter"),
    ({"authorization.enabled": "true", "authorization.action": '"CUSTOM"', "authorization.rules": "[]"},
     "authorization.action"),
])
def test_policies_that_would_not_do_what_they_say_are_refused(sets, message):
    proc = template(sets=sets, check=False)
    assert proc.returncode != 0
    assert message in proc.stderr, proc.stderr


def test_header_names_compare_without_case():
    rules = [{"when": [{"key": "request.headers[X-JWT-Sub]", "values": ["alice"]}]}]
    docs = render(sets={"authorization.enabled": "true", "authorization.rules": json.dumps(rules)})
    assert [r["when"] for r in one(docs, "AuthorizationPolicy")["spec"]["rules"]] == [rules[0]["when"]]
