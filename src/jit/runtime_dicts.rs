//! Dicts in traces, the fast path: `d[k]`, `k in d`, `k not in d`, `d.get(k[, default])` and
//! `d[k] = v` as one runtime function, [`DICT_HELPER`], called with its operands in registers
//! (`lower_dicts.rs`) instead of the generic `toyjit_call_helper` with an argument buffer and
//! a dispatch over the helper table. Its result word and its failure are the generic helper's
//! (`runtime_strings.rs`): a missing key for `d[k]` or an unhashable key fails, and the trace
//! exits before the instruction so that the interpreter raises exactly what it raises.
//!
//! **The last lookup is remembered** (per thread: the dict's address and the entry's index),
//! so `if w in freq: freq[w] += 1` (three lookups of one key) and `d[k] = d.get(k, 0) + 1`
//! (two) hash and probe once. The remembered index is only a hint: it is used when the entry
//! there holds a key equal to the one looked up, by the dict's own equality, and a dict never
//! holds two equal keys, so that entry is the key's, whatever happened to the dict since (or to
//! the memory at that address). Nothing needs forgetting. A `for` loop over a dict's keys or
//! items remembers each entry it gives, so `for k in d: ... d[k]` does not probe either.
//!
//! **Iterating a dict** (`for k in d`, `d.keys()`, `.values()`, `.items()`): [`DICT_NEXT`]
//! gives the item the interpreter's iterator would give and advances it, or fails leaving it
//! unchanged (at the end, when the dict changed size, for an item of another type), so the
//! trace exits before `ForIter` and the interpreter ends the loop or raises exactly its
//! `RuntimeError`.
//!
//! Touches only the dicts and iterators it is given (the one `d[k] = v` stores into) and the remembered
//! lookup.

use std::cell::{Cell, RefCell};
use std::mem::ManuallyDrop;
use std::rc::Rc;

use crate::interp::objects::error::{RtResult, index_error};
use crate::interp::objects::iter::{DictCursor, dict_peek};
use crate::interp::objects::value::{DictMap, DictObj, DictViewKind, HashKey, IterObj, Value};
use crate::jit::ir::helpers::Helper;
use crate::jit::runtime_strings::{HELPER_FAILED, borrowed_argument, borrowed_dict, result_word};

/// `(helper, want, dict, key_tag, key, extra_tag, extra) -> word`: helper `In`, `NotIn`,
/// `GetItem`, `Get` (`extra`: the default) or `SetItem` (`extra`: the value) on a dict.
pub const DICT_HELPER: &str = "toyjit_dict_helper";

/// `(iterator, want) -> word`: `DictNext`, the next item of a `for` loop over a dict.
pub const DICT_NEXT: &str = "toyjit_dict_next";

/// `(slot, dict, kind) -> iterator`: `DictIterInto`, a new iterator over a dict (`kind` 0) or
/// its keys, values or items (1, 2, 3) stored into a `for` loop's slot.
pub const DICT_ITER_INTO: &str = "toyjit_dict_iter_into";

/// `(iterator) -> bool`: `DictMore`, whether a dict loop goes on (an item is left, or the dict
/// changed size).
pub const DICT_MORE: &str = "toyjit_dict_more";

