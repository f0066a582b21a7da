//! Express rules: Express workflows do not support the `.waitForTaskToken` integration
//! pattern, so a Task that waits for a task token (a callback guard's acquire or the user's
//! own) cannot run there.

use serde_json::{Map, Value};

use super::Finding;
use crate::model::{Definition, StateType};
use crate::rewrite::marker::{marker_of, Role};

/// True for a Task whose Resource waits for a task token.
pub(super) fn waits_for_task_token(body: &Map<String, Value>) -> bool {
    body.get("Resource")
        .and_then(Value::as_str)
        .is_some_and(|r| r.ends_with(".waitForTaskToken"))
}

/// Flags every Task that waits for a task token.
pub fn check(def: &Definition, out: &mut Vec<Finding>) {
    for scope in def.scopes() {
        for s in def.states(&scope) {
            if s.ty != StateType::Task || !waits_for_task_token(s.body) {
                continue;
            }
            let hint = if marker_of(s.body).is_some_and(|m| m.role == Role::Acquire) {
                "wrap this guard with --wait poll"
            } else {
                "use the request-response or .sync pattern, or a Standard workflow"
            };
            let msg = format!(
                "Express workflows do not support .waitForTaskToken, which this Task waits \
                 for; {hint}"
            );
            out.push(Finding::error(
                "express-callback",
                &scope,
                Some(s.name),
                msg,
            ));
        }
    }
}
