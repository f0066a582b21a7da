//! Hostile review of callback mode: races, lost answers, DynamoDB faults and clock moves
//! aimed at the invariants of the crate docs ("Callback mode"). Tests marked `#[ignore]`
//! reproduce a defect that is still open; the others guard what held under attack.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use asl_guard_lease::lease::Leases;
use asl_guard_lease::model::semaphore_key;
use asl_guard_lease::protocol::{Response, StatusChange};
use asl_guard_lease::store::{Db, DbError, Item, Update};
use asl_guard_lease::testkit::{Fault, FaultDb, Op, TokenAnswer};
use asl_guard_lease::tokens::Tokens;
use aws_sdk_dynamodb::types::AttributeValue;
use common::callback::{
    acquire_cb, enter, granted, manager, manager_with, semaphore, successes, E, F,
};
use common::{call, held, release};
use serde_json::{json, Value};
use tokio::sync::Notify;

fn acquire_cbw(holder: &str, limit: u32, weight: u32, token: &str) -> Value {
    json!({"action": "acquire", "semaphore": "s", "holder": holder, "execution": E,
           "limit": limit, "weight": weight, "taskToken": token, "waitSeconds": 600})
}

/// Sets the operator's stored limit on semaphore `s`.
async fn store_limit<D: Db, T: Tokens>(m: &Leases<D, T>, limit: u32) {
    let update = Update {
        key: semaphore_key("s"),
        expression: "SET #l = :l".into(),
        names: [("#l".to_string(), "limit".to_string())].into(),
        values: [(":l".to_string(), AttributeValue::N(limit.to_string()))].into(),
        ..Update::default()
    };
    m.db.update(update).await.expect("set limit");
}

/// Holds the first update that `hold` picks until an update picked by `opener` has been
/// applied; that opener then returns only after the held update landed. Pins one
/// interleaving of two requests deterministically.
struct GateDb<D> {
    inner: D,
    hold: fn(&Update) -> bool,
    opener: fn(&Update) -> bool,
    armed: AtomicBool,
    holding_started: AtomicBool,
    opened: AtomicBool,
    holding: Notify,
    open: Notify,
    done: Notify,
}

impl<D> GateDb<D> {
    fn new(inner: D, hold: fn(&Update) -> bool, opener: fn(&Update) -> bool) -> Self {
        GateDb {
            inner,
            hold,
            opener,
            armed: AtomicBool::new(true),
            holding_started: AtomicBool::new(false),
            opened: AtomicBool::new(false),
            holding: Notify::new(),
            open: Notify::new(),
            done: Notify::new(),
        }
    }
}

impl<D: Db> Db for GateDb<D> {
    async fn get(&self, key: &str) -> Result<Option<Item>, DbError> {
        self.inner.get(key).await
    }

    async fn update(&self, update: Update) -> Result<Option<Item>, DbError> {
        if (self.hold)(&update) && self.armed.swap(false, Ordering::SeqCst) {
            self.holding_started.store(true, Ordering::SeqCst);
            self.holding.notify_one();
            self.open.notified().await;
            let out = self.inner.update(update).await;
            self.done.notify_one();
            return out;
        }
        if self.holding_started.load(Ordering::SeqCst)
            && (self.opener)(&update)
            && !self.opened.swap(true, Ordering::SeqCst)
        {
            let out = self.inner.update(update).await;
            self.open.notify_one();
            self.done.notified().await;
            return out;
        }
        self.inner.update(update).await
    }

    async fn delete(&self, key: &str) -> Result<(), DbError> {
        self.inner.delete(key).await
    }
}

/// A promotion write that grants at least one waiter.
fn is_promotion_grant(u: &Update) -> bool {
    u.expression.starts_with("SET #v = :nv") && u.expression.contains("#q.#g0")
}

/// A retried acquire pointing its queue entry at a new token.
fn is_retoken(u: &Update) -> bool {
    u.expression.contains("#q.#k.#tk = :tk")
}

/// The sweep forgetting a semaphore in the registry.
fn is_registry_forget(u: &Update) -> bool {
    u.key == asl_guard_lease::model::REGISTRY_KEY && u.expression == "REMOVE #a"
}

/// A waiter being queued.
fn is_enqueue(u: &Update) -> bool {
    u.expression == "SET #q.#k = :w" || u.expression == "SET #q = :w"
}

