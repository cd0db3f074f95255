use super::*;
use serde_json::{json, Value};

fn oct_jwks() -> String {
    json!({"keys": [{"kty": "oct", "k": "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"}]})
        .to_string()
}

/// A minimal valid provider, with `extra` fields merged over it (a `null` removes one).
fn provider_json(extra: Value) -> Value {
    let mut p =
        json!({"issuer": "https://issuer.example", "local_jwks": {"inline_string": oct_jwks()}});
    let map = p.as_object_mut().unwrap();
    for (k, v) in extra.as_object().unwrap() {
        if v.is_null() {
            map.remove(k);
        } else {
            map.insert(k.clone(), v.clone());
        }
    }
    p
}

/// One provider `p` with `extra` merged in, and `top` merged into the top level.
fn config_json(extra: Value, top: Value) -> Value {
    let mut c = json!({"providers": {"p": provider_json(extra)}});
    for (k, v) in top.as_object().unwrap() {
        c.as_object_mut().unwrap().insert(k.clone(), v.clone());
    }
    c
}

fn parse_value(v: &Value) -> Result<FilterConfig, ConfigError> {
    parse(v.to_string().as_bytes())
}

fn ok(extra: Value, top: Value) -> FilterConfig {
    let v = config_json(extra, top);
    parse_value(&v).unwrap_or_else(|e| panic!("{v} refused: {e}"))
}

fn refused(v: &Value) -> ConfigError {
    match parse_value(v) {
        Ok(_) => panic!("{v} was accepted"),
        Err(e) => e,
    }
}

fn remote(p: &Provider) -> &RemoteSource {
    match &p.source {
        JwksSource::Remote(r) => r,
        JwksSource::Local(_) => panic!("expected a remote key source"),
    }
}

fn jwks_target(p: &Provider) -> &HttpTarget {
    match &remote(p).endpoint {
        RemoteEndpoint::Jwks(t) => t,
        other => panic!("expected a JWKS endpoint, got {other:?}"),
    }
}

fn discovery_target(p: &Provider) -> (&HttpTarget, Option<&str>) {
    match &remote(p).endpoint {
        RemoteEndpoint::Discovery {
            discovery,
            jwks_cluster,
            ..
        } => (discovery, jwks_cluster.as_deref()),
        other => panic!("expected discovery, got {other:?}"),
    }
}

fn two_providers(rules: Value) -> Value {
    json!({
        "providers": {"a": provider_json(json!({})), "b": provider_json(json!({"issuer": "https://b.example"}))},
        "rules": rules,
    })
}

#[test]
fn defaults_follow_envoy_and_the_issue() {
    let cfg = ok(
        json!({"local_jwks": null, "remote_jwks": {"uri": "https://idp.example.com/jwks"}}),
        json!({}),
    );
    // As Envoy's jwt_authn: a preflight needs a token unless the operator says otherwise.
    assert!(!cfg.bypass_cors_preflight);
    assert_eq!(cfg.mode, Mode::Enforce);
    assert_eq!(cfg.token_cache_size, 1000);
    assert_eq!(cfg.max_held_requests, 1000);
    assert_eq!(cfg.max_token_bytes, 8192);
    assert!(cfg.rules.is_empty());
    assert_eq!(
        cfg.default_requirement,
        Some(Requirement::Any(vec![Requirement::Provider(0)]))
    );
    assert!(cfg.written_headers.is_empty());

    let p = &cfg.providers[0];
    assert_eq!(p.name, "p");
    assert_eq!(p.issuer, "https://issuer.example");
    assert!(p.require_expiration);
    assert_eq!(p.clock_skew_seconds, 60);
    assert_eq!(p.max_lifetime_seconds, None);
    assert!(p.audiences.is_empty());
    assert!(!p.forward);
    assert_eq!(p.forward_payload_header, None);
    assert!(p.claim_to_headers.is_empty());
    assert_eq!(p.kid_refetch_interval_ms, 30_000);
    assert_eq!(
        p.from_headers,
        vec![HeaderLocation {
            name: "authorization".into(),
            value_prefix: "Bearer ".into()
        }]
    );
    assert_eq!(p.from_params, vec!["access_token".to_string()]);
    assert!(p.from_cookies.is_empty());

    let r = remote(p);
    assert_eq!(r.timeout_ms, 5000);
    assert_eq!(r.cache_duration_ms, 600_000);
    let target = jwks_target(p);
    assert_eq!(target.cluster, "outbound|443||idp.example.com");
    assert_eq!(target.path, "/jwks");
}

