//! The `str` methods (`split`, `strip`, `find`, `replace`, `center`, `format`, ...), with
//! char-based (not byte-based) indices, Python's whitespace and Unicode predicates, and
//! CPython 3.11's argument errors. Pure: strings are immutable.
//!
//! Case mapping uses Rust's Unicode tables plus CPython's titlecase exceptions (`format/unicode.rs`).

use super::{
    Kwargs, MethodId, exactly_one, exactly_one_of, expect_args, no_args, no_attr, no_kwargs_for, search_bounds,
};
use crate::interp::objects::error::{ExcKind, RtError, RtResult, index_error, type_error, value_error};
use crate::interp::objects::format::unicode::{self, is_space};
use crate::interp::objects::format::{conversion, format_spec};
use crate::interp::objects::ops;
use crate::interp::objects::text;
use crate::interp::objects::text_search;
use crate::interp::objects::value::Value;

fn s(text: impl AsRef<str>) -> Value {
    Value::str(text)
}

fn str_arg(v: &Value, what: impl FnOnce(&Value) -> RtError) -> RtResult<&str> {
    match v {
        Value::Str(x) => Ok(x.as_str()),
        _ => Err(what(v)),
    }
}

/// At least `min` positional args: `find() takes at least 1 argument (0 given)`.
fn at_least(name: &str, args: &[Value], min: usize, max: usize) -> RtResult<()> {
    if args.len() < min {
        return Err(type_error(format!("{name}() takes at least {min} argument ({} given)", args.len())));
    }
    if args.len() > max {
        return Err(type_error(format!("{name}() takes at most {max} arguments ({} given)", args.len())));
    }
    Ok(())
}

/// Byte offset of char index `i` (clamped to the end).
fn byte_at(text: &str, ascii: bool, i: usize) -> usize {
    if ascii {
        return i.min(text.len());
    }
    text.char_indices().nth(i).map_or(text.len(), |(b, _)| b)
}

fn char_index(text: &str, ascii: bool, byte: usize) -> usize {
    if ascii { byte } else { text[..byte].chars().count() }
}

fn char_len(text: &str, ascii: bool) -> usize {
    if ascii { text.len() } else { text.chars().count() }
}

fn py_split_whitespace(text: &str, maxsplit: i64) -> Vec<Value> {
    let mut out = Vec::new();
    let mut rest = text.trim_start_matches(is_space);
    while !rest.is_empty() {
        if maxsplit >= 0 && out.len() as i64 >= maxsplit {
            out.push(text::piece(rest, false));
            return out;
        }
        match rest.find(is_space) {
            Some(i) => {
                out.push(text::piece(&rest[..i], false));
                rest = rest[i..].trim_start_matches(is_space);
            }
            None => {
                out.push(text::piece(rest, false));
                break;
            }
        }
    }
    out
}

fn py_rsplit_whitespace(text: &str, maxsplit: i64) -> Vec<Value> {
    let mut out = Vec::new();
    let mut rest = text.trim_end_matches(is_space);
    while !rest.is_empty() {
        if maxsplit >= 0 && out.len() as i64 >= maxsplit {
            out.push(text::piece(rest, false));
            break;
        }
        match rest.rfind(is_space) {
            Some(i) => {
                let c = rest[i..].chars().next().map_or(1, char::len_utf8);
                out.push(text::piece(&rest[i + c..], false));
                rest = rest[..i].trim_end_matches(is_space);
            }
            None => {
                out.push(text::piece(rest, false));
                break;
            }
        }
    }
    out.reverse();
    out
}

