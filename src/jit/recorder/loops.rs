//! Loops in traces: the `for` headers (over a range or a list), and the two ways a recording
//! ends: `close` peels a loop's recorded iteration into a preamble and a looping body,
//! `close_side` ends a side trace (or a linking root) with `Link`.
//!
//! Touches only the recorder's own state.

use std::collections::{HashMap, HashSet};

use crate::interp::engine::bytecode::{CodeObject, Instr, Reg};
use crate::interp::objects::value::Value;

use super::{Abort, Event, RecordedInstr, Recorder, abort, element_type};
use crate::jit::ir::{Cond, GLOBAL_SLOTS, IrRef, NO_ORIGIN, Op, Snapshot, Trace, Type};
use crate::jit::snap::{capture, prune_dead_slots};

/// The most loop headers one recording passes by unrolling short loops (each iteration of a
/// loop passes its header once, and its end once more): longer loops get a trace of their own.
const MAX_UNROLLED_HEADERS: usize = 8;

impl Recorder {
    /// Passes the header at `pc` of a short loop without a trace (of the code being recorded,
    /// outside inlined calls) by recording its iteration, while the recording has passed fewer
    /// than [`MAX_UNROLLED_HEADERS`] such headers. A loop of few iterations (its own recordings
    /// met its end: `short_loops`) never gets a trace of its own, so the loop around it or a
    /// side trace reaching it would otherwise stay in the interpreter (a template's
    /// `for tag in row.tags`). Each iteration guards that the loop goes on (else it
    /// exits after the loop) and its end that nothing is left (else it exits to the header).
    pub(super) fn unrolls_short_loop(&mut self, pc: usize) -> bool {
        if !self.calls.is_empty() || self.unrolled_headers >= MAX_UNROLLED_HEADERS {
            return false;
        }
        // A function's entry tree passes a short loop once (`native.rs`'s `entry_step`).
        if self.entry || (self.side.is_none() && !self.inside_loop(pc)) {
            return false;
        }
        let Some(loop_id) = self.code.instrs[pc].loop_id() else { return false };
        if self.short_loops.get(loop_id) != Some(&true) {
            return false;
        }
        self.unrolled_headers += 1;
        true
    }

    /// May the recording record the end of the loop whose header is at `pc` (a guard that
    /// nothing is left)? A side trace or a function's entry runs through loops, and a loop's
    /// recording through the short inner loops it unrolls; its own loop ending is an abort.
    pub(super) fn records_loop_end(&self, pc: usize) -> bool {
        self.straight() || pc != self.header_pc
    }

