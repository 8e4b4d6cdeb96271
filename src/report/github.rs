//! GitHub Actions workflow commands: one `::error`, `::warning` or
//! `::notice` line per finding, which GitHub shows as an annotation on the
//! pull request's diff. Values are escaped as GitHub requires.

use super::Located;
use crate::finding::Severity;

/// Escapes a command's message.
fn data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value (`file=`, `title=`, …), which also ends at `:` and `,`.
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

pub fn render(located: &[Located<'_>]) -> String {
    let mut out = String::new();
    for item in located {
        let f = item.finding;
        let command = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let mut message = f.message.clone();
        if let Some(help) = &f.help {
            message.push_str(&format!("\nFix: {help}"));
        }
        out.push_str(&format!(
            "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}\n",
            property(&item.file),
            item.start.line,
            item.start.column,
            item.end.line,
            item.end.column,
            property(&format!("gatelint({})", f.rule)),
            data(&message)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(data("50% done\r\nnext"), "50%25 done%0D%0Anext");
        assert_eq!(property("a:b,c"), "a%3Ab%2Cc");
    }
}
