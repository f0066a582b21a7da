//! Express rules: Express workflows do not support the `.waitForTaskToken` integration
//! pattern, so a Task that waits for a task token (a callback guard's acquire or the user's
//! own) cannot run there. The same holds inside a Distributed Map whose items run as Express
//! child workflows, whatever type the parent workflow is.

use serde_json::{Map, Value};

use super::Finding;
use crate::model::{Definition, ScopeId, StateType};
use crate::rewrite::marker::{marker_of, Role};

/// True for a Task whose Resource waits for a task token.
pub(super) fn waits_for_task_token(body: &Map<String, Value>) -> bool {
    body.get("Resource")
        .and_then(Value::as_str)
        .is_some_and(|r| r.ends_with(".waitForTaskToken"))
}

/// The scopes that run as Express: every scope when the definition does (`express`), and
/// every scope inside an Express child Map, with the name of that Map (`None` when the scope
/// is Express only because the whole definition is).
pub(super) fn express_scopes(
    def: &Definition,
    express: bool,
) -> impl Iterator<Item = (ScopeId, Option<String>)> + '_ {
    def.scopes().into_iter().filter_map(move |scope| {
        let child_map = def.express_child_map(&scope);
        (express || child_map.is_some()).then_some((scope, child_map))
    })
}

/// Flags every Task that waits for a task token in a scope that runs as Express.
pub fn check(def: &Definition, express: bool, out: &mut Vec<Finding>) {
    for (scope, child_map) in express_scopes(def, express) {
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
