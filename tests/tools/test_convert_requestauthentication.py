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
    assert 1 <= len(plugins) <= len({(r["metadata"]["namespace"], json.dumps(r["spec"].get("selector"))) for r in ras})
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
        "uri": "https://raw.githubusercontent.com/istio/istio/release-1.28/security/tools/jwt/samples/jwks.json",
        "cache_duration_seconds": 300}
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


def test_a_workload_rule_the_mesh_wide_policy_repeats_is_verified_once():
    """Istio's reference examples together: httpbin's rule is the mesh-wide one, which istiod merges
    into the same jwt_authn; one WasmPlugin (the mesh-wide one) verifies it, with or without
    --require-token, and its JWKS host is reachable from every namespace."""
    for flags in ((), ("--require-token",)):
        objects, stderr = converted(*flags, DOCS / "request-authentication-reference.yaml")
        plugins = [o for o in objects if o["kind"] == "WasmPlugin"]
        assert [(p["metadata"]["namespace"], p["metadata"]["name"]) for p in plugins] == [
            ("istio-system", "req-authn-for-all")]
        assert "selector" not in plugins[0]["spec"]
        assert "foo/httpbin: every rule is also in a policy that applies to its workloads" in stderr
        exports = {(o["kind"], o["metadata"]["namespace"]): o["spec"]["exportTo"] for o in objects
                   if o["kind"] != "WasmPlugin"}
        assert exports == {("ServiceEntry", "istio-system"): ["*"], ("DestinationRule", "istio-system"): ["*"]}


def test_root_namespace_selector_exports_its_jwks_host_to_every_namespace():
    """A root-namespace policy with a selector applies to gateways in any namespace (istio-ingress
    too): the ServiceEntry and DestinationRule making its JWKS cluster must be seen there."""
    source = DOCS / "authn-policy-ingress.yaml"
    objects, stderr = converted(source)
    assert objects[0]["metadata"]["namespace"] == "istio-system" and objects[0]["spec"]["selector"]
    others = [o for o in objects if o["kind"] != "WasmPlugin"]
    assert {o["kind"] for o in others} == {"ServiceEntry", "DestinationRule"}
    assert all(o["spec"]["exportTo"] == ["*"] for o in others), others
    assert "its ServiceEntries and DestinationRules are exported to every namespace" in stderr


def test_gateway_flag_on_a_mesh_wide_policy_is_refused():
    text = ("apiVersion: security.istio.io/v1\nkind: RequestAuthentication\n"
            "metadata: {name: all, namespace: istio-system}\n"
            "spec:\n  jwtRules:\n  - issuer: https://i\n    jwksUri: https://i/k\n")
    proc = convert("--image", IMAGE, "--gateway", "-", stdin=text)
    assert proc.returncode == 1 and proc.stdout == ""
    assert "istio-system/all" in proc.stderr and "--gateway on a policy without selector" in proc.stderr
    objects, _ = converted("-", stdin=text)
    assert objects[0]["spec"]["match"] == [{"mode": "SERVER"}]


def test_presence_is_an_unknown_field():
    text = ("apiVersion: security.istio.io/v1\nkind: RequestAuthentication\n"
            "metadata: {name: r, namespace: ns}\n"
            "spec:\n  jwtRules:\n  - issuer: https://i\n    jwksUri: https://i/k\n    presence: REQUIRED\n")
    proc = convert("--image", IMAGE, "-", stdin=text)
    assert proc.returncode == 1
    assert "RequestAuthentication ns/r: spec.jwtRules[0].presence: unknown field" in proc.stderr


def test_fetched_keys_are_cached_as_istio_does_and_the_fetching_is_named():
    objects, stderr = converted(DOCS / "claim-to-header.yaml")
    provider = objects[0]["spec"]["pluginConfig"]["providers"]["testing-secure-istio-io"]
    assert provider["remote_jwks"]["cache_duration_seconds"] == 300
    assert "istiod instead fetches jwksUri itself" in stderr


