//! Indexing and slicing: `x[i]`, `x[i] = v`, `del x[i]`, `x[a:b:c]`, `x[a:b:c] = seq`,
//! `del x[a:b:c]` on lists, tuples, strings, ranges and dicts, with Python's negative indices
//! and slice clamping (`PySlice_AdjustIndices`). An absent slice bound is `Value::None`.

use std::rc::Rc;

use super::{check_seq_size, range_item, range_len};
use crate::interp::objects::error::{ExcKind, RtError, RtResult, index_error, overflow_error, type_error, value_error};
use crate::interp::objects::iter::collect;
use crate::interp::objects::value::{DictObj, HashKey, IterObj, RangeObj, Value};

enum Idx {
    Int(i64),
    /// A big int index: always out of range ("cannot fit 'int' into an index-sized integer").
    Big,
    NotInt,
}

fn idx(v: &Value) -> Idx {
    match v {
        Value::Int(i) => Idx::Int(*i),
        Value::Bool(b) => Idx::Int(*b as i64),
        Value::BigInt(_) => Idx::Big,
        _ => Idx::NotInt,
    }
}

fn cannot_fit() -> RtError {
    index_error("cannot fit 'int' into an index-sized integer")
}

/// Normalises a possibly negative index against `len` (None when out of range).
fn normalize(i: i64, len: usize) -> Option<usize> {
    let len = len as i64;
    let j = if i < 0 { i + len } else { i };
    if (0..len).contains(&j) { Some(j as usize) } else { None }
}

fn not_subscriptable(obj: &Value) -> RtError {
    type_error(format!("'{}' object is not subscriptable", obj.type_name()))
}

fn key_error(key: &Value) -> RtError {
    RtError::with_args(ExcKind::KeyError, vec![key.clone()])
}

/// The `i`-th character of a string (`i` already normalised).
fn str_char(text: &str, is_ascii: bool, i: usize) -> Value {
    if is_ascii {
        Value::char(char::from(text.as_bytes()[i]))
    } else {
        text.chars().nth(i).map_or_else(|| Value::str(""), Value::char)
    }
}

/// `obj[index]`.
pub fn get_item(obj: &Value, index: &Value) -> RtResult<Value> {
    let seq_index = |len: usize, what: &str, kind: &str| -> RtResult<usize> {
        match idx(index) {
            Idx::Int(i) => normalize(i, len).ok_or_else(|| index_error(format!("{what} index out of range"))),
            Idx::Big => Err(cannot_fit()),
            Idx::NotInt => {
                Err(type_error(format!("{kind} indices must be integers or slices, not {}", index.type_name())))
            }
        }
    };
    match obj {
        Value::List(l) => {
            let items = l.borrow();
            let i = seq_index(items.len(), "list", "list")?;
            Ok(items[i].clone())
        }
        Value::Tuple(t) => {
            let i = seq_index(t.len(), "tuple", "tuple")?;
            Ok(t[i].clone())
        }
        Value::Str(s) => match idx(index) {
            Idx::Int(i) => match normalize(i, s.char_count()) {
                Some(i) => Ok(str_char(s.as_str(), s.is_ascii(), i)),
                None => Err(index_error("string index out of range")),
            },
            Idx::Big => Err(cannot_fit()),
            Idx::NotInt => Err(type_error(format!("string indices must be integers, not '{}'", index.type_name()))),
        },
        Value::Range(r) => {
            let i = seq_index(range_len(r) as usize, "range object", "range")?;
            Ok(Value::Int(range_item(r, i as i64)))
        }
        Value::Dict(d) => dict_get(d, index),
        Value::Iterator(it) => {
            let IterObj::BigRange(r) = &*it.borrow() else { return Err(not_subscriptable(obj)) };
            let Some(i) = crate::interp::objects::ops::int_to_bigint(index) else {
                return Err(type_error(format!("range indices must be integers or slices, not {}", index.type_name())));
            };
            let n = crate::interp::objects::iter::big_range_len(r);
            let i = if num_traits::Signed::is_negative(&i) { i + &n } else { i };
            if num_traits::Signed::is_negative(&i) || i >= n {
                return Err(index_error("range object index out of range"));
            }
            Ok(Value::from_bigint(&r.start + i * &r.step))
        }
        _ => Err(not_subscriptable(obj)),
    }
}

