//! Express rules at the command line: callback guards are refused, and `check` applies the
//! Express rules, inside a Distributed Map whose items run as Express child workflows, even
//! when the parent is a Standard workflow.

mod common;

use std::fs;
use std::path::PathBuf;

use common::{run, tempdir};
use pretty_assertions::assert_eq;
use serde_json::Value;

/// The corpus file whose Distributed Map runs its items as Express child workflows.
fn dmap_temperatures() -> PathBuf {
    common::corpus_files()
        .into_iter()
        .find(|f| f.display().to_string().contains("dmap-temperatures"))
        .expect("the corpus holds the dmap-temperatures definition")
}

/// The Task inside the Express items of [`dmap_temperatures`].
const ITEM_TASK: &str = "Lambda Invoke";

fn corpus_text() -> String {
    let text = fs::read_to_string(dmap_temperatures()).unwrap();
    assert!(text.contains("\"ExecutionType\": \"EXPRESS\""), "{text}");
    text
}

/// Sets the `ExecutionType` of the top-level Map `map` of a definition.
fn with_execution_type(text: &str, map: &str, execution_type: &str) -> String {
    let mut def: Value = serde_json::from_str(text).unwrap();
    def["States"][map]["ItemProcessor"]["ProcessorConfig"]["ExecutionType"] = execution_type.into();
    serde_json::to_string_pretty(&def).unwrap()
}

#[test]
fn callback_inside_an_express_child_map_is_refused_and_writes_nothing() {
    let dir = tempdir();
    let file = dir.path().join("dmap.asl.json");
    let original = corpus_text();
    fs::write(&file, &original).unwrap();
    let path = file.to_str().unwrap();
    let target = dir.path().join("out.asl.json");
    let callback = ["--around", ITEM_TASK, "--wait", "callback"];
    for output in [
        &["-i"][..],
        &["-o", target.to_str().unwrap()][..],
        &[][..],
        &["--check"][..],
    ] {
        let r = run(&[&["wrap", path][..], output, &callback].concat(), None);
        assert_eq!(r.code, 2, "{output:?}: {}", r.stderr);
        assert!(r.stdout.is_empty(), "{output:?}: {}", r.stdout);
        for needle in [
            &format!("asl-guard: {path}: invalid --wait:")[..],
            "inside the Distributed Map 'DistributedMap'",
            "Express child workflows",
            ".waitForTaskToken",
            "use --wait poll",
        ] {
            assert!(r.stderr.contains(needle), "{needle}: {}", r.stderr);
        }
    }
    assert_eq!(fs::read_to_string(&file).unwrap(), original);
    assert!(!target.exists(), "no output file is written");
    let leftovers = fs::read_dir(dir.path()).unwrap().count();
    assert_eq!(leftovers, 1, "no temporary file is left behind");
}

