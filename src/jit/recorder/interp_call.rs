//! Calls run in the interpreter (`CallInterp`): a call the trace can neither inline nor call
//! natively — a function with loops (recursive or not), or a recursive call (or one nested too
//! deep) of a function without an entry trace — is made by the machine code through the
//! runtime, which runs the callee in a nested run of the dispatch loop with the JIT on (its
//! loops run their own traces). The arguments are stored where the callee's frame starts, as
//! for a native call (`native.rs`); while recording, the VM runs the callee and the recorder
//! skips its instructions; the result's type then types the `CallInterp`.
//!
//! What the trace must not hold across such a call: globals (the callee reads and writes them
//! in memory: they are written back before the call and read again after it, as for native
//! calls, `globals.rs`), and a
//! list it did not read from a variable it never assigns (the callee may drop every other
//! reference to it; checked before compiling, [`lists_across_interp_calls`]).
//!
//! Touches only the recorder's own state.

use std::rc::Rc;

use crate::interp::engine::bytecode::Reg;
use crate::interp::objects::value::{FunctionObj, Value};

use super::native::PendingNative;
use super::{Abort, Recorder, a, abort};
use crate::jit::ir::{GLOBAL_SLOTS, IrRef, Op, Trace, TraceObject, Type};

impl Recorder {
    /// Should the call of `function` run in the interpreter? When inlining it would link to its
    /// loop's trace (it has loops) or is impossible (recursion, calls nested too deep) and it
    /// has no entry trace to call natively; never in an entry trace.
    pub(super) fn wants_interp_call(&self, function: &Rc<FunctionObj>) -> bool {
        let code = &function.code;
        let inlined = Rc::ptr_eq(code, &self.code) || self.calls.iter().any(|c| Rc::ptr_eq(&c.code, code));
        let too_deep = self.calls.len() >= super::calls::MAX_INLINE_DEPTH;
        // Not from an entry trace: only loop trees make these calls, so only `run_native`
        // (the VM's loop headers) meets an exception one raised.
        // A function with loops is called, also from a trace that uses globals (written back
        // before the call): inlining it up to its loop and linking there ended the caller's
        // trace at every call (bench/strings.toy's caesar: 300k exits, the rest of the
        // iteration interpreted; see docs/JIT.md).
        let linked = code.loop_count > 0;
        linked || inlined || too_deep
    }

    /// Records a call of `function` (held in trace slot `callee`) in the interpreter, with
    /// `argc` arguments from register `args`, its result into `dst`: the argument stores now,
    /// the call when the VM has run it ([`Recorder::finish_interp_call`]).
    pub(super) fn interp_call(
        &mut self,
        (function, callee): (&Rc<FunctionObj>, u16),
        (dst, args, argc): (Reg, Reg, u16),
        pc: usize,
        frame: &[Value],
    ) -> Result<(), Abort> {
        let name = function.code.name.clone();
        // Lists, tuples, strings and dicts are stored counted in the callee's frame (what the
        // trace holds across the call is checked when the call returns, and for strings and
        // dicts before compiling: `strings::strings_across_interp_calls`); big ints stay out.
        let values = self.call_arguments((args, argc), pc, frame, &format!("{name}() run in the interpreter"), true)?;
        // Strings and dicts as arguments stay out too for now: with calls in the interpreter
        // running the callee's entry code, the differential generator's s_calls programs
        // printed other strings at --jit-threshold 1 (seeds 28, 189, 271).
        if let Some(&value) = values.iter().find(|&&v| matches!(self.trace.ty(v), Type::Big)) {
            let ty = self.trace.ty(value);
            return abort(format!("passing {} to {name}() run in the interpreter", a(ty.name())));
        }
        let dst_slot = self.slot(dst);
        if self.entry_loads.get(&dst_slot).is_some_and(|&(_, ty)| ty == Type::Ptr) {
            return abort(format!("the result of {name}() replaces the list in {}", self.name_of(dst_slot)));
        }
        let index = self.object_index(&TraceObject::Function(function.clone()));
        let frame_slot = self.slot(args);
        // The callee reads and writes globals in memory.
        self.globals_to_memory(&name)?;
        // The callee runs in the slots from its frame up; its result goes into `dst` (in
        // memory, if it is not a number the trace takes).
        self.hand_over_frame(frame_slot, values, (callee, dst));
        self.check_nothing_borrowed_from_globals(&name)?;
        // A tuple, string or dict the trace still holds is borrowed from a frame slot, a list, a
        // tuple, a global or the garbage list; the interpreter may drop all but the last's
        // references while the callee runs (its arguments are stored counted, and forgotten):
        // the garbage keeps one more.
        self.keep_held_values(frame_slot, dst_slot);
        self.native_pending = Some(PendingNative {
            callee: index,
            frame: frame_slot,
            depth: self.calls.len() as i64 + 1,
            dst,
            resume_pc: pc + 1,
            name: name.clone(),
            interp_argc: Some(argc),
        });
        if let Some(line) = self.recorded.last_mut() {
            line.text.push_str(&format!("   -> calls {name}() in the interpreter"));
        }
        Ok(())
    }

