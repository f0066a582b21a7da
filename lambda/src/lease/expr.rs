//! Builders of the conditional `UpdateItem` requests; every write the manager makes is here.
//!
//! Holder ids and lease ids are user data, so they always travel as placeholders
//! (`#k0`, `:v0`), never inside an expression.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};

use crate::model::{
    Delivery, Holder, Semaphore, Waiter, ATTEMPTS, HOLDERS, QUEUE, QUEUE_SEQ, REGISTRY_KEY,
    REGISTRY_PREFIX, SEMAPHORES, TOKEN, TTL, VERSION,
};
use crate::store::Update;

/// At most this many expired holders are pruned (or holders removed) per write, keeping each
/// expression far below DynamoDB's 4 KB expression limit. Leftovers go on the next write;
/// expired ones never count in the meantime.
pub const PATHS_PER_WRITE: usize = 40;

/// Adds `holder` under `id`, prunes `expired`, and bumps the version, on condition that the
/// version (and presence of the holders map) is still what `seen` says.
pub fn grant(key: &str, id: &str, holder: &Holder, seen: &Semaphore, expired: &[&str]) -> Update {
    let mut u = Update::on(key);
    name(&mut u, "#h", HOLDERS);
    name(&mut u, "#v", VERSION);
    let next = seen.version.unwrap_or(0) + 1;
    u.values
        .insert(":nv".into(), AttributeValue::N(next.to_string()));
    if seen.has_holders {
        name(&mut u, "#k", id);
        u.values.insert(":e".into(), holder.to_attribute());
        u.expression = "SET #h.#k = :e, #v = :nv".into();
        let removes: Vec<String> = expired
            .iter()
            .take(PATHS_PER_WRITE)
            .enumerate()
            .map(|(i, x)| {
                name(&mut u, &format!("#x{i}"), x);
                format!("#h.#x{i}")
            })
            .collect();
        if !removes.is_empty() {
            u.expression
                .push_str(&format!(" REMOVE {}", removes.join(", ")));
        }
    } else {
        let map = HashMap::from([(id.to_string(), holder.to_attribute())]);
        u.values.insert(":m".into(), AttributeValue::M(map));
        u.expression = "SET #h = :m, #v = :nv".into();
    }
    u.condition = Some(version_condition(&mut u, seen));
    u
}

fn version_condition(u: &mut Update, seen: &Semaphore) -> String {
    let mut cond = match seen.version {
        Some(v) => {
            u.values
                .insert(":ov".into(), AttributeValue::N(v.to_string()));
            "#v = :ov".to_string()
        }
        None => "attribute_not_exists(#v)".to_string(),
    };
    if !seen.has_holders {
        cond.push_str(" AND attribute_not_exists(#h)");
    }
    cond
}

/// Removes the listed holders, each only if it still carries the lease id given (fencing).
/// Returns the whole item as it was (its queue tells whether waiters need a hand-off).
pub fn remove_fenced(key: &str, leases: &[(&str, &str)]) -> Update {
    let mut u = Update::on(key);
    name(&mut u, "#h", HOLDERS);
    name(&mut u, "#id", "id");
    let mut paths = Vec::new();
    let mut conds = Vec::new();
    for (i, (holder, lease_id)) in leases.iter().enumerate() {
        name(&mut u, &format!("#k{i}"), holder);
        u.values
            .insert(format!(":l{i}"), AttributeValue::S(lease_id.to_string()));
        paths.push(format!("#h.#k{i}"));
        conds.push(format!("#h.#k{i}.#id = :l{i}"));
    }
    u.expression = format!("REMOVE {}", paths.join(", "));
    u.condition = Some(conds.join(" AND "));
    u.returns = Some(ReturnValue::AllOld);
    u
}

/// Records that an execution touched `semaphore` (idempotent set add) and keeps the index
/// alive until `ttl`.
pub fn index(key: &str, semaphore: &str, ttl: i64) -> Update {
    let mut u = Update::on(key);
    name(&mut u, "#s", SEMAPHORES);
    name(&mut u, "#t", TTL);
    u.values
        .insert(":s".into(), AttributeValue::Ss(vec![semaphore.to_string()]));
    u.values
        .insert(":t".into(), AttributeValue::N(ttl.to_string()));
    u.expression = "ADD #s :s SET #t = :t".into();
    u
}

/// Counts one more wait of a holder and returns the new count.
pub fn count_wait(key: &str, ttl: i64) -> Update {
    let mut u = Update::on(key);
    name(&mut u, "#n", ATTEMPTS);
    name(&mut u, "#t", TTL);
    u.values
        .insert(":one".into(), AttributeValue::N("1".into()));
    u.values
        .insert(":t".into(), AttributeValue::N(ttl.to_string()));
    u.expression = "ADD #n :one SET #t = :t".into();
    u.returns = Some(ReturnValue::UpdatedNew);
    u
}

fn name(u: &mut Update, placeholder: &str, value: &str) {
    u.names.insert(placeholder.to_string(), value.to_string());
}

