//! Python semantics of the operators on every Toy type, with CPython 3.11's error messages.
//!
//! The VM has fast paths for int/float `+ - *` and comparisons and calls these functions for
//! everything else. Split into submodules: `arith` (binary/unary operators and the numeric
//! helpers), `compare` (`== < is in` ...), `subscript` (indexing, slicing, item assignment).
//! This file holds the small shared pieces: truthiness, `len`, range helpers and size caps.
//!
//! May touch: list/dict contents (item assignment), never the VM's frames.

mod arith;
mod compare;
mod subscript;

pub use arith::{
    big_to_f64, binary, binary_inplace, divmod, float_divmod, float_floordiv, float_mod, float_pow, index_of,
    int_pow_mod, int_to_bigint, name_in_place_operator, num_to_f64, true_divide_ints, unary,
};
pub use compare::{
    compare, contains, equals, is_identical_heap, is_same, numeric_eq, same_or_equal, sort_values, value_lt,
};
pub use subscript::{
    del_item, del_slice, dict_contains, dict_get, get_item, get_slice, pick, pick_values, set_item, set_slice,
    slice_indices, slice_range,
};

use crate::interp::objects::error::{RtResult, memory_error, type_error};
use crate::interp::objects::value::{IterObj, RangeObj, Value};

/// Largest number of elements a list/tuple repetition or concatenation may produce
/// (bigger requests raise MemoryError at once instead of trying to allocate).
pub const MAX_SEQ_ELEMS: u64 = 1 << 28;
/// Largest string (in bytes) an operation may produce: the most a string block's `u32`
/// length can describe (`str_obj.rs`).
pub const MAX_STR_BYTES: u64 = u32::MAX as u64;
/// Largest int (in bits) an operation may produce: beyond this, MemoryError.
pub const MAX_INT_BITS: u64 = 100_000_000;

/// Python truthiness (`bool(x)`).
pub fn truthy(a: &Value) -> bool {
    match a {
        Value::Unbound | Value::None => false,
        Value::Bool(b) => *b,
        Value::Int(i) => *i != 0,
        Value::BigInt(_) => true,
        Value::Float(f) => *f != 0.0,
        Value::Str(s) => !s.as_str().is_empty(),
        Value::List(l) => !l.borrow().is_empty(),
        Value::Tuple(t) => !t.is_empty(),
        Value::Dict(d) => !d.borrow().is_empty(),
        Value::Range(r) => range_len(r) > 0,
        Value::Iterator(it) => match &*it.borrow() {
            IterObj::DictView { dict, .. } => !dict.borrow().is_empty(),
            IterObj::BigRange(r) => !num_traits::Zero::is_zero(&crate::interp::objects::iter::big_range_len(r)),
            _ => true,
        },
        Value::Function(_) | Value::Builtin(_) | Value::Module(_) | Value::Exception(_) => true,
    }
}

/// `len(x)`; `TypeError: object of type 'int' has no len()`.
pub fn len(a: &Value) -> RtResult<usize> {
    match a {
        Value::Str(s) => Ok(s.char_count()),
        Value::List(l) => Ok(l.borrow().len()),
        Value::Tuple(t) => Ok(t.len()),
        Value::Dict(d) => Ok(d.borrow().len()),
        Value::Range(r) => Ok(range_len(r) as usize),
        Value::Iterator(it) => match &*it.borrow() {
            IterObj::DictView { dict, .. } => Ok(dict.borrow().len()),
            IterObj::BigRange(r) => {
                use num_traits::ToPrimitive;
                crate::interp::objects::iter::big_range_len(r).to_i64().map(|n| n as usize).ok_or_else(|| {
                    crate::interp::objects::error::overflow_error("Python int too large to convert to C ssize_t")
                })
            }
            _ => Err(no_len(a)),
        },
        _ => Err(no_len(a)),
    }
}

fn no_len(a: &Value) -> crate::interp::objects::error::RtError {
    type_error(format!("object of type '{}' has no len()", a.type_name()))
}

/// Number of elements of a range (never negative). Computed in i128: no overflow.
pub fn range_len(r: &RangeObj) -> i64 {
    let (start, stop, step) = (r.start as i128, r.stop as i128, r.step as i128);
    let n = if step > 0 && start < stop {
        (stop - start - 1) / step + 1
    } else if step < 0 && start > stop {
        (start - stop - 1) / (-step) + 1
    } else {
        0
    };
    n.min(i64::MAX as i128) as i64
}

/// The `i`-th element of a range (`0 <= i < len`), as i128 (always fits i64 when in range).
pub fn range_item(r: &RangeObj, i: i64) -> i64 {
    (r.start as i128 + r.step as i128 * i as i128) as i64
}

/// Ranges compare as sequences: same length and, when non-empty, same start (and step if
/// there are two or more elements).
pub fn range_eq(a: &RangeObj, b: &RangeObj) -> bool {
    let (la, lb) = (range_len(a), range_len(b));
    la == lb && (la == 0 || (a.start == b.start && (la == 1 || a.step == b.step)))
}

/// MemoryError when a sequence result of `count` elements would be absurdly large.
pub fn check_seq_size(count: u64) -> RtResult<()> {
    if count > MAX_SEQ_ELEMS { Err(memory_error()) } else { Ok(()) }
}

/// MemoryError when a string result of `bytes` bytes would be absurdly large.
pub fn check_str_size(bytes: u64) -> RtResult<()> {
    if bytes > MAX_STR_BYTES { Err(memory_error()) } else { Ok(()) }
}

#[cfg(test)]
mod tests;
