//! `allowed_tenants`: which tenants of a multi-tenant issuer may sign in. Anyone can create
//! a tenant at a public multi-tenant issuer and mint tokens in it, so leaving the list out
//! must not mean "every tenant": that has to be asked for, with `["*"]`.

use super::ConfigError;

/// Any tenant.
const ANY: &str = "*";

/// The tenants accepted; empty means any (only from an explicit `["*"]`).
pub(super) fn allowed(raw: Option<&[String]>, field: &str) -> Result<Vec<String>, ConfigError> {
    let at = format!("{field}.allowed_tenants");
    match raw {
        None => Err(ConfigError::new(
            at,
            "is required with issuer_template: the tenant ids accepted, or [\"*\"] for any tenant",
        )),
        Some([]) => Err(ConfigError::new(
            at,
            "must name at least one tenant, or be [\"*\"] for any tenant",
        )),
        Some([only]) if only == ANY => Ok(Vec::new()),
        Some(list) if list.iter().any(|t| t == ANY) => Err(ConfigError::new(
            at,
            "\"*\" (any tenant) cannot be combined with named tenants",
        )),
        Some(list) => Ok(list.to_vec()),
    }
}
