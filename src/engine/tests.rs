use super::*;
use crate::config;
use crate::extractor::Request;
use crate::test_support::{claims, tampered};
use crate::token_cache::TokenCache;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use jwt_simple::prelude::*;
use serde_json::{json, Map, Value};

const NOW_S: u64 = 1_700_000_000;
const HOST: &str = "api.example.com";
const ISS_A: &str = "https://a.example";
const ISS_B: &str = "https://b.example";
const NO_KEY: &str = "Jwks doesn't have key to match kid or alg from Jwt";

#[derive(Clone, Copy)]
enum Keys {
    Ready(u64),
    Wait,
    Failed,
}

/// Stands in for shared data and fetches: a key set and a state per provider.
struct FakeKeys {
    sets: Vec<Rc<KeySet>>,
    states: Vec<Keys>,
    refetch_answer: KidRefetch,
    refetch_calls: Vec<ProviderId>,
}

impl KeySource for FakeKeys {
    fn state(&mut self, provider: ProviderId) -> KeyState {
        match self.states[provider] {
            Keys::Ready(version) => KeyState::Ready {
                keys: self.sets[provider].clone(),
                version,
            },
            Keys::Wait => KeyState::Wait,
            Keys::Failed => KeyState::Failed,
        }
    }

    fn refetch_for_unknown_kid(&mut self, provider: ProviderId) -> KidRefetch {
        self.refetch_calls.push(provider);
        self.refetch_answer
    }
}

/// Provider `a` (ES256, kid a1) and provider `b` (EdDSA, kid b1), remote keys faked.
struct Harness {
    config: FilterConfig,
    cache: TokenCache,
    keys: FakeKeys,
    now_s: u64,
    /// Verifications of every decision so far.
    tally: Tally,
    a: ES256KeyPair,
    b: Ed25519KeyPair,
}

fn merged(mut base: Value, extra: &Value) -> Value {
    for (k, v) in extra.as_object().unwrap() {
        base[k] = v.clone();
    }
    base
}

fn key_set(jwk: String) -> Rc<KeySet> {
    let jwk: Value = serde_json::from_str(&jwk).unwrap();
    Rc::new(KeySet::parse_remote(json!({ "keys": [jwk] }).to_string().as_bytes()).unwrap())
}

impl Harness {
    fn new(top: Value, a: Value, b: Value) -> Harness {
        let provider = |iss: &str, extra: &Value| {
            merged(
                json!({"issuer": iss, "remote_jwks": {"uri": format!("{iss}/jwks")}}),
                extra,
            )
        };
        let cfg = merged(
            json!({"providers": {"a": provider(ISS_A, &a), "b": provider(ISS_B, &b)}}),
            &top,
        );
        let config = config::parse(cfg.to_string().as_bytes()).unwrap();
        let a = ES256KeyPair::generate().with_key_id("a1");
        let b = Ed25519KeyPair::generate().with_key_id("b1");
        let keys = FakeKeys {
            sets: vec![
                key_set(a.public_key().to_jwk()),
                key_set(b.public_key().to_jwk()),
            ],
            states: vec![Keys::Ready(1), Keys::Ready(1)],
            refetch_answer: KidRefetch::Wait,
            refetch_calls: Vec::new(),
        };
        Harness {
            cache: TokenCache::new(config.token_cache_size, config.providers.len()),
            config,
            keys,
            now_s: NOW_S,
            tally: Tally::default(),
            a,
            b,
        }
    }

    fn plain() -> Harness {
        Harness::new(json!({}), json!({}), json!({}))
    }

    /// Decides from only the headers `config::headers_read` names, as the dynamic module
    /// reads them, when it names any: every test of this corpus then shows that the list
    /// misses no header a decision reads.
    fn decide(&mut self, req: &Request) -> Decision {
        let read = config::headers_read(&self.config);
        let only = read.map(|names| {
            let pairs = (req.headers.iter()).filter(|(n, _)| names.iter().any(|m| m == n));
            let mut only = Request::from_pairs(pairs);
            only.client_cert_sha256 = req.client_cert_sha256.clone();
            only
        });
        let req = only.as_ref().unwrap_or(req);
        let mut decision = Engine {
            config: &self.config,
            cache: &mut self.cache,
            keys: &mut self.keys,
            crypto: &Crypto::module_only(),
            now_s: self.now_s,
        }
        .decide(req);
        // Verification counts are asserted where they are the point; elsewhere they would
        // only repeat what the cache counters say.
        for stat in &decision.stats {
            if let Stat::Crypto(t) = stat {
                self.tally.add(*t);
            }
        }
        decision.stats.retain(|s| !matches!(s, Stat::Crypto(_)));
        decision
    }

    fn token_a(&self, payload: Value) -> String {
        self.a.sign(claims(payload)).unwrap()
    }

    fn token_b(&self, payload: Value) -> String {
        self.b.sign(claims(payload)).unwrap()
    }

    fn good_a(&self) -> String {
        self.token_a(json!({"iss": ISS_A, "sub": "alice", "iat": NOW_S, "exp": NOW_S + 600}))
    }
}

fn valid_for_a() -> JWTClaims<Map<String, Value>> {
    claims(json!({"iss": ISS_A, "exp": NOW_S + 600}))
}

fn request(method: &str, path: &str, headers: &[(&str, &str)]) -> Request {
    let pseudo = [
        (":method", method),
        (":scheme", "http"),
        (":path", path),
        (":authority", HOST),
    ];
    Request::from_pairs(pseudo.iter().chain(headers).copied())
}

/// The headers a decision removes, as text.
fn removed(d: &Decision) -> Vec<&str> {
    d.remove_headers.iter().map(|n| &**n).collect()
}

fn bearer(path: &str, token: &str) -> Request {
    request(
        "GET",
        path,
        &[("authorization", &format!("Bearer {token}"))],
    )
}

fn deny(status: u32, body: &str, realm_path: &str) -> Outcome {
    let realm = format!("http://{HOST}{realm_path}");
    let www_authenticate = if body == "Jwt is missing" {
        format!("Bearer realm=\"{realm}\"")
    } else {
        format!("Bearer realm=\"{realm}\", error=\"invalid_token\"")
    };
    Outcome::Deny {
        status,
        body: body.into(),
        www_authenticate,
    }
}

