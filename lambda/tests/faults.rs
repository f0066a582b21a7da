//! Invariants 2, 3, 4 and 7 against the emulator: idempotent acquire after lost answers,
//! fenced and idempotent release, expiry honoured before TTL, throttling answered with wait.

mod common;

use asl_guard_lease::error::LeaseError;
use asl_guard_lease::lease::Leases;
use asl_guard_lease::model::{semaphore_key, HOLDERS};
use asl_guard_lease::protocol::Response;
use asl_guard_lease::store::{Db, DynamoDb};
use asl_guard_lease::testkit::{Fault, FaultDb, Op};
use common::{acquire, call, held, lease_id, release};
use serde_json::json;

const SEM: &str = "payments-api";
const EXEC: &str = "arn:aws:states:us-east-1:123456789012:execution:sm:run-1";

async fn faulty(test: &str, limit: u32) -> Leases<FaultDb<DynamoDb>> {
    let base = common::leases(test, limit).await;
    Leases::new(FaultDb::new(base.db), base.config, base.clock)
}

fn is_wait(answer: &Result<Response, LeaseError>) -> bool {
    matches!(answer, Ok(Response::Wait { retry_after_seconds, .. }) if *retry_after_seconds >= 1)
}

#[tokio::test]
async fn acquire_repeated_by_the_same_holder_returns_the_same_lease() {
    let leases = common::leases("idem", 1).await;
    let first = call(&leases, acquire(SEM, "h1", EXEC, 1, 1)).await.unwrap();
    let again = call(&leases, acquire(SEM, "h1", EXEC, 1, 1)).await.unwrap();
    assert_eq!(first, again, "a retried acquire must answer the same lease");
    assert_eq!(held(&leases, SEM).await, 1);
    assert!(is_wait(
        &call(&leases, acquire(SEM, "h2", EXEC, 1, 1)).await
    ));
}

#[tokio::test]
async fn acquire_whose_write_landed_but_answer_was_lost_finds_its_lease() {
    let leases = faulty("lostwrite", 1).await;
    // Index write passes; the grant is written but its answer is lost, so the internal
    // retry meets a failed condition, reads again, and must find its own entry.
    leases.db.inject(Op::Update, Fault::Pass, 1);
    leases.db.inject(Op::Update, Fault::LoseResponse, 1);
    let answer = call(&leases, acquire(SEM, "h1", EXEC, 1, 1)).await.unwrap();
    let id = lease_id(&answer);
    assert_eq!(held(&leases, SEM).await, 1);
    let again = call(&leases, acquire(SEM, "h1", EXEC, 1, 1)).await.unwrap();
    assert_eq!(lease_id(&again), id);
}

#[tokio::test]
async fn acquire_answered_wait_after_an_ambiguous_write_is_granted_once_on_retry() {
    let leases = faulty("ambiguous", 2).await;
    leases.db.inject(Op::Update, Fault::Pass, 1);
    leases.db.inject(Op::Update, Fault::LoseResponse, 1);
    leases.db.inject(Op::Update, Fault::Throttle, 2);
    let first = call(&leases, acquire(SEM, "h1", EXEC, 2, 1)).await;
    assert!(
        is_wait(&first),
        "unknown outcome must answer wait, got {first:?}"
    );
    leases.db.clear();
    let second = call(&leases, acquire(SEM, "h1", EXEC, 2, 1)).await.unwrap();
    assert!(
        matches!(second, Response::Acquired { held: 1, .. }),
        "{second:?}"
    );
    assert_eq!(
        held(&leases, SEM).await,
        1,
        "the retry must not take a second slot"
    );
}

#[tokio::test]
async fn throttled_reads_answer_wait_and_write_nothing() {
    let leases = faulty("throttleget", 3).await;
    leases.db.inject(Op::Get, Fault::Throttle, 3);
    assert!(is_wait(
        &call(&leases, acquire(SEM, "h1", EXEC, 3, 1)).await
    ));
    assert_eq!(held(&leases, SEM).await, 0);
    let table = leases.config.table.clone();
    let client = common::client();
    assert_eq!(
        common::item_count(&client, &table).await,
        0,
        "nothing may be written"
    );
    assert!(matches!(
        call(&leases, acquire(SEM, "h1", EXEC, 3, 1)).await,
        Ok(Response::Acquired { .. })
    ));
}

#[tokio::test]
async fn throttled_grant_answers_wait_never_acquired() {
    let leases = faulty("throttleput", 3).await;
    leases.db.inject(Op::Update, Fault::Pass, 1);
    leases.db.inject(Op::Update, Fault::Throttle, 3);
    assert!(is_wait(
        &call(&leases, acquire(SEM, "h1", EXEC, 3, 1)).await
    ));
    assert_eq!(held(&leases, SEM).await, 0);
}

#[tokio::test]
async fn throttling_that_clears_within_the_retries_still_grants() {
    let leases = faulty("throttleshort", 3).await;
    leases.db.inject(Op::Get, Fault::Throttle, 2);
    let answer = call(&leases, acquire(SEM, "h1", EXEC, 3, 1)).await;
    assert!(
        matches!(answer, Ok(Response::Acquired { .. })),
        "{answer:?}"
    );
}

#[tokio::test]
async fn throttled_release_fails_with_a_retryable_error_and_keeps_the_lease() {
    let leases = faulty("throttlerel", 3).await;
    let id = lease_id(&call(&leases, acquire(SEM, "h1", EXEC, 3, 1)).await.unwrap());
    leases.db.inject(Op::Update, Fault::Throttle, 3);
    let err = call(&leases, release(SEM, "h1", &id)).await.unwrap_err();
    assert_eq!(err.error_type(), "Lease.Unavailable");
    assert_eq!(held(&leases, SEM).await, 1);
    assert_eq!(
        call(&leases, release(SEM, "h1", &id)).await,
        Ok(Response::Released)
    );
}