// ---------------------------------------------------------------------------------------
// Lost DynamoDB responses on the write that decides who answers a token.
// ---------------------------------------------------------------------------------------

/// The immediate grant's write lands but its response is lost; the retry of the write
/// fails its version condition, the next round finds the live lease "claimed for this same
/// token" and returns without ever answering the token.
#[tokio::test]
async fn lost_response_on_an_immediate_grant_still_answers_the_token() {
    let (m, tokens) = manager_with("hx-lost-grant", 1, FaultDb::new).await;
    // Updates of an uncontended callback grant: the execution index, then the grant.
    m.db.inject(Op::Update, Fault::Pass, 1);
    m.db.inject(Op::Update, Fault::LoseResponse, 1);
    let out = call(&m, acquire_cb("a", E, 1, "ta", 600)).await;
    m.db.clear();
    assert_eq!(held(&m, "s").await, 1, "the grant landed");
    // Either the token was answered, or the invocation failed (and the handler failed the
    // token, so the guard retries). Returning success without an answer hangs the Task.
    assert!(
        tokens.answer_of("ta").is_some(),
        "invocation answered {out:?} but token ta was never answered; the Task waits \
         until its timeout while its lease holds the only slot"
    );
}

/// Same defect through the claim of an existing lease for a new token.
#[tokio::test]
async fn lost_response_on_a_claim_still_answers_the_token() {
    let (m, tokens) = manager_with("hx-lost-claim", 1, FaultDb::new).await;
    let polled = call(&m, common::acquire("s", "a", E, 1, 1))
        .await
        .expect("polling acquire");
    let lease = common::lease_id(&polled);
    // The callback acquire finds the live lease; its first update is the claim.
    m.db.inject(Op::Update, Fault::LoseResponse, 1);
    let out = call(&m, acquire_cb("a", E, 1, "ta", 600)).await;
    m.db.clear();
    assert_eq!(semaphore(&m).await.holders["a"].lease_id, lease);
    assert!(
        tokens.answer_of("ta").is_some(),
        "invocation answered {out:?} but token ta was never answered"
    );
}

/// The promotion's write lands but its response is lost: the retry fails its condition,
/// the pass counts it as a conflict, re-reads, finds nobody queued, and never answers.
#[tokio::test]
async fn lost_response_on_a_promotion_still_answers_the_waiter() {
    let (m, tokens) = manager_with("hx-lost-promote", 1, FaultDb::new).await;
    call(&m, acquire_cb("a", E, 1, "ta", 600)).await.expect("a");
    call(&m, acquire_cb("b", F, 1, "tb", 600)).await.expect("b");
    let lease = granted(&tokens, "ta");
    // Release: the fenced removal, then the promotion's write.
    m.db.inject(Op::Update, Fault::Pass, 1);
    m.db.inject(Op::Update, Fault::LoseResponse, 1);
    let r = call(&m, release("s", "a", &lease)).await;
    m.db.clear();
    assert_eq!(r.expect("release"), Response::Released);
    let sem = semaphore(&m).await;
    assert!(sem.holders.contains_key("b"), "b was promoted: {sem:?}");
    let swept = call(&m, json!({"action": "sweep"})).await;
    assert!(
        tokens.answer_of("tb").is_some(),
        "b holds the only slot but tb was never answered (sweep: {swept:?})"
    );
}

/// A take-back whose response is lost is reported as "kept", so the pass does not hand the
/// freed slot on; the next waiter must still get it no later than the next sweep.
#[tokio::test]
async fn a_take_back_with_a_lost_response_still_frees_the_slot_by_the_sweep() {
    let (m, tokens) = manager_with("hx-lost-takeback", 1, FaultDb::new).await;
    call(&m, acquire_cb("a", E, 1, "ta", 600)).await.expect("a");
    call(&m, acquire_cb("b", E, 1, "tb", 600)).await.expect("b");
    call(&m, acquire_cb("c", E, 1, "tc", 600)).await.expect("c");
    tokens.close("tb");
    let lease = granted(&tokens, "ta");
    // Release: removal, promotion write granting b, then b's take-back (response lost).
    m.db.inject(Op::Update, Fault::Pass, 2);
    m.db.inject(Op::Update, Fault::LoseResponse, 1);
    call(&m, release("s", "a", &lease)).await.expect("release");
    m.db.clear();
    call(&m, json!({"action": "sweep"})).await.expect("sweep");
    granted(&tokens, "tc");
    let sem = semaphore(&m).await;
    assert!(!sem.holders.contains_key("b"), "{sem:?}");
    assert_eq!(sem.held(m.clock.now()), 1);
}

