//! nginx: the pest grammar (`grammar/nginx.pest`) and the lowering of its
//! flat token stream into the spanned tree, with braces paired on an explicit
//! stack and every syntax error worded for a person.

use pest::Parser;
use pest::iterators::Pair;

use super::{Arg, Node, NodeIndex, NodeKind, ParsedFile, Quote, StructureFault, Terminator};
use crate::source::{FileId, Span};

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/nginx.pest"]
struct NginxGrammar;

/// Blocks nested deeper than this are refused: real configs stay below ten
/// levels, and every later stage may then walk the tree recursively.
pub const MAX_DEPTH: usize = 200;

/// Common directives that never take a block: met as the first token of a
/// continuation line they mean the line before lacks its `;` (nginx then
/// reads them as arguments), and followed by `{` they mean an unquoted brace.
const SIMPLE_DIRECTIVES: &[&str] = &[
    "access_log",
    "add_header",
    "alias",
    "auth_basic",
    "auth_request",
    "client_max_body_size",
    "error_log",
    "error_page",
    "expires",
    "fastcgi_param",
    "fastcgi_pass",
    "fastcgi_read_timeout",
    "gzip",
    "include",
    "index",
    "keepalive",
    "keepalive_timeout",
    "listen",
    "proxy_buffer_size",
    "proxy_buffering",
    "proxy_buffers",
    "proxy_connect_timeout",
    "proxy_http_version",
    "proxy_pass",
    "proxy_read_timeout",
    "proxy_redirect",
    "proxy_send_timeout",
    "proxy_set_header",
    "resolver",
    "rewrite",
    "root",
    "server_name",
    "ssl_certificate",
    "ssl_certificate_key",
    "try_files",
    "uwsgi_pass",
    "grpc_pass",
    "set",
    "return",
];

/// Block directives whose name on a continuation line also means a missing `;`.
const BLOCK_DIRECTIVES: &[&str] = &["location", "upstream", "server", "if"];

/// Blocks whose entries are values, not directives: an entry there cannot
/// open a block (nginx: `unexpected "{"`).
const VALUE_BLOCKS: &[&str] = &["map", "geo", "types", "split_clients", "charset_map"];

/// Runs the pest grammar alone and returns how many pairs it produced: the
/// grammar's own throughput, measured by `benches/parse.rs` against the full
/// parse. Not part of the pipeline.
#[doc(hidden)]
pub fn grammar_only(text: &str) -> usize {
    NginxGrammar::parse(Rule::file, text)
        .map(|pairs| pairs.flatten().count())
        .unwrap_or(0)
}

/// Parses one file. Never fails: problems are in `errors`, and the tree holds
/// everything that could be read.
pub fn parse(file: FileId, text: &str) -> ParsedFile {
    let mut lowering = Lowering {
        file,
        text,
        out: ParsedFile::default(),
        open: Vec::new(),
    };
    if text.starts_with('\u{FEFF}') {
        lowering.error(
            "the file starts with a UTF-8 byte order mark".into(),
            Span::new(file, 0, 3),
            "nginx reads these bytes as part of the first directive's name".into(),
            None,
            Some(
                "nginx fails on it with `unknown directive`; save the file as UTF-8 without a BOM"
                    .into(),
            ),
        );
    }
    match NginxGrammar::parse(Rule::file, text) {
        Ok(mut pairs) => {
            if let Some(top) = pairs.next() {
                lowering.file_items(top);
            }
        }
        Err(error) => {
            // The grammar accepts any byte sequence, so this is a safety net.
            let at = match error.location {
                pest::error::InputLocation::Pos(p) => p,
                pest::error::InputLocation::Span((s, _)) => s,
            };
            let message = "cannot read this as nginx configuration";
            lowering.error(
                message.into(),
                Span::new(file, at, at),
                "here".into(),
                None,
                None,
            );
        }
    }
    lowering.finish()
}

struct Lowering<'t> {
    file: FileId,
    text: &'t str,
    out: ParsedFile,
    /// Directives whose `{` is open, innermost last.
    open: Vec<NodeIndex>,
}

