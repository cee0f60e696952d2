//! Building strings without rescanning them: concatenation (and in-place appending to a string
//! nobody else holds), `sep.join(items)`, an int's decimal digits, and the pieces cut out of a
//! string (split, case mapping of ASCII text). Each result's ASCII flag and char count come
//! from its parts, so no result is scanned again after it is built.
//!
//! Touches nothing but the strings it builds; [`append`] changes a string in place only when
//! the handle it is given is the sole reference to it. Strings are written straight into their
//! one block (`str_obj.rs`'s `StrBuilder`), not built in a `String` and copied.

use crate::interp::objects::error::{RtResult, type_error};
use crate::interp::objects::iter::make_iter;
use crate::interp::objects::ops::check_str_size;
use crate::interp::objects::value::{Str, StrBuilder, StrObj, Value};

/// `x + y`: one buffer of the exact size; the ASCII flag and char count come from the operands.
pub fn concat(x: &StrObj, y: &StrObj) -> RtResult<Value> {
    check_str_size(x.len() as u64 + y.len() as u64)?;
    let mut text = StrBuilder::with_capacity(x.len() + y.len());
    text.push_obj(x);
    text.push_obj(y);
    Ok(Value::Str(text.finish()))
}

/// `s = s + y` (and `s += y`), where `left` is the register that receives the result and holds
/// a string. When that register holds the only reference to its string, no one else can see
/// it change, so `y` is appended in place (CPython does the same: building a string piece by
/// piece is then linear, not quadratic). Otherwise `left` gets a new concatenation.
pub fn append(left: &mut Value, right: &StrObj) -> RtResult<()> {
    let Value::Str(s) = left else {
        return Err(type_error(format!("can only concatenate str (not \"{}\") to str", left.type_name())));
    };
    check_str_size(s.len() as u64 + right.len() as u64)?;
    if !s.try_append(right, right.char_count()) {
        let joined = concat(s, right)?;
        *left = joined;
    }
    Ok(())
}

/// The concatenation of string pieces (an f-string's parts; pieces that are not strings are
/// skipped): one buffer of the exact size, counts summed from the pieces.
pub fn concat_all(pieces: &[Value]) -> Value {
    let bytes = pieces.iter().map(|piece| if let Value::Str(s) = piece { s.len() } else { 0 }).sum();
    let mut text = StrBuilder::with_capacity(bytes);
    for piece in pieces {
        if let Value::Str(s) = piece {
            text.push_obj(s);
        }
    }
    Value::Str(text.finish())
}

/// `sep.join(iterable)`. A list's or tuple's items are read where they are; any other iterable
/// is drained into a list first (as CPython does, so a non-string item raises only after the
/// whole iterator is consumed).
pub fn join(sep: &StrObj, iterable: &Value) -> RtResult<Value> {
    match iterable {
        Value::List(items) => join_items(sep, &items.borrow()),
        Value::Tuple(items) => join_items(sep, items),
        other => {
            let mut it = make_iter(other).map_err(|_| type_error("can only join an iterable"))?;
            let mut items = Vec::new();
            while let Some(item) = it.next_value()? {
                items.push(item);
            }
            join_items(sep, &items)
        }
    }
}

pub fn join_items(sep: &StrObj, items: &[Value]) -> RtResult<Value> {
    // `"".join` of chars (a loop appended one-char strings): one pass when the first item is
    // one byte, taken as a sign that all are.
    if sep.is_empty()
        && let [Value::Str(first), _, ..] = items
        && first.len() == 1
        && let Some(joined) = join_one_byte_strs(items)
    {
        return Ok(joined);
    }
    let gaps = items.len().saturating_sub(1);
    let mut bytes = sep.len() as u64 * gaps as u64;
    let mut chars = sep.char_count() * gaps;
    for (i, item) in items.iter().enumerate() {
        match item {
            Value::Str(x) => {
                bytes += x.len() as u64;
                chars += x.char_count();
            }
            other => {
                return Err(type_error(format!(
                    "sequence item {i}: expected str instance, {} found",
                    other.type_name()
                )));
            }
        }
    }
    check_str_size(bytes)?;
    if let [only] = items {
        // A single string joins to itself (the same object, as in CPython).
        return Ok(only.clone());
    }
    let mut text = StrBuilder::with_capacity(bytes as usize);
    let pieces = items.iter().filter_map(|item| if let Value::Str(x) = item { Some(&**x) } else { None });
    // SAFETY: the builder has room for `bytes`, the pieces' and separators' bytes summed
    // above (every item is a string, and none changes while `items` is borrowed), of `chars`
    // chars.
    unsafe { text.push_joined(sep, pieces, chars) };
    Ok(Value::Str(text.finish()))
}

