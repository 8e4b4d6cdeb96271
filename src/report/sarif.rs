//! SARIF 2.1.0, as GitHub code scanning and other tools read it: the rules
//! with their descriptions and help (from `rules/*.md`), every finding with
//! its exact region (1-based lines, columns in code points, byte offsets),
//! secondary labels as related locations, and inline-suppressed findings
//! marked as such with their reason.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::{Located, span_position};
use crate::finding::{Finding, Severity, checks};
use crate::load::Workspace;
use crate::rules::RULES;
use crate::source::Span;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
pub const INFORMATION_URI: &str = "https://docs.rs/gatelint";

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// A section of a rule page, without its heading.
fn section<'d>(doc: &'d str, heading: &str) -> Option<&'d str> {
    let start = doc.find(heading)? + heading.len();
    let rest = &doc[start..];
    let end = rest.find("\n## ").unwrap_or(rest.len());
    Some(rest[..end].trim())
}

/// Every rule and check, in the order results refer to them by index.
fn rule_ids() -> Vec<&'static str> {
    RULES
        .iter()
        .map(|r| r.name)
        .chain(checks::ALL.iter().copied())
        .collect()
}

fn descriptors() -> Vec<Value> {
    let mut out: Vec<Value> = RULES
        .iter()
        .map(|rule| {
            let why = section(rule.doc, "## Why this causes 502").unwrap_or(rule.summary);
            let fix = section(rule.doc, "## How to fix").unwrap_or(rule.summary);
            json!({
                "id": rule.name,
                "name": rule.name,
                "shortDescription": { "text": rule.summary },
                "fullDescription": { "text": why },
                "help": { "text": fix, "markdown": rule.doc },
                "defaultConfiguration": { "level": level(rule.severity) },
                "properties": { "tags": std::iter::once("502")
                    .chain(rule.dialects.iter().map(|d| d.name()))
                    .collect::<Vec<_>>() },
            })
        })
        .collect();
    out.extend(checks::ALL.iter().map(|&name| {
        json!({
            "id": name,
            "name": name,
            "shortDescription": { "text": checks::summary(name) },
            "fullDescription": { "text": checks::summary(name) },
            "defaultConfiguration": { "level": level(checks::default_severity(name)) },
        })
    }));
    out
}

/// Where a path points, as a URI relative to the root when it is under it.
pub fn artifact_uri(root: &Path, file: &str) -> (String, bool) {
    let path = Path::new(file);
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    };
    let absolute = crate::load::normalize(&absolute);
    match absolute.strip_prefix(root) {
        Ok(relative) => (encode(&relative.to_string_lossy()), true),
        Err(_) => (
            format!("file://{}", encode(&absolute.to_string_lossy())),
            false,
        ),
    }
}

/// Percent-encodes what a URI path cannot hold.
fn encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        match byte {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'.'
            | b'_'
            | b'~'
            | b'/'
            | b':'
            | b'@'
            | b'+'
            | b'='
            | b',' => out.push(byte as char),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

fn physical(ws: &Workspace, root: &Path, span: Span) -> Value {
    let at = span_position(ws, span);
    let (uri, relative) = artifact_uri(root, &at.file);
    let mut artifact = json!({ "uri": uri });
    if relative {
        artifact["uriBaseId"] = json!("SRCROOT");
    }
    json!({
        "artifactLocation": artifact,
        "region": {
            "startLine": at.start.line,
            "startColumn": at.start.column,
            "endLine": at.end.line,
            "endColumn": at.end.column,
            "charOffset": span.start,
            "charLength": span.len(),
        }
    })
}

fn result(
    ws: &Workspace,
    root: &Path,
    ids: &[&str],
    item: &Located<'_>,
    suppression: Option<Option<&str>>,
) -> Value {
    let f: &Finding = item.finding;
    let mut text = f.message.clone();
    if let Some(help) = &f.help {
        text.push_str(&format!("\nFix: {help}"));
    }
    if let Some(log) = &f.log {
        text.push_str(&format!("\nerror.log: {log}"));
    }
    let location = match f.span() {
        Some(span) => physical(ws, root, span),
        None => {
            let (uri, relative) = artifact_uri(root, &item.file);
            let mut artifact = json!({ "uri": uri });
            if relative {
                artifact["uriBaseId"] = json!("SRCROOT");
            }
            json!({ "artifactLocation": artifact })
        }
    };
    let mut result = json!({
        "ruleId": f.rule,
        "level": level(f.severity),
        "message": { "text": text },
        "locations": [{ "physicalLocation": location }],
    });
    if let Some(index) = ids.iter().position(|id| *id == f.rule) {
        result["ruleIndex"] = json!(index);
    }
    let related: Vec<Value> = f
        .related
        .iter()
        .map(|l| (l.span, l.message.as_str()))
        .chain(item.chain.iter().map(|&s| (s, "included from here")))
        .enumerate()
        .map(|(i, (span, message))| {
            json!({ "id": i, "physicalLocation": physical(ws, root, span), "message": { "text": message } })
        })
        .collect();
    if !related.is_empty() {
        result["relatedLocations"] = json!(related);
    }
    if let Some(reason) = suppression {
        let mut suppression = json!({ "kind": "inSource" });
        if let Some(reason) = reason {
            suppression["justification"] = json!(reason);
        }
        result["suppressions"] = json!([suppression]);
    }
    result
}

pub fn render(
    ws: &Workspace,
    root: &Path,
    located: &[Located<'_>],
    suppressed: &[(Located<'_>, Option<&str>)],
) -> String {
    let ids = rule_ids();
    let root: PathBuf = crate::load::normalize(&crate::load::absolute(root));
    let mut results: Vec<Value> = located
        .iter()
        .map(|item| result(ws, &root, &ids, item, None))
        .collect();
    results.extend(
        suppressed
            .iter()
            .map(|(item, reason)| result(ws, &root, &ids, item, Some(*reason))),
    );
    let root_uri = format!(
        "file://{}/",
        encode(root.to_string_lossy().trim_end_matches('/'))
    );
    let log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "gatelint",
                    "version": env!("CARGO_PKG_VERSION"),
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "informationUri": INFORMATION_URI,
                    "rules": descriptors(),
                }
            },
            "originalUriBaseIds": { "SRCROOT": { "uri": root_uri } },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    });
    serde_json::to_string_pretty(&log).unwrap_or_default() + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_relative_and_encoded() {
        let (uri, relative) = artifact_uri(Path::new("/repo"), "/repo/deploy/my site.conf");
        assert_eq!((uri.as_str(), relative), ("deploy/my%20site.conf", true));
        let (uri, relative) = artifact_uri(Path::new("/repo"), "/etc/nginx/nginx.conf");
        assert_eq!(
            (uri.as_str(), relative),
            ("file:///etc/nginx/nginx.conf", false)
        );
    }

    #[test]
    fn sections_of_a_page() {
        let doc = "# x\n\n## Why this causes 502\n\nBecause.\n\n## How to fix\n\nFix it.\n";
        assert_eq!(section(doc, "## Why this causes 502"), Some("Because."));
        assert_eq!(section(doc, "## How to fix"), Some("Fix it."));
    }
}
