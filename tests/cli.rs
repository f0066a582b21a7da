//! CLI behaviour: exit codes, streams, in-place and check modes, stdin, the external data
//! source protocol and failures that must leave files untouched.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;

use common::{run, run_in, tempdir};
use pretty_assertions::assert_eq;

const SIMPLE: &str = r#"{
  "StartAt": "Work",
  "States": {
    "Work": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true}
  }
}
"#;

fn wrapped_simple() -> String {
    let r = run(&["wrap", "-", "--around", "Work"], Some(SIMPLE));
    assert_eq!(r.code, 0, "{}", r.stderr);
    r.stdout
}

#[test]
fn wrap_reads_stdin_and_writes_stdout() {
    let out = wrapped_simple();
    assert!(out.contains("\"StartAt\": \"PrepareLease\""), "{out}");
    assert!(
        out.contains("\"FunctionName\": \"${lease_function_arn}\""),
        "{out}"
    );
}

#[test]
fn wrap_without_file_reads_stdin() {
    let r = run(&["wrap", "--around", "Work"], Some(SIMPLE));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, wrapped_simple());
}

#[test]
fn wrap_twice_equals_wrap_once() {
    let once = wrapped_simple();
    let r = run(&["wrap", "-", "--around", "Work"], Some(&once));
    assert_eq!(r.stdout, once);
}

#[test]
fn rewrap_with_new_options_replaces_the_guard() {
    let once = wrapped_simple();
    let r = run(
        &["wrap", "-", "--around", "Work", "--limit", "7"],
        Some(&once),
    );
    assert_eq!(r.code, 0);
    let direct = run(
        &["wrap", "-", "--around", "Work", "--limit", "7"],
        Some(SIMPLE),
    );
    assert_eq!(r.stdout, direct.stdout);
    assert_eq!(r.stdout.matches("\"action\": \"acquire\"").count(), 1);
}

#[test]
fn unwrap_gives_back_the_original_document() {
    let r = run(&["unwrap", "-", "--indent", "0"], Some(&wrapped_simple()));
    let original: serde_json::Value = serde_json::from_str(SIMPLE).unwrap();
    let back: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(back, original);
}

#[test]
fn unwrap_around_a_state_without_guard_fails() {
    let r = run(
        &["unwrap", "-", "--around", "Nope"],
        Some(&wrapped_simple()),
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("no guard enters state 'Nope'"),
        "{}",
        r.stderr
    );
}

#[test]
fn in_place_rewrites_atomically_and_keeps_permissions() {
    let dir = tempdir();
    let file = dir.path().join("flow.asl.json");
    fs::write(&file, SIMPLE).unwrap();
    fs::set_permissions(&file, fs::Permissions::from_mode(0o640)).unwrap();
    let r = run(
        &["wrap", file.to_str().unwrap(), "--around", "Work", "-i"],
        None,
    );
    assert_eq!((r.code, r.stdout.as_str()), (0, ""), "{}", r.stderr);
    assert_eq!(fs::read_to_string(&file).unwrap(), wrapped_simple());
    let mode = fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);
    let leftovers: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "no temporary file is left behind");
}

#[test]
fn check_mode_exits_1_on_difference_and_0_when_current() {
    let dir = tempdir();
    let file = dir.path().join("flow.asl.json");
    fs::write(&file, SIMPLE).unwrap();
    let path = file.to_str().unwrap();
    let r = run(&["wrap", "--check", path, "--around", "Work"], None);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("would change"), "{}", r.stderr);
    assert_eq!(
        fs::read_to_string(&file).unwrap(),
        SIMPLE,
        "--check writes nothing"
    );
    fs::write(&file, wrapped_simple()).unwrap();
    let r = run(&["wrap", "--check", path, "--around", "Work"], None);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn check_mode_compares_with_the_output_file() {
    let dir = tempdir();
    let src = dir.path().join("src.asl.json");
    let out = dir.path().join("out.asl.json");
    fs::write(&src, SIMPLE).unwrap();
    let (s, o) = (src.to_str().unwrap(), out.to_str().unwrap());
    assert_eq!(run(&["wrap", s, "--around", "Work", "-o", o], None).code, 0);
    assert_eq!(
        run(&["wrap", s, "--around", "Work", "-o", o, "--check"], None).code,
        0
    );
    assert_eq!(
        run(
            &["wrap", s, "--around", "Work", "-o", o, "--check", "--limit", "2"],
            None
        )
        .code,
        1
    );
}

