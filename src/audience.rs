//! Audience matching as Envoy's jwt_authn does it: an `http://` or `https://` scheme and one
//! trailing slash are ignored on both sides, because configured and issued audiences often
//! differ only there.

/// The audience without its scheme and trailing slash.
pub fn sanitize(audience: &str) -> &str {
    let rest = audience
        .strip_prefix("http://")
        .or_else(|| audience.strip_prefix("https://"))
        .unwrap_or(audience);
    rest.strip_suffix('/').unwrap_or(rest)
}

/// `allowed` holds sanitized audiences; empty allows any token.
pub fn allowed(allowed: &[String], token: &[String]) -> bool {
    allowed.is_empty()
        || token
            .iter()
            .any(|a| allowed.iter().any(|x| x == sanitize(a)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn scheme_and_one_trailing_slash_are_ignored() {
        assert_eq!(sanitize("https://api.example.com/"), "api.example.com");
        assert_eq!(sanitize("http://api"), "api");
        assert_eq!(sanitize("api/"), "api");
        assert_eq!(sanitize("api//"), "api/");
        assert_eq!(sanitize("HTTPS://api"), "HTTPS://api");
        assert_eq!(sanitize("urn:api"), "urn:api");
        assert_eq!(sanitize(""), "");
    }

    #[test]
    fn any_token_audience_may_match() {
        let want = list(&["api", "orders"]);
        assert!(allowed(&want, &list(&["other", "https://orders/"])));
        assert!(!allowed(&want, &list(&["other", "api//"])));
        assert!(!allowed(&want, &[]));
        assert!(allowed(&[], &[]));
    }
}
