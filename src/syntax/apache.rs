//! Apache httpd: the pest grammar (`grammar/apache.pest`) and its lowering
//! into the same tree as nginx. Sections (`<VirtualHost …>` … `</VirtualHost>`)
//! become block directives, paired on an explicit stack; names are compared
//! case-insensitively, so each name's value is its lower-case form while its
//! span keeps the spelling on disk.

use pest::Parser;
use pest::iterators::Pair;

use super::{Arg, Node, NodeIndex, NodeKind, ParsedFile, Quote, StructureFault, Terminator};
use crate::source::{FileId, Span};

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/apache.pest"]
struct ApacheGrammar;

/// As for nginx: deeper nesting is refused so later stages may recurse.
pub const MAX_DEPTH: usize = super::nginx::MAX_DEPTH;

/// Parses one file. Never fails: problems are in `errors`.
pub fn parse(file: FileId, text: &str) -> ParsedFile {
    let mut lowering = Lowering {
        file,
        text,
        out: ParsedFile::default(),
        open: Vec::new(),
        stopped: false,
    };
    match ApacheGrammar::parse(Rule::file, text) {
        Ok(mut pairs) => {
            if let Some(top) = pairs.next() {
                for item in top.into_inner() {
                    if lowering.stopped {
                        break;
                    }
                    lowering.item(item);
                }
            }
        }
        Err(error) => {
            // The grammar accepts any text; this is a safety net.
            let at = match error.location {
                pest::error::InputLocation::Pos(p) => p,
                pest::error::InputLocation::Span((s, _)) => s,
            };
            lowering.error(
                "cannot read this as Apache configuration".into(),
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
    /// Sections still open, innermost last.
    open: Vec<NodeIndex>,
    /// Nesting went too deep: the rest of the file is not read.
    stopped: bool,
}

impl Lowering<'_> {
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

    fn item(&mut self, item: Pair<'_, Rule>) {
        match item.as_rule() {
            Rule::comment => {
                self.push(Node::comment(self.span(&item)));
            }
            Rule::directive => self.directive(item),
            Rule::section_open => self.section_open(item),
            Rule::section_close => self.section_close(item),
            _ => {}
        }
    }

    /// Adds a node to the innermost open section (or the top level).
    fn push(&mut self, node: Node) -> NodeIndex {
        self.out.push_in(node, self.open.last().copied())
    }

    fn arg(&mut self, pair: Pair<'_, Rule>) -> Arg {
        let span = self.span(&pair);
        let (quote, inner) = match pair.as_rule() {
            Rule::dq_string | Rule::sq_string => {
                let quote = if pair.as_rule() == Rule::dq_string {
                    Quote::Double
                } else {
                    Quote::Single
                };
                let inner = pair
                    .into_inner()
                    .next()
                    .map(|b| self.span(&b))
                    .unwrap_or(Span {
                        start: span.start + 1,
                        end: span.start + 1,
                        ..span
                    });
                (quote, inner)
            }
            _ => (Quote::None, span),
        };
        let raw = &self.text[inner.range()];
        let value = if raw.contains('\\') {
            let quote_char = match quote {
                Quote::Double => Some('"'),
                Quote::Single => Some('\''),
                _ => None,
            };
            self.out.keep_value(raw, unescape(raw, quote_char))
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

    /// A name: compared folded, so its value is the lower-case form.
    fn name(&mut self, pair: Pair<'_, Rule>) -> Arg {
        let mut arg = self.arg(pair);
        let text = self.text;
        let raw = &text[arg.inner.range()];
        let folded = self.out.value(text, &arg).to_ascii_lowercase();
        if folded != self.out.value(text, &arg) {
            // An unescaped name that also folds keeps only its folded form.
            arg.value = self.out.keep_value(raw, folded);
        }
        arg
    }

    fn directive(&mut self, pair: Pair<'_, Rule>) {
        let mut parts = pair.into_inner();
        let Some(first) = parts.next() else {
            return;
        };
        let name = self.name(first);
        let args: Vec<Arg> = parts.map(|p| self.arg(p)).collect();
        let span = name.span.to(args.last().map_or(name.span, |a| a.span));
        let written = &self.text[name.span.range()];
        if let Some(section) = written.strip_prefix("</") {
            self.error(
                format!("`</{section}` lacks its closing `>`"),
                name.span,
                "the closing tag is cut short".into(),
                None,
                Some(format!("write `</{}>`", section.trim_end_matches('>'))),
            );
        } else if written.starts_with('<') {
            let section = written.trim_start_matches('<');
            if section.is_empty() || section.starts_with('>') {
                self.error(
                    "a section tag without a name".into(),
                    name.span,
                    "`<` must be followed by the section's name".into(),
                    None,
                    Some("write the section as `<Name arguments>`".into()),
                );
            } else {
                self.error(
                    format!("`<{section}` lacks its closing `>`"),
                    span,
                    "httpd: directive missing closing '>'".into(),
                    None,
                    Some(format!(
                        "end the line with `>`: `<{section} …>`; httpd refuses to start without it"
                    )),
                );
            }
        }
        for arg in &args {
            self.check_unterminated(arg);
        }
        self.push(Node {
            kind: NodeKind::Directive,
            name,
            args: args.into(),
            terminator: Terminator::LineEnd,
            children: None,
            parent: None,
            span,
        });
    }

    fn section_open(&mut self, pair: Pair<'_, Rule>) {
        let tag = self.span(&pair);
        let mut name = None;
        let mut args = Vec::new();
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::section_name => name = Some(self.name(part)),
                Rule::section_end => {}
                _ => args.push(self.arg(part)),
            }
        }
        let Some(name) = name else {
            return;
        };
        for arg in &args {
            self.check_unterminated(arg);
        }
        if self.open.len() >= MAX_DEPTH {
            self.error(
                format!("sections are nested more than {MAX_DEPTH} levels deep"),
                tag,
                format!("this section opens level {}", MAX_DEPTH + 1),
                None,
                Some(
                    "the rest of this file was not read; no real configuration nests this deep"
                        .into(),
                ),
            );
            self.open.clear();
            self.stopped = true;
            return;
        }
        let index = self.push(Node {
            kind: NodeKind::Directive,
            name,
            args: args.into(),
            terminator: Terminator::Block {
                open: tag,
                close: None,
            },
            children: Some(Vec::new()),
            parent: None,
            span: tag,
        });
        self.open.push(index);
    }

    fn section_close(&mut self, pair: Pair<'_, Rule>) {
        let tag = self.span(&pair);
        let mut name: Option<(String, Span)> = None;
        let mut closed = false;
        let mut rest = None;
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::section_name => {
                    name = Some((part.as_str().to_ascii_lowercase(), self.span(&part)))
                }
                Rule::close_end => closed = true,
                Rule::close_rest if !part.as_str().trim().is_empty() => {
                    rest = Some(self.span(&part))
                }
                _ => {}
            }
        }
        let written = self.text[tag.range()].trim_end().to_string();
        let Some((name, _)) = name else {
            self.error(
                "a closing tag without a name".into(),
                tag,
                "`</` must be followed by the section's name".into(),
                None,
                Some("write the closing tag as `</Name>`".into()),
            );
            return;
        };
        if !closed {
            self.error(
                format!("`{written}` lacks its closing `>`"),
                tag,
                "the closing tag is cut short".into(),
                None,
                Some(format!("write `{}>`", written.trim_end())),
            );
        } else if let Some(rest) = rest {
            self.error(
                "text after a closing tag".into(),
                rest,
                "httpd reads the whole line as the tag and does not recognise it".into(),
                None,
                Some("put the closing tag on a line of its own".into()),
            );
        }
        let open_name = |lowering: &Self, index: NodeIndex| {
            let node = &lowering.out.nodes[index as usize];
            lowering.out.value(lowering.text, &node.name).to_string()
        };
        let Some(&innermost) = self.open.last() else {
            self.out
                .structure_fault
                .get_or_insert(StructureFault::UnexpectedClose(tag));
            self.error(
                format!("`{written}` closes no open section"),
                tag,
                format!("httpd: {written} without matching section"),
                None,
                Some("remove it, or look above for a section closed too early".into()),
            );
            return;
        };
        if open_name(self, innermost) != name {
            let node = &self.out.nodes[innermost as usize];
            let expected = format!("</{}>", &self.text[node.name.span.range()]);
            let open_tag = node.span;
            self.error(
                format!("expected `{expected}` but saw `{written}`"),
                tag,
                "this closing tag does not match".into(),
                Some((open_tag, "the innermost open section".into())),
                Some(format!(
                    "close the inner section with `{expected}` first; httpd refuses to start otherwise"
                )),
            );
            // Recover: if an outer section has this name, the inner ones end here.
            let Some(depth) = self.open.iter().rposition(|&i| open_name(self, i) == name) else {
                return;
            };
            while self.open.len() > depth + 1 {
                self.open.pop();
            }
        }
        if let Some(index) = self.open.pop() {
            let node = &mut self.out.nodes[index as usize];
            if let Terminator::Block { open, .. } = node.terminator {
                node.terminator = Terminator::Block {
                    open,
                    close: Some(tag),
                };
            }
            node.span = node.span.to(tag);
        }
    }

    fn check_unterminated(&mut self, arg: &Arg) {
        if matches!(arg.quote, Quote::Single | Quote::Double) && arg.inner.end == arg.span.end {
            let quote = if arg.quote == Quote::Double {
                '"'
            } else {
                '\''
            };
            self.error(
                "unterminated string".into(),
                Span::new(
                    self.file,
                    arg.span.start as usize,
                    arg.span.start as usize + 1,
                ),
                format!("this `{quote}` is never closed on its line"),
                None,
                Some(format!(
                    "add the closing `{quote}`; httpd takes the rest of the line as the argument"
                )),
            );
        }
    }

    fn finish(mut self) -> ParsedFile {
        if let Some(&innermost) = self.open.first() {
            self.out
                .structure_fault
                .get_or_insert(StructureFault::UnclosedAtEnd);
            let node = &self.out.nodes[innermost as usize];
            let name = self.text[node.name.span.range()].to_string();
            let open = node.span;
            let still_open = self.open.len();
            let end = self.end_of_file();
            self.error(
                format!("`<{name}>` is never closed"),
                end,
                format!("the file ends here, expecting `</{name}>`"),
                Some((open, "this section is never closed".into())),
                Some(if still_open > 1 {
                    format!("{still_open} sections are still open at the end of the file; httpd: <{name}> was not closed")
                } else {
                    format!("add `</{name}>`; httpd refuses to start: <{name}> was not closed")
                }),
            );
        }
        self.out
    }

    /// The last non-blank character, for labels at the end of the file.
    fn end_of_file(&self) -> Span {
        super::end_of_file(self.file, self.text)
    }
}

