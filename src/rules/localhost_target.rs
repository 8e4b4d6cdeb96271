//! `localhost-target`: `localhost` as a backend's host, which nginx
//! resolves to both 127.0.0.1 and ::1.

use std::collections::HashSet;

use super::{Check, NGINX, Rule};
use crate::finding::{Finding, Severity};
use crate::model::Target;
use crate::model::target::Address;

pub static RULE: Rule = Rule {
    name: "localhost-target",
    summary: "`localhost` as a backend, which is two addresses (127.0.0.1 and ::1)",
    severity: Severity::Warning,
    options: &[],
    dialects: NGINX,
    doc: include_str!("../../rules/localhost-target.md"),
    check,
};

fn check(check: &Check<'_>) -> Vec<Finding> {
    let g = check.gateway;
    let mut seen = HashSet::new();
    let mut findings = Vec::new();
    let is_localhost = |a: &Address| {
        a.host()
            .is_some_and(|h| h.eq_ignore_ascii_case("localhost"))
    };
    for route in &g.routes {
        let items: Vec<_> = match &route.target {
            Target::Address(a) if is_localhost(a) => vec![route.item],
            Target::Upstream(i) => g.upstreams[*i]
                .servers
                .iter()
                .filter(|s| is_localhost(&s.address))
                .map(|s| s.item)
                .collect(),
            _ => Vec::new(),
        };
        for item in items {
            if !seen.insert(item) {
                continue;
            }
            let port = match &route.target {
                Target::Address(a) => a
                    .port()
                    .or(route.pass.as_ref().and_then(|p| p.effective_port())),
                _ => {
                    g.x.value(item, 0)
                        .and_then(|v| Address::parse(v).ok())
                        .and_then(|a| a.port())
                }
            };
            let suggestion = port.map_or("127.0.0.1".to_string(), |p| format!("127.0.0.1:{p}"));
            findings.push(
                check
                    .finding(Severity::Warning, item, format!("`{}` targets `localhost`, which is both 127.0.0.1 and ::1", g.x.text(item)))
                    .label("half the attempts go to an address family the backend may not listen on")
                    .help(format!("write the address the backend listens on, e.g. `{suggestion}`"))
                    .log("[error] connect() failed (111: Connection refused) while connecting to upstream, upstream: \"http://[::1]:…\""),
            );
        }
    }
    findings
}
