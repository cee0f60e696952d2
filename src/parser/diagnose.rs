//! Turns a failed parse into the error CPython 3.11 would report.
//!
//! The LR parser only says "unexpected token T, expected one of ...". [`explain`] looks at
//! the tokens around the failure (kept by [`TokenLog`]: the current and previous logical
//! lines) to produce CPython's messages: `expected ':'`, `unexpected indent`, `expected an
//! indented block after 'if' statement on line N`, `Perhaps you forgot a comma?`, and so on.
//! After a plain "invalid syntax" it lexes the rest of the input, because CPython reports a
//! tokenizer error found later in the file (an unclosed bracket, an unterminated string)
//! instead.

use super::builder::PErr;
use super::errors::{SyntaxError, SyntaxErrorKind};
use super::lexer::{FStringTok, Lexer, Spanned, Tok};
use super::line_index::LineIndex;
use lalrpop_util::ParseError;
use num_bigint::BigInt;

/// The token stream handed to the parser, remembering the last two logical lines.
pub(super) struct TokenLog<'s> {
    lexer: Lexer<'s>,
    /// Tokens of the logical line being read (literal payloads dropped).
    current: Vec<(usize, Tok, usize)>,
    /// The previous logical line, its NEWLINE included.
    previous: Vec<(usize, Tok, usize)>,
}

impl<'s> TokenLog<'s> {
    pub(super) fn new(lexer: Lexer<'s>) -> TokenLog<'s> {
        TokenLog { lexer, current: Vec::new(), previous: Vec::new() }
    }
}

/// A copy of `tok` without its (possibly large) literal payload.
fn light(tok: &Tok) -> Tok {
    match tok {
        Tok::Str(_) => Tok::Str(String::new()),
        Tok::FStr(_) => Tok::FStr(FStringTok { parts: Vec::new(), depth: 0 }),
        Tok::Int(_) => Tok::Int(BigInt::default()),
        other => other.clone(),
    }
}

impl Iterator for TokenLog<'_> {
    type Item = Spanned;

    fn next(&mut self) -> Option<Spanned> {
        let item = self.lexer.next()?;
        if let Ok((l, tok, r)) = &item {
            self.current.push((*l, light(tok), *r));
            if *tok == Tok::Newline {
                self.previous = std::mem::take(&mut self.current);
            }
        }
        Some(item)
    }
}

/// The first real token of a logical line.
fn first_token(line: &[(usize, Tok, usize)]) -> Option<&(usize, Tok, usize)> {
    line.iter().find(|(_, t, _)| !matches!(t, Tok::Indent | Tok::Dedent | Tok::StartModule | Tok::StartExpr))
}

/// What CPython calls the construct a block header starts.
fn block_name(tok: &Tok) -> Option<&'static str> {
    Some(match tok {
        Tok::If => "'if' statement",
        Tok::Elif => "'elif' statement",
        Tok::Else => "'else' statement",
        Tok::While => "'while' statement",
        Tok::For => "'for' statement",
        Tok::Try => "'try' statement",
        Tok::Except => "'except' statement",
        Tok::Finally => "'finally' statement",
        Tok::Def => "function definition",
        _ => return None,
    })
}

/// Tokens that can end an operand.
fn ends_value(tok: &Tok) -> bool {
    matches!(
        tok,
        Tok::Name(_)
            | Tok::Int(_)
            | Tok::Float(_)
            | Tok::Str(_)
            | Tok::FStr(_)
            | Tok::True
            | Tok::False
            | Tok::None
            | Tok::RPar
            | Tok::RSqb
            | Tok::RBrace
    )
}

/// Tokens that can start an operand (and cannot continue one).
fn starts_value(tok: &Tok) -> bool {
    matches!(
        tok,
        Tok::Name(_)
            | Tok::Int(_)
            | Tok::Float(_)
            | Tok::Str(_)
            | Tok::FStr(_)
            | Tok::True
            | Tok::False
            | Tok::None
            | Tok::LBrace
            | Tok::Lambda
            | Tok::Tilde
    )
}

pub(super) fn explain(e: PErr, log: &mut TokenLog<'_>, ix: &LineIndex) -> SyntaxError {
    let syntax = |msg: &str, l: usize, r: usize| SyntaxError::at(SyntaxErrorKind::SyntaxError, msg, ix, l, r);
    let expects = |expected: &[String], what: &str| expected.iter().any(|x| x == what);
    match e {
        ParseError::User { error } => error,
        ParseError::InvalidToken { location } => syntax("invalid syntax", location, location + 1),
        ParseError::ExtraToken { token: (l, _, r) } => syntax("invalid syntax", l, r),
        ParseError::UnrecognizedEof { location, expected } => {
            if expects(&expected, "\"INDENT\"") {
                let at = log.previous.last().map_or(location, |t| t.0);
                return indented_block_error(log, ix, at, at).incomplete();
            }
            syntax("unexpected EOF while parsing", location, location).incomplete()
        }
        ParseError::UnrecognizedToken { token: (l, tok, r), expected } => {
            if tok == Tok::Indent {
                return SyntaxError::at(SyntaxErrorKind::IndentationError, "unexpected indent", ix, l, r);
            }
            if expects(&expected, "\"INDENT\"") {
                return indented_block_error(log, ix, l, r);
            }
            if tok == Tok::Dedent {
                return SyntaxError::at(SyntaxErrorKind::IndentationError, "unexpected unindent", ix, l, r);
            }
            let read = if tok == Tok::Newline { &log.previous } else { &log.current };
            let line: Vec<(usize, Tok, usize)> = read.iter().filter(|(s, _, _)| *s < l).cloned().collect();
            if let Some(err) = specific(&line, &tok, l, r, &expected, ix) {
                return err;
            }
            let generic = syntax("invalid syntax", l, r);
            // CPython prefers a tokenizer error anywhere later in the input.
            for item in log.by_ref() {
                if let Err(later) = item {
                    if later.kind != SyntaxErrorKind::NotSupported {
                        return later;
                    }
                    break;
                }
            }
            generic
        }
    }
}

