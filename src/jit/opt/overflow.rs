//! Overflow check elimination: an `AddInt` or `SubInt` whose operands are known small enough
//! that the result fits 64 bits becomes `AddIntUnchecked` / `SubIntUnchecked` (no exit).
//!
//! What is known is a bound on each int value's magnitude, found in one pass in trace order:
//! a constant's own; a length (`ListLen`, `TupleLen`) and a position a bounds check returned
//! (`ListIndex`, `TupleIndex`) below `MAX_LEN`; an index that passed a bounds check, from that
//! check on, within `MAX_LEN` too (Python's negative indexes included); sums, differences and
//! products of bounded values; `x & c`, `x % c` for a constant `c >= 0`; a bool as an int.
//! Heat's stencil reads `src[i - 1]` and `src[i + 1]` after `src[i]`: `i` passed a bounds
//! check, so both are unchecked. `Phi`s and slot loads are unbounded (no fixed point).
//!
//! A sum the next instruction bounds-checks (`src[i + n]`, `n` unknown) needs only one operand
//! bounded: overflowing, it would wrap far outside any list, so the bounds check exits for it,
//! through the overflow check's snapshot (which resumes before the sum).
//!
//! Touches only the trace it is given.

use super::{Action, rebuild};
use crate::jit::ir::{IrRef, Op, SnapId, Trace, Type};

/// No list or tuple holds more items than this (each item is a 16-byte value in memory that
/// `isize::MAX` bytes bound): lengths, and indexes a bounds check accepted, are within it.
pub const MAX_LEN: u64 = 1 << 59;

pub fn run(trace: Trace) -> Trace {
    // An addition or subtraction whose result the next instruction bounds-checks (`xs[i + n]`).
    let checked_next: Vec<bool> = (0..trace.insts.len())
        .map(|i| match trace.insts.get(i + 1).map(|next| next.op) {
            Some(Op::ListIndex { index, .. } | Op::ListIndexInRange { index, .. }) => index.0 as usize == i,
            _ => false,
        })
        .collect();
    // bound[r]: |value r| <= bound, for the instructions of the output built so far.
    let mut bound: Vec<Option<u64>> = Vec::with_capacity(trace.insts.len());
    // The snapshot of the overflow check the bounds check at the next instruction takes over.
    let mut handed_over: Option<SnapId> = None;
    rebuild(trace, |out, i, mut op, ty| {
        bound.resize(out.insts.len(), None);
        let of = |bound: &[Option<u64>], r: IrRef| bound.get(r.0 as usize).copied().flatten();
        let sum =
            |bound: &[Option<u64>], a, b| of(bound, a)?.checked_add(of(bound, b)?).filter(|&s| s <= i64::MAX as u64);
        // One operand within MAX_LEN and the sum bounds-checked at once: a sum that overflows
        // wraps to at least 2**63 - 2**59 in magnitude, never a valid index, so the bounds
        // check catches it; it exits through the overflow check's snapshot (before the
        // arithmetic: the interpreter redoes both), never writing the wrapped value.
        let caught_by_next = |bound: &[Option<u64>], a, b| {
            checked_next[i] && [a, b].iter().any(|&r| of(bound, r).is_some_and(|m| m <= MAX_LEN))
        };
        if let Some(snap) = handed_over.take() {
            op.set_snapshot(snap);
        }
        let (action, result) = match op {
            Op::AddInt { a, b, .. } | Op::AddIntUnchecked { a, b } => {
                let unchecked = Op::AddIntUnchecked { a, b };
                drop_check((op, unchecked, ty), sum(&bound, a, b), caught_by_next(&bound, a, b), &mut handed_over)
            }
            // |a - b| <= |a| + |b|: the same bound as the sum's.
            Op::SubInt { a, b, .. } | Op::SubIntUnchecked { a, b } => {
                let unchecked = Op::SubIntUnchecked { a, b };
                drop_check((op, unchecked, ty), sum(&bound, a, b), caught_by_next(&bound, a, b), &mut handed_over)
            }
            Op::MulInt { a, b, .. } => {
                let product = of(&bound, a).zip(of(&bound, b)).and_then(|(x, y)| x.checked_mul(y));
                (Action::Keep(op, ty), product.filter(|&p| p <= i64::MAX as u64))
            }
            Op::ConstInt { value } => (Action::Keep(op, ty), Some(value.unsigned_abs())),
            Op::ListLen { .. } | Op::TupleLen { .. } => (Action::Keep(op, ty), Some(MAX_LEN)),
            Op::ListIndex { index, .. } | Op::ListIndexInRange { index, .. } | Op::TupleIndex { index, .. } => {
                // From here on the index is known in range (the check exits otherwise).
                if let Some(slot) = bound.get_mut(index.0 as usize) {
                    *slot = Some(slot.map_or(MAX_LEN, |b| b.min(MAX_LEN)));
                }
                (Action::Keep(op, ty), Some(MAX_LEN))
            }
            Op::AndInt { b, .. } | Op::ModInt { b, .. } => match non_negative_constant(out, b) {
                Some(c) => (Action::Keep(op, ty), Some(c)),
                None => (Action::Keep(op, ty), None),
            },
            Op::BoolToInt { .. } => (Action::Keep(op, ty), Some(1)),
            _ => (Action::Keep(op, ty), None),
        };
        if ty == Type::Int {
            bound.resize(out.insts.len() + 1, None);
            bound[out.insts.len()] = result;
        }
        action
    })
}

