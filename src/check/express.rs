//! Express rules: Express workflows do not support the `.waitForTaskToken` integration
//! pattern, so a Task that waits for a task token (a callback guard's acquire or the user's
//! own) cannot run there. The same holds inside a Distributed Map whose items run as Express
//! child workflows, whatever type the parent workflow is.

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

/// Flags every Task that waits for a task token in a scope that runs as Express: the whole
/// definition when `express`, and every scope inside an Express child Map.
pub fn check(def: &Definition, express: bool, out: &mut Vec<Finding>) {
    for scope in def.scopes() {
        let child_map = def.express_child_map(&scope);
        if !express && child_map.is_none() {
            continue;
        }
        for s in def.states(&scope) {
            if s.ty != StateType::Task || !waits_for_task_token(s.body) {
                continue;
            }
            let guard = marker_of(s.body).is_some_and(|m| m.role == Role::Acquire);
            let msg = match (&child_map, guard) {
                (None, true) => "Express workflows do not support .waitForTaskToken, which this \
                                 Task waits for; wrap this guard with --wait poll"
                    .to_string(),
                (None, false) => "Express workflows do not support .waitForTaskToken, which \
                                  this Task waits for; use the request-response or .sync \
                                  pattern, or a Standard workflow"
                    .to_string(),
                (Some(map), true) => format!(
                    "the items of Distributed Map '{map}' run as Express child workflows \
                     (ExecutionType EXPRESS), which do not support .waitForTaskToken; wrap \
                     this guard with --wait poll"
                ),
                (Some(map), false) => format!(
                    "the items of Distributed Map '{map}' run as Express child workflows \
                     (ExecutionType EXPRESS), which do not support .waitForTaskToken; use the \
                     request-response or .sync pattern, or set the Map's ExecutionType to \
                     STANDARD"
                ),
            };
            out.push(Finding::error(
                "express-callback",
                &scope,
                Some(s.name),
                msg,
            ));
        }
    }
}
