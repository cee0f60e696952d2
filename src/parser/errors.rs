//! Syntax errors: what the parser reports, and their CPython-style rendering.
//!
//! A [`SyntaxError`] names its kind (which Python exception class it stands for, or
//! `NotSupported` for valid Python outside Toy), a message, and a 1-based line and character
//! column range. [`SyntaxError::render`] prints it the way CPython 3.11 prints an uncaught
//! `SyntaxError` (the `File` line, the offending source line, the carets, the message).

use super::line_index::LineIndex;
use std::fmt;

/// Which error class a [`SyntaxError`] stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyntaxErrorKind {
    /// CPython's `SyntaxError`.
    SyntaxError,
    /// CPython's `IndentationError` (unexpected indent, missing block, bad unindent).
    IndentationError,
    /// Valid Python that is outside Toy; the message says "not supported" and names the feature.
    NotSupported,
    /// Nesting too deep to compile: CPython's `RecursionError` "maximum recursion depth
    /// exceeded during compilation".
    RecursionError,
}

impl SyntaxErrorKind {
    /// The exception class name printed in front of the message.
    pub fn class_name(self) -> &'static str {
        match self {
            SyntaxErrorKind::SyntaxError | SyntaxErrorKind::NotSupported => "SyntaxError",
            SyntaxErrorKind::IndentationError => "IndentationError",
            SyntaxErrorKind::RecursionError => "RecursionError",
        }
    }
}

/// A syntax error with its position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub kind: SyntaxErrorKind,
    pub message: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
    /// 1-based column just past the marked range on the same line (`<= column` marks one char).
    pub end_column: u32,
    /// True when the only problem is that the input ended too early (unclosed bracket,
    /// unterminated triple-quoted string, a block header without its body, a trailing
    /// backslash): a REPL should read more lines and try again.
    pub incomplete: bool,
}

impl SyntaxError {
    /// An error covering the bytes `start..end` of the source `index` describes.
    pub(crate) fn at(
        kind: SyntaxErrorKind,
        message: impl Into<String>,
        index: &LineIndex,
        start: usize,
        end: usize,
    ) -> SyntaxError {
        let (line, column) = index.line_col(start as u32);
        let (end_line, end_col) = index.line_col(end.max(start) as u32);
        let end_column = if end_line == line { end_col } else { column + 1 };
        SyntaxError { kind, message: message.into(), line, column, end_column, incomplete: false }
    }

    /// Marks the error as "the input ended too early".
    pub(crate) fn incomplete(mut self) -> SyntaxError {
        self.incomplete = true;
        self
    }

    /// The error as CPython 3.11 prints it (every line ends with `\n`):
    ///
    /// ```text
    ///   File "prog.toy", line 4
    ///     if x > 1
    ///             ^
    /// SyntaxError: expected ':'
    /// ```
    pub fn render(&self, filename: &str, source: &str) -> String {
        let mut out = format!("  File \"{}\", line {}\n", filename, self.line);
        let index = LineIndex::new(source);
        let text = index.line_text(source, self.line);
        let trimmed = text.trim_start_matches([' ', '\t', '\x0c']);
        let stripped = (text.chars().count() - trimmed.chars().count()) as i64;
        if !trimmed.is_empty() {
            out.push_str("    ");
            out.push_str(trimmed);
            out.push('\n');
            let len = trimmed.chars().count() as i64;
            let col = (self.column as i64 - 1 - stripped).min(len);
            if col >= 0 {
                let end = (self.end_column as i64 - 1 - stripped).min(len + 1).max(col + 1);
                let pad: String =
                    trimmed.chars().take(col as usize).map(|c| if c.is_whitespace() { c } else { ' ' }).collect();
                out.push_str("    ");
                out.push_str(&pad);
                out.push_str(&"^".repeat((end - col) as usize));
                out.push('\n');
            }
        }
        out.push_str(&format!("{}: {}\n", self.kind.class_name(), self.message));
        out
    }
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} (line {}, column {})", self.kind.class_name(), self.message, self.line, self.column)
    }
}

impl std::error::Error for SyntaxError {}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(kind: SyntaxErrorKind, msg: &str, line: u32, column: u32, end_column: u32) -> SyntaxError {
        SyntaxError { kind, message: msg.into(), line, column, end_column, incomplete: false }
    }

    #[test]
    fn render_matches_cpython() {
        let src = "x = 3\nif x > 1\n    print('big')\n";
        let e = err(SyntaxErrorKind::SyntaxError, "expected ':'", 2, 9, 9);
        assert_eq!(
            e.render("prog.toy", src),
            "  File \"prog.toy\", line 2\n    if x > 1\n            ^\nSyntaxError: expected ':'\n"
        );
        let src = "print(1 2)\n";
        let e = err(SyntaxErrorKind::SyntaxError, "m", 1, 7, 10);
        assert!(e.render("f", src).contains("\n          ^^^\n"));
    }

    #[test]
    fn render_without_caret_inside_indentation() {
        let src = "x = 1\n    y = 2\n";
        let e = err(SyntaxErrorKind::IndentationError, "unexpected indent", 2, 4, 5);
        assert_eq!(e.render("t.py", src), "  File \"t.py\", line 2\n    y = 2\nIndentationError: unexpected indent\n");
    }

    #[test]
    fn render_clips_past_end_and_counts_chars() {
        let src = "if x:\n    a = 1\n  b = 2\n";
        let e = err(SyntaxErrorKind::IndentationError, "u", 3, 8, 0);
        assert!(e.render("t", src).contains("\n    b = 2\n         ^\n"));
        let src = "x = \"é\" $ 3\n";
        let e = err(SyntaxErrorKind::SyntaxError, "invalid syntax", 1, 9, 10);
        assert!(e.render("t", src).contains("\n            ^\n"));
    }
}
