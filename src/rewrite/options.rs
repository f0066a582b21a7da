//! Options of a guard and their validation.

use crate::error::WrapError;

/// The placeholder written for the lease function when `--function` is not given; Terraform's
/// `templatefile` and SAM's `DefinitionSubstitutions` both replace `${...}`.
pub const DEFAULT_FUNCTION: &str = "${lease_function_arn}";

/// Default bound on waiting for a slot, in seconds (see [`GuardOptions::max_wait_seconds`]).
pub const DEFAULT_MAX_WAIT: u64 = 3600;

/// Longest `--lease-seconds` and `--max-wait` (one year), as the lease Lambda accepts.
pub const MAX_SECONDS: u64 = 31_536_000;

/// Longest semaphore name the lease Lambda accepts, in bytes (lambda/README.md).
pub const MAX_SEMAPHORE_LEN: usize = 128;

/// Largest limit and weight the lease Lambda accepts.
pub const MAX_LIMIT: u64 = 5000;

/// How a holder waits for a free slot.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum WaitMode {
    /// Ask again and again: the Lambda answers `wait`, a Wait state pauses, then ask again.
    #[default]
    Poll,
    /// Ask once with a task token (`lambda:invoke.waitForTaskToken`); the Lambda answers the
    /// token when the slot is the holder's.
    Callback,
}

/// The kind of workflow the definition runs as.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum WorkflowType {
    /// Standard workflows: every service integration pattern.
    #[default]
    Standard,
    /// Express workflows: no `.waitForTaskToken`, five minutes at most.
    Express,
}

/// Options of a guard, as the user gave them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GuardOptions {
    /// Semaphore name; the region's entry state name when `None`.
    pub semaphore: Option<String>,
    /// Limit sent with each acquire; the Lambda's configured default when `None`.
    pub limit: Option<u64>,
    /// Units of the limit one holder takes; 1 when `None`.
    pub weight: Option<u64>,
    /// Lease function ARN or placeholder; [`DEFAULT_FUNCTION`] when `None`.
    pub function: Option<String>,
    /// Lease duration; the Lambda's configured default when `None`.
    pub lease_seconds: Option<u64>,
    /// Bound on waiting for a slot; [`DEFAULT_MAX_WAIT`] when `None`. A polling guard starts no
    /// new Wait once its waits add up to it; a callback guard uses it as its acquire Task's
    /// `TimeoutSeconds`, which counts per attempt (a failed invocation fails fast and is
    /// retried with a new token; a queued acquire ends only by its token's answer or by this
    /// timeout).
    pub max_wait_seconds: Option<u64>,
    /// Put in front of every injected state name.
    pub names_prefix: String,
    /// AWS partition of the `lambda:invoke` resource; `aws` when `None`.
    pub partition: Option<String>,
    /// How a holder waits for a slot.
    pub wait: WaitMode,
    /// The workflow type the definition runs as; callback waiting needs Standard.
    pub workflow_type: WorkflowType,
}

/// Options with defaults filled in and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// Semaphore name.
    pub semaphore: String,
    /// Limit, if given.
    pub limit: Option<u64>,
    /// Weight, if given.
    pub weight: Option<u64>,
    /// Lease function.
    pub function: String,
    /// Lease duration, if given.
    pub lease_seconds: Option<u64>,
    /// Bound on waiting for a slot (see [`GuardOptions::max_wait_seconds`]).
    pub max_wait_seconds: u64,
    /// AWS partition (`aws`, `aws-cn`, `aws-us-gov`, ...).
    pub partition: String,
    /// How a holder waits for a slot.
    pub wait: WaitMode,
}

fn invalid(option: &str, reason: impl Into<String>) -> WrapError {
    WrapError::InvalidOption {
        option: option.into(),
        reason: reason.into(),
    }
}

impl GuardOptions {
    /// Fills in defaults for a region entered at `entry` and checks every value.
    pub fn resolve(&self, entry: &str) -> Result<Resolved, WrapError> {
        if self.wait == WaitMode::Callback && self.workflow_type == WorkflowType::Express {
            return Err(WrapError::CallbackInExpress);
        }
        let semaphore = self.semaphore.clone().unwrap_or_else(|| entry.to_string());
        if semaphore.is_empty() || semaphore.len() > MAX_SEMAPHORE_LEN {
            let why = format!("'{semaphore}' must be 1 to {MAX_SEMAPHORE_LEN} bytes long");
            return Err(invalid("--semaphore", why));
        }
        if semaphore.chars().any(char::is_control) {
            return Err(invalid("--semaphore", "control characters are not allowed"));
        }
        for (opt, v) in [("--limit", self.limit), ("--weight", self.weight)] {
            if let Some(n) = v.filter(|n| !(1..=MAX_LIMIT).contains(n)) {
                return Err(invalid(opt, format!("{n} must be from 1 to {MAX_LIMIT}")));
            }
        }
        if let (Some(l), Some(w)) = (self.limit, self.weight) {
            if w > l {
                let why =
                    format!("{w} is more than --limit {l}; such a lease could never be granted");
                return Err(invalid("--weight", why));
            }
        }
        if let Some(s) = self
            .lease_seconds
            .filter(|s| !(1..=MAX_SECONDS).contains(s))
        {
            let why = format!("{s} must be from 1 to {MAX_SECONDS} seconds");
            return Err(invalid("--lease-seconds", why));
        }
        let max_wait = self.max_wait_seconds.unwrap_or(DEFAULT_MAX_WAIT);
        if !(1..=MAX_SECONDS).contains(&max_wait) {
            let why = format!("{max_wait} must be from 1 to {MAX_SECONDS} seconds");
            return Err(invalid("--max-wait", why));
        }
        let function = self
            .function
            .clone()
            .unwrap_or_else(|| DEFAULT_FUNCTION.to_string());
        if function.trim().is_empty() {
            return Err(invalid("--function", "must not be empty"));
        }
        let partition = self.partition.clone().unwrap_or_else(|| "aws".to_string());
        let well_formed = partition.starts_with("aws")
            && partition
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == '-');
        if !well_formed {
            let why = format!("'{partition}' is not an AWS partition such as aws or aws-cn");
            return Err(invalid("--partition", why));
        }
        Ok(Resolved {
            semaphore,
            limit: self.limit,
            weight: self.weight,
            function,
            lease_seconds: self.lease_seconds,
            max_wait_seconds: max_wait,
            partition,
            wait: self.wait,
        })
    }
}
