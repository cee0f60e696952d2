//! Turning values into text exactly as CPython 3.11 does: `repr`, `str` (what `print` shows),
//! the shortest round-trip float repr, string quoting/escaping, exception messages, ints with
//! the 4300-digit limit. Format specs (`f"{x:>8.2f}"`) live in `format/spec.rs`, printf-style
//! `str % args` in `format/percent.rs`, Unicode property tables in `format/unicode.rs`.
//!
//! Touches nothing: pure functions of the values. Self-referential containers print `[...]` /
//! `{...}`; nesting deeper than `MAX_DEPTH` raises RecursionError instead of overflowing the
//! Rust stack.

mod percent;
mod spec;
pub mod unicode;

pub use percent::percent_format;
pub use spec::format_spec;

use std::fmt::Write as _;
use std::rc::Rc;

use num_bigint::BigInt;

use crate::interp::objects::error::{ExcKind, RtError, RtResult, value_error};
use crate::interp::objects::value::{DictViewKind, ExcObj, IterObj, Value};

const MAX_DEPTH: usize = 1000;

/// Largest field width / precision accepted in format specs (beyond: MemoryError).
pub(crate) fn spec_max_width() -> usize {
    1 << 28
}

/// CPython's limit on int <-> decimal string conversion.
pub const INT_MAX_STR_DIGITS: usize = 4300;

/// `repr(v)`.
pub fn repr(v: &Value) -> RtResult<String> {
    let mut out = String::new();
    Printer::default().write(v, &mut out)?;
    Ok(out)
}

/// `str(v)` (what `print` shows).
pub fn str_of(v: &Value) -> RtResult<String> {
    match v {
        Value::Str(s) => Ok(s.to_string()),
        Value::Int(n) => {
            let mut text = String::with_capacity(20);
            crate::interp::objects::text::push_int(&mut text, *n);
            Ok(text)
        }
        Value::Exception(e) => exc_str(e),
        _ => repr(v),
    }
}

/// `!r`, `!s`, `!a` conversions of f-strings.
pub fn conversion(v: &Value, c: char) -> RtResult<String> {
    match c {
        'r' => repr(v),
        's' => str_of(v),
        'a' => Ok(ascii_escape(&repr(v)?)),
        _ => Err(value_error(format!("Unknown conversion specifier {c}"))),
    }
}

/// `ascii()`: repr with every non-ASCII char escaped.
fn ascii_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let u = c as u32;
        if u < 0x80 {
            out.push(c);
        } else if u <= 0xff {
            let _ = write!(out, "\\x{u:02x}");
        } else if u <= 0xffff {
            let _ = write!(out, "\\u{u:04x}");
        } else {
            let _ = write!(out, "\\U{u:08x}");
        }
    }
    out
}

/// `str(exc)`: "" for no args, the arg's str for one (its repr for KeyError), else the repr of
/// the args tuple.
pub fn exc_str(e: &ExcObj) -> RtResult<String> {
    match e.args.len() {
        0 => Ok(String::new()),
        1 if e.kind == ExcKind::KeyError => repr(&e.args[0]),
        1 => str_of(&e.args[0]),
        _ => repr(&Value::tuple(e.args.clone())),
    }
}

/// The last line of a traceback: `ValueError: message`, or just `ValueError` when the
/// message is empty.
pub fn exc_line(e: &ExcObj) -> String {
    let msg = exc_str(e).unwrap_or_else(|_| "<exception str() failed>".to_string());
    if msg.is_empty() { e.kind.name().to_string() } else { format!("{}: {}", e.kind.name(), msg) }
}

/// Decimal text of an int; `ValueError: Exceeds the limit (4300 digits) ...` beyond 4300 digits.
pub fn bigint_str(b: &BigInt) -> RtResult<String> {
    let limit_error = || {
        value_error(
            "Exceeds the limit (4300 digits) for integer string conversion; \
             use sys.set_int_max_str_digits() to increase the limit",
        )
    };
    if b.bits() > 14_300 {
        return Err(limit_error());
    }
    let s = b.to_string();
    let digits = s.len() - usize::from(s.starts_with('-'));
    if digits > INT_MAX_STR_DIGITS {
        return Err(limit_error());
    }
    Ok(s)
}

