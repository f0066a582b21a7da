//! History budget: an inline Map writes every iteration's events into its execution's history,
//! capped at 25,000 events, and a polling guard adds several events per wait.

use super::express::{express_scopes, waits_for_task_token};
use super::guard::acquire_of;
use super::{CheckOptions, Finding};
use crate::model::{is_distributed_map, Definition, ScopeStep, StateType};
use crate::rewrite::marker::{marker_of, Role};

/// Longest run of an Express workflow, in seconds.
const EXPRESS_MAX_SECONDS: u64 = 300;

/// Warns about polling guards inside inline Maps, and about waits an Express workflow (or an
/// Express child workflow of a Distributed Map) cannot finish.
pub fn check(def: &Definition, opts: CheckOptions, out: &mut Vec<Finding>) {
    check_express(def, opts.express, out);
    for scope in def.scopes() {
        let Some(at) = scope.0.iter().rposition(|s| matches!(s, ScopeStep::Map(_))) else {
            continue;
        };
        let map = scope.0[at].owner().to_string();
        let parent_scope = crate::model::ScopeId(scope.0[..at].to_vec());
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

/// Under Express, an execution lasts at most five minutes and emits no status events, so the
/// reaper never sees it stop: a longer wait bound cannot be reached, and a stopped holder's
/// slot comes back only at lease expiry. This holds for the whole definition when it runs as
/// Express, and for every scope inside an Express child Map.
///
/// A callback guard is left out: it cannot run under Express at all, which `express-callback`
/// reports as an error with the fix (`--wait poll`); advice about its bound would contradict it.
fn check_express(def: &Definition, express: bool, out: &mut Vec<Finding>) {
    for (scope, child_map) in express_scopes(def, express) {
        for s in def.states(&scope) {
            let Some(m) = marker_of(s.body).filter(|m| m.role == Role::Check) else {
                continue;
            };
            let callback = acquire_of(def, &scope, &m.guard)
                .is_some_and(|a| a.ty == StateType::Task && waits_for_task_token(a.body));
            if callback {
                continue;
            }
            let text = s
                .body
                .get("Choices")
                .map(ToString::to_string)
                .unwrap_or_default();
            if max_wait_of(&text).is_some_and(|b| b <= EXPRESS_MAX_SECONDS) {
                continue;
            }
            let runs_as = match &child_map {
                Some(map) => format!(
                    "the items of Distributed Map '{map}' run as Express child executions, \
                     which end after {EXPRESS_MAX_SECONDS} seconds"
                ),
                None => format!("an Express execution ends after {EXPRESS_MAX_SECONDS} seconds"),
            };
            let msg = format!(
                "{runs_as}, before this guard's wait bound; wrap with --max-wait \
                 {EXPRESS_MAX_SECONDS} or less, and keep --lease-seconds short: the reaper gets \
                 no events from Express workflows"
            );
            out.push(Finding::warning("express-wait", &scope, Some(s.name), msg));
        }
    }
}

/// The number after `NumericLessThan` (JSONPath) or `<` (JSONata) in a check state's rules.
fn max_wait_of(choices: &str) -> Option<u64> {
    let after = choices
        .split_once("\"NumericLessThan\":")
        .map(|(_, r)| r)
        .or_else(|| choices.split_once(" < ").map(|(_, r)| r))?;
    let digits: String = after
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}
