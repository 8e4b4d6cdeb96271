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
    /// The line nginx writes to error.log when this goes wrong.
    pub log: Option<String>,
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
            log: None,
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
            log: None,
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

    pub fn log(mut self, line: impl Into<String>) -> Finding {
        self.log = Some(line.into());
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
    pub const INVALID_SUPPRESSION: &str = "invalid-suppression";
    pub const UNUSED_SUPPRESSION: &str = "unused-suppression";
    pub use crate::host::{
        COMPOSE_SERVICE, NOTHING_LISTENS, PHP_FPM_POOL, UNIX_SOCKET, WORKER_USER,
    };
    pub use crate::probe::{CONNECT, DEADLINE, DNS, PROTOCOL, TLS};

    /// Every check, with its severity and what it reports.
    pub const ALL: &[&str] = &[
        SYNTAX_ERROR,
        FILE_UNREADABLE,
        FILE_NOT_TEXT,
        FILE_TOO_LARGE,
        INVALID_UTF8,
        DIRECTORY_LOOP,
        INCLUDE_NOT_FOUND,
        INCLUDE_OUTSIDE_ROOTS,
        INCLUDE_CYCLE,
        INCLUDE_TOO_DEEP,
        INVALID_SUPPRESSION,
        UNUSED_SUPPRESSION,
        NOTHING_LISTENS,
        UNIX_SOCKET,
        PHP_FPM_POOL,
        WORKER_USER,
        COMPOSE_SERVICE,
        DNS,
        CONNECT,
        TLS,
        PROTOCOL,
        DEADLINE,
    ];

    pub fn default_severity(name: &str) -> super::Severity {
        match name {
            INVALID_UTF8
            | DIRECTORY_LOOP
            | INCLUDE_OUTSIDE_ROOTS
            | INVALID_SUPPRESSION
            | UNUSED_SUPPRESSION
            | DEADLINE => super::Severity::Warning,
            _ => super::Severity::Error,
        }
    }

    /// One line on what a check reports, for `gatelint rules`.
    pub fn summary(name: &str) -> &'static str {
        match name {
            SYNTAX_ERROR => "what nginx refuses to parse",
            FILE_UNREADABLE => "a path that cannot be read, or a broken symbolic link",
            FILE_NOT_TEXT => "a binary file where a configuration was expected",
            FILE_TOO_LARGE => "a file over --max-file-size",
            INVALID_UTF8 => "bytes that are not UTF-8",
            DIRECTORY_LOOP => "a symbolic link back to its own parent",
            INCLUDE_NOT_FOUND => "an include of a file that does not exist",
            INCLUDE_OUTSIDE_ROOTS => "an include leading outside the linted paths (not read)",
            INCLUDE_CYCLE => "a file that includes itself",
            INCLUDE_TOO_DEEP => "includes nested too deep",
            INVALID_SUPPRESSION => "a gatelint comment that cannot be understood, or has no reason",
            UNUSED_SUPPRESSION => "a suppression that suppresses nothing",
            NOTHING_LISTENS => {
                "--host: a backend on this machine's own address where nothing listens"
            }
            UNIX_SOCKET => {
                "--host: a unix socket that is missing, not a socket, refusing, or closed to the worker user"
            }
            PHP_FPM_POOL => {
                "--host: no php-fpm pool listens where FastCGI goes, or its socket shuts the worker user out"
            }
            WORKER_USER => "--host: a worker user that does not exist on this machine",
            COMPOSE_SERVICE => {
                "--compose: a backend host that is not a service of the project, or a port its service does not listen on"
            }
            DNS => "--probe: a backend name that does not resolve",
            CONNECT => "--probe: a backend that refuses or does not answer the connection",
            TLS => {
                "--probe: a TLS handshake that fails as the server would make it (SNI, verification)"
            }
            PROTOCOL => {
                "--probe: a backend that does not answer in the route's protocol (FastCGI; HTTP with --probe-http)"
            }
            DEADLINE => "--probe: targets not probed before the run's deadline",
            _ => "",
        }
    }
}
