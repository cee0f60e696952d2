//! The lexer: source text → tokens with byte spans, including the layout tokens
//! `NEWLINE`, `INDENT` and `DEDENT`.
//!
//! Two layers. A [`logos`] scanner ([`RawTok`]) recognises names, operators, line breaks and
//! the first characters of numbers and strings (whose bodies [`super::literals`] scans by hand).
//! [`Lexer`] then applies Python's layout rules: line breaks inside `()` `[]` `{}` and after a
//! backslash are ignored, blank and comment-only lines vanish, and the indentation of each
//! logical line is compared with a stack to emit `INDENT`/`DEDENT`. It also rejects, with a
//! "not supported" error, the keywords and operators of features outside Toy (`class`,
//! `yield`, `with`, decorators, ...). f-string fields are parsed here, by a nested run of the
//! parser over the field's source range ([`super::parse_fragment`]).
//!
//! The lexer is pulled by the parser one token at a time, so an earlier syntax error wins over
//! a later lexical one, as in CPython.

use super::ast::FStringPart;
use super::errors::{SyntaxError, SyntaxErrorKind};
use super::line_index::LineIndex;
use super::literals::{self, LitError, Number, RawFPart};
use logos::Logos;
use num_bigint::BigInt;
use std::collections::VecDeque;

/// CPython's tokenizer limit on open brackets.
pub(super) const MAX_PAREN_DEPTH: usize = 200;
/// CPython's tokenizer limit on indentation levels.
pub(super) const MAX_INDENT_DEPTH: usize = 100;

/// A token as the grammar sees it.
#[rustfmt::skip]
#[derive(Clone, Debug, PartialEq)]
pub enum Tok {
    Name(String),
    Int(BigInt),
    Float(f64),
    Str(String),
    /// An f-string, its fields already parsed.
    FStr(FStringTok),
    Newline,
    Indent,
    Dedent,
    /// Synthetic first token: parse a whole module.
    StartModule,
    /// Synthetic first token: parse one expression (an f-string field).
    StartExpr,
    // Keywords.
    False, None, True, And, As, Assert, Break, Continue, Def, Del, Elif, Else, Except,
    Finally, For, Global, If, Import, In, Is, Lambda, Not, Or, Pass, Raise, Return, Try, While,
    // Operators and delimiters.
    Plus, Minus, Star, Slash, DoubleSlash, Percent, DoubleStar, LShift, RShift, Amp, Pipe,
    Caret, Tilde, Lt, Gt, LtE, GtE, EqEq, NotEq, LPar, RPar, LSqb, RSqb, LBrace, RBrace,
    Comma, Colon, Dot, Semi, Assign,
    PlusEq, MinusEq, StarEq, SlashEq, DoubleSlashEq, PercentEq, DoubleStarEq, AmpEq, PipeEq,
    CaretEq, LShiftEq, RShiftEq,
}

/// The payload of an f-string token.
#[derive(Clone, Debug, PartialEq)]
pub struct FStringTok {
    pub parts: Vec<FStringPart>,
    /// Nesting depth of its deepest field expression (see [`super::builder::MAX_DEPTH`]).
    pub depth: u32,
}

/// What the raw scanner reports for text it cannot match.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct BadChar;

