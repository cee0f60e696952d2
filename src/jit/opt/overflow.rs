//! Checks that cannot fail, by value ranges: an `AddInt` or `SubInt` whose result provably
//! fits 64 bits becomes `AddIntUnchecked` / `SubIntUnchecked` (no exit), and a `StrChr` of a
//! code provably in 0..=255 becomes `StrChrLatin1` (a table load, no test).
//!
//! What is known is a range `lo..=hi` of each int value, found in one pass in trace order:
//! a constant's own; a length (`ListLen`, `TupleLen` below `MAX_LEN`; `StrLen`, `StrBytes`
//! a `u32`); a position a bounds check returned; a code point (`StrOrd`: 0..=0x10FFFF; an
//! ASCII byte, `StrByteAt`: 0..=127); sums, differences, products and negations of known
//! ranges; `x & m` for `m >= 0`, `x % m` (Python's: 0..m-1 for `m > 0`); a bool as an int;
//! `Select` of two. Guards narrow ranges from where they stand on (the trace is one path, so
//! everything after a guard runs only where it held): a bounds check its index (`ListIndex`,
//! `TupleIndex`: within `MAX_LEN`, negative indexes included; `ListIndexInRange`: `0..MAX_LEN`;
//! `StrByteAt`: `0..u32::MAX`), a `Guard` on an int comparison both sides (`97 <= c <= 122`).
//! Heat's stencil reads `src[i - 1]` and `src[i + 1]` after `src[i]`; a string loop's
//! `(c - 97 + k) % 26 + 97` after `97 <= c` ... : `c - 97` and the offset's `+ 1` are
//! unchecked, and `chr()` of the last a load. `Phi`s and slot loads start unknown (no fixed
//! point); a checked operation's result is its range cut to 64 bits (it exits otherwise).
//!
//! A sum the next instruction bounds-checks (`src[i + n]`, `n` unknown) needs only one operand
//! within `MAX_LEN`: overflowing, it would wrap far outside any list, so the bounds check exits
//! for it, through the overflow check's snapshot (which resumes before the sum).
//!
//! Touches only the trace it is given.

use super::{Action, rebuild};
use crate::jit::ir::{Cond, IrRef, Op, SnapId, Trace, Type};

/// No list or tuple holds more items than this (each item is a 16-byte value in memory that
/// `isize::MAX` bytes bound): lengths, and indexes a bounds check accepted, are within it.
pub const MAX_LEN: u64 = 1 << 59;

/// The values an int may hold, `lo..=hi` (wider than 64 bits, so sums of two never overflow).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Range {
    lo: i128,
    hi: i128,
}

impl Range {
    const ANY: Range = Range { lo: i64::MIN as i128, hi: i64::MAX as i128 };

    fn new(lo: i128, hi: i128) -> Range {
        Range { lo, hi }
    }

    fn exact(value: i64) -> Range {
        Range::new(value as i128, value as i128)
    }

    /// Do all its values fit an `i64`?
    fn fits(self) -> bool {
        self.lo >= i64::MIN as i128 && self.hi <= i64::MAX as i128
    }

    /// The values of both (a guard's narrowing, a checked operation's result cut to 64 bits).
    fn meet(self, other: Range) -> Range {
        Range::new(self.lo.max(other.lo), self.hi.min(other.hi))
    }

    fn within(self, lo: i128, hi: i128) -> bool {
        self.lo >= lo && self.hi <= hi
    }

    fn add(self, b: Range) -> Range {
        Range::new(self.lo + b.lo, self.hi + b.hi)
    }

    fn sub(self, b: Range) -> Range {
        Range::new(self.lo - b.hi, self.hi - b.lo)
    }

    fn mul(self, b: Range) -> Range {
        let corners = [self.lo * b.lo, self.lo * b.hi, self.hi * b.lo, self.hi * b.hi];
        Range::new(*corners.iter().min().unwrap_or(&0), *corners.iter().max().unwrap_or(&0))
    }
}