#[test]
fn a_missing_token_is_401_with_the_bearer_realm() {
    let mut h = Harness::plain();
    let d = h.decide(&request("GET", "/path", &[]));
    assert_eq!(d.outcome, deny(401, "Jwt is missing", "/path"));
    assert_eq!(d.reason, Some(AuthError::Missing));
    assert_eq!(
        d.stats.to_vec(),
        vec![Stat::Denied, Stat::ProviderDenied(0, "missing")]
    );
    // Other auth schemes are no bearer token at all.
    let d = h.decide(&request(
        "GET",
        "/path",
        &[("authorization", "Basic dXNlcjpwdw==")],
    ));
    assert_eq!(d.outcome, deny(401, "Jwt is missing", "/path"));
}

#[test]
fn the_realm_leaves_out_the_query() {
    // The query may carry an access_token: it is not echoed back (Envoy echoes it).
    let mut h = Harness::plain();
    let d = h.decide(&request("GET", "/path?access_token=secret&x=1", &[]));
    let malformed =
        "Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections";
    assert_eq!(d.outcome, deny(401, malformed, "/path"));
}

#[test]
fn the_realm_path_is_cut_at_256_bytes_as_in_envoy() {
    // Envoy's jwt_authn builds the realm with a 256-byte path limit, so a long URL cannot
    // bloat the answer.
    let mut h = Harness::plain();
    let long = format!("/{}", "p".repeat(1000));
    let Outcome::Deny {
        www_authenticate, ..
    } = h.decide(&request("GET", &long, &[])).outcome
    else {
        panic!("expected a denial");
    };
    assert_eq!(
        www_authenticate,
        format!("Bearer realm=\"http://{HOST}{}\"", &long[..256])
    );
}

#[test]
fn invalid_tokens_are_401_with_the_reason() {
    let mut h = Harness::plain();
    let good = h.good_a();
    // Provider b sees a token of another issuer as absent, so a's failure is the one reported;
    // a token no provider can parse fails both, and the last failure is reported, as in Envoy.
    let cases = [
        (
            h.token_a(json!({"iss": ISS_A, "exp": NOW_S - 61})),
            "Jwt is expired",
            (0, "expired"),
        ),
        (
            h.token_a(json!({"iss": ISS_A, "nbf": NOW_S + 61, "exp": NOW_S + 600})),
            "Jwt not yet valid",
            (0, "not_yet_valid"),
        ),
        (
            tampered(&good),
            "Jwt verification fails",
            (0, "bad_signature"),
        ),
        (
            "not-a-jwt".to_string(),
            "Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections",
            (1, "malformed"),
        ),
        (
            h.token_a(json!({"iss": "https://other", "exp": NOW_S + 600})),
            "Jwt issuer is not configured",
            (0, "issuer"),
        ),
    ];
    for (token, body, (provider, label)) in cases {
        let d = h.decide(&bearer("/api/x", &token));
        assert_eq!(d.outcome, deny(401, body, "/api/x"), "{body}");
        assert_eq!(
            d.stats.to_vec(),
            vec![Stat::Denied, Stat::ProviderDenied(provider, label)],
            "{body}"
        );
        assert_eq!(d.reason.map(|r| r.to_string()).as_deref(), Some(body));
    }
}

#[test]
fn an_audience_mismatch_is_403() {
    let mut h = Harness::new(json!({}), json!({"audiences": ["api"]}), json!({}));
    let token = h.token_a(json!({"iss": ISS_A, "aud": "other", "exp": NOW_S + 600}));
    let d = h.decide(&bearer("/x", &token));
    assert_eq!(
        d.outcome,
        deny(403, "Audiences in Jwt are not allowed", "/x")
    );
    assert_eq!(
        d.stats.to_vec(),
        vec![Stat::Denied, Stat::ProviderDenied(0, "audience")]
    );
    let token = h.token_a(json!({"iss": ISS_A, "aud": ["other", "api"], "exp": NOW_S + 600}));
    assert_eq!(h.decide(&bearer("/x", &token)).outcome, Outcome::Continue);
}

#[test]
fn a_valid_token_is_cached_until_keys_change_or_it_expires() {
    let mut h = Harness::plain();
    let req = bearer("/x", &h.good_a());
    let first = h.decide(&req);
    assert_eq!(first.outcome, Outcome::Continue);
    assert_eq!(
        first.stats.to_vec(),
        vec![Stat::CacheMiss(0), Stat::ProviderAllowed(0), Stat::Allowed]
    );
    let second = h.decide(&req);
    assert_eq!(
        second.stats.to_vec(),
        vec![Stat::CacheHit(0), Stat::ProviderAllowed(0), Stat::Allowed]
    );
    assert_eq!(h.tally.module, 1, "a cache hit verifies nothing");
    assert_eq!(
        (second.outcome, &second.remove_headers),
        (Outcome::Continue, &first.remove_headers)
    );

    h.keys.states[0] = Keys::Ready(2);
    assert_eq!(
        h.decide(&req).stats[0],
        Stat::CacheMiss(0),
        "a new key set version"
    );
    assert_eq!(h.decide(&req).stats[0], Stat::CacheHit(0));

    h.now_s = NOW_S + 600 + 61;
    let d = h.decide(&req);
    assert_eq!(
        d.outcome,
        deny(401, "Jwt is expired", "/x"),
        "a cached token still expires"
    );

    let mut off = Harness::new(json!({"token_cache_size": 0}), json!({}), json!({}));
    let req = bearer("/x", &off.good_a());
    off.decide(&req);
    assert_eq!(off.decide(&req).stats[0], Stat::CacheMiss(0));
}

#[test]
fn a_token_for_the_second_provider_is_accepted_without_rules() {
    let mut h = Harness::plain();
    let token = h.token_b(json!({"iss": ISS_B, "exp": NOW_S + 600}));
    let d = h.decide(&bearer("/x", &token));
    assert_eq!(d.outcome, Outcome::Continue);
    assert!(d.stats.contains(&Stat::ProviderAllowed(1)), "{:?}", d.stats);
}

