//! `connect-timeout-out-of-range`: a connect timeout so short that a
//! backend across a network fails to connect in time, longer than nginx
//! can honour, or (httpd) written so that httpd refuses it.

use std::collections::HashSet;

use super::{BOTH, Check, OptionKind, Rule, RuleOption};
use crate::finding::{Finding, Severity};
use crate::model::target::{Address, is_loopback};
use crate::model::values::{format_duration, parse_apache_duration, parse_duration};
use crate::model::{Gateway, Route, Target};
use crate::syntax::Dialect;

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
    dialects: BOTH,
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
    if g.dialect() == Dialect::Apache {
        return check_apache(check);
    }
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

/// Apache: a worker's `connectiontimeout=` (on the route or a balancer
/// member). httpd reads it with units (`500ms`, `5`, `2mi`) and refuses to
/// start on one it does not know; a failed connect is a 503.
fn check_apache(check: &Check<'_>) -> Vec<Finding> {
    let g = check.gateway;
    let min = check.duration("min");
    let mut seen = HashSet::new();
    let mut findings = Vec::new();
    for route in &g.routes {
        for (item, param) in g.route_param(route, "connectiontimeout") {
            let span = g.x.arg_span(item, param.arg);
            if !seen.insert(span) {
                continue;
            }
            let written = format!("connectiontimeout={}", param.value);
            match parse_apache_duration(&param.value) {
                Err(why) => findings.push(
                    Finding::at(
                        RULE.name,
                        Severity::Error,
                        span,
                        format!("httpd refuses to start on `{written}`: {why}"),
                    )
                    .label("httpd cannot read this timeout")
                    .help("write seconds (`5`) or milliseconds (`500ms`)")
                    .log(format!(
                        "AH00526: Syntax error on line {} of {}: {} Connectiontimeout has wrong format",
                        g.x.source(item).line_of(span.start as usize),
                        g.x.source(item).display_name(),
                        g.x.written_name(item)
                    )),
                ),
                Ok(ms) if ms < min && !local_only(g, route) => findings.push(
                    Finding::at(
                        RULE.name,
                        Severity::Warning,
                        span,
                        format!(
                            "`{written}` is below {} for a backend across the network",
                            format_duration(min)
                        ),
                    )
                    .label("a connection that needs one TCP retransmission (1s) fails with 503")
                    .related(
                        g.x.arg_span(route.item, route.url_arg),
                        "this backend is not on this machine",
                    )
                    .help(format!(
                        "use at least {} (httpd's default is the worker's `timeout`, else `ProxyTimeout`, else `Timeout`)",
                        check.option_display("min")
                    ))
                    .log(format!(
                        "[proxy:error] (110)Connection timed out: AH00957: http: attempt to connect to {0} ({0}) failed",
                        g.logged_backend(route)
                    )),
                ),
                Ok(_) => {}
            }
        }
    }
    findings
}
