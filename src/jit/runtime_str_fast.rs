//! The common cases of the string helpers a trace calls, run straight on the interpreter's
//! text functions (`objects/text.rs`, `str_obj.rs`): `a + b` of two strings, `str(int)`,
//! `int(str)` of plain digits, comparisons and `in` of strings, `.upper()`/`.lower()` of ASCII
//! text, `.find`, `.startswith`, `.endswith`, `.replace`, `.split`, `.join` of a list or tuple,
//! `s[i]` of an ASCII string, and slices. `runtime_strings::call_helper` asks here first; the
//! generic path (`run_helper`: `call_method`, `call_builtin`, with their argument checks and
//! method dispatch) is skipped when the arguments have the types the case needs.
//!
//! A fast path never raises: where the interpreter would raise (or the case is not a common
//! one) it answers `None` and the generic path runs, which fails the helper so that the trace
//! exits and the interpreter raises exactly what CPython raises. The result is the generic
//! path's, value for value (the unit tests compare the two). Touches nothing but the values it
//! builds.

use crate::interp::engine::native::native_context;
use crate::interp::objects::builtins::int_from_str;
use crate::interp::objects::ops::{check_str_size, get_slice};
use crate::interp::objects::text;
use crate::interp::objects::value::{StrBuilder, StrObj, Value};
use crate::jit::ir::helpers::Helper;

/// `helper` on `args` by its common case, or `None` to take the generic path.
pub fn run_fast(helper: Helper, args: &[Value]) -> Option<Value> {
    match (helper, args) {
        (Helper::Add, [Value::Str(x), Value::Str(y)]) => text::concat(x, y).ok(),
        (Helper::AppendStr, [Value::Str(x), Value::Str(y)]) => appended(x.addr(), y),
        (
            Helper::Eq | Helper::Ne | Helper::Lt | Helper::Le | Helper::Gt | Helper::Ge,
            [Value::Str(x), Value::Str(y)],
        ) => Some(Value::Bool(compared(helper, x, y))),
        (Helper::In, [Value::Str(needle), Value::Str(hay)]) => Some(Value::Bool(hay.contains(needle.as_str()))),
        (Helper::NotIn, [Value::Str(needle), Value::Str(hay)]) => Some(Value::Bool(!hay.contains(needle.as_str()))),
        (Helper::Str, [Value::Int(n)]) => Some(text::int_str(*n)),
        (Helper::Int, [Value::Str(s)]) => int_from_str(s, 10).ok(),
        (Helper::Upper | Helper::Lower, [Value::Str(s)]) if s.is_ascii() => {
            Some(text::ascii_case(s, helper == Helper::Upper))
        }
        (Helper::Startswith, [Value::Str(s), Value::Str(prefix)]) => Some(Value::Bool(s.starts_with(prefix.as_str()))),
        (Helper::Endswith, [Value::Str(s), Value::Str(suffix)]) => Some(Value::Bool(s.ends_with(suffix.as_str()))),
        // An ASCII string's byte offsets are its char indices.
        (Helper::Find, [Value::Str(s), Value::Str(needle)]) if s.is_ascii() => {
            Some(Value::Int(s.find(needle.as_str()).map_or(-1, |at| at as i64)))
        }
        (Helper::Replace, [Value::Str(s), Value::Str(old), Value::Str(new)]) => replaced(s, old, new),
        (Helper::Split, [Value::Str(s)]) if s.is_ascii() => Some(Value::list(text::split_ascii_whitespace(s, -1))),
        (Helper::Split, [Value::Str(s), Value::Str(sep)]) if !sep.is_empty() => Some(split_on(s, sep)),
        (Helper::Join, [Value::Str(sep), items @ (Value::List(_) | Value::Tuple(_))]) => text::join(sep, items).ok(),
        (Helper::GetItem, [Value::Str(s), Value::Int(index)]) if s.is_ascii() => ascii_char(s, *index),
        (Helper::Slice, [sequence @ (Value::Str(_) | Value::List(_)), lower, upper, step]) => {
            get_slice(sequence, lower, upper, step).ok()
        }
        _ => None,
    }
}

/// `x + y` where the trace reads the string at `x` nowhere after (`lower_str_append.rs`):
/// when the trace made it (it is the newest garbage) and nothing else holds it, `y` is
/// appended in place (its block grows by doubling, so a chain `a + b + c + ...` copies each
/// piece about once), and the result goes back into the garbage (`result_word`) in its
/// place. Otherwise a new string, as `+`.
fn appended(x: usize, y: &StrObj) -> Option<Value> {
    if x != (y as *const StrObj as *const u8 as usize) {
        if let Some(mut owned) = native_context::take_newest_garbage_str(x) {
            // `append` fails (MemoryError past the size cap) before changing anything: the
            // string goes back where it was, and the generic path fails the helper.
            if text::append(&mut owned, y).is_ok() {
                return Some(owned);
            }
            native_context::keep_until_dropped(owned);
            return None;
        }
    }
    // SAFETY: `x` is the address of the live string the trace passed (see `call_helper`).
    let x = unsafe { crate::jit::runtime_strings::borrowed_str(x) };
    let bytes = x.len() as u64 + y.len() as u64;
    check_str_size(bytes).ok()?;
    // Exactly its size: the result may be the chain's last (a dict key, a list item), and room
    // kept for appends that never come is memory held for the string's life (wordfreq's
    // bigram keys: 137 -> 184 MB). The next `+` of a chain grows it (`StrObj::try_append`).
    let mut out = StrBuilder::with_capacity(bytes as usize);
    out.push_obj(&x);
    out.push_obj(y);
    Some(Value::Str(out.finish()))
}

