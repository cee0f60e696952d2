//! Arithmetic, comparisons and list indexing in traces: each specialised on the operand types
//! the recorder sees, with a guard for every assumption (int overflow, zero divisors, ints too
//! big to compare exactly with floats, list bounds).
//!
//! Touches only the recorder's own state.

use crate::interp::engine::bytecode::Reg;
use crate::interp::objects::value::Value;

use super::{Abort, Recorder, abort};
use crate::jit::ir::{Cond, IrRef, Op, Type};

impl Recorder {
    /// The list in `obj` and the normalised, bounds-checked index in `index`.
    pub(super) fn list_index(
        &mut self,
        obj: Reg,
        index: Reg,
        pc: usize,
        frame: &[Value],
    ) -> Result<(IrRef, IrRef), Abort> {
        let (list, list_ty) = self.read(obj, frame, pc)?;
        if list_ty != Type::Ptr {
            return abort(format!("indexing {}", super::a(list_ty.name())));
        }
        let (i, index_ty) = self.read(index, frame, pc)?;
        if index_ty != Type::Int {
            return abort(format!("a list index of type {}", index_ty.name()));
        }
        let snap = self.snapshot(pc);
        // An index that is not negative when recorded is checked as such (one compare, the
        // index itself the position); a negative one is normalised.
        let normalised = match &frame[index.0 as usize] {
            Value::Int(at) if *at >= 0 => self.emit(Op::ListIndexInRange { list, index: i, snap }, Type::Int),
            _ => self.emit(Op::ListIndex { list, index: i, snap }, Type::Int),
        };
        Ok((list, normalised))
    }

    /// Both operands as floats when either is a float (Python's mixed arithmetic).
    pub(super) fn as_floats(&mut self, a: (IrRef, Type), b: (IrRef, Type)) -> Option<(IrRef, IrRef)> {
        let convert = |rec: &mut Recorder, (r, ty): (IrRef, Type)| match ty {
            Type::Float => Some(r),
            Type::Int => Some(rec.emit(Op::IntToFloat { a: r }, Type::Float)),
            _ => None,
        };
        Some((convert(self, a)?, convert(self, b)?))
    }