#[tokio::test]
async fn double_release_frees_one_slot_only() {
    let leases = common::leases("double", 2).await;
    let a = lease_id(&call(&leases, acquire(SEM, "a", EXEC, 2, 1)).await.unwrap());
    lease_id(&call(&leases, acquire(SEM, "b", EXEC, 2, 1)).await.unwrap());
    assert_eq!(
        call(&leases, release(SEM, "a", &a)).await,
        Ok(Response::Released)
    );
    assert_eq!(
        call(&leases, release(SEM, "a", &a)).await,
        Ok(Response::NotHeld)
    );
    assert_eq!(held(&leases, SEM).await, 1, "b must still hold its slot");
}

#[tokio::test]
async fn release_of_unknown_or_foreign_lease_frees_nothing() {
    let leases = common::leases("foreign", 2).await;
    let a = lease_id(&call(&leases, acquire(SEM, "a", EXEC, 2, 1)).await.unwrap());
    let b = lease_id(&call(&leases, acquire(SEM, "b", EXEC, 2, 1)).await.unwrap());
    let forged = format!("000000000000000000000000.{}", leases.clock.now() + 900);
    for (holder, id) in [
        ("a", b.as_str()),
        ("b", a.as_str()),
        ("a", forged.as_str()),
        ("c", &a),
    ] {
        assert_eq!(
            call(&leases, release(SEM, holder, id)).await,
            Ok(Response::NotHeld)
        );
    }
    assert_eq!(
        call(&leases, release("other-sem", "a", &a)).await,
        Ok(Response::NotHeld)
    );
    assert_eq!(held(&leases, SEM).await, 2);
}

#[tokio::test]
async fn expired_lease_stops_counting_before_ttl_deletes_it() {
    let leases = common::leases("expiry", 1).await;
    let payload = json!({"action": "acquire", "semaphore": SEM, "holder": "a",
                         "execution": EXEC, "leaseSeconds": 60});
    let a = lease_id(&call(&leases, payload).await.unwrap());
    assert!(is_wait(&call(&leases, acquire(SEM, "b", EXEC, 1, 1)).await));
    leases.clock.advance(60);
    assert_eq!(
        stored_holders(&leases).await,
        1,
        "the expired entry is still stored"
    );
    assert_eq!(held(&leases, SEM).await, 0, "but it no longer counts");
    let b = call(&leases, acquire(SEM, "b", EXEC, 1, 1)).await.unwrap();
    assert!(matches!(b, Response::Acquired { held: 1, .. }), "{b:?}");
    assert_eq!(
        stored_holders(&leases).await,
        1,
        "the grant pruned the expired entry"
    );
    assert_eq!(
        call(&leases, release(SEM, "a", &a)).await,
        Ok(Response::Lost)
    );
    assert_eq!(
        held(&leases, SEM).await,
        1,
        "a's late release must not free b's slot"
    );
}

#[tokio::test]
async fn release_after_expiry_answers_lost_and_removes_the_entry() {
    let leases = common::leases("lost", 1).await;
    let a = lease_id(&call(&leases, acquire(SEM, "a", EXEC, 1, 1)).await.unwrap());
    leases.clock.advance(901);
    assert_eq!(
        call(&leases, release(SEM, "a", &a)).await,
        Ok(Response::Lost)
    );
    assert_eq!(stored_holders(&leases).await, 0);
    assert_eq!(
        call(&leases, release(SEM, "a", &a)).await,
        Ok(Response::Lost)
    );
}

async fn stored_holders<D: Db>(leases: &Leases<D>) -> usize {
    let item = leases
        .db
        .get(&semaphore_key(SEM))
        .await
        .unwrap()
        .unwrap_or_default();
    item.get(HOLDERS)
        .and_then(|h| h.as_m().ok())
        .map_or(0, |m| m.len())
}

/// A client for a port on 127.0.0.1 that this test bound and closed again: every call fails
/// with a real connection error, not an injected one.
async fn unreachable(test: &str) -> Leases<DynamoDb> {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
        .region(aws_sdk_dynamodb::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "test", "test", None, None, "static",
        ))
        .endpoint_url(format!("http://127.0.0.1:{port}"))
        .build();
    let client = aws_sdk_dynamodb::Client::from_conf(config);
    Leases::new(
        DynamoDb::new(client, test),
        common::config(test, 3),
        Default::default(),
    )
}

#[tokio::test]
async fn unreachable_dynamodb_answers_wait_for_acquire_and_unavailable_for_release() {
    let leases = unreachable("down").await;
    assert!(is_wait(
        &call(&leases, acquire(SEM, "h1", EXEC, 3, 1)).await
    ));
    let err = call(&leases, release(SEM, "h1", "x.1")).await.unwrap_err();
    assert_eq!(err.error_type(), "Lease.Unavailable");
}

#[tokio::test]
async fn missing_table_is_a_config_error() {
    let base = common::leases("missingtable", 1).await;
    let config = common::config("no-such-table", 1);
    let leases = Leases::new(
        DynamoDb::new(base.db.client().clone(), "no-such-table"),
        config,
        base.clock,
    );
    let err = call(&leases, acquire(SEM, "h1", EXEC, 1, 1))
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "Lease.ConfigError", "{err}");
}
