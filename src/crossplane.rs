//! `gatelint parse --format crossplane`: the tree as `crossplane parse`
//! (crossplane 0.5.8) prints it, field for field, so tools built on
//! crossplane's JSON can use gatelint instead. Where crossplane's own reader
//! differs from nginx (it keeps backslashes, strips `if` parentheses, drops a
//! final comment with no newline), this module reproduces crossplane.

use std::collections::{HashMap, HashSet, VecDeque};

use serde::Serialize;

use crate::load::{Config, Workspace, has_glob_magic};
use crate::source::{FileId, SourceFile};
use crate::syntax::{Arg, Node, NodeIndex, NodeKind, Quote, StructureFault, Terminator};

#[derive(Clone, Copy, Debug, Default)]
pub struct CrossplaneOptions {
    /// `--single-file`: do not follow includes, omit `includes`.
    pub single_file: bool,
    /// `--include-comments`.
    pub comments: bool,
}

#[derive(Serialize)]
pub struct Payload {
    pub status: &'static str,
    pub errors: Vec<PayloadError>,
    pub config: Vec<FileEntry>,
}

#[derive(Serialize)]
pub struct PayloadError {
    pub file: String,
    pub error: String,
    pub line: Option<usize>,
}

#[derive(Serialize)]
pub struct FileEntry {
    pub file: String,
    pub status: &'static str,
    pub errors: Vec<FileError>,
    pub parsed: Vec<Statement>,
}

#[derive(Serialize)]
pub struct FileError {
    pub error: String,
    pub line: Option<usize>,
}

#[derive(Serialize)]
pub struct Statement {
    pub directive: String,
    pub line: usize,
    pub args: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub includes: Option<Vec<usize>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub block: Option<Vec<Statement>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// crossplane's payload for one configuration.
pub fn payload(ws: &Workspace, config: &Config, options: CrossplaneOptions) -> Payload {
    // crossplane reads files breadth-first, in the order includes appear.
    let order = if options.single_file {
        vec![config.root]
    } else {
        breadth_first(ws, config)
    };
    let index: HashMap<FileId, usize> = order.iter().enumerate().map(|(i, f)| (*f, i)).collect();
    let mut payload = Payload {
        status: "ok",
        errors: Vec::new(),
        config: Vec::new(),
    };
    for &file in &order {
        let mut writer = Writer {
            ws,
            config,
            file,
            index: &index,
            options,
            errors: Vec::new(),
        };
        let loaded = ws.file(file);
        let name = loaded.source.display_name();
        let parsed = match loaded.tree.structure_fault {
            Some(fault) => {
                writer
                    .errors
                    .push(fault_error(&loaded.source, &name, fault));
                Vec::new()
            }
            None => writer.statements(&loaded.tree.roots),
        };
        let status = if writer.errors.is_empty() {
            "ok"
        } else {
            "failed"
        };
        if status == "failed" {
            payload.status = "failed";
        }
        for e in &writer.errors {
            payload.errors.push(PayloadError {
                file: name.clone(),
                error: e.error.clone(),
                line: e.line,
            });
        }
        payload.config.push(FileEntry {
            file: name,
            status,
            errors: writer.errors,
            parsed,
        });
    }
    payload
}

/// The error crossplane reports for a structural break.
fn fault_error(source: &SourceFile, name: &str, fault: StructureFault) -> FileError {
    let (message, line) = match fault {
        StructureFault::UnexpectedClose(span) => {
            ("unexpected \"}\"", source.line_of(span.start as usize))
        }
        StructureFault::UnclosedAtEnd => {
            // crossplane names the line of the last token it read.
            let last = source.text.trim_end().len().saturating_sub(1);
            (
                "unexpected end of file, expecting \"}\"",
                source.line_of(last),
            )
        }
        // crossplane's lexer runs dry mid-statement: a bare StopIteration.
        StructureFault::TruncatedAtEnd => {
            return FileError {
                error: String::new(),
                line: None,
            };
        }
    };
    FileError {
        error: format!("{message} in {name}:{line}"),
        line: Some(line),
    }
}

fn breadth_first(ws: &Workspace, config: &Config) -> Vec<FileId> {
    let mut order = vec![config.root];
    let mut seen: HashSet<FileId> = order.iter().copied().collect();
    let mut queue = VecDeque::from([config.root]);
    while let Some(file) = queue.pop_front() {
        let tree = &ws.file(file).tree;
        for index in 0..tree.nodes.len() as NodeIndex {
            if let Some(targets) = config.includes.get(&(file, index)) {
                for &t in targets {
                    if seen.insert(t) {
                        order.push(t);
                        queue.push_back(t);
                    }
                }
            }
        }
    }
    order
}

struct Writer<'a> {
    ws: &'a Workspace,
    config: &'a Config,
    file: FileId,
    index: &'a HashMap<FileId, usize>,
    options: CrossplaneOptions,
    errors: Vec<FileError>,
}