/// Throttling on every write of a release: it fails with Lease.Unavailable and a retry of
/// the same release completes the hand-off.
#[tokio::test]
async fn a_release_that_stays_throttled_is_retried_and_hands_the_slot_on() {
    let (m, tokens) = manager_with("hx-throttle", 1, FaultDb::new).await;
    call(&m, acquire_cb("a", E, 1, "ta", 600)).await.expect("a");
    call(&m, acquire_cb("b", F, 1, "tb", 600)).await.expect("b");
    let lease = granted(&tokens, "ta");
    m.db.inject(Op::Update, Fault::Throttle, 3);
    let first = call(&m, release("s", "a", &lease)).await;
    assert!(first.is_err(), "{first:?}");
    m.db.clear();
    let again = call(&m, release("s", "a", &lease))
        .await
        .expect("release again");
    assert_eq!(again, Response::Released);
    granted(&tokens, "tb");
    assert_eq!(successes(&tokens), ["ta", "tb"]);
}

// ---------------------------------------------------------------------------------------
// Interleavings pinned with a gate.
// ---------------------------------------------------------------------------------------

/// A retried acquire (new token tb2) re-points b's queue entry between a promotion's read
/// and its write. The promotion's write (version unchanged by the retoken) grants b with the
/// *old* token digest; its hand-off sees tb2 in the waiter record and does not answer; the
/// retried acquire's own promotion finds b already promoted and returns `queued`. Nobody
/// ever answers tb2 and b holds the slot.
#[tokio::test]
async fn a_retoken_racing_a_promotion_still_answers_the_new_token() {
    let (m, tokens) = manager_with("hx-retoken-race", 1, |db| {
        GateDb::new(db, is_promotion_grant, is_retoken)
    })
    .await;
    call(&m, acquire_cb("a", E, 1, "ta", 600)).await.expect("a");
    call(&m, acquire_cb("b", F, 1, "tb1", 600))
        .await
        .expect("b");
    let lease = granted(&tokens, "ta");
    tokens.close("tb1"); // the first attempt's Task failed; the guard retries with tb2
    let (r, retry) = tokio::join!(call(&m, release("s", "a", &lease)), async {
        m.db.holding.notified().await;
        call(&m, acquire_cb("b", F, 1, "tb2", 600)).await
    });
    assert_eq!(r.expect("release"), Response::Released);
    let retry = retry.expect("retry");
    let sem = semaphore(&m).await;
    assert!(sem.holders.contains_key("b"), "{sem:?}");
    assert!(
        tokens.answer_of("tb2").is_some(),
        "b holds the only slot, retry answered {retry:?}, but tb2 was never answered \
         (answers: {:?})",
        tokens.answers()
    );
}

/// The sweep forgets a semaphore whose queue it found empty while a new waiter is being
/// queued on it. If the only holder then just expires (no release ever comes), no sweep
/// visits the semaphore again and the waiter is never granted although the slot is free.
#[tokio::test]
async fn a_waiter_queued_while_the_sweep_forgets_its_semaphore_gets_expired_slots() {
    let (m, tokens) = manager_with("hx-sweep-forget", 1, |db| {
        GateDb::new(db, is_registry_forget, is_enqueue)
    })
    .await;
    let a = json!({"action": "acquire", "semaphore": "s", "holder": "a", "execution": E,
                   "limit": 1, "leaseSeconds": 30, "taskToken": "ta", "waitSeconds": 600});
    call(&m, a).await.expect("a");
    // x registers the semaphore and times out: the sweep will find the queue empty.
    call(&m, acquire_cb("x", E, 1, "tx", 1)).await.expect("x");
    m.clock.advance(2);
    let (swept, b) = tokio::join!(call(&m, json!({"action": "sweep"})), async {
        m.db.holding.notified().await;
        call(&m, acquire_cb("b", F, 1, "tb", 600)).await
    });
    swept.expect("sweep");
    assert!(matches!(b.expect("b"), Response::Queued { .. }));
    m.clock.advance(60); // a's lease expires; a never releases (its function crashed)
    let later = call(&m, json!({"action": "sweep"})).await.expect("sweep");
    assert!(
        tokens.answer_of("tb").is_some(),
        "a expired, b is the only waiter, but it was never granted (sweep: {later:?}, \
         semaphore: {:?})",
        semaphore(&m).await
    );
}

