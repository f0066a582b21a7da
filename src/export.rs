//! `graph`: draws a definition as Graphviz dot or Mermaid, one cluster per nested scope, with
//! the injected guard states and an optional region highlighted.

use std::collections::BTreeSet;
use std::fmt::Write;

use crate::graph::{is_exit, transitions, EdgeKind};
use crate::model::{child_scopes, Definition, ScopeId, StateType};
use crate::rewrite::marker::marker_of;

/// Output format of `graph`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GraphFormat {
    /// Graphviz dot.
    Dot,
    /// Mermaid flowchart.
    Mermaid,
}

/// Node ids must be stable and free of quotes: the scope path plus the state's position.
fn node_id(scope: &ScopeId, index: usize) -> String {
    let mut id = String::from("s");
    for step in &scope.0 {
        let _ = write!(
            id,
            "_{}",
            step.owner()
                .bytes()
                .fold(0u32, |h, b| h.wrapping_mul(31) ^ b as u32)
        );
        if let crate::model::ScopeStep::Branch(_, i) = step {
            let _ = write!(id, "b{i}");
        }
    }
    let _ = write!(id, "_{index}");
    id
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

fn mermaid_label(s: &str) -> String {
    s.replace('"', "#quot;")
}

fn edge_label(kind: EdgeKind) -> Option<String> {
    match kind {
        EdgeKind::Next => None,
        other => Some(other.to_string()),
    }
}

/// Renders the definition. States in `highlight` are drawn as the region.
pub fn render(def: &Definition, format: GraphFormat, highlight: &BTreeSet<String>) -> String {
    let mut out = String::new();
    match format {
        GraphFormat::Dot => {
            out.push_str("digraph asl {\n  rankdir=TB;\n  node [shape=box, style=rounded];\n");
            dot_scope(def, &ScopeId::top(), highlight, 1, &mut out);
            out.push_str("}\n");
        }
        GraphFormat::Mermaid => {
            out.push_str("flowchart TD\n");
            mermaid_scope(def, &ScopeId::top(), highlight, &mut out);
            out.push_str("  classDef guard fill:#fff3cd,stroke:#b08900\n");
            out.push_str("  classDef region fill:#d4edda,stroke:#1e7e34,stroke-width:2px\n");
        }
    }
    out
}

/// Position of each state in its scope, for node ids.
fn positions(def: &Definition, scope: &ScopeId) -> std::collections::HashMap<String, usize> {
    def.states(scope)
        .iter()
        .enumerate()
        .map(|(i, s)| (s.name.to_string(), i))
        .collect()
}

fn dot_scope(
    def: &Definition,
    scope: &ScopeId,
    hl: &BTreeSet<String>,
    depth: usize,
    out: &mut String,
) {
    let pad = "  ".repeat(depth);
    let start = def
        .scope(scope)
        .and_then(|s| s.get("StartAt"))
        .and_then(|v| v.as_str());
    let pos = positions(def, scope);
    for (i, s) in def.states(scope).iter().enumerate() {
        let id = node_id(scope, i);
        let mut attrs = vec![format!("label=\"{}\\n({:?})\"", escape(s.name), s.ty)];
        if marker_of(s.body).is_some() {
            attrs.push("style=\"rounded,filled\", fillcolor=\"#fff3cd\"".into());
        } else if hl.contains(s.name) {
            attrs.push("style=\"rounded,filled,bold\", fillcolor=\"#d4edda\"".into());
        }
        if s.ty.is_terminal() || is_exit(s) {
            attrs.push("peripheries=2".into());
        }
        let _ = writeln!(out, "{pad}{id} [{}];", attrs.join(", "));
        if start == Some(s.name) {
            let _ = writeln!(out, "{pad}{id}_start [shape=point]; {id}_start -> {id};");
        }
        for t in transitions(s) {
            if let Some(&j) = pos.get(&t.target) {
                let label = edge_label(t.kind)
                    .map(|l| format!(" [label=\"{l}\"]"))
                    .unwrap_or_default();
                let _ = writeln!(out, "{pad}{id} -> {}{label};", node_id(scope, j));
            }
        }
        for child in child_scopes(scope, s) {
            let cid = node_id(&child, 0);
            let _ = writeln!(out, "{pad}subgraph cluster_{cid} {{");
            let _ = writeln!(out, "{pad}  label=\"{}\";", escape(&child.to_string()));
            dot_scope(def, &child, hl, depth + 1, out);
            let _ = writeln!(out, "{pad}}}");
            if !def.states(&child).is_empty() {
                let _ = writeln!(out, "{pad}{id} -> {cid} [style=dashed];");
            }
        }
    }
}

fn mermaid_scope(def: &Definition, scope: &ScopeId, hl: &BTreeSet<String>, out: &mut String) {
    let pos = positions(def, scope);
    for (i, s) in def.states(scope).iter().enumerate() {
        let id = node_id(scope, i);
        let label = mermaid_label(s.name);
        let shape = match s.ty {
            StateType::Choice => format!("{id}{{\"{label}\"}}"),
            StateType::Succeed | StateType::Fail => format!("{id}([\"{label}\"])"),
            _ => format!("{id}[\"{label}\"]"),
        };
        let _ = writeln!(out, "  {shape}");
        if marker_of(s.body).is_some() {
            let _ = writeln!(out, "  class {id} guard");
        } else if hl.contains(s.name) {
            let _ = writeln!(out, "  class {id} region");
        }
        for t in transitions(s) {
            if let Some(&j) = pos.get(&t.target) {
                match edge_label(t.kind) {
                    Some(l) => {
                        let _ = writeln!(out, "  {id} -->|\"{l}\"| {}", node_id(scope, j));
                    }
                    None => {
                        let _ = writeln!(out, "  {id} --> {}", node_id(scope, j));
                    }
                }
            }
        }
        for child in child_scopes(scope, s) {
            let cid = format!("c{}", node_id(&child, 0));
            let _ = writeln!(
                out,
                "  subgraph {cid} [\"{}\"]",
                mermaid_label(&child.to_string())
            );
            mermaid_scope(def, &child, hl, out);
            out.push_str("  end\n");
            let _ = writeln!(out, "  {id} -.-> {cid}");
        }
    }
}