/// `expected an indented block after 'if' statement on line N`.
fn indented_block_error(log: &TokenLog<'_>, ix: &LineIndex, l: usize, r: usize) -> SyntaxError {
    let header = first_token(&log.previous);
    let message = match header.and_then(|(s, t, _)| block_name(t).map(|n| (n, ix.line_of(*s as u32)))) {
        Some((name, line)) => format!("expected an indented block after {name} on line {line}"),
        None => "expected an indented block".to_string(),
    };
    SyntaxError::at(SyntaxErrorKind::IndentationError, message, ix, l, r)
}

/// CPython's specific messages for a few common mistakes; `line` holds the tokens of the
/// logical line before the unexpected token `tok` at `l..r`.
fn specific(
    line: &[(usize, Tok, usize)],
    tok: &Tok,
    l: usize,
    r: usize,
    expected: &[String],
    ix: &LineIndex,
) -> Option<SyntaxError> {
    let syntax = |msg: &str, l: usize, r: usize| Some(SyntaxError::at(SyntaxErrorKind::SyntaxError, msg, ix, l, r));
    let real: Vec<&(usize, Tok, usize)> = line
        .iter()
        .filter(|(_, t, _)| !matches!(t, Tok::Indent | Tok::Dedent | Tok::StartModule | Tok::StartExpr))
        .collect();
    let first = real.first().map(|t| &t.1).or(if real.is_empty() { Some(tok) } else { None });
    let prev = real.last().copied();
    // `match x:` / `case 1:` (soft keywords) parse as two juxtaposed names.
    if let Some(Tok::Name(n)) = first {
        if (n == "match" || n == "case") && (real.len() == 1 && starts_value(tok) || *tok == Tok::Colon) {
            let s = first_token(line).map_or(l, |t| t.0);
            let msg = format!("'{n}' statements (structural pattern matching) are not supported in Toy");
            return Some(SyntaxError::at(SyntaxErrorKind::NotSupported, msg, ix, s, s + n.len()));
        }
        if n == "print"
            && real.len() == 1
            && matches!(tok, Tok::Name(_) | Tok::Str(_) | Tok::FStr(_) | Tok::Int(_) | Tok::Float(_))
        {
            let s = first_token(line).map_or(l, |t| t.0);
            return syntax("Missing parentheses in call to 'print'. Did you mean print(...)?", s, r);
        }
    }
    if expected.iter().any(|x| x == "\"else\"")
        && *tok != Tok::Else
        && let Some(i) = real.iter().rposition(|t| t.1 == Tok::If).filter(|&i| i > 0)
    {
        let end = prev.map_or(r, |p| p.2);
        return syntax("expected 'else' after 'if' expression", real[i - 1].0, end);
    }
    let header = first.is_some_and(|t| block_name(t).is_some());
    if *tok == Tok::Newline && header && expected.iter().any(|x| x == "\":\"") {
        let at = prev.map_or(l, |p| p.2);
        return syntax("expected ':'", at, at);
    }
    if expected.len() == 1 && expected[0] == "\"(\"" && first == Some(&Tok::Def) {
        return syntax("expected '('", l, r);
    }
    if *tok == Tok::Assign && matches!(first, Some(Tok::If | Tok::Elif | Tok::While)) {
        let s = real.get(1).map_or(l, |t| t.0);
        return syntax("invalid syntax. Maybe you meant '==' or ':=' instead of '='?", s, r);
    }
    // An f-string field is parsed as if it were in parentheses, as CPython does.
    let implicit = i64::from(line.iter().any(|(_, t, _)| *t == Tok::StartExpr));
    let depth = real.iter().fold(implicit, |d, (_, t, _)| match t {
        Tok::LPar | Tok::LSqb | Tok::LBrace => d + 1,
        Tok::RPar | Tok::RSqb | Tok::RBrace => d - 1,
        _ => d,
    });
    if depth > 0
        && starts_value(tok)
        && let Some((ps, pt, _)) = prev
        && ends_value(pt)
    {
        return syntax("invalid syntax. Perhaps you forgot a comma?", *ps, r);
    }
    None
}
