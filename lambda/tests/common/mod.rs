//! Shared set-up for the emulator tests: a client for dynalite on 127.0.0.1, a fresh table
//! per test, and one-line helpers that go through the real request parser and handler.
#![allow(dead_code)]

pub mod callback;

use std::sync::atomic::{AtomicU32, Ordering};

use asl_guard_lease::config::Config;
use asl_guard_lease::error::LeaseError;
use asl_guard_lease::handler::handle;
use asl_guard_lease::lease::Leases;
use asl_guard_lease::model::Clock;
use asl_guard_lease::protocol::Response;
use asl_guard_lease::store::{Db, DynamoDb, KEY};
use asl_guard_lease::tokens::Tokens;
use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use aws_sdk_dynamodb::Client;
use serde_json::{json, Value};

/// Environment variable naming the emulator endpoint.
pub const ENDPOINT_VAR: &str = "ASL_GUARD_DYNAMODB_ENDPOINT";

/// The emulator endpoint; fails the test with instructions when it is not set.
pub fn endpoint() -> String {
    match std::env::var(ENDPOINT_VAR) {
        Ok(e) if e.starts_with("http://127.0.0.1:") || e.starts_with("http://localhost:") => e,
        Ok(e) => panic!("{ENDPOINT_VAR}={e:?}: the emulator must listen on http://127.0.0.1:PORT"),
        Err(_) => panic!(
            "{ENDPOINT_VAR} is not set. These tests need the dynalite emulator: \
             (cd tools && npm ci) && node tools/dynalite-server.js 8000 & \
             export {ENDPOINT_VAR}=http://127.0.0.1:8000"
        ),
    }
}

/// A client for the emulator with dummy static credentials and a fixed region.
pub fn client() -> Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "static"))
        .endpoint_url(endpoint())
        .retry_config(aws_sdk_dynamodb::config::retry::RetryConfig::disabled())
        .build();
    Client::from_conf(config)
}

static TABLES: AtomicU32 = AtomicU32::new(0);

/// Creates a table with a unique name for `test` and returns its name.
pub async fn table(client: &Client, test: &str) -> String {
    let n = TABLES.fetch_add(1, Ordering::Relaxed);
    let name = format!("{test}-{}-{n}-{}", std::process::id(), rand_suffix());
    client
        .create_table()
        .table_name(&name)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(KEY)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .expect("attribute definition"),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name(KEY)
                .key_type(KeyType::Hash)
                .build()
                .expect("key schema"),
        )
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap_or_else(|e| panic!("create table {name} at {}: {e:?}", endpoint()));
    wait_active(client, &name).await;
    name
}

/// Waits until the table is ACTIVE (dynalite, like DynamoDB, creates tables asynchronously).
pub async fn wait_active(client: &Client, name: &str) {
    use aws_sdk_dynamodb::types::TableStatus;
    for _ in 0..200 {
        let out = client.describe_table().table_name(name).send().await;
        let status = out.ok().and_then(|o| o.table).and_then(|t| t.table_status);
        if status == Some(TableStatus::Active) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("table {name} did not become ACTIVE within 2 s");
}

fn rand_suffix() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos())
}

/// Test configuration for `table`.
pub fn config(table: &str, default_limit: u32) -> Config {
    Config {
        table: table.to_string(),
        default_limit,
        default_lease_seconds: 900,
        max_retry_after: 30,
    }
}

/// A manager on a fresh table.
pub async fn leases(test: &str, default_limit: u32) -> Leases<DynamoDb> {
    std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
    let client = client();
    let name = table(&client, test).await;
    Leases::new(
        DynamoDb::new(client, name.clone()),
        config(&name, default_limit),
        Clock::default(),
    )
}

/// Sends a JSON payload through the parser and handler.
pub async fn call<D: Db, T: Tokens>(
    leases: &Leases<D, T>,
    payload: Value,
) -> Result<Response, LeaseError> {
    handle(leases, payload, "test-request", false).await
}

/// Acquire payload.
pub fn acquire(semaphore: &str, holder: &str, execution: &str, limit: u32, weight: u32) -> Value {
    json!({"action": "acquire", "semaphore": semaphore, "holder": holder,
           "execution": execution, "limit": limit, "weight": weight})
}

/// Release payload.
pub fn release(semaphore: &str, holder: &str, lease_id: &str) -> Value {
    json!({"action": "release", "semaphore": semaphore, "holder": holder, "leaseId": lease_id})
}

/// Lease id of an `acquired` answer; panics (test only) on anything else.
pub fn lease_id(answer: &Response) -> String {
    match answer {
        Response::Acquired { lease_id, .. } => lease_id.clone(),
        other => panic!("expected acquired, got {other:?}"),
    }
}

/// Number of items in the table (a scan: test-only).
pub async fn item_count(client: &Client, table: &str) -> usize {
    let out = client.scan().table_name(table).send().await.expect("scan");
    out.items.map_or(0, |i| i.len())
}

/// Live weight on a semaphore as the manager computes it.
pub async fn held<D: Db, T: Tokens>(leases: &Leases<D, T>, semaphore: &str) -> u32 {
    let key = asl_guard_lease::model::semaphore_key(semaphore);
    let item = leases.db.get(&key).await.expect("get");
    asl_guard_lease::model::Semaphore::from_item(semaphore, item.as_ref())
        .expect("parse")
        .held(leases.clock.now())
}
