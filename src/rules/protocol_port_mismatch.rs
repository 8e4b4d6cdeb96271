//! `protocol-port-mismatch`: a pass directive whose protocol the backend
//! does not speak: FastCGI, uwsgi or SCGI to an HTTP port, HTTP to php-fpm
//! or to a database, or one address used with two protocols.

use std::collections::HashMap;

use super::{BOTH, Check, Rule};
use crate::finding::{Finding, Severity};
use crate::model::ports::{PHP_FPM_PORT, non_http_service, speaks_plain_http, speaks_tls};
use crate::model::target::{Address, PassKind};
use crate::model::{Gateway, Route, Target};
use crate::syntax::Dialect;

/// The log lines, nginx's then httpd's.
const FASTCGI_READ_HTTP: [&str; 2] = [
    "[error] upstream sent unsupported FastCGI protocol version: 72 while reading response header from upstream",
    "[proxy_fcgi:error] AH01068: Got bogus version 72",
];
const HTTP_TO_PHP_FPM: [&str; 2] = [
    "[error] recv() failed (104: Connection reset by peer) while reading response header from upstream",
    "[proxy_http:error] AH01102: error reading status line from remote server {address}",
];
const HTTP_TO_OTHER: [&str; 2] = [
    "[error] upstream sent no valid HTTP/1.0 header while reading response header from upstream",
    "[proxy_http:error] AH01102: error reading status line from remote server {address}",
];

/// The line for `dialect`, naming `address` where httpd's line does.
fn log_for(dialect: Dialect, lines: [&str; 2], address: &Address) -> String {
    match dialect {
        Dialect::Nginx => lines[0].to_string(),
        Dialect::Apache => lines[1].replace("{address}", &address.to_string()),
    }
}

pub static RULE: Rule = Rule {
    name: "protocol-port-mismatch",
    summary: "a pass directive whose protocol the backend at that address does not speak",
    severity: Severity::Error,
    options: &[],
    dialects: BOTH,
    doc: include_str!("../../rules/protocol-port-mismatch.md"),
    check,
};

fn check(check: &Check<'_>) -> Vec<Finding> {
    let g = check.gateway;
    let dialect = g.dialect();
    let mut findings = Vec::new();
    // Address → the first route using it with each protocol.
    let mut by_address: HashMap<Address, Vec<&Route>> = HashMap::new();
    for route in &g.routes {
        let Target::Address(address) = &route.target else {
            continue;
        };
        let port = address.port();
        match (route.kind, port) {
            (PassKind::FastCgi | PassKind::Uwsgi | PassKind::Scgi, Some(port))
                if speaks_plain_http(port) || speaks_tls(port) =>
            {
                let mut finding = check
                    .route_finding(
                        Severity::Error,
                        route,
                        format!(
                            "`{}` speaks {} to port {port}, an HTTP port",
                            g.x.text(route.item),
                            route.kind.protocol()
                        ),
                    )
                    .label("the backend here answers HTTP")
                    .help(match dialect {
                        Dialect::Nginx => format!(
                            "use `proxy_pass http://{address}` for an HTTP backend, or point `{}` at the {} port",
                            route.kind.directive(),
                            route.kind.protocol()
                        ),
                        Dialect::Apache => format!(
                            "use `http://{address}/` for an HTTP backend, or point `{}` at the {} port",
                            route.kind.written_as(dialect),
                            route.kind.protocol()
                        ),
                    });
                if route.kind == PassKind::FastCgi {
                    finding = finding.log(log_for(dialect, FASTCGI_READ_HTTP, address));
                }
                findings.push(finding);
            }
            (PassKind::Proxy, Some(port)) => {
                if let Some(service) = non_http_service(port) {
                    findings.push(
                        check
                            .route_finding(
                                Severity::Error,
                                route,
                                format!(
                                    "`{}` sends HTTP to port {port}, {service}'s port",
                                    g.x.text(route.item)
                                ),
                            )
                            .label(format!("{service} does not speak HTTP"))
                            .help("point the route at the application's HTTP port")
                            .log(log_for(dialect, HTTP_TO_OTHER, address)),
                    );
                } else if port == PHP_FPM_PORT && is_php_location(g, route) {
                    findings.push(
                        check
                            .route_finding(
                                Severity::Error,
                                route,
                                format!(
                                    "`{}` sends HTTP to port 9000, php-fpm's FastCGI port",
                                    g.x.text(route.item)
                                ),
                            )
                            .label("php-fpm speaks FastCGI, not HTTP")
                            .help(match dialect {
                                Dialect::Nginx => format!(
                                    "use `fastcgi_pass {address};` with `include fastcgi_params;`"
                                ),
                                Dialect::Apache => format!(
                                    "use `fcgi://{address}/` with the document root after it"
                                ),
                            })
                            .log(log_for(dialect, HTTP_TO_PHP_FPM, address)),
                    );
                }
            }
            _ => {}
        }
        by_address.entry(address.clone()).or_default().push(route);
    }
    findings.extend(mixed_protocols(check, &by_address));
    findings
}

