//! `ssl-proxy-engine-off`: an `https://` backend in a server where
//! `SSLProxyEngine` is not on, so httpd cannot speak TLS to it.

use super::{APACHE, Check, Rule};
use crate::finding::{Finding, Severity};
use crate::model::Gateway;
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

fn engine_on(g: &Gateway<'_>, at: ItemId) -> bool {
    g.effective(at, "sslproxyengine")
        .and_then(|d| g.x.value(d, 0))
        .is_some_and(|v| v.eq_ignore_ascii_case("on"))
}

/// Since httpd 2.4.30 `SSLProxyEngine on` may sit in a `<Proxy url>` or
/// `<ProxyMatch regex>` section, and applies to the backends it matches. A
/// `<ProxyMatch>` is taken to match (gatelint does not evaluate regexes),
/// so that the rule never fires on a configuration that may be right.
fn proxy_section_enables(g: &Gateway<'_>, url: &str) -> bool {
    g.x.all().any(|id| {
        let matches = match g.x.name(id) {
            "proxymatch" => true,
            "proxy" => g.x.value(id, 0).is_some_and(|pattern| {
                let literal = pattern.split('*').next().unwrap_or(pattern);
                url.to_ascii_lowercase()
                    .starts_with(&literal.to_ascii_lowercase())
            }),
            _ => false,
        };
        matches
            && g.x
                .find(Some(id), "sslproxyengine")
                .and_then(|d| g.x.value(d, 0))
                .is_some_and(|v| v.eq_ignore_ascii_case("on"))
    })
}

fn check(check: &Check<'_>) -> Vec<Finding> {
    let g = check.gateway;
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
        if engine_on(g, route.item) || proxy_section_enables(g, url) {
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
        .help(if g.config().apache.modules_known && !g.config().apache.has_module("ssl") {
            "load mod_ssl (`a2enmod ssl`) and add `SSLProxyEngine on` to this virtual host"
        } else {
            "add `SSLProxyEngine on` to this virtual host (or the main server)"
        })
        .log("[ssl:error] AH01961: SSL Proxy requested for 127.0.0.1:80 but not enabled [Hint: SSLProxyEngine]");
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
