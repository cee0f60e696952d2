//! Literal scanning: numbers, string bodies, escape sequences and the split of an f-string
//! into literal text and `{expr!c:spec}` fields.
//!
//! These functions work on plain text (the rest of the source from a literal's first
//! character) and report byte positions relative to it; the lexer turns them into tokens and
//! positioned [`super::SyntaxError`]s. Nothing here recurses or panics on any input.

use super::errors::SyntaxErrorKind;
use num_bigint::BigInt;
use num_traits::Num;

/// A scanned number literal.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Number {
    Int(BigInt),
    Float(f64),
}

/// A problem found in a literal, positioned relative to the scanned text.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct LitError {
    pub kind: SyntaxErrorKind,
    pub message: String,
    pub start: usize,
    pub end: usize,
    /// The input ended inside the literal (an unterminated triple-quoted string).
    pub incomplete: bool,
    /// Append " (detected at line N)" with the line of this relative offset.
    pub detected_at: Option<usize>,
}

impl LitError {
    fn new(message: impl Into<String>, start: usize, end: usize) -> LitError {
        LitError {
            kind: SyntaxErrorKind::SyntaxError,
            message: message.into(),
            start,
            end,
            incomplete: false,
            detected_at: None,
        }
    }

    fn unsupported(message: impl Into<String>, start: usize, end: usize) -> LitError {
        LitError { kind: SyntaxErrorKind::NotSupported, ..LitError::new(message, start, end) }
    }

    /// Shifts the positions by `by` bytes (a body error reported against the whole literal).
    pub fn shifted(mut self, by: usize) -> LitError {
        self.start += by;
        self.end += by;
        self.detected_at = self.detected_at.map(|d| d + by);
        self
    }
}

/// Keywords that may directly follow a number (`1if x else y` is valid Python).
const KEYWORDS_AFTER_NUMBER: [&str; 8] = ["and", "else", "for", "if", "in", "is", "not", "or"];

