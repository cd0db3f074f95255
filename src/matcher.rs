//! Which requirement applies to a request: the first rule whose path and method match.

use crate::config::{FilterConfig, PathMatch, Requirement};

/// `None`: no JWT is required for this request.
pub fn requirement_for<'a>(
    config: &'a FilterConfig,
    method: &str,
    path: &str,
) -> Option<&'a Requirement> {
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
            path_ok && (rule.methods.is_empty() || rule.methods.iter().any(|m| m == method))
        })
        .and_then(|rule| rule.requirement.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config;

    const JWKS: &str = r#"{\"keys\":[{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"}]}"#;

    fn cfg(rules: &str) -> FilterConfig {
        let json = format!(
            r#"{{"providers":{{"a":{{"issuer":"i","local_jwks":{{"inline_string":"{JWKS}"}}}}}}{rules}}}"#
        );
        config::parse(json.as_bytes()).unwrap()
    }

    #[test]
    fn without_rules_every_request_needs_a_provider() {
        let c = cfg("");
        assert_eq!(
            requirement_for(&c, "GET", "/x"),
            Some(&Requirement::Any(vec![Requirement::Provider(0)]))
        );
    }

    #[test]
    fn first_matching_rule_wins_and_no_match_needs_nothing() {
        let c = cfg(r#","rules":[{"match":{"prefix":"/public"}},
                {"match":{"path":"/admin","methods":["post"]},"requires":{"provider_name":"a"}},
                {"match":{"prefix":"/api"},"requires":{"allow_missing":{}}}]"#);
        assert_eq!(requirement_for(&c, "GET", "/public/x"), None);
        assert_eq!(
            requirement_for(&c, "POST", "/admin?x=1"),
            Some(&Requirement::Provider(0))
        );
        assert_eq!(requirement_for(&c, "GET", "/admin"), None);
        assert_eq!(requirement_for(&c, "GET", "/admin/x"), None);
        assert_eq!(
            requirement_for(&c, "GET", "/api/v1"),
            Some(&Requirement::AllowMissing)
        );
        assert_eq!(requirement_for(&c, "GET", "/other"), None);
    }
}
