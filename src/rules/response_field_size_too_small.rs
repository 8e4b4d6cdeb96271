//! `response-field-size-too-small`: a backend that sends response header
//! lines longer than httpd accepts (`responsefieldsize`, 8192 bytes by
//! default): httpd drops the response and answers 502.

use super::{APACHE, Check, Rule};
use crate::finding::{Finding, Severity};
use crate::model::target::PassKind;

pub static RULE: Rule = Rule {
    name: "response-field-size-too-small",
    summary: "backend header lines longer than `responsefieldsize` (8192 by default): 502",
    severity: Severity::Warning,
    options: &[],
    dialects: APACHE,
    doc: include_str!("../../rules/response-field-size-too-small.md"),
    check,
};

const DEFAULT: u64 = 8192;

/// Paths whose responses carry big cookies and tokens.
const AUTH_PATHS: &[&str] = &[
    "auth", "login", "logout", "oauth", "oidc", "openid", "sso", "saml", "session", "callback",
    "token", "keycloak",
];

fn check(check: &Check<'_>) -> Vec<Finding> {
    let g = check.gateway;
    let mut findings = Vec::new();
    for route in &g.routes {
        if route.kind != PassKind::Proxy {
            continue;
        }
        let configured = g.route_param(route, "responsefieldsize");
        let size = configured
            .iter()
            .filter_map(|(_, p)| crate::model::values::parse_size(&p.value).ok())
            .min()
            .unwrap_or(DEFAULT);
        let span = configured
            .first()
            .map(|(item, p)| g.x.arg_span(*item, p.arg))
            .unwrap_or_else(|| g.x.arg_span(route.item, route.url_arg));
        let known = check
            .settings
            .backend_for(g, route)
            .and_then(|(name, facts)| facts.header_size.map(|s| (name, s)));
        if let Some((name, sends)) = known {
            if sends > size {
                findings.push(
                    Finding::at(RULE.name, Severity::Warning, span, format!(
                        "`{name}` sends header lines of {sends} bytes, above httpd's limit of {size}"
                    ))
                    .label("httpd rejects the response and answers 502")
                    .help(format!("add `responsefieldsize={}` to the worker (`ProxyPass … responsefieldsize=…` or `BalancerMember`)", sends.next_power_of_two().max(16384)))
                    .log("[proxy_http:error] AH10124: header size is over the limit allowed by ResponseFieldSize (8192 bytes). Bad response header: 'Set-Cookie: …'"),
                );
            }
            continue;
        }
        if !configured.is_empty() {
            continue;
        }
        // The route's path: its `<Location>`, else the directive's first
        // argument (`ProxyPass /auth/ …`, a `RewriteRule` pattern).
        let route_path = route
            .location
            .or(Some(route.item))
            .and_then(|at| g.x.value(at, 0))
            .unwrap_or_default()
            .to_ascii_lowercase();
        if !AUTH_PATHS.iter().any(|w| route_path.contains(w)) {
            continue;
        }
        findings.push(
            Finding::at(RULE.name, Severity::Info, span, format!(
                "`{route_path}` looks like an authentication or session route, and keeps httpd's default 8192-byte limit on each response header line"
            ))
            .label("identity providers and session layers send long `Set-Cookie` and token headers")
            .help("raise it on this worker (`responsefieldsize=16384`), or record the backend's header size in gatelint.toml: `[backends.NAME] header-size = \"16k\"`")
            .log("[proxy_http:error] AH10124: header size is over the limit allowed by ResponseFieldSize (8192 bytes). Bad response header: 'Set-Cookie: …'"),
        );
    }
    findings
}
