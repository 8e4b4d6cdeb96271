//! `proxy-module-missing`: a route whose scheme or balancer needs a module
//! the configuration never loads. Checked only when the configuration loads
//! its modules itself (from `apache2.conf`/`httpd.conf`, or with
//! `--apache-modules`): a site linted alone does not say what its server has.

use super::{APACHE, Check, Rule};
use crate::finding::{Finding, Severity};
use crate::model::Route;
use crate::model::target::{PassKind, Scheme};

pub static RULE: Rule = Rule {
    name: "proxy-module-missing",
    summary: "a proxy scheme or balancer whose module is not loaded: httpd answers 500 or will not start",
    severity: Severity::Error,
    options: &[],
    dialects: APACHE,
    doc: include_str!("../../rules/proxy-module-missing.md"),
    check,
};

/// What happens without a module.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Every request to the route gets a 500.
    NoHandler,
    /// httpd refuses to start.
    NoStart,
}

/// The modules a route needs, with what their absence does.
fn needed(g: &crate::model::Gateway<'_>, route: &Route) -> Vec<(&'static str, Outcome)> {
    let mut out = vec![("proxy", Outcome::NoStart)];
    if g.x.name(route.item) == "rewriterule" {
        out.push(("rewrite", Outcome::NoStart));
    }
    let scheme_module = |kind: PassKind, scheme: Scheme| match kind {
        PassKind::FastCgi => Some("proxy_fcgi"),
        PassKind::Scgi => Some("proxy_scgi"),
        PassKind::Uwsgi => Some("proxy_uwsgi"),
        PassKind::Proxy if scheme == Scheme::Https => Some("proxy_http"),
        PassKind::Proxy => Some("proxy_http"),
        _ => None,
    };
    if let Some(pass) = &route.pass {
        out.extend(scheme_module(route.kind, pass.scheme).map(|m| (m, Outcome::NoHandler)));
        if pass.scheme == Scheme::Https {
            out.push(("ssl", Outcome::NoHandler));
        }
    }
    if let Some(upstream) = g.upstream_of(route) {
        out.push(("proxy_balancer", Outcome::NoHandler));
        out.push(("slotmem_shm", Outcome::NoStart));
        let lbmethod = g
            .route_param(route, "lbmethod")
            .first()
            .map(|(_, p)| p.value.to_ascii_lowercase())
            .or_else(|| {
                g.x.block(Some(upstream.item))
                    .into_iter()
                    .filter(|&c| g.x.name(c) == "proxyset")
                    .flat_map(|c| g.x.values(c))
                    .find_map(|v| v.strip_prefix("lbmethod=").map(str::to_ascii_lowercase))
            })
            .unwrap_or_else(|| "byrequests".into());
        let lb = match lbmethod.as_str() {
            "bytraffic" => "lbmethod_bytraffic",
            "bybusyness" => "lbmethod_bybusyness",
            "heartbeat" => "lbmethod_heartbeat",
            _ => "lbmethod_byrequests",
        };
        out.push((lb, Outcome::NoStart));
        for member in &upstream.servers {
            if let Some(worker) = &member.apache {
                out.extend(
                    scheme_module(worker.kind, worker.pass.scheme).map(|m| (m, Outcome::NoHandler)),
                );
            }
        }
    }
    out.dedup();
    out
}

fn check(check: &Check<'_>) -> Vec<Finding> {
    let g = check.gateway;
    let state = &g.config().apache;
    if !state.modules_known {
        return Vec::new();
    }
    let mut reported = std::collections::HashSet::new();
    let mut findings = Vec::new();
    for route in &g.routes {
        for (module, outcome) in needed(g, route) {
            if state.has_module(module) || !reported.insert(module) {
                continue;
            }
            let (label, log) = match outcome {
                Outcome::NoHandler => (
                    "httpd answers 500: no loaded module speaks this protocol".to_string(),
                    "[proxy:warn] AH01144: No protocol handler was valid for the URL (a proxy submodule is not loaded)".to_string(),
                ),
                Outcome::NoStart => (
                    "httpd refuses to start without it".to_string(),
                    format!("mod_{module} is required here"),
                ),
            };
            let span = g.x.arg_span(route.item, route.url_arg);
            findings.push(
                Finding::at(
                    RULE.name,
                    Severity::Error,
                    span,
                    format!("`mod_{module}` is not loaded, but `{}` needs it", g.x.value(route.item, route.url_arg).unwrap_or_default()),
                )
                .label(label)
                .help(format!(
                    "`a2enmod {module}` (Debian), or `LoadModule {module}_module modules/mod_{module}.so`"
                ))
                .log(log),
            );
        }
    }
    findings
}
