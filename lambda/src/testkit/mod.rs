//! Test and benchmark helpers: wrappers around a [`Db`] that count requests or inject faults,
//! and a Lambda Runtime API stand-in ([`runtime_api`]) to drive the real `bootstrap` binary.
//!
//! The wrappers wrap the real client talking to the emulator, so a fault test still runs the
//! real conditional writes; only the failure is made up.

pub mod runtime_api;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use crate::store::{Db, DbError, Item, Update};
use crate::tokens::{TokenError, Tokens};

/// Counts the requests made and the items read through it.
#[derive(Debug, Default)]
pub struct CountingDb<D> {
    inner: D,
    requests: AtomicU64,
    items_read: AtomicU64,
}

impl<D> CountingDb<D> {
    /// Wraps `inner`.
    pub fn new(inner: D) -> Self {
        CountingDb {
            inner,
            requests: AtomicU64::new(0),
            items_read: AtomicU64::new(0),
        }
    }

    /// `(requests, items read)` so far, then resets both to zero.
    pub fn take(&self) -> (u64, u64) {
        (
            self.requests.swap(0, Ordering::Relaxed),
            self.items_read.swap(0, Ordering::Relaxed),
        )
    }
}

impl<D: Db> Db for CountingDb<D> {
    async fn get(&self, key: &str) -> Result<Option<Item>, DbError> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let item = self.inner.get(key).await?;
        self.items_read
            .fetch_add(u64::from(item.is_some()), Ordering::Relaxed);
        Ok(item)
    }

    async fn update(&self, update: Update) -> Result<Option<Item>, DbError> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.inner.update(update).await
    }

    async fn delete(&self, key: &str) -> Result<(), DbError> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.inner.delete(key).await
    }
}

/// A fault to inject into the next calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Let the call through untouched (to aim a later fault at a later call).
    Pass,
    /// Fail the call with a throttling error without reaching DynamoDB.
    Throttle,
    /// Perform the call, then report a transient error as if the answer was lost.
    LoseResponse,
}

/// Injects queued faults into calls, in order; with no fault queued it passes through.
#[derive(Debug, Default)]
pub struct FaultDb<D> {
    inner: D,
    queue: Mutex<Vec<(Op, Fault)>>,
}

/// Which call a queued fault applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `GetItem`.
    Get,
    /// `UpdateItem`.
    Update,
    /// Any call.
    Any,
}

impl<D> FaultDb<D> {
    /// Wraps `inner`.
    pub fn new(inner: D) -> Self {
        FaultDb {
            inner,
            queue: Mutex::new(Vec::new()),
        }
    }

    /// Queues `fault` for the next `times` calls of kind `op`.
    pub fn inject(&self, op: Op, fault: Fault, times: usize) {
        if let Ok(mut q) = self.queue.lock() {
            q.extend(std::iter::repeat_n((op, fault), times));
        }
    }

    /// Removes all queued faults.
    pub fn clear(&self) {
        if let Ok(mut q) = self.queue.lock() {
            q.clear();
        }
    }

    fn next(&self, op: Op) -> Option<Fault> {
        let mut q = self.queue.lock().ok()?;
        let at = q.iter().position(|(o, _)| *o == op || *o == Op::Any)?;
        Some(q.remove(at).1)
    }
}

fn throttled() -> DbError {
    DbError::Transient("ProvisionedThroughputExceededException (injected)".into())
}

impl<D: Db> Db for FaultDb<D> {
    async fn get(&self, key: &str) -> Result<Option<Item>, DbError> {
        match self.next(Op::Get) {
            Some(Fault::Throttle) => Err(throttled()),
            Some(Fault::LoseResponse) => {
                self.inner.get(key).await?;
                Err(DbError::Transient("response lost (injected)".into()))
            }
            Some(Fault::Pass) | None => self.inner.get(key).await,
        }
    }

    async fn update(&self, update: Update) -> Result<Option<Item>, DbError> {
        match self.next(Op::Update) {
            Some(Fault::Throttle) => Err(throttled()),
            Some(Fault::LoseResponse) => {
                self.inner.update(update).await?;
                Err(DbError::Transient("response lost (injected)".into()))
            }
            Some(Fault::Pass) | None => self.inner.update(update).await,
        }
    }

