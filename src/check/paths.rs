//! JSONPath rules: every path field and every `.$` value of a JSONPath state parses.
//!
//! Paths are checked with jsonpath-rust, which follows RFC 9535. ASL paths differ in three
//! ways that are rewritten before parsing: `$$` (the context object) and `$name` (a workflow
//! variable) both become `$`, and dotted member names that RFC 9535 shorthand does not allow
//! (such as `$.my-field`) become bracketed names. Values of `.$` keys may also be intrinsic
//! functions (`States.Format(...)`), whose path arguments are checked in turn.

use serde_json::{Map, Value};

use super::Finding;
use crate::model::{Definition, QueryLanguage, ScopeId};

/// What kind of value a field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathKind {
    /// A path only (`InputPath`, `Variable`, ...).
    Path,
    /// A path or an intrinsic function call (the value of a `.$` key).
    PathOrIntrinsic,
}

const PATH_FIELDS: [&str; 11] = [
    "InputPath",
    "OutputPath",
    "ResultPath",
    "ItemsPath",
    "SecondsPath",
    "TimestampPath",
    "ErrorPath",
    "CausePath",
    "HeartbeatSecondsPath",
    "TimeoutSecondsPath",
    "MaxConcurrencyPath",
];

const INTRINSICS: [&str; 18] = [
    "Format",
    "StringToJson",
    "JsonToString",
    "Array",
    "ArrayPartition",
    "ArrayContains",
    "ArrayRange",
    "ArrayGetItem",
    "ArrayLength",
    "ArrayUnique",
    "Base64Encode",
    "Base64Decode",
    "Hash",
    "JsonMerge",
    "MathRandom",
    "MathAdd",
    "StringSplit",
    "UUID",
];

/// Checks every JSONPath expression of the states of one scope.
pub fn check_scope(def: &Definition, scope: &ScopeId, out: &mut Vec<Finding>) {
    for s in def.states(scope) {
        if def.state_language(s.body) != QueryLanguage::JsonPath {
            continue;
        }
        let mut report = |field: &str, value: &str, why: String| {
            let msg = format!("{field} '{value}' is not a valid path: {why}");
            out.push(Finding::error("jsonpath", scope, Some(s.name), msg));
        };
        for field in PATH_FIELDS {
            if let Some(Value::String(p)) = s.body.get(field) {
                let kind = match field {
                    "ErrorPath" | "CausePath" => PathKind::PathOrIntrinsic,
                    _ => PathKind::Path,
                };
                if let Err(why) = check_path(p, kind) {
                    report(field, p, why);
                }
            }
        }
        for (field, value) in choice_variables(s.body) {
            if let Err(why) = check_path(&value, PathKind::Path) {
                report(&field, &value, why);
            }
        }
        for key in ["Parameters", "ResultSelector", "ItemSelector", "Assign"] {
            if let Some(v) = s.body.get(key) {
                dollar_keys(v, key, &mut |field, value| {
                    if let Err(why) = check_path(value, PathKind::PathOrIntrinsic) {
                        report(field, value, why);
                    }
                });
            }
        }
    }
}

fn choice_variables(body: &Map<String, Value>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack: Vec<&Value> = body
        .get("Choices")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .collect();
    while let Some(rule) = stack.pop() {
        let Some(obj) = rule.as_object() else {
            continue;
        };
        for (k, v) in obj {
            match (k.as_str(), v) {
                ("Variable", Value::String(p)) => out.push((k.clone(), p.clone())),
                (k2, Value::String(p)) if k2.ends_with("Path") => out.push((k.clone(), p.clone())),
                ("And" | "Or", Value::Array(items)) => stack.extend(items),
                ("Not", v) => stack.push(v),
                _ => {}
            }
        }
    }
    out
}

fn dollar_keys(v: &Value, at: &str, f: &mut dyn FnMut(&str, &str)) {
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                let here = format!("{at}.{k}");
                match child {
                    Value::String(s) if k.ends_with(".$") => f(&here, s),
                    _ => dollar_keys(child, &here, f),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| dollar_keys(i, at, f)),
        _ => {}
    }
}