#[test]
fn explicit_values_are_kept() {
    let cfg = ok(
        json!({
            "audiences": ["api", "web"],
            "require_expiration": false,
            "max_lifetime_seconds": 3600,
            "clock_skew_seconds": 0,
            "forward": true,
            "kid_refetch_interval_seconds": 5,
            "local_jwks": null,
            "remote_jwks": {"uri": "http://127.0.0.1:8080/keys", "cluster": "issuer", "timeout_ms": 250, "cache_duration_seconds": 30},
        }),
        json!({"bypass_cors_preflight": false, "mode": "audit", "token_cache_size": 0, "max_token_bytes": 100, "max_held_requests": 3}),
    );
    assert!(!cfg.bypass_cors_preflight);
    assert_eq!(cfg.max_held_requests, 3);
    assert_eq!(cfg.mode, Mode::Audit);
    assert_eq!((cfg.token_cache_size, cfg.max_token_bytes), (0, 100));
    let p = &cfg.providers[0];
    assert_eq!(p.audiences, vec!["api", "web"]);
    assert!(!p.require_expiration && p.forward);
    assert_eq!(
        (p.max_lifetime_seconds, p.clock_skew_seconds),
        (Some(3600), 0)
    );
    assert_eq!(p.kid_refetch_interval_ms, 5000);
    let r = remote(p);
    assert_eq!((r.timeout_ms, r.cache_duration_ms), (250, 30_000));
    let t = jwks_target(p);
    assert_eq!(
        (t.cluster.as_str(), t.authority.as_str(), t.path.as_str()),
        ("issuer", "127.0.0.1:8080", "/keys")
    );
}

#[test]
fn rules_name_providers_by_their_position() {
    let rule =
        |name: &str| json!([{"match": {"prefix": "/"}, "requires": {"provider_name": name}}]);
    let cfg = parse_value(&two_providers(rule("b"))).unwrap();
    assert_eq!(cfg.rules[0].requirement, Some(Requirement::Provider(1)));
    let e = refused(&two_providers(rule("q")));
    assert_eq!(e.field, "rules[0].requires.provider_name");
    assert!(e.reason.contains("unknown provider"), "{e}");
}

#[test]
fn remote_jwks_cluster_defaults_to_the_istio_name() {
    let cfg = ok(
        json!({"local_jwks": null, "remote_jwks": {"uri": "http://jwks.auth.svc.cluster.local:8080/keys?v=1"}}),
        json!({}),
    );
    let t = jwks_target(&cfg.providers[0]);
    assert_eq!(t.cluster, "outbound|8080||jwks.auth.svc.cluster.local");
    assert_eq!(t.authority, "jwks.auth.svc.cluster.local:8080");
    assert_eq!(t.path, "/keys?v=1");
    assert_eq!(t.uri, "http://jwks.auth.svc.cluster.local:8080/keys?v=1");
}

#[test]
fn oidc_discovery_targets_the_issuers_well_known_document() {
    let cfg = ok(
        json!({"issuer": "https://idp.example.com/realms/r1/", "local_jwks": null, "oidc_discovery": {}}),
        json!({}),
    );
    let r = remote(&cfg.providers[0]);
    assert_eq!((r.timeout_ms, r.cache_duration_ms), (5000, 600_000));
    let (discovery, jwks_cluster) = discovery_target(&cfg.providers[0]);
    assert_eq!(
        discovery.uri,
        "https://idp.example.com/realms/r1/.well-known/openid-configuration"
    );
    assert_eq!(discovery.cluster, "outbound|443||idp.example.com");
    assert_eq!(
        discovery.path,
        "/realms/r1/.well-known/openid-configuration"
    );
    assert_eq!(jwks_cluster, None);

    let cfg = ok(
        json!({"issuer": "http://127.0.0.1:9000", "local_jwks": null,
               "oidc_discovery": {"cluster": "issuer", "jwks_cluster": "keys", "timeout_ms": 100, "cache_duration_seconds": 60}}),
        json!({}),
    );
    let r = remote(&cfg.providers[0]);
    assert_eq!((r.timeout_ms, r.cache_duration_ms), (100, 60_000));
    let (discovery, jwks_cluster) = discovery_target(&cfg.providers[0]);
    assert_eq!(
        (discovery.cluster.as_str(), discovery.path.as_str()),
        ("issuer", "/.well-known/openid-configuration")
    );
    assert_eq!(jwks_cluster, Some("keys"));
}

#[test]
fn local_jwks_keeps_the_text() {
    let cfg = ok(json!({}), json!({}));
    match &cfg.providers[0].source {
        JwksSource::Local(text) => assert_eq!(text, &oct_jwks()),
        JwksSource::Remote(_) => panic!("expected local keys"),
    }
}

