//! Which values a call (`CallNative`, `CallInterp`) must keep alive for its caller, and which
//! native calls may drop, when the callee returns, the garbage it made (a part of `lower.rs`'s
//! analysis, used by `lower_calls.rs`). Reads the trace only.
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
//!
//! The garbage is not the only way a callee lets go of a value: run in the interpreter (a
//! `CallInterp`, or a native callee that exits and is finished there) it frees an element it
//! overwrites at once, and its own loops drop their garbage at their back edges. So every call
//! keeps the suspect values its caller uses after it alive: before the call, each gets a
//! counted reference in the garbage, below the callee's floor (`Lowerer::keep_borrowed_alive`).
//! Without it, a trace that read `t = data[i]`, called a function storing into `data[i]` and
//! then used `t` read freed memory (`tests/golden/jit_call_keeps_borrowed_alive.toy`: a
//! segfault at `--jit-threshold 2`, wrong totals at 3).

use super::super::ir::{IrRef, Op, SnapValue, Trace};

/// For each instruction: is it a `CallNative` whose callee's garbage may be dropped when it
/// returns (its caller uses, after it, no value the callee may let go of)? The lowering reads
/// the same from [`borrowed_across_calls`] (an empty list).
#[cfg(test)]
fn drops_callee_garbage(trace: &Trace) -> Vec<bool> {
    let borrowed = borrowed_across_calls(trace);
    trace
        .insts
        .iter()
        .zip(&borrowed)
        .map(|(inst, borrowed)| matches!(inst.op, Op::CallNative { .. }) && borrowed.is_empty())
        .collect()
}

/// For each instruction that calls other code (`CallNative`, `CallInterp`): the heap values
/// defined before it, not the trace's own, that the trace uses after it (see the module doc).
/// The callee may let go of them: a store into the list a tuple was read from frees the tuple
/// at once in the interpreter (a `CallInterp`, or a native callee that exits and is finished
/// there), and a callee's loop drops its garbage at its back edges. The call keeps each one
/// alive with a counted reference in the garbage below the callee's floor
/// (`lower_calls.rs`), so that nothing the callee does frees it before the caller is done.
pub(super) fn borrowed_across_calls(trace: &Trace) -> Vec<Vec<IrRef>> {
    let n = trace.insts.len();
    let mut borrowed = vec![Vec::new(); n];
    let loop_at = trace.insts.iter().position(|i| matches!(i.op, Op::Loop));
    let owned = owned_values(trace);
    for at in 0..n {
        let frame = match trace.insts[at].op {
            Op::CallNative { frame, .. } | Op::CallInterp { frame, .. } => frame,
            _ => continue,
        };
        let in_loop_body = loop_at.is_some_and(|l| l < at);
        let suspect = |r: IrRef| {
            let i = r.0 as usize;
            trace.insts[i].ty.is_heap() && !owned_below(trace, &owned, r, frame)
        };
        let mut found: Vec<IrRef> = Vec::new();
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
            let mut note = |r: IrRef| {
                if (r.0 as usize) < before && suspect(r) && !found.contains(&r) {
                    found.push(r);
                }
            };
            match trace.insts[use_at].op {
                // A `Phi` uses its entry value once, when the loop is entered: in the body, only
                // the value it carries into the next iteration. (Keeping the entry value alive
                // at a call in the body counted the preamble's value at every iteration, long
                // after it may have been freed: `tests/golden/jit_phi_entry_not_kept.toy`.)
                Op::Phi { back, .. } if in_loop_body => note(back),
                _ => for_each_use(trace, use_at, note),
            }
        }
        found.sort_by_key(|r| r.0);
        borrowed[at] = found;
    }
    borrowed
}

/// Calls `each` with every value instruction `at` uses (its operands, its snapshot's values).
fn for_each_use(trace: &Trace, at: usize, mut each: impl FnMut(IrRef)) {
    let inst = &trace.insts[at];
    inst.op.for_each_operand(&mut each);
    if let Some(snap) = inst.op.snapshot() {
        let snap = &trace.snapshots[snap.0 as usize];
        snap.slots.iter().for_each(|&(_, r)| each(r));
        for item in snap.virtuals.iter().flat_map(|t| &t.items) {
            if let SnapValue::Value(r) = *item {
                each(r);
            }
        }
    }
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

    #[test]
    fn a_call_in_a_loop_keeps_what_a_phi_carries_on_not_what_it_entered_with() {
        // t = a[0] in the preamble and again in the body, a call after it: the body's element
        // goes on to the next iteration (kept); the preamble's is gone after the first.
        let mut t = Trace::default();
        let a = t.push(Op::SlotPtr { slot: 0 }, Type::Ptr);
        let zero = t.push(Op::ConstInt { value: 0 }, Type::Int);
        let snap = t.add_snapshot(Snapshot::default());
        let entered = t.push(Op::ListLoad { list: a, index: zero, ty: Type::Tuple, snap }, Type::Tuple);
        t.push(Op::Loop, Type::Void);
        let phi = t.push(Op::Phi { slot: 3, ty: Type::Tuple, entry: entered, back: entered }, Type::Tuple);
        let snap = t.add_snapshot(Snapshot::default());
        let carried = t.push(Op::ListLoad { list: a, index: zero, ty: Type::Tuple, snap }, Type::Tuple);
        t.insts[phi.0 as usize].op = Op::Phi { slot: 3, ty: Type::Tuple, entry: entered, back: carried };
        let snap = t.add_snapshot(Snapshot::default());
        t.push(Op::CallNative { callee: 0, frame: 4, depth: 1, dst: 2, ty: Type::Int, snap }, Type::Int);
        assert_eq!(borrowed_across_calls(&t)[call_at(&t)], vec![carried]);
    }
}