#[test]
fn unwritable_output_fails_with_exit_2_and_leaves_no_file() {
    let dir = tempdir();
    let target = dir.path().join("missing-dir").join("out.asl.json");
    let r = run(
        &[
            "wrap",
            "-",
            "--around",
            "Work",
            "-o",
            target.to_str().unwrap(),
        ],
        Some(SIMPLE),
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.starts_with("asl-guard: "), "{}", r.stderr);
    assert!(r.stderr.contains("out.asl.json"), "{}", r.stderr);
    assert!(!target.exists());
}

#[test]
fn failed_wrap_leaves_the_file_untouched() {
    let dir = tempdir();
    let file = dir.path().join("flow.asl.json");
    fs::write(&file, SIMPLE).unwrap();
    let r = run(
        &["wrap", file.to_str().unwrap(), "--around", "Nope", "-i"],
        None,
    );
    assert_eq!(r.code, 2);
    assert_eq!(fs::read_to_string(&file).unwrap(), SIMPLE);
}

#[test]
fn missing_file_names_the_file() {
    let r = run(&["wrap", "no/such.asl.json", "--around", "X"], None);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("no/such.asl.json: cannot read"),
        "{}",
        r.stderr
    );
}

#[test]
fn invalid_yaml_reports_line_and_column() {
    let r = run(
        &["wrap", "-", "--around", "X"],
        Some("StartAt: A\nStates:\n  A: [unclosed\n"),
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("<stdin>: invalid YAML at line"),
        "{}",
        r.stderr
    );
}

#[test]
fn bad_options_are_refused_before_any_output() {
    for (flag, value) in [
        ("--limit", "0"),
        ("--weight", "0"),
        ("--max-wait", "0"),
        ("--semaphore", ""),
    ] {
        let r = run(
            &["wrap", "-", "--around", "Work", flag, value],
            Some(SIMPLE),
        );
        assert_eq!(r.code, 2, "{flag} {value}: {}", r.stderr);
        assert!(r.stdout.is_empty());
        assert!(r.stderr.contains(flag), "{}", r.stderr);
    }
    let r = run(
        &[
            "wrap", "-", "--around", "Work", "--limit", "2", "--weight", "3",
        ],
        Some(SIMPLE),
    );
    assert_eq!(r.code, 2);
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(run(&["wrap", "-"], Some(SIMPLE)).code, 2);
    assert_eq!(run(&["frobnicate"], None).code, 2);
}

#[test]
fn several_files_need_in_place_or_check() {
    let dir = tempdir();
    let (a, b) = (dir.path().join("a.asl.json"), dir.path().join("b.asl.json"));
    fs::write(&a, SIMPLE).unwrap();
    fs::write(&b, SIMPLE).unwrap();
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    assert_eq!(run(&["wrap", a, b, "--around", "Work"], None).code, 2);
    assert_eq!(
        run(&["wrap", a, b, "--around", "Work", "--check"], None).code,
        1
    );
    assert_eq!(run(&["wrap", a, b, "--around", "Work", "-i"], None).code, 0);
    assert_eq!(
        run(&["wrap", a, b, "--around", "Work", "--check"], None).code,
        0
    );
}

/// Three files for the multi-file tests: `a` and `c` can be wrapped around `Work`, `b` has
/// no such state.
fn three_files(dir: &tempfile::TempDir) -> [String; 3] {
    let other = SIMPLE.replace("Work", "Other");
    ["a", "b", "c"].map(|n| {
        let p = dir.path().join(format!("{n}.asl.json"));
        fs::write(&p, if n == "b" { other.as_str() } else { SIMPLE }).unwrap();
        p.to_str().unwrap().to_string()
    })
}