fn split_args(name: &str, args: &[Value], kwargs: Kwargs<'_>) -> RtResult<(Option<String>, i64)> {
    if args.len() > 2 {
        return Err(type_error(format!("{name}() takes at most 2 arguments ({} given)", args.len())));
    }
    let mut sep = args.first().cloned();
    let mut maxsplit = args.get(1).cloned();
    for (k, v) in kwargs {
        match &**k {
            "sep" => sep = Some(v.clone()),
            "maxsplit" => maxsplit = Some(v.clone()),
            _ => return Err(type_error(format!("{name}() got an unexpected keyword argument '{k}'"))),
        }
    }
    let sep = match sep {
        None | Some(Value::None) => None,
        Some(Value::Str(x)) if x.as_str().is_empty() => return Err(value_error("empty separator")),
        Some(Value::Str(x)) => Some(x.to_string()),
        Some(v) => return Err(type_error(format!("must be str or None, not {}", v.type_name()))),
    };
    let maxsplit = match maxsplit {
        None => -1,
        Some(v) => crate::interp::objects::methods::int_arg(&v)?,
    };
    Ok((sep, maxsplit))
}

fn strip_chars<'a>(name: &str, args: &'a [Value]) -> RtResult<Option<&'a str>> {
    expect_args(name, args, 0, 1)?;
    match args.first() {
        None | Some(Value::None) => Ok(None),
        Some(Value::Str(x)) => Ok(Some(x.as_str())),
        Some(_) => Err(type_error(format!("{name} arg must be None or str"))),
    }
}

fn prefix_match(name: &str, text: &str, ascii: bool, args: &[Value], at_end: bool) -> RtResult<bool> {
    at_least(name, args, 1, 3)?;
    let len = char_len(text, ascii);
    let (start, end) = search_bounds(len, args.get(1), args.get(2))?;
    let raw_start = match args.get(1) {
        Some(Value::Int(i)) if *i >= 0 => *i as usize,
        _ => start,
    };
    if raw_start > len {
        return Ok(false);
    }
    let window = if start <= end { &text[byte_at(text, ascii, start)..byte_at(text, ascii, end)] } else { "" };
    let check = |p: &str| if at_end { window.ends_with(p) } else { window.starts_with(p) };
    match &args[0] {
        Value::Str(p) => Ok(start <= end && check(p.as_str())),
        Value::Tuple(items) => {
            for item in items.iter() {
                match item {
                    Value::Str(p) if start <= end && check(p.as_str()) => return Ok(true),
                    Value::Str(_) => {}
                    other => {
                        return Err(type_error(format!(
                            "tuple for {name} must only contain str, not {}",
                            other.type_name()
                        )));
                    }
                }
            }
            Ok(false)
        }
        other => Err(type_error(format!("{name} first arg must be str or a tuple of str, not {}", other.type_name()))),
    }
}

/// find/rfind/index/rindex/count: (char index result or count).
fn search(method: MethodId, name: &str, text: &str, ascii: bool, args: &[Value]) -> RtResult<Value> {
    at_least(name, args, 1, 3)?;
    let sub = str_arg(&args[0], |v| type_error(format!("must be str, not {}", v.type_name())))?;
    let len = char_len(text, ascii);
    let (start, end) = search_bounds(len, args.get(1), args.get(2))?;
    let raw_start_past_end = match args.get(1) {
        Some(Value::Int(i)) => *i > len as i64,
        _ => false,
    };
    let found: Option<usize> = if raw_start_past_end || start > end {
        if method == MethodId::Count {
            return Ok(Value::Int(0));
        }
        None
    } else {
        let (b0, b1) = (byte_at(text, ascii, start), byte_at(text, ascii, end));
        let window = &text[b0..b1];
        if method == MethodId::Count {
            let n = if sub.is_empty() { char_len(window, ascii) + 1 } else { window.matches(sub).count() };
            return Ok(Value::Int(n as i64));
        }
        let pos =
            if matches!(method, MethodId::Rfind | MethodId::Rindex) { window.rfind(sub) } else { window.find(sub) };
        pos.map(|p| char_index(text, ascii, b0 + p))
    };
    match (found, method) {
        (Some(i), _) => Ok(Value::Int(i as i64)),
        (None, MethodId::Index | MethodId::Rindex) => Err(value_error("substring not found")),
        (None, _) => Ok(Value::Int(-1)),
    }
}