/// `MAX_LEN` as a range bound.
const LEN: i128 = MAX_LEN as i128;
/// A string's length (bytes or chars) is a `u32` in its header.
const STR_LEN: i128 = u32::MAX as i128;

pub fn run(trace: Trace) -> Trace {
    // An addition or subtraction whose result the next instruction bounds-checks (`xs[i + n]`).
    let checked_next: Vec<bool> = (0..trace.insts.len())
        .map(|i| match trace.insts.get(i + 1).map(|next| next.op) {
            Some(Op::ListIndex { index, .. } | Op::ListIndexInRange { index, .. }) => index.0 as usize == i,
            _ => false,
        })
        .collect();
    // range[r]: the values of int r, for the instructions of the output built so far.
    let mut ranges: Vec<Range> = Vec::with_capacity(trace.insts.len());
    // The snapshot of the overflow check the bounds check at the next instruction takes over.
    let mut handed_over: Option<SnapId> = None;
    rebuild(trace, |out, i, mut op, ty| {
        ranges.resize(out.insts.len(), Range::ANY);
        let of = |ranges: &[Range], r: IrRef| ranges.get(r.0 as usize).copied().unwrap_or(Range::ANY);
        // One operand within MAX_LEN and the sum bounds-checked at once: a sum that overflows
        // wraps to at least 2**63 - 2**59 in magnitude, never a valid index, so the bounds
        // check catches it; it exits through the overflow check's snapshot (before the
        // arithmetic: the interpreter redoes both), never writing the wrapped value.
        let caught_by_next =
            |ranges: &[Range], a, b| checked_next[i] && [a, b].iter().any(|&r| of(ranges, r).within(-LEN, LEN));
        if let Some(snap) = handed_over.take() {
            op.set_snapshot(snap);
        }
        let (action, result) = match op {
            Op::AddInt { a, b, .. } | Op::AddIntUnchecked { a, b } => {
                let unchecked = Op::AddIntUnchecked { a, b };
                let sum = of(&ranges, a).add(of(&ranges, b));
                drop_check((op, unchecked, ty), sum, caught_by_next(&ranges, a, b), &mut handed_over)
            }
            Op::SubInt { a, b, .. } | Op::SubIntUnchecked { a, b } => {
                let unchecked = Op::SubIntUnchecked { a, b };
                let difference = of(&ranges, a).sub(of(&ranges, b));
                drop_check((op, unchecked, ty), difference, caught_by_next(&ranges, a, b), &mut handed_over)
            }
            Op::MulInt { a, b, .. } => (Action::Keep(op, ty), of(&ranges, a).mul(of(&ranges, b))),
            Op::NegInt { a, .. } => (Action::Keep(op, ty), Range::exact(0).sub(of(&ranges, a))),
            Op::ConstInt { value } => (Action::Keep(op, ty), Range::exact(value)),
            Op::ListLen { .. } | Op::TupleLen { .. } => (Action::Keep(op, ty), Range::new(0, LEN)),
            Op::StrLen { .. } | Op::StrBytes { .. } => (Action::Keep(op, ty), Range::new(0, STR_LEN)),
            Op::StrOrd { .. } => (Action::Keep(op, ty), Range::new(0, 0x10FFFF)),
            Op::StrByteAt { offset, .. } => {
                narrow(&mut ranges, offset, Range::new(0, STR_LEN - 1));
                (Action::Keep(op, ty), Range::new(0, 127))
            }
            Op::ListIndex { index, .. } | Op::TupleIndex { index, .. } => {
                // From here on the index is known in range (the check exits otherwise).
                narrow(&mut ranges, index, Range::new(-LEN, LEN));
                (Action::Keep(op, ty), Range::new(0, LEN))
            }
            Op::ListIndexInRange { index, .. } => {
                narrow(&mut ranges, index, Range::new(0, LEN));
                (Action::Keep(op, ty), Range::new(0, LEN))
            }
            Op::Guard { cond, expect, .. } => {
                if let Op::CmpInt { cond, a, b } = out.insts[cond.0 as usize].op {
                    let (a_to, b_to) =
                        compared(if expect { cond } else { negated(cond) }, of(&ranges, a), of(&ranges, b));
                    narrow(&mut ranges, a, a_to);
                    narrow(&mut ranges, b, b_to);
                }
                (Action::Keep(op, ty), Range::ANY)
            }
            Op::AndInt { a, b } => {
                let masks = [of(&ranges, a), of(&ranges, b)].into_iter().filter(|m| m.lo >= 0);
                (Action::Keep(op, ty), masks.fold(Range::ANY, |range, m| range.meet(Range::new(0, m.hi))))
            }
            Op::ModInt { b, .. } => {
                let m = of(&ranges, b);
                let range = if m.lo > 0 {
                    Range::new(0, m.hi - 1)
                } else if m.hi < 0 {
                    Range::new(m.lo + 1, 0)
                } else {
                    let most = m.lo.abs().max(m.hi.abs());
                    Range::new(1 - most, most - 1)
                };
                (Action::Keep(op, ty), range)
            }
            Op::Select { a, b, .. } if ty == Type::Int => {
                let (a, b) = (of(&ranges, a), of(&ranges, b));
                (Action::Keep(op, ty), Range::new(a.lo.min(b.lo), a.hi.max(b.hi)))
            }
            Op::BoolToInt { .. } => (Action::Keep(op, ty), Range::new(0, 1)),
            Op::StrChr { code, .. } if of(&ranges, code).within(0, 255) => {
                (Action::Keep(Op::StrChrLatin1 { code }, ty), Range::ANY)
            }
            _ => (Action::Keep(op, ty), Range::ANY),
        };
        if ty == Type::Int {
            ranges.resize(out.insts.len(), Range::ANY);
            ranges.push(result.meet(Range::ANY));
        }
        action
    })
}

