//! The DynamoDB items of the lease manager and their (de)serialisation.
//!
//! Four kinds of item share one table keyed by `pk` (see the crate docs for why):
//! `sem#<name>` (holders map, callback queue, version, optional stored limit), `exec#<arn>`
//! (semaphores an execution touched), `wait#<name>#<holder>` (a waiting holder's attempt
//! count, or its latest task token) and `queues` (semaphores with callback waiters).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::types::AttributeValue;

use crate::error::LeaseError;
use crate::store::Item;

/// Attribute: map of holder id to [`Holder`].
pub const HOLDERS: &str = "holders";
/// Attribute: version number, bumped by every write that adds a holder.
pub const VERSION: &str = "ver";
/// Attribute: operator-set limit that overrides the request and the default.
pub const LIMIT: &str = "limit";
/// Attribute: DynamoDB TTL (epoch seconds) on items that may be deleted.
pub const TTL: &str = "ttl";
/// Attribute of the execution index: string set of semaphore names.
pub const SEMAPHORES: &str = "sems";
/// Attribute of a waiter record: how often the holder was told to wait.
pub const ATTEMPTS: &str = "n";
/// Attribute: map of holder id to [`Waiter`], the callback queue.
pub const QUEUE: &str = "q";
/// Attribute: arrival counter of the queue (the last sequence number given out).
pub const QUEUE_SEQ: &str = "qs";
/// Attribute of a waiter record: the holder's latest task token.
pub const TOKEN: &str = "tok";
/// Key of the registry of semaphores that have had callback waiters (for the sweep).
pub const REGISTRY_KEY: &str = "queues";
/// Registry attributes are this prefix plus a semaphore name; each counts queueings.
pub const REGISTRY_PREFIX: &str = "s:";

/// Key of a semaphore item.
pub fn semaphore_key(name: &str) -> String {
    format!("sem#{name}")
}

/// Key of an execution index item.
pub fn execution_key(arn: &str) -> String {
    format!("exec#{arn}")
}

/// Key of a waiter record. The semaphore name cannot contain control characters, so the
/// unit separator keeps `a#b` + `c` apart from `a` + `b#c`.
pub fn waiter_key(semaphore: &str, holder: &str) -> String {
    format!("wait#{semaphore}\u{1f}{holder}")
}

/// Who may answer the task token of a callback grant: the digest of the token the lease
/// was granted for, and the random nonce of the one write that claimed the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// [`crate::tokens::digest`] of the task token.
    pub token: String,
    /// Nonce of the claiming write; a take-back is fenced on it.
    pub nonce: String,
}

/// One lease on a semaphore.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    /// Fencing token handed out at acquire.
    pub lease_id: String,
    /// Units taken.
    pub weight: u32,
    /// Absolute expiry, epoch seconds; the lease stops counting at this second.
    pub expires_at: i64,
    /// Execution ARN that took the lease.
    pub execution: String,
    /// When the lease was asked for, epoch seconds (0 if unknown): the grant time, or for a
    /// waiter the time it was queued. Lets the reaper skip leases asked for after the
    /// execution stopped (a redriven execution's new leases).
    pub granted_at: i64,
    /// Set on callback grants: whose token the grant is answered to.
    pub delivery: Option<Delivery>,
}

impl Holder {
    /// True while the lease counts toward the limit.
    pub fn live(&self, now: i64) -> bool {
        self.expires_at > now
    }

    /// The map value stored under the holder id.
    pub fn to_attribute(&self) -> AttributeValue {
        let mut m: std::collections::HashMap<String, AttributeValue> = [
            ("id".to_string(), AttributeValue::S(self.lease_id.clone())),
            ("w".to_string(), AttributeValue::N(self.weight.to_string())),
            (
                "exp".to_string(),
                AttributeValue::N(self.expires_at.to_string()),
            ),
            ("ex".to_string(), AttributeValue::S(self.execution.clone())),
            (
                "at".to_string(),
                AttributeValue::N(self.granted_at.to_string()),
            ),
        ]
        .into();
        if let Some(d) = &self.delivery {
            m.insert("tk".into(), AttributeValue::S(d.token.clone()));
            m.insert("dl".into(), AttributeValue::S(d.nonce.clone()));
        }
        AttributeValue::M(m)
    }

