//! `proxy-pass-path-in-location`: `ProxyPass /path url` inside a
//! `<Location>`, which httpd refuses: the location already is the path.

use super::{APACHE, Check, Rule};
use crate::finding::{Finding, Severity};

pub static RULE: Rule = Rule {
    name: "proxy-pass-path-in-location",
    summary: "`ProxyPass` with a path inside `<Location>`: httpd refuses to start",
    severity: Severity::Error,
    options: &[],
    dialects: APACHE,
    doc: include_str!("../../rules/proxy-pass-path-in-location.md"),
    check,
};

fn check(check: &Check<'_>) -> Vec<Finding> {
    let g = check.gateway;
    let mut findings = Vec::new();
    for id in g.x.all() {
        let name = g.x.name(id);
        if !matches!(name, "proxypass" | "proxypassmatch") {
            continue;
        }
        let Some(location) =
            g.x.ancestors(id)
                .find(|&a| matches!(g.x.name(a), "location" | "locationmatch"))
        else {
            continue;
        };
        let values = g.x.values(id);
        // `ProxyPass url [key=value…]` is right here; a second plain
        // argument means the first is a path.
        let plain: Vec<&&str> = values.iter().filter(|v| !v.contains('=')).collect();
        let has_path = plain.len() >= 2 && !plain[0].contains("://");
        if !has_path {
            continue;
        }
        let written = g.x.source(id).slice(g.x.name_span(id)).to_string();
        findings.push(
            Finding::at(
                RULE.name,
                Severity::Error,
                g.x.arg_span(id, 0),
                format!(
                    "`{written}` inside `<Location>` takes no path, but `{}` is one",
                    plain[0]
                ),
            )
            .label("httpd refuses to start on this line")
            .related(
                g.x.arg_span(location, 0),
                "the location already says which path is proxied",
            )
            .help(format!("drop the path: `{written} {}`", plain[1]))
            .log(format!(
                "{written}|ProxyPassMatch can not have a path when defined in a location."
            )),
        );
    }
    findings
}
