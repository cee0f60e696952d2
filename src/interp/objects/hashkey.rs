//! Dict keys: [`HashKey::new`] checks that a value is hashable (Python's rules) and the
//! `Hash`/`Eq` impls make keys that are `==` in Python the same key (`1`, `1.0` and `True`;
//! `0.0` and `-0.0`; equal tuples; equal strings).
//!
//! Touches only `HashKey` (defined in `value.rs`). Hash values are not Python's (`hash()` is not
//! part of Toy and dict order is insertion order), only consistent with `==`.
//!
//! Documented deviations: a NaN key equals another NaN key with the same bits (CPython compares
//! NaN keys by object identity, which unboxed floats do not have); functions, builtins, modules,
//! exceptions and iterators hash and compare by identity, as in CPython.

use std::hash::{Hash, Hasher};
use std::rc::Rc;

use num_bigint::BigInt;
use num_traits::{FromPrimitive, ToPrimitive};

use crate::interp::objects::error::{ExcKind, RtError, RtResult, type_error};
use crate::interp::objects::value::{HashKey, Tuple, Value};

/// Tuples nested deeper than this cannot be keys (RecursionError, never a Rust stack overflow).
const MAX_DEPTH: usize = 2000;

impl HashKey {
    /// Wraps `v` as a dict key; `TypeError: unhashable type: 'list'` for lists, dicts and
    /// tuples containing them.
    pub fn new(v: Value) -> RtResult<HashKey> {
        check_hashable(&v, 0)?;
        Ok(HashKey(v))
    }

    /// The wrapped value.
    pub fn value(&self) -> &Value {
        &self.0
    }
}

fn check_hashable(v: &Value, depth: usize) -> RtResult<()> {
    match v {
        Value::List(_) | Value::Dict(_) | Value::Unbound => {
            Err(type_error(format!("unhashable type: '{}'", v.type_name())))
        }
        Value::Iterator(it) if it.borrow().is_dict_view() => {
            Err(type_error(format!("unhashable type: '{}'", v.type_name())))
        }
        Value::Tuple(items) => {
            if depth > MAX_DEPTH {
                return Err(RtError::new(
                    ExcKind::RecursionError,
                    "maximum recursion depth exceeded while calling a Python object",
                ));
            }
            items.iter().try_for_each(|item| check_hashable(item, depth + 1))
        }
        _ => Ok(()),
    }
}

/// The number an int-like or integral float key stands for, reduced so that equal numbers give
/// equal hashes: i64 when it fits, else the residue of the BigInt modulo 2^61-1 (tagged).
fn hash_int(n: i64, state: &mut impl Hasher) {
    state.write_u8(3);
    state.write_i64(n);
}

fn hash_big(n: &BigInt, state: &mut impl Hasher) {
    // A BigInt is never in i64 range (Value invariant), so it can only equal another BigInt
    // or an integral float of the same value.
    let modulus = BigInt::from((1u64 << 61) - 1);
    let residue = (n % &modulus).to_i64().unwrap_or(0);
    state.write_u8(4);
    state.write_i64(residue);
}

fn hash_float(f: f64, state: &mut impl Hasher) {
    if f.is_finite() && f.fract() == 0.0 {
        if f.abs() < 9.2e18 {
            hash_int(f as i64, state);
        } else if let Some(b) = BigInt::from_f64(f) {
            hash_big(&b, state);
        }
    } else {
        state.write_u8(5);
        state.write_u64(f.to_bits());
    }
}