/// `d[key]` (KeyError when absent); the VM calls it directly for dicts.
pub fn dict_get(d: &DictObj, key: &Value) -> RtResult<Value> {
    d.borrow().get(&HashKey::borrowed(key)?).cloned().ok_or_else(|| key_error(key))
}

/// `key in d`; the VM calls it directly for dicts.
pub fn dict_contains(d: &DictObj, key: &Value) -> RtResult<bool> {
    Ok(d.borrow().contains_key(&HashKey::borrowed(key)?))
}

/// `obj[index] = value`.
pub fn set_item(obj: &Value, index: &Value, value: Value) -> RtResult<()> {
    match obj {
        Value::List(l) => match idx(index) {
            Idx::Int(i) => {
                let mut items = l.borrow_mut();
                match normalize(i, items.len()) {
                    Some(i) => {
                        let old = std::mem::replace(&mut items[i], value);
                        drop(items);
                        drop(old);
                        Ok(())
                    }
                    None => Err(index_error("list assignment index out of range")),
                }
            }
            Idx::Big => Err(cannot_fit()),
            Idx::NotInt => {
                Err(type_error(format!("list indices must be integers or slices, not {}", index.type_name())))
            }
        },
        Value::Dict(d) => {
            // One hash; the key is cloned only when it is new.
            let lookup = HashKey::borrowed(index)?;
            let (_, old) = d.borrow_mut().insert_borrowed(&lookup, value);
            drop(old);
            Ok(())
        }
        _ => Err(type_error(format!("'{}' object does not support item assignment", obj.type_name()))),
    }
}

/// `del obj[index]`.
pub fn del_item(obj: &Value, index: &Value) -> RtResult<()> {
    match obj {
        Value::List(l) => match idx(index) {
            Idx::Int(i) => {
                let mut items = l.borrow_mut();
                match normalize(i, items.len()) {
                    Some(i) => {
                        let old = items.remove(i);
                        drop(items);
                        drop(old);
                        Ok(())
                    }
                    None => Err(index_error("list assignment index out of range")),
                }
            }
            Idx::Big => Err(cannot_fit()),
            Idx::NotInt => {
                Err(type_error(format!("list indices must be integers or slices, not {}", index.type_name())))
            }
        },
        Value::Dict(d) => {
            let key = HashKey::borrowed(index)?;
            let old = d.borrow_mut().remove(&key);
            match old {
                Some(_) => Ok(()),
                None => Err(key_error(index)),
            }
        }
        _ => Err(type_error(format!("'{}' object doesn't support item deletion", obj.type_name()))),
    }
}

fn slice_bound(v: &Value) -> RtResult<Option<i64>> {
    use num_traits::Signed;
    match v {
        Value::None => Ok(None),
        Value::Int(i) => Ok(Some(*i)),
        Value::Bool(b) => Ok(Some(*b as i64)),
        Value::BigInt(b) => Ok(Some(if b.is_negative() { i64::MIN } else { i64::MAX })),
        _ => Err(type_error("slice indices must be integers or None or have an __index__ method")),
    }
}

/// Resolves a slice against a sequence of length `len`: `(start, step, slicelength)`, with
/// CPython's clamping (`slice step cannot be zero`).
pub fn slice_indices(len: usize, lower: &Value, upper: &Value, step: &Value) -> RtResult<(i64, i64, usize)> {
    let step = match slice_bound(step)? {
        None => 1,
        Some(0) => return Err(value_error("slice step cannot be zero")),
        Some(s) => s,
    };
    Ok(slice_range(len, slice_bound(lower)?, slice_bound(upper)?, step))
}

