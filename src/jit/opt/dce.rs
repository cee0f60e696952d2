//! Dead code elimination.
//!
//! Guarantees: every instruction with an effect (guards, stores, `Loop`) stays, except a
//! `ClearSlot` of a slot that no snapshot writes or that an earlier `ClearSlot` already cleared
//! (nothing in between writing the frame: see [`writes_frame`]); a pure
//! instruction stays only if a kept instruction or the snapshot of a kept instruction uses its
//! value. A `Phi` counts as pure: a kept `Phi` uses its `entry` and `back` values, and one that
//! only its own back edge uses (a variable written before it is read in every iteration) goes.
//! Snapshots belong to kept instructions only, so none names a removed `Phi`. The result's
//! `ClearSlot`s then move down to where they are needed (`clear_sink.rs`).

use super::super::ir::{IrRef, Op, Trace};
use super::{Action, rebuild};

pub fn run(trace: Trace) -> Trace {
    let n = trace.insts.len();
    let mut live = vec![false; n];
    // A `ClearSlot` makes room for an exit's write into its slot: with no exit writing the slot,
    // it has nothing to do (what the slot held stays there until the interpreter overwrites it).
    let written: rustc_hash::FxHashSet<u16> = trace
        .snapshots
        .iter()
        .flat_map(|s| s.slots.iter().map(|&(slot, _)| slot).chain(s.virtual_slots.iter().map(|&(slot, _)| slot)))
        .collect();
    let needed = |op: &Op| match op {
        Op::ClearSlot { slot } => written.contains(slot),
        _ => true,
    };
    // Backwards: uses come after definitions, except Phi back edges (handled by iterating
    // until nothing changes; traces are short).
    loop {
        let mut changed = false;
        for i in (0..n).rev() {
            let inst = &trace.insts[i];
            let root = inst.op.has_effect() && !matches!(inst.op, Op::Phi { .. }) && needed(&inst.op);
            if !live[i] && root {
                live[i] = true;
                changed = true;
            }
            if !live[i] {
                continue;
            }
            let mut mark = |r: IrRef| {
                if !live[r.0 as usize] {
                    live[r.0 as usize] = true;
                    changed = true;
                }
            };
            inst.op.for_each_operand(&mut mark);
            if let Some(snap) = inst.op.snapshot() {
                trace.snapshots[snap.0 as usize].values().for_each(mark);
            }
        }
        if !changed {
            break;
        }
    }
    // A slot cleared once holds no heap value until something writes the frame (exits leave
    // the trace): a second `ClearSlot` of it (inlined calls reuse their callee's slots) would
    // only cost the compiler two blocks and a call.
    let mut cleared: Vec<u16> = Vec::new();
    let kept = rebuild(trace, |_, i, op, ty| {
        if !live[i] {
            return Action::Drop;
        }
        if let Op::ClearSlot { slot } = op {
            if cleared.contains(&slot) {
                return Action::Drop;
            }
            cleared.push(slot);
        } else if writes_frame(&op) {
            cleared.clear();
        }
        Action::Keep(op, ty)
    });
    // The `ClearSlot`s left move down to where they are needed (one pass over the result, not
    // a pass of its own: most traces move none).
    super::clear_sink::run(kept)
}

/// Can `op` store into the frame's slots (so that a slot cleared before may hold a heap value
/// again)? Calls write their callee's frame and their result register; `Loop` starts the body,
/// which runs again after the back edge.
fn writes_frame(op: &Op) -> bool {
    matches!(
        op,
        Op::StoreSlot { .. }
            | Op::CallNative { .. }
            | Op::CallInterp { .. }
            | Op::EnterCheck { .. }
            | Op::ListPop { .. }
            | Op::ListExtend { .. }
            | Op::ListInsert { .. }
            | Op::ListReverse { .. }
            | Op::ListAppend { .. }
            | Op::Loop
            | Op::Phi { .. }
    )
}

#[cfg(test)]
mod tests {
    /// See [`crate::jit::opt::check_pass`].
    fn check(before: &str, expected: &str) {
        crate::jit::opt::check_pass(super::run, before, expected);
    }

