//! Binary and unary operators: numbers (bool/int/bigint/float, CPython's floor division,
//! modulo, power and correctly rounded int true division) and sequences (`str + str`,
//! `list * n`, `dict | dict`, `str % args`). Error messages are CPython 3.11's.

use std::borrow::Cow;
use std::rc::Rc;

use num_bigint::{BigInt, BigUint, Sign};
use num_integer::Integer;
use num_traits::{One, Pow, Signed, ToPrimitive, Zero};

use super::{MAX_INT_BITS, check_seq_size, check_str_size, truthy};
use crate::interp::objects::error::{
    ExcKind, RtError, RtResult, memory_error, overflow_error, type_error, value_error, zero_division,
};
use crate::interp::objects::value::{Tuple, Value};
use crate::parser::ast::{BinOp, UnaryOp};

/// A number operand: bools are ints.
#[derive(Clone, Copy)]
enum Num<'a> {
    I(i64),
    B(&'a BigInt),
    F(f64),
}

fn num(v: &Value) -> Option<Num<'_>> {
    match v {
        Value::Bool(b) => Some(Num::I(*b as i64)),
        Value::Int(i) => Some(Num::I(*i)),
        Value::BigInt(b) => Some(Num::B(b)),
        Value::Float(f) => Some(Num::F(*f)),
        _ => None,
    }
}

