//! Callback guard rules: a callback acquire (the `asl-guard/acquire` Task of `wrap --wait
//! callback`, whose Resource ends in `.waitForTaskToken`) works only with the fields that
//! docs/guard-states.md ("Callback form") lists. Hand merges of the Terraform fragments are
//! where these go wrong, so each field gets a rule of its own. Poll guards are not checked here.

use serde_json::{Map, Value};

use super::express::waits_for_task_token;
use super::Finding;
use crate::model::{Definition, QueryLanguage, ScopeId, StateRef, StateType};
use crate::rewrite::marker::{marker_of, Role};
use crate::rewrite::names::GuardVars;

/// The advice when a field cannot be fixed in one place.
const REWRAP: &str = "wrap again with asl-guard wrap --wait callback";

/// Checks every callback acquire of the definition.
pub fn check(def: &Definition, out: &mut Vec<Finding>) {
    for scope in def.scopes() {
        for state in def.states(&scope) {
            let Some(m) = marker_of(state.body).filter(|m| m.role == Role::Acquire) else {
                continue;
            };
            if state.ty != StateType::Task || !waits_for_task_token(state.body) {
                continue;
            }
            let jsonata = def.state_language(state.body) == QueryLanguage::Jsonata;
            let acquire = Acquire {
                def,
                scope: &scope,
                state,
                key: &m.guard,
                jsonata,
            };
            acquire.check(out);
        }
    }
}

/// Where a field's value comes from.
#[derive(Debug, Clone, PartialEq)]
enum Source {
    /// Not set.
    Missing,
    /// A literal value.
    Fixed(Value),
    /// A JSONPath path (`field.$`) or a JSONata expression (inside `{% %}`), trimmed.
    Computed(String),
}

/// The payload the acquire sends to the lease Lambda.
enum Payload<'a> {
    /// Written out field by field.
    Fields(&'a Map<String, Value>),
    /// Not there at all.
    Absent,
    /// Computed as a whole: its fields cannot be seen.
    Computed,
}

struct Acquire<'a> {
    def: &'a Definition,
    scope: &'a ScopeId,
    state: StateRef<'a>,
    key: &'a str,
    jsonata: bool,
}

