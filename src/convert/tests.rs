use super::*;
use serde_json::json;

const JWKS: &str =
    r#"{"keys":[{"kty":"oct","k":"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"}]}"#;

fn ra(name: &str, namespace: &str, spec: Value) -> Value {
    json!({
        "apiVersion": "security.istio.io/v1",
        "kind": "RequestAuthentication",
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    })
}

fn docs(values: Vec<Value>) -> Vec<Document> {
    values
        .into_iter()
        .enumerate()
        .map(|(i, value)| Document {
            origin: format!("test document {}", i + 1),
            value,
        })
        .collect()
}

fn run(values: Vec<Value>, options: &Options) -> Result<Conversion, ConvertError> {
    convert(&docs(values), options)
}

fn one(spec: Value) -> Plugin {
    let conversion = run(vec![ra("a", "foo", spec)], &Options::default())
        .unwrap_or_else(|e| panic!("refused: {e}"));
    let mut plugins = conversion.plugins;
    assert_eq!(plugins.len(), 1);
    plugins.remove(0)
}

fn refused(values: Vec<Value>) -> ConvertError {
    match run(values, &Options::default()) {
        Ok(c) => panic!("accepted: {:?}", c.plugins),
        Err(e) => e,
    }
}

fn provider<'a>(plugin: &'a Plugin, name: &str) -> &'a Value {
    &plugin.config["providers"][name]
}

fn requires(plugin: &Plugin) -> &Value {
    &plugin.config["rules"][0]["requires"]
}

#[test]
fn every_jwt_rule_field_maps_to_its_provider_field() {
    let plugin = one(json!({
        "selector": {"matchLabels": {"app": "httpbin"}},
        "jwtRules": [{
            "issuer": "https://idp.example.com",
            "audiences": ["orders"],
            "jwksUri": "https://idp.example.com:8443/keys",
            "timeout": "1.5s",
            "fromHeaders": [{"name": "x-jwt", "prefix": "Token "}, {"name": "x-raw"}],
            "fromParams": ["jwt"],
            "fromCookies": ["session"],
            "forwardOriginalToken": true,
            "outputPayloadToHeader": "x-jwt-payload",
            "outputClaimToHeaders": [{"header": "x-sub", "claim": "sub"}],
        }],
    }));
    assert_eq!(
        provider(&plugin, "idp-example-com"),
        &json!({
            "issuer": "https://idp.example.com",
            "audiences": ["orders"],
            "remote_jwks": {"uri": "https://idp.example.com:8443/keys", "timeout_ms": 1500,
                            "cache_duration_seconds": 300},
            "from_headers": [{"name": "x-jwt", "value_prefix": "Token "}, {"name": "x-raw"}],
            "from_params": ["jwt"],
            "from_cookies": ["session"],
            "forward": true,
            "forward_payload_header": "x-jwt-payload",
            "claim_to_headers": [{"header_name": "x-sub", "claim_name": "sub"}],
        })
    );
    assert_eq!(
        plugin.hosts,
        vec![ExternalHost {
            https: true,
            host: "idp.example.com".into(),
            port: 8443
        }]
    );
    assert_eq!(
        plugin.target,
        Target::Workloads([("app".to_string(), "httpbin".to_string())].into())
    );
    assert!(!plugin.gateway);
}

