//! Iteration: [`make_iter`] turns an iterable into an [`IterObj`], `IterObj::next_value` steps
//! it, [`collect`] drains an iterable into a `Vec`, [`reversed`] builds `reversed(x)`.
//!
//! Iterating an iterator *value* (what `enumerate`, `zip`, `reversed`, `iter` return) shares its
//! state through `IterObj::Shared`, so `for x in it` advances `it`. Dict views
//! (`d.keys()`...) are live and re-iterable: each `make_iter` starts a fresh `DictIter`.
//! Touches only iterator state; never mutates lists or dicts.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use crate::interp::objects::error::{ExcKind, RtError, RtResult, type_error};
use crate::interp::objects::host::{Detached, Host};
use crate::interp::objects::ops::truthy;
use crate::interp::objects::ops::{check_seq_size, range_len, same_or_equal};
use num_bigint::BigInt;
use num_traits::{Signed, ToPrimitive, Zero};

use crate::interp::objects::value::{BigRangeObj, DictObj, DictViewKind, HashKey, IterObj, RangeObj, StrObj, Value};

fn not_iterable(v: &Value) -> RtError {
    type_error(format!("'{}' object is not iterable", v.type_name()))
}

/// `iter(v)`: `TypeError: 'int' object is not iterable` for non-iterables.
pub fn make_iter(v: &Value) -> RtResult<IterObj> {
    Ok(match v {
        Value::List(l) => IterObj::List { list: l.clone(), index: 0 },
        Value::Tuple(t) => IterObj::Tuple { tuple: t.clone(), index: 0 },
        Value::Str(s) => IterObj::Str { text: s.clone(), byte_index: 0 },
        Value::Dict(d) => {
            let expected_len = d.borrow().len();
            IterObj::DictKeys { dict: d.clone(), index: 0, expected_len, remaining: expected_len }
        }
        Value::Range(r) => IterObj::Range { next: r.start, stop: r.stop, step: r.step },
        Value::Iterator(it) => {
            let fresh = match &*it.borrow() {
                IterObj::DictView { dict, kind } => {
                    let expected_len = dict.borrow().len();
                    Some(IterObj::DictIter {
                        dict: dict.clone(),
                        index: 0,
                        expected_len,
                        remaining: expected_len,
                        kind: *kind,
                    })
                }
                IterObj::BigRange(r) => Some(IterObj::BigRangeIter { next: r.start.clone(), range: r.clone() }),
                _ => None,
            };
            fresh.unwrap_or_else(|| IterObj::Shared(it.clone()))
        }
        _ => return Err(not_iterable(v)),
    })
}

/// Wraps iterator state as a `Value::Iterator`.
pub fn iter_value(it: IterObj) -> Value {
    Value::Iterator(Rc::new(RefCell::new(it)))
}

fn changed_size() -> RtError {
    RtError::new(ExcKind::RuntimeError, "dictionary changed size during iteration")
}

/// The one-char string starting at byte `offset` of `text` (a char boundary) and the offset
/// after it; `None` at the end. ASCII text is read a byte at a time.
#[inline]
pub fn str_char_at(text: &StrObj, offset: usize) -> Option<(Value, usize)> {
    if text.is_ascii() {
        let byte = *text.as_str().as_bytes().get(offset)?;
        return Some((Value::char(char::from(byte)), offset + 1));
    }
    let c = text.as_str().get(offset..)?.chars().next()?;
    Some((Value::char(c), offset + c.len_utf8()))
}

/// Where a dict iterator stands: the position it looks from (`usize::MAX` once exhausted, as
/// CPython forgets the dict), the size it expects (`usize::MAX` once it raised that the size
/// changed: it keeps raising), the items it may still give.
pub struct DictCursor {
    pub index: usize,
    pub expected_len: usize,
    pub remaining: usize,
}

