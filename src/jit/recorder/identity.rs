//! `x is y` and `x is not y` in traces, as the interpreter decides them (`ops::is_same`), and
//! comparisons of lists, tuples and dicts.
//!
//! `is`:
//!
//! - `None` on either side, or operands of two different types: a constant, since a value's
//!   type is its trace type, which the trace guarded (a `bool` is never the same object as an
//!   `int`, a `str` never one of a `list`);
//! - two bools or two ints: their values compared (`CmpInt`; a bool through `BoolToInt`), so
//!   `flag is True` costs one compare;
//! - two values of the same heap type (strings, lists, tuples, dicts, big ints) or two floats:
//!   the `is` (`is not`) helper (`ir/helpers.rs`), which runs `ops::is_same` on them.
//!
//! Functions and builtins (`Obj`) abort the recording: the trace does not hold them as values.
//!
//! `==` and `!=`: a string, list, tuple, dict or `None` never equals a value of another kind
//! (Python has no classes in Toy to override `__eq__`), and `None == None`: a constant once the
//! types are guarded (`value == ""` where `value` holds an int). Numbers of different types
//! (int, float, bool, big int) compare by value: that stays `arith.rs`'s.
//!
//! Two lists, two tuples or two dicts compare with the `==`, `<`, ... helper (`ir/helpers.rs`),
//! the interpreter's own comparison (item by item; no Toy code runs); one that raises (`<` of
//! dicts) exits before the instruction, and the interpreter raises.
//!
//! Touches only the recorder's own state.

use crate::interp::engine::bytecode::Reg;
use crate::interp::objects::value::Value;
use crate::jit::ir::helpers::Helper;
use crate::jit::ir::{Cond, IrRef, Op, Type};

use super::bigints::compare_helper;
use super::{Abort, Recorder, a, abort, element_type};

/// Can a value of this type meet another in `is` (a value the trace holds: numbers, `None` and
/// the heap objects)?
fn comparable(ty: Type) -> bool {
    ty.value_tag().is_some() || ty.is_heap()
}

impl Recorder {
    /// `dst = x is y` (`negate`: `x is not y`).
    pub(super) fn record_is(
        &mut self,
        dst: Reg,
        (x, y): (Reg, Reg),
        negate: bool,
        pc: usize,
        frame: &[Value],
    ) -> Result<(), Abort> {
        let (x_ref, x_ty) = self.read(x, frame, pc)?;
        let (y_ref, y_ty) = self.read(y, frame, pc)?;
        if !comparable(x_ty) || !comparable(y_ty) {
            return abort(format!("`is` between {} and {}", a(x_ty.name()), a(y_ty.name())));
        }
        if x_ty != y_ty || x_ty == Type::NoneType {
            // Different types are different objects; `None` is one object.
            let r = self.emit(Op::ConstBool { value: (x_ty == y_ty) != negate }, Type::Bool);
            return self.write(dst, r);
        }
        let r = if matches!(x_ty, Type::Int | Type::Bool) {
            let (x_int, y_int) =
                if x_ty == Type::Bool { (self.bool_as_int(x_ref), self.bool_as_int(y_ref)) } else { (x_ref, y_ref) };
            let cond = if negate { Cond::Ne } else { Cond::Eq };
            self.emit(Op::CmpInt { cond, a: x_int, b: y_int }, Type::Bool)
        } else {
            self.emit_helper(if negate { Helper::IsNot } else { Helper::Is }, &[x, y], pc, frame)?.0
        };
        self.write(dst, r)
    }

    /// `x cond y` when the operands' kinds decide it, or both are lists, tuples or dicts (see
    /// the module doc): the result and its value now; `None` for every other comparison.
    pub(super) fn compare_by_kind(
        &mut self,
        cond: Cond,
        (x, y): (Reg, Reg),
        pc: usize,
        frame: &[Value],
    ) -> Option<Result<(IrRef, bool), Abort>> {
        let (Ok(x_kind), Ok(y_kind)) = (element_type(&frame[x.0 as usize]), element_type(&frame[y.0 as usize])) else {
            return None;
        };
        if x_kind == y_kind && matches!(x_kind, Type::Ptr | Type::Tuple | Type::Dict) {
            return Some(self.emit_helper(compare_helper(cond), &[x, y], pc, frame).and_then(|(r, now)| match now {
                Value::Bool(now) => Ok((r, now)),
                _ => abort("a comparison that does not give a bool"),
            }));
        }
        if !matches!(cond, Cond::Eq | Cond::Ne) {
            return None;
        }
        let number = |ty: Type| matches!(ty, Type::Int | Type::Float | Type::Bool);
        let decided = if x_kind == y_kind { x_kind == Type::NoneType } else { !(number(x_kind) && number(y_kind)) };
        if !decided {
            return None;
        }
        let equal = x_kind == y_kind;
        Some((|| {
            // The guards on both types make the answer hold whenever the trace runs.
            self.read(x, frame, pc)?;
            self.read(y, frame, pc)?;
            let now = equal == (cond == Cond::Eq);
            Ok((self.emit(Op::ConstBool { value: now }, Type::Bool), now))
        })())
    }

    fn bool_as_int(&mut self, b: IrRef) -> IrRef {
        self.emit(Op::BoolToInt { a: b }, Type::Int)
    }
}
