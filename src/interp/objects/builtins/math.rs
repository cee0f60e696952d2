//! The `math` module: its constants ([`module_attr`]) and functions (`call_math`), with
//! CPython 3.11's domain/range errors (`ValueError: math domain error`,
//! `OverflowError: math range error`). The float functions call the platform libm, as CPython
//! does. `hypot` and `dist` are deliberately absent (CPython uses its own algorithm; a libm
//! result could differ in the last bit): they raise AttributeError like any unknown name.

use std::rc::Rc;

use num_bigint::BigInt;
use num_integer::Integer;
use num_traits::{One, Signed, ToPrimitive, Zero};

use super::{BuiltinId, Kwargs, display_name, expect_args, float_to_int};
use crate::interp::objects::error::{ExcKind, RtError, RtResult, memory_error, type_error, value_error};
use crate::interp::objects::ops::{big_to_f64, int_to_bigint, num_to_f64};
use crate::interp::objects::value::{ModuleObj, Value};

/// `module.name` for a non-call attribute read (`math.pi`, `math.sqrt`).
pub fn module_attr(module: &ModuleObj, name: &str) -> RtResult<Value> {
    if module.name == "math" {
        let constant = match name {
            "pi" => Some(std::f64::consts::PI),
            "e" => Some(std::f64::consts::E),
            "tau" => Some(std::f64::consts::TAU),
            "inf" => Some(f64::INFINITY),
            "nan" => Some(f64::NAN),
            _ => None,
        };
        if let Some(c) = constant {
            return Ok(Value::Float(c));
        }
        if let Some(id) = BuiltinId::from_math_name(name) {
            return Ok(Value::Builtin(id));
        }
    }
    Err(RtError::new(ExcKind::AttributeError, format!("module '{}' has no attribute '{}'", module.name, name)))
}

fn domain() -> RtError {
    value_error("math domain error")
}

fn range() -> RtError {
    RtError::new(ExcKind::OverflowError, "math range error")
}

/// A real-number argument as f64 (`TypeError: must be real number, not str`).
fn real(v: &Value) -> RtResult<f64> {
    match num_to_f64(v) {
        Some(r) => r,
        None => Err(type_error(format!("must be real number, not {}", v.type_name()))),
    }
}

/// An integer argument (`TypeError: 'float' object cannot be interpreted as an integer`).
fn integer(v: &Value) -> RtResult<BigInt> {
    int_to_bigint(v)
        .ok_or_else(|| type_error(format!("'{}' object cannot be interpreted as an integer", v.type_name())))
}

fn one_arg(id: BuiltinId, args: &[Value]) -> RtResult<Value> {
    if args.len() != 1 {
        return Err(type_error(format!("{}() takes exactly one argument ({} given)", display_name(id), args.len())));
    }
    Ok(args[0].clone())
}

/// A float result of a libm function: NaN from a non-NaN input is a domain error, an
/// infinity from a finite input a range error.
fn checked(x: f64, r: f64) -> RtResult<Value> {
    if r.is_nan() && !x.is_nan() {
        return Err(domain());
    }
    if r.is_infinite() && x.is_finite() {
        return Err(range());
    }
    Ok(Value::Float(r))
}

/// CPython's `loghelper`: ints too big for a float are scaled by a power of two first.
fn log_with(v: &Value, f: fn(f64) -> f64) -> RtResult<f64> {
    if let Value::BigInt(b) = v {
        if !b.is_positive() {
            return Err(domain());
        }
        if let Ok(x) = big_to_f64(b) {
            return Ok(f(x));
        }
        let e = b.bits() as i64;
        let shift = e - 64;
        let top = (b.as_ref() >> shift as u64).to_u64().unwrap_or(u64::MAX) as f64;
        let x = top / 2f64.powi(64);
        return Ok(f(x) + f(2.0) * e as f64);
    }
    let x = real(v)?;
    if x.is_nan() {
        return Ok(x);
    }
    if x <= 0.0 {
        return Err(domain());
    }
    Ok(f(x))
}

