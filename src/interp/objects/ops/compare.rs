//! Comparisons (`== != < <= > >= is in`), exact int/float comparison, and the stable,
//! fallible sort used by `list.sort` and `sorted`.
//!
//! `is`: identity (`Rc::ptr_eq`) for heap objects; None/bools/ints/floats compare by value and
//! type (CPython caches small ints; for other ints `is` is implementation-defined, Toy answers
//! "same value"). Strings are heap objects: `is` is pointer identity.
//! Floats are unboxed, so a float's identity is its bits: `float("nan")` makes a NaN with a
//! fresh payload each call (`builtins::convert::fresh_nan`), so two NaNs read from one variable
//! are the same object and two `float("nan")` calls are not, as in CPython. (NaNs produced by
//! arithmetic carry the hardware's payload, so they are all one object; CPython makes a new one
//! per operation. Documented in docs/LANGUAGE.md.)
//! Inside containers comparisons are `x is y or x == y` ([`same_or_equal`]), as in CPython.
//! Nested containers recurse at most `MAX_DEPTH` levels, then RecursionError (as CPython's
//! `maximum recursion depth exceeded in comparison`), so self-referential lists never overflow
//! the Rust stack.

use std::cmp::Ordering;
use std::rc::Rc;

use num_bigint::BigInt;
use num_traits::FromPrimitive;

use crate::interp::objects::error::{ExcKind, RtError, RtResult, type_error};
use crate::interp::objects::iter::make_iter;
use crate::interp::objects::ops::range_len;
use crate::interp::objects::value::{IterObj, Str, Tuple, Value};
use crate::parser::ast::CmpOp;

const MAX_DEPTH: u32 = 900;

fn depth_error() -> RtError {
    RtError::new(ExcKind::RecursionError, "maximum recursion depth exceeded in comparison")
}

/// `a op b` for every comparison operator (`in`: is `a` in `b`).
pub fn compare(op: CmpOp, a: &Value, b: &Value) -> RtResult<bool> {
    match op {
        CmpOp::Eq => equals(a, b),
        CmpOp::NotEq => Ok(!equals(a, b)?),
        CmpOp::Is => Ok(is_same(a, b)),
        CmpOp::IsNot => Ok(!is_same(a, b)),
        CmpOp::In => contains(b, a),
        CmpOp::NotIn => Ok(!contains(b, a)?),
        CmpOp::Lt | CmpOp::LtE | CmpOp::Gt | CmpOp::GtE => order(op, a, b, 0),
    }
}

/// `a < b` (what sorting, `min` and `max` use).
pub fn value_lt(a: &Value, b: &Value) -> RtResult<bool> {
    order(CmpOp::Lt, a, b, 0)
}

/// Python `==`.
pub fn equals(a: &Value, b: &Value) -> RtResult<bool> {
    eq_depth(a, b, 0)
}

/// `a is b` (see the module doc).
#[inline(always)]
pub fn is_same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        // `x is None`, the common test, decided without a call.
        (Value::None, other) | (other, Value::None) => matches!(other, Value::None),
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::BigInt(x), Value::BigInt(y)) => x == y,
        (Value::Float(x), Value::Float(y)) => x.to_bits() == y.to_bits(),
        (Value::Str(x), Value::Str(y)) => Str::ptr_eq(x, y),
        (Value::Tuple(x), Value::Tuple(y)) => Tuple::ptr_eq(x, y) || (x.is_empty() && y.is_empty()),
        _ => is_identical_heap(a, b),
    }
}

/// `a is b` for values that live on the heap (and builtins): the same object.
pub fn is_identical_heap(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Str(x), Value::Str(y)) => Str::ptr_eq(x, y),
        (Value::List(x), Value::List(y)) => Rc::ptr_eq(x, y),
        (Value::Tuple(x), Value::Tuple(y)) => Tuple::ptr_eq(x, y),
        (Value::Dict(x), Value::Dict(y)) => Rc::ptr_eq(x, y),
        (Value::Range(x), Value::Range(y)) => Rc::ptr_eq(x, y),
        (Value::Function(x), Value::Function(y)) => Rc::ptr_eq(x, y),
        (Value::Module(x), Value::Module(y)) => Rc::ptr_eq(x, y),
        (Value::Exception(x), Value::Exception(y)) => Rc::ptr_eq(x, y),
        (Value::Iterator(x), Value::Iterator(y)) => Rc::ptr_eq(x, y),
        (Value::Builtin(x), Value::Builtin(y)) => x == y,
        (Value::BigInt(x), Value::BigInt(y)) => Rc::ptr_eq(x, y),
        _ => false,
    }
}