fn fill_char(name: &str, args: &[Value]) -> RtResult<(usize, char)> {
    expect_args(name, args, 1, 2)?;
    let width = crate::interp::objects::methods::int_arg(&args[0])?.max(0) as usize;
    let fill = match args.get(1) {
        None => ' ',
        Some(Value::Str(x)) if x.char_count() == 1 => x.as_str().chars().next().unwrap_or(' '),
        Some(Value::Str(_)) => {
            return Err(type_error("The fill character must be exactly one character long"));
        }
        Some(v) => {
            return Err(type_error(format!("{name}() argument 2 must be str of length 1, not {}", v.type_name())));
        }
    };
    ops::check_str_size(width as u64 * 4)?;
    Ok((width, fill))
}

fn repeat(c: char, n: usize) -> String {
    std::iter::repeat_n(c, n).collect()
}

fn title(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut prev_cased = false;
    for c in text.chars() {
        if prev_cased {
            out.extend(c.to_lowercase());
        } else {
            out.push_str(&unicode::to_title(c));
        }
        prev_cased = c.is_lowercase() || c.is_uppercase();
    }
    out
}

fn splitlines(text: &str, keepends: bool) -> Vec<Value> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut iter = text.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        let is_break =
            matches!(c, '\n' | '\r' | '\x0b' | '\x0c' | '\x1c' | '\x1d' | '\x1e' | '\u{85}' | '\u{2028}' | '\u{2029}');
        if !is_break {
            continue;
        }
        let mut end = i + c.len_utf8();
        if c == '\r'
            && let Some(&(_, '\n')) = iter.peek()
        {
            iter.next();
            end += 1;
        }
        out.push(s(&text[start..if keepends { end } else { i }]));
        start = end;
    }
    if start < text.len() {
        out.push(s(&text[start..]));
    }
    out
}

fn predicate(text: &str, f: impl Fn(char) -> bool) -> Value {
    Value::Bool(!text.is_empty() && text.chars().all(f))
}

fn is_digit(c: char) -> bool {
    c.is_ascii_digit() || (!c.is_ascii() && unicode::in_table(unicode::DIGIT, c))
}

fn is_alpha(c: char) -> bool {
    c.is_ascii_alphabetic() || (!c.is_ascii() && unicode::in_table(unicode::ALPHA, c))
}

fn is_numeric(c: char) -> bool {
    c.is_ascii_digit() || (!c.is_ascii() && unicode::in_table(unicode::NUMERIC, c))
}

fn is_decimal(c: char) -> bool {
    c.is_ascii_digit() || (!c.is_ascii() && unicode::in_table(unicode::DECIMAL, c))
}

fn case_check(text: &str, upper: bool) -> Value {
    let mut cased = false;
    for c in text.chars() {
        if (upper && c.is_lowercase()) || (!upper && c.is_uppercase()) {
            return Value::Bool(false);
        }
        if c.is_lowercase() || c.is_uppercase() {
            cased = true;
        }
    }
    Value::Bool(cased)
}