/// What a dict iterator at `cursor` gives next, without moving it, as CPython 3.11's
/// `dictiter_iternext*`: `Ok(None)` at the end; the item and the position of its entry; or
/// the `RuntimeError` when the dict changed size, or when it holds an entry beyond the items
/// it had (same size, a key deleted and another added: "keys changed").
pub fn dict_peek(dict: &DictObj, cursor: &DictCursor, kind: DictViewKind) -> Result<Option<(usize, Value)>, RtError> {
    if cursor.index == usize::MAX {
        return Ok(None);
    }
    let d = dict.borrow();
    if d.len() != cursor.expected_len {
        return Err(changed_size());
    }
    let Some((position, k, v)) = d.next_entry(cursor.index) else { return Ok(None) };
    if cursor.remaining == 0 {
        return Err(RtError::new(ExcKind::RuntimeError, "dictionary keys changed during iteration"));
    }
    let item = match kind {
        DictViewKind::Keys => k.0.clone(),
        DictViewKind::Values => v.clone(),
        DictViewKind::Items => Value::tuple(vec![k.0.clone(), v.clone()]),
    };
    Ok(Some((position, item)))
}

/// One step of a dict iterator: [`dict_peek`], then the cursor moved past what it gave (or
/// made to remember the end or the error, as CPython's iterator does).
fn dict_next(
    dict: &DictObj,
    index: &mut usize,
    expected_len: &mut usize,
    remaining: &mut usize,
    kind: DictViewKind,
) -> RtResult<Option<Value>> {
    let cursor = DictCursor { index: *index, expected_len: *expected_len, remaining: *remaining };
    match dict_peek(dict, &cursor, kind) {
        Ok(Some((position, item))) => {
            *index = position + 1;
            *remaining -= 1;
            Ok(Some(item))
        }
        Ok(None) => {
            *index = usize::MAX;
            Ok(None)
        }
        Err(e) => {
            if *remaining == 0 && dict.borrow().len() == *expected_len {
                *index = usize::MAX;
            } else {
                *expected_len = usize::MAX;
            }
            Err(e)
        }
    }
}

impl IterObj {
    /// The next value, or `None` when exhausted, where no Toy code can run (a `map` over a
    /// Toy function or a generator expression raises "not supported" here; use `next_with`).
    pub fn next_value(&mut self) -> RtResult<Option<Value>> {
        self.next_with(&mut Detached(&mut std::io::sink()))
    }