/// Two promotions racing over one waiter (a release and a sweep, both after the lease
/// expired) answer it once.
#[tokio::test]
async fn a_sweep_racing_a_release_answers_each_waiter_once() {
    let (m, tokens) = manager("hx-sweep-release", 1).await;
    for round in 0..6 {
        let (a, w1, w2) = (
            format!("a{round}"),
            format!("w1{round}"),
            format!("w2{round}"),
        );
        enter(&m, &a, E, 1).await;
        enter(&m, &w1, F, 1).await;
        enter(&m, &w2, F, 1).await;
        let la = granted(&tokens, &format!("t{a}"));
        let (r, s, x) = tokio::join!(
            call(&m, release("s", &a, &la)),
            call(&m, json!({"action": "sweep"})),
            call(
                &m,
                json!({"action": "releaseExecution", "semaphore": "s", "execution": E})
            ),
        );
        r.expect("release");
        s.expect("sweep");
        x.expect("releaseExecution");
        let l1 = granted(&tokens, &format!("t{w1}"));
        assert_eq!(tokens.answer_of(&format!("t{w2}")), None, "round {round}");
        assert_eq!(held(&m, "s").await, 1, "round {round}");
        call(&m, release("s", &w1, &l1)).await.expect("w1");
        let l2 = granted(&tokens, &format!("t{w2}"));
        call(&m, release("s", &w2, &l2)).await.expect("w2");
    }
    let all = successes(&tokens);
    let mut unique = all.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(all.len(), unique.len(), "a token answered twice: {all:?}");
    let sem = semaphore(&m).await;
    assert!(sem.holders.is_empty() && sem.queue.is_empty(), "{sem:?}");
}

// ---------------------------------------------------------------------------------------
// Duplicates, retries and closed tokens.
// ---------------------------------------------------------------------------------------

/// The same invocation delivered twice at once (same holder, same token), slot free:
/// one grant, one answer.
#[tokio::test]
async fn duplicate_acquires_with_one_token_grant_and_answer_once() {
    let (m, tokens) = manager("hx-dup", 1).await;
    for i in 0..5 {
        let (h, t) = (format!("h{i}"), format!("t{i}"));
        let (x, y, z) = tokio::join!(
            call(&m, acquire_cb(&h, E, 5, &t, 600)),
            call(&m, acquire_cb(&h, E, 5, &t, 600)),
            call(&m, acquire_cb(&h, E, 5, &t, 600)),
        );
        for r in [x, y, z] {
            assert!(matches!(r, Ok(Response::Acquired { .. })), "{r:?}");
        }
    }
    assert_eq!(successes(&tokens).len(), 5);
    assert_eq!(held(&m, "s").await, 5);
}

/// Same-token duplicates while the slot is taken: one queue entry, one answer on release.
#[tokio::test]
async fn duplicate_queued_acquires_make_one_waiter() {
    let (m, tokens) = manager("hx-dup-queued", 1).await;
    call(&m, acquire_cb("a", E, 1, "ta", 600)).await.expect("a");
    let (x, y) = tokio::join!(
        call(&m, acquire_cb("b", F, 1, "tb", 600)),
        call(&m, acquire_cb("b", F, 1, "tb", 600)),
    );
    assert!(matches!(x, Ok(Response::Queued { .. })), "{x:?}");
    assert!(matches!(y, Ok(Response::Queued { .. })), "{y:?}");
    assert_eq!(semaphore(&m).await.queue.len(), 1);
    let lease = granted(&tokens, "ta");
    call(&m, release("s", "a", &lease)).await.expect("release");
    granted(&tokens, "tb");
    call(&m, acquire_cb("b", F, 1, "tb", 600))
        .await
        .expect("late duplicate");
    assert_eq!(successes(&tokens), ["ta", "tb"]);
    assert_eq!(held(&m, "s").await, 1);
}

