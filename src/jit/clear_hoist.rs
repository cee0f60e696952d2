//! Moving `ClearSlot`s up, to where several meet, so that the lowering checks them together
//! (one branch and one cold call for a run of them: `lower_clear_slots.rs`).
//!
//! The recorder puts a `ClearSlot` where the trace first writes a slot; the guards between two
//! of them made each its own tag test, branch, cold block and call (about 7 Cranelift
//! instructions and 2 blocks each, a tenth of some programs' compile work). A `ClearSlot` may
//! move up over an instruction when that changes nothing the program can see:
//! - the instruction does not read or write the slot's memory and runs no other code (pure
//!   instructions but the slot's own loads, guards but the slot's own tag or object guard,
//!   another slot's `ClearSlot`, a tuple's allocation and items);
//! - if it can exit, the slot is dead where the exit resumes (the interpreter writes it before
//!   any read, so a slot holding `None` instead of what it held is the same program; what it
//!   held is dropped a little earlier, as the interpreter drops it when it overwrites it), and
//!   the exit does not write it. Globals are never dead (other code reads them).
//!
//! It never moves above a `Loop`, a `Phi`, a call or a store (they write the frame). Runs once
//! per recording, after `snap::prune_dead_slots` (which owns the liveness it uses); touches only
//! the order of the trace's instructions.

use super::ir::{Effect, GLOBAL_SLOTS, IrRef, Op, Trace};
use super::snap::SlotLiveness;

/// Moves each `ClearSlot` of `trace` as far up as it may go (see the module doc), keeping the
/// order of everything else and of `ClearSlot`s that end up together.
pub(crate) fn hoist_clear_slots(trace: &mut Trace, liveness: &mut SlotLiveness) {
    let n = trace.insts.len();
    // For each instruction, the position it moves to (its own for all but moved `ClearSlot`s).
    let mut target: Vec<usize> = (0..n).collect();
    let mut moved = false;
    for q in 0..n {
        let Op::ClearSlot { slot } = trace.insts[q].op else { continue };
        let mut to = q;
        while to > 0 && may_pass(trace, liveness, slot, &trace.insts[to - 1].op) {
            to -= 1;
        }
        moved |= to != q;
        target[q] = to;
    }
    if !moved {
        return;
    }
    // New order: at each position, the `ClearSlot`s moved there (in their old order), then
    // the instruction that was there unless it moved itself.
    let mut arriving: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, &to) in target.iter().enumerate() {
        if to != i {
            arriving[to].push(i);
        }
    }
    let order: Vec<usize> =
        (0..n).flat_map(|i| arriving[i].iter().copied().chain((target[i] == i).then_some(i))).collect();
    let mut new_index = vec![0u32; n];
    for (new, &old) in order.iter().enumerate() {
        new_index[old] = new as u32;
    }
    let rename = |r: IrRef| IrRef(new_index[r.0 as usize]);
    let old_insts = std::mem::take(&mut trace.insts);
    let old_origins = std::mem::take(&mut trace.origins.of);
    for &old in &order {
        let mut inst = old_insts[old];
        inst.op = inst.op.map_operands(rename);
        trace.insts.push(inst);
        trace.origins.of.push(old_origins.get(old).copied().unwrap_or(super::ir::NO_ORIGIN));
    }
    for snapshot in &mut trace.snapshots {
        snapshot.rename(rename);
    }
}

/// May a `ClearSlot` of `slot` move up over `op`?
fn may_pass(trace: &Trace, liveness: &mut SlotLiveness, slot: u16, op: &Op) -> bool {
    let quiet = match *op {
        Op::ClearSlot { slot: other } => other != slot,
        Op::NewTuple { .. } | Op::TupleInit { .. } => true,
        Op::GuardTag { slot: read, .. } | Op::GuardObj { slot: read, .. } => read != slot,
        Op::SlotInt { slot: read }
        | Op::SlotFloat { slot: read }
        | Op::SlotBool { slot: read }
        | Op::SlotPtr { slot: read }
        | Op::SlotTuple { slot: read }
        | Op::SlotStr { slot: read }
        | Op::SlotDict { slot: read }
        | Op::SlotBig { slot: read }
        | Op::SlotIter { slot: read } => read != slot,
        ref other => other.effect() != Effect::Effect,
    };
    if !quiet {
        return false;
    }
    let Some(snap) = op.snapshot() else { return true };
    if slot >= GLOBAL_SLOTS {
        return false;
    }
    let snap = &trace.snapshots[snap.0 as usize];
    let written = snap.slots.iter().any(|&(s, _)| s == slot) || snap.virtual_slots.iter().any(|&(s, _)| s == slot);
    !written && !liveness.at(trace, snap)(slot)
}
