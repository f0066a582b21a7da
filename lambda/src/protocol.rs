//! The wire format of docs/lease-protocol.md: requests, answers and their validation.
//!
//! Parsing is strict (unknown fields, wrong types, empty or oversize names are refused with
//! `Lease.InvalidRequest` naming the field) and happens before any DynamoDB call, so a bad
//! request never writes anything.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::LeaseError;

/// Largest accepted `limit` (also bounds the semaphore item's size, see the crate docs).
pub const MAX_LIMIT: u32 = 5000;
/// Largest accepted `leaseSeconds`: one year, the longest a Standard execution runs.
pub const MAX_LEASE_SECONDS: u32 = 31_536_000;
/// Longest semaphore name in bytes.
pub const MAX_SEMAPHORE_BYTES: usize = 128;
/// Longest holder id in bytes.
pub const MAX_HOLDER_BYTES: usize = 256;
/// Longest execution ARN in bytes.
pub const MAX_EXECUTION_BYTES: usize = 1024;
/// Longest lease id in bytes.
pub const MAX_LEASE_ID_BYTES: usize = 128;
/// Longest task token in bytes (Step Functions documents up to 2048; room to spare).
pub const MAX_TASK_TOKEN_BYTES: usize = 8192;

/// `{"action": "acquire", ...}`: take `weight` units of `semaphore` for `holder`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Acquire {
    /// Semaphore name.
    pub semaphore: String,
    /// Holder id, unique per entry into the guarded region.
    pub holder: String,
    /// Execution ARN of the caller (for `releaseExecution` and the reaper).
    pub execution: String,
    /// Limit requested by the caller (a limit stored on the semaphore wins).
    pub limit: Option<u32>,
    /// Units taken (default 1).
    pub weight: Option<u32>,
    /// Lease length (default from configuration).
    pub lease_seconds: Option<u32>,
    /// Callback mode: the waiting Task's token, answered once the lease is granted.
    pub task_token: Option<String>,
    /// Callback mode: seconds the holder may wait in the queue (required with a token).
    pub wait_seconds: Option<u32>,
}

/// `{"action": "release", ...}`: give back the lease `lease_id` of `holder`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Release {
    /// Semaphore name.
    pub semaphore: String,
    /// Holder id given at acquire.
    pub holder: String,
    /// Lease id from the acquire answer.
    pub lease_id: String,
}

/// `{"action": "releaseExecution", ...}`: free everything one execution holds on a semaphore.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ReleaseExecution {
    /// Semaphore name.
    pub semaphore: String,
    /// Execution ARN.
    pub execution: String,
}

/// The EventBridge "Step Functions Execution Status Change" event, as delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChange {
    /// `detail.executionArn`.
    pub execution: String,
    /// `detail.status`.
    pub status: String,
    /// `detail.stopDate` in epoch seconds, when the event carries it.
    pub stopped_at: Option<i64>,
}

/// Any request the function serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// Take a lease.
    Acquire(Acquire),
    /// Give one back.
    Release(Release),
    /// Free one execution's leases on one semaphore.
    ReleaseExecution(ReleaseExecution),
    /// Free one finished execution's leases everywhere.
    Reap(StatusChange),
    /// Hand slots of expired leases to callback waiters on every semaphore with a queue.
    Sweep,
}

/// Every answer of the protocol.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(
    tag = "status",
    rename_all = "snake_case",
    rename_all_fields = "camelCase"
)]
pub enum Response {
    /// The lease is held until `expires_at` (epoch seconds).
    Acquired {
        /// Fencing token for the release.
        lease_id: String,
        /// Absolute expiry, epoch seconds.
        expires_at: i64,
        /// Weight held on the semaphore, this lease included.
        held: u32,
        /// Effective limit.
        limit: u32,
    },
    /// Full: ask again after `retry_after_seconds`.
    Wait {
        /// Whole seconds to wait, growing with the holder's waiting.
        retry_after_seconds: u32,
        /// Weight held on the semaphore.
        held: u32,
        /// Effective limit.
        limit: u32,
    },
    /// The lease was given back.
    Released,
    /// No such lease (unknown, someone else's, or already released).
    NotHeld,
    /// The lease had expired; its slot may have gone to someone else.
    Lost,
    /// `released` leases were freed by `releaseExecution` or the reaper.
    Reaped {
        /// Number of leases freed.
        released: u32,
    },
    /// Callback mode: the holder is queued; its token is answered when a slot is its.
    Queued {
        /// 1-based place among the live waiters when it was queued.
        position: u32,
        /// Weight held on the semaphore.
        held: u32,
        /// Effective limit.
        limit: u32,
    },
    /// The sweep ran over `semaphores` queues and granted `granted` waiters.
    Swept {
        /// Semaphores with a queue that were looked at.
        semaphores: u32,
        /// Waiters granted.
        granted: u32,
    },
}

/// EventBridge detail-type of the reaper's event.
pub const STATUS_CHANGE: &str = "Step Functions Execution Status Change";