/// A retried acquire with a new token racing the release that promotes the waiter: the
/// lease ends up with exactly one live token answered, never more than the limit.
#[tokio::test]
async fn a_retry_racing_the_release_that_promotes_it_leaves_one_holder() {
    let (m, tokens) = manager("hx-retry-race", 1).await;
    for round in 0..8 {
        let (a, b) = (format!("a{round}"), format!("b{round}"));
        let (tb1, tb2) = (format!("t{b}-1"), format!("t{b}-2"));
        enter(&m, &a, E, 1).await;
        call(&m, acquire_cb(&b, F, 1, &tb1, 600)).await.expect("b");
        tokens.close(&tb1);
        let la = granted(&tokens, &format!("t{a}"));
        let (r, retry) = tokio::join!(
            call(&m, release("s", &a, &la)),
            call(&m, acquire_cb(&b, F, 1, &tb2, 600))
        );
        r.expect("release");
        let retry = retry.expect("retry");
        assert!(held(&m, "s").await <= 1, "round {round}");
        // The slot is free and b is the only waiter: b holds it and tb2 was answered.
        let sem = semaphore(&m).await;
        assert!(
            sem.holders.get(&b).is_some_and(|h| h.live(m.clock.now())),
            "round {round}: slot free but b does not hold it (retry: {retry:?}): {sem:?}"
        );
        let lb = granted(&tokens, &tb2);
        call(&m, release("s", &b, &lb)).await.expect("b");
    }
    let sem = semaphore(&m).await;
    assert!(sem.holders.is_empty() && sem.queue.is_empty(), "{sem:?}");
}

/// A waiter's grant meets a closed token while a retry with a new token claims the lease:
/// the take-back is fenced on the claim nonce, so the lease stays with the new token.
#[tokio::test]
async fn an_immediate_grant_to_a_closed_token_takes_nothing_from_others() {
    let (m, tokens) = manager("hx-closed-now", 1).await;
    tokens.close("ta1");
    let first = call(&m, acquire_cb("a", E, 2, "ta1", 600))
        .await
        .expect("a");
    assert_eq!(first, Response::NotHeld);
    assert_eq!(
        held(&m, "s").await,
        0,
        "the grant to a closed token is taken back"
    );
    call(&m, acquire_cb("a", E, 2, "ta2", 600))
        .await
        .expect("retry");
    granted(&tokens, "ta2");
    assert_eq!(held(&m, "s").await, 1);
}

/// Many waiters time out while queued; the sweep after their deadline drops them, and a
/// release never gives a slot to any of them (their tokens are closed).
#[tokio::test]
async fn timed_out_waiters_never_end_up_holding() {
    let (m, tokens) = manager("hx-timeouts", 1).await;
    call(&m, acquire_cb("a", E, 1, "ta", 600)).await.expect("a");
    for i in 0..5 {
        call(&m, acquire_cb(&format!("x{i}"), F, 1, &format!("tx{i}"), 5))
            .await
            .expect("x");
    }
    call(&m, acquire_cb("late", F, 1, "tlate", 600))
        .await
        .expect("late");
    m.clock.advance(6);
    for i in 0..5 {
        tokens.close(&format!("tx{i}"));
    }
    let lease = granted(&tokens, "ta");
    call(&m, release("s", "a", &lease)).await.expect("release");
    granted(&tokens, "tlate");
    let sem = semaphore(&m).await;
    assert!(sem.holders.keys().all(|h| !h.starts_with('x')), "{sem:?}");
    assert_eq!(sem.held(m.clock.now()), 1);
    call(&m, json!({"action": "sweep"})).await.expect("sweep");
    assert!(semaphore(&m).await.queue.is_empty());
}

