//! Dead code elimination.
//!
//! Guarantees: every instruction with an effect (guards, stores, `Loop`, `Phi`) stays; a pure
//! instruction stays only if a kept instruction or the snapshot of a kept instruction uses its
//! value (a `Phi` uses its `entry` and `back` values).

use super::super::ir::{Op, Trace};
use super::{Action, rebuild};

pub fn run(trace: &Trace) -> Trace {
    let n = trace.insts.len();
    let mut live = vec![false; n];
    // Backwards: uses come after definitions, except Phi back edges (handled by iterating
    // until nothing changes; traces are short).
    loop {
        let mut changed = false;
        for i in (0..n).rev() {
            let inst = &trace.insts[i];
            if !live[i] && (inst.op.has_effect() || matches!(inst.op, Op::ListStore { .. })) {
                live[i] = true;
                changed = true;
            }
            if !live[i] {
                continue;
            }
            let mut uses = inst.op.operands();
            if let Some(snap) = inst.op.snapshot() {
                uses.extend(trace.snapshots[snap.0 as usize].slots.iter().map(|(_, r)| *r));
            }
            for r in uses {
                if !live[r.0 as usize] {
                    live[r.0 as usize] = true;
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    rebuild(trace, |_, i, op, ty| if live[i] { Action::Keep(op, ty) } else { Action::Drop })
}

#[cfg(test)]
mod tests {
    use super::super::text::{parse_trace, print_trace};

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
        let after = print_trace(&super::run(&parse_trace(before).expect("parses")));
        assert!(!after.contains("IntToFloat"), "{after}");
        // MulInt can exit (overflow), so it is an effect and stays.
        assert!(after.contains("MulInt"), "{after}");
        assert!(after.contains("AddInt"), "{after}");
    }
}