#[test]
fn in_place_with_one_failing_file_writes_no_file_and_names_it() {
    let dir = tempdir();
    let [a, b, c] = three_files(&dir);
    let before: Vec<String> = [&a, &b, &c]
        .iter()
        .map(|p| fs::read_to_string(p).unwrap())
        .collect();
    let r = run(&["wrap", &a, &b, &c, "--around", "Work", "-i"], None);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains(&format!("asl-guard: {b}: no state named 'Work'")),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("1 of 3 files failed; no file was written"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains(&format!("{a}:")), "{}", r.stderr);
    let after: Vec<String> = [&a, &b, &c]
        .iter()
        .map(|p| fs::read_to_string(p).unwrap())
        .collect();
    assert_eq!(
        after, before,
        "the files before and after the failing one are untouched"
    );
    let leftovers = fs::read_dir(dir.path()).unwrap().count();
    assert_eq!(leftovers, 3, "no temporary file is left behind");
}

#[test]
fn in_place_reports_every_failing_file_with_its_own_message() {
    let dir = tempdir();
    let [a, b, c] = three_files(&dir);
    fs::write(&c, "{ not json").unwrap();
    let missing = dir.path().join("missing.asl.json");
    let missing = missing.to_str().unwrap();
    let r = run(
        &["wrap", &a, &b, &c, missing, "--around", "Work", "-i"],
        None,
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    for needle in [
        format!("asl-guard: {b}: no state named 'Work'"),
        format!("asl-guard: {c}: invalid JSON at line 1"),
        format!("asl-guard: {missing}: cannot read"),
        "3 of 4 files failed; no file was written".to_string(),
    ] {
        assert!(r.stderr.contains(&needle), "{needle}: {}", r.stderr);
    }
    assert_eq!(fs::read_to_string(&a).unwrap(), SIMPLE);
}

#[test]
fn in_place_writes_every_file_when_all_succeed() {
    let dir = tempdir();
    let [a, _, c] = three_files(&dir);
    let r = run(&["wrap", &a, &c, "--around", "Work", "-i"], None);
    assert_eq!((r.code, r.stderr.as_str()), (0, ""));
    for p in [&a, &c] {
        assert_eq!(fs::read_to_string(p).unwrap(), wrapped_simple());
    }
}

#[test]
fn check_mode_reports_every_file_and_exits_2_on_an_error() {
    let dir = tempdir();
    let [a, b, c] = three_files(&dir);
    fs::write(&c, wrapped_simple()).unwrap();
    let r = run(&["wrap", "--check", &a, &b, &c, "--around", "Work"], None);
    assert_eq!(r.code, 2, "{}", r.stderr);
    for needle in [
        format!("asl-guard: {a}: would change"),
        format!("asl-guard: {b}: no state named 'Work'"),
        format!("asl-guard: {c}: unchanged"),
    ] {
        assert!(r.stderr.contains(&needle), "{needle}: {}", r.stderr);
    }
    assert_eq!(
        fs::read_to_string(&a).unwrap(),
        SIMPLE,
        "--check writes nothing"
    );
    let r = run(&["wrap", "--check", &a, &c, "--around", "Work"], None);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains(&format!("{c}: unchanged")),
        "{}",
        r.stderr
    );
}

#[test]
fn check_is_clean_on_a_wrapped_definition_and_exits_0() {
    let dir = tempdir();
    let file = dir.path().join("w.asl.json");
    fs::write(&file, wrapped_simple()).unwrap();
    let r = run(&["check", file.to_str().unwrap()], None);
    assert_eq!((r.code, r.stdout.as_str()), (0, ""), "{}", r.stdout);
}

#[test]
fn check_finds_a_guard_leak_after_hand_editing() {
    let edited = wrapped_simple().replace("\"Next\": \"ReleaseLease\"", "\"End\": true");
    let dir = tempdir();
    let file = dir.path().join("w.asl.json");
    fs::write(&file, edited).unwrap();
    let r = run(&["check", file.to_str().unwrap()], None);
    assert_eq!(r.code, 1);
    assert!(
        r.stdout.contains("error[guard-leak]: state 'Work'"),
        "{}",
        r.stdout
    );
}