/// An add or subtract `op`: its `unchecked` form when its result is bounded (`bound`) or the
/// next instruction's bounds check catches an overflow (`caught`: that check then exits through
/// `op`'s snapshot, put into `handed_over`); else `op` as it is. With the result's bound.
fn drop_check(
    (op, unchecked, ty): (Op, Op, Type),
    bound: Option<u64>,
    caught: bool,
    handed_over: &mut Option<SnapId>,
) -> (Action, Option<u64>) {
    match bound {
        Some(_) => (Action::Keep(unchecked, ty), bound),
        None if caught => {
            *handed_over = op.snapshot();
            (Action::Keep(unchecked, ty), None)
        }
        None => (Action::Keep(op, ty), None),
    }
}

/// The value of `r` if it is a constant int `>= 0`.
fn non_negative_constant(trace: &Trace, r: IrRef) -> Option<u64> {
    match trace.insts[r.0 as usize].op {
        Op::ConstInt { value } if value >= 0 => Some(value as u64),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::run;
    use crate::jit::opt::check_pass;

    #[test]
    fn an_index_past_its_bounds_check_moves_by_a_constant_unchecked() {
        check_pass(
            run,
            "
      GuardTag r0(xs) is list  snap0
      GuardTag r1(i) is int  snap0
ptr   %2 = SlotPtr r0(xs)
int   %3 = SlotInt r1(i)
int   %4 = ConstInt 1
int   %5 = SubInt %3, %4  snap0
int   %6 = ListIndex %2, %3  snap0
int   %7 = SubInt %3, %4  snap0
int   %8 = AddInt %7, %3  snap0
int   %9 = AddInt %3, %3  snap0
int   %10 = MulInt %3, %3  snap0
int   %11 = AddInt %10, %4  snap0
int   %12 = MulInt %3, %5  snap0
int   %13 = AddInt %12, %4  snap0
  snap0 @pc 0:
",
            "
      GuardTag r0(xs) is list  snap0
      GuardTag r1(i) is int  snap0
ptr   %2 = SlotPtr r0(xs)
int   %3 = SlotInt r1(i)
int   %4 = ConstInt 1
int   %5 = SubInt %3, %4  snap0
int   %6 = ListIndex %2, %3  snap0
int   %7 = SubIntUnchecked %3, %4
int   %8 = AddIntUnchecked %7, %3
int   %9 = AddIntUnchecked %3, %3
int   %10 = MulInt %3, %3  snap0
int   %11 = AddInt %10, %4  snap0
int   %12 = MulInt %3, %5  snap0
int   %13 = AddInt %12, %4  snap0
  snap0 @pc 0:
",
        );
    }

    #[test]
    fn a_sum_bounds_checked_at_once_exits_through_that_check() {
        // `xs[i + n]` after `xs[i]`: the sum is unchecked, its bounds check exits through
        // snap1 (before the sum). `n + n` is not bounded: checked, its bounds check unchanged.
        check_pass(
            run,
            "
      GuardTag r0(xs) is list  snap0
      GuardTag r1(i) is int  snap0
ptr   %2 = SlotPtr r0(xs)
int   %3 = SlotInt r1(i)
int   %4 = SlotInt r2(n)
int   %5 = ListIndexInRange %2, %3  snap0
int   %6 = AddInt %3, %4  snap1
int   %7 = ListIndex %2, %6  snap2
int   %8 = AddInt %4, %4  snap1
int   %9 = ListIndex %2, %8  snap2
  snap0 @pc 0:
  snap1 @pc 1:
  snap2 @pc 2: r3=%6
",
            "
      GuardTag r0(xs) is list  snap0
      GuardTag r1(i) is int  snap0
ptr   %2 = SlotPtr r0(xs)
int   %3 = SlotInt r1(i)
int   %4 = SlotInt r2(n)
int   %5 = ListIndexInRange %2, %3  snap0
int   %6 = AddIntUnchecked %3, %4
int   %7 = ListIndex %2, %6  snap1
int   %8 = AddInt %4, %4  snap1
int   %9 = ListIndex %2, %8  snap2
  snap0 @pc 0:
  snap1 @pc 1:
  snap2 @pc 2: r3=%6
",
        );
    }

    #[test]
    fn lengths_masks_and_remainders_are_bounded_and_slots_are_not() {
        check_pass(
            run,
            "
      GuardTag r0(xs) is list  snap0
      GuardTag r1(n) is int  snap0
ptr   %2 = SlotPtr r0(xs)
int   %3 = SlotInt r1(n)
int   %4 = ListLen %2
int   %5 = ConstInt 255
int   %6 = AndInt %3, %5
int   %7 = AddInt %4, %6  snap0
int   %8 = ModInt %3, %5  snap0
int   %9 = SubInt %8, %4  snap0
int   %10 = AddInt %3, %5  snap0
int   %11 = ConstInt -9223372036854775808
int   %12 = AddInt %11, %5  snap0
  snap0 @pc 0:
",
            "
      GuardTag r0(xs) is list  snap0
      GuardTag r1(n) is int  snap0
ptr   %2 = SlotPtr r0(xs)
int   %3 = SlotInt r1(n)
int   %4 = ListLen %2
int   %5 = ConstInt 255
int   %6 = AndInt %3, %5
int   %7 = AddIntUnchecked %4, %6
int   %8 = ModInt %3, %5  snap0
int   %9 = SubIntUnchecked %8, %4
int   %10 = AddInt %3, %5  snap0
int   %11 = ConstInt -9223372036854775808
int   %12 = AddInt %11, %5  snap0
  snap0 @pc 0:
",
        );
    }
}
