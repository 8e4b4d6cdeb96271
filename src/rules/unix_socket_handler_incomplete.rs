//! `unix-socket-handler-incomplete`: a `proxy:unix:` socket without the
//! `|fcgi://…` that tells httpd which protocol to speak over it, or a
//! socket path that is not absolute.

use super::{APACHE, Check, Rule};
use crate::finding::{Finding, Severity};

pub static RULE: Rule = Rule {
    name: "unix-socket-handler-incomplete",
    summary: "a `unix:` socket without `|fcgi://…` (or `|http://…`), or a relative socket path",
    severity: Severity::Error,
    options: &[],
    dialects: APACHE,
    doc: include_str!("../../rules/unix-socket-handler-incomplete.md"),
    check,
};

fn check(check: &Check<'_>) -> Vec<Finding> {
    let g = check.gateway;
    let mut findings = Vec::new();
    for id in g.x.all() {
        let name = g.x.name(id);
        let values = g.x.values(id);
        let candidates: Vec<(usize, &str)> = match name {
            "sethandler" | "addhandler" => values
                .first()
                .and_then(|v| {
                    v.get(..6)
                        .filter(|p| p.eq_ignore_ascii_case("proxy:"))
                        .map(|_| &v[6..])
                })
                .map(|v| vec![(0, v)])
                .unwrap_or_default(),
            "proxypass" | "proxypassmatch" | "balancermember" => values
                .iter()
                .enumerate()
                .take(2)
                .map(|(i, v)| (i, *v))
                .collect(),
            _ => continue,
        };
        for (arg, value) in candidates {
            let Some(rest) = value
                .get(..5)
                .filter(|p| p.eq_ignore_ascii_case("unix:"))
                .map(|_| &value[5..])
            else {
                continue;
            };
            let span = g.x.arg_span(id, arg);
            let (path, protocol) = match rest.split_once('|') {
                Some((path, protocol)) => (path, Some(protocol)),
                None => (rest, None),
            };
            if protocol.is_none_or(|p| !p.contains("://")) {
                let outcome = if name == "sethandler" || name == "addhandler" {
                    "no proxy worker takes the request: httpd serves the file itself (a 404, or PHP source as text)"
                } else {
                    "httpd cannot tell which protocol to speak over the socket"
                };
                findings.push(
                    Finding::at(
                        RULE.name,
                        Severity::Error,
                        span,
                        format!("`unix:{path}` names a socket but no protocol"),
                    )
                    .label(outcome)
                    .help(format!("add the protocol and a placeholder host: `proxy:unix:{path}|fcgi://localhost/`")),
                );
                continue;
            }
            if !path.starts_with('/') {
                findings.push(
                    Finding::at(
                        RULE.name,
                        Severity::Warning,
                        span,
                        format!("the socket path `{path}` is relative"),
                    )
                    .label("httpd resolves it against DefaultRuntimeDir, not ServerRoot or the document root")
                    .help("write the socket's absolute path, as php-fpm's `listen =` gives it (e.g. `/run/php/php8.2-fpm.sock`)")
                    .log("[proxy:error] (2)No such file or directory: AH02454: FCGI: attempt to connect to Unix domain socket"),
                );
            }
        }
    }
    findings
}
