//! Guard rules: for every guard asl-guard injected, every way out of the guarded region gives
//! the slot back, nothing overwrites the guard's variables, and waiting is bounded (by the
//! waited counter of a polling guard's loop, by the acquire Task's timeout of a callback
//! guard).

use std::collections::BTreeSet;

use serde_json::Value;

use super::express::waits_for_task_token;
use super::Finding;
use crate::graph::{is_exit, transitions};
use crate::model::{Definition, ScopeId, StateRef};
use crate::rewrite::edit::catches_all;
use crate::rewrite::marker::{marker_of, Role};
use crate::rewrite::names::GuardVars;
use crate::rewrite::unwrap::{guard_entry, guards};

/// Checks every guard of the definition.
pub fn check(def: &Definition, out: &mut Vec<Finding>) {
    for key in guards(def) {
        let Some((scope, entry)) = guard_entry(def, &key) else {
            let msg = format!("guard '{key}' has no check state; was it edited by hand?");
            out.push(Finding::error("guard-damaged", &ScopeId::top(), None, msg));
            continue;
        };
        let region = guarded_region(def, &scope, &entry, &key);
        check_exits(def, &scope, &region, &key, out);
        check_variables(def, &key, out);
        check_wait_bound(def, &scope, &key, out);
        check_enclosing_retry(def, &scope, &key, out);
    }
}

/// A Retry on a Map or Parallel around the region runs the state again after its iterations
/// were stopped, before any catcher: the stopped holders' slots come back only at expiry.
fn check_enclosing_retry(def: &Definition, scope: &ScopeId, key: &str, out: &mut Vec<Finding>) {
    let mut id = scope.clone();
    while let (Some(step), Some(parent)) = (id.0.last().cloned(), id.parent()) {
        if let Some(s) = def.state(&parent, step.owner()) {
            if s.body
                .get("Retry")
                .and_then(Value::as_array)
                .is_some_and(|r| !r.is_empty())
            {
                let msg = format!(
                    "a Retry here runs the state again after its iterations were stopped; their \
                     slots of guard '{key}' come back only when their leases expire (keep \
                     --lease-seconds short, or retry inside the region instead)"
                );
                out.push(Finding::warning(
                    "guard-enclosing-retry",
                    &parent,
                    Some(s.name),
                    msg,
                ));
            }
        }
        id = parent;
    }
}

fn role_in(def: &Definition, scope: &ScopeId, name: &str, key: &str) -> Option<Role> {
    let m = marker_of(def.state(scope, name)?.body)?;
    (m.guard == key).then_some(m.role)
}

/// The states reachable from the entry without passing a state of the guard.
fn guarded_region(def: &Definition, scope: &ScopeId, entry: &str, key: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut stack = vec![entry.to_string()];
    while let Some(name) = stack.pop() {
        if role_in(def, scope, &name, key).is_some() || !seen.insert(name.clone()) {
            continue;
        }
        if let Some(s) = def.state(scope, &name) {
            stack.extend(transitions(&s).into_iter().map(|t| t.target));
        }
    }
    seen.retain(|n| def.state(scope, n).is_some_and(|s| !s.ty.is_terminal()));
    seen
}

fn check_exits(
    def: &Definition,
    scope: &ScopeId,
    region: &BTreeSet<String>,
    key: &str,
    out: &mut Vec<Finding>,
) {
    for name in region {
        let Some(s) = def.state(scope, name) else {
            continue;
        };
        for t in transitions(&s) {
            if region.contains(&t.target) {
                continue;
            }
            let role = role_in(def, scope, &t.target, key);
            if !matches!(role, Some(Role::Release | Role::ReleaseOnError)) {
                let msg = format!(
                    "{} leaves the region guarded by '{key}' for '{}' without releasing the lease",
                    t.kind, t.target
                );
                out.push(Finding::error("guard-leak", scope, Some(name), msg));
            }
        }
        if is_exit(&s) {
            let msg =
                format!("ends the scope inside the region guarded by '{key}' without releasing");
            out.push(Finding::error("guard-leak", scope, Some(name), msg));
        }
        if s.ty.can_catch() && !catches_all(s.body) {
            let msg =
                format!("an error here leaves the region guarded by '{key}' without releasing");
            out.push(Finding::error("guard-leak", scope, Some(name), msg));
        }
    }
}

