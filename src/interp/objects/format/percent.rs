//! printf-style formatting, `str % args` (`'%5.2f|%d|%r' % (x, n, s)`), with CPython 3.11's
//! conversions (`d i u x X o e E f F g G c s r a %`), flags (`- + space # 0`), `*` widths,
//! `%(name)s` with a dict, and its error messages. Pure; touches nothing.

use super::{repr, str_of};
use crate::interp::objects::error::{ExcKind, RtError, RtResult, type_error, value_error};
use crate::interp::objects::format::spec::{float_text, int_digits};
use crate::interp::objects::ops::{get_item, num_to_f64};
use crate::interp::objects::value::Value;

struct Flags {
    left: bool,
    plus: bool,
    space: bool,
    alt: bool,
    zero: bool,
}

fn pad_number(sign: &str, prefix: &str, digits: &str, width: usize, f: &Flags) -> String {
    let len = sign.len() + prefix.len() + digits.chars().count();
    let n = width.saturating_sub(len);
    if f.left {
        format!("{sign}{prefix}{digits}{}", " ".repeat(n))
    } else if f.zero {
        format!("{sign}{prefix}{}{digits}", "0".repeat(n))
    } else {
        format!("{}{sign}{prefix}{digits}", " ".repeat(n))
    }
}

fn sign_of(negative: bool, f: &Flags) -> &'static str {
    if negative {
        "-"
    } else if f.plus {
        "+"
    } else if f.space {
        " "
    } else {
        ""
    }
}

/// The int an `%d` conversion formats: ints as they are, floats truncated.
fn int_for_d(arg: &Value, conv: char) -> RtResult<Value> {
    match arg {
        Value::Bool(_) | Value::Int(_) | Value::BigInt(_) => Ok(arg.clone()),
        Value::Float(x) => {
            if x.is_nan() {
                return Err(value_error("cannot convert float NaN to integer"));
            }
            if x.is_infinite() {
                return Err(RtError::new(ExcKind::OverflowError, "cannot convert float infinity to integer"));
            }
            Ok(crate::interp::objects::builtins::float_to_int(*x)?)
        }
        _ => Err(type_error(format!("%{conv} format: a real number is required, not {}", arg.type_name()))),
    }
}