/// The operand as a big int, borrowed when it is one: copying a 45,000-digit operand for
/// each `//` took three quarters of a big-int program's instructions.
fn to_big(n: Num<'_>) -> Cow<'_, BigInt> {
    match n {
        Num::I(i) => Cow::Owned(BigInt::from(i)),
        Num::B(b) => Cow::Borrowed(b),
        Num::F(_) => Cow::Owned(BigInt::zero()),
    }
}

fn num_f64(n: Num<'_>) -> RtResult<f64> {
    match n {
        Num::I(i) => Ok(i as f64),
        Num::B(b) => big_to_f64(b),
        Num::F(f) => Ok(f),
    }
}

/// The int value of a bool/int/bigint as a BigInt (None for other types).
pub fn int_to_bigint(v: &Value) -> Option<BigInt> {
    match v {
        Value::Bool(b) => Some(BigInt::from(*b as i64)),
        Value::Int(i) => Some(BigInt::from(*i)),
        Value::BigInt(b) => Some((**b).clone()),
        _ => None,
    }
}

/// `float(n)` of a number (None for non-numbers); OverflowError for huge ints.
pub fn num_to_f64(v: &Value) -> Option<RtResult<f64>> {
    num(v).map(num_f64)
}

/// An integer argument used as a size/index (`range`, `chr`, `round` digits, ...):
/// `TypeError: 'float' object cannot be interpreted as an integer`.
pub fn index_of(v: &Value) -> RtResult<i64> {
    match v {
        Value::Bool(b) => Ok(*b as i64),
        Value::Int(i) => Ok(*i),
        Value::BigInt(_) => Err(overflow_error("Python int too large to convert to C ssize_t")),
        _ => Err(type_error(format!("'{}' object cannot be interpreted as an integer", v.type_name()))),
    }
}

/// Correctly rounded int -> float; `OverflowError: int too large to convert to float`.
pub fn big_to_f64(b: &BigInt) -> RtResult<f64> {
    ratio_to_f64(b, &BigInt::one()).ok_or_else(|| overflow_error("int too large to convert to float"))
}

/// `2^e` for -1022 <= e <= 1023, exactly.
fn pow2(e: i64) -> f64 {
    f64::from_bits(((e + 1023) as u64) << 52)
}

fn ldexp(mut x: f64, mut e: i64) -> f64 {
    while e > 1000 {
        x *= pow2(1000);
        e -= 1000;
        if x.is_infinite() {
            return x;
        }
    }
    while e < -1000 {
        x *= pow2(-1000);
        e += 1000;
    }
    x * pow2(e)
}

/// `a / b` correctly rounded (round-half-even, subnormals included); None when the result
/// overflows a double. `b` must be non-zero.
fn ratio_to_f64(a: &BigInt, b: &BigInt) -> Option<f64> {
    let negative = (a.sign() == Sign::Minus) != (b.sign() == Sign::Minus);
    let signed = |x: f64| if negative { -x } else { x };
    let (a, b): (&BigUint, &BigUint) = (a.magnitude(), b.magnitude());
    if a.is_zero() {
        return Some(signed(0.0));
    }
    if a.bits() <= 53 && b.bits() <= 53 {
        return Some(signed(a.to_f64()? / b.to_f64()?));
    }
    let (n, d) = (a.bits() as i64, b.bits() as i64);
    let k = 55 - (n - d);
    let (num, den) = if k >= 0 { (a << k as u64, b.clone()) } else { (a.clone(), b << (-k) as u64) };
    let (q, r) = num.div_rem(&den);
    let q = q.to_u64()?;
    let sticky = !r.is_zero();
    let qbits = 64 - q.leading_zeros() as i64;
    let e = qbits - 1 - k;
    if e > 1024 {
        return None;
    }
    let keep = if e >= -1022 { 53 } else { 53 - (-1022 - e) };
    if keep < 0 {
        return Some(signed(0.0));
    }
    let drop = qbits - keep;
    let half = 1u64 << (drop - 1);
    let rem = q & ((1u64 << drop) - 1);
    let mut m = q >> drop;
    if rem > half || (rem == half && (sticky || m & 1 == 1)) {
        m += 1;
    }
    let result = ldexp(m as f64, drop - k);
    if result.is_infinite() { None } else { Some(signed(result)) }
}

/// Int true division `a / b` (`ZeroDivisionError: division by zero`,
/// `OverflowError: integer division result too large for a float`).
pub fn true_divide_ints(a: &BigInt, b: &BigInt) -> RtResult<f64> {
    if b.is_zero() {
        return Err(zero_division("division by zero"));
    }
    ratio_to_f64(a, b).ok_or_else(|| overflow_error("integer division result too large for a float"))
}

fn op_symbol(op: BinOp) -> &'static str {
    match op {
        BinOp::Add => "+",
        BinOp::Sub => "-",
        BinOp::Mul => "*",
        BinOp::TrueDiv => "/",
        BinOp::FloorDiv => "//",
        BinOp::Mod => "%",
        BinOp::Pow => "**",
        BinOp::LShift => "<<",
        BinOp::RShift => ">>",
        BinOp::BitAnd => "&",
        BinOp::BitOr => "|",
        BinOp::BitXor => "^",
    }
}

fn unsupported(op: BinOp, a: &Value, b: &Value, inplace: bool) -> RtError {
    let sym = match (op, inplace) {
        (BinOp::Pow, false) => "** or pow()".to_string(),
        (_, false) => op_symbol(op).to_string(),
        (_, true) => format!("{}=", op_symbol(op)),
    };
    type_error(format!("unsupported operand type(s) for {}: '{}' and '{}'", sym, a.type_name(), b.type_name()))
}

/// `error` as an augmented assignment raises it: "unsupported operand type(s) for -=" where
/// the operation said `-` (and `**=` where it said `** or pow()`); any other error unchanged.
pub fn name_in_place_operator(mut error: RtError) -> RtError {
    const PREFIX: &str = "unsupported operand type(s) for ";
    if error.0.kind != ExcKind::TypeError {
        return error;
    }
    let renamed = match error.0.args.first() {
        Some(Value::Str(message)) => message.as_str().strip_prefix(PREFIX).and_then(|rest| {
            let (symbol, types) = rest.split_once(':')?;
            let symbol = symbol.strip_suffix(" or pow()").unwrap_or(symbol);
            (!symbol.ends_with('=')).then(|| format!("{PREFIX}{symbol}=:{types}"))
        }),
        _ => None,
    };
    if let Some(message) = renamed {
        error.0.args[0] = Value::str(message);
    }
    error
}

