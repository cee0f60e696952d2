//! Unit tests of string building: counts carried over, in-place appending only when unique,
//! join's errors and sizes, decimal digits, ASCII splitting (expected values from CPython 3.11).

use super::*;
use crate::interp::objects::format::exc_line;
use crate::interp::objects::value::Str;

fn text_of(v: &Value) -> (&str, bool, usize) {
    match v {
        Value::Str(s) => (s.as_str(), s.is_ascii(), s.char_count()),
        other => panic!("not a str: {other:?}"),
    }
}

fn strs(values: &[Value]) -> Vec<&str> {
    values.iter().map(|v| text_of(v).0).collect()
}

#[test]
fn concat_carries_ascii_flag_and_char_count_from_the_operands() {
    let (a, b) = (Str::new("ab"), Str::new("é€"));
    let joined = concat(&a, &b).unwrap();
    assert_eq!(text_of(&joined), ("abé€", false, 4));
    let ascii = concat(&a, &a).unwrap();
    assert_eq!(text_of(&ascii), ("abab", true, 4));
}

#[test]
fn append_changes_a_uniquely_held_string_in_place() {
    let addr = |v: &Value| match v {
        Value::Str(s) => s.addr(),
        _ => unreachable!(),
    };
    let mut left = Value::str("ab");
    // The first append grows the exact-size block (it may move); it has room for the next.
    append(&mut left, &Str::new("ç")).unwrap();
    let before = addr(&left);
    append(&mut left, &Str::new("d")).unwrap();
    assert_eq!(text_of(&left), ("abçd", false, 4));
    assert_eq!(addr(&left), before, "the same string object grew");
}

#[test]
fn append_leaves_a_shared_string_alone() {
    let original = Value::str("ab");
    let mut left = original.clone();
    append(&mut left, &Str::new("cd")).unwrap();
    assert_eq!(text_of(&left), ("abcd", true, 4));
    assert_eq!(text_of(&original), ("ab", true, 2), "the other holder still sees the old string");
    let (Value::Str(x), Value::Str(y)) = (&left, &original) else { unreachable!() };
    assert!(!Str::ptr_eq(x, y));
}

#[test]
fn concat_all_skips_non_strings_and_sums_counts() {
    let pieces = [Value::str("x="), Value::Int(3), Value::str("ü")];
    assert_eq!(text_of(&concat_all(&pieces)), ("x=ü", false, 3));
    assert_eq!(text_of(&concat_all(&[])), ("", true, 0));
}

#[test]
fn join_sizes_counts_and_errors() {
    let sep = Str::new("-é-");
    let items = Value::list(vec![Value::str("a"), Value::str("bc"), Value::str("")]);
    assert_eq!(text_of(&join(&sep, &items).unwrap()), ("a-é-bc-é-", false, 9));
    let ascii_items = Value::tuple(vec![Value::str("a"), Value::str("b")]);
    assert_eq!(text_of(&join(&Str::new(", "), &ascii_items).unwrap()), ("a, b", true, 4));
    // The separator never appears between fewer than two items.
    assert_eq!(text_of(&join(&sep, &Value::list(vec![])).unwrap()), ("", true, 0));
    let one = Value::str("solo");
    let joined = join(&sep, &Value::list(vec![one.clone()])).unwrap();
    let (Value::Str(x), Value::Str(y)) = (&joined, &one) else { unreachable!() };
    assert!(Str::ptr_eq(x, y), "one string joins to itself");
    // Any iterable: a string's chars.
    assert_eq!(text_of(&join(&Str::new("."), &Value::str("abc")).unwrap()).0, "a.b.c");
    let bad = Value::list(vec![Value::str("a"), Value::Int(1)]);
    let err = join(&sep, &bad).unwrap_err();
    assert_eq!(exc_line(&err.0), "TypeError: sequence item 1: expected str instance, int found");
    let err = join(&sep, &Value::Int(5)).unwrap_err();
    assert_eq!(exc_line(&err.0), "TypeError: can only join an iterable");
}

#[test]
fn int_digits_match_python_including_the_extremes() {
    for (n, want) in [(0, "0"), (7, "7"), (-7, "-7"), (1000, "1000"), (i64::MAX, "9223372036854775807")] {
        assert_eq!(text_of(&int_str(n)), (want, true, want.len()));
    }
    let mut out = String::from("n=");
    push_int(&mut out, i64::MIN);
    assert_eq!(out, "n=-9223372036854775808");
    // Every digit count, both parities, and the numbers around each power of ten.
    let mut power = 1i64;
    for _ in 0..19 {
        for n in [power - 1, power, power + 1, power * 9 / 7, power.saturating_mul(5)] {
            for n in [n, -n] {
                let mut buffer = [0u8; 20];
                assert_eq!(int_text(n, &mut buffer), n.to_string(), "{n}");
                assert_eq!(text_of(&int_str(n)).0, n.to_string());
            }
        }
        power = power.saturating_mul(10);
    }
    for n in (-250..250).chain([i64::MIN + 1, i64::MAX - 1]) {
        let mut buffer = [0u8; 20];
        assert_eq!(int_text(n, &mut buffer), n.to_string(), "{n}");
    }
}

#[test]
fn ascii_space_is_python_whitespace_below_128() {
    for byte in 0u8..128 {
        let c = char::from(byte);
        assert_eq!(is_ascii_space(byte), crate::interp::objects::format::unicode::is_space(c), "{c:?}");
    }
}

#[test]
fn ascii_split_matches_python() {
    assert_eq!(strs(&split_ascii_whitespace("  a b\t\tc \n", -1)), ["a", "b", "c"]);
    // \x1c..\x1f are whitespace to Python's str.split().
    assert_eq!(strs(&split_ascii_whitespace("a\x1cb\x1fc", -1)), ["a", "b", "c"]);
    assert_eq!(strs(&split_ascii_whitespace("a b  ", 1)), ["a", "b  "]);
    assert_eq!(strs(&split_ascii_whitespace(" a b  c ", 0)), ["a b  c "]);
    assert!(split_ascii_whitespace("   ", -1).is_empty());
    assert!(split_ascii_whitespace("", 0).is_empty());
    for v in split_ascii_whitespace("xy z", -1) {
        let (t, ascii, count) = text_of(&v);
        assert!(ascii && count == t.len());
    }
}

#[test]
fn ascii_split_of_long_words_and_control_chars_matches_a_byte_scan() {
    // Words across eight-byte chunks, control chars that are not whitespace inside them, and
    // every ASCII whitespace char as a separator.
    let mut texts = vec![
        "a-very-long-word\x01with\x1b!controls and\x0bmore\x00zero".to_string(),
        "12345678 123456789\t1234567\x1d\x1c".to_string(),
    ];
    for sep in (0u8..128).filter(|&b| is_ascii_space(b)) {
        texts.push(format!("w0rd{}longer_word_here{}x", char::from(sep), char::from(sep)));
    }
    for text in &texts {
        let by_bytes: Vec<&str> = text.split(|c: char| is_ascii_space(c as u8)).filter(|w| !w.is_empty()).collect();
        assert_eq!(strs(&split_ascii_whitespace(text, -1)), by_bytes, "{text:?}");
    }
}

#[test]
fn ascii_case_and_pieces_keep_counts_right() {
    assert_eq!(text_of(&ascii_case("aB-z", true)), ("AB-Z", true, 4));
    assert_eq!(text_of(&ascii_case("aB-Z", false)), ("ab-z", true, 4));
    assert_eq!(text_of(&piece("é", false)), ("é", false, 1));
    assert_eq!(text_of(&piece("ab", true)), ("ab", true, 2));
}
