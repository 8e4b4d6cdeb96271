//! `balancer-no-live-members`: a balancer whose members are all disabled,
//! or one that cannot recover on its own once every member has failed.

use super::{APACHE, Check, OptionKind, Rule, RuleOption};
use crate::finding::{Finding, Severity};
use crate::model::values::{format_duration, parse_duration};

pub static RULE: Rule = Rule {
    name: "balancer-no-live-members",
    summary: "a balancer with every member disabled, or stuck in error state after one failure",
    severity: Severity::Error,
    options: &[RuleOption {
        name: "max-retry",
        kind: OptionKind::Duration,
        default: "10s",
        help: "with `forcerecovery=Off`, a `retry` at or above this keeps a failed balancer down too long",
    }],
    dialects: APACHE,
    doc: include_str!("../../rules/balancer-no-live-members.md"),
    check,
};

const LOG: &str = "[proxy_balancer:error] AH01170";

fn check(check: &Check<'_>) -> Vec<Finding> {
    let g = check.gateway;
    let max_retry = check.duration("max-retry");
    let mut findings = Vec::new();
    for upstream in &g.upstreams {
        let members: Vec<_> = upstream
            .servers
            .iter()
            .filter(|m| m.apache.is_some())
            .collect();
        if members.is_empty() {
            continue;
        }
        if members.iter().all(|m| m.down) {
            let mut finding = Finding::at(
                RULE.name,
                Severity::Error,
                g.x.arg_span(upstream.item, 0),
                format!("every member of `{}` is disabled", upstream.name),
            )
            .label("httpd answers 503 for every request to this balancer")
            .help("remove `status=+D` from at least one member, or stop routing to this balancer")
            .log(format!(
                "{LOG}: {}: All workers are in error state",
                upstream.name
            ));
            for member in &members {
                finding = finding.related(g.x.span(member.item), "disabled (`status=+D`)");
            }
            findings.push(finding);
            continue;
        }
        // forcerecovery (on by default) retries every member at once when
        // all have failed; off, the balancer waits out each `retry`.
        let forcerecovery_off = upstream
            .params
            .iter()
            .any(|p| p.key == "forcerecovery" && p.value.eq_ignore_ascii_case("off"));
        if !forcerecovery_off {
            continue;
        }
        let live: Vec<_> = members.iter().filter(|m| !m.down).collect();
        let retry = |m: &&&crate::model::UpstreamServer| -> u64 {
            m.apache
                .as_ref()
                .and_then(|w| w.params.iter().find(|p| p.key == "retry"))
                .and_then(|p| parse_duration(&p.value).ok())
                .unwrap_or(60_000)
        };
        let shortest = live.iter().map(retry).min().unwrap_or(60_000);
        if shortest >= max_retry {
            findings.push(
                Finding::at(
                    RULE.name,
                    Severity::Warning,
                    g.x.arg_span(upstream.item, 0),
                    format!(
                        "once every member of `{}` fails, it stays down for {} with `forcerecovery=Off`",
                        upstream.name,
                        format_duration(shortest)
                    ),
                )
                .label("one failed request puts the balancer in error state: 503 until `retry` runs out")
                .help("leave `forcerecovery` on (the default), or set `retry=` a few seconds on the members")
                .log(format!("{LOG}: {}: All workers are in error state", upstream.name)),
            );
        }
    }
    findings
}
