//! Builtins and functions in traces: what a `LoadGlobal` loaded (a trace constant), and the
//! builtins the recorder turns into IR (`range` unbuilt until `GetIter`; `len`, `abs`, `min`,
//! `max`, `float` as arithmetic; `isinstance` as a constant).
//!
//! Touches only the recorder's own state.

use crate::interp::engine::bytecode::Reg;
use crate::interp::engine::native::Running;
use crate::interp::objects::builtins::BuiltinId;
use crate::interp::objects::value::Value;

use super::{Abort, Recorder, abort};
use crate::jit::ir::{Cond, IrRef, Op, TraceObject, Type};

impl Recorder {
    /// A side trace starting between a `LoadGlobal` and its use finds the function or builtin
    /// in register `reg`, written there by its parent's exit (a constant of the parent, whose
    /// type it knows as `obj`): it is this trace's constant too.
    pub(super) fn recall_object(&mut self, reg: Reg, frame: &[Value]) {
        let slot = self.slot(reg);
        let known_object = self.side.as_ref().is_some_and(|side| side.known.get(&slot) == Some(&Type::Obj));
        if !known_object || self.slots.contains_key(&slot) {
            return;
        }
        if let Some(object) = TraceObject::of(&frame[reg.0 as usize]) {
            self.held.insert(slot, object);
        }
    }

    /// After a `LoadGlobal` into `dst` ran: the trace may call what it loaded if it is a traced
    /// builtin or a Toy function (a constant: rebinding such a global drops the trace).
    pub(super) fn loaded_global(&mut self, dst: Reg, global: u32, pc: usize, now: &Running<'_>) -> Result<(), Abort> {
        let Some(object) = TraceObject::of(&now.frame[dst.0 as usize]) else {
            return self.loaded_global_value(dst, global, pc, now);
        };
        let index = self.object_index(&object);
        let constant = self.emit(Op::ConstObj { index }, Type::Obj);
        let slot = self.slot(dst);
        self.write_slot(slot, constant)?;
        self.held.insert(slot, object);
        Ok(())
    }

    /// The number of `object` in the trace's objects (added if new).
    pub(super) fn object_index(&mut self, object: &TraceObject) -> u32 {
        match self.trace.objects.iter().position(|o| o == object) {
            Some(i) => i as u32,
            None => {
                self.trace.objects.push(object.clone());
                self.trace.objects.len() as u32 - 1
            }
        }
    }

