//! The request contract against the emulator: every bad field refused with nothing written,
//! answers in the exact wire format, the limit precedence (invariant 6) and wait backoff.

mod common;

use asl_guard_lease::model::{semaphore_key, HOLDERS, LIMIT};
use asl_guard_lease::protocol::Response;
use aws_sdk_dynamodb::types::AttributeValue;
use common::{acquire, call, held, lease_id};
use serde_json::{json, Value};

const EXEC: &str = "arn:aws:states:us-east-1:123456789012:execution:sm:run-1";

fn long(n: usize) -> String {
    "x".repeat(n)
}

/// `(payload, field the message must name)`.
fn bad_requests() -> Vec<(Value, &'static str)> {
    let ok = || json!({"action": "acquire", "semaphore": "s", "holder": "h", "execution": EXEC});
    let with = |k: &str, v: Value| {
        let mut p = ok();
        p[k] = v;
        p
    };
    let without = |k: &str| {
        let mut p = ok();
        p.as_object_mut().map(|m| m.remove(k));
        p
    };
    vec![
        (json!("acquire"), "object"),
        (json!({"semaphore": "s"}), "action"),
        (with("action", json!("grab")), "action"),
        (with("action", json!(7)), "action"),
        (with("extra", json!(1)), "extra"),
        (without("semaphore"), "semaphore"),
        (with("semaphore", json!("")), "semaphore"),
        (with("semaphore", json!(long(129))), "semaphore"),
        (with("semaphore", json!(42)), "semaphore"),
        (with("semaphore", json!("a\nb")), "semaphore"),
        (without("holder"), "holder"),
        (with("holder", json!(long(257))), "holder"),
        (without("execution"), "execution"),
        (with("execution", json!("")), "execution"),
        (with("limit", json!(0)), "limit"),
        (with("limit", json!(5001)), "limit"),
        (with("limit", json!("5")), "limit"),
        (with("limit", json!(-1)), "limit"),
        (with("weight", json!(0)), "weight"),
        (with("weight", json!(1.5)), "weight"),
        (with("leaseSeconds", json!(0)), "leaseSeconds"),
        (with("leaseSeconds", json!(31_536_001)), "leaseSeconds"),
        (with("lease_seconds", json!(5)), "lease_seconds"),
        (
            json!({"action": "release", "semaphore": "s", "holder": "h"}),
            "leaseId",
        ),
        (
            json!({"action": "release", "semaphore": "s", "holder": "h", "leaseId": ""}),
            "leaseId",
        ),
        (
            json!({"action": "release", "semaphore": "s", "holder": "h", "leaseId": "x",
                "execution": EXEC}),
            "execution",
        ),
        (
            json!({"action": "releaseExecution", "semaphore": "s"}),
            "execution",
        ),
        (
            json!({"action": "releaseExecution", "semaphore": "", "execution": EXEC}),
            "semaphore",
        ),
        (
            json!({"detail-type": "Step Functions Execution Status Change", "source": "aws.s3",
                "detail": {"executionArn": EXEC, "status": "FAILED"}}),
            "source",
        ),
        (
            json!({"detail-type": "Step Functions Execution Status Change", "source": "aws.states",
                "detail": {"status": "FAILED"}}),
            "detail.executionArn",
        ),
    ]
}

#[tokio::test]
async fn every_bad_field_is_refused_by_name_and_nothing_is_written() {
    let leases = common::leases("invalid", 3).await;
    for (payload, field) in bad_requests() {
        let err = call(&leases, payload.clone())
            .await
            .expect_err(&payload.to_string());
        assert_eq!(err.error_type(), "Lease.InvalidRequest", "{payload}");
        assert!(
            err.to_string().contains(field),
            "{payload}: {err} should name {field}"
        );
    }
    let client = common::client();
    assert_eq!(common::item_count(&client, &leases.config.table).await, 0);
}

#[tokio::test]
async fn answers_use_the_exact_wire_format() {
    let leases = common::leases("wire", 1).await;
    let a = call(&leases, acquire("s", "h1", EXEC, 1, 1)).await.unwrap();
    let v = serde_json::to_value(&a).unwrap();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys.len(), 5, "{v}");
    for k in ["status", "leaseId", "expiresAt", "held", "limit"] {
        assert!(v.get(k).is_some(), "{k} missing in {v}");
    }
    assert_eq!(
        (
            v["status"].as_str(),
            v["held"].as_u64(),
            v["limit"].as_u64()
        ),
        (Some("acquired"), Some(1), Some(1))
    );
    assert!(v["expiresAt"].as_i64().unwrap() > 1_700_000_000);
    let w =
        serde_json::to_value(call(&leases, acquire("s", "h2", EXEC, 1, 1)).await.unwrap()).unwrap();
    assert_eq!(w["status"], "wait");
    assert!(w["retryAfterSeconds"].is_u64(), "whole seconds: {w}");
    let r = json!({"action": "release", "semaphore": "s", "holder": "h1", "leaseId": lease_id(&a)});
    let r = serde_json::to_value(call(&leases, r).await.unwrap()).unwrap();
    assert_eq!(r, json!({"status": "released"}));
    assert_eq!(
        serde_json::to_value(Response::NotHeld).unwrap(),
        json!({"status": "not_held"})
    );
    assert_eq!(
        serde_json::to_value(Response::Lost).unwrap(),
        json!({"status": "lost"})
    );
}