    /// The next value, or `None` when exhausted; `host` runs the Toy code a lazy iterator
    /// (`map`, `filter`, a generator expression) calls.
    pub fn next_with(&mut self, host: &mut dyn Host) -> RtResult<Option<Value>> {
        match self {
            IterObj::Range { next, stop, step } => {
                if (*step > 0 && *next < *stop) || (*step < 0 && *next > *stop) {
                    let v = *next;
                    *next = next.checked_add(*step).unwrap_or(*stop);
                    Ok(Some(Value::Int(v)))
                } else {
                    Ok(None)
                }
            }
            IterObj::List { list, index } => {
                let v = list.borrow().get(*index).cloned();
                if v.is_some() {
                    *index += 1;
                }
                Ok(v)
            }
            IterObj::Tuple { tuple, index } => {
                let v = tuple.get(*index).cloned();
                if v.is_some() {
                    *index += 1;
                }
                Ok(v)
            }
            IterObj::Str { text, byte_index } => match str_char_at(text, *byte_index) {
                Some((c, next)) => {
                    *byte_index = next;
                    Ok(Some(c))
                }
                None => Ok(None),
            },
            IterObj::DictKeys { dict, index, expected_len, remaining } => {
                dict_next(dict, index, expected_len, remaining, DictViewKind::Keys)
            }
            IterObj::DictIter { dict, index, expected_len, remaining, kind } => {
                dict_next(dict, index, expected_len, remaining, *kind)
            }
            IterObj::Values { values, index } => {
                let v = values.get(*index).cloned();
                if v.is_some() {
                    *index += 1;
                }
                Ok(v)
            }
            IterObj::Enumerate { inner, count } => match inner.next_with(host)? {
                Some(v) => {
                    let n = count.get();
                    count.set(n.wrapping_add(1));
                    Ok(Some(Value::tuple(vec![Value::Int(n), v])))
                }
                None => Ok(None),
            },
            IterObj::Zip { inners } => {
                if inners.is_empty() {
                    return Ok(None);
                }
                let mut items = Vec::with_capacity(inners.len());
                if !next_of_each(inners, &mut items, host)? {
                    return Ok(None);
                }
                Ok(Some(Value::tuple(items)))
            }
            IterObj::Map { func, inners } => {
                let mut args = Vec::with_capacity(inners.len());
                if !next_of_each(inners, &mut args, host)? {
                    return Ok(None);
                }
                end_on_stop_iteration(host.call(func, &args))
            }
            IterObj::Filter { func, inner } => loop {
                let Some(item) = inner.next_with(host)? else { return Ok(None) };
                let keep = match &*func {
                    Value::None => truthy(&item),
                    f => match end_on_stop_iteration(host.call(f, std::slice::from_ref(&item)))? {
                        Some(verdict) => truthy(&verdict),
                        None => return Ok(None),
                    },
                };
                if keep {
                    return Ok(Some(item));
                }
            },
            IterObj::Generator(generator) => host.resume(generator),
            IterObj::Shared(inner) => match inner.try_borrow_mut() {
                Ok(mut inner) => inner.next_with(host),
                Err(_) => Err(RtError::new(ExcKind::RuntimeError, "iterator already executing")),
            },
            IterObj::BigRangeIter { next, range } => {
                let more = if range.step.is_positive() { *next < range.stop } else { *next > range.stop };
                if !more {
                    return Ok(None);
                }
                let v = next.clone();
                *next += &range.step;
                Ok(Some(Value::from_bigint(v)))
            }
            IterObj::DictView { .. } | IterObj::BigRange(_) => {
                Err(type_error(format!("'{}' object is not an iterator", self.type_name())))
            }
        }
    }

    /// Is this a dict view (`d.keys()`, ...) rather than an iterator?
    pub fn is_dict_view(&self) -> bool {
        matches!(self, IterObj::DictView { .. })
    }

    /// Is this a re-iterable value (a dict view or a big `range`) rather than an iterator?
    pub fn is_view(&self) -> bool {
        matches!(self, IterObj::DictView { .. } | IterObj::BigRange(_))
    }
}

/// The result of `map`'s or `filter`'s function: a `StopIteration` it raises ends the
/// iteration for whoever asked, as in CPython (the iterator itself is not exhausted).
fn end_on_stop_iteration(result: RtResult<Value>) -> RtResult<Option<Value>> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.kind() == ExcKind::StopIteration => Ok(None),
        Err(e) => Err(e),
    }
}

/// Steps each of `inners` once, pushing the values onto `out`; false when one is exhausted
/// (`zip` and `map` stop at the shortest).
fn next_of_each(inners: &mut [IterObj], out: &mut Vec<Value>, host: &mut dyn Host) -> RtResult<bool> {
    for inner in inners.iter_mut() {
        match inner.next_with(host)? {
            Some(v) => out.push(v),
            None => return Ok(false),
        }
    }
    Ok(true)
}

/// All the values of an iterable (`list(v)`); MemoryError for absurd ranges. No Toy code can
/// run here (see `IterObj::next_value`); `collect_with` is the general form.
pub fn collect(v: &Value) -> RtResult<Vec<Value>> {
    collect_with(v, &mut Detached(&mut std::io::sink()))
}

