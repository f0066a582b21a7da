//! `unwrap`: removes guards and restores the definition as it was before `wrap`.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use crate::error::WrapError;
use crate::graph::{transitions, EdgeKind};
use crate::model::{Definition, ScopeId};
use crate::rewrite::edit::{replace_key, set_transition};
use crate::rewrite::marker::{marker_of, Marker, Role};

/// The keys of every guard in a definition, in the order they first appear.
pub fn guards(def: &Definition) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    for id in def.scopes() {
        for s in def.states(&id) {
            if let Some(m) = marker_of(s.body) {
                if !keys.contains(&m.guard) {
                    keys.push(m.guard);
                }
            }
        }
    }
    keys
}

/// The entry state of a guard: the first rule of its check state.
pub fn guard_entry(def: &Definition, key: &str) -> Option<(ScopeId, String)> {
    let (scope, name, _) = guard_states(def, key)
        .into_iter()
        .find(|(_, _, m)| m.role == Role::Check)?;
    let check = def.state(&scope, &name)?;
    let first = check.body.get("Choices")?.get(0)?.get("Next")?.as_str()?;
    Some((scope, first.to_string()))
}

fn guard_states(def: &Definition, key: &str) -> Vec<(ScopeId, String, Marker)> {
    let mut out = Vec::new();
    for id in def.scopes() {
        for s in def.states(&id) {
            if let Some(m) = marker_of(s.body).filter(|m| m.guard == key) {
                out.push((id.clone(), s.name.to_string(), m));
            }
        }
    }
    out
}

/// What a reference to a removed state turns into.
#[derive(Debug, Clone)]
enum Restore {
    To(String),
    End,
    DropCatcher,
}

/// Removes one guard. Every other state is left exactly as it is.
pub fn unwrap_guard(def: &Definition, key: &str) -> Result<Definition, WrapError> {
    let damaged = |reason: String| WrapError::DamagedGuard {
        guard: key.into(),
        reason,
    };
    let (_, entry) =
        guard_entry(def, key).ok_or_else(|| damaged("its check state is missing".into()))?;
    let owned = guard_states(def, key);
    let mut restore: BTreeMap<String, Restore> = BTreeMap::new();
    for (scope, name, m) in &owned {
        let body = def.state(scope, name).map(|s| s.body);
        let r = match m.role {
            Role::Prepare => Restore::To(entry.clone()),
            Role::Release | Role::ReleaseExecution => match body.and_then(next_of) {
                Some(n) => Restore::To(n),
                None => Restore::End,
            },
            Role::ReleaseOnError | Role::ReleaseExecutionOnError => Restore::DropCatcher,
            _ => continue,
        };
        restore.insert(name.clone(), r);
    }
    let removed: BTreeSet<&String> = owned.iter().map(|(_, n, _)| n).collect();
    let mut out = def.clone();
    for id in def.scopes() {
        let start = def
            .scope(&id)
            .and_then(|s| s.get("StartAt"))
            .and_then(Value::as_str);
        if let Some(Restore::To(t)) = start.and_then(|s| restore.get(s)) {
            if let Some(s) = out.scope_mut(&id) {
                s.insert("StartAt".into(), t.clone().into());
            }
        }
        for s in def.states(&id) {
            if removed.contains(&s.name.to_string()) {
                continue;
            }
            let refs: Vec<(EdgeKind, Restore)> = transitions(&s)
                .into_iter()
                .filter_map(|t| restore.get(&t.target).map(|r| (t.kind, r.clone())))
                .collect();
            if refs.is_empty() {
                continue;
            }
            if let Some(body) = out.state_mut(&id, s.name) {
                restore_refs(body, refs)
                    .map_err(|r| damaged(format!("state '{}': {r}", s.name)))?;
            }
        }
    }
    for (scope, name, _) in &owned {
        if let Some(states) = out.scope_mut(scope).and_then(|s| s.get_mut("States")) {
            if let Some(states) = states.as_object_mut() {
                states.shift_remove(name);
            }
        }
    }
    Ok(out)
}

/// Removes every guard, the newest first (guards are numbered in the order they were made,
/// and a newer guard may route through an older one's states).
pub fn unwrap_all(def: &Definition) -> Result<Definition, WrapError> {
    let mut out = def.clone();
    let mut keys = guards(def);
    keys.sort_by_key(|k| std::cmp::Reverse(guard_number(k)));
    for key in keys {
        out = unwrap_guard(&out, &key)?;
    }
    Ok(out)
}

/// `lease` is guard 1, `lease2` guard 2, ...
fn guard_number(key: &str) -> u64 {
    key.strip_prefix("lease")
        .and_then(|n| n.parse().ok())
        .unwrap_or(1)
}

fn next_of(body: &Map<String, Value>) -> Option<String> {
    body.get("Next").and_then(Value::as_str).map(str::to_string)
}

fn restore_refs(
    body: &mut Map<String, Value>,
    refs: Vec<(EdgeKind, Restore)>,
) -> Result<(), String> {
    let mut drop: Vec<usize> = Vec::new();
    for (kind, r) in refs {
        match (kind, r) {
            (_, Restore::To(t)) => set_transition(body, kind, &t),
            (EdgeKind::Next, Restore::End) => replace_key(body, "Next", "End", true.into()),
            (EdgeKind::Catch(i), Restore::DropCatcher) => drop.push(i),
            (k, _) => {
                return Err(format!(
                    "{k} leads into the guard in a way wrap never writes"
                ))
            }
        }
    }
    if let Some(Value::Array(catchers)) = body.get_mut("Catch") {
        for i in drop.into_iter().rev() {
            if i < catchers.len() {
                catchers.remove(i);
            }
        }
        if catchers.is_empty() {
            body.shift_remove("Catch");
        }
    }
    Ok(())
}
