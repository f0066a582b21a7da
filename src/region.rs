//! Choosing the region to guard: the states named by `--around` (and `--through`), checked to
//! sit in one scope and to be entered at exactly one state.

use std::collections::BTreeSet;

use crate::error::WrapError;
use crate::graph::{InEdge, ScopeGraph};
use crate::model::{Definition, ScopeId};

/// What the user asked to guard.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegionSpec {
    /// `--around`: the entry state, or every state of the region when given several times.
    pub around: Vec<String>,
    /// `--through`: the region runs from the first `--around` state to this one.
    pub through: Option<String>,
}

/// A single-entry set of states in one scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    /// The scope holding every state of the region.
    pub scope: ScopeId,
    /// The one state control enters the region at.
    pub entry: String,
    /// The states inside the guard. Succeed and Fail states are never inside: reaching one
    /// leaves the region, so it gets a release in front of it.
    pub states: BTreeSet<String>,
}

impl Region {
    /// Resolves a spec against a definition.
    pub fn resolve(def: &Definition, spec: &RegionSpec) -> Result<Self, WrapError> {
        let first = spec
            .around
            .first()
            .ok_or_else(|| WrapError::InvalidOption {
                option: "--around".into(),
                reason: "name at least one state".into(),
            })?;
        let named: Vec<&String> = spec.around.iter().chain(spec.through.iter()).collect();
        let scope = common_scope(def, &named)?;
        let graph = ScopeGraph::build(def, &scope);
        let mut states = match &spec.through {
            Some(last) => span(&graph, first, last)?,
            None => spec.around.iter().cloned().collect(),
        };
        states.retain(|n| def.state(&scope, n).is_some_and(|s| !s.ty.is_terminal()));
        if states.is_empty() {
            let kind = def
                .state(&scope, first)
                .map_or("terminal", |s| type_name(s.ty));
            return Err(WrapError::NothingToGuard {
                state: first.clone(),
                kind: kind.into(),
            });
        }
        let entry = single_entry(&graph, &states, first)?;
        if entry != *first && states.contains(first) {
            let edges = entering(&graph, &states)
                .iter()
                .map(ToString::to_string)
                .collect();
            return Err(WrapError::EntryMoved {
                asked: first.clone(),
                entry,
                edges,
            });
        }
        Ok(Self {
            scope,
            entry,
            states,
        })
    }

    /// Edges that enter the region from outside, `StartAt` included.
    pub fn entry_edges(&self, graph: &ScopeGraph) -> Vec<InEdge> {
        entering(graph, &self.states)
    }
}

fn type_name(ty: crate::model::StateType) -> &'static str {
    use crate::model::StateType::*;
    match ty {
        Task => "Task",
        Pass => "Pass",
        Choice => "Choice",
        Wait => "Wait",
        Succeed => "Succeed",
        Fail => "Fail",
        Parallel => "Parallel",
        Map => "Map",
    }
}

fn common_scope(def: &Definition, names: &[&String]) -> Result<ScopeId, WrapError> {
    let mut found: Vec<(&String, ScopeId)> = Vec::new();
    for name in names {
        let scopes = def.find_state(name);
        let Some(scope) = scopes.into_iter().next() else {
            return Err(WrapError::UnknownState {
                name: (*name).clone(),
                suggestions: suggest(def, name),
            });
        };
        found.push((name, scope));
    }
    let (first, first_scope) = &found[0];
    if let Some((other, other_scope)) = found.iter().find(|(_, s)| s != first_scope) {
        return Err(WrapError::CrossesScopes {
            first: (*first).clone(),
            first_scope: first_scope.to_string(),
            other: (*other).clone(),
            other_scope: other_scope.to_string(),
        });
    }
    Ok(first_scope.clone())
}

fn span(graph: &ScopeGraph, first: &str, last: &str) -> Result<BTreeSet<String>, WrapError> {
    let after_first = graph.reachable_from(first);
    if !after_first.contains(last) {
        return Err(WrapError::NotReachable {
            from: first.into(),
            to: last.into(),
        });
    }
    let before_last = graph.reaching(last);
    Ok(after_first.intersection(&before_last).cloned().collect())
}

fn entering(graph: &ScopeGraph, states: &BTreeSet<String>) -> Vec<InEdge> {
    let mut edges: Vec<InEdge> = Vec::new();
    for s in states {
        edges.extend(
            graph
                .in_edges(s)
                .into_iter()
                .filter(|e| e.from.as_ref().is_none_or(|f| !states.contains(f))),
        );
    }
    edges
}

fn single_entry(
    graph: &ScopeGraph,
    states: &BTreeSet<String>,
    first: &str,
) -> Result<String, WrapError> {
    let edges = entering(graph, states);
    let entries: BTreeSet<&String> = edges.iter().map(|e| &e.to).collect();
    match entries.len() {
        0 if states.contains(first) => Ok(first.to_string()),
        0 => Ok(states.iter().next().cloned().unwrap_or_default()),
        1 => Ok(entries.into_iter().next().cloned().unwrap_or_default()),
        _ => Err(WrapError::MultipleEntries {
            entries: entries.into_iter().map(|e| format!("'{e}'")).collect(),
            edges: edges.iter().map(ToString::to_string).collect(),
        }),
    }
}

/// Up to three state names close to `name`, best first.
pub fn suggest(def: &Definition, name: &str) -> Vec<String> {
    let mut scored: Vec<(f64, String)> = def
        .scopes()
        .iter()
        .flat_map(|id| def.states(id).into_iter().map(|s| s.name.to_string()))
        .map(|n| {
            (
                strsim::jaro_winkler(&n.to_lowercase(), &name.to_lowercase()),
                n,
            )
        })
        .filter(|(score, _)| *score >= 0.8)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    scored.into_iter().take(3).map(|(_, n)| n).collect()
}
