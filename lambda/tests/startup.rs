//! Start-up of the real `bootstrap` binary outside Lambda: bad configuration stops it with a
//! clear message and a non-zero exit, not a panic, before it talks to anything.

use std::process::Command;

fn start(env: &[(&str, &str)]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_bootstrap"))
        .env_clear()
        .envs(env.iter().copied())
        .output()
        .expect("run bootstrap");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

#[test]
fn missing_table_name_stops_start_up_with_the_variable_named() {
    let (ok, text) = start(&[]);
    assert!(!ok);
    assert!(text.contains("ASL_GUARD_TABLE_NAME is not set"), "{text}");
    assert!(!text.contains("panicked"), "{text}");
}

#[test]
fn bad_default_limit_stops_start_up_with_the_variable_named() {
    let (ok, text) = start(&[
        ("ASL_GUARD_TABLE_NAME", "t"),
        ("ASL_GUARD_DEFAULT_LIMIT", "many"),
    ]);
    assert!(!ok);
    assert!(text.contains("ASL_GUARD_DEFAULT_LIMIT"), "{text}");
    assert!(!text.contains("panicked"), "{text}");
}