#[test]
fn the_token_is_removed_unless_forwarded() {
    let mut h = Harness::plain();
    let token = h.good_a();
    let d = h.decide(&bearer("/x", &token));
    assert_eq!(removed(&d), vec!["authorization"]);
    assert_eq!(d.new_path, None);

    let d = h.decide(&request(
        "GET",
        &format!("/p?x=1&access_token={token}&y=2"),
        &[],
    ));
    assert_eq!(d.outcome, Outcome::Continue);
    assert_eq!(d.new_path.as_deref(), Some("/p?x=1&y=2"));
    assert!(d.remove_headers.is_empty());

    // Rewriting the cookie header could break the application's own cookies: left as is.
    let mut cookie = Harness::new(json!({}), json!({"from_cookies": ["jwt"]}), json!({}));
    let jar = format!("jwt={}; theme=dark", cookie.good_a());
    let d = cookie.decide(&request("GET", "/x", &[("cookie", &jar)]));
    assert_eq!(d.outcome, Outcome::Continue);
    assert!(d.remove_headers.is_empty() && d.new_path.is_none(), "{d:?}");

    let mut fwd = Harness::new(json!({}), json!({"forward": true}), json!({}));
    let token = fwd.good_a();
    let d = fwd.decide(&bearer("/x", &token));
    assert_eq!(d.outcome, Outcome::Continue);
    assert!(d.remove_headers.is_empty() && d.new_path.is_none(), "{d:?}");
    let d = fwd.decide(&request("GET", &format!("/p?access_token={token}"), &[]));
    assert_eq!(d.new_path, None);
}

#[test]
fn every_token_of_a_provider_must_verify() {
    let mut h = Harness::plain();
    let good = h.good_a();
    let other = h.token_a(json!({"iss": ISS_A, "sub": "bob", "exp": NOW_S + 600}));
    let both = |path_token: &str| {
        request(
            "GET",
            &format!("/p?access_token={path_token}&y=2"),
            &[("authorization", &format!("Bearer {good}"))],
        )
    };

    // A good header token does not carry a bad parameter token upstream.
    let d = h.decide(&both(&tampered(&other)));
    assert_eq!(d.outcome, deny(401, "Jwt verification fails", "/p"));
    assert_eq!(d.reason, Some(AuthError::VerificationFailed));

    // Both good: both are taken off the request.
    let d = h.decide(&both(&other));
    assert_eq!(d.outcome, Outcome::Continue);
    assert_eq!(removed(&d), vec!["authorization"]);
    assert_eq!(d.new_path.as_deref(), Some("/p?y=2"));
    assert_eq!(
        d.stats
            .iter()
            .filter(|s| matches!(s, Stat::ProviderAllowed(0)))
            .count(),
        1
    );

    // The same token in two places is verified once.
    let mut fresh = Harness::plain();
    let token = fresh.good_a();
    let d = fresh.decide(&request(
        "GET",
        &format!("/p?access_token={token}"),
        &[("authorization", &format!("Bearer {token}"))],
    ));
    assert_eq!(d.outcome, Outcome::Continue);
    assert_eq!(
        d.stats.to_vec(),
        vec![Stat::CacheMiss(0), Stat::ProviderAllowed(0), Stat::Allowed]
    );
}