    /// `for i in range(...)` at a loop header: guard the direction and the end, advance. A side
    /// trace may also record the loop ending (then execution goes on at `exit`).
    pub(super) fn record_for_range(
        &mut self,
        iter: Reg,
        target: Reg,
        exit: usize,
        pc: usize,
        frame: &[Value],
    ) -> Result<(), Abort> {
        let (Value::Int(next), Value::Int(stop), Value::Int(step)) =
            (&frame[iter.0 as usize], &frame[iter.0 as usize + 1], &frame[iter.0 as usize + 2])
        else {
            let kind = frame[iter.0 as usize].type_name();
            return abort(format!("a for loop over something other than range or a list ({kind})"));
        };
        let (next_value, stop_value, step_value) = (*next, *stop, *step);
        let continues = if step_value > 0 { next_value < stop_value } else { next_value > stop_value };
        if !continues && !self.records_loop_end(pc) {
            return abort(super::LOOP_RAN_OUT);
        }
        if continues && next_value.checked_add(step_value).is_none() {
            return abort("the range counter overflowed while recording");
        }
        let (next, _) = self.read(iter, frame, pc)?;
        let (stop, _) = self.read(Reg(iter.0 + 1), frame, pc)?;
        let (step, _) = self.read(Reg(iter.0 + 2), frame, pc)?;
        let zero = self.const_int(0);
        let upward = self.emit(Op::CmpInt { cond: Cond::Gt, a: step, b: zero }, Type::Bool);
        let snap = self.snapshot(pc);
        self.emit(Op::Guard { cond: upward, expect: step_value > 0, snap }, Type::Void);
        let cond = if step_value > 0 { Cond::Lt } else { Cond::Gt };
        let more = self.emit(Op::CmpInt { cond, a: next, b: stop }, Type::Bool);
        if !continues {
            // The loop is over: the interpreter would jump to `exit` without touching a slot.
            let snap = self.snapshot(pc);
            self.emit(Op::Guard { cond: more, expect: false, snap }, Type::Void);
            return Ok(());
        }
        // The exit taken when the loop ends resumes after the loop (not at this header), so
        // that it can grow a side trace of its own.
        let done = self.snapshot(exit);
        self.emit(Op::Guard { cond: more, expect: true, snap: done }, Type::Void);
        // `next` is short of `stop` in the direction of `step`, so `next + step` cannot overflow
        // where `stop + step` does not: check that instead, an invariant of the loop (the body's
        // copy is the preamble's, which CSE finds), and advance without a check. A range whose
        // `stop + step` overflows keeps the check on the counter.
        let advanced = if stop_value.checked_add(step_value).is_some() {
            self.emit(Op::AddInt { a: stop, b: step, snap }, Type::Int);
            self.emit(Op::AddIntUnchecked { a: next, b: step }, Type::Int)
        } else {
            self.emit(Op::AddInt { a: next, b: step, snap }, Type::Int)
        };
        self.write(iter, advanced)?;
        self.write(target, next)?;
        Ok(())
    }

    /// `for x in a_list` at a loop header: the list and the next index are in slots `iter` and
    /// `iter + 1` (see the VM's `GetIter`). Guard that the index is below the length (the list
    /// may grow or shrink in the loop), load the element, advance the index.
    pub(super) fn record_for_list(
        &mut self,
        iter: Reg,
        target: Reg,
        exit: usize,
        pc: usize,
        frame: &[Value],
    ) -> Result<(), Abort> {
        let (Value::List(items), Value::Int(index)) = (&frame[iter.0 as usize], &frame[iter.0 as usize + 1]) else {
            return abort("a list loop without its index");
        };
        let element = usize::try_from(*index).ok().and_then(|i| items.borrow().get(i).cloned());
        if element.is_none() && !self.records_loop_end(pc) {
            return abort(super::LOOP_RAN_OUT);
        }
        let (list, _) = self.read(iter, frame, pc)?;
        let (index, _) = self.read(Reg(iter.0 + 1), frame, pc)?;
        let len = self.emit(Op::ListLen { list }, Type::Int);
        let more = self.emit(Op::CmpInt { cond: Cond::Lt, a: index, b: len }, Type::Bool);
        let Some(element) = element else {
            self.guard_loop_goes_on(more, false, exit, pc);
            return Ok(());
        };
        let element_type = element_type(&element)?;
        self.guard_loop_goes_on(more, true, exit, pc);
        let snap = self.snapshot(pc);
        // Never out of range after the guard; the bounds check keeps the load safe regardless.
        let position = self.emit(Op::ListIndexInRange { list, index, snap }, Type::Int);
        let value = self.emit(Op::ListLoad { list, index: position, ty: element_type, snap }, element_type);
        // Below the length (guarded above), so `index + 1` fits.
        let one = self.const_int(1);
        let advanced = self.emit(Op::AddIntUnchecked { a: index, b: one }, Type::Int);
        self.write(Reg(iter.0 + 1), advanced)?;
        self.write(target, value)?;
        Ok(())
    }

    /// The guard of a `for` loop over a sequence on `more` (the position is before the end):
    /// while the loop `goes_on`, exit after the loop when it fails; at its end (a side trace
    /// recording the last iteration), exit to the header when it holds.
    pub(super) fn guard_loop_goes_on(&mut self, more: IrRef, goes_on: bool, exit: usize, pc: usize) {
        let snap = self.snapshot(if goes_on { exit } else { pc });
        self.emit(Op::Guard { cond: more, expect: goes_on, snap }, Type::Void);
    }

