//! Callback mode against the emulator, with a recorder standing in for Step Functions (a
//! token takes one answer; closed tokens refuse). The execution harness runs the same
//! protocol end to end with the real bootstrap and a Step Functions emulator.

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use asl_guard_lease::protocol::Response;
use asl_guard_lease::testkit::TokenAnswer;
use common::callback::{acquire_cb, enter, granted, manager, semaphore, successes, E, F};
use common::{call, held, release};
use serde_json::json;

#[tokio::test]
async fn a_free_slot_is_granted_at_once_through_the_token() {
    let (m, tokens) = manager("cb-free", 1).await;
    let answer = call(&m, acquire_cb("h1", E, 2, "t1", 60))
        .await
        .expect("acquire");
    let lease = granted(&tokens, "t1");
    assert!(matches!(&answer, Response::Acquired { lease_id, .. } if *lease_id == lease));
    assert_eq!(held(&m, "s").await, 1);
    let r = call(&m, release("s", "h1", &lease)).await.expect("release");
    assert_eq!(r, Response::Released);
    assert_eq!(held(&m, "s").await, 0);
}

#[tokio::test]
async fn waiters_are_granted_in_arrival_order_as_slots_free() {
    let (m, tokens) = manager("cb-order", 1).await;
    for i in 0..2 {
        call(
            &m,
            acquire_cb(&format!("h{i}"), E, 2, &format!("t{i}"), 600),
        )
        .await
        .expect("acq");
    }
    for i in 2..6 {
        let answer = call(
            &m,
            acquire_cb(&format!("h{i}"), E, 2, &format!("t{i}"), 600),
        )
        .await
        .expect("acquire");
        assert!(
            matches!(answer, Response::Queued { position, held: 2, limit: 2 } if position == i - 1),
            "{answer:?}"
        );
    }
    assert_eq!(successes(&tokens), ["t0", "t1"]);
    for i in 0..4 {
        let lease = granted(&tokens, &format!("t{i}"));
        call(&m, release("s", &format!("h{i}"), &lease))
            .await
            .expect("release");
        let want: Vec<String> = (0..(i + 3).min(6)).map(|k| format!("t{k}")).collect();
        assert_eq!(successes(&tokens), want, "after releasing h{i}");
        assert!(held(&m, "s").await <= 2);
    }
    for i in 4..6 {
        let lease = granted(&tokens, &format!("t{i}"));
        call(&m, release("s", &format!("h{i}"), &lease))
            .await
            .expect("release");
    }
    let sem = semaphore(&m).await;
    assert_eq!(held(&m, "s").await, 0);
    assert!(sem.queue.is_empty() && sem.holders.is_empty(), "{sem:?}");
}

#[tokio::test]
async fn a_waiter_past_its_deadline_is_dropped_and_never_takes_a_slot() {
    let (m, tokens) = manager("cb-deadline", 1).await;
    call(&m, acquire_cb("a", E, 1, "ta", 600)).await.expect("a");
    call(&m, acquire_cb("b", E, 1, "tb", 10)).await.expect("b");
    call(&m, acquire_cb("c", E, 1, "tc", 600)).await.expect("c");
    m.clock.advance(20);
    tokens.close("tb");
    let lease = granted(&tokens, "ta");
    call(&m, release("s", "a", &lease)).await.expect("release");
    assert_eq!(
        tokens.answer_of("tb"),
        None,
        "a dropped waiter is never answered"
    );
    granted(&tokens, "tc");
    let sem = semaphore(&m).await;
    assert_eq!(sem.held(m.clock.now()), 1);
    assert!(!sem.queue.contains_key("b") && !sem.holders.contains_key("b"));
}