/// All the values of an iterable, `host` running what a lazy iterator calls.
pub fn collect_with(v: &Value, host: &mut dyn Host) -> RtResult<Vec<Value>> {
    match v {
        Value::List(l) => Ok(l.borrow().clone()),
        Value::Tuple(t) => Ok(t.to_vec()),
        Value::Str(s) => Ok(s.as_str().chars().map(Value::char).collect()),
        Value::Dict(d) => Ok(d.borrow().keys().map(|k| k.0.clone()).collect()),
        Value::Range(r) => {
            let n = range_len(r);
            check_seq_size(n as u64)?;
            Ok((0..n).map(|i| Value::Int(crate::interp::objects::ops::range_item(r, i))).collect())
        }
        _ => {
            let big_len = match v {
                Value::Iterator(it) => match &*it.borrow() {
                    IterObj::BigRange(r) => Some(big_range_len(r)),
                    _ => None,
                },
                _ => None,
            };
            if let Some(n) = big_len {
                check_seq_size(n.to_u64().unwrap_or(u64::MAX))?;
            }
            let mut it = make_iter(v)?;
            let mut out = Vec::new();
            while let Some(x) = it.next_with(host)? {
                out.push(x);
                if out.len() as u64 > crate::interp::objects::ops::MAX_SEQ_ELEMS {
                    return Err(crate::interp::objects::error::memory_error());
                }
            }
            Ok(out)
        }
    }
}

/// `reversed(v)`: `TypeError: 'int' object is not reversible`.
pub fn reversed(v: &Value) -> RtResult<IterObj> {
    let snapshot = |mut values: Vec<Value>| {
        values.reverse();
        IterObj::Values { values, index: 0 }
    };
    Ok(match v {
        Value::List(_) | Value::Tuple(_) | Value::Str(_) | Value::Dict(_) => snapshot(collect(v)?),
        Value::Range(r) => {
            let n = range_len(r);
            if n == 0 {
                IterObj::Range { next: 0, stop: 0, step: 1 }
            } else {
                let last = crate::interp::objects::ops::range_item(r, n - 1);
                match r.start.checked_sub(r.step) {
                    Some(stop) => IterObj::Range { next: last, stop, step: -r.step },
                    // No representable exclusive bound: clamp, unless the range reaches the
                    // very edge of i64 (then materialise it).
                    None if r.start != i64::MIN && r.start != i64::MAX => {
                        let stop = if r.step > 0 { i64::MIN } else { i64::MAX };
                        IterObj::Range { next: last, stop, step: -r.step }
                    }
                    None => snapshot(collect(v)?),
                }
            }
        }
        Value::Iterator(it) if it.borrow().is_dict_view() => snapshot(collect(v)?),
        Value::Iterator(it) if matches!(&*it.borrow(), IterObj::BigRange(_)) => {
            let IterObj::BigRange(r) = &*it.borrow() else { return Err(type_error("range")) };
            let n = big_range_len(r);
            if n.is_zero() {
                return Ok(IterObj::Range { next: 0, stop: 0, step: 1 });
            }
            let last: BigInt = &r.start + (n - 1u8) * &r.step;
            let rev = BigRangeObj { start: last.clone(), stop: &r.start - &r.step, step: -&r.step };
            IterObj::BigRangeIter { next: last, range: Rc::new(rev) }
        }
        _ => {
            return Err(type_error(format!("'{}' object is not reversible", v.type_name())));
        }
    })
}

/// `range(start, stop, step)` (`step != 0`): an i64 `Value::Range` when every bound fits,
/// else a big range.
pub fn make_range(start: BigInt, stop: BigInt, step: BigInt) -> Value {
    match (start.to_i64(), stop.to_i64(), step.to_i64()) {
        (Some(start), Some(stop), Some(step)) => Value::Range(Rc::new(RangeObj { start, stop, step })),
        _ => iter_value(IterObj::BigRange(Rc::new(BigRangeObj { start, stop, step }))),
    }
}

