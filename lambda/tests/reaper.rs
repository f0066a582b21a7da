//! Invariant 5 against the emulator: the reaper and `releaseExecution` free a finished
//! execution's leases at once, and only that execution's.

mod common;

use asl_guard_lease::model::execution_key;
use asl_guard_lease::protocol::Response;
use asl_guard_lease::store::Db;
use common::{acquire, call, held, lease_id, release};
use serde_json::{json, Value};

const E: &str = "arn:aws:states:us-east-1:123456789012:execution:sm:stopped";
const F: &str = "arn:aws:states:us-east-1:123456789012:execution:sm:other";

fn now_ms() -> u64 {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    now.map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// An EventBridge event as delivered, with the fields the reaper does not use.
fn status_event(execution: &str, status: &str) -> Value {
    json!({
        "version": "0",
        "id": "315c1398-40ff-a850-213b-158f73e60175",
        "detail-type": "Step Functions Execution Status Change",
        "source": "aws.states",
        "account": "123456789012",
        "time": "2026-01-01T00:00:00Z",
        "region": "us-east-1",
        "resources": [execution],
        "detail": {
            "executionArn": execution,
            "stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:sm",
            "name": "stopped",
            "status": status,
            "startDate": now_ms() - 60_000,
            "stopDate": now_ms(),
            "input": "{}",
            "output": null
        }
    })
}

#[tokio::test]
async fn reaper_frees_everything_a_stopped_execution_holds_on_every_semaphore() {
    let leases = common::leases("reaper", 5).await;
    for (sem, holder, exec) in [
        ("s1", "e1", E),
        ("s1", "e2", E),
        ("s2", "e3", E),
        ("s1", "f1", F),
    ] {
        lease_id(
            &call(&leases, acquire(sem, holder, exec, 5, 1))
                .await
                .unwrap(),
        );
    }
    let answer = call(&leases, status_event(E, "ABORTED")).await;
    assert_eq!(answer, Ok(Response::Reaped { released: 3 }));
    assert_eq!(held(&leases, "s1").await, 1, "F's lease must stay");
    assert_eq!(held(&leases, "s2").await, 0);
    assert!(
        leases.db.get(&execution_key(E)).await.unwrap().is_none(),
        "index deleted"
    );
    let again = call(&leases, status_event(E, "ABORTED")).await;
    assert_eq!(
        again,
        Ok(Response::Reaped { released: 0 }),
        "reaping twice is harmless"
    );
}

#[tokio::test]
async fn every_terminal_status_reaps_and_running_reaps_nothing() {
    let leases = common::leases("statuses", 5).await;
    lease_id(&call(&leases, acquire("s", "h0", E, 5, 1)).await.unwrap());
    let running = call(&leases, status_event(E, "RUNNING")).await;
    assert_eq!(running, Ok(Response::Reaped { released: 0 }));
    assert_eq!(held(&leases, "s").await, 1);
    for (i, status) in ["SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"]
        .iter()
        .enumerate()
    {
        let exec = format!("{E}-{i}");
        lease_id(
            &call(&leases, acquire("s", &format!("h{}", i + 1), &exec, 5, 1))
                .await
                .unwrap(),
        );
        let answer = call(&leases, status_event(&exec, status)).await;
        assert_eq!(answer, Ok(Response::Reaped { released: 1 }), "{status}");
    }
    assert_eq!(held(&leases, "s").await, 1);
}

#[tokio::test]
async fn late_event_keeps_the_leases_of_a_redriven_execution() {
    let leases = common::leases("redrive", 5).await;
    lease_id(
        &call(&leases, acquire("s", "before-stop", E, 5, 1))
            .await
            .unwrap(),
    );
    let mut event = status_event(E, "FAILED");
    event["detail"]["stopDate"] = json!(leases.clock.now() * 1000);
    leases.clock.advance(600);
    lease_id(
        &call(&leases, acquire("s", "after-redrive", E, 5, 1))
            .await
            .unwrap(),
    );
    assert_eq!(
        call(&leases, event).await,
        Ok(Response::Reaped { released: 1 })
    );
    assert_eq!(held(&leases, "s").await, 1, "the redrive's lease must stay");
}

#[tokio::test]
async fn release_after_reap_is_not_held_and_frees_nothing_else() {
    let leases = common::leases("reaprelease", 2).await;
    let e1 = lease_id(&call(&leases, acquire("s", "e1", E, 2, 1)).await.unwrap());
    call(&leases, status_event(E, "FAILED")).await.unwrap();
    lease_id(&call(&leases, acquire("s", "f1", F, 2, 1)).await.unwrap());
    assert_eq!(
        call(&leases, release("s", "e1", &e1)).await,
        Ok(Response::NotHeld)
    );
    assert_eq!(held(&leases, "s").await, 1);
}

#[tokio::test]
async fn release_execution_frees_only_that_execution_on_that_semaphore() {
    let leases = common::leases("relexec", 10).await;
    for i in 0..4 {
        lease_id(
            &call(&leases, acquire("s1", &format!("e{i}"), E, 10, 2))
                .await
                .unwrap(),
        );
    }
    lease_id(&call(&leases, acquire("s1", "f", F, 10, 1)).await.unwrap());
    lease_id(&call(&leases, acquire("s2", "e", E, 10, 1)).await.unwrap());
    let payload = json!({"action": "releaseExecution", "semaphore": "s1", "execution": E});
    assert_eq!(
        call(&leases, payload.clone()).await,
        Ok(Response::Reaped { released: 4 })
    );
    assert_eq!(held(&leases, "s1").await, 1);
    assert_eq!(
        held(&leases, "s2").await,
        1,
        "other semaphores are untouched"
    );
    assert_eq!(
        call(&leases, payload).await,
        Ok(Response::Reaped { released: 0 })
    );
}

#[tokio::test]
async fn release_execution_removes_more_holders_than_fit_in_one_write() {
    let leases = common::leases("relexecbig", 1000).await;
    let n = asl_guard_lease::lease::PATHS_PER_WRITE * 2 + 5;
    for i in 0..n {
        lease_id(
            &call(&leases, acquire("s", &format!("e{i}"), E, 1000, 1))
                .await
                .unwrap(),
        );
    }
    let payload = json!({"action": "releaseExecution", "semaphore": "s", "execution": E});
    let released = u32::try_from(n).unwrap();
    assert_eq!(
        call(&leases, payload).await,
        Ok(Response::Reaped { released })
    );
    assert_eq!(held(&leases, "s").await, 0);
}

/// releaseExecution racing with the other execution's own releases and with new acquires:
/// it removes exactly its execution's entries and nobody else's.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn release_execution_racing_with_releases_and_acquires_frees_only_its_own() {
    use std::sync::Arc;
    let leases = Arc::new(common::leases("reaprace", 100).await);
    let mut f_leases = Vec::new();
    for i in 0..20 {
        lease_id(
            &call(&leases, acquire("s", &format!("e{i}"), E, 100, 1))
                .await
                .unwrap(),
        );
        let id = lease_id(
            &call(&leases, acquire("s", &format!("f{i}"), F, 100, 1))
                .await
                .unwrap(),
        );
        f_leases.push((format!("f{i}"), id));
    }
    let mut tasks = Vec::new();
    let reaper = leases.clone();
    let payload = json!({"action": "releaseExecution", "semaphore": "s", "execution": E});
    tasks.push(tokio::spawn(async move { call(&reaper, payload).await }));
    for (holder, id) in f_leases {
        let l = leases.clone();
        tasks.push(tokio::spawn(async move {
            call(&l, release("s", &holder, &id)).await
        }));
    }
    for i in 0..10 {
        let l = leases.clone();
        let exec = format!("{F}-new");
        tasks.push(tokio::spawn(async move {
            call(&l, acquire("s", &format!("n{i}"), &exec, 100, 1)).await
        }));
    }
    let answers: Vec<_> = futures_join(tasks).await;
    assert_eq!(answers[0], Ok(Response::Reaped { released: 20 }));
    assert!(
        answers[1..21].iter().all(|a| *a == Ok(Response::Released)),
        "{answers:?}"
    );
    assert!(answers[21..]
        .iter()
        .all(|a| matches!(a, Ok(Response::Acquired { .. }))));
    assert_eq!(
        held(&leases, "s").await,
        10,
        "only the 10 new leases remain"
    );
}

async fn futures_join<T>(tasks: Vec<tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.expect("task"));
    }
    out
}
