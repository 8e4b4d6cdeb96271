//! `ssl-proxy-engine-off`: an `https://` backend in a server where
//! `SSLProxyEngine` is not on, so httpd cannot speak TLS to it.

use super::{APACHE, Check, Rule};
use crate::finding::{Finding, Severity};
use crate::model::Gateway;
use crate::model::apache::{ApacheUrl, parse_url};
use crate::model::expand::ItemId;
use crate::model::target::Scheme;

pub static RULE: Rule = Rule {
    name: "ssl-proxy-engine-off",
    summary: "an `https://` backend where `SSLProxyEngine` is not on: httpd answers 500",
    severity: Severity::Error,
    options: &[],
    dialects: APACHE,
    doc: include_str!("../../rules/ssl-proxy-engine-off.md"),
    check,
};

/// Whether an `SSLProxyEngine` directive says `on`.
fn is_on(g: &Gateway<'_>, directive: Option<ItemId>) -> bool {
    directive
        .and_then(|d| g.x.value(d, 0))
        .is_some_and(|v| v.eq_ignore_ascii_case("on"))
}

/// Since httpd 2.4.30 `SSLProxyEngine on` may sit in a `<Proxy url>` or
/// `<ProxyMatch regex>` section, and applies to the backends it matches:
/// the lower-case URL prefixes of such sections (`""` for a `<ProxyMatch>`,
/// taken to match everything, since gatelint does not evaluate regexes and
/// the rule must not fire on a configuration that may be right).
fn engine_sections(g: &Gateway<'_>) -> Vec<String> {
    g.x.all()
        .filter(|&id| is_on(g, g.x.find(Some(id), "sslproxyengine")))
        .filter_map(|id| match g.x.name(id) {
            "proxymatch" => Some(String::new()),
            "proxy" => g.x.value(id, 0).map(|pattern| {
                pattern
                    .split('*')
                    .next()
                    .unwrap_or(pattern)
                    .to_ascii_lowercase()
            }),
            _ => None,
        })
        .collect()
}

/// `host:port` and the host of a TLS URL, as httpd's log line names them.
fn url_authority(url: &str) -> Option<(String, String)> {
    match parse_url(url).ok()? {
        ApacheUrl::Worker(_, pass) => {
            let address = pass.address()?;
            Some((address.to_string(), pass.host))
        }
        _ => None,
    }
}

fn check(check: &Check<'_>) -> Vec<Finding> {
    let g = check.gateway;
    let sections = engine_sections(g);
    let mut findings = Vec::new();
    for route in &g.routes {
        // The route's own URL, or each TLS member of the balancer it names;
        // the engine must be on where the route is (the request's server).
        let mut tls_targets: Vec<(ItemId, usize)> = Vec::new();
        if route
            .pass
            .as_ref()
            .is_some_and(|p| p.scheme == Scheme::Https)
        {
            tls_targets.push((route.item, route.url_arg));
        }
        if let Some(upstream) = g.upstream_of(route) {
            for member in &upstream.servers {
                if let Some(worker) = &member.apache {
                    if worker.pass.scheme == Scheme::Https {
                        tls_targets.push((member.item, worker.url_arg));
                    }
                }
            }
        }
        let Some(&(item, arg)) = tls_targets.first() else {
            continue;
        };
        let url = g.x.value(item, arg).unwrap_or_default();
        let in_section = || {
            let url = url.to_ascii_lowercase();
            sections
                .iter()
                .any(|prefix| url.starts_with(prefix.as_str()))
        };
        if is_on(g, g.effective(route.item, "sslproxyengine")) || in_section() {
            continue;
        }
        let mut finding = Finding::at(
            RULE.name,
            Severity::Error,
            g.x.arg_span(item, arg),
            format!(
                "`{}` speaks TLS, but `SSLProxyEngine` is not on where it is used",
                g.x.value(item, arg).unwrap_or_default()
            ),
        )
        .label("httpd answers 500 for every request sent here")
        .help(
            if g.config().apache.modules_known && !g.config().apache.has_module("ssl") {
                "load mod_ssl (`a2enmod ssl`) and add `SSLProxyEngine on` to this virtual host"
            } else {
                "add `SSLProxyEngine on` to this virtual host (or the main server)"
            },
        )
        .log(match url_authority(url) {
            Some((address, host)) => format!(
                "[proxy:error] AH00961: https: failed to enable ssl support for {address} ({host})"
            ),
            None => "[proxy:error] AH00961: https: failed to enable ssl support".to_string(),
        });
        if item != route.item {
            finding = finding.related(
                g.x.arg_span(route.item, route.url_arg),
                "the route that uses it",
            );
        }
        findings.push(finding);
    }
    findings
}
