"""convert-requestauthentication on the RequestAuthentication examples of Istio's documentation
(tests/convert/istio-docs, each naming its page): the WasmPlugin it prints validates against Istio's
CRD, its configuration passes validate-config, and what cannot carry over is named on stderr. Then
a converted policy runs in real Envoy with the filter and answers as RequestAuthentication does."""
import json
import subprocess
from pathlib import Path

import pytest
import yaml

from oci import istio_schema
from support.keys import jwks_text, make_key
from support.paths import REPO, VALIDATOR
from support.stack import Stack
from support.tokens import claims, sign

CONVERT = REPO / "target" / "release" / "convert-requestauthentication"
DOCS = REPO / "tests" / "convert" / "istio-docs"
IMAGE = "oci://ghcr.io/acme/jwt-authn-wasm:0.1.0"


def convert(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    assert CONVERT.is_file(), f"{CONVERT} is missing: run `make validator`"
    return subprocess.run([str(CONVERT), *map(str, args)], input=stdin, capture_output=True, text=True, timeout=30)


def converted(*args: str, stdin: str | None = None) -> tuple[list[dict], str]:
    """The objects printed for `args` with --image, and stderr; the run must succeed."""
    proc = convert("--image", IMAGE, *args, stdin=stdin)
    assert proc.returncode == 0, proc.stderr
    return [o for o in yaml.safe_load_all(proc.stdout) if o is not None], proc.stderr


def policies(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d and d["kind"] == "RequestAuthentication"]


def validate_config(config: dict, tmp_path: Path) -> str:
    assert VALIDATOR.is_file(), f"{VALIDATOR} is missing: run `make validator`"
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    proc = subprocess.run([str(VALIDATOR), str(path)], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


CONVERTIBLE = sorted(p.name for p in DOCS.glob("*.yaml") if p.name != "discovery-by-issuer-name.yaml")


@pytest.mark.parametrize("name", CONVERTIBLE)
def test_istio_doc_examples_become_valid_wasmplugins(name, tmp_path):
    source = DOCS / name
    objects, _ = converted(source)
    plugins = [o for o in objects if o["kind"] == "WasmPlugin"]
    for obj in objects:
        istio_schema.validate(obj)
    ras = policies(source)
    assert len(plugins) == len({(r["metadata"]["namespace"], json.dumps(r["spec"].get("selector"))) for r in ras})
    for plugin in plugins:
        spec = plugin["spec"]
        assert (spec["phase"], spec["failStrategy"], spec["type"], spec["url"]) == ("AUTHN", "FAIL_CLOSE", "HTTP", IMAGE)
        ra = next(r for r in ras if r["metadata"]["name"] == plugin["metadata"]["name"])
        assert plugin["metadata"]["namespace"] == ra["metadata"]["namespace"]
        assert spec.get("selector") == ra["spec"].get("selector")
        issuers = sorted(p["issuer"] for p in spec["pluginConfig"]["providers"].values())
        assert issuers == sorted(rule["issuer"] for rule in ra["spec"]["jwtRules"])
        assert "valid config" in validate_config(spec["pluginConfig"], tmp_path)
    # --config-only prints what validate-config takes, the same configuration.
    if len(plugins) == 1:
        proc = convert("--config-only", source)
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout) == plugins[0]["spec"]["pluginConfig"]


def test_claim_to_header_example_keeps_its_claim_header_and_remote_keys():
    objects, stderr = converted(DOCS / "claim-to-header.yaml")
    plugin, entry, rule = objects
    provider = plugin["spec"]["pluginConfig"]["providers"]["testing-secure-istio-io"]
    assert provider["claim_to_headers"] == [{"header_name": "x-jwt-claim-foo", "claim_name": "foo"}]
    assert provider["remote_jwks"] == {
        "uri": "https://raw.githubusercontent.com/istio/istio/release-1.28/security/tools/jwt/samples/jwks.json"}
    # A sidecar: its inbound traffic only, as RequestAuthentication.
    assert plugin["spec"]["match"] == [{"mode": "SERVER"}]
    assert plugin["spec"]["pluginConfig"]["rules"] == [{"match": {"prefix": "/"}, "requires": {
        "requires_any": [{"provider_name": "testing-secure-istio-io"}, {"allow_missing": {}}]}}]
    # The cluster the filter calls by default, outbound|443||raw.githubusercontent.com, made to exist.
    assert (entry["kind"], entry["spec"]["hosts"], entry["spec"]["ports"][0]["number"]) == (
        "ServiceEntry", ["raw.githubusercontent.com"], 443)
    assert (rule["kind"], rule["spec"]["trafficPolicy"]["portLevelSettings"][0]["tls"]) == (
        "DestinationRule", {"mode": "SIMPLE", "sni": "raw.githubusercontent.com"})
    assert "--require-token" in stderr


def test_gateway_example_gets_no_direction_match_and_its_policy_is_named():
    objects, stderr = converted(DOCS / "authn-policy-ingress.yaml")
    plugin = objects[0]
    assert plugin["spec"]["selector"] == {"matchLabels": {"istio": "ingressgateway"}}
    assert "match" not in plugin["spec"]
    assert "AuthorizationPolicy frontend-ingress reads jwt_authn's metadata at " \
           "spec.rules[0].from[0].source.notRequestPrincipals" in stderr


def test_claim_routing_through_metadata_is_named():
    _, stderr = converted(DOCS / "jwt-route.yaml")
    assert "VirtualService httpbin reads jwt_authn's metadata at " \
           "spec.http[0].match[0].headers.@request.auth.claims.groups" in stderr


def test_workload_and_mesh_wide_policies_become_two_plugins():
    objects, _ = converted(DOCS / "request-authentication-reference.yaml")
    plugins = [o for o in objects if o["kind"] == "WasmPlugin"]
    assert [(p["metadata"]["namespace"], p["metadata"]["name"]) for p in plugins] == [
        ("foo", "httpbin"), ("istio-system", "req-authn-for-all")]
    assert "selector" not in plugins[1]["spec"]
    # The mesh-wide plugin's JWKS host must be reachable from every namespace.
    exports = {(o["kind"], o["metadata"]["namespace"]): o["spec"]["exportTo"] for o in objects if o["kind"] != "WasmPlugin"}
    assert exports == {("ServiceEntry", "foo"): ["."], ("DestinationRule", "foo"): ["."],
                       ("ServiceEntry", "istio-system"): ["*"], ("DestinationRule", "istio-system"): ["*"]}
    proc = convert("--config-only", DOCS / "request-authentication-reference.yaml")
    assert proc.returncode == 1 and "--config-only needs one target" in proc.stderr


def test_jwt_rule_reference_fields():
    objects, _ = converted(DOCS / "jwt-rule-reference.yaml")
    providers = objects[0]["spec"]["pluginConfig"]["providers"]
    assert providers["example-com"] == {
        "issuer": "https://example.com",
        "audiences": ["bookstore_android.apps.example.com", "bookstore_web.apps.example.com"],
        "oidc_discovery": {}}
    assert providers["iap-example-com"]["from_headers"] == [{"name": "x-goog-iap-jwt-assertion"}]
    assert providers["login-example-com"] == {
        "issuer": "https://login.example.com",
        "remote_jwks": {"uri": "https://login.example.com/keys", "timeout_ms": 2000},
        "from_headers": [{"name": "authorization", "value_prefix": "Bearer "}],
        "from_params": ["my_token"], "from_cookies": ["session"],
        "forward": True, "forward_payload_header": "x-jwt-payload"}
    hosts = sorted(o["spec"]["hosts"][0] for o in objects if o["kind"] == "ServiceEntry")
    assert hosts == ["example.com", "iap.example.com", "login.example.com"]


def test_discovery_from_an_issuer_that_is_not_a_url_is_refused_at_the_field():
    proc = convert("--image", IMAGE, DOCS / "discovery-by-issuer-name.yaml")
    assert proc.returncode == 1 and proc.stdout == ""
    assert "RequestAuthentication foo/httpbin: spec.jwtRules[1].issuer: \"issuer-bar\" is not an http(s) URL" in proc.stderr


@pytest.mark.parametrize("text,expected", [
    ("", "holds no YAML document"),
    ("kind: [unclosed\n", "invalid YAML"),
    ("a: 1\na: 2\n", "duplicate mapping key"),
    ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n", "no RequestAuthentication"),
    ("apiVersion: security.istio.io/v1\nkind: RequestAuthentication\nmetadata: {name: r, namespace: ns}\n"
     "spec:\n  jwtRules:\n  - issuer: https://i\n    jwksUri: https://i/k\n    fromHeader: [{name: x}]\n",
     "RequestAuthentication ns/r: spec.jwtRules[0].fromHeader: unknown field"),
    ("apiVersion: security.istio.io/v1\nkind: RequestAuthentication\nmetadata: {name: r, namespace: n}\n",
     "RequestAuthentication.metadata.namespace: must be a non-empty string"),
])
def test_bad_input_fails_with_the_reason(text, expected):
    proc = convert("--image", IMAGE, "-", stdin=text)
    assert proc.returncode == 1 and proc.stdout == "", proc.stdout
    assert expected in proc.stderr


def test_a_wasmplugin_needs_a_real_image():
    source = DOCS / "claim-to-header.yaml"
    for args in ([source], ["--image", "ghcr.io/acme/jwt:1", source], ["--image", IMAGE, "--sha256", "abc", source]):
        proc = convert(*args)
        assert proc.returncode == 2 and proc.stdout == "", args
    digest = "a" * 64
    objects, _ = converted("--sha256", digest, source)
    assert objects[0]["spec"]["sha256"] == digest


# --- real Envoy: a converted policy with inline keys answers as RequestAuthentication does ---

KEY = make_key("ES256", kid="converted-1")
OTHER = make_key("ES256", kid="converted-1")
ISSUER = "https://issuer.converted.example"


def _policy() -> str:
    return yaml.safe_dump({
        "apiVersion": "security.istio.io/v1", "kind": "RequestAuthentication",
        "metadata": {"name": "inline", "namespace": "demo"},
        "spec": {"selector": {"matchLabels": {"app": "echo"}}, "jwtRules": [{
            "issuer": ISSUER, "jwks": jwks_text(KEY), "audiences": ["api"],
            "outputClaimToHeaders": [{"header": "x-jwt-sub", "claim": "sub"}]}]}})


def _stack(*flags: str):
    proc = convert("--config-only", *flags, "-", stdin=_policy())
    assert proc.returncode == 0, proc.stderr
    st = Stack()
    try:
        st.start(json.loads(proc.stdout))
    except BaseException:
        st.stop()
        raise
    return st


@pytest.fixture(scope="module")
def as_istio(wasm_module):
    st = _stack()
    try:
        yield st
    finally:
        st.stop()


def test_converted_policy_in_envoy_valid_token_passes_with_its_claim(as_istio):
    resp = as_istio.request("/get", sign(KEY, claims(ISSUER, sub="alice")), headers={"x-jwt-sub": "forged"})
    assert resp.status_code == 200, as_istio.envoy.log_tail()
    assert resp.json()["headers"].get("x-jwt-sub") == "alice"


def test_converted_policy_in_envoy_bad_token_is_refused(as_istio):
    assert as_istio.request("/get", sign(OTHER, claims(ISSUER))).status_code == 401
    assert as_istio.request("/get", sign(KEY, claims(ISSUER, aud="other"))).status_code == 403


def test_converted_policy_in_envoy_no_token_passes_as_with_request_authentication(as_istio):
    resp = as_istio.request("/get", headers={"x-jwt-sub": "forged"})
    assert resp.status_code == 200
    assert "x-jwt-sub" not in resp.json()["headers"]


def test_require_token_refuses_requests_without_one(wasm_module):
    st = _stack("--require-token")
    try:
        assert st.request("/get").status_code == 401
        assert st.request("/get", sign(KEY, claims(ISSUER))).status_code == 200
    finally:
        st.stop()
