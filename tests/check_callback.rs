//! `check` on callback guards edited by hand: each case starts from a real `wrap --wait
//! callback` of examples/order-fanout.asl.json, changes one field of its AcquireLease, and
//! expects exactly the rule about that field, in JSONPath and in JSONata.

mod common;

use std::collections::BTreeSet;

use common::run;
use pretty_assertions::assert_eq;
use serde_json::{json, Map, Value};

/// Where the acquire of the guard around `ChargeOrder` sits: inside the Map's processor.
const ACQUIRE: &str = "/States/ChargeOrders/ItemProcessor/States/AcquireLease";

fn example() -> Value {
    let path = common::root()
        .join("examples")
        .join("order-fanout.asl.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The example with `ChargeOrder` written in JSONata, so the guard around it is JSONata too.
fn example_jsonata() -> Value {
    let mut def = example();
    let charge = def
        .pointer_mut("/States/ChargeOrders/ItemProcessor/States/ChargeOrder")
        .unwrap();
    let retry = charge["Retry"].clone();
    *charge = json!({
        "Type": "Task",
        "QueryLanguage": "JSONata",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Arguments": {"FunctionName": "${charge_function_arn}", "Payload": "{% $states.input %}"},
        "Output": "{% $merge([$states.input, {'charge': $states.result}]) %}",
        "Retry": retry,
        "Catch": [{"ErrorEquals": ["Payments.Declined"], "Next": "MarkDeclined"}],
        "End": true
    });
    def
}

fn wrap_callback(def: &Value) -> Value {
    let args = ["wrap", "-", "--around", "ChargeOrder", "--wait", "callback"];
    let r = run(&args, Some(&def.to_string()));
    assert_eq!(r.code, 0, "{}", r.stderr);
    serde_json::from_str(&r.stdout).unwrap()
}

/// A callback wrap of the example, in JSONPath (`false`) or JSONata (`true`).
fn wrapped(jsonata: bool) -> Value {
    wrap_callback(&if jsonata {
        example_jsonata()
    } else {
        example()
    })
}

fn check(def: &Value) -> common::Run {
    run(&["check", "-"], Some(&def.to_string()))
}

/// The names of the `guard-callback-*` rules in a `check` output.
fn callback_rules(stdout: &str) -> BTreeSet<String> {
    stdout
        .lines()
        .filter_map(|l| l.split_once("error[guard-callback-"))
        .filter_map(|(_, rest)| rest.split_once(']'))
        .map(|(rule, _)| format!("guard-callback-{rule}"))
        .collect()
}

/// The payload of an acquire, in either language.
fn payload(acquire: &mut Map<String, Value>) -> &mut Map<String, Value> {
    let args = if acquire.contains_key("Arguments") {
        "Arguments"
    } else {
        "Parameters"
    };
    acquire[args]["Payload"].as_object_mut().unwrap()
}

fn token_key(jsonata: bool) -> &'static str {
    if jsonata {
        "taskToken"
    } else {
        "taskToken.$"
    }
}

type Edit = fn(&mut Map<String, Value>, bool);

/// One field changed per case, and the rule that must report it.
const CASES: [(&str, &str, Edit); 11] = [
    ("heartbeat set", "guard-callback-heartbeat", |a, _| {
        a.insert("HeartbeatSeconds".into(), 60.into());
    }),
    ("task token removed", "guard-callback-token", |a, j| {
        payload(a).remove(token_key(j));
    }),
    ("task token replaced", "guard-callback-token", |a, j| {
        let other = if j {
            "{% $states.context.Execution.Id %}"
        } else {
            "$$.Execution.Id"
        };
        payload(a).insert(token_key(j).into(), other.into());
    }),
    (
        "waitSeconds differs",
        "guard-callback-wait-seconds",
        |a, _| {
            payload(a).insert("waitSeconds".into(), 1800.into());
        },
    ),
    (
        "waitSeconds removed",
        "guard-callback-wait-seconds",
        |a, _| {
            payload(a).remove("waitSeconds");
        },
    ),
    (
        "TimeoutSeconds removed",
        "guard-callback-wait-seconds",
        |a, _| {
            a.remove("TimeoutSeconds");
        },
    ),
    ("lease from Payload", "guard-callback-result", |a, j| {
        let assign = if j {
            json!({"lease": "{% $states.result.Payload %}"})
        } else {
            json!({"lease.$": "$.Payload"})
        };
        a.insert("Assign".into(), assign);
    }),
    ("Catch removed", "guard-callback-timeout", |a, _| {
        a.remove("Catch");
    }),
    (
        "timeout caught elsewhere",
        "guard-callback-timeout",
        |a, _| {
            a["Catch"][0]["Next"] = "LeaseNotGranted".into();
        },
    ),
    (
        "States.Timeout retried",
        "guard-callback-timeout",
        |a, _| {
            let errors = a["Retry"][0]["ErrorEquals"].as_array_mut().unwrap();
            errors.push("States.Timeout".into());
        },
    ),
    ("States.ALL retried", "guard-callback-timeout", |a, _| {
        a["Retry"][0]["ErrorEquals"] = json!(["States.ALL"]);
    }),
];

#[test]
fn an_unedited_callback_wrap_of_the_example_is_clean() {
    for jsonata in [false, true] {
        let def = wrapped(jsonata);
        let acquire = def.pointer(ACQUIRE).unwrap();
        assert!(
            acquire["Resource"]
                .as_str()
                .unwrap()
                .ends_with(".waitForTaskToken"),
            "{acquire}"
        );
        assert_eq!(acquire.get("Arguments").is_some(), jsonata, "{acquire}");
        let r = check(&def);
        assert_eq!((r.code, r.stdout.as_str()), (0, ""), "jsonata {jsonata}");
    }
}

#[test]
fn each_hand_edit_of_a_callback_acquire_gets_its_own_rule() {
    for jsonata in [false, true] {
        let clean = wrapped(jsonata);
        for (case, rule, edit) in CASES {
            let mut def = clean.clone();
            edit(
                def.pointer_mut(ACQUIRE).unwrap().as_object_mut().unwrap(),
                jsonata,
            );
            assert_ne!(def, clean, "{case}: the edit changes something");
            let r = check(&def);
            let what = format!("{case} (jsonata {jsonata}):\n{}", r.stdout);
            assert_eq!(r.code, 1, "{what}");
            let needle = format!("error[{rule}]: state 'AcquireLease' (in Map 'ChargeOrders')");
            assert!(r.stdout.contains(&needle), "{what}");
            let rules = callback_rules(&r.stdout);
            assert_eq!(rules, BTreeSet::from([rule.to_string()]), "{what}");
        }
    }
}

#[test]
fn callback_findings_say_what_to_write() {
    let mut def = wrapped(true);
    let acquire = def.pointer_mut(ACQUIRE).unwrap().as_object_mut().unwrap();
    payload(acquire).remove("taskToken");
    acquire.remove("Catch");
    let out = check(&def).stdout;
    for needle in [
        "set \"taskToken\": \"{% $states.context.Task.Token %}\" in Arguments.Payload",
        "put {\"ErrorEquals\": [\"States.Timeout\"], \"Next\": \"LeaseWaitTimeout\"} first in \
         Catch",
    ] {
        assert!(out.contains(needle), "{needle}:\n{out}");
    }
}

#[test]
fn poll_guards_get_no_callback_rules() {
    let r = run(
        &["wrap", "-", "--around", "ChargeOrder"],
        Some(&example().to_string()),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mut def: Value = serde_json::from_str(&r.stdout).unwrap();
    let acquire = def.pointer_mut(ACQUIRE).unwrap().as_object_mut().unwrap();
    acquire.insert("HeartbeatSeconds".into(), 60.into());
    let r = check(&def);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(!r.stdout.contains("guard-callback"), "{}", r.stdout);
}
