//! Which native calls may drop, when the callee returns, the garbage it made (a part of
//! `lower.rs`'s analysis, used by `lower_calls.rs`). Reads the trace only.
//!
//! A native call raises the runtime's garbage floor (`native_context::garbage_floor_starts`):
//! what the callee puts into the garbage lies above it. Before, that stayed there until the
//! outermost machine code returned to the VM or a loop below dropped its garbage, so a
//! recursion of entry traces (merge sort: each level's slices and results) kept every level's
//! garbage: `bench/sorting.toy` held 131,072 lists, +20 MB of peak memory.
//!
//! What lies above the floor when the callee returns is the callee's: values it made (its
//! result is not among them: `Ret` leaves a counted reference in the callee's slot 0), and
//! values it let go of — the old elements of lists it stored into or popped from, what its
//! frame slots and the globals it rebound held, and what the calls it made let go of. The
//! caller can point to the latter only through a value it read, before the call, from a
//! container or a slot the callee can change. So the callee's garbage is dropped at its return
//! when no instruction after the call, no snapshot such an instruction exits with (the call's
//! own: the callee may exit), and, in a loop body, no `Phi` (the next iteration) and no body
//! instruction before the call (reading a value from before the loop) uses a heap value
//! defined before the call that is not the trace's own. The trace's own ("owned"):
//! - a tuple it builds (`NewTuple`) and what a helper or a call returned (counted in the
//!   garbage below the floor, or handed over to its one consumer);
//! - a string constant;
//! - a load of a frame slot below the call's frame (the callee's frame and the frames of its
//!   calls lie at and above it; globals are elsewhere): only the trace itself writes it, and
//!   what it overwrote before the call went to the garbage below the floor;
//! - an item of an owned tuple (tuples never change).
//!
//! Everything else (list elements, `Phi`s, dict iteration values, global loads, ...) is
//! "suspect".

use super::super::ir::{IrRef, Op, SnapValue, Trace};

/// For each instruction: is it a `CallNative` whose callee's garbage may be dropped when it
/// returns?
pub(super) fn drops_callee_garbage(trace: &Trace) -> Vec<bool> {
    let n = trace.insts.len();
    let mut drops = vec![false; n];
    let loop_at = trace.insts.iter().position(|i| matches!(i.op, Op::Loop));
    let owned = owned_values(trace);
    for at in 0..n {
        let Op::CallNative { frame, .. } = trace.insts[at].op else { continue };
        let in_loop_body = loop_at.is_some_and(|l| l < at);
        let suspect = |r: IrRef| {
            let i = r.0 as usize;
            trace.insts[i].ty.is_heap() && !owned_below(trace, &owned, r, frame)
        };
        let mut safe = true;
        for use_at in 0..n {
            // The values defined before `before` that this instruction's uses may not include.
            let before = if use_at >= at {
                at
            } else if in_loop_body && matches!(trace.insts[use_at].op, Op::Phi { .. }) {
                at
            } else if in_loop_body && use_at > loop_at.unwrap_or(0) {
                loop_at.unwrap_or(0)
            } else {
                continue;
            };
            if uses_any(trace, use_at, |r| (r.0 as usize) < before && suspect(r)) {
                safe = false;
                break;
            }
        }
        drops[at] = safe;
    }
    drops
}

/// Does instruction `at` (its operands, or its snapshot's values) use a value `bad` picks?
fn uses_any(trace: &Trace, at: usize, bad: impl Fn(IrRef) -> bool) -> bool {
    let inst = &trace.insts[at];
    let mut found = false;
    inst.op.for_each_operand(|r| found |= bad(r));
    if let Some(snap) = inst.op.snapshot() {
        let snap = &trace.snapshots[snap.0 as usize];
        found |= snap.slots.iter().any(|&(_, r)| bad(r));
        found |= snap.virtuals.iter().flat_map(|t| &t.items).any(|item| matches!(*item, SnapValue::Value(r) if bad(r)));
    }
    found
}

/// For each instruction: is its value the trace's own whatever a callee does (a tuple it
/// built, a helper's or a call's result, a string constant)? Slot loads and tuple items are
/// decided per call ([`owned_below`]).
fn owned_values(trace: &Trace) -> Vec<bool> {
    trace
        .insts
        .iter()
        .map(|inst| {
            super::is_helper(&inst.op)
                || matches!(
                    inst.op,
                    Op::NewTuple { .. } | Op::CallNative { .. } | Op::CallInterp { .. } | Op::ConstStr { .. }
                )
        })
        .collect()
}

