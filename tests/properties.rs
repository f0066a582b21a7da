//! Property tests on generated definitions (random scopes, Choices, Catches, End states) and
//! on mutated corpus files: no input makes asl-guard panic; every successful wrap, with a
//! polling or a callback guard, passes the guard rules, releases exactly once on every path
//! out, unwraps to the original and stays the same when wrapped again.

mod common;

use asl_guard::check::{lint, CheckOptions, Severity};
use asl_guard::model::Definition;
use asl_guard::region::RegionSpec;
use asl_guard::rewrite::{unwrap_all, wrap, GuardOptions, WaitMode};
use std::sync::atomic::{AtomicUsize, Ordering};

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use serde_json::{json, Map, Value};

/// One generated state: its type and the indices of the states it may go to.
#[derive(Debug, Clone)]
struct Gen {
    kind: u8,
    next: usize,
    alt: usize,
    catch: Option<usize>,
    end: bool,
    jsonata: bool,
}

fn gen_state() -> impl Strategy<Value = Gen> {
    (
        0u8..7,
        0usize..12,
        0usize..12,
        proptest::option::of(0usize..12),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(kind, next, alt, catch, end, jsonata)| Gen {
            kind,
            next,
            alt,
            catch,
            end,
            jsonata,
        })
}

fn scope(prefix: &str, gens: &[Gen], depth: usize) -> Value {
    let n = gens.len();
    let name = |i: usize| format!("{prefix}S{}", i % n);
    let mut states = Map::new();
    for (i, g) in gens.iter().enumerate() {
        let mut s = Map::new();
        let ty = match (g.kind, depth) {
            (0, _) => "Choice",
            (1, _) => "Succeed",
            (2, _) => "Fail",
            (3, 0) => "Map",
            (4, 0) => "Parallel",
            (5, _) => "Pass",
            _ => "Task",
        };
        s.insert("Type".into(), ty.into());
        if g.jsonata {
            s.insert("QueryLanguage".into(), "JSONata".into());
        }
        match ty {
            "Choice" => {
                let rule = if g.jsonata {
                    json!({"Condition": "{% $states.input.x %}", "Next": name(g.next)})
                } else {
                    json!({"Variable": "$.x", "BooleanEquals": true, "Next": name(g.next)})
                };
                s.insert("Choices".into(), json!([rule]));
                s.insert("Default".into(), name(g.alt).into());
            }
            "Succeed" | "Fail" => {}
            _ => {
                if ty == "Task" {
                    s.insert("Resource".into(), "arn:aws:states:::lambda:invoke".into());
                }
                if ty == "Map" {
                    let inner = scope(
                        &format!("{prefix}M{i}"),
                        &gens[..gens.len().min(4)],
                        depth + 1,
                    );
                    s.insert("ItemProcessor".into(), inner);
                }
                if ty == "Parallel" {
                    let a = scope(
                        &format!("{prefix}P{i}a"),
                        &gens[..gens.len().min(3)],
                        depth + 1,
                    );
                    let b = scope(
                        &format!("{prefix}P{i}b"),
                        &gens[gens.len() / 2..],
                        depth + 1,
                    );
                    s.insert("Branches".into(), json!([a, b]));
                }
                if let (Some(c), "Task" | "Map" | "Parallel") = (g.catch, ty) {
                    s.insert(
                        "Catch".into(),
                        json!([{"ErrorEquals": ["E"], "Next": name(c)}]),
                    );
                }
                if g.end || i + 1 == n {
                    s.insert("End".into(), true.into());
                } else {
                    s.insert("Next".into(), name(g.next).into());
                }
            }
        }
        states.insert(name(i), Value::Object(s));
    }
    json!({"StartAt": name(0), "States": states})
}

fn all_names(def: &Definition) -> Vec<String> {
    def.scopes()
        .iter()
        .flat_map(|id| def.states(id))
        .map(|s| s.name.to_string())
        .collect()
}

static WRAPPED: AtomicUsize = AtomicUsize::new(0);
static TRIED: AtomicUsize = AtomicUsize::new(0);

