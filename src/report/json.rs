//! The JSON format (schema version 1), for editors and CI: one object with
//! every finding's rule, severity, message, help, and both 1-based
//! line/column positions and byte offsets. README.md documents the schema.

use serde::Serialize;

use super::{Counts, Located};
use crate::load::Workspace;

#[derive(Serialize)]
pub struct Report<'a> {
    pub version: u32,
    pub findings: Vec<JsonFinding<'a>>,
    pub summary: Summary,
}

#[derive(Serialize)]
pub struct JsonFinding<'a> {
    pub rule: &'a str,
    pub severity: &'a str,
    pub message: &'a str,
    pub help: Option<&'a str>,
    /// What nginx writes to error.log when this fails.
    pub log: Option<&'a str>,
    pub file: &'a str,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub offset: usize,
    pub length: usize,
    pub labels: Vec<JsonLabel<'a>>,
}

#[derive(Serialize)]
pub struct JsonLabel<'a> {
    pub message: &'a str,
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub offset: usize,
    pub length: usize,
}

#[derive(Serialize)]
pub struct Summary {
    pub files: usize,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
}

pub fn render(ws: &Workspace, located: &[Located<'_>], counts: Counts) -> String {
    let findings = located
        .iter()
        .map(|item| {
            let f = item.finding;
            JsonFinding {
                rule: f.rule,
                severity: f.severity.as_str(),
                message: &f.message,
                help: f.help.as_deref(),
                log: f.log.as_deref(),
                file: &item.file,
                line: item.start.line,
                column: item.start.column,
                end_line: item.end.line,
                end_column: item.end.column,
                offset: item.offset,
                length: item.length,
                labels: f
                    .related
                    .iter()
                    .map(|label| {
                        let source = ws.source(label.span.file);
                        let start = source.position(label.span.start as usize);
                        let end = source.position(label.span.end as usize);
                        JsonLabel {
                            message: &label.message,
                            file: source.display_name(),
                            line: start.line,
                            column: start.column,
                            end_line: end.line,
                            end_column: end.column,
                            offset: label.span.start as usize,
                            length: label.span.len(),
                        }
                    })
                    .collect(),
            }
        })
        .collect();
    let report = Report {
        version: 1,
        findings,
        summary: Summary {
            files: ws.files.len(),
            errors: counts.errors,
            warnings: counts.warnings,
            infos: counts.infos,
        },
    };
    serde_json::to_string_pretty(&report).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
        + "\n"
}