#[test]
fn check_deny_warnings_turns_warnings_into_failures() {
    let dir = tempdir();
    let file = dir.path().join("u.asl.json");
    let two_ends = r#"{"StartAt":"A","States":{
        "A":{"Type":"Pass","End":true},"B":{"Type":"Pass","End":true}}}"#;
    fs::write(&file, two_ends).unwrap();
    let p = file.to_str().unwrap();
    assert_eq!(run(&["check", p], None).code, 0);
    assert_eq!(run(&["check", p, "--deny-warnings"], None).code, 1);
}

#[test]
fn external_answers_a_json_object_of_strings() {
    let query = serde_json::json!({
        "definition": SIMPLE, "around": "Work", "semaphore": "db", "limit": "3",
        "function": "arn:aws:lambda:us-east-1:123456789012:function:lease"
    });
    let r = run(&["external"], Some(&query.to_string()));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let answer: std::collections::BTreeMap<String, String> =
        serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(answer["entry"], "Work");
    let def: serde_json::Value = serde_json::from_str(&answer["definition"]).unwrap();
    assert_eq!(def["StartAt"], "PrepareLease");
    assert_eq!(
        def["States"]["AcquireLease"]["Parameters"]["Payload"]["limit"],
        3
    );
}

#[test]
fn external_rejects_bad_queries_on_stderr() {
    for (query, needle) in [
        (
            r#"{"definition": "{}", "around": 3}"#.to_string(),
            "object whose values are all strings",
        ),
        (
            r#"{"around": "Work"}"#.to_string(),
            "'definition' is required",
        ),
        (
            serde_json::json!({"definition": SIMPLE, "around": "Work", "colour": "x"}).to_string(),
            "unknown query key 'colour'",
        ),
        (
            serde_json::json!({"definition": SIMPLE, "around": "Work", "limit": "five"})
                .to_string(),
            "'five' is not a whole number",
        ),
    ] {
        let r = run(&["external"], Some(&query));
        assert_eq!(r.code, 2, "{query}");
        assert!(r.stdout.is_empty());
        assert!(r.stderr.contains(needle), "{query}: {}", r.stderr);
    }
}

#[test]
fn completions_are_printed() {
    let r = run(&["completions", "bash"], None);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("asl-guard"));
}

#[test]
fn help_lists_exit_codes_and_examples() {
    let r = run(&["--help"], None);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("Exit status: 0 done, 1 findings"));
    assert!(r
        .stdout
        .contains("asl-guard wrap workflow.asl.json --around ProcessWork"));
}

#[test]
fn wrap_help_says_what_max_wait_bounds_in_each_mode() {
    let r = run(&["wrap", "--help"], None);
    assert_eq!(r.code, 0);
    let help = r.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    for needle in [
        "poll: no new Wait starts once the waits add up to it",
        "callback: the acquire Task's TimeoutSeconds, per attempt",
        "a failed invocation fails fast and is retried with a new token",
        "a queued acquire ends only when its token is answered or this timeout passes",
    ] {
        assert!(help.contains(needle), "{needle}: {help}");
    }
    assert!(!help.contains("total wait"), "{help}");
}

#[test]
fn range_errors_name_the_range_in_words() {
    for (flag, value, needle) in [
        ("--limit", "0", "invalid --limit: 0 must be from 1 to 5000"),
        (
            "--weight",
            "5001",
            "invalid --weight: 5001 must be from 1 to 5000",
        ),
        (
            "--max-wait",
            "0",
            "invalid --max-wait: 0 must be from 1 to 31536000 seconds",
        ),
        (
            "--lease-seconds",
            "31536001",
            "invalid --lease-seconds: 31536001 must be from 1 to 31536000 seconds",
        ),
    ] {
        let r = run(
            &["wrap", "-", "--around", "Work", flag, value],
            Some(SIMPLE),
        );
        assert_eq!(r.code, 2, "{flag}");
        assert!(r.stderr.contains(needle), "{needle}: {}", r.stderr);
        assert!(!r.stderr.contains("..="), "{}", r.stderr);
    }
}