/// Ordering of an i64 and a float, exactly (None when `f` is NaN).
fn int_float_cmp(i: i64, f: f64) -> Option<Ordering> {
    if f.is_nan() {
        return None;
    }
    if i.unsigned_abs() <= 1 << 53 {
        return (i as f64).partial_cmp(&f);
    }
    if f.is_infinite() {
        return Some(if f > 0.0 { Ordering::Less } else { Ordering::Greater });
    }
    let fl = f.floor();
    if fl >= 9_223_372_036_854_775_808.0 {
        return Some(Ordering::Less);
    }
    if fl < -9_223_372_036_854_775_808.0 {
        return Some(Ordering::Greater);
    }
    match i.cmp(&(fl as i64)) {
        Ordering::Equal => Some(if f > fl { Ordering::Less } else { Ordering::Equal }),
        other => Some(other),
    }
}

fn big_float_cmp(b: &BigInt, f: f64) -> Option<Ordering> {
    if f.is_nan() {
        return None;
    }
    if f.is_infinite() {
        return Some(if f > 0.0 { Ordering::Less } else { Ordering::Greater });
    }
    let fl = f.floor();
    let flb = BigInt::from_f64(fl)?;
    match b.cmp(&flb) {
        Ordering::Equal => Some(if f > fl { Ordering::Less } else { Ordering::Equal }),
        other => Some(other),
    }
}

/// Ordering of two numbers (bool/int/bigint/float); `Some(None)` when a NaN is involved,
/// `None` when either is not a number.
fn numeric_cmp(a: &Value, b: &Value) -> Option<Option<Ordering>> {
    let int = |v: &Value| match v {
        Value::Bool(x) => Some(*x as i64),
        Value::Int(x) => Some(*x),
        _ => None,
    };
    Some(match (a, b) {
        (Value::Float(x), Value::Float(y)) => x.partial_cmp(y),
        (Value::BigInt(x), Value::BigInt(y)) => Some(x.as_ref().cmp(y.as_ref())),
        (Value::BigInt(x), Value::Float(f)) => big_float_cmp(x, *f),
        (Value::Float(f), Value::BigInt(x)) => big_float_cmp(x, *f).map(Ordering::reverse),
        (Value::BigInt(x), _) => Some(x.as_ref().cmp(&BigInt::from(int(b)?))),
        (_, Value::BigInt(y)) => Some(BigInt::from(int(a)?).cmp(y.as_ref())),
        (Value::Float(f), _) => int_float_cmp(int(b)?, *f).map(Ordering::reverse),
        (_, Value::Float(f)) => int_float_cmp(int(a)?, *f),
        _ => Some(int(a)?.cmp(&int(b)?)),
    })
}

/// `a == b` when both are numbers (None otherwise).
pub fn numeric_eq(a: &Value, b: &Value) -> Option<bool> {
    numeric_cmp(a, b).map(|o| o == Some(Ordering::Equal))
}

/// `a is b or a == b`: how CPython compares inside containers (`PyObject_RichCompareBool`):
/// `in`, list and tuple `==` and ordering, dict values, `index`, `count`, `remove`. A NaN float
/// is "the same object" as a NaN with the same bits (see `same_float_object`).
pub fn same_or_equal(a: &Value, b: &Value) -> RtResult<bool> {
    item_eq(a, b, 0)
}

fn item_eq(a: &Value, b: &Value, depth: u32) -> RtResult<bool> {
    if is_same(a, b) {
        return Ok(true);
    }
    if depth >= MAX_DEPTH {
        return Err(depth_error());
    }
    eq_depth(a, b, depth + 1)
}

fn seq_eq(x: &[Value], y: &[Value], depth: u32) -> RtResult<bool> {
    if x.len() != y.len() {
        return Ok(false);
    }
    for (p, q) in x.iter().zip(y.iter()) {
        if !item_eq(p, q, depth)? {
            return Ok(false);
        }
    }
    Ok(true)
}