/// From here on `r` is known within `to` too.
fn narrow(ranges: &mut [Range], r: IrRef, to: Range) {
    if let Some(range) = ranges.get_mut(r.0 as usize) {
        *range = range.meet(to);
    }
}

/// What `a cond b` holding says of `a` and of `b`, given their ranges.
fn compared(cond: Cond, a: Range, b: Range) -> (Range, Range) {
    let all = Range::new(i128::MIN, i128::MAX);
    match cond {
        Cond::Lt => (Range::new(all.lo, b.hi - 1), Range::new(a.lo + 1, all.hi)),
        Cond::Le => (Range::new(all.lo, b.hi), Range::new(a.lo, all.hi)),
        Cond::Gt => (Range::new(b.lo + 1, all.hi), Range::new(all.lo, a.hi - 1)),
        Cond::Ge => (Range::new(b.lo, all.hi), Range::new(all.lo, a.hi)),
        Cond::Eq => (b, a),
        Cond::Ne => (all, all),
    }
}

/// The condition that holds where `cond` does not (ints: no NaN).
fn negated(cond: Cond) -> Cond {
    match cond {
        Cond::Lt => Cond::Ge,
        Cond::Le => Cond::Gt,
        Cond::Gt => Cond::Le,
        Cond::Ge => Cond::Lt,
        Cond::Eq => Cond::Ne,
        Cond::Ne => Cond::Eq,
    }
}