fn assert_sound(def: &Definition, spec: &RegionSpec) {
    for wait in [WaitMode::Poll, WaitMode::Callback] {
        let opts = GuardOptions {
            wait,
            ..GuardOptions::default()
        };
        assert_sound_with(def, spec, &opts);
    }
}

fn assert_sound_with(def: &Definition, spec: &RegionSpec, opts: &GuardOptions) {
    TRIED.fetch_add(1, Ordering::Relaxed);
    let Ok(w) = wrap(def, spec, opts) else {
        return;
    };
    WRAPPED.fetch_add(1, Ordering::Relaxed);
    let errors: Vec<String> = lint(&w.definition, CheckOptions::default())
        .into_iter()
        .filter(|f| f.severity == Severity::Error && f.rule.starts_with("guard"))
        .map(|f| f.to_string())
        .collect();
    assert!(errors.is_empty(), "{spec:?} {:?}: {errors:?}", opts.wait);
    let v = common::release_violations(
        &w.definition,
        &w.region.scope,
        &w.region.entry,
        &w.region.states,
    );
    assert!(
        v.is_empty(),
        "{spec:?} {:?}: {v:?}\n{}",
        opts.wait,
        w.definition.root
    );
    let back = unwrap_all(&w.definition).expect("a fresh guard unwraps");
    assert_eq!(back.root, def.root);
    let twice = wrap(&w.definition, spec, opts).expect("rewrap works");
    assert_eq!(twice.definition.root, w.definition.root);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn generated_definitions_wrap_soundly(
        gens in proptest::collection::vec(gen_state(), 2..10),
        pick in 0usize..64,
        span in 0usize..64,
        through in any::<bool>(),
    ) {
        let text = scope("", &gens, 0).to_string();
        let def = Definition::parse(&text).expect("generated ASL parses");
        let names = all_names(&def);
        let first = names[pick % names.len()].clone();
        let spec = if through {
            RegionSpec { around: vec![first], through: Some(names[span % names.len()].clone()) }
        } else {
            RegionSpec { around: vec![first], through: None }
        };
        assert_sound(&def, &spec);
        let _ = lint(&def, CheckOptions::default());
    }

    #[test]
    fn mutated_corpus_files_never_panic(
        file_pick in 0usize..1000,
        cut in 0usize..100_000,
        byte in any::<u8>(),
    ) {
        let files = common::corpus_files();
        let file = &files[file_pick % files.len()];
        let mut bytes = std::fs::read(file).expect("corpus file reads");
        if !bytes.is_empty() {
            let at = cut % bytes.len();
            bytes[at] = byte;
        }
        let text = String::from_utf8_lossy(&bytes);
        if let Ok(def) = Definition::parse(&text) {
            let _ = lint(&def, CheckOptions::default());
            if let Some(name) = all_names(&def).get(cut % 7) {
                let spec = RegionSpec { around: vec![name.clone()], through: None };
                for wait in [WaitMode::Poll, WaitMode::Callback] {
                    let _ = wrap(&def, &spec, &GuardOptions { wait, ..GuardOptions::default() });
                }
            }
        }
    }

    #[test]
    fn arbitrary_text_never_panics(text in ".{0,400}") {
        if let Ok(def) = Definition::parse(&text) {
            let _ = lint(&def, CheckOptions::default());
        }
        let _ = asl_guard::external::answer(&text);
    }
}

/// Guards against a generator that only produces refused regions, which would let the
/// property above pass without testing anything.
#[test]
fn generated_regions_are_mostly_wrappable() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = proptest::collection::vec(gen_state(), 2..10);
    let (mut ok, mut total) = (0, 0);
    for _ in 0..300 {
        let gens = strategy.new_tree(&mut runner).expect("a value").current();
        let def = Definition::parse(&scope("", &gens, 0).to_string()).expect("parses");
        for name in all_names(&def) {
            total += 1;
            let spec = RegionSpec {
                around: vec![name],
                through: None,
            };
            ok += usize::from(wrap(&def, &spec, &GuardOptions::default()).is_ok());
        }
    }
    eprintln!("{ok} of {total} generated single-state regions wrapped");
    assert!(ok * 2 > total, "{ok} of {total}");
    let _ = (
        TRIED.load(Ordering::Relaxed),
        WRAPPED.load(Ordering::Relaxed),
    );
}