    /// Ends the recording at the loop header: peels the recorded iteration into a preamble and
    /// a looping body (see the module doc).
    pub fn close(mut self) -> Result<(Trace, Vec<RecordedInstr>), Abort> {
        // Type stability: a slot read at entry must have the same type at the end.
        for (&slot, &(_, ty)) in &self.entry_loads {
            if let Some(&end) = self.slots.get(&slot) {
                let end_ty = self.trace.ty(end);
                if end_ty != ty {
                    return abort(format!(
                        "the type of {} changes in the loop ({} to {})",
                        self.name_of(slot),
                        ty.name(),
                        end_ty.name()
                    ));
                }
            }
        }
        // Variables (locals and globals) keep their values from one iteration to the next;
        // temporaries are written before they are read in every iteration.
        let named =
            |slot: u16| slot >= GLOBAL_SLOTS || self.code.slot_names.get(slot as usize).is_some_and(|n| !n.is_empty());
        let carried: Vec<u16> =
            self.written.iter().copied().filter(|&s| named(s) || self.entry_loads.contains_key(&s)).collect();
        let preamble_len = self.trace.insts.len();
        self.trace.origins.current = NO_ORIGIN;
        self.trace.push(Op::Loop, Type::Void);
        let mut phis: HashMap<u16, IrRef> = HashMap::new();
        let mut body_slots: HashMap<u16, IrRef> = HashMap::new();
        for &slot in &carried {
            let entry = self.slots[&slot];
            let ty = self.trace.ty(entry);
            let phi = self.trace.push(Op::Phi { slot, ty, entry, back: entry }, ty);
            phis.insert(slot, phi);
            body_slots.insert(slot, phi);
        }
        let mut body_written: Vec<u16> = carried.clone();
        // Globals around calls (`globals.rs`): a call may change any global in memory, so the
        // body reads them again (guards included) unless a Phi holds the current value (the
        // trace wrote it after the last call and no call came since), and clears them again.
        let calls =
            self.trace.insts.iter().any(|inst| matches!(inst.op, Op::CallNative { .. } | Op::CallInterp { .. }));
        let mut called_in_body = false;
        // Globals the body stored since its last call: a carried global (a Phi) is current
        // only in its register, so the body stores it before each call too.
        let mut stored_since_call: Vec<(u16, bool)> = Vec::new();
        // Slots memory holds the current value of, at this point of the body: written in
        // memory by an operation (a popped element, `append`'s None, a call's `None`) or
        // forgotten by the recorder, and not written by the trace since. The body reads those
        // again (a regression: `tail.append(pair.pop())` appended the preamble's element every
        // iteration); any other slot a Phi carries is read from its Phi, where it is current
        // (a regression: `p = f(p)` with `f` called natively or in the interpreter read `p`'s
        // stale slot, as the call's result stays in a register).
        let mut in_memory_now: HashSet<u16> = HashSet::new();
        let read_again = |slot: u16, called: bool, phis: &HashMap<u16, IrRef>, in_memory: &HashSet<u16>| {
            in_memory.contains(&slot) || calls && slot >= GLOBAL_SLOTS && (called || !phis.contains_key(&slot))
        };
        let mut map: Vec<IrRef> = (0..preamble_len as u32).map(IrRef).collect();
        for event in self.events.clone() {
            match event {
                Event::Write(slot, value) => {
                    in_memory_now.remove(&slot);
                    body_slots.insert(slot, map[value.0 as usize]);
                    if !body_written.contains(&slot) {
                        body_written.push(slot);
                    }
                }
                Event::Forget(slot) => {
                    in_memory_now.insert(slot);
                    if calls && slot >= GLOBAL_SLOTS && body_written.contains(&slot) {
                        self.store_before_call(slot, body_slots[&slot], &mut stored_since_call)?;
                    }
                    body_slots.remove(&slot);
                    body_written.retain(|&s| s != slot);
                }
                Event::Inst(r) => {
                    let inst = self.trace.insts[r.0 as usize];
                    if let Some(slot) = inst.op.slot_written_in_memory() {
                        in_memory_now.insert(slot);
                    }
                    match inst.op {
                        Op::SlotInt { slot }
                        | Op::SlotFloat { slot }
                        | Op::SlotBool { slot }
                        | Op::SlotPtr { slot }
                        | Op::SlotTuple { slot }
                        | Op::SlotStr { slot }
                        | Op::SlotDict { slot }
                        | Op::SlotBig { slot }
                            if !read_again(slot, called_in_body, &phis, &in_memory_now) =>
                        {
                            if let Some(&phi) = phis.get(&slot) {
                                map[r.0 as usize] = phi;
                            }
                        }
                        Op::GuardTag { slot, .. } if !read_again(slot, called_in_body, &phis, &in_memory_now) => {}
                        Op::ClearSlot { slot } if !(calls && slot >= GLOBAL_SLOTS) => {}
                        Op::ConstInt { .. }
                        | Op::ConstFloat { .. }
                        | Op::ConstBool { .. }
                        | Op::ConstNone
                        | Op::ConstObj { .. }
                        | Op::ConstStr { .. } => {}
                        op => {
                            let mut op = op.map_operands(|r| map[r.0 as usize]);
                            if let Some(snap) = op.snapshot() {
                                let Snapshot { pc, call, unbound, .. } = self.trace.snapshots[snap.0 as usize].clone();
                                let new_snap =
                                    capture(&mut self.trace, pc as usize, &body_written, &body_slots, call, unbound);
                                op.set_snapshot(new_snap);
                            }
                            // The body's copy comes from the same bytecode as the original.
                            self.trace.origins.current = self.trace.origin(r);
                            if matches!(op, Op::CallNative { .. } | Op::CallInterp { .. }) {
                                self.globals_in_registers_to_memory(
                                    &body_written,
                                    &body_slots,
                                    &in_memory_now,
                                    &mut stored_since_call,
                                )?;
                            }
                            map[r.0 as usize] = self.trace.push(op, inst.ty);
                            if matches!(op, Op::CallNative { .. } | Op::CallInterp { .. }) {
                                called_in_body = true;
                                stored_since_call.clear();
                            }
                            if let Op::StoreSlot { slot, value } = op
                                && slot >= GLOBAL_SLOTS
                            {
                                stored_since_call.push((slot, self.trace.ty(value).is_heap()));
                            }
                        }
                    }
                }
            }
        }
        // Poll for Ctrl-C at the back edge, resuming at the loop header if it was pressed.
        self.trace.origins.current = NO_ORIGIN;
        let snap = capture(&mut self.trace, self.header_pc, &body_written, &body_slots, None, Vec::new());
        self.trace.push(Op::CheckInterrupt { snap }, Type::Void);
        for (&slot, &phi) in &phis {
            let Some(&back) = body_slots.get(&slot) else {
                return abort(format!("{} is carried by the loop but dead at its end", self.name_of(slot)));
            };
            if let Op::Phi { back: b, .. } = &mut self.trace.insts[phi.0 as usize].op {
                *b = back;
            }
        }
        prune_dead_slots(&mut self.trace, &self.code);
        Ok((self.trace, self.recorded))
    }

