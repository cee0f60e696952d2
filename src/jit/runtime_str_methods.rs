//! Direct entry points for the string methods, indexing and slices traces call most
//! (`lower_str_direct.rs` picks them when the trace knows the operands' types): `.split()`,
//! `.split(sep)`, `sep.join(list)`, `.replace`, `.upper()`, `.lower()`, `.find`,
//! `.startswith`, `.endswith`, `in` / `not in` of strings, `s[i]`, and `s[a:b:c]` / `l[a:b:c]`
//! with int or `None` bounds; and the empty list display `[]` (a loop's `out = []`). Each takes its operands as payload words in registers (a slice's
//! `None` bounds as a bit mask) and returns the result word, skipping what
//! `runtime_strings::call_helper` does for any helper: the (tag, payload) buffer, decoding the
//! helper's number, matching the argument types, checking the result's type.
//!
//! The contract is the helpers' (`runtime_strings.rs`): a new string or list is kept in the
//! garbage, the trace's reference; [`HELPER_FAILED`] where the interpreter would raise, and the
//! trace exits for the interpreter to redo the operation and raise exactly what CPython
//! raises. The uncommon cases (non-ASCII text where bytes are not chars, a slice step other
//! than 1 on a string) go to the same code `call_helper` runs (`run_on_words`). Touches nothing
//! but the values it builds.

use crate::interp::engine::native::native_context;
use crate::interp::objects::ops::{pick_values, slice_range};
use crate::interp::objects::text;
use crate::interp::objects::text_search::{find_bytes, replaced, split_on};
use crate::interp::objects::value::{Str, Value, latin1_char_address, tag};
use crate::jit::ir::Type;
use crate::jit::ir::helpers::Helper;
use crate::jit::runtime::borrowed_list;
use crate::jit::runtime_strings::{HELPER_FAILED, borrowed_str, run_on_words};

/// What a direct entry point takes for one operand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operand {
    /// A `str` value: its block's address.
    Str,
    /// A `ptr` value: a list.
    List,
    /// An `int` value.
    Int,
    /// An `int` or a `None` (a slice bound): the int's word, or 0 with the operand's bit set in
    /// the mask the function takes last.
    IntOrNone,
}

/// One direct entry point: the helper it runs, its operands, the result type it gives, its
/// symbol and its function.
pub struct Method {
    pub helper: Helper,
    pub operands: &'static [Operand],
    pub result: Type,
    pub symbol: &'static str,
    pub function: *const u8,
}

impl Method {
    /// Does it take a mask of `None` operands after them (a slice)?
    pub fn takes_none_mask(&self) -> bool {
        self.operands.contains(&Operand::IntOrNone)
    }
}

use Operand::{Int, IntOrNone, List, Str as S};

/// The direct entry points, one per (helper, operand types).
pub const METHODS: [Method; 15] = [
    method(Helper::Split, &[S], Type::Ptr, "toyjit_str_split_whitespace", split_whitespace as *const u8),
    method(Helper::Split, &[S, S], Type::Ptr, "toyjit_str_split", split as *const u8),
    method(Helper::Join, &[S, List], Type::Str, "toyjit_str_join_list", join_list as *const u8),
    method(Helper::Replace, &[S, S, S], Type::Str, "toyjit_str_replace", replace as *const u8),
    method(Helper::Upper, &[S], Type::Str, "toyjit_str_upper", upper as *const u8),
    method(Helper::Lower, &[S], Type::Str, "toyjit_str_lower", lower as *const u8),
    method(Helper::Find, &[S, S], Type::Int, "toyjit_str_find", find as *const u8),
    method(Helper::Startswith, &[S, S], Type::Bool, "toyjit_str_startswith", startswith as *const u8),
    method(Helper::Endswith, &[S, S], Type::Bool, "toyjit_str_endswith", endswith as *const u8),
    method(Helper::In, &[S, S], Type::Bool, "toyjit_str_in", contains as *const u8),
    method(Helper::NotIn, &[S, S], Type::Bool, "toyjit_str_not_in", not_contains as *const u8),
    method(Helper::GetItem, &[S, Int], Type::Str, "toyjit_str_item", item as *const u8),
    method(Helper::Slice, &[S, IntOrNone, IntOrNone, IntOrNone], Type::Str, "toyjit_str_slice", str_slice as *const u8),
    method(
        Helper::Slice,
        &[List, IntOrNone, IntOrNone, IntOrNone],
        Type::Ptr,
        "toyjit_list_slice",
        list_slice as *const u8,
    ),
    method(Helper::BuildList, &[], Type::Ptr, "toyjit_list_new", new_list as *const u8),
];

