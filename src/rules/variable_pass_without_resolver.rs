//! `variable-pass-without-resolver`: a pass directive with variables makes
//! nginx resolve the host name for each request, which needs a `resolver`.

use super::{Check, NGINX, Rule};
use crate::finding::{Finding, Severity};
use crate::model::Target;
use crate::model::target::is_ip;

pub static RULE: Rule = Rule {
    name: "variable-pass-without-resolver",
    summary: "a pass directive whose host is resolved per request, with no `resolver` set",
    severity: Severity::Error,
    options: &[],
    dialects: NGINX,
    doc: include_str!("../../rules/variable-pass-without-resolver.md"),
    check,
};

fn check(check: &Check<'_>) -> Vec<Finding> {
    let g = check.gateway;
    // A snippet linted alone: its includer may set `resolver` in `http`, or
    // define upstreams that a bare name refers to.
    let snippet = g.config().inferred_context;
    let mut findings = Vec::new();
    for route in &g.routes {
        let Some(pass) = &route.pass else { continue };
        if !pass.has_variables || pass.unix.is_some() {
            continue;
        }
        // The host names nginx would have to resolve at request time.
        let hosts: Vec<String> = match &route.target {
            // A static host with variables elsewhere (`http://api$request_uri`).
            Target::Address(address) => address
                .host()
                .map(|h| vec![h.to_string()])
                .unwrap_or_default(),
            Target::Upstream(_) => Vec::new(),
            Target::Variable {
                candidates: Some(values),
                ..
            } => values.clone(),
            Target::Variable {
                expression,
                candidates: None,
            } => vec![expression.clone()],
            Target::Invalid(_) => Vec::new(),
        };
        let to_resolve: Vec<&String> = hosts
            .iter()
            .filter(|h| {
                let host = h.split(':').next().unwrap_or(h);
                let maybe_pool_elsewhere = snippet && !host.contains(['.', '$']);
                !is_ip(host.trim_matches(['[', ']']))
                    && !g.upstream_by_name.contains_key(host)
                    && !maybe_pool_elsewhere
            })
            .collect();
        let Some(first) = to_resolve.first() else {
            continue;
        };
        if g.effective(route.item, "resolver").is_some() {
            continue;
        }
        let what = if pass.host_is_variable {
            format!("its host `{}` comes from a variable", pass.host)
        } else {
            "it contains variables".to_string()
        };
        let shown = if first.contains('$') {
            "HOST".to_string()
        } else {
            first.to_string()
        };
        let (severity, label) = if snippet {
            (
                Severity::Warning,
                "no `resolver` is set in this file; the `http` block that includes it must set one",
            )
        } else {
            (Severity::Error, "no `resolver` is in effect here")
        };
        findings.push(
            check.finding(severity, route.item, format!("`{}` needs a `resolver`: {what}, so nginx looks the name up per request", g.x.text(route.item)),
            )
            .label(label)
            .help("add `resolver` with your DNS server (e.g. `resolver 127.0.0.53 valid=30s;` under systemd-resolved), or name an `upstream`")
            .log(format!("[error] no resolver defined to resolve {shown}")),
        );
    }
    findings
}