    pub(super) fn arith(
        &mut self,
        op: crate::parser::ast::BinOp,
        dst: Reg,
        a: Reg,
        b: Reg,
        pc: usize,
        frame: &[Value],
    ) -> Result<(), Abort> {
        use crate::parser::ast::BinOp;
        if let Some(recorded) = self.big_arith(op, dst, a, b, pc, frame) {
            return recorded;
        }
        let (left, x) = self.read_number(a, frame, pc)?;
        let (right, y) = self.read_number(b, frame, pc)?;
        let (x, y) = (&x, &y);
        let result = match (left.1, right.1) {
            (Type::Int, Type::Int) => {
                let (Value::Int(xv), Value::Int(yv)) = (x, y) else { return abort("slot types changed") };
                let (xv, yv) = (*xv, *yv);
                let fits = match op {
                    BinOp::Add => xv.checked_add(yv).is_some(),
                    BinOp::Sub => xv.checked_sub(yv).is_some(),
                    BinOp::Mul => xv.checked_mul(yv).is_some(),
                    BinOp::FloorDiv | BinOp::Mod => yv != 0 && !(xv == i64::MIN && yv == -1),
                    BinOp::LShift => (0..64).contains(&yv) && (xv << yv) >> yv == xv,
                    BinOp::RShift => yv >= 0,
                    BinOp::Pow => u32::try_from(yv).ok().and_then(|e| xv.checked_pow(e)).is_some(),
                    BinOp::TrueDiv => yv != 0 && xv.unsigned_abs() <= 1 << 53 && yv.unsigned_abs() <= 1 << 53,
                    _ => true,
                };
                if !fits {
                    return abort("an int operation overflowed or divided by zero while recording");
                }
                let snap = self.snapshot(pc);
                let (l, r) = (left.0, right.0);
                match op {
                    BinOp::Add => self.emit(Op::AddInt { a: l, b: r, snap }, Type::Int),
                    BinOp::Sub => self.emit(Op::SubInt { a: l, b: r, snap }, Type::Int),
                    BinOp::Mul => self.emit(Op::MulInt { a: l, b: r, snap }, Type::Int),
                    BinOp::FloorDiv => self.emit(Op::FloorDivInt { a: l, b: r, snap }, Type::Int),
                    BinOp::Mod => self.emit(Op::ModInt { a: l, b: r, snap }, Type::Int),
                    BinOp::LShift => self.emit(Op::ShlInt { a: l, b: r, snap }, Type::Int),
                    BinOp::RShift => self.emit(Op::ShrInt { a: l, b: r, snap }, Type::Int),
                    BinOp::Pow => self.emit(Op::PowInt { a: l, b: r, snap }, Type::Int),
                    BinOp::BitAnd => self.emit(Op::AndInt { a: l, b: r }, Type::Int),
                    BinOp::BitOr => self.emit(Op::OrInt { a: l, b: r }, Type::Int),
                    BinOp::BitXor => self.emit(Op::XorInt { a: l, b: r }, Type::Int),
                    BinOp::TrueDiv => {
                        self.emit(Op::GuardExactFloat { a: l, snap }, Type::Void);
                        self.emit(Op::GuardExactFloat { a: r, snap }, Type::Void);
                        let fl = self.emit(Op::IntToFloat { a: l }, Type::Float);
                        let fr = self.emit(Op::IntToFloat { a: r }, Type::Float);
                        self.emit(Op::DivFloat { a: fl, b: fr, snap }, Type::Float)
                    }
                }
            }
            (Type::Int | Type::Float, Type::Int | Type::Float) => {
                let divides_by_zero = matches!(y, Value::Float(f) if *f == 0.0) || matches!(y, Value::Int(0));
                if matches!(op, BinOp::TrueDiv | BinOp::Mod | BinOp::FloorDiv) && divides_by_zero {
                    return abort("a division by zero while recording");
                }
                let Some((l, r)) = self.as_floats(left, right) else { return abort("mixed operands") };
                match op {
                    BinOp::Add => self.emit(Op::AddFloat { a: l, b: r }, Type::Float),
                    BinOp::Sub => self.emit(Op::SubFloat { a: l, b: r }, Type::Float),
                    BinOp::Mul => self.emit(Op::MulFloat { a: l, b: r }, Type::Float),
                    BinOp::TrueDiv => {
                        let snap = self.snapshot(pc);
                        self.emit(Op::DivFloat { a: l, b: r, snap }, Type::Float)
                    }
                    BinOp::Mod => {
                        let snap = self.snapshot(pc);
                        self.emit(Op::ModFloat { a: l, b: r, snap }, Type::Float)
                    }
                    BinOp::FloorDiv => {
                        let snap = self.snapshot(pc);
                        self.emit(Op::FloorDivFloat { a: l, b: r, snap }, Type::Float)
                    }
                    BinOp::Pow => {
                        let as_float = |v: &Value| match v {
                            Value::Int(i) => *i as f64,
                            Value::Float(f) => *f,
                            _ => f64::NAN,
                        };
                        if crate::interp::objects::ops::float_pow(as_float(x), as_float(y)).is_err() {
                            return abort("a float ** that raises while recording");
                        }
                        let snap = self.snapshot(pc);
                        self.emit(Op::PowFloat { a: l, b: r, snap }, Type::Float)
                    }
                    _ => return abort(format!("the float operator {op:?}")),
                }
            }
            (l, r) => return abort(format!("{op:?} on {} and {}", l.name(), r.name())),
        };
        self.write(dst, result)
    }