/// `x < y` and the others: by code point, which is UTF-8's byte order.
fn compared(helper: Helper, x: &StrObj, y: &StrObj) -> bool {
    let order = x.as_str().cmp(y.as_str());
    match helper {
        Helper::Eq => order.is_eq(),
        Helper::Ne => order.is_ne(),
        Helper::Lt => order.is_lt(),
        Helper::Le => order.is_le(),
        Helper::Gt => order.is_gt(),
        _ => order.is_ge(),
    }
}

/// `s.replace(old, new)` with a non-empty `old` (the empty one inserts between chars: the
/// generic path); a result past the size cap is the generic path's MemoryError.
fn replaced(s: &StrObj, old: &StrObj, new: &StrObj) -> Option<Value> {
    if old.is_empty() {
        return None;
    }
    if new.len() > old.len() {
        let growth = ((new.len() - old.len()) as u64).saturating_mul(s.matches(old.as_str()).count() as u64);
        check_str_size(s.len() as u64 + growth).ok()?;
    }
    let result = s.replace(old.as_str(), new.as_str());
    Some(if s.is_ascii() && new.is_ascii() { Value::ascii_str(result) } else { Value::str(result) })
}

/// `s.split(sep)` with a non-empty separator: every piece, as a new list.
fn split_on(s: &StrObj, sep: &StrObj) -> Value {
    let ascii = s.is_ascii();
    let piece = |p: &str| text::piece(p, ascii);
    Value::list(match sep.as_bytes() {
        // A one-byte separator is an ASCII char: a byte search.
        &[byte] => s.split(char::from(byte)).map(piece).collect(),
        _ => s.split(sep.as_str()).map(piece).collect(),
    })
}

/// `s[index]` of an ASCII string: the shared one-char string, `None` (IndexError) outside it.
fn ascii_char(s: &StrObj, index: i64) -> Option<Value> {
    let len = s.len() as i64;
    let at = if index < 0 { index + len } else { index };
    (0..len).contains(&at).then(|| Value::char(char::from(s.as_bytes()[at as usize])))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jit::runtime_strings::run_helper;

    fn s(text: &str) -> Value {
        Value::str(text)
    }

    /// The fast path gives what the generic path gives, or leaves the case to it.
    fn agrees(helper: Helper, args: &[Value]) -> bool {
        let generic = run_helper(helper, args);
        match run_fast(helper, args) {
            Some(fast) => {
                let generic = generic.expect("the fast path answered where the interpreter raises");
                assert_eq!(format!("{fast:?}"), format!("{generic:?}"), "{helper:?} on {args:?}");
                true
            }
            None => false,
        }
    }

    #[test]
    fn common_cases_run_fast_and_agree_with_the_interpreter() {
        let none = Value::None;
        let cases: Vec<(Helper, Vec<Value>)> = vec![
            (Helper::Add, vec![s("ab"), s("é")]),
            (Helper::Lt, vec![s("abc"), s("abd")]),
            (Helper::Ge, vec![s("é"), s("z")]),
            (Helper::Ne, vec![s("GET"), s("GET")]),
            (Helper::In, vec![s("q"), s("aqb")]),
            (Helper::NotIn, vec![s(""), s("x")]),
            (Helper::Str, vec![Value::Int(i64::MIN)]),
            (Helper::Int, vec![s("-0042")]),
            (Helper::Int, vec![s(" 7_0 ")]),
            (Helper::Upper, vec![s("a-b.c")]),
            (Helper::Startswith, vec![s("user1"), s("")]),
            (Helper::Endswith, vec![s("x.html"), s(".html")]),
            (Helper::Find, vec![s("a-b"), s("-")]),
            (Helper::Find, vec![s("abc"), s("")]),
            (Helper::Replace, vec![s("a.html.html"), s(".html"), s("")]),
            (Helper::Replace, vec![s("aaa"), s("a"), s("éé")]),
            (Helper::Split, vec![s("  a b\x1c c  ")]),
            (Helper::Split, vec![s("/a//b/"), s("/")]),
            (Helper::Split, vec![s("aXYbXY"), s("XY")]),
            (Helper::Join, vec![s("-"), Value::list(vec![s("a"), s("bé")])]),
            (Helper::Join, vec![s(","), Value::tuple(vec![s("one")])]),
            (Helper::GetItem, vec![s("abc"), Value::Int(-1)]),
            (Helper::Slice, vec![s("abcdef"), Value::Int(1), none.clone(), Value::Int(2)]),
            (Helper::Slice, vec![Value::list(vec![s("a"), s("b")]), none.clone(), none.clone(), Value::Int(-1)]),
        ];
        for (helper, args) in cases {
            assert!(agrees(helper, &args), "{helper:?} on {args:?} ran the generic path");
        }
    }

    #[test]
    fn what_the_interpreter_raises_is_left_to_it() {
        let cases: Vec<(Helper, Vec<Value>)> = vec![
            (Helper::Int, vec![s("x")]),
            (Helper::Split, vec![s("a"), s("")]),
            (Helper::GetItem, vec![s("abc"), Value::Int(3)]),
            (Helper::GetItem, vec![s("abc"), Value::Int(-4)]),
            (Helper::Join, vec![s("-"), Value::list(vec![s("a"), Value::Int(1)])]),
            (Helper::Slice, vec![s("abc"), Value::None, Value::None, Value::Int(0)]),
            (Helper::Find, vec![s("é-"), s("-")]),
        ];
        for (helper, args) in cases {
            assert!(!agrees(helper, &args), "{helper:?} on {args:?} answered");
        }
    }
}