fn check_variables(def: &Definition, key: &str, out: &mut Vec<Finding>) {
    let vars = GuardVars::for_key(key);
    let own = [&vars.holder, &vars.lease, &vars.waited, &vars.error];
    for scope in def.scopes() {
        for s in def.states(&scope) {
            if marker_of(s.body).is_some() {
                continue;
            }
            let mut assigned: Vec<String> = Vec::new();
            let mut visit = |a: &Value| {
                if let Some(m) = a.as_object() {
                    assigned.extend(m.keys().map(|k| k.trim_end_matches(".$").to_string()));
                }
            };
            if let Some(a) = s.body.get("Assign") {
                visit(a);
            }
            for list in ["Choices", "Catch"] {
                for item in s
                    .body
                    .get(list)
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let to_guard = item
                        .get("Next")
                        .and_then(Value::as_str)
                        .and_then(|n| def.state(&scope, n))
                        .is_some_and(|t| marker_of(t.body).is_some_and(|m| m.guard == key));
                    if let (Some(a), false) = (item.get("Assign"), to_guard) {
                        visit(a);
                    }
                }
            }
            for v in assigned.iter().filter(|v| own.contains(v)) {
                let msg = format!("assigns '{v}', a variable of guard '{key}'; rename it");
                out.push(Finding::error("guard-clobbered", &scope, Some(s.name), msg));
            }
        }
    }
}

/// The acquire Task of a guard, if it has one in `scope`.
pub(super) fn acquire_of<'a>(
    def: &'a Definition,
    scope: &ScopeId,
    key: &str,
) -> Option<StateRef<'a>> {
    def.states(scope)
        .into_iter()
        .find(|s| role_in(def, scope, s.name, key) == Some(Role::Acquire))
}

/// A polling guard loops through its Wait state, so its check state must bound the loop on
/// the waited counter. A callback guard waits inside its acquire Task, which must carry the
/// bound as `TimeoutSeconds`; its check state needs the counter only if it loops back anyway.
fn check_wait_bound(def: &Definition, scope: &ScopeId, key: &str, out: &mut Vec<Finding>) {
    let vars = GuardVars::for_key(key);
    let acquire = acquire_of(def, scope, key);
    let callback = acquire
        .as_ref()
        .is_some_and(|a| waits_for_task_token(a.body));
    if let Some(a) = acquire.as_ref().filter(|_| callback) {
        let timeout = a.body.get("TimeoutSeconds").and_then(Value::as_u64);
        if timeout.is_none_or(|t| t == 0) {
            let msg = format!(
                "the callback acquire of guard '{key}' has no TimeoutSeconds: it would wait for \
                 a grant for as long as the execution may run"
            );
            out.push(Finding::error(
                "guard-unbounded-wait",
                scope,
                Some(a.name),
                msg,
            ));
        }
    }
    for s in def.states(scope) {
        if role_in(def, scope, s.name, key) != Some(Role::Check) {
            continue;
        }
        if callback && !loops_back(def, scope, &s, key) {
            continue;
        }
        let text = s
            .body
            .get("Choices")
            .map(Value::to_string)
            .unwrap_or_default();
        let bounded = text.contains(&format!("${}", vars.waited));
        if !bounded {
            let msg = format!(
                "the wait loop of guard '{key}' has no bound on '{}'",
                vars.waited
            );
            out.push(Finding::error(
                "guard-unbounded-wait",
                scope,
                Some(s.name),
                msg,
            ));
        }
    }
}

/// True when a check state leads to a Wait or acquire state of its own guard.
fn loops_back(def: &Definition, scope: &ScopeId, check: &StateRef<'_>, key: &str) -> bool {
    transitions(check).into_iter().any(|t| {
        matches!(
            role_in(def, scope, &t.target, key),
            Some(Role::Wait | Role::Acquire | Role::Prepare)
        )
    })
}
