//! Invariant 1 under real concurrency: racing acquires never exceed the limit, and the
//! emulator really serialises conditional writes (otherwise these tests would prove nothing).

mod common;

use std::sync::Arc;

use asl_guard_lease::protocol::Response;
use asl_guard_lease::store::{Db, DbError, Update, KEY};
use aws_sdk_dynamodb::types::AttributeValue;
use common::{acquire, call, held, release};
use tokio::sync::Barrier;

const RACERS: usize = 50;
const ROUNDS: usize = 20;

/// Runs one round: `RACERS` acquires released together by a barrier; returns the granted
/// `(holder, lease id, weight)` triples.
async fn burst(
    leases: &Arc<asl_guard_lease::lease::Leases<asl_guard_lease::store::DynamoDb>>,
    sem: &str,
    round: usize,
    limit: u32,
    weight_of: fn(usize) -> u32,
) -> Vec<(String, String, u32)> {
    let barrier = Arc::new(Barrier::new(RACERS));
    let mut tasks = Vec::new();
    for i in 0..RACERS {
        let (leases, barrier, sem) = (leases.clone(), barrier.clone(), sem.to_string());
        tasks.push(tokio::spawn(async move {
            let holder = format!("r{round}-h{i}");
            let payload = acquire(
                &sem,
                &holder,
                &format!("arn:exec:{round}"),
                limit,
                weight_of(i),
            );
            barrier.wait().await;
            (holder, weight_of(i), call(&leases, payload).await)
        }));
    }
    let mut granted = Vec::new();
    for task in tasks {
        let (holder, weight, answer) = task.await.expect("task");
        match answer.expect("acquire answered") {
            Response::Acquired {
                lease_id,
                held,
                limit: l,
                ..
            } => {
                assert!(held <= l, "answer says held {held} > limit {l}");
                granted.push((holder, lease_id, weight));
            }
            Response::Wait {
                retry_after_seconds,
                ..
            } => assert!(retry_after_seconds >= 1),
            other => panic!("unexpected answer {other:?}"),
        }
    }
    granted
}

async fn release_all(
    leases: &Arc<asl_guard_lease::lease::Leases<asl_guard_lease::store::DynamoDb>>,
    sem: &str,
    granted: Vec<(String, String, u32)>,
) {
    let barrier = Arc::new(Barrier::new(granted.len()));
    let mut tasks = Vec::new();
    for (holder, lease_id, _) in granted {
        let (leases, barrier, sem) = (leases.clone(), barrier.clone(), sem.to_string());
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            call(&leases, release(&sem, &holder, &lease_id)).await
        }));
    }
    for task in tasks {
        assert_eq!(task.await.expect("task"), Ok(Response::Released));
    }
}