#[test]
fn naming_any_location_replaces_the_defaults() {
    let cfg = ok(json!({"from_cookies": ["jwt"]}), json!({}));
    let p = &cfg.providers[0];
    assert!(p.from_headers.is_empty() && p.from_params.is_empty());
    assert_eq!(p.from_cookies, vec!["jwt"]);

    let cfg = ok(
        json!({"from_headers": [{"name": "X-Token"}, {"name": "Authorization", "value_prefix": "JWT "}]}),
        json!({}),
    );
    let p = &cfg.providers[0];
    assert_eq!(
        p.from_headers,
        vec![
            HeaderLocation {
                name: "x-token".into(),
                value_prefix: String::new()
            },
            HeaderLocation {
                name: "authorization".into(),
                value_prefix: "JWT ".into()
            },
        ]
    );
    assert!(p.from_params.is_empty() && p.from_cookies.is_empty());
}

#[test]
fn written_headers_collect_every_provider_lower_cased_once() {
    let cfg = parse_value(&json!({"providers": {
        "a": provider_json(json!({
            "forward_payload_header": "X-Jwt-Payload",
            "claim_to_headers": [{"header_name": "X-Sub", "claim_name": "sub"}, {"header_name": "x-team", "claim_name": "org.team"}],
        })),
        "b": provider_json(json!({"issuer": "https://b.example", "claim_to_headers": [{"header_name": "x-sub", "claim_name": "sub"}]})),
    }}))
    .unwrap();
    assert_eq!(
        cfg.written_headers,
        vec!["x-jwt-payload", "x-sub", "x-team"]
    );
    let a = &cfg.providers[0];
    assert_eq!(a.forward_payload_header.as_deref(), Some("x-jwt-payload"));
    assert_eq!(
        a.claim_to_headers[1],
        ClaimToHeader {
            header_name: "x-team".into(),
            claim_path: vec!["org".into(), "team".into()]
        }
    );
}

#[test]
fn rules_build_requirement_trees() {
    let cfg = parse_value(&two_providers(json!([
        {"match": {"prefix": "/public"}},
        {"match": {"path": "/admin", "methods": ["post", "GET"]}, "requires": {"provider_name": "b"}},
        {"match": {"prefix": "/any"}, "requires": {"requires_any": [{"provider_name": "a"}, {"provider_name": "b"}]}},
        {"match": {"prefix": "/envoy"}, "requires": {"requires_any": {"requirements": [{"provider_name": "a"}, {"allow_missing": {}}]}}},
        {"match": {"prefix": "/all"}, "requires": {"requires_all": {"requirements": [{"provider_name": "a"}, {"provider_name": "b"}]}}},
        {"match": {"prefix": "/"}, "requires": {"allow_missing_or_failed": {}}},
    ])))
    .unwrap();
    assert_eq!(
        cfg.default_requirement, None,
        "rules replace the default requirement"
    );
    use Requirement as R;
    let got: Vec<_> = cfg
        .rules
        .iter()
        .map(|r| (r.path.clone(), r.methods.clone(), r.requirement.clone()))
        .collect();
    assert_eq!(
        got,
        vec![
            (PathMatch::Prefix("/public".into()), vec![], None),
            (
                PathMatch::Exact("/admin".into()),
                vec!["POST".to_string(), "GET".to_string()],
                Some(R::Provider(1))
            ),
            (
                PathMatch::Prefix("/any".into()),
                vec![],
                Some(R::Any(vec![R::Provider(0), R::Provider(1)]))
            ),
            (
                PathMatch::Prefix("/envoy".into()),
                vec![],
                Some(R::Any(vec![R::Provider(0), R::AllowMissing]))
            ),
            (
                PathMatch::Prefix("/all".into()),
                vec![],
                Some(R::All(vec![R::Provider(0), R::Provider(1)]))
            ),
            (
                PathMatch::Prefix("/".into()),
                vec![],
                Some(R::AllowMissingOrFailed)
            ),
        ]
    );
}

/// Each refused config and the field path its error must name.
fn assert_refused(cases: Vec<(Value, &str)>) {
    for (v, field) in cases {
        let e = refused(&v);
        assert_eq!(e.field, field, "{v} -> {e}");
        assert!(!e.reason.is_empty(), "{v}");
        assert_eq!(e.to_string(), format!("{}: {}", e.field, e.reason));
    }
}