/// `a op b` with Python semantics.
pub fn binary(op: BinOp, a: &Value, b: &Value) -> RtResult<Value> {
    binary_impl(op, a, b, false)
}

/// `a op= b`: lists extend/repeat in place (`l += (1,)` works and aliases see it); everything
/// else is `binary`, with `+=`-style names in "unsupported operand" messages.
pub fn binary_inplace(op: BinOp, a: &Value, b: &Value) -> RtResult<Value> {
    if let Value::List(list) = a {
        match op {
            BinOp::Add => {
                let extra = crate::interp::objects::iter::collect(b)?;
                let mut items = list.borrow_mut();
                check_seq_size(items.len() as u64 + extra.len() as u64)?;
                items.extend(extra);
                drop(items);
                return Ok(a.clone());
            }
            BinOp::Mul if num(b).is_some() && !matches!(b, Value::Float(_)) => {
                let n = repeat_count(b)?;
                let current = list.borrow().clone();
                let repeated = repeat_vec(&current, n)?;
                *list.borrow_mut() = repeated;
                return Ok(a.clone());
            }
            _ => {}
        }
    }
    binary_impl(op, a, b, true)
}

fn binary_impl(op: BinOp, a: &Value, b: &Value, inplace: bool) -> RtResult<Value> {
    if let (Some(x), Some(y)) = (num(a), num(b)) {
        if let (Value::Bool(p), Value::Bool(q)) = (a, b) {
            match op {
                BinOp::BitAnd => return Ok(Value::Bool(p & q)),
                BinOp::BitOr => return Ok(Value::Bool(p | q)),
                BinOp::BitXor => return Ok(Value::Bool(p ^ q)),
                _ => {}
            }
        }
        return match (x, y) {
            (Num::I(i), Num::I(j)) => int_op(op, i, j),
            (Num::F(_), _) | (_, Num::F(_)) => match op {
                BinOp::LShift | BinOp::RShift | BinOp::BitAnd | BinOp::BitOr | BinOp::BitXor => {
                    Err(unsupported(op, a, b, inplace))
                }
                _ => float_op(op, num_f64(x)?, num_f64(y)?).map(Value::Float),
            },
            _ => big_op(op, &to_big(x), &to_big(y)),
        };
    }
    sequence_op(op, a, b, inplace)
}

fn big(i: i64) -> BigInt {
    BigInt::from(i)
}

fn int_op(op: BinOp, x: i64, y: i64) -> RtResult<Value> {
    Ok(match op {
        BinOp::Add => x.checked_add(y).map(Value::Int).unwrap_or_else(|| Value::from_bigint(big(x) + y)),
        BinOp::Sub => x.checked_sub(y).map(Value::Int).unwrap_or_else(|| Value::from_bigint(big(x) - y)),
        BinOp::Mul => x.checked_mul(y).map(Value::Int).unwrap_or_else(|| Value::from_bigint(big(x) * y)),
        BinOp::TrueDiv => {
            if y == 0 {
                return Err(zero_division("division by zero"));
            }
            if x.unsigned_abs() <= 1 << 53 && y.unsigned_abs() <= 1 << 53 {
                Value::Float(x as f64 / y as f64)
            } else {
                Value::Float(true_divide_ints(&big(x), &big(y))?)
            }
        }
        BinOp::FloorDiv => {
            if y == 0 {
                return Err(zero_division("integer division or modulo by zero"));
            }
            match x.checked_div_euclid(y) {
                Some(_) => Value::Int(Integer::div_floor(&x, &y)),
                None => Value::from_bigint(big(x).div_floor(&big(y))),
            }
        }
        BinOp::Mod => {
            if y == 0 {
                return Err(zero_division("integer modulo by zero"));
            }
            if y == -1 { Value::Int(0) } else { Value::Int(Integer::mod_floor(&x, &y)) }
        }
        BinOp::Pow => {
            if y >= 0
                && let Some(r) = u32::try_from(y).ok().and_then(|e| x.checked_pow(e))
            {
                return Ok(Value::Int(r));
            }
            return big_op(op, &big(x), &big(y));
        }
        BinOp::LShift => {
            if y < 0 {
                return Err(value_error("negative shift count"));
            }
            if x == 0 {
                return Ok(Value::Int(0));
            }
            if y < 63 {
                let r = x << y;
                if r >> y == x {
                    return Ok(Value::Int(r));
                }
            }
            return big_op(op, &big(x), &big(y));
        }
        BinOp::RShift => {
            if y < 0 {
                return Err(value_error("negative shift count"));
            }
            Value::Int(if y >= 64 { if x < 0 { -1 } else { 0 } } else { x >> y })
        }
        BinOp::BitAnd => Value::Int(x & y),
        BinOp::BitOr => Value::Int(x | y),
        BinOp::BitXor => Value::Int(x ^ y),
    })
}

