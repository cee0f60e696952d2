//! Strings in traces: string constants (`ConstStr`), `len(s)` and the truth of a string
//! (`StrLen`), `for ch in s` (the loop's slots hold the string and the byte offset of the next
//! char, as the VM's `GetIter` lays them out), and every other operation on strings as a call
//! of a runtime helper (`ir/helpers.rs`): `+`, `*`, `%`, comparisons, `in`, indexing,
//! slicing, `str()`, `int()`, `ord()`, `chr()` and the string methods. The recorder runs the
//! helper on the values it sees to learn the result's type (helpers are pure); the trace exits
//! before the instruction when the helper fails, so the interpreter raises what it raises.
//!
//! Touches only the recorder's own state.

use crate::interp::engine::bytecode::Reg;
use crate::interp::objects::builtins::BuiltinId;
use crate::interp::objects::iter::str_char_at;
use crate::interp::objects::methods::MethodId;
use crate::interp::objects::value::{Str, Value};
use crate::jit::ir::helpers::Helper;
use crate::jit::ir::{Cond, GLOBAL_SLOTS, IrRef, Op, Trace, TraceObject, Type};
use crate::jit::runtime_strings::run_helper;
use crate::parser::ast::BinOp;

use super::{Abort, Recorder, a, abort, element_type};

/// The most arguments a helper takes (`Helper4`).
pub(super) const MAX_HELPER_ARGS: usize = 4;

impl Recorder {
    /// `dst = "text"`: a constant the trace holds.
    pub(super) fn load_str_const(&mut self, dst: Reg, text: &Str) -> Result<(), Abort> {
        let index = self.object_index(&TraceObject::Str(text.clone()));
        let r = self.emit(Op::ConstStr { index }, Type::Str);
        self.write(dst, r)
    }

    /// `GetIter` over a string: the loop's slots get the string and the byte offset 0.
    pub(super) fn start_str_loop(&mut self, iter: Reg, src: Reg, pc: usize, frame: &[Value]) -> Result<(), Abort> {
        let (text, _) = self.read(src, frame, pc)?;
        let zero = self.const_int(0);
        self.write(iter, text)?;
        self.write(Reg(iter.0 + 1), zero)
    }

    /// `ForIter` over a string: the char at the offset (a helper: a one-char string), and the
    /// offset moved past it; the loop ends at the string's byte length.
    pub(super) fn record_for_str(
        &mut self,
        (iter, target): (Reg, Reg),
        exit: usize,
        pc: usize,
        frame: &[Value],
    ) -> Result<(), Abort> {
        let (Value::Str(text), Value::Int(offset)) = (&frame[iter.0 as usize], &frame[iter.0 as usize + 1]) else {
            return abort("a string loop without its offset");
        };
        let has_next = usize::try_from(*offset).ok().and_then(|at| str_char_at(text, at)).is_some();
        if !has_next && !self.records_loop_end(pc) {
            return abort(super::LOOP_RAN_OUT);
        }
        let (text, _) = self.read(iter, frame, pc)?;
        let (offset, _) = self.read(Reg(iter.0 + 1), frame, pc)?;
        let bytes = self.emit(Op::StrBytes { s: text }, Type::Int);
        let more = self.emit(Op::CmpInt { cond: Cond::Lt, a: offset, b: bytes }, Type::Bool);
        self.guard_loop_goes_on(more, has_next, exit, pc);
        if !has_next {
            return Ok(());
        }
        let snap = self.snapshot(pc);
        if let Value::Str(seen) = &frame[iter.0 as usize]
            && seen.is_ascii()
        {
            // One byte per char: `opt/ascii.rs` reads the loop's chars as bytes behind this
            // guard (the preamble's; the body's copy is CSE's).
            self.emit(Op::GuardStrAscii { s: text, snap }, Type::Void);
        }
        let ch = self.emit(Op::StrCharAt { s: text, offset, snap }, Type::Str);
        let step = self.emit(Op::StrBytes { s: ch }, Type::Int);
        let advanced = self.emit(Op::AddInt { a: offset, b: step, snap }, Type::Int);
        self.write(Reg(iter.0 + 1), advanced)?;
        self.write(target, ch)
    }