impl Writer<'_> {
    fn line(&self, offset: u32) -> usize {
        self.ws.file(self.file).source.line_of(offset as usize)
    }

    fn statements(&mut self, children: &[NodeIndex]) -> Vec<Statement> {
        let mut out = Vec::new();
        // The directive whose arguments a following comment may sit among.
        let mut previous: Option<&Node> = None;
        let ws = self.ws;
        let tree = &ws.file(self.file).tree;
        for &index in children {
            let node = tree.node(index);
            match node.kind {
                NodeKind::Comment => {
                    let text = &ws.file(self.file).source.text;
                    // crossplane never yields a comment that the file ends inside.
                    if !text[node.span.end as usize..].starts_with('\n') {
                        continue;
                    }
                    if !self.options.comments {
                        continue;
                    }
                    let in_args = previous.is_some_and(|p| node.span.start < terminator_start(p));
                    let line = match (in_args, previous) {
                        (true, Some(p)) => self.line(p.span.start),
                        _ => self.line(node.span.start),
                    };
                    out.push(Statement {
                        directive: "#".into(),
                        line,
                        args: Vec::new(),
                        includes: None,
                        block: None,
                        comment: Some(crossplane_comment(
                            &ws.file(self.file).source.lossy(node.name.inner),
                        )),
                    });
                }
                NodeKind::Directive => {
                    previous = Some(node);
                    out.push(self.statement(index, node));
                }
            }
        }
        out
    }

    fn statement(&mut self, index: NodeIndex, node: &Node) -> Statement {
        let source = &self.ws.file(self.file).source;
        let mut directive = crossplane_value(source, &node.name);
        if node.name.span.start == 3 && source.text.starts_with('\u{FEFF}') {
            // crossplane keeps the byte order mark in the first token.
            directive.insert(0, '\u{FEFF}');
        }
        let mut args = crossplane_args(source, &node.args);
        if directive == "if" {
            strip_if_parentheses(&mut args);
        }
        let mut includes = None;
        if directive == "include" && !self.options.single_file {
            let targets = self.config.includes.get(&(self.file, index));
            let list: Vec<usize> = targets
                .map(|t| {
                    t.iter()
                        .filter_map(|f| self.index.get(f).copied())
                        .collect()
                })
                .unwrap_or_default();
            if let Some(pattern) = args.first() {
                if list.is_empty() && !has_glob_magic(pattern) {
                    let line = self.line(node.span.start);
                    let prefix = &self.config.prefix;
                    let path = if pattern.starts_with('/') {
                        pattern.clone()
                    } else {
                        crate::load::normalize(&prefix.join(pattern))
                            .display()
                            .to_string()
                    };
                    self.errors.push(FileError {
                        error: format!("[Errno 2] No such file or directory: '{path}'"),
                        line: Some(line),
                    });
                }
            }
            includes = Some(list);
        }
        let block = match (&node.terminator, &node.children) {
            (Terminator::Block { .. }, Some(children)) => Some(self.statements(children)),
            _ => None,
        };
        Statement {
            directive,
            line: self.line(node.span.start),
            args,
            includes,
            block,
            comment: None,
        }
    }
}

