//! Number conversions of the builtins: `int(x[, base])` (strings with signs, underscores,
//! prefixes, Unicode digits and the 4300-digit limit), `float(str)`, float -> int truncation
//! and `round(x[, ndigits])` with CPython's correctly rounded results. Pure functions.

use num_bigint::BigInt;
use num_integer::Integer;
use num_traits::{FromPrimitive, Pow, Signed, Zero};

use crate::interp::objects::error::{ExcKind, RtError, RtResult, type_error, value_error};
use crate::interp::objects::format::unicode::{decimal_value, is_space};
use crate::interp::objects::format::{INT_MAX_STR_DIGITS, str_repr};
use crate::interp::objects::ops::{big_to_f64, int_to_bigint};
use crate::interp::objects::value::Value;

/// `int(f)` for a float: truncation; `OverflowError: cannot convert float infinity to integer`,
/// `ValueError: cannot convert float NaN to integer`.
pub fn float_to_int(f: f64) -> RtResult<Value> {
    if f.is_nan() {
        return Err(value_error("cannot convert float NaN to integer"));
    }
    if f.is_infinite() {
        return Err(RtError::new(ExcKind::OverflowError, "cannot convert float infinity to integer"));
    }
    let t = f.trunc();
    if t.abs() < 9.2e18 {
        return Ok(Value::Int(t as i64));
    }
    Ok(Value::from_bigint(BigInt::from_f64(t).unwrap_or_default()))
}

/// `int(v)` / `int(v, base)`.
pub(crate) fn int_call(v: &Value, base: Option<&Value>) -> RtResult<Value> {
    if let Some(b) = base {
        let Value::Str(s) = v else {
            return Err(type_error("int() can't convert non-string with explicit base"));
        };
        let b = match b {
            Value::Int(i) => *i,
            Value::Bool(x) => *x as i64,
            Value::BigInt(_) => -1,
            other => {
                return Err(type_error(format!("'{}' object cannot be interpreted as an integer", other.type_name())));
            }
        };
        if b != 0 && !(2..=36).contains(&b) {
            return Err(value_error("int() base must be >= 2 and <= 36, or 0"));
        }
        return int_from_str(s.as_str(), b as u32);
    }
    match v {
        Value::Int(_) | Value::BigInt(_) => Ok(v.clone()),
        Value::Bool(b) => Ok(Value::Int(*b as i64)),
        Value::Float(f) => float_to_int(*f),
        Value::Str(s) => int_from_str(s.as_str(), 10),
        _ => Err(type_error(format!(
            "int() argument must be a string, a bytes-like object or a real number, not '{}'",
            v.type_name()
        ))),
    }
}

/// Non-ASCII decimal digits become ASCII ones (CPython does the same before parsing).
fn ascii_digits(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            c if c.is_ascii() => c,
            c => decimal_value(c).and_then(|d| char::from_digit(d, 10)).unwrap_or(c),
        })
        .collect()
}

