//! Helpers of the callback-mode tests: a manager answering tokens through a recorder, the
//! acquire payload with a token, and reading what the recorder and the item hold.

use asl_guard_lease::lease::Leases;
use asl_guard_lease::model::{semaphore_key, Semaphore};
use asl_guard_lease::store::{Db, DynamoDb};
use asl_guard_lease::testkit::{RecordingTokens, TokenAnswer};
use asl_guard_lease::tokens::Tokens;
use serde_json::{json, Value};

/// An execution ARN.
pub const E: &str = "arn:aws:states:us-east-1:123456789012:execution:sm:one";
/// Another execution ARN.
pub const F: &str = "arn:aws:states:us-east-1:123456789012:execution:sm:two";

/// A manager whose storage is `wrap(DynamoDb)` on a fresh table, answering tokens through
/// the returned recorder.
pub async fn manager_with<D: Db>(
    test: &str,
    default_limit: u32,
    wrap: impl FnOnce(DynamoDb) -> D,
) -> (Leases<D, RecordingTokens>, RecordingTokens) {
    let tokens = RecordingTokens::new();
    let plain = super::leases(test, default_limit).await;
    let leases = Leases {
        db: wrap(plain.db),
        config: plain.config,
        clock: plain.clock,
        tokens: tokens.clone(),
    };
    (leases, tokens)
}

/// A manager on a fresh table, answering tokens through the returned recorder.
pub async fn manager(
    test: &str,
    default_limit: u32,
) -> (Leases<DynamoDb, RecordingTokens>, RecordingTokens) {
    manager_with(test, default_limit, |db| db).await
}

/// Callback acquire payload on semaphore `s`.
pub fn acquire_cb(holder: &str, execution: &str, limit: u32, token: &str, wait: u32) -> Value {
    json!({"action": "acquire", "semaphore": "s", "holder": holder, "execution": execution,
           "limit": limit, "taskToken": token, "waitSeconds": wait})
}

/// The lease id a token was answered with; panics (test only) if it was not granted.
pub fn granted(tokens: &RecordingTokens, token: &str) -> String {
    tokens
        .granted_lease(token)
        .unwrap_or_else(|why| panic!("{why}"))
}

/// Tokens answered with success, in the order answered.
pub fn successes(tokens: &RecordingTokens) -> Vec<String> {
    tokens
        .answers()
        .into_iter()
        .filter(|(_, a)| matches!(a, TokenAnswer::Success(_)))
        .map(|(t, _)| t)
        .collect()
}

/// Semaphore `s` as stored.
pub async fn semaphore<D: Db, T: Tokens>(m: &Leases<D, T>) -> Semaphore {
    let item = m.db.get(&semaphore_key("s")).await.expect("get");
    Semaphore::from_item("s", item.as_ref()).expect("parse")
}

/// Callback acquire of `holder` with token `t<holder>` and a 600 s wait; panics (test only)
/// if the invocation fails.
pub async fn enter<D: Db, T: Tokens>(
    m: &Leases<D, T>,
    holder: &str,
    execution: &str,
    limit: u32,
) -> asl_guard_lease::protocol::Response {
    let payload = acquire_cb(holder, execution, limit, &format!("t{holder}"), 600);
    super::call(m, payload)
        .await
        .unwrap_or_else(|e| panic!("acquire of {holder}: {e}"))
}
