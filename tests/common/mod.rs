//! Helpers shared by the integration tests: running the built binary, finding fixtures and
//! the external test tools that scripts/setup.sh installs.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use asl_guard::graph::{is_exit, transitions};
use asl_guard::model::{Definition, ScopeId};
use asl_guard::rewrite::marker::{marker_of, Role};

/// Result of one run of the binary.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `asl-guard` with arguments and optional stdin.
pub fn run(args: &[&str], stdin: Option<&str>) -> Run {
    run_in(args, stdin, None)
}

/// Runs `asl-guard` in a working directory.
pub fn run_in(args: &[&str], stdin: Option<&str>, dir: Option<&Path>) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_asl-guard"));
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd.env("NO_COLOR", "1");
    if let Some(d) = dir {
        cmd.current_dir(d);
    }
    let mut child = cmd.spawn().expect("the asl-guard binary runs");
    let mut pipe = child.stdin.take().expect("stdin is piped");
    if let Some(text) = stdin {
        // A command that fails before reading stdin (a usage error) closes it early.
        if let Err(e) = pipe.write_all(text.as_bytes()) {
            assert_eq!(
                e.kind(),
                std::io::ErrorKind::BrokenPipe,
                "writing stdin: {e}"
            );
        }
    }
    drop(pipe);
    finish(child.wait_with_output().expect("asl-guard finishes"))
}

fn finish(out: Output) -> Run {
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The shared corpus of public ASL definitions, beside the repository.
pub fn corpus_dir() -> PathBuf {
    root().join("..").join("shared").join("corpus")
}

/// Every definition file of the corpus, sorted.
pub fn corpus_files() -> Vec<PathBuf> {
    let dir = corpus_dir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("the corpus at {} must exist: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let n = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            n.contains(".asl.") && (n.ends_with(".json") || n.ends_with(".yaml"))
        })
        .collect();
    files.sort();
    files
}

/// Path of an external test tool given by an environment variable that scripts/test.sh sets.
/// A missing tool fails the test: these tests must not pass without running.
pub fn tool(var: &str) -> PathBuf {
    match std::env::var_os(var) {
        Some(p) if Path::new(&p).exists() => PathBuf::from(p),
        _ => panic!(
            "{var} is not set to an existing file; run the tests through scripts/test.sh, \
             which installs the tool and sets it"
        ),
    }
}

/// A fresh temporary directory.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary directory")
}

/// Counts release states on every path from the region entry until control leaves the
/// region; returns the paths that pass zero or more than one release.
pub fn release_violations(
    def: &Definition,
    scope: &ScopeId,
    entry: &str,
    region: &BTreeSet<String>,
) -> Vec<String> {
    let mut bad = Vec::new();
    let mut seen = BTreeSet::new();
    let mut stack = vec![(entry.to_string(), 0u8)];
    while let Some((name, releases)) = stack.pop() {
        if !seen.insert((name.clone(), releases)) {
            continue;
        }
        let Some(s) = def.state(scope, &name) else {
            continue;
        };
        let role = marker_of(s.body).map(|m| m.role);
        let is_release = matches!(role, Some(Role::Release | Role::ReleaseOnError));
        let count = releases + u8::from(is_release);
        let inside = region.contains(&name) || is_release;
        if !inside {
            if count != 1 && !matches!(role, Some(Role::Rethrow)) {
                bad.push(format!("reaches '{name}' after {count} releases"));
            }
            if role == Some(Role::Rethrow) && count != 1 {
                bad.push(format!("re-raises after {count} releases"));
            }
            continue;
        }
        if is_exit(&s) && count != 1 {
            bad.push(format!("ends at '{name}' after {count} releases"));
        }
        if count > 1 {
            bad.push(format!("passes '{name}' after {count} releases"));
            continue;
        }
        for t in transitions(&s) {
            stack.push((t.target, count));
        }
    }
    bad
}
