//! The states a guard injects, written in the query language of the guarded region.
//! docs/guard-states.md is the contract these builders follow; the Terraform fragments
//! follow the same page.

use serde_json::{json, Map, Value};

use crate::model::QueryLanguage;
use crate::rewrite::marker::Role;
use crate::rewrite::names::GuardVars;
use crate::rewrite::options::Resolved;

/// Errors that are safe to retry: acquire and release are idempotent per holder.
/// `Lease.Unavailable` is the lease function's own answer when DynamoDB keeps failing.
pub const TRANSIENT_ERRORS: [&str; 7] = [
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
    "Lambda.Unknown",
    "States.Timeout",
    "Lease.Unavailable",
];

/// Seconds one call of the lease Lambda may take before Step Functions gives up on it.
pub const LEASE_CALL_TIMEOUT: u64 = 30;

/// The request-response integration every lease Task uses, except a callback acquire.
const INVOKE: &str = "lambda:invoke";

/// The callback integration of a callback acquire: the Task waits for the task token.
const INVOKE_WAIT_FOR_TOKEN: &str = "lambda:invoke.waitForTaskToken";

/// [`TRANSIENT_ERRORS`] without `States.Timeout`: on a callback acquire, a timeout is the end of
/// the wait, not a fault to retry.
pub fn callback_retry_errors() -> Vec<&'static str> {
    TRANSIENT_ERRORS
        .into_iter()
        .filter(|e| *e != "States.Timeout")
        .collect()
}

/// Where a lease Task finds the lease manager's answer in its result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    /// Under `Payload`: a plain `lambda:invoke`.
    InPayload,
    /// The result itself: the `SendTaskSuccess` output of a `.waitForTaskToken` invoke.
    Whole,
}

/// Builds the injected states of one guard.
#[derive(Debug, Clone)]
pub struct StateBuilder<'a> {
    /// Language of the scope the states go into.
    pub lang: QueryLanguage,
    /// The definition's top-level language; states in another language say so.
    pub top_lang: QueryLanguage,
    /// The guard's variables.
    pub vars: &'a GuardVars,
    /// The resolved options.
    pub opts: &'a Resolved,
}