fn big_op(op: BinOp, x: &BigInt, y: &BigInt) -> RtResult<Value> {
    Ok(Value::from_bigint(match op {
        BinOp::Add => x + y,
        BinOp::Sub => x - y,
        BinOp::Mul => {
            if x.bits() + y.bits() > MAX_INT_BITS {
                return Err(memory_error());
            }
            x * y
        }
        BinOp::TrueDiv => return Ok(Value::Float(true_divide_ints(x, y)?)),
        BinOp::FloorDiv => {
            if y.is_zero() {
                return Err(zero_division("integer division or modulo by zero"));
            }
            x.div_floor(y)
        }
        BinOp::Mod => {
            if y.is_zero() {
                return Err(zero_division("integer modulo by zero"));
            }
            x.mod_floor(y)
        }
        BinOp::Pow => {
            if y.is_negative() {
                let base = big_to_f64(x)?;
                let exp = big_to_f64(y).unwrap_or(f64::NEG_INFINITY);
                return Ok(Value::Float(float_pow(base, exp)?));
            }
            return int_pow(x, y);
        }
        BinOp::LShift => {
            if y.is_negative() {
                return Err(value_error("negative shift count"));
            }
            if x.is_zero() {
                return Ok(Value::Int(0));
            }
            match y.to_u64() {
                Some(n) if x.bits().saturating_add(n) <= MAX_INT_BITS => x << n,
                _ => return Err(memory_error()),
            }
        }
        BinOp::RShift => {
            if y.is_negative() {
                return Err(value_error("negative shift count"));
            }
            match y.to_u64() {
                Some(n) if n < x.bits() + 1 => x >> n,
                _ => BigInt::from(if x.is_negative() { -1 } else { 0 }),
            }
        }
        BinOp::BitAnd => x & y,
        BinOp::BitOr => x | y,
        BinOp::BitXor => x ^ y,
    }))
}

/// `x ** y` for ints with `y >= 0`; MemoryError for results beyond `MAX_INT_BITS`.
fn int_pow(x: &BigInt, y: &BigInt) -> RtResult<Value> {
    if x.is_zero() {
        return Ok(Value::Int(if y.is_zero() { 1 } else { 0 }));
    }
    if x.is_one() {
        return Ok(Value::Int(1));
    }
    if x == &BigInt::from(-1) {
        return Ok(Value::Int(if y.is_even() { 1 } else { -1 }));
    }
    match y.to_u64() {
        Some(e) if (x.bits() - 1).saturating_mul(e) <= MAX_INT_BITS => Ok(Value::from_bigint(Pow::pow(x, e))),
        _ => Err(memory_error()),
    }
}

