//! History budget: an inline Map writes every iteration's events into its execution's history,
//! capped at 25,000 events, and a polling guard adds several events per wait.

use super::{CheckOptions, Finding};
use crate::model::{is_distributed_map, Definition, ScopeStep, StateType};
use crate::rewrite::marker::{marker_of, Role};

/// Warns about polling guards inside inline Maps.
pub fn check(def: &Definition, _opts: CheckOptions, out: &mut Vec<Finding>) {
    for scope in def.scopes() {
        let inline_map = scope.0.iter().rev().find_map(|step| match step {
            ScopeStep::Map(name) => Some(name.clone()),
            ScopeStep::Branch(..) => None,
        });
        let Some(map) = inline_map else { continue };
        let parent = scope
            .0
            .iter()
            .position(|s| *s == ScopeStep::Map(map.clone()));
        let parent_scope = crate::model::ScopeId(scope.0[..parent.unwrap_or(0)].to_vec());
        let distributed = def
            .state(&parent_scope, &map)
            .is_some_and(|s| s.ty == StateType::Map && is_distributed_map(s.body));
        if distributed {
            continue;
        }
        for s in def.states(&scope) {
            if marker_of(s.body).is_some_and(|m| m.role == Role::Wait) {
                let msg = format!(
                    "a polling guard inside the inline Map '{map}': every wait adds about 9 \
                     history events per item to the execution's 25,000-event history; for more \
                     than a few hundred items use a Distributed Map"
                );
                out.push(Finding::warning(
                    "history-budget",
                    &scope,
                    Some(s.name),
                    msg,
                ));
            }
        }
    }
}