    /// A call of the builtin `id` on `argc` arguments starting at `args`, as IR: `range` stays
    /// unbuilt until `GetIter`; `len`, `abs`, `min`, `max`, `float` and `int` become arithmetic.
    pub(super) fn call_builtin(
        &mut self,
        id: BuiltinId,
        dst: Reg,
        args: Reg,
        argc: u16,
        pc: usize,
        frame: &[Value],
    ) -> Result<(), Abort> {
        if let Some(helper) = self.builtin_helper(id, args, argc, frame) {
            let regs: Vec<Reg> = (0..argc).map(|i| Reg(args.0 + i)).collect();
            return self.record_helper(helper, dst, &regs, pc, frame);
        }
        if crate::jit::runtime::traced_builtin(id).is_none() {
            return abort(format!("a call to the builtin {}() (not traced yet)", id.name()));
        }
        if id == BuiltinId::IsInstance {
            return self.call_isinstance(dst, args, argc, pc, frame);
        }
        let mut operands = Vec::new();
        for i in 0..argc {
            operands.push(self.read(Reg(args.0 + i), frame, pc)?);
        }
        let types: Vec<Type> = operands.iter().map(|&(_, ty)| ty).collect();
        let refs: Vec<IrRef> = operands.iter().map(|&(r, _)| r).collect();
        let result = match (id, types.as_slice()) {
            (BuiltinId::Range, [Type::Int]) | (BuiltinId::Range, [Type::Int, Type::Int]) => {
                let (start, stop) = if argc == 1 { (self.const_int(0), refs[0]) } else { (refs[0], refs[1]) };
                let one = self.const_int(1);
                let slot = self.slot(dst);
                self.forget(slot);
                self.ranges.insert(slot, (start, stop, one));
                return Ok(());
            }
            (BuiltinId::Range, [Type::Int, Type::Int, Type::Int]) => {
                if matches!(frame[args.0 as usize + 2], Value::Int(0)) {
                    return abort("range() with a step of 0");
                }
                let zero = self.const_int(0);
                let nonzero = self.emit(Op::CmpInt { cond: Cond::Ne, a: refs[2], b: zero }, Type::Bool);
                let snap = self.snapshot(pc);
                self.emit(Op::Guard { cond: nonzero, expect: true, snap }, Type::Void);
                let slot = self.slot(dst);
                self.forget(slot);
                self.ranges.insert(slot, (refs[0], refs[1], refs[2]));
                return Ok(());
            }
            (BuiltinId::Len, [Type::Ptr]) => self.emit(Op::ListLen { list: refs[0] }, Type::Int),
            (BuiltinId::Len, [Type::Tuple]) => self.emit(Op::TupleLen { tuple: refs[0] }, Type::Int),
            (BuiltinId::Len, [Type::Str]) => self.emit(Op::StrLen { s: refs[0] }, Type::Int),
            (BuiltinId::Float, [Type::Int]) => self.emit(Op::IntToFloat { a: refs[0] }, Type::Float),
            (BuiltinId::Float, [Type::Float]) => refs[0],
            (BuiltinId::Abs, [Type::Int]) => {
                let snap = self.snapshot(pc);
                let negated = self.emit(Op::NegInt { a: refs[0], snap }, Type::Int);
                let zero = self.const_int(0);
                let negative = self.emit(Op::CmpInt { cond: Cond::Lt, a: refs[0], b: zero }, Type::Bool);
                self.emit(Op::Select { cond: negative, a: negated, b: refs[0] }, Type::Int)
            }
            (BuiltinId::Abs, [Type::Float]) => self.emit(Op::AbsFloat { a: refs[0] }, Type::Float),
            (BuiltinId::Int, [Type::Int]) => refs[0],
            (BuiltinId::Int, [Type::Bool]) => self.emit(Op::BoolToInt { a: refs[0] }, Type::Int),
            (BuiltinId::Int, [Type::Float]) => {
                let fits = matches!(frame[args.0 as usize], Value::Float(f) if f.is_finite() && f.abs() < 9.2e18);
                if !fits {
                    return abort("int() of a float without a 64-bit value while recording");
                }
                let snap = self.snapshot(pc);
                self.emit(Op::FloatToInt { a: refs[0], snap }, Type::Int)
            }
            (BuiltinId::Min | BuiltinId::Max, [Type::Int, Type::Int] | [Type::Float, Type::Float]) => {
                // Python keeps the first argument unless the second is strictly smaller (larger).
                let cond = if id == BuiltinId::Min { Cond::Lt } else { Cond::Gt };
                let ty = types[0];
                let cmp = if ty == Type::Int {
                    Op::CmpInt { cond, a: refs[1], b: refs[0] }
                } else {
                    Op::CmpFloat { cond, a: refs[1], b: refs[0] }
                };
                let second_wins = self.emit(cmp, Type::Bool);
                self.emit(Op::Select { cond: second_wins, a: refs[1], b: refs[0] }, ty)
            }
            _ => {
                let kinds: Vec<&str> = types.iter().map(|t| t.name()).collect();
                return abort(format!("{}() on ({})", id.name(), kinds.join(", ")));
            }
        };
        self.write(dst, result)
    }

    /// `isinstance(x, C)` for a class `C` the trace loaded (`int`, `float`, `bool`, `list`, `tuple`,
    /// `str`, `dict`): a constant, since the trace knows the type of `x` (its type guard or how it computed it).
    pub(super) fn call_isinstance(
        &mut self,
        dst: Reg,
        args: Reg,
        argc: u16,
        pc: usize,
        frame: &[Value],
    ) -> Result<(), Abort> {
        self.recall_object(Reg(args.0 + 1), frame);
        let class = match self.held.get(&self.slot(Reg(args.0 + 1))) {
            Some(&TraceObject::Builtin(class)) if argc == 2 => class,
            _ => return abort("isinstance() with a class the JIT does not know"),
        };
        let (_, ty) = self.read(args, frame, pc)?;
        let answer = match (class, ty) {
            // A big int is an `int` too (a regression: an int grown past 64 bits took the
            // `else` of `if isinstance(n, int)` in traces).
            (BuiltinId::Int, Type::Int | Type::Bool | Type::Big) | (BuiltinId::Float, Type::Float) => true,
            (BuiltinId::Bool, Type::Bool) | (BuiltinId::List, Type::Ptr) | (BuiltinId::Tuple, Type::Tuple) => true,
            (BuiltinId::Str, Type::Str) | (BuiltinId::Dict, Type::Dict) => true,
            (
                BuiltinId::Int
                | BuiltinId::Float
                | BuiltinId::Bool
                | BuiltinId::List
                | BuiltinId::Tuple
                | BuiltinId::Str
                | BuiltinId::Dict,
                _,
            ) => false,
            _ => return abort(format!("isinstance() with the class {}", class.name())),
        };
        let r = self.emit(Op::ConstBool { value: answer }, Type::Bool);
        self.write(dst, r)
    }
}
