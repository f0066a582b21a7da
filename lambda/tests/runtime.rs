//! The real `bootstrap` process driven through the Runtime API stand-in: an acquire reaches
//! the emulator and comes back with JSON logs and an EMF line on stdout; a misconfigured
//! function answers `Lease.ConfigError` instead of crashing.

mod common;

use std::process::Stdio;
use std::time::Duration;

use asl_guard_lease::testkit::runtime_api::{self, Answer};
use serde_json::{json, Value};

/// Starts bootstrap against a fresh stand-in serving `event`; returns the answer and stdout.
async fn invoke_once(event: Value, env: &[(&str, &str)]) -> (Answer, String) {
    let (addr, mut answers) = runtime_api::start(event.to_string())
        .await
        .expect("stand-in");
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_bootstrap"))
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", &addr)
        .env("AWS_LAMBDA_FUNCTION_NAME", "lease")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start bootstrap");
    let answer = tokio::time::timeout(Duration::from_secs(30), answers.recv()).await;
    let _ = child.start_kill();
    let out = child.wait_with_output().await.expect("bootstrap output");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let answer = answer
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("no answer; stdout:\n{stdout}\nstderr:\n{stderr}"));
    (answer, stdout)
}

#[tokio::test]
async fn bootstrap_answers_an_acquire_with_logs_and_metrics() {
    let client = common::client();
    let table = common::table(&client, "runtime").await;
    let endpoint = common::endpoint();
    let event = json!({"action": "acquire", "semaphore": "s", "holder": "h",
                       "execution": "arn:aws:states:us-east-1:1:execution:sm:e", "limit": 2});
    let env = [
        ("ASL_GUARD_TABLE_NAME", table.as_str()),
        ("AWS_ENDPOINT_URL", endpoint.as_str()),
    ];
    let (answer, stdout) = invoke_once(event, &env).await;
    assert_eq!(answer.kind, "response", "{answer:?}");
    let body: Value = serde_json::from_str(&answer.body).expect("JSON answer");
    assert_eq!(
        (body["status"].as_str(), body["held"].as_u64()),
        (Some("acquired"), Some(1))
    );
    println!("bootstrap stdout:\n{stdout}");
    let lines: Vec<Value> = stdout
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l["_aws"].is_object() && l["Grants"] == 1),
        "no EMF:\n{stdout}"
    );
    assert!(
        lines.iter().any(|l| l["fields"]["request_id"] == "bench-1"),
        "no JSON log:\n{stdout}"
    );
}

#[tokio::test]
async fn misconfigured_bootstrap_answers_every_invocation_with_config_error() {
    let event = json!({"action": "acquire", "semaphore": "s", "holder": "h", "execution": "e"});
    let (answer, _) = invoke_once(event, &[("ASL_GUARD_DEFAULT_LIMIT", "0")]).await;
    assert_eq!(answer.kind, "error", "{answer:?}");
    let body: Value = serde_json::from_str(&answer.body).expect("JSON error");
    assert_eq!(body["errorType"], "Lease.ConfigError", "{body}");
    assert!(
        body["errorMessage"]
            .as_str()
            .unwrap_or("")
            .contains("ASL_GUARD_TABLE_NAME"),
        "{body}"
    );
}
