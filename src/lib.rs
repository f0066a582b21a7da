//! asl-guard puts a concurrency limit around part of an AWS Step Functions workflow.
//!
//! The pipeline: [`model`] reads an ASL definition (JSON or YAML), [`graph`] builds the
//! transition graph of each scope, [`region`] picks the states to guard, [`rewrite`] injects
//! the guard states and rewires every edge, [`check`] lints, and [`emit`] writes the result.
//!
//! ```
//! use asl_guard::{emit, model::Definition, region::RegionSpec, rewrite};
//!
//! let text = r#"{"StartAt": "Work", "States": {
//!     "Work": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true}}}"#;
//! let def = Definition::parse(text)?;
//! let spec = RegionSpec { around: vec!["Work".into()], through: None };
//! let wrapped = rewrite::wrap(&def, &spec, &rewrite::GuardOptions::default())?;
//! let out = emit::to_json(&wrapped.definition.root, 2);
//! assert!(out.contains("\"StartAt\": \"PrepareLease\""));
//! assert_eq!(rewrite::unwrap_all(&wrapped.definition)?.root, def.root);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod check;
pub mod emit;
pub mod error;
pub mod export;
pub mod external;
pub mod graph;
pub mod model;
pub mod region;
pub mod rewrite;
mod strict;
