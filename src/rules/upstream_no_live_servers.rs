//! `upstream-no-live-servers`: a pool nginx can never send a request to,
//! and a route to a pool name that does not exist.

use super::{Check, NGINX, Rule, closest};
use crate::finding::{Finding, Severity};
use crate::model::Target;
use crate::model::target::{Address, is_ip};

pub static RULE: Rule = Rule {
    name: "upstream-no-live-servers",
    summary: "an upstream with no server that can take a request, or a route to an upstream that does not exist",
    severity: Severity::Error,
    options: &[],
    dialects: NGINX,
    doc: include_str!("../../rules/upstream-no-live-servers.md"),
    check,
};

fn check(check: &Check<'_>) -> Vec<Finding> {
    let g = check.gateway;
    let x = &g.x;
    let mut findings = Vec::new();
    let used: std::collections::HashSet<usize> =
        g.routes.iter().flat_map(|r| g.pools_of(r)).collect();
    for (index, upstream) in g.upstreams.iter().enumerate() {
        let name_span = x.arg_span(upstream.item, 0);
        let used = used.contains(&index);
        let has_zone = x.find(Some(upstream.item), "zone").is_some();
        if upstream.servers.is_empty() {
            if !has_zone {
                findings.push(
                    Finding::at(
                        RULE.name,
                        Severity::Error,
                        name_span,
                        format!("upstream `{}` has no servers", upstream.name),
                    )
                    .label("nginx refuses to start with this upstream")
                    .help("add a `server` to the upstream, or remove it")
                    .log("[emerg] no servers are inside upstream"),
                );
            }
            continue;
        }
        let primaries: Vec<_> = upstream.servers.iter().filter(|s| !s.backup).collect();
        if primaries.is_empty() {
            let mut finding = Finding::at(
                RULE.name,
                Severity::Error,
                name_span,
                format!("upstream `{}` has only `backup` servers", upstream.name),
            )
            .label("nginx refuses to start: a backup needs a primary server to stand in for")
            .help("remove `backup` from at least one server")
            .log(format!(
                "[emerg] no servers in upstream \"{}\"",
                upstream.name
            ));
            for server in &upstream.servers {
                finding = finding.related(x.span(server.item), "backup");
            }
            findings.push(finding);
            continue;
        }
        let live = upstream.servers.iter().any(|s| !s.down);
        if !live && used {
            let mut finding = Finding::at(
                RULE.name,
                Severity::Error,
                name_span,
                format!(
                    "every server of upstream `{}` is marked `down`",
                    upstream.name
                ),
            )
            .label("every request routed here fails with 502")
            .help("remove `down` from the servers that are in service")
            .log("[error] no live upstreams while connecting to upstream");
            for server in &upstream.servers {
                finding = finding.related(x.span(server.item), "down");
            }
            findings.push(finding);
        }
    }
    findings.extend(undefined_pools(check));
    findings
}

/// `proxy_pass http://backnd` where `backnd` is no upstream and no host name
/// a resolver would know: nginx will not start ("host not found").
fn undefined_pools(check: &Check<'_>) -> Vec<Finding> {
    let g = check.gateway;
    let x = &g.x;
    let mut findings = Vec::new();
    let names: Vec<&str> = g.upstreams.iter().map(|u| u.name.as_str()).collect();
    for route in &g.routes {
        let Target::Address(Address::Inet { host, port: None }) = &route.target else {
            continue;
        };
        let looks_like_pool =
            !host.contains('.') && host != "localhost" && !is_ip(host) && !host.contains('$');
        if !looks_like_pool {
            continue;
        }
        let span = x.arg_span(route.item, 0);
        let log = format!("[emerg] host not found in upstream \"{host}\"");
        match closest(host, names.iter().copied()) {
            Some(similar) => {
                let upstream = &g.upstreams[g.upstream_by_name[similar]];
                findings.push(
                    Finding::at(RULE.name, Severity::Error, span, format!("no upstream is named `{host}`; did you mean `{similar}`?"))
                        .label("nginx resolves this as a host name at startup, and fails")
                        .related(x.arg_span(upstream.item, 0), format!("`{similar}` is defined here"))
                        .help(format!("write `{similar}`"))
                        .log(log),
                );
            }
            // A snippet linted alone may use pools defined elsewhere.
            None if !g.config().inferred_context => findings.push(
                Finding::at(
                    RULE.name,
                    Severity::Warning,
                    span,
                    format!("`{host}` is not an upstream of this configuration"),
                )
                .label("nginx resolves it as a host name at startup and refuses to start if that fails")
                .help(format!("define `upstream {host} {{ … }}`, or write the backend's full host name and port"))
                .log(log),
            ),
            None => {}
        }
    }
    findings
}
