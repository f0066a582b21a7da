//! The `Comment` marker on every injected state: `asl-guard/<role> <guard>: <text>`. It lets
//! `wrap` recognise a region that is already guarded and lets `unwrap` find what to remove.

use serde_json::{Map, Value};

/// What an injected state does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Pass making the holder id.
    Prepare,
    /// Task asking for a slot.
    Acquire,
    /// Choice on the answer.
    Check,
    /// Wait before asking again.
    Wait,
    /// Fail when waiting took too long.
    Timeout,
    /// Fail on any other answer.
    NotGranted,
    /// Task giving the slot back on the way out.
    Release,
    /// Task giving the slot back after an error.
    ReleaseOnError,
    /// Fail re-raising the saved error.
    Rethrow,
    /// Task freeing the execution's slots before an enclosing state's catcher target.
    ReleaseExecution,
    /// Task freeing the execution's slots before re-raising an enclosing state's error.
    ReleaseExecutionOnError,
    /// Fail re-raising an enclosing state's error.
    RethrowExecution,
}

const ROLES: [(Role, &str); 12] = [
    (Role::Prepare, "prepare"),
    (Role::Acquire, "acquire"),
    (Role::Check, "check"),
    (Role::Wait, "wait"),
    (Role::Timeout, "timeout"),
    (Role::NotGranted, "not-granted"),
    (Role::Release, "release"),
    (Role::ReleaseOnError, "release-on-error"),
    (Role::Rethrow, "rethrow"),
    (Role::ReleaseExecution, "release-execution"),
    (Role::ReleaseExecutionOnError, "release-execution-on-error"),
    (Role::RethrowExecution, "rethrow-execution"),
];

impl Role {
    /// The role's spelling in the marker.
    pub fn as_str(self) -> &'static str {
        ROLES
            .iter()
            .find(|(r, _)| *r == self)
            .map_or("", |(_, s)| s)
    }

    /// The `Type` of the state that plays this role.
    pub fn state_type(self) -> &'static str {
        match self {
            Role::Prepare => "Pass",
            Role::Check => "Choice",
            Role::Wait => "Wait",
            Role::Timeout | Role::NotGranted | Role::Rethrow | Role::RethrowExecution => "Fail",
            _ => "Task",
        }
    }

    /// The full `Comment` value.
    pub fn comment(self, guard: &str, text: &str) -> String {
        format!("asl-guard/{} {guard}: {text}", self.as_str())
    }
}

/// The role and guard key of an injected state, read from its `Comment`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marker {
    /// What the state does.
    pub role: Role,
    /// Which guard it belongs to (its variable prefix).
    pub guard: String,
}

/// Reads the marker of a state, if it was injected by asl-guard.
pub fn marker_of(state: &Map<String, Value>) -> Option<Marker> {
    let comment = state.get("Comment")?.as_str()?;
    let rest = comment.strip_prefix("asl-guard/")?;
    let (head, _) = rest.split_once(':')?;
    let (role, guard) = head.split_once(' ')?;
    let role = ROLES.iter().find(|(_, s)| *s == role)?.0;
    let number = guard.strip_prefix("lease")?;
    let ty = state.get("Type")?.as_str()?;
    if !number.chars().all(|c| c.is_ascii_digit()) || ty != role.state_type() {
        return None;
    }
    Some(Marker {
        role,
        guard: guard.to_string(),
    })
}
