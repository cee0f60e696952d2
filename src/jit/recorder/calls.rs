//! Inlining Toy function calls into the trace being recorded.
//!
//! The VM starts a callee's frame at the caller's first argument register, so the callee's
//! slot `s` is the caller's slot `args + s`: the recorder follows the call into the callee's
//! code with its slot numbers shifted by that base (`Recorder::slot`), and the arguments are
//! already where the callee reads its parameters. `Return` writes the caller's register and
//! forgets the callee's slots. The function itself is a trace constant (`ConstObj`, from the
//! global it was loaded from; the VM drops traces when such a global is rebound), so the call
//! needs no guard.
//!
//! An exit inside an inlined call must leave the interpreter where a real call would have:
//! each snapshot names the innermost call ([`InlinedCall`] in `Trace::calls`, linked to its
//! callers) and the callee locals not yet assigned, which the VM re-creates as frames and
//! unbound slots.
//!
//! Touches only the recorder's own state.

use std::rc::Rc;

use crate::interp::engine::bytecode::{CodeObject, Reg};
use crate::interp::objects::value::{FunctionObj, Value};

use super::{Abort, Recorder, abort};
use crate::interp::engine::native::InlinedFrame;
use crate::jit::ir::{InlinedCall, Op, TraceObject, Type};

/// How many calls deep the recorder follows (deeper calls abort the recording).
pub(super) const MAX_INLINE_DEPTH: usize = 8;

/// A call being recorded: its entry in `Trace::calls` and what the recorder needs to return.
pub(super) struct ActiveCall {
    pub index: u32,
    pub code: Rc<CodeObject>,
    /// The trace slot of the callee's slot 0.
    pub base: u16,
    /// The caller's code and the trace slot of its slot 0, restored at `Return`.
    caller: Rc<CodeObject>,
    caller_base: u16,
    /// The caller's register receiving the result.
    return_to: Reg,
    /// Per callee slot: assigned since the call (a parameter, or written by the callee).
    assigned: Vec<bool>,
}

impl Recorder {
    /// Follows a call of `function` with `argc` arguments from register `args` into its code.
    pub(super) fn enter_call(
        &mut self,
        function: &Rc<FunctionObj>,
        dst: Reg,
        args: Reg,
        argc: u16,
        pc: usize,
    ) -> Result<(), Abort> {
        let code = function.code.clone();
        let name = code.name.clone();
        if self.calls.len() >= MAX_INLINE_DEPTH {
            return abort(format!("calls nested more than {MAX_INLINE_DEPTH} deep (at {name}())"));
        }
        if Rc::ptr_eq(&code, &self.code) || self.calls.iter().any(|c| Rc::ptr_eq(&c.code, &code)) {
            return abort(format!("a recursive call of {name}()"));
        }
        let nparams = code.params.len();
        let given = argc as usize;
        let first_default = nparams.saturating_sub(function.defaults.len());
        if given > nparams || given < first_default {
            return abort(format!("a call of {name}() with the wrong number of arguments"));
        }
        let base = self.slot(args);
        // Parameters without an argument get their defaults (numbers only).
        let mut defaults = Vec::new();
        for (i, default) in function.defaults.iter().enumerate().skip(given.saturating_sub(first_default)) {
            let value = match default {
                Value::Int(v) => self.const_int(*v),
                Value::Float(v) => self.const_float(*v),
                other => {
                    return abort(format!("a default argument of {name}() holding {}", super::a(other.type_name())));
                }
            };
            defaults.push((base + (first_default + i) as u16, value));
        }
        // The callee's locals start unbound: whatever the trace knew of those slots (the
        // caller's temporaries) is gone.
        for local in nparams..code.nslots as usize {
            let slot = base + local as u16;
            if self.slots.contains_key(&slot) || self.written.contains(&slot) {
                self.forget(slot);
            }
            self.release(slot);
        }
        self.push_call(code, base, dst, pc as u32 + 1)?;
        let call = self.calls.last_mut().expect("just pushed");
        call.assigned[nparams..].fill(false);
        for (slot, value) in defaults {
            self.write_slot(slot, value)?;
        }
        if let Some(line) = self.recorded.last_mut() {
            line.text.push_str(&format!("   -> inlined {name}()"));
        }
        Ok(())
    }

    /// Guards that trace slot `slot` (a variable or an argument the trace never wrote) still
    /// holds `function`, which the trace then inlines: the function becomes one of the trace's
    /// objects (which keeps it alive, so its address names it alone).
    pub(super) fn guard_function(&mut self, slot: u16, function: &Rc<FunctionObj>, pc: usize) -> Result<(), Abort> {
        self.guard_object(slot, TraceObject::Function(function.clone()), pc)
    }

