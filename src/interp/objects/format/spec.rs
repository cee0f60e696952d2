//! The format-spec mini-language (`f"{x:[[fill]align][sign][z][#][0][width][,|_][.prec][type]}"`)
//! for ints, bools, floats and strings, as CPython 3.11's `__format__` methods implement it.
//! Other values accept only an empty spec. Pure functions; touch nothing.

use num_bigint::BigInt;
use num_traits::Signed;

use super::{bigint_str, float_repr, layout_fixed, layout_sci, split_exp, str_of};
use crate::interp::objects::error::{ExcKind, RtError, RtResult, memory_error, type_error, value_error};
use crate::interp::objects::value::Value;

/// Widths beyond this would allocate absurd strings: MemoryError.
const MAX_WIDTH: usize = 1 << 28;

/// A parsed format spec.
#[derive(Clone, Debug, Default)]
pub(crate) struct Spec {
    pub fill: Option<char>,
    pub align: Option<char>,
    pub sign: Option<char>,
    pub z: bool,
    pub alt: bool,
    pub zero: bool,
    pub width: usize,
    pub grouping: Option<char>,
    pub precision: Option<usize>,
    pub ty: Option<char>,
}

fn parse_number(chars: &[char], pos: &mut usize) -> RtResult<Option<usize>> {
    let start = *pos;
    let mut n: usize = 0;
    while *pos < chars.len() && chars[*pos].is_ascii_digit() {
        n = n
            .checked_mul(10)
            .and_then(|n| n.checked_add(chars[*pos] as usize - '0' as usize))
            .ok_or_else(|| value_error("Too many decimal digits in format string"))?;
        *pos += 1;
    }
    Ok(if *pos > start { Some(n) } else { None })
}

/// Parses `spec` for a value of Python type `type_name`.
pub(crate) fn parse(spec: &str, type_name: &str) -> RtResult<Spec> {
    let c: Vec<char> = spec.chars().collect();
    let mut s = Spec::default();
    let is_align = |ch: char| matches!(ch, '<' | '>' | '=' | '^');
    let mut pos = 0;
    if c.len() >= 2 && is_align(c[1]) {
        s.fill = Some(c[0]);
        s.align = Some(c[1]);
        pos = 2;
    } else if !c.is_empty() && is_align(c[0]) {
        s.align = Some(c[0]);
        pos = 1;
    }
    if pos < c.len() && matches!(c[pos], '+' | '-' | ' ') {
        s.sign = Some(c[pos]);
        pos += 1;
    }
    if pos < c.len() && c[pos] == 'z' {
        s.z = true;
        pos += 1;
    }
    if pos < c.len() && c[pos] == '#' {
        s.alt = true;
        pos += 1;
    }
    if pos < c.len() && c[pos] == '0' && s.fill.is_none() {
        s.zero = true;
        pos += 1;
    }
    s.width = parse_number(&c, &mut pos)?.unwrap_or(0);
    if s.width > MAX_WIDTH {
        return Err(memory_error());
    }
    if pos < c.len() && matches!(c[pos], ',' | '_') {
        s.grouping = Some(c[pos]);
        pos += 1;
        if pos < c.len() && matches!(c[pos], ',' | '_') {
            return Err(value_error(if c[pos] == s.grouping.unwrap_or(',') {
                format!("Cannot specify '{}' with '{}'.", c[pos], c[pos])
            } else {
                "Cannot specify both ',' and '_'.".to_string()
            }));
        }
    }
    if pos < c.len() && c[pos] == '.' {
        pos += 1;
        match parse_number(&c, &mut pos)? {
            Some(p) if p > MAX_WIDTH => return Err(memory_error()),
            Some(p) => s.precision = Some(p),
            None => return Err(value_error("Format specifier missing precision")),
        }
    }
    if c.len() - pos > 1 {
        return Err(value_error(format!("Invalid format specifier '{spec}' for object of type '{type_name}'")));
    }
    if pos < c.len() {
        s.ty = Some(c[pos]);
    }
    Ok(s)
}

fn unknown_code(ty: char, type_name: &str) -> RtError {
    value_error(format!("Unknown format code '{ty}' for object of type '{type_name}'"))
}