/// Is `r` the trace's own across a native call whose callee's frame starts at slot `frame`?
fn owned_below(trace: &Trace, owned: &[bool], r: IrRef, frame: u16) -> bool {
    let mut r = r;
    loop {
        if owned[r.0 as usize] {
            return true;
        }
        match trace.insts[r.0 as usize].op {
            Op::SlotPtr { slot }
            | Op::SlotTuple { slot }
            | Op::SlotStr { slot }
            | Op::SlotDict { slot }
            | Op::SlotBig { slot }
            | Op::SlotIter { slot } => return slot < frame,
            Op::TupleLoad { tuple, .. } => r = tuple,
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jit::ir::{Snapshot, Type};

    /// `n = f(a)` natively (the callee's frame at slot 4), `a` the list in slot `list_slot`,
    /// with `before` pushed before the call.
    fn call_with(list_slot: u16, before: impl FnOnce(&mut Trace, IrRef)) -> Trace {
        let mut t = Trace::default();
        let a = t.push(Op::SlotPtr { slot: list_slot }, Type::Ptr);
        before(&mut t, a);
        let snap = t.add_snapshot(Snapshot::default());
        t.push(Op::CallNative { callee: 0, frame: 4, depth: 1, dst: 2, ty: Type::Int, snap }, Type::Int);
        t
    }

    fn call_at(t: &Trace) -> usize {
        t.insts.iter().position(|i| matches!(i.op, Op::CallNative { .. })).unwrap()
    }

    #[test]
    fn a_call_drops_its_garbage_when_the_caller_uses_only_its_own_slots_after_it() {
        let mut t = call_with(0, |_, _| {});
        t.push(Op::ListLen { list: IrRef(0) }, Type::Int);
        assert!(drops_callee_garbage(&t)[call_at(&t)]);
    }

    #[test]
    fn a_call_keeps_its_garbage_when_a_list_element_read_before_it_is_used_after_it() {
        let mut t = call_with(0, |t, a| {
            let zero = t.push(Op::ConstInt { value: 0 }, Type::Int);
            let snap = t.add_snapshot(Snapshot::default());
            t.push(Op::ListLoad { list: a, index: zero, ty: Type::Tuple, snap }, Type::Tuple);
        });
        let element = IrRef(2);
        t.push(Op::TupleLen { tuple: element }, Type::Int);
        assert!(!drops_callee_garbage(&t)[call_at(&t)]);
    }

    #[test]
    fn a_call_keeps_its_garbage_when_an_exit_after_it_writes_a_list_element_read_before_it() {
        let mut t = call_with(0, |t, a| {
            let zero = t.push(Op::ConstInt { value: 0 }, Type::Int);
            let snap = t.add_snapshot(Snapshot::default());
            t.push(Op::ListLoad { list: a, index: zero, ty: Type::Str, snap }, Type::Str);
        });
        let exit = t.add_snapshot(Snapshot { slots: vec![(3, IrRef(2))], ..Snapshot::default() });
        t.push(Op::CheckInterrupt { snap: exit }, Type::Void);
        assert!(!drops_callee_garbage(&t)[call_at(&t)]);
    }

    #[test]
    fn a_call_keeps_its_garbage_when_the_caller_uses_a_slot_of_the_callees_frame_after_it() {
        // Slot 5 is in the callee's frame (from slot 4 on): the callee may clear it.
        let mut t = call_with(5, |_, _| {});
        t.push(Op::ListLen { list: IrRef(0) }, Type::Int);
        assert!(!drops_callee_garbage(&t)[call_at(&t)]);
    }

    #[test]
    fn a_call_in_a_loop_keeps_its_garbage_when_the_body_uses_an_element_read_before_the_loop() {
        let mut t = Trace::default();
        let a = t.push(Op::SlotPtr { slot: 0 }, Type::Ptr);
        let zero = t.push(Op::ConstInt { value: 0 }, Type::Int);
        let snap = t.add_snapshot(Snapshot::default());
        let element = t.push(Op::ListLoad { list: a, index: zero, ty: Type::Tuple, snap }, Type::Tuple);
        t.push(Op::Loop, Type::Void);
        // Used in the body before the call: in the next iteration, after it.
        t.push(Op::TupleLen { tuple: element }, Type::Int);
        let snap = t.add_snapshot(Snapshot::default());
        t.push(Op::CallNative { callee: 0, frame: 4, depth: 1, dst: 2, ty: Type::Int, snap }, Type::Int);
        assert!(!drops_callee_garbage(&t)[call_at(&t)]);
    }
}
