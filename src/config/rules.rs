//! Rules, their matchers and the requirement trees they name, read from their raw forms.

use super::provider::{header_name, sanitized_audiences};
use super::raw::{self, RawMatch, RawRule};
use super::read::from_value;
use super::types::{
    HeaderMatch, HeaderMatchKind, PathMatch, Provider, ProviderId, Requirement, Rule, StringMatch,
};
use super::{resource, ConfigError};

pub(super) fn string_match(
    raw: raw::RawStringMatcher,
    field: &str,
) -> Result<StringMatch, ConfigError> {
    let options = [
        raw.exact.map(StringMatch::Exact),
        raw.prefix.map(StringMatch::Prefix),
        raw.suffix.map(StringMatch::Suffix),
        raw.contains.map(StringMatch::Contains),
    ];
    let mut set = options.into_iter().flatten();
    match (set.next(), set.next()) {
        (Some(m), None) => {
            let empty = match &m {
                StringMatch::Exact(_) => false,
                StringMatch::Prefix(s) | StringMatch::Suffix(s) | StringMatch::Contains(s) => {
                    s.is_empty()
                }
            };
            if empty {
                return Err(ConfigError::new(
                    field,
                    "prefix, suffix and contains must not be empty",
                ));
            }
            Ok(m)
        }
        _ => Err(ConfigError::new(
            field,
            "exactly one of exact, prefix, suffix or contains is required",
        )),
    }
}

/// A rule may match a pseudo-header such as `:authority`, as Envoy's route matchers can (one host
/// of a shared gateway); headers the filter writes never take that form.
fn matcher_header_name(name: &str, field: &str) -> Result<String, ConfigError> {
    header_name(name.strip_prefix(':').unwrap_or(name), field)?;
    Ok(name.to_ascii_lowercase())
}

fn header_match(value: &serde_json::Value, field: &str) -> Result<HeaderMatch, ConfigError> {
    use serde_json::Value;
    let Some(object) = value.as_object() else {
        return Err(ConfigError::new(field, "must be an object"));
    };
    let (mut name, mut kind, mut invert) = (None, None, false);
    for (key, v) in object {
        let at = format!("{field}.{key}");
        match (key.as_str(), v) {
            ("name", Value::String(n)) => name = Some(matcher_header_name(n, &at)?),
            ("string_match", m) if kind.is_none() => {
                let m = string_match(from_value(m, &at)?, &at)?;
                if !matches!(m, StringMatch::Exact(_) | StringMatch::Prefix(_)) {
                    return Err(ConfigError::new(
                        at,
                        "rules match headers with exact or prefix",
                    ));
                }
                kind = Some(HeaderMatchKind::Value(m));
            }
            ("present_match", Value::Bool(b)) if kind.is_none() => {
                kind = Some(HeaderMatchKind::Present(*b))
            }
            ("invert_match", Value::Bool(b)) => invert = *b,
            ("string_match" | "present_match", _) => {
                return Err(ConfigError::new(
                    field,
                    "exactly one of string_match or present_match is required",
                ))
            }
            ("name" | "invert_match", _) => return Err(ConfigError::new(at, "wrong type")),
            _ => return Err(ConfigError::new(at, "unknown field")),
        }
    }
    match (name, kind) {
        (Some(name), Some(kind)) => Ok(HeaderMatch { name, kind, invert }),
        (None, _) => Err(ConfigError::new(field, "name is required")),
        (_, None) => Err(ConfigError::new(
            field,
            "exactly one of string_match or present_match is required",
        )),
    }
}

pub(super) fn rule(
    value: &serde_json::Value,
    providers: &[Provider],
    field: &str,
) -> Result<Rule, ConfigError> {
    let raw: RawRule = from_value(value, field)?;
    let path = path_match(&raw.matcher, &format!("{field}.match"))?;
    let (scopes, claims) = resource::rule_conditions(&raw, field)?;
    let methods = raw
        .matcher
        .methods
        .unwrap_or_default()
        .into_iter()
        .map(|m| {
            if m.is_empty() || !m.bytes().all(|b| b.is_ascii_alphabetic()) {
                Err(ConfigError::new(
                    format!("{field}.match.methods"),
                    format!("{m:?} is not an HTTP method"),
                ))
            } else {
                Ok(m.to_ascii_uppercase())
            }
        })
        .collect::<Result<_, _>>()?;
    let headers = (raw.matcher.headers.iter().enumerate())
        .map(|(i, h)| header_match(h, &format!("{field}.match.headers[{i}]")))
        .collect::<Result<_, _>>()?;
    let requirement = raw
        .requires
        .as_ref()
        .map(|r| requirement(r, providers, &format!("{field}.requires"), 0))
        .transpose()?;
    Ok(Rule {
        headers,
        path,
        methods,
        requirement,
        scopes,
        claims,
    })
}

