//! The transition graph of one scope, built with petgraph: a node per state and an edge per
//! transition (Next, each Choice rule, Choice Default, each Catch).

use std::collections::{BTreeSet, HashMap};
use std::fmt;

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::{Dfs, EdgeRef, Reversed};
use petgraph::Direction;
use serde_json::Value;

use crate::model::{Definition, ScopeId, StateRef, StateType};

/// What kind of transition an edge is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EdgeKind {
    /// A `Next` field.
    Next,
    /// The `Next` of the Choice rule at this index.
    ChoiceRule(usize),
    /// A Choice state's `Default`.
    ChoiceDefault,
    /// The `Next` of the catcher at this index.
    Catch(usize),
}

impl fmt::Display for EdgeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Next => f.write_str("Next"),
            Self::ChoiceRule(i) => write!(f, "Choices[{i}]"),
            Self::ChoiceDefault => f.write_str("Default"),
            Self::Catch(i) => write!(f, "Catch[{i}]"),
        }
    }
}

/// One transition out of a state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    /// Which field holds it.
    pub kind: EdgeKind,
    /// The state it goes to.
    pub target: String,
}

/// Every transition a state declares, in field order: Next, Choice rules, Default, Catch.
pub fn transitions(state: &StateRef<'_>) -> Vec<Transition> {
    let body = state.body;
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
    let mut out = Vec::new();
    if let Some(t) = text(body.get("Next")) {
        out.push(Transition {
            kind: EdgeKind::Next,
            target: t,
        });
    }
    if state.ty == StateType::Choice {
        let rules = body.get("Choices").and_then(Value::as_array);
        for (i, rule) in rules.into_iter().flatten().enumerate() {
            if let Some(t) = text(rule.get("Next")) {
                out.push(Transition {
                    kind: EdgeKind::ChoiceRule(i),
                    target: t,
                });
            }
        }
        if let Some(t) = text(body.get("Default")) {
            out.push(Transition {
                kind: EdgeKind::ChoiceDefault,
                target: t,
            });
        }
    }
    let catchers = body.get("Catch").and_then(Value::as_array);
    for (i, c) in catchers.into_iter().flatten().enumerate() {
        if let Some(t) = text(c.get("Next")) {
            out.push(Transition {
                kind: EdgeKind::Catch(i),
                target: t,
            });
        }
    }
    out
}

/// True when a state ends its scope: `End: true`, Succeed or Fail.
pub fn is_exit(state: &StateRef<'_>) -> bool {
    state.ty.is_terminal() || state.body.get("End").and_then(Value::as_bool) == Some(true)
}

/// An edge into a state, as `from -> to (kind)`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct InEdge {
    /// The state the edge leaves; `None` for the scope's `StartAt`.
    pub from: Option<String>,
    /// The state it enters.
    pub to: String,
    /// The field holding it; `None` for `StartAt`.
    pub kind: Option<EdgeKind>,
}

impl fmt::Display for InEdge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.from, self.kind) {
            (Some(from), Some(kind)) => write!(f, "'{from}' -> '{}' ({kind})", self.to),
            _ => write!(f, "StartAt -> '{}'", self.to),
        }
    }
}

/// The graph of one scope.
#[derive(Debug)]
pub struct ScopeGraph {
    /// Which scope this is.
    pub scope: ScopeId,
    /// Nodes are state names; edges are transitions.
    pub graph: DiGraph<String, EdgeKind>,
    /// State name to node.
    pub index: HashMap<String, NodeIndex>,
    /// The `StartAt` state, when it exists.
    pub start: Option<NodeIndex>,
}

impl ScopeGraph {
    /// Builds the graph of one scope. Transitions to names that do not exist are left out
    /// (the `check` command reports them).
    pub fn build(def: &Definition, scope: &ScopeId) -> Self {
        let mut graph = DiGraph::new();
        let mut index = HashMap::new();
        let states = def.states(scope);
        for s in &states {
            index.insert(s.name.to_string(), graph.add_node(s.name.to_string()));
        }
        for s in &states {
            for t in transitions(s) {
                if let Some(&to) = index.get(&t.target) {
                    graph.add_edge(index[s.name], to, t.kind);
                }
            }
        }
        let start = def
            .scope(scope)
            .and_then(|o| o.get("StartAt"))
            .and_then(Value::as_str)
            .and_then(|n| index.get(n).copied());
        Self {
            scope: scope.clone(),
            graph,
            index,
            start,
        }
    }

    /// Names of the states reachable from `from`, itself included.
    pub fn reachable_from(&self, from: &str) -> BTreeSet<String> {
        let Some(&start) = self.index.get(from) else {
            return BTreeSet::new();
        };
        let mut dfs = Dfs::new(&self.graph, start);
        let mut out = BTreeSet::new();
        while let Some(n) = dfs.next(&self.graph) {
            out.insert(self.graph[n].clone());
        }
        out
    }

    /// Names of the states from which `to` can be reached, itself included.
    pub fn reaching(&self, to: &str) -> BTreeSet<String> {
        let Some(&end) = self.index.get(to) else {
            return BTreeSet::new();
        };
        let rev = Reversed(&self.graph);
        let mut dfs = Dfs::new(rev, end);
        let mut out = BTreeSet::new();
        while let Some(n) = dfs.next(rev) {
            out.insert(self.graph[n].clone());
        }
        out
    }

    /// States not reachable from `StartAt`.
    pub fn unreachable(&self) -> Vec<String> {
        let reached = match self.start {
            Some(s) => self.reachable_from(&self.graph[s]),
            None => BTreeSet::new(),
        };
        self.graph
            .node_weights()
            .filter(|n| !reached.contains(*n))
            .cloned()
            .collect()
    }

    /// Every edge into `name`, `StartAt` included.
    pub fn in_edges(&self, name: &str) -> Vec<InEdge> {
        let Some(&node) = self.index.get(name) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        if self.start == Some(node) {
            out.push(InEdge {
                from: None,
                to: name.to_string(),
                kind: None,
            });
        }
        for e in self.graph.edges_directed(node, Direction::Incoming) {
            out.push(InEdge {
                from: Some(self.graph[e.source()].clone()),
                to: name.to_string(),
                kind: Some(*e.weight()),
            });
        }
        out.sort();
        out
    }
}
