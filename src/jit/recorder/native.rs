//! Function-entry traces and native calls in the recorder.
//!
//! A function-entry trace ([`Recorder::new_entry`]) starts at a hot function's first
//! instruction and ends at its `Return` with `Ret`, which leaves the result in the frame's slot 0
//! (its side traces end the same way). A call of a function that has an entry trace, or of the
//! function being recorded itself (recursion), becomes a native call instead of being inlined
//! when inlining is impossible (the function is already being inlined or recorded, or calls
//! nest too deep): `EnterCheck` (may the call be made now?), `StoreSlot` for each argument
//! (where the callee's trace reads its parameters: the callee's frame starts at the caller's
//! first argument register, as the interpreter lays it), then, once the VM has run the call
//! (the recorder does not follow it: the callee is recorded in its own trace), `CallNative`,
//! typed by the result the call returned. Before `EnterCheck`, the globals the trace changed
//! are written back and all are forgotten (`globals.rs`: the callee works on them in memory).
//!
//! Touches only the recorder's own state.

use std::rc::Rc;

use crate::interp::engine::bytecode::{CodeObject, Instr, Reg};
use crate::interp::objects::value::{FunctionObj, Value};

use super::{Abort, Recorder, Step, a, abort};
use crate::jit::ir::{GLOBAL_SLOTS, IrRef, Op, TraceObject, Type};

/// A native call (or a call in the interpreter, `interp_call.rs`) the VM is running (the
/// recorder skips the callee's instructions).
pub(super) struct PendingNative {
    /// The callee (an index into `Trace::objects`), its frame's first slot, the frames it takes.
    pub callee: u32,
    pub frame: u16,
    pub depth: i64,
    /// The caller's register receiving the result, and where the caller goes on.
    pub dst: Reg,
    pub resume_pc: usize,
    pub name: String,
    /// A call in the interpreter with this many arguments (else a native call).
    pub interp_argc: Option<u16>,
}

impl Recorder {
    /// Should the call of `function` be a native call? Only where it cannot be inlined: a
    /// recursive call (of the function whose entry trace is being recorded, or of one being
    /// inlined) or one nested too deep, and only of a function with an entry trace (or the one
    /// being recorded, whose trace the call will reach once installed). In a trace that uses
    /// globals, a compiled function that calls itself is called natively from the first level:
    /// inlined, its locals would hold, across its recursive calls, tuples borrowed from a
    /// global (which those calls may rebind; see `globals.rs`).
    pub(super) fn wants_native_call(&self, function: &Rc<FunctionObj>, globals: &[Value]) -> bool {
        let code = &function.code;
        let recorded_here = self.entry && Rc::ptr_eq(code, &self.code);
        let inlined = Rc::ptr_eq(code, &self.code) || self.calls.iter().any(|c| Rc::ptr_eq(&c.code, code));
        let too_deep = self.calls.len() >= super::calls::MAX_INLINE_DEPTH;
        let compiled = code.jit_entry.native.get().is_some();
        let recursive = self.uses_globals() && calls_itself(code, globals);
        recorded_here || ((inlined || too_deep || recursive) && compiled)
    }

