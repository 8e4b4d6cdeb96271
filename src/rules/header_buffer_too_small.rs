//! `header-buffer-too-small`: a buffer for the backend's response headers
//! too small for the cookies and tokens real applications send.

use std::collections::HashSet;

use super::{Check, NGINX, OptionKind, Rule, RuleOption};
use crate::finding::{Finding, Severity};
use crate::model::target::PassKind;
use crate::model::values::parse_size;

pub static RULE: Rule = Rule {
    name: "header-buffer-too-small",
    summary: "a `*_buffer_size` too small for the response headers backends send",
    severity: Severity::Warning,
    options: &[RuleOption {
        name: "min",
        kind: OptionKind::Size,
        default: "4k",
        help: "explicit `*_buffer_size` values below this are reported",
    }],
    dialects: NGINX,
    doc: include_str!("../../rules/header-buffer-too-small.md"),
    check,
};

/// Locations that serve logins and sessions, whose responses carry large
/// cookies and tokens.
const AUTH_PATHS: &[&str] = &[
    "/auth", "/login", "/oauth", "/sso", "/saml", "/oidc", "/session",
];

fn check(check: &Check<'_>) -> Vec<Finding> {
    let g = check.gateway;
    let min = check.size("min");
    let mut seen = HashSet::new();
    let mut findings = Vec::new();
    for route in &g.routes {
        if !matches!(
            route.kind,
            PassKind::Proxy | PassKind::FastCgi | PassKind::Uwsgi | PassKind::Scgi | PassKind::Grpc
        ) {
            continue;
        }
        let name = format!("{}_buffer_size", route.kind.module());
        let log =
            "[error] upstream sent too big header while reading response header from upstream";
        match g.effective(route.item, &name) {
            Some(item) => {
                let Some(value) = g.x.value(item, 0) else {
                    continue;
                };
                let Ok(bytes) = parse_size(value) else {
                    continue;
                };
                if bytes < min && seen.insert(item) {
                    findings.push(
                        check
                            .finding(Severity::Warning, item, format!("`{name} {value}` is below {}", check.option_display("min")))
                            .label("response headers larger than this fail")
                            .help(format!("raise it to at least 8k (16k for login and API gateways), with `{m}_buffers` and `{m}_busy_buffers_size` to match", m = route.kind.module()))
                            .log(log),
                    );
                }
            }
            None => {
                let Some(location) = route.location else {
                    continue;
                };
                let path = g.x.values(location).last().copied().unwrap_or("");
                let auth_route = g.effective(route.item, "auth_request").is_some()
                    || AUTH_PATHS
                        .iter()
                        .any(|p| path.to_ascii_lowercase().contains(p));
                if auth_route && seen.insert(route.item) {
                    findings.push(
                        check
                            .finding(
                                Severity::Info,
                                route.item,
                                format!("`{name}` is left at its 4k default on a login or session route"),
                            )
                            .label("logins set large cookies and tokens; headers over 4k fail with 502")
                            .help(format!("set `{name} 16k;` (and `{m}_buffers 8 16k; {m}_busy_buffers_size 32k;`) here", m = route.kind.module()))
                            .log(log),
                    );
                }
            }
        }
    }
    findings
}
