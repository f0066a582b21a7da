//! The shared corpus of public ASL definitions: every valid definition is wrapped around each
//! of its Task states in turn, once with a polling guard and once with a callback guard; each
//! result must pass `check`, the independent validator
//! asl-validator (when the original passes it), a structural test that every path from the
//! region entry to a state outside it passes exactly one release, and `unwrap` must give the
//! original back. A callback guard inside a Distributed Map whose items run as Express child
//! workflows must be refused instead. Invalid files must give a clean error.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use asl_guard::check::{lint, CheckOptions, Severity};
use asl_guard::error::WrapError;
use asl_guard::model::{Definition, StateType};
use asl_guard::region::RegionSpec;
use asl_guard::rewrite::{unwrap_all, wrap, GuardOptions, WaitMode};
use asl_guard::{emit, rewrite};

struct Case {
    file: PathBuf,
    task: String,
    mode: &'static str,
    wrapped: Definition,
}

/// The guard options of each waiting mode, named for messages.
fn modes() -> [(&'static str, GuardOptions); 2] {
    let callback = GuardOptions {
        wait: WaitMode::Callback,
        ..GuardOptions::default()
    };
    [("poll", GuardOptions::default()), ("callback", callback)]
}

/// Wraps one region and runs every structural check on the result; returns the wrapped
/// definition, or `None` after recording why the wrap failed.
fn wrap_and_check(
    def: &Definition,
    spec: &RegionSpec,
    opts: &GuardOptions,
    what: &str,
    failures: &mut Vec<String>,
) -> Option<Definition> {
    let w = match wrap(def, spec, opts) {
        Ok(w) => w,
        Err(e) => {
            failures.push(format!("{what}: {e}"));
            return None;
        }
    };
    let errors: Vec<String> = lint(&w.definition, CheckOptions::default())
        .into_iter()
        .filter(|f| f.severity == Severity::Error && f.rule.starts_with("guard"))
        .map(|f| f.to_string())
        .collect();
    if !errors.is_empty() {
        failures.push(format!("{what}: check: {errors:?}"));
    }
    let v = common::release_violations(
        &w.definition,
        &w.region.scope,
        &w.region.entry,
        &w.region.states,
    );
    if !v.is_empty() {
        failures.push(format!("{what}: {v:?}"));
    }
    let original = emit::to_json(&def.root, 2);
    let restored = unwrap_all(&w.definition)
        .is_ok_and(|u| u.root == def.root && emit::to_json(&u.root, 2) == original);
    if !restored {
        failures.push(format!("{what}: unwrap differs"));
    }
    let again = wrap(&w.definition, spec, opts);
    if again.map(|a| a.definition.root) != Ok(w.definition.root.clone()) {
        failures.push(format!("{what}: wrapping twice differs"));
    }
    Some(w.definition)
}

fn tasks(def: &Definition) -> Vec<String> {
    def.scopes()
        .iter()
        .flat_map(|id| def.states(id))
        .filter(|s| s.ty == StateType::Task)
        .map(|s| s.name.to_string())
        .collect()
}

fn validator_results(files: &[PathBuf]) -> BTreeMap<PathBuf, bool> {
    let validator = common::tool("ASL_GUARD_ASL_VALIDATOR");
    let chunks: Vec<&[PathBuf]> = files.chunks(40).collect();
    std::thread::scope(|scope| {
        let workers: Vec<_> = chunks
            .chunks(chunks.len().div_ceil(2).max(1))
            .map(|group| scope.spawn(|| group.iter().flat_map(|c| validate_chunk(&validator, c))))
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("validator thread").collect::<Vec<_>>())
            .collect()
    })
}

fn validate_chunk(validator: &Path, chunk: &[PathBuf]) -> Vec<(PathBuf, bool)> {
    let mut cmd = Command::new(validator);
    for f in chunk {
        cmd.arg("--json-path").arg(f);
    }
    let res = cmd.output().expect("asl-validator runs");
    let text =
        String::from_utf8_lossy(&res.stdout).into_owned() + &String::from_utf8_lossy(&res.stderr);
    chunk
        .iter()
        .map(|f| {
            (
                f.clone(),
                text.contains(&format!("\"{}\" is valid", f.display())),
            )
        })
        .collect()
}

fn parse_file(path: &Path) -> Result<Definition, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    Definition::parse(&text).map_err(|e| e.to_string())
}

