//! `scheme-port-mismatch`: plain HTTP sent to a TLS port, or TLS to a plain
//! HTTP port, directly or through an upstream's servers (whose port is 80
//! when they name none, whatever the scheme).

use super::{Check, NGINX, Rule};
use crate::finding::{Finding, Severity};
use crate::model::ports::{speaks_plain_http, speaks_tls};
use crate::model::target::{Address, PassKind, Scheme};
use crate::model::{Route, Target};

pub static RULE: Rule = Rule {
    name: "scheme-port-mismatch",
    summary: "`http://` to a port that speaks TLS, or `https://` to one that speaks plain HTTP",
    severity: Severity::Error,
    options: &[],
    dialects: NGINX,
    doc: include_str!("../../rules/scheme-port-mismatch.md"),
    check,
};

const PLAIN_TO_TLS_LOG: &str = "[error] recv() failed (104: Connection reset by peer) while reading response header from upstream";
const TLS_TO_PLAIN_LOG: &str = "[error] SSL_do_handshake() failed (SSL: error:0A00010B:SSL routines::wrong version number) while SSL handshaking to upstream";

/// What is wrong with sending `scheme` to `port`, if anything.
fn mismatch(scheme: Scheme, port: u16) -> Option<(&'static str, &'static str, &'static str)> {
    match scheme {
        Scheme::Http | Scheme::Grpc if speaks_tls(port) => {
            Some(("plain text", "speaks TLS", PLAIN_TO_TLS_LOG))
        }
        Scheme::Https | Scheme::Grpcs if speaks_plain_http(port) => {
            Some(("TLS", "speaks plain HTTP", TLS_TO_PLAIN_LOG))
        }
        _ => None,
    }
}

fn fix(scheme: Scheme) -> &'static str {
    match scheme {
        Scheme::Http => "use `https://` for a TLS backend, or the backend's plain HTTP port",
        Scheme::Grpc => "use `grpcs://` for a TLS backend, or its plain port",
        Scheme::Https => "use `http://` for a plain backend, or the backend's TLS port",
        _ => "use `grpc://` for a plain backend, or its TLS port",
    }
}

fn check(check: &Check<'_>) -> Vec<Finding> {
    let g = check.gateway;
    let mut findings = Vec::new();
    for route in &g.routes {
        if !matches!(route.kind, PassKind::Proxy | PassKind::Grpc) {
            continue;
        }
        let Some(pass) = &route.pass else { continue };
        match &route.target {
            Target::Address(Address::Inet { .. }) => {
                let Some(port) = pass.effective_port() else {
                    continue;
                };
                if let Some((what, speaks, log)) = mismatch(pass.scheme, port) {
                    let implied = if pass.port.is_none() {
                        format!(" (the default port of `{}://`)", pass.scheme.name())
                    } else {
                        String::new()
                    };
                    findings.push(direct(
                        check,
                        route,
                        pass.scheme,
                        port,
                        what,
                        speaks,
                        log,
                        &implied,
                    ));
                }
            }
            Target::Upstream(index) => {
                let upstream = &g.upstreams[*index];
                for server in &upstream.servers {
                    // nginx connects to port 80 when an upstream server names none.
                    let port = server.address.port().unwrap_or(80);
                    if let Address::Unix(_) = server.address {
                        continue;
                    }
                    if let Some((what, speaks, log)) = mismatch(pass.scheme, port) {
                        let note = if server.address.port().is_none() {
                            format!(
                                "`{}` names no port, so nginx connects to port 80",
                                g.x.text(server.item)
                            )
                        } else {
                            format!("port {port} {speaks}")
                        };
                        findings.push(
                            check.finding(Severity::Error, route.item, format!(
                                    "`{}` sends {what} to `{}` of upstream `{}`, whose port {port} {speaks}",
                                    g.x.text(route.item),
                                    server.address,
                                    upstream.name
                                ),
                            )
                            .label(format!("`{}://` speaks {what}", pass.scheme.name()))
                            .related(g.x.span(server.item), note)
                            .help(fix(pass.scheme))
                            .log(log),
                        );
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    findings
}

#[allow(clippy::too_many_arguments)]
fn direct(
    check: &Check<'_>,
    route: &Route,
    scheme: Scheme,
    port: u16,
    what: &str,
    speaks: &str,
    log: &str,
    implied: &str,
) -> Finding {
    let g = check.gateway;
    check
        .finding(
            Severity::Error,
            route.item,
            format!(
                "`{}` sends {what} to port {port}{implied}, which {speaks}",
                g.x.text(route.item)
            ),
        )
        .label(format!("`{}://` to port {port}", scheme.name()))
        .help(fix(scheme))
        .log(log)
}