/// `pow(base, exp, modulus)` for ints (negative exponents use the modular inverse).
pub fn int_pow_mod(base: &BigInt, exp: &BigInt, modulus: &BigInt) -> RtResult<Value> {
    if modulus.is_zero() {
        return Err(value_error("pow() 3rd argument cannot be 0"));
    }
    if modulus.abs().is_one() {
        return Ok(Value::Int(0));
    }
    let (base, exp) = if exp.is_negative() {
        match base.modinv(modulus) {
            Some(inv) => (inv, -exp),
            None => return Err(value_error("base is not invertible for the given modulus")),
        }
    } else {
        (base.clone(), exp.clone())
    };
    Ok(Value::from_bigint(base.modpow(&exp, modulus)))
}

fn float_op(op: BinOp, x: f64, y: f64) -> RtResult<f64> {
    Ok(match op {
        BinOp::Add => x + y,
        BinOp::Sub => x - y,
        BinOp::Mul => x * y,
        BinOp::TrueDiv => {
            if y == 0.0 {
                return Err(zero_division("float division by zero"));
            }
            x / y
        }
        BinOp::FloorDiv => float_floordiv(x, y)?,
        BinOp::Mod => float_mod(x, y)?,
        BinOp::Pow => float_pow(x, y)?,
        _ => f64::NAN,
    })
}

/// CPython's `float_rem`: the result has the sign of `y`.
pub fn float_mod(x: f64, y: f64) -> RtResult<f64> {
    if y == 0.0 {
        return Err(zero_division("float modulo"));
    }
    let mut m = x % y;
    if m != 0.0 {
        if (y < 0.0) != (m < 0.0) {
            m += y;
        }
    } else {
        m = 0.0f64.copysign(y);
    }
    Ok(m)
}

fn divmod_raw(x: f64, y: f64) -> (f64, f64) {
    let mut m = x % y;
    let mut div = (x - m) / y;
    if m != 0.0 {
        if (y < 0.0) != (m < 0.0) {
            m += y;
            div -= 1.0;
        }
    } else {
        m = 0.0f64.copysign(y);
    }
    let floordiv = if div != 0.0 {
        let mut f = div.floor();
        if div - f > 0.5 {
            f += 1.0;
        }
        f
    } else {
        0.0f64.copysign(x / y)
    };
    (floordiv, m)
}

/// CPython's float floor division.
pub fn float_floordiv(x: f64, y: f64) -> RtResult<f64> {
    if y == 0.0 {
        return Err(zero_division("float floor division by zero"));
    }
    Ok(divmod_raw(x, y).0)
}

/// `divmod(x, y)` for floats (`ZeroDivisionError: float divmod()`).
pub fn float_divmod(x: f64, y: f64) -> RtResult<(f64, f64)> {
    if y == 0.0 {
        return Err(zero_division("float divmod()"));
    }
    Ok(divmod_raw(x, y))
}

/// The `divmod()` builtin.
pub fn divmod(a: &Value, b: &Value) -> RtResult<Value> {
    match (num(a), num(b)) {
        (Some(x), Some(y)) if matches!(x, Num::F(_)) || matches!(y, Num::F(_)) => {
            let (q, r) = float_divmod(num_f64(x)?, num_f64(y)?)?;
            Ok(Value::tuple(vec![Value::Float(q), Value::Float(r)]))
        }
        (Some(_), Some(_)) => {
            if matches!(b, Value::Int(0) | Value::Bool(false)) {
                return Err(zero_division("integer division or modulo by zero"));
            }
            let q = binary(BinOp::FloorDiv, a, b)?;
            let r = binary(BinOp::Mod, a, b)?;
            Ok(Value::tuple(vec![q, r]))
        }
        _ => Err(type_error(format!(
            "unsupported operand type(s) for divmod(): '{}' and '{}'",
            a.type_name(),
            b.type_name()
        ))),
    }
}

fn is_odd_integer(w: f64) -> bool {
    w.is_finite() && w.fract() == 0.0 && (w % 2.0).abs() == 1.0
}

