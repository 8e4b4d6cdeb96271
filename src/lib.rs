//! gatelint: finds the nginx and Apache settings that give users a 502.
//!
//! The pipeline (see ARCHITECTURE.md): [`load`] reads files and follows
//! includes, [`syntax`] parses them into a spanned tree, [`report`] renders
//! [`finding::Finding`]s for people and machines; [`diagnose`] maps error-log
//! lines back to the directives behind them.

pub mod cli;
pub mod config;
pub mod crossplane;
pub mod diagnose;
pub mod explain;
pub mod finding;
pub mod host;
pub mod lint;
pub mod load;
pub mod model;
pub mod parallel;
pub mod probe;
pub mod report;
pub mod rules;
pub mod source;
pub mod suppress;
pub mod syntax;
pub mod timings;
pub mod tree_json;
