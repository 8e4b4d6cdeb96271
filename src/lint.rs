//! The lint pipeline, end to end: load the inputs, run the rules on every
//! configuration, apply the settings to the loader's own checks, drop what
//! inline suppressions silence, and report each finding once.

use std::collections::HashSet;

use crate::finding::Finding;
use crate::load::{Input, Options, Workspace};
use crate::rules::{self, Settings};
use crate::suppress::{self, Suppressed};
use crate::timings;

pub struct Outcome {
    pub workspace: Workspace,
    pub findings: Vec<Finding>,
    pub suppressed: Vec<Suppressed>,
}

pub fn lint(inputs: &[Input], options: Options, settings: &Settings) -> Outcome {
    let mut workspace = timings::measure("load", || Workspace::load(inputs, options));
    let mut findings = settle_checks(std::mem::take(&mut workspace.findings), settings);
    findings.extend(rules::run(&workspace, settings));
    let findings = dedup(findings);
    let (suppressions, problems) = timings::measure("suppress", || suppress::collect(&workspace));
    let (mut findings, suppressed) = suppress::apply(findings, suppressions, settings);
    findings.extend(
        problems
            .into_iter()
            .filter(|f| settings.check_enabled(f.rule)),
    );
    let findings = dedup(findings);
    Outcome {
        workspace,
        findings,
        suppressed,
    }
}

/// The findings of checks made outside the rule engine (reading files,
/// `--host`) that the settings keep, at the severity they set.
pub fn settle_checks(findings: Vec<Finding>, settings: &Settings) -> Vec<Finding> {
    findings
        .into_iter()
        .filter(|f| settings.check_enabled(f.rule))
        .map(|mut f| {
            if let Some(severity) = settings.severity_override(f.rule) {
                f.severity = severity;
            }
            f
        })
        .collect()
}

/// The same finding reached through two configurations (a snippet included
/// from two places) is reported once.
pub fn dedup(findings: Vec<Finding>) -> Vec<Finding> {
    let mut seen = HashSet::new();
    findings
        .into_iter()
        .filter(|f| seen.insert((f.rule, format!("{:?}", f.location), f.message.clone())))
        .collect()
}
