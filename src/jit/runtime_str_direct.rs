//! Direct entry points for the string helpers traces call most (`lower_str_direct.rs` picks
//! them when the trace knows its operands' types): `a + b` of two strings (a new string, or
//! appended in place), `str(n)` of an int, `int(s)` of a string, and the comparisons of two
//! strings. Each takes its operands as payload words and returns the result word, so it skips
//! what `runtime_strings::call_helper` does for any helper: storing (tag, payload) pairs,
//! decoding the helper's number, matching the argument types, checking the result's type.
//!
//! The contract is the helpers' (see `runtime_strings.rs`): a heap result is kept in the
//! garbage, the trace's reference; [`HELPER_FAILED`] where the interpreter would raise (or the
//! result is not of the trace's type), and the trace exits for the interpreter to redo the
//! operation and raise exactly what CPython raises. Touches nothing but the values it builds.

use crate::interp::engine::native::native_context;
use crate::interp::objects::builtins::{int_from_str, plain_decimal};
use crate::interp::objects::ops::check_str_size;
use crate::interp::objects::text;
use crate::interp::objects::value::{Str, StrBuilder, Value};
use crate::jit::ir::helpers::Helper;
use crate::jit::runtime_strings::{HELPER_FAILED, borrowed_str};

/// `x + y` of two strings, a new string (with room for `room` more bytes).
pub const STR_CONCAT: &str = "toyjit_str_concat";
/// `x + y` where the trace reads `x` nowhere after: appended in place when it can be.
pub const STR_APPEND: &str = "toyjit_str_append";
/// `x + y` where `x` is what an earlier `+` of the same iteration made and nothing else reads:
/// appended where it lies when it fits its block, else as [`STR_APPEND`].
pub const STR_APPEND_FRESH: &str = "toyjit_str_append_fresh";
/// `x + str(n)` where nothing else reads `str(n)`: its digits written into the result.
pub const STR_PLUS_INT: &str = "toyjit_str_plus_int";
/// `s.upper()` / `s.lower()` where the trace reads `s` nowhere after: mapped in place when
/// the trace made it and nothing else holds it.
pub const STR_CASE_IN_PLACE: &str = "toyjit_str_case_in_place";
/// `str(n)` of an int.
pub const STR_OF_INT: &str = "toyjit_str_of_int";
/// `int(s)` of a string.
pub const INT_OF_STR: &str = "toyjit_int_of_str";
/// `x < y` and the other comparisons of two strings, by helper number: 0 or 1, never failing.
pub const STR_COMPARE: &str = "toyjit_str_compare";

/// The functions and their symbols, for `JITBuilder::symbol`, with those of the methods
/// (`runtime_str_methods.rs`).
pub fn symbols() -> impl Iterator<Item = (&'static str, *const u8)> {
    [
        (STR_CONCAT, str_concat as *const u8),
        (STR_APPEND, str_append as *const u8),
        (STR_APPEND_FRESH, str_append_fresh as *const u8),
        (STR_PLUS_INT, str_plus_int as *const u8),
        (STR_CASE_IN_PLACE, str_case_in_place as *const u8),
        (STR_OF_INT, str_of_int as *const u8),
        (INT_OF_STR, int_of_str as *const u8),
        (STR_COMPARE, str_compare as *const u8),
    ]
    .into_iter()
    .chain(super::runtime_str_methods::symbols())
}

/// Puts `text` into the garbage (the trace's reference) and returns its address.
fn kept(text: Str) -> i64 {
    let address = text.addr() as i64;
    native_context::keep_until_dropped(Value::Str(text));
    address
}

/// `x + y`, a new string of their size plus `room` bytes: a chain `a + b + c + ...` whose
/// first `+` knows roughly how much the next ones add (`lower_str_direct.rs`) appends them in
/// place without growing the block.
extern "C" fn str_concat(x: usize, y: usize, room: u32) -> i64 {
    // SAFETY: `y` is a trace `str` value, alive (see `runtime_strings.rs`).
    let piece = unsafe { borrowed_str(y) };
    concat_piece(x, piece.as_str(), piece.char_count(), room)
}