/// One row of [`METHODS`].
const fn method(
    helper: Helper,
    operands: &'static [Operand],
    result: Type,
    symbol: &'static str,
    function: *const u8,
) -> Method {
    Method { helper, operands, result, symbol, function }
}

/// The functions and their symbols, for `JITBuilder::symbol`.
pub fn symbols() -> impl Iterator<Item = (&'static str, *const u8)> {
    METHODS.iter().map(|m| (m.symbol, m.function))
}

/// A new string or list, kept in the garbage: its word (put there directly: the helpers
/// here know their result's type, which `result_word` would check).
fn kept(value: Value) -> i64 {
    let (_, address) = crate::jit::layout::value_words(&value);
    native_context::keep_until_dropped(value);
    address as i64
}

/// The generic path of `helper` on strings `args` (the uncommon cases).
fn generic_on_strs(helper: Helper, args: &[usize], want: u8) -> i64 {
    let words: Vec<(u8, u64)> = args.iter().map(|&s| (tag::STR, s as u64)).collect();
    // SAFETY: each word is a trace `str` value, alive.
    unsafe { run_on_words(helper, &words, want) }
}

/// `[]`: a new empty list (the `out = []` before a loop that appends to it).
extern "C" fn new_list() -> i64 {
    kept(Value::list(Vec::new()))
}

extern "C" fn split_whitespace(s: usize) -> i64 {
    // SAFETY: `s` is a trace `str` value, alive (see `runtime_strings.rs`); so for all below.
    let text = unsafe { borrowed_str(s) };
    if !text.is_ascii() {
        return generic_on_strs(Helper::Split, &[s], tag::LIST);
    }
    kept(Value::list(text::split_ascii_whitespace(&text, -1)))
}

extern "C" fn split(s: usize, sep: usize) -> i64 {
    let (text, separator) = unsafe { (borrowed_str(s), borrowed_str(sep)) };
    if separator.is_empty() {
        // The ValueError of an empty separator.
        return HELPER_FAILED;
    }
    kept(split_on(&text, &separator))
}

extern "C" fn join_list(sep: usize, list: usize) -> i64 {
    let separator = unsafe { borrowed_str(sep) };
    // SAFETY: `list` is a trace `ptr` value (see `runtime::borrowed_list`).
    let items = unsafe { borrowed_list(list) };
    let joined = text::join_items(&separator, &items.borrow());
    // An item that is not a string: the interpreter raises the TypeError.
    joined.map_or(HELPER_FAILED, kept)
}

extern "C" fn replace(s: usize, old: usize, new: usize) -> i64 {
    let (text, old_text, new_text) = unsafe { (borrowed_str(s), borrowed_str(old), borrowed_str(new)) };
    match replaced(&text, &old_text, &new_text) {
        Some(value) => kept(value),
        None => generic_on_strs(Helper::Replace, &[s, old, new], tag::STR),
    }
}

/// `s.upper()` / `s.lower()`: a new string.
pub(crate) fn case(s: usize, upper: bool) -> i64 {
    let text = unsafe { borrowed_str(s) };
    if !text.is_ascii() {
        return generic_on_strs(if upper { Helper::Upper } else { Helper::Lower }, &[s], tag::STR);
    }
    kept(text::ascii_case(&text, upper))
}

extern "C" fn upper(s: usize) -> i64 {
    case(s, true)
}

extern "C" fn lower(s: usize) -> i64 {
    case(s, false)
}

extern "C" fn find(s: usize, needle: usize) -> i64 {
    let (text, wanted) = unsafe { (borrowed_str(s), borrowed_str(needle)) };
    if !text.is_ascii() {
        // A byte offset is not a char index.
        return generic_on_strs(Helper::Find, &[s, needle], tag::INT);
    }
    find_bytes(&text, &wanted).map_or(-1, |at| at as i64)
}