#[test]
fn broken_pipe_exits_0() {
    use std::process::{Command, Stdio};
    let big: String = {
        let states: Vec<String> = (0..3000)
            .map(|i| format!("\"S{i}\": {{\"Type\": \"Pass\", \"Next\": \"S{}\"}}", i + 1))
            .collect();
        let last = r#""S3000": {"Type": "Task", "Resource": "x", "End": true}"#;
        format!(
            "{{\"StartAt\": \"S0\", \"States\": {{{}, {last}}}}}",
            states.join(",")
        )
    };
    let dir = tempdir();
    let file = dir.path().join("big.asl.json");
    fs::write(&file, big).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_asl-guard"))
        .args(["wrap", file.to_str().unwrap(), "--around", "S3000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn messages_name_stdin_as_stdin() {
    let r = run_in(&["wrap", "-", "--around", "X"], Some("{"), None);
    assert!(
        r.stderr
            .starts_with("asl-guard: <stdin>: invalid JSON at line 1"),
        "{}",
        r.stderr
    );
}

#[test]
fn nested_guards_unwrap_in_either_order() {
    let original = fs::read_to_string(common::root().join("testdata/nested-guards.asl.json"))
        .expect("fixture exists");
    let original: serde_json::Value = serde_json::from_str(&original).unwrap();
    for (first, second) in [("Inner", "B1"), ("B1", "Inner")] {
        let once = run(
            &["wrap", "-", "--around", first],
            Some(&original.to_string()),
        );
        assert_eq!(once.code, 0, "{}", once.stderr);
        let twice = run(&["wrap", "-", "--around", second], Some(&once.stdout));
        assert_eq!(twice.code, 0, "{}", twice.stderr);
        let check = run(&["check", "-"], Some(&twice.stdout));
        assert!(
            !check.stdout.contains("error["),
            "{first} then {second}: {}",
            check.stdout
        );
        let back = run(&["unwrap", "-"], Some(&twice.stdout));
        assert_eq!(back.code, 0, "{}", back.stderr);
        let back: serde_json::Value = serde_json::from_str(&back.stdout).unwrap();
        assert_eq!(back, original, "{first} then {second}");
    }
}

#[test]
fn in_place_through_a_symlink_rewrites_the_target() {
    let dir = tempdir();
    let target = dir.path().join("real.asl.json");
    let link = dir.path().join("link.asl.json");
    fs::write(&target, SIMPLE).unwrap();
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let r = run(
        &["wrap", link.to_str().unwrap(), "--around", "Work", "-i"],
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(fs::read_to_string(&target).unwrap(), wrapped_simple());
}

#[test]
fn yaml_output_keeps_yaml_1_1_lookalikes_as_strings() {
    let input = "StartAt: Ship\nStates:\n  Ship:\n    Type: Task\n    Resource: x\n    \
                 Parameters:\n      country: 'NO'\n      gift: 'yes'\n      \
                 time: '12:30:00'\n      date: '2024-01-01'\n      zip: '01234'\n      \
                 empty: ''\n    End: true\n";
    let r = run(&["wrap", "-", "--around", "Ship"], Some(input));
    assert_eq!(r.code, 0, "{}", r.stderr);
    for quoted in [
        "\"NO\"",
        "\"yes\"",
        "\"12:30:00\"",
        "\"2024-01-01\"",
        "\"01234\"",
        "\"\"",
    ] {
        assert!(
            r.stdout.contains(quoted),
            "{quoted} must stay quoted:\n{}",
            r.stdout
        );
    }
}

#[test]
fn check_reports_an_unreadable_file_and_still_checks_the_others() {
    let dir = tempdir();
    let good = dir.path().join("good.asl.json");
    fs::write(&good, SIMPLE).unwrap();
    let missing = dir.path().join("missing.asl.json");
    let r = run(
        &["check", missing.to_str().unwrap(), good.to_str().unwrap()],
        None,
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("missing.asl.json: cannot read"),
        "{}",
        r.stderr
    );
}

#[test]
fn empty_input_says_it_is_empty() {
    let r = run(&["wrap", "-", "--around", "X"], Some("  \n"));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("the file is empty"), "{}", r.stderr);
}

#[test]
fn external_names_the_query_key_of_a_bad_option() {
    let query = serde_json::json!({"definition": SIMPLE, "around": "Work", "limit": "0"});
    let r = run(&["external"], Some(&query.to_string()));
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("query key 'limit': 0 must be from 1 to 5000"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_user_state_whose_comment_looks_like_a_marker_survives_unwrap() {
    let input = r#"{"StartAt": "A", "States": {
      "A": {"Type": "Task", "Resource": "x", "Comment": "asl-guard/prepare lease: mine",
            "Next": "B"},
      "B": {"Type": "Task", "Resource": "y", "Comment": "asl-guard/release other: mine",
            "End": true}}}"#;
    let wrapped = run(&["wrap", "-", "--around", "B"], Some(input));
    assert_eq!(wrapped.code, 0, "{}", wrapped.stderr);
    let back = run(&["unwrap", "-"], Some(&wrapped.stdout));
    assert_eq!(back.code, 0, "{}", back.stderr);
    let back: serde_json::Value = serde_json::from_str(&back.stdout).unwrap();
    let original: serde_json::Value = serde_json::from_str(input).unwrap();
    assert_eq!(back, original);
}

fn wrapped_simple_callback() -> String {
    let r = run(
        &["wrap", "-", "--around", "Work", "--wait", "callback"],
        Some(SIMPLE),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    r.stdout
}

#[test]
fn callback_wrap_has_a_token_acquire_and_no_wait_state() {
    let out = wrapped_simple_callback();
    let def: serde_json::Value = serde_json::from_str(&out).unwrap();
    let acquire = &def["States"]["AcquireLease"];
    assert_eq!(
        acquire["Resource"],
        "arn:aws:states:::lambda:invoke.waitForTaskToken"
    );
    assert_eq!(acquire["TimeoutSeconds"], 3600);
    assert_eq!(acquire["Parameters"]["Payload"]["waitSeconds"], 3600);
    assert!(def["States"].get("WaitForLease").is_none(), "{out}");
    let poll = run(
        &["wrap", "-", "--around", "Work", "--wait", "poll"],
        Some(SIMPLE),
    );
    assert_eq!(poll.stdout, wrapped_simple(), "poll is the default");
}

#[test]
fn callback_with_express_is_refused_and_writes_nothing() {
    let args = [
        "--around",
        "Work",
        "--wait",
        "callback",
        "--workflow-type",
        "express",
    ];
    let r = run(&[&["wrap", "-"][..], &args].concat(), Some(SIMPLE));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    for needle in [
        "--wait",
        "--workflow-type express",
        ".waitForTaskToken",
        "--wait poll",
    ] {
        assert!(r.stderr.contains(needle), "{needle}: {}", r.stderr);
    }
    let dir = tempdir();
    let file = dir.path().join("flow.asl.json");
    fs::write(&file, SIMPLE).unwrap();
    let target = dir.path().join("out.asl.json");
    let path = file.to_str().unwrap();
    let to_output = ["wrap", path, "-o", target.to_str().unwrap()];
    let r = run(&[&to_output[..], &args].concat(), None);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(!target.exists(), "no output file is written");
    let r = run(&[&["wrap", path, "-i"][..], &args].concat(), None);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(fs::read_to_string(&file).unwrap(), SIMPLE);
    let leftovers: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "no temporary file is left behind");
}

#[test]
fn poll_with_express_and_callback_with_standard_are_accepted() {
    for (wait, workflow) in [("poll", "express"), ("callback", "standard")] {
        let r = run(
            &[
                "wrap",
                "-",
                "--around",
                "Work",
                "--wait",
                wait,
                "--workflow-type",
                workflow,
            ],
            Some(SIMPLE),
        );
        assert_eq!(r.code, 0, "{wait} {workflow}: {}", r.stderr);
    }
}

#[test]
fn check_express_flags_a_callback_guard() {
    let dir = tempdir();
    let file = dir.path().join("w.asl.json");
    fs::write(&file, wrapped_simple_callback()).unwrap();
    let path = file.to_str().unwrap();
    let standard = run(&["check", path], None);
    assert_eq!(
        (standard.code, standard.stdout.as_str()),
        (0, ""),
        "a callback guard is clean under Standard"
    );
    let express = run(&["check", path, "--workflow-type", "express"], None);
    assert_eq!(express.code, 1, "{}", express.stdout);
    assert!(
        express
            .stdout
            .contains("error[express-callback]: state 'AcquireLease'"),
        "{}",
        express.stdout
    );
    fs::write(&file, wrapped_simple()).unwrap();
    let poll = run(&["check", path, "--workflow-type", "express"], None);
    assert!(!poll.stdout.contains("express-callback"), "{}", poll.stdout);
}

#[test]
fn check_express_flags_a_users_own_callback_task() {
    let input = r#"{"StartAt": "Ask", "States": {"Ask": {"Type": "Task",
      "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken", "End": true}}}"#;
    let r = run(&["check", "-", "--workflow-type", "express"], Some(input));
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stdout.contains("error[express-callback]: state 'Ask'"),
        "{}",
        r.stdout
    );
}