/// Pads `prefix + body` (prefix = sign and `0x`-style prefix) to the spec's width.
pub(crate) fn pad(prefix: &str, body: &str, s: &Spec, default_align: char) -> String {
    let fill = s.fill.unwrap_or(if s.zero { '0' } else { ' ' });
    let align = s.align.unwrap_or(if s.zero && default_align == '>' { '=' } else { default_align });
    let len = prefix.chars().count() + body.chars().count();
    if s.width <= len {
        return format!("{prefix}{body}");
    }
    let n = s.width - len;
    let fills = |k: usize| std::iter::repeat_n(fill, k).collect::<String>();
    match align {
        '<' => format!("{prefix}{body}{}", fills(n)),
        '^' => format!("{}{prefix}{body}{}", fills(n / 2), fills(n - n / 2)),
        '=' => format!("{prefix}{}{body}", fills(n)),
        _ => format!("{}{prefix}{body}", fills(n)),
    }
}

/// Inserts `sep` every `size` digits from the right; with `min_len`, first pads with leading
/// zeros so the grouped text is at least that long (zero-padded grouping, as CPython does).
pub(crate) fn group(digits: &str, sep: char, size: usize, min_len: usize) -> String {
    let mut n = digits.len().max(1);
    while n + (n - 1) / size < min_len {
        n += 1;
    }
    let padded: String = std::iter::repeat_n('0', n - digits.len()).chain(digits.chars()).collect();
    let mut out = String::with_capacity(n + n / size);
    for (i, ch) in padded.chars().enumerate() {
        if i > 0 && (n - i).is_multiple_of(size) {
            out.push(sep);
        }
        out.push(ch);
    }
    out
}

fn sign_str(negative: bool, s: &Spec) -> &'static str {
    if negative {
        "-"
    } else {
        match s.sign {
            Some('+') => "+",
            Some(' ') => " ",
            _ => "",
        }
    }
}

/// Applies grouping (and zero-padded grouping) to the integer part of `body`, then pads.
fn finish_number(sign: &str, prefix: &str, body: &str, s: &Spec, group_size: usize, int_len: usize) -> String {
    let fill = s.fill.unwrap_or(if s.zero { '0' } else { ' ' });
    let align = s.align.unwrap_or(if s.zero { '=' } else { '>' });
    let head = format!("{sign}{prefix}");
    let Some(sep) = s.grouping else {
        return pad(&head, body, s, '>');
    };
    let (int_part, rest) = body.split_at(int_len);
    if int_part.is_empty() {
        return pad(&head, body, s, '>');
    }
    let min_len = if fill == '0' && align == '=' {
        s.width.saturating_sub(head.chars().count() + rest.chars().count())
    } else {
        0
    };
    let grouped = group(int_part, sep, group_size, min_len);
    pad(&head, &format!("{grouped}{rest}"), s, '>')
}

/// An int operand of `format`.
pub(crate) enum IntArg<'a> {
    Small(i64),
    Big(&'a BigInt),
}

impl IntArg<'_> {
    fn negative(&self) -> bool {
        match self {
            IntArg::Small(i) => *i < 0,
            IntArg::Big(b) => b.is_negative(),
        }
    }

    fn magnitude_digits(&self, radix: u32) -> RtResult<String> {
        Ok(match self {
            IntArg::Small(i) => {
                let u = i.unsigned_abs();
                match radix {
                    2 => format!("{u:b}"),
                    8 => format!("{u:o}"),
                    16 => format!("{u:x}"),
                    _ => u.to_string(),
                }
            }
            IntArg::Big(b) => {
                if radix == 10 {
                    bigint_str(b)?.trim_start_matches('-').to_string()
                } else {
                    b.magnitude().to_str_radix(radix)
                }
            }
        })
    }

    fn to_f64(&self) -> RtResult<f64> {
        match self {
            IntArg::Small(i) => Ok(*i as f64),
            IntArg::Big(b) => crate::interp::objects::ops::big_to_f64(b),
        }
    }
}

