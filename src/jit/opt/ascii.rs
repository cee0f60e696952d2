//! ASCII string loops: behind a `GuardStrAscii s` (the recorder's, for a `for ch in s` loop
//! over a string it saw ASCII; CSE leaves the preamble's only, the loop's string being an
//! invariant), every char of `s` is one byte, its code that byte. So:
//! - `StrCharAt s, i` becomes `StrByteAt s, i` (the byte, exiting through the same snapshot
//!   unless `i` is inside `s`) and `StrChrLatin1` of it (a load from the one-char table);
//! - `ord()` of a `StrChrLatin1` is its code (`StrOrd` needs no length test and no exit);
//! - `StrBytes` and `StrLen` of a one-char string made from such a byte are 1 (the loop's offset
//!   then moves by the constant 1, which `overflow.rs` proves cannot overflow).
//!
//! A string that is not ASCII when the trace runs exits at the guard, before its loop's first
//! char, where the interpreter resumes (the `ForIter`).
//!
//! Touches only the trace it is given.

use super::{Action, rebuild};
use crate::jit::ir::{IrRef, Op, Trace, Type};

pub fn run(trace: Trace) -> Trace {
    // The strings guarded ASCII so far (their values in the output).
    let mut ascii: Vec<IrRef> = Vec::new();
    rebuild(trace, |out, _, op, ty| match op {
        Op::GuardStrAscii { s, .. } => {
            if ascii.contains(&s) {
                return Action::Drop;
            }
            ascii.push(s);
            Action::Keep(op, ty)
        }
        Op::StrCharAt { s, offset, snap } if ascii.contains(&s) => {
            let byte = IrRef(out.insts.len() as u32);
            Action::Two((Op::StrByteAt { s, offset, snap }, Type::Int), (Op::StrChrLatin1 { code: byte }, Type::Str))
        }
        Op::StrOrd { s, .. } => match out.insts[s.0 as usize].op {
            Op::StrChrLatin1 { code } => Action::Replace(code),
            _ => Action::Keep(op, ty),
        },
        Op::StrBytes { s } | Op::StrLen { s } if is_ascii_char(out, s) => Action::Keep(Op::ConstInt { value: 1 }, ty),
        _ => Action::Keep(op, ty),
    })
}

/// Is `s` a one-char string made from a byte of an ASCII string (one byte long)?
fn is_ascii_char(trace: &Trace, s: IrRef) -> bool {
    match trace.insts[s.0 as usize].op {
        Op::StrChrLatin1 { code } => matches!(trace.insts[code.0 as usize].op, Op::StrByteAt { .. }),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::run;
    use crate::jit::opt::check_pass;

    #[test]
    fn a_loop_over_an_ascii_string_reads_bytes() {
        // The body's StrCharAt (its guard is the preamble's): a byte and its table entry; ord of
        // it is the byte, its byte length 1. A string not guarded keeps its StrCharAt.
        check_pass(
            run,
            "
      GuardTag r0(s) is str  snap0
str   %1 = SlotStr r0(s)
int   %2 = SlotInt r1(i)
str   %3 = SlotStr r2(t)
      GuardStrAscii %1  snap0
str   %5 = StrCharAt %1, %2  snap0
int   %6 = StrBytes %5
int   %7 = AddInt %2, %6  snap0
int   %8 = StrOrd %5  snap1
      GuardStrAscii %1  snap1
str   %10 = StrCharAt %3, %2  snap1
int   %11 = StrOrd %10  snap1
int   %12 = StrLen %5
  snap0 @pc 0:
  snap1 @pc 1: r1=%7 r3=%8
",
            "
      GuardTag r0(s) is str  snap0
str   %1 = SlotStr r0(s)
int   %2 = SlotInt r1(i)
str   %3 = SlotStr r2(t)
      GuardStrAscii %1  snap0
int   %5 = StrByteAt %1, %2  snap0
str   %6 = StrChrLatin1 %5
int   %7 = ConstInt 1
int   %8 = AddInt %2, %7  snap0
str   %9 = StrCharAt %3, %2  snap1
int   %10 = StrOrd %9  snap1
int   %11 = ConstInt 1
  snap0 @pc 0:
  snap1 @pc 1: r1(i)=%8 r3=%5
",
        );
    }
}