/// An add or subtract `op`: its `unchecked` form when its exact result `range` fits 64 bits
/// or the next instruction's bounds check catches an overflow (`caught`: that check then exits
/// through `op`'s snapshot, put into `handed_over`); else `op` as it is. With the result's
/// range (cut to 64 bits: a checked operation exits otherwise; a caught one's bounds check
/// exits for a wrapped value).
fn drop_check(
    (op, unchecked, ty): (Op, Op, Type),
    range: Range,
    caught: bool,
    handed_over: &mut Option<SnapId>,
) -> (Action, Range) {
    if range.fits() {
        return (Action::Keep(unchecked, ty), range);
    }
    if caught {
        *handed_over = op.snapshot();
        return (Action::Keep(unchecked, ty), Range::ANY);
    }
    (Action::Keep(op, ty), range)
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
int   %12 = AddIntUnchecked %11, %5
  snap0 @pc 0:
",
        );
    }

    #[test]
    fn guards_code_points_and_bytes_bound_a_char_loop() {
        // `c = ord(ch); if 97 <= c <= 122: chr((c - 97 + k) % 26 + 97)`, and the offset's + 1
        // after the byte read: `c - 97` and `+ 1` unchecked, `+ k` checked (k unknown), the chr
        // a table load. `chr(c + 200)` may pass 255: checked; `k - 1` before any guard on k
        // checked, after `k < 10` (and `k > -5`) not.
        check_pass(
            run,
            "
str   %0 = SlotStr r0(s)
int   %1 = SlotInt r1(i)
int   %2 = SlotInt r2(k)
int   %3 = StrByteAt %0, %1  snap0
int   %4 = ConstInt 1
int   %5 = AddInt %1, %4  snap0
str   %6 = StrChrLatin1 %3
int   %7 = StrOrd %6  snap0
int   %8 = ConstInt 97
bool  %9 = CmpInt %8 <= %7
      Guard %9 is True  snap0
int   %11 = ConstInt 122
bool  %12 = CmpInt %7 > %11
      Guard %12 is False  snap0
int   %14 = SubInt %7, %8  snap0
int   %15 = AddInt %14, %2  snap0
int   %16 = ConstInt 26
int   %17 = ModInt %15, %16  snap0
int   %18 = AddInt %17, %8  snap0
str   %19 = StrChr %18  snap0
int   %20 = ConstInt 200
int   %21 = AddInt %7, %20  snap0
str   %22 = StrChr %21  snap0
int   %23 = SubInt %2, %4  snap0
int   %24 = ConstInt 10
bool  %25 = CmpInt %2 < %24
      Guard %25 is True  snap0
int   %27 = ConstInt -5
bool  %28 = CmpInt %27 < %2
      Guard %28 is True  snap0
int   %30 = SubInt %2, %4  snap0
  snap0 @pc 0:
",
            "
str   %0 = SlotStr r0(s)
int   %1 = SlotInt r1(i)
int   %2 = SlotInt r2(k)
int   %3 = StrByteAt %0, %1  snap0
int   %4 = ConstInt 1
int   %5 = AddIntUnchecked %1, %4
str   %6 = StrChrLatin1 %3
int   %7 = StrOrd %6  snap0
int   %8 = ConstInt 97
bool  %9 = CmpInt %8 <= %7
      Guard %9 is True  snap0
int   %11 = ConstInt 122
bool  %12 = CmpInt %7 > %11
      Guard %12 is False  snap0
int   %14 = SubIntUnchecked %7, %8
int   %15 = AddInt %14, %2  snap0
int   %16 = ConstInt 26
int   %17 = ModInt %15, %16  snap0
int   %18 = AddIntUnchecked %17, %8
str   %19 = StrChrLatin1 %18
int   %20 = ConstInt 200
int   %21 = AddIntUnchecked %7, %20
str   %22 = StrChr %21  snap0
int   %23 = SubInt %2, %4  snap0
int   %24 = ConstInt 10
bool  %25 = CmpInt %2 < %24
      Guard %25 is True  snap0
int   %27 = ConstInt -5
bool  %28 = CmpInt %27 < %2
      Guard %28 is True  snap0
int   %30 = SubIntUnchecked %2, %4
  snap0 @pc 0:
",
        );
    }
}