#[test]
fn check_finds_a_callback_acquire_without_timeout() {
    let wrapped = wrapped_simple_callback();
    let mut def: serde_json::Value = serde_json::from_str(&wrapped).unwrap();
    let acquire = def["States"]["AcquireLease"].as_object_mut().unwrap();
    acquire.remove("TimeoutSeconds");
    let r = run(&["check", "-"], Some(&def.to_string()));
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stdout
            .contains("error[guard-unbounded-wait]: state 'AcquireLease'"),
        "{}",
        r.stdout
    );
}

#[test]
fn check_finds_a_callback_guard_that_loops_without_bound() {
    let wrapped = wrapped_simple_callback();
    let mut def: serde_json::Value = serde_json::from_str(&wrapped).unwrap();
    def["States"]["CheckLeaseStatus"]["Default"] = "AcquireLease".into();
    let r = run(&["check", "-"], Some(&def.to_string()));
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stdout.contains("error[guard-unbounded-wait]"),
        "{}",
        r.stdout
    );
}

#[test]
fn unwrap_removes_a_callback_guard() {
    let wrapped = wrapped_simple_callback();
    let r = run(&["unwrap", "-"], Some(&wrapped));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let original: serde_json::Value = serde_json::from_str(SIMPLE).unwrap();
    let back: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(back, original);
    let around = run(&["unwrap", "-", "--around", "Work"], Some(&wrapped));
    assert_eq!(around.stdout, r.stdout);
}