/// An argument's value as httpd sees it: continuations dropped, and `\\`
/// (and the quote character inside quotes) unescaped.
fn unescape(raw: &str, quote: Option<char>) -> String {
    let joined = raw.replace("\\\r\n", "").replace("\\\n", "");
    let mut out = String::with_capacity(joined.len());
    let mut chars = joined.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(&next) = chars.peek() {
                if next == '\\' || Some(next) == quote {
                    out.push(next);
                    chars.next();
                    continue;
                }
            }
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(text: &str) -> ParsedFile {
        let tree = parse(FileId(0), text);
        assert!(tree.errors.is_empty(), "{:?}", tree.errors);
        tree
    }

    fn names(tree: &ParsedFile, text: &str, nodes: &[NodeIndex]) -> Vec<String> {
        tree.directives(nodes)
            .map(|(_, n)| tree.value(text, &n.name).to_string())
            .collect()
    }

    fn values(tree: &ParsedFile, text: &str, index: NodeIndex) -> Vec<String> {
        tree.node(index)
            .args
            .iter()
            .map(|a| tree.value(text, a).to_string())
            .collect()
    }

    #[test]
    fn sections_nest_and_names_fold() {
        let text = "ServerRoot /etc/apache2\n<VirtualHost *:80>\n  ServerName a\n  <Location /api>\n    ProxyPass http://127.0.0.1:8080/\n  </location>\n</VIRTUALHOST>\n";
        let tree = parse_ok(text);
        assert_eq!(
            names(&tree, text, &tree.roots),
            ["serverroot", "virtualhost"]
        );
        let vhost = tree.roots[1];
        let node = tree.node(vhost);
        assert_eq!(&text[node.name.span.range()], "VirtualHost");
        assert_eq!(values(&tree, text, vhost), ["*:80"]);
        let kids = node.children.clone().unwrap();
        assert_eq!(names(&tree, text, &kids), ["servername", "location"]);
        assert!(matches!(
            node.terminator,
            Terminator::Block { close: Some(_), .. }
        ));
        assert!(text[node.span.range()].ends_with("</VIRTUALHOST>"));
    }

    #[test]
    fn quotes_escapes_and_hashes() {
        let text = "Header set X \"a \\\"b\\\" c\" 'd e' f#g\n  # a comment\nSetHandler \"proxy:unix:/run/php.sock|fcgi://localhost\"\n";
        let tree = parse_ok(text);
        assert_eq!(
            values(&tree, text, tree.roots[0]),
            ["set", "X", "a \"b\" c", "d e", "f#g"]
        );
        assert_eq!(tree.node(tree.roots[1]).kind, NodeKind::Comment);
        assert_eq!(
            values(&tree, text, tree.roots[2]),
            ["proxy:unix:/run/php.sock|fcgi://localhost"]
        );
    }

    #[test]
    fn continuations_join_lines_and_keep_spans() {
        let text = "ProxyPass /app \\\n    http://127.0.0.1:8080/ \\\r\n    timeout=5\n# one \\\n  comment\nServer\\\nName x\n";
        let tree = parse_ok(text);
        assert_eq!(
            values(&tree, text, tree.roots[0]),
            ["/app", "http://127.0.0.1:8080/", "timeout=5"]
        );
        let url = &tree.node(tree.roots[0]).args[1];
        assert_eq!(&text[url.span.range()], "http://127.0.0.1:8080/");
        assert_eq!(tree.node(tree.roots[1]).kind, NodeKind::Comment);
        assert_eq!(names(&tree, text, &tree.roots), ["proxypass", "servername"]);
    }

    #[test]
    fn if_expressions_stay_raw_and_crlf_bom_empty_are_fine() {
        let text = "\u{FEFF}<If \"%{HTTP_HOST} != 'a > b'\">\r\n  Require all denied\r\n</If>\r\n";
        let tree = parse_ok(text);
        assert_eq!(
            values(&tree, text, tree.roots[0]),
            ["%{HTTP_HOST} != 'a > b'"]
        );
        parse_ok("");
        parse_ok("\n\n   \n");
        let text = "<Directory \"/var/www\">\n</Directory>";
        let tree = parse_ok(text);
        assert_eq!(values(&tree, text, tree.roots[0]), ["/var/www"]);
    }

    #[test]
    fn mismatched_and_unclosed_sections_are_errors_in_words() {
        let tree = parse(FileId(0), "<Directory /x>\n</Location>\n");
        assert_eq!(
            tree.errors[0].message,
            "expected `</Directory>` but saw `</Location>`"
        );
        assert!(tree.errors[0].related.is_some());
        let tree = parse(FileId(0), "<VirtualHost *:80>\nServerName a\n");
        assert_eq!(tree.errors[0].message, "`<VirtualHost>` is never closed");
        let tree = parse(FileId(0), "</VirtualHost>\n");
        assert_eq!(
            tree.errors[0].message,
            "`</VirtualHost>` closes no open section"
        );
        let tree = parse(FileId(0), "<VirtualHost *:80\n</VirtualHost>\n");
        assert_eq!(
            tree.errors[0].message,
            "`<VirtualHost` lacks its closing `>`"
        );
        let tree = parse(FileId(0), "ServerName \"a\n");
        assert_eq!(tree.errors[0].message, "unterminated string");
    }

    #[test]
    fn recovers_to_the_outer_section_of_the_same_name() {
        let text = "<VirtualHost *:80>\n<Location />\n</VirtualHost>\nListen 80\n";
        let tree = parse(FileId(0), text);
        assert_eq!(tree.errors.len(), 1, "{:?}", tree.errors);
        assert_eq!(names(&tree, text, &tree.roots), ["virtualhost", "listen"]);
    }

    #[test]
    fn deep_nesting_is_refused_without_recursion() {
        let text = "<IfModule a>\n".repeat(100_000);
        let tree = parse(FileId(0), &text);
        assert!(tree.errors[0].message.contains("nested more than"));
        assert_eq!(tree.errors.len(), 1);
    }
}