    /// `KeepAlive` for each value a slot holds that the callee of a call at `frame_slot` could
    /// free: a tuple the trace did not build (one it built is in the garbage already, or
    /// virtual), a string or dict borrowed from outside ([`super::strings::borrowed_from_outside`]);
    /// once each.
    fn keep_held_values(&mut self, frame_slot: u16, dst_slot: u16) {
        let mut held: Vec<IrRef> = self.slots.values().copied().collect();
        held.sort_by_key(|v| v.0);
        held.dedup();
        for value in held {
            // The call's result register, overwritten in memory by the call, no longer keeps
            // what the trace loaded from it.
            let from_dst = loaded_slot(&self.trace.insts[value.0 as usize].op) == Some(dst_slot);
            let keep = match self.trace.ty(value) {
                Type::Tuple => !matches!(self.trace.insts[value.0 as usize].op, Op::NewTuple { .. }),
                Type::Str | Type::Dict if from_dst => true,
                Type::Ptr => !list_kept_without_help(&self.trace, frame_slot, value, self.trace.insts.len()),
                _ => super::strings::borrowed_from_outside(&self.trace, frame_slot, value),
            };
            if keep {
                self.emit(Op::KeepAlive { value }, Type::Void);
            }
        }
    }

    /// Back from a call the VM ran in the interpreter: `CallInterp`, typed by its result. In
    /// straight-line code (a side trace, an entry trace) any result, a number too, stays in the
    /// caller's register (`Void`): the trace reads it from there behind a type guard, whose
    /// exit grows a side trace when another type comes back often (a lookup returning an int,
    /// a string, a list, None...). In a loop a number comes back in a register (another type
    /// exits), a string, dict or tuple too, and a `None` stays in the register (the loop cannot read
    /// it).
    pub(super) fn finish_interp_call(&mut self, call: PendingNative, frame: &[Value]) -> Result<(), Abort> {
        let straight = self.side.is_some() || self.entry;
        let ty = match frame[call.dst.0 as usize] {
            _ if straight => Type::Void,
            Value::Int(_) => Type::Int,
            Value::Float(_) => Type::Float,
            Value::Bool(_) => Type::Bool,
            Value::None => Type::Void,
            Value::Str(_) => Type::Str,
            Value::Dict(_) => Type::Dict,
            Value::Tuple(_) => Type::Tuple,
            // Moved to the garbage after the call (`toyjit_keep_result`), which keeps it alive.
            Value::List(_) => Type::Ptr,
            ref other => {
                return abort(format!("{}() run in the interpreter returned {}", call.name, a(other.type_name())));
            }
        };
        let dst = self.slot(call.dst);
        let snap = self.snapshot(call.resume_pc);
        let argc = i64::from(call.interp_argc.unwrap_or(0));
        let op = Op::CallInterp { callee: call.callee, frame: call.frame, argc, depth: call.depth, dst, ty, snap };
        let result = self.emit(op, ty);
        if ty == Type::Void {
            self.forget(dst);
            if !straight {
                // A loop's `None` stays in memory, where an exit finds it; the trace cannot
                // read it (the next iteration would find the register changed).
                self.nones.push(dst);
            }
            return Ok(());
        }
        self.write(call.dst, result)
    }
}

/// The frame slot a string or dict load reads.
fn loaded_slot(op: &Op) -> Option<u16> {
    match *op {
        Op::SlotStr { slot } | Op::SlotDict { slot } => Some(slot),
        _ => None,
    }
}

/// The words of [`lists_across_interp_calls`]'s refusal, which depends on the loop's shape
/// alone (`trace.rs` backs off further after it).
pub const LIST_HELD_ACROSS_INTERP_CALL: &str = "holds a list across a call run in the interpreter";

/// Why `trace` (recorded, its snapshots pruned to live slots) must not be compiled, if so: a
/// list it holds across a call run in the interpreter (in the call's snapshot: used after it)
/// that the callee could free, neither kept by a `KeepAlive` just before the call nor safe
/// without one ([`list_kept_without_help`]).
pub fn lists_across_interp_calls(trace: &Trace) -> Option<String> {
    let held = LIST_HELD_ACROSS_INTERP_CALL;
    for (at, inst) in trace.insts.iter().enumerate() {
        let Op::CallInterp { snap, frame, .. } = inst.op else { continue };
        for &(slot, value) in &trace.snapshots[snap.0 as usize].slots {
            let safe = list_kept_without_help(trace, frame, value, at) || super::strings::kept_before(trace, at, value);
            if trace.ty(value) == Type::Ptr && !safe {
                return Some(format!("{} {held} (which may drop it)", trace.slot_label(slot)));
            }
        }
    }
    super::strings::strings_across_interp_calls(trace)
}

/// Does something other than the trace keep the list `value` alive across a call in the
/// interpreter whose frame starts at `frame_slot` (made at instruction `at`), whatever the
/// callee does? One a helper or a call made (the garbage holds it, and a nested run never
/// drops the garbage below it), or one loaded from a variable of the caller's frame that
/// nothing before the call overwrites in memory (the trace writes the frame only when it
/// exits). Any other (read from a list, a tuple, a dict, a global, carried by the loop) needs a
/// `KeepAlive`.
fn list_kept_without_help(trace: &Trace, frame_slot: u16, value: IrRef, at: usize) -> bool {
    match trace.insts[value.0 as usize].op {
        Op::SlotPtr { slot } => {
            slot < frame_slot.min(GLOBAL_SLOTS)
                && !trace.insts[..at].iter().any(|i| i.op.slot_written_in_memory() == Some(slot))
        }
        Op::CallNative { .. } | Op::CallInterp { .. } => true,
        ref op => crate::jit::lower::is_helper(op),
    }
}