/// `format(int, spec)` (spec non-empty).
pub(crate) fn format_int_spec(v: &IntArg<'_>, s: &Spec) -> RtResult<String> {
    let ty = s.ty.unwrap_or('d');
    if matches!(ty, 'e' | 'E' | 'f' | 'F' | 'g' | 'G' | '%') {
        return format_float_spec(v.to_f64()?, s);
    }
    if !matches!(ty, 'd' | 'n' | 'b' | 'o' | 'x' | 'X' | 'c') {
        return Err(unknown_code(ty, "int"));
    }
    if s.precision.is_some() {
        return Err(value_error("Precision not allowed in integer format specifier"));
    }
    if let Some(g) = s.grouping
        && (ty == 'n' || ty == 'c' || (g == ',' && matches!(ty, 'b' | 'o' | 'x' | 'X')))
    {
        return Err(value_error(format!("Cannot specify '{g}' with '{ty}'.")));
    }
    if ty == 'c' {
        if s.sign.is_some() {
            return Err(value_error("Sign not allowed with integer format specifier 'c'"));
        }
        if s.alt {
            return Err(value_error("Alternate form (#) not allowed with integer format specifier 'c'"));
        }
        let code = match v {
            IntArg::Small(i) => u32::try_from(*i).ok().and_then(char::from_u32),
            IntArg::Big(_) => {
                return Err(RtError::new(ExcKind::OverflowError, "Python int too large to convert to C long"));
            }
        };
        let Some(ch) = code else {
            return Err(RtError::new(ExcKind::OverflowError, "%c arg not in range(0x110000)"));
        };
        return Ok(pad("", &ch.to_string(), s, '>'));
    }
    let radix = match ty {
        'b' => 2,
        'o' => 8,
        'x' | 'X' => 16,
        _ => 10,
    };
    let mut digits = v.magnitude_digits(radix)?;
    if ty == 'X' {
        digits = digits.to_uppercase();
    }
    let prefix = match (s.alt, ty) {
        (true, 'b') => "0b",
        (true, 'o') => "0o",
        (true, 'x') => "0x",
        (true, 'X') => "0X",
        _ => "",
    };
    let group_size = if radix == 10 { 3 } else { 4 };
    let len = digits.len();
    Ok(finish_number(sign_str(v.negative(), s), prefix, &digits, s, group_size, len))
}

/// Digits after the point beyond which a double's exact decimal expansion has only zeros (the
/// smallest subnormal, 2**-1074, has 1074), and significant digits likewise (at most 767).
const EXACT_FIXED_DIGITS: usize = 1100;
const EXACT_SCI_DIGITS: usize = 800;

/// `x` with `p` digits after the point (Rust's exact `{:.p$}`), zeros past the exact expansion
/// written by hand: Rust's formatting panics for a precision above 65535 (`{x:.1000000f}`).
fn fixed_digits(x: f64, p: usize) -> String {
    if p <= EXACT_FIXED_DIGITS {
        return format!("{x:.p$}");
    }
    let mut out = format!("{x:.EXACT_FIXED_DIGITS$}");
    out.extend(std::iter::repeat_n('0', p - EXACT_FIXED_DIGITS));
    out
}

/// `x` as `d.ddde±x` with `p` digits after the point (Rust's `{:.p$e}`), likewise padded.
fn sci_digits(x: f64, p: usize) -> String {
    if p <= EXACT_SCI_DIGITS {
        return format!("{x:.p$e}");
    }
    let mut out = format!("{x:.EXACT_SCI_DIGITS$e}");
    let at = out.find('e').unwrap_or(out.len());
    out.insert_str(at, &"0".repeat(p - EXACT_SCI_DIGITS));
    out
}

