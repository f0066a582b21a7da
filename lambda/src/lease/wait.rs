//! Wait answers: how long a holder that cannot get its lease should wait.
//!
//! The delay backs off with the number of times this holder was told to wait, counted in a
//! small record of its own (`wait#...`, TTL-deleted) rather than on the semaphore item, so
//! waiting neither grows the semaphore item, nor counts toward `held`, nor contends with the
//! writes of acquires and releases.

use super::{expr, Leases};
use crate::model::waiter_key;
use crate::model::ATTEMPTS;
use crate::protocol::{Acquire, Response};
use crate::store::{with_retries, Db};
use crate::tokens::Tokens;

/// How long a waiter record outlives its last wait.
const WAITER_TTL_SECONDS: i64 = 86_400;
/// Attempt count assumed when DynamoDB is unavailable.
const UNAVAILABLE_ATTEMPT: u32 = 2;

/// Whole seconds to wait after the `attempt`-th wait (1-based): "equal jitter" between half
/// and all of `min(cap, 2^attempt)`, never below 1.
pub fn backoff(attempt: u32, cap: u32) -> u32 {
    let ceiling = 2u32.saturating_pow(attempt.clamp(1, 20)).min(cap.max(1));
    let floor = (ceiling / 2).max(1);
    rand::random_range(floor..=ceiling)
}

impl<D: Db, T: Tokens> Leases<D, T> {
    /// The `wait` answer for a full semaphore, after counting this holder's wait.
    pub(super) async fn wait(&self, req: &Acquire, held: u32, limit: u32) -> Response {
        let attempt = self.count_wait(req).await.unwrap_or(1);
        let retry_after_seconds = backoff(attempt, self.config.max_retry_after);
        Response::Wait {
            retry_after_seconds,
            held,
            limit,
        }
    }

    /// The `wait` answer when DynamoDB stayed unavailable: never granted (invariant 7).
    pub(super) fn busy(&self, (held, limit): (u32, u32)) -> Response {
        tracing::warn!("DynamoDB unavailable after retries; answering wait");
        let retry_after_seconds = backoff(UNAVAILABLE_ATTEMPT, self.config.max_retry_after);
        Response::Wait {
            retry_after_seconds,
            held,
            limit,
        }
    }

    async fn count_wait(&self, req: &Acquire) -> Option<u32> {
        let ttl = self.clock.now() + WAITER_TTL_SECONDS;
        let update = expr::count_wait(&waiter_key(&req.semaphore, &req.holder), ttl);
        let item = with_retries(|| self.db.update(update.clone()))
            .await
            .ok()??;
        item.get(ATTEMPTS)?.as_n().ok()?.parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::backoff;

    #[test]
    fn backoff_grows_with_attempts_stays_whole_and_capped() {
        for _ in 0..200 {
            assert!((1..=2).contains(&backoff(1, 30)));
            assert!((2..=4).contains(&backoff(2, 30)));
            assert!((8..=16).contains(&backoff(4, 30)));
            assert!((15..=30).contains(&backoff(9, 30)));
            assert!((15..=30).contains(&backoff(u32::MAX, 30)));
            assert_eq!(backoff(0, 1), 1);
        }
    }
}