/// Raw tokens: layout, comments and literal bodies are handled by [`Lexer`].
#[rustfmt::skip]
#[derive(Logos, Clone, Copy, Debug, PartialEq)]
#[logos(error = BadChar)]
#[logos(skip r"[ \t\x0c]+")]
#[logos(skip(r"#[^\r\n]*", allow_greedy = true))]
enum RawTok {
    #[regex(r"\\(\r\n|\r|\n)")]
    Continuation,
    #[token("\\")]
    Backslash,
    #[regex(r"\r\n|\n|\r")]
    Newline,
    #[regex(r"[_a-zA-Z\u{80}-\u{10FFFF}][_a-zA-Z0-9\u{80}-\u{10FFFF}]*")]
    Name,
    #[regex(r"[0-9]|\.[0-9]")]
    NumberStart,
    #[regex(r#"[rRuUfFbB]{0,2}['"]"#)]
    StringStart,
    #[token("+")] Plus, #[token("-")] Minus, #[token("*")] Star, #[token("/")] Slash,
    #[token("//")] DoubleSlash, #[token("%")] Percent, #[token("**")] DoubleStar,
    #[token("<<")] LShift, #[token(">>")] RShift, #[token("&")] Amp, #[token("|")] Pipe,
    #[token("^")] Caret, #[token("~")] Tilde, #[token("<")] Lt, #[token(">")] Gt,
    #[token("<=")] LtE, #[token(">=")] GtE, #[token("==")] EqEq, #[token("!=")] NotEq,
    #[token("(")] LPar, #[token(")")] RPar, #[token("[")] LSqb, #[token("]")] RSqb,
    #[token("{")] LBrace, #[token("}")] RBrace, #[token(",")] Comma, #[token(":")] Colon,
    #[token(".")] Dot, #[token(";")] Semi, #[token("=")] Assign,
    #[token("+=")] PlusEq, #[token("-=")] MinusEq, #[token("*=")] StarEq, #[token("/=")] SlashEq,
    #[token("//=")] DoubleSlashEq, #[token("%=")] PercentEq, #[token("**=")] DoubleStarEq,
    #[token("&=")] AmpEq, #[token("|=")] PipeEq, #[token("^=")] CaretEq,
    #[token("<<=")] LShiftEq, #[token(">>=")] RShiftEq,
    // Python tokens outside Toy.
    #[token("@")] At, #[token("@=")] AtEq, #[token(":=")] Walrus, #[token("->")] Arrow,
    #[token("...")] Ellipsis, #[token("!")] Bang,
}

/// A token with its byte span, or the error that ends lexing.
pub(super) type Spanned = Result<(usize, Tok, usize), SyntaxError>;

#[rustfmt::skip]
fn keyword(name: &str) -> Option<Tok> {
    Some(match name {
        "False" => Tok::False, "None" => Tok::None, "True" => Tok::True, "and" => Tok::And,
        "as" => Tok::As, "assert" => Tok::Assert, "break" => Tok::Break,
        "continue" => Tok::Continue, "def" => Tok::Def, "del" => Tok::Del, "elif" => Tok::Elif,
        "else" => Tok::Else, "except" => Tok::Except, "finally" => Tok::Finally,
        "for" => Tok::For, "global" => Tok::Global, "if" => Tok::If, "import" => Tok::Import,
        "in" => Tok::In, "is" => Tok::Is, "lambda" => Tok::Lambda, "not" => Tok::Not,
        "or" => Tok::Or, "pass" => Tok::Pass, "raise" => Tok::Raise, "return" => Tok::Return,
        "try" => Tok::Try, "while" => Tok::While,
        _ => return None,
    })
}

/// Keywords of Python features outside Toy, and the message for each.
fn unsupported_keyword(name: &str, first_on_line: bool) -> Option<&'static str> {
    Some(match name {
        "class" => "class definitions are not supported in Toy",
        "yield" => "'yield' (generator functions) is not supported in Toy",
        "with" => "the 'with' statement is not supported in Toy",
        "nonlocal" => "'nonlocal' (closures that rebind enclosing variables) is not supported in Toy",
        "async" => "'async' (coroutines) is not supported in Toy",
        "await" => "'await' (coroutines) is not supported in Toy",
        "from" if first_on_line => "'from ... import' is not supported in Toy (only 'import math' is)",
        "from" => "'raise ... from ...' is not supported in Toy",
        _ => return None,
    })
}