#[test]
fn payload_and_claims_are_written_upstream() {
    let claim = |header: &str, name: &str| json!({"header_name": header, "claim_name": name});
    let mut h = Harness::new(
        json!({}),
        json!({
            "forward_payload_header": "x-jwt-payload",
            "claim_to_headers": [
                claim("x-sub", "sub"), claim("x-team", "org.team"), claim("x-size", "org.size"),
                claim("x-admin", "admin"), claim("x-roles", "roles"), claim("x-ratio", "ratio"),
                claim("x-missing", "nope"), claim("x-org", "org"), claim("x-deep", "org.team.name"),
                claim("x-evil", "evil"), claim("x-mixed", "mixed"),
            ],
        }),
        json!({}),
    );
    let sent = json!({
        "iss": ISS_A, "exp": NOW_S + 600, "sub": "alice",
        "org": {"team": "blue", "size": 7}, "admin": true, "roles": ["r1", "r2"], "ratio": 1.5,
        "evil": "a\r\nx-admin: true", "mixed": ["a", {"b": 1}],
    });
    let token = h.token_a(sent.clone());
    let payload = token.split('.').nth(1).unwrap().to_string();
    let want = vec![
        ("x-jwt-payload".to_string(), payload.clone()),
        ("x-sub".into(), "alice".into()),
        ("x-team".into(), "blue".into()),
        ("x-size".into(), "7".into()),
        ("x-admin".into(), "true".into()),
        // Lists and objects as base64 of their JSON, as Envoy writes them.
        ("x-roles".into(), "WyJyMSIsInIyIl0=".into()),
        ("x-ratio".into(), "1.5".into()),
        (
            "x-org".into(),
            STANDARD.encode(r#"{"size":7,"team":"blue"}"#),
        ),
        ("x-mixed".into(), STANDARD.encode(r#"["a",{"b":1}]"#)),
    ];
    let d = h.decide(&bearer("/x", &token));
    assert_eq!(d.outcome, Outcome::Continue);
    assert_eq!(d.set_headers, want);
    let decoded: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&payload).unwrap()).unwrap();
    assert_eq!(decoded, sent);
    let cached = h.decide(&bearer("/x", &token));
    assert_eq!(cached.stats[0], Stat::CacheHit(0));
    assert_eq!(
        cached.set_headers, want,
        "a cache hit writes the same headers"
    );
}

#[test]
fn headers_the_filter_writes_are_always_removed_from_requests() {
    let mut h = Harness::new(
        json!({"rules": [
            {"match": {"prefix": "/open"}},
            {"match": {"prefix": "/"}, "requires": {"provider_name": "a"}},
        ]}),
        json!({"forward_payload_header": "X-Jwt-Payload", "claim_to_headers": [{"header_name": "x-sub", "claim_name": "sub"}]}),
        json!({"claim_to_headers": [{"header_name": "x-tenant", "claim_name": "tenant"}]}),
    );
    let forged = [
        ("x-sub", "admin"),
        ("x-jwt-payload", "e30"),
        ("x-tenant", "other"),
    ];
    let mut with_token = forged.to_vec();
    let auth = format!("Bearer {}", h.good_a());
    with_token.push(("authorization", &auth));
    let preflight = [
        ("origin", "https://web"),
        ("access-control-request-method", "GET"),
    ];
    let requests = [
        request("GET", "/open", &forged),
        request("GET", "/api", &forged),
        request("GET", "/api", &with_token),
        request("OPTIONS", "/api", &preflight),
    ];
    for req in &requests {
        let d = h.decide(req);
        for name in ["x-jwt-payload", "x-sub", "x-tenant"] {
            assert!(
                d.remove_headers.iter().any(|n| &**n == name),
                "{name} kept for {} {}: {d:?}",
                req.method(),
                req.path()
            );
        }
    }
}

fn rules_harness() -> Harness {
    Harness::new(
        json!({"rules": [
            {"match": {"prefix": "/public"}, "requires": {"allow_missing": {}}},
            {"match": {"prefix": "/lenient"}, "requires": {"allow_missing_or_failed": {}}},
            {"match": {"prefix": "/both"}, "requires": {"requires_all": [{"provider_name": "a"}, {"provider_name": "b"}]}},
            {"match": {"prefix": "/either"}, "requires": {"requires_any": {"requirements": [{"provider_name": "a"}, {"provider_name": "b"}]}}},
            {"match": {"prefix": "/open"}},
            {"match": {"path": "/admin", "methods": ["POST"]}, "requires": {"provider_name": "b"}},
            {"match": {"prefix": "/"}, "requires": {"provider_name": "a"}},
        ]}),
        json!({}),
        json!({"from_headers": [{"name": "x-b-token"}]}),
    )
}

#[test]
fn allow_missing_rules_accept_no_token_but_not_a_bad_one() {
    let mut h = rules_harness();
    let expired = h.token_a(json!({"iss": ISS_A, "exp": NOW_S - 100}));
    let foreign = h.token_a(json!({"iss": "https://other", "exp": NOW_S + 600}));
    let good = h.good_a();

    assert_eq!(
        h.decide(&request("GET", "/public", &[])).outcome,
        Outcome::Continue
    );
    assert_eq!(
        h.decide(&bearer("/public", &expired)).outcome,
        deny(401, "Jwt is expired", "/public")
    );
    // As Envoy: a token no provider claims is a bad token, not a missing one.
    assert_eq!(
        h.decide(&bearer("/public", &foreign)).outcome,
        deny(401, "Jwt issuer is not configured", "/public")
    );
    let d = h.decide(&bearer("/public", &good));
    assert_eq!(d.outcome, Outcome::Continue);
    assert_eq!(
        removed(&d),
        vec!["authorization"],
        "a verified token is still stripped"
    );

    assert_eq!(
        h.decide(&request("GET", "/lenient", &[])).outcome,
        Outcome::Continue
    );
    assert_eq!(
        h.decide(&bearer("/lenient", &expired)).outcome,
        Outcome::Continue
    );
    assert_eq!(
        h.decide(&bearer("/lenient", &tampered(&good))).outcome,
        Outcome::Continue
    );
}

#[test]
fn requires_all_and_requires_any_combine_providers() {
    let mut h = rules_harness();
    let a = h.good_a();
    let b = h.token_b(json!({"iss": ISS_B, "exp": NOW_S + 600}));
    let auth = format!("Bearer {a}");
    let both = [("authorization", auth.as_str()), ("x-b-token", b.as_str())];

    let d = h.decide(&request("GET", "/both", &both));
    assert_eq!(d.outcome, Outcome::Continue);
    assert!(
        d.stats.contains(&Stat::ProviderAllowed(0)) && d.stats.contains(&Stat::ProviderAllowed(1))
    );
    assert_eq!(removed(&d), vec!["authorization", "x-b-token"]);
    let d = h.decide(&bearer("/both", &a));
    assert_eq!(d.outcome, deny(401, "Jwt is missing", "/both"));
    assert!(
        d.stats.contains(&Stat::ProviderDenied(1, "missing")),
        "{:?}",
        d.stats
    );

    assert_eq!(
        h.decide(&request("GET", "/either", &[("x-b-token", &b)]))
            .outcome,
        Outcome::Continue
    );
    assert_eq!(h.decide(&bearer("/either", &a)).outcome, Outcome::Continue);
    assert_eq!(
        h.decide(&request("GET", "/either", &[])).outcome,
        deny(401, "Jwt is missing", "/either")
    );
}

#[test]
fn rules_pick_by_path_and_method() {
    let mut h = rules_harness();
    let a = h.good_a();
    let d = h.decide(&request("GET", "/open/x", &[]));
    assert_eq!((d.outcome, d.stats.to_vec()), (Outcome::Continue, vec![]));
    assert_eq!(
        h.decide(&bearer("/admin", &a)).outcome,
        Outcome::Continue,
        "GET falls through to /"
    );
    let post = request(
        "POST",
        "/admin",
        &[("authorization", &format!("Bearer {a}"))],
    );
    assert_eq!(
        h.decide(&post).outcome,
        deny(401, "Jwt is missing", "/admin"),
        "POST needs b"
    );
    assert_eq!(
        h.decide(&request("GET", "/other", &[])).outcome,
        deny(401, "Jwt is missing", "/other")
    );
}

#[test]
fn cors_preflight_is_bypassed_only_when_it_is_one() {
    let preflight = [
        ("origin", "https://web.example"),
        ("access-control-request-method", "POST"),
    ];
    let mut h = Harness::new(json!({"bypass_cors_preflight": true}), json!({}), json!({}));
    let d = h.decide(&request("OPTIONS", "/x", &preflight));
    assert_eq!(
        (d.outcome, d.stats.to_vec()),
        (Outcome::Continue, vec![Stat::CorsPreflightBypassed])
    );
    let not_preflight = [("origin", "https://web.example")];
    assert_eq!(
        h.decide(&request("OPTIONS", "/x", &not_preflight)).outcome,
        deny(401, "Jwt is missing", "/x")
    );
    assert_eq!(
        h.decide(&request("GET", "/x", &preflight)).outcome,
        deny(401, "Jwt is missing", "/x")
    );

    // The default, as Envoy's jwt_authn: a preflight is a request like any other.
    let mut strict = Harness::plain();
    assert_eq!(
        strict.decide(&request("OPTIONS", "/x", &preflight)).outcome,
        deny(401, "Jwt is missing", "/x")
    );
}

#[test]
fn audit_mode_counts_would_be_denials_and_lets_them_through() {
    let mut h = Harness::new(
        json!({"mode": "audit"}),
        json!({"claim_to_headers": [{"header_name": "x-sub", "claim_name": "sub"}]}),
        json!({}),
    );
    let expired = h.token_a(json!({"iss": ISS_A, "sub": "mallory", "exp": NOW_S - 100}));
    let d = h.decide(&bearer("/x", &expired));
    assert_eq!(d.outcome, Outcome::Continue);
    assert_eq!(d.reason, Some(AuthError::Expired));
    assert_eq!(
        d.stats.to_vec(),
        vec![Stat::ProviderDenied(0, "expired"), Stat::AuditWouldDeny]
    );
    assert!(
        d.set_headers.is_empty(),
        "no claims from an unverified token"
    );
    assert_eq!(removed(&d), vec!["x-sub"]);

    let d = h.decide(&request("GET", "/x", &[]));
    assert_eq!(d.outcome, Outcome::Continue);
    assert!(d.stats.contains(&Stat::AuditWouldDeny));

    let d = h.decide(&bearer("/x", &h.good_a()));
    assert_eq!(d.outcome, Outcome::Continue);
    assert!(!d.stats.contains(&Stat::AuditWouldDeny) && d.stats.contains(&Stat::Allowed));
    assert_eq!(
        d.set_headers,
        vec![("x-sub".to_string(), "alice".to_string())]
    );
}

#[test]
fn an_unknown_kid_waits_for_a_refetch_while_the_budget_allows() {
    let mut h = Harness::plain();
    let rotated = ES256KeyPair::generate().with_key_id("a2");
    let token = rotated.sign(valid_for_a()).unwrap();
    let req = bearer("/x", &token);

    let d = h.decide(&req);
    assert_eq!((d.outcome, d.stats.to_vec()), (Outcome::Wait, vec![]));
    assert_eq!(h.keys.refetch_calls, vec![0]);

    h.keys.refetch_answer = KidRefetch::NoKey;
    let d = h.decide(&req);
    assert_eq!(d.outcome, deny(401, NO_KEY, "/x"));
    assert_eq!(
        d.stats.to_vec(),
        vec![Stat::Denied, Stat::ProviderDenied(0, "no_key")]
    );

    // Its hold ended while the refetch kept failing: the fetch is what failed.
    h.keys.refetch_answer = KidRefetch::FetchFailed;
    let d = h.decide(&req);
    assert_eq!(d.outcome, deny(401, "Jwks remote fetch is failed", "/x"));
    assert_eq!(
        d.stats.to_vec(),
        vec![Stat::Denied, Stat::ProviderDenied(0, "jwks_fetch_failed")]
    );

    h.keys.sets[0] = key_set(rotated.public_key().to_jwk());
    h.keys.states[0] = Keys::Ready(2);
    assert_eq!(
        h.decide(&req).outcome,
        Outcome::Continue,
        "accepted after the rotation"
    );
}

#[test]
fn a_known_kid_or_no_kid_never_triggers_a_refetch() {
    let mut h = Harness::plain();
    let bad_signature = tampered(&h.good_a());
    assert_eq!(
        h.decide(&bearer("/x", &bad_signature)).outcome,
        deny(401, "Jwt verification fails", "/x")
    );
    let stranger = ES256KeyPair::generate().sign(valid_for_a()).unwrap();
    assert_eq!(
        h.decide(&bearer("/x", &stranger)).outcome,
        deny(401, "Jwt verification fails", "/x")
    );
    let es384 = ES384KeyPair::generate().sign(valid_for_a()).unwrap();
    let d = h.decide(&bearer("/x", &es384));
    assert_eq!(d.outcome, deny(401, NO_KEY, "/x"));
    assert!(
        h.keys.refetch_calls.is_empty(),
        "{:?}",
        h.keys.refetch_calls
    );
}

#[test]
fn keys_being_fetched_pause_only_tokens_that_could_pass() {
    let mut h = Harness::plain();
    h.keys.states[0] = Keys::Wait;
    let d = h.decide(&bearer("/x", &h.good_a()));
    assert_eq!((d.outcome, d.stats.to_vec()), (Outcome::Wait, vec![]));
    let expired = h.token_a(json!({"iss": ISS_A, "exp": NOW_S - 100}));
    assert_eq!(
        h.decide(&bearer("/x", &expired)).outcome,
        deny(401, "Jwt is expired", "/x")
    );
    assert_eq!(
        h.decide(&bearer("/x", "a.b")).outcome,
        deny(
            401,
            "Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections",
            "/x"
        )
    );
    assert_eq!(
        h.decide(&request("GET", "/x", &[])).outcome,
        deny(401, "Jwt is missing", "/x")
    );
    let token_b = h.token_b(json!({"iss": ISS_B, "exp": NOW_S + 600}));
    assert_eq!(
        h.decide(&bearer("/x", &token_b)).outcome,
        Outcome::Continue,
        "another issuer's token does not wait for a's keys"
    );
    assert!(h.keys.refetch_calls.is_empty());
}

#[test]
fn failed_keys_deny_with_jwks_fetch_failed() {
    let mut h = Harness::plain();
    h.keys.states[0] = Keys::Failed;
    let d = h.decide(&bearer("/x", &h.good_a()));
    assert_eq!(d.outcome, deny(401, "Jwks remote fetch is failed", "/x"));
    assert_eq!(
        d.stats.to_vec(),
        vec![Stat::Denied, Stat::ProviderDenied(0, "jwks_fetch_failed")]
    );
    let token_b = h.token_b(json!({"iss": ISS_B, "exp": NOW_S + 600}));
    assert_eq!(
        h.decide(&bearer("/x", &token_b)).outcome,
        Outcome::Continue,
        "the other provider still works"
    );
}

#[test]
fn tokens_over_max_token_bytes_are_refused_before_parsing() {
    let mut h = Harness::plain();
    let token = h.good_a();
    h.config.max_token_bytes = token.len();
    assert_eq!(h.decide(&bearer("/x", &token)).outcome, Outcome::Continue);
    // The token is in the cache now: the size limit still comes first.
    h.config.max_token_bytes = token.len() - 1;
    let d = h.decide(&bearer("/x", &token));
    assert_eq!(d.outcome, deny(401, "Jwt is too large", "/x"));
    // Both providers read the same header and refuse it; Envoy's `requires_any` reports the last.
    assert_eq!(
        d.stats.to_vec(),
        vec![Stat::Denied, Stat::ProviderDenied(1, "too_large")]
    );
}

#[test]
fn route_changes_say_when_envoy_must_choose_the_route_again() {
    let claim = json!([{"header_name": "x-tenant", "claim_name": "tid"}]);
    let mut h = Harness::new(json!({}), json!({ "claim_to_headers": claim }), json!({}));
    let token = h.token_a(json!({"iss": ISS_A, "exp": NOW_S + 600, "tid": "a"}));
    let route = |h: &mut Harness, req: &Request| h.decide(req).route;
    assert_eq!(
        route(&mut h, &bearer("/x", &token)),
        RouteChange {
            rewritten: true,
            forged_removed: false
        }
    );
    let forged = request(
        "GET",
        "/x",
        &[
            ("authorization", &format!("Bearer {token}")),
            ("x-tenant", "b"),
        ],
    );
    assert_eq!(
        route(&mut h, &forged),
        RouteChange {
            rewritten: true,
            forged_removed: true
        }
    );
    // Refused, but the forged header was still removed from a request that never goes on.
    let anonymous = request("GET", "/x", &[("x-tenant", "b")]);
    assert!(route(&mut h, &anonymous).forged_removed);
    // A token without the claim writes nothing; the token header's removal alone is no
    // route change.
    let plain = h.token_a(json!({"iss": ISS_A, "exp": NOW_S + 600}));
    assert_eq!(route(&mut h, &bearer("/x", &plain)), RouteChange::default());
}

#[test]
fn provider_and_audiences_replaces_the_audiences_also_for_cached_tokens() {
    let mut h = Harness::new(
        json!({"rules": [
            {"match": {"prefix": "/orders"}, "requires": {"provider_and_audiences": {"provider_name": "a", "audiences": ["orders"]}}},
            {"match": {"prefix": "/either"}, "requires": {"requires_any": [
                {"provider_and_audiences": {"provider_name": "a", "audiences": ["orders"]}},
                {"provider_name": "a"}]}},
            {"match": {"prefix": "/"}, "requires": {"provider_name": "a"}},
        ]}),
        json!({"audiences": ["api"], "claim_to_headers": [{"header_name": "x-sub", "claim_name": "sub"}]}),
        json!({}),
    );
    let api = h.token_a(json!({"iss": ISS_A, "sub": "s", "aud": "api", "exp": NOW_S + 600}));
    let orders = h.token_a(json!({"iss": ISS_A, "aud": "https://orders/", "exp": NOW_S + 600}));

    assert_eq!(h.decide(&bearer("/x", &api)).outcome, Outcome::Continue);
    let d = h.decide(&bearer("/orders", &api));
    assert_eq!(d.stats[0], Stat::CacheHit(0), "{:?}", d.stats);
    assert_eq!(
        d.outcome,
        deny(403, "Audiences in Jwt are not allowed", "/orders"),
        "a token cached under the provider's audiences is checked against the rule's"
    );
    assert_eq!(
        h.decide(&bearer("/orders", &orders)).outcome,
        Outcome::Continue
    );
    assert_eq!(
        h.decide(&bearer("/x", &orders)).outcome,
        deny(403, "Audiences in Jwt are not allowed", "/x")
    );

    // One provider asked with two audience lists: allowed by the second, headers written once.
    let d = h.decide(&bearer("/either", &api));
    assert_eq!(d.outcome, Outcome::Continue);
    assert_eq!(d.set_headers, vec![("x-sub".to_string(), "s".to_string())]);
    assert_eq!(h.tally.module, 2, "each token verified once");
}

#[test]
fn an_ambiguous_path_is_refused_before_any_token_and_only_counted_in_audit() {
    let rules = json!({"rules": [{"match": {"prefix": "/public"}},
                                 {"match": {"prefix": "/"}, "requires": {"provider_name": "a"}}]});
    let mut h = Harness::new(rules.clone(), json!({}), json!({}));
    let d = h.decide(&request("GET", "/public/%2e%2e/admin", &[]));
    assert_eq!(
        (d.outcome, d.stats.to_vec()),
        (
            Outcome::Deny {
                status: 400,
                body: "Bad Request: the request path is ambiguous (dot segments, escaped or repeated slashes)".into(),
                www_authenticate: String::new(),
            },
            vec![Stat::Denied]
        )
    );
    let mut audit = Harness::new(
        merged(rules, &json!({"mode": "audit"})),
        json!({}),
        json!({}),
    );
    let d = audit.decide(&request("GET", "/public/../admin", &[]));
    assert_eq!(
        (d.outcome, d.stats.to_vec()),
        (Outcome::Continue, vec![Stat::AuditWouldDeny])
    );
}

#[test]
fn a_string_claim_with_a_comma_is_never_written_as_a_header() {
    let mut h = Harness::new(
        json!({}),
        json!({"claim_to_headers": [
            {"header_name": "x-sub", "claim_name": "sub"},
            {"header_name": "x-name", "claim_name": "name"},
        ]}),
        json!({}),
    );
    let token =
        h.token_a(json!({"iss": ISS_A, "exp": NOW_S + 600, "sub": "alice,admin", "name": "Alice"}));
    let d = h.decide(&bearer("/x", &token));
    assert_eq!(d.outcome, Outcome::Continue);
    assert_eq!(
        d.set_headers,
        vec![("x-name".to_string(), "Alice".to_string())]
    );
    // The client's own x-sub is still removed.
    assert!(d.remove_headers.iter().any(|n| &**n == "x-sub"));
}

#[test]
fn rule_scopes_answer_403_insufficient_scope_and_count_the_reason() {
    let rules = json!({"rules": [
        {"match": {"prefix": "/orders"}, "requires": {"requires_any": [{"provider_name": "a"}, {"provider_name": "b"}]},
         "scopes": ["orders:write"]},
        {"match": {"prefix": "/audit"}, "requires": {"provider_name": "a"}, "claims": [{"claim_name": "sub", "exact": "bob"}]},
    ]});
    let mut h = Harness::new(rules.clone(), json!({}), json!({}));
    let base = json!({"iss": ISS_A, "sub": "alice", "exp": NOW_S + 600});
    let granted = h.token_a(merged(
        base.clone(),
        &json!({"scope": "orders:read orders:write"}),
    ));
    assert_eq!(
        h.decide(&bearer("/orders", &granted)).outcome,
        Outcome::Continue
    );
    // The token of `b` satisfies `requires_any` too: its scopes count as well.
    let b = h.token_b(json!({"iss": ISS_B, "exp": NOW_S + 600, "scp": ["orders:write"]}));
    assert_eq!(h.decide(&bearer("/orders", &b)).outcome, Outcome::Continue);
    let short = h.token_a(merged(base.clone(), &json!({"scope": "orders:read"})));
    let d = h.decide(&bearer("/orders", &short));
    let realm = format!("http://{HOST}/orders");
    assert_eq!(
        d.outcome,
        Outcome::Deny {
            status: 403,
            body: "Jwt does not grant the required scopes".into(),
            www_authenticate: format!(
                "Bearer realm=\"{realm}\", error=\"insufficient_scope\", scope=\"orders:write\""
            ),
        }
    );
    assert_eq!(
        d.stats.to_vec(),
        [
            Stat::CacheMiss(0),
            Stat::ProviderAllowed(0),
            Stat::Denied,
            Stat::ProviderDenied(0, "scope")
        ]
    );
    assert!(d.set_headers.is_empty());
    let d = h.decide(&bearer("/audit", &short));
    assert_eq!(d.reason, Some(AuthError::ClaimNotAllowed));
    assert!(matches!(d.outcome, Outcome::Deny { status: 403, .. }));
    // A missing token is still the plain 401.
    let d = h.decide(&request("GET", "/orders", &[]));
    assert_eq!(d.outcome, deny(401, "Jwt is missing", "/orders"));

    let mut audit = Harness::new(
        merged(rules, &json!({"mode": "audit"})),
        json!({}),
        json!({}),
    );
    let short = audit.token_a(merged(base, &json!({"scope": "orders:read"})));
    let d = audit.decide(&bearer("/orders", &short));
    assert_eq!(d.outcome, Outcome::Continue);
    assert!(d.stats.contains(&Stat::AuditWouldDeny));
}

#[test]
fn algorithm_and_type_allow_lists_come_after_the_issuer() {
    let mut h = Harness::new(
        json!({}),
        json!({"algorithms": ["RS256"]}),
        json!({"token_types": ["at+jwt"]}),
    );
    let a = h.good_a();
    let d = h.decide(&bearer("/x", &a));
    assert_eq!(
        d.outcome,
        deny(401, "Jwt header [alg] is not allowed", "/x")
    );
    assert_eq!(d.reason, Some(AuthError::AlgNotAllowed));
    // jwt-simple writes `typ: JWT`.
    let b = h.token_b(json!({"iss": ISS_B, "exp": NOW_S + 600}));
    let d = h.decide(&bearer("/x", &b));
    assert_eq!(d.reason, Some(AuthError::TypNotAllowed));
}

#[test]
fn protected_resource_metadata_is_served_and_named_in_challenges() {
    let top = json!({
        "resource_metadata": {"resource": "https://api.example/mcp", "authorization_servers": ["https://as.example"],
                              "scopes_supported": ["tools:call"]},
        "rules": [{"match": {"prefix": "/"}, "requires": {"provider_name": "a"}, "scopes": ["tools:call"]}],
    });
    let mut h = Harness::new(top, json!({}), json!({}));
    let url = "https://api.example/.well-known/oauth-protected-resource/mcp";
    let d = h.decide(&request(
        "GET",
        "/.well-known/oauth-protected-resource/mcp?x=1",
        &[],
    ));
    let Outcome::Respond {
        status: 200,
        content_type: "application/json",
        body,
    } = d.outcome
    else {
        panic!("{:?}", d.outcome)
    };
    let doc: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        doc,
        json!({"resource": "https://api.example/mcp", "authorization_servers": ["https://as.example"],
               "scopes_supported": ["tools:call"]})
    );
    // Another method, or another path, is an ordinary request.
    let d = h.decide(&request(
        "POST",
        "/.well-known/oauth-protected-resource/mcp",
        &[],
    ));
    let realm = format!("http://{HOST}/.well-known/oauth-protected-resource/mcp");
    assert_eq!(
        d.outcome,
        Outcome::Deny {
            status: 401,
            body: "Jwt is missing".into(),
            www_authenticate: format!("Bearer realm=\"{realm}\", resource_metadata=\"{url}\""),
        }
    );
    let token = h.good_a();
    let Outcome::Deny {
        status: 403,
        www_authenticate,
        ..
    } = h.decide(&bearer("/mcp", &token)).outcome
    else {
        panic!()
    };
    assert!(www_authenticate.ends_with(&format!(
        "error=\"insufficient_scope\", scope=\"tools:call\", resource_metadata=\"{url}\""
    )));
}

