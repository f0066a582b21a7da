//! Small edits on state objects that keep every other key where it was.

use serde_json::{Map, Value};

use crate::graph::EdgeKind;

/// Points one transition of a state at a new target.
pub fn set_transition(body: &mut Map<String, Value>, kind: EdgeKind, target: &str) {
    let slot = match kind {
        EdgeKind::Next => body.get_mut("Next"),
        EdgeKind::ChoiceDefault => body.get_mut("Default"),
        EdgeKind::ChoiceRule(i) => body.get_mut("Choices").and_then(|c| c.get_mut(i)),
        EdgeKind::Catch(i) => body.get_mut("Catch").and_then(|c| c.get_mut(i)),
    };
    match (kind, slot) {
        (EdgeKind::Next | EdgeKind::ChoiceDefault, Some(v)) => *v = target.into(),
        (_, Some(Value::Object(rule))) => {
            rule.insert("Next".into(), target.into());
        }
        _ => {}
    }
}

/// Replaces key `old` by `new` at the same position (appends when `old` is missing).
pub fn replace_key(m: &mut Map<String, Value>, old: &str, new: &str, value: Value) {
    match m.keys().position(|k| k == old) {
        Some(i) => {
            m.shift_remove(old);
            m.shift_insert(i, new.to_string(), value);
        }
        None => {
            m.insert(new.to_string(), value);
        }
    }
}

/// Inserts `before` just ahead of key `first` and `after` just behind key `last`, rebuilding
/// the object once (inserting into the middle of a large map one entry at a time would move
/// every later entry each time). Entries whose anchor is missing go at the end.
pub fn splice(
    m: &mut Map<String, Value>,
    first: &str,
    before: Vec<(String, Value)>,
    last: &str,
    after: Vec<(String, Value)>,
) {
    let old = std::mem::take(m);
    let (mut before, mut after) = (Some(before), Some(after));
    for (k, v) in old {
        if k == first {
            m.extend(before.take().into_iter().flatten());
        }
        let is_last = k == last;
        m.insert(k, v);
        if is_last {
            m.extend(after.take().into_iter().flatten());
        }
    }
    m.extend(before.into_iter().flatten());
    m.extend(after.into_iter().flatten());
}

/// True when a catcher list already ends in a `States.ALL` catcher.
pub fn catches_all(body: &Map<String, Value>) -> bool {
    body.get("Catch")
        .and_then(Value::as_array)
        .is_some_and(|cs| {
            cs.iter().any(|c| {
                c.get("ErrorEquals")
                    .and_then(Value::as_array)
                    .is_some_and(|e| e.iter().any(|x| x == "States.ALL"))
            })
        })
}

/// Appends a catcher, creating the `Catch` array when needed.
pub fn push_catcher(body: &mut Map<String, Value>, catcher: Value) {
    match body.get_mut("Catch") {
        Some(Value::Array(cs)) => cs.push(catcher),
        _ => {
            body.insert("Catch".into(), Value::Array(vec![catcher]));
        }
    }
}