async fn store_limit(
    leases: &asl_guard_lease::lease::Leases<asl_guard_lease::store::DynamoDb>,
    n: u32,
) {
    leases
        .db
        .client()
        .update_item()
        .table_name(&leases.config.table)
        .key("pk", AttributeValue::S(semaphore_key("s")))
        .update_expression("SET #l = :n")
        .expression_attribute_names("#l", LIMIT)
        .expression_attribute_values(":n", AttributeValue::N(n.to_string()))
        .send()
        .await
        .expect("operator sets the limit");
}

#[tokio::test]
async fn stored_limit_wins_over_request_and_default_and_changes_at_run_time() {
    let leases = common::leases("limit", 1).await;
    let no_limit =
        |h: &str| json!({"action": "acquire", "semaphore": "s", "holder": h, "execution": EXEC});
    assert!(matches!(
        call(&leases, no_limit("a")).await,
        Ok(Response::Acquired { limit: 1, .. })
    ));
    assert!(matches!(
        call(&leases, acquire("s", "b", EXEC, 2, 1)).await,
        Ok(Response::Acquired { limit: 2, .. })
    ));
    store_limit(&leases, 4).await;
    for h in ["c", "d"] {
        assert!(matches!(
            call(&leases, acquire("s", h, EXEC, 2, 1)).await,
            Ok(Response::Acquired { limit: 4, .. })
        ));
    }
    assert!(matches!(
        call(&leases, acquire("s", "e", EXEC, 9, 1)).await,
        Ok(Response::Wait {
            held: 4,
            limit: 4,
            ..
        })
    ));
    store_limit(&leases, 5).await;
    assert!(matches!(
        call(&leases, acquire("s", "e", EXEC, 1, 1)).await,
        Ok(Response::Acquired { held: 5, .. })
    ));
    store_limit(&leases, 2).await;
    assert_eq!(
        held(&leases, "s").await,
        5,
        "lowering the limit revokes nothing"
    );
    assert!(matches!(
        call(&leases, acquire("s", "f", EXEC, 9, 1)).await,
        Ok(Response::Wait { limit: 2, .. })
    ));
    store_limit(&leases, 0).await;
    let paused = call(&leases, acquire("s", "p", EXEC, 9, 3)).await;
    assert!(
        matches!(paused, Ok(Response::Wait { limit: 0, .. })),
        "paused: {paused:?}"
    );
}

#[tokio::test]
async fn limit_stored_before_any_acquire_applies_to_the_first_grants() {
    let leases = common::leases("limitfirst", 1).await;
    store_limit(&leases, 2).await;
    for h in ["a", "b"] {
        let answer = call(&leases, acquire("s", h, EXEC, 1, 1)).await;
        assert!(
            matches!(answer, Ok(Response::Acquired { limit: 2, .. })),
            "{answer:?}"
        );
    }
    let answer = call(&leases, acquire("s", "c", EXEC, 1, 1)).await;
    assert!(
        matches!(
            answer,
            Ok(Response::Wait {
                held: 2,
                limit: 2,
                ..
            })
        ),
        "{answer:?}"
    );
}

#[tokio::test]
async fn weight_above_the_limit_is_refused() {
    let leases = common::leases("overweight", 3).await;
    let err = call(&leases, acquire("s", "h", EXEC, 3, 4))
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "Lease.InvalidRequest");
    assert!(err.to_string().contains("weight"));
}

#[tokio::test]
async fn waiting_holder_backs_off_without_touching_the_semaphore_item() {
    let leases = common::leases("backoff", 1).await;
    lease_id(
        &call(&leases, acquire("s", "owner", EXEC, 1, 1))
            .await
            .unwrap(),
    );
    let mut delays = Vec::new();
    for _ in 0..8 {
        match call(&leases, acquire("s", "waiter", EXEC, 1, 1))
            .await
            .unwrap()
        {
            Response::Wait {
                retry_after_seconds,
                held: 1,
                limit: 1,
            } => delays.push(retry_after_seconds),
            other => panic!("{other:?}"),
        }
    }
    println!("retryAfterSeconds over 8 waits: {delays:?}");
    assert!(delays[0] <= 2 && delays[0] >= 1, "{delays:?}");
    assert!(
        delays[5..].iter().all(|d| (15..=30).contains(d)),
        "{delays:?}"
    );
    let item = leases
        .db
        .client()
        .get_item()
        .table_name(&leases.config.table)
        .key("pk", AttributeValue::S(semaphore_key("s")))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    assert_eq!(
        item[HOLDERS].as_m().unwrap().len(),
        1,
        "waiters are not stored as holders"
    );
    assert_eq!(held(&leases, "s").await, 1);
}

#[tokio::test]
async fn malformed_semaphore_item_is_a_config_error() {
    let leases = common::leases("corrupt", 1).await;
    leases
        .db
        .client()
        .put_item()
        .table_name(&leases.config.table)
        .item("pk", AttributeValue::S(semaphore_key("s")))
        .item(HOLDERS, AttributeValue::S("oops".into()))
        .send()
        .await
        .unwrap();
    let err = call(&leases, acquire("s", "h", EXEC, 1, 1))
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "Lease.ConfigError");
}