#[tokio::test]
async fn a_grant_to_a_closed_token_is_taken_back_and_passed_on() {
    let (m, tokens) = manager("cb-closed", 1).await;
    call(&m, acquire_cb("a", E, 1, "ta", 600)).await.expect("a");
    call(&m, acquire_cb("b", E, 1, "tb", 600)).await.expect("b");
    call(&m, acquire_cb("c", E, 1, "tc", 600)).await.expect("c");
    tokens.close("tb");
    let lease = granted(&tokens, "ta");
    call(&m, release("s", "a", &lease)).await.expect("release");
    granted(&tokens, "tc");
    let sem = semaphore(&m).await;
    assert_eq!(sem.held(m.clock.now()), 1, "{sem:?}");
    assert!(
        !sem.holders.contains_key("b"),
        "the closed token's grant is gone"
    );
}

#[tokio::test]
async fn a_retried_acquire_moves_the_answer_to_its_new_token() {
    let (m, tokens) = manager("cb-retoken", 1).await;
    call(&m, acquire_cb("a", E, 1, "ta", 600)).await.expect("a");
    call(&m, acquire_cb("b", E, 1, "tb1", 600))
        .await
        .expect("b");
    call(&m, acquire_cb("c", E, 1, "tc", 600)).await.expect("c");
    tokens.close("tb1");
    let again = call(&m, acquire_cb("b", E, 1, "tb2", 600))
        .await
        .expect("b again");
    assert!(
        matches!(again, Response::Queued { position: 1, .. }),
        "{again:?}"
    );
    let lease = granted(&tokens, "ta");
    call(&m, release("s", "a", &lease)).await.expect("release");
    granted(&tokens, "tb2");
    assert_eq!(
        tokens.answer_of("tc"),
        None,
        "b kept its place in the queue"
    );
}

#[tokio::test]
async fn a_lost_answer_is_recovered_by_the_retry_with_the_same_lease() {
    let (m, tokens) = manager("cb-lost", 1).await;
    tokens.lose_responses(1);
    let first = call(&m, acquire_cb("a", E, 1, "t1", 600)).await;
    assert!(
        first.is_err(),
        "an unknown outcome fails the invocation: {first:?}"
    );
    let lease = granted(&tokens, "t1");
    call(&m, acquire_cb("a", E, 1, "t2", 600))
        .await
        .expect("retry");
    assert_eq!(
        granted(&tokens, "t2"),
        lease,
        "the retry gets the same lease"
    );
    call(&m, acquire_cb("a", E, 1, "t2", 600))
        .await
        .expect("same token again");
    assert_eq!(successes(&tokens), ["t1", "t2"], "one answer per token");
    assert_eq!(held(&m, "s").await, 1);
}

#[tokio::test]
async fn racing_releases_grant_one_waiter_once() {
    let (m, tokens) = manager("cb-race", 1).await;
    for round in 0..10 {
        let (a, b, w) = (
            format!("a{round}"),
            format!("b{round}"),
            format!("w{round}"),
        );
        enter(&m, &a, E, 2).await;
        enter(&m, &b, E, 2).await;
        enter(&m, &w, E, 2).await;
        let (la, lb) = (
            granted(&tokens, &format!("t{a}")),
            granted(&tokens, &format!("t{b}")),
        );
        let (ra, rb) = tokio::join!(
            call(&m, release("s", &a, &la)),
            call(&m, release("s", &b, &lb))
        );
        assert_eq!(
            (ra.expect("a"), rb.expect("b")),
            (Response::Released, Response::Released)
        );
        let lw = granted(&tokens, &format!("t{w}"));
        assert_eq!(
            held(&m, "s").await,
            1,
            "round {round}: only the waiter holds"
        );
        call(&m, release("s", &w, &lw)).await.expect("w");
    }
    let answered = successes(&tokens);
    let mut unique = answered.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(answered.len(), unique.len(), "no token answered twice");
}

