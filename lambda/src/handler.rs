//! The Lambda entry point: parse, dispatch, log, record metrics.

use std::time::Instant;

use serde_json::Value;

use crate::error::LeaseError;
use crate::lease::Leases;
use crate::metrics::{self, Counts};
use crate::protocol::{parse, Request, Response};
use crate::store::Db;

/// Serves one invocation. Metrics are emitted when `emit_metrics` is set (the bootstrap sets
/// it; tests and benchmarks need not print).
pub async fn handle<D: Db>(
    leases: &Leases<D>,
    payload: Value,
    request_id: &str,
    emit_metrics: bool,
) -> Result<Response, LeaseError> {
    let started = Instant::now();
    let request = parse(payload);
    let action = request.as_ref().map_or("invalid", action_name);
    let result = match request {
        Ok(req) => dispatch(leases, &req).await,
        Err(e) => Err(e),
    };
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

/// Runs one parsed request.
pub async fn dispatch<D: Db>(leases: &Leases<D>, req: &Request) -> Result<Response, LeaseError> {
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
    }
}

fn action_name(req: &Request) -> &'static str {
    match req {
        Request::Acquire(_) => "acquire",
        Request::Release(_) => "release",
        Request::ReleaseExecution(_) => "releaseExecution",
        Request::Reap(_) => "reap",
    }
}
