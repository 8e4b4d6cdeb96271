//! `hostname-resolved-once`: a backend named by host name that nginx
//! resolves once, at startup, and keeps using after the name moves.

use std::collections::HashSet;

use super::{Check, NGINX, Rule};
use crate::finding::{Finding, Severity};
use crate::model::target::{Address, is_ip};
use crate::model::{Feature, Target};

pub static RULE: Rule = Rule {
    name: "hostname-resolved-once",
    summary: "a backend host name that nginx resolves only at startup",
    severity: Severity::Warning,
    options: &[],
    dialects: NGINX,
    doc: include_str!("../../rules/hostname-resolved-once.md"),
    check,
};

/// A name DNS may move: not an IP, not `localhost` (the hosts file).
fn movable(host: &str) -> bool {
    !is_ip(host) && !host.eq_ignore_ascii_case("localhost") && !host.contains('$')
}

fn check(check: &Check<'_>) -> Vec<Finding> {
    let g = check.gateway;
    let snippet = g.config().inferred_context;
    let has_resolve = g.version.has(Feature::UpstreamServerResolve);
    let mut seen = HashSet::new();
    let mut findings = Vec::new();
    let log = "[error] connect() failed (113: No route to host) while connecting to upstream";
    for route in &g.routes {
        match &route.target {
            Target::Address(address @ Address::Inet { host, port }) if movable(host) => {
                let has_variables = route.pass.as_ref().is_some_and(|p| p.has_variables);
                // A bare name in a snippet may be an upstream defined elsewhere.
                if has_variables
                    || (snippet && port.is_none() && !host.contains('.'))
                    || !seen.insert(route.item)
                {
                    continue;
                }
                let help = if has_resolve {
                    format!(
                        "put it in an upstream with `server {address} resolve;` (and a `zone` and a `resolver`), or use `resolver` with a variable: `set $backend {host};` and `$backend` in the pass directive"
                    )
                } else {
                    format!(
                        "use `resolver` with a variable so nginx resolves per request: `set $backend {host};` and `$backend` in the pass directive"
                    )
                };
                findings.push(
                    check
                        .finding(Severity::Warning, route.item, format!("`{}` resolves `{host}` once, at startup", g.x.text(route.item)))
                        .label("after a DNS change nginx keeps sending to the old address until a reload")
                        .help(help)
                        .log(log),
                );
            }
            Target::Upstream(index) => {
                for server in &g.upstreams[*index].servers {
                    let Some(host) = server.address.host() else {
                        continue;
                    };
                    if !movable(host) || server.resolve || !seen.insert(server.item) {
                        continue;
                    }
                    let help = if has_resolve {
                        "add `resolve` to the server (with a `zone` in the upstream and a `resolver` in `http`)".to_string()
                    } else {
                        format!(
                            "nginx {} has no `resolve` for upstream servers (1.27.3 added it): upgrade, or pass to a variable with `resolver`",
                            g.version
                        )
                    };
                    findings.push(
                        check
                            .finding(Severity::Warning, server.item, format!("upstream server `{host}` is resolved once, at startup"))
                            .label("after a DNS change nginx keeps sending to the old address until a reload")
                            .help(help)
                            .log(log),
                    );
                }
            }
            _ => {}
        }
    }
    findings
}
