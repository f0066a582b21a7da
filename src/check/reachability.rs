//! Unreachable states: nothing leads to them from the scope's StartAt.

use super::Finding;
use crate::graph::ScopeGraph;
use crate::model::{Definition, ScopeId};

/// Warns about every state of the scope that StartAt cannot reach.
pub fn check_scope(def: &Definition, scope: &ScopeId, out: &mut Vec<Finding>) {
    let graph = ScopeGraph::build(def, scope);
    if graph.start.is_none() {
        return;
    }
    for name in graph.unreachable() {
        let msg = "no transition leads here from StartAt".to_string();
        out.push(Finding::warning("unreachable", scope, Some(&name), msg));
    }
}
