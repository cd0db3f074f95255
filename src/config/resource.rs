//! Resource-server settings: a provider's `algorithms` and `token_types` allow-lists
//! (RFC 8725, RFC 9068), rule `scopes` and `claims`, and claims named by path.

use super::raw::{RawClaimCheck, RawProvider, RawRule};
use super::ConfigError;
use crate::jwt::Alg;

/// A claim condition of a rule, met when the claim (or, on a list claim, any element) matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimCheck {
    pub path: Vec<String>,
    pub matcher: ClaimMatch,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimMatch {
    Exact(String),
    Prefix(String),
    Contains(String),
    AnyOf(Vec<String>),
}

impl ClaimMatch {
    pub fn matches(&self, value: &str) -> bool {
        match self {
            ClaimMatch::Exact(s) => value == s,
            ClaimMatch::Prefix(s) => value.starts_with(s.as_str()),
            ClaimMatch::Contains(s) => value.contains(s.as_str()),
            ClaimMatch::AnyOf(list) => list.iter().any(|s| s == value),
        }
    }
}

/// `None`: every algorithm the filter implements. An empty list would refuse every token.
pub fn algorithms(raw: &RawProvider, field: &str) -> Result<Option<Vec<Alg>>, ConfigError> {
    let Some(names) = &raw.algorithms else {
        return Ok(None);
    };
    let at = format!("{field}.algorithms");
    if names.is_empty() {
        return Err(ConfigError::new(at, "must name at least one algorithm"));
    }
    let algs = (names.iter().enumerate())
        .map(|(i, name)| {
            Alg::from_name(name).ok_or_else(|| {
                ConfigError::new(
                    format!("{at}[{i}]"),
                    format!("{name:?} is not a supported algorithm (RS256, PS256, ES256, EdDSA, HS256, …)"),
                )
            })
        })
        .collect::<Result<_, _>>()?;
    Ok(Some(algs))
}

/// Whether tokens must be bound to the client (RFC 8705 `cnf`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SenderConstraint {
    /// `cnf` is not looked at, as native `jwt_authn` does.
    #[default]
    None,
    /// A token that names a binding must match it; an unbound token passes.
    Optional,
    /// Every token must be bound, and match.
    Required,
}

pub fn sender_constraint(raw: &RawProvider, field: &str) -> Result<SenderConstraint, ConfigError> {
    match raw.sender_constraint.as_deref() {
        None | Some("none") => Ok(SenderConstraint::None),
        Some("optional") => Ok(SenderConstraint::Optional),
        Some("required") => Ok(SenderConstraint::Required),
        Some(other) => Err(ConfigError::new(
            format!("{field}.sender_constraint"),
            format!("must be \"none\", \"optional\" or \"required\", got {other:?}"),
        )),
    }
}

/// `None`: any `typ`. Values are kept normalized (`token_type`), `""` standing for "no `typ`".
pub fn token_types(raw: &RawProvider, field: &str) -> Result<Option<Vec<String>>, ConfigError> {
    let Some(list) = &raw.token_types else {
        return Ok(None);
    };
    let at = format!("{field}.token_types");
    if list.is_empty() {
        return Err(ConfigError::new(
            at,
            "must name at least one type (\"\" allows tokens without typ)",
        ));
    }
    if let Some(bad) = list
        .iter()
        .find(|t| t.bytes().any(|b| !b.is_ascii_graphic()))
    {
        return Err(ConfigError::new(at, format!("{bad:?} is not a media type")));
    }
    Ok(Some(list.iter().map(|t| token_type(t)).collect()))
}

/// RFC 7515 §4.1.9: `typ` is a media type compared case-insensitively, and `application/`
/// may be left out, so `at+jwt` and `Application/AT+JWT` are one type.
pub fn token_type(typ: &str) -> String {
    let lower = typ.to_ascii_lowercase();
    match lower.strip_prefix("application/") {
        Some(rest) if !rest.contains('/') => rest.to_string(),
        _ => lower,
    }
}

/// A claim named by `claim_name` (dotted, `org.team`) or `claim_path` (a list of names, for
/// names that hold dots); exactly one of them. `field` is the object holding them.
pub fn claim_path(
    name: Option<&str>,
    path: Option<&[String]>,
    field: &str,
) -> Result<Vec<String>, ConfigError> {
    match (name, path) {
        (Some(name), None) => {
            let path: Vec<String> = name.split('.').map(str::to_string).collect();
            if path.iter().any(String::is_empty) {
                return Err(ConfigError::new(
                    format!("{field}.claim_name"),
                    "must be a dotted path of non-empty names",
                ));
            }
            Ok(path)
        }
        (None, Some(path)) => {
            if path.is_empty() || path.iter().any(String::is_empty) {
                return Err(ConfigError::new(
                    format!("{field}.claim_path"),
                    "must be a non-empty list of non-empty names",
                ));
            }
            Ok(path.to_vec())
        }
        _ => Err(ConfigError::new(
            field,
            "exactly one of claim_name or claim_path is required",
        )),
    }
}

