//! Giving leases back: one holder's release, one execution's leases on a semaphore, and the
//! reaper that frees a finished execution's leases everywhere.
//!
//! Every removal is fenced: it is conditioned on the entry still carrying the lease id that
//! is being released, so a stale or foreign release can never free a slot it does not own,
//! and since a removed entry simply stops existing, counts cannot go negative.

use super::{expr, failure, lease_id_expiry, Leases, CONTENTION_ROUNDS, PATHS_PER_WRITE};
use crate::error::LeaseError;
use crate::model::{execution_key, semaphore_key, Holder, HOLDERS, QUEUE, SEMAPHORES};
use crate::protocol::{Release, Response, StatusChange};
use crate::store::{jitter_ms, with_retries, Db, DbError, Item};
use crate::tokens::Tokens;

/// Clock skew allowed between Step Functions' `stopDate` and this function's clock.
pub const STOP_SLACK_SECONDS: i64 = 5;

/// Execution statuses after which an execution can hold nothing.
pub const TERMINAL: &[&str] = &[
    "SUCCEEDED",
    "FAILED",
    "TIMED_OUT",
    "ABORTED",
    "PENDING_REDRIVE",
];

impl<D: Db, T: Tokens> Leases<D, T> {
    /// Releases one lease: `released`, `lost` (it had expired) or `not_held`. One request,
    /// then a hand-off to callback waiters if the item had a queue.
    pub async fn release(&self, req: &Release) -> Result<Response, LeaseError> {
        let key = semaphore_key(&req.semaphore);
        let update = expr::remove_fenced(&key, &[(&req.holder, &req.lease_id)]);
        let now = self.clock.now();
        match with_retries(|| self.db.update(update.clone())).await {
            Ok(old) => {
                if has_queue(old.as_ref()) {
                    if let Err(e) = self.promote(&req.semaphore).await {
                        tracing::warn!(error = %e, "handing the slot to a waiter failed");
                    }
                }
                match old_holder(old.as_ref(), &req.holder) {
                    Some(h) if !h.live(now) => Ok(Response::Lost),
                    _ => Ok(Response::Released),
                }
            }
            Err(DbError::ConditionFailed) => match lease_id_expiry(&req.lease_id) {
                Some(exp) if exp <= now => Ok(Response::Lost),
                _ => Ok(Response::NotHeld),
            },
            Err(e) => Err(failure(e)),
        }
    }

    /// Frees every lease `execution` holds on `semaphore` that was asked for no later than
    /// `granted_by` (all of them when `None`), and drops its callback waiters likewise;
    /// returns how many leases were removed. Freed units go to other waiters.
    pub async fn release_execution(
        &self,
        semaphore: &str,
        execution: &str,
        granted_by: Option<i64>,
    ) -> Result<u32, LeaseError> {
        let key = semaphore_key(semaphore);
        let (mut released, mut conflicts) = (0u32, 0u32);
        while conflicts < CONTENTION_ROUNDS {
            let item = with_retries(|| self.db.get(&key)).await.map_err(failure)?;
            let sem = crate::model::Semaphore::from_item(semaphore, item.as_ref())?;
            let waiters: Vec<&str> = sem
                .queue
                .iter()
                .filter(|(_, w)| w.execution == execution)
                .filter(|(_, w)| granted_by.is_none_or(|t| w.queued_at <= t))
                .map(|(id, _)| id.as_str())
                .take(PATHS_PER_WRITE)
                .collect();
            if !waiters.is_empty() {
                let update = expr::remove_waiters(&key, &waiters);
                match with_retries(|| self.db.update(update.clone())).await {
                    Ok(_) | Err(DbError::ConditionFailed) => {}
                    Err(e) => return Err(failure(e)),
                }
            }
            let mine: Vec<(&str, &str)> = sem
                .holders
                .iter()
                .filter(|(_, h)| h.execution == execution)
                .filter(|(_, h)| granted_by.is_none_or(|t| h.granted_at <= t))
                .map(|(id, h)| (id.as_str(), h.lease_id.as_str()))
                .take(PATHS_PER_WRITE)
                .collect();
            if mine.is_empty() && waiters.is_empty() {
                if !sem.queue.is_empty() {
                    if let Err(e) = self.promote(semaphore).await {
                        tracing::warn!(error = %e, "handing freed slots to waiters failed");
                    }
                }
                return Ok(released);
            }
            if mine.is_empty() {
                conflicts += 1;
                continue;
            }
            let update = expr::remove_fenced(&key, &mine);
            match with_retries(|| self.db.update(update.clone())).await {
                Ok(_) => released += u32::try_from(mine.len()).unwrap_or(u32::MAX),
                Err(DbError::ConditionFailed) => {
                    conflicts += 1;
                    tokio::time::sleep(jitter_ms(10 * u64::from(conflicts))).await;
                }
                Err(e) => return Err(failure(e)),
            }
        }
        Err(LeaseError::Unavailable(format!(
            "semaphore {semaphore:?} kept changing; try again"
        )))
    }

    /// Handles an execution status change: on a terminal status, frees what the execution
    /// holds on every semaphore its index names, then deletes the index. Leases granted more
    /// than `STOP_SLACK_SECONDS` after the event's `stopDate` are kept: they belong to a
    /// redrive of the execution, and the event reached us late (EventBridge retries for hours).
    pub async fn reap(&self, event: &StatusChange) -> Result<Response, LeaseError> {
        if !TERMINAL.contains(&event.status.as_str()) {
            return Ok(Response::Reaped { released: 0 });
        }
        let key = execution_key(&event.execution);
        let index = with_retries(|| self.db.get(&key)).await.map_err(failure)?;
        let mut released = 0;
        for semaphore in index_semaphores(index.as_ref()) {
            let granted_by = event.stopped_at.map(|t| t + STOP_SLACK_SECONDS);
            released += self
                .release_execution(&semaphore, &event.execution, granted_by)
                .await?;
        }
        if index.is_some() {
            with_retries(|| self.db.delete(&key))
                .await
                .map_err(failure)?;
        }
        Ok(Response::Reaped { released })
    }
}

/// True when the item as it was before a write had callback waiters.
fn has_queue(old: Option<&Item>) -> bool {
    old.and_then(|item| item.get(QUEUE))
        .and_then(|q| q.as_m().ok())
        .is_some_and(|q| !q.is_empty())
}

fn old_holder(old: Option<&Item>, holder: &str) -> Option<Holder> {
    let map = old?.get(HOLDERS)?.as_m().ok()?;
    Holder::from_attribute(map.get(holder)?)
}

fn index_semaphores(index: Option<&Item>) -> Vec<String> {
    index
        .and_then(|item| item.get(SEMAPHORES))
        .and_then(|v| v.as_ss().ok())
        .cloned()
        .unwrap_or_default()
}
