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

use crate::interp::objects::builtins::int_from_str;
use crate::interp::objects::ops::get_slice;
use crate::interp::objects::text;
use crate::interp::objects::text_search::{find_bytes, replaced, split_on};
use crate::interp::objects::value::{StrObj, Value};
use crate::jit::ir::helpers::Helper;

/// `helper` on `args` by its common case, or `None` to take the generic path.
pub fn run_fast(helper: Helper, args: &[Value]) -> Option<Value> {
    match (helper, args) {
        (Helper::Add, [Value::Str(x), Value::Str(y)]) => text::concat(x, y).ok(),
        (
            Helper::Eq | Helper::Ne | Helper::Lt | Helper::Le | Helper::Gt | Helper::Ge,
            [Value::Str(x), Value::Str(y)],
        ) => Some(Value::Bool(compared(helper, x, y))),
        (Helper::In, [Value::Str(needle), Value::Str(hay)]) => Some(Value::Bool(find_bytes(hay, needle).is_some())),
        (Helper::NotIn, [Value::Str(needle), Value::Str(hay)]) => Some(Value::Bool(find_bytes(hay, needle).is_none())),
        (Helper::Str, [Value::Int(n)]) => Some(text::int_str(*n)),
        (Helper::Int, [Value::Str(s)]) => int_from_str(s, 10).ok(),
        (Helper::Upper | Helper::Lower, [Value::Str(s)]) if s.is_ascii() => {
            Some(text::ascii_case(s, helper == Helper::Upper))
        }
        (Helper::Startswith, [Value::Str(s), Value::Str(prefix)]) => Some(Value::Bool(s.starts_with(prefix.as_str()))),
        (Helper::Endswith, [Value::Str(s), Value::Str(suffix)]) => Some(Value::Bool(s.ends_with(suffix.as_str()))),
        // An ASCII string's byte offsets are its char indices.
        (Helper::Find, [Value::Str(s), Value::Str(needle)]) if s.is_ascii() => {
            Some(Value::Int(find_bytes(s, needle).map_or(-1, |at| at as i64)))
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

/// `s[index]` of an ASCII string: the shared one-char string, `None` (IndexError) outside it.
pub(crate) fn ascii_char(s: &StrObj, index: i64) -> Option<Value> {
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
            (Helper::Split, vec![s(""), s("/")]),
            (Helper::Split, vec![s("é/日本/x/"), s("/")]),
            (Helper::Split, vec![s("a-bc-d-efghijklmnop-q-"), s("-")]),
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
