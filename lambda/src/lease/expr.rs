//! Builders of the conditional `UpdateItem` requests; every write the manager makes is here.
//!
//! Holder ids and lease ids are user data, so they always travel as placeholders
//! (`#k0`, `:v0`), never inside an expression.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};

use crate::model::{Holder, Semaphore, ATTEMPTS, HOLDERS, SEMAPHORES, TTL, VERSION};
use crate::store::Update;

/// At most this many expired holders are pruned (or holders removed) per write, keeping each
/// expression far below DynamoDB's 4 KB expression limit. Leftovers go on the next write;
/// expired ones never count in the meantime.
pub const PATHS_PER_WRITE: usize = 40;

/// Adds `holder` under `id`, prunes `expired`, and bumps the version, on condition that the
/// version (and presence of the holders map) is still what `seen` says.
pub fn grant(key: &str, id: &str, holder: &Holder, seen: &Semaphore, expired: &[&str]) -> Update {
    let mut u = Update {
        key: key.to_string(),
        ..Update::default()
    };
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
/// Returns the old values of the removed entries.
pub fn remove_fenced(key: &str, leases: &[(&str, &str)]) -> Update {
    let mut u = Update {
        key: key.to_string(),
        ..Update::default()
    };
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
    u.returns = Some(ReturnValue::UpdatedOld);
    u
}

/// Records that an execution touched `semaphore` (idempotent set add) and keeps the index
/// alive until `ttl`.
pub fn index(key: &str, semaphore: &str, ttl: i64) -> Update {
    let mut u = Update {
        key: key.to_string(),
        ..Update::default()
    };
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
    let mut u = Update {
        key: key.to_string(),
        ..Update::default()
    };
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
