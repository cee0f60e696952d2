//! Dict keys: [`HashKey::new`] checks that a value is hashable (Python's rules) and the
//! `Hash`/`Eq` impls make keys that are `==` in Python the same key (`1`, `1.0` and `True`;
//! `0.0` and `-0.0`; equal tuples; equal strings).
//!
//! Touches only `HashKey` (defined in `value.rs`) and the hash cache of `StrObj`. Hash values are
//! not Python's (`hash()` is not part of Toy and dict order is insertion order), only consistent
//! with `==`: each key hashes to one `u64` (ints to themselves, strings to a cached FxHash of
//! their bytes), which the dict (`dict_map.rs`) mixes. [`KeyRef`] looks a key up without
//! cloning it.
//!
//! A NaN key equals another NaN key with the same bits: CPython compares NaN keys by object
//! identity, and an unboxed float's identity is its bits (each `float("nan")` has its own payload,
//! see `builtins::convert::fresh_nan`); functions, builtins, modules,
//! exceptions and iterators hash and compare by identity, as in CPython.

use std::hash::{Hash, Hasher};
use std::rc::Rc;

use num_bigint::BigInt;
use num_traits::{FromPrimitive, ToPrimitive};

use crate::interp::objects::error::{ExcKind, RtError, RtResult, type_error};
use crate::interp::objects::value::{HashKey, Str, StrObj, Tuple, Value};

/// Tuples nested deeper than this cannot be keys (RecursionError, never a Rust stack overflow).
const MAX_DEPTH: usize = 2000;

impl HashKey {
    /// Wraps `v` as a dict key; `TypeError: unhashable type: 'list'` for lists, dicts and
    /// tuples containing them.
    pub fn new(v: Value) -> RtResult<HashKey> {
        check_hashable(&v, 0)?;
        Ok(HashKey(v))
    }

    /// `v` as a key to look up (same checks as [`HashKey::new`]; nothing cloned).
    pub fn borrowed(v: &Value) -> RtResult<KeyRef<'_>> {
        check_hashable(v, 0)?;
        Ok(KeyRef(v))
    }

    /// The wrapped value.
    pub fn value(&self) -> &Value {
        &self.0
    }
}

/// The common keys (ints, strings, floats, ...) need no walk: only containers are checked.
#[inline]
fn check_hashable(v: &Value, depth: usize) -> RtResult<()> {
    match v {
        Value::List(_) | Value::Dict(_) | Value::Unbound | Value::Iterator(_) | Value::Tuple(_) => {
            check_container_hashable(v, depth)
        }
        _ => Ok(()),
    }
}

fn check_container_hashable(v: &Value, depth: usize) -> RtResult<()> {
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

/// Mixes the parts of a composite key (tuple items, range fields) into one hash.
fn combine(acc: u64, part: u64) -> u64 {
    (acc.rotate_left(5) ^ part).wrapping_mul(0x517c_c1b7_2722_0a95)
}

/// An int's hash is the int itself (the map's FxHash mixes it), so that `1`, `1.0` and `True`
/// agree.
fn hash_int(n: i64) -> u64 {
    n as u64
}

fn hash_big(n: &BigInt) -> u64 {
    // A BigInt is never in i64 range (Value invariant), so it can only equal another BigInt
    // or an integral float of the same value: both reduce modulo 2^61-1.
    let modulus = BigInt::from((1u64 << 61) - 1);
    combine(4, (n % &modulus).to_i64().unwrap_or(0) as u64)
}

fn hash_float(f: f64) -> u64 {
    // -2^63 <= f < 2^63: exactly an i64 when integral (and then equal to that Int).
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if f.is_finite() && f.fract() == 0.0 {
        if (-TWO_63..TWO_63).contains(&f) {
            hash_int(f as i64)
        } else {
            BigInt::from_f64(f).map_or(0, |b| hash_big(&b))
        }
    } else {
        combine(5, f.to_bits())
    }
}

/// A string's hash, computed once and cached in the string (0 marks "not yet computed", so a
/// computed 0 is stored as 1).
#[inline]
fn hash_str(s: &StrObj) -> u64 {
    match s.cached_hash() {
        0 => compute_str_hash(s),
        cached => cached as u64,
    }
}

fn compute_str_hash(s: &StrObj) -> u64 {
    let mut hasher = rustc_hash::FxHasher::default();
    hasher.write(s.as_str().as_bytes());
    let full = hasher.finish();
    let folded = ((full >> 32) as u32 ^ full as u32).max(1);
    s.set_cached_hash(folded);
    folded as u64
}

fn identity(p: *const u8) -> u64 {
    p as usize as u64
}

/// The hash of a hashable value, consistent with [`key_eq`]. Ints and strings (the usual keys)
/// are inlined into the lookups.
#[inline]
pub(crate) fn key_hash(v: &Value) -> u64 {
    match v {
        Value::Int(i) => hash_int(*i),
        Value::Str(s) => hash_str(s),
        _ => other_key_hash(v),
    }
}

fn other_key_hash(v: &Value) -> u64 {
    match v {
        Value::Unbound => 0,
        Value::None => 1,
        Value::Bool(b) => hash_int(*b as i64),
        Value::Int(i) => hash_int(*i),
        Value::BigInt(b) => hash_big(b),
        Value::Float(f) => hash_float(*f),
        Value::Str(s) => hash_str(s),
        Value::Tuple(items) => {
            items.iter().fold(combine(7, items.len() as u64), |acc, item| combine(acc, key_hash(item)))
        }
        Value::Range(r) => {
            let len = crate::interp::objects::ops::range_len(r);
            let mut h = combine(8, len as u64);
            if len > 0 {
                h = combine(h, r.start as u64);
            }
            if len > 1 {
                h = combine(h, r.step as u64);
            }
            h
        }
        Value::Builtin(id) => {
            let mut hasher = rustc_hash::FxHasher::default();
            id.hash(&mut hasher);
            combine(9, hasher.finish())
        }
        Value::List(p) => identity(Rc::as_ptr(p) as *const u8),
        Value::Dict(p) => identity(Rc::as_ptr(p) as *const u8),
        Value::Function(p) => identity(Rc::as_ptr(p) as *const u8),
        Value::Module(p) => identity(Rc::as_ptr(p) as *const u8),
        Value::Exception(p) => identity(Rc::as_ptr(p) as *const u8),
        Value::Iterator(p) => identity(Rc::as_ptr(p) as *const u8),
    }
}

/// Python `==` restricted to hashable values (no errors possible: tuples of hashables are
/// finite trees).
#[inline]
pub(crate) fn key_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::Str(x), Value::Str(y)) => Str::ptr_eq(x, y) || x.as_str() == y.as_str(),
        _ => other_key_eq(a, b),
    }
}