    /// In the peeled body, before a call: stores every global the body holds in a register
    /// (carried by a Phi or written in the body, not in memory since), as the callee may read it
    /// and the body reads globals again after a call. The preamble's `Forget` events store only
    /// what the preamble wrote before its call: a global the loop writes after its call (`hits +=
    /// 1` after `if has_factor(n):`) is carried into the next iteration's call by its Phi alone
    /// (a regression: the body read it again after the call from its stale slot and lost an
    /// increment per iteration).
    fn globals_in_registers_to_memory(
        &mut self,
        body_written: &[u16],
        body_slots: &HashMap<u16, IrRef>,
        in_memory_now: &HashSet<u16>,
        stored_since_call: &mut Vec<(u16, bool)>,
    ) -> Result<(), Abort> {
        for &slot in body_written {
            if slot >= GLOBAL_SLOTS
                && !in_memory_now.contains(&slot)
                && let Some(&value) = body_slots.get(&slot)
            {
                self.store_before_call(slot, value, stored_since_call)?;
            }
        }
        Ok(())
    }

    /// In the peeled body, before a call: stores global `slot` (holding `value`) unless the body
    /// already did since its last call. At most one list or tuple a call (see
    /// [`Recorder::globals_to_memory`]).
    fn store_before_call(&mut self, slot: u16, value: IrRef, stored: &mut Vec<(u16, bool)>) -> Result<(), Abort> {
        if stored.iter().any(|&(s, _)| s == slot) {
            return Ok(());
        }
        let heap = self.trace.ty(value).is_heap();
        if heap && stored.iter().any(|&(_, h)| h) {
            return abort("two globals changed to lists or tuples before a call in the loop");
        }
        self.trace.push(Op::StoreSlot { slot, value }, Type::Void);
        stored.push((slot, heap));
        Ok(())
    }

