//! Tests of `loop_link.rs`: which links may enter the root's loop body.

use super::*;
use crate::jit::ir::text::parse_trace;

/// `while i < n: i += 1` with a check of the invariant `m > 0` (snap1) that the body does not
/// repeat: the preamble's last guard is `i < n` (snap3) or, with `invariant_last`, `m > 0`.
fn root(invariant_last: bool) -> String {
    let (second_last, last) = ("      Guard %10 is True  snap1\n", "      Guard %9 is True  snap3\n");
    let (second_last, last) = if invariant_last { (last, second_last) } else { (second_last, last) };
    format!(
        "\
      GuardTag r0(i) is int  snap0
int   %1 = SlotInt r0(i)
      GuardTag r1(n) is int  snap0
int   %3 = SlotInt r1(n)
      GuardTag r2(m) is int  snap0
int   %5 = SlotInt r2(m)
int   %6 = ConstInt 0
int   %7 = ConstInt 1
int   %8 = AddInt %1, %7  snap2
bool  %9 = CmpInt %8 < %3
bool  %10 = CmpInt %5 > %6
{second_last}{last}------------------------------ loop
int   %14 = Phi r0(i) [%8, %15]
int   %15 = AddInt %14, %7  snap4
bool  %16 = CmpInt %15 < %3
      Guard %16 is True  snap5
  snap0 @pc 0:
  snap1 @pc 1: r0(i)=%8
  snap2 @pc 2:
  snap3 @pc 3: r0(i)=%8
  snap4 @pc 2: r0(i)=%14
  snap5 @pc 3: r0(i)=%15
"
    )
}

fn enters_from(root_text: &str, side: &str, exit: u32) -> bool {
    let root = parse_trace(root_text).expect("root");
    let side = parse_trace(side).expect("side trace");
    let members = [Member { trace: &root, parent: None }, Member { trace: &side, parent: Some((0, exit)) }];
    let enters = links_into_body(&members);
    assert!(!enters[0], "the root has no link");
    enters[1]
}

fn enters(side: &str, exit: u32) -> bool {
    enters_from(&root(false), side, exit)
}

/// Resets `i` (carried) and links.
const RESET_I: &str = "\
int   %0 = ConstInt 0
      Link to T1  snap0
  snap0 @pc 0: r0(i)=%0
";

#[test]
fn a_link_writing_the_carried_slots_from_a_body_exit_enters_the_body() {
    assert!(enters(RESET_I, 5));
}

#[test]
fn a_link_from_the_preamble_exit_after_its_last_guard_enters_the_body() {
    assert!(enters(RESET_I, 3));
}

#[test]
fn a_link_from_an_invariant_guard_of_the_preamble_goes_to_the_start() {
    // The body does not check `m > 0` again: the preamble must.
    assert!(!enters_from(&root(true), RESET_I, 1));
    // Nor from an exit followed by other guards (and values) of the preamble.
    assert!(!enters_from(&root(true), RESET_I, 3));
    assert!(!enters(RESET_I, 1));
}

#[test]
fn a_link_from_before_values_the_body_uses_goes_to_the_start() {
    assert!(!enters(RESET_I, 0));
}

#[test]
fn a_link_writing_a_loop_invariant_goes_to_the_start() {
    let side = "\
int   %0 = ConstInt 0
int   %1 = ConstInt 100
      Link to T1  snap0
  snap0 @pc 0: r0(i)=%0 r1(n)=%1
";
    assert!(!enters(side, 5));
}

#[test]
fn a_link_not_writing_a_carried_slot_or_of_another_type_goes_to_the_start() {
    let side = "\
int   %0 = ConstInt 0
      Link to T1  snap0
  snap0 @pc 0: r3=%0
";
    assert!(!enters(side, 5));
    let side = "\
float %0 = ConstFloat 0.5
      Link to T1  snap0
  snap0 @pc 0: r0(i)=%0
";
    assert!(!enters(side, 5));
}

#[test]
fn a_link_after_a_store_goes_to_the_start() {
    let side = "\
int   %0 = ConstInt 0
      StoreSlot r5 = %0
      Link to T1  snap0
  snap0 @pc 0: r0(i)=%0
";
    assert!(!enters(side, 5));
}