#[rustfmt::skip]
fn simple_token(raw: RawTok) -> Option<Tok> {
    use RawTok as R;
    Some(match raw {
        R::Plus => Tok::Plus, R::Minus => Tok::Minus, R::Star => Tok::Star, R::Slash => Tok::Slash,
        R::DoubleSlash => Tok::DoubleSlash, R::Percent => Tok::Percent,
        R::DoubleStar => Tok::DoubleStar, R::LShift => Tok::LShift, R::RShift => Tok::RShift,
        R::Amp => Tok::Amp, R::Pipe => Tok::Pipe, R::Caret => Tok::Caret, R::Tilde => Tok::Tilde,
        R::Lt => Tok::Lt, R::Gt => Tok::Gt, R::LtE => Tok::LtE, R::GtE => Tok::GtE,
        R::EqEq => Tok::EqEq, R::NotEq => Tok::NotEq, R::Comma => Tok::Comma,
        R::Colon => Tok::Colon, R::Dot => Tok::Dot, R::Semi => Tok::Semi, R::Assign => Tok::Assign,
        R::PlusEq => Tok::PlusEq, R::MinusEq => Tok::MinusEq, R::StarEq => Tok::StarEq,
        R::SlashEq => Tok::SlashEq, R::DoubleSlashEq => Tok::DoubleSlashEq,
        R::PercentEq => Tok::PercentEq, R::DoubleStarEq => Tok::DoubleStarEq,
        R::AmpEq => Tok::AmpEq, R::PipeEq => Tok::PipeEq, R::CaretEq => Tok::CaretEq,
        R::LShiftEq => Tok::LShiftEq, R::RShiftEq => Tok::RShiftEq,
        _ => return None,
    })
}

/// The layout-aware token stream over `source[start..end]` (offsets stay absolute).
pub(super) struct Lexer<'s> {
    source: &'s str,
    index: &'s LineIndex,
    base: usize,
    raw: logos::Lexer<'s, RawTok>,
    /// Expression mode (an f-string field): no layout tokens, line breaks are ignored.
    expr_mode: bool,
    /// How many f-strings enclose this text.
    fstring_depth: u32,
    /// Open brackets: the character and its offset.
    parens: Vec<(char, usize)>,
    /// Indentation widths; `indents[0] == 0`.
    indents: Vec<usize>,
    pending: VecDeque<Spanned>,
    /// No token has been produced yet on the current logical line.
    at_line_start: bool,
    started: bool,
    finished: bool,
}