fn hash_value(v: &Value, state: &mut impl Hasher) {
    match v {
        Value::Unbound => state.write_u8(0),
        Value::None => state.write_u8(1),
        Value::Bool(b) => hash_int(*b as i64, state),
        Value::Int(i) => hash_int(*i, state),
        Value::BigInt(b) => hash_big(b, state),
        Value::Float(f) => hash_float(*f, state),
        Value::Str(s) => {
            state.write_u8(6);
            s.text.hash(state);
        }
        Value::Tuple(items) => {
            state.write_u8(7);
            state.write_usize(items.len());
            for item in items.iter() {
                hash_value(item, state);
            }
        }
        Value::Range(r) => {
            state.write_u8(8);
            let len = crate::interp::objects::ops::range_len(r);
            state.write_i64(len);
            if len > 0 {
                state.write_i64(r.start);
            }
            if len > 1 {
                state.write_i64(r.step);
            }
        }
        Value::Builtin(id) => {
            state.write_u8(9);
            id.hash(state);
        }
        Value::List(p) => state.write_usize(Rc::as_ptr(p) as *const u8 as usize),
        Value::Dict(p) => state.write_usize(Rc::as_ptr(p) as *const u8 as usize),
        Value::Function(p) => state.write_usize(Rc::as_ptr(p) as *const u8 as usize),
        Value::Module(p) => state.write_usize(Rc::as_ptr(p) as *const u8 as usize),
        Value::Exception(p) => state.write_usize(Rc::as_ptr(p) as *const u8 as usize),
        Value::Iterator(p) => state.write_usize(Rc::as_ptr(p) as *const u8 as usize),
    }
}

/// Python `==` restricted to hashable values (no errors possible: tuples of hashables are
/// finite trees).
fn key_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Float(x), Value::Float(y)) => x == y || (x.is_nan() && x.to_bits() == y.to_bits()),
        (Value::Str(x), Value::Str(y)) => Rc::ptr_eq(x, y) || x.text == y.text,
        (Value::Tuple(x), Value::Tuple(y)) => {
            Tuple::ptr_eq(x, y) || (x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| key_eq(p, q)))
        }
        (Value::None, Value::None) => true,
        (Value::Builtin(x), Value::Builtin(y)) => x == y,
        (Value::Range(x), Value::Range(y)) => crate::interp::objects::ops::range_eq(x, y),
        (Value::Function(x), Value::Function(y)) => Rc::ptr_eq(x, y),
        (Value::Module(x), Value::Module(y)) => Rc::ptr_eq(x, y),
        (Value::Exception(x), Value::Exception(y)) => Rc::ptr_eq(x, y),
        (Value::Iterator(x), Value::Iterator(y)) => Rc::ptr_eq(x, y),
        (Value::List(x), Value::List(y)) => Rc::ptr_eq(x, y),
        (Value::Dict(x), Value::Dict(y)) => Rc::ptr_eq(x, y),
        _ => crate::interp::objects::ops::numeric_eq(a, b).unwrap_or(false),
    }
}

impl Hash for HashKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        hash_value(&self.0, state);
    }
}

impl PartialEq for HashKey {
    fn eq(&self, other: &HashKey) -> bool {
        key_eq(&self.0, &other.0)
    }
}

impl Eq for HashKey {}

#[cfg(test)]
mod tests {
    use super::*;
    use indexmap::IndexMap;

    #[test]
    fn one_one_point_oh_and_true_are_one_key() {
        let mut m: IndexMap<HashKey, Value> = IndexMap::new();
        m.insert(HashKey::new(Value::Int(1)).unwrap(), Value::str("a"));
        m.insert(HashKey::new(Value::Float(1.0)).unwrap(), Value::str("b"));
        m.insert(HashKey::new(Value::Bool(true)).unwrap(), Value::str("c"));
        assert_eq!(m.len(), 1);
        assert!(matches!(m.keys().next().unwrap().0, Value::Int(1)));
        m.insert(HashKey::new(Value::Float(-0.0)).unwrap(), Value::None);
        assert!(m.contains_key(&HashKey::new(Value::Int(0)).unwrap()));
        let big = BigInt::from(1u8) << 70u32;
        m.insert(HashKey::new(Value::from_bigint(big)).unwrap(), Value::None);
        assert!(m.contains_key(&HashKey::new(Value::Float(2f64.powi(70))).unwrap()));
        let t1 = Value::tuple(vec![Value::Int(1), Value::str("x")]);
        let t2 = Value::tuple(vec![Value::Float(1.0), Value::str("x")]);
        m.insert(HashKey::new(t1).unwrap(), Value::None);
        assert!(m.contains_key(&HashKey::new(t2).unwrap()));
    }

    #[test]
    fn lists_are_unhashable() {
        let e = HashKey::new(Value::list(vec![])).unwrap_err();
        assert_eq!(e.kind(), ExcKind::TypeError);
        let e = HashKey::new(Value::tuple(vec![Value::Int(1), Value::list(vec![])])).unwrap_err();
        assert_eq!(e.kind(), ExcKind::TypeError);
    }
}