#[test]
fn ignore_unknown_issuers_treats_a_foreign_token_as_absent() {
    let rules = json!({"rules": [
        {"match": {"prefix": "/open"}, "requires": {"allow_missing": {}}},
        {"match": {"prefix": "/"}, "requires": {"provider_name": "a"}},
    ]});
    let foreign = |h: &Harness| h.token_a(json!({"iss": "https://elsewhere", "exp": NOW_S + 600}));
    let mut default = Harness::new(rules.clone(), json!({}), json!({}));
    let token = foreign(&default);
    let d = default.decide(&bearer("/x", &token));
    assert_eq!(d.outcome, deny(401, "Jwt issuer is not configured", "/x"));
    let mut h = Harness::new(
        merged(rules, &json!({"ignore_unknown_issuers": true})),
        json!({}),
        json!({}),
    );
    let token = foreign(&h);
    let d = h.decide(&bearer("/x", &token));
    assert_eq!(d.outcome, deny(401, "Jwt is missing", "/x"));
    assert!(d.stats.contains(&Stat::ProviderDenied(0, "missing")));
    // A token of `b`, a provider this requirement does not ask, is as foreign to it.
    let b = h.token_b(json!({"iss": ISS_B, "exp": NOW_S + 600}));
    assert_eq!(
        h.decide(&bearer("/x", &b)).outcome,
        deny(401, "Jwt is missing", "/x")
    );
    let d = h.decide(&bearer("/open", &token));
    assert_eq!(d.outcome, Outcome::Continue);
    assert!(d.set_headers.is_empty() && d.new_path.is_none());
    // A bad token of a known issuer is still refused.
    let expired = h.token_a(json!({"iss": ISS_A, "exp": NOW_S - 3600}));
    assert_eq!(
        h.decide(&bearer("/open", &expired)).outcome,
        deny(401, "Jwt is expired", "/open")
    );
}