#[test]
fn provider_refusals_name_the_field() {
    let c = |extra: Value| config_json(extra, json!({}));
    let jwks_uri = |uri: &str| json!({"local_jwks": null, "remote_jwks": {"uri": uri}});
    assert_refused(vec![
        (json!({"providers": {}}), "providers"),
        (
            json!({"providers": {"bad.name": provider_json(json!({}))}}),
            "providers.bad.name",
        ),
        (
            c(json!({"remote_jwks": {"uri": "https://idp.example/jwks"}})),
            "providers.p",
        ),
        (c(json!({"local_jwks": null})), "providers.p"),
        (
            c(jwks_uri("ftp://idp.example/jwks")),
            "providers.p.remote_jwks.uri",
        ),
        (
            c(jwks_uri("idp.example/jwks")),
            "providers.p.remote_jwks.uri",
        ),
        (
            c(jwks_uri("http://idp.example:0/jwks")),
            "providers.p.remote_jwks.uri",
        ),
        (c(json!({"issuer": ""})), "providers.p.issuer"),
        (
            c(json!({"issuer": "not a url", "local_jwks": null, "oidc_discovery": {}})),
            "providers.p.issuer",
        ),
        (
            c(json!({"audiences": ["api", ""]})),
            "providers.p.audiences",
        ),
        (
            c(json!({"from_headers": [{"name": "bad header"}]})),
            "providers.p.from_headers[0].name",
        ),
        (
            c(json!({"from_headers": [{"name": "x-ok"}, {"name": ""}]})),
            "providers.p.from_headers[1].name",
        ),
        (c(json!({"from_params": [""]})), "providers.p.from_params"),
        (c(json!({"from_cookies": [""]})), "providers.p.from_cookies"),
        (
            c(json!({"from_headers": [], "from_params": []})),
            "providers.p",
        ),
        (
            c(json!({"forward_payload_header": "x:payload"})),
            "providers.p.forward_payload_header",
        ),
        (
            c(json!({"claim_to_headers": [{"header_name": "x sub", "claim_name": "sub"}]})),
            "providers.p.claim_to_headers[0].header_name",
        ),
        (
            c(json!({"claim_to_headers": [{"header_name": "x-sub", "claim_name": "org..team"}]})),
            "providers.p.claim_to_headers[0].claim_name",
        ),
        (
            c(json!({"local_jwks": {"inline_string": "not json"}})),
            "providers.p.local_jwks.inline_string",
        ),
        (
            c(json!({"local_jwks": {"inline_string": "{\"keys\":[]}"}})),
            "providers.p.local_jwks.inline_string",
        ),
        (
            c(json!({"local_jwks": null, "remote_jwks": {"uri": "https://i/j", "timeout_ms": 0}})),
            "providers.p.remote_jwks.timeout_ms",
        ),
        (
            c(
                json!({"local_jwks": null, "remote_jwks": {"uri": "https://i/j", "timeout_ms": 60001}}),
            ),
            "providers.p.remote_jwks.timeout_ms",
        ),
        (
            c(
                json!({"local_jwks": null, "remote_jwks": {"uri": "https://i/j", "cache_duration_seconds": 0}}),
            ),
            "providers.p.remote_jwks.cache_duration_seconds",
        ),
        (
            c(
                json!({"issuer": "https://i", "local_jwks": null, "oidc_discovery": {"timeout_ms": 0}}),
            ),
            "providers.p.oidc_discovery.timeout_ms",
        ),
    ]);
}

#[test]
fn top_level_refusals_name_the_field() {
    let c = |top: Value| config_json(json!({}), top);
    assert_refused(vec![
        (c(json!({"mode": "permissive"})), "mode"),
        (
            c(json!({"token_cache_size": 1_000_001})),
            "token_cache_size",
        ),
        (c(json!({"max_token_bytes": 8})), "max_token_bytes"),
        (c(json!({"max_token_bytes": 2_000_000})), "max_token_bytes"),
        (
            c(json!({"max_held_requests": 100_001})),
            "max_held_requests",
        ),
    ]);
}

#[test]
fn unknown_fields_are_refused_by_name() {
    let cases = [
        (
            config_json(json!({}), json!({"rulez": []})),
            "config",
            "rulez",
        ),
        (
            config_json(json!({"issuers": "x"}), json!({})),
            "providers.p",
            "issuers",
        ),
        (
            config_json(
                json!({"remote_jwks": {"uri": "https://i/j", "http_uri": {}}, "local_jwks": null}),
                json!({}),
            ),
            "providers.p",
            "http_uri",
        ),
        (
            config_json(
                json!({"local_jwks": {"inline_string": oct_jwks(), "filename": "/k"}}),
                json!({}),
            ),
            "providers.p",
            "filename",
        ),
        (
            config_json(
                json!({"from_headers": [{"name": "a", "prefix": "B "}]}),
                json!({}),
            ),
            "providers.p",
            "prefix",
        ),
        (
            two_providers(json!([{"match": {"prefix": "/"}, "require": {}}])),
            "rules[0]",
            "require",
        ),
        (
            two_providers(json!([{"match": {"prefix": "/", "query_parameters": []}}])),
            "rules[0]",
            "query_parameters",
        ),
    ];
    for (v, field, name) in cases {
        let e = refused(&v);
        // The path may go down to the unknown key itself.
        let at_or_below =
            e.field == field || e.field.starts_with(&format!("{field}.")) || field == "config";
        assert!(at_or_below, "{v} -> {e}");
        assert!(
            e.reason.contains(name) || e.field.ends_with(name),
            "{v} -> {e}"
        );
    }
}