    #[test]
    fn unused_pure_values_go_and_snapshot_values_stay() {
        let before = "\
      GuardTag r0(i) is int  snap0
int   %1 = SlotInt r0(i)
int   %2 = ConstInt 7
int   %3 = MulInt %1, %2  snap0
float %4 = IntToFloat %1
int   %5 = ConstInt 1
int   %6 = AddInt %1, %5  snap0
bool  %7 = CmpInt %6 < %2
      Guard %7 is True  snap1
  snap0 @pc 3:
  snap1 @pc 9: r0(i)=%6
";
        // The unused `IntToFloat` goes; `MulInt` can exit (overflow), so it is an effect and stays.
        let expected = "
      GuardTag r0(i) is int  snap0
int   %1 = SlotInt r0(i)
int   %2 = ConstInt 7
int   %3 = MulInt %1, %2  snap0
int   %4 = ConstInt 1
int   %5 = AddInt %1, %4  snap0
bool  %6 = CmpInt %5 < %2
      Guard %6 is True  snap1
  snap0 @pc 3:
  snap1 @pc 9: r0(i)=%5
";
        check(before, expected);
    }

    #[test]
    fn a_phi_only_its_back_edge_uses_goes() {
        // x2 = x * x is written before it is read in each iteration: its Phi is dead. The Phi of
        // x (used by the body) and the Phi of a counter whose overflow check exits stay.
        let before = "\
      GuardTag r0(x) is float  snap0
float %1 = SlotFloat r0(x)
float %2 = MulFloat %1, %1
      GuardTag r2(i) is int  snap0
int   %4 = SlotInt r2(i)
int   %5 = ConstInt 1
int   %6 = AddInt %4, %5  snap0
------------------------------ loop
float %8 = Phi r1(x2) [%2, %11]
float %9 = Phi r0(x) [%1, %12]
int   %10 = Phi r2(i) [%6, %13]
float %11 = MulFloat %9, %9
float %12 = AddFloat %11, %9
int   %13 = AddInt %10, %5  snap1
  snap0 @pc 1:
  snap1 @pc 5: r0(x)=%12 r1(x2)=%11
";
        // The Phi of x2 goes, and with it the preamble's `x * x` it alone used; snap1 still writes x2
        // from the body's `MulFloat`.
        let expected = "
      GuardTag r0(x) is float  snap0
float %1 = SlotFloat r0(x)
      GuardTag r2(i) is int  snap0
int   %3 = SlotInt r2(i)
int   %4 = ConstInt 1
int   %5 = AddInt %3, %4  snap0
------------------------------ loop
float %7 = Phi r0(x) [%1, %10]
int   %8 = Phi r2(i) [%5, %11]
float %9 = MulFloat %7, %7
float %10 = AddFloat %9, %7
int   %11 = AddInt %8, %4  snap1
  snap0 @pc 1:
  snap1 @pc 5: r0(x)=%10 r1(x2)=%9
";
        check(before, expected);
    }

    #[test]
    fn a_slot_cleared_again_is_cleared_once_unless_a_call_wrote_the_frame() {
        // r5 is cleared, written by an exit only, cleared again (an inlined call reusing it):
        // the second ClearSlot goes. After the native call's StoreSlot, r5 may hold a list
        // again, so the third stays.
        let before = "\
int   %0 = ConstInt 1
bool  %1 = ConstBool True
      ClearSlot r5
      Guard %1 is True  snap0
      ClearSlot r5
      Guard %1 is True  snap1
      StoreSlot r6 = %0
      ClearSlot r5
      Guard %1 is True  snap2
  snap0 @pc 1: r5=%0
  snap1 @pc 2: r5=%0
  snap2 @pc 3: r5=%0
";
        // The same trace without the second ClearSlot. (Each ClearSlot is right before the
        // first exit writing r5, so none moves down: `clear_sink.rs`.)
        let expected =
            before.replacen("      ClearSlot r5\n      Guard %1 is True  snap1", "      Guard %1 is True  snap1", 1);
        check(before, &format!("\n{expected}"));
    }

    #[test]
    fn a_phi_cycle_nothing_else_uses_goes() {
        let before = "\
      GuardTag r0(x) is float  snap0
float %1 = SlotFloat r0(x)
------------------------------ loop
float %3 = Phi r0(x) [%1, %4]
float %4 = AddFloat %3, %1
      CheckInterrupt   snap1
  snap0 @pc 1:
  snap1 @pc 1:
";
        // The Phi, the addition and the load of x only the cycle used all go; the type guard stays.
        let expected = "
      GuardTag r0(x) is float  snap0
------------------------------ loop
      CheckInterrupt   snap1
  snap0 @pc 1:
  snap1 @pc 1:
";
        check(before, expected);
    }
}
