//! Rendering findings: for people (miette's graphical report) and for
//! machines (JSON). Every format sorts the same way and names positions the
//! same way, through [`Located`].

pub mod concise;
pub mod github;
pub mod gitlab;
pub mod human;
pub mod json;
pub mod sarif;

use std::collections::HashMap;

use crate::finding::{Finding, Location, Severity};
use crate::load::Workspace;
use crate::source::{FileId, Position, Span};

/// A finding with its file and positions worked out.
pub struct Located<'a> {
    pub finding: &'a Finding,
    pub file: String,
    pub start: Position,
    pub end: Position,
    pub offset: usize,
    pub length: usize,
    /// The `include` arguments that bring the file in, innermost first.
    pub chain: Vec<Span>,
}

pub fn locate<'a>(
    ws: &Workspace,
    parents: &HashMap<FileId, Span>,
    finding: &'a Finding,
) -> Located<'a> {
    match &finding.location {
        Location::Span(span) => {
            let source = ws.source(span.file);
            Located {
                finding,
                file: source.display_name(),
                start: source.position(span.start as usize),
                end: source.position(span.end as usize),
                offset: span.start as usize,
                length: span.len(),
                chain: Workspace::include_chain(parents, span.file),
            }
        }
        Location::Path(path) => Located {
            finding,
            file: path.display().to_string(),
            start: Position { line: 1, column: 1 },
            end: Position { line: 1, column: 1 },
            offset: 0,
            length: 0,
            chain: Vec::new(),
        },
    }
}

/// A span's file and 1-based start and end positions.
pub struct SpanPosition {
    pub file: String,
    pub start: Position,
    pub end: Position,
}

pub fn span_position(ws: &Workspace, span: Span) -> SpanPosition {
    let source = ws.source(span.file);
    SpanPosition {
        file: source.display_name(),
        start: source.position(span.start as usize),
        end: source.position(span.end as usize),
    }
}

/// Suppressed findings located, with their reasons, in report order.
pub fn suppressed<'a>(
    ws: &Workspace,
    all: &'a [crate::suppress::Suppressed],
) -> Vec<(Located<'a>, Option<&'a str>)> {
    let parents = ws.include_parents();
    let mut out: Vec<(Located<'a>, Option<&'a str>)> = all
        .iter()
        .map(|s| (locate(ws, &parents, &s.finding), s.reason.as_deref()))
        .collect();
    out.sort_by(|a, b| (&a.0.file, a.0.offset).cmp(&(&b.0.file, b.0.offset)));
    out
}

/// Findings in report order: by file, then position, then rule.
pub fn sorted<'a>(ws: &Workspace, findings: &'a [Finding]) -> Vec<Located<'a>> {
    let parents = ws.include_parents();
    let mut located: Vec<Located<'a>> = findings.iter().map(|f| locate(ws, &parents, f)).collect();
    located.sort_by(|a, b| {
        (&a.file, a.offset, a.finding.rule, &a.finding.message).cmp(&(
            &b.file,
            b.offset,
            b.finding.rule,
            &b.finding.message,
        ))
    });
    located
}

#[derive(Default, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Counts {
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
}

impl Counts {
    pub fn of(findings: &[Finding]) -> Counts {
        let mut counts = Counts::default();
        for f in findings {
            match f.severity {
                Severity::Error => counts.errors += 1,
                Severity::Warning => counts.warnings += 1,
                Severity::Info => counts.infos += 1,
            }
        }
        counts
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// "2 errors, 1 warning in 3 files" (or "no findings in 3 files").
pub fn summary_line(counts: Counts, files: usize) -> String {
    let mut parts = Vec::new();
    if counts.errors > 0 {
        parts.push(plural(counts.errors, "error"));
    }
    if counts.warnings > 0 {
        parts.push(plural(counts.warnings, "warning"));
    }
    if counts.infos > 0 {
        parts.push(plural(counts.infos, "info"));
    }
    let what = if parts.is_empty() {
        "no findings".to_string()
    } else {
        parts.join(", ")
    };
    format!("{what} in {}", plural(files, "file"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_words() {
        let c = Counts {
            errors: 2,
            warnings: 1,
            infos: 0,
        };
        assert_eq!(summary_line(c, 3), "2 errors, 1 warning in 3 files");
        assert_eq!(summary_line(Counts::default(), 1), "no findings in 1 file");
    }
}
