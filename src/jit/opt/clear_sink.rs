//! `ClearSlot` sinking: each `ClearSlot` moves down to just before the first instruction that
//! needs it, so that several meet and the lowering checks them together (one branch and one
//! cold block for a run of them: `lower_clear_slots.rs`).
//!
//! The recorder puts a `ClearSlot` where the trace first writes a slot; the guards between two
//! of them made each its own tag test, branch, cold block and call (about 7 Cranelift
//! instructions and 2 blocks each, a tenth of some programs' compile work). A `ClearSlot` only
//! makes room for an exit's write into its slot, so it may move down over an instruction that
//! does not read or write the slot's memory and runs no other code (pure instructions but the
//! slot's own loads, guards but the slot's own tag or object guard, another slot's
//! `ClearSlot`, a tuple's allocation and items) and, if that instruction can exit, whose exit
//! does not write the slot (the trace has written it: an exit that does not write it resumes
//! where it is dead, and what it still holds there is dropped when the interpreter overwrites
//! it). It stops at a `Loop`, a `Phi`, a call, a store, or the trace's end (they write the
//! frame or leave it).
//!
//! Only in straight-line code (side traces, function entries, roots that link), where most
//! compiles are. Measured (callgrind, instructions in all): moving them up in loop preambles,
//! where more would meet, cost bench/poly.toy 2% (a clear then runs on paths that leave before
//! the slot's write, and an early exit can be the common path); moving them down in preambles
//! cost bench/strings.toy 0.8% of its native run (a run of eight temporaries cleared at each
//! entry into a loop, half of them holding numbers: each a call in the run's cold block, where
//! alone it was a branch). Moved down, a clear runs only where it ran before.
//!
//! Touches only the order of the trace's instructions.

use super::super::ir::{Effect, IrRef, NO_ORIGIN, Op, Snapshot, Trace};

/// `trace` with each `ClearSlot` moved down as far as it may go; everything else in order.
/// (Run by DCE on its result.)
pub fn run(trace: Trace) -> Trace {
    // Loops keep their `ClearSlot`s where they are (see the module doc).
    if trace.insts.iter().any(|inst| matches!(inst.op, Op::Loop)) {
        return trace;
    }
    let n = trace.insts.len();
    // The `ClearSlot`s that move: (their index, the index of the instruction they go before).
    let mut moves: Vec<(usize, usize)> = Vec::new();
    for q in 0..n {
        let Op::ClearSlot { slot } = trace.insts[q].op else { continue };
        let mut before = q + 1;
        while before < n && may_move_over(&trace, slot, &trace.insts[before].op) {
            before += 1;
        }
        if before != q + 1 {
            moves.push((q, before));
        }
    }
    if moves.is_empty() {
        return trace;
    }
    let mut out = trace;
    let insts = std::mem::take(&mut out.insts);
    let origins = std::mem::take(&mut out.origins.of);
    // New order: before each instruction, the `ClearSlot`s that go there (in their old order),
    // then the instruction unless it moved itself.
    let mut arriving: Vec<Vec<usize>> = vec![Vec::new(); n + 1];
    let mut moved = vec![false; n];
    for &(from, before) in &moves {
        arriving[before].push(from);
        moved[from] = true;
    }
    let order: Vec<usize> =
        (0..=n).flat_map(|i| arriving[i].iter().copied().chain((i < n && !moved[i]).then_some(i))).collect();
    let mut new_index = vec![0u32; n];
    for (new, &old) in order.iter().enumerate() {
        new_index[old] = new as u32;
    }
    let rename = |r: IrRef| IrRef(new_index[r.0 as usize]);
    out.insts.reserve(n);
    for &old in &order {
        let mut inst = insts[old];
        inst.op = inst.op.map_operands(rename);
        out.insts.push(inst);
        out.origins.of.push(origins.get(old).copied().unwrap_or(NO_ORIGIN));
    }
    for snapshot in &mut out.snapshots {
        snapshot.rename(rename);
    }
    out
}

/// May a `ClearSlot` of `slot` move down over `op`?
fn may_move_over(trace: &Trace, slot: u16, op: &Op) -> bool {
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
    quiet && op.snapshot().is_none_or(|snap| trace.snapshots.get(snap.0 as usize).is_some_and(|s| !writes(s, slot)))
}

fn writes(snapshot: &Snapshot, slot: u16) -> bool {
    snapshot.slots.iter().any(|&(s, _)| s == slot) || snapshot.virtual_slots.iter().any(|&(s, _)| s == slot)
}

#[cfg(test)]
mod tests {
    use super::super::check_pass;
    use super::run;

    #[test]
    fn a_clear_moves_down_to_the_first_exit_writing_its_slot() {
        // (A straight-line trace: it ends in a store, not a loop.)
        // r2's ClearSlot passes the exit of snap1 (which does not write r2) and r3's
        // ClearSlot, and stops at the guard whose exit writes r2; r3's stops there too.
        let before = "
      ClearSlot r2
      GuardTag r0 is int  snap0
  int %2 = SlotInt r0
  int %3 = ConstInt 1
  int %4 = AddInt %2, %3  snap1
      ClearSlot r3
  bool %6 = CmpInt %4 < %3
      Guard %6 is True  snap2
      StoreSlot r3 = %4
  snap0 @pc 0:
  snap1 @pc 1:
  snap2 @pc 2: r2=%4 r3=%2
";
        let expected = "
      GuardTag r0 is int  snap0
int   %1 = SlotInt r0
int   %2 = ConstInt 1
int   %3 = AddInt %1, %2  snap1
bool  %4 = CmpInt %3 < %2
      ClearSlot r2
      ClearSlot r3
      Guard %4 is True  snap2
      StoreSlot r3 = %3
  snap0 @pc 0:
  snap1 @pc 1:
  snap2 @pc 2: r2=%3 r3=%1
";
        check_pass(run, before, expected);
    }
}