fn eq_depth(a: &Value, b: &Value, depth: u32) -> RtResult<bool> {
    if let Some(r) = numeric_eq(a, b) {
        return Ok(r);
    }
    Ok(match (a, b) {
        (Value::Str(x), Value::Str(y)) => Str::ptr_eq(x, y) || x.as_str() == y.as_str(),
        (Value::List(x), Value::List(y)) => Rc::ptr_eq(x, y) || seq_eq(&x.borrow(), &y.borrow(), depth)?,
        (Value::Tuple(x), Value::Tuple(y)) => Tuple::ptr_eq(x, y) || seq_eq(x, y, depth)?,
        (Value::Dict(x), Value::Dict(y)) => {
            if Rc::ptr_eq(x, y) {
                return Ok(true);
            }
            let (x, y) = (x.borrow(), y.borrow());
            if x.len() != y.len() {
                return Ok(false);
            }
            for (k, v) in x.iter() {
                match y.get(&crate::interp::objects::value::HashKey::borrowed(&k.0)?) {
                    Some(w) if item_eq(v, w, depth)? => {}
                    _ => return Ok(false),
                }
            }
            true
        }
        (Value::None, Value::None) => true,
        (Value::Range(x), Value::Range(y)) => crate::interp::objects::ops::range_eq(x, y),
        (Value::Range(_) | Value::Iterator(_), Value::Range(_) | Value::Iterator(_)) => {
            match (as_big_range(a), as_big_range(b)) {
                (Some(x), Some(y)) => crate::interp::objects::iter::big_range_eq(&x, &y),
                _ => is_identical_heap(a, b),
            }
        }
        _ => is_identical_heap(a, b),
    })
}

/// A range value (either kind) as a big range.
fn as_big_range(v: &Value) -> Option<crate::interp::objects::value::BigRangeObj> {
    match v {
        Value::Range(r) => Some(crate::interp::objects::iter::range_as_big(r)),
        Value::Iterator(it) => match &*it.borrow() {
            IterObj::BigRange(r) => Some((**r).clone()),
            _ => None,
        },
        _ => None,
    }
}

fn cmp_symbol(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Lt => "<",
        CmpOp::LtE => "<=",
        CmpOp::Gt => ">",
        CmpOp::GtE => ">=",
        CmpOp::Eq => "==",
        CmpOp::NotEq => "!=",
        CmpOp::Is => "is",
        CmpOp::IsNot => "is not",
        CmpOp::In => "in",
        CmpOp::NotIn => "not in",
    }
}

fn apply(op: CmpOp, ord: Option<Ordering>) -> bool {
    match ord {
        None => false,
        Some(o) => match op {
            CmpOp::Lt => o == Ordering::Less,
            CmpOp::LtE => o != Ordering::Greater,
            CmpOp::Gt => o == Ordering::Greater,
            CmpOp::GtE => o != Ordering::Less,
            _ => false,
        },
    }
}

fn seq_order(op: CmpOp, x: &[Value], y: &[Value], depth: u32) -> RtResult<bool> {
    for (p, q) in x.iter().zip(y.iter()) {
        if !item_eq(p, q, depth)? {
            if depth >= MAX_DEPTH {
                return Err(depth_error());
            }
            return order(op, p, q, depth + 1);
        }
    }
    Ok(apply(op, Some(x.len().cmp(&y.len()))))
}

fn order(op: CmpOp, a: &Value, b: &Value, depth: u32) -> RtResult<bool> {
    if let Some(ord) = numeric_cmp(a, b) {
        return Ok(apply(op, ord));
    }
    match (a, b) {
        (Value::Str(x), Value::Str(y)) => Ok(apply(op, Some(x.as_str().cmp(y.as_str())))),
        (Value::List(x), Value::List(y)) => seq_order(op, &x.borrow(), &y.borrow(), depth),
        (Value::Tuple(x), Value::Tuple(y)) => seq_order(op, x, y, depth),
        _ => Err(type_error(format!(
            "'{}' not supported between instances of '{}' and '{}'",
            cmp_symbol(op),
            a.type_name(),
            b.type_name()
        ))),
    }
}

