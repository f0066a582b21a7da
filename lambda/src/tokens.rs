//! Answering Step Functions task tokens (callback mode), behind a small trait.
//!
//! As with [`crate::store::Db`], the trait lets tests record deliveries and close tokens at
//! will, while the bootstrap uses the real Step Functions client. What matters to the hand-off
//! protocol is telling a token that can never take an answer ([`TokenError::Closed`]) from a
//! failure after which the answer may or may not have arrived ([`TokenError::Unknown`]).

use std::future::Future;

use aws_sdk_sfn::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_sfn::Client;

/// How answering a token failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// The task timed out, was stopped, was already answered, or the token is not one: no
    /// answer can ever reach it, so a slot granted to it may be taken back.
    #[error("task token closed: {0}")]
    Closed(String),
    /// The answer may or may not have arrived (throttling, a timeout, a dropped connection,
    /// or no client configured); the slot must stay with the holder.
    #[error("task token not answered: {0}")]
    Unknown(String),
    /// Step Functions refused the request itself (access denied, bad credentials, invalid
    /// output): the answer certainly did not arrive, and trying again will not help. Most
    /// often the function lacks `states:SendTaskSuccess` (Terraform: `callback_enabled`).
    #[error("task token answer refused: {0}")]
    Refused(String),
}

/// The two answers the lease manager gives a waiting Task.
pub trait Tokens: Send + Sync {
    /// `SendTaskSuccess` with `output` (a JSON document).
    fn succeed(
        &self,
        token: &str,
        output: String,
    ) -> impl Future<Output = Result<(), TokenError>> + Send;
    /// `SendTaskFailure` with an error name and a cause.
    fn fail(
        &self,
        token: &str,
        error: &str,
        cause: &str,
    ) -> impl Future<Output = Result<(), TokenError>> + Send;
}

/// No Step Functions client: every answer fails with [`TokenError::Unknown`]. Used where
/// only polling requests are served (tests and the benchmark of the polling mode).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoTokens;

impl Tokens for NoTokens {
    async fn succeed(&self, _: &str, _: String) -> Result<(), TokenError> {
        Err(TokenError::Unknown(
            "this lease manager has no Step Functions client".into(),
        ))
    }

    async fn fail(&self, _: &str, _: &str, _: &str) -> Result<(), TokenError> {
        Err(TokenError::Unknown(
            "this lease manager has no Step Functions client".into(),
        ))
    }
}

/// The real Step Functions client.
#[derive(Debug, Clone)]
pub struct StepFunctions {
    client: Client,
}

/// Error codes after which a token can never be answered.
const CLOSED_CODES: &[&str] = &["TaskTimedOut", "TaskDoesNotExist", "InvalidToken"];

/// Error codes of a request Step Functions refused without delivering it; retrying the same
/// request cannot succeed.
const REFUSED_CODES: &[&str] = &[
    "AccessDeniedException",
    "AccessDenied",
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "MissingAuthenticationTokenException",
    "InvalidOutput",
    "ValidationException",
    "KmsAccessDeniedException",
    "KmsInvalidStateException",
];

/// Attempts made for one answer while it fails with an unknown outcome.
const ATTEMPTS: u32 = 3;

impl StepFunctions {
    /// Builds a client from the standard AWS environment (`AWS_ENDPOINT_URL_SFN` points it at
    /// a local emulator in tests). The SDK's retries are off; [`answer`] owns the policy.
    pub async fn from_env() -> Self {
        StepFunctions {
            client: Client::new(&crate::store::sdk_config().await),
        }
    }
}

impl Tokens for StepFunctions {
    async fn succeed(&self, token: &str, output: String) -> Result<(), TokenError> {
        answer(|| async {
            self.client
                .send_task_success()
                .task_token(token)
                .output(output.clone())
                .send()
                .await
                .map(|_| ())
                .map_err(classify)
        })
        .await
    }

    async fn fail(&self, token: &str, error: &str, cause: &str) -> Result<(), TokenError> {
        answer(|| async {
            self.client
                .send_task_failure()
                .task_token(token)
                .error(error)
                .cause(cause)
                .send()
                .await
                .map(|_| ())
                .map_err(classify)
        })
        .await
    }
}

/// Retries `call` while its outcome is unknown. Retrying is safe because a token takes one
/// answer. A [`TokenError::Closed`] on a retry is reported as [`TokenError::Unknown`]: the
/// attempt whose response was lost may be the one that closed the token.
async fn answer<F, Fut>(mut call: F) -> Result<(), TokenError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), TokenError>>,
{
    let mut attempt = 0;
    loop {
        match call().await {
            Err(TokenError::Unknown(m)) if attempt + 1 < ATTEMPTS => {
                tracing::warn!(attempt, error = %m, "answering a task token failed; retrying");
                tokio::time::sleep(crate::store::jitter_ms(50 << attempt)).await;
                attempt += 1;
            }
            Err(TokenError::Closed(m)) if attempt > 0 => {
                return Err(TokenError::Unknown(format!(
                    "token closed on a retry, so an earlier attempt may have answered it: {m}"
                )))
            }
            other => return other,
        }
    }
}

fn classify<E, R>(err: SdkError<E, R>) -> TokenError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let text = DisplayErrorContext(&err).to_string();
    let code = err.code().unwrap_or_default();
    match &err {
        SdkError::ServiceError(_) if CLOSED_CODES.contains(&code) => TokenError::Closed(text),
        SdkError::ServiceError(_) if REFUSED_CODES.contains(&code) => TokenError::Refused(text),
        SdkError::ConstructionFailure(_) => TokenError::Refused(text),
        _ => TokenError::Unknown(text),
    }
}

/// A short, stable digest of a task token (FNV-1a, 64 bits, as 16 hex digits). Entries on
/// the semaphore item carry the digest, not the token: tokens are long, and the digest only
/// has to tell one token of a holder from the next.
pub fn digest(token: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in token.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_is_stable_and_tells_tokens_apart() {
        assert_eq!(digest(""), "cbf29ce484222325");
        assert_eq!(digest("a"), "af63dc4c8601ec8c");
        assert_ne!(digest("token-1"), digest("token-2"));
    }

    #[tokio::test]
    async fn a_closed_answer_after_a_lost_one_is_unknown() {
        let calls = std::sync::atomic::AtomicU32::new(0);
        let out = answer(|| async {
            match calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed) {
                0 => Err(TokenError::Unknown("connection reset".into())),
                _ => Err(TokenError::Closed("TaskTimedOut".into())),
            }
        })
        .await;
        assert!(matches!(out, Err(TokenError::Unknown(_))), "{out:?}");
        let first = answer(|| async { Err(TokenError::Closed("TaskTimedOut".into())) }).await;
        assert!(matches!(first, Err(TokenError::Closed(_))));
    }
}
