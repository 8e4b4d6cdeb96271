//! `invalid-pass-target`: a pass argument nginx refuses at startup: no
//! scheme, an unknown scheme, a URI where nginx forbids one, a relative
//! unix socket path.

use super::{Check, NGINX, Rule};
use crate::finding::{Finding, Severity};
use crate::model::Target;
use crate::model::target::PassKind;

pub static RULE: Rule = Rule {
    name: "invalid-pass-target",
    summary: "a pass directive whose argument nginx refuses at startup",
    severity: Severity::Error,
    options: &[],
    dialects: NGINX,
    doc: include_str!("../../rules/invalid-pass-target.md"),
    check,
};

fn check(check: &Check<'_>) -> Vec<Finding> {
    let g = check.gateway;
    let mut findings = Vec::new();
    for route in &g.routes {
        let text = g.x.text(route.item);
        if let Target::Invalid(why) = &route.target {
            findings.push(
                check
                    .finding(
                        Severity::Error,
                        route.item,
                        format!("nginx rejects `{text}`: {why}"),
                    )
                    .label("nginx refuses to start")
                    .help(format!("write the address as {}", example(route.kind)))
                    .log("[emerg] invalid URL prefix"),
            );
            continue;
        }
        let Some(pass) = &route.pass else { continue };
        if let Some(path) = &pass.unix {
            if !path.starts_with('/') {
                findings.push(
                    check
                        .finding(
                            Severity::Error,
                            route.item,
                            format!("the unix socket in `{text}` is not an absolute path"),
                        )
                        .label("nginx needs `unix:/absolute/path`")
                        .help(format!(
                            "write `unix:/{}` with the socket's full path",
                            path.trim_start_matches("./")
                        ))
                        .log("[emerg] invalid URL prefix"),
                );
            }
        }
        if route.kind != PassKind::Proxy || pass.has_variables {
            continue;
        }
        let Some(uri) = &pass.uri else { continue };
        if let Some(place) = forbidden_uri_place(check, route.item) {
            findings.push(
                check
                    .finding(Severity::Error, route.item, format!("`{text}` has a URI part (`{uri}`) inside {place}"))
                    .label("nginx refuses to start")
                    .help("drop the URI from `proxy_pass` and rewrite the path with `rewrite … break;` if needed")
                    .log("[emerg] \"proxy_pass\" cannot have URI part in location given by regular expression, or inside named location, or inside \"if\" statement, or inside \"limit_except\" block"),
            );
        }
    }
    findings
}

/// Where nginx forbids a URI in `proxy_pass`: a regex or named location,
/// `if`, `limit_except`.
fn forbidden_uri_place(
    check: &Check<'_>,
    item: crate::model::expand::ItemId,
) -> Option<&'static str> {
    let x = &check.gateway.x;
    let parent = x.item(item).parent?;
    match x.name(parent) {
        "if" => Some("an `if` block"),
        "limit_except" => Some("a `limit_except` block"),
        "location" => {
            let first = x.value(parent, 0).unwrap_or("");
            if first == "~" || first == "~*" {
                Some("a regex location")
            } else if first.starts_with('@') {
                Some("a named location")
            } else {
                None
            }
        }
        _ => None,
    }
}

fn example(kind: PassKind) -> &'static str {
    match kind {
        PassKind::Proxy => "`http://host:port` or `https://host:port`",
        PassKind::Grpc => "`grpc://host:port` or `grpcs://host:port`",
        PassKind::Uwsgi => "`uwsgi://host:port` or `host:port`",
        _ => "`host:port` or `unix:/path/to.sock`",
    }
}
