//! `ssl-proxy-engine-off`: an `https://` backend in a server where
//! `SSLProxyEngine` is not on, so httpd cannot speak TLS to it.

use super::{APACHE, Check, Rule};
use crate::finding::{Finding, Severity};
use crate::model::apache::{ApacheUrl, parse_url};

pub static RULE: Rule = Rule {
    name: "ssl-proxy-engine-off",
    summary: "an `https://` backend where `SSLProxyEngine` is not on: httpd answers 500",
    severity: Severity::Error,
    options: &[],
    dialects: APACHE,
    doc: include_str!("../../rules/ssl-proxy-engine-off.md"),
    check,
};

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
    let engine_on = g.backend_setting("sslproxyengine", "on");
    let mut findings = Vec::new();
    for route in &g.routes {
        // The route's own URL, or each TLS member of the balancer it names;
        // the engine must be on where the route is (the request's server).
        let Some(&(item, arg, _)) = g.tls_targets(route).first() else {
            continue;
        };
        let url = g.x.value(item, arg).unwrap_or_default();
        if engine_on.holds(g, route.item, url) {
            continue;
        }
        let finding = Finding::at(
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
        findings.push(check.through_route(finding, item, route));
    }
    findings
}
