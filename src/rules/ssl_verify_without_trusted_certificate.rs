//! `ssl-verify-without-trusted-certificate`: `proxy_ssl_verify on` (and
//! its grpc and uwsgi siblings) with nothing to verify against.

use std::collections::HashSet;

use super::{Check, NGINX, Rule};
use crate::finding::{Finding, Severity};

pub static RULE: Rule = Rule {
    name: "ssl-verify-without-trusted-certificate",
    summary: "`proxy_ssl_verify on` with no `proxy_ssl_trusted_certificate`",
    severity: Severity::Error,
    options: &[],
    dialects: NGINX,
    doc: include_str!("../../rules/ssl-verify-without-trusted-certificate.md"),
    check,
};

fn check(check: &Check<'_>) -> Vec<Finding> {
    let g = check.gateway;
    let mut seen = HashSet::new();
    let mut findings = Vec::new();
    for route in &g.routes {
        let tls = route.pass.as_ref().is_some_and(|p| p.scheme.tls());
        if !tls {
            continue;
        }
        let module = route.kind.module();
        let verify = format!("{module}_ssl_verify");
        let Some(item) = g.effective(route.item, &verify) else {
            continue;
        };
        if !g
            .x
            .value(item, 0)
            .is_some_and(|v| v.eq_ignore_ascii_case("on"))
            || !seen.insert(item)
        {
            continue;
        }
        let trusted = format!("{module}_ssl_trusted_certificate");
        if g.effective(route.item, &trusted).is_some() {
            continue;
        }
        findings.push(
            check
                .finding(Severity::Error, item, format!("`{verify} on` with no `{trusted}` in effect"))
                .label("nginx has no certificate authority to verify the backend against")
                .related(g.x.arg_span(route.item, 0), "for this TLS backend")
                .help(format!("add `{trusted} /etc/ssl/certs/ca-certificates.crt;` (or your internal CA) where `{verify}` is set"))
                .log(format!("[emerg] no {trusted} for {verify}")),
        );
    }
    findings
}
