//! CloudWatch metrics in Embedded Metric Format: one JSON line per invocation on stdout.
//!
//! CloudWatch Logs turns these lines into metrics without any API call from the function, so
//! recording a metric costs no latency and needs no extra IAM permission.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use crate::error::LeaseError;
use crate::protocol::Response;

/// CloudWatch namespace of the metrics.
pub const NAMESPACE: &str = "AslGuard/Lease";

/// Counters of one invocation.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// Leases granted (a repeated acquire of a live lease counts again).
    pub grants: u32,
    /// Wait answers.
    pub waits: u32,
    /// Leases given back by `release` (`released` and `lost`).
    pub releases: u32,
    /// Leases freed by `releaseExecution` or the reaper.
    pub reaps: u32,
    /// Failed invocations.
    pub errors: u32,
}

impl Counts {
    /// Counters for one outcome.
    pub fn of(result: &Result<Response, LeaseError>) -> Counts {
        let mut c = Counts::default();
        match result {
            Ok(Response::Acquired { .. }) => c.grants = 1,
            Ok(Response::Wait { .. } | Response::Queued { .. }) => c.waits = 1,
            Ok(Response::Swept { granted, .. }) => c.grants = *granted,
            Ok(Response::Released | Response::Lost) => c.releases = 1,
            Ok(Response::Reaped { released }) => c.reaps = *released,
            Ok(Response::NotHeld) => {}
            Err(_) => c.errors = 1,
        }
        c
    }
}

/// The EMF line for one invocation of `action` taking `latency`.
pub fn render(action: &str, counts: Counts, latency: Duration) -> String {
    let timestamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let names = ["Grants", "Waits", "Releases", "Reaps", "Errors"];
    let mut metrics: Vec<Value> = names
        .iter()
        .map(|n| json!({"Name": n, "Unit": "Count"}))
        .collect();
    metrics.push(json!({"Name": "Latency", "Unit": "Milliseconds"}));
    json!({
        "_aws": {
            "Timestamp": timestamp,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [["Action"]],
                "Metrics": metrics,
            }],
        },
        "Action": action,
        "Grants": counts.grants,
        "Waits": counts.waits,
        "Releases": counts.releases,
        "Reaps": counts.reaps,
        "Errors": counts.errors,
        "Latency": latency.as_secs_f64() * 1000.0,
    })
    .to_string()
}

/// Prints the EMF line on stdout as one write, so it never interleaves with log lines.
pub fn emit(action: &str, counts: Counts, latency: Duration) {
    use std::io::Write;
    let line = render(action, counts, latency) + "\n";
    let _ = std::io::stdout().lock().write_all(line.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emf_line_declares_every_metric_it_carries() {
        let counts = Counts {
            grants: 1,
            ..Counts::default()
        };
        let v: Value =
            serde_json::from_str(&render("acquire", counts, Duration::from_millis(3))).unwrap();
        let declared = &v["_aws"]["CloudWatchMetrics"][0]["Metrics"];
        for m in declared.as_array().unwrap() {
            let name = m["Name"].as_str().unwrap();
            assert!(v.get(name).is_some(), "{name} declared but missing");
        }
        assert_eq!(v["Grants"], 1);
        assert_eq!(v["Action"], "acquire");
        assert!(v["_aws"]["Timestamp"].as_u64().unwrap() > 0);
    }
}
