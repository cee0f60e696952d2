//! Searching strings and cutting them at what is found, for the interpreter's `str` methods
//! and the helpers traces call (`jit/runtime_str_fast.rs`, `runtime_str_methods.rs`):
//! `find` / `in` ([`find_bytes`]), `s.split(sep)` ([`split_on`]) and `s.replace(old, new)`
//! ([`replaced`]). Short texts are scanned eight bytes at a time for a needle's first byte;
//! a split or a replace finds its matches first, so its result is made at its size. Touches
//! nothing but the values it builds.

use crate::interp::objects::list_growth::push_by_words;
use crate::interp::objects::ops::check_str_size;
use crate::interp::objects::text;
use crate::interp::objects::value::{Str, StrBuilder, StrObj, Value};

/// `s.replace(old, new)` with a non-empty `old` (the empty one inserts between chars: the
/// generic path); a result past the size cap is the generic path's MemoryError. The matches
/// are found first ([`matches_into`]), so the result is made at its size and written in one
/// pass, its char count worked out from the operands'. No match, or `old` equal to `new`: `s`
/// itself, as CPython gives (`s.replace("x", "y") is s`).
pub fn replaced(s: &Str, old: &StrObj, new: &StrObj) -> Option<Value> {
    if old.as_str() == new.as_str() {
        return Some(Value::Str(s.clone()));
    }
    if old.is_empty() {
        return None;
    }
    let mut offsets = [0u32; FEW];
    let Some(count) = matches_into(s, old, &mut offsets) else {
        return replaced_many(s, old, new);
    };
    if count == 0 {
        return Some(Value::Str(s.clone()));
    }
    // Matches do not overlap: `count` of them fit in `s`.
    let bytes = (s.len() - count * old.len()) as u64 + count as u64 * new.len() as u64;
    check_str_size(bytes).ok()?;
    let chars = s.char_count() - count * old.char_count() + count * new.char_count();
    let mut result = StrBuilder::with_capacity(bytes as usize);
    // SAFETY: the offsets are `old`'s matches, in order and not overlapping, each at char
    // boundaries (a whole UTF-8 text never matches inside a char); the builder has room for
    // the `bytes` worked out above, of `chars` chars.
    unsafe { result.push_replaced(s, &offsets[..count], old.len(), new, chars) };
    Some(Value::Str(result.finish()))
}

/// [`replaced`] of more matches than its buffer holds: built in a block grown as it goes.
fn replaced_many(s: &StrObj, old: &StrObj, new: &StrObj) -> Option<Value> {
    if new.len() > old.len() {
        let growth = ((new.len() - old.len()) as u64).saturating_mul(matches(s, old).count() as u64);
        check_str_size(s.len() as u64 + growth).ok()?;
    }
    // Built in its block (grown if the text grows); the char count is summed from the parts'.
    let mut result = StrBuilder::with_capacity(s.len());
    let ascii = s.is_ascii();
    let mut rest = 0;
    for at in matches(s, old) {
        let kept = &s[rest..at];
        result.push_counted(kept, if ascii { kept.len() } else { kept.chars().count() });
        result.push_obj(new);
        rest = at + old.len();
    }
    let kept = &s[rest..];
    result.push_counted(kept, if ascii { kept.len() } else { kept.chars().count() });
    Some(Value::Str(result.finish()))
}

/// How many matches a split or a replace finds into a buffer on the stack before it makes
/// its result at its size; more take a path that grows the result as it goes.
const FEW: usize = 32;

/// The byte offsets of the non-overlapping matches of the non-empty `needle` in `hay`, left to
/// right, written to `offsets`: how many, or `None` when there are more than it holds.
fn matches_into(hay: &str, needle: &str, offsets: &mut [u32; FEW]) -> Option<usize> {
    let mut count = 0;
    for at in matches(hay, needle) {
        // A string's length is a `u32`.
        *offsets.get_mut(count)? = at as u32;
        count += 1;
    }
    Some(count)
}

/// The byte offset of the first `needle` in `hay`. Both are UTF-8, which never matches inside
/// a char, so this is `str::find`'s answer.
pub fn find_bytes(hay: &str, needle: &str) -> Option<usize> {
    find_from(hay, needle, 0)
}