/// Fifty callback holders, limit five: each one "works" from its answer until it releases.
/// Never more than five at work, everyone answered once, arrival order kept, nothing left.
#[tokio::test]
async fn fifty_callback_holders_never_exceed_the_limit() {
    let (m, tokens) = manager("cb-fifty", 1).await;
    let m = Arc::new(m);
    let inside = Arc::new(AtomicU32::new(0));
    let peak = Arc::new(AtomicU32::new(0));
    let mut arrivals = Vec::new();
    for i in 0..50 {
        let holder = format!("h{i:02}");
        let answer = call(&*m, acquire_cb(&holder, E, 5, &format!("t{i:02}"), 600))
            .await
            .expect("acquire");
        if matches!(answer, Response::Queued { .. }) {
            arrivals.push(format!("t{i:02}"));
        }
    }
    let mut released = std::collections::HashSet::new();
    let mut workers = Vec::new();
    while released.len() < 50 {
        for (token, answer) in tokens.answers() {
            if released.contains(&token) {
                continue;
            }
            let TokenAnswer::Success(v) = answer else {
                panic!("{token} failed: {answer:?}")
            };
            released.insert(token.clone());
            // Arrival order: by the time a waiter is answered, no earlier one is queued.
            let queued = semaphore(&m).await.queue;
            let earlier = queued.keys().find(|h| h[1..] < token[1..]);
            assert!(
                earlier.is_none(),
                "{token} answered while {earlier:?} still queued"
            );
            let (m, inside, peak) = (m.clone(), inside.clone(), peak.clone());
            let lease = v["leaseId"].as_str().expect("leaseId").to_string();
            workers.push(tokio::spawn(async move {
                let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(std::time::Duration::from_millis(rand_ms())).await;
                inside.fetch_sub(1, Ordering::SeqCst);
                let holder = format!("h{}", &token[1..]);
                call(&*m, release("s", &holder, &lease))
                    .await
                    .expect("release");
            }));
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    for w in workers {
        w.await.expect("worker");
    }
    assert!(
        peak.load(Ordering::SeqCst) <= 5,
        "peak {}",
        peak.load(Ordering::SeqCst)
    );
    assert_eq!(arrivals.len(), 45, "45 of 50 had to wait");
    let sem = semaphore(&m).await;
    assert!(sem.holders.is_empty() && sem.queue.is_empty(), "{sem:?}");
}

fn rand_ms() -> u64 {
    u64::from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos())
            % 20,
    )
}

#[tokio::test]
async fn release_execution_drops_its_waiters_and_hands_its_slots_on() {
    let (m, tokens) = manager("cb-exec", 1).await;
    call(&m, acquire_cb("e1", E, 2, "te1", 600))
        .await
        .expect("e1");
    call(&m, acquire_cb("e2", E, 2, "te2", 600))
        .await
        .expect("e2");
    call(&m, acquire_cb("e3", E, 2, "te3", 600))
        .await
        .expect("e3 waits");
    call(&m, acquire_cb("f1", F, 2, "tf1", 600))
        .await
        .expect("f1 waits");
    call(&m, acquire_cb("f2", F, 2, "tf2", 600))
        .await
        .expect("f2 waits");
    let r = call(
        &m,
        json!({"action": "releaseExecution", "semaphore": "s", "execution": E}),
    )
    .await
    .expect("releaseExecution");
    assert_eq!(r, Response::Reaped { released: 2 });
    granted(&tokens, "tf1");
    granted(&tokens, "tf2");
    assert_eq!(tokens.answer_of("te3"), None);
    let sem = semaphore(&m).await;
    assert!(!sem.queue.contains_key("e3"), "{sem:?}");
    assert_eq!(sem.held(m.clock.now()), 2);
}

#[tokio::test]
async fn the_sweep_hands_expired_slots_to_waiters() {
    let (m, tokens) = manager("cb-sweep", 1).await;
    call(
        &m,
        json!({"action": "acquire", "semaphore": "s", "holder": "a", "execution": E,
                    "limit": 1, "leaseSeconds": 5, "taskToken": "ta", "waitSeconds": 600}),
    )
    .await
    .expect("a");
    call(&m, acquire_cb("b", F, 1, "tb", 600)).await.expect("b");
    let idle = call(&m, json!({"action": "sweep"})).await.expect("sweep");
    assert_eq!(
        idle,
        Response::Swept {
            semaphores: 1,
            granted: 0
        }
    );
    m.clock.advance(10);
    let swept = call(&m, json!({"action": "sweep"})).await.expect("sweep");
    assert_eq!(
        swept,
        Response::Swept {
            semaphores: 1,
            granted: 1
        }
    );
    granted(&tokens, "tb");
    let later = call(&m, json!({"action": "sweep"})).await.expect("sweep");
    assert_eq!(
        later,
        Response::Swept {
            semaphores: 0,
            granted: 0
        },
        "empty queue forgotten"
    );
}

