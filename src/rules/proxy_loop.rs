//! `proxy-loop`: a route whose target is one of this configuration's own
//! listeners, where the proxied request lands in the same server and
//! location again, and again, until the server runs out of connections
//! (nginx) or workers (httpd).

use super::{BOTH, Check, Rule};
use crate::finding::{Finding, Severity};
use crate::model::target::{Address, PassKind, is_loopback};
use std::collections::{HashMap, HashSet};

use crate::model::{Gateway, Listen, Route, Server, Target};
use crate::syntax::Dialect;

pub static RULE: Rule = Rule {
    name: "proxy-loop",
    summary: "a route that proxies back to the same server and location",
    severity: Severity::Error,
    options: &[],
    dialects: BOTH,
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
        if g.dialect() == Dialect::Apache {
            findings.extend(apache_loop(check, &listeners, route, host, port));
            continue;
        }
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

/// Whether a listener bound to its address takes connections to `host`.
fn reaches(listen: &Listen, host: &str) -> bool {
    match &listen.address {
        Address::Inet { host: bound, .. } => {
            matches!(bound.as_str(), "*" | "0.0.0.0" | "::")
                || bound == host
                || (is_loopback(bound) && is_loopback(host))
        }
        _ => false,
    }
}

/// Apache: httpd must listen on the port (`Listen`, or the virtual host's
/// own address when the file has no `Listen`); the request lands in the
/// first `<VirtualHost>` for that address whose `ServerName`/`ServerAlias`
/// is the Host sent (the URL's host, or the client's with
/// `ProxyPreserveHost On`), else the first for that address, else the main
/// server; and its path must fall under the same `ProxyPass` again.
fn apache_loop(
    check: &Check<'_>,
    listeners: &Listeners<'_>,
    route: &Route,
    host: &str,
    port: u16,
) -> Option<Finding> {
    let g = check.gateway;
    if !is_loopback(host) && !listeners.names.contains(host) {
        return None;
    }
    let candidates: Vec<(&Server, &Listen)> = listeners
        .by_port
        .get(&port)
        .map(Vec::as_slice)
        .unwrap_or(&[])
        .iter()
        .filter(|(_, listen)| reaches(listen, host))
        .copied()
        .collect();
    let listening = g
        .apache_listens
        .iter()
        .find(|l| l.address.port() == Some(port) && reaches(l, host));
    if listening.is_none() && (!g.apache_listens.is_empty() || candidates.is_empty()) {
        return None;
    }
    let preserve_host = g
        .effective(route.item, "proxypreservehost")
        .and_then(|item| g.x.value(item, 0))
        .is_some_and(|v| v.eq_ignore_ascii_case("on"));
    let landing = if preserve_host {
        // The client's Host travels on: the same virtual host takes it.
        route.server
    } else {
        candidates
            .iter()
            .find(|(s, _)| s.names.iter().any(|n| n.eq_ignore_ascii_case(host)))
            .or_else(|| candidates.first())
            .map(|(s, _)| s.item)
    };
    if landing != route.server || !apache_same_path(g, route) {
        return None;
    }
    let mut finding = check
        .route_finding(
            Severity::Error,
            route,
            format!(
                "`{}` sends each request back to this same virtual host and path",
                g.x.text(route.item)
            ),
        )
        .label("every request proxies to itself until httpd runs out of workers")
        .help("point `ProxyPass` at the backend application, not at httpd's own `Listen`")
        .log("[mpm_event:error] AH00484: server reached MaxRequestWorkers setting, consider raising the MaxRequestWorkers setting");
    if let Some(item) = listening.and_then(|l| l.item) {
        finding = finding.related(g.x.span(item), format!("httpd listens on port {port}"));
    }
    Some(finding)
}

/// Whether the URL's path is matched by the route's own path again: the
/// `ProxyPass` path, or its `<Location>`'s (regular expressions are not
/// judged).
fn apache_same_path(g: &Gateway<'_>, route: &Route) -> bool {
    let Some(pass) = &route.pass else {
        return false;
    };
    let prefix = match (g.x.name(route.item), route.url_arg) {
        ("proxypass", 1) => g.x.value(route.item, 0),
        ("proxypass", 0) => route
            .location
            .filter(|&l| g.x.name(l) == "location")
            .and_then(|l| g.x.value(l, 0)),
        _ => None,
    };
    let Some(prefix) = prefix else {
        return false;
    };
    pass.uri.as_deref().unwrap_or("/").starts_with(prefix)
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
    let mut candidates: Vec<(&Server, &Listen)> = Vec::new();
    for &(server, listen) in listeners
        .by_port
        .get(&port)
        .map(Vec::as_slice)
        .unwrap_or(&[])
    {
        // One candidate per server: its first listen that reaches the target.
        if reaches(listen, host) && !candidates.iter().any(|(s, _)| s.item == server.item) {
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