/// The text of a non-negative finite float for `ty` in e/f/g/%/none (lowercase).
fn float_body(x: f64, ty: Option<char>, precision: Option<usize>, alt: bool) -> String {
    match ty {
        Some('f') | Some('F') | Some('%') => {
            let p = precision.unwrap_or(6);
            let mut out = fixed_digits(x, p);
            if alt && p == 0 {
                out.push('.');
            }
            out
        }
        Some('e') | Some('E') => {
            let p = precision.unwrap_or(6);
            let (_, digits, exp) = split_exp(&sci_digits(x, p));
            let mut out = String::new();
            out.push_str(&digits[..1]);
            if p > 0 || alt {
                out.push('.');
                out.push_str(&digits[1..]);
            }
            out.push_str(&format!("e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs()));
            out
        }
        None if precision.is_none() => float_repr(x),
        _ => {
            // g, G, n, or no type with a precision.
            let add_dot_0 = ty.is_none();
            let p = precision.unwrap_or(6).max(1);
            let (_, mut digits, exp) = split_exp(&sci_digits(x, p - 1));
            let sci_limit = if add_dot_0 { p as i32 - 1 } else { p as i32 };
            let sci = exp < -4 || exp >= sci_limit;
            if !alt {
                let trimmed = digits.trim_end_matches('0');
                digits = if trimmed.is_empty() { "0".to_string() } else { trimmed.to_string() };
            }
            let mut out = String::new();
            if sci {
                layout_sci(&mut out, &digits, exp);
                if alt && !out.contains('.') {
                    let epos = out.find('e').unwrap_or(out.len());
                    out.insert(epos, '.');
                }
            } else {
                layout_fixed(&mut out, &digits, exp, false);
                if !out.contains('.') {
                    if add_dot_0 {
                        out.push_str(".0");
                    } else if alt {
                        out.push('.');
                    }
                }
            }
            out
        }
    }
}

/// `format(float, spec)` (spec non-empty).
pub(crate) fn format_float_spec(x: f64, s: &Spec) -> RtResult<String> {
    let ty = s.ty;
    if let Some(t) = ty {
        if !matches!(t, 'e' | 'E' | 'f' | 'F' | 'g' | 'G' | 'n' | '%') {
            return Err(unknown_code(t, "float"));
        }
        if t == 'n'
            && let Some(g) = s.grouping
        {
            return Err(value_error(format!("Cannot specify '{g}' with 'n'.")));
        }
    }
    let mut negative = x.is_sign_negative() && !x.is_nan();
    let a = x.abs();
    let upper = matches!(ty, Some('E') | Some('F') | Some('G'));
    let mut body = if a.is_nan() {
        "nan".to_string()
    } else if a.is_infinite() {
        "inf".to_string()
    } else if ty == Some('%') {
        format!("{}%", float_body(a * 100.0, ty, s.precision, s.alt))
    } else {
        float_body(a, ty, s.precision, s.alt)
    };
    if ty == Some('%') && !a.is_finite() {
        body.push('%');
    }
    if upper {
        body = body.to_uppercase();
    }
    if negative && s.z && a.is_finite() && body.chars().all(|c| !c.is_ascii_digit() || c == '0') {
        negative = false;
    }
    let int_len = body.find(|c: char| !c.is_ascii_digit()).unwrap_or(body.len());
    Ok(finish_number(sign_str(negative, s), "", &body, s, 3, int_len))
}

fn format_str_spec(text: &str, s: &Spec) -> RtResult<String> {
    if let Some(t) = s.ty
        && t != 's'
    {
        return Err(unknown_code(t, "str"));
    }
    if s.sign.is_some() {
        return Err(value_error("Sign not allowed in string format specifier"));
    }
    if s.alt {
        return Err(value_error("Alternate form (#) not allowed in string format specifier"));
    }
    if s.align == Some('=') {
        return Err(value_error("'=' alignment not allowed in string format specifier"));
    }
    if let Some(g) = s.grouping {
        return Err(value_error(format!("Cannot specify '{g}' with 's'.")));
    }
    let body: String = match s.precision {
        Some(p) => text.chars().take(p).collect(),
        None => text.to_string(),
    };
    Ok(pad("", &body, s, '<'))
}

/// `format(v, spec)`, i.e. the `{v:spec}` of an f-string.
pub fn format_spec(v: &Value, spec: &str) -> RtResult<String> {
    if spec.is_empty() {
        return str_of(v);
    }
    match v {
        Value::Bool(b) => format_int_spec(&IntArg::Small(*b as i64), &parse(spec, "bool")?),
        Value::Int(i) => format_int_spec(&IntArg::Small(*i), &parse(spec, "int")?),
        Value::BigInt(b) => format_int_spec(&IntArg::Big(b), &parse(spec, "int")?),
        Value::Float(f) => format_float_spec(*f, &parse(spec, "float")?),
        Value::Str(s) => format_str_spec(s.as_str(), &parse(spec, "str")?),
        _ => Err(type_error(format!("unsupported format string passed to {}.__format__", v.type_name()))),
    }
}

/// Used by `percent.rs`: an int's digits in `radix` (magnitude) and its sign.
pub(crate) fn int_digits(v: &Value, radix: u32) -> RtResult<(bool, String)> {
    let arg = match v {
        Value::Bool(b) => IntArg::Small(*b as i64),
        Value::Int(i) => IntArg::Small(*i),
        Value::BigInt(b) => IntArg::Big(b),
        _ => return Err(type_error("an integer is required")),
    };
    Ok((arg.negative(), arg.magnitude_digits(radix)?))
}

/// Used by `percent.rs`: float body without sign (finite or not).
pub(crate) fn float_text(x: f64, ty: char, precision: Option<usize>, alt: bool) -> String {
    let a = x.abs();
    let body = if a.is_nan() {
        "nan".to_string()
    } else if a.is_infinite() {
        "inf".to_string()
    } else {
        float_body(a, Some(ty.to_ascii_lowercase()), precision, alt)
    };
    if ty.is_ascii_uppercase() { body.to_uppercase() } else { body }
}

#[cfg(test)]
#[allow(clippy::approx_constant)]
mod tests {
    use super::*;

    fn f(v: Value, spec: &str) -> String {
        format_spec(&v, spec).unwrap_or_else(|e| format!("!{:?}", e.kind()))
    }

    #[test]
    fn float_specs_match_cpython() {
        let cases: &[(f64, &str, &str)] = &[
            (2.675, ".2f", "2.67"),
            (0.125, ".2f", "0.12"),
            (0.5, ".0f", "0"),
            (1.5, ".0f", "2"),
            (2.5, ".0f", "2"),
            (-0.001, ".2f", "-0.00"),
            (1e20, ".2f", "100000000000000000000.00"),
            (3.14159265, "10.4f", "    3.1416"),
            (3.14159265, "<10.2f", "3.14      "),
            (3.14159265, "^10.1f", "   3.1    "),
            (1e16, ".3", "1e+16"),
            (123.456, ".3", "1.23e+02"),
            (123.456, ".10", "123.456"),
            (1.0, ".3", "1.0"),
            (1.0, "g", "1"),
            (1.0, "#g", "1.00000"),
            (1e-5, "g", "1e-05"),
            (0.0001, ".2", "0.0001"),
            (123456789.0, "g", "1.23457e+08"),
            (0.5, "%", "50.000000%"),
            (1.0 / 3.0, ".2%", "33.33%"),
            (1e100, "e", "1.000000e+100"),
            (1.5, "E", "1.500000E+00"),
            (f64::NAN, "F", "NAN"),
            (f64::INFINITY, "E", "INF"),
            (f64::NEG_INFINITY, "010f", "-000000inf"),
            (3.5, "010", "00000003.5"),
            (-3.5, "010.2f", "-000003.50"),
            (-0.0, ".1f", "-0.0"),
            (-0.0, "z.1f", "0.0"),
            (0.1, ".30f", "0.100000000000000005551115123126"),
            (5e-324, ".3g", "4.94e-324"),
            (9.995, ".2f", "9.99"),
            (1.5, ".0e", "2e+00"),
            (1.5, "#.0e", "2.e+00"),
            (1.5, "#.0f", "2."),
            (1234567.25, ",", "1,234,567.25"),
            (1.5, "010,.2f", "000,001.50"),
            (-1234.5, "012,.1f", "-0,001,234.5"),
            (5.0, ".1", "5e+00"),
            (15.0, ".2", "1.5e+01"),
            (1.0, "#.3g", "1.00"),
            (0.5, ".0%", "50%"),
            (f64::NAN, "010", "0000000nan"),
            (-0.4, "z.0f", "0"),
            (-0.0, "+.1e", "-0.0e+00"),
            (-1.5, "^08.2f", "0-1.5000"),
            (1e20, "_", "1e+20"),
            (1e6, ",.2f", "1,000,000.00"),
            (0.0, "e", "0.000000e+00"),
            (100.0, ".3g", "100"),
            (1000.0, ".3g", "1e+03"),
            (1000.0, "#.3g", "1.00e+03"),
            (1e-5, ".3", "1e-05"),
            (1.5, "+", "+1.5"),
            (1.5, " .2f", " 1.50"),
            (1.0, "<10", "1.0       "),
            (1234567.0, "n", "1.23457e+06"),
        ];
        for (x, spec, want) in cases {
            assert_eq!(f(Value::Float(*x), spec), *want, "format({x}, {spec:?})");
        }
    }

    #[test]
    fn int_and_str_specs_match_cpython() {
        let cases: &[(Value, &str, &str)] = &[
            (Value::Int(42), "5d", "   42"),
            (Value::Int(42), "<5d", "42   "),
            (Value::Int(42), "^5", " 42  "),
            (Value::Int(42), "05d", "00042"),
            (Value::Int(-42), "05d", "-0042"),
            (Value::Int(1234), "09,", "0,001,234"),
            (Value::Int(1234), "08,", "0,001,234"),
            (Value::Int(1234), "0=10,", "00,001,234"),
            (Value::Int(1234), "*=10,", "*****1,234"),
            (Value::Int(255), "06_x", "0_00ff"),
            (Value::Int(255), "#x", "0xff"),
            (Value::Int(255), "#010x", "0x000000ff"),
            (Value::Int(-255), "#010x", "-0x00000ff"),
            (Value::Int(255), "=+10", "+      255"),
            (Value::Int(8), "#o", "0o10"),
            (Value::Int(-5), "#b", "-0b101"),
            (Value::Int(255), "#X", "0XFF"),
            (Value::Int(-1234567), ",d", "-1,234,567"),
            (Value::Int(1234567), "n", "1234567"),
            (Value::Int(65), "c", "A"),
            (Value::Int(2), ".3f", "2.000"),
            (Value::Int(1), "0>5", "00001"),
            (Value::Int(1), "<05", "10000"),
            (Value::Int(123), "=^+10", "===+123==="),
            (Value::Int(12345), ".3e", "1.234e+04"),
            (Value::Int(1), "%", "100.000000%"),
            (Value::Bool(true), ">5", "    1"),
            (Value::Bool(true), ".1f", "1.0"),
            (Value::Bool(true), "", "True"),
            (Value::Int(-1), " d", "-1"),
            (Value::Int(2_i64.pow(40)), "_b", "1_0000_0000_0000_0000_0000_0000_0000_0000_0000_0000"),
            (Value::str("abc"), ".2", "ab"),
            (Value::str("abc"), "*^9.2", "***ab****"),
            (Value::str("a"), "05", "a0000"),
            (Value::str("toy"), "^7", "  toy  "),
            (Value::str("toy"), ">6", "   toy"),
        ];
        for (v, spec, want) in cases {
            assert_eq!(f(v.clone(), spec), *want, "format({v:?}, {spec:?})");
        }
        let errs: &[(Value, &str)] = &[
            (Value::Float(1.5), "d"),
            (Value::str("a"), "d"),
            (Value::str("a"), "=5"),
            (Value::str("a"), "+"),
            (Value::Int(1), ".2"),
            (Value::Int(1), ",x"),
            (Value::Int(123), "ab"),
            (Value::Int(123), "<<<"),
            (Value::Float(1.5), "x"),
            (Value::Int(1), "s"),
        ];
        for (v, spec) in errs {
            assert_eq!(f(v.clone(), spec), "!ValueError", "format({v:?}, {spec:?})");
        }
        assert_eq!(f(Value::None, ">5"), "!TypeError");
        assert_eq!(f(Value::Int(-1), "c"), "!OverflowError");
    }
}

/// Lines of the shared conformance test `t2_fstrings` whose fields have format specs,
/// rebuilt field by field.
#[cfg(test)]
#[allow(clippy::approx_constant)]
mod conformance {
    use super::*;

    fn fs(v: Value, spec: &str) -> String {
        format_spec(&v, spec).unwrap()
    }

    #[test]
    fn t2_fstrings_lines() {
        let x = Value::Float(3.14159265);
        let n = Value::Int(42);
        let s = Value::str("toy");
        let line2 = format!(
            "{} {} {} {} {}| {}| {}|",
            fs(x.clone(), ".3f"),
            fs(x.clone(), ".0f"),
            fs(x.clone(), ".1f"),
            fs(Value::Float(-3.14159265), ".2f"),
            fs(x.clone(), "10.4f"),
            fs(x.clone(), "<10.2f"),
            fs(x.clone(), "^10.1f")
        );
        assert_eq!(line2, "3.142 3 3.1 -3.14     3.1416| 3.14      |    3.1    |");
        let line3 = format!(
            "{}|{}|{}|{}|{}|{}|{}|{}|",
            fs(n.clone(), "5d"),
            fs(n.clone(), "<5d"),
            fs(n.clone(), "^5"),
            fs(n.clone(), "05d"),
            fs(Value::Int(-42), "05d"),
            fs(n.clone(), "d"),
            fs(n.clone(), "3"),
            fs(n.clone(), "1")
        );
        assert_eq!(line3, "   42|42   | 42  |00042|-0042|42| 42|42|");
        let line4 = format!(
            "{}|{}|{}|{}|{}|{}|",
            fs(s.clone(), ">6"),
            fs(s.clone(), "<6"),
            fs(s.clone(), "^7"),
            fs(s.clone(), "6"),
            fs(s.clone(), ""),
            fs(s, "2")
        );
        assert_eq!(line4, "   toy|toy   |  toy  |toy   |toy|toy|");
        let f = Value::Float;
        let line9 = format!(
            "{} {} {} {} {}",
            fs(f(1e20), ".2f"),
            fs(f(123_456_789.987_654_33), ".3f"),
            fs(f(1.0 / 3.0), ".10f"),
            fs(Value::Int(2), ".3f"),
            fs(Value::Bool(true), ".1f")
        );
        assert_eq!(line9, "100000000000000000000.00 123456789.988 0.3333333333 2.000 1.0");
        let line10 = format!(
            "{} {} {} {} {}",
            fs(f(f64::INFINITY), ".2f"),
            fs(f(f64::NEG_INFINITY), ".1f"),
            fs(f(f64::NAN), ".3f"),
            fs(f(f64::INFINITY), ""),
            fs(f(f64::NAN), "")
        );
        assert_eq!(line10, "inf -inf nan inf nan");
        let line17 = format!(
            "{} {} {} {} {}|{}|",
            fs(f(3.0), ""),
            fs(f(3.0), ".2f"),
            fs(f(1000000.0), ".1f"),
            fs(f(1e-07), ".9f"),
            fs(f(12.5), "6.1f"),
            fs(f(-2.5), "8.3f")
        );
        assert_eq!(line17, "3.0 3.00 1000000.0 0.000000100   12.5|  -2.500|");
        let p64 = Value::from_bigint(BigInt::from(1u8) << 64u32);
        let line18 = format!(
            "{} {} {} {} {} {}|",
            fs(p64.clone(), "d"),
            fs(Value::from_bigint(-(BigInt::from(1u8) << 64u32)), ""),
            fs(p64, ".1f"),
            fs(Value::Int(7), ".0f"),
            fs(Value::Int(0), "03d"),
            fs(Value::Int(-7), "4d")
        );
        assert_eq!(line18, "18446744073709551616 -18446744073709551616 18446744073709551616.0 7 000   -7|");
        let line26 = format!(
            "{} {} {} {} {} {} {}",
            fs(f(-0.0), ".1f"),
            fs(f(0.05), ".1f"),
            fs(f(0.15), ".1f"),
            fs(f(0.25), ".1f"),
            fs(f(0.35), ".1f"),
            fs(f(1e-30), ".3f"),
            fs(f(999.9996), ".3f")
        );
        assert_eq!(line26, "-0.0 0.1 0.1 0.2 0.3 0.000 1000.000");
        let w = Value::Int(12);
        let line25 = format!(
            "{}|{}|{}|{}|{}",
            fs(x, "12.3f"),
            fs(w.clone(), "<3"),
            fs(w.clone(), ">3"),
            fs(w, "^4"),
            fs(Value::Int(144), "06d")
        );
        assert_eq!(line25, "       3.142|12 | 12| 12 |000144");
    }
}