#[test]
fn certificate_bound_tokens_need_the_certificate_they_name() {
    let digest = [7u8; 32];
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    let cnf = json!({"x5t#S256": URL_SAFE_NO_PAD.encode(digest)});
    let with_cert = |mut req: Request, cert: Option<&str>| {
        req.client_cert_sha256 = cert.map(str::to_string);
        req
    };
    for constraint in ["optional", "required"] {
        let mut h = Harness::new(
            json!({}),
            json!({"sender_constraint": constraint}),
            json!({}),
        );
        assert!(h.config.binds_tokens);
        let bound = h.token_a(json!({"iss": ISS_A, "exp": NOW_S + 600, "cnf": cnf}));
        let ok = h.decide(&with_cert(bearer("/x", &bound), Some(&hex.to_uppercase())));
        assert_eq!(ok.outcome, Outcome::Continue, "{constraint}");
        // Cached now; the binding is still checked against this connection's certificate.
        for cert in [None, Some("00".repeat(32).as_str())] {
            let d = h.decide(&with_cert(bearer("/x", &bound), cert));
            assert_eq!(
                d.outcome,
                deny(401, "Jwt is not bound to this client", "/x")
            );
        }
        let unbound = h.good_a();
        let d = h.decide(&with_cert(bearer("/x", &unbound), Some(&hex)));
        let want_unbound = if constraint == "required" {
            deny(401, "Jwt is not bound to this client", "/x")
        } else {
            Outcome::Continue
        };
        assert_eq!(d.outcome, want_unbound);
        let dpop = h.token_a(json!({"iss": ISS_A, "exp": NOW_S + 600, "cnf": {"jkt": "abc"}}));
        // Bound to a key, not a certificate: without a DPoP proof it is refused.
        let d = h.decide(&with_cert(bearer("/x", &dpop), Some(&hex)));
        assert_eq!(d.reason, Some(AuthError::InvalidDpopProof));
    }
    let mut off = Harness::plain();
    assert!(!off.config.binds_tokens);
    let bound = off.token_a(json!({"iss": ISS_A, "exp": NOW_S + 600, "cnf": cnf}));
    assert_eq!(off.decide(&bearer("/x", &bound)).outcome, Outcome::Continue);
}

