//! Writing a definition back out as JSON (any indent) or YAML, keys in their original order.

use serde::Serialize;
use serde_json::Value;

use crate::model::Format;

/// JSON with `indent` spaces per level (0 writes one line), ending in a newline.
pub fn to_json(value: &Value, indent: usize) -> String {
    let mut text = if indent == 0 {
        value.to_string()
    } else {
        let pad = vec![b' '; indent];
        let fmt = serde_json::ser::PrettyFormatter::with_indent(&pad);
        let mut buf = Vec::new();
        let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
        // Serializing a `Value` into memory cannot fail.
        let _ = value.serialize(&mut ser);
        String::from_utf8(buf).unwrap_or_default()
    };
    text.push('\n');
    text
}

/// YAML text, in block style. A string is written plain only when every YAML 1.1 and 1.2
/// reader (SAM and CloudFormation read 1.1) takes it back as the same string; otherwise it is
/// double-quoted, so `NO`, `on`, `12:30` or `2024-01-01` stay strings.
pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(m) if !m.is_empty() => yaml_map(m, 0, &mut out),
        Value::Array(a) if !a.is_empty() => yaml_seq(a, 0, &mut out),
        other => {
            out.push_str(&yaml_scalar(other));
            out.push('\n');
        }
    }
    out
}

fn yaml_map(m: &serde_json::Map<String, Value>, indent: usize, out: &mut String) {
    for (k, v) in m {
        out.push_str(&" ".repeat(indent));
        out.push_str(&yaml_string(k));
        out.push(':');
        yaml_value(v, indent, out);
    }
}

fn yaml_seq(items: &[Value], indent: usize, out: &mut String) {
    for v in items {
        out.push_str(&" ".repeat(indent));
        out.push('-');
        match v {
            Value::Object(m) if !m.is_empty() => {
                // The first key goes on the dash's line; the rest line up under it.
                let mut nested = String::new();
                yaml_map(m, indent + 2, &mut nested);
                out.push(' ');
                out.push_str(nested.trim_start());
            }
            other => yaml_value(other, indent, out),
        }
    }
}

/// Writes what follows `key:`: a scalar on the same line, a collection on the next lines.
fn yaml_value(v: &Value, indent: usize, out: &mut String) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            out.push('\n');
            yaml_map(m, indent + 2, out);
        }
        Value::Array(a) if !a.is_empty() => {
            out.push('\n');
            yaml_seq(a, indent + 2, out);
        }
        scalar => {
            out.push(' ');
            out.push_str(&yaml_scalar(scalar));
            out.push('\n');
        }
    }
}

fn yaml_scalar(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => yaml_string(s),
        Value::Array(_) => "[]".into(),
        Value::Object(_) => "{}".into(),
    }
}

/// Words YAML 1.1 or 1.2 reads as booleans or null.
const YAML_WORDS: [&str; 22] = [
    "y", "n", "yes", "no", "on", "off", "true", "false", "null", "~", "Y", "N", "Yes", "No", "On",
    "Off", "YES", "NO", "ON", "OFF", "TRUE", "FALSE",
];

fn yaml_string(s: &str) -> String {
    if plain_is_safe(s) {
        s.to_string()
    } else {
        Value::String(s.to_string()).to_string()
    }
}

fn plain_is_safe(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    let lower = s.to_ascii_lowercase();
    let word = YAML_WORDS.contains(&s) || ["true", "false", "null"].contains(&lower.as_str());
    let numeric_start = first.is_ascii_digit() || matches!(first, '+' | '-' | '.');
    let safe_chars = s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_./$()'-: ,".contains(c));
    !word
        && !numeric_start
        && (first.is_ascii_alphabetic() || first == '_' || first == '$' || first == '/')
        && safe_chars
        && !s.contains(": ")
        && !s.contains(" #")
        && !s.ends_with([':', ' '])
}

/// The definition in the given format.
pub fn render(value: &Value, format: Format, indent: usize) -> String {
    match format {
        Format::Json => to_json(value, indent),
        Format::Yaml => to_yaml(value),
    }
}
