//! `proxy-loop`: a route whose target is one of this configuration's own
//! listeners, where the proxied request lands in the same server and
//! location again, and again, until nginx runs out of connections.

use super::{Check, NGINX, Rule};
use crate::finding::{Finding, Severity};
use crate::model::target::{Address, PassKind, is_loopback};
use std::collections::{HashMap, HashSet};

use crate::model::{Gateway, Listen, Route, Server, Target};

pub static RULE: Rule = Rule {
    name: "proxy-loop",
    summary: "a route that proxies back to the same server and location",
    severity: Severity::Error,
    options: &[],
    dialects: NGINX,
    doc: include_str!("../../rules/proxy-loop.md"),
    check,
};

/// Listeners by port, and every `server_name`: built once per configuration
/// so that each route is judged without scanning every server.
struct Listeners<'g> {
    by_port: HashMap<u16, Vec<(&'g Server, &'g Listen)>>,
    names: HashSet<&'g str>,
}

impl<'g> Listeners<'g> {
    fn new(g: &'g Gateway<'_>) -> Listeners<'g> {
        let mut by_port: HashMap<u16, Vec<(&Server, &Listen)>> = HashMap::new();
        for server in &g.servers {
            for listen in &server.listens {
                if let Some(port) = listen.address.port() {
                    by_port.entry(port).or_default().push((server, listen));
                }
            }
        }
        let names = g
            .servers
            .iter()
            .flat_map(|s| s.names.iter().map(String::as_str))
            .collect();
        Listeners { by_port, names }
    }
}

fn check(check: &Check<'_>) -> Vec<Finding> {
    let g = check.gateway;
    let listeners = Listeners::new(g);
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
        let Some((server, listen)) = landing_server(g, &listeners, route, host, port) else {
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
            .log("[alert] 768 worker_connections are not enough");
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
    listeners: &Listeners<'g>,
    route: &Route,
    host: &str,
    port: u16,
) -> Option<(&'g Server, &'g Listen)> {
    if !is_loopback(host) && !listeners.names.contains(host) {
        return None;
    }
    let reaches = |listen: &Listen| match &listen.address {
        Address::Inet { host: bound, .. } => {
            matches!(bound.as_str(), "*" | "0.0.0.0" | "::")
                || bound == host
                || (is_loopback(bound) && is_loopback(host))
        }
        _ => false,
    };
    let mut candidates: Vec<(&Server, &Listen)> = Vec::new();
    for &(server, listen) in listeners
        .by_port
        .get(&port)
        .map(Vec::as_slice)
        .unwrap_or(&[])
    {
        // One candidate per server: its first listen that reaches the target.
        if reaches(listen) && !candidates.iter().any(|(s, _)| s.item == server.item) {
            candidates.push((server, listen));
        }
    }
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
