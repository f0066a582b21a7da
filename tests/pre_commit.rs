//! The pre-commit hooks of .pre-commit-hooks.yaml, run by the real pre-commit tool (installed
//! by scripts/setup.sh) in a temporary git repository.

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

const GOOD: &str = r#"{"StartAt": "Work", "States": {"Work": {"Type": "Task",
  "Resource": "arn:aws:states:::lambda:invoke", "End": true}}}"#;
const BROKEN: &str = r#"{"StartAt": "Work", "States": {"Work": {"Type": "Pass", "Next": "Gone"}}}"#;

fn git(dir: &Path, args: &[&str]) {
    let ok = Command::new("git")
        .args([
            "-c",
            "user.name=test",
            "-c",
            "user.email=test@localhost",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(
        ok.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&ok.stderr)
    );
}

fn pre_commit(dir: &Path, args: &[&str]) -> (i32, String) {
    let tool = common::tool("ASL_GUARD_PRE_COMMIT");
    let out = Command::new(tool)
        .args(args)
        .current_dir(dir)
        .output()
        .expect("pre-commit runs");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

fn repo_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = common::tempdir();
    git(dir.path(), &["init", "-q"]);
    for (name, text) in files {
        fs::write(dir.path().join(name), text).expect("file written");
    }
    git(dir.path(), &["add", "."]);
    dir
}

#[test]
fn pre_commit_hooks_check_and_wrap_check_work_from_this_repository() {
    let repo = common::root();
    let repo = repo.to_str().expect("UTF-8 path");
    let work = repo_with(&[("good.asl.json", GOOD), ("broken.asl.json", BROKEN)]);
    let (code, out) = pre_commit(
        work.path(),
        &[
            "try-repo",
            repo,
            "asl-guard-check",
            "--files",
            "good.asl.json",
        ],
    );
    assert_eq!(code, 0, "{out}");
    let (code, out) = pre_commit(
        work.path(),
        &[
            "try-repo",
            repo,
            "asl-guard-check",
            "--files",
            "broken.asl.json",
        ],
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("error[unknown-next]"), "{out}");

    let rev = Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(repo)
        .output()
        .expect("git runs");
    let rev = String::from_utf8_lossy(&rev.stdout).trim().to_string();
    let config = format!(
        "repos:\n  - repo: {repo}\n    rev: {rev}\n    hooks:\n      \
         - id: asl-guard-wrap-check\n        files: ^good\\.asl\\.json$\n        \
         args: [--around, Work, --semaphore, db]\n"
    );
    fs::write(work.path().join(".pre-commit-config.yaml"), config).expect("config written");
    git(work.path(), &["add", "."]);
    let (code, out) = pre_commit(work.path(), &["run", "--all-files"]);
    assert_eq!(code, 1, "an unguarded file fails the hook: {out}");
    assert!(out.contains("would change"), "{out}");
    let wrapped = common::run(
        &["wrap", "-", "--around", "Work", "--semaphore", "db"],
        Some(GOOD),
    );
    fs::write(work.path().join("good.asl.json"), wrapped.stdout).expect("file written");
    git(work.path(), &["add", "."]);
    let (code, out) = pre_commit(work.path(), &["run", "--all-files"]);
    assert_eq!(code, 0, "a guarded file passes: {out}");
}
