//! One division for a quotient and its remainder (part of the `cse` pass).
//!
//! A trace that takes both `a // c` and `a % c` of a big int `a` and a small int `c` — the
//! digits of a big number, `r = n % 10; n //= 10`, or a number split into blocks — calls two
//! helpers that each divide all of `a`, while Python's floor division already fixes the
//! remainder: `a == q * c + r` with `r` between 0 and `c` (excluded; the sign of `c`), so `r`
//! fits 64 bits and is `a - q * c` modulo 2**64, which the lowest words of `a` and `q` give.
//! This pass keeps the division for the quotient and replaces the remainder's helper with
//! `mod_of_quotient(a, q, c)` (`runtime_bigints::mod_of_quotient`), which reads those words.
//!
//! When the remainder comes first, the quotient's helper moves up to just before it (helpers
//! are pure, and `a` and `c` are values already computed there) and takes the remainder's
//! snapshot: if it fails (`c == 0`, or a quotient of a type the recording did not see) the
//! trace exits before the remainder, and the interpreter runs both again, raising what it
//! would raise. The pair must lie in one part of the trace (preamble or loop body) for that
//! move; a quotient computed earlier anywhere serves a later remainder.
//!
//! Touches nothing but the trace it rebuilds.

use rustc_hash::FxHashMap as HashMap;

use super::super::ir::helpers::Helper;
use super::super::ir::{IrRef, Op, Trace, Type};
use super::{Action, rebuild};

/// The operands of `a % c` (or `a // c`, as `fun` says) when it is a helper on a big int `a`
/// and a small int `c` whose result is a small int (a remainder) or any (a quotient).
fn division(trace: &Trace, op: &Op, ty: Type, fun: Helper) -> Option<(IrRef, IrRef)> {
    match *op {
        Op::Helper2 { fun: f, a, b, .. }
            if f == fun
                && trace.ty(a) == Type::Big
                && trace.ty(b) == Type::Int
                && (fun != Helper::Mod || ty == Type::Int) =>
        {
            Some((a, b))
        }
        _ => None,
    }
}

/// What happens to one instruction of a pair.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    /// A remainder whose quotient is instruction `quotient` (earlier or later).
    Remainder { quotient: usize },
    /// A quotient that stays where it is and serves later remainders.
    Quotient,
    /// A quotient that moves up to an earlier remainder's place.
    MovedQuotient,
}

/// Pairs every remainder with a quotient of the same operands; returns `trace` unchanged
/// when there is none.
pub fn share_divisions(trace: Trace) -> Trace {
    let roles = pair_divisions(&trace);
    if roles.is_empty() {
        return trace;
    }
    // The new name of each quotient, once emitted (at its remainder's place when it moves).
    let mut quotient_value: HashMap<usize, IrRef> = HashMap::default();
    let insts = trace.insts.clone();
    rebuild(trace, |out, i, op, ty| match roles.get(&i) {
        Some(&Role::Remainder { quotient }) => {
            let Op::Helper2 { a, b, snap, .. } = op else { unreachable!("a paired remainder is a Helper2") };
            let remainder = |q| Op::Helper3 { fun: Helper::ModOfQuotient, a, b: q, c: b, ty: Type::Int, snap };
            if let Some(&q) = quotient_value.get(&quotient) {
                return Action::Keep(remainder(q), ty);
            }
            // The quotient moves here, on this remainder's operands and snapshot.
            let moved = &insts[quotient];
            let Op::Helper2 { fun, ty: q_ty, .. } = moved.op else { unreachable!("a paired quotient is a Helper2") };
            let q = IrRef(out.insts.len() as u32);
            quotient_value.insert(quotient, q);
            Action::Two((Op::Helper2 { fun, a, b, ty: q_ty, snap }, moved.ty), (remainder(q), ty))
        }
        Some(Role::MovedQuotient) => Action::Replace(quotient_value[&i]),
        Some(Role::Quotient) => {
            quotient_value.insert(i, IrRef(out.insts.len() as u32));
            Action::Keep(op, ty)
        }
        None => Action::Keep(op, ty),
    })
}

