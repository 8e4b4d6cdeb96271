//! `proxy-module-missing`: a route whose scheme or balancer needs a module
//! the configuration never loads. Checked only when the configuration loads
//! its modules itself (from `apache2.conf`/`httpd.conf`, or with
//! `--apache-modules`): a site linted alone does not say what its server has.

use super::{APACHE, Check, Rule};
use crate::finding::{Finding, Severity};
use crate::model::target::PassKind;
use crate::model::{Gateway, Route};

pub static RULE: Rule = Rule {
    name: "proxy-module-missing",
    summary: "a proxy scheme or balancer whose module is not loaded: httpd answers 500 or will not start",
    severity: Severity::Error,
    options: &[],
    dialects: APACHE,
    doc: include_str!("../../rules/proxy-module-missing.md"),
    check,
};

/// A module a route needs, what its absence does, and what httpd logs then
/// (each line as Debian's httpd 2.4 prints it).
struct Need {
    module: &'static str,
    /// What its absence does, in the finding's label.
    outcome: &'static str,
    log: String,
}

const REFUSES: &str = "httpd refuses to start without it";
const ANSWERS_500: &str = "httpd answers 500: no loaded module speaks this protocol";

const NO_HANDLER_LOG: &str = "[proxy:warn] AH01144: No protocol handler was valid for the URL (a proxy submodule is not loaded)";

fn handler(module: &'static str) -> Need {
    Need {
        module,
        outcome: ANSWERS_500,
        log: NO_HANDLER_LOG.to_string(),
    }
}

fn invalid_command(module: &'static str, directive: &str) -> Need {
    Need {
        module,
        outcome: REFUSES,
        log: format!(
            "Invalid command '{directive}', perhaps misspelled or defined by a module not included in the server configuration"
        ),
    }
}

/// The module that speaks a worker's protocol.
fn protocol_module(kind: PassKind) -> Option<&'static str> {
    match kind {
        PassKind::FastCgi => Some("proxy_fcgi"),
        PassKind::Scgi => Some("proxy_scgi"),
        PassKind::Uwsgi => Some("proxy_uwsgi"),
        PassKind::Proxy => Some("proxy_http"),
        _ => None,
    }
}

/// The modules a route needs. (`mod_ssl` for `https://` is
/// `ssl-proxy-engine-off`'s to report, with the engine it also needs.)
fn needed(g: &Gateway<'_>, route: &Route) -> Vec<Need> {
    let written = g.x.source(route.item).slice(g.x.name_span(route.item));
    let mut out = Vec::new();
    if g.x.name(route.item) == "rewriterule" {
        out.push(invalid_command("rewrite", written));
        // The rule parses without mod_proxy; `[P]` is refused per request.
        out.push(Need {
            module: "proxy",
            outcome: "httpd answers 403: mod_rewrite cannot proxy without mod_proxy",
            log: "[rewrite:error] AH00669: attempt to make remote request from mod_rewrite without proxy enabled".into(),
        });
    } else {
        out.push(invalid_command("proxy", written));
    }
    if route.pass.is_some() {
        out.extend(protocol_module(route.kind).map(handler));
    }
    if let Some(upstream) = g.upstream_of(route) {
        out.push(handler("proxy_balancer"));
        out.push(Need {
            module: "slotmem_shm",
            outcome: REFUSES,
            log: "[proxy_balancer:emerg] AH01177: Failed to lookup provider 'shm' for 'slotmem': is mod_slotmem_shm loaded??".into(),
        });
        let lbmethod = upstream
            .params
            .iter()
            .find(|p| p.key == "lbmethod")
            .map(|p| p.value.to_ascii_lowercase())
            .unwrap_or_else(|| "byrequests".into());
        let module = match lbmethod.as_str() {
            "bytraffic" => "lbmethod_bytraffic",
            "bybusyness" => "lbmethod_bybusyness",
            "heartbeat" => "lbmethod_heartbeat",
            _ => "lbmethod_byrequests",
        };
        out.push(Need {
            module,
            outcome: REFUSES,
            log: format!("[proxy:crit] AH02432: Cannot find LB Method: {lbmethod}"),
        });
        for member in &upstream.servers {
            if let Some(worker) = &member.apache {
                out.extend(protocol_module(worker.kind).map(handler));
            }
        }
    }
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
        for need in needed(g, route) {
            if state.has_module(need.module) || !reported.insert(need.module) {
                continue;
            }
            let module = need.module;
            let span = g.x.arg_span(route.item, route.url_arg);
            findings.push(
                Finding::at(
                    RULE.name,
                    Severity::Error,
                    span,
                    format!(
                        "`mod_{module}` is not loaded, but `{}` needs it",
                        g.x.value(route.item, route.url_arg).unwrap_or_default()
                    ),
                )
                .label(need.outcome)
                .help(format!(
                    "`a2enmod {module}` (Debian), or `LoadModule {module}_module modules/mod_{module}.so`"
                ))
                .log(need.log),
            );
        }
    }
    findings
}
