//! The lease operations: acquire here, release and reaping in `release.rs`, polling waits in
//! `wait.rs`, and the callback queue with its hand-off in `handoff.rs`.
//!
//! Every decision is taken on a strongly consistent read and committed by one `UpdateItem`
//! whose condition fails if the read is stale, so no interleaving can exceed the limit.

mod expr;
mod handoff;
mod release;
mod wait;

pub use expr::PATHS_PER_WRITE;
pub use wait::backoff;

use crate::config::Config;
use crate::error::LeaseError;
use crate::model::{execution_key, semaphore_key, Clock, Holder, Semaphore};
use crate::protocol::{Acquire, Response};
use crate::store::{jitter_ms, with_retries, Db, DbError};
use crate::tokens::{NoTokens, Tokens};

/// Reads and conditional writes tried before a contended acquire answers `wait`.
pub const CONTENTION_ROUNDS: u32 = 8;
/// Budget for the holders map, below DynamoDB's 400 KB item limit; past it, acquire waits.
pub const ITEM_BUDGET_BYTES: usize = 350_000;
/// How long the execution index outlives the lease that last touched it.
pub const INDEX_GRACE_SECONDS: i64 = 86_400;

/// The lease manager: a DynamoDB handle, the configuration, a clock, and what answers task
/// tokens in callback mode.
#[derive(Debug, Clone)]
pub struct Leases<D, T = NoTokens> {
    /// Storage.
    pub db: D,
    /// Validated configuration.
    pub config: Config,
    /// Time source (adjustable in tests).
    pub clock: Clock,
    /// Answers task tokens (callback mode).
    pub tokens: T,
}

impl<D: Db> Leases<D, NoTokens> {
    /// Creates a manager that serves polling requests only (see [`Leases::with_tokens`]).
    pub fn new(db: D, config: Config, clock: Clock) -> Self {
        Leases {
            db,
            config,
            clock,
            tokens: NoTokens,
        }
    }
}

impl<D: Db, T: Tokens> Leases<D, T> {
    /// The same manager answering task tokens through `tokens`.
    pub fn with_tokens<U: Tokens>(self, tokens: U) -> Leases<D, U> {
        Leases {
            db: self.db,
            config: self.config,
            clock: self.clock,
            tokens,
        }
    }

    /// Takes a lease, returns the holder's live lease again, or answers `wait`; with a task
    /// token, grants at once or queues the holder (see `handoff.rs`).
    pub async fn acquire(&self, req: &Acquire) -> Result<Response, LeaseError> {
        if let (Some(token), Some(wait)) = (&req.task_token, req.wait_seconds) {
            return self.acquire_callback(req, token, wait).await;
        }
        let key = semaphore_key(&req.semaphore);
        let mut indexed = false;
        let mut seen = (0, req.limit.unwrap_or(self.config.default_limit));
        for round in 0..CONTENTION_ROUNDS {
            let sem = match self.read(&req.semaphore).await {
                Ok(sem) => sem,
                Err(Unavailable) => return Ok(self.busy(seen)),
            }?;
            let now = self.clock.now();
            let limit = sem.limit.or(req.limit).unwrap_or(self.config.default_limit);
            let held = sem.held(now);
            seen = (held, limit);
            if let Some(h) = sem.holders.get(&req.holder).filter(|h| h.live(now)) {
                return Ok(acquired(h, held, limit));
            }
            let weight = weight_within(req, limit)?;
            if !sem.waiting(now).is_empty() {
                if let Err(e) = self.promote(&req.semaphore).await {
                    tracing::warn!(error = %e, "handing slots to callback waiters failed");
                }
                return Ok(self.wait(req, held, limit).await);
            }
            if held.saturating_add(weight) > limit || !fits(&sem, now, req) {
                return Ok(self.wait(req, held, limit).await);
            }
            if !indexed {
                match self.index(req, now).await {
                    Ok(()) => indexed = true,
                    Err(DbError::Fatal(m)) => return Err(LeaseError::Config(m)),
                    Err(_) => return Ok(self.busy(seen)),
                }
            }
            let holder = self.new_holder(req, weight, now);
            match self.commit(&key, req, &holder, &sem, now).await {
                Ok(()) => return Ok(acquired(&holder, held + weight, limit)),
                Err(DbError::ConditionFailed) => {
                    tracing::debug!(round, "version moved under us; reading again");
                    tokio::time::sleep(jitter_ms(5 + 10 * u64::from(round))).await;
                }
                Err(DbError::Transient(_)) => return Ok(self.busy(seen)),
                Err(DbError::Fatal(m)) => return Err(LeaseError::Config(m)),
            }
        }
        Ok(self.wait(req, seen.0, seen.1).await)
    }

