//! `next-upstream-disabled`: `proxy_next_upstream off` in front of a pool
//! of several servers, so one dead server fails requests another would serve.

use std::collections::HashSet;

use super::{Check, NGINX, Rule};
use crate::finding::{Finding, Severity};

pub static RULE: Rule = Rule {
    name: "next-upstream-disabled",
    summary: "`proxy_next_upstream off` on a route to a pool of several servers",
    severity: Severity::Warning,
    options: &[],
    dialects: NGINX,
    doc: include_str!("../../rules/next-upstream-disabled.md"),
    check,
};

fn check(check: &Check<'_>) -> Vec<Finding> {
    let g = check.gateway;
    let mut seen = HashSet::new();
    let mut findings = Vec::new();
    for route in &g.routes {
        for pool in g.pools_of(route) {
            let upstream = &g.upstreams[pool];
            let serving = upstream.servers.iter().filter(|s| !s.down).count();
            if serving < 2 {
                continue;
            }
            let name = format!("{}_next_upstream", route.kind.module());
            let Some(item) = g.effective(route.item, &name) else {
                continue;
            };
            if g.x.value(item, 0) != Some("off") || !seen.insert((item, route.item)) {
                continue;
            }
            findings.push(
                check
                    .finding(
                        Severity::Warning,
                        item,
                        format!("`{name} off` in front of upstream `{}`, which has {serving} servers", upstream.name),
                    )
                    .label("a request that reaches a dead server fails instead of trying the next")
                    .related(g.x.arg_span(upstream.item, 0), format!("{serving} servers could take it"))
                    .help(format!("remove `{name} off` (the default retries connection errors and timeouts), or list what to retry: `{name} error timeout;`"))
                    .log("[error] connect() failed (111: Connection refused) while connecting to upstream"),
            );
        }
    }
    findings
}