/// CPython's `float_pow` (errors: `ZeroDivisionError: 0.0 cannot be raised to a negative
/// power`, `OverflowError: (34, 'Numerical result out of range')`; a complex result is a
/// ValueError, as complex numbers are not in Toy).
pub fn float_pow(iv: f64, iw: f64) -> RtResult<f64> {
    if iw == 0.0 {
        return Ok(1.0);
    }
    if iv.is_nan() {
        return Ok(iv);
    }
    if iw.is_nan() {
        return Ok(if iv == 1.0 { 1.0 } else { iw });
    }
    if iw.is_infinite() {
        let av = iv.abs();
        return Ok(if av == 1.0 {
            1.0
        } else if (iw > 0.0) == (av > 1.0) {
            iw.abs()
        } else {
            0.0
        });
    }
    if iv.is_infinite() {
        let odd = is_odd_integer(iw);
        return Ok(if iw > 0.0 {
            if odd { iv } else { iv.abs() }
        } else if odd {
            0.0f64.copysign(iv)
        } else {
            0.0
        });
    }
    if iv == 0.0 {
        if iw < 0.0 {
            return Err(zero_division("0.0 cannot be raised to a negative power"));
        }
        return Ok(if is_odd_integer(iw) { iv } else { 0.0 });
    }
    let mut negate = false;
    let mut v = iv;
    if iv < 0.0 {
        if iw != iw.floor() {
            return Err(value_error("not supported: complex result (negative number raised to a fractional power)"));
        }
        v = -iv;
        negate = is_odd_integer(iw);
    }
    if v == 1.0 {
        return Ok(if negate { -1.0 } else { 1.0 });
    }
    let r = v.powf(iw);
    if r.is_infinite() {
        return Err(RtError::with_args(
            ExcKind::OverflowError,
            vec![Value::Int(34), Value::str("Numerical result out of range")],
        ));
    }
    Ok(if negate { -r } else { r })
}

/// A repetition count (`seq * n`): bools and ints; huge ints cannot be an index.
fn repeat_count(n: &Value) -> RtResult<i64> {
    match n {
        Value::Bool(b) => Ok(*b as i64),
        Value::Int(i) => Ok(*i),
        Value::BigInt(_) => Err(RtError::new(ExcKind::OverflowError, "cannot fit 'int' into an index-sized integer")),
        _ => Err(type_error(format!("can't multiply sequence by non-int of type '{}'", n.type_name()))),
    }
}

fn repeat_vec(items: &[Value], n: i64) -> RtResult<Vec<Value>> {
    if n <= 0 || items.is_empty() {
        return Ok(Vec::new());
    }
    let total = (items.len() as u128) * (n as u128);
    check_seq_size(total.min(u64::MAX as u128) as u64)?;
    let mut out = Vec::new();
    out.try_reserve_exact(total as usize).map_err(|_| memory_error())?;
    for _ in 0..n {
        out.extend_from_slice(items);
    }
    Ok(out)
}

fn repeat_str(s: &str, n: i64) -> RtResult<Value> {
    if n <= 0 || s.is_empty() {
        return Ok(Value::str(""));
    }
    let total = (s.len() as u128) * (n as u128);
    check_str_size(total.min(u64::MAX as u128) as u64)?;
    let mut out = String::new();
    out.try_reserve_exact(total as usize).map_err(|_| memory_error())?;
    for _ in 0..n {
        out.push_str(s);
    }
    Ok(Value::str(out))
}

fn is_sequence(v: &Value) -> bool {
    matches!(v, Value::Str(_) | Value::List(_) | Value::Tuple(_))
}

fn repeat(seq: &Value, n: &Value) -> RtResult<Value> {
    let count = repeat_count(n)?;
    match seq {
        // Once: the string itself, as CPython gives (`s * 1 is s`).
        Value::Str(_) if count == 1 => Ok(seq.clone()),
        Value::Str(s) => repeat_str(s.as_str(), count),
        Value::List(l) => {
            let items = l.borrow().clone();
            Ok(Value::list(repeat_vec(&items, count)?))
        }
        Value::Tuple(t) => {
            if count == 1 {
                return Ok(seq.clone());
            }
            Ok(Value::tuple(repeat_vec(t, count)?))
        }
        _ => Err(type_error("can't multiply sequence")),
    }
}

