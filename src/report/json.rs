//! The JSON format (schema version 1, `schemas/gatelint-report.schema.json`),
//! for editors and CI: every finding's rule, severity, message, help and
//! error.log line, with 1-based line/column positions and byte offsets, its
//! other labels, the includes that lead to its file, and (on request) the
//! findings inline suppressions silenced, with their reasons.

use serde::Serialize;

use super::{Counts, Located, span_position};
use crate::finding::Finding;
use crate::load::Workspace;
use crate::source::Span;

#[derive(Serialize)]
pub struct Report<'a> {
    pub version: u32,
    pub findings: Vec<JsonFinding<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<Vec<JsonSuppressed<'a>>>,
    pub summary: Summary,
}

#[derive(Serialize)]
pub struct JsonFinding<'a> {
    pub rule: &'a str,
    pub severity: &'a str,
    pub message: &'a str,
    pub help: Option<&'a str>,
    pub log: Option<&'a str>,
    pub file: &'a str,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub offset: usize,
    pub length: usize,
    pub labels: Vec<JsonLabel<'a>>,
    /// The `include`s that bring `file` in, innermost first.
    pub include_chain: Vec<JsonLabel<'a>>,
}

#[derive(Serialize)]
pub struct JsonSuppressed<'a> {
    #[serde(flatten)]
    pub finding: JsonFinding<'a>,
    pub reason: Option<&'a str>,
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

fn label<'a>(ws: &Workspace, span: Span, message: &'a str) -> JsonLabel<'a> {
    let at = span_position(ws, span);
    JsonLabel {
        message,
        file: at.file,
        line: at.start.line,
        column: at.start.column,
        end_line: at.end.line,
        end_column: at.end.column,
        offset: span.start as usize,
        length: span.len(),
    }
}

fn finding<'a>(ws: &Workspace, item: &'a Located<'a>) -> JsonFinding<'a> {
    let f: &Finding = item.finding;
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
            .map(|l| label(ws, l.span, &l.message))
            .collect(),
        include_chain: item
            .chain
            .iter()
            .map(|&s| label(ws, s, "included from here"))
            .collect(),
    }
}

/// `suppressed` is `Some` with `--show-suppressed`.
pub fn render(
    ws: &Workspace,
    located: &[Located<'_>],
    suppressed: Option<&[(Located<'_>, Option<&str>)]>,
    counts: Counts,
) -> String {
    let report = Report {
        version: 1,
        findings: located.iter().map(|item| finding(ws, item)).collect(),
        suppressed: suppressed.map(|all| {
            all.iter()
                .map(|(item, reason)| JsonSuppressed {
                    finding: finding(ws, item),
                    reason: *reason,
                })
                .collect()
        }),
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