impl Acquire<'_> {
    fn check(&self, out: &mut Vec<Finding>) {
        self.check_heartbeat(out);
        match self.payload() {
            Payload::Fields(p) => {
                self.check_token(Some(p), out);
                self.check_wait_seconds(Some(p), out);
            }
            Payload::Absent => {
                self.check_token(None, out);
                self.check_wait_seconds(None, out);
            }
            // A payload built by one expression may well carry both fields; nothing to say.
            Payload::Computed => {}
        }
        self.check_result(out);
        self.check_timeout_catch(out);
        self.check_timeout_retry(out);
    }

    fn error(&self, rule: &'static str, message: String, out: &mut Vec<Finding>) {
        let name = Some(self.state.name);
        out.push(Finding::error(rule, self.scope, name, message));
    }

    /// `Parameters.Payload` (JSONPath) or `Arguments.Payload` (JSONata).
    fn payload(&self) -> Payload<'_> {
        let args_key = if self.jsonata {
            "Arguments"
        } else {
            "Parameters"
        };
        let Some(args) = self.state.body.get(args_key) else {
            return Payload::Absent;
        };
        let Some(args) = args.as_object() else {
            return Payload::Computed;
        };
        if !self.jsonata && args.contains_key("Payload.$") {
            return Payload::Computed;
        }
        match args.get("Payload") {
            None => Payload::Absent,
            Some(Value::Object(p)) => Payload::Fields(p),
            Some(Value::String(s)) if self.jsonata && jsonata_expr(s).is_some() => {
                Payload::Computed
            }
            // A literal that is not an object carries no fields at all.
            Some(_) => Payload::Absent,
        }
    }

    /// Reads `name` from `obj` as a literal, a `name.$` path (JSONPath) or a `{% %}`
    /// expression (JSONata).
    fn field(&self, obj: &Map<String, Value>, name: &str) -> Source {
        if !self.jsonata {
            if let Some(Value::String(path)) = obj.get(&format!("{name}.$")) {
                return Source::Computed(path.trim().to_string());
            }
        }
        match obj.get(name) {
            None => Source::Missing,
            Some(Value::String(s)) if self.jsonata => match jsonata_expr(s) {
                Some(e) => Source::Computed(e.to_string()),
                None => Source::Fixed(Value::String(s.clone())),
            },
            Some(v) => Source::Fixed(v.clone()),
        }
    }

    /// How `field` writes a value in this state's language, for messages.
    fn show(&self, name: &str, src: &Source) -> String {
        match src {
            Source::Missing => format!("no '{name}'"),
            Source::Fixed(v) => format!("'{name}' {v}"),
            Source::Computed(e) if self.jsonata => format!("'{name}' '{{% {e} %}}'"),
            Source::Computed(e) => format!("'{name}.$' '{e}'"),
        }
    }

    /// How to write `name` set to the expression `jsonata` or the path `path`.
    fn spell(&self, name: &str, path: &str, jsonata: &str) -> String {
        if self.jsonata {
            format!("\"{name}\": \"{{% {jsonata} %}}\"")
        } else {
            format!("\"{name}.$\": \"{path}\"")
        }
    }

    fn payload_place(&self) -> &'static str {
        if self.jsonata {
            "Arguments.Payload"
        } else {
            "Parameters.Payload"
        }
    }

    fn check_heartbeat(&self, out: &mut Vec<Finding>) {
        for field in ["HeartbeatSeconds", "HeartbeatSecondsPath"] {
            if self.state.body.contains_key(field) {
                let msg = format!(
                    "the callback acquire of guard '{}' sets {field}, but the lease manager \
                     sends no heartbeat while a holder is queued, so every wait in the queue \
                     longer than the heartbeat interval would fail with \
                     States.HeartbeatTimeout; remove {field}",
                    self.key
                );
                self.error("guard-callback-heartbeat", msg, out);
            }
        }
    }

    fn check_token(&self, payload: Option<&Map<String, Value>>, out: &mut Vec<Finding>) {
        let (path, expr) = ("$$.Task.Token", "$states.context.Task.Token");
        let want = Source::Computed((if self.jsonata { expr } else { path }).to_string());
        let found = payload.map_or(Source::Missing, |p| self.field(p, "taskToken"));
        if found == want {
            return;
        }
        let msg = format!(
            "the payload of the callback acquire of guard '{}' has no task token ({}), so the \
             Task would wait for an answer that can never come; set {} in {}",
            self.key,
            self.show("taskToken", &found),
            self.spell("taskToken", path, expr),
            self.payload_place()
        );
        self.error("guard-callback-token", msg, out);
    }

    fn check_wait_seconds(&self, payload: Option<&Map<String, Value>>, out: &mut Vec<Finding>) {
        let wait = payload.map_or(Source::Missing, |p| self.field(p, "waitSeconds"));
        let timeout = self.timeout_seconds();
        let same = match (&wait, &timeout) {
            (Source::Missing, _) | (_, Source::Missing) => false,
            (Source::Fixed(a), Source::Fixed(b)) => {
                a.as_f64().is_some() && a.as_f64() == b.as_f64()
            }
            (a, b) => a == b,
        };
        if same {
            return;
        }
        let msg = format!(
            "the callback acquire of guard '{}' has {} in {} and {}; the lease manager drops a \
             waiter after waitSeconds and the Task gives up after TimeoutSeconds, so both must \
             be the same number of seconds (the guard's --max-wait)",
            self.key,
            self.show("waitSeconds", &wait),
            self.payload_place(),
            self.show_timeout(&timeout)
        );
        self.error("guard-callback-wait-seconds", msg, out);
    }

    /// `TimeoutSeconds`, or its JSONPath form `TimeoutSecondsPath`.
    fn timeout_seconds(&self) -> Source {
        let body = self.state.body;
        match body.get("TimeoutSecondsPath").and_then(Value::as_str) {
            Some(path) if !self.jsonata => Source::Computed(path.trim().to_string()),
            _ => self.field(body, "TimeoutSeconds"),
        }
    }

    fn show_timeout(&self, src: &Source) -> String {
        match src {
            Source::Computed(e) if !self.jsonata => format!("'TimeoutSecondsPath' '{e}'"),
            _ => self.show("TimeoutSeconds", src),
        }
    }

    fn check_result(&self, out: &mut Vec<Finding>) {
        let lease = GuardVars::for_key(self.key).lease;
        let found = match self.state.body.get("Assign").and_then(Value::as_object) {
            Some(assign) => self.field(assign, &lease),
            None => Source::Missing,
        };
        let result = if self.jsonata { "$states.result" } else { "$" };
        if found == Source::Computed(result.to_string()) {
            return;
        }
        let poll = Source::Computed(format!("{result}.Payload"));
        let why = if found == poll {
            "the poll form; a callback acquire's result is the grant itself, not an invocation \
             with a Payload"
        } else {
            "not the task's result, which is the grant itself"
        };
        let msg = format!(
            "the callback acquire of guard '{}' assigns {} ({why}), so {} would never see \
             'acquired'; assign {} instead",
            self.key,
            self.show(&lease, &found),
            self.check_state_name(),
            self.spell(&lease, "$", "$states.result")
        );
        self.error("guard-callback-result", msg, out);
    }

    /// The name of a state of this guard with `role`, in the acquire's scope.
    fn role_state(&self, role: Role) -> Option<&str> {
        self.def.states(self.scope).into_iter().find_map(|s| {
            let m = marker_of(s.body)?;
            (m.role == role && m.guard == self.key).then_some(s.name)
        })
    }

    fn check_state_name(&self) -> String {
        self.role_state(Role::Check)
            .map_or_else(|| "the check state".to_string(), |n| format!("'{n}'"))
    }

    fn check_timeout_catch(&self, out: &mut Vec<Finding>) {
        let target = self.role_state(Role::Timeout);
        let caught = first_matching(self.state.body, "Catch", "States.Timeout");
        let to = caught.and_then(|c| c.get("Next")).and_then(Value::as_str);
        if target.is_some() && to == target {
            return;
        }
        let Some(target) = target else {
            let msg = format!(
                "guard '{}' has no timeout state beside its callback acquire to catch \
                 States.Timeout to; {REWRAP}",
                self.key
            );
            self.error("guard-callback-timeout", msg, out);
            return;
        };
        let now = match to {
            Some(other) => format!("is caught to '{other}'"),
            None => "is not caught".to_string(),
        };
        let msg = format!(
            "States.Timeout, the end of the wait of guard '{}', {now}, but it must go to the \
             guard's timeout state '{target}' (Lease.WaitTimeout); put {{\"ErrorEquals\": [\"States.Timeout\"], \"Next\": \
             \"{target}\"}} first in Catch",
            self.key
        );
        self.error("guard-callback-timeout", msg, out);
    }

    fn check_timeout_retry(&self, out: &mut Vec<Finding>) {
        let Some(retrier) = first_matching(self.state.body, "Retry", "States.Timeout") else {
            return;
        };
        let attempts = retrier.get("MaxAttempts").map_or(Some(3), Value::as_u64);
        if attempts == Some(0) {
            return;
        }
        let (listed, fix) = if lists(retrier, "States.Timeout") {
            (
                "States.Timeout",
                "remove 'States.Timeout' from that retrier".to_string(),
            )
        } else {
            let fix = format!("list the transient errors there instead, or {REWRAP}");
            ("States.ALL", fix)
        };
        let msg = format!(
            "the Retry of the callback acquire of guard '{}' takes '{listed}', so a timeout, \
             which is the end of the wait, queues the holder again instead of failing with \
             Lease.WaitTimeout; {fix}",
            self.key
        );
        self.error("guard-callback-timeout", msg, out);
    }
}

/// The inside of a JSONata `{% ... %}` string, trimmed.
fn jsonata_expr(s: &str) -> Option<&str> {
    let inner = s.trim().strip_prefix("{%")?.strip_suffix("%}")?;
    Some(inner.trim())
}

fn lists(item: &Value, error: &str) -> bool {
    item.get("ErrorEquals")
        .and_then(Value::as_array)
        .is_some_and(|errors| errors.iter().any(|e| e.as_str() == Some(error)))
}

/// The first retrier or catcher in `list` that an `error` ends up in: Step Functions takes
/// the first one naming it or `States.ALL`.
fn first_matching<'a>(body: &'a Map<String, Value>, list: &str, error: &str) -> Option<&'a Value> {
    body.get(list)?
        .as_array()?
        .iter()
        .find(|item| lists(item, error) || lists(item, "States.ALL"))
}
