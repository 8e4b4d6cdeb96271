//! The rule engine: every rule is one file here and one page in `rules/`,
//! registered in the sorted list below. A rule reads the gateway model and
//! returns findings; the engine applies the user's settings (on/off,
//! severity, options) and runs every enabled rule on every configuration.

mod backend_reuse_race;
mod balancer_no_live_members;
mod connect_timeout_out_of_range;
mod header_buffer_too_small;
mod hostname_resolved_once;
mod https_upstream_without_sni;
mod invalid_pass_target;
mod keepalive_outlives_backend;
mod localhost_target;
mod next_upstream_disabled;
mod protocol_port_mismatch;
mod proxy_buffers_rejected;
mod proxy_loop;
mod proxy_module_missing;
mod proxy_pass_path_in_location;
mod read_timeout_too_low;
mod response_field_size_too_small;
mod scheme_port_mismatch;
mod ssl_proxy_engine_off;
mod ssl_verify_without_trusted_certificate;
mod tls_peer_name_mismatch;
mod unix_socket_handler_incomplete;
mod upstream_keepalive_misconfigured;
mod upstream_no_live_servers;
mod variable_pass_without_resolver;

use std::collections::HashMap;

use crate::finding::{Finding, Severity};
use crate::load::Workspace;
use crate::model::expand::ItemId;
use crate::model::{Gateway, NginxVersion, Route, Target, values};
use crate::syntax::Dialect;

pub const NGINX: &[Dialect] = &[Dialect::Nginx];
pub const APACHE: &[Dialect] = &[Dialect::Apache];
pub const BOTH: &[Dialect] = &[Dialect::Nginx, Dialect::Apache];

/// The kind of value an option takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptionKind {
    Duration,
    Size,
}

#[derive(Debug)]
pub struct RuleOption {
    pub name: &'static str,
    pub kind: OptionKind,
    pub default: &'static str,
    pub help: &'static str,
}

impl RuleOption {
    /// Checks a value the user gave.
    pub fn validate(&self, value: &str) -> Result<(), String> {
        match self.kind {
            OptionKind::Duration => values::parse_duration(value).map(|_| ()),
            OptionKind::Size => values::parse_size(value).map(|_| ()),
        }
    }
}

/// A rule: its name, what it finds, its default severity, its options, its
/// documentation page and its check.
pub struct Rule {
    pub name: &'static str,
    pub summary: &'static str,
    pub severity: Severity,
    pub options: &'static [RuleOption],
    /// The servers it checks.
    pub dialects: &'static [Dialect],
    /// `rules/<name>.md`, embedded.
    pub doc: &'static str,
    pub check: fn(&Check<'_>) -> Vec<Finding>,
}

impl std::fmt::Debug for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

/// Every rule, sorted by name.
pub static RULES: &[&Rule] = &[
    &backend_reuse_race::RULE,
    &balancer_no_live_members::RULE,
    &connect_timeout_out_of_range::RULE,
    &header_buffer_too_small::RULE,
    &hostname_resolved_once::RULE,
    &https_upstream_without_sni::RULE,
    &invalid_pass_target::RULE,
    &keepalive_outlives_backend::RULE,
    &localhost_target::RULE,
    &next_upstream_disabled::RULE,
    &protocol_port_mismatch::RULE,
    &proxy_buffers_rejected::RULE,
    &proxy_loop::RULE,
    &proxy_module_missing::RULE,
    &proxy_pass_path_in_location::RULE,
    &read_timeout_too_low::RULE,
    &response_field_size_too_small::RULE,
    &scheme_port_mismatch::RULE,
    &ssl_proxy_engine_off::RULE,
    &ssl_verify_without_trusted_certificate::RULE,
    &tls_peer_name_mismatch::RULE,
    &unix_socket_handler_incomplete::RULE,
    &upstream_keepalive_misconfigured::RULE,
    &upstream_no_live_servers::RULE,
    &variable_pass_without_resolver::RULE,
];

pub fn find(name: &str) -> Option<&'static Rule> {
    RULES.iter().copied().find(|r| r.name == name)
}

/// The user's settings for one rule.
#[derive(Clone, Debug, Default)]
pub struct RuleSettings {
    pub enabled: Option<bool>,
    pub severity: Option<Severity>,
    pub options: HashMap<String, String>,
}

/// Everything that decides what the rules report.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    pub version: NginxVersion,
    pub rules: HashMap<String, RuleSettings>,
    /// `--select`: only these rules (and loader checks).
    pub select: Option<Vec<String>>,
    /// `--ignore`: never these.
    pub ignore: Vec<String>,
    /// `[backends]`: what gatelint.toml says about each upstream's backends.
    pub backends: HashMap<String, BackendFacts>,
}

/// What the configuration file knows about a backend that nginx does not.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BackendFacts {
    /// How long the backend keeps an idle keep-alive connection, in ms.
    pub idle_timeout: Option<u64>,
    /// The largest response header line the backend sends, in bytes.
    pub header_size: Option<u64>,
}

impl Settings {
    /// What `[backends]` says about a route's backend: keyed by the upstream
    /// or balancer name (`pool` or `balancer://pool`), or by `host:port`.
    pub fn backend_for(&self, g: &Gateway<'_>, route: &Route) -> Option<(String, &BackendFacts)> {
        let mut keys: Vec<String> = Vec::new();
        if let Some(upstream) = g.upstream_of(route) {
            keys.push(upstream.name.clone());
            if let Some(bare) = upstream.name.strip_prefix("balancer://") {
                keys.push(bare.to_string());
            }
        }
        if let Target::Address(address) = &route.target {
            keys.push(address.to_string());
            keys.extend(address.host().map(String::from));
        }
        keys.into_iter()
            .find_map(|k| self.backends.get(&k).map(|facts| (k, facts)))
    }
}