/// The role of each instruction that is part of a pair, by index.
fn pair_divisions(trace: &Trace) -> HashMap<usize, Role> {
    let loop_start = trace.loop_start().unwrap_or(usize::MAX);
    let in_body = |i: usize| i > loop_start;
    let mut roles: HashMap<usize, Role> = HashMap::default();
    for (i, inst) in trace.insts.iter().enumerate() {
        let Some(operands) = division(trace, &inst.op, inst.ty, Helper::Mod) else { continue };
        let divides = |j: usize| {
            let q = &trace.insts[j];
            division(trace, &q.op, q.ty, Helper::FloorDiv) == Some(operands)
        };
        // A quotient before it (it dominates: a trace is a straight line), else the first one
        // after it in the same part of the trace, which moves up.
        let earlier = (0..i).rev().find(|&j| divides(j) && matches!(roles.get(&j), None | Some(Role::Quotient)));
        if let Some(j) = earlier {
            roles.insert(j, Role::Quotient);
            roles.insert(i, Role::Remainder { quotient: j });
            continue;
        }
        let later = (i + 1..trace.insts.len())
            .take_while(|&j| in_body(j) == in_body(i))
            .find(|&j| divides(j) && !roles.contains_key(&j));
        if let Some(j) = later {
            roles.insert(j, Role::MovedQuotient);
            roles.insert(i, Role::Remainder { quotient: j });
        }
    }
    roles
}

#[cfg(test)]
mod tests {
    /// The `cse` pass, which runs this one last (see [`crate::jit::opt::check_pass`]).
    fn check(before: &str, expected: &str) {
        crate::jit::opt::check_pass(super::super::cse::run, before, expected);
    }

    #[test]
    fn a_remainder_before_its_quotient_takes_the_quotient_moved_up() {
        // `r = n % 10; n //= 10` on a big `n`.
        let before = "\
big   %0 = SlotBig r0(n)
int   %1 = ConstInt 10
int   %2 = Helper2 %(%0, %1) as int  snap0
int   %3 = SlotInt r1(s)
int   %4 = AddInt %3, %2  snap1
big   %5 = Helper2 //(%0, %1) as big  snap2
  snap0 @pc 3:
  snap1 @pc 4:
  snap2 @pc 5:
";
        let expected = "
big   %0 = SlotBig r0(n)
int   %1 = ConstInt 10
big   %2 = Helper2 //(%0, %1) as big  snap0
int   %3 = Helper3 mod_of_quotient(%0, %2, %1) as int  snap0
int   %4 = SlotInt r1(s)
int   %5 = AddInt %4, %3  snap1
  snap0 @pc 3:
  snap1 @pc 4:
";
        check(before, expected);
    }

    #[test]
    fn a_quotient_before_its_remainder_serves_it_where_it_is() {
        let before = "\
big   %0 = SlotBig r0(n)
int   %1 = SlotInt r1(b)
int   %2 = Helper2 //(%0, %1) as int  snap0
int   %3 = Helper2 %(%0, %1) as int  snap1
int   %4 = AddInt %2, %3  snap2
  snap0 @pc 3:
  snap1 @pc 4:
  snap2 @pc 5:
";
        let expected = "
big   %0 = SlotBig r0(n)
int   %1 = SlotInt r1(b)
int   %2 = Helper2 //(%0, %1) as int  snap0
int   %3 = Helper3 mod_of_quotient(%0, %2, %1) as int  snap1
int   %4 = AddInt %2, %3  snap2
  snap0 @pc 3:
  snap1 @pc 4:
  snap2 @pc 5:
";
        check(before, expected);
    }

    #[test]
    fn pairs_need_the_same_operands_a_small_divisor_and_one_part_of_the_trace() {
        // Another dividend, a big divisor, and a quotient only in the loop body: nothing pairs.
        let before = "\
big   %0 = SlotBig r0(n)
big   %1 = SlotBig r1(m)
int   %2 = ConstInt 10
int   %3 = Helper2 %(%0, %2) as int  snap0
big   %4 = Helper2 //(%1, %2) as big  snap0
big   %5 = Helper2 %(%0, %1) as big  snap0
big   %6 = Helper2 //(%0, %1) as big  snap0
      ------------------------------ loop
big   %8 = Helper2 //(%0, %2) as big  snap0
  snap0 @pc 3:
";
        let expected = "
big   %0 = SlotBig r0(n)
big   %1 = SlotBig r1(m)
int   %2 = ConstInt 10
int   %3 = Helper2 %(%0, %2) as int  snap0
big   %4 = Helper2 //(%1, %2) as big  snap0
big   %5 = Helper2 %(%0, %1) as big  snap0
big   %6 = Helper2 //(%0, %1) as big  snap0
------------------------------ loop
big   %8 = Helper2 //(%0, %2) as big  snap0
  snap0 @pc 3:
";
        check(before, expected);
    }
}