    /// `dst = helper(regs...)` (`ord` and `chr` of one value: inline on their common path).
    pub(super) fn record_helper(
        &mut self,
        helper: Helper,
        dst: Reg,
        regs: &[Reg],
        pc: usize,
        frame: &[Value],
    ) -> Result<(), Abort> {
        let inline = match (helper, regs) {
            (Helper::Ord, &[reg]) if matches!(frame[reg.0 as usize], Value::Str(ref s) if s.char_count() == 1) => {
                let (s, _) = self.read(reg, frame, pc)?;
                let snap = self.snapshot(pc);
                Some(self.emit(Op::StrOrd { s, snap }, Type::Int))
            }
            (Helper::Chr, &[reg]) if matches!(frame[reg.0 as usize], Value::Int(code) if char::from_u32(code as u32).is_some() && code >= 0) =>
            {
                let (code, _) = self.read(reg, frame, pc)?;
                let snap = self.snapshot(pc);
                Some(self.emit(Op::StrChr { code, snap }, Type::Str))
            }
            _ => None,
        };
        let r = match inline {
            Some(r) => r,
            None => self.emit_helper(helper, regs, pc, frame)?.0,
        };
        self.write(dst, r)
    }

    /// A call of `helper` on registers `regs`, exiting before instruction `pc` if it fails;
    /// its IR value and the value it gives now.
    pub(super) fn emit_helper(
        &mut self,
        helper: Helper,
        regs: &[Reg],
        pc: usize,
        frame: &[Value],
    ) -> Result<(IrRef, Value), Abort> {
        if regs.len() > MAX_HELPER_ARGS {
            return abort(format!("{} with {} arguments", helper.name(), regs.len()));
        }
        let mut args = Vec::with_capacity(regs.len());
        for &reg in regs {
            let (r, ty) = self.read(reg, frame, pc)?;
            if ty.value_tag().is_none() && !ty.is_heap() {
                return abort(format!("{} on {}", helper.name(), a(ty.name())));
            }
            args.push(r);
        }
        let values: Vec<Value> = regs.iter().map(|reg| frame[reg.0 as usize].clone()).collect();
        self.emit_helper_on(helper, &args, &values, pc)
    }

    /// A call of `helper` on the IR values `args`, which hold `values` now (at most
    /// [`MAX_HELPER_ARGS`]), exiting before instruction `pc` if it fails; its IR value and the
    /// value it gives now.
    pub(super) fn emit_helper_on(
        &mut self,
        helper: Helper,
        args: &[IrRef],
        values: &[Value],
        pc: usize,
    ) -> Result<(IrRef, Value), Abort> {
        // Helpers are pure: running one now only tells the type of its result.
        let result = match run_helper(helper, values) {
            Ok(result) => result,
            Err(_) => return abort(format!("{} raises while recording", helper.name())),
        };
        // A big int is a helper's result too (`big`), though not yet a list element the trace loads.
        let ty = match result {
            Value::BigInt(_) => Type::Big,
            _ => element_type(&result)
                .map_err(|Abort(reason)| Abort(reason.replace("a list element holds", "a result is")))?,
        };
        let snap = self.snapshot(pc);
        let op = match *args {
            [] => Op::Helper0 { fun: helper, ty, snap },
            [a] => Op::Helper1 { fun: helper, a, ty, snap },
            [a, b] => Op::Helper2 { fun: helper, a, b, ty, snap },
            [a, b, c] => Op::Helper3 { fun: helper, a, b, c, ty, snap },
            [a, b, c, d] => Op::Helper4 { fun: helper, a, b, c, d, ty, snap },
            _ => return abort(format!("{} with {} arguments", helper.name(), args.len())),
        };
        Ok((self.emit(op, ty), result))
    }

    /// `a + b`, `a * b` or `a % b` where either operand is a string or a list (`+=` and `*=`
    /// on a list were refused: `recorder/lists.rs`): a helper (`None`: the arithmetic of
    /// numbers).
    pub(super) fn str_binary(
        &mut self,
        op: BinOp,
        dst: Reg,
        x: Reg,
        y: Reg,
        pc: usize,
        frame: &[Value],
    ) -> Option<Result<(), Abort>> {
        let on_str = |v: &Value| matches!(v, Value::Str(_) | Value::List(_));
        let on_str = on_str(&frame[x.0 as usize]) || on_str(&frame[y.0 as usize]);
        let helper = match op {
            BinOp::Add => Helper::Add,
            BinOp::Mul => Helper::Mul,
            BinOp::Mod => Helper::Mod,
            _ => return None,
        };
        on_str.then(|| self.record_helper(helper, dst, &[x, y], pc, frame))
    }

    /// A comparison of two strings: a helper; its value and whether it holds now (`None`: not
    /// two strings).
    pub(super) fn str_compare(
        &mut self,
        cond: Cond,
        x: Reg,
        y: Reg,
        pc: usize,
        frame: &[Value],
    ) -> Option<Result<(IrRef, bool), Abort>> {
        if !matches!((&frame[x.0 as usize], &frame[y.0 as usize]), (Value::Str(_), Value::Str(_))) {
            return None;
        }
        let helper = super::bigints::compare_helper(cond);
        Some(self.emit_helper(helper, &[x, y], pc, frame).and_then(|(r, now)| match now {
            Value::Bool(now) => Ok((r, now)),
            _ => abort("a string comparison that gave no bool"),
        }))
    }

