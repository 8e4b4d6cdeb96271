//! `gatelint parse --format json`: gatelint's own tree, with every value,
//! its raw text, quoting and exact span, the context each file sits in and
//! the files each `include` brought in.

use serde::Serialize;

use crate::load::context::context_name;
use crate::load::{Config, Workspace};
use crate::source::{FileId, SourceFile, Span};
use crate::syntax::{Arg, NodeIndex, NodeKind, Quote, Terminator};

#[derive(Serialize)]
pub struct TreeOutput {
    pub version: u32,
    pub configs: Vec<ConfigOut>,
}

#[derive(Serialize)]
pub struct ConfigOut {
    pub root: String,
    pub dialect: crate::syntax::Dialect,
    /// nginx's prefix, or Apache's ServerRoot.
    pub prefix: String,
    pub files: Vec<FileOut>,
}

#[derive(Serialize)]
pub struct FileOut {
    pub file: String,
    /// `main`, `http`, `http > server`, …
    pub context: String,
    pub syntax_errors: Vec<String>,
    pub directives: Vec<NodeOut>,
}

#[derive(Serialize)]
pub struct SpanOut {
    pub offset: usize,
    pub length: usize,
    pub line: usize,
    pub column: usize,
}

#[derive(Serialize)]
pub struct ArgOut {
    pub value: String,
    pub raw: String,
    pub quote: Quote,
    pub span: SpanOut,
}

#[derive(Serialize)]
pub struct NodeOut {
    /// The directive's name, or `#` for a comment.
    pub directive: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    pub args: Vec<ArgOut>,
    pub span: SpanOut,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub block: Option<Vec<NodeOut>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub includes: Option<Vec<String>>,
}

pub fn tree(ws: &Workspace, configs: &[&Config], comments: bool) -> TreeOutput {
    TreeOutput {
        version: 1,
        configs: configs
            .iter()
            .map(|config| ConfigOut {
                root: ws.source(config.root).display_name(),
                dialect: config.dialect,
                prefix: config.prefix.display().to_string(),
                files: config
                    .files
                    .iter()
                    .map(|&file| file_out(ws, config, file, comments))
                    .collect(),
            })
            .collect(),
    }
}

fn span_out(source: &SourceFile, span: Span) -> SpanOut {
    let at = source.position(span.start as usize);
    SpanOut {
        offset: span.start as usize,
        length: span.len(),
        line: at.line,
        column: at.column,
    }
}

fn file_out(ws: &Workspace, config: &Config, file: FileId, comments: bool) -> FileOut {
    let loaded = ws.file(file);
    FileOut {
        file: loaded.source.display_name(),
        context: context_name(config.contexts.get(&file).map(Vec::as_slice).unwrap_or(&[])),
        syntax_errors: loaded
            .tree
            .errors
            .iter()
            .map(|e| e.message.clone())
            .collect(),
        directives: nodes(ws, config, file, &loaded.tree.roots, comments),
    }
}

fn arg_out(ws: &Workspace, file: FileId, arg: &Arg) -> ArgOut {
    let loaded = ws.file(file);
    ArgOut {
        value: loaded.tree.value(&loaded.source.text, arg).to_string(),
        raw: loaded.source.slice(arg.span).to_string(),
        quote: arg.quote,
        span: span_out(&loaded.source, arg.span),
    }
}

fn nodes(
    ws: &Workspace,
    config: &Config,
    file: FileId,
    children: &[NodeIndex],
    comments: bool,
) -> Vec<NodeOut> {
    let loaded = ws.file(file);
    let mut out = Vec::new();
    for &index in children {
        let node = loaded.tree.node(index);
        if node.kind == NodeKind::Comment {
            if comments {
                out.push(NodeOut {
                    directive: "#".into(),
                    comment: Some(loaded.source.slice(node.name.inner).to_string()),
                    args: Vec::new(),
                    span: span_out(&loaded.source, node.span),
                    block: None,
                    includes: None,
                });
            }
            continue;
        }
        let block = match (&node.terminator, &node.children) {
            (Terminator::Block { .. }, Some(children)) => {
                Some(nodes(ws, config, file, children, comments))
            }
            _ => None,
        };
        let includes = config.includes.get(&(file, index)).map(|targets| {
            targets
                .iter()
                .map(|t| ws.source(*t).display_name())
                .collect()
        });
        out.push(NodeOut {
            // As written: Apache's names are case-insensitive, but people
            // read them in their own spelling.
            directive: match loaded.dialect {
                crate::syntax::Dialect::Nginx => loaded.tree.value(&loaded.source.text, &node.name),
                crate::syntax::Dialect::Apache => loaded.source.slice(node.name.span),
            }
            .to_string(),
            comment: None,
            args: node.args.iter().map(|a| arg_out(ws, file, a)).collect(),
            span: span_out(&loaded.source, node.span),
            block,
            includes,
        });
    }
    out
}
