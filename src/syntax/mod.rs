//! The dialect-neutral configuration tree: directives with arguments and an
//! optional block, every piece carrying its exact byte span. Only the
//! dialect modules (`nginx`, `apache`) touch pest; everything after them
//! sees this.

pub mod apache;
pub mod dialect;
pub mod nginx;

pub use dialect::Dialect;

use crate::source::{FileId, Span};

/// How an argument was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Quote {
    None,
    Single,
    Double,
    /// The raw body of a `*_by_lua_block { … }`.
    Lua,
}

/// One argument (or a directive's name).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arg {
    /// The token as written, quotes included.
    pub span: Span,
    /// The text between the quotes (equal to `span` when unquoted).
    pub inner: Span,
    pub quote: Quote,
    /// Where the value after unescaping (or Apache's case folding) is kept
    /// in its file's [`ParsedFile::values`], when it differs from the text
    /// of `inner`: 0 for none, else the index plus one. Read the value
    /// through [`ParsedFile::value`]. An index instead of a string of its
    /// own keeps every argument 16 bytes smaller; few values differ.
    pub value: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeKind {
    Directive,
    /// A `#` comment; `name.inner` is the text after the `#`.
    Comment,
}

/// How a directive ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Terminator {
    Semicolon(Span),
    Block {
        open: Span,
        close: Option<Span>,
    },
    /// Neither `;` nor `{`: a syntax error was reported for it.
    Missing,
    /// Apache: a directive ends with its line.
    LineEnd,
}

/// A node's position in its file's arena.
pub type NodeIndex = u32;

#[derive(Clone, Debug)]
pub struct Node {
    pub kind: NodeKind,
    pub name: Arg,
    /// Exactly as many as there are: a `Vec` would keep room for four.
    pub args: Box<[Arg]>,
    pub terminator: Terminator,
    /// Children, in order; present exactly when the directive has a block.
    pub children: Option<Vec<NodeIndex>>,
    /// The enclosing block's directive in the same file.
    pub parent: Option<NodeIndex>,
    /// From the first byte of the name to the `;` or the closing `}`.
    pub span: Span,
}

impl Node {
    pub fn is_directive(&self) -> bool {
        self.kind == NodeKind::Directive
    }

    /// A `#` comment spanning `span`.
    pub fn comment(span: Span) -> Node {
        let inner = Span {
            start: span.start + 1,
            ..span
        };
        Node {
            kind: NodeKind::Comment,
            name: Arg {
                span,
                inner,
                quote: Quote::None,
                value: 0,
            },
            args: Box::default(),
            terminator: Terminator::Missing,
            children: None,
            parent: None,
            span,
        }
    }
}

/// A syntax error, located and worded for a person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub message: String,
    pub span: Span,
    pub label: String,
    /// A second place involved (the `{` that is never closed, …).
    pub related: Option<(Span, String)>,
    pub help: Option<String>,
}

/// A break in the file's structure that any tokenizer sees (as opposed to
/// the errors only nginx's own rules reveal, such as an unquoted `{` in a
/// regex): the crossplane output reports these the way crossplane does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StructureFault {
    /// A `}` with no block open.
    UnexpectedClose(Span),
    /// Blocks still open at the end of the file.
    UnclosedAtEnd,
    /// The file ends inside a statement, a string or a Lua block.
    TruncatedAtEnd,
}

/// One file's tree.
#[derive(Clone, Debug, Default)]
pub struct ParsedFile {
    pub nodes: Vec<Node>,
    pub roots: Vec<NodeIndex>,
    pub errors: Vec<SyntaxError>,
    /// The first structural break, if any.
    pub structure_fault: Option<StructureFault>,
    /// The values that differ from their text (see [`Arg::value`]).
    pub values: Vec<Box<str>>,
}

impl ParsedFile {
    pub fn node(&self, index: NodeIndex) -> &Node {
        &self.nodes[index as usize]
    }

    /// An argument's value as nginx sees it.
    pub fn value<'a>(&'a self, text: &'a str, arg: &'a Arg) -> &'a str {
        match arg.value.checked_sub(1) {
            Some(index) => self.values.get(index as usize).map_or("", |v| v),
            None => text.get(arg.inner.range()).unwrap_or(""),
        }
    }

    /// Keeps `value` for an argument whose `raw` text reads differently;
    /// returns what goes in [`Arg::value`].
    pub(crate) fn keep_value(&mut self, raw: &str, value: String) -> u32 {
        if value == raw {
            return 0;
        }
        self.values.push(value.into_boxed_str());
        self.values.len() as u32
    }

    /// The directives (not comments) directly inside `children`.
    pub fn directives<'a>(
        &'a self,
        children: &'a [NodeIndex],
    ) -> impl Iterator<Item = (NodeIndex, &'a Node)> + 'a {
        children
            .iter()
            .map(|&i| (i, self.node(i)))
            .filter(|(_, n)| n.is_directive())
    }

    pub fn file(&self) -> Option<FileId> {
        self.nodes.first().map(|n| n.span.file)
    }

    /// Appends a node inside `parent`'s block (or at the top level).
    pub(crate) fn push_in(&mut self, mut node: Node, parent: Option<NodeIndex>) -> NodeIndex {
        let index = self.nodes.len() as NodeIndex;
        node.parent = parent;
        self.nodes.push(node);
        match parent {
            Some(parent) => {
                if let Some(children) = &mut self.nodes[parent as usize].children {
                    children.push(index);
                }
            }
            None => self.roots.push(index),
        }
        index
    }

    pub(crate) fn error(
        &mut self,
        message: String,
        span: Span,
        label: String,
        related: Option<(Span, String)>,
        help: Option<String>,
    ) {
        self.errors.push(SyntaxError {
            message,
            span,
            label,
            related,
            help,
        });
    }
}

/// The last non-blank character of a file: where a label about the end of
/// the file goes (miette cannot point past the last character).
pub(crate) fn end_of_file(file: FileId, text: &str) -> Span {
    let trimmed = text.trim_end();
    let last = trimmed.chars().next_back().map_or(0, char::len_utf8);
    Span::new(file, trimmed.len() - last, trimmed.len())
}