impl Settings {
    pub fn enabled(&self, rule: &Rule) -> bool {
        if self.ignore.iter().any(|n| n == rule.name) {
            return false;
        }
        if let Some(select) = &self.select {
            return select.iter().any(|n| n == rule.name);
        }
        self.rules
            .get(rule.name)
            .and_then(|s| s.enabled)
            .unwrap_or(true)
    }

    /// Whether findings of a loader or parser check are reported.
    pub fn check_enabled(&self, name: &str) -> bool {
        !self.ignore.iter().any(|n| n == name)
            && self.rules.get(name).and_then(|s| s.enabled).unwrap_or(true)
    }

    pub fn severity_override(&self, name: &str) -> Option<Severity> {
        self.rules.get(name).and_then(|s| s.severity)
    }
}

/// What a rule's check sees: the model, and its options.
pub struct Check<'a> {
    pub gateway: &'a Gateway<'a>,
    pub rule: &'static Rule,
    pub settings: &'a Settings,
}

impl Check<'_> {
    /// A finding of this rule on a directive's first argument.
    pub fn finding(&self, severity: Severity, item: ItemId, message: impl Into<String>) -> Finding {
        Finding::at(
            self.rule.name,
            severity,
            self.gateway.x.arg_span(item, 0),
            message,
        )
    }

    /// A finding on the route's target (the URL of `ProxyPass`, the
    /// address of `proxy_pass`).
    pub fn route_finding(
        &self,
        severity: Severity,
        route: &Route,
        message: impl Into<String>,
    ) -> Finding {
        Finding::at(
            self.rule.name,
            severity,
            self.gateway.x.arg_span(route.item, route.url_arg),
            message,
        )
    }

    /// A finding on `item` (a balancer member, say) that a route reaches:
    /// points at the route too when that is another directive.
    pub fn through_route(&self, finding: Finding, item: ItemId, route: &Route) -> Finding {
        if item == route.item {
            return finding;
        }
        finding.related(
            self.gateway.x.arg_span(route.item, route.url_arg),
            "the route that uses it",
        )
    }

    fn option_text(&self, name: &str) -> &str {
        let default = self
            .rule
            .options
            .iter()
            .find(|o| o.name == name)
            .map(|o| o.default)
            .unwrap_or("");
        self.settings
            .rules
            .get(self.rule.name)
            .and_then(|s| s.options.get(name))
            .map(String::as_str)
            .unwrap_or(default)
    }

    /// A duration option in milliseconds (validated when settings load).
    pub fn duration(&self, name: &str) -> u64 {
        values::parse_duration(self.option_text(name)).unwrap_or(0)
    }

    /// A size option in bytes (validated when settings load).
    pub fn size(&self, name: &str) -> u64 {
        values::parse_size(self.option_text(name)).unwrap_or(0)
    }

    /// An option as the user wrote it.
    pub fn option_display(&self, name: &str) -> String {
        self.option_text(name).to_string()
    }
}

/// Runs every enabled rule on every configuration of the workspace.
pub fn run(ws: &Workspace, settings: &Settings) -> Vec<Finding> {
    // Many configurations (a directory of sites): one per core at a time.
    // One big configuration: its rules share the cores instead.
    crate::parallel::in_order(&ws.configs, |config| {
        let gateway =
            crate::timings::measure("model", || Gateway::build(ws, config, settings.version));
        crate::timings::measure("rules", || run_rules(&gateway, settings))
    })
    .into_iter()
    .flatten()
    .collect()
}

/// Gateways smaller than this run their rules on one core: starting
/// threads would cost more than the rules.
const PARALLEL_RULES_FROM_ITEMS: usize = 50_000;

/// Every enabled rule that checks this server, on one gateway. Rules only
/// read the gateway, so on a big one they run on every core at once.
fn run_rules(gateway: &Gateway<'_>, settings: &Settings) -> Vec<Finding> {
    let rules: Vec<&'static Rule> = RULES
        .iter()
        .copied()
        .filter(|rule| settings.enabled(rule) && rule.dialects.contains(&gateway.dialect()))
        .collect();
    let run = |rule: &&'static Rule| {
        let rule: &'static Rule = rule;
        let check = Check {
            gateway,
            rule,
            settings,
        };
        let mut found = crate::timings::measure_part("rules", rule.name, || (rule.check)(&check));
        if let Some(severity) = settings.severity_override(rule.name) {
            for finding in &mut found {
                finding.severity = severity;
            }
        }
        found
    };
    let results = if gateway.x.items.len() >= PARALLEL_RULES_FROM_ITEMS {
        crate::parallel::in_order(&rules, run)
    } else {
        rules.iter().map(run).collect()
    };
    results.into_iter().flatten().collect()
}

/// The closest name to `name` among `candidates`, for "did you mean".
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (edit_distance(name, c), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 4) && *d < name.len().max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            current.push(
                (previous[j] + cost)
                    .min(previous[j + 1] + 1)
                    .min(current[j] + 1),
            );
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_is_sorted_and_unique() {
        let names: Vec<&str> = RULES.iter().map(|r| r.name).collect();
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(names, sorted);
    }

    #[test]
    fn names_are_kebab_case_and_options_have_valid_defaults() {
        for rule in RULES {
            assert!(
                rule.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '-'),
                "{}",
                rule.name
            );
            for option in rule.options {
                option.validate(option.default).unwrap();
            }
        }
    }

    #[test]
    fn did_you_mean() {
        assert_eq!(closest("backnd", ["backend", "frontend"]), Some("backend"));
        assert_eq!(closest("zzz", ["backend"]), None);
    }
}