#[test]
fn wrongly_typed_values_name_the_field() {
    // The log line must let the user find the value: the field's name has to appear in it.
    let cases = [
        (config_json(json!({"forward": "yes"}), json!({})), "forward"),
        (
            config_json(json!({"clock_skew_seconds": -1}), json!({})),
            "clock_skew_seconds",
        ),
        (
            config_json(json!({}), json!({"bypass_cors_preflight": "no"})),
            "bypass_cors_preflight",
        ),
        (
            config_json(json!({}), json!({"token_cache_size": "10"})),
            "token_cache_size",
        ),
    ];
    for (v, name) in cases {
        let e = refused(&v);
        assert!(e.to_string().contains(name), "{v} -> {e}");
    }
}

#[test]
fn remote_cluster_refusal_names_the_cluster() {
    let v = config_json(
        json!({"local_jwks": null, "remote_jwks": {"uri": "https://i/j", "cluster": ""}}),
        json!({}),
    );
    assert_eq!(refused(&v).field, "providers.p.remote_jwks.cluster");
}

#[test]
fn rule_refusals_name_the_field() {
    let r = |rule: Value| two_providers(json!([{"match": {"prefix": "/ok"}}, rule]));
    let nested = (0..10).fold(
        json!({"provider_name": "a"}),
        |inner, _| json!({"requires_any": [inner, {"provider_name": "b"}]}),
    );
    assert_refused(vec![
        (r(json!({"match": {}})), "rules[1].match"),
        (
            r(json!({"match": {"prefix": "/", "path": "/x"}})),
            "rules[1].match",
        ),
        (r(json!({"match": {"prefix": "api"}})), "rules[1].match"),
        (r(json!({"match": {"path": "x"}})), "rules[1].match"),
        (
            r(json!({"match": {"prefix": "/", "methods": ["G T"]}})),
            "rules[1].match.methods",
        ),
        (
            r(json!({"match": {"prefix": "/", "methods": [""]}})),
            "rules[1].match.methods",
        ),
        (
            r(json!({"match": {"prefix": "/"}, "requires": {"provider_name": "nope"}})),
            "rules[1].requires.provider_name",
        ),
        (
            r(json!({"match": {"prefix": "/"}, "requires": {"provider_name": 1}})),
            "rules[1].requires.provider_name",
        ),
        (
            r(json!({"match": {"prefix": "/"}, "requires": {}})),
            "rules[1].requires",
        ),
        (
            r(json!({"match": {"prefix": "/"}, "requires": "a"})),
            "rules[1].requires",
        ),
        (
            r(
                json!({"match": {"prefix": "/"}, "requires": {"provider_name": "a", "allow_missing": {}}}),
            ),
            "rules[1].requires",
        ),
        (
            r(json!({"match": {"prefix": "/"}, "requires": {"provider": "a"}})),
            "rules[1].requires",
        ),
        (
            r(
                json!({"match": {"prefix": "/"}, "requires": {"requires_any": [{"provider_name": "a"}]}}),
            ),
            "rules[1].requires.requires_any",
        ),
        (
            r(
                json!({"match": {"prefix": "/"}, "requires": {"requires_all": {"provider_name": "a"}}}),
            ),
            "rules[1].requires.requires_all",
        ),
        (
            r(
                json!({"match": {"prefix": "/"}, "requires": {"requires_any": {"requirements": [{"provider_name": "a"}], "x": 1}}}),
            ),
            "rules[1].requires.requires_any",
        ),
        (
            r(
                json!({"match": {"prefix": "/"}, "requires": {"requires_any": [{"provider_name": "a"}, {"provider_name": "zz"}]}}),
            ),
            "rules[1].requires.requires_any[1].provider_name",
        ),
        (
            r(json!({"match": {"prefix": "/"}, "requires": {"allow_missing": {"x": 1}}})),
            "rules[1].requires.allow_missing",
        ),
        (
            r(json!({"match": {"prefix": "/"}, "requires": {"allow_missing_or_failed": true}})),
            "rules[1].requires.allow_missing_or_failed",
        ),
    ]);
    let e = refused(&r(json!({"match": {"prefix": "/"}, "requires": nested})));
    assert!(
        e.field.starts_with("rules[1].requires.requires_any[0]"),
        "{e}"
    );
    assert!(e.reason.contains("nested too deeply"), "{e}");
}

#[test]
fn not_json_is_refused() {
    for text in ["", "not json", "[]", "{\"providers\": {\"p\": {}}}"] {
        let e = parse(text.as_bytes()).unwrap_err();
        assert!(
            e.field.starts_with("config") || e.field.starts_with("providers"),
            "{text:?} -> {e}"
        );
    }
}

