//! A finding: what gatelint reports, from a syntax error to a rule's verdict.
//! It carries spans, not line numbers; the report formats turn spans into
//! positions with the file's line index.

use std::path::PathBuf;

use crate::source::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// Where a finding points: the exact bytes when there are some, else a whole
/// file (one that could not be read, say).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    Span(Span),
    Path(PathBuf),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// Kebab-case name of the rule or check (`syntax-error`, `include-not-found`, …).
    pub rule: &'static str,
    pub severity: Severity,
    pub message: String,
    pub location: Location,
    /// What the primary label says at `location`.
    pub label: String,
    /// Other places involved.
    pub related: Vec<Label>,
    pub help: Option<String>,
}

impl Finding {
    pub fn at(
        rule: &'static str,
        severity: Severity,
        span: Span,
        message: impl Into<String>,
    ) -> Finding {
        Finding {
            rule,
            severity,
            message: message.into(),
            location: Location::Span(span),
            label: String::new(),
            related: Vec::new(),
            help: None,
        }
    }

    pub fn on_path(
        rule: &'static str,
        severity: Severity,
        path: impl Into<PathBuf>,
        message: impl Into<String>,
    ) -> Finding {
        Finding {
            rule,
            severity,
            message: message.into(),
            location: Location::Path(path.into()),
            label: String::new(),
            related: Vec::new(),
            help: None,
        }
    }

    pub fn label(mut self, label: impl Into<String>) -> Finding {
        self.label = label.into();
        self
    }

    pub fn related(mut self, span: Span, message: impl Into<String>) -> Finding {
        self.related.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Finding {
        self.help = Some(help.into());
        self
    }

    pub fn span(&self) -> Option<Span> {
        match &self.location {
            Location::Span(span) => Some(*span),
            Location::Path(_) => None,
        }
    }
}

/// The checks the loader and parser perform, with their default severities;
/// `gatelint rules` lists them beside the rules.
pub mod checks {
    pub const SYNTAX_ERROR: &str = "syntax-error";
    pub const FILE_UNREADABLE: &str = "file-unreadable";
    pub const FILE_NOT_TEXT: &str = "file-not-text";
    pub const FILE_TOO_LARGE: &str = "file-too-large";
    pub const INVALID_UTF8: &str = "invalid-utf8";
    pub const DIRECTORY_LOOP: &str = "directory-loop";
    pub const INCLUDE_NOT_FOUND: &str = "include-not-found";
    pub const INCLUDE_OUTSIDE_ROOTS: &str = "include-outside-roots";
    pub const INCLUDE_CYCLE: &str = "include-cycle";
    pub const INCLUDE_TOO_DEEP: &str = "include-too-deep";
}