impl<'t> Lowering<'t> {
    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let s = pair.as_span();
        Span::new(self.file, s.start(), s.end())
    }

    fn error(
        &mut self,
        message: String,
        span: Span,
        label: String,
        related: Option<(Span, String)>,
        help: Option<String>,
    ) {
        self.out.error(message, span, label, related, help);
    }

    /// Records the first structural break; later ones follow from it.
    fn fault(&mut self, fault: StructureFault) {
        self.out.structure_fault.get_or_insert(fault);
    }

    fn file_items(&mut self, top: Pair<'_, Rule>) {
        for item in top.into_inner() {
            match item.as_rule() {
                Rule::comment => {
                    let node = self.comment(&item);
                    self.push(node);
                }
                Rule::block_close => self.close_block(self.span(&item)),
                Rule::stray => {
                    let span = self.span(&item);
                    let ch = item.as_str();
                    self.error(
                        format!("unexpected `{ch}`"),
                        span,
                        "no directive before it".into(),
                        None,
                        Some(if ch == ";" {
                            "remove the extra `;`".into()
                        } else {
                            "a block needs a directive name before its `{`".into()
                        }),
                    );
                }
                Rule::statement if !self.statement(item.clone()) => return,
                _ => {}
            }
        }
    }

    fn comment(&self, pair: &Pair<'_, Rule>) -> Node {
        Node::comment(self.span(pair))
    }

    /// Adds a node to the innermost open block (or the file's top level).
    fn push(&mut self, node: Node) -> NodeIndex {
        self.out.push_in(node, self.open.last().copied())
    }

    fn close_block(&mut self, close: Span) {
        match self.open.pop() {
            Some(index) => {
                let node = &mut self.out.nodes[index as usize];
                if let Terminator::Block { open, .. } = node.terminator {
                    node.terminator = Terminator::Block {
                        open,
                        close: Some(close),
                    };
                }
                node.span = node.span.to(close);
            }
            None => {
                self.fault(StructureFault::UnexpectedClose(close));
                self.error(
                    "unexpected `}`".into(),
                    close,
                    "no block is open here".into(),
                    None,
                    Some("remove it, or look above for a block that was closed too early".into()),
                );
            }
        }
    }

    fn token(&mut self, pair: Pair<'_, Rule>) -> Arg {
        let span = self.span(&pair);
        let (quote, inner) = match pair.as_rule() {
            Rule::dq_string | Rule::sq_string => {
                let quote = if pair.as_rule() == Rule::dq_string {
                    Quote::Double
                } else {
                    Quote::Single
                };
                let body = pair
                    .into_inner()
                    .find(|p| matches!(p.as_rule(), Rule::dq_body | Rule::sq_body));
                let inner = body.map(|b| self.span(&b)).unwrap_or(Span {
                    start: span.start + 1,
                    end: span.start + 1,
                    ..span
                });
                (quote, inner)
            }
            Rule::lua_body => (Quote::Lua, span),
            _ => (Quote::None, span),
        };
        let raw = &self.text[inner.range()];
        let value = if quote != Quote::Lua && raw.contains('\\') {
            self.out.keep_value(raw, unescape(raw))
        } else {
            0
        };
        Arg {
            span,
            inner,
            quote,
            value,
        }
    }

    /// Lowers one directive. Returns false when the file cannot go on
    /// (nesting too deep).
    fn statement(&mut self, pair: Pair<'_, Rule>) -> bool {
        let mut is_lua = false;
        let mut name: Option<Arg> = None;
        let mut args: Vec<Arg> = Vec::new();
        let mut comments: Vec<Node> = Vec::new();
        let mut terminator = Terminator::Missing;
        let mut lua_close_seen = false;
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::comment => comments.push(self.comment(&part)),
                Rule::semicolon => terminator = Terminator::Semicolon(self.span(&part)),
                Rule::block_open => {
                    terminator = Terminator::Block {
                        open: self.span(&part),
                        close: None,
                    }
                }
                Rule::lua_close => {
                    lua_close_seen = true;
                    if let Terminator::Block { open, .. } = terminator {
                        terminator = Terminator::Block {
                            open,
                            close: Some(self.span(&part)),
                        };
                    }
                }
                rule => {
                    is_lua |= rule == Rule::lua_name;
                    let arg = self.token(part);
                    self.check_string(&arg, args.last().or(name.as_ref()));
                    if name.is_none() {
                        name = Some(arg);
                    } else {
                        args.push(arg);
                    }
                }
            }
        }
        let Some(name) = name else {
            return true;
        };
        let end = match terminator {
            Terminator::Semicolon(s) => s,
            Terminator::Block { close: Some(c), .. } if is_lua => c,
            Terminator::Block { open, .. } => open,
            Terminator::Missing | Terminator::LineEnd => {
                args.last().map(|a| a.span).unwrap_or(name.span)
            }
        };
        let span = name.span.to(end);
        self.check_continuation(&name, &args);
        // An unterminated string already explains why nothing ends the statement.
        if terminator == Terminator::Missing && !args.iter().any(is_unterminated) {
            self.missing_terminator(&name, &args);
        }
        if is_lua && !lua_close_seen {
            if let Terminator::Block { open, .. } = terminator {
                self.fault(StructureFault::TruncatedAtEnd);
                self.error(
                    "unclosed Lua block".into(),
                    self.end_of_file(),
                    "the file ends here".into(),
                    Some((open, "this `{` is never closed".into())),
                    Some("close the Lua block with `}`".into()),
                );
            }
        }
        let opens_block = !is_lua && matches!(terminator, Terminator::Block { .. });
        if let (true, Terminator::Block { open, .. }) = (opens_block, terminator) {
            self.check_block_allowed(&name, open);
        }
        let node = Node {
            kind: NodeKind::Directive,
            name,
            args: args.into(),
            terminator,
            children: opens_block.then(Vec::new),
            parent: None,
            span,
        };
        let index = self.push(node);
        for comment in comments {
            self.push(comment);
        }
        if opens_block {
            if self.open.len() >= MAX_DEPTH {
                let open = match terminator {
                    Terminator::Block { open, .. } => open,
                    _ => span,
                };
                self.error(
                    format!("blocks are nested more than {MAX_DEPTH} levels deep"),
                    open,
                    format!("this `{{` opens level {}", MAX_DEPTH + 1),
                    None,
                    Some(
                        "the rest of this file was not read; no real configuration nests this deep"
                            .into(),
                    ),
                );
                // Unwind so that no "unclosed" errors pile up after this one.
                self.open.clear();
                return false;
            }
            self.open.push(index);
        }
        true
    }

    /// A `{` where nginx cannot open a block: after a directive that takes
    /// none, inside `map`-like blocks, or as a regex quantifier (`\d{1,3}`).
    fn check_block_allowed(&mut self, name: &Arg, open: Span) {
        let raw_name = &self.text[name.span.range()];
        let quantifier = quantifier_after(&self.text[open.end as usize..]);
        if let Some(quantifier) = quantifier {
            let span = Span::new(
                self.file,
                open.start as usize,
                open.end as usize + quantifier.len(),
            );
            self.error(
                format!("unquoted regex quantifier `{{{quantifier}` opens a block"),
                span,
                "nginx reads this `{` as the start of a block".into(),
                None,
                Some("put the whole regex in quotes, e.g. `location ~ \"^/\\d{1,3}$\" {`".into()),
            );
            return;
        }
        if let Some(&parent) = self.open.last() {
            let parent_node = &self.out.nodes[parent as usize];
            let parent_name = &self.text[parent_node.name.span.range()];
            if VALUE_BLOCKS.contains(&parent_name) {
                let related = match parent_node.terminator {
                    Terminator::Block { open, .. } => {
                        Some((open, format!("inside this `{parent_name}` block")))
                    }
                    _ => None,
                };
                self.error(
                    "unexpected `{`".into(),
                    open,
                    format!("entries of `{parent_name}` cannot open a block"),
                    related,
                    Some("quote a value that contains `{`, such as a regex with `{n,m}`".into()),
                );
                return;
            }
        }
        if SIMPLE_DIRECTIVES.contains(&raw_name) {
            self.error(
                format!("`{raw_name}` is not terminated by `;`"),
                open,
                format!("`{raw_name}` takes no block, but this `{{` opens one"),
                Some((name.span, "this directive".into())),
                Some("end the directive with `;`, and quote any argument that contains `{`".into()),
            );
        }
    }

    /// After a closing quote nginx wants a space, `;` or `{` (a `)` is let
    /// through for `if` conditions); an unterminated string is reported here.
    fn check_string(&mut self, arg: &Arg, previous: Option<&Arg>) {
        if let Some(prev) = previous {
            if prev.quote != Quote::None
                && prev.quote != Quote::Lua
                && prev.span.end == arg.span.start
                && !self.text[arg.span.range()].starts_with(')')
            {
                let ch = self.text[arg.span.range()].chars().next().unwrap_or(' ');
                let first = Span::new(
                    self.file,
                    arg.span.start as usize,
                    arg.span.start as usize + ch.len_utf8(),
                );
                self.error(
                    format!("unexpected `{ch}` right after a quoted string"),
                    first,
                    "expected a space, `;` or `{` before this".into(),
                    Some((prev.span, "the string ends here".into())),
                    Some(
                        "put a space between the two arguments, or move the text inside the quotes"
                            .into(),
                    ),
                );
            }
        }
        if matches!(arg.quote, Quote::Single | Quote::Double) {
            let quote_char = if arg.quote == Quote::Double {
                '"'
            } else {
                '\''
            };
            if is_unterminated(arg) {
                self.fault(StructureFault::TruncatedAtEnd);
                let opening = Span::new(
                    self.file,
                    arg.span.start as usize,
                    arg.span.start as usize + 1,
                );
                self.error(
                    "unterminated string".into(),
                    opening,
                    format!("this `{quote_char}` is never closed"),
                    None,
                    Some(format!("add the closing `{quote_char}`")),
                );
            }
        }
    }

    fn missing_terminator(&mut self, name: &Arg, args: &[Arg]) {
        let last = args.last().unwrap_or(name);
        let next = self.text[last.span.end as usize..]
            .trim_start_matches([' ', '\t', '\r', '\n'])
            .chars()
            .next();
        let (span, label) = if next == Some('}') {
            let after = Span::new(self.file, last.span.end as usize, last.span.end as usize);
            (after, "expected `;` here, before the `}`")
        } else {
            // miette cannot draw a point past the last character, so the
            // label goes on the last token.
            self.fault(StructureFault::TruncatedAtEnd);
            (last.span, "the file ends after this, with no `;`")
        };
        self.error(
            format!("missing `;` after `{}`", self.preview(name, args)),
            span,
            label.into(),
            None,
            Some("end the directive with `;` (or open a block with `{`)".into()),
        );
    }

    /// The last character of the file that is not whitespace, to label "the
    /// file ends here" (a point past the end cannot be drawn).
    fn end_of_file(&self) -> Span {
        super::end_of_file(self.file, self.text)
    }

    /// A known directive name at the start of a continuation line: the line
    /// before almost surely lacks its `;`.
    fn check_continuation(&mut self, name: &Arg, args: &[Arg]) {
        let mut previous_end = name.span.end as usize;
        for (i, arg) in args.iter().enumerate() {
            let gap = &self.text[previous_end..arg.span.start as usize];
            let starts_line = gap.contains('\n');
            let raw = &self.text[arg.span.range()];
            if starts_line
                && arg.quote == Quote::None
                && (SIMPLE_DIRECTIVES.contains(&raw) || BLOCK_DIRECTIVES.contains(&raw))
                && i + 1 < args.len()
            {
                let before = &args[..i];
                let last = before.last().unwrap_or(name);
                let at = Span::new(self.file, last.span.end as usize, last.span.end as usize);
                self.error(
                    format!("missing `;` after `{}`", self.preview(name, before)),
                    at,
                    "expected `;` here".into(),
                    Some((
                        arg.span,
                        format!("`{raw}` on the next line is read as one more argument"),
                    )),
                    Some("end the directive with `;`".into()),
                );
                return;
            }
            previous_end = arg.span.end as usize;
        }
    }

    /// `name arg arg`, shortened for a message.
    fn preview(&self, name: &Arg, args: &[Arg]) -> String {
        let mut text = self.text[name.span.range()].to_string();
        for arg in args {
            text.push(' ');
            text.push_str(&self.text[arg.span.range()]);
        }
        let text: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        if text.chars().count() > 60 {
            let cut: String = text.chars().take(57).collect();
            format!("{cut}…")
        } else {
            text
        }
    }

    fn finish(mut self) -> ParsedFile {
        // nginx stops at its first error; an unclosed block after another
        // error is usually that error's echo, so it is reported only alone.
        let first_error = self.out.errors.is_empty();
        if !self.open.is_empty() {
            // Open blocks outrank a statement cut off by the end of the file:
            // a tokenizer sees the braces fail to balance first.
            if self.out.structure_fault == Some(StructureFault::TruncatedAtEnd) {
                self.out.structure_fault = None;
            }
            self.fault(StructureFault::UnclosedAtEnd);
        }
        if let (Some(&innermost), true) = (self.open.last(), first_error) {
            let node = &self.out.nodes[innermost as usize];
            let open = match node.terminator {
                Terminator::Block { open, .. } => open,
                _ => node.span,
            };
            let name = self.text[node.name.span.range()].to_string();
            let unclosed = self.open.len();
            let end = self.end_of_file();
            self.error(
                "unclosed `{`".into(),
                end,
                "the file ends here, expecting `}`".into(),
                Some((open, format!("this `{name}` block is never closed"))),
                Some(if unclosed > 1 {
                    format!("{unclosed} blocks are still open at the end of the file; add the missing `}}`")
                } else {
                    "add the missing `}`".into()
                }),
            );
        }
        self.out
    }
}

