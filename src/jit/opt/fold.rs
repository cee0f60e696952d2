//! Constant folding and algebraic simplification.
//!
//! Guarantees: an operation whose operands are all constants and that cannot exit is replaced
//! by its constant result; an int operation that would overflow (or divide by zero) is left
//! alone, so it still exits at run time as the interpreter expects; `x + 0`, `x - 0`, `x * 1`
//! become `x`, `2.0 * x` becomes `x + x`; a `Guard` on a constant that holds is removed (one
//! that fails is kept: the trace always exits there).

use super::super::ir::{IrRef, Op, Trace, Type};
use super::{Action, rebuild};

enum Constant {
    Int(i64),
    Float(f64),
    Bool(bool),
}

fn constant(trace: &Trace, r: IrRef) -> Option<Constant> {
    match trace.insts[r.0 as usize].op {
        Op::ConstInt { value } => Some(Constant::Int(value)),
        Op::ConstFloat { value } => Some(Constant::Float(value)),
        Op::ConstBool { value } => Some(Constant::Bool(value)),
        _ => None,
    }
}

fn int(trace: &Trace, r: IrRef) -> Option<i64> {
    match constant(trace, r) {
        Some(Constant::Int(v)) => Some(v),
        _ => None,
    }
}

fn float(trace: &Trace, r: IrRef) -> Option<f64> {
    match constant(trace, r) {
        Some(Constant::Float(v)) => Some(v),
        _ => None,
    }
}

fn int_const(value: i64) -> Action {
    Action::Keep(Op::ConstInt { value }, Type::Int)
}

fn float_const(value: f64) -> Action {
    Action::Keep(Op::ConstFloat { value }, Type::Float)
}

pub fn run(trace: Trace) -> Trace {
    rebuild(trace, |out, _, op, ty| {
        let both_ints = |a, b| Some((int(out, a)?, int(out, b)?));
        let both_floats = |a, b| Some((float(out, a)?, float(out, b)?));
        match op {
            Op::AddInt { a, b, .. } => match both_ints(a, b) {
                Some((x, y)) if x.checked_add(y).is_some() => int_const(x + y),
                _ if int(out, b) == Some(0) => Action::Replace(a),
                _ if int(out, a) == Some(0) => Action::Replace(b),
                _ => Action::Keep(op, ty),
            },
            Op::SubInt { a, b, .. } => match both_ints(a, b) {
                Some((x, y)) if x.checked_sub(y).is_some() => int_const(x - y),
                _ if int(out, b) == Some(0) => Action::Replace(a),
                _ => Action::Keep(op, ty),
            },
            Op::MulInt { a, b, .. } => match both_ints(a, b) {
                Some((x, y)) if x.checked_mul(y).is_some() => int_const(x * y),
                _ if int(out, b) == Some(1) => Action::Replace(a),
                _ if int(out, a) == Some(1) => Action::Replace(b),
                _ => Action::Keep(op, ty),
            },
            Op::AndInt { a, b } => both_ints(a, b).map_or(Action::Keep(op, ty), |(x, y)| int_const(x & y)),
            Op::OrInt { a, b } => both_ints(a, b).map_or(Action::Keep(op, ty), |(x, y)| int_const(x | y)),
            Op::XorInt { a, b } => both_ints(a, b).map_or(Action::Keep(op, ty), |(x, y)| int_const(x ^ y)),
            Op::AddFloat { a, b } => both_floats(a, b).map_or(Action::Keep(op, ty), |(x, y)| float_const(x + y)),
            Op::SubFloat { a, b } => both_floats(a, b).map_or(Action::Keep(op, ty), |(x, y)| float_const(x - y)),
            Op::MulFloat { a, b } => match both_floats(a, b) {
                Some((x, y)) => float_const(x * y),
                // 2.0 * x == x + x exactly (also for -0.0, infinities and NaN), and needs no constant.
                None if float(out, a) == Some(2.0) => Action::Keep(Op::AddFloat { a: b, b }, ty),
                None if float(out, b) == Some(2.0) => Action::Keep(Op::AddFloat { a, b: a }, ty),
                None => Action::Keep(op, ty),
            },
            Op::NegFloat { a } => float(out, a).map_or(Action::Keep(op, ty), |x| float_const(-x)),
            Op::IntToFloat { a } => int(out, a).map_or(Action::Keep(op, ty), |x| float_const(x as f64)),
            Op::BoolToInt { a } => match out.insts[a.0 as usize].op {
                Op::ConstBool { value } => int_const(i64::from(value)),
                _ => Action::Keep(op, ty),
            },
            Op::CmpInt { cond, a, b } => match both_ints(a, b) {
                Some((x, y)) => Action::Keep(Op::ConstBool { value: cond.holds(x, y) }, Type::Bool),
                None => Action::Keep(op, ty),
            },
            Op::CmpFloat { cond, a, b } => match both_floats(a, b) {
                Some((x, y)) => Action::Keep(Op::ConstBool { value: cond.holds(x, y) }, Type::Bool),
                None => Action::Keep(op, ty),
            },
            Op::Guard { cond, expect, .. } => match constant(out, cond) {
                Some(Constant::Bool(value)) if value == expect => Action::Drop,
                _ => Action::Keep(op, ty),
            },
            Op::GuardExactFloat { a, .. } => match int(out, a) {
                Some(x) if x.unsigned_abs() <= 1 << 53 => Action::Drop,
                _ => Action::Keep(op, ty),
            },
            _ => Action::Keep(op, ty),
        }
    })
}

