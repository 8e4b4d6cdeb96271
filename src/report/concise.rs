//! One line per finding, `path:line:col: severity[RULE] message`: the shape
//! editors' error parsers read (Vim's errorformat, Emacs compilation mode,
//! VS Code problem matchers, nvim-lint).

use super::Located;

pub fn render(located: &[Located<'_>]) -> String {
    located
        .iter()
        .map(|item| {
            format!(
                "{}:{}:{}: {}[{}] {}\n",
                item.file,
                item.start.line,
                item.start.column,
                item.finding.severity.as_str(),
                item.finding.rule,
                item.finding.message.replace('\n', " ")
            )
        })
        .collect()
}
