//! Typed errors of the lease manager, and how each one reaches Step Functions.
//!
//! A Step Functions `Catch` matches on the Lambda error type, so every variant maps to a fixed
//! `Lease.*` name through [`lambda_runtime::Diagnostic`]. Messages name the offending field.

use lambda_runtime::Diagnostic;

/// Everything that can fail an invocation.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum LeaseError {
    /// The request is malformed; nothing was written. The message names the field.
    #[error("{0}")]
    InvalidRequest(String),
    /// The function is misconfigured (environment, missing table, corrupt item).
    #[error("{0}")]
    Config(String),
    /// DynamoDB stayed unavailable after retries on an action that cannot answer `wait`.
    #[error("{0}")]
    Unavailable(String),
}

impl LeaseError {
    /// The error type a Step Functions `Catch` or `Retry` matches.
    pub fn error_type(&self) -> &'static str {
        match self {
            LeaseError::InvalidRequest(_) => "Lease.InvalidRequest",
            LeaseError::Config(_) => "Lease.ConfigError",
            LeaseError::Unavailable(_) => "Lease.Unavailable",
        }
    }

    /// Shorthand for an invalid-request error about one field.
    pub fn field(field: &str, problem: impl std::fmt::Display) -> Self {
        LeaseError::InvalidRequest(format!("field `{field}`: {problem}"))
    }
}

impl From<LeaseError> for Diagnostic {
    fn from(err: LeaseError) -> Self {
        Diagnostic {
            error_type: err.error_type().to_string(),
            error_message: err.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_variant_maps_to_its_lease_error_type() {
        let d: Diagnostic = LeaseError::field("limit", "must be at least 1").into();
        assert_eq!(d.error_type, "Lease.InvalidRequest");
        assert_eq!(d.error_message, "field `limit`: must be at least 1");
        let d: Diagnostic = LeaseError::Config("x".into()).into();
        assert_eq!(d.error_type, "Lease.ConfigError");
        let d: Diagnostic = LeaseError::Unavailable("x".into()).into();
        assert_eq!(d.error_type, "Lease.Unavailable");
    }
}