/// Parses `text` as `int(text, base)` (`base` 0 or 2..=36).
pub fn int_from_str(text: &str, base: u32) -> RtResult<Value> {
    if base == 10
        && let Some(n) = plain_decimal(text)
    {
        return Ok(Value::Int(n));
    }
    let invalid = || {
        let r: String = str_repr(text).chars().take(200).collect();
        value_error(format!("invalid literal for int() with base {base}: {r}"))
    };
    let s = ascii_digits(text.trim_matches(is_space));
    let (negative, rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, &s[..]),
    };
    let mut radix = base;
    let mut body = rest;
    let mut prefixed = false;
    let rb = rest.as_bytes();
    if rb.len() >= 2 && rb[0] == b'0' {
        let pb = match rb[1] {
            b'x' | b'X' => 16,
            b'o' | b'O' => 8,
            b'b' | b'B' => 2,
            _ => 0,
        };
        if pb != 0 && (base == 0 || base == pb) {
            radix = pb;
            body = &rest[2..];
            prefixed = true;
        }
    }
    if radix == 0 {
        radix = 10;
        if body.starts_with('0') && body.chars().any(|c| c != '0' && c != '_') {
            return Err(invalid());
        }
    }
    let b = body.as_bytes();
    if b.is_empty() || b[b.len() - 1] == b'_' || (!prefixed && b[0] == b'_') || body.contains("__") {
        return Err(invalid());
    }
    let digits: String = body.chars().filter(|&c| c != '_').collect();
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return Err(invalid());
    }
    if !radix.is_power_of_two() && digits.len() > INT_MAX_STR_DIGITS {
        return Err(value_error(format!(
            "Exceeds the limit (4300 digits) for integer string conversion: value has {} digits; \
             use sys.set_int_max_str_digits() to increase the limit",
            digits.len()
        )));
    }
    if let Ok(n) = i64::from_str_radix(&digits, radix) {
        return Ok(Value::Int(if negative { -n } else { n }));
    }
    let n = BigInt::parse_bytes(digits.as_bytes(), radix).ok_or_else(invalid)?;
    Ok(Value::from_bigint(if negative { -n } else { n }))
}

/// The value of `text` when it is only ASCII digits after an optional sign, at most 18 of them
/// (so it fits an i64): the common case of `int(text)`, parsed without the general path.
pub fn plain_decimal(text: &str) -> Option<i64> {
    let (negative, digits) = match text.as_bytes() {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        all => (false, all),
    };
    if digits.is_empty() || digits.len() > 18 {
        return None;
    }
    let mut n: i64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        n = n * 10 + (d - b'0') as i64;
    }
    Some(if negative { -n } else { n })
}

/// Is `s` a Python float literal body (digits, point, exponent, single underscores between
/// digits)?
fn valid_float_syntax(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    let digits = |i: &mut usize| -> Option<usize> {
        let start = *i;
        while *i < b.len() && (b[*i].is_ascii_digit() || b[*i] == b'_') {
            if b[*i] == b'_' && (*i == start || *i + 1 >= b.len() || !b[*i + 1].is_ascii_digit()) {
                return None;
            }
            *i += 1;
        }
        Some(*i - start)
    };
    let Some(int_len) = digits(&mut i) else { return false };
    let mut frac_len = 0;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        match digits(&mut i) {
            Some(n) => frac_len = n,
            None => return false,
        }
    }
    if int_len + frac_len == 0 {
        return false;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        match digits(&mut i) {
            Some(n) if n > 0 => {}
            _ => return false,
        }
    }
    i == b.len()
}

/// A quiet NaN no other `float("nan")` has produced: floats are unboxed, so their identity
/// is their bits, and in CPython each `float("nan")` is a new object (`x is y or x == y` in
/// containers tells them apart). The payload is a counter below the quiet bit.
pub fn fresh_nan(negative: bool) -> f64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT_PAYLOAD: AtomicU64 = AtomicU64::new(1);
    const QUIET_NAN: u64 = 0x7ff8_0000_0000_0000;
    const PAYLOAD_MASK: u64 = (1 << 51) - 1;
    let payload = NEXT_PAYLOAD.fetch_add(1, Ordering::Relaxed) & PAYLOAD_MASK;
    let sign = if negative { 1 << 63 } else { 0 };
    f64::from_bits(sign | QUIET_NAN | payload.max(1))
}

/// `float(text)`: `ValueError: could not convert string to float: 'abc'`.
pub fn float_from_str(text: &str) -> RtResult<f64> {
    let invalid = || value_error(format!("could not convert string to float: {}", str_repr(text)));
    let s = ascii_digits(text.trim_matches(is_space));
    let (negative, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, &s[..]),
    };
    let lower = body.to_ascii_lowercase();
    let magnitude = if lower == "inf" || lower == "infinity" {
        f64::INFINITY
    } else if lower == "nan" {
        return Ok(fresh_nan(negative));
    } else if valid_float_syntax(body) {
        let clean: String = body.chars().filter(|&c| c != '_').collect();
        clean.parse::<f64>().map_err(|_| invalid())?
    } else {
        return Err(invalid());
    };
    Ok(if negative { -magnitude } else { magnitude })
}

