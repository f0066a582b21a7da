//! The three DynamoDB calls the lease manager makes, behind a small trait.
//!
//! The trait exists so tests can wrap the real client (inject throttling, lose responses) and
//! the benchmark can count requests; the logic is always proven against the emulator. Errors are
//! sorted into the three kinds the logic cares about: a failed condition (contention or fencing),
//! transient (retried with jitter, then answered as `wait`), and fatal (configuration).

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use aws_sdk_dynamodb::Client;

/// One DynamoDB item.
pub type Item = HashMap<String, AttributeValue>;

/// Name of the partition key attribute (string) of the table.
pub const KEY: &str = "pk";

/// How a DynamoDB call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DbError {
    /// The condition expression was false: nothing was written.
    #[error("condition check failed")]
    ConditionFailed,
    /// Throttling, a 5xx, a timeout or a dropped connection: worth retrying.
    #[error("transient DynamoDB error: {0}")]
    Transient(String),
    /// Anything retrying cannot fix (missing table, access denied, bad expression).
    #[error("DynamoDB error: {0}")]
    Fatal(String),
}

/// One conditional `UpdateItem`.
#[derive(Debug, Clone, Default)]
pub struct Update {
    /// Partition key value.
    pub key: String,
    /// `UpdateExpression`.
    pub expression: String,
    /// `ConditionExpression`, if any.
    pub condition: Option<String>,
    /// `ExpressionAttributeNames`.
    pub names: HashMap<String, String>,
    /// `ExpressionAttributeValues`.
    pub values: HashMap<String, AttributeValue>,
    /// `ReturnValues`.
    pub returns: Option<ReturnValue>,
}

impl Update {
    /// An update of the item with partition key `key`, to be filled in.
    pub fn on(key: &str) -> Update {
        Update {
            key: key.to_string(),
            ..Update::default()
        }
    }
}

/// The DynamoDB operations the lease manager uses.
pub trait Db: Send + Sync {
    /// Strongly consistent `GetItem`.
    fn get(&self, key: &str) -> impl Future<Output = Result<Option<Item>, DbError>> + Send;
    /// `UpdateItem`; returns the attributes asked for by `returns`.
    fn update(&self, update: Update) -> impl Future<Output = Result<Option<Item>, DbError>> + Send;
    /// Unconditional `DeleteItem`.
    fn delete(&self, key: &str) -> impl Future<Output = Result<(), DbError>> + Send;
}

/// The real DynamoDB client bound to one table.
#[derive(Debug, Clone)]
pub struct DynamoDb {
    client: Client,
    table: String,
}

impl DynamoDb {
    /// Wraps `client` for `table`.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoDb {
            client,
            table: table.into(),
        }
    }

    /// Builds a client from the standard AWS environment (region, credentials and
    /// `AWS_ENDPOINT_URL`). The SDK's own retries are off: [`with_retries`] owns the policy.
    pub async fn from_env(table: impl Into<String>) -> Self {
        DynamoDb::new(Client::new(&sdk_config().await), table)
    }

    /// The underlying client (tests use it to create tables).
    pub fn client(&self) -> &Client {
        &self.client
    }
}

impl Db for DynamoDb {
    async fn get(&self, key: &str) -> Result<Option<Item>, DbError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(KEY, AttributeValue::S(key.to_string()))
            .consistent_read(true)
            .send()
            .await
            .map_err(classify)?;
        Ok(out.item)
    }

    async fn update(&self, u: Update) -> Result<Option<Item>, DbError> {
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(KEY, AttributeValue::S(u.key))
            .update_expression(u.expression)
            .set_condition_expression(u.condition)
            .set_expression_attribute_names((!u.names.is_empty()).then_some(u.names))
            .set_expression_attribute_values((!u.values.is_empty()).then_some(u.values))
            .set_return_values(u.returns)
            .send()
            .await
            .map_err(classify)?;
        Ok(out.attributes)
    }

    async fn delete(&self, key: &str) -> Result<(), DbError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key(KEY, AttributeValue::S(key.to_string()))
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }
}

/// The AWS SDK configuration of every client of the function, from the standard environment:
/// short connect and attempt timeouts, and one attempt per call, because the callers own
/// their retry policy (a lease call must answer well inside the guard's Task timeout).
pub async fn sdk_config() -> aws_config::SdkConfig {
    let timeouts = aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(2))
        .operation_attempt_timeout(Duration::from_secs(3))
        .build();
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(1))
        .timeout_config(timeouts)
        .load()
        .await
}

/// Error codes DynamoDB documents as retryable.
const TRANSIENT_CODES: &[&str] = &[
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "LimitExceededException",
];

/// Sorts an SDK error into a [`DbError`].
pub fn classify<E, R>(err: SdkError<E, R>) -> DbError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let text = DisplayErrorContext(&err).to_string();
    match &err {
        SdkError::ServiceError(_) => match err.code() {
            Some("ConditionalCheckFailedException") => DbError::ConditionFailed,
            Some(code) if TRANSIENT_CODES.contains(&code) => DbError::Transient(text),
            _ => DbError::Fatal(text),
        },
        SdkError::ConstructionFailure(_) => DbError::Fatal(text),
        _ => DbError::Transient(text),
    }
}

/// Attempts made for one call before a transient error is given up on.
pub const ATTEMPTS: u32 = 3;

/// Runs `call` up to [`ATTEMPTS`] times while it fails transiently, sleeping a jittered,
/// doubling delay (full jitter over 25, 50, 100 ms) in between.
pub async fn with_retries<T, F, Fut>(mut call: F) -> Result<T, DbError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, DbError>>,
{
    let mut attempt = 0;
    loop {
        match call().await {
            Err(DbError::Transient(msg)) if attempt + 1 < ATTEMPTS => {
                tracing::warn!(attempt, error = %msg, "transient DynamoDB error; retrying");
                tokio::time::sleep(jitter_ms(25 << attempt)).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// A random delay from 0 to `max_ms` milliseconds.
pub fn jitter_ms(max_ms: u64) -> Duration {
    Duration::from_millis(rand::random_range(0..=max_ms))
}
