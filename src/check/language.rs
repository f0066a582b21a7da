//! Query language rules: each state uses only the fields of its language, JSONata
//! expressions are closed, and no state falls back to JSONPath under a JSONata definition.
//! JSONata expressions themselves are not parsed (see README "Limitations").

use serde_json::{Map, Value};

use super::Finding;
use crate::model::{Definition, QueryLanguage, ScopeId};

const JSONPATH_ONLY: [&str; 10] = [
    "InputPath",
    "OutputPath",
    "Parameters",
    "ResultSelector",
    "ResultPath",
    "ItemsPath",
    "SecondsPath",
    "TimestampPath",
    "ErrorPath",
    "CausePath",
];

const JSONATA_ONLY: [&str; 2] = ["Arguments", "Output"];

/// Checks the states of one scope.
pub fn check_scope(def: &Definition, scope: &ScopeId, out: &mut Vec<Finding>) {
    let top = def.query_language();
    for s in def.states(scope) {
        let lang = def.state_language(s.body);
        let mut err =
            |msg: String| out.push(Finding::error("query-language", scope, Some(s.name), msg));
        if top == QueryLanguage::Jsonata && lang == QueryLanguage::JsonPath {
            err(
                "a state cannot use JSONPath when the definition's QueryLanguage is JSONata".into(),
            );
        }
        let (foreign, own) = match lang {
            QueryLanguage::Jsonata => (&JSONPATH_ONLY[..], "JSONata"),
            QueryLanguage::JsonPath => (&JSONATA_ONLY[..], "JSONPath"),
        };
        for field in foreign.iter().filter(|f| s.body.contains_key(**f)) {
            err(format!("\"{field}\" is not a field of a {own} state"));
        }
        if lang == QueryLanguage::Jsonata {
            check_jsonata_values(s.body, &mut err);
        } else if let Some(rules) = s.body.get("Choices").and_then(Value::as_array) {
            if rules.iter().any(|r| r.get("Condition").is_some()) {
                err(
                    "\"Condition\" is a JSONata field; a JSONPath Choice rule uses \"Variable\""
                        .into(),
                );
            }
        }
    }
}

fn check_jsonata_values(body: &Map<String, Value>, err: &mut dyn FnMut(String)) {
    for (key, value) in body {
        if key == "Comment" || key == "Type" {
            continue;
        }
        walk(value, key, err);
    }
}

fn walk(v: &Value, at: &str, err: &mut dyn FnMut(String)) {
    match v {
        Value::String(s) => {
            let t = s.trim();
            if t.starts_with("{%") && !t.ends_with("%}") {
                err(format!(
                    "{at}: the JSONata expression '{s}' does not end with '%}}'"
                ));
            }
        }
        Value::Object(m) => {
            for (k, child) in m {
                if k.ends_with(".$") {
                    err(format!(
                        "{at}.{k}: a JSONata state takes no '.$' keys; use {{% %}}"
                    ));
                }
                if k == "Variable" {
                    err(format!(
                        "{at}: \"Variable\" is JSONPath; a JSONata Choice rule uses \"Condition\""
                    ));
                }
                walk(child, &format!("{at}.{k}"), err);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| walk(i, at, err)),
        _ => {}
    }
}
