//! `keepalive-outlives-backend`: nginx keeps an idle connection to the
//! backend longer than the backend does, and reuses one the backend is
//! closing.

use super::{Check, NGINX, Rule};
use crate::finding::{Finding, Severity};
use crate::model::Feature;
use crate::model::values::{format_duration, parse_duration};

pub static RULE: Rule = Rule {
    name: "keepalive-outlives-backend",
    summary: "upstream keepalive that outlives the backend's own idle timeout",
    severity: Severity::Warning,
    options: &[],
    dialects: NGINX,
    doc: include_str!("../../rules/keepalive-outlives-backend.md"),
    check,
};

/// nginx's default `keepalive_timeout` in an upstream.
const DEFAULT_IDLE: u64 = 60_000;

/// gunicorn's 2s: the shortest idle timeout among common backends.
const SHORTEST_COMMON_IDLE: u64 = 2_000;

fn check(check: &Check<'_>) -> Vec<Finding> {
    let g = check.gateway;
    let keepalive_default = g.version.has(Feature::UpstreamKeepaliveByDefault);
    let used: std::collections::HashSet<usize> =
        g.routes.iter().flat_map(|r| g.pools_of(r)).collect();
    let mut findings = Vec::new();
    for (index, upstream) in g.upstreams.iter().enumerate() {
        if !used.contains(&index) || (upstream.keepalive.is_none() && !keepalive_default) {
            continue;
        }
        let timeout_item = g.x.find(Some(upstream.item), "keepalive_timeout");
        let ours = timeout_item
            .and_then(|i| g.x.value(i, 0))
            .and_then(|v| parse_duration(v).ok())
            .unwrap_or(DEFAULT_IDLE);
        let span = match timeout_item.or(upstream.keepalive) {
            Some(item) => g.x.arg_span(item, 0),
            None => g.x.arg_span(upstream.item, 0),
        };
        let log = "[error] upstream prematurely closed connection while reading response header from upstream";
        match check.settings.backends.get(&upstream.name).and_then(|b| b.idle_timeout) {
            Some(theirs) if ours >= theirs => findings.push(
                Finding::at(
                    RULE.name,
                    Severity::Warning,
                    span,
                    format!(
                        "upstream `{}` keeps idle connections {}, but its backend closes them after {}",
                        upstream.name,
                        format_duration(ours),
                        format_duration(theirs)
                    ),
                )
                .label("a request sent on a connection the backend is closing fails")
                .help(format!("set `keepalive_timeout {};` in the upstream, below the backend's", format_duration(theirs.saturating_sub(1000).max(1000))))
                .log(log),
            ),
            Some(_) => {}
            // Shorter than every common backend default: safe without knowing.
            None if ours < SHORTEST_COMMON_IDLE => {}
            None => findings.push(
                Finding::at(
                    RULE.name,
                    Severity::Info,
                    span,
                    format!("upstream `{}` keeps idle connections {}; is its backend's idle timeout longer?", upstream.name, format_duration(ours)),
                )
                .label("gatelint does not know the backend's idle timeout")
                .help(format!(
                    "common defaults are shorter: Node.js 5s, gunicorn 2s, Apache 5s; lower `keepalive_timeout` below the backend's, and tell gatelint in gatelint.toml: `[backends.{}] idle-timeout = \"5s\"`",
                    upstream.name
                ))
                .log(log),
            ),
        }
    }
    findings
}