#[test]
fn callback_outside_the_express_items_and_in_standard_items_is_accepted() {
    let text = corpus_text();
    let r = run(
        &["wrap", "-", "--around", "Reducer", "--wait", "callback"],
        Some(&text),
    );
    assert_eq!(r.code, 0, "the parent is a Standard workflow: {}", r.stderr);
    let standard = with_execution_type(&text, "DistributedMap", "STANDARD");
    let r = run(
        &["wrap", "-", "--around", ITEM_TASK, "--wait", "callback"],
        Some(&standard),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let def: Value = serde_json::from_str(&r.stdout).unwrap();
    let items = &def["States"]["DistributedMap"]["ItemProcessor"]["States"];
    assert_eq!(
        items["AcquireLease"]["Resource"],
        "arn:aws:states:::lambda:invoke.waitForTaskToken"
    );
    let check = run(&["check", "-"], Some(&r.stdout));
    assert_eq!((check.code, check.stdout.as_str()), (0, ""));
}

#[test]
fn check_applies_express_rules_inside_express_child_maps_without_the_flag() {
    let text = corpus_text();
    let poll = run(&["wrap", "-", "--around", ITEM_TASK], Some(&text));
    assert_eq!(poll.code, 0, "{}", poll.stderr);
    let r = run(&["check", "-"], Some(&poll.stdout));
    assert_eq!(r.code, 0, "a warning only: {}", r.stdout);
    assert!(
        r.stdout.contains(
            "warning[express-wait]: state 'CheckLeaseStatus' (in Map 'DistributedMap'): the \
             items of Distributed Map 'DistributedMap' run as Express child executions, which \
             end after 300 seconds"
        ),
        "{}",
        r.stdout
    );
    assert_eq!(
        run(&["check", "-", "--deny-warnings"], Some(&poll.stdout)).code,
        1
    );
    let short = run(
        &["wrap", "-", "--around", ITEM_TASK, "--max-wait", "300"],
        Some(&text),
    );
    let r = run(&["check", "-"], Some(&short.stdout));
    assert_eq!((r.code, r.stdout.as_str()), (0, ""));
    let mut own: Value = serde_json::from_str(&text).unwrap();
    own["States"]["DistributedMap"]["ItemProcessor"]["States"][ITEM_TASK]["Resource"] =
        "arn:aws:states:::lambda:invoke.waitForTaskToken".into();
    let r = run(&["check", "-"], Some(&own.to_string()));
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stdout
            .contains("error[express-callback]: state 'Lambda Invoke' (in Map 'DistributedMap')"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("ExecutionType to STANDARD"),
        "{}",
        r.stdout
    );
}

#[test]
fn check_reports_a_callback_guard_in_express_items_as_an_error_without_wait_advice() {
    let standard = with_execution_type(&corpus_text(), "DistributedMap", "STANDARD");
    let r = run(
        &["wrap", "-", "--around", ITEM_TASK, "--wait", "callback"],
        Some(&standard),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let express = with_execution_type(&r.stdout, "DistributedMap", "EXPRESS");
    for extra in [&[][..], &["--workflow-type", "standard"][..]] {
        let r = run(&[&["check", "-"][..], extra].concat(), Some(&express));
        assert_eq!(r.code, 1, "{extra:?}: {}", r.stdout);
        assert!(
            r.stdout
                .contains("error[express-callback]: state 'AcquireLease' (in Map"),
            "{}",
            r.stdout
        );
        assert!(
            r.stdout.contains("wrap this guard with --wait poll"),
            "{}",
            r.stdout
        );
        assert!(!r.stdout.contains("express-wait"), "{}", r.stdout);
    }
}

#[test]
fn check_express_gives_a_callback_guard_no_contradicting_wait_warning() {
    let simple = r#"{"StartAt": "Work", "States": {
      "Work": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true}}}"#;
    for max_wait in ["3600", "200"] {
        let w = run(
            &[
                "wrap",
                "-",
                "--around",
                "Work",
                "--wait",
                "callback",
                "--max-wait",
                max_wait,
            ],
            Some(simple),
        );
        let r = run(
            &["check", "-", "--workflow-type", "express"],
            Some(&w.stdout),
        );
        assert_eq!(r.code, 1, "{}", r.stdout);
        let rules: Vec<&str> = r
            .stdout
            .lines()
            .filter_map(|l| l.split_once('[').and_then(|(_, rest)| rest.split_once(']')))
            .map(|(rule, _)| rule)
            .collect();
        assert_eq!(rules, ["express-callback"], "{}", r.stdout);
    }
    let poll = run(&["wrap", "-", "--around", "Work"], Some(simple));
    let r = run(
        &["check", "-", "--workflow-type", "express"],
        Some(&poll.stdout),
    );
    assert!(
        r.stdout
            .contains("warning[express-wait]: state 'CheckLeaseStatus'"),
        "the poll case keeps its warning: {}",
        r.stdout
    );
}

#[test]
fn external_refuses_callback_inside_an_express_child_map() {
    let query = serde_json::json!({"definition": corpus_text(), "around": ITEM_TASK,
                                   "wait": "callback"});
    let r = run(&["external"], Some(&query.to_string()));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    for needle in [
        "query key 'wait': callback cannot be used inside the Distributed Map 'DistributedMap'",
        "use wait = \"poll\"",
    ] {
        assert!(r.stderr.contains(needle), "{needle}: {}", r.stderr);
    }
    let poll = serde_json::json!({"definition": corpus_text(), "around": ITEM_TASK});
    assert_eq!(run(&["external"], Some(&poll.to_string())).code, 0);
}