/// `fmt % args`.
pub fn percent_format(fmt: &str, args: &Value) -> RtResult<Value> {
    let items: Vec<Value> = match args {
        Value::Tuple(t) => t.to_vec(),
        _ => vec![args.clone()],
    };
    let is_mapping = matches!(args, Value::Dict(_) | Value::List(_) | Value::Range(_));
    let chars: Vec<char> = fmt.chars().collect();
    let mut out = String::with_capacity(fmt.len());
    let mut argi = 0usize;
    let mut used_name = false;
    let next_arg = |argi: &mut usize| -> RtResult<Value> {
        let v = items.get(*argi).cloned();
        *argi += 1;
        v.ok_or_else(|| type_error("not enough arguments for format string"))
    };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        if c != '%' {
            out.push(c);
            continue;
        }
        if i >= chars.len() {
            return Err(value_error("incomplete format"));
        }
        let mut named: Option<Value> = None;
        if chars[i] == '(' {
            if !matches!(args, Value::Dict(_)) {
                return Err(type_error("format requires a mapping"));
            }
            let mut depth = 1;
            let start = i + 1;
            i += 1;
            while i < chars.len() && depth > 0 {
                match chars[i] {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    _ => {}
                }
                i += 1;
            }
            if depth > 0 {
                return Err(value_error("incomplete format key"));
            }
            let key: String = chars[start..i - 1].iter().collect();
            named = Some(get_item(args, &Value::str(key))?);
            used_name = true;
        }
        let mut f = Flags { left: false, plus: false, space: false, alt: false, zero: false };
        while i < chars.len() {
            match chars[i] {
                '-' => f.left = true,
                '+' => f.plus = true,
                ' ' => f.space = true,
                '#' => f.alt = true,
                '0' => f.zero = true,
                _ => break,
            }
            i += 1;
        }
        let mut width = 0usize;
        if i < chars.len() && chars[i] == '*' {
            i += 1;
            let w = next_arg(&mut argi)?;
            let w = match w {
                Value::Int(n) => n,
                Value::Bool(b) => b as i64,
                _ => return Err(type_error("* wants int")),
            };
            if w < 0 {
                f.left = true;
            }
            width = w.unsigned_abs() as usize;
        } else {
            while i < chars.len() && chars[i].is_ascii_digit() {
                width = width.saturating_mul(10).saturating_add(chars[i] as usize - '0' as usize);
                i += 1;
            }
        }
        if width > crate::interp::objects::format::spec_max_width() {
            return Err(crate::interp::objects::error::memory_error());
        }
        let mut precision: Option<usize> = None;
        if i < chars.len() && chars[i] == '.' {
            i += 1;
            if i < chars.len() && chars[i] == '*' {
                i += 1;
                let p = match next_arg(&mut argi)? {
                    Value::Int(n) => n.max(0) as usize,
                    Value::Bool(b) => b as usize,
                    _ => return Err(type_error("* wants int")),
                };
                precision = Some(p);
            } else {
                let mut p = 0usize;
                while i < chars.len() && chars[i].is_ascii_digit() {
                    p = p.saturating_mul(10).saturating_add(chars[i] as usize - '0' as usize);
                    i += 1;
                }
                precision = Some(p);
            }
            if precision.unwrap_or(0) > crate::interp::objects::format::spec_max_width() {
                return Err(crate::interp::objects::error::memory_error());
            }
        }
        while i < chars.len() && matches!(chars[i], 'h' | 'l' | 'L') {
            i += 1;
        }
        if i >= chars.len() {
            return Err(value_error("incomplete format"));
        }
        let conv = chars[i];
        let conv_index = i;
        i += 1;
        if conv == '%' {
            out.push('%');
            continue;
        }
        if !matches!(
            conv,
            's' | 'r' | 'a' | 'd' | 'i' | 'u' | 'x' | 'X' | 'o' | 'e' | 'E' | 'f' | 'F' | 'g' | 'G' | 'c'
        ) {
            return Err(value_error(format!(
                "unsupported format character '{conv}' ({:#x}) at index {conv_index}",
                conv as u32
            )));
        }
        let arg = match named.take() {
            Some(v) => v,
            None => next_arg(&mut argi)?,
        };
        let piece = match conv {
            's' | 'r' | 'a' => {
                let text = match conv {
                    's' => str_of(&arg)?,
                    'r' => repr(&arg)?,
                    _ => crate::interp::objects::format::conversion(&arg, 'a')?,
                };
                let text: String = match precision {
                    Some(p) => text.chars().take(p).collect(),
                    None => text,
                };
                let n = width.saturating_sub(text.chars().count());
                if f.left { format!("{text}{}", " ".repeat(n)) } else { format!("{}{text}", " ".repeat(n)) }
            }
            'd' | 'i' | 'u' | 'x' | 'X' | 'o' => {
                let v = if matches!(conv, 'd' | 'i' | 'u') {
                    int_for_d(&arg, conv)?
                } else if matches!(arg, Value::Bool(_) | Value::Int(_) | Value::BigInt(_)) {
                    arg.clone()
                } else {
                    return Err(type_error(format!("%{conv} format: an integer is required, not {}", arg.type_name())));
                };
                let radix = match conv {
                    'x' | 'X' => 16,
                    'o' => 8,
                    _ => 10,
                };
                let (negative, mut digits) = int_digits(&v, radix)?;
                if conv == 'X' {
                    digits = digits.to_uppercase();
                }
                if let Some(p) = precision
                    && digits.len() < p
                {
                    digits = format!("{}{digits}", "0".repeat(p - digits.len()));
                }
                let prefix = match (f.alt, conv) {
                    (true, 'x') => "0x",
                    (true, 'X') => "0X",
                    (true, 'o') => "0o",
                    _ => "",
                };
                pad_number(sign_of(negative, &f), prefix, &digits, width, &f)
            }
            'c' => {
                let ch = match &arg {
                    Value::Int(n) => u32::try_from(*n)
                        .ok()
                        .and_then(char::from_u32)
                        .ok_or_else(|| RtError::new(ExcKind::OverflowError, "%c arg not in range(0x110000)"))?,
                    Value::Bool(b) => {
                        if *b {
                            '\u{1}'
                        } else {
                            '\0'
                        }
                    }
                    Value::BigInt(_) => {
                        return Err(RtError::new(ExcKind::OverflowError, "%c arg not in range(0x110000)"));
                    }
                    Value::Str(s) if s.char_count() == 1 => s.as_str().chars().next().unwrap_or('\0'),
                    _ => return Err(type_error("%c requires int or char")),
                };
                let n = width.saturating_sub(1);
                if f.left { format!("{ch}{}", " ".repeat(n)) } else { format!("{}{ch}", " ".repeat(n)) }
            }
            _ => {
                let x = match num_to_f64(&arg) {
                    Some(r) => r?,
                    None => {
                        return Err(type_error(format!("must be real number, not {}", arg.type_name())));
                    }
                };
                let body = float_text(x, conv, Some(precision.unwrap_or(6)), f.alt);
                let negative = x.is_sign_negative() && !x.is_nan();
                pad_number(sign_of(negative, &f), "", &body, width, &f)
            }
        };
        out.push_str(&piece);
    }
    if argi < items.len() && !is_mapping && !used_name {
        return Err(type_error("not all arguments converted during string formatting"));
    }
    Ok(Value::str(out))
}