/// A location for PHP scripts: `location ~ \.php$`, or one that sets
/// `fastcgi_*` directives.
/// Whether the route serves PHP: its location (or, in Apache, its own
/// pattern or a `<Files…>` around it) names `.php`, or `fastcgi_*`
/// directives sit beside it.
fn is_php_location(g: &Gateway<'_>, route: &Route) -> bool {
    if g.dialect() == Dialect::Apache {
        let own_pattern = (route.url_arg > 0)
            .then(|| g.x.value(route.item, 0))
            .flatten()
            .is_some_and(|p| p.contains(".php"));
        return own_pattern
            || g.x.ancestors(route.item).any(|a| {
                matches!(
                    g.x.name(a),
                    "location" | "locationmatch" | "files" | "filesmatch"
                ) && g.x.values(a).join(" ").contains(".php")
            });
    }
    let Some(location) = route.location else {
        return false;
    };
    let pattern = g.x.values(location).join(" ");
    pattern.contains(".php")
        || g.x
            .block(Some(location))
            .iter()
            .any(|&d| g.x.name(d).starts_with("fastcgi_"))
}

fn mixed_protocols(check: &Check<'_>, by_address: &HashMap<Address, Vec<&Route>>) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut addresses: Vec<(&Address, &Vec<&Route>)> = by_address.iter().collect();
    addresses.sort_by_key(|(_, routes)| routes[0].item);
    for (address, routes) in addresses {
        let first = routes[0];
        let mut reported: Vec<PassKind> = vec![first.kind];
        for route in routes.iter().skip(1) {
            if reported.contains(&route.kind) {
                continue;
            }
            reported.push(route.kind);
            findings.push(mixed(check, address, first, route));
        }
    }
    findings
}

fn mixed(check: &Check<'_>, address: &Address, first: &Route, route: &Route) -> Finding {
    let g = check.gateway;
    let dialect = g.dialect();
    let php = address.port() == Some(PHP_FPM_PORT)
        || matches!(address, Address::Unix(p) if p.contains("php"));
    let help = if php {
        format!(
            "this looks like php-fpm, which speaks FastCGI: use `{}` for it",
            PassKind::FastCgi.written_as(dialect)
        )
    } else {
        format!("a backend speaks one protocol: reach `{address}` the same way everywhere")
    };
    let mut finding = Finding::at(
        RULE.name,
        Severity::Error,
        g.x.arg_span(route.item, route.url_arg),
        format!(
            "`{address}` is reached with `{}` here and with `{}` elsewhere",
            route.kind.written_as(dialect),
            first.kind.written_as(dialect)
        ),
    )
    .label(format!("{} here", route.kind.protocol()))
    .related(
        g.x.arg_span(first.item, first.url_arg),
        format!("{} here", first.kind.protocol()),
    )
    .help(help);
    // Which side fails: HTTP sent to php-fpm, or FastCGI sent to an HTTP app.
    let fastcgi_involved = [first.kind, route.kind].contains(&PassKind::FastCgi);
    if php {
        finding = finding.log(log_for(dialect, HTTP_TO_PHP_FPM, address));
    } else if fastcgi_involved {
        finding = finding.log(log_for(dialect, FASTCGI_READ_HTTP, address));
    }
    finding
}