fn ndigits_of(v: &Value) -> RtResult<i64> {
    match v {
        Value::Int(i) => Ok(*i),
        Value::Bool(b) => Ok(*b as i64),
        Value::BigInt(b) => Ok(if b.is_negative() { i64::MIN } else { i64::MAX }),
        _ => Err(type_error(format!("'{}' object cannot be interpreted as an integer", v.type_name()))),
    }
}

/// Rounds `x` half-to-even to a multiple of `10^k`.
fn round_big_to_pow10(x: &BigInt, k: u64) -> BigInt {
    if k as f64 > x.bits() as f64 * std::f64::consts::LOG10_2 + 2.0 {
        return BigInt::zero();
    }
    let m: BigInt = Pow::pow(BigInt::from(10), k);
    let (mut q, r) = x.div_mod_floor(&m);
    let twice: BigInt = r * 2;
    if twice > m || (twice == m && q.is_odd()) {
        q += 1;
    }
    q * m
}

/// `round(x, n)` for a finite non-zero float and `n < 0`, exactly.
fn float_round_negative(x: f64, k: u64) -> RtResult<f64> {
    let bits = x.abs().to_bits();
    let exp_field = ((bits >> 52) & 0x7ff) as i64;
    let frac = bits & ((1u64 << 52) - 1);
    let (m, e) = if exp_field == 0 { (frac, -1074) } else { (frac | (1u64 << 52), exp_field - 1075) };
    let p10: BigInt = Pow::pow(BigInt::from(10), k);
    let (num, den) =
        if e >= 0 { (BigInt::from(m) << e as u64, p10.clone()) } else { (BigInt::from(m), &p10 << (-e) as u64) };
    let (mut q, r) = num.div_rem(&den);
    let twice: BigInt = r * 2;
    if twice > den || (twice == den && q.is_odd()) {
        q += 1;
    }
    let magnitude = big_to_f64(&(q * p10))
        .ok()
        .filter(|f| f.is_finite())
        .ok_or_else(|| RtError::new(ExcKind::OverflowError, "rounded value too large to represent"))?;
    Ok(magnitude.copysign(x))
}

fn float_round(x: f64, n: i64) -> RtResult<f64> {
    if !x.is_finite() || x == 0.0 || n > 323 {
        return Ok(x);
    }
    if n < -308 {
        return Ok(0.0f64.copysign(x));
    }
    if n >= 0 {
        let s = format!("{:.*}", n as usize, x);
        return Ok(s.parse::<f64>().unwrap_or(x));
    }
    float_round_negative(x, n.unsigned_abs())
}