    /// Reads a stored map value; `None` when it is malformed.
    pub fn from_attribute(value: &AttributeValue) -> Option<Holder> {
        let m = value.as_m().ok()?;
        Some(Holder {
            lease_id: m.get("id")?.as_s().ok()?.clone(),
            weight: m.get("w")?.as_n().ok()?.parse().ok()?,
            expires_at: m.get("exp")?.as_n().ok()?.parse().ok()?,
            execution: m.get("ex")?.as_s().ok()?.clone(),
            granted_at: match m.get("at") {
                Some(at) => at.as_n().ok()?.parse().ok()?,
                None => 0,
            },
            delivery: match (m.get("tk"), m.get("dl")) {
                (Some(tk), Some(dl)) => Some(Delivery {
                    token: tk.as_s().ok()?.clone(),
                    nonce: dl.as_s().ok()?.clone(),
                }),
                (None, None) => None,
                _ => return None,
            },
        })
    }

    /// Approximate stored size in bytes (names plus values), for the item size budget.
    pub fn approx_bytes(&self, holder: &str) -> usize {
        let delivery = self
            .delivery
            .as_ref()
            .map_or(0, |d| d.token.len() + d.nonce.len() + 12);
        holder.len() + self.lease_id.len() + self.execution.len() + 52 + delivery
    }
}

/// A holder queued in callback mode, waiting for a slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiter {
    /// Arrival number; the smallest is served first.
    pub seq: u64,
    /// Epoch second after which the waiter is dropped (its Task has timed out).
    pub deadline: i64,
    /// Units asked for.
    pub weight: u32,
    /// Execution ARN of the waiting Task.
    pub execution: String,
    /// Digest of the waiter's latest task token ([`crate::tokens::digest`]).
    pub token: String,
    /// Limit the request asked for, if any.
    pub limit: Option<u32>,
    /// Lease length the request asked for, if any.
    pub lease_seconds: Option<u32>,
    /// When it was queued, epoch seconds.
    pub queued_at: i64,
}

impl Waiter {
    /// True while the waiter may still be granted.
    pub fn live(&self, now: i64) -> bool {
        self.deadline > now
    }

    /// The map value stored under the holder id in the queue.
    pub fn to_attribute(&self) -> AttributeValue {
        let n = |v: i64| AttributeValue::N(v.to_string());
        let mut m: std::collections::HashMap<String, AttributeValue> = [
            ("s".to_string(), AttributeValue::N(self.seq.to_string())),
            ("d".to_string(), n(self.deadline)),
            ("w".to_string(), AttributeValue::N(self.weight.to_string())),
            ("ex".to_string(), AttributeValue::S(self.execution.clone())),
            ("tk".to_string(), AttributeValue::S(self.token.clone())),
            ("at".to_string(), n(self.queued_at)),
        ]
        .into();
        if let Some(l) = self.limit {
            m.insert("l".into(), AttributeValue::N(l.to_string()));
        }
        if let Some(ls) = self.lease_seconds {
            m.insert("ls".into(), AttributeValue::N(ls.to_string()));
        }
        AttributeValue::M(m)
    }

    /// Reads a stored queue entry; `None` when it is malformed.
    pub fn from_attribute(value: &AttributeValue) -> Option<Waiter> {
        let m = value.as_m().ok()?;
        let num = |k: &str| -> Option<i64> { m.get(k)?.as_n().ok()?.parse().ok() };
        let opt = |k: &str| -> Option<Option<u32>> {
            match m.get(k) {
                None => Some(None),
                Some(v) => Some(Some(v.as_n().ok()?.parse().ok()?)),
            }
        };
        Some(Waiter {
            seq: u64::try_from(num("s")?).ok()?,
            deadline: num("d")?,
            weight: u32::try_from(num("w")?).ok()?,
            execution: m.get("ex")?.as_s().ok()?.clone(),
            token: m.get("tk")?.as_s().ok()?.clone(),
            limit: opt("l")?,
            lease_seconds: opt("ls")?,
            queued_at: num("at")?,
        })
    }

    /// Approximate stored size in bytes, for the item size budget.
    pub fn approx_bytes(&self, holder: &str) -> usize {
        holder.len() + self.execution.len() + self.token.len() + 80
    }
}

