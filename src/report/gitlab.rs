//! GitLab's code quality report (Code Climate JSON): an array of issues,
//! each with a stable fingerprint so GitLab can tell new findings from old.

use serde_json::{Value, json};

use super::Located;
use crate::finding::Severity;

/// FNV-1a, 64 bits: stable across runs and machines.
fn fingerprint(parts: &[&str]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.bytes().chain(std::iter::once(0)) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

pub fn render(located: &[Located<'_>]) -> String {
    let issues: Vec<Value> = located
        .iter()
        .map(|item| {
            let f = item.finding;
            let severity = match f.severity {
                Severity::Error => "critical",
                Severity::Warning => "minor",
                Severity::Info => "info",
            };
            let offset = item.offset.to_string();
            json!({
                "type": "issue",
                "check_name": f.rule,
                "description": f.message,
                "categories": ["Bug Risk"],
                "severity": severity,
                "fingerprint": fingerprint(&[f.rule, &item.file, &f.message, &offset]),
                "location": {
                    "path": item.file,
                    "lines": { "begin": item.start.line, "end": item.end.line },
                },
            })
        })
        .collect();
    serde_json::to_string_pretty(&issues).unwrap_or_default() + "\n"
}