/// `x + piece` (of `chars` chars) as a new string, with room for `room` more bytes.
fn concat_piece(x: usize, piece: &str, chars: usize, room: u32) -> i64 {
    // SAFETY: `x` is a trace `str` value, alive (see `runtime_strings.rs`).
    let x = unsafe { borrowed_str(x) };
    let bytes = x.len() as u64 + piece.len() as u64;
    if check_str_size(bytes).is_err() {
        return HELPER_FAILED;
    }
    let mut out = StrBuilder::with_capacity(bytes as usize + room as usize);
    out.push_obj(&x);
    out.push_counted(piece, chars);
    kept(out.finish())
}

/// `x + y` where the trace reads the string at `x` nowhere after (`lower_str_append.rs`): when
/// the trace made it (it is recent garbage) and nothing else holds it, `y` is appended in
/// place and the string goes back into the garbage; otherwise a new string, as `+`.
extern "C" fn str_append(x: usize, y: usize, room: u32) -> i64 {
    if x == y {
        return str_concat(x, y, room);
    }
    // SAFETY: as in `str_concat`.
    let piece = unsafe { borrowed_str(y) };
    append_piece(x, piece.as_str(), piece.char_count(), room)
}

/// [`str_append`] of a piece that is not the string at `x` itself.
fn append_piece(x: usize, piece: &str, chars: usize, room: u32) -> i64 {
    // The string may move (its block grows): its new address, or `None` past the size cap,
    // changing nothing (the interpreter raises).
    let appended = native_context::change_recent_garbage_str(x, |owned| {
        check_str_size(owned.len() as u64 + piece.len() as u64).ok()?;
        owned.try_append_with_room(piece, chars, room as usize).then(|| owned.addr())
    });
    match appended {
        Some(result) => result.map_or(HELPER_FAILED, |address| address as i64),
        None => concat_piece(x, piece, chars, room),
    }
}

/// `x + y` where the trace made `x` by an earlier `+` of this iteration and reads it nowhere
/// else (`lower_str_direct.rs`): the garbage holds its only reference, so `y` is appended
/// where the string lies when it fits the room its block has, without looking the string up
/// in the garbage (the block does not move, so the garbage's handle stays valid); otherwise as
/// [`str_append`] (which grows the block and updates the garbage).
extern "C" fn str_append_fresh(x: usize, y: usize, room: u32) -> i64 {
    if x == y {
        return str_append(x, y, room);
    }
    // SAFETY: as in `str_concat`.
    let piece = unsafe { borrowed_str(y) };
    append_fresh_piece(x, piece.as_str(), piece.char_count(), room)
}

/// [`str_append_fresh`] of a piece that is not the string at `x` itself.
fn append_fresh_piece(x: usize, piece: &str, chars: usize, room: u32) -> i64 {
    // SAFETY: `x` is a trace `str` value whose one handle is the garbage's, which nothing uses
    // while this runs, and the block does not move.
    let mut owned = unsafe { borrowed_str(x) };
    if owned.try_append_in_place(piece, chars) {
        return x as i64;
    }
    append_piece(x, piece, chars, room)
}

/// `x + str(n)` where nothing else reads `str(n)` (`lower_str_direct.rs`): its digits are
/// written into the result, with no string of their own. `how` says which `+` this is:
/// [`PLUS_NEW`] (as [`str_concat`]), [`PLUS_APPEND`] (as [`str_append`]) or
/// [`PLUS_APPEND_FRESH`] (as [`str_append_fresh`]). Fails, changing nothing, where that `+`
/// would (past the size cap).
extern "C" fn str_plus_int(x: usize, n: i64, room: u32, how: u32) -> i64 {
    let mut buffer = [0u8; 20];
    let digits = text::int_text(n, &mut buffer);
    match how {
        PLUS_APPEND => append_piece(x, digits, digits.len(), room),
        PLUS_APPEND_FRESH => append_fresh_piece(x, digits, digits.len(), room),
        _ => concat_piece(x, digits, digits.len(), room),
    }
}