    async fn delete(&self, key: &str) -> Result<(), DbError> {
        match self.next(Op::Any) {
            Some(Fault::Throttle) => Err(throttled()),
            _ => self.inner.delete(key).await,
        }
    }
}

impl<D: Db> Db for &D {
    async fn get(&self, key: &str) -> Result<Option<Item>, DbError> {
        (**self).get(key).await
    }

    async fn update(&self, update: Update) -> Result<Option<Item>, DbError> {
        (**self).update(update).await
    }

    async fn delete(&self, key: &str) -> Result<(), DbError> {
        (**self).delete(key).await
    }
}

/// What a [`RecordingTokens`] received for one token.
#[derive(Debug, Clone, PartialEq)]
pub enum TokenAnswer {
    /// `SendTaskSuccess` with this output.
    Success(serde_json::Value),
    /// `SendTaskFailure` with this error name.
    Failure(String),
}

#[derive(Debug, Default)]
struct TokenLog {
    answers: Vec<(String, TokenAnswer)>,
    closed: std::collections::HashSet<String>,
    lose: usize,
    refuse: usize,
    denied: bool,
}

/// Stands in for Step Functions in callback tests, with its rules: a token takes exactly one
/// answer, after which (or after [`RecordingTokens::close`], a timed-out or stopped Task)
/// every answer fails as closed. Can also lose responses or fail with an unknown outcome.
#[derive(Debug, Clone, Default)]
pub struct RecordingTokens {
    log: std::sync::Arc<Mutex<TokenLog>>,
}

impl RecordingTokens {
    /// A recorder with no answers yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Closes `token` as a timed-out or stopped Task would.
    pub fn close(&self, token: &str) {
        self.lock().closed.insert(token.to_string());
    }

    /// The next `n` answers arrive but their responses are lost (outcome unknown).
    pub fn lose_responses(&self, n: usize) {
        self.lock().lose = n;
    }

    /// The next `n` answers fail before arriving (outcome unknown).
    pub fn refuse(&self, n: usize) {
        self.lock().refuse = n;
    }

    /// While `denied`, every answer is refused as by missing IAM permissions.
    pub fn deny(&self, denied: bool) {
        self.lock().denied = denied;
    }

    /// Every answer delivered, in order.
    pub fn answers(&self) -> Vec<(String, TokenAnswer)> {
        self.lock().answers.clone()
    }

    /// The answer `token` received, if any.
    pub fn answer_of(&self, token: &str) -> Option<TokenAnswer> {
        let log = self.lock();
        log.answers
            .iter()
            .find(|(t, _)| t == token)
            .map(|(_, a)| a.clone())
    }

    /// The lease id `token` was granted, or why it was not (no answer, a failure, or a
    /// success that is not an `acquired` answer).
    pub fn granted_lease(&self, token: &str) -> Result<String, String> {
        match self.answer_of(token) {
            Some(TokenAnswer::Success(v)) if v["status"] == "acquired" => v["leaseId"]
                .as_str()
                .map(str::to_string)
                .ok_or_else(|| format!("token {token}: answer without leaseId: {v}")),
            other => Err(format!("token {token} was not granted: {other:?}")),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, TokenLog> {
        self.log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn deliver(&self, token: &str, answer: TokenAnswer) -> Result<(), TokenError> {
        let mut log = self.lock();
        if log.denied {
            return Err(TokenError::Refused("AccessDeniedException".into()));
        }
        if log.refuse > 0 {
            log.refuse -= 1;
            return Err(TokenError::Unknown("connection refused".into()));
        }
        if log.closed.contains(token) {
            return Err(TokenError::Closed("TaskTimedOut".into()));
        }
        log.closed.insert(token.to_string());
        log.answers.push((token.to_string(), answer));
        if log.lose > 0 {
            log.lose -= 1;
            return Err(TokenError::Unknown("response lost".into()));
        }
        Ok(())
    }
}

impl Tokens for RecordingTokens {
    async fn succeed(&self, token: &str, output: String) -> Result<(), TokenError> {
        let value = serde_json::from_str(&output).unwrap_or(serde_json::Value::Null);
        self.deliver(token, TokenAnswer::Success(value))
    }

    async fn fail(&self, token: &str, error: &str, _cause: &str) -> Result<(), TokenError> {
        self.deliver(token, TokenAnswer::Failure(error.to_string()))
    }
}