/// `round(number)` / `round(number, ndigits)`.
pub fn round_value(number: &Value, ndigits: Option<&Value>) -> RtResult<Value> {
    let ndigits = match ndigits {
        None | Some(Value::None) => None,
        Some(v) => Some(ndigits_of(v)?),
    };
    match (number, ndigits) {
        (Value::Float(f), None) => float_to_int(f.round_ties_even()),
        (Value::Float(f), Some(n)) => Ok(Value::Float(float_round(*f, n)?)),
        (Value::Int(_) | Value::BigInt(_) | Value::Bool(_), n) => {
            let x = int_to_bigint(number).unwrap_or_default();
            match n {
                Some(n) if n < 0 => Ok(Value::from_bigint(round_big_to_pow10(&x, n.unsigned_abs()))),
                _ => Ok(Value::from_bigint(x)),
            }
        }
        _ => Err(type_error(format!("type {} doesn't define __round__ method", number.type_name()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(x: f64, n: i64) -> f64 {
        match round_value(&Value::Float(x), Some(&Value::Int(n))).unwrap() {
            Value::Float(f) => f,
            _ => f64::NAN,
        }
    }

    #[test]
    fn round_matches_cpython() {
        assert_eq!(r(0.125, 2), 0.12);
        assert_eq!(r(2.675, 2), 2.67);
        assert_eq!(r(1234.5, -2), 1200.0);
        assert_eq!(r(123.456, -1), 120.0);
        assert_eq!(r(125.0, -1), 120.0);
        assert_eq!(r(135.0, -1), 140.0);
        assert_eq!(r(1e300, -300), 1e300);
        assert_eq!(r(5.5, 400), 5.5);
        assert!(r(-4.0, -1).is_sign_negative());
        assert_eq!(r(1.23456, 3), 1.235);
        assert!(round_value(&Value::Float(1.7e308), Some(&Value::Int(-308))).is_err());
        let int_round = |x: i64, n: i64| match round_value(&Value::Int(x), Some(&Value::Int(n))).unwrap() {
            Value::Int(i) => i,
            _ => i64::MIN,
        };
        assert_eq!(int_round(15, -1), 20);
        assert_eq!(int_round(25, -1), 20);
        assert_eq!(int_round(-25, -1), -20);
        assert_eq!(int_round(-15, -1), -20);
        assert_eq!(int_round(5, -1), 0);
        assert!(matches!(round_value(&Value::Float(2.5), None).unwrap(), Value::Int(2)));
        assert!(matches!(round_value(&Value::Float(-0.5), None).unwrap(), Value::Int(0)));
    }

    #[test]
    fn int_parsing_matches_cpython() {
        let ok = |s: &str, b: u32| match int_from_str(s, b) {
            Ok(Value::Int(i)) => Some(i),
            _ => None,
        };
        assert_eq!(ok("1_000", 10), Some(1000));
        assert_eq!(ok("  -5  ", 10), Some(-5));
        assert_eq!(ok(" 1__0", 10), None);
        assert_eq!(ok("0x10", 16), Some(16));
        assert_eq!(ok("0x10", 0), Some(16));
        assert_eq!(ok("010", 0), None);
        assert_eq!(ok("0_0", 0), Some(0));
        assert_eq!(ok("-0x_f", 0), Some(-15));
        assert_eq!(ok("_1", 10), None);
        assert_eq!(ok("1_", 10), None);
        assert_eq!(ok("0b", 0), None);
        assert_eq!(ok("z", 36), Some(35));
        assert_eq!(ok("١٢٣", 10), Some(123));
        assert_eq!(ok("-9223372036854775808", 10), Some(i64::MIN));
        assert!(matches!(int_from_str("9999999999999999999", 10), Ok(Value::BigInt(_))));
        let e = int_from_str("x", 10).unwrap_err();
        assert_eq!(
            crate::interp::objects::format::exc_line(&e.0),
            "ValueError: invalid literal for int() with base 10: 'x'"
        );
    }

    #[test]
    fn float_parsing_matches_cpython() {
        assert_eq!(float_from_str(" 1e5 ").unwrap(), 100000.0);
        assert_eq!(float_from_str("1_0.5").unwrap(), 10.5);
        assert_eq!(float_from_str("1e1_0").unwrap(), 1e10);
        assert_eq!(float_from_str("-infinity").unwrap(), f64::NEG_INFINITY);
        assert!(float_from_str("nAn").unwrap().is_nan());
        assert_eq!(float_from_str(".5").unwrap(), 0.5);
        assert_eq!(float_from_str("5.").unwrap(), 5.0);
        assert_eq!(float_from_str("1e500").unwrap(), f64::INFINITY);
        for bad in ["", "1_", "1__0", "_1", "1._5", "infinit", "0x10", "1e", ". 5", "1.5e+", "abc"] {
            assert!(float_from_str(bad).is_err(), "{bad:?}");
        }
    }
}
