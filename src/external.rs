//! The Terraform external data source protocol: a JSON object of strings in, a JSON object of
//! strings out. The query names the definition and the guard options; the answer carries the
//! wrapped definition.

use std::collections::BTreeMap;

use thiserror::Error;

use crate::emit;
use crate::error::{ParseError, WrapError};
use crate::model::Definition;
use crate::region::RegionSpec;
use crate::rewrite::{wrap, GuardOptions, WaitMode, WorkflowType};

/// Keys the query may hold.
pub const QUERY_KEYS: [&str; 15] = [
    "definition",
    "around",
    "through",
    "semaphore",
    "limit",
    "weight",
    "function",
    "lease_seconds",
    "max_wait",
    "names",
    "indent",
    "format",
    "partition",
    "wait",
    "workflow_type",
];

/// Why a query could not be answered.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ExternalError {
    /// The query is not a JSON object of strings.
    #[error("the query must be a JSON object whose values are all strings: {0}")]
    Protocol(String),
    /// A key this program does not know.
    #[error("unknown query key '{key}'; known keys: {}", QUERY_KEYS.join(", "))]
    UnknownKey {
        /// The key.
        key: String,
    },
    /// A required key is missing or empty.
    #[error("query key '{0}' is required")]
    Missing(&'static str),
    /// A value is not what the key needs.
    #[error("query key '{key}': {reason}")]
    BadValue {
        /// The key.
        key: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The definition could not be read.
    #[error("definition: {0}")]
    Parse(#[from] ParseError),
    /// The wrap failed.
    #[error("{0}")]
    Wrap(#[from] WrapError),
}

fn number(
    query: &BTreeMap<String, String>,
    key: &'static str,
) -> Result<Option<u64>, ExternalError> {
    match query.get(key).map(String::as_str) {
        None | Some("") => Ok(None),
        Some(v) => v
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| ExternalError::BadValue {
                key,
                reason: format!("'{v}' is not a whole number"),
            }),
    }
}

fn text(query: &BTreeMap<String, String>, key: &str) -> Option<String> {
    query.get(key).filter(|v| !v.is_empty()).cloned()
}

/// One of a few spelled-out values; the first when the key is missing or empty.
fn choice<T: Copy>(
    query: &BTreeMap<String, String>,
    key: &'static str,
    values: &[(&str, T)],
) -> Result<T, ExternalError> {
    let Some(given) = text(query, key) else {
        return Ok(values[0].1);
    };
    values
        .iter()
        .find(|(name, _)| *name == given)
        .map(|(_, v)| *v)
        .ok_or_else(|| {
            let names: Vec<&str> = values.iter().map(|(n, _)| *n).collect();
            ExternalError::BadValue {
                key,
                reason: format!("'{given}' is not {}", names.join(" or ")),
            }
        })
}

/// Answers one query given as the raw stdin text.
pub fn answer(stdin: &str) -> Result<BTreeMap<String, String>, ExternalError> {
    let query: BTreeMap<String, String> =
        serde_json::from_str(stdin).map_err(|e| ExternalError::Protocol(e.to_string()))?;
    if let Some(key) = query.keys().find(|k| !QUERY_KEYS.contains(&k.as_str())) {
        return Err(ExternalError::UnknownKey { key: key.clone() });
    }
    let definition = text(&query, "definition").ok_or(ExternalError::Missing("definition"))?;
    let around = text(&query, "around").ok_or(ExternalError::Missing("around"))?;
    let def = Definition::parse(&definition)?;
    let spec = RegionSpec {
        around: vec![around],
        through: text(&query, "through"),
    };
    let opts = GuardOptions {
        semaphore: text(&query, "semaphore"),
        limit: number(&query, "limit")?,
        weight: number(&query, "weight")?,
        function: text(&query, "function"),
        lease_seconds: number(&query, "lease_seconds")?,
        max_wait_seconds: number(&query, "max_wait")?,
        names_prefix: text(&query, "names").unwrap_or_default(),
        partition: text(&query, "partition"),
        wait: choice(
            &query,
            "wait",
            &[("poll", WaitMode::Poll), ("callback", WaitMode::Callback)],
        )?,
        workflow_type: choice(
            &query,
            "workflow_type",
            &[
                ("standard", WorkflowType::Standard),
                ("express", WorkflowType::Express),
            ],
        )?,
    };
    let wrapped = wrap(&def, &spec, &opts).map_err(name_query_key)?;
    let indent = number(&query, "indent")?.unwrap_or(2);
    if indent > 16 {
        let reason = format!("'{indent}' is more than 16 spaces");
        return Err(ExternalError::BadValue {
            key: "indent",
            reason,
        });
    }
    let indent = indent as usize;
    let rendered = match text(&query, "format").as_deref() {
        None | Some("json") => emit::to_json(&wrapped.definition.root, indent),
        Some("yaml") => emit::to_yaml(&wrapped.definition.root),
        Some(other) => {
            let reason = format!("'{other}' is not json or yaml");
            return Err(ExternalError::BadValue {
                key: "format",
                reason,
            });
        }
    };
    let mut out = BTreeMap::new();
    out.insert("definition".to_string(), rendered);
    out.insert("entry".to_string(), wrapped.region.entry.clone());
    out.insert("guard".to_string(), wrapped.guard.clone());
    Ok(out)
}

/// Options are checked by `wrap`, whose messages name command-line flags; here the user wrote
/// query keys, so the message names the key instead.
fn name_query_key(e: WrapError) -> ExternalError {
    if e == WrapError::CallbackInExpress {
        let reason = "callback cannot be used with workflow_type express (Express workflows do \
                      not support .waitForTaskToken); use wait = \"poll\"";
        return ExternalError::BadValue {
            key: "wait",
            reason: reason.into(),
        };
    }
    if let WrapError::CallbackInExpressChild { map } = &e {
        let reason = format!(
            "callback cannot be used inside the Distributed Map '{map}', whose items run as \
             Express child workflows (ExecutionType EXPRESS), which do not support \
             .waitForTaskToken; use wait = \"poll\", or set the Map's ExecutionType to STANDARD"
        );
        return ExternalError::BadValue {
            key: "wait",
            reason,
        };
    }
    let WrapError::InvalidOption { option, reason } = &e else {
        return ExternalError::Wrap(e);
    };
    let key = match option.as_str() {
        "--around" => "around",
        "--semaphore" => "semaphore",
        "--limit" => "limit",
        "--weight" => "weight",
        "--function" => "function",
        "--lease-seconds" => "lease_seconds",
        "--max-wait" => "max_wait",
        "--names" => "names",
        "--partition" => "partition",
        _ => return ExternalError::Wrap(e),
    };
    ExternalError::BadValue {
        key,
        reason: reason.clone(),
    }
}
