//! `upstream-keepalive-misconfigured`: an upstream meant to keep
//! connections open, used by a route whose requests close them.

use std::collections::HashSet;

use super::{Check, NGINX, Rule};
use crate::finding::{Finding, Severity};
use crate::model::Feature;
use crate::model::target::PassKind;

pub static RULE: Rule = Rule {
    name: "upstream-keepalive-misconfigured",
    summary: "an upstream with keepalive used by a route that closes every connection",
    severity: Severity::Warning,
    options: &[],
    dialects: NGINX,
    doc: include_str!("../../rules/upstream-keepalive-misconfigured.md"),
    check,
};

fn check(check: &Check<'_>) -> Vec<Finding> {
    let g = check.gateway;
    let http11_default = g.version.has(Feature::ProxyHttp11ByDefault);
    let keepalive_default = g.version.has(Feature::UpstreamKeepaliveByDefault);
    let mut seen = HashSet::new();
    let mut findings = Vec::new();
    for route in &g.routes {
        if route.kind != PassKind::Proxy {
            continue;
        }
        for pool in g.pools_of(route) {
            let upstream = &g.upstreams[pool];
            if upstream.keepalive.is_none() && !keepalive_default {
                continue;
            }
            let version_item = g.effective(route.item, "proxy_http_version");
            let version = version_item
                .and_then(|i| g.x.value(i, 0))
                .unwrap_or(if http11_default { "1.1" } else { "1.0" });
            let connection = g
                .effective_all(route.item, "proxy_set_header")
                .into_iter()
                .find(|&h| {
                    g.x.value(h, 0)
                        .is_some_and(|n| n.eq_ignore_ascii_case("connection"))
                });
            let connection_value = connection.and_then(|h| g.x.value(h, 1));
            let problem = if version == "1.0" {
                Some((
                    version_item.unwrap_or(route.item),
                    "requests go out as HTTP/1.0, which closes the connection after each response"
                        .to_string(),
                    "set `proxy_http_version 1.1;`",
                ))
            } else if connection_value.is_some_and(|v| v.eq_ignore_ascii_case("close")) {
                Some((
                    connection.unwrap_or(route.item),
                    "`Connection: close` is sent with every request".to_string(),
                    "set `proxy_set_header Connection \"\";`",
                ))
            } else if connection.is_none() && !http11_default {
                Some((route.item, "nginx sends `Connection: close` unless `proxy_set_header Connection \"\"` is in effect here".to_string(), "set `proxy_set_header Connection \"\";` in this location (one `proxy_set_header` here drops all inherited ones)"))
            } else {
                None
            };
            let Some((item, why, fix)) = problem else {
                continue;
            };
            if !seen.insert((item, upstream.item)) {
                continue;
            }
            let kept = match upstream.keepalive {
                Some(k) => format!("`{}`", g.x.text(k)),
                None => format!(
                    "keepalive (the default since nginx {})",
                    Feature::UpstreamKeepaliveByDefault.since()
                ),
            };
            let mut finding = check
                .finding(Severity::Warning, item, format!("upstream `{}` keeps connections alive, but {why}", upstream.name))
                .label("every request opens a new connection to the backend")
                .help(format!("{fix}; under load, closed connections pile up in TIME_WAIT until new ones fail"))
                .log("[crit] connect() to 10.0.1.10:8080 failed (99: Cannot assign requested address) while connecting to upstream");
            if let Some(k) = upstream.keepalive {
                finding = finding.related(g.x.span(k), format!("{kept} here"));
            }
            findings.push(finding);
        }
    }
    findings
}