pub(super) fn call_str_method(
    obj: &Value,
    text: &str,
    method: MethodId,
    name: &str,
    args: &[Value],
    kwargs: Kwargs<'_>,
    host: &mut dyn crate::interp::objects::host::Host,
) -> RtResult<Value> {
    use MethodId as M;
    let ascii = matches!(obj, Value::Str(x) if x.is_ascii());
    if !matches!(method, M::Split | M::Rsplit | M::Format | M::Splitlines) {
        no_kwargs_for("str", name, kwargs)?;
    }
    // The method's name is formatted only for the error message.
    let noargs = |q: &str| if args.is_empty() { Ok(()) } else { no_args(&format!("str.{q}"), args) };
    Ok(match method {
        M::Join => {
            let iterable = exactly_one("str.join", args)?;
            let Value::Str(sep) = obj else { unreachable!("a str method is called on a str") };
            if let Value::Iterator(_) = iterable {
                // Drained first, as CPython does; a lazy iterator may run Toy code.
                let items = crate::interp::objects::iter::collect_with(iterable, host)?;
                text::join(sep, &Value::list(items))?
            } else {
                text::join(sep, iterable)?
            }
        }
        M::Split | M::Rsplit => {
            let (sep, maxsplit) = split_args(name, args, kwargs)?;
            if let (Some(sep), M::Split, Value::Str(whole)) = (&sep, method, obj)
                && maxsplit < 0
            {
                // Every piece: the separators found first, the list made at its size.
                return Ok(text_search::split_on(whole, sep));
            }
            let piece = |p: &str| text::piece(p, ascii);
            let parts = match (sep, method) {
                (None, M::Split) if ascii => text::split_ascii_whitespace(text, maxsplit),
                (None, M::Split) => py_split_whitespace(text, maxsplit),
                (None, _) => py_rsplit_whitespace(text, maxsplit),
                // A one-byte separator is an ASCII char: split on the char (a byte search).
                (Some(sep), M::Split) => match (sep.as_bytes(), usize::try_from(maxsplit)) {
                    (&[byte], Ok(n)) => text.splitn(n.saturating_add(1), char::from(byte)).map(piece).collect(),
                    (&[byte], Err(_)) => text.split(char::from(byte)).map(piece).collect(),
                    (_, Ok(n)) => text.splitn(n.saturating_add(1), sep.as_str()).map(piece).collect(),
                    (_, Err(_)) => text.split(sep.as_str()).map(piece).collect(),
                },
                (Some(sep), _) => {
                    let mut v: Vec<Value> = match usize::try_from(maxsplit) {
                        Ok(n) => text.rsplitn(n.saturating_add(1), sep.as_str()).map(piece).collect(),
                        Err(_) => text.rsplit(sep.as_str()).map(piece).collect(),
                    };
                    v.reverse();
                    v
                }
            };
            Value::list(parts)
        }
        M::Strip | M::Lstrip | M::Rstrip => {
            let chars = strip_chars(name, args)?;
            let pred = |c: char| match chars {
                None => is_space(c),
                Some(set) => set.contains(c),
            };
            let stripped = match method {
                M::Strip => text.trim_matches(pred),
                M::Lstrip => text.trim_start_matches(pred),
                _ => text.trim_end_matches(pred),
            };
            if stripped.len() == text.len() { obj.clone() } else { text::piece(stripped, ascii) }
        }
        M::Upper | M::Lower if ascii => {
            noargs(name)?;
            text::ascii_case(text, method == M::Upper)
        }
        M::Upper => noargs("upper").map(|_| s(text.to_uppercase()))?,
        M::Lower => noargs("lower").map(|_| s(text.to_lowercase()))?,
        M::Swapcase => noargs("swapcase").map(|_| {
            s(text
                .chars()
                .flat_map(|c| -> Vec<char> {
                    if c.is_uppercase() {
                        c.to_lowercase().collect()
                    } else if c.is_lowercase() {
                        c.to_uppercase().collect()
                    } else {
                        vec![c]
                    }
                })
                .collect::<String>())
        })?,
        M::Title => noargs("title").map(|_| s(title(text)))?,
        M::Capitalize => noargs("capitalize").map(|_| {
            let mut chars = text.chars();
            let mut out = String::new();
            if let Some(first) = chars.next() {
                out.push_str(&unicode::to_title(first));
                out.extend(chars.flat_map(char::to_lowercase));
            }
            s(out)
        })?,
        M::Startswith => Value::Bool(prefix_match("startswith", text, ascii, args, false)?),
        M::Endswith => Value::Bool(prefix_match("endswith", text, ascii, args, true)?),
        M::Find | M::Rfind | M::Index | M::Rindex | M::Count => search(method, name, text, ascii, args)?,
        M::Replace => {
            expect_args("replace", args, 2, 3)?;
            if let ([Value::Str(old), Value::Str(new)], Value::Str(whole)) = (args, obj)
                && let Some(result) = text_search::replaced(whole, old, new)
            {
                // Made at its size in one pass (an empty `old`, or a result past the size cap,
                // is left to the general path below).
                return Ok(result);
            }
            let old =
                str_arg(&args[0], |v| type_error(format!("replace() argument 1 must be str, not {}", v.type_name())))?;
            let new =
                str_arg(&args[1], |v| type_error(format!("replace() argument 2 must be str, not {}", v.type_name())))?;
            let count = match args.get(2) {
                Some(v) => crate::interp::objects::methods::int_arg(v)?,
                None => -1,
            };
            // Only a replacement longer than what it replaces can grow the text past the cap.
            if new.len() > old.len() {
                let occurrences =
                    if old.is_empty() { char_len(text, ascii) as u64 + 1 } else { text.matches(old).count() as u64 };
                let n = if count < 0 { occurrences } else { occurrences.min(count as u64) };
                let growth = ((new.len() - old.len()) as u64).saturating_mul(n);
                ops::check_str_size(text.len() as u64 + growth)?;
            }
            let replaced = if count < 0 { text.replace(old, new) } else { text.replacen(old, new, count as usize) };
            if ascii && new.is_ascii() { Value::ascii_str(replaced) } else { s(replaced) }
        }
        M::Isdigit => noargs("isdigit").map(|_| predicate(text, is_digit))?,
        M::Isalpha => noargs("isalpha").map(|_| predicate(text, is_alpha))?,
        M::Isspace => noargs("isspace").map(|_| predicate(text, is_space))?,
        M::Isnumeric => noargs("isnumeric").map(|_| predicate(text, is_numeric))?,
        M::Isdecimal => noargs("isdecimal").map(|_| predicate(text, is_decimal))?,
        M::Isalnum => noargs("isalnum").map(|_| predicate(text, |c| is_alpha(c) || is_numeric(c)))?,
        M::Isupper => noargs("isupper").map(|_| case_check(text, true))?,
        M::Islower => noargs("islower").map(|_| case_check(text, false))?,
        M::Zfill => {
            let width = crate::interp::objects::methods::int_arg(exactly_one("str.zfill", args)?)?.max(0) as usize;
            let len = char_len(text, ascii);
            if width <= len {
                return Ok(obj.clone());
            }
            ops::check_str_size(width as u64)?;
            let zeros = repeat('0', width - len);
            match text.chars().next() {
                Some(c @ ('+' | '-')) => s(format!("{c}{zeros}{}", &text[1..])),
                _ => s(format!("{zeros}{text}")),
            }
        }
        M::Center | M::Ljust | M::Rjust => {
            let (width, fill) = fill_char(name, args)?;
            let len = char_len(text, ascii);
            if width <= len {
                return Ok(obj.clone());
            }
            let pad = width - len;
            let (left, right) = match method {
                M::Ljust => (0, pad),
                M::Rjust => (pad, 0),
                _ => {
                    let left = pad / 2 + (pad & width & 1);
                    (left, pad - left)
                }
            };
            s(format!("{}{text}{}", repeat(fill, left), repeat(fill, right)))
        }
        M::Partition | M::Rpartition => {
            let sep = str_arg(exactly_one_of("str", name, args)?, |v| {
                type_error(format!("must be str, not {}", v.type_name()))
            })?;
            if sep.is_empty() {
                return Err(value_error("empty separator"));
            }
            let pos = if method == M::Partition { text.find(sep) } else { text.rfind(sep) };
            let parts = match (pos, method) {
                (Some(i), _) => [&text[..i], sep, &text[i + sep.len()..]],
                (None, M::Partition) => [text, "", ""],
                (None, _) => ["", "", text],
            };
            Value::tuple(parts.iter().map(|p| s(*p)).collect())
        }
        M::Splitlines => {
            expect_args("splitlines", args, 0, 1)?;
            let mut keep = args.first().map(ops::truthy).unwrap_or(false);
            for (k, v) in kwargs {
                if &**k == "keepends" {
                    keep = ops::truthy(v);
                } else {
                    return Err(type_error(format!("splitlines() got an unexpected keyword argument '{k}'")));
                }
            }
            Value::list(splitlines(text, keep))
        }
        M::Removeprefix | M::Removesuffix => {
            let affix = str_arg(exactly_one_of("str", name, args)?, |v| {
                type_error(format!("{name}() argument must be str, not {}", v.type_name()))
            })?;
            let out = if method == M::Removeprefix { text.strip_prefix(affix) } else { text.strip_suffix(affix) };
            match out {
                Some(rest) => s(rest),
                None => obj.clone(),
            }
        }
        M::Format => s(str_format(text, args, kwargs)?),
        _ => return Err(no_attr(obj, name)),
    })
}

