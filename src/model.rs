//! The ASL document: reading JSON or YAML, checking that it is a state machine, and
//! navigating its scopes.
//!
//! The document is kept as a `serde_json::Value` with key order preserved rather than as
//! typed structs with a flattened catch-all: a typed struct would write its known fields first
//! and move the user's keys around, and the promise of `wrap` is that a diff shows only the
//! guard. Typed access goes through [`StateRef`] and the `graph` module instead.

use std::fmt;

use serde_json::{Map, Value};

use crate::error::ParseError;

/// How a definition was written, so output can keep the same format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// JSON text.
    Json,
    /// YAML text.
    Yaml,
}

/// The query language of a state: the definition's default or the state's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryLanguage {
    /// JSONPath fields (`InputPath`, `Parameters`, `.$` keys).
    JsonPath,
    /// JSONata expressions in `{% %}` (`Arguments`, `Output`, `Condition`).
    Jsonata,
}

impl QueryLanguage {
    /// Reads a `QueryLanguage` field value.
    pub fn from_field(value: Option<&Value>) -> Option<Self> {
        match value?.as_str()? {
            "JSONPath" => Some(Self::JsonPath),
            "JSONata" => Some(Self::Jsonata),
            _ => None,
        }
    }

    /// The spelling ASL uses for this language.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::JsonPath => "JSONPath",
            Self::Jsonata => "JSONata",
        }
    }
}

/// The kinds of state ASL defines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateType {
    /// Runs work.
    Task,
    /// Passes input to output, optionally transformed.
    Pass,
    /// Branches on conditions.
    Choice,
    /// Delays.
    Wait,
    /// Ends the scope successfully.
    Succeed,
    /// Ends the scope with an error.
    Fail,
    /// Runs branches at once.
    Parallel,
    /// Runs a processor for each item.
    Map,
}

impl StateType {
    /// Parses a `Type` field.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "Task" => Self::Task,
            "Pass" => Self::Pass,
            "Choice" => Self::Choice,
            "Wait" => Self::Wait,
            "Succeed" => Self::Succeed,
            "Fail" => Self::Fail,
            "Parallel" => Self::Parallel,
            "Map" => Self::Map,
            _ => return None,
        })
    }

    /// Succeed and Fail end their scope and have no transitions.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Succeed | Self::Fail)
    }

    /// States that may carry `Retry` and `Catch`.
    pub fn can_catch(self) -> bool {
        matches!(self, Self::Task | Self::Parallel | Self::Map)
    }
}

/// One step from a scope down into a nested scope.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ScopeStep {
    /// The processor of a Map state (`ItemProcessor`, or the older `Iterator`).
    Map(String),
    /// One branch of a Parallel state.
    Branch(String, usize),
}

impl ScopeStep {
    /// The state that owns the nested scope.
    pub fn owner(&self) -> &str {
        match self {
            Self::Map(name) | Self::Branch(name, _) => name,
        }
    }
}

/// Where a scope sits: the path of steps from the top level.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ScopeId(pub Vec<ScopeStep>);

impl ScopeId {
    /// The top-level scope.
    pub fn top() -> Self {
        Self(Vec::new())
    }

    /// The scope that contains this one, or `None` for the top level.
    pub fn parent(&self) -> Option<ScopeId> {
        let mut steps = self.0.clone();
        steps.pop()?;
        Some(ScopeId(steps))
    }

    /// A nested scope of this one.
    pub fn child(&self, step: ScopeStep) -> ScopeId {
        let mut steps = self.0.clone();
        steps.push(step);
        ScopeId(steps)
    }
}

impl fmt::Display for ScopeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("top level");
        }
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|s| match s {
                ScopeStep::Map(n) => format!("Map '{n}'"),
                ScopeStep::Branch(n, i) => format!("Parallel '{n}' branch {i}"),
            })
            .collect();
        f.write_str(&parts.join(" > "))
    }
}

/// A parsed ASL definition.
#[derive(Debug, Clone, PartialEq)]
pub struct Definition {
    /// The whole document; an object with `StartAt` and `States`.
    pub root: Value,
    /// The format it was read from.
    pub format: Format,
}

/// A read-only view of one state.
#[derive(Debug, Clone, Copy)]
pub struct StateRef<'a> {
    /// The state's name.
    pub name: &'a str,
    /// Its `Type`.
    pub ty: StateType,
    /// Its fields.
    pub body: &'a Map<String, Value>,
}