    /// Consistent read of a semaphore, retried on transient errors.
    pub(super) async fn read(
        &self,
        name: &str,
    ) -> Result<Result<Semaphore, LeaseError>, Unavailable> {
        let key = semaphore_key(name);
        match with_retries(|| self.db.get(&key)).await {
            Ok(item) => Ok(Semaphore::from_item(name, item.as_ref())),
            Err(DbError::Fatal(m)) => Ok(Err(LeaseError::Config(m))),
            Err(_) => Err(Unavailable),
        }
    }

    /// Writes the execution index before the grant, so the reaper can never miss a holder.
    pub(super) async fn index(&self, req: &Acquire, now: i64) -> Result<(), DbError> {
        let ttl = now + i64::from(self.lease_seconds(req)) + INDEX_GRACE_SECONDS;
        let update = expr::index(&execution_key(&req.execution), &req.semaphore, ttl);
        with_retries(|| self.db.update(update.clone()))
            .await
            .map(|_| ())
    }

    pub(super) async fn commit(
        &self,
        key: &str,
        req: &Acquire,
        holder: &Holder,
        sem: &Semaphore,
        now: i64,
    ) -> Result<(), DbError> {
        let expired: Vec<&str> = sem
            .holders
            .iter()
            .filter(|(id, h)| !h.live(now) && **id != req.holder)
            .map(|(id, _)| id.as_str())
            .collect();
        let update = expr::grant(key, &req.holder, holder, sem, &expired);
        with_retries(|| self.db.update(update.clone()))
            .await
            .map(|_| ())
    }

    pub(super) fn new_holder(&self, req: &Acquire, weight: u32, now: i64) -> Holder {
        let expires_at = now + i64::from(self.lease_seconds(req));
        Holder {
            lease_id: new_lease_id(expires_at),
            weight,
            expires_at,
            execution: req.execution.clone(),
            granted_at: now,
            delivery: None,
        }
    }

    pub(super) fn lease_seconds(&self, req: &Acquire) -> u32 {
        req.lease_seconds
            .unwrap_or(self.config.default_lease_seconds)
    }
}

/// Marker: DynamoDB stayed unavailable after retries.
pub(super) struct Unavailable;

/// The request's weight (1 by default), refused when no limit above 0 could ever grant it.
pub(super) fn weight_within(req: &Acquire, limit: u32) -> Result<u32, LeaseError> {
    let weight = req.weight.unwrap_or(1);
    if weight > limit && limit > 0 {
        return Err(LeaseError::field(
            "weight",
            format!("{weight} exceeds limit {limit}"),
        ));
    }
    Ok(weight)
}

/// The error for a DynamoDB failure the caller cannot answer around.
pub(super) fn failure(e: DbError) -> LeaseError {
    match e {
        DbError::Fatal(m) => LeaseError::Config(m),
        other => LeaseError::Unavailable(other.to_string()),
    }
}

pub(super) fn acquired(h: &Holder, held: u32, limit: u32) -> Response {
    Response::Acquired {
        lease_id: h.lease_id.clone(),
        expires_at: h.expires_at,
        held,
        limit,
    }
}

/// True when adding the request's entry keeps the live holders within the item budget.
pub(super) fn fits(sem: &Semaphore, now: i64, req: &Acquire) -> bool {
    let live: usize = sem
        .holders
        .iter()
        .filter(|(_, h)| h.live(now))
        .map(|(id, h)| h.approx_bytes(id))
        .sum();
    let queued: usize = sem.queue.iter().map(|(id, w)| w.approx_bytes(id)).sum();
    live + queued + req.holder.len() + req.execution.len() + 80 <= ITEM_BUDGET_BYTES
}

/// A random lease id that also carries its expiry, so a failed release can tell an expired
/// lease (`lost`) from an unknown one (`not_held`) without another read.
pub fn new_lease_id(expires_at: i64) -> String {
    format!("{:024x}.{expires_at}", rand::random::<u128>() >> 32)
}

/// Expiry encoded in a lease id by [`new_lease_id`].
pub fn lease_id_expiry(lease_id: &str) -> Option<i64> {
    lease_id.rsplit_once('.')?.1.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lease_ids_are_unique_and_carry_their_expiry() {
        let (a, b) = (new_lease_id(1_767_225_600), new_lease_id(1_767_225_600));
        assert_ne!(a, b);
        assert_eq!(lease_id_expiry(&a), Some(1_767_225_600));
        assert_eq!(lease_id_expiry("forged"), None);
    }
}