/// crossplane's lexer reads a `${…}` to its `}` and then keeps the next
/// character whatever it is, so `/x?${1} last` becomes one token.
fn crossplane_args(source: &SourceFile, args: &[Arg]) -> Vec<String> {
    let text: &str = &source.text;
    let mut out: Vec<String> = Vec::with_capacity(args.len());
    let mut glue_next = false;
    for arg in args {
        let value = crossplane_value(source, arg);
        match out.last_mut() {
            Some(last) if glue_next => last.push_str(&value),
            _ => out.push(value),
        }
        glue_next = false;
        let raw = &text[arg.span.range()];
        if arg.quote == Quote::None && ends_with_braced_variable(raw) {
            let mut rest = text[arg.span.end as usize..].chars();
            if let Some(ws @ (' ' | '\t' | '\r' | '\n')) = rest.next() {
                if let Some(last) = out.last_mut() {
                    last.push(ws);
                }
                // A second whitespace character ends the token as usual.
                glue_next = rest.next().is_some_and(|c| {
                    !c.is_whitespace() && !matches!(c, ';' | '{' | '}' | '"' | '\'' | '#')
                });
            }
        }
    }
    out
}

fn ends_with_braced_variable(raw: &str) -> bool {
    let Some(body) = raw.strip_suffix('}') else {
        return false;
    };
    body.rfind("${")
        .is_some_and(|start| !body[start + 2..].contains(|c: char| c == '}' || c.is_whitespace()))
}

/// crossplane pairs a backslash with the character after it, so a comment
/// ending in an unpaired `\` loses it along with the newline.
fn crossplane_comment(text: &str) -> String {
    let trailing = text.chars().rev().take_while(|&c| c == '\\').count();
    if trailing % 2 == 1 {
        text[..text.len() - 1].to_string()
    } else {
        text.to_string()
    }
}

fn terminator_start(node: &Node) -> u32 {
    match node.terminator {
        Terminator::Semicolon(s) => s.start,
        Terminator::Block { open, .. } => open.start,
        Terminator::Missing | Terminator::LineEnd => node.span.end,
    }
}

/// An argument as crossplane's lexer yields it: quotes removed and only the
/// matching quote unescaped; an unquoted token exactly as written.
fn crossplane_value(source: &SourceFile, arg: &Arg) -> String {
    // crossplane decodes with errors="replace".
    let raw = &source.lossy(arg.inner);
    let quote = match arg.quote {
        Quote::Double => "\"",
        Quote::Single => "'",
        Quote::None | Quote::Lua => return raw.to_string(),
    };
    raw.replace(&format!("\\{quote}"), quote)
}

/// crossplane removes the parentheses around an `if` condition.
fn strip_if_parentheses(args: &mut Vec<String>) {
    let (Some(first), Some(last)) = (args.first(), args.last()) else {
        return;
    };
    if !(first.starts_with('(') && last.ends_with(')')) {
        return;
    }
    args[0] = args[0][1..].trim_start().to_string();
    let n = args.len() - 1;
    args[n] = args[n][..args[n].len() - 1].trim_end().to_string();
    let start = usize::from(args[0].is_empty());
    let end = args.len() - usize::from(args[n].is_empty());
    *args = args[start..end.max(start)].to_vec();
}

/// Escapes every non-ASCII character of a JSON text as `\uXXXX`, as
/// Python's `json.dumps` does by default (crossplane's output is made so).
pub fn escape_non_ascii(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_ascii_is_escaped_like_python() {
        assert_eq!(escape_non_ascii("\"é😀\""), "\"\\u00e9\\ud83d\\ude00\"");
    }

    #[test]
    fn if_parentheses_like_crossplane() {
        let mut a = vec!["($a".to_string(), "=".into(), "b)".into()];
        strip_if_parentheses(&mut a);
        assert_eq!(a, vec!["$a", "=", "b"]);
        let mut a = vec!["(".to_string(), "$a".into(), ")".into()];
        strip_if_parentheses(&mut a);
        assert_eq!(a, vec!["$a"]);
        let mut a = vec!["($x)".to_string()];
        strip_if_parentheses(&mut a);
        assert_eq!(a, vec!["$x"]);
    }
}