extern "C" fn startswith(s: usize, prefix: usize) -> i64 {
    let (text, prefix) = unsafe { (borrowed_str(s), borrowed_str(prefix)) };
    i64::from(text.as_bytes().starts_with(prefix.as_bytes()))
}

extern "C" fn endswith(s: usize, suffix: usize) -> i64 {
    let (text, suffix) = unsafe { (borrowed_str(s), borrowed_str(suffix)) };
    i64::from(text.as_bytes().ends_with(suffix.as_bytes()))
}

/// `needle in hay`.
extern "C" fn contains(needle: usize, hay: usize) -> i64 {
    let (needle, hay) = unsafe { (borrowed_str(needle), borrowed_str(hay)) };
    i64::from(find_bytes(&hay, &needle).is_some())
}

extern "C" fn not_contains(needle: usize, hay: usize) -> i64 {
    1 - contains(needle, hay)
}

extern "C" fn item(s: usize, index: i64) -> i64 {
    let text = unsafe { borrowed_str(s) };
    if !text.is_ascii() {
        // SAFETY: a `str` and an int, trace values.
        return unsafe { run_on_words(Helper::GetItem, &[(tag::STR, s as u64), (tag::INT, index as u64)], tag::STR) };
    }
    // Outside the string: the IndexError. The char is the table's (shared, nothing to keep).
    let len = text.len() as i64;
    let at = if index < 0 { index + len } else { index };
    if !(0..len).contains(&at) {
        return HELPER_FAILED;
    }
    latin1_char_address(text.as_bytes()[at as usize]) as i64
}

/// A slice bound: operand `index` of a slice's mask is `None`, else the int `word`.
fn bound(word: i64, nones: u32, index: u32) -> Option<i64> {
    (nones & (1 << index) == 0).then_some(word)
}

/// The (tag, payload) pair of a slice bound, for the generic path.
fn bound_words(bound: Option<i64>) -> (u8, u64) {
    bound.map_or((tag::NONE, 0), |n| (tag::INT, n as u64))
}

/// `s[lower:upper:step]`; the mask's bits 1, 2 and 3 say which bounds are `None`.
extern "C" fn str_slice(s: usize, lower: i64, upper: i64, step: i64, nones: u32) -> i64 {
    let text = unsafe { borrowed_str(s) };
    let (lower, upper, step) = (bound(lower, nones, 1), bound(upper, nones, 2), bound(step, nones, 3));
    if text.is_ascii() && matches!(step, None | Some(1)) {
        // A new string, the whole one too, or the shared one-char string (as the
        // interpreter's slice), which lives as long as the thread: nothing to keep.
        let (start, _, count) = slice_range(text.len(), lower, upper, 1);
        if count == text.len() && count > 1 {
            // The whole string: itself, as the interpreter's slice gives (`s[:] is s`); one
            // char is the shared string, below.
            return kept(Value::Str(Str::clone(&text)));
        }
        let piece = &text.as_bytes()[start as usize..start as usize + count];
        return match *piece {
            [byte] => latin1_char_address(byte) as i64,
            // SAFETY: a piece of ASCII text is ASCII.
            _ => kept(Value::Str(Str::from_ascii(unsafe { std::str::from_utf8_unchecked(piece) }))),
        };
    }
    let words = [(tag::STR, s as u64), bound_words(lower), bound_words(upper), bound_words(step)];
    // SAFETY: a `str` and ints or `None`s.
    unsafe { run_on_words(Helper::Slice, &words, tag::STR) }
}

/// `l[lower:upper:step]`, a new list; the mask as for [`str_slice`].
extern "C" fn list_slice(list: usize, lower: i64, upper: i64, step: i64, nones: u32) -> i64 {
    let (lower, upper, step) = (bound(lower, nones, 1), bound(upper, nones, 2), bound(step, nones, 3));
    if step == Some(0) {
        // The ValueError.
        return HELPER_FAILED;
    }
    // SAFETY: a list (a trace `ptr` value).
    let items = unsafe { borrowed_list(list) };
    let items = items.borrow();
    let (start, step, count) = slice_range(items.len(), lower, upper, step.unwrap_or(1));
    kept(Value::list(pick_values(&items, start, step, count)))
}

#[cfg(test)]
mod tests;