#[cfg(test)]
#[allow(clippy::approx_constant)]
mod tests {
    use super::*;

    fn pf(fmt: &str, args: Value) -> String {
        match percent_format(fmt, &args) {
            Ok(Value::Str(s)) => s.to_string(),
            Ok(_) => "?".into(),
            Err(e) => format!("!{:?}", e.kind()),
        }
    }

    #[test]
    fn printf_style_matches_cpython() {
        let t = |v: Vec<Value>| Value::tuple(v);
        assert_eq!(
            pf("%5.2f|%d|%r|%x", t(vec![Value::Float(3.14159), Value::Int(42), Value::str("a"), Value::Int(255)])),
            " 3.14|42|'a'|ff"
        );
        assert_eq!(pf("%-5d|", Value::Int(3)), "3    |");
        assert_eq!(pf("%05.1f", Value::Float(-2.5)), "-02.5");
        assert_eq!(pf("%e", Value::Float(1.5)), "1.500000e+00");
        assert_eq!(pf("%g", Value::Float(1e-10)), "1e-10");
        assert_eq!(pf("%.3s", Value::str("abcdef")), "abc");
        assert_eq!(pf("%*d", t(vec![Value::Int(5), Value::Int(1)])), "    1");
        assert_eq!(pf("%s", Value::list(vec![Value::Int(1)])), "[1]");
        assert_eq!(pf("%d", Value::Float(1.5)), "1");
        assert_eq!(pf("100%%", t(vec![])), "100%");
        assert_eq!(
            pf(
                "%.3d|%+d|% d|%#x|%#o|%05d",
                t(vec![Value::Int(5), Value::Int(5), Value::Int(5), Value::Int(255), Value::Int(8), Value::Int(-42)])
            ),
            "005|+5| 5|0xff|0o10|-0042"
        );
        assert_eq!(pf("%s %s", t(vec![Value::Int(1)])), "!TypeError");
        assert_eq!(pf("%s", t(vec![Value::Int(1), Value::Int(2)])), "!TypeError");
        assert_eq!(pf("a", Value::Int(5)), "!TypeError");
        assert_eq!(pf("%", t(vec![])), "!ValueError");
        assert_eq!(pf("%y", Value::Int(1)), "!ValueError");
        assert_eq!(pf("%x", Value::Float(1.5)), "!TypeError");
        assert_eq!(pf("%d", Value::str("a")), "!TypeError");
    }
}