impl<'s> Lexer<'s> {
    /// A lexer for a whole module.
    #[cfg(test)]
    pub(super) fn new(source: &'s str, index: &'s LineIndex) -> Lexer<'s> {
        Lexer::over(source, index, 0, source.len(), false, 0)
    }

    /// A lexer for `source[start..end]`; in `expr_mode` it lexes one f-string field.
    pub(super) fn over(
        source: &'s str,
        index: &'s LineIndex,
        start: usize,
        end: usize,
        expr_mode: bool,
        fstring_depth: u32,
    ) -> Lexer<'s> {
        let text = source.get(start..end).unwrap_or("");
        Lexer {
            source,
            index,
            base: start,
            raw: RawTok::lexer(text),
            expr_mode,
            fstring_depth,
            parens: Vec::new(),
            indents: vec![0],
            pending: VecDeque::new(),
            at_line_start: !expr_mode,
            started: false,
            finished: false,
        }
    }

    fn error(&self, kind: SyntaxErrorKind, message: impl Into<String>, start: usize, end: usize) -> SyntaxError {
        SyntaxError::at(kind, message, self.index, start, end)
    }

    fn syntax(&self, message: impl Into<String>, start: usize, end: usize) -> SyntaxError {
        self.error(SyntaxErrorKind::SyntaxError, message, start, end)
    }

    /// Converts a literal error found in the text starting at `at`.
    fn lit_error(&self, e: LitError, at: usize) -> SyntaxError {
        let mut message = e.message;
        if let Some(d) = e.detected_at {
            message = format!("{message} (detected at line {})", self.index.line_of((at + d) as u32));
        }
        let err = self.error(e.kind, message, at + e.start, at + e.end);
        if e.incomplete { err.incomplete() } else { err }
    }

    /// Produces the next token(s) into `pending`; returns false at the end of input.
    fn advance(&mut self) -> bool {
        let Some(raw) = self.raw.next() else {
            self.finish();
            return false;
        };
        let span = self.raw.span();
        let (start, end) = (self.base + span.start, self.base + span.end);
        let raw = match raw {
            Ok(raw) => raw,
            Err(BadChar) => {
                let c = self.source[start..].chars().next().unwrap_or('\0');
                let end = start + c.len_utf8();
                let err = self.bad_char(c, start, end);
                self.fail(err);
                return true;
            }
        };
        match raw {
            RawTok::Newline => {
                if !self.expr_mode && self.parens.is_empty() && !self.at_line_start {
                    self.at_line_start = true;
                    self.pending.push_back(Ok((start, Tok::Newline, end)));
                }
            }
            RawTok::Continuation => {
                if self.raw.remainder().trim_matches([' ', '\t', '\x0c']).is_empty() {
                    let err = self.syntax("unexpected EOF while parsing", start, end).incomplete();
                    self.fail(err);
                }
            }
            RawTok::Backslash => {
                let rest = self.raw.remainder();
                let err = if rest.trim_matches([' ', '\t', '\x0c']).is_empty() {
                    self.syntax("unexpected EOF while parsing", end, end).incomplete()
                } else {
                    self.syntax("unexpected character after line continuation character", start, end)
                };
                self.fail(err);
            }
            _ => {
                let first_on_line = self.at_line_start;
                if self.at_line_start
                    && !self.expr_mode
                    && let Err(e) = self.indentation(start)
                {
                    self.fail(e);
                    return true;
                }
                self.at_line_start = false;
                let tok = self.token(raw, start, end, first_on_line);
                self.pending.push_back(tok);
            }
        }
        true
    }

    /// The message for a character no token starts with.
    fn bad_char(&self, c: char, start: usize, end: usize) -> SyntaxError {
        if c == '\0' {
            self.syntax("source code string cannot contain null bytes", start, end)
        } else if c.is_ascii_graphic() {
            self.syntax("invalid syntax", start, end)
        } else if c.is_control() || c.is_whitespace() {
            self.syntax(format!("invalid non-printable character U+{:04X}", c as u32), start, end)
        } else {
            self.syntax(format!("invalid character '{c}' (U+{:04X})", c as u32), start, end)
        }
    }

    /// Compares the indentation of the line whose first token starts at `start` with the stack.
    fn indentation(&mut self, start: usize) -> Result<(), SyntaxError> {
        let line = self.index.line_of(start as u32);
        let line_start = self.source[..start].rfind(['\n', '\r']).map_or(0, |p| p + 1);
        let prefix = &self.source[line_start..start];
        let mut width = 0;
        for c in prefix.chars() {
            match c {
                ' ' => width += 1,
                '\x0c' => width = 0,
                '\t' => {
                    let msg = format!("tab in indentation is not supported in Toy (line {line}); indent with spaces");
                    let at = line_start + prefix.find('\t').unwrap_or(0);
                    return Err(self.error(SyntaxErrorKind::NotSupported, msg, at, at + 1));
                }
                _ => break,
            }
        }
        let top = *self.indents.last().unwrap_or(&0);
        if width > top {
            if self.indents.len() >= MAX_INDENT_DEPTH {
                return Err(self.error(
                    SyntaxErrorKind::IndentationError,
                    "too many levels of indentation",
                    line_start,
                    line_start,
                ));
            }
            self.indents.push(width);
            self.pending.push_back(Ok((start - 1, Tok::Indent, start)));
        } else if width < top {
            while self.indents.last().is_some_and(|&w| w > width) {
                self.indents.pop();
                self.pending.push_back(Ok((start, Tok::Dedent, start)));
            }
            if self.indents.last() != Some(&width) {
                let text = self.index.line_text(self.source, line);
                let line_end = line_start + text.len();
                return Err(self.error(
                    SyntaxErrorKind::IndentationError,
                    "unindent does not match any outer indentation level",
                    line_end,
                    line_end,
                ));
            }
        }
        Ok(())
    }

    /// Turns one raw token (not a line break) into a grammar token.
    fn token(&mut self, raw: RawTok, start: usize, end: usize, first_on_line: bool) -> Spanned {
        let text = &self.source[start..end];
        let unsupported =
            |this: &Self, msg: &str, s: usize, e: usize| Err(this.error(SyntaxErrorKind::NotSupported, msg, s, e));
        match raw {
            RawTok::Name => self.name(text, start, end, first_on_line),
            RawTok::NumberStart => {
                let (len, value) = literals::scan_number(&self.source[start..self.text_end()])
                    .map_err(|e| self.lit_error(e, start))?;
                self.raw.bump(len - (end - start));
                let tok = match value {
                    Number::Int(i) => Tok::Int(i),
                    Number::Float(f) => Tok::Float(f),
                };
                Ok((start, tok, start + len))
            }
            RawTok::StringStart => self.string(start, end),
            RawTok::LPar | RawTok::LSqb | RawTok::LBrace => {
                if self.parens.len() >= MAX_PAREN_DEPTH {
                    return Err(self.syntax("too many nested parentheses", start, end));
                }
                let (c, tok) = match raw {
                    RawTok::LPar => ('(', Tok::LPar),
                    RawTok::LSqb => ('[', Tok::LSqb),
                    _ => ('{', Tok::LBrace),
                };
                self.parens.push((c, start));
                Ok((start, tok, end))
            }
            RawTok::RPar | RawTok::RSqb | RawTok::RBrace => {
                let (c, open_for, tok) = match raw {
                    RawTok::RPar => (')', '(', Tok::RPar),
                    RawTok::RSqb => (']', '[', Tok::RSqb),
                    _ => ('}', '{', Tok::RBrace),
                };
                match self.parens.pop() {
                    None => Err(self.syntax(format!("unmatched '{c}'"), start, end)),
                    Some((open, _)) if open == open_for => Ok((start, tok, end)),
                    Some((open, at)) => {
                        let (open_line, this_line) = (self.index.line_of(at as u32), self.index.line_of(start as u32));
                        let mut msg = format!("closing parenthesis '{c}' does not match opening parenthesis '{open}'");
                        if open_line != this_line {
                            msg.push_str(&format!(" on line {open_line}"));
                        }
                        Err(self.syntax(msg, start, end))
                    }
                }
            }
            RawTok::At if first_on_line => {
                let rest = self.raw.remainder();
                let name: String = rest.chars().take_while(|&c| c == '_' || c == '.' || c.is_alphanumeric()).collect();
                let msg = if name.is_empty() {
                    "decorators are not supported in Toy".to_string()
                } else {
                    format!("decorators ('@{name}') are not supported in Toy")
                };
                unsupported(self, &msg, start, end + name.len())
            }
            RawTok::At => {
                unsupported(self, "the '@' (matrix multiplication) operator is not supported in Toy", start, end)
            }
            RawTok::AtEq => unsupported(self, "the '@=' operator is not supported in Toy", start, end),
            RawTok::Walrus => unsupported(self, "assignment expressions (':=') are not supported in Toy", start, end),
            RawTok::Arrow => unsupported(self, "function annotations ('->') are not supported in Toy", start, end),
            RawTok::Ellipsis => unsupported(self, "'...' (Ellipsis) is not supported in Toy", start, end),
            other => match simple_token(other) {
                Some(tok) => Ok((start, tok, end)),
                None => Err(self.syntax("invalid syntax", start, end)),
            },
        }
    }

    /// The absolute end of the text this lexer reads.
    fn text_end(&self) -> usize {
        self.base + self.raw.source().len()
    }

    fn name(&self, text: &str, start: usize, end: usize, first_on_line: bool) -> Spanned {
        if let Some(tok) = keyword(text) {
            return Ok((start, tok, end));
        }
        if let Some(msg) = unsupported_keyword(text, first_on_line) {
            return Err(self.error(SyntaxErrorKind::NotSupported, msg, start, end));
        }
        if let Some((i, c)) =
            text.char_indices().find(|&(i, c)| !(c == '_' || c.is_alphanumeric()) || (i == 0 && c.is_numeric()))
        {
            let at = start + i;
            return Err(self.bad_char(c, at, at + c.len_utf8()));
        }
        Ok((start, Tok::Name(text.to_string()), end))
    }

    /// A string literal starting at `start` (its prefix); `end` is just past the opening quote.
    fn string(&mut self, start: usize, end: usize) -> Spanned {
        let shape =
            literals::scan_string(&self.source[start..self.text_end()]).map_err(|e| self.lit_error(e, start))?;
        self.raw.bump(shape.len - (end - start));
        let body_at = start + shape.body_start;
        let body = &self.source[body_at..start + shape.body_end];
        let tok_end = start + shape.len;
        if !shape.fstring {
            let text = literals::normalize_newlines(body);
            let value =
                if shape.raw { text } else { literals::unescape(&text).map_err(|e| self.lit_error(e, body_at))? };
            return Ok((start, Tok::Str(value), tok_end));
        }
        if self.fstring_depth >= 8 {
            return Err(self.syntax("f-strings nested too deeply", start, tok_end));
        }
        let raw_parts = literals::split_fstring(body, shape.raw).map_err(|e| self.lit_error(e, body_at))?;
        let mut parts = Vec::with_capacity(raw_parts.len());
        let mut depth = 0;
        for part in raw_parts {
            match part {
                RawFPart::Literal(text) => parts.push(FStringPart::Literal(literals::normalize_newlines(&text))),
                RawFPart::Field { expr_start, expr_end, conversion, spec } => {
                    let (expr, d) = super::parse_fragment(
                        self.source,
                        self.index,
                        body_at + expr_start,
                        body_at + expr_end,
                        self.fstring_depth + 1,
                    )?;
                    depth = depth.max(d);
                    parts.push(FStringPart::Expr { expr: Box::new(expr), conversion, spec });
                }
            }
        }
        Ok((start, Tok::FStr(FStringTok { parts, depth }), tok_end))
    }

    /// End of input: unclosed brackets, the final NEWLINE and the closing DEDENTs.
    fn finish(&mut self) {
        if self.finished {
            return;
        }
        self.finished = true;
        if let Some(&(c, at)) = self.parens.last()
            && !self.expr_mode
        {
            let err = self.syntax(format!("'{c}' was never closed"), at, at).incomplete();
            self.pending.push_back(Err(err));
            return;
        }
        if self.expr_mode {
            return;
        }
        let end = self.text_end();
        if !self.at_line_start {
            self.pending.push_back(Ok((end, Tok::Newline, end)));
        }
        for _ in 1..self.indents.len() {
            self.pending.push_back(Ok((end, Tok::Dedent, end)));
        }
        self.indents.truncate(1);
    }

    /// Queues an error; nothing after it is produced.
    fn fail(&mut self, err: SyntaxError) {
        self.pending.push_back(Err(err));
        self.finished = true;
    }
}

impl Iterator for Lexer<'_> {
    type Item = Spanned;

    fn next(&mut self) -> Option<Spanned> {
        if !self.started {
            self.started = true;
            let tok = if self.expr_mode { Tok::StartExpr } else { Tok::StartModule };
            return Some(Ok((self.base, tok, self.base)));
        }
        loop {
            if let Some(item) = self.pending.pop_front() {
                if item.is_err() {
                    self.pending.clear();
                    self.finished = true;
                }
                return Some(item);
            }
            if self.finished || !self.advance() {
                return self.pending.pop_front();
            }
        }
    }
}