/// `repr(f)`: shortest round-trip digits, CPython's layout (`1e+16`, `1.5e-07`, `0.0001`).
pub fn float_repr(f: f64) -> String {
    if f.is_nan() {
        return "nan".to_string();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf".to_string() } else { "-inf".to_string() };
    }
    let (negative, digits, exp) = shortest_digits(f);
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    if (-4..16).contains(&exp) {
        layout_fixed(&mut out, &digits, exp, true);
    } else {
        layout_sci(&mut out, &digits, exp);
    }
    out
}

/// The shortest round-trip decimal digits of `f` (finite): (negative, digits, exponent) with
/// value = 0.d1d2d3... * 10^(exp+1), i.e. `exp` is the exponent of the first digit.
pub(crate) fn shortest_digits(f: f64) -> (bool, String, i32) {
    let (negative, digits, exp) = split_exp(&format!("{f:e}"));
    (negative, round_tie_to_even(f, digits, exp), exp)
}

/// Rust's shortest digits break a tie (the double lies exactly halfway between two shortest
/// candidates that both read back as it) upwards; CPython's repr picks the even last digit:
/// `2**49 + 0.25` is `562949953421312.2`, not `...3`.
fn round_tie_to_even(f: f64, digits: String, exp: i32) -> String {
    let bytes = digits.as_bytes();
    let Some(&last) = bytes.last() else { return digits };
    if (last - b'0').is_multiple_of(2) {
        return digits;
    }
    let mut lower = digits.clone();
    lower.pop();
    lower.push((last - 1) as char);
    let read_back = format!("{}{}.{}e{}", if f < 0.0 { "-" } else { "" }, &lower[..1], &lower[1..], exp);
    if read_back.parse::<f64>().ok() != Some(f) {
        return digits;
    }
    // A tie: the exact value's digits are `lower` followed by 5 and then only zeros.
    let exact = format!("{:.*e}", 1100, f.abs());
    let (_, exact_digits, _) = split_exp(&exact);
    let n = lower.len();
    let is_tie = exact_digits.len() > n
        && exact_digits[..n] == lower[..]
        && exact_digits.as_bytes()[n] == b'5'
        && exact_digits[n + 1..].bytes().all(|d| d == b'0');
    if is_tie { lower } else { digits }
}

/// Splits Rust's `{:e}` output ("-1.25e-7") into (negative, "125", -7).
pub(crate) fn split_exp(s: &str) -> (bool, String, i32) {
    let negative = s.starts_with('-');
    let s = s.trim_start_matches('-');
    let (mantissa, exp) = s.split_once('e').unwrap_or((s, "0"));
    let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    (negative, digits, exp.parse().unwrap_or(0))
}

/// Digits laid out without an exponent (`always_point`: add ".0" when there is no fraction).
pub(crate) fn layout_fixed(out: &mut String, digits: &str, exp: i32, always_point: bool) {
    if exp < 0 {
        out.push_str("0.");
        for _ in 0..(-exp - 1) {
            out.push('0');
        }
        out.push_str(digits);
        return;
    }
    let int_len = exp as usize + 1;
    if digits.len() <= int_len {
        out.push_str(digits);
        for _ in digits.len()..int_len {
            out.push('0');
        }
        if always_point {
            out.push_str(".0");
        }
    } else {
        out.push_str(&digits[..int_len]);
        out.push('.');
        out.push_str(&digits[int_len..]);
    }
}

