//! The parser: Toy source text → [`ast::Module`], or a [`SyntaxError`].
//!
//! Pipeline: `lexer.rs` (logos scanner plus layout pass: INDENT/DEDENT/NEWLINE) →
//! `grammar.lalrpop` (LR grammar; actions in `builder.rs` and `builder_stmt.rs`) →
//! [`ast::Module`]. The whole file is parsed before anything runs, so a program outside Toy
//! is rejected before it prints. Parse failures are translated into CPython 3.11's messages by
//! `diagnose.rs`. Checks that need scopes (`return` outside a function, `break` outside a
//! loop, closures) are the compiler's.
//!
//! Limits, so that no input can crash the parser or a later recursive walk: 200 nested
//! brackets and 100 indentation levels (CPython's own), and trees at most
//! [`MAX_DEPTH`] levels deep (CPython fails near there with a `RecursionError`).

pub mod ast;
mod builder;
mod builder_stmt;
mod diagnose;
mod errors;
mod lexer;
mod line_index;
mod literals;

lalrpop_util::lalrpop_mod!(
    #[allow(clippy::all, clippy::pedantic, unused_parens, unused_qualifications)]
    grammar,
    "/parser/grammar.rs"
);

pub use builder::MAX_DEPTH;
pub use errors::{SyntaxError, SyntaxErrorKind};
pub use line_index::LineIndex;

use builder::{E, Top};
use diagnose::TokenLog;
use lexer::Lexer;

/// Parses a whole program (or one REPL input).
pub fn parse(source: &str) -> Result<ast::Module, SyntaxError> {
    let index = LineIndex::new(source);
    if let Some(at) = source.find('\0') {
        // CPython refuses the whole file, whatever the NUL is in (a string, a comment).
        let message = "source code cannot contain null bytes";
        return Err(SyntaxError::at(SyntaxErrorKind::SyntaxError, message, &index, at, at));
    }
    // A UTF-8 byte order mark is skipped, as CPython does when it reads a file.
    let start = if source.starts_with('\u{feff}') { '\u{feff}'.len_utf8() } else { 0 };
    let lexer = Lexer::over(source, &index, start, source.len(), false, 0);
    let mut log = TokenLog::new(lexer);
    let result = grammar::StartParser::new().parse(&index, &mut log);
    match result {
        Ok(Top::Module(stmts)) => Ok(ast::Module { body: stmts.into_iter().map(|s| s.s).collect() }),
        Ok(Top::Expr(_)) => Err(SyntaxError::at(SyntaxErrorKind::SyntaxError, "invalid syntax", &index, 0, 0)),
        Err(e) => Err(diagnose::explain(e, &mut log, &index)),
    }
}

/// Parses the expression in `source[start..end]` (an f-string field); returns it and its depth.
pub(crate) fn parse_fragment(
    source: &str,
    index: &LineIndex,
    start: usize,
    end: usize,
    fstring_depth: u32,
) -> Result<(ast::Expr, u32), SyntaxError> {
    let mut log = TokenLog::new(Lexer::over(source, index, start, end, true, fstring_depth));
    match grammar::StartParser::new().parse(index, &mut log) {
        Ok(Top::Expr(E { e, d })) => Ok((e, d)),
        Ok(Top::Module(_)) => {
            Err(SyntaxError::at(SyntaxErrorKind::SyntaxError, "f-string: invalid syntax", index, start, end))
        }
        Err(e) => {
            let mut err = diagnose::explain(e, &mut log, index);
            if err.kind == SyntaxErrorKind::SyntaxError && !err.message.starts_with("f-string") {
                err.message = format!("f-string: {}", err.message);
            }
            err.incomplete = false;
            Err(err)
        }
    }
}

#[cfg(test)]
mod tests;
