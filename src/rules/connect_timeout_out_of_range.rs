//! `connect-timeout-out-of-range`: a connect timeout so short that a
//! backend across a network fails to connect in time, or longer than nginx
//! can honour.

use std::collections::HashSet;

use super::{Check, NGINX, OptionKind, Rule, RuleOption};
use crate::finding::{Finding, Severity};
use crate::model::target::{Address, is_loopback};
use crate::model::values::{format_duration, parse_duration};
use crate::model::{Gateway, Route, Target};

pub static RULE: Rule = Rule {
    name: "connect-timeout-out-of-range",
    summary: "a `*_connect_timeout` below 1s to a remote backend, or above the 75s nginx allows",
    severity: Severity::Warning,
    options: &[
        RuleOption {
            name: "min",
            kind: OptionKind::Duration,
            default: "1s",
            help: "connect timeouts below this to a non-loopback backend are reported",
        },
        RuleOption {
            name: "max",
            kind: OptionKind::Duration,
            default: "75s",
            help: "connect timeouts above this are reported as info (nginx cannot wait longer)",
        },
    ],
    dialects: NGINX,
    doc: include_str!("../../rules/connect-timeout-out-of-range.md"),
    check,
};

/// Whether every address the route can reach is on this machine.
fn local_only(g: &Gateway<'_>, route: &Route) -> bool {
    let local = |a: &Address| match a {
        Address::Unix(_) => true,
        Address::Inet { host, .. } => is_loopback(host),
    };
    match &route.target {
        Target::Address(a) => local(a),
        Target::Upstream(i) => g.upstreams[*i].servers.iter().all(|s| local(&s.address)),
        _ => false,
    }
}

fn check(check: &Check<'_>) -> Vec<Finding> {
    let g = check.gateway;
    let (min, max) = (check.duration("min"), check.duration("max"));
    let mut seen = HashSet::new();
    let mut findings = Vec::new();
    for route in &g.routes {
        let name = format!("{}_connect_timeout", route.kind.module());
        let Some(item) = g.effective(route.item, &name) else {
            continue;
        };
        let Some(value) = g.x.value(item, 0) else {
            continue;
        };
        let Ok(ms) = parse_duration(value) else {
            continue;
        };
        if ms < min && !local_only(g, route) && seen.insert((item, "low")) {
            findings.push(
                check
                    .finding(Severity::Warning, item, format!("`{name} {value}` is below {} for a backend across the network", format_duration(min)))
                    .label("a connection that needs one TCP retransmission (1s) fails")
                    .related(g.x.arg_span(route.item, 0), "this backend is not on this machine")
                    .help(format!("use at least {} (nginx's default is 60s; 3s to 5s fails over quickly enough)", check.option_display("min")))
                    .log("[error] upstream timed out (110: Connection timed out) while connecting to upstream"),
            );
        }
        if ms > max && seen.insert((item, "high")) {
            findings.push(
                check
                    .finding(
                        Severity::Info,
                        item,
                        format!("`{name} {value}` is above {}", check.option_display("max")),
                    )
                    .label("nginx usually cannot wait longer than 75s for a connection")
                    .help("lower it to 75s or less; a backend that takes longer to accept is down"),
            );
        }
    }
    findings
}
