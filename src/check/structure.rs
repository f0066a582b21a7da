//! Structure rules: StartAt and every transition name an existing state of the same scope,
//! each state ends or continues exactly once, and every scope can end.

use serde_json::Value;

use super::Finding;
use crate::graph::transitions;
use crate::model::{Definition, ScopeId, StateType};

/// Checks one scope's structure.
pub fn check_scope(def: &Definition, scope: &ScopeId, out: &mut Vec<Finding>) {
    let states = def.states(scope);
    let names: std::collections::HashSet<&str> = states.iter().map(|s| s.name).collect();
    let exists = |n: &str| names.contains(n);
    let start = def
        .scope(scope)
        .and_then(|s| s.get("StartAt"))
        .and_then(Value::as_str);
    if let Some(start) = start.filter(|s| !exists(s)) {
        out.push(Finding::error(
            "unknown-start",
            scope,
            None,
            format!("StartAt '{start}' is not a state of this scope"),
        ));
    }
    for s in &states {
        for t in transitions(s) {
            if !exists(&t.target) {
                let msg = format!("{} '{}' is not a state of this scope", t.kind, t.target);
                out.push(Finding::error("unknown-next", scope, Some(s.name), msg));
            }
        }
        check_ending(scope, s.name, s.ty, s.body, out);
        check_catch_all_last(scope, s.name, s.body, out);
    }
    let can_end = states
        .iter()
        .any(|s| s.ty.is_terminal() || s.body.get("End") == Some(&Value::Bool(true)));
    if !states.is_empty() && !can_end {
        out.push(Finding::error(
            "no-terminal",
            scope,
            None,
            "no state ends this scope (no End, Succeed or Fail)".into(),
        ));
    }
}

fn check_ending(
    scope: &ScopeId,
    name: &str,
    ty: StateType,
    body: &serde_json::Map<String, Value>,
    out: &mut Vec<Finding>,
) {
    let has_next = body.contains_key("Next");
    let ends = body.get("End") == Some(&Value::Bool(true));
    let mut err = |rule, msg: &str| out.push(Finding::error(rule, scope, Some(name), msg.into()));
    match ty {
        StateType::Choice => {
            if has_next || body.contains_key("End") {
                err(
                    "choice-next",
                    "a Choice state takes no Next or End; its rules choose",
                );
            }
            if body
                .get("Choices")
                .and_then(Value::as_array)
                .is_none_or(Vec::is_empty)
            {
                err(
                    "choice-rules",
                    "a Choice state needs a non-empty \"Choices\" array",
                );
            }
        }
        StateType::Succeed | StateType::Fail => {
            if has_next || body.contains_key("End") {
                err(
                    "terminal-next",
                    "Succeed and Fail states end the scope; remove Next/End",
                );
            }
        }
        _ => match (has_next, ends) {
            (true, true) => err("next-and-end", "has both Next and End: true"),
            (false, false) => err("no-next", "has neither Next nor End: true"),
            _ => {}
        },
    }
}

/// `States.ALL` must stand alone in the last catcher (and the last retrier): Step Functions
/// refuses the definition otherwise.
fn check_catch_all_last(
    scope: &ScopeId,
    name: &str,
    body: &serde_json::Map<String, Value>,
    out: &mut Vec<Finding>,
) {
    for field in ["Catch", "Retry"] {
        let Some(list) = body.get(field).and_then(Value::as_array) else {
            continue;
        };
        for (i, item) in list.iter().enumerate() {
            let errors = item.get("ErrorEquals").and_then(Value::as_array);
            let has_all = errors.is_some_and(|e| e.iter().any(|x| x == "States.ALL"));
            let alone = errors.is_some_and(|e| e.len() == 1);
            if has_all && (i + 1 != list.len() || !alone) {
                let msg = format!("{field}[{i}]: \"States.ALL\" must be alone in the last entry");
                out.push(Finding::error("catch-all-last", scope, Some(name), msg));
            }
        }
    }
}