/// Takes the next arrival number of a semaphore's queue (returned as `qs`).
pub fn next_seq(key: &str) -> Update {
    let mut u = Update::on(key);
    name(&mut u, "#qs", QUEUE_SEQ);
    u.values
        .insert(":one".into(), AttributeValue::N("1".into()));
    u.expression = "ADD #qs :one".into();
    u.returns = Some(ReturnValue::UpdatedNew);
    u
}

/// Queues `waiter` under `id`. Queueing adds no weight, so it is not conditioned on the
/// version and does not contend with grants; it is conditioned on the holder having no live
/// lease (a duplicate invocation may just have been granted) and on the queue map being
/// present (`has_queue`) or absent as read.
pub fn enqueue(key: &str, id: &str, waiter: &Waiter, has_queue: bool, now: i64) -> Update {
    let mut u = Update::on(key);
    name(&mut u, "#h", HOLDERS);
    name(&mut u, "#q", QUEUE);
    name(&mut u, "#k", id);
    name(&mut u, "#exp", "exp");
    u.values
        .insert(":now".into(), AttributeValue::N(now.to_string()));
    let (set_entry, queue_cond) = if has_queue {
        u.values.insert(":w".into(), waiter.to_attribute());
        ("#q.#k = :w", "attribute_exists(#q)")
    } else {
        let map = HashMap::from([(id.to_string(), waiter.to_attribute())]);
        u.values.insert(":w".into(), AttributeValue::M(map));
        ("#q = :w", "attribute_not_exists(#q)")
    };
    u.expression = format!("SET {set_entry}");
    u.condition = Some(format!(
        "{queue_cond} AND (attribute_not_exists(#h.#k) OR #h.#k.#exp <= :now)"
    ));
    u
}

/// Points a queued holder at its new task token, deadline and queue time (a retried or
/// redriven acquire), if it is still queued. Bumps the version, so a promotion decided on
/// the old token fails its condition and reads the new one.
pub fn retoken(key: &str, id: &str, token: &str, deadline: i64, now: i64) -> Update {
    let mut u = Update::on(key);
    name(&mut u, "#q", QUEUE);
    name(&mut u, "#k", id);
    name(&mut u, "#tk", "tk");
    name(&mut u, "#d", "d");
    name(&mut u, "#at", "at");
    name(&mut u, "#v", VERSION);
    u.values
        .insert(":tk".into(), AttributeValue::S(token.to_string()));
    u.values
        .insert(":d".into(), AttributeValue::N(deadline.to_string()));
    u.values
        .insert(":at".into(), AttributeValue::N(now.to_string()));
    u.values
        .insert(":one".into(), AttributeValue::N("1".into()));
    u.expression = "SET #q.#k.#tk = :tk, #q.#k.#d = :d, #q.#k.#at = :at, #v = #v + :one".into();
    u.condition = Some("attribute_exists(#q.#k)".into());
    u
}

/// Claims the answer of a live lease for a new task token: only if the entry still carries
/// `lease_id` and was not already claimed for this same token.
pub fn claim(key: &str, id: &str, lease_id: &str, delivery: &Delivery) -> Update {
    let mut u = Update::on(key);
    name(&mut u, "#h", HOLDERS);
    name(&mut u, "#k", id);
    name(&mut u, "#id", "id");
    name(&mut u, "#tk", "tk");
    name(&mut u, "#dl", "dl");
    u.values
        .insert(":id".into(), AttributeValue::S(lease_id.to_string()));
    u.values
        .insert(":tk".into(), AttributeValue::S(delivery.token.clone()));
    u.values
        .insert(":dl".into(), AttributeValue::S(delivery.nonce.clone()));
    u.expression = "SET #h.#k.#tk = :tk, #h.#k.#dl = :dl".into();
    u.condition =
        Some("#h.#k.#id = :id AND (attribute_not_exists(#h.#k.#tk) OR #h.#k.#tk <> :tk)".into());
    u
}

/// Takes back a callback grant whose token turned out closed: only if the entry still
/// carries the lease id and the nonce of the claim that answered (or tried to answer) it.
pub fn take_back(key: &str, id: &str, lease_id: &str, nonce: &str) -> Update {
    let mut u = Update::on(key);
    name(&mut u, "#h", HOLDERS);
    name(&mut u, "#k", id);
    name(&mut u, "#id", "id");
    name(&mut u, "#dl", "dl");
    u.values
        .insert(":id".into(), AttributeValue::S(lease_id.to_string()));
    u.values
        .insert(":dl".into(), AttributeValue::S(nonce.to_string()));
    u.expression = "REMOVE #h.#k".into();
    u.condition = Some("#h.#k.#id = :id AND #h.#k.#dl = :dl".into());
    u
}