/// Closed tokens at the head of the queue (Task timed out before the deadline stored, e.g.
/// a Task timeout shorter than waitSeconds): each grant is taken back and passed on, in
/// order, in one release.
#[tokio::test]
async fn a_run_of_closed_tokens_is_skipped_in_one_release() {
    let (m, tokens) = manager("hx-closed-run", 1).await;
    call(&m, acquire_cb("a", E, 1, "ta", 600)).await.expect("a");
    for i in 0..14 {
        call(
            &m,
            acquire_cb(&format!("w{i:02}"), F, 1, &format!("tw{i:02}"), 600),
        )
        .await
        .expect("w");
    }
    for i in 0..13 {
        tokens.close(&format!("tw{i:02}"));
    }
    let lease = granted(&tokens, "ta");
    call(&m, release("s", "a", &lease)).await.expect("release");
    granted(&tokens, "tw13");
    let sem = semaphore(&m).await;
    assert_eq!(sem.held(m.clock.now()), 1, "{sem:?}");
    assert!(sem.queue.is_empty(), "{sem:?}");
}

// ---------------------------------------------------------------------------------------
// Weights, stored limits, arrival order.
// ---------------------------------------------------------------------------------------

/// A heavy waiter at the head is not overtaken by a light one behind it, and the limit is
/// never exceeded as weights come and go.
#[tokio::test]
async fn a_heavy_waiter_is_not_overtaken_and_the_limit_holds() {
    let (m, tokens) = manager("hx-weights", 1).await;
    call(&m, acquire_cbw("a", 3, 1, "ta")).await.expect("a");
    call(&m, acquire_cbw("b", 3, 1, "tb")).await.expect("b");
    let heavy = call(&m, acquire_cbw("h", 3, 3, "th")).await.expect("h");
    assert!(matches!(heavy, Response::Queued { .. }), "{heavy:?}");
    let light = call(&m, acquire_cbw("l", 3, 1, "tl")).await.expect("l");
    assert!(matches!(light, Response::Queued { .. }), "{light:?}");
    let poll = call(&m, common::acquire("s", "p", F, 3, 1))
        .await
        .expect("poll");
    assert!(matches!(poll, Response::Wait { .. }), "{poll:?}");
    assert_eq!(tokens.answer_of("tl"), None, "l must not overtake h");
    let la = granted(&tokens, "ta");
    call(&m, release("s", "a", &la)).await.expect("a");
    assert_eq!(tokens.answer_of("th"), None);
    assert_eq!(tokens.answer_of("tl"), None, "l must not overtake h");
    let lb = granted(&tokens, "tb");
    call(&m, release("s", "b", &lb)).await.expect("b");
    let lh = granted(&tokens, "th");
    assert_eq!(held(&m, "s").await, 3);
    assert_eq!(tokens.answer_of("tl"), None);
    call(&m, release("s", "h", &lh)).await.expect("h");
    let ll = granted(&tokens, "tl");
    call(&m, release("s", "l", &ll)).await.expect("l");
    let sem = semaphore(&m).await;
    assert!(sem.holders.is_empty() && sem.queue.is_empty(), "{sem:?}");
}

/// Lowering the stored limit while waiters are queued: releases hand out no more than the
/// new limit allows; raising it again lets the sweep hand out the rest.
#[tokio::test]
async fn a_lowered_stored_limit_holds_for_promotions() {
    let (m, tokens) = manager("hx-stored-limit", 1).await;
    let mut leases = Vec::new();
    for i in 0..4 {
        call(
            &m,
            acquire_cb(&format!("h{i}"), E, 4, &format!("t{i}"), 600),
        )
        .await
        .expect("h");
        leases.push(granted(&tokens, &format!("t{i}")));
    }
    for i in 0..4 {
        call(
            &m,
            acquire_cb(&format!("w{i}"), F, 4, &format!("tw{i}"), 600),
        )
        .await
        .expect("w");
    }
    store_limit(&m, 1).await;
    for (i, lease) in leases.iter().enumerate().take(3) {
        call(&m, release("s", &format!("h{i}"), lease))
            .await
            .expect("release");
        assert_eq!(
            tokens.answer_of("tw0"),
            None,
            "after release {i}: still 4-i held"
        );
    }
    call(&m, release("s", "h3", &leases[3])).await.expect("h3");
    granted(&tokens, "tw0");
    assert_eq!(tokens.answer_of("tw1"), None);
    assert_eq!(held(&m, "s").await, 1);
    store_limit(&m, 3).await;
    call(&m, json!({"action": "sweep"})).await.expect("sweep");
    granted(&tokens, "tw1");
    granted(&tokens, "tw2");
    assert_eq!(tokens.answer_of("tw3"), None);
    assert_eq!(held(&m, "s").await, 3);
    store_limit(&m, 0).await;
    let lw0 = granted(&tokens, "tw0");
    call(&m, release("s", "w0", &lw0)).await.expect("w0");
    assert_eq!(
        tokens.answer_of("tw3"),
        None,
        "a paused semaphore grants nothing"
    );
}