/// `template.format(*args, **kwargs)`: `{}`, `{0}`, `{name}`, `{0[1]}`, conversions and specs.
fn str_format(template: &str, args: &[Value], kwargs: Kwargs<'_>) -> RtResult<String> {
    let mut out = String::new();
    let chars: Vec<char> = template.chars().collect();
    let mut i = 0;
    let mut auto_index = 0usize;
    let mut mode: Option<bool> = None; // Some(true) = automatic numbering, Some(false) = manual
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        if c == '}' {
            if chars.get(i) == Some(&'}') {
                out.push('}');
                i += 1;
                continue;
            }
            return Err(value_error("Single '}' encountered in format string"));
        }
        if c != '{' {
            out.push(c);
            continue;
        }
        if chars.get(i) == Some(&'{') {
            out.push('{');
            i += 1;
            continue;
        }
        let start = i;
        let mut depth = 1;
        while i < chars.len() {
            match chars[i] {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                _ => {}
            }
            i += 1;
        }
        if i >= chars.len() {
            return Err(value_error(if depth > 1 {
                "expected '}' before end of string"
            } else {
                "Single '{' encountered in format string"
            }));
        }
        let field: String = chars[start..i].iter().collect();
        i += 1;
        let (head, spec) = match field.find(':') {
            Some(p) => (&field[..p], &field[p + 1..]),
            None => (&field[..], ""),
        };
        let (name_part, conv) = match head.find('!') {
            Some(p) => (&head[..p], Some(&head[p + 1..])),
            None => (head, None),
        };
        if spec.contains('{') {
            return Err(type_error("not supported in Toy: nested replacement fields in str.format specs"));
        }
        let (first, rest) = match name_part.find(['.', '[']) {
            Some(p) => (&name_part[..p], &name_part[p..]),
            None => (name_part, ""),
        };
        let mut value = if first.is_empty() {
            if mode == Some(false) {
                return Err(value_error("cannot switch from manual field specification to automatic field numbering"));
            }
            mode = Some(true);
            let v = args.get(auto_index).cloned().ok_or_else(|| {
                index_error(format!("Replacement index {auto_index} out of range for positional args tuple"))
            })?;
            auto_index += 1;
            v
        } else if let Ok(n) = first.parse::<usize>() {
            if mode == Some(true) {
                return Err(value_error("cannot switch from automatic field numbering to manual field specification"));
            }
            mode = Some(false);
            args.get(n)
                .cloned()
                .ok_or_else(|| index_error(format!("Replacement index {n} out of range for positional args tuple")))?
        } else {
            kwargs
                .iter()
                .find(|(k, _)| &**k == first)
                .map(|(_, v)| v.clone())
                .ok_or_else(|| RtError::with_args(ExcKind::KeyError, vec![s(first)]))?
        };
        let mut rest = rest;
        while !rest.is_empty() {
            if let Some(r) = rest.strip_prefix('[') {
                let close = r.find(']').ok_or_else(|| value_error("Missing ']' in format string"))?;
                let key = &r[..close];
                let index = match key.parse::<i64>() {
                    Ok(n) => Value::Int(n),
                    Err(_) => s(key),
                };
                value = ops::get_item(&value, &index)?;
                rest = &r[close + 1..];
            } else {
                let r = &rest[1..];
                let end = r.find(['.', '[']).unwrap_or(r.len());
                value = crate::interp::objects::methods::get_attr(&value, &r[..end])?;
                rest = &r[end..];
            }
        }
        let text = match conv {
            None => format_spec(&value, spec)?,
            Some(c) if c.chars().count() == 1 => {
                let converted = s(conversion(&value, c.chars().next().unwrap_or('s'))?);
                format_spec(&converted, spec)?
            }
            Some(_) => return Err(value_error("expected ':' after conversion specifier")),
        };
        out.push_str(&text);
        ops::check_str_size(out.len() as u64)?;
    }
    Ok(out)
}
