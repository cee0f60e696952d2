//! Unit tests of the string block: the documented layout, counts, sharing, in-place appending
//! and growth, and the builder. They exercise every `unsafe` block of `str_obj.rs`.

use super::*;

#[test]
fn layout_is_header_then_bytes() {
    assert_eq!(Str::REFCOUNT_OFFSET, 0);
    assert_eq!(Str::HASH_OFFSET, 4);
    assert_eq!(Str::LEN_OFFSET, 8);
    assert_eq!(Str::CHAR_COUNT_OFFSET, 12);
    assert_eq!(Str::CAPACITY_OFFSET, 16);
    assert_eq!(Str::BYTES_OFFSET, 20);
    assert_eq!(std::mem::size_of::<Str>(), 8);
    let s = Str::new("héllo");
    // SAFETY: reading the documented header fields and bytes of a live string.
    unsafe {
        let base = s.addr() as *const u8;
        assert_eq!(*(base.add(Str::REFCOUNT_OFFSET) as *const u32), 1);
        assert_eq!(*(base.add(Str::LEN_OFFSET) as *const u32), 6);
        assert_eq!(*(base.add(Str::CHAR_COUNT_OFFSET) as *const u32), 5);
        assert_eq!(*(base.add(Str::CAPACITY_OFFSET) as *const u32), 6);
        assert_eq!(std::slice::from_raw_parts(base.add(Str::BYTES_OFFSET), 6), "héllo".as_bytes());
    }
}

#[test]
fn a_string_object_lies_inside_its_block() {
    for text in ["", "a", "abcde", "日本"] {
        let s = Str::new(text);
        let obj: &StrObj = &s;
        assert_eq!(obj as *const StrObj as *const u8 as usize, s.addr());
        let covered = std::mem::size_of_val(obj);
        assert_eq!(covered, (Str::BYTES_OFFSET + text.len()).next_multiple_of(4));
        assert!(covered <= Str::layout(text.len()).size(), "{text:?}");
    }
}

#[test]
fn counts_and_ascii_flag_follow_the_text() {
    for text in ["", "a", "plain ascii", "é", "日本語", "mixed é and 𝄞"] {
        let s = Str::new(text);
        assert_eq!(s.as_str(), text);
        assert_eq!(&**s, text, "StrObj derefs to the text");
        assert_eq!(s.char_count(), text.chars().count(), "{text:?}");
        assert_eq!(s.is_ascii(), text.is_ascii(), "{text:?}");
        assert_eq!(format!("{s:?}"), format!("{text:?}"));
    }
    let counted = Str::with_char_count("ab€", 3);
    assert_eq!((counted.as_str(), counted.char_count(), counted.is_ascii()), ("ab€", 3, false));
}

#[test]
fn clone_shares_and_the_last_drop_frees() {
    let s = Str::new("shared");
    let t = s.clone();
    assert!(Str::ptr_eq(&s, &t));
    assert_eq!(s.refcount(), 2);
    drop(s);
    assert_eq!(t.refcount(), 1);
    assert_eq!(t.as_str(), "shared");
    assert!(!Str::ptr_eq(&t, &Str::new("shared")), "equal text, another object");
}

#[test]
fn the_hash_cache_is_kept_and_reset_by_an_append() {
    let mut s = Str::new("key");
    assert_eq!(s.cached_hash(), 0);
    s.set_cached_hash(1234);
    assert_eq!(s.clone().cached_hash(), 1234, "one cache per object");
    assert!(s.try_append("s", 1));
    assert_eq!(s.cached_hash(), 0, "the text changed");
}

#[test]
fn try_append_grows_a_unique_string_in_place_and_refuses_a_shared_one() {
    let mut s = Str::new("a");
    let mut expected = String::from("a");
    let mut growths = 0;
    let mut capacity = s.head().capacity;
    for i in 0..2000 {
        let piece = if i % 3 == 0 { "é" } else { "bc" };
        assert!(s.try_append(piece, piece.chars().count()));
        expected.push_str(piece);
        if s.head().capacity != capacity {
            // Short strings grow to what they need; from 256 bytes on the block doubles.
            if capacity >= 256 {
                growths += 1;
            }
            capacity = s.head().capacity;
        }
    }
    assert_eq!(s.as_str(), expected);
    assert_eq!(s.char_count(), expected.chars().count());
    assert!(!s.is_ascii());
    assert!(growths < 8, "doubling: {growths} reallocations past 256 bytes for 2000 appends");

    let other = s.clone();
    assert!(!s.try_append("x", 1), "shared: unchanged");
    assert_eq!(s.as_str(), expected);
    assert_eq!(other.as_str(), expected);
}