/// Random mix of weights with concurrent releases, sweeps and new arrivals: live weight
/// never exceeds the limit, each token is answered at most once, arrivals are granted in
/// order, and nothing stays held or queued at the end.
#[tokio::test]
async fn mixed_weights_under_concurrency_keep_every_invariant() {
    let (m, tokens) = manager("hx-mixed", 1).await;
    let m = Arc::new(m);
    const LIMIT: u32 = 4;
    let weights: Vec<u32> = (0..30).map(|i| [1, 2, 1, 3, 1][i % 5]).collect();
    for (i, w) in weights.iter().enumerate() {
        call(
            &*m,
            acquire_cbw(&format!("h{i:02}"), LIMIT, *w, &format!("t{i:02}")),
        )
        .await
        .expect("acquire");
    }
    let mut done = std::collections::HashSet::new();
    let mut order = Vec::new();
    let mut rounds = 0;
    while done.len() < weights.len() {
        rounds += 1;
        assert!(rounds < 500, "stuck: {:?}", semaphore(&*m).await);
        let sem = semaphore(&*m).await;
        assert!(sem.held(m.clock.now()) <= LIMIT, "{sem:?}");
        let mut batch = Vec::new();
        for (token, answer) in tokens.answers() {
            if done.insert(token.clone()) {
                let TokenAnswer::Success(v) = answer else {
                    panic!("{token}: {answer:?}")
                };
                order.push(token.clone());
                batch.push((token, v["leaseId"].as_str().expect("id").to_string()));
            }
        }
        let mut futs = Vec::new();
        for (token, lease) in batch {
            let m = m.clone();
            futs.push(tokio::spawn(async move {
                let holder = format!("h{}", &token[1..]);
                call(&*m, release("s", &holder, &lease)).await
            }));
        }
        let sweep = call(&*m, json!({"action": "sweep"}));
        let (_, swept) = tokio::join!(
            async {
                for f in futs {
                    f.await.expect("join").expect("release");
                }
            },
            sweep
        );
        swept.expect("sweep");
    }
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted, "granted out of arrival order");
    assert_eq!(successes(&tokens).len(), weights.len());
    let sem = semaphore(&*m).await;
    assert!(sem.holders.is_empty() && sem.queue.is_empty(), "{sem:?}");
}

// ---------------------------------------------------------------------------------------
// Stopped executions and the reaper.
// ---------------------------------------------------------------------------------------

/// The reaper frees a stopped execution's lease and queue entries and hands the slots to the
/// next execution's waiters; its waiters' closed tokens never get a slot.
#[tokio::test]
async fn the_reaper_frees_holders_and_waiters_of_a_stopped_execution() {
    let (m, tokens) = manager("hx-reap", 1).await;
    call(&m, acquire_cb("e1", E, 2, "te1", 600))
        .await
        .expect("e1");
    call(&m, acquire_cb("e2", E, 2, "te2", 600))
        .await
        .expect("e2");
    call(&m, acquire_cb("e3", E, 2, "te3", 600))
        .await
        .expect("e3");
    call(&m, acquire_cb("f1", F, 2, "tf1", 600))
        .await
        .expect("f1");
    let now = m.clock.now();
    m.clock.advance(3);
    for t in ["te1", "te2", "te3"] {
        tokens.close(t);
    }
    let event = StatusChange {
        execution: E.into(),
        status: "ABORTED".into(),
        stopped_at: Some(now + 1),
    };
    let r = m.reap(&event).await.expect("reap");
    assert_eq!(r, Response::Reaped { released: 2 });
    granted(&tokens, "tf1");
    let sem = semaphore(&m).await;
    assert_eq!(sem.held(m.clock.now()), 1, "{sem:?}");
    assert!(sem.queue.is_empty(), "{sem:?}");
    assert!(sem.holders.keys().all(|h| h == "f1"), "{sem:?}");
}