/// The byte offset of the first `needle` in `hay` at or after `from`, a char boundary. For the
/// short texts of a loop a scan for the needle's first byte ([`find_byte`]), each candidate
/// compared in place, is cheaper than setting up `str::find`'s two-way search, which longer
/// ones still use.
fn find_from(hay: &str, needle: &str, from: usize) -> Option<usize> {
    /// Up to this many bytes of `hay`, the scan.
    const SHORT: usize = 256;
    let (bytes, wanted) = (hay.as_bytes(), needle.as_bytes());
    match *wanted {
        [] => (from <= bytes.len()).then_some(from),
        [byte] if bytes.len() <= SHORT => Some(from + find_byte(bytes.get(from..)?, byte)?),
        [first, ref rest @ ..] if bytes.len() <= SHORT => {
            let last_start = bytes.len().checked_sub(wanted.len())?;
            let mut from = from;
            while from <= last_start {
                let at = from + find_byte(&bytes[from..=last_start], first)?;
                if bytes[at + 1..at + wanted.len()].iter().zip(rest).all(|(a, b)| a == b) {
                    return Some(at);
                }
                from = at + 1;
            }
            None
        }
        _ => Some(from + hay.get(from..)?.find(needle)?),
    }
}

/// The offset of the first `byte` in `bytes`: eight bytes at a time (a word has a zero byte
/// where it equals the byte repeated), a tail of fewer as the last eight; a text under eight
/// bytes byte by byte. Not the `memchr` crate (already in
/// the build through `lalrpop-util`): on the short texts of a loop its per-call dispatch cost
/// bench/strings.toy 1.4% more instructions (5,935M -> 6,020M, session 16).
fn find_byte(bytes: &[u8], byte: u8) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // Nonzero exactly when some byte of `word` is zero; its lowest set bit marks the first (one
    // operation fewer than `count_byte`'s exact test, whose bits above the first zero byte this
    // one may get wrong).
    let zero_bytes = |word: u64| word.wrapping_sub(ONES) & !word & HIGHS;
    let len = bytes.len();
    if len < 8 {
        return bytes.iter().position(|&b| b == byte);
    }
    let mut at = 0;
    while let Some(chunk) = bytes.get(at..at + 8) {
        let found = zero_bytes(zero_where_equal(chunk, byte));
        if found != 0 {
            return Some(at + found.trailing_zeros() as usize / 8);
        }
        at += 8;
    }
    if at == len {
        return None;
    }
    // The last eight bytes, those before `at` (searched already: none is `byte`, so none
    // borrows) masked off.
    let base = len - 8;
    let found = zero_bytes(zero_where_equal(&bytes[base..], byte)) & (u64::MAX << ((at - base) * 8));
    (found != 0).then(|| base + found.trailing_zeros() as usize / 8)
}

/// How many bytes of `bytes` are `byte`: eight at a time (the compiler's vectorized count
/// works on four bytes per step with a long setup, four times the instructions on a short
/// line), the rest one by one.
fn count_byte(bytes: &[u8], byte: u8) -> usize {
    const LOWS: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let mut chunks = bytes.chunks_exact(8);
    let mut count = 0;
    for chunk in &mut chunks {
        let word = zero_where_equal(chunk, byte);
        // A byte's high bit ends up set exactly when the byte is zero: adding 0x7f to its low
        // seven bits sets the high bit unless they are all zero, and no carry leaves the byte.
        let nonzero = ((word & LOWS) + LOWS) | word;
        count += (!nonzero & !LOWS).count_ones() as usize;
    }
    count + chunks.remainder().iter().filter(|&&b| b == byte).count()
}

/// The eight-byte `chunk` as a word whose bytes are zero exactly where `chunk`'s equal `byte`.
#[inline(always)]
fn zero_where_equal(chunk: &[u8], byte: u8) -> u64 {
    u64::from_le_bytes(chunk.try_into().unwrap_or_default()) ^ (0x0101_0101_0101_0101 * u64::from(byte))
}

/// The byte offsets of the non-overlapping matches of the non-empty `needle` in `hay`, left to
/// right (as `str::match_indices`).
fn matches<'a>(hay: &'a str, needle: &'a str) -> impl Iterator<Item = usize> + 'a {
    let mut from = 0;
    std::iter::from_fn(move || {
        let at = find_from(hay, needle, from)?;
        from = at + needle.len().max(1);
        Some(at)
    })
}

/// `s.split(sep)` with a non-empty separator: every piece, as a new list made at its size
/// (the separators found first, [`matches_into`]; when there are many, [`split_on_many`]).
/// No separator in `s`: a list of `s` itself, as CPython's (`s.split("x")[0] is s`).
pub fn split_on(s: &Str, sep: &str) -> Value {
    let mut offsets = [0u32; FEW];
    let Some(count) = matches_into(s, sep, &mut offsets) else {
        return split_on_many(s, sep);
    };
    if count == 0 {
        return Value::list(vec![Value::Str(s.clone())]);
    }
    let offsets = &offsets[..count];
    Value::list(if s.is_ascii() {
        cut_at(s, offsets, sep.len(), text::ascii_piece)
    } else {
        cut_at(s, offsets, sep.len(), |p| text::piece(p, false))
    })
}