def test_jwt_rule_reference_fields():
    objects, _ = converted(DOCS / "jwt-rule-reference.yaml")
    providers = objects[0]["spec"]["pluginConfig"]["providers"]
    assert providers["example-com"] == {
        "issuer": "https://example.com",
        "audiences": ["bookstore_android.apps.example.com", "bookstore_web.apps.example.com"],
        "oidc_discovery": {"cache_duration_seconds": 300}}
    assert providers["iap-example-com"]["from_headers"] == [{"name": "x-goog-iap-jwt-assertion"}]
    assert providers["login-example-com"] == {
        "issuer": "https://login.example.com",
        "remote_jwks": {"uri": "https://login.example.com/keys", "timeout_ms": 2000, "cache_duration_seconds": 300},
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


def test_a_converter_output_breaking_a_cel_rule_of_istio_is_refused():
    """The converter's objects are held to the CRDs' CEL rules (istio_schema.validate), as an API
    server holds them: a WasmPlugin with both a selector and targetRefs is refused."""
    objects, _ = converted(DOCS / "claim-to-header.yaml")
    plugin = objects[0]
    istio_schema.validate(plugin)
    plugin["spec"]["targetRefs"] = [{"kind": "Gateway", "group": "gateway.networking.k8s.io", "name": "gw"}]
    with pytest.raises(AssertionError, match="CEL: .*only one of targetRefs or selector"):
        istio_schema.validate(plugin)


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


# --- layered policies: the converted WasmPlugins, run one after another in real Envoy, answer as
# istiod's one merged jwt_authn (native, on a second listener) for a workload all layers select ---

LAYERED = REPO / "tests" / "convert" / "layered"
LAYER_KEYS = {iss: make_key("ES256", kid=f"layer-{i}") for i, iss in enumerate(
    ["issuer-foo", "https://platform.example", "https://team.example", "https://partner.example"])}
STRANGER = make_key("ES256", kid="layer-0")


def _layered_text(name: str) -> str:
    docs = [d for d in yaml.safe_load_all((LAYERED / name).read_text()) if d]
    for d in docs:
        for rule in d["spec"]["jwtRules"]:
            assert rule["jwks"] == "JWKS"
            rule["jwks"] = jwks_text(LAYER_KEYS[rule["issuer"]])
    return yaml.safe_dump_all(docs)


def _merged_as_istiod(text: str) -> dict:
    """istiod's jwt_authn for a workload every layer selects: all their rules in one policy."""
    docs = list(yaml.safe_load_all(text))
    merged = {**docs[0], "spec": {"selector": {"matchLabels": {"app": "httpbin"}},
                                  "jwtRules": [r for d in docs for r in d["spec"]["jwtRules"]]}}
    proc = convert("--config-only", "-", stdin=yaml.safe_dump(merged))
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


class _Chain(Stack):
    """The wasm listener carries one filter per converted WasmPlugin, in the given order (Istio
    orders plugins of one phase by priority, then by creation); the native listener istiod's."""

    def __init__(self, configs: list[dict]):
        super().__init__(native_listener=True)
        self.configs = configs

    def config(self, plugin_config, native_config=None):
        doc = yaml.safe_load(super().config(plugin_config, native_config))
        hcm = doc["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]["typed_config"]
        wasm = hcm["http_filters"][0]
        chain = []
        for i, cfg in enumerate(self.configs):
            f = json.loads(json.dumps(wasm))
            f["typed_config"]["config"]["name"] = f"layer-{i}"
            f["typed_config"]["config"]["configuration"]["value"] = json.dumps(cfg)
            chain.append(f)
        hcm["http_filters"][0:1] = chain
        return yaml.safe_dump(doc)


def _requests(issuers: list[str]) -> dict:
    out = {"no token": None, "unknown issuer": sign(STRANGER, claims("https://nobody.example"))}
    for iss in issuers:
        aud = "httpbin" if "partner" in iss else "api"
        out[f"{iss} valid"] = sign(LAYER_KEYS[iss], claims(iss, aud=aud, sub="alice"))
        out[f"{iss} wrong key"] = sign(STRANGER, claims(iss, aud=aud))
        out[f"{iss} expired"] = sign(LAYER_KEYS[iss], claims(iss, aud=aud, lifetime=-120))
        if "partner" in iss:
            out[f"{iss} other audience"] = sign(LAYER_KEYS[iss], claims(iss, aud="other"))
    return out


# Layered plugins let the tokens of each other's issuers pass (ignore_unknown_issuers), so a
# token whose issuer no layer names passes the chain, where istiod's merged jwt_authn (and one
# plugin holding the merged rules) answers 401 "Jwt issuer is not configured": the converter's
# note says so.
LAYERING_NOT_NATIVE = {"unknown issuer": 200}


@pytest.mark.parametrize("name,plugins", [("reference-layers.yaml", 1), ("three-layers.yaml", 3)])
def test_layered_policies_answer_as_istiods_merge_in_envoy(name, plugins, wasm_module):
    text = _layered_text(name)
    objects, stderr = converted("-", stdin=text)
    configs = [o["spec"]["pluginConfig"] for o in objects if o["kind"] == "WasmPlugin"]
    assert len(configs) == plugins, stderr
    for obj in objects:
        istio_schema.validate(obj)
    merged = _merged_as_istiod(text)
    issuers = sorted({r["issuer"] for d in yaml.safe_load_all(text) for r in d["spec"]["jwtRules"]})
    cases = _requests(issuers)
    with Stack() as single:
        single.start(merged)
        one_plugin = {case: single.request("/get", token).status_code for case, token in cases.items()}
    for order in (configs, configs[::-1]):
        st = _Chain(order)
        try:
            st.start(merged)
            for case, token in cases.items():
                headers = {"x-jwt-sub": "forged"} if token else {}
                wasm = st.request("/get", token, headers=headers)
                native = st.request("/get", token, headers=headers, native=True).status_code
                assert one_plugin[case] == native, case
                expected = LAYERING_NOT_NATIVE.get(case, native) if len(configs) > 1 else native
                assert wasm.status_code == expected, (case, wasm.text, st.envoy.log_tail())
                if "partner" in case and "valid" in case:
                    assert wasm.status_code == 200
                    assert wasm.json()["headers"].get("x-jwt-sub") == "alice"
        finally:
            st.stop()


def test_layers_with_require_token_are_refused_naming_them():
    proc = convert("--image", IMAGE, "--require-token", "-", stdin=_layered_text("three-layers.yaml"))
    assert proc.returncode == 1 and proc.stdout == ""
    assert "RequestAuthentication istio-system/req-authn-for-all and foo/team" in proc.stderr
    assert "Convert without --require-token" in proc.stderr


def test_layers_writing_the_same_header_are_refused():
    docs = list(yaml.safe_load_all(_layered_text("three-layers.yaml")))
    docs[1]["spec"]["jwtRules"][0]["outputClaimToHeaders"] = [{"header": "X-Jwt-Sub", "claim": "sub"}]
    proc = convert("--image", IMAGE, "-", stdin=yaml.safe_dump_all(docs))
    assert proc.returncode == 1
    assert "foo/team and foo/httpbin" in proc.stderr and "x-jwt-sub" in proc.stderr
