//! `proxy-loop`: a route whose target is one of this configuration's own
//! listeners, where the proxied request lands in the same server and
//! location again, and again, until nginx runs out of connections.

use super::{Check, Rule};
use crate::finding::{Finding, Severity};
use crate::model::target::{Address, PassKind, is_loopback};
use crate::model::{Gateway, Listen, Route, Server, Target};

pub static RULE: Rule = Rule {
    name: "proxy-loop",
    summary: "a route that proxies back to the same server and location",
    severity: Severity::Error,
    options: &[],
    doc: include_str!("../../rules/proxy-loop.md"),
    check,
};

fn check(check: &Check<'_>) -> Vec<Finding> {
    let g = check.gateway;
    let mut findings = Vec::new();
    for route in &g.routes {
        if route.kind != PassKind::Proxy {
            continue;
        }
        let (Some(pass), Target::Address(Address::Inet { host, .. })) =
            (&route.pass, &route.target)
        else {
            continue;
        };
        let Some(port) = pass.effective_port() else {
            continue;
        };
        let Some((server, listen)) = landing_server(g, route, host, port) else {
            continue;
        };
        if Some(server.item) != route.server || !same_location(g, route) {
            continue;
        }
        let mut finding = check
            .finding(
                Severity::Error,
                route.item,
                format!(
                    "`{}` sends each request back to this same server and location",
                    g.x.text(route.item)
                ),
            )
            .label("every request proxies to itself until connections run out")
            .help("point `proxy_pass` at the backend application, not at nginx's own listener")
            .log("[alert] 768 worker_connections are not enough while connecting to upstream");
        if let Some(item) = listen.item {
            finding = finding.related(
                g.x.span(item),
                format!("this server listens on port {port}"),
            );
        }
        findings.push(finding);
    }
    findings
}

/// The server (and its listener) that would take the proxied request.
fn landing_server<'g>(
    g: &'g Gateway<'_>,
    route: &Route,
    host: &str,
    port: u16,
) -> Option<(&'g Server, &'g Listen)> {
    let own_name = g.servers.iter().any(|s| s.names.iter().any(|n| n == host));
    if !is_loopback(host) && !own_name {
        return None;
    }
    let reaches = |listen: &Listen| match &listen.address {
        Address::Inet {
            host: bound,
            port: Some(p),
        } => {
            *p == port
                && (matches!(bound.as_str(), "*" | "0.0.0.0" | "::")
                    || bound == host
                    || (is_loopback(bound) && is_loopback(host)))
        }
        _ => false,
    };
    let candidates: Vec<(&Server, &Listen)> = g
        .servers
        .iter()
        .filter_map(|s| s.listens.iter().find(|l| reaches(l)).map(|l| (s, l)))
        .collect();
    if candidates.is_empty() {
        return None;
    }
    let sent_host = host_header(g, route);
    let name = match sent_host.as_deref() {
        // `$host` keeps the client's Host: the request stays in this server.
        Some("$host" | "$http_host") => {
            return candidates
                .into_iter()
                .find(|(s, _)| Some(s.item) == route.server);
        }
        Some(other) if other.contains('$') => return None,
        Some(literal) => literal.to_string(),
        None => host.to_string(),
    };
    candidates
        .iter()
        .find(|(s, _)| s.names.contains(&name))
        .or_else(|| candidates.iter().find(|(_, l)| l.default))
        .or_else(|| candidates.first())
        .copied()
}

/// The Host header the route sends (`None`: nginx's default, `$proxy_host`).
fn host_header(g: &Gateway<'_>, route: &Route) -> Option<String> {
    g.effective_all(route.item, "proxy_set_header")
        .into_iter()
        .find(|&h| {
            g.x.value(h, 0)
                .is_some_and(|n| n.eq_ignore_ascii_case("host"))
        })
        .and_then(|h| g.x.value(h, 1))
        .map(String::from)
}

/// Whether the proxied URI matches the route's own location again.
fn same_location(g: &Gateway<'_>, route: &Route) -> bool {
    let Some(pass) = &route.pass else {
        return false;
    };
    let Some(location) = route.location else {
        return false;
    };
    let Some(uri) = &pass.uri else {
        // No URI part: the request URI is passed on unchanged.
        return true;
    };
    let values = g.x.values(location);
    match values.as_slice() {
        [prefix] => uri.starts_with(prefix),
        ["^~", prefix] => uri.starts_with(prefix),
        ["=", exact] => uri == exact,
        _ => false,
    }
}
