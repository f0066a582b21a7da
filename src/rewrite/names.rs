//! Deterministic, unique names for injected states and variables.
//!
//! State names must be unique across every scope of a definition, so a name that is taken
//! anywhere gets `-2`, `-3`, ... appended. Each guard owns a variable prefix (`lease`,
//! `lease2`, ...) that no `Assign` in the definition uses yet, so two guards never share a
//! variable and a user's variable is never overwritten.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::model::Definition;

/// Longest state name Step Functions accepts.
pub const MAX_STATE_NAME: usize = 80;

/// Hands out state names that are not used yet.
#[derive(Debug, Clone)]
pub struct NameAllocator {
    taken: BTreeSet<String>,
    prefix: String,
}

impl NameAllocator {
    /// Starts from every state name in the definition.
    pub fn new(def: &Definition, prefix: &str) -> Self {
        let taken = def
            .scopes()
            .iter()
            .flat_map(|id| def.states(id).into_iter().map(|s| s.name.to_string()))
            .collect();
        Self {
            taken,
            prefix: prefix.to_string(),
        }
    }

    /// A fresh name for `base`, with the prefix in front and a suffix when needed.
    pub fn take(&mut self, base: &str) -> String {
        let stem = format!("{}{base}", self.prefix);
        let mut name = stem.clone();
        let mut n = 2;
        while self.taken.contains(&name) {
            name = format!("{stem}-{n}");
            n += 1;
        }
        self.taken.insert(name.clone());
        name
    }
}

/// Every variable name assigned anywhere in a definition.
pub fn assigned_variables(def: &Definition) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    collect_assign_keys(&def.root, &mut out);
    out
}

fn collect_assign_keys(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                if k == "Assign" {
                    if let Some(assign) = child.as_object() {
                        out.extend(assign.keys().map(|k| k.trim_end_matches(".$").to_string()));
                    }
                }
                collect_assign_keys(child, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect_assign_keys(i, out)),
        _ => {}
    }
}

/// The variables one guard uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardVars {
    /// The prefix, which also identifies the guard (`lease`, `lease2`, ...).
    pub key: String,
    /// Holder id of this entry into the region.
    pub holder: String,
    /// The lease Lambda's last answer.
    pub lease: String,
    /// Seconds waited so far.
    pub waited: String,
    /// The error output that made the region fail.
    pub error: String,
}

impl GuardVars {
    /// The variables for a guard key.
    pub fn for_key(key: &str) -> Self {
        Self {
            key: key.to_string(),
            holder: format!("{key}Holder"),
            lease: key.to_string(),
            waited: format!("{key}Waited"),
            error: format!("{key}Error"),
        }
    }

    /// The first guard key none of whose variables is assigned in the definition.
    pub fn allocate(def: &Definition) -> Self {
        let used = assigned_variables(def);
        let mut n = 1;
        loop {
            let key = if n == 1 {
                "lease".to_string()
            } else {
                format!("lease{n}")
            };
            let vars = Self::for_key(&key);
            if vars.all().iter().all(|v| !used.contains(*v)) {
                return vars;
            }
            n += 1;
        }
    }

    fn all(&self) -> [&String; 4] {
        [&self.holder, &self.lease, &self.waited, &self.error]
    }
}
