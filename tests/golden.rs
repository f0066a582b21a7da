//! Golden tests: each folder of testdata/golden holds `args` (one argument per line, `INPUT`
//! standing for the input file), an input file, and the expected `stdout`, `stderr` and
//! `code`. Run with `UPDATE_GOLDEN=1` to write the expected files after a deliberate change,
//! then review the diff.

mod common;

use std::fs;
use std::path::Path;

use pretty_assertions::assert_eq;

fn input_file(case: &Path) -> Option<String> {
    fs::read_dir(case)
        .ok()?
        .filter_map(Result::ok)
        .find_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.starts_with("input.").then_some(name)
        })
}

fn check_case(case: &Path, update: bool) {
    let args_text = fs::read_to_string(case.join("args")).expect("every case has args");
    let input = input_file(case).expect("every case has an input file");
    let args: Vec<&str> = args_text
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| if l == "INPUT" { input.as_str() } else { l })
        .collect();
    let r = common::run_in(&args, None, Some(case));
    let outputs = [
        ("stdout", r.stdout),
        ("stderr", r.stderr),
        ("code", format!("{}\n", r.code)),
    ];
    for (name, actual) in outputs {
        let path = case.join(name);
        if update {
            fs::write(&path, &actual).expect("expected file written");
            continue;
        }
        let expected = fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(expected, actual, "{}: {name}", case.display());
    }
}

#[test]
fn golden_cases_match() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let dir = common::root().join("testdata").join("golden");
    let mut cases: Vec<_> = fs::read_dir(&dir)
        .expect("testdata/golden exists")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    cases.sort();
    assert!(
        cases.len() >= 20,
        "expected the golden cases, found {}",
        cases.len()
    );
    for case in &cases {
        check_case(case, update);
    }
}
