//! `protocol-port-mismatch`: a pass directive whose protocol the backend
//! does not speak: FastCGI, uwsgi or SCGI to an HTTP port, HTTP to php-fpm
//! or to a database, or one address used with two protocols.

use std::collections::HashMap;

use super::{Check, NGINX, Rule};
use crate::finding::{Finding, Severity};
use crate::model::expand::ItemId;
use crate::model::ports::{PHP_FPM_PORT, non_http_service, speaks_plain_http, speaks_tls};
use crate::model::target::{Address, PassKind};
use crate::model::{Gateway, Route, Target};

pub static RULE: Rule = Rule {
    name: "protocol-port-mismatch",
    summary: "a pass directive whose protocol the backend at that address does not speak",
    severity: Severity::Error,
    options: &[],
    dialects: NGINX,
    doc: include_str!("../../rules/protocol-port-mismatch.md"),
    check,
};

fn check(check: &Check<'_>) -> Vec<Finding> {
    let g = check.gateway;
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
                    .finding(
                        Severity::Error,
                        route.item,
                        format!(
                            "`{}` speaks {} to port {port}, an HTTP port",
                            g.x.text(route.item),
                            route.kind.protocol()
                        ),
                    )
                    .label("the backend here answers HTTP")
                    .help(format!(
                        "use `proxy_pass http://{address}` for an HTTP backend, or point `{}` at the {} port",
                        route.kind.directive(),
                        route.kind.protocol()
                    ));
                // An HTTP reply read as FastCGI: `72` is the `H` of `HTTP/1.1`.
                // uwsgi and SCGI read the backend's 400 reply as a response.
                if route.kind == PassKind::FastCgi {
                    finding = finding.log(
                        "[error] upstream sent unsupported FastCGI protocol version: 72 while reading response header from upstream",
                    );
                }
                findings.push(finding);
            }
            (PassKind::Proxy, Some(port)) => {
                if let Some(service) = non_http_service(port) {
                    findings.push(
                        check.finding(Severity::Error, route.item, format!("`{}` sends HTTP to port {port}, {service}'s port", g.x.text(route.item)),
                        )
                        .label(format!("{service} does not speak HTTP"))
                        .help("point `proxy_pass` at the application's HTTP port")
                        .log("[error] upstream sent no valid HTTP/1.0 header while reading response header from upstream"),
                    );
                } else if port == PHP_FPM_PORT && is_php_location(g, route) {
                    findings.push(
                        check.finding(Severity::Error, route.item, format!("`{}` sends HTTP to port 9000, php-fpm's FastCGI port", g.x.text(route.item)),
                        )
                        .label("php-fpm speaks FastCGI, not HTTP")
                        .help(format!("use `fastcgi_pass {address};` with `include fastcgi_params;`"))
                        .log("[error] recv() failed (104: Connection reset by peer) while reading response header from upstream"),
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
fn is_php_location(g: &Gateway<'_>, route: &Route) -> bool {
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

/// One address reached with two protocols: one of the two is wrong.
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
            findings.push(mixed(
                check, address, first.item, first.kind, route.item, route.kind,
            ));
        }
    }
    findings
}

fn mixed(
    check: &Check<'_>,
    address: &Address,
    first: ItemId,
    first_kind: PassKind,
    item: ItemId,
    kind: PassKind,
) -> Finding {
    let g = check.gateway;
    let php = address.port() == Some(PHP_FPM_PORT)
        || matches!(address, Address::Unix(p) if p.contains("php"));
    let help = if php {
        "this looks like php-fpm, which speaks FastCGI: use `fastcgi_pass` for it".to_string()
    } else {
        format!("a backend speaks one protocol: use the same directive for `{address}` everywhere")
    };
    check.finding(Severity::Error, item, format!(
            "`{address}` is reached with `{}` here and with `{}` elsewhere",
            kind.directive(),
            first_kind.directive()
        ),
    )
    .label(format!("{} here", kind.protocol()))
    .related(g.x.arg_span(first, 0), format!("{} here", first_kind.protocol()))
    .help(help)
    .log("[error] upstream sent unsupported FastCGI protocol version: 72 while reading response header from upstream")
}
