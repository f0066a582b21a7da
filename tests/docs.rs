//! The examples in docs/guard-states.md must show what `wrap` really writes.

mod common;

use pretty_assertions::assert_eq;
use serde_json::Value;

const ORDER: &str = r#"{"StartAt": "ChargeOrder", "States": {
  "ChargeOrder": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                  "Parameters": {"FunctionName": "charge"}, "Next": "Done"},
  "Done": {"Type": "Succeed"}}}"#;

/// The `json` code blocks of one section of the page, in order.
fn json_blocks(page: &str, section: &str) -> Vec<String> {
    let start = page.find(section).expect("the section exists");
    let rest = &page[start + section.len()..];
    let body = &rest[..rest.find("\n## ").unwrap_or(rest.len())];
    body.split("```json\n")
        .skip(1)
        .filter_map(|b| b.split_once("```").map(|(code, _)| code.to_string()))
        .collect()
}

#[test]
fn guard_states_poll_example_matches_wrap_output() {
    let page = std::fs::read_to_string(common::root().join("docs").join("guard-states.md"))
        .expect("docs/guard-states.md reads");
    let blocks = json_blocks(&page, "## JSONPath form");
    let retry = blocks
        .iter()
        .find(|b| b.trim_start().starts_with("{ \"ErrorEquals\""))
        .expect("the LEASE_RETRY block");
    let states = blocks[0].replace("LEASE_RETRY", retry.trim());
    let shown: Value = serde_json::from_str(&format!("{{{states}}}"))
        .unwrap_or_else(|e| panic!("the example is JSON once LEASE_RETRY is filled in: {e}"));
    let args = [
        "wrap",
        "-",
        "--around",
        "ChargeOrder",
        "--semaphore",
        "payments-api",
        "--limit",
        "5",
        "--weight",
        "1",
        "--lease-seconds",
        "900",
    ];
    let r = common::run(&args, Some(ORDER));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let written: Value = serde_json::from_str(&r.stdout).expect("wrap writes JSON");
    let shown = shown.as_object().expect("an object of states");
    assert!(shown.len() >= 7, "{shown:?}");
    for (name, state) in shown {
        // Compared as text, so key order counts too.
        assert_eq!(
            serde_json::to_string_pretty(state).unwrap(),
            serde_json::to_string_pretty(&written["States"][name]).unwrap(),
            "state '{name}'"
        );
    }
}
