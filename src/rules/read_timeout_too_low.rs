//! `read-timeout-too-low`: a read or send timeout toward the backend short
//! enough that ordinary slow responses become 504s.

use std::collections::HashSet;

use super::{BOTH, Check, OptionKind, Rule, RuleOption};
use crate::finding::{Finding, Severity};
use crate::model::target::PassKind;
use crate::model::values::{format_duration, parse_apache_seconds, parse_duration};
use crate::model::{Gateway, Route};
use crate::source::Span;
use crate::syntax::Dialect;

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
    dialects: BOTH,
    doc: include_str!("../../rules/read-timeout-too-low.md"),
    check,
};

fn check(check: &Check<'_>) -> Vec<Finding> {
    if check.gateway.dialect() == Dialect::Apache {
        return check_apache(check);
    }
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
            let Some(severity) = severity_for(ms, min, error_below) else {
                continue;
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

/// Below `min` a warning, below `error_below` an error.
fn severity_for(ms: u64, min: u64, error_below: u64) -> Option<Severity> {
    if ms >= min {
        None
    } else if ms < error_below {
        Some(Severity::Error)
    } else {
        Some(Severity::Warning)
    }
}

/// Apache: a worker's `timeout=`, else `ProxyTimeout`, else `Timeout` (60s
/// when none is set) bounds each read from the backend. Running out is a
/// 502 on `http://` and a 504 on `fcgi://`.
fn check_apache(check: &Check<'_>) -> Vec<Finding> {
    let g = check.gateway;
    let min = check.duration("min");
    let error_below = check.duration("error-below");
    let mut seen = HashSet::new();
    let mut findings = Vec::new();
    for route in &g.routes {
        for (span, written, value) in apache_read_timeouts(g, route) {
            if !seen.insert(span) {
                continue;
            }
            let (ms, ignored) = match parse_apache_seconds(&value) {
                Ok(read) => read,
                Err(why) => {
                    findings.push(
                        Finding::at(
                            RULE.name,
                            Severity::Error,
                            span,
                            format!("httpd cannot read `{written}`: {why}"),
                        )
                        .label("not a number of seconds")
                        .help("write whole seconds, as in `60`"),
                    );
                    continue;
                }
            };
            // httpd reads `5m` as five seconds: say so, whatever the verdict.
            let misread = if ignored.is_empty() {
                String::new()
            } else {
                format!(
                    " (httpd reads it as {} and ignores `{ignored}`)",
                    seconds(ms)
                )
            };
            let Some(severity) = severity_for(ms, min, error_below) else {
                if !ignored.is_empty() {
                    findings.push(
                        Finding::at(
                            RULE.name,
                            Severity::Info,
                            span,
                            format!(
                                "httpd reads `{written}` as {} and ignores `{ignored}`",
                                seconds(ms)
                            ),
                        )
                        .label("a unit httpd does not read here")
                        .help(format!("write whole seconds: `{}`", ms / 1000)),
                    );
                }
                continue;
            };
            let backend = g.logged_backend(route);
            let (status, log) = match route.kind {
                PassKind::FastCgi => (
                    504,
                    // httpd 2.4 names no backend here, only the port the
                    // request came in on.
                    "[proxy_fcgi:error] (70007)The timeout specified has expired: AH01075: Error dispatching request to : (polling)".to_string(),
                ),
                _ => (
                    502,
                    format!(
                        "[proxy_http:error] (70007)The timeout specified has expired: AH01102: error reading status line from remote server {backend}"
                    ),
                ),
            };
            findings.push(
                Finding::at(
                    RULE.name,
                    severity,
                    span,
                    format!("`{written}` is below {}{misread}", format_duration(min)),
                )
                .label(format!(
                    "httpd answers {status} when the backend takes longer than {} to respond",
                    format_duration(ms)
                ))
                .related(g.x.arg_span(route.item, route.url_arg), "the route it bounds")
                .help(format!(
                    "raise it to at least {} (httpd's default is `Timeout 60`), above the slowest response the backend legitimately takes",
                    check.option_display("min")
                ))
                .log(log),
            );
        }
    }
    findings
}

/// The read timeouts that bound a route: each worker's `timeout=` (on the
/// route or on each balancer member), else the server's `ProxyTimeout` or
/// `Timeout`. (span, as written, value)
fn apache_read_timeouts(g: &Gateway<'_>, route: &Route) -> Vec<(Span, String, String)> {
    let own: Vec<(Span, String, String)> = g
        .route_param(route, "timeout")
        .into_iter()
        .map(|(item, p)| {
            let span = g.x.arg_span(item, p.arg);
            (span, format!("timeout={}", p.value), p.value.clone())
        })
        .collect();
    if !own.is_empty() {
        return own;
    }
    ["proxytimeout", "timeout"]
        .into_iter()
        .find_map(|name| g.effective(route.item, name))
        .and_then(|item| {
            let value = g.x.value(item, 0)?;
            Some((g.x.arg_span(item, 0), g.x.text(item), value.to_string()))
        })
        .into_iter()
        .collect()
}

/// `1 second`, `3000 seconds`: httpd's whole seconds, in words.
fn seconds(ms: u64) -> String {
    match ms / 1000 {
        1 => "1 second".to_string(),
        n => format!("{n} seconds"),
    }
}
