//! `tls-peer-name-mismatch`: httpd checks an `https://` backend's
//! certificate against a name the certificate is unlikely to carry: the
//! client's Host (with `ProxyPreserveHost On`) or a bare IP address.

use std::collections::HashSet;

use super::{APACHE, Check, Rule};
use crate::finding::{Finding, Severity};
use crate::model::target::is_ip;

pub static RULE: Rule = Rule {
    name: "tls-peer-name-mismatch",
    summary: "an `https://` backend whose certificate httpd checks against the client's Host or an IP address",
    severity: Severity::Warning,
    options: &[],
    dialects: APACHE,
    doc: include_str!("../../rules/tls-peer-name-mismatch.md"),
    check,
};

const LOG: &str =
    "[proxy:error] AH00898: Error during SSL Handshake with remote server returned by /";

fn check(check: &Check<'_>) -> Vec<Finding> {
    let g = check.gateway;
    let check_off = g.backend_setting("sslproxycheckpeername", "off");
    let mut seen = HashSet::new();
    let mut findings = Vec::new();
    for route in &g.routes {
        let preserve_host = g
            .effective(route.item, "proxypreservehost")
            .and_then(|item| g.x.value(item, 0))
            .is_some_and(|v| v.eq_ignore_ascii_case("on"));
        let names: Vec<&str> = g
            .servers
            .iter()
            .find(|s| Some(s.item) == route.server)
            .map(|s| s.names.iter().map(String::as_str).collect())
            .unwrap_or_default();
        for (item, arg, pass) in g.tls_targets(route) {
            let url = g.x.value(item, arg).unwrap_or_default();
            if pass.host_is_variable
                || check_off.holds(g, route.item, url)
                || !seen.insert((item, route.server))
            {
                continue;
            }
            let host = pass.host.as_str();
            let finding = if preserve_host {
                // The client's Host is checked instead of the URL's: fine when
                // the URL names this site itself, or an address whose
                // certificate is the site's.
                if is_ip(host) || names.iter().any(|n| n.eq_ignore_ascii_case(host)) {
                    continue;
                }
                let checked = names
                    .first()
                    .map_or("the client's Host".to_string(), |n| format!("`{n}`"));
                Finding::at(
                    RULE.name,
                    Severity::Warning,
                    g.x.arg_span(item, arg),
                    format!(
                        "with `ProxyPreserveHost On`, httpd checks the certificate of `{host}` against the client's Host"
                    ),
                )
                .label(format!(
                    "the name checked (and sent as SNI) is {checked}, not `{host}`"
                ))
                .help(format!(
                    "give the backend a certificate for the public name, or turn `ProxyPreserveHost` off for this route, or set `SSLProxyCheckPeerName off` and verify `{host}` another way"
                ))
            } else if is_ip(host) {
                Finding::at(
                    RULE.name,
                    Severity::Warning,
                    g.x.arg_span(item, arg),
                    format!("httpd checks the certificate of `{host}` against the address `{host}`"),
                )
                .label("a certificate rarely names an IP address")
                .help(
                    "use the name the backend's certificate carries in the URL, or set `SSLProxyCheckPeerName off` where the address is trusted",
                )
            } else {
                continue;
            };
            findings.push(check.through_route(finding.log(LOG), item, route));
        }
    }
    findings
}
