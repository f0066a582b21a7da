//! Typed errors, one enum per failure domain. Messages are lowercase, quote the offending
//! value and may add a hint after `;`, so the CLI can print them as they are.

use thiserror::Error;

/// Reading a definition failed.
#[derive(Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseError {
    /// The text is not valid JSON.
    #[error("invalid JSON at line {line} column {column}: {message}")]
    Json {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What the parser expected.
        message: String,
    },
    /// The text is not valid YAML.
    #[error("invalid YAML at line {line} column {column}: {message}")]
    Yaml {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What the parser expected.
        message: String,
    },
    /// Valid JSON or YAML, but not a state machine.
    #[error("not an ASL state machine: {0}")]
    NotAsl(String),
    /// One state is malformed.
    #[error("state '{state}': {reason}")]
    State {
        /// The state's name.
        state: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// Choosing or rewriting a region failed.
#[derive(Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum WrapError {
    /// No state has this name.
    #[error("no state named '{name}'{}", hint_names(.suggestions))]
    UnknownState {
        /// The name asked for.
        name: String,
        /// Close names that do exist.
        suggestions: Vec<String>,
    },
    /// The region's states are not all in one scope.
    #[error(
        "states '{first}' ({first_scope}) and '{other}' ({other_scope}) are in different \
             scopes; a region must sit in one scope (top level, one Map processor or one \
             Parallel branch)"
    )]
    CrossesScopes {
        /// A state of the region.
        first: String,
        /// Its scope.
        first_scope: String,
        /// A state in another scope.
        other: String,
        /// Its scope.
        other_scope: String,
    },
    /// `--through` cannot be reached from `--around`.
    #[error("'{to}' cannot be reached from '{from}'; --through must name a state after --around")]
    NotReachable {
        /// The region's first state.
        from: String,
        /// The region's last state.
        to: String,
    },
    /// Control enters the region at more than one state.
    #[error("the region has more than one entry ({}); entry edges: {}; guard a region that \
             is entered at one state only", .entries.join(", "), .edges.join(", "))]
    MultipleEntries {
        /// The states entered from outside.
        entries: Vec<String>,
        /// The edges that enter, as `from -> to (kind)`.
        edges: Vec<String>,
    },
    /// The region is entered at a state other than the one `--around` named.
    #[error("the region from '{asked}' is entered at '{entry}' instead ({}); it lies on a loop \
             back from the region; name '{entry}' with --around, or pick a --through before \
             the loop", .edges.join(", "))]
    EntryMoved {
        /// The state the user named.
        asked: String,
        /// The state control actually enters at.
        entry: String,
        /// The edges that enter the region.
        edges: Vec<String>,
    },
    /// The region holds nothing that runs work.
    #[error("state '{state}' is a {kind} state: there is nothing to guard")]
    NothingToGuard {
        /// The state.
        state: String,
        /// Its type.
        kind: String,
    },
    /// An option value cannot work.
    #[error("invalid {option}: {reason}")]
    InvalidOption {
        /// The option, as the user spells it.
        option: String,
        /// Why it is rejected.
        reason: String,
    },
    /// Callback waiting was asked for an Express workflow, which has no `.waitForTaskToken`.
    #[error(
        "invalid --wait: callback cannot be used with --workflow-type express (Express \
             workflows do not support .waitForTaskToken); use --wait poll"
    )]
    CallbackInExpress,
    /// Callback waiting was asked for a region inside a Distributed Map whose items run as
    /// Express child workflows, which have no `.waitForTaskToken` either.
    #[error(
        "invalid --wait: callback cannot be used inside the Distributed Map '{map}', whose \
             items run as Express child workflows (ExecutionType EXPRESS), which do not \
             support .waitForTaskToken; use --wait poll, or set the Map's ExecutionType to \
             STANDARD"
    )]
    CallbackInExpressChild {
        /// The Distributed Map state around the region.
        map: String,
    },
    /// A wrapped definition does not have the shape asl-guard writes.
    #[error(
        "the guard '{guard}' was edited by hand and cannot be removed automatically: {reason}"
    )]
    DamagedGuard {
        /// The guard's variable prefix.
        guard: String,
        /// What does not match.
        reason: String,
    },
}

fn hint_names(names: &[String]) -> String {
    if names.is_empty() {
        String::new()
    } else {
        let quoted: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
        format!("; did you mean {}?", quoted.join(" or "))
    }
}
