//! The command-line front end: flag parsing, reading and writing files, exit codes.

pub mod args;
pub mod io;
pub mod run;
