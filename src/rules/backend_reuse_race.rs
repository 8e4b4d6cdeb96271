//! `backend-reuse-race`: httpd reuses a pooled connection that the backend
//! has already closed for being idle; the request written to it fails.

use super::{APACHE, Check, Rule};
use crate::finding::{Finding, Severity};
use crate::model::values::{format_duration, parse_duration};

pub static RULE: Rule = Rule {
    name: "backend-reuse-race",
    summary: "connections reused longer than the backend keeps them idle: sporadic 502s",
    severity: Severity::Warning,
    options: &[],
    dialects: APACHE,
    doc: include_str!("../../rules/backend-reuse-race.md"),
    check,
};

fn check(check: &Check<'_>) -> Vec<Finding> {
    let g = check.gateway;
    let mut findings = Vec::new();
    for route in &g.routes {
        let Some((name, idle)) = check
            .settings
            .backend_for(g, route)
            .and_then(|(n, f)| f.idle_timeout.map(|t| (n, t)))
        else {
            continue;
        };
        let param = |key: &str| {
            g.route_param(route, key)
                .first()
                .map(|(_, p)| p.value.to_ascii_lowercase())
        };
        if param("disablereuse").as_deref() == Some("on")
            || param("enablereuse").as_deref() == Some("off")
        {
            continue;
        }
        let ttl = g
            .route_param(route, "ttl")
            .first()
            .and_then(|(_, p)| parse_duration(&p.value).ok());
        if ttl.is_some_and(|t| t < idle) {
            continue;
        }
        let held = match ttl {
            Some(t) => format!("`ttl={}` keeps them", format_duration(t)),
            None => "no `ttl` is set, so httpd keeps them for as long as it likes".to_string(),
        };
        findings.push(
            Finding::at(RULE.name, Severity::Warning, g.x.arg_span(route.item, route.url_arg), format!(
                "`{name}` closes idle connections after {}, but httpd reuses them longer",
                format_duration(idle)
            ))
            .label(format!("{held}: a request sent on a connection the backend just closed fails with 502"))
            .help(format!(
                "add `ttl={}` (below the backend's idle timeout) to the worker, or `disablereuse=On`",
                (idle / 1000).saturating_sub(1).max(1)
            ))
            .log("[proxy_http:error] (104)Connection reset by peer: AH01102: error reading status line from remote server"),
        );
    }
    findings
}
