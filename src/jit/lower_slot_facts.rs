//! Which frame slots a straight-line trace knows to hold no heap value (a number, a bool or
//! `None`) where it stands, so that `ClearSlot`, `StoreSlot` and `Ret` skip their test of the
//! slot's tag (a load and a branch each). A loop pays them once, in its preamble; an entry trace
//! pays them at every call (fib's side trace ran nine per call). A part of `lower.rs`; touches
//! only `TraceState::heap_free`, and `TraceState::inherited` at calls (what a side trace's
//! parent knew of the slots a call may write, globals among them, holds no more after it).
//!
//! Kept only in straight-line code (side traces, function entries, roots that link): a loop
//! body runs again after its own writes, so a loop trace keeps no facts. What makes a fact: a
//! tag guard that read the slot, `ClearSlot`, a number stored by `StoreSlot`, a native call's
//! result (its tag was checked in the callee's slot 0). What unmakes one: a call (its callee
//! runs in the slots from its frame up; its result register), a list's `pop()` or `append()`
//! (they write their result's slot), a list or tuple stored by `StoreSlot`, and any other
//! operation with an effect (so that one added later is safe by default). Exits write the frame
//! too, but the trace is left by then.

use std::collections::HashSet;

use super::super::ir::{Effect, GLOBAL_SLOTS, IrRef, Op};
use super::Lowerer;
use crate::interp::objects::value::tag;

impl Lowerer<'_, '_> {
    /// Starts keeping facts for the trace being lowered (straight-line code only).
    pub(super) fn keep_slot_facts(&mut self) {
        self.t.heap_free = Some(HashSet::new());
    }

    /// Is frame slot `slot` known to hold no heap value here?
    pub(super) fn holds_no_heap(&self, slot: u16) -> bool {
        self.t.heap_free.as_ref().is_some_and(|known| known.contains(&slot))
    }

    /// After instruction `r` was lowered: what it tells about the slots, or undoes.
    pub(super) fn note_slot_effects(&mut self, r: IrRef) {
        let trace = self.t.trace;
        let op = trace.insts[r.0 as usize].op;
        // A tag guard skipped because the parent knew the type read nothing from memory.
        let guard_read_memory = |slot: u16| !self.t.inherited.contains_key(&slot);
        let guard_read_memory = guard_read_memory(match op {
            Op::GuardTag { slot, .. } => slot,
            _ => 0,
        });
        // What a side trace inherited of the slots a call may write (its callee's frame, the
        // globals) holds no more: the trace loads and guards them again after the call.
        if let Op::CallNative { frame, .. } | Op::CallInterp { frame, .. } = op {
            self.t.inherited.retain(|&slot, _| slot < frame);
        }
        // Nor of a slot the operation writes in memory (a call's result left in `dst`).
        if let Some(slot) = op.slot_written_in_memory() {
            self.t.inherited.remove(&slot);
        }
        let Some(known) = self.t.heap_free.as_mut() else { return };
        match op {
            Op::GuardTag { slot, tag: found, .. } if found <= tag::FLOAT && guard_read_memory => {
                known.insert(slot);
            }
            Op::ClearSlot { slot } => {
                known.insert(slot);
            }
            Op::StoreSlot { slot, value } if trace.ty(value).is_heap() => {
                known.remove(&slot);
            }
            Op::StoreSlot { slot, .. } => {
                known.insert(slot);
            }
            Op::CallNative { frame, dst, ty, .. } => {
                known.retain(|&slot| slot < frame);
                known.remove(&dst);
                if !ty.is_heap() {
                    known.insert(frame);
                }
            }
            Op::CallInterp { frame, dst, .. } => {
                known.retain(|&slot| slot < frame);
                known.remove(&dst);
            }
            Op::ListPop { result, .. }
            | Op::ListAppend { result: Some(result), .. }
            | Op::ListExtend { result, .. }
            | Op::ListInsert { result, .. }
            | Op::ListReverse { result, .. } => {
                known.remove(&result);
            }
            // Writes to lists and tuples, checks: no frame slot changes.
            Op::ListStore { .. }
            | Op::ListStoreAny { .. }
            | Op::NewTuple { .. }
            | Op::TupleInit { .. }
            | Op::CheckInterrupt { .. }
            | Op::EnterCheck { .. } => {}
            // Any other operation with an effect might write a slot (one added later, too).
            other if other.effect() == Effect::Effect => known.clear(),
            _ => {}
        }
        // Globals are never known (other code reaches them).
        known.retain(|&slot| slot < GLOBAL_SLOTS);
    }
}