#[test]
fn the_builder_sums_counts_and_grows_past_its_first_capacity() {
    let word = Str::new("wörd");
    let mut builder = StrBuilder::with_capacity(2);
    builder.push_ascii("<td>");
    builder.push_obj(&word);
    builder.push_counted("—", 1);
    builder.push_str("ü!");
    assert_eq!(builder.as_str(), "<td>wörd—ü!");
    let s = builder.finish();
    assert_eq!(s.as_str(), "<td>wörd—ü!");
    assert_eq!(s.char_count(), 11);
    assert_eq!(s.refcount(), 1);
    let empty = StrBuilder::with_capacity(0).finish();
    assert_eq!((empty.as_str(), empty.char_count(), empty.is_ascii()), ("", 0, true));
}

#[test]
fn joined_pieces_fill_a_sized_builder() {
    let texts = ["a", "", "é", "日本", "xyz", "b"];
    let pieces: Vec<Str> = texts.iter().map(|t| Str::new(t)).collect();
    for sep in ["", "-", "·|"] {
        let want = texts.join(sep);
        let mut builder = StrBuilder::with_capacity(1 + want.len());
        builder.push_ascii("<");
        // SAFETY: sized for "<" and the join, whose chars these are.
        unsafe { builder.push_joined(&Str::new(sep), pieces.iter().map(|p| &**p), want.chars().count()) };
        let joined = builder.finish();
        assert_eq!(joined.as_str(), format!("<{want}"), "sep {sep:?}");
        assert_eq!(joined.char_count(), 1 + want.chars().count());
    }
    let mut empty = StrBuilder::with_capacity(0);
    // SAFETY: nothing to write.
    unsafe { empty.push_joined(&Str::new("-"), std::iter::empty(), 0) };
    let empty = empty.finish();
    assert_eq!((empty.as_str(), empty.char_count()), ("", 0));
}

#[test]
fn an_append_in_place_never_moves_the_block() {
    let mut builder = StrBuilder::with_capacity(8);
    builder.push_ascii("ab");
    let mut s = builder.finish();
    let at = s.addr();
    assert!(s.try_append_in_place("cdé", 3));
    assert_eq!((s.as_str(), s.char_count(), s.addr()), ("abcdé", 5, at));
    assert!(!s.try_append_in_place("xyz", 3), "past the capacity: unchanged");
    assert_eq!(s.as_str(), "abcdé");
    let shared = s.clone();
    assert!(!s.try_append_in_place("", 0), "shared");
    drop(shared);
}

#[test]
fn one_byte_chars_make_a_string_or_nothing() {
    let same = |byte: &Option<u8>| *byte;
    let made = Str::from_ascii_bytes(&[Some(b'a'), Some(b'-'), Some(b'z')], same).expect("three chars");
    assert_eq!((made.as_str(), made.char_count(), made.is_ascii()), ("a-z", 3, true));
    let empty = Str::from_ascii_bytes(&[], same).expect("no chars");
    assert_eq!((empty.as_str(), empty.char_count()), ("", 0));
    assert!(Str::from_ascii_bytes(&[Some(b'a'), None, Some(b'b')], same).is_none());
    // A byte that is not a whole char on its own is refused, wherever it is.
    assert!(Str::from_ascii_bytes(&[Some(b'a'), Some(0xc3)], same).is_none());
    assert!(Str::from_ascii_bytes(&[Some(0x80), Some(b'a')], same).is_none());
}

#[test]
fn pieces_of_every_short_length_are_copied_whole() {
    let source: String = (0..40u8).map(|i| char::from(b'a' + i % 26)).collect();
    for len in 0..=40 {
        let piece = &source[..len];
        let mut builder = StrBuilder::with_capacity(0);
        builder.push_ascii("<");
        builder.push_ascii(piece);
        builder.push_ascii(">");
        assert_eq!(builder.finish().as_str(), format!("<{piece}>"), "a piece of {len} bytes");
    }
}

#[test]
fn case_mapping_eight_bytes_at_a_time_agrees_with_the_byte_rule() {
    // Every ASCII byte, and UTF-8 text (its bytes above 0x7f are never letters), at every
    // alignment against the eight-byte words.
    let mut all: String = (0u8..128).map(char::from).collect();
    all.push_str("é日本Zz");
    for start in 0..all.len() {
        let Some(text) = all.get(start..) else { continue };
        for upper in [true, false] {
            let mut builder = StrBuilder::with_capacity(text.len());
            builder.push_str(text);
            builder.map_ascii_case(upper);
            let want = if upper { text.to_ascii_uppercase() } else { text.to_ascii_lowercase() };
            assert_eq!(builder.as_str(), want, "from byte {start}, upper {upper}");
        }
    }
}
