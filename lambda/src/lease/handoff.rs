//! Callback mode: a holder asks once with its task token and is answered when a slot is
//! its. The protocol, and why it neither exceeds the limit nor loses a slot, is in the crate
//! docs ("Callback mode"); this file follows it step by step.

use super::CONTENTION_ROUNDS;
use super::{acquired, expr, failure, fits, new_lease_id, weight_within, Leases, Unavailable};
use crate::error::LeaseError;
use crate::model::{semaphore_key, waiter_key, Delivery, Holder, Semaphore, Waiter};
use crate::model::{QUEUE_SEQ, REGISTRY_KEY, REGISTRY_PREFIX, TOKEN};
use crate::protocol::{Acquire, Response};
use crate::store::{jitter_ms, with_retries, Db, DbError};
use crate::tokens::{digest, TokenError, Tokens};

/// Waiters granted, dropped or holders pruned per promotion write (each is one path).
const PER_WRITE: usize = 12;
/// What a refused answer most likely means, for logs and errors.
const REFUSED_HINT: &str = "Step Functions refused the task token answer; the function needs \
    states:SendTaskSuccess and states:SendTaskFailure (Terraform: callback_enabled = true)";

/// How long a waiter record (its token) outlives the waiter's deadline.
const TOKEN_GRACE_SECONDS: i64 = 3600;

/// What one promotion pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Promoted {
    /// Waiters whose token was answered with their lease.
    pub granted: u32,
    /// Queue entries still stored after the pass (live or not).
    pub queued: usize,
}

/// How answering one grant ended.
enum Outcome {
    /// The token took the answer.
    Delivered,
    /// The token was closed and the grant was taken back: the slot is free again.
    TakenBack,
    /// Step Functions refused the answer (the function may not answer tokens); the grant
    /// was taken back, and answering other waiters would be refused too.
    Refused(String),
    /// Not answered: the waiter record holds a newer token (its acquire answers it), or the
    /// outcome is unknown; the grant stays, and the holder's release, the reaper or expiry
    /// frees it.
    Kept,
}

impl<D: Db, T: Tokens> Leases<D, T> {
    /// Callback acquire: grant at once and answer the token, or queue the holder.
    pub(super) async fn acquire_callback(
        &self,
        req: &Acquire,
        token: &str,
        wait_seconds: u32,
    ) -> Result<Response, LeaseError> {
        let key = semaphore_key(&req.semaphore);
        let tk = digest(token);
        let (mut indexed, mut prepared) = (false, false);
        let mut seq = None;
        for round in 0..CONTENTION_ROUNDS {
            let sem = self.read_or_unavailable(&req.semaphore).await?;
            let now = self.clock.now();
            let limit = sem.limit.or(req.limit).unwrap_or(self.config.default_limit);
            let held = sem.held(now);
            if let Some(h) = sem.holders.get(&req.holder).filter(|h| h.live(now)) {
                if h.delivery.as_ref().is_some_and(|d| d.token == tk) {
                    return self.answer_again(h, token, held, limit).await;
                }
                let delivery = new_delivery(&tk);
                let claim = expr::claim(&key, &req.holder, &h.lease_id, &delivery);
                match with_retries(|| self.db.update(claim.clone())).await {
                    Ok(_) => {
                        let mut h = h.clone();
                        h.delivery = Some(delivery);
                        return self
                            .answer_grant(&key, &req.holder, &h, token, held, limit)
                            .await;
                    }
                    Err(DbError::ConditionFailed) => continue,
                    Err(e) => return Err(failure(e)),
                }
            }
            let weight = weight_within(req, limit)?;
            if !indexed {
                self.index(req, now).await.map_err(failure)?;
                indexed = true;
            }
            let waiting = sem.waiting(now);
            if waiting.is_empty() && held.saturating_add(weight) <= limit && fits(&sem, now, req) {
                let mut holder = self.new_holder(req, weight, now);
                holder.delivery = Some(new_delivery(&tk));
                match self.commit(&key, req, &holder, &sem, now).await {
                    Ok(()) => {
                        let held = held + weight;
                        return self
                            .answer_grant(&key, &req.holder, &holder, token, held, limit)
                            .await;
                    }
                    Err(DbError::ConditionFailed) => {
                        tokio::time::sleep(jitter_ms(5 + 10 * u64::from(round))).await;
                        continue;
                    }
                    Err(e) => return Err(failure(e)),
                }
            }
            let deadline = now + i64::from(wait_seconds);
            if !prepared {
                self.prepare_wait(req, token, deadline).await?;
                prepared = true;
            }
            let queued = sem.queue.get(&req.holder).filter(|w| w.live(now));
            let write = match queued {
                Some(_) => expr::retoken(&key, &req.holder, &tk, deadline, now),
                None => {
                    if !fits(&sem, now, req) {
                        return Err(LeaseError::Unavailable(format!(
                            "the queue of semaphore {:?} is full (item size budget)",
                            req.semaphore
                        )));
                    }
                    let seq = match seq {
                        Some(n) => n,
                        None => {
                            let n = self.next_seq(&key).await?;
                            seq = Some(n);
                            n
                        }
                    };
                    let waiter = Waiter {
                        seq,
                        deadline,
                        weight,
                        execution: req.execution.clone(),
                        token: tk.clone(),
                        limit: req.limit,
                        lease_seconds: req.lease_seconds,
                        queued_at: now,
                    };
                    expr::enqueue(&key, &req.holder, &waiter, sem.has_queue, now)
                }
            };
            match with_retries(|| self.db.update(write.clone())).await {
                Ok(_) => {
                    let register = expr::register(&req.semaphore);
                    if let Err(e) = with_retries(|| self.db.update(register.clone())).await {
                        tracing::warn!(error = %e, "not registered for the sweep");
                    }
                    let position = match queued {
                        Some(w) => waiting.iter().filter(|(_, o)| o.seq <= w.seq).count(),
                        None => waiting.len() + 1,
                    };
                    if let Err(e) = self.promote(&req.semaphore).await {
                        tracing::warn!(error = %e, "promotion after queueing failed");
                    }
                    return Ok(Response::Queued {
                        position: u32::try_from(position).unwrap_or(u32::MAX),
                        held,
                        limit,
                    });
                }
                Err(DbError::ConditionFailed) => {
                    tokio::time::sleep(jitter_ms(5 + 10 * u64::from(round))).await;
                }
                Err(e) => return Err(failure(e)),
            }
        }
        Err(LeaseError::Unavailable(format!(
            "semaphore {:?} kept changing; try again",
            req.semaphore
        )))
    }

