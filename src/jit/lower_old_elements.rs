//! Which list stores may free the element they replace at once (a part of `lower.rs`'s
//! analysis, used by `lower_tuples.rs`). Reads the trace only.
//!
//! A `ListStoreAny` puts the old element into the runtime's garbage because trace values may
//! still point to it or into it (a tuple loaded from the list, its items). In a loop body that
//! garbage is dropped at the back edge anyway, so freeing the element at the store instead is
//! the same unless a value that might point into it is used between the store and the back
//! edge. So the store frees at once (when the runtime would drop this iteration's garbage at
//! the back edge at all: `native_context::back_edge_drops_new_garbage`) when:
//! - it is in the loop body, and the trace calls no other code (no `CallNative`,
//!   `CallInterp`, `EnterCheck`);
//! - no instruction after it, and no snapshot such an instruction exits with, uses a heap
//!   value defined before it that might point into the element ("suspect": any heap value but
//!   a tuple the trace builds and a slot load of a slot the trace never writes);
//! - no `Phi` carries such a value into the next iteration, and the body uses no suspect heap
//!   value defined before the loop (it would still point into last iteration's element).

use super::super::ir::{IrRef, Op, SnapValue, Trace};

/// For each instruction: is it a `ListStoreAny` that may free the old element at once?
pub(super) fn frees_old_element(trace: &Trace) -> Vec<bool> {
    let n = trace.insts.len();
    let mut frees = vec![false; n];
    let Some(loop_at) = trace.insts.iter().position(|i| matches!(i.op, Op::Loop)) else { return frees };
    let calls_out = trace
        .insts
        .iter()
        .any(|i| matches!(i.op, Op::CallNative { .. } | Op::CallInterp { .. } | Op::EnterCheck { .. }));
    if calls_out {
        return frees;
    }
    let suspect = suspect_values(trace);
    // Is a value defined before `before` (and suspect) among `r`?
    let risky = |r: IrRef, before: usize| (r.0 as usize) < before && suspect[r.0 as usize];
    let uses_risky = |inst_at: usize, before: usize| {
        let inst = &trace.insts[inst_at];
        let mut found = false;
        inst.op.for_each_operand(|r| found |= risky(r, before));
        if let Some(snap) = inst.op.snapshot() {
            let snap = &trace.snapshots[snap.0 as usize];
            found |= snap.slots.iter().any(|&(_, r)| risky(r, before));
            found |= snap
                .virtuals
                .iter()
                .flat_map(|t| &t.items)
                .any(|item| matches!(*item, SnapValue::Value(r) if risky(r, before)));
        }
        found
    };
    // The loop body reads nothing suspect from before the loop (checked once for all stores).
    let body_clean = (loop_at + 1..n).all(|at| !uses_risky(at, loop_at));
    if !body_clean {
        return frees;
    }
    for at in loop_at + 1..n {
        if !matches!(trace.insts[at].op, Op::ListStoreAny { .. }) {
            continue;
        }
        let nothing_after = (at + 1..n).all(|later| !uses_risky(later, at));
        let phis_clean = trace.insts[loop_at + 1..].iter().filter(|i| matches!(i.op, Op::Phi { .. })).all(|phi| {
            let mut found = false;
            phi.op.for_each_operand(|r| found |= risky(r, at));
            !found
        });
        frees[at] = nothing_after && phis_clean;
    }
    frees
}

/// For each instruction: is its value a heap value that might point into a list element
/// (anything but a tuple the trace builds or a load of a slot the trace never writes)?
fn suspect_values(trace: &Trace) -> Vec<bool> {
    let mut written = std::collections::HashSet::new();
    for inst in &trace.insts {
        match inst.op {
            Op::ClearSlot { slot } | Op::StoreSlot { slot, .. } => {
                written.insert(slot);
            }
            Op::ListAppend { result: Some(result), .. }
            | Op::ListPop { result, .. }
            | Op::ListExtend { result, .. }
            | Op::ListInsert { result, .. }
            | Op::ListReverse { result, .. } => {
                written.insert(result);
            }
            _ => {}
        }
    }
    trace
        .insts
        .iter()
        .map(|inst| {
            inst.ty.is_heap()
                && !match inst.op {
                    Op::NewTuple { .. } => true,
                    Op::SlotPtr { slot }
                    | Op::SlotTuple { slot }
                    | Op::SlotStr { slot }
                    | Op::SlotDict { slot }
                    | Op::SlotBig { slot } => !written.contains(&slot),
                    _ => false,
                }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jit::ir::{Snapshot, Type};

    /// `parts[i] = (parts[i][0], 1)` in a loop; `read_after` adds a use, after the store, of
    /// the tuple loaded from the old element (through an exit's snapshot).
    fn particle_loop(read_after: bool) -> Trace {
        let mut t = Trace::default();
        t.push(Op::Loop, Type::Void);
        let parts = t.push(Op::SlotPtr { slot: 0 }, Type::Ptr);
        let i = t.push(Op::SlotInt { slot: 1 }, Type::Int);
        let snap = t.add_snapshot(Snapshot::default());
        let index = t.push(Op::ListIndex { list: parts, index: i, snap }, Type::Int);
        let old = t.push(Op::ListLoad { list: parts, index, ty: Type::Tuple, snap }, Type::Tuple);
        let zero = t.push(Op::ConstInt { value: 0 }, Type::Int);
        let pos = t.push(Op::TupleLoad { tuple: old, index: zero, ty: Type::Tuple, snap }, Type::Tuple);
        let new = t.push(Op::NewTuple { len: 2 }, Type::Tuple);
        t.push(Op::TupleInit { tuple: new, index: 0, value: pos }, Type::Void);
        t.push(Op::TupleInit { tuple: new, index: 1, value: zero }, Type::Void);
        t.push(Op::ListStoreAny { list: parts, index, value: new }, Type::Void);
        let slots = if read_after { vec![(2, pos)] } else { vec![(1, i)] };
        let exit = t.add_snapshot(Snapshot { slots, ..Snapshot::default() });
        t.push(Op::CheckInterrupt { snap: exit }, Type::Void);
        t
    }

    #[test]
    fn a_store_frees_the_old_element_when_nothing_read_from_it_is_used_later() {
        let t = particle_loop(false);
        let store = t.insts.iter().position(|i| matches!(i.op, Op::ListStoreAny { .. })).unwrap();
        let frees = frees_old_element(&t);
        assert!(frees[store]);
        assert_eq!(frees.iter().filter(|&&f| f).count(), 1);
    }

    #[test]
    fn a_store_keeps_the_old_element_when_an_exit_after_it_writes_an_item_of_it() {
        let t = particle_loop(true);
        assert!(!frees_old_element(&t).iter().any(|&f| f));
    }

    #[test]
    fn a_store_keeps_the_old_element_when_the_slot_it_came_from_is_written() {
        let mut t = particle_loop(false);
        t.push(Op::ClearSlot { slot: 0 }, Type::Void);
        // `parts` is now suspect (the trace writes its slot) and is read after the store.
        let parts = IrRef(1);
        let snap = t.add_snapshot(Snapshot::default());
        t.push(Op::ListIndex { list: parts, index: IrRef(2), snap }, Type::Int);
        assert!(!frees_old_element(&t).iter().any(|&f| f));
    }
}