/// `(start, step, slicelength)` of `[lower:upper:step]` over `len` items (`None`: a bound left
/// out), for a `step` that is not 0. Exact in 64 bits: each bound is clamped to `-1..=len`
/// before any difference is taken, and the step to `-i64::MAX..`.
pub fn slice_range(len: usize, lower: Option<i64>, upper: Option<i64>, step: i64) -> (i64, i64, usize) {
    let step = step.max(-i64::MAX);
    let len = len as i64;
    let adjust = |bound: Option<i64>, if_backwards: i64, if_forwards: i64| match bound {
        None if step < 0 => if_backwards,
        None => if_forwards,
        Some(b) if b < 0 => match b + len {
            b if b < 0 => {
                if step < 0 {
                    -1
                } else {
                    0
                }
            }
            b => b,
        },
        Some(b) if b >= len => {
            if step < 0 {
                len - 1
            } else {
                len
            }
        }
        Some(b) => b,
    };
    let (start, stop) = (adjust(lower, len - 1, 0), adjust(upper, -1, len));
    let count = match step < 0 {
        true if stop < start => (start - stop - 1) / -step + 1,
        false if start < stop => (stop - start - 1) / step + 1,
        _ => 0,
    };
    (start, step, count as usize)
}

/// The `count` items from `start` on, `step` apart, of a slice [`slice_range`] resolved.
pub fn pick<T: Clone>(items: &[T], start: i64, step: i64, count: usize) -> Vec<T> {
    if step == 1 {
        let s = start as usize;
        return items[s..s + count].to_vec();
    }
    if step == -1 && count > 0 {
        // `l[::-1]`: the run ending at `start`, backwards, with no index worked out per item.
        let s = start as usize;
        return items[s + 1 - count..=s].iter().rev().cloned().collect();
    }
    (0..count).map(|k| items[(start + step * k as i64) as usize].clone()).collect()
}

/// [`pick`] of a list's values, each pushed as two words
/// (`list_growth::push_by_words`: a clone pushed whole stalled on its read back).
pub fn pick_values(items: &[Value], start: i64, step: i64, count: usize) -> Vec<Value> {
    if step == 1 {
        return pick(items, start, step, count);
    }
    let mut out = Vec::with_capacity(count);
    for k in 0..count {
        crate::interp::objects::list_growth::push_by_words(&mut out, items[(start + step * k as i64) as usize].clone());
    }
    out
}

/// `obj[lower:upper:step]` (absent bounds are `Value::None`).
pub fn get_slice(obj: &Value, lower: &Value, upper: &Value, step: &Value) -> RtResult<Value> {
    match obj {
        Value::List(l) => {
            let items = l.borrow();
            let (start, st, count) = slice_indices(items.len(), lower, upper, step)?;
            Ok(Value::list(pick_values(&items, start, st, count)))
        }
        Value::Tuple(t) => {
            let (start, st, count) = slice_indices(t.len(), lower, upper, step)?;
            if st == 1 && count == t.len() {
                return Ok(obj.clone());
            }
            Ok(Value::tuple(pick(t, start, st, count)))
        }
        Value::Str(s) => {
            let (start, st, count) = slice_indices(s.char_count(), lower, upper, step)?;
            // The whole string: itself, as CPython gives (`s[:] is s`); one char is the shared
            // string, below (CPython's one-char strings are all shared).
            if st == 1 && count == s.char_count() && count > 1 {
                return Ok(obj.clone());
            }
            if s.is_ascii() {
                if st == 1 {
                    let b = start as usize;
                    // One char: the shared string, as in CPython (`s[1:2] is s[1]`).
                    return Ok(crate::interp::objects::text::ascii_piece(&s.as_str()[b..b + count]));
                }
                let bytes = s.as_str().as_bytes();
                let out: String = (0..count).map(|k| bytes[(start + st * k as i64) as usize] as char).collect();
                return Ok(Value::ascii_str(out));
            }
            let chars: Vec<char> = s.as_str().chars().collect();
            let text = pick(&chars, start, st, count).into_iter().collect::<String>();
            // A step of 1: a piece, shared when it is one char (as in CPython); another step makes
            // a new string.
            Ok(if st == 1 { crate::interp::objects::text::piece(&text, false) } else { Value::str(text) })
        }
        Value::Range(r) => {
            let len = range_len(r) as usize;
            let (start, st, count) = slice_indices(len, lower, upper, step)?;
            let first = r.start as i128 + r.step as i128 * start as i128;
            let new_step = r.step as i128 * st as i128;
            let stop = first + new_step * count as i128;
            let fit =
                |x: i128| i64::try_from(x).map_err(|_| overflow_error("Python int too large to convert to C ssize_t"));
            Ok(Value::Range(Rc::new(RangeObj { start: fit(first)?, stop: fit(stop)?, step: fit(new_step)? })))
        }
        Value::Dict(_) => Err(type_error("unhashable type: 'slice'")),
        Value::Iterator(it) if matches!(&*it.borrow(), IterObj::BigRange(_)) => {
            Err(type_error("not supported in Toy: slicing a range with bounds beyond 64 bits"))
        }
        _ => Err(not_subscriptable(obj)),
    }
}