    /// Before a holder is queued, its token goes into its waiter record (read at hand-off).
    async fn prepare_wait(
        &self,
        req: &Acquire,
        token: &str,
        deadline: i64,
    ) -> Result<(), LeaseError> {
        let ttl = deadline + TOKEN_GRACE_SECONDS;
        let store = expr::store_token(&waiter_key(&req.semaphore, &req.holder), token, ttl);
        with_retries(|| self.db.update(store.clone()))
            .await
            .map_err(failure)?;
        Ok(())
    }

    /// Answers the token of a grant just claimed. A closed token's grant is taken back; an
    /// unknown outcome fails the invocation so the guard retries with a new token, which
    /// finds the live lease and claims it again.
    async fn answer_grant(
        &self,
        key: &str,
        id: &str,
        holder: &Holder,
        token: &str,
        held: u32,
        limit: u32,
    ) -> Result<Response, LeaseError> {
        let semaphore = key.strip_prefix("sem#").unwrap_or(key);
        match self.answer(key, id, holder, token, held, limit).await {
            Outcome::Delivered => Ok(acquired(holder, held, limit)),
            Outcome::TakenBack => {
                if let Err(e) = self.promote(semaphore).await {
                    tracing::warn!(error = %e, "promotion after a take-back failed");
                }
                Ok(Response::NotHeld)
            }
            Outcome::Kept => Err(LeaseError::Unavailable(
                "the lease is held but its task token could not be answered; try again".into(),
            )),
            Outcome::Refused(m) => Err(LeaseError::Config(format!("{REFUSED_HINT}: {m}"))),
        }
    }

    /// Answers a token whose grant is already claimed for it: a duplicate invocation, or a
    /// retry after the claiming write's response was lost. Step Functions takes one answer
    /// per token, so answering again is harmless; a closed token here means answered before
    /// (or dead), and nothing is taken back, because this call did not make the claim.
    async fn answer_again(
        &self,
        holder: &Holder,
        token: &str,
        held: u32,
        limit: u32,
    ) -> Result<Response, LeaseError> {
        match self.send_acquired(holder, token, held, limit).await {
            Ok(()) | Err(TokenError::Closed(_)) => Ok(acquired(holder, held, limit)),
            Err(TokenError::Refused(m)) => Err(LeaseError::Config(format!("{REFUSED_HINT}: {m}"))),
            Err(TokenError::Unknown(m)) => Err(LeaseError::Unavailable(format!(
                "the lease is held but its task token could not be answered: {m}"
            ))),
        }
    }

    /// `SendTaskSuccess` with the `acquired` answer of `holder`.
    async fn send_acquired(
        &self,
        holder: &Holder,
        token: &str,
        held: u32,
        limit: u32,
    ) -> Result<(), TokenError> {
        let output = serde_json::to_string(&acquired(holder, held, limit)).unwrap_or_default();
        self.tokens.succeed(token, output).await
    }