#[tokio::test]
async fn polling_acquires_do_not_overtake_callback_waiters() {
    let (m, tokens) = manager("cb-mixed", 1).await;
    call(&m, acquire_cb("a", E, 1, "ta", 600)).await.expect("a");
    call(&m, acquire_cb("b", E, 1, "tb", 600)).await.expect("b");
    let lease = granted(&tokens, "ta");
    tokens.refuse(1);
    call(&m, release("s", "a", &lease)).await.expect("release");
    // The hand-off's answer failed with an unknown outcome: b holds, unanswered.
    let poll = call(&m, common::acquire("s", "p", F, 1, 1))
        .await
        .expect("poll");
    assert!(matches!(poll, Response::Wait { .. }), "{poll:?}");
}

#[tokio::test]
async fn a_failed_callback_request_is_answered_through_its_token() {
    let (m, tokens) = manager("cb-invalid", 1).await;
    let payload = json!({"action": "acquire", "semaphore": "s", "holder": "a", "execution": E,
                         "limit": 1, "weight": 2, "taskToken": "ta", "waitSeconds": 60});
    let err = call(&m, payload).await.expect_err("weight above limit");
    assert_eq!(err.error_type(), "Lease.InvalidRequest");
    assert_eq!(
        tokens.answer_of("ta"),
        Some(TokenAnswer::Failure("Lease.InvalidRequest".into()))
    );
    for (payload, field) in [
        (
            json!({"action": "acquire", "semaphore": "s", "holder": "a", "execution": E,
                "taskToken": "tx"}),
            "waitSeconds",
        ),
        (
            json!({"action": "acquire", "semaphore": "s", "holder": "a", "execution": E,
                "waitSeconds": 5}),
            "waitSeconds",
        ),
        (
            json!({"action": "acquire", "semaphore": "s", "holder": "a", "execution": E,
                "taskToken": "", "waitSeconds": 5}),
            "taskToken",
        ),
        (json!({"action": "sweep", "semaphore": "s"}), "semaphore"),
    ] {
        let err = call(&m, payload).await.expect_err("invalid");
        assert!(err.to_string().contains(field), "{err}");
    }
    assert_eq!(
        tokens.answer_of("tx"),
        Some(TokenAnswer::Failure("Lease.InvalidRequest".into()))
    );
    let counts: HashMap<String, usize> = HashMap::new();
    assert!(counts.is_empty());
}

#[tokio::test]
async fn answers_refused_for_lack_of_permission_free_the_slot_and_say_why() {
    let (m, tokens) = manager("cb-denied", 1).await;
    tokens.deny(true);
    let err = call(&m, acquire_cb("a", E, 1, "ta", 600))
        .await
        .expect_err("refused answer");
    assert_eq!(err.error_type(), "Lease.ConfigError");
    assert!(err.to_string().contains("states:SendTaskSuccess"), "{err}");
    assert_eq!(held(&m, "s").await, 0, "the refused grant is taken back");
    tokens.deny(false);
    enter(&m, "b", E, 1).await;
    call(&m, acquire_cb("c", F, 1, "tc", 600))
        .await
        .expect("c queued");
    tokens.deny(true);
    let lease = granted(&tokens, "tb");
    let r = call(&m, release("s", "b", &lease)).await.expect("release");
    assert_eq!(r, Response::Released);
    let sem = semaphore(&m).await;
    assert_eq!(
        sem.held(m.clock.now()),
        0,
        "refused hand-off leaves the slot free: {sem:?}"
    );
    assert!(sem.queue.is_empty());
}