    /// Records a native call of `function` (held in trace slot `callee`) with `argc` arguments
    /// from register `args`, its result into `dst`: the checks and the argument stores now, the
    /// call itself when the VM has run it ([`Recorder::finish_native_call`]).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn native_call(
        &mut self,
        function: &Rc<FunctionObj>,
        callee: u16,
        dst: Reg,
        args: Reg,
        argc: u16,
        pc: usize,
        frame: &[crate::interp::objects::value::Value],
    ) -> Result<(), Abort> {
        let code = &function.code;
        let name = code.name.clone();
        if argc as usize != code.params.len() {
            return abort(format!("a native call of {name}() that leaves arguments to their defaults"));
        }
        let values = self.call_arguments((args, argc), pc, frame, &format!("a native call of {name}()"), true)?;
        let index = self.object_index(&TraceObject::Function(function.clone()));
        let frame_slot = self.slot(args);
        let depth = self.calls.len() as i64 + 1;
        // A callee's trace reads and writes globals in memory: the caller's must be there too.
        self.globals_to_memory(&name)?;
        let snap = self.snapshot(pc);
        self.emit(Op::EnterCheck { callee: index, frame: frame_slot, depth, snap }, Type::Void);
        // The function's register is a dead temporary from here on; the callee runs in the
        // slots from its frame up, and its result goes into `dst` (an exit after the call
        // leaves it to the callee's `Return` or moves it there).
        self.hand_over_frame(frame_slot, values, (callee, dst));
        self.check_nothing_borrowed_from_globals(&name)?;
        self.native_pending = Some(PendingNative {
            callee: index,
            frame: frame_slot,
            depth,
            dst,
            resume_pc: pc + 1,
            name,
            interp_argc: None,
        });
        if let Some(line) = self.recorded.last_mut() {
            line.text.push_str(&format!("   -> native call of {}()", function.code.name));
        }
        Ok(())
    }

    /// The IR values of a call's `argc` arguments from register `args` (numbers or lists, which
    /// the callee reads from memory); `what` names the call for an abort.
    pub(super) fn call_arguments(
        &mut self,
        (args, argc): (Reg, u16),
        pc: usize,
        frame: &[Value],
        what: &str,
        tuples_allowed: bool,
    ) -> Result<Vec<IrRef>, Abort> {
        let mut values = Vec::with_capacity(argc as usize);
        for i in 0..argc {
            let (value, ty) = self.read(Reg(args.0 + i), frame, pc)?;
            // A call in the interpreter takes lists, strings and dicts (the stores count them); a
            // tuple the trace holds may be virtual or borrowed from a slot the callee frees.
            let allowed = ty.is_heap() && (tuples_allowed || ty != Type::Tuple);
            if ty.value_tag().is_none() && !allowed {
                return abort(format!("passing {} to {what}", a(ty.name())));
            }
            values.push(value);
        }
        Ok(values)
    }

    /// Stores a call's arguments where the callee's frame starts (`frame_slot`) and forgets
    /// what the trace knew of the slots from there up, of the function's register and of the
    /// result's register `dst` (the callee runs there, in memory).
    pub(super) fn hand_over_frame(&mut self, frame_slot: u16, values: Vec<IrRef>, (callee, dst): (u16, Reg)) {
        for (i, value) in values.into_iter().enumerate() {
            self.emit(Op::StoreSlot { slot: frame_slot + i as u16, value }, Type::Void);
        }
        let above: Vec<u16> = self
            .slots
            .keys()
            .chain(self.written.iter())
            .copied()
            .filter(|&slot| slot >= frame_slot && slot < GLOBAL_SLOTS)
            .collect();
        for slot in above {
            self.forget(slot);
        }
        self.forget(callee);
        self.forget(self.slot(dst));
    }

    /// Back from a native call that the VM ran: `CallNative`, typed by the result in `frame`.
    pub(super) fn finish_native_call(&mut self, frame: &[Value]) -> Result<(), Abort> {
        let Some(call) = self.native_pending.take() else { return Ok(()) };
        if call.interp_argc.is_some() {
            return self.finish_interp_call(call, frame);
        }
        let ty = match frame[call.dst.0 as usize] {
            Value::Int(_) => Type::Int,
            Value::Float(_) => Type::Float,
            Value::Bool(_) => Type::Bool,
            Value::None => Type::NoneType,
            Value::Tuple(_) => Type::Tuple,
            // Moved to the garbage after the call (`toyjit_keep_result`), which keeps it alive.
            Value::List(_) => Type::Ptr,
            Value::Str(_) => Type::Str,
            Value::Dict(_) => Type::Dict,
            ref other => {
                return abort(format!("a native call of {}() returned {}", call.name, a(other.type_name())));
            }
        };
        let dst = self.slot(call.dst);
        let snap = self.snapshot(call.resume_pc);
        let op = Op::CallNative { callee: call.callee, frame: call.frame, depth: call.depth, dst, ty, snap };
        let result = self.emit(op, ty);
        self.write(call.dst, result)
    }

    /// A native call is running in the VM: true while its instructions are to be skipped.
    pub(super) fn inside_native_call(&self, depth: usize) -> bool {
        self.native_pending.is_some() && depth > self.depth + self.calls.len()
    }

    /// What an entry trace (or one of its side traces) does at `pc`, outside inlined calls:
    /// at the function's `Return`, `Ret` ends it; a loop with a trace ends it with `Link`. A
    /// loop without one is recorded through where it ends at once (its end: a guard that
    /// nothing is left), and, by the entry itself, at its first visit if it is a short loop
    /// (one iteration: a loop whose own recordings ended with it, of 0 or 1 iterations, a
    /// lookup through the scopes that finds the name in the first, would otherwise never get a
    /// trace and keep the whole function in the interpreter); a second visit aborts (the loop gets a trace of its own, and a native call of a function
    /// whose trace ends in a loop would exit).
    pub(super) fn entry_step(&mut self, pc: usize, frame: &[Value]) -> Result<Option<Step>, Abort> {
        if self.cur.instrs[pc].loop_id().is_some() {
            // The entry of a function with a loop runs up to the loop, then its compiled tree.
            if let Some(trace) = self.trace_at(pc) {
                return Ok(Some(Step::Link { trace, pc }));
            }
            if super::loops::ends_at_once(&self.cur, pc, frame) {
                return Ok(None);
            }
            // One iteration only (a second visit aborts): unrolling more into an entry tree
            // (json_parse's recursive `stats()`) grew it to its cap of side traces.
            let short = self.cur.instrs[pc].loop_id().is_some_and(|id| self.short_loops.get(id) == Some(&true));
            if short && self.side.is_none() && !self.headers_passed.contains(&pc) {
                self.headers_passed.push(pc);
                return Ok(None);
            }
            return abort(format!("{}() reaches a loop without a trace yet", self.code.name));
        }
        if !matches!(self.cur.instrs[pc], Instr::Return { .. }) {
            return Ok(None);
        }
        self.record_ret(pc, frame).map(Some)
    }

    /// `Ret` at the function's `Return` at `pc`: the result into the frame's slot 0.
    pub(super) fn record_ret(&mut self, pc: usize, frame: &[Value]) -> Result<Step, Abort> {
        let Instr::Return { src } = self.cur.instrs[pc] else { return abort("Ret away from a Return") };
        let (value, ty) = self.read(src, frame, pc)?;
        if ty == Type::Obj {
            return abort(format!("{}() returns a function", self.code.name));
        }
        let snap = self.snapshot(pc);
        self.emit(Op::Ret { value, snap }, Type::Void);
        Ok(Step::Returned)
    }

    /// Ends an entry trace (or a side trace of one) whose `Ret` was recorded.
    pub fn close_return(mut self) -> (crate::jit::ir::Trace, Vec<super::RecordedInstr>) {
        crate::jit::snap::prune_dead_slots(&mut self.trace, &self.code);
        (self.trace, self.recorded)
    }
}

/// Does `code` load, from a global, the function it is the code of (a recursive function)?
fn calls_itself(code: &Rc<CodeObject>, globals: &[Value]) -> bool {
    code.instrs.iter().any(|instr| {
        let (Instr::LoadGlobal { global, .. } | Instr::LoadGlobalMove { global, .. }) = instr else { return false };
        matches!(globals.get(global.0 as usize), Some(Value::Function(f)) if Rc::ptr_eq(&f.code, code))
    })
}
