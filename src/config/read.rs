//! Strict JSON into the raw forms, with errors that name the offending field.

use super::{path_de, ConfigError};
use serde::de::DeserializeOwned;

/// Errors name the full path of the offending field (`providers.p.remote_jwks.timeout_ms`),
/// which is what a user needs to find it in a large WasmPlugin. Duplicate keys anywhere are
/// refused: "the last one wins" would silently drop half of what the user wrote.
pub(super) fn from_json<T: DeserializeOwned>(bytes: &[u8], field: &str) -> Result<T, ConfigError> {
    let value =
        crate::strict_json::parse(bytes).map_err(|e| ConfigError::new(field, e.to_string()))?;
    from_value(&value, field)
}

pub(super) fn from_value<T: DeserializeOwned>(
    value: &serde_json::Value,
    field: &str,
) -> Result<T, ConfigError> {
    path_de::from_value(value).map_err(|(path, e)| {
        let at = match (field, path.as_str()) {
            (f, "") => f.to_string(),
            ("config", p) => p.to_string(),
            (f, p) => format!("{f}.{p}"),
        };
        ConfigError::new(at, e.to_string())
    })
}