/// An aborted execution is redriven while its waiter is still queued: the redriven Task
/// acquires again (same holder, new token), which only re-points the queue entry and keeps
/// the old queue time. The late ABORTED event then drops the redriven execution's waiter,
/// and its Task is never answered although the slot frees.
#[tokio::test]
async fn a_late_reap_keeps_the_waiter_of_a_redriven_execution() {
    let (m, tokens) = manager("hx-redrive", 1).await;
    call(&m, acquire_cb("a", F, 1, "ta", 600)).await.expect("a");
    call(&m, acquire_cb("b", E, 1, "tb1", 600))
        .await
        .expect("b");
    let stopped = m.clock.now() + 1;
    tokens.close("tb1"); // E aborted
    m.clock.advance(60); // E redriven a minute later: the Task runs again
    let again = call(&m, acquire_cb("b", E, 1, "tb2", 600))
        .await
        .expect("redriven acquire");
    assert!(matches!(again, Response::Queued { .. }), "{again:?}");
    let event = StatusChange {
        execution: E.into(),
        status: "ABORTED".into(),
        stopped_at: Some(stopped),
    };
    m.reap(&event).await.expect("late reap");
    let la = granted(&tokens, "ta");
    call(&m, release("s", "a", &la)).await.expect("release");
    assert!(
        tokens.answer_of("tb2").is_some(),
        "the redriven waiter was dropped by the late event: {:?}",
        semaphore(&m).await
    );
}

/// releaseExecution racing a release that promotes that execution's waiter: whichever wins,
/// the stopped execution holds nothing afterwards and the other waiter gets the slot.
#[tokio::test]
async fn release_execution_racing_a_promotion_leaves_the_execution_nothing() {
    let (m, tokens) = manager("hx-relexec-race", 1).await;
    for round in 0..8 {
        let (a, e, f) = (
            format!("a{round}"),
            format!("e{round}"),
            format!("f{round}"),
        );
        enter(&m, &a, F, 1).await;
        enter(&m, &e, E, 1).await;
        enter(&m, &f, F, 1).await;
        tokens.close(&format!("t{e}"));
        let la = granted(&tokens, &format!("t{a}"));
        let (r, x) = tokio::join!(
            call(&m, release("s", &a, &la)),
            call(
                &m,
                json!({"action": "releaseExecution", "semaphore": "s", "execution": E})
            )
        );
        r.expect("release");
        x.expect("releaseExecution");
        let sem = semaphore(&m).await;
        assert!(
            !sem.holders.contains_key(&e) && !sem.queue.contains_key(&e),
            "round {round}: {sem:?}"
        );
        let lf = granted(&tokens, &format!("t{f}"));
        call(&m, release("s", &f, &lf)).await.expect("f");
    }
    let sem = semaphore(&m).await;
    assert!(sem.holders.is_empty() && sem.queue.is_empty(), "{sem:?}");
}

/// Lease expiry with waiters and no release: the sweep hands the expired slots on, and a
/// late release of the expired lease answers `lost` without freeing anything twice.
#[tokio::test]
async fn expired_leases_reach_waiters_and_late_releases_free_nothing_twice() {
    let (m, tokens) = manager("hx-expiry", 1).await;
    let a = json!({"action": "acquire", "semaphore": "s", "holder": "a", "execution": E,
                   "limit": 2, "leaseSeconds": 10, "taskToken": "ta", "waitSeconds": 600});
    call(&m, a).await.expect("a");
    call(&m, acquire_cb("b", E, 2, "tb", 600)).await.expect("b");
    call(&m, acquire_cb("c", F, 2, "tc", 600)).await.expect("c");
    call(&m, acquire_cb("d", F, 2, "td", 600)).await.expect("d");
    let la = granted(&tokens, "ta");
    m.clock.advance(11);
    call(&m, json!({"action": "sweep"})).await.expect("sweep");
    granted(&tokens, "tc");
    assert_eq!(tokens.answer_of("td"), None);
    let late = call(&m, release("s", "a", &la))
        .await
        .expect("late release");
    assert!(
        matches!(late, Response::Lost | Response::NotHeld),
        "{late:?}"
    );
    assert_eq!(
        tokens.answer_of("td"),
        None,
        "the late release freed nothing"
    );
    assert_eq!(held(&m, "s").await, 2);
}
