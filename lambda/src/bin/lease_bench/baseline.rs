//! The design the lease manager replaces, for comparison only: one item per lease under the
//! semaphore's partition key, acquire = Query (count) then PutItem, release = DeleteItem.
//! It is not safe under concurrency (count-then-put overshoots); here it is only measured.

use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType, Select,
};
use aws_sdk_dynamodb::Client;

/// Figures of one baseline acquire + release cycle.
#[derive(Debug, Default, Clone, Copy)]
pub struct Cycle {
    /// DynamoDB requests.
    pub requests: u64,
    /// Items the query read (ScannedCount).
    pub items_read: u64,
    /// Time of the acquire part.
    pub acquire: Duration,
    /// Time of the release part.
    pub release: Duration,
}

type BoxError = Box<dyn std::error::Error>;

/// Creates the baseline table (`pk` + `sk`).
pub async fn create_table(client: &Client, name: &str) -> Result<(), BoxError> {
    let attr = |n: &str| {
        AttributeDefinition::builder()
            .attribute_name(n)
            .attribute_type(ScalarAttributeType::S)
            .build()
    };
    let key = |n: &str, t| {
        KeySchemaElement::builder()
            .attribute_name(n)
            .key_type(t)
            .build()
    };
    client
        .create_table()
        .table_name(name)
        .attribute_definitions(attr("pk")?)
        .attribute_definitions(attr("sk")?)
        .key_schema(key("pk", KeyType::Hash)?)
        .key_schema(key("sk", KeyType::Range)?)
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await?;
    super::wait_active(client, name).await
}

/// Writes `n` lease items under `sem`.
pub async fn fill(client: &Client, table: &str, sem: &str, n: usize) -> Result<(), BoxError> {
    for i in 0..n {
        put(client, table, sem, &format!("held-{i:04}")).await?;
    }
    Ok(())
}

async fn put(client: &Client, table: &str, sem: &str, sk: &str) -> Result<(), BoxError> {
    client
        .put_item()
        .table_name(table)
        .item("pk", AttributeValue::S(sem.to_string()))
        .item("sk", AttributeValue::S(sk.to_string()))
        .item("exp", AttributeValue::N("9999999999".into()))
        .send()
        .await?;
    Ok(())
}

/// One acquire (count every lease page by page, then put) and release (delete).
pub async fn cycle(client: &Client, table: &str, sem: &str) -> Result<Cycle, BoxError> {
    let mut c = Cycle::default();
    let started = Instant::now();
    let mut start_key = None;
    loop {
        let page = client
            .query()
            .table_name(table)
            .key_condition_expression("pk = :p")
            .expression_attribute_values(":p", AttributeValue::S(sem.to_string()))
            .select(Select::Count)
            .consistent_read(true)
            .set_exclusive_start_key(start_key)
            .send()
            .await?;
        c.requests += 1;
        c.items_read += u64::try_from(page.scanned_count).unwrap_or(0);
        start_key = page.last_evaluated_key;
        if start_key.is_none() {
            break;
        }
    }
    put(client, table, sem, "probe").await?;
    c.requests += 1;
    c.acquire = started.elapsed();
    let started = Instant::now();
    client
        .delete_item()
        .table_name(table)
        .key("pk", AttributeValue::S(sem.to_string()))
        .key("sk", AttributeValue::S("probe".into()))
        .send()
        .await?;
    c.requests += 1;
    c.release = started.elapsed();
    Ok(c)
}