/// [`STR_PLUS_INT`]'s last argument: a new string.
pub const PLUS_NEW: u32 = 0;
/// [`STR_PLUS_INT`]'s last argument: an append in place when it can be.
pub const PLUS_APPEND: u32 = 1;
/// [`STR_PLUS_INT`]'s last argument: an append to what an earlier `+` of the iteration made.
pub const PLUS_APPEND_FRESH: u32 = 2;

/// `s.upper()` (`upper` 1) or `s.lower()` (0) where the trace reads the string at `s`
/// nowhere after (`lower_str_direct.rs`): when the trace made it (it is recent garbage),
/// nothing else holds it and it is ASCII, its letters are mapped where it lies and it is the
/// result (the block does not move); otherwise the method as usual (a new string).
extern "C" fn str_case_in_place(s: usize, upper: u32) -> i64 {
    let upper = upper != 0;
    if native_context::change_recent_garbage_str(s, |owned| owned.try_map_ascii_case(upper)) == Some(true) {
        return s as i64;
    }
    super::runtime_str_methods::case(s, upper)
}

extern "C" fn str_of_int(n: i64) -> i64 {
    match text::int_str(n) {
        Value::Str(s) => kept(s),
        _ => HELPER_FAILED,
    }
}

/// `int(s)`: an int that fits in 64 bits (and is not [`HELPER_FAILED`]'s bits), else the
/// interpreter's (a big int, or the ValueError). Plain digits after an optional sign, at most
/// 18 of them (never `HELPER_FAILED`'s bits), are read straight into the result word.
extern "C" fn int_of_str(s: usize) -> i64 {
    // SAFETY: `s` is a trace `str` value, alive.
    let s = unsafe { borrowed_str(s) };
    if let Some(n) = plain_decimal(s.as_str()) {
        return n;
    }
    match int_from_str(&s, 10) {
        Ok(Value::Int(n)) => n,
        _ => HELPER_FAILED,
    }
}