#[cfg(test)]
mod tests {
    /// See [`crate::jit::opt::check_pass`].
    fn check(before: &str, expected: &str) {
        crate::jit::opt::check_pass(super::run, before, expected);
    }

    #[test]
    fn folds_constant_arithmetic_and_drops_proven_guards() {
        let before = "\
int   %0 = ConstInt 20
int   %1 = ConstInt 22
int   %2 = AddInt %0, %1  snap0
bool  %3 = CmpInt %2 > %0
      Guard %3 is True  snap0
  snap0 @pc 4:
";
        // 20 + 22 is 42, 42 > 20 is True, so the guard holds and goes (the constants are DCE's).
        let expected = "
int   %0 = ConstInt 20
int   %1 = ConstInt 22
int   %2 = ConstInt 42
bool  %3 = ConstBool True
";
        check(before, expected);
    }

    #[test]
    fn a_constant_bool_becomes_an_int_constant() {
        let before = "\
bool  %0 = ConstBool True
int   %1 = BoolToInt %0
int   %2 = ConstInt 2
int   %3 = AddInt %1, %2  snap0
bool  %4 = CmpInt %3 == %2
      Guard %4 is False  snap0
  snap0 @pc 4:
";
        // True is 1, 1 + 2 is 3, 3 == 2 is False: the guard expecting False holds and goes.
        let expected = "
bool  %0 = ConstBool True
int   %1 = ConstInt 1
int   %2 = ConstInt 2
int   %3 = ConstInt 3
bool  %4 = ConstBool False
";
        check(before, expected);
    }

    #[test]
    fn keeps_an_addition_that_would_overflow() {
        let before = "\
int   %0 = ConstInt 9223372036854775807
int   %1 = ConstInt 1
int   %2 = AddInt %0, %1  snap0
  snap0 @pc 4:
";
        // Unchanged: the addition overflows, so it must still exit at run time.
        let expected = "
int   %0 = ConstInt 9223372036854775807
int   %1 = ConstInt 1
int   %2 = AddInt %0, %1  snap0
  snap0 @pc 4:
";
        check(before, expected);
    }

    #[test]
    fn doubling_a_float_becomes_an_addition() {
        let before = "\
      GuardTag r0(x) is float  snap0
float %1 = SlotFloat r0(x)
float %2 = ConstFloat 2.0
float %3 = MulFloat %2, %1
float %4 = MulFloat %3, %2
  snap0 @pc 4:
";
        // `2.0 * x` and `x * 2.0` become `x + x`; no multiplication is left.
        let expected = "
      GuardTag r0(x) is float  snap0
float %1 = SlotFloat r0(x)
float %2 = ConstFloat 2.0
float %3 = AddFloat %1, %1
float %4 = AddFloat %3, %3
  snap0 @pc 4:
";
        check(before, expected);
    }

    #[test]
    fn removes_adding_zero() {
        let before = "\
      GuardTag r0(i) is int  snap0
int   %1 = SlotInt r0(i)
int   %2 = ConstInt 0
int   %3 = AddInt %1, %2  snap0
bool  %4 = CmpInt %3 < %1
      Guard %4 is False  snap0
  snap0 @pc 4:
";
        // `i + 0` is `i`: the comparison reads `%1` directly.
        let expected = "
      GuardTag r0(i) is int  snap0
int   %1 = SlotInt r0(i)
int   %2 = ConstInt 0
bool  %3 = CmpInt %1 < %1
      Guard %3 is False  snap0
  snap0 @pc 4:
";
        check(before, expected);
    }
}