/// Digits laid out as `d.ddde+XX`.
pub(crate) fn layout_sci(out: &mut String, digits: &str, exp: i32) {
    out.push_str(&digits[..1]);
    if digits.len() > 1 {
        out.push('.');
        out.push_str(&digits[1..]);
    }
    let _ = write!(out, "e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
}

/// `repr` of a string: CPython's quote choice and escapes.
pub fn str_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') { '"' } else { '\'' };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if (c as u32) < 0x7f => out.push(c),
            c if !unicode::in_table(unicode::NONPRINTABLE, c) => out.push(c),
            c => {
                let u = c as u32;
                if u <= 0xff {
                    let _ = write!(out, "\\x{u:02x}");
                } else if u <= 0xffff {
                    let _ = write!(out, "\\u{u:04x}");
                } else {
                    let _ = write!(out, "\\U{u:08x}");
                }
            }
        }
    }
    out.push(quote);
    out
}

fn addr<T: ?Sized>(p: &Rc<T>) -> usize {
    Rc::as_ptr(p) as *const u8 as usize
}

#[derive(Default)]
struct Printer {
    /// Addresses of the containers being printed (for `[...]`).
    active: Vec<usize>,
}

impl Printer {
    fn enter(&mut self, id: usize) -> RtResult<bool> {
        if self.active.contains(&id) {
            return Ok(false);
        }
        if self.active.len() >= MAX_DEPTH {
            return Err(RtError::new(
                ExcKind::RecursionError,
                "maximum recursion depth exceeded while getting the repr of an object",
            ));
        }
        self.active.push(id);
        Ok(true)
    }