fn assignable(value: &Value, extended: bool) -> RtResult<Vec<Value>> {
    collect(value).map_err(|e| {
        if e.kind() == ExcKind::TypeError && !matches!(value, Value::Iterator(_)) {
            type_error(if extended { "must assign iterable to extended slice" } else { "can only assign an iterable" })
        } else {
            e
        }
    })
}

/// `obj[lower:upper:step] = value` (lists only; simple slices may change the length).
pub fn set_slice(obj: &Value, lower: &Value, upper: &Value, step: &Value, value: &Value) -> RtResult<()> {
    let Value::List(l) = obj else {
        return Err(type_error(format!("'{}' object does not support item assignment", obj.type_name())));
    };
    let simple = matches!(slice_bound(step)?, None | Some(1));
    let new_items = assignable(value, !simple)?;
    let len = l.borrow().len();
    let (start, st, count) = slice_indices(len, lower, upper, step)?;
    if simple {
        let start = start as usize;
        check_seq_size((len - count + new_items.len()) as u64)?;
        let removed: Vec<Value> = l.borrow_mut().splice(start..start + count, new_items).collect();
        drop(removed);
        return Ok(());
    }
    if new_items.len() != count {
        return Err(value_error(format!(
            "attempt to assign sequence of size {} to extended slice of size {}",
            new_items.len(),
            count
        )));
    }
    let mut items = l.borrow_mut();
    let mut old = Vec::with_capacity(count);
    for (k, v) in new_items.into_iter().enumerate() {
        let i = (start + st * k as i64) as usize;
        old.push(std::mem::replace(&mut items[i], v));
    }
    drop(items);
    drop(old);
    Ok(())
}

/// `del obj[lower:upper:step]` (lists only).
pub fn del_slice(obj: &Value, lower: &Value, upper: &Value, step: &Value) -> RtResult<()> {
    let Value::List(l) = obj else {
        return Err(type_error(format!("'{}' object doesn't support item deletion", obj.type_name())));
    };
    let len = l.borrow().len();
    let (start, st, count) = slice_indices(len, lower, upper, step)?;
    let mut items = l.borrow_mut();
    let mut removed = Vec::with_capacity(count);
    if st == 1 {
        let s = start as usize;
        removed.extend(items.drain(s..s + count));
    } else {
        let mut doomed = vec![false; items.len()];
        for k in 0..count {
            doomed[(start + st * k as i64) as usize] = true;
        }
        let old = std::mem::take(&mut *items);
        for (i, v) in old.into_iter().enumerate() {
            if doomed[i] { removed.push(v) } else { items.push(v) }
        }
    }
    drop(items);
    drop(removed);
    Ok(())
}