/// A quoted argument whose closing quote never came (its inner text then
/// runs to the end of its span).
fn is_unterminated(arg: &Arg) -> bool {
    matches!(arg.quote, Quote::Single | Quote::Double) && arg.inner.end == arg.span.end
}

/// `1,10}` right after a `{`: a regex quantifier that lost its quotes.
fn quantifier_after(text: &str) -> Option<&str> {
    let end = text.find('}')?;
    let inside = &text[..end];
    let valid = !inside.is_empty()
        && inside.chars().any(|c| c.is_ascii_digit())
        && inside.chars().all(|c| c.is_ascii_digit() || c == ',')
        && inside.matches(',').count() <= 1;
    valid.then(|| &text[..=end])
}

/// nginx's unescaping, applied to every token: `\"`, `\'` and `\\` lose their
/// backslash, `\t`, `\r` and `\n` become control characters, and any other
/// backslash stays (so regexes like `\.php$` keep theirs).
pub fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.peek() {
                Some(&next @ ('"' | '\'' | '\\')) => {
                    out.push(next);
                    chars.next();
                }
                Some('t') => {
                    out.push('\t');
                    chars.next();
                }
                Some('r') => {
                    out.push('\r');
                    chars.next();
                }
                Some('n') => {
                    out.push('\n');
                    chars.next();
                }
                _ => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(text: &str) -> ParsedFile {
        parse(FileId(0), text)
    }

    fn names(text: &str) -> Vec<String> {
        let parsed = tree(text);
        parsed
            .nodes
            .iter()
            .filter(|n| n.is_directive())
            .map(|n| {
                let mut s = parsed.value(text, &n.name).to_string();
                for a in &n.args {
                    s.push('|');
                    s.push_str(parsed.value(text, a));
                }
                s
            })
            .collect()
    }

    #[test]
    fn directives_blocks_and_comments() {
        let text = "http {\n  # hi\n  server { listen 80; }\n}\n";
        let parsed = tree(text);
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        assert_eq!(parsed.roots.len(), 1);
        let http = parsed.node(parsed.roots[0]);
        let kids = http.children.as_ref().unwrap();
        assert_eq!(kids.len(), 2);
        assert_eq!(parsed.node(kids[0]).kind, NodeKind::Comment);
        assert_eq!(&text[parsed.node(kids[0]).name.inner.range()], " hi");
        assert_eq!(parsed.node(kids[1]).parent, Some(parsed.roots[0]));
        assert_eq!(&text[http.span.range()], text.trim_end());
    }

    #[test]
    fn tokens_follow_nginx() {
        assert_eq!(names("a b}c d#e;"), vec!["a|b}c|d#e"]);
        assert_eq!(names("set $a ${host}x;"), vec!["set|$a|${host}x"]);
        assert_eq!(names(r#"a "x;{}#" 'y\'z' \;b;"#), vec!["a|x;{}#|y'z|\\;b"]);
        assert_eq!(names(r#"a "t\tn\nq\"b\\c\d";"#), vec!["a|t\tn\nq\"b\\c\\d"]);
        assert_eq!(names("location ~ \\.php$ {}"), vec!["location|~|\\.php$"]);
        assert_eq!(
            names("if ($request_uri ~* \"^/(a|b)$\") { return 404; }"),
            vec!["if|($request_uri|~*|^/(a|b)$|)", "return|404"]
        );
        assert_eq!(names("a # c1\n b # c2\n ;"), vec!["a|b"]);
        assert_eq!(names("\u{feff}user www;\r\n"), vec!["user|www"]);
        assert!(
            tree("\u{feff}user www;").errors[0]
                .message
                .contains("byte order mark")
        );
        assert_eq!(names("a \"é ü\";"), vec!["a|é ü"]);
    }

    #[test]
    fn lua_block_is_one_raw_argument() {
        let text = "content_by_lua_block {\n  local s = \"}\" -- }\n  if x then t = { [1] = '{' } end\n}\nset_by_lua_block $v { return [[}]] }\nlisten 80;";
        let parsed = tree(text);
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        let lua = parsed.node(parsed.roots[0]);
        assert_eq!(lua.args.len(), 1);
        assert_eq!(lua.args[0].quote, Quote::Lua);
        assert!(
            parsed
                .value(text, &lua.args[0])
                .contains("t = { [1] = '{' }")
        );
        let set = parsed.node(parsed.roots[1]);
        assert_eq!(parsed.value(text, &set.args[0]), "$v");
        assert_eq!(parsed.value(text, &set.args[1]), " return [[}]] ");
        assert_eq!(parsed.node(parsed.roots[2]).args.len(), 1);
    }

    #[test]
    fn errors_are_worded_and_recovered() {
        let p = tree("server { listen 80 }");
        assert_eq!(p.errors[0].message, "missing `;` after `listen 80`");
        let p = tree("a;\n}\n");
        assert_eq!(p.errors[0].message, "unexpected `}`");
        let p = tree("http {\n server {\n");
        assert_eq!(p.errors[0].message, "unclosed `{`");
        assert!(p.errors[0].related.is_some());
        let p = tree("a \"b;\n");
        assert_eq!(p.errors[0].message, "unterminated string");
        let p = tree("return 200 \"a\"b;");
        assert!(p.errors[0].message.starts_with("unexpected `b`"));
        let p = tree(";");
        assert_eq!(p.errors[0].message, "unexpected `;`");
        let p = tree("location / {\n proxy_pass http://app\n proxy_read_timeout 5s;\n}");
        assert_eq!(
            p.errors[0].message,
            "missing `;` after `proxy_pass http://app`"
        );
    }

    #[test]
    fn braces_where_nginx_takes_no_block() {
        let p = tree("location / { root {ROOT}/UI; }");
        assert_eq!(p.errors[0].message, "`root` is not terminated by `;`");
        assert_eq!(p.errors.len(), 1, "{:?}", p.errors);
        let p = tree("map $a $b { ~^x{1,5}$ 1; default 0; }");
        assert!(
            p.errors[0].message.starts_with("unquoted regex quantifier"),
            "{:?}",
            p.errors
        );
        let p = tree("map $a $b { ~^(a|b) { } }");
        assert_eq!(p.errors[0].message, "unexpected `{`");
        let p = tree("location ~ ^/\\d{1,10}$ { return 200; }");
        assert_eq!(
            p.errors[0].message,
            "unquoted regex quantifier `{1,10}` opens a block"
        );
        assert!(
            tree("location ~ \"^/\\d{1,10}$\" { return 200; }")
                .errors
                .is_empty()
        );
        assert!(tree("server { location / {} }").errors.is_empty());
    }

    #[test]
    fn deep_nesting_is_refused_without_recursion() {
        let depth = 100_000;
        let text = "a {".repeat(depth) + &"}".repeat(depth);
        let parsed = tree(&text);
        assert_eq!(parsed.errors.len(), 1);
        assert!(parsed.errors[0].message.contains("nested more than"));
    }

    #[test]
    fn deep_lua_nesting_is_read_without_recursion() {
        let deep = "{".repeat(100_000) + &"}".repeat(100_000);
        let text = format!("content_by_lua_block {{ {deep} }}\nlisten 80;");
        let parsed = tree(&text);
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        assert_eq!(parsed.roots.len(), 2);
        let lua = parsed.node(parsed.roots[0]);
        assert_eq!(parsed.value(&text, &lua.args[0]), format!(" {deep} "));
        // An unbalanced body still ends at the end of the file, reported.
        let parsed = tree(&format!(
            "content_by_lua_block {{ {} }}",
            "{".repeat(100_000)
        ));
        assert_eq!(parsed.errors[0].message, "unclosed Lua block");
    }
}
