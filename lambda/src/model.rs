//! The DynamoDB items of the lease manager and their (de)serialisation.
//!
//! Three kinds of item share one table keyed by `pk` (see the crate docs for why):
//! `sem#<name>` (holders map, version, optional stored limit), `exec#<arn>` (semaphores an
//! execution touched) and `wait#<name>#<holder>` (a waiting holder's attempt count).

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
    /// When the lease was granted, epoch seconds (0 if unknown); lets the reaper skip
    /// leases taken after the execution stopped (a redriven execution's new leases).
    pub granted_at: i64,
}

impl Holder {
    /// True while the lease counts toward the limit.
    pub fn live(&self, now: i64) -> bool {
        self.expires_at > now
    }

    /// The map value stored under the holder id.
    pub fn to_attribute(&self) -> AttributeValue {
        AttributeValue::M(
            [
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
            .into(),
        )
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
        })
    }

    /// Approximate stored size in bytes (names plus values), for the item size budget.
    pub fn approx_bytes(&self, holder: &str) -> usize {
        holder.len() + self.lease_id.len() + self.execution.len() + 52
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
        Ok(Semaphore {
            version,
            has_holders: item.contains_key(HOLDERS),
            limit,
            holders,
        })
    }

    /// Weight of the leases still live at `now`.
    pub fn held(&self, now: i64) -> u32 {
        self.holders
            .values()
            .filter(|h| h.live(now))
            .map(|h| h.weight)
            .sum()
    }

    /// Approximate size of the holders map in bytes.
    pub fn approx_bytes(&self) -> usize {
        self.holders.iter().map(|(id, h)| h.approx_bytes(id)).sum()
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
