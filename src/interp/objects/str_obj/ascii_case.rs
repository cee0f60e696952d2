//! Mapping the letters of ASCII text to upper or lower case eight bytes at a time (`.upper()`
//! and `.lower()` of ASCII strings): a word's letters are found by two additions whose high
//! bits say which bytes lie in the letter range, and flipped by one XOR of their `0x20` bit.
//! Touches only the bytes it is given.

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The eight ASCII bytes of `word` with the letters mapped: lower-case ones to upper case when
/// `upper`, else upper-case ones to lower case.
#[inline(always)]
fn map_word(word: u64, upper: bool) -> u64 {
    let (first, last) = if upper { (b'a', b'z') } else { (b'A', b'Z') };
    // No byte has its high bit (ASCII) and the sums stay below 0x100, so no carry crosses a
    // byte: a high bit is set exactly where the byte is at least `first` (resp. above `last`).
    let from_first = word + ONES * u64::from(0x80 - first);
    let past_last = word + ONES * u64::from(0x7f - last);
    let letters = from_first & !past_last & HIGHS;
    // 0x80 >> 2 is 0x20, the bit between a letter's two cases.
    word ^ (letters >> 2)
}

/// Writes the `len` ASCII bytes at `src`, their letters mapped (see [`map_word`]), to `dst`,
/// which may be `src` itself (mapping in place) but must not otherwise overlap it. Eight
/// bytes at a time; a tail of fewer is mapped as the last eight (mapping a mapped byte again
/// changes nothing), a text under eight bytes byte by byte.
///
/// # Safety
/// `src` is readable and `dst` writable for `len` bytes, of ASCII text; `dst` is `src` or
/// does not overlap it.
#[inline]
pub(crate) unsafe fn map_ascii_case(src: *const u8, dst: *mut u8, len: usize, upper: bool) {
    // SAFETY: every access is inside the first `len` bytes of `src` or `dst` (the caller's
    // promise); in place, each word is read before it is written.
    unsafe {
        if len < 8 {
            for i in 0..len {
                let byte = *src.add(i);
                *dst.add(i) = if upper { byte.to_ascii_uppercase() } else { byte.to_ascii_lowercase() };
            }
            return;
        }
        let mut i = 0;
        while i + 8 <= len {
            let word = (src.add(i) as *const u64).read_unaligned();
            (dst.add(i) as *mut u64).write_unaligned(map_word(word, upper));
            i += 8;
        }
        if i < len {
            let word = (src.add(len - 8) as *const u64).read_unaligned();
            (dst.add(len - 8) as *mut u64).write_unaligned(map_word(word, upper));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::map_ascii_case;

    #[test]
    fn every_ascii_byte_at_every_length_maps_as_the_standard_library_does() {
        let text: Vec<u8> = (0..=127u8).chain(0..=127u8).rev().collect();
        for len in 0..40 {
            for start in [0, 1, 60, 89, 120, 200] {
                let source = &text[start..start + len];
                for upper in [false, true] {
                    let mut copied = vec![0u8; len];
                    let mut in_place = source.to_vec();
                    // SAFETY: both buffers hold `len` ASCII bytes; the second maps in place.
                    unsafe {
                        map_ascii_case(source.as_ptr(), copied.as_mut_ptr(), len, upper);
                        map_ascii_case(in_place.as_ptr(), in_place.as_mut_ptr(), len, upper);
                    }
                    let want: Vec<u8> = if upper { source.to_ascii_uppercase() } else { source.to_ascii_lowercase() };
                    assert_eq!((&copied, &in_place), (&want, &want), "{source:?} upper={upper}");
                }
            }
        }
    }
}