/// Parses and validates one Lambda payload.
pub fn parse(payload: Value) -> Result<Request, LeaseError> {
    let Value::Object(mut map) = payload else {
        return Err(LeaseError::InvalidRequest(
            "request must be a JSON object".into(),
        ));
    };
    if map.contains_key("detail-type") {
        return parse_event(&Value::Object(map)).map(Request::Reap);
    }
    let action = match map.remove("action") {
        Some(Value::String(a)) => a,
        Some(_) => return Err(LeaseError::field("action", "must be a string")),
        None => return Err(LeaseError::field("action", "is missing")),
    };
    let rest = Value::Object(map);
    let request = match action.as_str() {
        "acquire" => Request::Acquire(typed(rest)?),
        "release" => Request::Release(typed(rest)?),
        "releaseExecution" => Request::ReleaseExecution(typed(rest)?),
        "sweep" => {
            if let Some(field) = rest.as_object().and_then(|m| m.keys().next()) {
                return Err(LeaseError::field(field, "is not a field of sweep"));
            }
            Request::Sweep
        }
        other => {
            return Err(LeaseError::field(
                "action",
                format!(
                    "unknown action {other:?}; expected acquire, release, releaseExecution \
                     or sweep"
                ),
            ))
        }
    };
    validate(&request)?;
    Ok(request)
}

/// Deserializes `value`, naming the field in any type error.
fn typed<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, LeaseError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        if path == "." {
            LeaseError::InvalidRequest(inner)
        } else {
            LeaseError::field(&path, inner)
        }
    })
}

fn parse_event(value: &Value) -> Result<StatusChange, LeaseError> {
    let text = |ptr: &str, field: &str| -> Result<String, LeaseError> {
        match value.pointer(ptr) {
            Some(Value::String(s)) => Ok(s.clone()),
            _ => Err(LeaseError::field(field, "must be a string")),
        }
    };
    if text("/detail-type", "detail-type")? != STATUS_CHANGE {
        return Err(LeaseError::field(
            "detail-type",
            format!("expected {STATUS_CHANGE:?}"),
        ));
    }
    if text("/source", "source")? != "aws.states" {
        return Err(LeaseError::field("source", "expected \"aws.states\""));
    }
    let event = StatusChange {
        execution: text("/detail/executionArn", "detail.executionArn")?,
        status: text("/detail/status", "detail.status")?,
        stopped_at: value
            .pointer("/detail/stopDate")
            .and_then(Value::as_i64)
            .map(|ms| ms / 1000),
    };
    name("detail.executionArn", &event.execution, MAX_EXECUTION_BYTES)?;
    Ok(event)
}

fn validate(request: &Request) -> Result<(), LeaseError> {
    match request {
        Request::Acquire(a) => {
            name("semaphore", &a.semaphore, MAX_SEMAPHORE_BYTES)?;
            name("holder", &a.holder, MAX_HOLDER_BYTES)?;
            name("execution", &a.execution, MAX_EXECUTION_BYTES)?;
            range("limit", a.limit, MAX_LIMIT)?;
            range("weight", a.weight, MAX_LIMIT)?;
            range("leaseSeconds", a.lease_seconds, MAX_LEASE_SECONDS)?;
            range("waitSeconds", a.wait_seconds, MAX_LEASE_SECONDS)?;
            match (&a.task_token, a.wait_seconds) {
                (Some(token), Some(_)) => name("taskToken", token, MAX_TASK_TOKEN_BYTES),
                (Some(_), None) => Err(LeaseError::field(
                    "waitSeconds",
                    "is required with taskToken (how long the holder may wait)",
                )),
                (None, Some(_)) => Err(LeaseError::field(
                    "waitSeconds",
                    "is only meaningful with taskToken (callback mode)",
                )),
                (None, None) => Ok(()),
            }
        }
        Request::Release(r) => {
            name("semaphore", &r.semaphore, MAX_SEMAPHORE_BYTES)?;
            name("holder", &r.holder, MAX_HOLDER_BYTES)?;
            name("leaseId", &r.lease_id, MAX_LEASE_ID_BYTES)
        }
        Request::ReleaseExecution(r) => {
            name("semaphore", &r.semaphore, MAX_SEMAPHORE_BYTES)?;
            name("execution", &r.execution, MAX_EXECUTION_BYTES)
        }
        Request::Reap(_) | Request::Sweep => Ok(()),
    }
}

/// A name must be non-empty, at most `max` bytes, and free of control characters.
fn name(field: &str, value: &str, max: usize) -> Result<(), LeaseError> {
    if value.is_empty() {
        return Err(LeaseError::field(field, "must not be empty"));
    }
    if value.len() > max {
        return Err(LeaseError::field(
            field,
            format!("is {} bytes; at most {max}", value.len()),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(LeaseError::field(
            field,
            "must not contain control characters",
        ));
    }
    Ok(())
}

fn range(field: &str, value: Option<u32>, max: u32) -> Result<(), LeaseError> {
    match value {
        Some(v) if v == 0 || v > max => Err(LeaseError::field(
            field,
            format!("is {v}; expected 1 to {max}"),
        )),
        _ => Ok(()),
    }
}