fn is_ident_char(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// True when the text at `i` starts an identifier glued to a number (an error), unless it is
/// one of the keywords CPython accepts there.
fn glued_identifier(text: &str, i: usize) -> bool {
    let rest = &text[i..];
    match rest.chars().next() {
        Some(c) if is_ident_char(c) => {
            let word_len = rest.find(|c: char| !is_ident_char(c)).unwrap_or(rest.len());
            !KEYWORDS_AFTER_NUMBER.iter().any(|k| rest[..word_len].starts_with(k))
        }
        _ => false,
    }
}

/// Reads digits accepted by `ok` with single `_` separators between them, from `i`.
/// Returns the new position and the digits without separators; a misplaced `_` is an error.
fn digits(text: &str, mut i: usize, ok: impl Fn(u8) -> bool, what: &str) -> Result<(usize, String), LitError> {
    let b = text.as_bytes();
    let mut out = String::new();
    while i < b.len() {
        if ok(b[i]) {
            out.push(b[i] as char);
            i += 1;
        } else if b[i] == b'_' && !out.is_empty() {
            if i + 1 < b.len() && ok(b[i + 1]) {
                i += 1;
            } else {
                return Err(LitError::new(format!("invalid {what} literal"), i, i + 1));
            }
        } else {
            break;
        }
    }
    Ok((i, out))
}

/// Scans the number at the start of `text` (a digit, or `.` and a digit).
/// Returns its length in bytes and its value.
pub(super) fn scan_number(text: &str) -> Result<(usize, Number), LitError> {
    let b = text.as_bytes();
    if b.len() >= 2 && b[0] == b'0' && matches!(b[1], b'x' | b'X' | b'o' | b'O' | b'b' | b'B') {
        return scan_radix_number(text);
    }
    let (mut i, int_part) = digits(text, 0, |c| c.is_ascii_digit(), "decimal")?;
    let mut is_float = false;
    let mut literal = int_part.clone();
    if b.get(i) == Some(&b'.') {
        is_float = true;
        literal.push('.');
        i += 1;
        if b.get(i) == Some(&b'_') {
            return Err(LitError::new("invalid decimal literal", i, i + 1));
        }
        let (j, frac) = digits(text, i, |c| c.is_ascii_digit(), "decimal")?;
        literal.push_str(&frac);
        i = j;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        let mut exp = String::from("e");
        if let Some(&sign @ (b'+' | b'-')) = b.get(j) {
            exp.push(sign as char);
            j += 1;
        }
        if b.get(j).is_some_and(|c| c.is_ascii_digit()) {
            let (k, e) = digits(text, j, |c| c.is_ascii_digit(), "decimal")?;
            exp.push_str(&e);
            literal.push_str(&exp);
            is_float = true;
            i = k;
        } else if !glued_identifier(text, i) {
            // `1else`: the keyword check above lets `e` start a keyword.
        } else {
            return Err(LitError::new("invalid decimal literal", 0, i));
        }
    }
    if matches!(b.get(i), Some(b'j' | b'J')) {
        return Err(LitError::unsupported(
            format!("complex numbers (the imaginary literal '{}') are not supported in Toy", &text[..i + 1]),
            0,
            i + 1,
        ));
    }
    if glued_identifier(text, i) {
        return Err(LitError::new("invalid decimal literal", 0, 1));
    }
    if is_float {
        let value: f64 = literal.parse().map_err(|_| LitError::new("invalid decimal literal", 0, i))?;
        return Ok((i, Number::Float(value)));
    }
    if int_part.len() > 1 && int_part.starts_with('0') && int_part.bytes().any(|c| c != b'0') {
        return Err(LitError::new(
            "leading zeros in decimal integer literals are not permitted; use an 0o prefix for octal integers",
            0,
            i,
        ));
    }
    if int_part.len() > MAX_DECIMAL_DIGITS && int_part.bytes().any(|c| c != b'0') {
        return Err(LitError::new(
            format!(
                "Exceeds the limit ({MAX_DECIMAL_DIGITS} digits) for integer string conversion: value has {} digits; \
                 use sys.set_int_max_str_digits() to increase the limit - Consider hexadecimal for huge integer \
                 literals to avoid decimal conversion limits.",
                int_part.len()
            ),
            0,
            i,
        ));
    }
    let value = BigInt::from_str_radix(&int_part, 10).map_err(|_| LitError::new("invalid decimal literal", 0, i))?;
    Ok((i, Number::Int(value)))
}

/// CPython's limit on decimal digits in an int literal (`sys.int_info.default_max_str_digits`,
/// the same limit `int(str)` has); a literal of zeros only is exempt, as in CPython.
const MAX_DECIMAL_DIGITS: usize = 4300;

/// `0x...`, `0o...`, `0b...`.
fn scan_radix_number(text: &str) -> Result<(usize, Number), LitError> {
    let b = text.as_bytes();
    let (radix, name) = match b[1] {
        b'x' | b'X' => (16, "hexadecimal"),
        b'o' | b'O' => (8, "octal"),
        _ => (2, "binary"),
    };
    let ok = |c: u8| (c as char).is_digit(radix);
    let mut i = 2;
    if b.get(i) == Some(&b'_') {
        i += 1;
    }
    let start = i;
    let (i, digs) = digits(text, i, ok, name)?;
    if digs.is_empty() {
        let at = if i < b.len() && b[i].is_ascii_digit() { i } else { start.saturating_sub(1) };
        if i < b.len() && b[i].is_ascii_digit() {
            return Err(LitError::new(format!("invalid digit '{}' in {name} literal", b[i] as char), at, at + 1));
        }
        return Err(LitError::new(format!("invalid {name} literal"), at, at + 1));
    }
    if b.get(i).is_some_and(|c| c.is_ascii_digit()) {
        return Err(LitError::new(format!("invalid digit '{}' in {name} literal", b[i] as char), i, i + 1));
    }
    if glued_identifier(text, i) {
        return Err(LitError::new(format!("invalid {name} literal"), i, i + 1));
    }
    let value =
        BigInt::from_str_radix(&digs, radix).map_err(|_| LitError::new(format!("invalid {name} literal"), 0, i))?;
    Ok((i, Number::Int(value)))
}

/// The shape of a string literal found by [`scan_string`].
#[derive(Clone, Debug, PartialEq)]
pub(super) struct StringShape {
    pub raw: bool,
    pub fstring: bool,
    /// Body byte range, relative to the literal's start (its prefix).
    pub body_start: usize,
    pub body_end: usize,
    /// Length of the whole literal, prefix and quotes included.
    pub len: usize,
}

/// Scans the string literal at the start of `text` (optional prefix, then a quote).
pub(super) fn scan_string(text: &str) -> Result<StringShape, LitError> {
    let b = text.as_bytes();
    let prefix_len = b.iter().position(|&c| c == b'\'' || c == b'"').unwrap_or(b.len());
    let prefix = text[..prefix_len].to_ascii_lowercase();
    let (raw, fstring) = match prefix.as_str() {
        "" | "u" => (false, false),
        "r" => (true, false),
        "f" => (false, true),
        "rf" | "fr" => (true, true),
        "b" | "rb" | "br" => {
            return Err(LitError::unsupported("bytes literals are not supported in Toy", 0, prefix_len + 1));
        }
        _ => return Err(LitError::new("invalid syntax", 0, prefix_len + 1)),
    };
    let quote = b[prefix_len];
    let triple = b.len() >= prefix_len + 3 && b[prefix_len + 1] == quote && b[prefix_len + 2] == quote;
    let body_start = prefix_len + if triple { 3 } else { 1 };
    let mut i = body_start;
    while i < b.len() {
        match b[i] {
            b'\\' => {
                i += 1;
                if i < b.len() && b[i] == b'\r' && b.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                i += 1;
                continue;
            }
            c if c == quote => {
                if !triple {
                    return Ok(StringShape { raw, fstring, body_start, body_end: i, len: i + 1 });
                }
                if b.get(i + 1) == Some(&quote) && b.get(i + 2) == Some(&quote) {
                    return Ok(StringShape { raw, fstring, body_start, body_end: i, len: i + 3 });
                }
            }
            b'\n' | b'\r' if !triple => {
                let mut e = LitError::new("unterminated string literal", 0, 0);
                e.detected_at = Some(0);
                return Err(e);
            }
            _ => {}
        }
        i += 1;
    }
    if triple {
        let mut e = LitError::new("unterminated triple-quoted string literal", 0, 0);
        e.detected_at = Some(b.len().saturating_sub(1));
        e.incomplete = true;
        Err(e)
    } else {
        let mut e = LitError::new("unterminated string literal", 0, 0);
        e.detected_at = Some(0);
        Err(e)
    }
}

/// Source line breaks inside a literal read as `\n`, as CPython's universal newlines do.
pub(super) fn normalize_newlines(body: &str) -> String {
    if body.contains('\r') { body.replace("\r\n", "\n").replace('\r', "\n") } else { body.to_string() }
}

/// Processes the escape sequences of a (non-raw) string body.
pub(super) fn unescape(body: &str) -> Result<String, LitError> {
    let mut out = String::with_capacity(body.len());
    let mut chars = body.char_indices().peekable();
    while let Some((pos, c)) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some((_, e)) = chars.next() else {
            out.push('\\');
            break;
        };
        match e {
            '\n' => {}
            '\r' => {
                if chars.peek().map(|&(_, c)| c) == Some('\n') {
                    chars.next();
                }
            }
            '\\' | '\'' | '"' => out.push(e),
            'a' => out.push('\x07'),
            'b' => out.push('\x08'),
            'f' => out.push('\x0c'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'v' => out.push('\x0b'),
            '0'..='7' => {
                let mut value = e as u32 - '0' as u32;
                for _ in 0..2 {
                    match chars.peek() {
                        Some(&(_, d @ '0'..='7')) => {
                            value = value * 8 + (d as u32 - '0' as u32);
                            chars.next();
                        }
                        _ => break,
                    }
                }
                out.push(char::from_u32(value).unwrap_or('\u{fffd}'));
            }
            'x' | 'u' | 'U' => {
                let n = match e {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let mut value = 0u32;
                let mut count = 0;
                while count < n {
                    match chars.peek().and_then(|&(_, d)| d.to_digit(16)) {
                        Some(d) => {
                            value = value.wrapping_mul(16).wrapping_add(d);
                            chars.next();
                            count += 1;
                        }
                        None => break,
                    }
                }
                let end = chars.peek().map_or(body.len(), |&(p, _)| p);
                if count < n {
                    let what = match e {
                        'x' => "truncated \\xXX escape",
                        'u' => "truncated \\uXXXX escape",
                        _ => "truncated \\UXXXXXXXX escape",
                    };
                    return Err(LitError::new(
                        format!(
                            "(unicode error) 'unicodeescape' codec can't decode bytes in position {}-{}: {what}",
                            pos,
                            end - 1
                        ),
                        pos,
                        end,
                    ));
                }
                match char::from_u32(value) {
                    Some(ch) => out.push(ch),
                    None if (0xD800..0xE000).contains(&value) => {
                        return Err(LitError::unsupported(
                            "lone surrogate characters in strings are not supported in Toy",
                            pos,
                            end,
                        ));
                    }
                    None => {
                        return Err(LitError::new(
                            format!(
                                "(unicode error) 'unicodeescape' codec can't decode bytes in position {}-{}: illegal Unicode character",
                                pos,
                                end - 1
                            ),
                            pos,
                            end,
                        ));
                    }
                }
            }
            'N' => {
                return Err(LitError::unsupported(
                    "named Unicode escapes ('\\N{...}') are not supported in Toy",
                    pos,
                    pos + 2,
                ));
            }
            other => {
                out.push('\\');
                out.push(other);
            }
        }
    }
    Ok(out)
}

/// One piece of an f-string body before its expressions are parsed.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum RawFPart {
    Literal(String),
    /// `{expr!c:spec}`: the expression's byte range relative to the body.
    Field {
        expr_start: usize,
        expr_end: usize,
        conversion: Option<char>,
        spec: Option<String>,
    },
}

/// Splits an f-string body into literal text (escapes processed unless `raw`) and fields.
pub(super) fn split_fstring(body: &str, raw: bool) -> Result<Vec<RawFPart>, LitError> {
    let b = body.as_bytes();
    let mut parts = Vec::new();
    let mut lit = String::new();
    let mut i = 0;
    let flush = |lit: &mut String, parts: &mut Vec<RawFPart>, at: usize| -> Result<(), LitError> {
        if !lit.is_empty() {
            let text = if raw { std::mem::take(lit) } else { unescape(lit).map_err(|e| e.shifted(at))? };
            lit.clear();
            push_literal(parts, text);
        }
        Ok(())
    };
    let mut lit_start = 0;
    while i < b.len() {
        match b[i] {
            b'{' if b.get(i + 1) == Some(&b'{') => {
                lit.push('{');
                i += 2;
            }
            b'}' if b.get(i + 1) == Some(&b'}') => {
                lit.push('}');
                i += 2;
            }
            b'}' => {
                return Err(LitError::new("f-string: single '}' is not allowed", i, i + 1));
            }
            b'{' => {
                flush(&mut lit, &mut parts, lit_start)?;
                i = scan_field(body, i, &mut parts)?;
                lit_start = i;
            }
            b'\\' if !raw => {
                if b.get(i + 1) == Some(&b'N') {
                    return Err(LitError::unsupported(
                        "named Unicode escapes ('\\N{...}') are not supported in Toy",
                        i,
                        i + 2,
                    ));
                }
                lit.push('\\');
                i += 1;
                if let Some(c) = body[i..].chars().next().filter(|&c| c != '{' && c != '}') {
                    lit.push(c);
                    i += c.len_utf8();
                }
            }
            _ => {
                let c = body[i..].chars().next().unwrap_or('\u{fffd}');
                lit.push(c);
                i += c.len_utf8().max(1);
            }
        }
    }
    flush(&mut lit, &mut parts, lit_start)?;
    Ok(parts)
}

fn push_literal(parts: &mut Vec<RawFPart>, text: String) {
    if let Some(RawFPart::Literal(prev)) = parts.last_mut() {
        prev.push_str(&text);
    } else if !text.is_empty() {
        parts.push(RawFPart::Literal(text));
    }
}

/// Scans the field starting at the `{` at `open`; pushes it and returns the position after `}`.
fn scan_field(body: &str, open: usize, parts: &mut Vec<RawFPart>) -> Result<usize, LitError> {
    let b = body.as_bytes();
    let expecting = |at: usize| LitError::new("f-string: expecting '}'", at, at + 1);
    let start = open + 1;
    let mut i = start;
    let mut depth = 0usize;
    let mut quote: Option<(u8, bool)> = None;
    // Find where the expression ends: `}`, `!`, `:` or a debugging `=` at depth 0.
    let end = loop {
        let Some(&c) = b.get(i) else {
            return Err(expecting(open));
        };
        if let Some((q, triple)) = quote {
            if c == q && (!triple || (b.get(i + 1) == Some(&q) && b.get(i + 2) == Some(&q))) {
                quote = None;
                i += if triple { 3 } else { 1 };
            } else {
                i += 1;
            }
            continue;
        }
        match c {
            b'\'' | b'"' => {
                let triple = b.get(i + 1) == Some(&c) && b.get(i + 2) == Some(&c);
                quote = Some((c, triple));
                i += if triple { 3 } else { 1 };
                continue;
            }
            b'\\' => {
                return Err(LitError::new("f-string expression part cannot include a backslash", i, i + 1));
            }
            b'#' => {
                return Err(LitError::new("f-string expression part cannot include '#'", i, i + 1));
            }
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' if depth > 0 => depth -= 1,
            b'}' => break i,
            b')' | b']' => {
                return Err(LitError::new(format!("f-string: unmatched '{}'", c as char), i, i + 1));
            }
            b'!' if depth == 0 && b.get(i + 1) != Some(&b'=') => break i,
            b':' if depth == 0 => break i,
            b'=' if depth == 0
                && b.get(i + 1) != Some(&b'=')
                && !matches!(b.get(i.wrapping_sub(1)), Some(b'=' | b'!' | b'<' | b'>')) =>
            {
                break i;
            }
            _ => {}
        }
        i += 1;
    };
    if body[start..end].trim().is_empty() {
        return Err(LitError::new("f-string: empty expression not allowed", end, end + 1));
    }
    let mut i = end;
    let mut debug = false;
    if b[i] == b'=' {
        debug = true;
        i += 1;
        while matches!(b.get(i), Some(b' ' | b'\t' | b'\n' | b'\r' | b'\x0c')) {
            i += 1;
        }
        push_literal(parts, normalize_newlines(&body[start..i]));
    }
    let mut conversion = None;
    if b.get(i) == Some(&b'!') {
        match b.get(i + 1) {
            Some(&c @ (b's' | b'r' | b'a')) if matches!(b.get(i + 2), Some(b':' | b'}')) => {
                conversion = Some(c as char);
                i += 2;
            }
            None => return Err(expecting(open)),
            _ => {
                return Err(LitError::new(
                    "f-string: invalid conversion character: expected 's', 'r', or 'a'",
                    i + 1,
                    i + 2,
                ));
            }
        }
    }
    let mut spec = None;
    if b.get(i) == Some(&b':') {
        let spec_start = i + 1;
        let Some(len) = body[spec_start..].find(['{', '}']) else {
            return Err(expecting(open));
        };
        let spec_end = spec_start + len;
        if b[spec_end] == b'{' {
            return Err(LitError::unsupported(
                "nested replacement fields in f-string format specs are not supported in Toy",
                spec_end,
                spec_end + 1,
            ));
        }
        spec = Some(body[spec_start..spec_end].to_string());
        i = spec_end;
    }
    if b.get(i) != Some(&b'}') {
        return Err(expecting(open));
    }
    if debug && conversion.is_none() && spec.is_none() {
        conversion = Some('r');
    }
    parts.push(RawFPart::Field { expr_start: start, expr_end: end, conversion, spec });
    Ok(i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(s: &str) -> Number {
        scan_number(s).expect("number").1
    }

    #[test]
    fn numbers() {
        assert_eq!(num("123"), Number::Int(123.into()));
        assert_eq!(num("1_000_000"), Number::Int(1_000_000.into()));
        assert_eq!(num("0xff"), Number::Int(255.into()));
        assert_eq!(num("0X_F_F"), Number::Int(255.into()));
        assert_eq!(num("0o17"), Number::Int(15.into()));
        assert_eq!(num("0b1010"), Number::Int(10.into()));
        assert_eq!(num("00"), Number::Int(0.into()));
        assert_eq!(num("1.0"), Number::Float(1.0));
        assert_eq!(num(".5"), Number::Float(0.5));
        assert_eq!(num("1."), Number::Float(1.0));
        assert_eq!(num("1e-3"), Number::Float(1e-3));
        assert_eq!(num("2.5E+10"), Number::Float(2.5e10));
        assert_eq!(num("09.5"), Number::Float(9.5));
        assert_eq!(num("1e999"), Number::Float(f64::INFINITY));
        assert_eq!(scan_number("1if x").map(|r| r.0), Ok(1));
        let big = num("123456789012345678901234567890");
        assert_eq!(big, Number::Int("123456789012345678901234567890".parse().expect("big")));
    }

    #[test]
    fn number_errors() {
        let msg = |s: &str| scan_number(s).expect_err("error").message;
        assert_eq!(msg("1abc"), "invalid decimal literal");
        assert_eq!(msg("1_"), "invalid decimal literal");
        assert_eq!(msg("1__0"), "invalid decimal literal");
        assert_eq!(msg("0x"), "invalid hexadecimal literal");
        assert_eq!(msg("0b"), "invalid binary literal");
        assert_eq!(msg("0o8"), "invalid digit '8' in octal literal");
        assert_eq!(msg("0b12"), "invalid digit '2' in binary literal");
        assert_eq!(msg("0o7a"), "invalid octal literal");
        assert!(msg("012").starts_with("leading zeros"));
        let e = scan_number("1j").expect_err("complex");
        assert_eq!(e.kind, SyntaxErrorKind::NotSupported);
        assert!(e.message.contains("not supported"));
    }

    #[test]
    fn strings_and_escapes() {
        let s = scan_string("'abc' rest").expect("string");
        assert_eq!((s.body_start, s.body_end, s.len, s.raw, s.fstring), (1, 4, 5, false, false));
        let s = scan_string(r#"rf"a\"b" x"#).expect("string");
        assert_eq!((s.raw, s.fstring, s.len), (true, true, 8));
        let s = scan_string("'''a\n'b'\n''' x").expect("triple");
        assert_eq!(s.len, 12);
        assert!(scan_string("'abc\n'").is_err());
        let e = scan_string("'''abc\n").expect_err("unterminated");
        assert!(e.incomplete);
        assert_eq!(scan_string("b'x'").expect_err("bytes").kind, SyntaxErrorKind::NotSupported);
        assert_eq!(
            unescape(r#"a\n\t\r\\\'\"\0\x41\101\a\b\f\v\u00e9\U0001F600\q"#).expect("escapes"),
            "a\n\t\r\\'\"\0AA\x07\x08\x0c\x0b\u{e9}\u{1F600}\\q"
        );
        assert_eq!(unescape("a\\\nb").expect("continuation"), "ab");
        assert!(unescape(r"\x4").expect_err("x").message.contains("truncated \\xXX escape"));
        assert_eq!(unescape(r"\N{DASH}").expect_err("N").kind, SyntaxErrorKind::NotSupported);
        assert!(unescape(r"\ud800").is_err());
    }

    #[test]
    fn fstring_split() {
        let parts = split_fstring("a{{b}} {x!r:>10} {y:.3f}{z}\\n", false).expect("split");
        assert_eq!(
            parts,
            vec![
                RawFPart::Literal("a{b} ".into()),
                RawFPart::Field { expr_start: 8, expr_end: 9, conversion: Some('r'), spec: Some(">10".into()) },
                RawFPart::Literal(" ".into()),
                RawFPart::Field { expr_start: 18, expr_end: 19, conversion: None, spec: Some(".3f".into()) },
                RawFPart::Field { expr_start: 25, expr_end: 26, conversion: None, spec: None },
                RawFPart::Literal("\n".into()),
            ]
        );
        let parts = split_fstring("{d['k']}{f(a, {1: 2})}{a == b}{a != b}", false).expect("nested");
        assert_eq!(parts.len(), 4);
        let parts = split_fstring("{x = }", false).expect("debug");
        assert_eq!(parts[0], RawFPart::Literal("x = ".into()));
        assert!(matches!(parts[1], RawFPart::Field { conversion: Some('r'), .. }));
        let msg = |s: &str| split_fstring(s, false).expect_err("error").message;
        assert_eq!(msg("{"), "f-string: expecting '}'");
        assert_eq!(msg("{}"), "f-string: empty expression not allowed");
        assert_eq!(msg("}"), "f-string: single '}' is not allowed");
        assert!(msg("{x!z}").contains("invalid conversion character"));
        assert!(msg("{x#}").contains("'#'"));
        assert!(msg("{x:{y}}").contains("not supported"));
    }
}