/// `item in container`.
pub fn contains(container: &Value, item: &Value) -> RtResult<bool> {
    match container {
        Value::List(l) => {
            let items = l.borrow();
            for v in items.iter() {
                if item_eq(item, v, 0)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        Value::Tuple(t) => {
            for v in t.iter() {
                if item_eq(item, v, 0)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        Value::Str(s) => match item {
            Value::Str(sub) => Ok(s.as_str().contains(sub.as_str())),
            _ => Err(type_error(format!("'in <string>' requires string as left operand, not {}", item.type_name()))),
        },
        Value::Dict(d) => super::dict_contains(d, item),
        Value::Range(r) => {
            let n = match item {
                Value::Int(i) => *i,
                Value::Bool(b) => *b as i64,
                Value::Float(f) if f.fract() == 0.0 && f.abs() < 9.2e18 => *f as i64,
                _ => return Ok(false),
            };
            let (start, step) = (r.start as i128, r.step as i128);
            let len = range_len(r) as i128;
            if len == 0 {
                return Ok(false);
            }
            let offset = n as i128 - start;
            Ok(offset % step == 0 && offset / step >= 0 && offset / step < len)
        }
        Value::Iterator(it) => {
            let view = match &*it.borrow() {
                IterObj::DictView { dict, kind } => Some((dict.clone(), *kind)),
                _ => None,
            };
            if let Some((dict, kind)) = view {
                return crate::interp::objects::iter::dict_view_contains(&dict, kind, item);
            }
            if let Some(r) = as_big_range(container) {
                let n = match item {
                    Value::Float(f) if f.is_finite() && f.fract() == 0.0 => BigInt::from_f64(*f),
                    _ => crate::interp::objects::ops::int_to_bigint(item),
                };
                return Ok(n.is_some_and(|n| crate::interp::objects::iter::big_range_contains(&r, &n)));
            }
            let mut iter = make_iter(container)?;
            while let Some(v) = iter.next_value()? {
                if item_eq(item, &v, 0)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        _ => Err(type_error(format!("argument of type '{}' is not iterable", container.type_name()))),
    }
}

/// Sorts `items` in place, stably, with Python's `<` (only `<` is ever used, as in CPython);
/// `reverse` keeps equal elements in their original order, like CPython. The first failing
/// comparison's error is returned (the vector is then some permutation of the input).
pub fn sort_values(items: &mut Vec<Value>, reverse: bool) -> RtResult<()> {
    if reverse {
        items.reverse();
    }
    // Ints, and floats other than NaN and -0.0, that compare equal are the same value, so an
    // unstable sort gives the stable result; it needs no scratch buffer (a stable sort takes
    // one as big as the list: 3.2 MB at the peak of sorting 200k ints).
    if items.iter().all(|v| matches!(v, Value::Int(_))) {
        items.sort_unstable_by(|a, b| match (a, b) {
            (Value::Int(x), Value::Int(y)) => x.cmp(y),
            _ => Ordering::Equal,
        });
    } else if items.iter().all(|v| matches!(v, Value::Float(f) if !f.is_nan() && *f != 0.0)) {
        items.sort_unstable_by(|a, b| match (a, b) {
            (Value::Float(x), Value::Float(y)) => x.partial_cmp(y).unwrap_or(Ordering::Equal),
            _ => Ordering::Equal,
        });
    } else if items.iter().all(|v| matches!(v, Value::Float(f) if !f.is_nan())) {
        // 0.0 and -0.0 are equal but print differently: their order is kept.
        items.sort_by(|a, b| match (a, b) {
            (Value::Float(x), Value::Float(y)) => x.partial_cmp(y).unwrap_or(Ordering::Equal),
            _ => Ordering::Equal,
        });
    } else if items.iter().all(|v| matches!(v, Value::Str(_))) {
        items.sort_by(|a, b| match (a, b) {
            (Value::Str(x), Value::Str(y)) => x.as_str().cmp(y.as_str()),
            _ => Ordering::Equal,
        });
    } else {
        merge_sort(items)?;
    }
    if reverse {
        items.reverse();
    }
    Ok(())
}

fn insertion_sort(v: &mut [Value]) -> RtResult<()> {
    for i in 1..v.len() {
        let (mut lo, mut hi) = (0, i);
        while lo < hi {
            let mid = (lo + hi) / 2;
            if value_lt(&v[i], &v[mid])? {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        v[lo..=i].rotate_right(1);
    }
    Ok(())
}

fn merge_sort(v: &mut Vec<Value>) -> RtResult<()> {
    const RUN: usize = 32;
    let n = v.len();
    for start in (0..n).step_by(RUN) {
        insertion_sort(&mut v[start..(start + RUN).min(n)])?;
    }
    let mut width = RUN;
    let mut buf: Vec<Value> = Vec::with_capacity(n);
    while width < n {
        buf.clear();
        let mut i = 0;
        while i < n {
            let mid = (i + width).min(n);
            let end = (i + 2 * width).min(n);
            let (mut p, mut q) = (i, mid);
            while p < mid && q < end {
                if value_lt(&v[q], &v[p])? {
                    buf.push(v[q].clone());
                    q += 1;
                } else {
                    buf.push(v[p].clone());
                    p += 1;
                }
            }
            buf.extend_from_slice(&v[p..mid]);
            buf.extend_from_slice(&v[q..end]);
            i = end;
        }
        std::mem::swap(v, &mut buf);
        width *= 2;
    }
    Ok(())
}