fn concat_error(kind: &str, b: &Value) -> RtError {
    type_error(format!("can only concatenate {kind} (not \"{}\") to {kind}", b.type_name()))
}

fn sequence_op(op: BinOp, a: &Value, b: &Value, inplace: bool) -> RtResult<Value> {
    match (op, a, b) {
        (BinOp::Add, Value::Str(x), Value::Str(y)) => crate::interp::objects::text::concat(x, y),
        (BinOp::Add, Value::Str(_), _) => Err(concat_error("str", b)),
        (BinOp::Add, Value::List(x), Value::List(y)) => {
            let mut items = x.borrow().clone();
            let other = y.borrow();
            check_seq_size(items.len() as u64 + other.len() as u64)?;
            items.extend(other.iter().cloned());
            Ok(Value::list(items))
        }
        (BinOp::Add, Value::List(_), _) => Err(concat_error("list", b)),
        (BinOp::Add, Value::Tuple(x), Value::Tuple(y)) => {
            check_seq_size(x.len() as u64 + y.len() as u64)?;
            let item = |i: usize| if i < x.len() { x[i].clone() } else { y[i - x.len()].clone() };
            Ok(Value::Tuple(Tuple::from_fn(x.len() + y.len(), item)))
        }
        (BinOp::Add, Value::Tuple(_), _) => Err(concat_error("tuple", b)),
        (BinOp::Mul, s, n) if is_sequence(s) => repeat(s, n),
        (BinOp::Mul, n, s) if is_sequence(s) => repeat(s, n),
        (BinOp::BitOr, Value::Dict(x), Value::Dict(y)) => {
            let mut merged = x.borrow().copy();
            merged.reserve_for_merge(y.borrow().len());
            for (k, v) in y.borrow().iter() {
                merged.insert(k.clone(), v.clone());
            }
            if inplace {
                *x.borrow_mut() = merged;
                return Ok(a.clone());
            }
            Ok(Value::Dict(Rc::new(std::cell::RefCell::new(merged))))
        }
        (BinOp::Mod, Value::Str(s), _) => crate::interp::objects::format::percent_format(s.as_str(), b),
        _ => Err(unsupported(op, a, b, inplace)),
    }
}

/// `-a`, `+a`, `~a`, `not a`.
pub fn unary(op: UnaryOp, a: &Value) -> RtResult<Value> {
    let bad = |sym: &str| type_error(format!("bad operand type for unary {sym}: '{}'", a.type_name()));
    Ok(match (op, a) {
        (UnaryOp::Not, _) => Value::Bool(!truthy(a)),
        (UnaryOp::Neg, Value::Bool(b)) => Value::Int(-(*b as i64)),
        (UnaryOp::Neg, Value::Int(i)) => {
            i.checked_neg().map(Value::Int).unwrap_or_else(|| Value::from_bigint(-big(*i)))
        }
        (UnaryOp::Neg, Value::BigInt(b)) => Value::from_bigint(-(**b).clone()),
        (UnaryOp::Neg, Value::Float(f)) => Value::Float(-f),
        (UnaryOp::Neg, _) => return Err(bad("-")),
        (UnaryOp::Pos, Value::Bool(b)) => Value::Int(*b as i64),
        (UnaryOp::Pos, Value::Int(_) | Value::BigInt(_) | Value::Float(_)) => a.clone(),
        (UnaryOp::Pos, _) => return Err(bad("+")),
        (UnaryOp::Invert, Value::Bool(b)) => Value::Int(!(*b as i64)),
        (UnaryOp::Invert, Value::Int(i)) => Value::Int(!i),
        (UnaryOp::Invert, Value::BigInt(b)) => Value::from_bigint(-(**b).clone() - 1),
        (UnaryOp::Invert, _) => return Err(bad("~")),
    })
}
