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

/// YAML text.
pub fn to_yaml(value: &Value) -> String {
    serde_yaml_ng::to_string(value).unwrap_or_default()
}

/// The definition in the given format.
pub fn render(value: &Value, format: Format, indent: usize) -> String {
    match format {
        Format::Json => to_json(value, indent),
        Format::Yaml => to_yaml(value),
    }
}
