//! `https-upstream-without-sni`: TLS to a named backend without sending
//! the name (SNI), which shared TLS front ends need to pick a certificate.

use std::collections::HashSet;

use super::{Check, NGINX, Rule};
use crate::finding::{Finding, Severity};
use crate::model::Target;
use crate::model::target::{Address, is_ip};

pub static RULE: Rule = Rule {
    name: "https-upstream-without-sni",
    summary: "`https://` to a host name with `proxy_ssl_server_name` off",
    severity: Severity::Warning,
    options: &[],
    dialects: NGINX,
    doc: include_str!("../../rules/https-upstream-without-sni.md"),
    check,
};

fn check(check: &Check<'_>) -> Vec<Finding> {
    let g = check.gateway;
    let mut seen = HashSet::new();
    let mut findings = Vec::new();
    for route in &g.routes {
        let Some(pass) = &route.pass else { continue };
        if !pass.scheme.tls() {
            continue;
        }
        let named = match &route.target {
            Target::Address(Address::Inet { host, .. }) => !is_ip(host),
            Target::Upstream(i) => g.upstreams[*i]
                .servers
                .iter()
                .any(|s| s.address.host().is_some_and(|h| !is_ip(h))),
            Target::Variable { .. } => true,
            _ => false,
        };
        if !named {
            continue;
        }
        let name = format!("{}_ssl_server_name", route.kind.module());
        let on = g
            .effective(route.item, &name)
            .and_then(|i| g.x.value(i, 0))
            .is_some_and(|v| v.eq_ignore_ascii_case("on"));
        if on || !seen.insert(route.item) {
            continue;
        }
        findings.push(
            check
                .finding(Severity::Warning, route.item, format!("`{}` opens TLS without sending the server name (SNI)", g.x.text(route.item)))
                .label(format!("`{name}` is off (the default)"))
                .help(format!("add `{name} on;` (and `{}_ssl_name` when the certificate's name differs from the one in the URL)", route.kind.module()))
                .log("[error] SSL_do_handshake() failed (SSL: error:0A000458:SSL routines::tlsv1 unrecognized name:SSL alert number 112) while SSL handshaking to upstream"),
        );
    }
    findings
}