#[test]
fn corpus_wraps_every_task_and_each_result_is_sound() {
    let files = common::corpus_files();
    assert!(
        files.len() >= 150,
        "expected the full corpus, found {} files",
        files.len()
    );
    let (mut valid, mut invalid, mut cases) = (0, 0, Vec::new());
    let (mut failures, mut refused) = (Vec::new(), 0);
    for file in &files {
        let Ok(def) = parse_file(file) else {
            invalid += 1;
            continue;
        };
        valid += 1;
        for task in tasks(&def) {
            let spec = RegionSpec {
                around: vec![task.clone()],
                through: None,
            };
            let express_child = def
                .find_state(&task)
                .first()
                .and_then(|scope| def.express_child_map(scope));
            for (mode, opts) in modes() {
                let what = format!("{} around '{task}' ({mode})", file.display());
                if let (Some(map), WaitMode::Callback) = (&express_child, opts.wait) {
                    match wrap(&def, &spec, &opts) {
                        Err(WrapError::CallbackInExpressChild { map: m }) if m == *map => {
                            refused += 1;
                        }
                        other => failures.push(format!(
                            "{what}: inside Express child Map '{map}': {:?}",
                            other.map(|w| w.guard)
                        )),
                    }
                    continue;
                }
                if let Some(wrapped) = wrap_and_check(&def, &spec, &opts, &what, &mut failures) {
                    cases.push(Case {
                        file: file.clone(),
                        task: task.clone(),
                        mode,
                        wrapped,
                    });
                }
            }
        }
    }
    eprintln!(
        "corpus: {} files, {valid} valid, {invalid} invalid, {} wraps, {refused} callback \
         wraps refused inside Express child Maps",
        files.len(),
        cases.len()
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    let callbacks = cases.iter().filter(|c| c.mode == "callback").count();
    assert_eq!(
        callbacks * 2 + refused,
        cases.len(),
        "every Task is wrapped in both modes, except callback inside Express child Maps"
    );
    assert!(refused >= 1, "the corpus has Express child Maps");
    assert!(
        callbacks > 300,
        "expected several hundred Task states, wrapped {callbacks}"
    );
    validate_independently(&cases);
}

fn validate_independently(cases: &[Case]) {
    let dir = common::tempdir();
    let originals: Vec<PathBuf> = cases
        .iter()
        .map(|c| c.file.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut json_originals = Vec::new();
    for (i, f) in originals.iter().enumerate() {
        let def = parse_file(f).expect("parsed before");
        let p = dir.path().join(format!("orig-{i}.asl.json"));
        std::fs::write(&p, emit::to_json(&def.root, 2)).expect("temp file written");
        json_originals.push((f.clone(), p));
    }
    let orig_ok = validator_results(
        &json_originals
            .iter()
            .map(|(_, p)| p.clone())
            .collect::<Vec<_>>(),
    );
    let passes_originally: BTreeSet<PathBuf> = json_originals
        .iter()
        .filter(|(_, p)| orig_ok.get(p) == Some(&true))
        .map(|(f, _)| f.clone())
        .collect();
    let mut wrapped_files = Vec::new();
    for (i, c) in cases
        .iter()
        .enumerate()
        .filter(|(_, c)| passes_originally.contains(&c.file))
    {
        let p = dir.path().join(format!("wrapped-{i}.asl.json"));
        std::fs::write(&p, emit::to_json(&c.wrapped.root, 2)).expect("temp file written");
        wrapped_files.push((i, p));
    }
    let results = validator_results(
        &wrapped_files
            .iter()
            .map(|(_, p)| p.clone())
            .collect::<Vec<_>>(),
    );
    let failed: Vec<String> = wrapped_files
        .iter()
        .filter(|(_, p)| results.get(p) != Some(&true))
        .map(|(i, _)| {
            let c = &cases[*i];
            format!("{} around '{}' ({})", c.file.display(), c.task, c.mode)
        })
        .collect();
    eprintln!(
        "asl-validator: {} of {} originals valid; {} wrapped definitions checked, {} invalid",
        passes_originally.len(),
        originals.len(),
        wrapped_files.len(),
        failed.len()
    );
    assert!(
        wrapped_files.len() > 400,
        "too few wrapped definitions validated: {}",
        wrapped_files.len()
    );
    assert!(
        failed.is_empty(),
        "asl-validator rejects:\n{}",
        failed.join("\n")
    );
}

/// The corpus file with a Distributed Map whose items run as Express child workflows.
fn dmap_temperatures() -> PathBuf {
    common::corpus_files()
        .into_iter()
        .find(|f| f.display().to_string().contains("dmap-temperatures"))
        .expect("the corpus holds the dmap-temperatures definition")
}

#[test]
fn corpus_express_child_map_refuses_callback_and_gets_express_checks() {
    let file = dmap_temperatures();
    let def = parse_file(&file).expect("dmap-temperatures parses");
    let map = def
        .state(&asl_guard::model::ScopeId::top(), "DistributedMap")
        .expect("the Distributed Map is at the top level");
    let config = &map.body["ItemProcessor"]["ProcessorConfig"];
    assert_eq!(config["ExecutionType"], "EXPRESS", "{}", file.display());
    let spec = RegionSpec {
        around: vec!["Lambda Invoke".into()],
        through: None,
    };
    let callback = GuardOptions {
        wait: WaitMode::Callback,
        ..GuardOptions::default()
    };
    let err = wrap(&def, &spec, &callback).expect_err("callback is refused in Express items");
    assert_eq!(
        err,
        WrapError::CallbackInExpressChild {
            map: "DistributedMap".into()
        }
    );
    assert!(err.to_string().contains("--wait poll"), "{err}");
    let top = RegionSpec {
        around: vec!["Reducer".into()],
        through: None,
    };
    assert!(
        wrap(&def, &top, &callback).is_ok(),
        "the parent runs as a Standard workflow"
    );

    let poll = wrap(&def, &spec, &GuardOptions::default()).expect("poll wraps");
    let rules = |d: &Definition| -> Vec<(&'static str, Option<String>)> {
        lint(d, CheckOptions::default())
            .into_iter()
            .filter(|f| f.rule.starts_with("express"))
            .map(|f| (f.rule, f.state))
            .collect()
    };
    assert_eq!(
        rules(&poll.definition),
        [("express-wait", Some("CheckLeaseStatus".to_string()))],
        "the default --max-wait outlasts an Express child execution"
    );
    let short = GuardOptions {
        max_wait_seconds: Some(300),
        ..GuardOptions::default()
    };
    let short = wrap(&def, &spec, &short).expect("poll wraps");
    assert!(rules(&short.definition).is_empty());

    // A callback Task written by hand inside the Express items.
    let mut own = def.clone();
    let scope = own.find_state("Lambda Invoke").remove(0);
    let task = own
        .state_mut(&scope, "Lambda Invoke")
        .expect("the Task exists");
    task.insert(
        "Resource".into(),
        "arn:aws:states:::lambda:invoke.waitForTaskToken".into(),
    );
    assert_eq!(
        rules(&own),
        [("express-callback", Some("Lambda Invoke".to_string()))]
    );
}

#[test]
fn corpus_invalid_files_give_a_clean_error_naming_the_file() {
    let mut invalid = 0;
    for file in common::corpus_files() {
        if parse_file(&file).is_ok() {
            continue;
        }
        invalid += 1;
        let path = file.display().to_string();
        let r = common::run(&["wrap", &path, "--around", "Anything"], None);
        assert_eq!(r.code, 2, "{path}: {}", r.stderr);
        assert!(r.stdout.is_empty(), "{path}: nothing on stdout");
        assert!(
            r.stderr.starts_with(&format!("asl-guard: {path}: ")),
            "{}",
            r.stderr
        );
        assert_eq!(r.stderr.lines().count(), 1, "one-line error: {}", r.stderr);
        assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    }
    assert!(invalid >= 1, "the corpus is known to hold invalid files");
}

#[test]
fn corpus_check_never_fails_to_run() {
    for file in common::corpus_files() {
        let path = file.display().to_string();
        let r = common::run(&["check", &path], None);
        assert!(
            r.code == 0 || r.code == 1,
            "{path}: exit {} {}",
            r.code,
            r.stderr
        );
        assert!(!r.stderr.contains("panicked"), "{path}: {}", r.stderr);
    }
}

#[test]
fn corpus_round_trips_through_parse_and_emit() {
    for file in common::corpus_files() {
        let Ok(def) = parse_file(&file) else { continue };
        let text = emit::to_json(&def.root, 2);
        let again = Definition::parse(&text).expect("emitted JSON parses");
        assert_eq!(emit::to_json(&again.root, 2), text, "{}", file.display());
        let yaml = emit::to_yaml(&def.root);
        let from_yaml = Definition::parse(&yaml).expect("emitted YAML parses");
        assert_eq!(from_yaml.root, def.root, "{}", file.display());
    }
    let _ = rewrite::GuardOptions::default();
}