    /// `GuardObj`: exits unless `slot` holds `object` itself (a function or a builtin the
    /// trace did not load: an argument, or a register written before a side trace began).
    pub(super) fn guard_object(&mut self, slot: u16, object: TraceObject, pc: usize) -> Result<(), Abort> {
        if self.slots.contains_key(&slot) || self.written.contains(&slot) {
            return abort(format!("a call of {}, which the trace wrote", self.name_of(slot)));
        }
        let index = self.object_index(&object);
        if !self.guarded_functions.contains(&slot) {
            self.guarded_functions.push(slot);
        }
        let snap = self.snapshot(pc);
        self.emit(Op::GuardObj { slot, index, snap }, Type::Void);
        Ok(())
    }

    /// `Return` from an inlined call: the caller's register gets the value, the callee's slots
    /// are dead. (A `Return` of the loop's own function ends the recording.)
    pub(super) fn leave_call(&mut self, src: Reg, pc: usize, frame: &[Value]) -> Result<(), Abort> {
        if self.calls.is_empty() {
            return match self.side {
                Some(_) => abort(format!("the side trace reached the end of {}()", self.code.name)),
                None => abort(format!("{}() returns from inside the loop", self.code.name)),
            };
        }
        let (value, _) = self.read(src, frame, pc)?;
        let call = self.calls.pop().expect("checked above");
        for local in 0..call.code.nslots {
            self.forget(call.base + local);
        }
        self.cur = call.caller;
        self.base = call.caller_base;
        self.write(call.return_to, value)
    }

    /// Makes `code` the running code, its slot 0 at trace slot `base`, called from the running
    /// code (which resumes at `caller_resume`, its register `return_to` receiving the result).
    /// Every slot of the callee counts as assigned (callers narrow that down).
    fn push_call(&mut self, code: Rc<CodeObject>, base: u16, return_to: Reg, caller_resume: u32) -> Result<(), Abort> {
        let end = base as usize + code.nslots as usize;
        if end > crate::jit::ir::GLOBAL_SLOTS as usize {
            return abort("the inlined frames do not fit the trace's slot numbers");
        }
        while self.trace.slot_names.len() < end {
            self.trace.slot_names.push(String::new());
        }
        // Inlined calls' slots are named `function.variable`; a slot two calls use for
        // different variables shows both names (`g.t/g.u`).
        for (local, name) in code.slot_names.iter().enumerate() {
            if name.is_empty() || name.starts_with('=') {
                continue;
            }
            let qualified = format!("{}.{name}", code.name);
            let label = &mut self.trace.slot_names[base as usize + local];
            if label.is_empty() {
                *label = qualified;
            } else if !label.split('/').any(|l| l == qualified) {
                label.push('/');
                label.push_str(&qualified);
            }
        }
        self.trace.calls.push(InlinedCall {
            code: code.clone(),
            base,
            return_to: return_to.0,
            caller_resume,
            parent: self.calls.last().map(|c| c.index),
        });
        self.calls.push(ActiveCall {
            index: self.trace.calls.len() as u32 - 1,
            code: code.clone(),
            base,
            caller: std::mem::replace(&mut self.cur, code.clone()),
            caller_base: std::mem::replace(&mut self.base, base),
            return_to,
            assigned: vec![true; code.nslots as usize],
        });
        Ok(())
    }

    /// A side trace starting at an exit inside inlined calls: the VM has re-created their
    /// frames (`frames`, outermost first, with the locals `unbound` not yet assigned); the
    /// recording goes on in the innermost one and returns through the others.
    pub(super) fn resume_in_calls(&mut self, frames: &[InlinedFrame], unbound: &[u16]) -> Result<(), Abort> {
        for frame in frames {
            let base = u16::try_from(frame.base).map_err(|_| Abort("the inlined frames are too far apart".into()))?;
            self.push_call(frame.code.clone(), base, frame.return_to, frame.caller_resume)?;
            let call = self.calls.last_mut().expect("just pushed");
            for (local, assigned) in call.assigned.iter_mut().enumerate() {
                *assigned = !unbound.contains(&(base + local as u16));
            }
        }
        self.start_code = self.cur.clone();
        Ok(())
    }

    /// Marks `slot` assigned in the innermost call whose frame holds it.
    pub(super) fn mark_assigned(&mut self, slot: u16) {
        if let Some(call) = self.calls.last_mut()
            && let Some(local) = slot.checked_sub(call.base)
            && let Some(assigned) = call.assigned.get_mut(local as usize)
        {
            *assigned = true;
        }
    }

    /// The trace slots of named locals of inlined calls that are not assigned yet: an exit
    /// must leave them unbound, as a real call would have.
    pub(super) fn unassigned_locals(&self) -> Vec<u16> {
        let mut unbound = Vec::new();
        for call in &self.calls {
            for (local, assigned) in call.assigned.iter().enumerate() {
                let name = &call.code.slot_names[local];
                if !assigned && !name.is_empty() && !name.starts_with('=') {
                    unbound.push(call.base + local as u16);
                }
            }
        }
        unbound
    }
}