#[test]
fn dpop_bound_tokens_need_a_fresh_proof_for_this_request() {
    let mut h = Harness::new(
        json!({}),
        json!({"sender_constraint": "required"}),
        json!({}),
    );
    use ring::signature::{EcdsaKeyPair, KeyPair as _, ECDSA_P256_SHA256_FIXED_SIGNING as P256};
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&P256, &rng).unwrap();
    let holder = EcdsaKeyPair::from_pkcs8(&P256, pkcs8.as_ref(), &rng).unwrap();
    let point = holder.public_key().as_ref();
    let jwk = json!({"kty": "EC", "crv": "P-256", "x": URL_SAFE_NO_PAD.encode(&point[1..33]),
                     "y": URL_SAFE_NO_PAD.encode(&point[33..65])});
    let Value::Object(jwk_map) = jwk.clone() else {
        unreachable!()
    };
    let jkt = crate::dpop::thumbprint(&jwk_map).unwrap();
    let token = h.token_a(json!({"iss": ISS_A, "exp": NOW_S + 600, "cnf": {"jkt": jkt}}));
    let ath = URL_SAFE_NO_PAD.encode(hmac_sha256::Hash::hash(token.as_bytes()));
    // The proof is signed with jwt-simple by hand: its header carries the holder's public key.
    let proof = |htm: &str, htu: &str, iat: u64, jti: &str, ath: &str| {
        let header = json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": jwk});
        let claims = json!({"htm": htm, "htu": htu, "iat": iat, "jti": jti, "ath": ath});
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let sig = holder.sign(&rng, input.as_bytes()).unwrap();
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.as_ref()))
    };
    let url = format!("http://{HOST}/x");
    let with = |p: &str| {
        request(
            "GET",
            "/x?q=1",
            &[("authorization", &format!("DPoP {token}")), ("dpop", p)],
        )
    };
    let good = proof("GET", &url, NOW_S, "jti-1", &ath);
    assert_eq!(h.decide(&with(&good)).outcome, Outcome::Continue);
    let invalid = Outcome::Deny {
        status: 401,
        body: "DPoP proof is invalid".into(),
        www_authenticate: "DPoP error=\"invalid_dpop_proof\"".into(),
    };
    // Replayed, then every way a proof can be wrong.
    assert_eq!(h.decide(&with(&good)).outcome, invalid);
    let bad = [
        proof("POST", &url, NOW_S, "jti-2", &ath),
        proof("GET", &format!("http://{HOST}/y"), NOW_S, "jti-3", &ath),
        proof(
            "GET",
            &url,
            NOW_S - crate::dpop::MAX_AGE_S - 1,
            "jti-4",
            &ath,
        ),
        proof("GET", &url, NOW_S + 120, "jti-5", &ath),
        proof("GET", &url, NOW_S, "jti-6", "wrong"),
        proof("GET", &url, NOW_S, "", &ath),
    ];
    for p in bad {
        assert_eq!(h.decide(&with(&p)).outcome, invalid, "{p}");
    }
    let no_proof = request("GET", "/x", &[("authorization", &format!("DPoP {token}"))]);
    assert_eq!(h.decide(&no_proof).outcome, invalid);
    let fresh = proof("GET", &url, NOW_S, "jti-7", &ath);
    assert_eq!(h.decide(&with(&fresh)).outcome, Outcome::Continue);
}