    async fn answer(
        &self,
        key: &str,
        id: &str,
        holder: &Holder,
        token: &str,
        held: u32,
        limit: u32,
    ) -> Outcome {
        match self.send_acquired(holder, token, held, limit).await {
            Ok(()) => Outcome::Delivered,
            Err(TokenError::Closed(m)) => {
                tracing::info!(holder = id, reason = %m, "token closed; taking the grant back");
                let Some(d) = &holder.delivery else {
                    return Outcome::Kept;
                };
                let back = expr::take_back(key, id, &holder.lease_id, &d.nonce);
                match with_retries(|| self.db.update(back.clone())).await {
                    Ok(_) => Outcome::TakenBack,
                    Err(e) => {
                        tracing::info!(holder = id, error = %e, "grant not taken back");
                        Outcome::Kept
                    }
                }
            }
            Err(TokenError::Unknown(m)) => {
                tracing::warn!(holder = id, error = %m, "task token not answered; lease kept");
                Outcome::Kept
            }
            Err(TokenError::Refused(m)) => {
                tracing::error!(holder = id, error = %m, "{REFUSED_HINT}");
                if let Some(d) = &holder.delivery {
                    let back = expr::take_back(key, id, &holder.lease_id, &d.nonce);
                    if let Err(e) = with_retries(|| self.db.update(back.clone())).await {
                        tracing::warn!(holder = id, error = %e, "grant not taken back");
                    }
                }
                Outcome::Refused(m)
            }
        }
    }

    /// Hands free units to the oldest live waiters, drops waiters past their deadline and
    /// prunes expired leases, until nothing more fits. Safe to run anywhere, any number of
    /// times, concurrently: each move is one version-conditioned write.
    pub async fn promote(&self, semaphore: &str) -> Result<Promoted, LeaseError> {
        let key = semaphore_key(semaphore);
        let mut done = Promoted::default();
        let mut conflicts = 0;
        while conflicts < CONTENTION_ROUNDS {
            let sem = self.read_or_unavailable(semaphore).await?;
            let now = self.clock.now();
            done.queued = sem.queue.len();
            if sem.queue.is_empty() {
                return Ok(done);
            }
            let (grants, held) = self.choose(&sem, now);
            let dropped: Vec<(&str, u64)> = sem
                .queue
                .iter()
                .filter(|(_, w)| !w.live(now))
                .map(|(id, w)| (id.as_str(), w.seq))
                .take(PER_WRITE)
                .collect();
            if grants.is_empty() && dropped.is_empty() {
                return Ok(done);
            }
            let expired: Vec<&str> = sem
                .holders
                .iter()
                .filter(|(id, h)| !h.live(now) && !grants.iter().any(|(g, _)| g == *id))
                .map(|(id, _)| id.as_str())
                .take(PER_WRITE)
                .collect();
            let grant_refs: Vec<(&str, Holder)> = grants
                .iter()
                .map(|(id, h)| (id.as_str(), h.clone()))
                .collect();
            let write = expr::promote(&key, &sem, &grant_refs, &dropped, &expired);
            match with_retries(|| self.db.update(write.clone())).await {
                Ok(_) => {}
                Err(DbError::ConditionFailed) if self.landed(semaphore, &grants).await => {}
                Err(DbError::ConditionFailed) => {
                    conflicts += 1;
                    tokio::time::sleep(jitter_ms(5 + 10 * u64::from(conflicts))).await;
                    continue;
                }
                Err(e) => return Err(failure(e)),
            }
            done.queued -= grants.len() + dropped.len();
            let limit_of = |w: Option<&Waiter>| {
                sem.limit
                    .or(w.and_then(|w| w.limit))
                    .unwrap_or(self.config.default_limit)
            };
            let mut again = grants.len() == PER_WRITE || dropped.len() == PER_WRITE;
            for (id, holder) in &grants {
                let limit = limit_of(sem.queue.get(id));
                match self
                    .hand_off(semaphore, &key, id, holder, held, limit)
                    .await
                {
                    Outcome::Delivered => done.granted += 1,
                    Outcome::TakenBack => again = true,
                    Outcome::Kept | Outcome::Refused(_) => {}
                }
            }
            if !again {
                return Ok(done);
            }
        }
        Err(LeaseError::Unavailable(format!(
            "semaphore {semaphore:?} kept changing while handing slots to waiters"
        )))
    }

    /// True when a promotion write whose retry failed its condition had in fact landed (its
    /// first attempt's response was lost): every grant is stored with this pass's nonce.
    async fn landed(&self, semaphore: &str, grants: &[(String, Holder)]) -> bool {
        if grants.is_empty() {
            return false;
        }
        let Ok(sem) = self.read_or_unavailable(semaphore).await else {
            return false;
        };
        grants.iter().all(|(id, h)| {
            let stored = sem.holders.get(id).and_then(|s| s.delivery.as_ref());
            stored.is_some() && stored == h.delivery.as_ref()
        })
    }