fn path_match(raw: &RawMatch, field: &str) -> Result<PathMatch, ConfigError> {
    match (&raw.prefix, &raw.path) {
        (Some(p), None) if p.starts_with('/') => Ok(PathMatch::Prefix(p.clone())),
        (None, Some(p)) if p.starts_with('/') => Ok(PathMatch::Exact(p.clone())),
        (Some(_), None) | (None, Some(_)) => {
            Err(ConfigError::new(field, "paths must start with '/'"))
        }
        _ => Err(ConfigError::new(
            field,
            "exactly one of prefix or path is required",
        )),
    }
}

const MAX_REQUIREMENT_DEPTH: usize = 8;

fn requirement(
    value: &serde_json::Value,
    providers: &[Provider],
    field: &str,
    depth: usize,
) -> Result<Requirement, ConfigError> {
    if depth > MAX_REQUIREMENT_DEPTH {
        return Err(ConfigError::new(
            field,
            "requirements are nested too deeply",
        ));
    }
    let Some(object) = value.as_object() else {
        return Err(ConfigError::new(field, "must be an object"));
    };
    let mut entries = object.iter();
    let (Some((key, inner)), None) = (entries.next(), entries.next()) else {
        return Err(ConfigError::new(
            field,
            "must have exactly one of provider_name, provider_and_audiences, requires_any, requires_all, allow_missing, allow_missing_or_failed",
        ));
    };
    let at = format!("{field}.{key}");
    match key.as_str() {
        "provider_name" => provider_id(inner, providers, &at).map(Requirement::Provider),
        "provider_and_audiences" => provider_and_audiences(inner, providers, &at),
        "requires_any" | "requires_all" => {
            // Envoy's proto wraps the list as {"requirements": [...]}; accept both spellings.
            let list = match inner {
                serde_json::Value::Array(list) => list,
                serde_json::Value::Object(o) if o.len() == 1 => match o.get("requirements") {
                    Some(serde_json::Value::Array(list)) => list,
                    _ => return Err(ConfigError::new(at, "must be a list of requirements")),
                },
                _ => return Err(ConfigError::new(at, "must be a list of requirements")),
            };
            if list.len() < 2 {
                return Err(ConfigError::new(at, "needs at least two requirements"));
            }
            let children = list
                .iter()
                .enumerate()
                .map(|(i, v)| requirement(v, providers, &format!("{at}[{i}]"), depth + 1))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(if key == "requires_any" {
                Requirement::Any(children)
            } else {
                Requirement::All(children)
            })
        }
        "allow_missing" | "allow_missing_or_failed" => {
            if !inner.as_object().is_some_and(|o| o.is_empty()) {
                return Err(ConfigError::new(at, "must be an empty object {}"));
            }
            Ok(if key == "allow_missing" {
                Requirement::AllowMissing
            } else {
                Requirement::AllowMissingOrFailed
            })
        }
        other => Err(ConfigError::new(
            field,
            format!("unknown requirement {other:?}"),
        )),
    }
}

fn provider_id(
    name: &serde_json::Value,
    providers: &[Provider],
    at: &str,
) -> Result<ProviderId, ConfigError> {
    let name = name
        .as_str()
        .ok_or_else(|| ConfigError::new(at, "must be a string"))?;
    providers
        .iter()
        .position(|p| p.name == name)
        .ok_or_else(|| ConfigError::new(at, format!("unknown provider {name:?}")))
}

/// `{"provider_name": ..., "audiences": [...]}`: the provider's checks with other audiences.
fn provider_and_audiences(
    value: &serde_json::Value,
    providers: &[Provider],
    at: &str,
) -> Result<Requirement, ConfigError> {
    let Some(object) = value.as_object() else {
        return Err(ConfigError::new(at, "must be an object"));
    };
    if let Some(other) = object
        .keys()
        .find(|k| *k != "provider_name" && *k != "audiences")
    {
        return Err(ConfigError::new(
            format!("{at}.{other}"),
            "unknown field (expected provider_name, audiences)",
        ));
    }
    let id = match object.get("provider_name") {
        Some(name) => provider_id(name, providers, &format!("{at}.provider_name"))?,
        None => return Err(ConfigError::new(at, "provider_name is required")),
    };
    let field = format!("{at}.audiences");
    // An empty list would silently turn the audience check off for this rule.
    let audiences: Vec<String> = match object.get("audiences").and_then(|v| v.as_array()) {
        Some(list) if !list.is_empty() => list
            .iter()
            .map(|v| match v.as_str() {
                Some(a) if !a.is_empty() => Ok(a.to_string()),
                _ => Err(ConfigError::new(&field, "must hold non-empty strings")),
            })
            .collect::<Result<_, _>>()?,
        _ => {
            return Err(ConfigError::new(
                field,
                "must be a non-empty list of audiences",
            ))
        }
    };
    Ok(Requirement::ProviderAudiences(
        id,
        sanitized_audiences(audiences),
    ))
}
