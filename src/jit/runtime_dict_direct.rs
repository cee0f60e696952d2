//! Direct entry points for the dict helpers traces call most, where the trace knows the key is
//! a `str` or an `int` (`lower_dicts.rs` picks them): `d[k]`, `k in d`, `k not in d`,
//! `d.get(k[, default])` and `d[k] = v`. Each is one function per operation and key type (a
//! const generic: the key's tag, and for `in` whether it is `not in`), so it skips what the
//! general `runtime_dicts::DICT_HELPER` does for any of them: decoding the helper's number,
//! building the key from a run-time tag, and for `in`/`d[k]` the absent extra operand.
//!
//! The contract is `DICT_HELPER`'s (see `runtime_dicts.rs`, whose lookup and store these
//! call, with the same remembered last lookup): the result word, or [`HELPER_FAILED`] where the
//! interpreter would raise (a missing key for `d[k]`) or the result is not of the trace's type,
//! and the trace exits before the instruction so that the interpreter raises exactly what
//! CPython raises. A `str` or `int` key is always hashable. Touches only the dict it is given.

use crate::interp::objects::value::tag;
use crate::jit::runtime_dicts::{dict_address, find, get_word, set_item_word};
use crate::jit::runtime_strings::{HELPER_FAILED, borrowed_argument, borrowed_dict};

/// `(dict, key, want) -> word`: `d[k]`, by key type (`str`, `int`: so are the others).
pub const GET_ITEM: [&str; 2] = ["toyjit_dict_get_item_str", "toyjit_dict_get_item_int"];
/// `(dict, key) -> 0 or 1`: `k in d`, by key type.
pub const CONTAINS: [&str; 2] = ["toyjit_dict_contains_str", "toyjit_dict_contains_int"];
/// `(dict, key) -> 0 or 1`: `k not in d`, by key type.
pub const NOT_CONTAINS: [&str; 2] = ["toyjit_dict_not_contains_str", "toyjit_dict_not_contains_int"];
/// `(dict, key, want, default_tag, default) -> word`: `d.get(k, default)`, by key type.
pub const GET_OR: [&str; 2] = ["toyjit_dict_get_or_str", "toyjit_dict_get_or_int"];
/// `(dict, key, value_tag, value) -> 0`: `d[k] = v`, by key type.
pub const SET_ITEM: [&str; 2] = ["toyjit_dict_set_item_str", "toyjit_dict_set_item_int"];