    /// The oldest live waiters that fit, in arrival order, stopping at the first that does
    /// not (so a heavy waiter is not overtaken for ever), with the weight held after them.
    fn choose(&self, sem: &Semaphore, now: i64) -> (Vec<(String, Holder)>, u32) {
        let mut held = sem.held(now);
        let mut grants = Vec::new();
        for (id, w) in sem.waiting(now).into_iter().take(PER_WRITE) {
            let limit = sem.limit.or(w.limit).unwrap_or(self.config.default_limit);
            if held.saturating_add(w.weight) > limit {
                break;
            }
            held += w.weight;
            let seconds = w.lease_seconds.unwrap_or(self.config.default_lease_seconds);
            let expires_at = now + i64::from(seconds);
            let holder = Holder {
                lease_id: new_lease_id(expires_at),
                weight: w.weight,
                expires_at,
                execution: w.execution.clone(),
                granted_at: w.queued_at,
                delivery: Some(new_delivery(&w.token)),
            };
            grants.push((id.to_string(), holder));
        }
        (grants, held)
    }

    /// Answers a promoted waiter's token, read from its waiter record. A record holding a
    /// newer token than the one queued means a retried acquire is under way; that acquire
    /// finds the live lease and answers its own token, so this one does nothing.
    async fn hand_off(
        &self,
        semaphore: &str,
        key: &str,
        id: &str,
        holder: &Holder,
        held: u32,
        limit: u32,
    ) -> Outcome {
        let record_key = waiter_key(semaphore, id);
        let record = with_retries(|| self.db.get(&record_key)).await;
        let token = match record {
            Ok(Some(item)) => item.get(TOKEN).and_then(|t| t.as_s().ok()).cloned(),
            Ok(None) => None,
            Err(e) => {
                tracing::warn!(holder = id, error = %e, "waiter record unreadable; lease kept");
                return Outcome::Kept;
            }
        };
        let expected = holder.delivery.as_ref().map(|d| d.token.as_str());
        match token {
            Some(token) if Some(digest(&token).as_str()) == expected => {
                self.answer(key, id, holder, &token, held, limit).await
            }
            _ => {
                tracing::info!(holder = id, "a newer token is on its way; not answering");
                Outcome::Kept
            }
        }
    }

    /// `{"action": "sweep"}`: promotes waiters on every semaphore in the registry, so slots
    /// of expired leases reach waiters even when nobody releases, and forgets semaphores
    /// whose queue is empty. One failing semaphore does not stop the others; the sweep then
    /// fails with its error after visiting them all.
    pub async fn sweep(&self) -> Result<Response, LeaseError> {
        let registry = with_retries(|| self.db.get(REGISTRY_KEY))
            .await
            .map_err(failure)?;
        let names: Vec<(String, u64)> = registry
            .iter()
            .flatten()
            .filter_map(|(attr, v)| {
                let name = attr.strip_prefix(REGISTRY_PREFIX)?;
                Some((name.to_string(), v.as_n().ok()?.parse().ok()?))
            })
            .collect();
        let (mut semaphores, mut granted) = (0u32, 0u32);
        let mut failed = None;
        for (name, seen) in names {
            semaphores += 1;
            let done = match self.promote(&name).await {
                Ok(done) => done,
                Err(e) => {
                    tracing::warn!(semaphore = %name, error = %e, "sweep: promotion failed");
                    failed = Some(e);
                    continue;
                }
            };
            granted += done.granted;
            if done.queued == 0 {
                let forget = expr::forget(&name, seen);
                match with_retries(|| self.db.update(forget.clone())).await {
                    Ok(_) | Err(DbError::ConditionFailed) => {}
                    Err(e) => failed = Some(failure(e)),
                }
            }
        }
        if let Some(e) = failed {
            return Err(e);
        }
        Ok(Response::Swept {
            semaphores,
            granted,
        })
    }

    /// Takes the next arrival number of the semaphore's queue.
    async fn next_seq(&self, key: &str) -> Result<u64, LeaseError> {
        let take = expr::next_seq(key);
        let item = with_retries(|| self.db.update(take.clone()))
            .await
            .map_err(failure)?;
        item.as_ref()
            .and_then(|i| i.get(QUEUE_SEQ))
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| LeaseError::Config("the queue's arrival counter is malformed".into()))
    }

    async fn read_or_unavailable(&self, name: &str) -> Result<Semaphore, LeaseError> {
        match self.read(name).await {
            Ok(sem) => sem,
            Err(Unavailable) => Err(LeaseError::Unavailable(
                "DynamoDB unavailable after retries".into(),
            )),
        }
    }
}

fn new_delivery(token_digest: &str) -> Delivery {
    Delivery {
        token: token_digest.to_string(),
        nonce: format!("{:016x}", rand::random::<u64>()),
    }
}