/// Compares by code point, which is UTF-8's byte order; a string equals itself.
extern "C" fn str_compare(helper: u32, x: usize, y: usize) -> i64 {
    let helper = Helper::numbered(helper);
    if x == y {
        return i64::from(matches!(helper, Some(Helper::Eq | Helper::Le | Helper::Ge)));
    }
    // SAFETY: `x` and `y` are trace `str` values, alive.
    let (x, y) = unsafe { (borrowed_str(x), borrowed_str(y)) };
    let result = match helper {
        Some(Helper::Eq) => x.as_bytes() == y.as_bytes(),
        Some(Helper::Ne) => x.as_bytes() != y.as_bytes(),
        Some(Helper::Lt) => x.as_bytes() < y.as_bytes(),
        Some(Helper::Le) => x.as_bytes() <= y.as_bytes(),
        Some(Helper::Gt) => x.as_bytes() > y.as_bytes(),
        _ => x.as_bytes() >= y.as_bytes(),
    };
    i64::from(result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jit::runtime_strings::run_helper;

    fn text_at(word: i64) -> String {
        // SAFETY: a result word of a direct helper: a string the garbage keeps.
        unsafe { borrowed_str(word as usize) }.as_str().to_string()
    }

    #[test]
    fn concat_and_append_agree_with_plus_and_keep_their_result() {
        let (a, b) = (Str::new("ab"), Str::new("é!"));
        let word = str_concat(a.addr(), b.addr(), 16);
        assert_eq!(text_at(word), "abé!");
        // The new string is the garbage's: appending to it works in place.
        let appended = str_append(word as usize, a.addr(), 0);
        assert_eq!(appended, word, "appended in place, room kept");
        assert_eq!(text_at(appended), "abé!ab");
        // SAFETY: the garbage keeps it.
        assert_eq!(unsafe { borrowed_str(appended as usize) }.char_count(), 6);
        // A string the garbage does not own (ours) gets a new string; it is unchanged.
        let copy = str_append(a.addr(), b.addr(), 0);
        assert_ne!(copy, a.addr() as i64);
        assert_eq!((a.as_str(), text_at(copy).as_str()), ("ab", "abé!"));
        // `s + s`, the same string on both sides.
        let twice = str_append(copy as usize, copy as usize, 0);
        assert_eq!(text_at(twice), "abé!abé!");
        native_context::drop_garbage();
        assert_eq!((a.refcount(), b.refcount()), (1, 1));
    }

    #[test]
    fn an_append_reaches_past_newer_garbage() {
        let (x, y) = (Str::new("x"), Str::new("y"));
        // Room for what follows: the block does not move.
        let word = str_concat(x.addr(), y.addr(), 8);
        let newer = str_of_int(-12);
        assert_eq!(str_append(word as usize, newer as usize, 0), word, "in place, below the newer");
        assert_eq!(text_at(word), "xy-12");
        native_context::drop_garbage();
    }

    #[test]
    fn digits_are_written_as_str_would_make_them() {
        let x = Str::new("é=");
        for n in [0, -7, 42, i64::MAX, i64::MIN] {
            let word = str_plus_int(x.addr(), n, 4, PLUS_NEW);
            assert_eq!(text_at(word), format!("é={n}"));
            // SAFETY: the garbage keeps it.
            assert_eq!(unsafe { borrowed_str(word as usize) }.char_count(), 2 + n.to_string().len());
            let fresh = str_plus_int(word as usize, n, 0, PLUS_APPEND_FRESH);
            assert_eq!(text_at(fresh), format!("é={n}{n}"));
            let appended = str_plus_int(fresh as usize, -1, 0, PLUS_APPEND);
            assert_eq!(text_at(appended), format!("é={n}{n}-1"));
        }
        // A string the garbage does not own is not changed.
        let copy = str_plus_int(x.addr(), 5, 0, PLUS_APPEND);
        assert_eq!((x.as_str(), text_at(copy).as_str()), ("é=", "é=5"));
        native_context::drop_garbage();
        assert_eq!(x.refcount(), 1);
    }

    #[test]
    fn numbers_and_comparisons_agree_with_the_interpreter() {
        for n in [0, -7, i64::MAX, i64::MIN] {
            assert_eq!(text_at(str_of_int(n)), n.to_string());
        }
        for (s, want) in
            [("  -0042 ", -42), ("1_000", 1000), ("x", HELPER_FAILED), ("99999999999999999999", HELPER_FAILED)]
                .into_iter()
                .chain([
                    ("-0", 0),
                    ("+7", 7),
                    ("007", 7),
                    ("-", HELPER_FAILED),
                    ("", HELPER_FAILED),
                    ("1-2", HELPER_FAILED),
                ])
                .chain([("999999999999999999", 999_999_999_999_999_999), ("-9223372036854775807", -i64::MAX)])
                .chain([("-9223372036854775808", HELPER_FAILED), ("٣", 3), ("1 ", 1)])
        {
            assert_eq!(int_of_str(Str::new(s).addr()), want, "int({s:?})");
        }
        let words = ["", "a", "ab", "b", "é", "z"];
        for helper in [Helper::Eq, Helper::Ne, Helper::Lt, Helper::Le, Helper::Gt, Helper::Ge] {
            for x in words {
                for y in words {
                    let (sx, sy) = (Str::new(x), Str::new(y));
                    let generic = run_helper(helper, &[Value::Str(sx.clone()), Value::Str(sy.clone())]).unwrap();
                    let direct = str_compare(helper.number(), sx.addr(), sy.addr());
                    assert_eq!(
                        format!("{generic:?}"),
                        format!("{:?}", Value::Bool(direct == 1)),
                        "{x:?} {helper:?} {y:?}"
                    );
                }
                let same = Str::new(x);
                let generic = run_helper(helper, &[Value::Str(same.clone()), Value::Str(same.clone())]).unwrap();
                let direct = str_compare(helper.number(), same.addr(), same.addr());
                assert_eq!(format!("{generic:?}"), format!("{:?}", Value::Bool(direct == 1)));
            }
        }
        native_context::drop_garbage();
    }
}
