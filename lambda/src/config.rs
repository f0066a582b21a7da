//! Configuration from environment variables, read and validated once at start-up.
//!
//! A bad value stops the function before it serves any request, with a message naming the
//! variable, so a misconfigured deployment fails loudly on its first invocation.

use crate::error::LeaseError;
use crate::protocol::{MAX_LEASE_SECONDS, MAX_LIMIT};

/// Name of the DynamoDB table holding semaphores (required).
pub const ENV_TABLE: &str = "ASL_GUARD_TABLE_NAME";
/// Limit used when neither the semaphore item nor the request sets one (default 1).
pub const ENV_DEFAULT_LIMIT: &str = "ASL_GUARD_DEFAULT_LIMIT";
/// Lease length in seconds when the request sets none (default 900).
pub const ENV_LEASE_SECONDS: &str = "ASL_GUARD_DEFAULT_LEASE_SECONDS";
/// Cap of `retryAfterSeconds` in wait answers (default 30).
pub const ENV_MAX_RETRY_AFTER: &str = "ASL_GUARD_MAX_RETRY_AFTER_SECONDS";

/// Validated settings of the function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// DynamoDB table name.
    pub table: String,
    /// Limit when neither the semaphore item nor the request sets one.
    pub default_limit: u32,
    /// Lease length when the request sets none.
    pub default_lease_seconds: u32,
    /// Upper bound of `retryAfterSeconds`.
    pub max_retry_after: u32,
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, LeaseError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup` (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, LeaseError> {
        let table = lookup(ENV_TABLE)
            .map(|t| t.trim().to_string())
            .unwrap_or_default();
        if table.is_empty() {
            return Err(LeaseError::Config(format!(
                "{ENV_TABLE} is not set; set it to the table name"
            )));
        }
        if table.len() > 255
            || !table
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
        {
            return Err(LeaseError::Config(format!(
                "{ENV_TABLE} {table:?} is not a valid DynamoDB table name"
            )));
        }
        Ok(Config {
            table,
            default_limit: number(&lookup, ENV_DEFAULT_LIMIT, 1, 1, MAX_LIMIT)?,
            default_lease_seconds: number(&lookup, ENV_LEASE_SECONDS, 900, 1, MAX_LEASE_SECONDS)?,
            max_retry_after: number(&lookup, ENV_MAX_RETRY_AFTER, 30, 1, 3600)?,
        })
    }
}

/// Parses an optional whole-number variable within `min..=max`.
fn number(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &str,
    default: u32,
    min: u32,
    max: u32,
) -> Result<u32, LeaseError> {
    let Some(raw) = lookup(name) else {
        return Ok(default);
    };
    match raw.trim().parse::<u32>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(LeaseError::Config(format!(
            "{name} is {raw:?}; expected a whole number from {min} to {max}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load(pairs: &[(&str, &str)]) -> Result<Config, LeaseError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_apply_when_only_the_table_is_set() {
        let c = load(&[(ENV_TABLE, "leases")]).unwrap();
        assert_eq!(
            (c.default_limit, c.default_lease_seconds, c.max_retry_after),
            (1, 900, 30)
        );
    }

    #[test]
    fn missing_table_is_a_config_error_naming_the_variable() {
        let e = load(&[]).unwrap_err();
        assert!(
            matches!(&e, LeaseError::Config(m) if m.contains(ENV_TABLE)),
            "{e}"
        );
    }

    #[test]
    fn bad_numbers_are_rejected_with_the_variable_name() {
        for (name, value) in [
            (ENV_DEFAULT_LIMIT, "0"),
            (ENV_DEFAULT_LIMIT, "abc"),
            (ENV_LEASE_SECONDS, "-5"),
            (ENV_MAX_RETRY_AFTER, "99999"),
        ] {
            let e = load(&[(ENV_TABLE, "t"), (name, value)]).unwrap_err();
            assert!(
                matches!(&e, LeaseError::Config(m) if m.contains(name)),
                "{name}={value}: {e}"
            );
        }
        assert!(load(&[(ENV_TABLE, "bad name!")]).is_err());
    }
}