/// A rule's `scopes` and `claims`. They judge the tokens that satisfied `requires`, so a rule
/// without `requires` cannot carry them.
pub fn rule_conditions(
    raw: &RawRule,
    field: &str,
) -> Result<(Vec<String>, Vec<ClaimCheck>), ConfigError> {
    let scopes = raw.scopes.clone().unwrap_or_default();
    let scope_field = format!("{field}.scopes");
    // RFC 6749 §3.3: scope tokens are printable ASCII but space, `"` and `\`.
    let valid = |s: &String| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\')
    };
    if let Some(bad) = scopes.iter().find(|s| !valid(s)) {
        return Err(ConfigError::new(
            scope_field,
            format!("{bad:?} is not a scope (RFC 6749 §3.3: printable, no space, '\"' or '\\')"),
        ));
    }
    if raw.scopes.as_ref().is_some_and(Vec::is_empty) {
        return Err(ConfigError::new(
            scope_field,
            "must name at least one scope",
        ));
    }
    let claims = (raw.claims.iter().flatten().enumerate())
        .map(|(i, c)| claim_check(c, &format!("{field}.claims[{i}]")))
        .collect::<Result<Vec<_>, _>>()?;
    if raw.claims.as_ref().is_some_and(Vec::is_empty) {
        return Err(ConfigError::new(
            format!("{field}.claims"),
            "must hold at least one condition",
        ));
    }
    if (!scopes.is_empty() || !claims.is_empty()) && raw.requires.is_none() {
        return Err(ConfigError::new(
            field,
            "scopes and claims need requires: they judge the tokens it accepts",
        ));
    }
    Ok((scopes, claims))
}

fn claim_check(raw: &RawClaimCheck, field: &str) -> Result<ClaimCheck, ConfigError> {
    let path = claim_path(raw.claim_name.as_deref(), raw.claim_path.as_deref(), field)?;
    let options = [
        raw.exact.clone().map(ClaimMatch::Exact),
        raw.prefix.clone().map(ClaimMatch::Prefix),
        raw.contains.clone().map(ClaimMatch::Contains),
        raw.any_of.clone().map(ClaimMatch::AnyOf),
    ];
    let mut set = options.into_iter().flatten();
    let matcher = match (set.next(), set.next()) {
        (Some(m), None) => m,
        _ => {
            return Err(ConfigError::new(
                field,
                "exactly one of exact, prefix, contains or any_of is required",
            ))
        }
    };
    let empty = match &matcher {
        ClaimMatch::Exact(_) => false,
        ClaimMatch::Prefix(s) | ClaimMatch::Contains(s) => s.is_empty(),
        ClaimMatch::AnyOf(list) => list.is_empty(),
    };
    if empty {
        return Err(ConfigError::new(
            field,
            "prefix and contains must not be empty, any_of must list a value",
        ));
    }
    Ok(ClaimCheck { path, matcher })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_types_compare_as_media_types() {
        for typ in [
            "at+jwt",
            "AT+JWT",
            "application/at+jwt",
            "Application/At+Jwt",
        ] {
            assert_eq!(token_type(typ), "at+jwt", "{typ}");
        }
        assert_eq!(token_type(""), "");
        // Only the `application/` type may be left out.
        assert_eq!(token_type("text/at+jwt"), "text/at+jwt");
        assert_eq!(token_type("application/x/y"), "application/x/y");
    }

    #[test]
    fn claims_are_named_by_dotted_name_or_path() {
        let path = |n: Option<&str>, p: Option<&[String]>| claim_path(n, p, "c");
        assert_eq!(
            path(Some("org.team"), None),
            Ok(vec!["org".into(), "team".into()])
        );
        let dotted = vec!["https://example.com/claims".to_string(), "roles".into()];
        assert_eq!(path(None, Some(&dotted)), Ok(dotted.clone()));
        assert_eq!(path(Some("a..b"), None).unwrap_err().field, "c.claim_name");
        assert_eq!(path(None, Some(&[])).unwrap_err().field, "c.claim_path");
        assert_eq!(path(Some("a"), Some(&dotted)).unwrap_err().field, "c");
        assert_eq!(path(None, None).unwrap_err().field, "c");
    }
}
