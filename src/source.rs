//! Source files as gatelint holds them: the path a user would recognise, the
//! text, and a line index that turns byte offsets into 1-based lines and
//! character columns for every output format.

use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Index of a file in a [`crate::load::Workspace`]; spans carry it instead of a path.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// A byte range in one file. Converts straight to miette's `SourceSpan`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        Span {
            file,
            start: start as u32,
            end: end as u32,
        }
    }

    pub fn len(&self) -> usize {
        (self.end - self.start) as usize
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    pub fn range(&self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }

    /// The smallest span covering both (same file).
    pub fn to(&self, other: Span) -> Span {
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

impl From<Span> for miette::SourceSpan {
    fn from(span: Span) -> Self {
        miette::SourceSpan::new((span.start as usize).into(), span.len())
    }
}

/// A 1-based line and a 1-based column counted in characters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// One file's text and where each line starts.
#[derive(Debug)]
pub struct SourceFile {
    /// The path as the user named it (or as nginx would, for included files).
    pub path: PathBuf,
    pub text: Arc<str>,
    line_starts: Arc<[u32]>,
    /// Where the file's bytes were not UTF-8 (offset, length); each such
    /// byte stands in the text as U+001A.
    pub invalid_utf8: Vec<(u32, u32)>,
}

impl SourceFile {
    pub fn new(path: PathBuf, text: impl Into<Arc<str>>) -> SourceFile {
        let text: Arc<str> = text.into();
        let mut line_starts = vec![0u32];
        line_starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i as u32 + 1),
        );
        SourceFile {
            path,
            text,
            line_starts: line_starts.into(),
            invalid_utf8: Vec::new(),
        }
    }

    pub fn with_invalid_utf8(mut self, invalid: Vec<(u32, u32)>) -> SourceFile {
        self.invalid_utf8 = invalid;
        self
    }

    /// The text of `span` as a lossy decoder would give it: one U+FFFD for
    /// each invalid sequence.
    pub fn lossy(&self, span: Span) -> std::borrow::Cow<'_, str> {
        let text = self.slice(span);
        if self.invalid_utf8.is_empty() || !text.contains('\u{1A}') {
            return text.into();
        }
        let mut out = String::with_capacity(text.len());
        for (i, c) in text.char_indices() {
            let at = span.start + i as u32;
            match self
                .invalid_utf8
                .iter()
                .find(|&&(s, l)| at >= s && at < s + l)
            {
                Some(&(s, _)) if s == at => out.push('\u{FFFD}'),
                Some(_) => {}
                None => out.push(c),
            }
        }
        out.into()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn display_name(&self) -> String {
        self.path.display().to_string()
    }

    /// The 1-based line of a byte offset.
    pub fn line_of(&self, offset: usize) -> usize {
        match self.line_starts.binary_search(&(offset as u32)) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    }

    /// Line and character column of a byte offset (clamped to the text).
    pub fn position(&self, offset: usize) -> Position {
        let offset = offset.min(self.text.len());
        let line = self.line_of(offset);
        let line_start = self.line_starts[line - 1] as usize;
        let column = self.text[line_start..floor_char_boundary(&self.text, offset)]
            .chars()
            .count()
            + 1;
        Position { line, column }
    }

    pub fn slice(&self, span: Span) -> &str {
        self.text.get(span.range()).unwrap_or("")
    }
}

/// The largest char boundary at or below `offset`.
pub fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// miette needs to own what it renders; this lets many findings share one
/// file's text without copying it, and finds a span's lines through the line
/// index instead of scanning the file from its start for every finding.
#[derive(Clone, Debug)]
pub struct SharedText {
    text: Arc<str>,
    line_starts: Arc<[u32]>,
}

impl SourceFile {
    pub fn shared_text(&self) -> SharedText {
        SharedText {
            text: self.text.clone(),
            line_starts: self.line_starts.clone(),
        }
    }
}

impl miette::SourceCode for SharedText {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let line_of = |offset: usize| match self.line_starts.binary_search(&(offset as u32)) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let start = span.offset().min(self.text.len());
        let end = (start + span.len()).min(self.text.len());
        let first = line_of(start).saturating_sub(context_lines_before);
        let last = (line_of(end) + context_lines_after).min(self.line_starts.len() - 1);
        let window_start = self.line_starts[first] as usize;
        let window_end = self
            .line_starts
            .get(last + 1)
            .map_or(self.text.len(), |&s| s as usize);
        let window = &self.text[window_start..window_end];
        let local = miette::SourceSpan::new((start - window_start).into(), end - start);
        let inner = window.read_span(&local, context_lines_before, context_lines_after)?;
        let absolute = miette::SourceSpan::new(
            (inner.span().offset() + window_start).into(),
            inner.span().len(),
        );
        Ok(Box::new(miette::MietteSpanContents::new(
            inner.data(),
            absolute,
            inner.line() + first,
            inner.column(),
            inner.line_count(),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_characters_not_bytes() {
        let file = SourceFile::new("x".into(), "ab\nçé x;\n");
        assert_eq!(file.position(0), Position { line: 1, column: 1 });
        assert_eq!(file.position(3), Position { line: 2, column: 1 });
        // "çé " is 5 bytes and 3 characters.
        assert_eq!(file.position(8), Position { line: 2, column: 4 });
        assert_eq!(file.line_of(10), 2);
    }

    #[test]
    fn position_past_the_end_is_clamped() {
        let file = SourceFile::new("x".into(), "a");
        assert_eq!(file.position(99), Position { line: 1, column: 2 });
    }
}
