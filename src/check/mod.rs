//! `check`: lint rules for ASL definitions, one module per rule family.

use std::fmt;

use crate::model::{Definition, ScopeId};

mod callback;
mod express;
mod guard;
mod history;
mod language;
mod names;
mod paths;
mod reachability;
mod structure;

pub use paths::{check_path, PathKind};

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Worth knowing; does not fail `check`.
    Warning,
    /// The definition is wrong; `check` exits 1.
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Warning => "warning",
            Self::Error => "error",
        })
    }
}

/// One problem found in a definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// How serious it is.
    pub severity: Severity,
    /// Short rule name, e.g. `unknown-next`.
    pub rule: &'static str,
    /// The scope it was found in.
    pub scope: ScopeId,
    /// The state it concerns, if one.
    pub state: Option<String>,
    /// What is wrong, lowercase, offending value quoted.
    pub message: String,
}

impl Finding {
    fn error(rule: &'static str, scope: &ScopeId, state: Option<&str>, message: String) -> Self {
        Self {
            severity: Severity::Error,
            rule,
            scope: scope.clone(),
            state: state.map(Into::into),
            message,
        }
    }

    fn warning(rule: &'static str, scope: &ScopeId, state: Option<&str>, message: String) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(rule, scope, state, message)
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[{}]: ", self.severity, self.rule)?;
        if let Some(s) = &self.state {
            write!(f, "state '{s}'")?;
            if !self.scope.0.is_empty() {
                write!(f, " (in {})", self.scope)?;
            }
            f.write_str(": ")?;
        } else if !self.scope.0.is_empty() {
            write!(f, "{}: ", self.scope)?;
        }
        f.write_str(&self.message)
    }
}

/// Options of the lint.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CheckOptions {
    /// The definition will run as an Express workflow. Scopes inside a Distributed Map whose
    /// items run as Express child workflows get the Express rules either way.
    pub express: bool,
}

/// Runs every rule; findings come sorted by scope, then state, then rule.
pub fn lint(def: &Definition, opts: CheckOptions) -> Vec<Finding> {
    let mut out = Vec::new();
    for scope in def.scopes() {
        structure::check_scope(def, &scope, &mut out);
        reachability::check_scope(def, &scope, &mut out);
        paths::check_scope(def, &scope, &mut out);
        language::check_scope(def, &scope, &mut out);
    }
    names::check(def, &mut out);
    guard::check(def, &mut out);
    callback::check(def, &mut out);
    history::check(def, opts, &mut out);
    express::check(def, opts.express, &mut out);
    out
}