impl Definition {
    /// Parses JSON or YAML text (JSON when the first non-blank character is `{`) and checks
    /// that it has the shape of a state machine.
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        let trimmed = text.trim_start_matches('\u{feff}').trim_start();
        if trimmed.is_empty() {
            return Err(ParseError::NotAsl("the file is empty".into()));
        }
        let (root, format) = if trimmed.starts_with('{') {
            (parse_json(trimmed)?, Format::Json)
        } else {
            (parse_yaml(trimmed)?, Format::Yaml)
        };
        let def = Self { root, format };
        def.validate_shape()?;
        Ok(def)
    }

    /// The definition-wide query language (JSONPath when not set).
    pub fn query_language(&self) -> QueryLanguage {
        QueryLanguage::from_field(self.root.get("QueryLanguage")).unwrap_or(QueryLanguage::JsonPath)
    }

    /// The query language a state uses: its own, or the definition's.
    pub fn state_language(&self, state: &Map<String, Value>) -> QueryLanguage {
        QueryLanguage::from_field(state.get("QueryLanguage")).unwrap_or(self.query_language())
    }

    /// The object holding `StartAt` and `States` for a scope.
    pub fn scope(&self, id: &ScopeId) -> Option<&Map<String, Value>> {
        let mut obj = self.root.as_object()?;
        for step in &id.0 {
            let owner = obj.get("States")?.get(step.owner())?;
            obj = match step {
                ScopeStep::Map(_) => processor_of(owner)?.as_object()?,
                ScopeStep::Branch(_, i) => owner.get("Branches")?.get(*i)?.as_object()?,
            };
        }
        Some(obj)
    }

    /// Mutable access to a scope object.
    pub fn scope_mut(&mut self, id: &ScopeId) -> Option<&mut Map<String, Value>> {
        let mut obj = self.root.as_object_mut()?;
        for step in &id.0 {
            let owner = obj.get_mut("States")?.get_mut(step.owner())?;
            obj = match step {
                ScopeStep::Map(_) => {
                    let key = processor_key(owner)?;
                    owner.get_mut(key)?.as_object_mut()?
                }
                ScopeStep::Branch(_, i) => {
                    owner.get_mut("Branches")?.get_mut(*i)?.as_object_mut()?
                }
            };
        }
        Some(obj)
    }

    /// The states of a scope, in document order.
    pub fn states(&self, id: &ScopeId) -> Vec<StateRef<'_>> {
        let Some(states) = self
            .scope(id)
            .and_then(|s| s.get("States"))
            .and_then(Value::as_object)
        else {
            return Vec::new();
        };
        states
            .iter()
            .filter_map(|(name, v)| state_ref(name, v))
            .collect()
    }

    /// One state of a scope.
    pub fn state(&self, id: &ScopeId, name: &str) -> Option<StateRef<'_>> {
        let states = self.scope(id)?.get("States")?.as_object()?;
        let (name, v) = states.get_key_value(name)?;
        state_ref(name, v)
    }

    /// Mutable access to one state's fields.
    pub fn state_mut(&mut self, id: &ScopeId, name: &str) -> Option<&mut Map<String, Value>> {
        self.scope_mut(id)?
            .get_mut("States")?
            .get_mut(name)?
            .as_object_mut()
    }

    /// Every scope of the definition, the top level first, nested scopes after their parent.
    pub fn scopes(&self) -> Vec<ScopeId> {
        let mut out = vec![ScopeId::top()];
        let mut i = 0;
        while i < out.len() {
            let id = out[i].clone();
            for s in self.states(&id) {
                out.extend(child_scopes(&id, &s));
            }
            i += 1;
        }
        out
    }

    /// The scope that holds a state with this name, if exactly one does.
    pub fn find_state(&self, name: &str) -> Vec<ScopeId> {
        self.scopes()
            .into_iter()
            .filter(|id| self.state(id, name).is_some())
            .collect()
    }

    /// The nearest Map around a scope whose items run as Express child workflows (see
    /// [`is_express_child_map`]), at any depth; `None` when the scope runs as the workflow
    /// itself or as a Standard child workflow.
    pub fn express_child_map(&self, id: &ScopeId) -> Option<String> {
        let mut id = id.clone();
        while let (Some(step), Some(parent)) = (id.0.last().cloned(), id.parent()) {
            let express = self
                .state(&parent, step.owner())
                .is_some_and(|s| s.ty == StateType::Map && is_express_child_map(s.body));
            if express {
                return Some(step.owner().to_string());
            }
            id = parent;
        }
        None
    }

    fn validate_shape(&self) -> Result<(), ParseError> {
        if !self.root.is_object() {
            return Err(ParseError::NotAsl("the document is not an object".into()));
        }
        for id in self.scopes() {
            self.validate_scope(&id)?;
        }
        Ok(())
    }

    fn validate_scope(&self, id: &ScopeId) -> Result<(), ParseError> {
        let where_ = id.to_string();
        let scope = self
            .scope(id)
            .ok_or_else(|| ParseError::NotAsl(format!("{where_}: the scope is not an object")))?;
        if !scope.get("StartAt").is_some_and(Value::is_string) {
            return Err(ParseError::NotAsl(format!(
                "{where_}: missing string field \"StartAt\""
            )));
        }
        let states = scope
            .get("States")
            .and_then(Value::as_object)
            .ok_or_else(|| {
                ParseError::NotAsl(format!("{where_}: missing object field \"States\""))
            })?;
        for (name, body) in states {
            validate_state(name, body)?;
        }
        Ok(())
    }
}