/// Number of elements of a big range.
pub fn big_range_len(r: &BigRangeObj) -> BigInt {
    let zero = BigInt::zero();
    let (lo, hi, step) =
        if r.step.is_positive() { (&r.start, &r.stop, r.step.clone()) } else { (&r.stop, &r.start, -&r.step) };
    if lo >= hi {
        return zero;
    }
    (hi - lo - 1u8) / step + 1u8
}

/// The big range a `RangeObj` stands for (to compare ranges of both kinds).
pub fn range_as_big(r: &RangeObj) -> BigRangeObj {
    BigRangeObj { start: r.start.into(), stop: r.stop.into(), step: r.step.into() }
}

/// Ranges are equal when they produce the same sequence.
pub fn big_range_eq(a: &BigRangeObj, b: &BigRangeObj) -> bool {
    let (la, lb) = (big_range_len(a), big_range_len(b));
    la == lb && (la.is_zero() || (a.start == b.start && (la == BigInt::from(1) || a.step == b.step)))
}

/// `x in r` for a big range.
pub fn big_range_contains(r: &BigRangeObj, x: &BigInt) -> bool {
    let n = big_range_len(r);
    if n.is_zero() {
        return false;
    }
    let offset = x - &r.start;
    use num_integer::Integer;
    let (q, rem) = offset.div_mod_floor(&r.step);
    rem.is_zero() && !q.is_negative() && q < n
}

/// `enumerate(v, start)`.
pub fn enumerate(v: &Value, start: i64) -> RtResult<IterObj> {
    Ok(IterObj::Enumerate { inner: Box::new(make_iter(v)?), count: Cell::new(start) })
}