/// Moves `grants` from the queue to the holders, drops `dropped` waiters (id, arrival
/// number) and prunes `expired` holders, bumping the version, on condition that it is
/// still what `seen` says.
pub fn promote(
    key: &str,
    seen: &Semaphore,
    grants: &[(&str, Holder)],
    dropped: &[(&str, u64)],
    expired: &[&str],
) -> Update {
    let mut u = Update::on(key);
    name(&mut u, "#h", HOLDERS);
    name(&mut u, "#v", VERSION);
    name(&mut u, "#q", QUEUE);
    let next = seen.version.unwrap_or(0) + 1;
    u.values
        .insert(":nv".into(), AttributeValue::N(next.to_string()));
    let mut sets = vec!["#v = :nv".to_string()];
    let mut removes = Vec::new();
    if seen.has_holders {
        for (i, (id, holder)) in grants.iter().enumerate() {
            name(&mut u, &format!("#g{i}"), id);
            u.values.insert(format!(":g{i}"), holder.to_attribute());
            sets.push(format!("#h.#g{i} = :g{i}"));
        }
    } else if !grants.is_empty() {
        let map = grants
            .iter()
            .map(|(id, h)| (id.to_string(), h.to_attribute()))
            .collect();
        u.values.insert(":gm".into(), AttributeValue::M(map));
        sets.push("#h = :gm".into());
    }
    for (i, (id, _)) in grants.iter().enumerate() {
        name(&mut u, &format!("#g{i}"), id);
        removes.push(format!("#q.#g{i}"));
    }
    let mut same_entries = Vec::new();
    for (i, (id, seq)) in dropped.iter().enumerate() {
        name(&mut u, &format!("#d{i}"), id);
        name(&mut u, "#s", "s");
        u.values
            .insert(format!(":s{i}"), AttributeValue::N(seq.to_string()));
        removes.push(format!("#q.#d{i}"));
        same_entries.push(format!(" AND #q.#d{i}.#s = :s{i}"));
    }
    for (i, id) in expired.iter().enumerate() {
        name(&mut u, &format!("#x{i}"), id);
        removes.push(format!("#h.#x{i}"));
    }
    u.expression = format!("SET {}", sets.join(", "));
    if !removes.is_empty() {
        u.expression
            .push_str(&format!(" REMOVE {}", removes.join(", ")));
    }
    // Queueing does not bump the version: a dropped entry must still be the one read, not
    // a new entry of the same holder.
    let cond = version_condition(&mut u, seen) + &same_entries.concat();
    u.condition = Some(cond);
    prune_unused_names(&mut u);
    u
}

/// Removes the listed queue entries (an execution's waiters); absent ones are no-ops.
pub fn remove_waiters(key: &str, ids: &[&str]) -> Update {
    let mut u = Update::on(key);
    name(&mut u, "#q", QUEUE);
    let paths: Vec<String> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            name(&mut u, &format!("#k{i}"), id);
            format!("#q.#k{i}")
        })
        .collect();
    u.expression = format!("REMOVE {}", paths.join(", "));
    u.condition = Some("attribute_exists(#q)".into());
    u
}

/// Stores a holder's latest task token in its waiter record.
pub fn store_token(key: &str, token: &str, ttl: i64) -> Update {
    let mut u = Update::on(key);
    name(&mut u, "#tok", TOKEN);
    name(&mut u, "#t", TTL);
    u.values
        .insert(":tok".into(), AttributeValue::S(token.to_string()));
    u.values
        .insert(":t".into(), AttributeValue::N(ttl.to_string()));
    u.expression = "SET #tok = :tok, #t = :t".into();
    u
}

/// Counts one more queueing on `semaphore` in the registry the sweep visits (attribute
/// [`registry_attribute`] of the `queues` item).
pub fn register(semaphore: &str) -> Update {
    let mut u = Update::on(REGISTRY_KEY);
    name(&mut u, "#a", &registry_attribute(semaphore));
    u.values
        .insert(":one".into(), AttributeValue::N("1".into()));
    u.expression = "ADD #a :one".into();
    u
}

/// Forgets `semaphore` in the registry, only if nobody queued on it since the sweep read
/// the registry (the count is still `seen`).
pub fn forget(semaphore: &str, seen: u64) -> Update {
    let mut u = Update::on(REGISTRY_KEY);
    name(&mut u, "#a", &registry_attribute(semaphore));
    u.values
        .insert(":c".into(), AttributeValue::N(seen.to_string()));
    u.expression = "REMOVE #a".into();
    u.condition = Some("#a = :c".into());
    u
}

/// The registry attribute of a semaphore.
pub fn registry_attribute(semaphore: &str) -> String {
    format!("{REGISTRY_PREFIX}{semaphore}")
}

/// Drops attribute-name placeholders that neither expression uses (DynamoDB refuses them).
fn prune_unused_names(u: &mut Update) {
    let text = format!("{} {}", u.expression, u.condition.as_deref().unwrap_or(""));
    let used: std::collections::HashSet<&str> = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '#'))
        .collect();
    u.names
        .retain(|placeholder, _| used.contains(placeholder.as_str()));
}