    fn write_items(&mut self, items: &[Value], out: &mut String) -> RtResult<()> {
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            self.write(item, out)?;
        }
        Ok(())
    }

    fn write(&mut self, v: &Value, out: &mut String) -> RtResult<()> {
        match v {
            Value::Unbound => out.push_str("<unbound>"),
            Value::None => out.push_str("None"),
            Value::Bool(true) => out.push_str("True"),
            Value::Bool(false) => out.push_str("False"),
            Value::Int(i) => crate::interp::objects::text::push_int(out, *i),
            Value::BigInt(b) => out.push_str(&bigint_str(b)?),
            Value::Float(f) => out.push_str(&float_repr(*f)),
            Value::Str(s) => out.push_str(&str_repr(s.as_str())),
            Value::List(l) => {
                if !self.enter(addr(l))? {
                    out.push_str("[...]");
                    return Ok(());
                }
                out.push('[');
                let items = l.borrow().clone();
                let r = self.write_items(&items, out);
                self.active.pop();
                r?;
                out.push(']');
            }
            Value::Tuple(t) => {
                if !self.enter(t.addr())? {
                    out.push_str("(...)");
                    return Ok(());
                }
                out.push('(');
                let r = self.write_items(t, out);
                self.active.pop();
                r?;
                if t.len() == 1 {
                    out.push(',');
                }
                out.push(')');
            }
            Value::Dict(d) => {
                if !self.enter(addr(d))? {
                    out.push_str("{...}");
                    return Ok(());
                }
                let entries: Vec<(Value, Value)> = d.borrow().iter().map(|(k, v)| (k.0.clone(), v.clone())).collect();
                out.push('{');
                let mut r = Ok(());
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    r = self.write(k, out).and_then(|_| {
                        out.push_str(": ");
                        self.write(v, out)
                    });
                    if r.is_err() {
                        break;
                    }
                }
                self.active.pop();
                r?;
                out.push('}');
            }
            Value::Range(r) => {
                if r.step == 1 {
                    let _ = write!(out, "range({}, {})", r.start, r.stop);
                } else {
                    let _ = write!(out, "range({}, {}, {})", r.start, r.stop, r.step);
                }
            }
            Value::Function(f) => {
                let _ = write!(out, "<function {} at {:#x}>", f.code.name, addr(f));
            }
            Value::Builtin(id) => out.push_str(&id.repr()),
            Value::Module(m) => {
                let _ = write!(out, "<module '{}' (built-in)>", m.name);
            }
            Value::Exception(e) => {
                out.push_str(e.kind.name());
                if e.args.len() == 1 {
                    out.push('(');
                    self.write(&e.args[0], out)?;
                    out.push(')');
                } else {
                    out.push('(');
                    self.write_items(&e.args, out)?;
                    out.push(')');
                }
            }
            Value::Iterator(it) => {
                let view = match &*it.borrow() {
                    IterObj::DictView { dict, kind } => Some((dict.clone(), *kind)),
                    _ => None,
                };
                match view {
                    Some((dict, kind)) => {
                        let (name, items): (&str, Vec<Value>) = {
                            let d = dict.borrow();
                            match kind {
                                DictViewKind::Keys => ("dict_keys", d.keys().map(|k| k.0.clone()).collect()),
                                DictViewKind::Values => ("dict_values", d.values().cloned().collect()),
                                DictViewKind::Items => (
                                    "dict_items",
                                    d.iter().map(|(k, v)| Value::tuple(vec![k.0.clone(), v.clone()])).collect(),
                                ),
                            }
                        };
                        if !self.enter(addr(&dict))? {
                            out.push_str("...");
                            return Ok(());
                        }
                        let _ = write!(out, "{name}([");
                        let r = self.write_items(&items, out);
                        self.active.pop();
                        r?;
                        out.push_str("])");
                    }
                    None => match &*it.borrow() {
                        IterObj::BigRange(r) => {
                            let _ = write!(out, "range({}, {}", bigint_str(&r.start)?, bigint_str(&r.stop)?);
                            if r.step != BigInt::from(1) {
                                let _ = write!(out, ", {}", bigint_str(&r.step)?);
                            }
                            out.push(')');
                        }
                        _ => {
                            let _ = write!(out, "<{} object at {:#x}>", v.type_name(), addr(it));
                        }
                    },
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_repr_table() {
        let cases: &[(f64, &str)] = &[
            (0.1, "0.1"),
            (1.0, "1.0"),
            (-0.0, "-0.0"),
            (0.0, "0.0"),
            (1e16, "1e+16"),
            (1.5e-7, "1.5e-07"),
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (123456789012345.0, "123456789012345.0"),
            (1234567890123456.0, "1234567890123456.0"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (f64::NAN, "nan"),
            (1e22, "1e+22"),
            (5e-324, "5e-324"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (2.5, "2.5"),
            (-1e100, "-1e+100"),
            (9007199254740992.0, "9007199254740992.0"),
            (1e15, "1000000000000000.0"),
            (0.00012345, "0.00012345"),
            (1.2345e-5, "1.2345e-05"),
        ];
        for (f, want) in cases {
            assert_eq!(float_repr(*f), *want);
        }
    }

    #[test]
    fn string_repr_quotes_and_escapes() {
        assert_eq!(str_repr("it's"), "\"it's\"");
        assert_eq!(str_repr("a'b\"c"), "'a\\'b\"c'");
        assert_eq!(
            str_repr("\x00\t\n\\\x7f\u{80}\u{ff}\u{100}\u{200b}\u{1f600}é"),
            "'\\x00\\t\\n\\\\\\x7f\\x80ÿĀ\\u200b😀é'"
        );
        assert_eq!(str_repr("\u{85}\u{a0}\u{ad}\u{e0000}"), "'\\x85\\xa0\\xad\\U000e0000'");
    }

    #[test]
    fn containers_and_cycles() {
        let l = Value::list(vec![Value::Int(1), Value::Float(2.5), Value::str("a")]);
        assert_eq!(repr(&l).unwrap(), "[1, 2.5, 'a']");
        if let Value::List(inner) = &l {
            inner.borrow_mut().push(l.clone());
        }
        assert_eq!(repr(&l).unwrap(), "[1, 2.5, 'a', [...]]");
        if let Value::List(inner) = &l {
            inner.borrow_mut().clear();
        }
        assert_eq!(repr(&Value::tuple(vec![Value::Int(1)])).unwrap(), "(1,)");
        assert_eq!(repr(&Value::tuple(vec![])).unwrap(), "()");
    }

    #[test]
    fn int_digit_limit() {
        let big = num_traits::Pow::pow(BigInt::from(10), 4299u32);
        assert_eq!(bigint_str(&big).unwrap().len(), 4300);
        let too_big = big * 10;
        assert_eq!(bigint_str(&too_big).unwrap_err().kind(), ExcKind::ValueError);
    }
}