/// `item in view` for dict views.
pub fn dict_view_contains(dict: &DictObj, kind: DictViewKind, item: &Value) -> RtResult<bool> {
    match kind {
        DictViewKind::Keys => {
            let key = HashKey::borrowed(item)?;
            Ok(dict.borrow().contains_key(&key))
        }
        DictViewKind::Values => {
            let values: Vec<Value> = dict.borrow().values().cloned().collect();
            for v in &values {
                if same_or_equal(v, item)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        DictViewKind::Items => {
            let Value::Tuple(pair) = item else { return Ok(false) };
            if pair.len() != 2 {
                return Ok(false);
            }
            let key = HashKey::borrowed(&pair[0])?;
            let found = dict.borrow().get(&key).cloned();
            match found {
                Some(v) => same_or_equal(&v, &pair[1]),
                None => Ok(false),
            }
        }
    }
}

/// `a, b = value`: exactly `count` items, or CPython's ValueError.
pub fn unpack(value: &Value, count: usize, host: &mut dyn Host) -> RtResult<Vec<Value>> {
    let items = match value {
        Value::Tuple(items) => items.to_vec(),
        Value::List(items) => items.borrow().clone(),
        Value::Int(_)
        | Value::Float(_)
        | Value::Bool(_)
        | Value::None
        | Value::BigInt(_)
        | Value::Function(_)
        | Value::Builtin(_) => {
            return Err(type_error(format!("cannot unpack non-iterable {} object", value.type_name())));
        }
        other => {
            let mut state: IterObj = make_iter(other)?;
            let mut items = Vec::with_capacity(count);
            while let Some(item) = state.next_with(host)? {
                items.push(item);
                if items.len() > count {
                    return Err(RtError::new(
                        ExcKind::ValueError,
                        format!("too many values to unpack (expected {count})"),
                    ));
                }
            }
            items
        }
    };
    if items.len() > count {
        return Err(RtError::new(ExcKind::ValueError, format!("too many values to unpack (expected {count})")));
    }
    if items.len() < count {
        return Err(RtError::new(
            ExcKind::ValueError,
            format!("not enough values to unpack (expected {count}, got {})", items.len()),
        ));
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interp::objects::value::RangeObj;

    #[test]
    fn iterator_values_share_state() {
        let it = iter_value(make_iter(&Value::list(vec![Value::Int(1), Value::Int(2)])).unwrap());
        let mut a = make_iter(&it).unwrap();
        assert!(matches!(a.next_value().unwrap(), Some(Value::Int(1))));
        let mut b = make_iter(&it).unwrap();
        assert!(matches!(b.next_value().unwrap(), Some(Value::Int(2))));
        assert!(a.next_value().unwrap().is_none());
    }

    #[test]
    fn reversed_range_at_edges() {
        let r = Value::Range(Rc::new(RangeObj { start: i64::MIN, stop: i64::MIN + 3, step: 1 }));
        let mut it = reversed(&r).unwrap();
        let mut got = vec![];
        while let Some(Value::Int(i)) = it.next_value().unwrap() {
            got.push(i);
        }
        assert_eq!(got, vec![i64::MIN + 2, i64::MIN + 1, i64::MIN]);
    }

    #[test]
    fn big_ranges() {
        use crate::interp::objects::format::repr;
        let two64: BigInt = BigInt::from(1u8) << 64u32;
        let r = make_range(&two64 - 2, &two64 + 2, BigInt::from(1));
        assert_eq!(repr(&r).unwrap(), "range(18446744073709551614, 18446744073709551618)");
        assert_eq!(
            repr(&Value::list(collect(&r).unwrap())).unwrap(),
            "[18446744073709551614, 18446744073709551615, 18446744073709551616, 18446744073709551617]"
        );
        assert_eq!(crate::interp::objects::ops::len(&r).unwrap(), 4);
        let rev = iter_value(reversed(&r).unwrap());
        assert_eq!(
            repr(&Value::list(collect(&rev).unwrap())).unwrap(),
            "[18446744073709551617, 18446744073709551616, 18446744073709551615, 18446744073709551614]"
        );
        assert!(crate::interp::objects::ops::contains(&r, &Value::from_bigint(two64.clone())).unwrap());
        assert!(!crate::interp::objects::ops::contains(&r, &Value::Int(5)).unwrap());
        assert_eq!(
            repr(&crate::interp::objects::ops::get_item(&r, &Value::Int(-1)).unwrap()).unwrap(),
            "18446744073709551617"
        );
        // Iterating twice restarts (a range is not an iterator).
        assert_eq!(collect(&r).unwrap().len(), 4);
        let small_tail = make_range(BigInt::from(i64::MAX) - 1, BigInt::from(i64::MAX) + 2, BigInt::from(1));
        let items = collect(&small_tail).unwrap();
        assert!(matches!(items[0], Value::Int(_)) && matches!(items[2], Value::BigInt(_)));
        let huge = make_range(BigInt::from(0), two64, BigInt::from(1));
        assert_eq!(collect(&huge).unwrap_err().kind(), ExcKind::MemoryError);
        assert_eq!(crate::interp::objects::ops::len(&huge).unwrap_err().kind(), ExcKind::OverflowError);
        assert!(matches!(make_range(BigInt::from(0), BigInt::from(3), BigInt::from(1)), Value::Range(_)));
        let empty = make_range(BigInt::from(1) << 70u32, BigInt::from(0), BigInt::from(1));
        let zero = make_range(BigInt::from(0), BigInt::from(0), BigInt::from(1));
        assert!(crate::interp::objects::ops::equals(&empty, &zero).unwrap());
    }

    #[test]
    fn dict_size_change_is_an_error() {
        let d = Rc::new(RefCell::new(crate::interp::objects::value::DictMap::default()));
        d.borrow_mut().insert(HashKey::new(Value::Int(1)).unwrap(), Value::None);
        let mut it = make_iter(&Value::Dict(d.clone())).unwrap();
        d.borrow_mut().insert(HashKey::new(Value::Int(2)).unwrap(), Value::None);
        assert_eq!(it.next_value().unwrap_err().kind(), ExcKind::RuntimeError);
    }
}