/// A semaphore item as read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Semaphore {
    /// Stored version; `None` when no holder was ever written.
    pub version: Option<u64>,
    /// True when the `holders` attribute exists.
    pub has_holders: bool,
    /// Operator-set limit; 0 pauses the semaphore (every acquire waits).
    pub limit: Option<u32>,
    /// Holders by holder id, expired ones included.
    pub holders: BTreeMap<String, Holder>,
    /// True when the `q` attribute exists.
    pub has_queue: bool,
    /// Callback waiters by holder id, past their deadline ones included.
    pub queue: BTreeMap<String, Waiter>,
}

impl Semaphore {
    /// Parses the item; a missing item is an empty semaphore. A malformed item is a
    /// configuration error: guessing its holders could exceed the limit.
    pub fn from_item(name: &str, item: Option<&Item>) -> Result<Semaphore, LeaseError> {
        let Some(item) = item else {
            return Ok(Semaphore::default());
        };
        let corrupt = |what: &str| {
            LeaseError::Config(format!("semaphore item {name:?} is malformed: {what}"))
        };
        let version = match item.get(VERSION) {
            None => None,
            Some(v) => Some(number(v).ok_or_else(|| corrupt("`ver` is not a number"))?),
        };
        let limit = match item.get(LIMIT) {
            None => None,
            Some(v) => Some(
                stored_limit(v)
                    .ok_or_else(|| corrupt("`limit` must be a whole number from 0 to 5000"))?,
            ),
        };
        let mut holders = BTreeMap::new();
        if let Some(value) = item.get(HOLDERS) {
            let map = value
                .as_m()
                .map_err(|_| corrupt("`holders` is not a map"))?;
            for (id, v) in map {
                let holder = Holder::from_attribute(v).ok_or_else(|| corrupt(id))?;
                holders.insert(id.clone(), holder);
            }
        }
        let mut queue = BTreeMap::new();
        if let Some(value) = item.get(QUEUE) {
            let map = value.as_m().map_err(|_| corrupt("`q` is not a map"))?;
            for (id, v) in map {
                let waiter = Waiter::from_attribute(v).ok_or_else(|| corrupt(id))?;
                queue.insert(id.clone(), waiter);
            }
        }
        if let Some(v) = item.get(QUEUE_SEQ) {
            number(v).ok_or_else(|| corrupt("`qs` is not a number"))?;
        }
        Ok(Semaphore {
            version,
            has_holders: item.contains_key(HOLDERS),
            limit,
            holders,
            has_queue: item.contains_key(QUEUE),
            queue,
        })
    }

    /// Live waiters in arrival order.
    pub fn waiting(&self, now: i64) -> Vec<(&str, &Waiter)> {
        let mut live: Vec<(&str, &Waiter)> = self
            .queue
            .iter()
            .filter(|(_, w)| w.live(now))
            .map(|(id, w)| (id.as_str(), w))
            .collect();
        live.sort_by_key(|(_, w)| w.seq);
        live
    }

    /// Weight of the leases still live at `now`.
    pub fn held(&self, now: i64) -> u32 {
        self.holders
            .values()
            .filter(|h| h.live(now))
            .map(|h| h.weight)
            .sum()
    }

    /// Approximate size of the holders map and the queue in bytes.
    pub fn approx_bytes(&self) -> usize {
        let holders: usize = self.holders.iter().map(|(id, h)| h.approx_bytes(id)).sum();
        let queue: usize = self.queue.iter().map(|(id, w)| w.approx_bytes(id)).sum();
        holders + queue
    }
}

fn number(value: &AttributeValue) -> Option<u64> {
    value.as_n().ok()?.parse().ok()
}

fn stored_limit(value: &AttributeValue) -> Option<u32> {
    let n = u32::try_from(number(value)?).ok()?;
    (n <= crate::protocol::MAX_LIMIT).then_some(n)
}

/// Epoch-second clock with an adjustable offset, so tests can move time without sleeping.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset: Arc<AtomicI64>,
}

impl Clock {
    /// Current time in epoch seconds.
    pub fn now(&self) -> i64 {
        let real = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        i64::try_from(real).unwrap_or(i64::MAX) + self.offset.load(Ordering::Relaxed)
    }

    /// Moves this clock (and its clones) forward by `seconds`.
    pub fn advance(&self, seconds: i64) {
        self.offset.fetch_add(seconds, Ordering::Relaxed);
    }
}
