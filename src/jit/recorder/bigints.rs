//! Big ints in traces: arithmetic, comparisons and negation where an operand is an int beyond
//! 64 bits, or where two small ints give one (a sum that overflows 64 bits in a side trace
//! grown from the overflow's exit), as calls of the runtime's pure helpers (`ir/helpers.rs`:
//! `+`, `-`, `*`, `//`, `%`, `**`, `<`, ...), which run the interpreter's own functions. A
//! helper's result has the type the recording saw (a `big`, or an `int` once a quotient fits
//! 64 bits again); anything else — another type, a `ZeroDivisionError` — exits before the
//! instruction, and the interpreter runs it again (and raises).
//!
//! Touches only the recorder's own state.

use crate::interp::engine::bytecode::Reg;
use crate::interp::objects::ops::binary;
use crate::interp::objects::value::Value;
use crate::jit::ir::helpers::Helper;
use crate::jit::ir::{Cond, IrRef, Op, Type};
use crate::parser::ast::BinOp;

use super::{Abort, Recorder, abort};

/// Is `value` an int (small or big) or a bool: an operand a big int's helper takes.
fn is_integer(value: &Value) -> bool {
    matches!(value, Value::Int(_) | Value::BigInt(_) | Value::Bool(_))
}

/// Is `value` a number a big int's helper takes (an int, a bool or a float).
fn is_number(value: &Value) -> bool {
    is_integer(value) || matches!(value, Value::Float(_))
}

/// The helper computing `op` (every binary operator has one).
fn helper_of(op: BinOp) -> Helper {
    match op {
        BinOp::Add => Helper::Add,
        BinOp::Sub => Helper::Sub,
        BinOp::Mul => Helper::Mul,
        BinOp::TrueDiv => Helper::TrueDiv,
        BinOp::FloorDiv => Helper::FloorDiv,
        BinOp::Mod => Helper::Mod,
        BinOp::Pow => Helper::Pow,
        BinOp::LShift => Helper::LShift,
        BinOp::RShift => Helper::RShift,
        BinOp::BitAnd => Helper::BitAnd,
        BinOp::BitOr => Helper::BitOr,
        BinOp::BitXor => Helper::BitXor,
    }
}

/// The helper comparing two values by `cond` (strings, big ints).
pub(super) fn compare_helper(cond: Cond) -> Helper {
    match cond {
        Cond::Lt => Helper::Lt,
        Cond::Le => Helper::Le,
        Cond::Gt => Helper::Gt,
        Cond::Ge => Helper::Ge,
        Cond::Eq => Helper::Eq,
        Cond::Ne => Helper::Ne,
    }
}

impl Recorder {
    /// `dst = x op y` as a helper when an operand is a big int, or both are ints and the
    /// result is one (`None`: 64-bit arithmetic, recorded inline).
    pub(super) fn big_arith(
        &mut self,
        op: BinOp,
        dst: Reg,
        x: Reg,
        y: Reg,
        pc: usize,
        frame: &[Value],
    ) -> Option<Result<(), Abort>> {
        let (left, right) = (&frame[x.0 as usize], &frame[y.0 as usize]);
        let has_big = matches!(left, Value::BigInt(_)) || matches!(right, Value::BigInt(_));
        let needs_big =
            is_integer(left) && is_integer(right) && matches!(binary(op, left, right), Ok(Value::BigInt(_)));
        if !(has_big && is_number(left) && is_number(right)) && !needs_big {
            return None;
        }
        Some(self.record_helper(helper_of(op), dst, &[x, y], pc, frame))
    }

    /// A comparison where an operand is a big int: a helper; its value and whether it holds
    /// now (`None`: no big int).
    pub(super) fn big_compare(
        &mut self,
        cond: Cond,
        x: Reg,
        y: Reg,
        pc: usize,
        frame: &[Value],
    ) -> Option<Result<(IrRef, bool), Abort>> {
        let (left, right) = (&frame[x.0 as usize], &frame[y.0 as usize]);
        let has_big = matches!(left, Value::BigInt(_)) || matches!(right, Value::BigInt(_));
        if !(has_big && is_number(left) && is_number(right)) {
            return None;
        }
        let small = |v: &Value| matches!(v, Value::Int(_) | Value::Bool(_));
        if matches!(cond, Cond::Eq | Cond::Ne) && (small(left) || small(right)) {
            // A big int never equals a small one (an int that fits 64 bits is always `Int`,
            // `Value::from_bigint`): `power != 0` is decided by the types the reads guard.
            let read = self.read(x, frame, pc).and_then(|_| self.read(y, frame, pc));
            return Some(read.map(|_| {
                let now = cond == Cond::Ne;
                (self.emit(Op::ConstBool { value: now }, Type::Bool), now)
            }));
        }
        let helper = compare_helper(cond);
        Some(self.emit_helper(helper, &[x, y], pc, frame).and_then(|(r, now)| match now {
            Value::Bool(now) => Ok((r, now)),
            _ => abort("a comparison of big ints that gave no bool"),
        }))
    }

    /// `dst = -src` of a big int (or of `-2**63`, whose negation is one): a helper (`None`:
    /// 64-bit negation).
    pub(super) fn big_neg(&mut self, dst: Reg, src: Reg, pc: usize, frame: &[Value]) -> Option<Result<(), Abort>> {
        matches!(frame[src.0 as usize], Value::BigInt(_) | Value::Int(i64::MIN))
            .then(|| self.record_helper(Helper::Neg, dst, &[src], pc, frame))
    }
}
