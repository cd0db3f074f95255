//! Which requirement applies to a request: the first rule whose path, method and headers
//! match.

mod path;

use crate::config::{FilterConfig, PathMatch, Requirement, Rule};
use crate::extractor::Request;
use std::fmt;

/// The path reads as different requests to different upstreams, and they would need
/// different tokens: `/public/%2e%2e/admin` behind a host that did not normalise it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AmbiguousPath;

impl fmt::Display for AmbiguousPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the request path is ambiguous (dot segments, escaped or repeated slashes)")
    }
}

/// `Ok(None)`: no JWT is required for this request.
pub fn requirement_for<'a>(
    config: &'a FilterConfig,
    req: &Request,
) -> Result<Option<&'a Requirement>, AmbiguousPath> {
    if config.rules.is_empty() {
        return Ok(config.default_requirement.as_ref());
    }
    // Rules match on the path alone, as Envoy's route matching does.
    let path = req.path();
    let path_only = path.split(['?', '#']).next().unwrap_or(path);
    let wanted = first_match(config, req, path_only);
    // Every reading an upstream may act on must need the same token; none is trusted to be
    // the one the upstream will serve.
    let others = path::other_readings(path_only);
    if others
        .iter()
        .any(|reading| first_match(config, req, reading) != wanted)
    {
        return Err(AmbiguousPath);
    }
    Ok(wanted)
}

fn first_match<'a>(config: &'a FilterConfig, req: &Request, path: &str) -> Option<&'a Requirement> {
    let method = req.method();
    config
        .rules
        .iter()
        .find(|rule| {
            path_matches(rule, path)
                && (rule.methods.is_empty() || rule.methods.iter().any(|m| m == method))
                && rule
                    .headers
                    .iter()
                    .all(|h| h.matches(req.joined_header(&h.name).as_deref()))
        })
        .and_then(|rule| rule.requirement.as_ref())
}

fn path_matches(rule: &Rule, path: &str) -> bool {
    match &rule.path {
        PathMatch::Prefix(p) => path.starts_with(p.as_str()),
        PathMatch::Exact(p) => path == p,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config;

    const JWKS: &str = r#"{\"keys\":[{\"kty\":\"oct\",\"k\":\"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0\"}]}"#;

    fn req(method: &str, path: &str, headers: &[(&str, &str)]) -> Request {
        let pseudo = [(":method", method), (":path", path)];
        Request::from_pairs(pseudo.iter().chain(headers).copied())
    }

    fn req_for<'a>(c: &'a FilterConfig, r: &Request) -> Option<&'a Requirement> {
        requirement_for(c, r).unwrap()
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
            req_for(&c, &host("tenant-a.example.com")),
            Some(&Requirement::Provider(0))
        );
        assert_eq!(req_for(&c, &host("tenant-b.example.com")), None);
    }

    #[test]
    fn without_rules_every_request_needs_a_provider() {
        let c = cfg("");
        assert_eq!(
            req_for(&c, &req("GET", "/x", &[])),
            Some(&Requirement::Any(vec![Requirement::Provider(0)]))
        );
    }

    #[test]
    fn a_path_that_reads_as_another_rule_is_refused() {
        let c = cfg(r#","rules":[{"match":{"prefix":"/public"}},
                {"match":{"prefix":"/"},"requires":{"provider_name":"a"}}]"#);
        for path in [
            "/public/../admin",
            "/public/%2e%2e/admin",
            "/public%2F..%2Fadmin",
            "/public%5C..%5Cadmin",
            "/public\\..\\admin",
            "/public/..;/admin",
        ] {
            assert_eq!(
                requirement_for(&c, &req("GET", path, &[])),
                Err(AmbiguousPath),
                "{path}"
            );
        }
        // Readings that agree are no reason to refuse.
        assert_eq!(req_for(&c, &req("GET", "/public//x/../y?a=/..", &[])), None);
        assert_eq!(
            req_for(&c, &req("GET", "/x/%2e%2e/admin", &[])),
            Some(&Requirement::Provider(0))
        );
    }

    #[test]
    fn escaped_or_doubled_paths_cannot_slip_past_a_protected_prefix() {
        let c = cfg(r#","rules":[{"match":{"prefix":"/admin"},"requires":{"provider_name":"a"}}]"#);
        for path in ["/%61dmin", "//admin", "/x/../admin", "/Admin/../admin"] {
            assert_eq!(
                requirement_for(&c, &req("GET", path, &[])),
                Err(AmbiguousPath),
                "{path}"
            );
        }
        assert_eq!(
            req_for(&c, &req("GET", "/admin/%2e/x", &[])),
            Some(&Requirement::Provider(0))
        );
    }

    #[test]
    fn first_matching_rule_wins_and_no_match_needs_nothing() {
        let c = cfg(r#","rules":[{"match":{"prefix":"/public"}},
                {"match":{"path":"/admin","methods":["post"]},"requires":{"provider_name":"a"}},
                {"match":{"prefix":"/api"},"requires":{"allow_missing":{}}}]"#);
        assert_eq!(req_for(&c, &req("GET", "/public/x", &[])), None);
        assert_eq!(
            req_for(&c, &req("POST", "/admin?x=1", &[])),
            Some(&Requirement::Provider(0))
        );
        assert_eq!(req_for(&c, &req("GET", "/admin", &[])), None);
        assert_eq!(req_for(&c, &req("GET", "/admin/x", &[])), None);
        assert_eq!(
            req_for(&c, &req("GET", "/api/v1", &[])),
            Some(&Requirement::AllowMissing)
        );
        assert_eq!(req_for(&c, &req("GET", "/other", &[])), None);
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