impl StateBuilder<'_> {
    fn base(&self, ty: &str, role: Role, text: &str) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("Type".into(), ty.into());
        if self.lang != self.top_lang {
            m.insert("QueryLanguage".into(), self.lang.as_str().into());
        }
        m.insert("Comment".into(), role.comment(&self.vars.key, text).into());
        m
    }

    fn jsonata(&self) -> bool {
        self.lang == QueryLanguage::Jsonata
    }

    /// The Pass state that makes the holder id and zeroes the wait counter.
    pub fn prepare(&self, next: &str) -> Value {
        let text = format!("new lease holder for semaphore '{}'", self.opts.semaphore);
        let mut m = self.base("Pass", Role::Prepare, &text);
        let v = self.vars;
        let assign = if self.jsonata() {
            json!({
                (v.holder.clone()): "{% $states.context.Execution.Name & '/' & $uuid() %}",
                (v.waited.clone()): 0
            })
        } else {
            json!({
                (format!("{}.$", v.holder)):
                    "States.Format('{}/{}', $$.Execution.Name, States.UUID())",
                (v.waited.clone()): 0
            })
        };
        m.insert("Assign".into(), assign);
        m.insert("Next".into(), next.into());
        Value::Object(m)
    }

    fn payload(&self, action: &str, dynamic: &[(&str, &str, &str)]) -> Value {
        let mut p = Map::new();
        p.insert("action".into(), action.into());
        p.insert("semaphore".into(), self.opts.semaphore.clone().into());
        for (field, path, expr) in dynamic {
            if self.jsonata() {
                p.insert((*field).into(), format!("{{% {expr} %}}").into());
            } else {
                p.insert(format!("{field}.$"), (*path).into());
            }
        }
        Value::Object(p)
    }

    fn invoke(&self, m: &mut Map<String, Value>, payload: Value) {
        self.invoke_with(m, payload, INVOKE, LEASE_CALL_TIMEOUT);
    }

    fn invoke_with(
        &self,
        m: &mut Map<String, Value>,
        payload: Value,
        integration: &str,
        timeout: u64,
    ) {
        let resource = format!("arn:{}:states:::{integration}", self.opts.partition);
        m.insert("Resource".into(), resource.into());
        let args = json!({ "FunctionName": self.opts.function, "Payload": payload });
        m.insert(
            (if self.jsonata() {
                "Arguments"
            } else {
                "Parameters"
            })
            .into(),
            args,
        );
        m.insert("TimeoutSeconds".into(), timeout.into());
    }

    /// Keeps the state's input as its output, optionally saving the Lambda's answer in the
    /// guard's lease variable.
    fn pass_input_through(&self, m: &mut Map<String, Value>, answer: Option<Answer>) {
        let v = self.vars;
        // (JSONPath path, JSONata expression) of the answer.
        let saved = answer.map(|a| match a {
            Answer::InPayload => ("$.Payload", "{% $states.result.Payload %}"),
            Answer::Whole => ("$", "{% $states.result %}"),
        });
        if self.jsonata() {
            if let Some((_, expr)) = saved {
                m.insert("Assign".into(), json!({ (v.lease.clone()): expr }));
            }
            m.insert("Output".into(), "{% $states.input %}".into());
        } else {
            m.insert("ResultPath".into(), Value::Null);
            if let Some((path, _)) = saved {
                m.insert("Assign".into(), json!({ (format!("{}.$", v.lease)): path }));
            }
        }
    }

    fn retry() -> Value {
        Self::retry_on(&TRANSIENT_ERRORS)
    }

    fn retry_on(errors: &[&str]) -> Value {
        json!([{
            "ErrorEquals": errors,
            "IntervalSeconds": 1,
            "MaxAttempts": 6,
            "BackoffRate": 2,
            "MaxDelaySeconds": 20,
            "JitterStrategy": "FULL"
        }])
    }

    /// The Task that asks the lease Lambda for a slot.
    pub fn acquire(&self, next: &str) -> Value {
        let mut m = self.base("Task", Role::Acquire, &self.acquire_text(""));
        self.invoke(&mut m, self.acquire_payload());
        self.pass_input_through(&mut m, Some(Answer::InPayload));
        m.insert("Retry".into(), Self::retry());
        m.insert("Next".into(), next.into());
        Value::Object(m)
    }

    /// The callback form of [`Self::acquire`]: one `.waitForTaskToken` Task that waits up to
    /// `--max-wait` for the Lambda to answer the task token, and goes to `timeout` after that.
    pub fn acquire_callback(&self, next: &str, timeout: &str) -> Value {
        let text = self.acquire_text(" and wait for the grant");
        let mut m = self.base("Task", Role::Acquire, &text);
        let max_wait = self.opts.max_wait_seconds;
        let mut payload = self.acquire_payload();
        if let Some(p) = payload.as_object_mut() {
            if self.jsonata() {
                p.insert(
                    "taskToken".into(),
                    "{% $states.context.Task.Token %}".into(),
                );
            } else {
                p.insert("taskToken.$".into(), "$$.Task.Token".into());
            }
            p.insert("waitSeconds".into(), max_wait.into());
        }
        self.invoke_with(&mut m, payload, INVOKE_WAIT_FOR_TOKEN, max_wait);
        // The task's result is the output of SendTaskSuccess itself, not under `Payload`.
        self.pass_input_through(&mut m, Some(Answer::Whole));
        m.insert("Retry".into(), Self::retry_on(&callback_retry_errors()));
        m.insert(
            "Catch".into(),
            json!([{ "ErrorEquals": ["States.Timeout"], "Next": timeout }]),
        );
        m.insert("Next".into(), next.into());
        Value::Object(m)
    }

    fn acquire_text(&self, how: &str) -> String {
        let o = self.opts;
        format!(
            "ask for {} unit(s) of semaphore '{}'{how}",
            o.weight.unwrap_or(1),
            o.semaphore
        )
    }

    fn acquire_payload(&self) -> Value {
        let o = self.opts;
        let v = self.vars;
        let holder_path = format!("${}", v.holder);
        let mut payload = self.payload(
            "acquire",
            &[
                ("holder", &holder_path, &holder_path),
                (
                    "execution",
                    "$$.Execution.Id",
                    "$states.context.Execution.Id",
                ),
            ],
        );
        if let Some(p) = payload.as_object_mut() {
            for (k, val) in [
                ("limit", o.limit),
                ("weight", o.weight),
                ("leaseSeconds", o.lease_seconds),
            ] {
                if let Some(n) = val {
                    p.insert(k.into(), n.into());
                }
            }
        }
        payload
    }

    /// The Choice that lets a granted holder in and sends the others to wait or fail.
    pub fn check(&self, entry: &str, wait: &str, timeout: &str, not_granted: &str) -> Value {
        let text = "enter when the lease is granted; wait, or fail closed, otherwise";
        let mut m = self.base("Choice", Role::Check, text);
        let (v, max) = (self.vars, self.opts.max_wait_seconds);
        let choices = if self.jsonata() {
            let waiting = format!(
                "{{% ${}.status = 'wait' and ${} < {max} %}}",
                v.lease, v.waited
            );
            json!([
                { "Condition": format!("{{% ${}.status = 'acquired' %}}", v.lease), "Next": entry },
                { "Condition": waiting, "Next": wait },
                { "Condition": format!("{{% ${}.status = 'wait' %}}", v.lease), "Next": timeout }
            ])
        } else {
            let status = format!("${}.status", v.lease);
            json!([
                { "Variable": status, "StringEquals": "acquired", "Next": entry },
                { "And": [
                    { "Variable": status, "StringEquals": "wait" },
                    { "Variable": format!("${}", v.waited), "NumericLessThan": max }
                  ],
                  "Next": wait },
                { "Variable": status, "StringEquals": "wait", "Next": timeout }
            ])
        };
        m.insert("Choices".into(), choices);
        m.insert("Default".into(), not_granted.into());
        Value::Object(m)
    }

    /// The callback form of [`Self::check`]: the only answer a callback brings is a grant, so
    /// anything else fails closed (a timeout never reaches this state).
    pub fn check_callback(&self, entry: &str, not_granted: &str) -> Value {
        let text = "enter when the lease is granted; fail closed otherwise";
        let mut m = self.base("Choice", Role::Check, text);
        let lease = &self.vars.lease;
        let rule = if self.jsonata() {
            json!({ "Condition": format!("{{% ${lease}.status = 'acquired' %}}"), "Next": entry })
        } else {
            let status = format!("${lease}.status");
            json!({ "Variable": status, "StringEquals": "acquired", "Next": entry })
        };
        m.insert("Choices".into(), json!([rule]));
        m.insert("Default".into(), not_granted.into());
        Value::Object(m)
    }

    /// The Wait between two acquire attempts, as long as the Lambda asked.
    pub fn wait(&self, acquire: &str) -> Value {
        let mut m = self.base(
            "Wait",
            Role::Wait,
            "wait as long as the lease manager asked",
        );
        let v = self.vars;
        if self.jsonata() {
            m.insert(
                "Seconds".into(),
                format!("{{% ${}.retryAfterSeconds %}}", v.lease).into(),
            );
            let sum = format!("{{% ${} + ${}.retryAfterSeconds %}}", v.waited, v.lease);
            m.insert("Assign".into(), json!({ (v.waited.clone()): sum }));
        } else {
            m.insert(
                "SecondsPath".into(),
                format!("${}.retryAfterSeconds", v.lease).into(),
            );
            let sum = format!(
                "States.MathAdd(${}, ${}.retryAfterSeconds)",
                v.waited, v.lease
            );
            m.insert("Assign".into(), json!({ (format!("{}.$", v.waited)): sum }));
        }
        m.insert("Next".into(), acquire.into());
        Value::Object(m)
    }

    /// The Fail raised when waiting passes `--max-wait`.
    pub fn timeout(&self) -> Value {
        let o = self.opts;
        let mut m = self.base("Fail", Role::Timeout, "waiting for a lease took too long");
        m.insert("Error".into(), "Lease.WaitTimeout".into());
        let cause = format!(
            "no lease on semaphore '{}' within {} seconds",
            o.semaphore, o.max_wait_seconds
        );
        m.insert("Cause".into(), cause.into());
        Value::Object(m)
    }

    /// The Fail raised for any answer other than acquired or wait: fail closed.
    pub fn not_granted(&self) -> Value {
        let mut m = self.base(
            "Fail",
            Role::NotGranted,
            "fail closed on an unexpected answer",
        );
        m.insert("Error".into(), "Lease.NotGranted".into());
        let cause = format!(
            "the lease manager granted no slot of semaphore '{}'",
            self.opts.semaphore
        );
        m.insert("Cause".into(), cause.into());
        Value::Object(m)
    }

    /// The Task that gives the slot back; `next` of `None` ends the scope.
    pub fn release(&self, role: Role, next: Option<&str>) -> Value {
        let text = format!("give back the slot of semaphore '{}'", self.opts.semaphore);
        let mut m = self.base("Task", role, &text);
        let v = self.vars;
        let holder = format!("${}", v.holder);
        let lease_id = format!("${}.leaseId", v.lease);
        let payload = self.payload(
            "release",
            &[
                ("holder", &holder, &holder),
                ("leaseId", &lease_id, &lease_id),
            ],
        );
        self.invoke(&mut m, payload);
        self.pass_input_through(&mut m, None);
        m.insert("Retry".into(), Self::retry());
        set_next(&mut m, next);
        Value::Object(m)
    }

    /// The release after an error; it goes on to the re-raise even when the release fails.
    pub fn release_on_error(&self, rethrow: &str) -> Value {
        let mut state = self.release(Role::ReleaseOnError, Some(rethrow));
        if let Some(m) = state.as_object_mut() {
            let next = m.shift_remove("Next");
            m.insert(
                "Catch".into(),
                json!([{ "ErrorEquals": ["States.ALL"], "Next": rethrow }]),
            );
            if let Some(n) = next {
                m.insert("Next".into(), n);
            }
        }
        state
    }

    /// The Fail that re-raises the error saved by the guard's catcher.
    pub fn rethrow(&self) -> Value {
        let mut m = self.base(
            "Fail",
            Role::Rethrow,
            "re-raise the error that ended the region",
        );
        let v = self.vars;
        if self.jsonata() {
            m.insert("Error".into(), format!("{{% ${}.Error %}}", v.error).into());
            m.insert("Cause".into(), format!("{{% ${}.Cause %}}", v.error).into());
        } else {
            m.insert("ErrorPath".into(), format!("${}.Error", v.error).into());
            m.insert("CausePath".into(), format!("${}.Cause", v.error).into());
        }
        Value::Object(m)
    }

    /// The catcher appended to every Task, Map and Parallel of the region.
    pub fn catcher(&self, release_on_error: &str) -> Value {
        let v = self.vars;
        let assign = if self.jsonata() {
            json!({ (v.error.clone()): "{% $states.errorOutput %}" })
        } else {
            json!({ (format!("{}.$", v.error)): "$" })
        };
        json!({ "ErrorEquals": ["States.ALL"], "Assign": assign, "Next": release_on_error })
    }

    /// The Task on an enclosing Map or Parallel's failure path that frees every slot the
    /// execution holds on the semaphore (stopped siblings never run their own release).
    pub fn release_execution(&self, role: Role, next: &str) -> Value {
        let text = format!(
            "free the slots this execution holds on semaphore '{}'",
            self.opts.semaphore
        );
        let mut m = self.base("Task", role, &text);
        let payload = self.payload(
            "releaseExecution",
            &[(
                "execution",
                "$$.Execution.Id",
                "$states.context.Execution.Id",
            )],
        );
        self.invoke(&mut m, payload);
        self.pass_input_through(&mut m, None);
        m.insert("Retry".into(), Self::retry());
        if role == Role::ReleaseExecutionOnError {
            m.insert("Catch".into(), json!([self.keep_input_catcher(next)]));
        }
        m.insert("Next".into(), next.into());
        Value::Object(m)
    }

    /// A catcher that goes on with the state's input (the original error output) and keeps
    /// the catcher's own error out of the way, so a failing release never hides it.
    fn keep_input_catcher(&self, next: &str) -> Value {
        if self.jsonata() {
            json!({ "ErrorEquals": ["States.ALL"], "Output": "{% $states.input %}", "Next": next })
        } else {
            let keep = "$.leaseReleaseError";
            json!({ "ErrorEquals": ["States.ALL"], "ResultPath": keep, "Next": next })
        }
    }

    /// The Fail after `release_execution` that re-raises the error the catcher passed on as
    /// the state's data (no variable: the enclosing scope is not the region's scope).
    pub fn rethrow_execution(&self) -> Value {
        let mut m = self.base(
            "Fail",
            Role::RethrowExecution,
            "re-raise the error of the enclosing state",
        );
        if self.jsonata() {
            m.insert("Error".into(), "{% $states.input.Error %}".into());
            m.insert("Cause".into(), "{% $states.input.Cause %}".into());
        } else {
            m.insert("ErrorPath".into(), "$.Error".into());
            m.insert("CausePath".into(), "$.Cause".into());
        }
        Value::Object(m)
    }

    /// The catcher appended to an enclosing Map or Parallel.
    pub fn execution_catcher(&self, release: &str) -> Value {
        json!({ "ErrorEquals": ["States.ALL"], "Next": release })
    }
}

/// Sets `Next`, or `End: true` when there is no next state.
pub fn set_next(m: &mut Map<String, Value>, next: Option<&str>) {
    match next {
        Some(n) => m.insert("Next".into(), n.into()),
        None => m.insert("End".into(), true.into()),
    };
}