/// The functions and their symbols, for `JITBuilder::symbol`.
pub fn symbols() -> [(&'static str, *const u8); 10] {
    const S: u8 = tag::STR;
    const I: u8 = tag::INT;
    [
        (GET_ITEM[0], get_item::<S> as *const u8),
        (GET_ITEM[1], get_item::<I> as *const u8),
        (CONTAINS[0], contains::<S, false> as *const u8),
        (CONTAINS[1], contains::<I, false> as *const u8),
        (NOT_CONTAINS[0], contains::<S, true> as *const u8),
        (NOT_CONTAINS[1], contains::<I, true> as *const u8),
        (GET_OR[0], get_or::<S> as *const u8),
        (GET_OR[1], get_or::<I> as *const u8),
        (SET_ITEM[0], set_item::<S> as *const u8),
        (SET_ITEM[1], set_item::<I> as *const u8),
    ]
}

extern "C" fn get_item<const KEY: u8>(dict: usize, key: u64, want: u32) -> i64 {
    // SAFETY: the trace's own values (alive: see `runtime_strings.rs`): a dict, and a key of
    // type `KEY` as its payload. A missing key fails: the interpreter raises the KeyError.
    let (d, key) = unsafe { (borrowed_dict(dict), borrowed_argument(KEY, key)) };
    get_word(&d, &key, None, want as u8)
}

extern "C" fn contains<const KEY: u8, const NOT: bool>(dict: usize, key: u64) -> i64 {
    // SAFETY: as in `get_item`.
    let (d, key) = unsafe { (borrowed_dict(dict), borrowed_argument(KEY, key)) };
    let map = d.borrow();
    match find(&map, dict_address(&d), &key) {
        Some(found) => i64::from(found.is_some() != NOT),
        None => HELPER_FAILED,
    }
}

extern "C" fn get_or<const KEY: u8>(dict: usize, key: u64, want: u32, default_tag: u32, default: u64) -> i64 {
    // SAFETY: as in `get_item`; the default is the trace's value, as its tag and payload.
    let (d, key, default) =
        unsafe { (borrowed_dict(dict), borrowed_argument(KEY, key), borrowed_argument(default_tag as u8, default)) };
    get_word(&d, &key, Some(&default), want as u8)
}

extern "C" fn set_item<const KEY: u8>(dict: usize, key: u64, value_tag: u32, value: u64) -> i64 {
    // SAFETY: as in `get_item`; the value is the trace's, as its tag and payload.
    let (d, key, value) =
        unsafe { (borrowed_dict(dict), borrowed_argument(KEY, key), borrowed_argument(value_tag as u8, value)) };
    set_item_word(&d, &key, &value, tag::NONE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interp::engine::native::native_context;
    use crate::interp::objects::value::Value;
    use crate::jit::ir::helpers::Helper;
    use crate::jit::layout::value_words;
    use crate::jit::runtime_dicts::dict_helper;

    fn new_dict() -> Value {
        Value::Dict(std::rc::Rc::new(std::cell::RefCell::new(Default::default())))
    }

    /// `d[k] = n` through the general helper, for a key of any type.
    fn set_generic(dict: usize, key_tag: u8, key: u64, n: i64) -> i64 {
        let (none, int) = (u32::from(tag::NONE), u32::from(tag::INT));
        dict_helper(Helper::SetItem.number(), none, dict, u32::from(key_tag), key, int, n as u64)
    }

    fn address(dict: &Value) -> usize {
        value_words(dict).1 as usize
    }

    #[test]
    fn str_keys_agree_with_the_general_helper() {
        let dict = new_dict();
        let d = address(&dict);
        let (word, other) = (Value::str("word"), Value::str("word"));
        let (k, o) = (value_words(&word).1, value_words(&other).1);
        assert_eq!(contains::<{ tag::STR }, false>(d, k), 0);
        assert_eq!(contains::<{ tag::STR }, true>(d, k), 1);
        assert_eq!(get_item::<{ tag::STR }>(d, k, u32::from(tag::INT)), HELPER_FAILED, "KeyError");
        assert_eq!(get_or::<{ tag::STR }>(d, k, u32::from(tag::INT), u32::from(tag::INT), 7), 7);
        assert_eq!(set_item::<{ tag::STR }>(d, k, u32::from(tag::INT), 1), 0);
        // An equal key that is another object finds the entry.
        assert_eq!(contains::<{ tag::STR }, false>(d, o), 1);
        assert_eq!(set_item::<{ tag::STR }>(d, o, u32::from(tag::INT), 2), 0);
        assert_eq!(get_item::<{ tag::STR }>(d, k, u32::from(tag::INT)), 2);
        assert_eq!(get_or::<{ tag::STR }>(d, o, u32::from(tag::INT), u32::from(tag::INT), 7), 2);
        assert_eq!(get_item::<{ tag::STR }>(d, k, u32::from(tag::STR)), HELPER_FAILED, "another type");
        let Value::Dict(map) = &dict else { unreachable!() };
        assert_eq!(map.borrow().len(), 1);
        native_context::drop_garbage();
    }

    #[test]
    fn int_keys_equal_floats_and_bools() {
        let dict = new_dict();
        let d = address(&dict);
        // `True` and `1.0` stored through the general helper are the int key `1`.
        let (t, p) = value_words(&Value::Bool(true));
        let generic = set_generic(d, t, p, 10);
        assert_eq!(generic, 0);
        assert_eq!(get_item::<{ tag::INT }>(d, 1, u32::from(tag::INT)), 10);
        assert_eq!(contains::<{ tag::INT }, false>(d, 1), 1);
        let (t, p) = value_words(&Value::Float(2.0));
        assert_eq!(set_generic(d, t, p, 20), 0);
        assert_eq!(get_item::<{ tag::INT }>(d, 2, u32::from(tag::INT)), 20);
        assert_eq!(set_item::<{ tag::INT }>(d, 2, u32::from(tag::STR), value_words(&Value::str("x")).1), 0);
        assert_eq!(get_item::<{ tag::INT }>(d, 2, u32::from(tag::INT)), HELPER_FAILED, "now a str");
        assert_eq!(get_item::<{ tag::INT }>(d, 3, u32::from(tag::INT)), HELPER_FAILED, "KeyError");
        let Value::Dict(map) = &dict else { unreachable!() };
        assert_eq!(map.borrow().len(), 2);
        drop(dict);
        native_context::drop_garbage();
    }
}
