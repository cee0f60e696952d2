//! The truth of a value where a jump tests it (`if x:`, `while x:`, `x and y`): a bool as it is,
//! a number compared with zero, a string, list or tuple by its length, None always false (its
//! type guard decides it). The trace guards that the truth is what it was while recording.
//!
//! Touches only the recorder's own state.

use crate::interp::engine::bytecode::Reg;
use crate::interp::objects::value::Value;
use crate::jit::ir::{Cond, Op, Type};

use super::{Abort, Recorder, a, abort};

impl Recorder {
    /// `JumpIfFalse`/`JumpIfTrue` on register `cond`: a guard on its truth.
    pub(super) fn truth_jump(&mut self, cond: Reg, pc: usize, frame: &[Value]) -> Result<(), Abort> {
        let (r, ty) = self.read(cond, frame, pc)?;
        let zero_int = |rec: &mut Recorder| rec.const_int(0);
        let (truth_ref, truth) = match (ty, &frame[cond.0 as usize]) {
            (Type::Bool, Value::Bool(b)) => (r, *b),
            (Type::Int, Value::Int(i)) => {
                let zero = zero_int(self);
                (self.emit(Op::CmpInt { cond: Cond::Ne, a: r, b: zero }, Type::Bool), *i != 0)
            }
            (Type::Float, Value::Float(f)) => {
                // NaN is true: `!=` on floats is "unordered or not equal".
                let zero = self.const_float(0.0);
                (self.emit(Op::CmpFloat { cond: Cond::Ne, a: r, b: zero }, Type::Bool), *f != 0.0)
            }
            (Type::Str | Type::Ptr | Type::Tuple, value) => {
                let (len, empty) = match value {
                    Value::Str(text) => (self.emit(Op::StrLen { s: r }, Type::Int), text.is_empty()),
                    Value::List(items) => (self.emit(Op::ListLen { list: r }, Type::Int), items.borrow().is_empty()),
                    Value::Tuple(items) => (self.emit(Op::TupleLen { tuple: r }, Type::Int), items.is_empty()),
                    _ => return abort(format!("testing the truth of {}", a(ty.name()))),
                };
                let zero = zero_int(self);
                (self.emit(Op::CmpInt { cond: Cond::Ne, a: len, b: zero }, Type::Bool), !empty)
            }
            // The type guard that read it decided the jump.
            (Type::NoneType, Value::None) => return Ok(()),
            _ => return abort(format!("testing the truth of {}", a(ty.name()))),
        };
        let snap = self.snapshot(pc);
        self.emit(Op::Guard { cond: truth_ref, expect: truth, snap }, Type::Void);
        Ok(())
    }
}