#[test]
fn duplicate_keys_are_refused_anywhere() {
    // Two readings of one config must not exist: the same rule as for tokens and JWKS.
    let p = provider_json(json!({})).to_string();
    let jwks = json!(oct_jwks()).to_string();
    let texts = [
        format!(r#"{{"mode": "audit", "mode": "enforce", "providers": {{"p": {p}}}}}"#),
        format!(r#"{{"providers": {{"p": {p}, "p": {p}}}}}"#),
        format!(
            r#"{{"providers": {{"p": {{"issuer": "https://a", "issuer": "https://b", "local_jwks": {{"inline_string": {jwks}}}}}}}}}"#
        ),
        format!(
            r#"{{"providers": {{"p": {p}}}, "rules": [{{"match": {{"prefix": "/"}}, "requires": {{"provider_name": "p", "provider_name": "p"}}}}]}}"#
        ),
    ];
    let accepted: Vec<&String> = texts
        .iter()
        .filter(|t| parse(t.as_bytes()).is_ok())
        .collect();
    assert!(accepted.is_empty(), "accepted: {accepted:#?}");
}

#[test]
fn kid_refetch_interval_cannot_be_zero() {
    // Zero would let every request with a made-up kid start a JWKS fetch.
    let e = refused(&config_json(
        json!({"kid_refetch_interval_seconds": 0}),
        json!({}),
    ));
    assert_eq!(e.field, "providers.p.kid_refetch_interval_seconds");
    assert_eq!(
        ok(json!({"kid_refetch_interval_seconds": 1}), json!({})).providers[0]
            .kid_refetch_interval_ms,
        1000
    );
}

#[test]
fn hold_for_keys_defaults_to_five_seconds_and_is_bounded() {
    let hold = |extra: Value| ok(extra, json!({})).providers[0].hold_for_keys_ms;
    assert_eq!(hold(json!({})), 5_000);
    assert_eq!(hold(json!({"hold_for_keys_ms": 0})), 0);
    assert_eq!(hold(json!({"hold_for_keys_ms": 60_000})), 60_000);
    let remote = json!({"local_jwks": null, "remote_jwks": {"uri": "https://i/j"}, "hold_for_keys_ms": 1500});
    assert_eq!(hold(remote), 1500);
    assert_refused(vec![(
        config_json(json!({"hold_for_keys_ms": 60_001}), json!({})),
        "providers.p.hold_for_keys_ms",
    )]);
    for bad in [json!(-1), json!("5s"), json!(1.5)] {
        let e = refused(&config_json(json!({"hold_for_keys_ms": bad}), json!({})));
        assert_eq!(e.field, "providers.p.hold_for_keys_ms", "{e}");
    }
}

#[test]
fn subjects_take_one_string_matcher() {
    let p = |m: Value| ok(json!({ "subjects": m }), json!({})).providers.remove(0);
    assert_eq!(
        p(json!({"suffix": "@example.com"})).subjects,
        Some(StringMatch::Suffix("@example.com".into()))
    );
    assert_eq!(
        p(json!({"exact": ""})).subjects,
        Some(StringMatch::Exact(String::new()))
    );
    assert_eq!(ok(json!({}), json!({})).providers[0].subjects, None);
    for bad in [
        json!({}),
        json!({"exact": "a", "prefix": "b"}),
        json!({"prefix": ""}),
        json!({"safe_regex": {"regex": ".*"}}),
        json!("alice"),
    ] {
        let e = refused(&config_json(json!({ "subjects": bad }), json!({})));
        assert!(e.field.starts_with("providers.p.subjects"), "{bad}: {e}");
    }
    let m = StringMatch::Contains("@corp.".into());
    assert!(m.matches("a@corp.example") && !m.matches("a@corp-example"));
    assert!(StringMatch::Prefix("spiffe://a/".into()).matches("spiffe://a/x"));
}

#[test]
fn crypto_is_auto_module_or_cross_check() {
    use crate::crypto::CryptoMode;
    assert_eq!(ok(json!({}), json!({})).crypto, CryptoMode::Auto);
    assert_eq!(
        ok(json!({}), json!({"crypto": "cross_check"})).crypto,
        CryptoMode::CrossCheck
    );
    assert_eq!(
        ok(json!({}), json!({"crypto": "module"})).crypto,
        CryptoMode::Module
    );
    let e = refused(&config_json(json!({}), json!({"crypto": "boringssl"})));
    assert_eq!(e.field, "crypto");
}

#[test]
fn rule_header_matchers_may_name_the_authority() {
    let rule = json!({"rules": [{"match": {"prefix": "/", "headers": [
        {"name": ":Authority", "string_match": {"exact": "tenant-a.example.com"}}]},
        "requires": {"provider_name": "p"}}]});
    assert_eq!(ok(json!({}), rule).rules[0].headers[0].name, ":authority");
    // Only a matcher may: a written header named so would be a pseudo-header.
    let written = json!({"claim_to_headers": [{"header_name": ":authority", "claim_name": "sub"}]});
    let e = refused(&config_json(written, json!({})));
    assert_eq!(e.field, "providers.p.claim_to_headers[0].header_name");
}

#[test]
fn rule_header_matchers_use_envoys_spelling() {
    let rules = |headers: Value| json!({"rules": [{"match": {"prefix": "/", "headers": headers}, "requires": {"provider_name": "p"}}]});
    let cfg = ok(
        json!({}),
        rules(json!([
            {"name": "X-Env", "string_match": {"exact": "prod"}},
            {"name": "x-beta", "present_match": true, "invert_match": true},
            {"name": "x-tier", "string_match": {"prefix": "gold"}},
        ])),
    );
    assert_eq!(
        cfg.rules[0].headers,
        vec![
            HeaderMatch {
                name: "x-env".into(),
                kind: HeaderMatchKind::Value(StringMatch::Exact("prod".into())),
                invert: false,
            },
            HeaderMatch {
                name: "x-beta".into(),
                kind: HeaderMatchKind::Present(true),
                invert: true,
            },
            HeaderMatch {
                name: "x-tier".into(),
                kind: HeaderMatchKind::Value(StringMatch::Prefix("gold".into())),
                invert: false,
            },
        ]
    );
    for (bad, field) in [
        (json!([{"name": "x"}]), "rules[0].match.headers[0]"),
        (
            json!([{"string_match": {"exact": "a"}}]),
            "rules[0].match.headers[0]",
        ),
        (
            json!([{"name": "x", "present_match": true, "string_match": {"exact": "a"}}]),
            "rules[0].match.headers[0]",
        ),
        (
            json!([{"name": "x", "string_match": {"contains": "a"}}]),
            "rules[0].match.headers[0].string_match",
        ),
        (
            json!([{"name": "x", "present_match": "yes"}]),
            "rules[0].match.headers[0]",
        ),
        (
            json!([{"name": "x", "present_match": true, "regex": "a"}]),
            "rules[0].match.headers[0].regex",
        ),
        (json!(["x"]), "rules[0].match.headers[0]"),
        (
            json!([{"name": ":", "present_match": true}]),
            "rules[0].match.headers[0].name",
        ),
        (
            json!([{"name": "::authority", "present_match": true}]),
            "rules[0].match.headers[0].name",
        ),
    ] {
        let e = refused(&config_json(json!({}), rules(bad.clone())));
        assert_eq!(e.field, field, "{bad}: {e}");
    }
}

#[test]
fn issuer_templates_are_checked() {
    let template = |t: Value, extra: Value| {
        let mut v = json!({"issuer": null, "issuer_template": t});
        for (k, x) in extra.as_object().unwrap() {
            v[k] = x.clone();
        }
        v
    };
    let p = ok(
        template(
            json!("https://l.example/{tid}/v2.0"),
            json!({"allowed_tenants": ["a-1"]}),
        ),
        json!({}),
    )
    .providers
    .remove(0);
    let t = p.issuer_template.unwrap();
    assert_eq!(
        (t.before.as_str(), t.after.as_str()),
        ("https://l.example/", "/v2.0")
    );
    assert_eq!(t.allowed_tenants, ["a-1"]);
    let any = json!({"allowed_tenants": ["*"]});
    for (extra, field) in [
        (
            template(json!("https://l.example/v2.0"), any.clone()),
            "providers.p.issuer_template",
        ),
        (
            template(json!("https://l.example/{tid}/{tid}"), any.clone()),
            "providers.p.issuer_template",
        ),
        (
            template(json!("{tid}.example"), any.clone()),
            "providers.p.issuer_template",
        ),
        // Leaving the tenants out is not "any tenant": anyone can mint tokens in a tenant.
        (
            template(json!("https://l.example/{tid}"), json!({})),
            "providers.p.allowed_tenants",
        ),
        (
            template(
                json!("https://l.example/{tid}"),
                json!({"allowed_tenants": []}),
            ),
            "providers.p.allowed_tenants",
        ),
        (
            template(
                json!("https://l.example/{tid}"),
                json!({"allowed_tenants": ["*", "a"]}),
            ),
            "providers.p.allowed_tenants",
        ),
        (
            template(
                json!("https://l.example/{tid}"),
                json!({"allowed_tenants": ["a/b"]}),
            ),
            "providers.p.allowed_tenants",
        ),
        (
            json!({"issuer_template": "https://l.example/{tid}"}),
            "providers.p",
        ),
        (json!({"issuer": null}), "providers.p"),
        (
            json!({"allowed_tenants": ["a"]}),
            "providers.p.allowed_tenants",
        ),
        (
            template(
                json!("https://l.example/{tid}"),
                json!({"local_jwks": null, "oidc_discovery": {}, "allowed_tenants": ["*"]}),
            ),
            "providers.p.oidc_discovery.uri",
        ),
    ] {
        let e = refused(&config_json(extra.clone(), json!({})));
        assert_eq!(e.field, field, "{extra}: {e}");
    }
    let with_discovery = template(
        json!("https://l.example/{tid}/v2.0"),
        json!({"local_jwks": null, "allowed_tenants": ["*"], "oidc_discovery": {"uri": "https://l.example/common/v2.0/.well-known/openid-configuration"}}),
    );
    let any_tenant = ok(with_discovery, json!({})).providers.remove(0);
    assert!(any_tenant
        .issuer_template
        .unwrap()
        .allowed_tenants
        .is_empty());
}

#[test]
fn provider_and_audiences_is_validated() {
    let with = |req: serde_json::Value| {
        let cfg = json!({"providers": {"p": {"issuer": "i", "remote_jwks": {"uri": "https://i/jwks"}}},
                         "rules": [{"match": {"prefix": "/"}, "requires": req}]});
        parse(cfg.to_string().as_bytes())
    };
    let cfg = with(
        json!({"provider_and_audiences": {"provider_name": "p", "audiences": ["https://api/"]}}),
    )
    .unwrap();
    assert_eq!(
        cfg.rules[0].requirement,
        Some(Requirement::ProviderAudiences(0, vec!["api".to_string()]))
    );
    for (req, field) in [
        (
            json!({"provider_and_audiences": {"provider_name": "q", "audiences": ["a"]}}),
            "provider_and_audiences.provider_name",
        ),
        (
            json!({"provider_and_audiences": {"provider_name": "p", "audiences": []}}),
            "provider_and_audiences.audiences",
        ),
        (
            json!({"provider_and_audiences": {"provider_name": "p"}}),
            "provider_and_audiences.audiences",
        ),
        (
            json!({"provider_and_audiences": {"provider_name": "p", "audiences": [""]}}),
            "provider_and_audiences.audiences",
        ),
        (
            json!({"provider_and_audiences": {"audiences": ["a"]}}),
            "provider_and_audiences",
        ),
        (
            json!({"provider_and_audiences": {"provider_name": "p", "audiences": ["a"], "x": 1}}),
            "provider_and_audiences.x",
        ),
    ] {
        let err = with(req.clone()).unwrap_err().to_string();
        assert!(err.contains(&format!("requires.{field}")), "{req}: {err}");
    }
}

#[test]
fn max_rsa_key_bits_defaults_to_4096_and_is_bounded_by_the_backends() {
    let bits = |extra: Value| ok(extra, json!({})).providers[0].max_rsa_key_bits;
    assert_eq!(bits(json!({})), 4096);
    assert_eq!(bits(json!({"max_rsa_key_bits": 8192})), 8192);
    assert_eq!(bits(json!({"max_rsa_key_bits": 2048})), 2048);
    for bad in [json!(2047), json!(8193), json!(0), json!(-1), json!("4096")] {
        let e = refused(&config_json(json!({"max_rsa_key_bits": bad}), json!({})));
        assert_eq!(e.field, "providers.p.max_rsa_key_bits", "{e}");
    }
}

#[test]
fn local_keys_all_above_max_rsa_key_bits_are_refused() {
    use base64::Engine;
    let mut n = vec![0x5au8; 8192 / 8];
    n[0] = 0x80;
    n[8192 / 8 - 1] = 1;
    let n = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(n);
    let jwks = json!({"keys": [{"kty": "RSA", "n": n, "e": "AQAB"}]}).to_string();
    let local = json!({"local_jwks": {"inline_string": jwks}});
    let e = refused(&config_json(local.clone(), json!({})));
    assert_eq!(e.field, "providers.p.local_jwks.inline_string", "{e}");
    assert_eq!(
        e.reason,
        "every key is an RSA key above max_rsa_key_bits (4096)"
    );
    let mut allowed = local;
    allowed["max_rsa_key_bits"] = json!(8192);
    assert_eq!(ok(allowed, json!({})).providers[0].max_rsa_key_bits, 8192);
}

#[test]
fn only_the_headers_the_configuration_names_are_read() {
    let extra = json!({"from_headers": [{"name": "X-Token"}], "from_cookies": ["session"]});
    let names = headers_read(&ok(extra, json!({"bypass_cors_preflight": true})));
    let mut want = vec![":method", ":path", ":scheme", ":authority", "authorization"];
    want.extend([
        "x-token",
        "cookie",
        "origin",
        "access-control-request-method",
    ]);
    if cfg!(feature = "simulate-host-failures") {
        want.push("x-simulate-host-failure");
    }
    assert_eq!(names.unwrap(), want);
}

#[test]
fn a_written_header_means_reading_every_one() {
    // Its other spellings (`x_sub`) are removed too, and only the full list shows them.
    let extra = json!({"claim_to_headers": [{"header_name": "x-sub", "claim_name": "sub"}]});
    assert_eq!(headers_read(&ok(extra, json!({}))), None);
}