    /// Ends a side trace at `pc` (the module's `Return`, or a loop header without a trace):
    /// `Leave` (its exit writes the slots the side trace changed that are live there, the
    /// returned value or the loop's state among them).
    pub fn close_leave(mut self, pc: usize) -> (Trace, Vec<RecordedInstr>) {
        let snap = self.snapshot(pc);
        self.trace.push(Op::Leave { snap }, Type::Void);
        prune_dead_slots(&mut self.trace, &self.code);
        (self.trace, self.recorded)
    }

    /// Ends a side trace at the loop header `pc` of trace `target`: poll for Ctrl-C, then
    /// `Link` (both exits write every slot the side trace changed).
    pub fn close_side(mut self, target: u32, pc: usize) -> (Trace, Vec<RecordedInstr>) {
        let snap = self.snapshot(pc);
        self.trace.push(Op::CheckInterrupt { snap }, Type::Void);
        self.trace.push(Op::Link { trace: target, snap }, Type::Void);
        prune_dead_slots(&mut self.trace, &self.code);
        (self.trace, self.recorded)
    }
}

/// Does the `for` loop whose header is at `pc` end at once, its iterator in `frame` having
/// nothing left (an empty list, range, string or dict, or one at its end)? A side trace records
/// such a loop's end (a guard that it has nothing left) and goes on after it.
pub(super) fn ends_at_once(code: &CodeObject, pc: usize, frame: &[Value]) -> bool {
    let Some(Instr::ForIter { iter, .. }) = code.instrs.get(pc) else { return false };
    let state = |i: usize| frame.get(iter.0 as usize + i);
    match (state(0), state(1), state(2)) {
        (Some(Value::List(items)), Some(Value::Int(index)), _) => {
            usize::try_from(*index).map_or(true, |i| i >= items.borrow().len())
        }
        (Some(Value::Str(text)), Some(Value::Int(offset)), _) => {
            usize::try_from(*offset).ok().and_then(|at| crate::interp::objects::iter::str_char_at(text, at)).is_none()
        }
        (Some(Value::Int(next)), Some(Value::Int(stop)), Some(Value::Int(step))) => {
            if *step > 0 {
                next >= stop
            } else {
                next <= stop
            }
        }
        (Some(Value::Iterator(it)), _, _) => {
            super::dicts::is_dict_loop(&Value::Iterator(it.clone()))
                && matches!(crate::jit::runtime_dicts::peek_dict_item(&it.borrow()), Ok(None))
        }
        _ => false,
    }
}

/// The last pc of the loop whose header is at `header_pc`: the last jump back to the header.
pub(super) fn loop_end(code: &CodeObject, header_pc: usize) -> usize {
    let jumps_to_header =
        |instr: &Instr| instr.operands().iter().any(|(_, operand)| operand.label() == Some(header_pc as u32));
    code.instrs.iter().rposition(jumps_to_header).unwrap_or(header_pc)
}
