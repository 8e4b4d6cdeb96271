//! The human format: miette's graphical report for each finding, then a
//! one-line summary. Colour only on a terminal and without `NO_COLOR`.

use std::fmt;

use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource};

use super::{Counts, Located, summary_line};
use crate::finding::{Finding, Severity};
use crate::load::Workspace;
use crate::source::{SharedText, Span};

/// How the report looks.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    pub color: bool,
    pub width: usize,
}

/// A finding as miette sees it: its own file's text, labels in that file,
/// and labels in other files as related diagnostics.
#[derive(Debug)]
struct Rendered {
    message: String,
    code: &'static str,
    severity: Severity,
    help: Option<String>,
    source: Option<NamedSource<SharedText>>,
    labels: Vec<LabeledSpan>,
    elsewhere: Vec<Rendered>,
}

impl fmt::Display for Rendered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Rendered {}

impl Diagnostic for Rendered {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        (!self.code.is_empty()).then(|| Box::new(self.code) as Box<dyn fmt::Display>)
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Info => miette::Severity::Advice,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        (!self.labels.is_empty())
            .then(|| Box::new(self.labels.iter().cloned()) as Box<dyn Iterator<Item = _>>)
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        (!self.elsewhere.is_empty()).then(|| {
            Box::new(self.elsewhere.iter().map(|r| r as &dyn Diagnostic))
                as Box<dyn Iterator<Item = _>>
        })
    }
}

fn named_source(ws: &Workspace, span: Span) -> NamedSource<SharedText> {
    let source = ws.source(span.file);
    let language = ws.file(span.file).dialect.name();
    NamedSource::new(source.display_name(), source.shared_text()).with_language(language)
}

fn label(span: Span, text: &str, primary: bool) -> LabeledSpan {
    let text = (!text.is_empty()).then(|| text.to_string());
    if primary {
        LabeledSpan::new_primary_with_span(text, span)
    } else {
        LabeledSpan::new_with_span(text, span)
    }
}

fn rendered(ws: &Workspace, finding: &Finding, chain: &[Span]) -> Rendered {
    let span = finding.span();
    let mut labels = Vec::new();
    let mut elsewhere = Vec::new();
    for &include in chain {
        elsewhere.push(Rendered {
            message: "included from here".into(),
            code: "",
            severity: Severity::Info,
            help: None,
            source: Some(named_source(ws, include)),
            labels: vec![label(include, "", true)],
            elsewhere: Vec::new(),
        });
    }
    if let Some(span) = span {
        labels.push(label(span, &finding.label, true));
    }
    for related in &finding.related {
        if span.is_some_and(|s| s.file == related.span.file) {
            labels.push(label(related.span, &related.message, false));
        } else {
            elsewhere.push(Rendered {
                message: related.message.clone(),
                code: "",
                severity: Severity::Info,
                help: None,
                source: Some(named_source(ws, related.span)),
                labels: vec![label(related.span, "here", true)],
                elsewhere: Vec::new(),
            });
        }
    }
    Rendered {
        message: finding.message.clone(),
        code: finding.rule,
        severity: finding.severity,
        help: match (&finding.help, &finding.log) {
            (Some(help), Some(log)) => Some(format!("{help}\nerror.log: {log}")),
            (None, Some(log)) => Some(format!("error.log: {log}")),
            (help, None) => help.clone(),
        },
        source: span.map(|s| named_source(ws, s)),
        labels,
        elsewhere,
    }
}

/// Renders one finding to text.
pub fn render_one(ws: &Workspace, finding: &Finding, style: Style) -> String {
    render_with_chain(ws, finding, &[], style)
}

/// Renders one finding, noting the includes that lead to its file.
pub fn render_with_chain(
    ws: &Workspace,
    finding: &Finding,
    chain: &[Span],
    style: Style,
) -> String {
    let theme = if style.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(style.width)
        .with_links(false)
        .with_context_lines(1);
    let mut out = String::new();
    let diagnostic = rendered(ws, finding, chain);
    if handler.render_report(&mut out, &diagnostic).is_err() {
        out = format!("{}: {}\n", finding.rule, finding.message);
    }
    out
}

/// The whole report: each finding in order, then the summary line.
pub fn render(ws: &Workspace, located: &[Located<'_>], counts: Counts, style: Style) -> String {
    let mut out = String::new();
    for item in located {
        out.push_str(&render_with_chain(ws, item.finding, &item.chain, style));
        out.push('\n');
    }
    out.push_str(&summary_line(counts, ws.files.len()));
    out.push('\n');
    out
}
