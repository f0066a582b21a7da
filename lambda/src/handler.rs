//! The Lambda entry point: parse, dispatch, log, record metrics.

use std::time::Instant;

use serde_json::Value;

use crate::error::LeaseError;
use crate::lease::Leases;
use crate::metrics::{self, Counts};
use crate::protocol::{parse, Request, Response};
use crate::store::Db;
use crate::tokens::Tokens;

/// Serves one invocation. Metrics are emitted when `emit_metrics` is set (the bootstrap sets
/// it; tests and benchmarks need not print).
pub async fn handle<D: Db, T: Tokens>(
    leases: &Leases<D, T>,
    payload: Value,
    request_id: &str,
    emit_metrics: bool,
) -> Result<Response, LeaseError> {
    let started = Instant::now();
    let payload_token = payload
        .get("taskToken")
        .and_then(Value::as_str)
        .map(str::to_string);
    let request = parse(payload);
    let action = request.as_ref().map_or("invalid", action_name);
    let token = task_token(&payload_token, request.as_ref().ok());
    let result = match &request {
        Ok(req) => dispatch(leases, req).await,
        Err(e) => Err(e.clone()),
    };
    if let (Err(e), Some(token)) = (&result, token) {
        fail_token(leases, token, e).await;
    }
    let latency = started.elapsed();
    match &result {
        Ok(answer) => {
            let answer = serde_json::to_string(answer).unwrap_or_default();
            tracing::info!(request_id, action, %answer, ms = latency.as_secs_f64() * 1000.0, "done")
        }
        Err(e) => {
            tracing::warn!(request_id, action, error_type = e.error_type(), error = %e, "failed")
        }
    }
    if emit_metrics {
        metrics::emit(action, Counts::of(&result), latency);
    }
    result
}

/// The task token to fail when the request fails: the parsed one, or for a request that did
/// not parse, the raw `taskToken` field if it is a plausible token.
fn task_token<'a>(raw: &'a Option<String>, parsed: Option<&'a Request>) -> Option<&'a str> {
    match parsed {
        Some(Request::Acquire(a)) => a.task_token.as_deref(),
        Some(_) => None,
        None => raw
            .as_deref()
            .filter(|t| !t.is_empty() && t.len() <= crate::protocol::MAX_TASK_TOKEN_BYTES),
    }
}

/// In callback mode the Task waits for its token, not for the invocation: a failed request
/// is also answered through the token, with the same error name, so it cannot hang until
/// its timeout. Best effort: the invocation's own error still reaches Step Functions.
async fn fail_token<D: Db, T: Tokens>(leases: &Leases<D, T>, token: &str, e: &LeaseError) {
    if let Err(te) = leases
        .tokens
        .fail(token, e.error_type(), &e.to_string())
        .await
    {
        tracing::warn!(error = %te, "could not fail the task token");
    }
}

/// Runs one parsed request.
pub async fn dispatch<D: Db, T: Tokens>(
    leases: &Leases<D, T>,
    req: &Request,
) -> Result<Response, LeaseError> {
    match req {
        Request::Acquire(a) => leases.acquire(a).await,
        Request::Release(r) => leases.release(r).await,
        Request::ReleaseExecution(r) => {
            let released = leases
                .release_execution(&r.semaphore, &r.execution, None)
                .await?;
            Ok(Response::Reaped { released })
        }
        Request::Reap(event) => leases.reap(event).await,
        Request::Sweep => leases.sweep().await,
    }
}

fn action_name(req: &Request) -> &'static str {
    match req {
        Request::Acquire(_) => "acquire",
        Request::Release(_) => "release",
        Request::ReleaseExecution(_) => "releaseExecution",
        Request::Reap(_) => "reap",
        Request::Sweep => "sweep",
    }
}