/// The pieces of `s` around the `cut` bytes at each of `offsets` (a separator's matches), made
/// by `piece`.
fn cut_at(s: &str, offsets: &[u32], cut: usize, piece: impl Fn(&str) -> Value) -> Vec<Value> {
    let mut pieces = Vec::with_capacity(offsets.len() + 1);
    let mut rest = 0;
    for &at in offsets {
        // SAFETY: a match of a whole UTF-8 separator starts and ends at char boundaries, after
        // the previous one.
        push_by_words(&mut pieces, piece(unsafe { s.get_unchecked(rest..at as usize) }));
        rest = at as usize + cut;
    }
    // SAFETY: as above; the last match ends inside `s`.
    push_by_words(&mut pieces, piece(unsafe { s.get_unchecked(rest..) }));
    pieces
}

/// [`split_on`] of more separators than its buffer holds.
fn split_on_many(s: &StrObj, sep: &str) -> Value {
    let ascii = s.is_ascii();
    let piece = |p: &str| text::piece(p, ascii);
    if let &[byte] = sep.as_bytes() {
        return Value::list(split_on_byte(s, byte, piece));
    }
    let mut pieces = Vec::new();
    let mut rest = 0;
    for at in matches(s, sep) {
        push_by_words(&mut pieces, piece(&s[rest..at]));
        rest = at + sep.len();
    }
    push_by_words(&mut pieces, piece(&s[rest..]));
    Value::list(pieces)
}

/// The pieces of `s` between the occurrences of `byte`, an ASCII char (a one-byte UTF-8
/// string is one), made by `piece`: the separators counted first ([`count_byte`]) so that the
/// list is made at its size, then found eight bytes at a time ([`find_byte`]). An ASCII byte
/// never occurs inside a multi-byte char, so every cut is at a char boundary.
fn split_on_byte(s: &str, byte: u8, piece: impl Fn(&str) -> Value) -> Vec<Value> {
    let bytes = s.as_bytes();
    let separators = count_byte(bytes, byte);
    let mut pieces = Vec::with_capacity(separators + 1);
    let mut rest = 0;
    while let Some(found) = find_byte(&bytes[rest..], byte) {
        let at = rest + found;
        push_by_words(&mut pieces, piece(&s[rest..at]));
        rest = at + 1;
    }
    push_by_words(&mut pieces, piece(&s[rest..]));
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_byte_count_counts_every_byte_value_at_every_length() {
        for len in 0..40usize {
            // Every byte value, the wanted one at some places, and its neighbours.
            for wanted in [0u8, 1, b'/', 0x7f, 0x80, 0xfe, 0xff] {
                let text: Vec<u8> = (0..len)
                    .map(|i| match i % 5 {
                        0 | 3 => wanted,
                        1 => wanted.wrapping_add(1),
                        2 => wanted.wrapping_sub(1),
                        _ => (i * 37) as u8,
                    })
                    .collect();
                let want = text.iter().filter(|&&b| b == wanted).count();
                assert_eq!(count_byte(&text, wanted), want, "{wanted} in {text:?}");
            }
        }
    }

    #[test]
    fn the_byte_search_finds_what_str_find_finds_at_every_length_and_place() {
        for len in 0..40 {
            for place in 0..=len {
                // `x` at `place` (none when it is `len`), another `x` after it, and a byte
                // whose borrow could fool a word test (`y` = `x` + 1) everywhere else.
                let mut text = vec![b'y'; len];
                if place < len {
                    text[place] = b'x';
                    if place + 3 < len {
                        text[place + 3] = b'x';
                    }
                }
                let text = String::from_utf8(text).expect("ASCII");
                assert_eq!(find_bytes(&text, "x"), text.find('x'), "{text:?}");
                assert_eq!(find_bytes(&text, "xy"), text.find("xy"), "{text:?}");
            }
        }
    }

    #[test]
    fn the_byte_search_finds_what_str_find_finds() {
        let long = "ab".repeat(200) + "abc";
        let texts = ["", "a", "aaa", "abcabc", "é-é", "日本語本", "x.html.html", long.as_str()];
        let needles = ["", "a", "aa", "bc", "é", "本", ".html", "abc", "zz"];
        for hay in texts {
            for needle in needles {
                assert_eq!(find_bytes(hay, needle), hay.find(needle), "{needle:?} in {hay:?}");
                if !needle.is_empty() {
                    let ours: Vec<usize> = matches(hay, needle).collect();
                    let std: Vec<usize> = hay.match_indices(needle).map(|(at, _)| at).collect();
                    assert_eq!(ours, std, "{needle:?} in {hay:?}");
                }
            }
        }
    }
}
