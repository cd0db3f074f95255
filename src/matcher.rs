//! Which requirement applies to a request: the first rule whose path, method and headers
//! match.

use crate::config::{FilterConfig, PathMatch, Requirement};
use crate::extractor::Request;

/// `None`: no JWT is required for this request.
pub fn requirement_for<'a>(config: &'a FilterConfig, req: &Request) -> Option<&'a Requirement> {
    let (method, path) = (req.method.as_str(), req.path.as_str());
    if config.rules.is_empty() {
        return config.default_requirement.as_ref();
    }
    // Rules match on the path alone, as Envoy's route matching does.
    let path_only = path.split(['?', '#']).next().unwrap_or(path);
    config
        .rules
        .iter()
        .find(|rule| {
            let path_ok = match &rule.path {
                PathMatch::Prefix(p) => path_only.starts_with(p.as_str()),
                PathMatch::Exact(p) => path_only == p,
            };
            path_ok
                && (rule.methods.is_empty() || rule.methods.iter().any(|m| m == method))
                && rule
                    .headers
                    .iter()
                    .all(|h| h.matches(req.joined_header(&h.name).as_deref()))
        })
        .and_then(|rule| rule.requirement.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config;

    const JWKS: &str = r#"{\"keys\":[{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"}]}"#;

    fn req(method: &str, path: &str, headers: &[(&str, &str)]) -> Request {
        Request {
            method: method.into(),
            path: path.into(),
            headers: (headers.iter())
                .map(|(n, v)| (n.to_string(), v.as_bytes().to_vec()))
                .collect(),
            ..Request::default()
        }
    }

    fn cfg(rules: &str) -> FilterConfig {
        let json = format!(
            r#"{{"providers":{{"a":{{"issuer":"i","local_jwks":{{"inline_string":"{JWKS}"}}}}}}{rules}}}"#
        );
        config::parse(json.as_bytes()).unwrap()
    }

    #[test]
    fn a_rule_can_scope_to_one_host_by_its_authority() {
        let c = cfg(
            r#","rules":[{"match":{"prefix":"/","headers":[{"name":":authority",
                "string_match":{"exact":"tenant-a.example.com"}}]},"requires":{"provider_name":"a"}}]"#,
        );
        let host = |h: &str| req("GET", "/x", &[(":authority", h)]);
        assert_eq!(
            requirement_for(&c, &host("tenant-a.example.com")),
            Some(&Requirement::Provider(0))
        );
        assert_eq!(requirement_for(&c, &host("tenant-b.example.com")), None);
    }

    #[test]
    fn without_rules_every_request_needs_a_provider() {
        let c = cfg("");
        assert_eq!(
            requirement_for(&c, &req("GET", "/x", &[])),
            Some(&Requirement::Any(vec![Requirement::Provider(0)]))
        );
    }

    #[test]
    fn first_matching_rule_wins_and_no_match_needs_nothing() {
        let c = cfg(r#","rules":[{"match":{"prefix":"/public"}},
                {"match":{"path":"/admin","methods":["post"]},"requires":{"provider_name":"a"}},
                {"match":{"prefix":"/api"},"requires":{"allow_missing":{}}}]"#);
        assert_eq!(requirement_for(&c, &req("GET", "/public/x", &[])), None);
        assert_eq!(
            requirement_for(&c, &req("POST", "/admin?x=1", &[])),
            Some(&Requirement::Provider(0))
        );
        assert_eq!(requirement_for(&c, &req("GET", "/admin", &[])), None);
        assert_eq!(requirement_for(&c, &req("GET", "/admin/x", &[])), None);
        assert_eq!(
            requirement_for(&c, &req("GET", "/api/v1", &[])),
            Some(&Requirement::AllowMissing)
        );
        assert_eq!(requirement_for(&c, &req("GET", "/other", &[])), None);
    }
}

#[cfg(test)]
mod header_tests {
    use crate::config::{HeaderMatch, HeaderMatchKind, StringMatch};

    fn m(kind: HeaderMatchKind, invert: bool) -> HeaderMatch {
        HeaderMatch {
            name: "x-env".into(),
            kind,
            invert,
        }
    }

    #[test]
    fn header_matchers_follow_envoy_also_for_absent_headers() {
        use HeaderMatchKind::*;
        let exact = || Value(StringMatch::Exact("prod".into()));
        let cases = [
            (m(exact(), false), Some("prod"), true),
            (m(exact(), false), Some("dev"), false),
            (m(exact(), false), None, false),
            (m(exact(), true), Some("dev"), true),
            // An inverted value matcher does not match an absent header (Envoy's rule).
            (m(exact(), true), None, false),
            (
                m(Value(StringMatch::Prefix("pr".into())), false),
                Some("prod"),
                true,
            ),
            (m(Present(true), false), Some(""), true),
            (m(Present(true), false), None, false),
            (m(Present(false), false), None, true),
            (m(Present(true), true), None, true),
            (m(Present(true), true), Some("x"), false),
        ];
        for (matcher, value, want) in cases {
            assert_eq!(matcher.matches(value), want, "{matcher:?} on {value:?}");
        }
    }
}