    /// Register `reg` as an operand of arithmetic or a comparison, with its value now: a bool
    /// counts as the int 0 or 1, as in Python.
    pub(super) fn read_number(
        &mut self,
        reg: Reg,
        frame: &[Value],
        pc: usize,
    ) -> Result<((IrRef, Type), Value), Abort> {
        let (r, ty) = self.read(reg, frame, pc)?;
        match &frame[reg.0 as usize] {
            Value::Bool(b) if ty == Type::Bool => {
                Ok(((self.emit(Op::BoolToInt { a: r }, Type::Int), Type::Int), Value::Int(i64::from(*b))))
            }
            value => Ok(((r, ty), value.clone())),
        }
    }

    /// The bool IR value of `a cond b`, and its value now.
    pub(super) fn compare(
        &mut self,
        cond: Cond,
        a: Reg,
        b: Reg,
        pc: usize,
        frame: &[Value],
    ) -> Result<(IrRef, bool), Abort> {
        if let Some(compared) = self.str_compare(cond, a, b, pc, frame) {
            return compared;
        }
        if let Some(decided) = self.compare_by_kind(cond, (a, b), pc, frame) {
            return decided;
        }
        if let Some(compared) = self.big_compare(cond, a, b, pc, frame) {
            return compared;
        }
        let (left, x) = self.read_number(a, frame, pc)?;
        let (right, y) = self.read_number(b, frame, pc)?;
        let (x, y) = (&x, &y);
        // An int beyond 2**53 is not exactly a float: the trace's GuardExactFloat would exit
        // anyway, and a rounded comparison here could pick the wrong direction.
        let exact = |i: &i64| i.unsigned_abs() <= 1 << 53;
        if let (Value::Int(i), Value::Float(_)) | (Value::Float(_), Value::Int(i)) = (x, y)
            && !exact(i)
        {
            return abort("an int beyond 2**53 compared with a float");
        }
        let now = match (x, y) {
            (Value::Int(x), Value::Int(y)) => cond.holds(x, y),
            (Value::Float(x), Value::Float(y)) => cond.holds(x, y),
            (Value::Int(x), Value::Float(y)) => cond.holds(&(*x as f64), y),
            (Value::Float(x), Value::Int(y)) => cond.holds(x, &(*y as f64)),
            _ => return abort(format!("comparing {} and {}", x.type_name(), y.type_name())),
        };
        let r = match (left.1, right.1) {
            (Type::Int, Type::Int) => self.emit(Op::CmpInt { cond, a: left.0, b: right.0 }, Type::Bool),
            (Type::Float, Type::Float) => self.emit(Op::CmpFloat { cond, a: left.0, b: right.0 }, Type::Bool),
            _ => {
                // An int compared with a float: exact only while the int fits a float's mantissa.
                let snap = self.snapshot(pc);
                for (r, ty) in [left, right] {
                    if ty == Type::Int {
                        self.emit(Op::GuardExactFloat { a: r, snap }, Type::Void);
                    }
                }
                let Some((l, r)) = self.as_floats(left, right) else { return abort("comparing mixed values") };
                self.emit(Op::CmpFloat { cond, a: l, b: r }, Type::Bool)
            }
        };
        Ok((r, now))
    }

    pub(super) fn compare_into(
        &mut self,
        cond: Cond,
        dst: Reg,
        a: Reg,
        b: Reg,
        pc: usize,
        frame: &[Value],
    ) -> Result<(), Abort> {
        let (r, _) = self.compare(cond, a, b, pc, frame)?;
        self.write(dst, r)
    }

    pub(super) fn compare_jump(&mut self, cond: Cond, a: Reg, b: Reg, pc: usize, frame: &[Value]) -> Result<(), Abort> {
        let (r, now) = self.compare(cond, a, b, pc, frame)?;
        let snap = self.snapshot(pc);
        self.emit(Op::Guard { cond: r, expect: now, snap }, Type::Void);
        Ok(())
    }
}