#[test]
fn the_default_cluster_is_the_one_istio_names() {
    let plugin =
        one(json!({"jwtRules": [{"issuer": "i", "jwks_uri": "https://keys.example.com/jwks"}]}));
    let p = provider(&plugin, "i");
    assert!(p["remote_jwks"].get("cluster").is_none(), "{p}");
    let config = crate::config::parse(plugin.config.to_string().as_bytes()).unwrap();
    match &config.providers[0].source {
        crate::config::JwksSource::Remote(r) => match &r.endpoint {
            crate::config::RemoteEndpoint::Jwks(t) => {
                assert_eq!(t.cluster, "outbound|443||keys.example.com")
            }
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
}

#[test]
fn inline_jwks_and_discovery() {
    let plugin = one(json!({"jwtRules": [
        {"issuer": "inline", "jwks": JWKS, "timeout": "3s"},
        {"issuer": "https://accounts.example.com/", "timeout": "2s"},
    ]}));
    assert_eq!(
        provider(&plugin, "inline")["local_jwks"],
        json!({"inline_string": JWKS})
    );
    assert_eq!(
        provider(&plugin, "accounts-example-com")["oidc_discovery"],
        json!({"timeout_ms": 2000, "cache_duration_seconds": 300})
    );
    assert_eq!(plugin.hosts.len(), 1);
    assert_eq!(plugin.hosts[0].host, "accounts.example.com");
}

#[test]
fn empty_lists_and_strings_are_unset_as_in_proto3() {
    let plugin = one(json!({"jwtRules": [{
        "issuer": "i", "jwks": JWKS, "fromHeaders": [], "fromParams": [], "fromCookies": [],
        "outputPayloadToHeader": "", "audiences": [], "forwardOriginalToken": false,
    }]}));
    assert_eq!(
        provider(&plugin, "i"),
        &json!({"issuer": "i", "local_jwks": {"inline_string": JWKS}})
    );
}

#[test]
fn one_rule_lets_requests_without_a_token_through() {
    let plugin = one(json!({"jwtRules": [{"issuer": "i", "jwks": JWKS}]}));
    assert_eq!(
        requires(&plugin),
        &json!({"requires_any": [{"provider_name": "i"}, {"allow_missing": {}}]})
    );
    assert_eq!(plugin.config["rules"][0]["match"], json!({"prefix": "/"}));
}

#[test]
fn several_rules_take_a_token_for_any_of_them_as_istiod_does() {
    let plugin = one(json!({"jwtRules": [
        {"issuer": "b", "jwks": JWKS},
        {"issuer": "a", "jwks": JWKS},
    ]}));
    let or_missing =
        |n: &str| json!({"requires_any": [{"provider_name": n}, {"allow_missing": {}}]});
    assert_eq!(
        requires(&plugin),
        &json!({"requires_any": [
            {"provider_name": "a"}, {"provider_name": "b"},
            {"requires_all": [or_missing("a"), or_missing("b")]},
        ]})
    );
}

#[test]
fn require_token_drops_allow_missing() {
    let options = Options {
        require_token: true,
        ..Options::default()
    };
    let single = run(
        vec![ra(
            "a",
            "foo",
            json!({"jwtRules": [{"issuer": "i", "jwks": JWKS}]}),
        )],
        &options,
    )
    .unwrap();
    assert_eq!(
        single.plugins[0].config["rules"][0]["requires"],
        json!({"provider_name": "i"})
    );
    let two = run(
        vec![ra(
            "a",
            "foo",
            json!({"jwtRules": [{"issuer": "i", "jwks": JWKS}, {"issuer": "j", "jwks": JWKS}]}),
        )],
        &options,
    )
    .unwrap();
    assert_eq!(
        two.plugins[0].config["rules"][0]["requires"],
        json!({"requires_any": [{"provider_name": "i"}, {"provider_name": "j"}]})
    );
    assert!(!two.notes.iter().any(|n| n.contains("--require-token")));
}

#[test]
fn presence_is_refused_as_no_istio_release_has_it() {
    let e = refused(vec![ra(
        "a",
        "foo",
        json!({"jwtRules": [{"issuer": "a", "jwks": JWKS, "presence": "REQUIRED"}]}),
    )]);
    assert!(e.field.ends_with("foo/a: spec.jwtRules[0].presence"), "{e}");
    assert!(e.reason.contains("unknown field"), "{e}");
}

#[test]
fn policies_for_the_same_workloads_merge_and_others_stay_apart() {
    let selector = json!({"matchLabels": {"app": "x"}});
    let conversion = run(
        vec![
            ra(
                "first",
                "foo",
                json!({"selector": selector, "jwtRules": [{"issuer": "z", "jwks": JWKS}]}),
            ),
            ra(
                "other",
                "foo",
                json!({"jwtRules": [{"issuer": "n", "jwks": JWKS}]}),
            ),
            ra(
                "second",
                "foo",
                json!({"selector": selector, "jwtRules": [{"issuer": "z", "jwks": JWKS}]}),
            ),
            ra(
                "elsewhere",
                "bar",
                json!({"selector": selector, "jwtRules": [{"issuer": "z", "jwks": JWKS}]}),
            ),
        ],
        &Options::default(),
    )
    .unwrap();
    let summary: Vec<(&str, Vec<&str>)> = conversion
        .plugins
        .iter()
        .map(|p| {
            let names = p.config["providers"].as_object().unwrap().keys();
            (p.name.as_str(), names.map(String::as_str).collect())
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("first", vec!["z", "z-2"]),
            ("other", vec!["n"]),
            ("elsewhere", vec!["z"])
        ]
    );
    assert_eq!(
        conversion.plugins[0].sources,
        vec!["foo/first", "foo/second"]
    );
}

#[test]
fn gateways_get_no_direction_match_and_mesh_wide_policies_are_marked() {
    let gw = one(
        json!({"selector": {"matchLabels": {"istio": "ingressgateway"}},
                        "jwtRules": [{"issuer": "i", "jwks": JWKS}]}),
    );
    assert!(gw.gateway);
    let by_ref = one(
        json!({"targetRef": {"kind": "Gateway", "group": "gateway.networking.k8s.io", "name": "gw"},
                            "jwtRules": [{"issuer": "i", "jwks": JWKS}]}),
    );
    assert!(by_ref.gateway);
    let all = run(
        vec![ra(
            "all",
            "istio-system",
            json!({"jwtRules": [{"issuer": "i", "jwks": JWKS}]}),
        )],
        &Options::default(),
    )
    .unwrap();
    assert!(all.plugins[0].mesh_wide && !all.plugins[0].gateway);
}

#[test]
fn manifests_carry_target_image_and_hosts() {
    let conversion = run(
        vec![ra(
            "a",
            "foo",
            json!({"targetRefs": [{"kind": "Gateway", "group": "gateway.networking.k8s.io", "name": "gw"}],
                   "jwtRules": [{"issuer": "i", "jwksUri": "http://keys.example.com/jwks"},
                                {"issuer": "k", "jwksUri": "http://keys.auth.svc.cluster.local:8080/jwks"}]}),
        )],
        &Options::default(),
    )
    .unwrap();
    let image = Image {
        url: "oci://r.example/jwt:1".into(),
        sha256: None,
    };
    let objects = manifests(&conversion, &image);
    let kinds: Vec<&str> = objects
        .iter()
        .map(|o| o["kind"].as_str().unwrap())
        .collect();
    // http: a ServiceEntry without TLS; in-mesh hosts need nothing.
    assert_eq!(kinds, vec!["WasmPlugin", "ServiceEntry"]);
    let spec = &objects[0]["spec"];
    assert_eq!(spec["targetRefs"][0]["name"], "gw");
    assert_eq!(spec["url"], "oci://r.example/jwt:1");
    assert_eq!(spec["phase"], "AUTHN");
    assert_eq!(spec["failStrategy"], "FAIL_CLOSE");
    assert!(spec.get("match").is_none() && spec.get("sha256").is_none());
    assert_eq!(
        objects[1]["metadata"],
        json!({"name": "jwt-issuer-keys-example-com-80", "namespace": "foo"})
    );
    assert_eq!(objects[1]["spec"]["exportTo"], json!(["."]));
}

#[test]
fn unknown_fields_are_named_with_their_path() {
    let e = refused(vec![ra(
        "a",
        "foo",
        json!({"jwtRules": [{"issuer": "i", "fromHeader": []}]}),
    )]);
    assert!(
        e.field
            .ends_with("RequestAuthentication foo/a: spec.jwtRules[0].fromHeader"),
        "{e}"
    );
    assert!(e.reason.contains("unknown field"), "{e}");
    let e = refused(vec![ra("a", "foo", json!({"selector": {"labels": {}}}))]);
    assert!(e.field.ends_with("spec.selector.labels"), "{e}");
    let e = refused(vec![ra(
        "a",
        "foo",
        json!({"jwtRules": [{"issuer": "i", "jwks": JWKS, "fromHeaders": [{"name": "x", "prefx": "B"}]}]}),
    )]);
    assert!(
        e.field.ends_with("spec.jwtRules[0].fromHeaders[0].prefx"),
        "{e}"
    );
    let mut extra = ra("a", "foo", json!({}));
    extra["specs"] = json!({});
    assert!(refused(vec![extra])
        .field
        .ends_with("RequestAuthentication.specs"));
}

#[test]
fn what_cannot_be_converted_is_refused_at_its_field() {
    let cases = [
        (
            json!({"jwtRules": [{"jwks": JWKS}]}),
            "spec.jwtRules[0].issuer",
        ),
        (
            json!({"jwtRules": [{"issuer": "issuer-foo"}]}),
            "spec.jwtRules[0].issuer",
        ),
        (
            json!({"jwtRules": [{"issuer": "i", "jwks": JWKS, "jwksUri": "https://k/j"}]}),
            "spec.jwtRules[0]",
        ),
        (
            json!({"jwtRules": [{"issuer": "i", "jwksUri": "https://k/j", "jwks_uri": "https://k/j"}]}),
            "spec.jwtRules[0]",
        ),
        (
            json!({"jwtRules": [{"issuer": "i", "jwksUri": "https://k/j", "timeout": "soon"}]}),
            "spec.jwtRules[0].timeout",
        ),
        (
            json!({"jwtRules": [{"issuer": "i", "jwksUri": "https://k/j", "timeout": "0s"}]}),
            "spec.jwtRules[0].timeout",
        ),
        (
            json!({"jwtRules": [{"issuer": "i", "jwks": "{}"}]}),
            "spec.jwtRules[0]",
        ),
        (
            json!({"jwtRules": [{"issuer": "i", "jwks": JWKS, "fromHeaders": [{"name": "a b"}]}]}),
            "spec.jwtRules[0]",
        ),
        (
            json!({"selector": {"matchLabels": {"a": "b"}}, "targetRef": {"kind": "Gateway", "name": "g"}}),
            "spec",
        ),
    ];
    for (spec, at) in cases {
        let e = refused(vec![ra("a", "foo", spec.clone())]);
        assert!(e.field.ends_with(&format!("foo/a: {at}")), "{spec}: {e}");
    }
}

#[test]
fn documents_that_are_not_request_authentications() {
    let e = refused(vec![
        json!({"kind": "ConfigMap", "metadata": {"name": "x"}}),
    ]);
    assert!(e.reason.contains("no RequestAuthentication"), "{e}");
    assert!(refused(vec![]).reason.contains("no RequestAuthentication"));
    assert!(refused(vec![json!(["a"])])
        .reason
        .contains("not a YAML mapping"));
    assert!(refused(vec![json!({"metadata": {}})])
        .reason
        .contains("no kind"));
    let mut old = ra("a", "foo", json!({}));
    old["apiVersion"] = json!("security.istio.io/v1alpha1");
    assert!(refused(vec![old]).field.ends_with("apiVersion"));
    let e = refused(vec![ra("a", "foo", json!({"jwtRules": []}))]);
    assert!(
        e.reason.contains("no RequestAuthentication has jwtRules"),
        "{e}"
    );
    let mut nameless = ra("a", "foo", json!({}));
    nameless["metadata"] = json!({});
    assert!(refused(vec![nameless]).field.ends_with("metadata.name"));
    let mut boolean = ra("a", "foo", json!({}));
    boolean["metadata"]["namespace"] = json!(false);
    assert!(refused(vec![boolean]).field.ends_with("metadata.namespace"));
}

#[test]
fn lists_are_unwrapped_and_other_kinds_noted() {
    let list = json!({
        "apiVersion": "v1", "kind": "List",
        "items": [ra("a", "foo", json!({"jwtRules": [{"issuer": "i", "jwks": JWKS}]}))],
    });
    let policy = json!({
        "apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
        "metadata": {"name": "require-jwt"},
        "spec": {"rules": [
            {"from": [{"source": {"requestPrincipals": ["*"]}}]},
            {"when": [{"key": "request.auth.claims[groups]", "values": ["g"]}]},
        ]},
    });
    let service = json!({"kind": "Service", "metadata": {"name": "s"}});
    let conversion = run(vec![list, policy, service], &Options::default()).unwrap();
    assert_eq!(conversion.plugins.len(), 1);
    let notes: Vec<&String> = conversion.notes.iter().collect();
    assert!(
        notes.iter().any(|n| n.contains(
            "AuthorizationPolicy require-jwt reads jwt_authn's metadata at \
         spec.rules[0].from[0].source.requestPrincipals, spec.rules[1].when[0].key"
        )),
        "{notes:?}"
    );
    assert!(
        notes.iter().any(|n| n.contains("Service skipped")),
        "{notes:?}"
    );
    assert!(
        notes.iter().any(|n| n.contains("--require-token")),
        "{notes:?}"
    );
}

#[test]
fn provider_names_fit_metric_names() {
    let taken = Map::new();
    assert_eq!(
        provider_name("testing@secure.istio.io", &taken),
        "testing-secure-istio-io"
    );
    assert_eq!(
        provider_name("https://Login.example.com/t/v2.0/", &taken),
        "login-example-com-t-v2-0"
    );
    assert_eq!(provider_name("///", &taken), "issuer");
    assert_eq!(provider_name(&"a".repeat(100), &taken).len(), 48);
}

#[test]
fn long_timeouts_are_capped_with_a_note() {
    let conversion = run(
        vec![ra(
            "a",
            "foo",
            json!({"jwtRules": [{"issuer": "i", "jwksUri": "https://k/j", "timeout": "2m"}]}),
        )],
        &Options::default(),
    )
    .unwrap();
    assert_eq!(
        conversion.plugins[0].config["providers"]["i"]["remote_jwks"]["timeout_ms"],
        json!(60_000)
    );
    assert!(conversion.notes.iter().any(|n| n.contains("timeout: 2m")));
}

fn with_root(values: Vec<Value>, options: &Options) -> Result<Conversion, ConvertError> {
    run(values, options)
}

fn rules(issuer: &str) -> Value {
    json!([{"issuer": issuer, "jwks": JWKS}])
}

fn require() -> Options {
    Options {
        require_token: true,
        ..Options::default()
    }
}

fn plugin_summary(c: &Conversion) -> Vec<(String, Vec<String>)> {
    c.plugins
        .iter()
        .map(|p| {
            let issuers = p.config["providers"].as_object().unwrap().values();
            let issuers = issuers.map(|v| v["issuer"].as_str().unwrap().to_string());
            (
                format!("{}/{}", p.namespace.as_deref().unwrap(), p.name),
                issuers.collect(),
            )
        })
        .collect()
}

#[test]
fn a_rule_repeated_under_a_covering_policy_stays_in_the_covering_plugin_only() {
    // Istio's reference: the same rule in istio-system (mesh-wide) and for foo's httpbin.
    let layered = vec![
        ra(
            "httpbin",
            "foo",
            json!({"selector": {"matchLabels": {"app": "httpbin"}}, "jwtRules": rules("issuer-foo")}),
        ),
        ra(
            "req-authn-for-all",
            "istio-system",
            json!({"jwtRules": rules("issuer-foo")}),
        ),
    ];
    for options in [Options::default(), require()] {
        let c = with_root(layered.clone(), &options).unwrap();
        assert_eq!(
            plugin_summary(&c),
            vec![(
                "istio-system/req-authn-for-all".to_string(),
                vec!["issuer-foo".to_string()]
            )]
        );
        assert!(
            c.notes
                .iter()
                .any(|n| n.contains("foo/httpbin") && n.contains("no WasmPlugin of its own")),
            "{:?}",
            c.notes
        );
    }
}

#[test]
fn layers_with_their_own_issuers_compose_without_require_token() {
    let layered = vec![
        ra("all", "istio-system", json!({"jwtRules": rules("mesh")})),
        ra("ns", "foo", json!({"jwtRules": rules("team")})),
        ra(
            "httpbin",
            "foo",
            json!({"selector": {"matchLabels": {"app": "httpbin"}},
                   "jwtRules": [{"issuer": "app", "jwks": JWKS}, {"issuer": "team", "jwks": JWKS}]}),
        ),
    ];
    let c = with_root(layered.clone(), &Options::default()).unwrap();
    assert_eq!(
        plugin_summary(&c),
        vec![
            ("istio-system/all".to_string(), vec!["mesh".to_string()]),
            ("foo/ns".to_string(), vec!["team".to_string()]),
            ("foo/httpbin".to_string(), vec!["app".to_string()]),
        ]
    );
    assert!(c
        .notes
        .iter()
        .any(|n| n.contains("foo/ns and foo/httpbin may select the same workloads")));
    let e = with_root(layered, &require()).unwrap_err();
    assert!(
        e.field.contains("istio-system/all") && e.field.contains("foo/ns"),
        "{e}"
    );
    assert!(e.reason.contains("--require-token"), "{e}");
    assert!(e.reason.contains("Convert without --require-token"), "{e}");
}

#[test]
fn disjoint_scopes_do_not_meet() {
    let apart = vec![
        ra(
            "a",
            "foo",
            json!({"selector": {"matchLabels": {"app": "a"}}, "jwtRules": rules("x")}),
        ),
        ra(
            "b",
            "foo",
            json!({"selector": {"matchLabels": {"app": "b"}}, "jwtRules": rules("y")}),
        ),
        ra("c", "bar", json!({"jwtRules": rules("z")})),
    ];
    let c = with_root(apart, &require()).unwrap();
    assert_eq!(c.plugins.len(), 3);
}

#[test]
fn layers_that_would_not_compose_are_refused_naming_both() {
    let same_issuer = vec![
        ra("all", "istio-system", json!({"jwtRules": rules("i")})),
        ra(
            "w",
            "foo",
            json!({"selector": {"matchLabels": {"app": "w"}},
                   "jwtRules": [{"issuer": "i", "jwks": JWKS, "audiences": ["w"]}]}),
        ),
    ];
    let e = with_root(same_issuer, &Options::default()).unwrap_err();
    assert!(
        e.field.contains("istio-system/all") && e.field.contains("foo/w"),
        "{e}"
    );
    assert!(e.reason.contains("issuer \"i\""), "{e}");
    let claim = |issuer: &str| {
        json!([{"issuer": issuer, "jwks": JWKS,
                "outputClaimToHeaders": [{"header": "x-jwt-sub", "claim": "sub"}]}])
    };
    let same_header = vec![
        ra(
            "root-gw",
            "istio-system",
            json!({"selector": {"matchLabels": {"istio": "ingressgateway"}}, "jwtRules": claim("a")}),
        ),
        ra(
            "gw",
            "istio-ingress",
            json!({"selector": {"matchLabels": {"istio": "ingressgateway", "rev": "x"}},
                   "jwtRules": claim("b")}),
        ),
    ];
    let e = with_root(same_header, &Options::default()).unwrap_err();
    assert!(e.reason.contains("x-jwt-sub"), "{e}");
}

#[test]
fn root_namespace_selector_exports_its_hosts_everywhere() {
    let c = run(
        vec![ra(
            "gw",
            "istio-system",
            json!({"selector": {"matchLabels": {"istio": "ingressgateway"}},
                   "jwtRules": [{"issuer": "i", "jwksUri": "https://keys.example.com/jwks"}]}),
        )],
        &Options::default(),
    )
    .unwrap();
    let image = Image {
        url: "oci://r.example/jwt:1".into(),
        sha256: None,
    };
    let objects = manifests(&c, &image);
    assert_eq!(objects.len(), 3);
    for o in &objects[1..] {
        assert_eq!(o["spec"]["exportTo"], json!(["*"]), "{o}");
    }
}

#[test]
fn gateway_flag_on_a_policy_without_selector_is_refused() {
    let options = Options {
        gateway: true,
        ..Options::default()
    };
    for ns in ["istio-system", "foo"] {
        let e = run(
            vec![ra("all", ns, json!({"jwtRules": rules("i")}))],
            &options,
        )
        .unwrap_err();
        assert!(e.reason.contains("--gateway"), "{e}");
        assert!(e.field.contains(&format!("{ns}/all")), "{e}");
    }
}

#[test]
fn a_gateway_keeps_a_rule_the_mesh_wide_sidecar_plugin_repeats() {
    // The mesh-wide plugin matches sidecars' inbound traffic only, so it never runs on a gateway.
    let c = run(
        vec![
            ra("all", "istio-system", json!({"jwtRules": rules("i")})),
            ra(
                "gw",
                "istio-ingress",
                json!({"selector": {"matchLabels": {"istio": "ingressgateway"}}, "jwtRules": rules("i")}),
            ),
        ],
        &require(),
    )
    .unwrap();
    assert_eq!(
        plugin_summary(&c),
        vec![
            ("istio-system/all".to_string(), vec!["i".to_string()]),
            ("istio-ingress/gw".to_string(), vec!["i".to_string()]),
        ]
    );
}