/// `"".join(items)` when every item is a one-byte string (an ASCII char), written in one pass
/// without summing the lengths first; `None`, having made nothing, when one is not.
fn join_one_byte_strs(items: &[Value]) -> Option<Value> {
    let byte = |item: &Value| match item {
        Value::Str(x) => match *x.as_bytes() {
            [byte] => Some(byte),
            _ => None,
        },
        _ => None,
    };
    Str::from_ascii_bytes(items, byte).map(Value::Str)
}

/// Appends the decimal digits of `n` (what `str(n)` and `print(n)` show), without going
/// through `core::fmt`.
pub fn push_int(out: &mut String, n: i64) {
    let mut digits = [0u8; 20];
    if n < 0 {
        out.push('-');
    }
    out.push_str(int_digits(n, &mut digits));
}

/// `str(n)`'s text, written at the end of `buffer` (the sign, then at most 19 digits).
pub fn int_text(n: i64, buffer: &mut [u8; 20]) -> &str {
    let start = buffer.len() - int_digits(n, buffer).len();
    let start = if n < 0 {
        // At most 19 digits: the byte before them is in the buffer.
        buffer[start - 1] = b'-';
        start - 1
    } else {
        start
    };
    // SAFETY: ASCII digits and a sign, written above.
    unsafe { std::str::from_utf8_unchecked(&buffer[start..]) }
}

/// The two digits of each number below 100, `00` to `99`.
const DIGIT_PAIRS: &[u8; 200] = b"\
    0001020304050607080910111213141516171819\
    2021222324252627282930313233343536373839\
    4041424344454647484950515253545556575859\
    6061626364656667686970717273747576777879\
    8081828384858687888990919293949596979899";