fn other_key_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Float(x), Value::Float(y)) => x == y || (x.is_nan() && x.to_bits() == y.to_bits()),
        (Value::Str(x), Value::Str(y)) => Str::ptr_eq(x, y) || x.as_str() == y.as_str(),
        (Value::Tuple(x), Value::Tuple(y)) => {
            Tuple::ptr_eq(x, y) || (x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| key_eq(p, q)))
        }
        (Value::None, Value::None) => true,
        (Value::Range(x), Value::Range(y)) => crate::interp::objects::ops::range_eq(x, y),
        // Numbers by value; everything else (functions, builtins, ...) by identity.
        _ => crate::interp::objects::ops::numeric_eq(a, b)
            .unwrap_or_else(|| crate::interp::objects::ops::is_identical_heap(a, b)),
    }
}

impl Hash for HashKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(key_hash(&self.0));
    }
}

/// A borrowed dict key for lookups (`d[k]`, `k in d`, `d.get(k)`, ...): hashes and compares as
/// the `HashKey` it stands for, without cloning the value. Make one with [`HashKey::borrowed`].
pub struct KeyRef<'a>(&'a Value);

impl<'a> KeyRef<'a> {
    /// The key looked up.
    #[inline]
    pub fn value(&self) -> &'a Value {
        self.0
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

    #[test]
    fn one_one_point_oh_and_true_are_one_key() {
        let mut m = crate::interp::objects::value::DictMap::default();
        let has =
            |m: &crate::interp::objects::value::DictMap, v: Value| m.contains_key(&HashKey::borrowed(&v).unwrap());
        m.insert(HashKey::new(Value::Int(1)).unwrap(), Value::str("a"));
        m.insert(HashKey::new(Value::Float(1.0)).unwrap(), Value::str("b"));
        m.insert(HashKey::new(Value::Bool(true)).unwrap(), Value::str("c"));
        assert_eq!(m.len(), 1);
        assert!(matches!(m.keys().next().unwrap().0, Value::Int(1)));
        m.insert(HashKey::new(Value::Float(-0.0)).unwrap(), Value::None);
        assert!(has(&m, Value::Int(0)));
        let big = BigInt::from(1u8) << 70u32;
        m.insert(HashKey::new(Value::from_bigint(big)).unwrap(), Value::None);
        assert!(has(&m, Value::Float(2f64.powi(70))));
        let t1 = Value::tuple(vec![Value::Int(1), Value::str("x")]);
        let t2 = Value::tuple(vec![Value::Float(1.0), Value::str("x")]);
        m.insert(HashKey::new(t1).unwrap(), Value::None);
        assert!(has(&m, t2));
    }

    #[test]
    fn a_string_is_hashed_once_and_equal_strings_hash_alike() {
        let (a, b) = (Value::str("word"), Value::str("word"));
        let Value::Str(obj) = &a else { unreachable!() };
        assert_eq!(obj.cached_hash(), 0);
        let first = key_hash(&a);
        assert_ne!(obj.cached_hash(), 0);
        assert_eq!(obj.cached_hash() as u64, first);
        assert_eq!(key_hash(&a), first);
        assert_eq!(key_hash(&b), first);
        assert_ne!(key_hash(&Value::str("other")), first);
    }

    #[test]
    fn integral_floats_near_two_to_the_63_hash_as_their_int() {
        let n = 9_210_000_000_000_000_000i64;
        assert_eq!(key_hash(&Value::Float(n as f64)), key_hash(&Value::Int(n)));
        assert_eq!(key_hash(&Value::Float(-9.223372036854775808e18)), key_hash(&Value::Int(i64::MIN)));
    }

    #[test]
    fn lists_are_unhashable() {
        let e = HashKey::new(Value::list(vec![])).unwrap_err();
        assert_eq!(e.kind(), ExcKind::TypeError);
        let e = HashKey::new(Value::tuple(vec![Value::Int(1), Value::list(vec![])])).unwrap_err();
        assert_eq!(e.kind(), ExcKind::TypeError);
    }
}
