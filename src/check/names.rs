//! State names: unique across all scopes and at most 80 characters, as Step Functions demands.

use std::collections::BTreeMap;

use super::Finding;
use crate::model::{Definition, ScopeId};
use crate::rewrite::names::MAX_STATE_NAME;

/// Reports names used in more than one place, and names that are too long.
pub fn check(def: &Definition, out: &mut Vec<Finding>) {
    let mut seen: BTreeMap<String, Vec<ScopeId>> = BTreeMap::new();
    for scope in def.scopes() {
        for s in def.states(&scope) {
            seen.entry(s.name.to_string())
                .or_default()
                .push(scope.clone());
            if s.name.chars().count() > MAX_STATE_NAME {
                let msg = format!("the name is longer than {MAX_STATE_NAME} characters");
                out.push(Finding::error("name-length", &scope, Some(s.name), msg));
            }
        }
    }
    for (name, scopes) in seen.into_iter().filter(|(_, s)| s.len() > 1) {
        let places: Vec<String> = scopes.iter().map(ToString::to_string).collect();
        let msg = format!(
            "the name is used in {} scopes: {}",
            scopes.len(),
            places.join("; ")
        );
        out.push(Finding::error(
            "duplicate-name",
            &scopes[0],
            Some(&name),
            msg,
        ));
    }
}
