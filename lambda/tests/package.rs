//! The glibc check of scripts/check-glibc.sh, run on the `bootstrap` this test build made.
//!
//! package.sh runs the same check on the release binary it zips; this test keeps the check
//! itself honest (it passes at 2.34 and must fail loudly below what the binary needs).

use std::process::Command;

fn check(max: &str) -> std::process::Output {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/check-glibc.sh");
    Command::new("bash")
        .args([script, env!("CARGO_BIN_EXE_bootstrap"), max])
        .output()
        .expect("run check-glibc.sh (needs bash and objdump)")
}

#[test]
fn bootstrap_needs_no_glibc_newer_than_2_34() {
    let out = check("2.34");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "check-glibc failed:\n{stderr}");
}

#[test]
fn glibc_check_fails_loudly_when_the_binary_needs_more() {
    let out = check("2.2");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "a 2.2 limit must fail");
    assert!(
        stderr.contains("FAIL") && stderr.contains("GLIBC_"),
        "{stderr}"
    );
}
