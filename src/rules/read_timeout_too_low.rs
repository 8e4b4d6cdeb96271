//! `read-timeout-too-low`: a read or send timeout toward the backend short
//! enough that ordinary slow responses become 504s.

use std::collections::HashSet;

use super::{Check, OptionKind, Rule, RuleOption};
use crate::finding::{Finding, Severity};
use crate::model::values::{format_duration, parse_duration};

pub static RULE: Rule = Rule {
    name: "read-timeout-too-low",
    summary: "a `*_read_timeout` or `*_send_timeout` so short that slow responses fail with 504",
    severity: Severity::Warning,
    options: &[
        RuleOption {
            name: "min",
            kind: OptionKind::Duration,
            default: "10s",
            help: "timeouts below this are reported as warnings",
        },
        RuleOption {
            name: "error-below",
            kind: OptionKind::Duration,
            default: "2s",
            help: "timeouts below this are reported as errors",
        },
    ],
    doc: include_str!("../../rules/read-timeout-too-low.md"),
    check,
};

fn check(check: &Check<'_>) -> Vec<Finding> {
    let g = check.gateway;
    let min = check.duration("min");
    let error_below = check.duration("error-below");
    let mut seen = HashSet::new();
    let mut findings = Vec::new();
    for route in &g.routes {
        for phase in ["read", "send"] {
            let name = format!("{}_{phase}_timeout", route.kind.module());
            let Some(item) = g.effective(route.item, &name) else {
                continue;
            };
            if !seen.insert(item) {
                continue;
            }
            let Some(value) = g.x.value(item, 0) else {
                continue;
            };
            let span = g.x.arg_span(item, 0);
            let ms = match parse_duration(value) {
                Ok(ms) => ms,
                Err(why) => {
                    findings.push(
                        Finding::at(
                            RULE.name,
                            Severity::Error,
                            span,
                            format!("nginx rejects `{name} {value}`: {why}"),
                        )
                        .label("invalid value")
                        .help("write a duration such as `60s` or `1m30s`")
                        .log(format!("[emerg] \"{name}\" directive invalid value")),
                    );
                    continue;
                }
            };
            if ms >= min {
                continue;
            }
            let severity = if ms < error_below {
                Severity::Error
            } else {
                Severity::Warning
            };
            let (waiting, log) = if phase == "read" {
                (
                    "the backend's response",
                    "[error] upstream timed out (110: Connection timed out) while reading response header from upstream",
                )
            } else {
                (
                    "the backend to accept the request",
                    "[error] upstream timed out (110: Connection timed out) while sending request to upstream",
                )
            };
            findings.push(
                Finding::at(
                    RULE.name,
                    severity,
                    span,
                    format!("`{name} {value}` is below {}", format_duration(min)),
                )
                .label(format!("nginx gives up waiting for {waiting} after {}", format_duration(ms)))
                .help(format!(
                    "raise it to at least {} (nginx's default is 60s), above the slowest response the backend legitimately takes",
                    check.option_display("min")
                ))
                .log(log),
            );
        }
    }
    findings
}