    /// `dst = x in y` (`not in`): a helper, for a string, list or tuple `y`.
    pub(super) fn record_contains(
        &mut self,
        negated: bool,
        dst: Reg,
        x: Reg,
        y: Reg,
        pc: usize,
        frame: &[Value],
    ) -> Result<(), Abort> {
        if !matches!(frame[y.0 as usize], Value::Str(_) | Value::List(_) | Value::Tuple(_) | Value::Dict(_)) {
            return abort(format!("`in` on {}", a(frame[y.0 as usize].type_name())));
        }
        let helper = if negated { Helper::NotIn } else { Helper::In };
        self.record_helper(helper, dst, &[x, y], pc, frame)
    }

    /// `dst = obj.method(args...)` on a string or dict: a helper.
    pub(super) fn str_method(
        &mut self,
        dst: Reg,
        obj: Reg,
        method: MethodId,
        args: Reg,
        argc: u16,
        pc: usize,
        frame: &[Value],
    ) -> Result<(), Abort> {
        let Some(helper) = Helper::of_method(method) else {
            return abort(format!("a call to the method {}() (not traced)", method.name()));
        };
        let mut regs = vec![obj];
        regs.extend((0..argc).map(|i| Reg(args.0 + i)));
        self.record_helper(helper, dst, &regs, pc, frame)
    }

    /// The helper that runs builtin `id` on these arguments, if one does (`int()` of a
    /// number stays arithmetic).
    pub(super) fn builtin_helper(&self, id: BuiltinId, args: Reg, argc: u16, frame: &[Value]) -> Option<Helper> {
        let first = frame.get(args.0 as usize).filter(|_| argc > 0);
        match id {
            BuiltinId::Len if !matches!(first, Some(Value::Dict(_))) => None,
            BuiltinId::Int if !matches!(first, Some(Value::Str(_))) => None,
            _ => Helper::of_builtin(id),
        }
    }
}

/// Is `r` a string, dict or big int that the callee of a call in the interpreter whose frame
/// starts at `frame_slot` could free: one read from a global, a list the trace did not build, a
/// tuple, or a slot of the callee's frame?
pub(super) fn borrowed_from_outside(trace: &Trace, frame_slot: u16, r: IrRef) -> bool {
    let inst = &trace.insts[r.0 as usize];
    matches!(inst.ty, Type::Str | Type::Dict | Type::Big)
        && match inst.op {
            Op::SlotStr { slot } | Op::SlotDict { slot } | Op::SlotBig { slot } => slot >= frame_slot.min(GLOBAL_SLOTS),
            Op::ListLoad { list, .. } => !crate::jit::lower::is_helper(&trace.insts[list.0 as usize].op),
            Op::TupleLoad { .. } => true,
            _ => false,
        }
}

/// Did the recorder keep `r` alive (`KeepAlive`) just before the instruction at `at` (a call
/// in the interpreter)? Then it is safe across the call.
pub(super) fn kept_before(trace: &Trace, at: usize, r: IrRef) -> bool {
    trace.insts[..at]
        .iter()
        .rev()
        .take_while(|i| matches!(i.op, Op::KeepAlive { .. }))
        .any(|i| i.op == Op::KeepAlive { value: r })
}

/// Why `trace` (as recorded) must not be compiled, if so: a string or dict the callee of a
/// call run in the interpreter could free, read before the call and used after it (by an
/// instruction or an exit). Unsafe are those read from a global, a list the trace did not
/// build, a tuple, or a slot of the callee's frame; a string a helper (or a call) made is in
/// the garbage, which a nested run never drops, and a frame slot below the callee's frame
/// keeps its own. A value the loop carries into the next iteration is counted at the back
/// edge (the lowering keeps every carried value when the trace calls the interpreter).
pub fn strings_across_interp_calls(trace: &Trace) -> Option<String> {
    for (at, inst) in trace.insts.iter().enumerate() {
        let Op::CallInterp { frame, .. } = inst.op else { continue };
        let held =
            |r: IrRef| (r.0 as usize) < at && borrowed_from_outside(trace, frame, r) && !kept_before(trace, at, r);
        let later = &trace.insts[at..];
        let used = later.iter().skip(1).any(|i| i.op.operands().into_iter().any(held))
            || later
                .iter()
                .filter_map(|i| i.op.snapshot())
                .any(|snap| trace.snapshots[snap.0 as usize].slots.iter().any(|&(_, value)| held(value)));
        if used {
            return Some(
                "holds a string or dict from a list, tuple or global across a call run in the interpreter (which may free it)"
                    .into(),
            );
        }
    }
    None
}