/// Checks one ASL path or intrinsic call; the error says what is wrong.
pub fn check_path(text: &str, kind: PathKind) -> Result<(), String> {
    let t = text.trim();
    if kind == PathKind::PathOrIntrinsic && t.starts_with("States.") {
        return check_intrinsic(t);
    }
    if !t.starts_with('$') {
        return Err("a path starts with '$'".into());
    }
    let normal = normalize(t)?;
    jsonpath_rust::parser::parse_json_path(&normal)
        .map(|_| ())
        .map_err(|e| first_line(&e.to_string()))
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or(s).to_string()
}

/// Rewrites an ASL path into RFC 9535 syntax (see the module docs).
fn normalize(path: &str) -> Result<String, String> {
    let rest = if let Some(r) = path.strip_prefix("$$") {
        r
    } else {
        let r = &path[1..];
        let var_len = r
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .count();
        &r[var_len..]
    };
    let mut out = String::from("$");
    let chars: Vec<char> = rest.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '.' if chars.get(i + 1) == Some(&'.') => {
                out.push_str("..");
                let (name, end) = member_name(&chars, i + 2);
                if !name.is_empty() {
                    out.push_str(&member(&name)?[1..]);
                }
                i = end;
            }
            // Jayway-style `$.a.[0]` and `$.[?(...)]`: a dot before a bracket adds nothing.
            '.' if chars.get(i + 1) == Some(&'[') => i += 1,
            '.' => {
                let (name, end) = member_name(&chars, i + 1);
                out.push_str(&member(&name)?);
                i = end;
            }
            '[' => {
                let end = matching_bracket(&chars, i).ok_or("unclosed '['")?;
                out.extend(&chars[i..=end]);
                i = end + 1;
            }
            c => return Err(format!("unexpected '{c}'")),
        }
    }
    Ok(out)
}

/// The member name starting at `start`, and where it ends.
fn member_name(chars: &[char], start: usize) -> (String, usize) {
    let mut end = start;
    while end < chars.len() && chars[end] != '.' && chars[end] != '[' {
        end += 1;
    }
    (chars[start..end].iter().collect(), end)
}

fn member(name: &str) -> Result<String, String> {
    if name.is_empty() {
        return Err("empty member name after '.'".into());
    }
    if name == "*" || name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Ok(format!(".{name}"));
    }
    if name.contains('\'') || name.contains(' ') && name.trim() != name {
        return Err(format!("member name '{name}' needs brackets"));
    }
    Ok(format!("['{name}']"))
}

fn matching_bracket(chars: &[char], open: usize) -> Option<usize> {
    let mut depth = 0;
    let mut quote: Option<char> = None;
    for (i, &c) in chars.iter().enumerate().skip(open) {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '[') => depth += 1,
            (None, ']') => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

fn check_intrinsic(text: &str) -> Result<(), String> {
    let open = text
        .find('(')
        .ok_or("an intrinsic function needs '(' and arguments")?;
    let name = &text["States.".len()..open];
    if !INTRINSICS.contains(&name) {
        return Err(format!("unknown intrinsic function 'States.{name}'"));
    }
    if !text.ends_with(')') {
        return Err("the call does not end with ')'".into());
    }
    for arg in split_args(&text[open + 1..text.len() - 1])? {
        let a = arg.trim();
        if a.starts_with('$') || a.starts_with("States.") {
            check_path(a, PathKind::PathOrIntrinsic)?;
        }
    }
    Ok(())
}

fn split_args(inner: &str) -> Result<Vec<String>, String> {
    let mut args = Vec::new();
    let (mut cur, mut depth, mut quoted, mut escaped) = (String::new(), 0i32, false, false);
    for c in inner.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '\'' => quoted = !quoted,
            '(' | '[' if !quoted => depth += 1,
            ')' | ']' if !quoted => depth -= 1,
            ',' if !quoted && depth == 0 => {
                args.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    if quoted || depth != 0 {
        return Err("unbalanced quotes or parentheses in the arguments".into());
    }
    if !cur.trim().is_empty() {
        args.push(cur);
    }
    Ok(args)
}