fn to_int_result(f: f64) -> RtResult<Value> {
    float_to_int(f)
}

fn rounding(v: &Value, f: fn(f64) -> f64, kind: &str) -> RtResult<Value> {
    match v {
        Value::Int(_) | Value::BigInt(_) => Ok(v.clone()),
        Value::Bool(b) => Ok(Value::Int(*b as i64)),
        Value::Float(x) => to_int_result(f(*x)),
        _ if kind == "trunc" => Err(type_error(format!("type {} doesn't define __trunc__ method", v.type_name()))),
        _ => Err(type_error(format!("must be real number, not {}", v.type_name()))),
    }
}

fn factorial(n: u64) -> BigInt {
    fn product(lo: u64, hi: u64) -> BigInt {
        if hi - lo < 16 {
            return (lo..=hi).fold(BigInt::one(), |acc, k| acc * k);
        }
        let mid = lo + (hi - lo) / 2;
        product(lo, mid) * product(mid + 1, hi)
    }
    if n < 2 { BigInt::one() } else { product(2, n) }
}

/// Calls the math function `id`.
pub(super) fn call_math(id: BuiltinId, args: &[Value], kwargs: Kwargs<'_>) -> RtResult<Value> {
    use BuiltinId as B;
    if !kwargs.is_empty() {
        return Err(type_error(format!("{}() takes no keyword arguments", display_name(id))));
    }
    let unary_float = |f: fn(f64) -> f64| -> RtResult<Value> {
        let x = real(&one_arg(id, args)?)?;
        checked(x, f(x))
    };
    match id {
        B::MathSqrt => unary_float(f64::sqrt),
        B::MathSin => unary_float(f64::sin),
        B::MathCos => unary_float(f64::cos),
        B::MathTan => unary_float(f64::tan),
        B::MathAsin => unary_float(f64::asin),
        B::MathAcos => unary_float(f64::acos),
        B::MathAtan => unary_float(f64::atan),
        B::MathSinh => unary_float(f64::sinh),
        B::MathCosh => unary_float(f64::cosh),
        B::MathTanh => unary_float(f64::tanh),
        B::MathExp => unary_float(f64::exp),
        B::MathFabs => Ok(Value::Float(real(&one_arg(id, args)?)?.abs())),
        B::MathDegrees => Ok(Value::Float(real(&one_arg(id, args)?)? * (180.0 / std::f64::consts::PI))),
        B::MathRadians => Ok(Value::Float(real(&one_arg(id, args)?)? * (std::f64::consts::PI / 180.0))),
        B::MathIsnan => Ok(Value::Bool(real(&one_arg(id, args)?)?.is_nan())),
        B::MathIsinf => Ok(Value::Bool(real(&one_arg(id, args)?)?.is_infinite())),
        B::MathIsfinite => Ok(Value::Bool(real(&one_arg(id, args)?)?.is_finite())),
        B::MathFloor => rounding(&one_arg(id, args)?, f64::floor, "floor"),
        B::MathCeil => rounding(&one_arg(id, args)?, f64::ceil, "ceil"),
        B::MathTrunc => rounding(&one_arg(id, args)?, f64::trunc, "trunc"),
        B::MathModf => {
            let x = real(&one_arg(id, args)?)?;
            let (frac, int) = if x.is_infinite() { (0.0f64.copysign(x), x) } else { (x - x.trunc(), x.trunc()) };
            let frac = if frac == 0.0 { 0.0f64.copysign(x) } else { frac };
            Ok(Value::tuple(vec![Value::Float(frac), Value::Float(int)]))
        }
        B::MathAtan2 => {
            expect_args("atan2", args, 2, 2)?;
            Ok(Value::Float(real(&args[0])?.atan2(real(&args[1])?)))
        }
        B::MathCopysign => {
            expect_args("copysign", args, 2, 2)?;
            Ok(Value::Float(real(&args[0])?.copysign(real(&args[1])?)))
        }
        B::MathFmod => {
            expect_args("fmod", args, 2, 2)?;
            let (x, y) = (real(&args[0])?, real(&args[1])?);
            if y.is_infinite() && x.is_finite() {
                return Ok(Value::Float(x));
            }
            let r = x % y;
            if r.is_nan() && !x.is_nan() && !y.is_nan() {
                return Err(domain());
            }
            Ok(Value::Float(r))
        }
        B::MathPow => {
            expect_args("pow", args, 2, 2)?;
            let (x, y) = (real(&args[0])?, real(&args[1])?);
            let r = x.powf(y);
            if x.is_finite() && y.is_finite() {
                if r.is_nan() {
                    return Err(domain());
                }
                if r.is_infinite() {
                    return Err(if x == 0.0 { domain() } else { range() });
                }
            }
            Ok(Value::Float(r))
        }
        B::MathLog => {
            if args.is_empty() || args.len() > 2 {
                return Err(type_error("math.log requires 1 to 2 arguments"));
            }
            let num = log_with(&args[0], f64::ln)?;
            if args.len() == 1 {
                return Ok(Value::Float(num));
            }
            let den = log_with(&args[1], f64::ln)?;
            if den == 0.0 {
                return Err(RtError::new(ExcKind::ZeroDivisionError, "float division by zero"));
            }
            Ok(Value::Float(num / den))
        }
        B::MathLog2 => Ok(Value::Float(log_with(&one_arg(id, args)?, f64::log2)?)),
        B::MathLog10 => Ok(Value::Float(log_with(&one_arg(id, args)?, f64::log10)?)),
        B::MathIsqrt => {
            let n = integer(&one_arg(id, args)?)?;
            if n.is_negative() {
                return Err(value_error("isqrt() argument must be nonnegative"));
            }
            Ok(Value::from_bigint(n.sqrt()))
        }
        B::MathGcd | B::MathLcm => {
            let mut acc = if id == B::MathGcd { BigInt::zero() } else { BigInt::one() };
            for a in args {
                let n = integer(a)?;
                acc = if id == B::MathGcd {
                    acc.gcd(&n)
                } else if acc.is_zero() || n.is_zero() {
                    BigInt::zero()
                } else {
                    acc.lcm(&n)
                };
            }
            Ok(Value::from_bigint(acc.abs()))
        }
        B::MathFactorial => {
            let n = integer(&one_arg(id, args)?)?;
            if n.is_negative() {
                return Err(value_error("factorial() not defined for negative values"));
            }
            match n.to_u64() {
                Some(k) if k <= 2_000_000 => Ok(Value::from_bigint(factorial(k))),
                _ => Err(memory_error()),
            }
        }
        B::MathComb => {
            expect_args("comb", args, 2, 2)?;
            let (n, k) = (integer(&args[0])?, integer(&args[1])?);
            if n.is_negative() {
                return Err(value_error("n must be a non-negative integer"));
            }
            if k.is_negative() {
                return Err(value_error("k must be a non-negative integer"));
            }
            if k > n {
                return Ok(Value::Int(0));
            }
            let k = std::cmp::min(k.clone(), &n - &k);
            let Some(k) = k.to_u64().filter(|k| *k <= 1_000_000) else {
                return Err(memory_error());
            };
            let mut acc = BigInt::one();
            for i in 0..k {
                acc = acc * (&n - i) / (i + 1);
            }
            Ok(Value::from_bigint(acc))
        }
        _ => Err(type_error(format!("'{}' is not a math function", id.name()))),
    }
}

/// The `math` module value (for `import math`).
pub fn math_module() -> Value {
    Value::Module(Rc::new(ModuleObj { name: "math" }))
}
