//! `scheme-port-mismatch`: plain HTTP sent to a TLS port, or TLS to a plain
//! HTTP port, directly or through an upstream's servers (whose port is 80
//! when they name none, whatever the scheme) or a balancer's members (each
//! with its own scheme).

use std::collections::HashSet;

use super::{BOTH, Check, Rule};
use crate::finding::{Finding, Severity};
use crate::model::ports::{speaks_plain_http, speaks_tls};
use crate::model::target::{Address, PassKind, PassTarget, Scheme};
use crate::model::{Route, Target};
use crate::syntax::Dialect;

pub static RULE: Rule = Rule {
    name: "scheme-port-mismatch",
    summary: "`http://` to a port that speaks TLS, or `https://` to one that speaks plain HTTP",
    severity: Severity::Error,
    options: &[],
    dialects: BOTH,
    doc: include_str!("../../rules/scheme-port-mismatch.md"),
    check,
};

const PLAIN_TO_TLS_LOG: &str = "[error] recv() failed (104: Connection reset by peer) while reading response header from upstream";
const TLS_TO_PLAIN_LOG: &str = "[error] SSL_do_handshake() failed (SSL: error:0A00010B:SSL routines::wrong version number) while SSL handshaking to upstream";
const APACHE_PLAIN_TO_TLS_LOG: &str = "[proxy_http:error] (104)Connection reset by peer: AH01102: error reading status line from remote server {address}";
const APACHE_TLS_TO_PLAIN_LOG: &str =
    "[proxy:error] AH00898: Error during SSL Handshake with remote server returned by /";

/// What is wrong with sending `scheme` to `port`, if anything: what is
/// sent, what the port speaks, and the log line.
fn mismatch(
    dialect: Dialect,
    scheme: Scheme,
    port: u16,
) -> Option<(&'static str, &'static str, &'static str)> {
    let apache = dialect == Dialect::Apache;
    match scheme {
        Scheme::Http | Scheme::Grpc if speaks_tls(port) => Some((
            "plain text",
            "speaks TLS",
            if apache {
                APACHE_PLAIN_TO_TLS_LOG
            } else {
                PLAIN_TO_TLS_LOG
            },
        )),
        Scheme::Https | Scheme::Grpcs if speaks_plain_http(port) => Some((
            "TLS",
            "speaks plain HTTP",
            if apache {
                APACHE_TLS_TO_PLAIN_LOG
            } else {
                TLS_TO_PLAIN_LOG
            },
        )),
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
    if g.dialect() == Dialect::Apache {
        return check_apache(check);
    }
    let mut findings = Vec::new();
    for route in &g.routes {
        if !matches!(route.kind, PassKind::Proxy | PassKind::Grpc) {
            continue;
        }
        let Some(pass) = &route.pass else { continue };
        match &route.target {
            Target::Address(Address::Inet { .. }) => {
                findings.extend(direct(check, route, pass, Dialect::Nginx));
            }
            Target::Upstream(index) => {
                let upstream = &g.upstreams[*index];
                for server in &upstream.servers {
                    // nginx connects to port 80 when an upstream server names none.
                    let port = server.address.port().unwrap_or(80);
                    if let Address::Unix(_) = server.address {
                        continue;
                    }
                    if let Some((what, speaks, log)) = mismatch(Dialect::Nginx, pass.scheme, port) {
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

/// Apache: a `ProxyPass` URL, or each balancer member's own URL (members
/// carry their scheme; one with no port gets its scheme's default).
fn check_apache(check: &Check<'_>) -> Vec<Finding> {
    let g = check.gateway;
    let mut seen_members = HashSet::new();
    let mut findings = Vec::new();
    for route in &g.routes {
        if route.kind != PassKind::Proxy {
            continue;
        }
        match (&route.target, &route.pass) {
            (Target::Address(Address::Inet { .. }), Some(pass)) => {
                findings.extend(direct(check, route, pass, Dialect::Apache));
            }
            (Target::Upstream(index), _) => {
                let upstream = &g.upstreams[*index];
                for member in &upstream.servers {
                    let Some(worker) = &member.apache else {
                        continue;
                    };
                    let (Some(port), None) = (worker.pass.effective_port(), &worker.pass.unix)
                    else {
                        continue;
                    };
                    let Some((what, speaks, log)) =
                        mismatch(Dialect::Apache, worker.pass.scheme, port)
                    else {
                        continue;
                    };
                    if !seen_members.insert(member.item) {
                        continue;
                    }
                    findings.push(
                        Finding::at(
                            RULE.name,
                            Severity::Error,
                            g.x.arg_span(member.item, worker.url_arg),
                            format!(
                                "member `{}` of `{}` sends {what} to port {port}, which {speaks}",
                                member.address, upstream.name
                            ),
                        )
                        .label(format!("`{}://` to port {port}", worker.pass.scheme.name()))
                        .related(
                            g.x.arg_span(route.item, route.url_arg),
                            "requests reach the member through this route",
                        )
                        .help(fix(worker.pass.scheme))
                        .log(log.replace("{address}", &member.address.to_string())),
                    );
                }
            }
            _ => {}
        }
    }
    findings
}

/// A route whose own address gets the wrong scheme.
fn direct(
    check: &Check<'_>,
    route: &Route,
    pass: &PassTarget,
    dialect: Dialect,
) -> Option<Finding> {
    let g = check.gateway;
    let port = pass.effective_port()?;
    let (what, speaks, log) = mismatch(dialect, pass.scheme, port)?;
    let implied = if pass.port.is_none() {
        format!(" (the default port of `{}://`)", pass.scheme.name())
    } else {
        String::new()
    };
    let scheme = pass.scheme;
    Some(
        check
            .route_finding(
                Severity::Error,
                route,
                format!(
                    "`{}` sends {what} to port {port}{implied}, which {speaks}",
                    g.x.text(route.item)
                ),
            )
            .label(format!("`{}://` to port {port}", scheme.name()))
            .help(fix(scheme))
            .log(log.replace("{address}", &g.logged_backend(route))),
    )
}
