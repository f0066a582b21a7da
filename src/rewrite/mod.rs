//! Rewrites of a definition: `wrap` injects a guard, `unwrap` removes it.

pub mod edit;
pub mod marker;
pub mod names;
pub mod options;
pub mod states;
pub mod unwrap;
pub mod wrap;

pub use options::{GuardOptions, WaitMode, WorkflowType};
pub use unwrap::{unwrap_all, unwrap_guard};
pub use wrap::{wrap, wrap_owned, Wrapped};