/// The functions and their symbols, for `JITBuilder::symbol`.
pub fn symbols() -> [(&'static str, *const u8); 4] {
    [
        (DICT_HELPER, dict_helper as *const u8),
        (DICT_NEXT, dict_next as *const u8),
        (DICT_ITER_INTO, dict_iter_into as *const u8),
        (DICT_MORE, dict_more as *const u8),
    ]
}

/// The item a dict iterator gives next, without advancing it: `Ok(None)` at the end,
/// `Err(())` if it is no dict iterator or its dict changed size (the interpreter raises the
/// `RuntimeError`). The recorder learns the item's type from it.
pub fn peek_dict_item(iter: &IterObj) -> Result<Option<Value>, ()> {
    peek_dict_entry(iter).map(|found| found.map(|(_, item)| item))
}

/// [`peek_dict_item`] and the position of the item's entry in the dict.
fn peek_dict_entry(iter: &IterObj) -> Result<Option<(usize, Value)>, ()> {
    let (dict, cursor, kind) = match iter {
        IterObj::DictKeys { dict, index, expected_len, remaining } => {
            (dict, DictCursor { index: *index, expected_len: *expected_len, remaining: *remaining }, DictViewKind::Keys)
        }
        IterObj::DictIter { dict, index, expected_len, remaining, kind } => {
            (dict, DictCursor { index: *index, expected_len: *expected_len, remaining: *remaining }, *kind)
        }
        _ => return Err(()),
    };
    dict_peek(dict, &cursor, kind).map_err(|_| ())
}

/// Is `iter` a dict iterator (what `DictNext` runs)?
pub fn is_dict_iterator(iter: &IterObj) -> bool {
    matches!(iter, IterObj::DictKeys { .. } | IterObj::DictIter { .. })
}

/// The helpers [`DICT_HELPER`] runs, and where each one's dict and key are among its
/// arguments: `(dict, key)` positions (`k in d` has the dict second).
pub fn dict_operands(helper: Helper) -> Option<(usize, usize)> {
    match helper {
        Helper::In | Helper::NotIn => Some((1, 0)),
        Helper::GetItem | Helper::Get | Helper::SetItem => Some((0, 1)),
        _ => None,
    }
}

/// `{k1: v1, k2: v2}` from its keys and values in turn (the `dict_of` helper): a new dict, as
/// the interpreter's `BuildDict` makes it; an unhashable key fails (the trace exits and the
/// interpreter raises).
pub(crate) fn dict_of(pairs: &[Value]) -> RtResult<Value> {
    let mut map = DictMap::with_capacity(pairs.len() / 2);
    for pair in pairs.chunks(2) {
        let [key, value] = pair else { return Err(index_error("dict_of with a key and no value")) };
        map.insert(HashKey::new(key.clone())?, value.clone());
    }
    Ok(Value::Dict(Rc::new(RefCell::new(map))))
}

thread_local! {
    /// The last entry found, stored or iterated: (the dict's address, the entry's index).
    static LAST_LOOKUP: Cell<(usize, usize)> = const { Cell::new((0, usize::MAX)) };
}

/// The address [`LAST_LOOKUP`] knows a dict by.
pub(crate) fn dict_address(dict: &Rc<DictObj>) -> usize {
    Rc::as_ptr(dict) as usize
}

/// The index of `key`'s entry in `map` (the dict at `address`), trying the remembered one first.
pub(crate) fn find(map: &DictMap, address: usize, key: &Value) -> Option<Option<usize>> {
    let lookup = HashKey::borrowed(key).ok()?;
    let (last_dict, last_index) = LAST_LOOKUP.get();
    if last_dict == address && map.entry_is(last_index, &lookup) {
        return Some(Some(last_index));
    }
    let found = map.get_index_of(&lookup);
    if let Some(index) = found {
        LAST_LOOKUP.set((address, index));
    }
    Some(found)
}

/// `d[k] = v`: the value replaced (dropped by the caller, once the dict is no longer
/// borrowed), or `None` for an unhashable key (nothing changed).
pub(crate) fn store(map: &mut DictMap, address: usize, key: &Value, value: Value) -> Option<Option<Value>> {
    let lookup = HashKey::borrowed(key).ok()?;
    let (last_dict, last_index) = LAST_LOOKUP.get();
    if last_dict == address
        && map.entry_is(last_index, &lookup)
        && let Some((_, slot)) = map.get_index_mut(last_index)
    {
        return Some(Some(std::mem::replace(slot, value)));
    }
    let (index, old) = map.insert_borrowed(&lookup, value);
    LAST_LOOKUP.set((address, index));
    Some(old)
}

pub(crate) extern "C" fn dict_helper(
    helper: u32,
    want: u32,
    dict: usize,
    key_tag: u32,
    key: u64,
    extra_tag: u32,
    extra: u64,
) -> i64 {
    let Some(helper) = Helper::numbered(helper) else { return HELPER_FAILED };
    // SAFETY: the trace passes its own values (alive: see `runtime_strings.rs`): a dict, and
    // the key and the extra operand as their tags and payloads (`None` when there is none).
    let (d, key, extra) = unsafe {
        (borrowed_dict(dict), borrowed_argument(key_tag as u8, key), borrowed_argument(extra_tag as u8, extra))
    };
    let want = want as u8;
    match helper {
        Helper::SetItem => set_item_word(&d, &key, &extra, want),
        Helper::GetItem => get_word(&d, &key, None, want),
        Helper::Get => get_word(&d, &key, Some(&extra), want),
        Helper::In | Helper::NotIn => {
            let map = d.borrow();
            match find(&map, dict_address(&d), &key) {
                Some(found) => result_word(Value::Bool(found.is_some() == (helper == Helper::In)), want),
                None => HELPER_FAILED,
            }
        }
        _ => HELPER_FAILED,
    }
}

/// `d[k]` (no `default`: a missing key fails, the interpreter raises the KeyError) or
/// `d.get(k, default)`: the word of the value found (see [`word_of`]), or [`HELPER_FAILED`].
/// The body of `DICT_HELPER`'s and the direct entry points' lookups (`runtime_dict_direct.rs`).
pub(crate) fn get_word(d: &Rc<DictObj>, key: &Value, default: Option<&Value>, want: u8) -> i64 {
    let map = d.borrow();
    match (find(&map, dict_address(d), key), default) {
        (Some(Some(index)), _) => match map.get_index(index) {
            Some((_, value)) => word_of(value, want),
            None => HELPER_FAILED,
        },
        (Some(None), Some(default)) => word_of(default, want),
        _ => HELPER_FAILED,
    }
}

/// `d[k] = value` (the value counted for the dict's reference): `None`'s word, or
/// [`HELPER_FAILED`] for an unhashable key. The replaced value is dropped once the dict is no
/// longer borrowed. Shared as [`get_word`] is.
pub(crate) fn set_item_word(d: &Rc<DictObj>, key: &Value, value: &Value, want: u8) -> i64 {
    let old = store(&mut d.borrow_mut(), dict_address(d), key, Value::clone(value));
    match old {
        Some(old) => {
            drop(old);
            result_word(Value::None, want)
        }
        None => HELPER_FAILED,
    }
}

/// The result word of `value` (an entry's value or the default, not moved out): a number's
/// payload as it is, a heap value's counted and kept in the garbage as `result_word` does.
/// No cloning and dropping for the usual int counts.
#[inline]
pub(crate) fn word_of(value: &Value, want: u8) -> i64 {
    if crate::jit::layout::value_words(value).0 != want {
        return HELPER_FAILED;
    }
    match *value {
        Value::Int(i) => i,
        Value::Float(f) => f.to_bits() as i64,
        Value::Bool(b) => i64::from(b),
        Value::None => 0,
        ref heap => result_word(heap.clone(), want),
    }
}

extern "C" fn dict_next(iter: usize, want: u32) -> i64 {
    // SAFETY: the trace's `iter` value, the `Rc`'s pointer of the iterator in the loop's slot,
    // which the frame keeps alive; `ManuallyDrop` keeps this copy from releasing it.
    let iter = unsafe { std::mem::transmute::<usize, ManuallyDrop<Rc<RefCell<IterObj>>>>(iter) };
    let mut iter = iter.borrow_mut();
    // Failing leaves the iterator as it was: the interpreter's `ForIter` then ends the loop,
    // raises "dictionary changed size during iteration", or takes the item of another type.
    let Ok(Some((position, item))) = peek_dict_entry(&iter) else { return HELPER_FAILED };
    if crate::jit::layout::value_words(&item).0 != want as u8 {
        return HELPER_FAILED;
    }
    match &mut *iter {
        IterObj::DictKeys { dict, index, remaining, .. } | IterObj::DictIter { dict, index, remaining, .. } => {
            // The entry whose key (or item) this is: `d[k]` in the loop's body finds it there.
            LAST_LOOKUP.set((dict_address(dict), position));
            *index = position + 1;
            *remaining -= 1;
        }
        _ => return HELPER_FAILED,
    }
    result_word(item, want as u8)
}

extern "C" fn dict_more(iter: usize) -> u8 {
    // SAFETY: as in `dict_next`: the iterator in the loop's slot, which the frame keeps alive.
    let iter = unsafe { std::mem::transmute::<usize, ManuallyDrop<Rc<RefCell<IterObj>>>>(iter) };
    // Only the end (`Ok(None)`) ends the loop; a dict that changed size goes to the interpreter.
    u8::from(!matches!(peek_dict_entry(&iter.borrow()), Ok(None)))
}

extern "C" fn dict_iter_into(slot: *mut Value, dict: usize, kind: u32) -> usize {
    // SAFETY: the trace's `dict` value, alive (see `borrowed_dict`).
    let dict = Rc::clone(&*unsafe { borrowed_dict(dict) });
    let len = dict.borrow().len();
    // What the interpreter's `GetIter` makes of a dict, or of one of its views.
    let state = match kind {
        0 => IterObj::DictKeys { dict, index: 0, expected_len: len, remaining: len },
        _ => {
            let kind = match kind {
                1 => DictViewKind::Keys,
                2 => DictViewKind::Values,
                _ => DictViewKind::Items,
            };
            IterObj::DictIter { dict, index: 0, expected_len: len, remaining: len, kind }
        }
    };
    let iterator = Value::Iterator(Rc::new(RefCell::new(state)));
    let word = crate::jit::layout::value_words(&iterator).1 as usize;
    // SAFETY: `slot` is the loop's iterator slot in the frame the trace runs on. What it held
    // (the loop's last iterator) may still be pointed to by the trace: the garbage keeps it
    // until the trace drops its garbage.
    let old = std::mem::replace(unsafe { &mut *slot }, iterator);
    crate::interp::engine::native::native_context::keep_until_dropped(old);
    word
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interp::engine::native::native_context;
    use crate::interp::objects::value::tag;

    fn words(value: &Value) -> (u32, u64) {
        let (t, p) = crate::jit::layout::value_words(value);
        (u32::from(t), p)
    }

    fn new_dict() -> Value {
        Value::Dict(std::rc::Rc::new(std::cell::RefCell::new(DictMap::default())))
    }

    fn run(helper: Helper, want: u8, dict: &Value, key: &Value, extra: &Value) -> i64 {
        let (_, d) = words(dict);
        let (kt, k) = words(key);
        let (et, e) = words(extra);
        dict_helper(helper.number(), u32::from(want), d as usize, kt, k, et, e)
    }

    #[test]
    fn lookups_stores_and_failures_are_the_interpreters() {
        let dict = new_dict();
        let (word, other) = (Value::str("word"), Value::str("word"));
        assert_eq!(run(Helper::In, tag::BOOL, &dict, &word, &Value::None), 0);
        assert_eq!(run(Helper::GetItem, tag::INT, &dict, &word, &Value::None), HELPER_FAILED, "KeyError");
        assert_eq!(run(Helper::Get, tag::INT, &dict, &word, &Value::Int(7)), 7);
        assert_eq!(run(Helper::SetItem, tag::NONE, &dict, &word, &Value::Int(1)), 0);
        // An equal key that is another object finds the entry; so does the same one, twice.
        assert_eq!(run(Helper::In, tag::BOOL, &dict, &other, &Value::None), 1);
        assert_eq!(run(Helper::NotIn, tag::BOOL, &dict, &word, &Value::None), 0);
        assert_eq!(run(Helper::SetItem, tag::NONE, &dict, &other, &Value::Int(2)), 0);
        assert_eq!(run(Helper::GetItem, tag::INT, &dict, &word, &Value::None), 2);
        assert_eq!(run(Helper::GetItem, tag::STR, &dict, &word, &Value::None), HELPER_FAILED, "another type");
        // `1`, `1.0` and `True` are one key; an unhashable key fails before changing anything.
        assert_eq!(run(Helper::SetItem, tag::NONE, &dict, &Value::Int(1), &Value::Int(10)), 0);
        assert_eq!(run(Helper::GetItem, tag::INT, &dict, &Value::Bool(true), &Value::None), 10);
        assert_eq!(run(Helper::SetItem, tag::NONE, &dict, &Value::list(vec![]), &Value::Int(0)), HELPER_FAILED);
        let Value::Dict(d) = &dict else { unreachable!() };
        assert_eq!(d.borrow().len(), 2);
        native_context::drop_garbage();
    }

    #[test]
    fn a_remembered_index_is_only_a_hint() {
        let dict = new_dict();
        for (i, name) in ["a", "b", "c"].into_iter().enumerate() {
            assert_eq!(run(Helper::SetItem, tag::NONE, &dict, &Value::str(name), &Value::Int(i as i64)), 0);
        }
        // "c" is remembered at index 2; removing it leaves a hole there.
        let Value::Dict(d) = &dict else { unreachable!() };
        d.borrow_mut().remove(&HashKey::borrowed(&Value::str("c")).unwrap());
        assert_eq!(run(Helper::GetItem, tag::INT, &dict, &Value::str("c"), &Value::None), HELPER_FAILED);
        assert_eq!(run(Helper::SetItem, tag::NONE, &dict, &Value::str("c"), &Value::Int(2)), 0);
        d.borrow_mut().remove(&HashKey::borrowed(&Value::str("a")).unwrap());
        assert_eq!(run(Helper::GetItem, tag::INT, &dict, &Value::str("c"), &Value::None), 2);
        assert_eq!(run(Helper::GetItem, tag::INT, &dict, &Value::str("a"), &Value::None), HELPER_FAILED);
        // Another dict at the remembered address is looked up anew.
        let fresh = new_dict();
        assert_eq!(run(Helper::In, tag::BOOL, &fresh, &Value::str("c"), &Value::None), 0);
        native_context::drop_garbage();
    }

    #[test]
    fn dict_next_advances_only_when_it_gives_an_item() {
        let dict = new_dict();
        assert_eq!(run(Helper::SetItem, tag::NONE, &dict, &Value::str("a"), &Value::Int(1)), 0);
        assert_eq!(run(Helper::SetItem, tag::NONE, &dict, &Value::Int(2), &Value::Int(2)), 0);
        let iterator = Value::Iterator(Rc::new(RefCell::new(crate::interp::objects::iter::make_iter(&dict).unwrap())));
        let (iter_tag, address) = crate::jit::layout::value_words(&iterator);
        assert_eq!(iter_tag, tag::ITERATOR, "the tag a trace guards");
        let Value::Iterator(it) = &iterator else { unreachable!() };
        // The first key is a str: asking for an int fails and leaves the iterator where it was.
        assert_eq!(dict_next(address as usize, u32::from(tag::INT)), HELPER_FAILED);
        assert_ne!(dict_next(address as usize, u32::from(tag::STR)), HELPER_FAILED);
        assert_eq!(dict_next(address as usize, u32::from(tag::INT)), 2);
        // The end fails; the interpreter then sees the same (and the iterator stays exhausted,
        // as CPython's forgets its dict, whatever happens to the dict afterwards).
        assert_eq!(dict_next(address as usize, u32::from(tag::INT)), HELPER_FAILED);
        assert!(matches!(it.borrow_mut().next_value(), Ok(None)));
        assert_eq!(run(Helper::SetItem, tag::NONE, &dict, &Value::Int(3), &Value::Int(3)), 0);
        assert!(matches!(it.borrow_mut().next_value(), Ok(None)));
        // A dict that changed size during a loop fails, and the interpreter raises.
        let iterator = Value::Iterator(Rc::new(RefCell::new(crate::interp::objects::iter::make_iter(&dict).unwrap())));
        let (_, address) = crate::jit::layout::value_words(&iterator);
        let Value::Iterator(it) = &iterator else { unreachable!() };
        assert_ne!(dict_next(address as usize, u32::from(tag::STR)), HELPER_FAILED);
        assert_eq!(run(Helper::SetItem, tag::NONE, &dict, &Value::Int(4), &Value::Int(4)), 0);
        assert_eq!(dict_next(address as usize, u32::from(tag::INT)), HELPER_FAILED);
        assert!(it.borrow_mut().next_value().is_err(), "dictionary changed size during iteration");
        native_context::drop_garbage();
    }

    #[test]
    fn a_loop_over_the_keys_finds_each_keys_value_where_it_is() {
        let dict = new_dict();
        for i in 0..4 {
            assert_eq!(run(Helper::SetItem, tag::NONE, &dict, &Value::Int(i), &Value::Int(10 * i)), 0);
        }
        let iterator = Value::Iterator(Rc::new(RefCell::new(crate::interp::objects::iter::make_iter(&dict).unwrap())));
        let (_, address) = crate::jit::layout::value_words(&iterator);
        for i in 0..4 {
            let key = dict_next(address as usize, u32::from(tag::INT));
            assert_eq!(key, i);
            assert_eq!(run(Helper::GetItem, tag::INT, &dict, &Value::Int(key), &Value::None), 10 * i);
            // The remembered entry is another key's: a lookup of that key still probes.
            assert_eq!(run(Helper::GetItem, tag::INT, &dict, &Value::Int(3 - i), &Value::None), 10 * (3 - i));
        }
        native_context::drop_garbage();
    }
}