async fn rounds(test: &str, limit: u32, weight_of: fn(usize) -> u32) {
    let leases = Arc::new(common::leases(test, limit).await);
    let sem = "payments-api";
    let mut max_seen = 0;
    for round in 0..ROUNDS {
        let granted = burst(&leases, sem, round, limit, weight_of).await;
        let weight: u32 = granted.iter().map(|g| g.2).sum();
        assert!(
            weight <= limit,
            "round {round}: {weight} granted over limit {limit}"
        );
        assert!(!granted.is_empty(), "round {round}: nobody got a lease");
        assert_eq!(
            held(&leases, sem).await,
            weight,
            "round {round}: stored weight differs"
        );
        max_seen = max_seen.max(weight);
        release_all(&leases, sem, granted).await;
        assert_eq!(
            held(&leases, sem).await,
            0,
            "round {round}: slots left after release"
        );
    }
    println!("{test}: max weight held in any round {max_seen} (limit {limit})");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_racing_acquires_never_exceed_limit_three_in_twenty_rounds() {
    rounds("burst", 3, |_| 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn weighted_racing_acquires_never_exceed_the_limit() {
    rounds("weighted", 5, |i| (i % 3) as u32 + 1).await;
}

/// 50 racing read-then-conditional-increment writers on one counter: if the emulator did
/// not serialise conditional writes, two writers could both succeed from the same value
/// and the final count would fall short of the successes.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn emulator_serialises_conditional_writes() {
    let leases = Arc::new(common::leases("serialise", 1).await);
    for round in 0..5 {
        let key = format!("counter-{round}");
        let barrier = Arc::new(Barrier::new(RACERS));
        let mut tasks = Vec::new();
        for _ in 0..RACERS {
            let (leases, barrier, key) = (leases.clone(), barrier.clone(), key.clone());
            tasks.push(tokio::spawn(async move {
                barrier.wait().await;
                let seen = read_count(&leases.db, &key).await;
                increment_if(&leases.db, &key, seen).await
            }));
        }
        let mut successes = 0;
        for task in tasks {
            successes += u64::from(task.await.expect("task"));
        }
        let fin = read_count(&leases.db, &key).await;
        assert_eq!(
            fin, successes,
            "round {round}: {successes} successes, final count {fin}"
        );
        assert!(successes >= 1);
    }
}

async fn read_count(db: &impl Db, key: &str) -> u64 {
    let item = db.get(key).await.expect("get");
    item.and_then(|i| {
        i.get("c")
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse().ok())
    })
    .unwrap_or(0)
}

async fn increment_if(db: &impl Db, key: &str, seen: u64) -> bool {
    let mut u = Update {
        key: key.to_string(),
        ..Update::default()
    };
    u.expression = "SET c = :next".into();
    u.values
        .insert(":next".into(), AttributeValue::N((seen + 1).to_string()));
    if seen == 0 {
        u.condition = Some(format!("attribute_not_exists({KEY})"));
    } else {
        u.condition = Some("c = :seen".into());
        u.values
            .insert(":seen".into(), AttributeValue::N(seen.to_string()));
    }
    match db.update(u).await {
        Ok(_) => true,
        Err(DbError::ConditionFailed) => false,
        Err(e) => panic!("update failed: {e}"),
    }
}

/// Mixed traffic: 30 workers each enter a guarded section 5 times (acquire until granted,
/// hold briefly, release) while others acquire and release around them. The workers count
/// themselves in and out, so the count is the real occupancy the guard allowed.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mixed_acquire_and_release_traffic_never_lets_more_than_the_limit_in() {
    use std::sync::atomic::{AtomicU32, Ordering};
    let leases = Arc::new(common::leases("mixed", 3).await);
    let inside = Arc::new(AtomicU32::new(0));
    let peak = Arc::new(AtomicU32::new(0));
    let mut tasks = Vec::new();
    for w in 0..30 {
        let (leases, inside, peak) = (leases.clone(), inside.clone(), peak.clone());
        tasks.push(tokio::spawn(async move {
            for entry in 0..5 {
                let holder = format!("w{w}-e{entry}");
                let id = loop {
                    match call(&leases, acquire("m", &holder, "arn:exec:mixed", 3, 1)).await {
                        Ok(Response::Acquired { lease_id, .. }) => break lease_id,
                        Ok(Response::Wait { .. }) => tokio::time::sleep(jitter(20)).await,
                        other => panic!("unexpected {other:?}"),
                    }
                };
                let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                assert!(now <= 3, "{now} inside with limit 3");
                tokio::time::sleep(jitter(3)).await;
                inside.fetch_sub(1, Ordering::SeqCst);
                assert_eq!(
                    call(&leases, release("m", &holder, &id)).await,
                    Ok(Response::Released)
                );
            }
        }));
    }
    for task in tasks {
        task.await.expect("worker");
    }
    println!(
        "mixed traffic: peak occupancy {} (limit 3)",
        peak.load(Ordering::SeqCst)
    );
    assert_eq!(held(&leases, "m").await, 0);
}

fn jitter(max_ms: u64) -> std::time::Duration {
    asl_guard_lease::store::jitter_ms(max_ms)
}