/// The decimal digits of `n`'s magnitude, written at the end of `digits` (u64::MAX has 20
/// digits; i64's magnitude has at most 19): two per division (a pair from [`DIGIT_PAIRS`]),
/// half the divisions of one at a time.
fn int_digits(n: i64, digits: &mut [u8; 20]) -> &str {
    let mut start = digits.len();
    let mut rest = n.unsigned_abs();
    while rest >= 100 {
        let pair = (rest % 100) as usize * 2;
        rest /= 100;
        start -= 2;
        digits[start..start + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    }
    if rest >= 10 {
        let pair = rest as usize * 2;
        start -= 2;
        digits[start..start + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    } else {
        start -= 1;
        digits[start] = b'0' + rest as u8;
    }
    // SAFETY: every byte written above is an ASCII digit, so the slice is valid UTF-8.
    unsafe { std::str::from_utf8_unchecked(&digits[start..]) }
}

/// `str(n)` for an int in the i64 range.
pub fn int_str(n: i64) -> Value {
    let mut digits = [0u8; 20];
    let text = int_digits(n, &mut digits);
    let mut out = StrBuilder::with_capacity(text.len() + (n < 0) as usize);
    if n < 0 {
        out.push_ascii("-");
    }
    out.push_ascii(text);
    Value::Str(out.finish())
}

/// A piece of a string whose ASCII flag is known (any piece of ASCII text is ASCII): a
/// piece of one char below U+0100 is the shared one-char string, as CPython's slices, `split`
/// and `strip` give it (`s[1:2] is s[1]`), which makes nothing.
pub fn piece(text: &str, parent_is_ascii: bool) -> Value {
    if parent_is_ascii {
        return ascii_piece(text);
    }
    let mut chars = text.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if (c as u32) < 256 => Value::char(c),
        _ => Value::str(text),
    }
}

/// A piece of ASCII text: the shared one-char string for one char (see [`piece`]), else a
/// new string.
#[inline]
pub fn ascii_piece(text: &str) -> Value {
    match *text.as_bytes() {
        [byte] => Value::char(char::from(byte)),
        _ => Value::Str(Str::from_ascii(text)),
    }
}

/// `text.upper()` / `text.lower()` for ASCII text: byte-wise, the result is ASCII too. The
/// text is mapped as it is copied into its new block (one allocation, one pass).
pub fn ascii_case(text: &str, upper: bool) -> Value {
    Value::Str(Str::from_ascii_case_mapped(text, upper))
}

/// Python's whitespace among the ASCII chars (`is_space` restricted to them): `\t`..`\r`,
/// `\x1c`..`\x1f` and the space.
pub fn is_ascii_space(byte: u8) -> bool {
    matches!(byte, b'\t'..=b'\r' | 0x1c..=0x1f | b' ')
}

/// `text.split()` (no separator) for ASCII text, at most `maxsplit` splits when it is not
/// negative: runs of Python whitespace (which includes `\x1c`..`\x1f`) separate the words.
/// A word's end is found eight bytes at a time ([`ascii_word_end`]) and each word is one
/// block made and copied at once ([`ascii_piece`]; a one-char word is the shared string).
pub fn split_ascii_whitespace(text: &str, maxsplit: i64) -> Vec<Value> {
    debug_assert!(text.is_ascii(), "{text:?} is not ASCII");
    let bytes = text.as_bytes();
    // Room for the words of a short line at once (a word and its separator take two bytes).
    let mut out = Vec::with_capacity((bytes.len() / 2 + 1).min(8));
    let mut i = 0;
    loop {
        while i < bytes.len() && is_ascii_space(bytes[i]) {
            i += 1;
        }
        if i == bytes.len() {
            return out;
        }
        let start = i;
        // Past `maxsplit` words, the rest is the last, trailing whitespace included (as
        // CPython does); the loop then ends.
        let last = maxsplit >= 0 && out.len() as i64 >= maxsplit;
        i = if last { bytes.len() } else { ascii_word_end(bytes, i) };
        // SAFETY: every offset of ASCII text is a char boundary, and `start <= i <= len`.
        let word = unsafe { text.get_unchecked(start..i) };
        crate::interp::objects::list_growth::push_by_words(&mut out, ascii_piece(word));
    }
}

/// The offset of the first whitespace byte of the ASCII text `bytes` from `i` on (its length
/// when there is none): eight bytes at a time, a word's high bits marking its bytes below
/// `!` (the whitespace, and the other control chars, checked one by one). Fewer than eight
/// bytes before the end are tested as the last eight, those before `i` masked off.
fn ascii_word_end(bytes: &[u8], mut i: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let len = bytes.len();
    if len < 8 {
        while i < len && !is_ascii_space(bytes[i]) {
            i += 1;
        }
        return i;
    }
    while i < len {
        // The eight bytes from `i`, or the last eight, of which the first `skip` are before it.
        let base = i.min(len - 8);
        let skip = i - base;
        let word = u64::from_le_bytes(bytes[base..base + 8].try_into().unwrap_or([0; 8]));
        // High bits of the bytes below 0x21 (ASCII text has no high bits of its own): exact
        // up to the first such byte, as a borrow only moves upwards; a byte above one may
        // be marked too, and is checked below like any other.
        let below = word.wrapping_sub(ONES * 0x21) & !word & HIGHS & (u64::MAX << (skip * 8));
        if below == 0 {
            i = base + 8;
            continue;
        }
        let at = base + below.trailing_zeros() as usize / 8;
        if is_ascii_space(bytes[at]) {
            return at;
        }
        i = at + 1;
    }
    len
}

#[cfg(test)]
mod tests;