fn validate_state(name: &str, body: &Value) -> Result<(), ParseError> {
    let at = |what: &str| ParseError::State {
        state: name.to_string(),
        reason: what.to_string(),
    };
    let obj = body
        .as_object()
        .ok_or_else(|| at("the state is not an object"))?;
    let ty = obj
        .get("Type")
        .and_then(Value::as_str)
        .ok_or_else(|| at("missing \"Type\""))?;
    let ty = StateType::parse(ty).ok_or_else(|| at(&format!("unknown Type \"{ty}\"")))?;
    match ty {
        StateType::Map if processor_of(body).is_none() => {
            Err(at("Map has no \"ItemProcessor\" (or \"Iterator\") object"))
        }
        StateType::Parallel if !obj.get("Branches").is_some_and(is_array_of_objects) => {
            Err(at("Parallel has no \"Branches\" array of objects"))
        }
        _ => Ok(()),
    }
}

fn is_array_of_objects(v: &Value) -> bool {
    v.as_array().is_some_and(|a| a.iter().all(Value::is_object))
}

fn state_ref<'a>(name: &'a str, v: &'a Value) -> Option<StateRef<'a>> {
    let body = v.as_object()?;
    let ty = StateType::parse(body.get("Type")?.as_str()?)?;
    Some(StateRef { name, ty, body })
}

/// The scopes directly nested in a state.
pub fn child_scopes(parent: &ScopeId, s: &StateRef<'_>) -> Vec<ScopeId> {
    match s.ty {
        StateType::Map => vec![parent.child(ScopeStep::Map(s.name.to_string()))],
        StateType::Parallel => {
            let n = s
                .body
                .get("Branches")
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            (0..n)
                .map(|i| parent.child(ScopeStep::Branch(s.name.to_string(), i)))
                .collect()
        }
        _ => Vec::new(),
    }
}

fn processor_key(map_state: &Value) -> Option<&'static str> {
    ["ItemProcessor", "Iterator"]
        .into_iter()
        .find(|k| map_state.get(k).is_some_and(Value::is_object))
}

fn processor_of(map_state: &Value) -> Option<&Value> {
    map_state.get(processor_key(map_state)?)
}

/// True when a Map state runs its items as child executions (`Mode: DISTRIBUTED`).
pub fn is_distributed_map(state: &Map<String, Value>) -> bool {
    let mode = state
        .get("ItemProcessor")
        .and_then(|p| p.get("ProcessorConfig"))
        .and_then(|c| c.get("Mode"))
        .and_then(Value::as_str);
    mode == Some("DISTRIBUTED")
}

/// True when a Distributed Map runs its items as Express child workflows
/// (`ItemProcessor.ProcessorConfig.ExecutionType: EXPRESS`): inside it, every Express limit
/// applies (no `.waitForTaskToken`, five minutes per item), whatever the parent's type.
pub fn is_express_child_map(state: &Map<String, Value>) -> bool {
    let execution_type = state
        .get("ItemProcessor")
        .and_then(|p| p.get("ProcessorConfig"))
        .and_then(|c| c.get("ExecutionType"))
        .and_then(Value::as_str);
    is_distributed_map(state) && execution_type == Some("EXPRESS")
}

fn parse_json(text: &str) -> Result<Value, ParseError> {
    crate::strict::from_str(text).map_err(|e| ParseError::Json {
        line: e.line(),
        column: e.column(),
        message: strip_position(&e.to_string()),
    })
}

fn parse_yaml(text: &str) -> Result<Value, ParseError> {
    crate::strict::from_yaml(text).map_err(|e| {
        let (line, column) = e.location().map_or((0, 0), |l| (l.line(), l.column()));
        ParseError::Yaml {
            line,
            column,
            message: strip_position(&e.to_string()),
        }
    })
}

/// serde's messages end with " at line L column C"; the error type prints its own position.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}