#[test]
fn rewrapping_switches_between_poll_and_callback() {
    let callback = wrapped_simple_callback();
    let again = run(
        &["wrap", "-", "--around", "Work", "--wait", "callback"],
        Some(&callback),
    );
    assert_eq!(again.stdout, callback, "wrapping twice equals once");
    let to_poll = run(&["wrap", "-", "--around", "Work"], Some(&callback));
    assert_eq!(to_poll.stdout, wrapped_simple());
    let to_callback = run(
        &["wrap", "-", "--around", "Work", "--wait", "callback"],
        Some(&wrapped_simple()),
    );
    assert_eq!(to_callback.stdout, callback);
}

#[test]
fn external_takes_wait_and_workflow_type() {
    let query = serde_json::json!({"definition": SIMPLE, "around": "Work", "wait": "callback",
                                   "workflow_type": "standard"});
    let r = run(&["external"], Some(&query.to_string()));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let answer: std::collections::BTreeMap<String, String> =
        serde_json::from_str(&r.stdout).unwrap();
    let def: serde_json::Value = serde_json::from_str(&answer["definition"]).unwrap();
    assert_eq!(
        def["States"]["AcquireLease"]["Resource"],
        "arn:aws:states:::lambda:invoke.waitForTaskToken"
    );
    for (query, needle) in [
        (
            serde_json::json!({"definition": SIMPLE, "around": "Work", "wait": "callback",
                               "workflow_type": "express"}),
            "query key 'wait': callback cannot be used with workflow_type express",
        ),
        (
            serde_json::json!({"definition": SIMPLE, "around": "Work", "wait": "sometimes"}),
            "query key 'wait': 'sometimes' is not poll or callback",
        ),
        (
            serde_json::json!({"definition": SIMPLE, "around": "Work", "workflow_type": "x"}),
            "query key 'workflow_type': 'x' is not standard or express",
        ),
    ] {
        let r = run(&["external"], Some(&query.to_string()));
        assert_eq!(r.code, 2, "{query}");
        assert!(r.stdout.is_empty());
        assert!(r.stderr.contains(needle), "{query}: {}", r.stderr);
    }
}