#[test]
fn an_unbound_token_sent_with_the_dpop_scheme_is_refused() {
    let mut h = Harness::new(
        json!({}),
        json!({"sender_constraint": "optional"}),
        json!({}),
    );
    let token = h.good_a();
    assert_eq!(h.decide(&bearer("/x", &token)).outcome, Outcome::Continue);
    let dpop = request("GET", "/x", &[("authorization", &format!("DPoP {token}"))]);
    assert_eq!(h.decide(&dpop).reason, Some(AuthError::InvalidDpopProof));
}

#[test]
fn a_rule_chosen_by_a_header_sees_every_value_of_it() {
    let rules = json!({"rules": [
        {"match": {"prefix": "/", "headers": [
            {"name": "x-tenant", "string_match": {"exact": "a,b"}}]},
         "requires": {"provider_name": "a"}},
        {"match": {"prefix": "/"}}]});
    let mut h = Harness::new(rules, json!({}), json!({}));
    // Both values, joined as Envoy joins them, pick the first rule: a token is required.
    let two = request(
        "GET",
        "/x",
        &[("x-tenant", "a"), ("x-other", "1"), ("x-tenant", "b")],
    );
    let d = h.decide(&two);
    assert_eq!(d.outcome, deny(401, "Jwt is missing", "/x"));
    // One value alone does not match it: the second rule requires nothing.
    let one = request("GET", "/x", &[("x-tenant", "a")]);
    assert_eq!(h.decide(&one).outcome, Outcome::Continue);
}
