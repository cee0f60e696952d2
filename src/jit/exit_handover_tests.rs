//! Tests of `exit_handover.rs`: which exits hand their writes over, and what the side trace's
//! snapshots write in their place.

use super::*;
use crate::jit::ir::text::parse_trace;

/// A root whose exit (snap1) writes `r1 = %2` (an int) and `r2 = %3` (a float).
const PARENT: &str = "\
      GuardTag r0(i) is int  snap0
int   %1 = SlotInt r0(i)
int   %2 = ConstInt 7
float %3 = ConstFloat 2.5
bool  %4 = CmpInt %1 < %2
      Guard %4 is True  snap1
------------------------------ loop
int   %7 = Phi r0(i) [%1, %1]
  snap0 @pc 0:
  snap1 @pc 3: r1(k)=%2 r2(f)=%3
";

fn side(text: &str) -> Option<Trace> {
    let parent = parse_trace(PARENT).expect("parent");
    let child = parse_trace(text).expect("child");
    let members = [Member { trace: &parent, parent: None }, Member { trace: &child, parent: Some((0, 1)) }];
    let mut taken = hand_over(&members);
    assert!(taken[0].is_none(), "a root takes nothing over");
    taken.pop().flatten()
}

#[test]
fn a_side_trace_names_the_handed_over_values_first_and_its_exits_write_the_live_ones() {
    let text = "\
int   %0 = SlotInt r1(k)
int   %1 = ConstInt 1
int   %2 = AddInt %0, %1  snap0
      Link to T1  snap1
  snap0 @pc 3:
  snap1 @pc 0: r0(i)=%2
";
    let mut child = parse_trace(text).expect("child");
    // r2 is dead at the link's pc, r1 live; snap0 knows no liveness (every slot live).
    child.snapshots[1].live = Some(vec![0b011]);
    let parent = parse_trace(PARENT).expect("parent");
    let members = [Member { trace: &parent, parent: None }, Member { trace: &child, parent: Some((0, 1)) }];
    let taken = hand_over(&members).pop().flatten().expect("taken over");
    assert_eq!(taken.insts[0].op, Op::SlotInt { slot: 1 });
    assert_eq!(taken.insts[1].op, Op::SlotFloat { slot: 2 });
    assert_eq!(taken.insts.len(), child.insts.len() + 2);
    // The side trace's own values moved up by two.
    assert_eq!(taken.insts[4].op, Op::AddInt { a: IrRef(2), b: IrRef(3), snap: crate::jit::ir::SnapId(0) });
    assert_eq!(taken.snapshots[0].slots, vec![(1, IrRef(0)), (2, IrRef(1))]);
    // The link writes r0 itself and r1, still live; not r2, dead there.
    assert_eq!(taken.snapshots[1].slots, vec![(0, IrRef(4)), (1, IrRef(0))]);
}

#[test]
fn a_slot_the_side_trace_writes_itself_is_not_written_twice() {
    let taken = side(
        "\
int   %0 = ConstInt 3
      Link to T1  snap0
  snap0 @pc 0: r1(k)=%0
",
    )
    .expect("taken over");
    assert_eq!(taken.snapshots[0].slots, vec![(1, IrRef(2)), (2, IrRef(1))]);
}

#[test]
fn a_side_trace_that_writes_or_calls_keeps_the_exit_writing() {
    assert!(
        side(
            "\
int   %0 = ConstInt 3
      StoreSlot r5 = %0
      Link to T1  snap0
  snap0 @pc 0:
"
        )
        .is_none()
    );
}

#[test]
fn a_read_of_a_handed_over_slot_as_another_type_keeps_the_exit_writing() {
    // The lowering answers a load from the parent's value only for its type: this one would
    // read the frame, which the exit did not write.
    assert!(
        side(
            "\
      GuardTag r2(f) is int  snap0
int   %1 = SlotInt r2(f)
      Link to T1  snap0
  snap0 @pc 0:
"
        )
        .is_none()
    );
}

#[test]
fn a_side_trace_that_returns_keeps_the_exit_writing() {
    assert!(
        side(
            "\
int   %0 = ConstInt 3
      Ret %0  snap0
  snap0 @pc 0:
"
        )
        .is_none()
    );
}
