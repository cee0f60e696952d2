//! Which string concatenations of a trace may append to their left operand in place (a part
//! of `lower.rs`): `%b = Helper2 +(%a, %x) as str` where the trace reads `%a` nowhere else —
//! no other instruction uses it, and no exit after `%b` writes it. Such a `+` calls
//! `toyjit_str_append` (`runtime_str_direct.rs`, lowered by `lower_str_direct.rs`), which
//! appends in place when, at run time, `%a` is a string the trace made recently and nothing
//! else holds it; so `"user" + str(n) + " " + ...`
//! copies each piece about once instead of once per `+` after it. The trace IR (and the dump)
//! is unchanged: this is a choice of the lowering.
//!
//! Touches nothing: a question about the trace.

use crate::jit::ir::helpers::Helper;
use crate::jit::ir::{IrRef, Op, Trace, Type};

/// Which instruction reads each value, as far as changing it in place goes: how many
/// instructions read it, and the last one whose exit writes it.
pub struct SoleReaders {
    readers: Vec<u32>,
    last_exit_writing: Vec<Option<usize>>,
    /// The last instruction whose snapshot is missing (it counts as writing everything).
    last_unknown_exit: Option<usize>,
}

impl SoleReaders {
    /// One pass over the trace and its exits (asked once per `+`, the question cost
    /// strings.toy's compiles a quarter of their instructions).
    pub fn of(trace: &Trace) -> SoleReaders {
        let n = trace.insts.len();
        let mut readers = vec![0u32; n];
        let mut last_exit_writing: Vec<Option<usize>> = vec![None; n];
        let mut last_unknown_exit: Option<usize> = None;
        for (i, inst) in trace.insts.iter().enumerate() {
            let mut operands = inst.op.operands();
            operands.sort_unstable_by_key(|r| r.0);
            operands.dedup();
            for r in operands {
                if let Some(count) = readers.get_mut(r.0 as usize) {
                    *count += 1;
                }
            }
            if let Some(s) = inst.op.snapshot() {
                match trace.snapshots.get(s.0 as usize) {
                    Some(snapshot) => {
                        for v in snapshot.values() {
                            if let Some(last) = last_exit_writing.get_mut(v.0 as usize) {
                                *last = Some(i);
                            }
                        }
                    }
                    None => last_unknown_exit = Some(i),
                }
            }
        }
        SoleReaders { readers, last_exit_writing, last_unknown_exit }
    }

    /// Is instruction `r` the only one that reads `a`, with no exit after it writing `a`? Then
    /// `r` may change `a` in place (exits up to `r`'s own, taken only when it fails, before
    /// any change, are fine).
    pub fn only_reader(&self, a: IrRef, r: usize) -> bool {
        let no_exit_after = |at: Option<usize>| at.is_none_or(|i| i <= r);
        let ia = a.0 as usize;
        self.readers.get(ia) == Some(&1)
            && no_exit_after(self.last_exit_writing.get(ia).copied().flatten())
            && no_exit_after(self.last_unknown_exit)
    }
}

/// For each instruction of `trace`: is it a `Helper2 +` of two strings that appends to its left
/// operand in place?
pub fn appends_in_place(trace: &Trace, sole: &SoleReaders) -> Vec<bool> {
    (0..trace.insts.len())
        .map(|r| {
            let inst = &trace.insts[r];
            let Op::Helper2 { fun: Helper::Add, a, b, .. } = inst.op else { return false };
            let strings = inst.ty == Type::Str && trace.ty(a) == Type::Str && trace.ty(b) == Type::Str;
            // Only this `+` reads `a`, and no exit after it writes `a` (it would write what the
            // append changed).
            strings && a != b && sole.only_reader(a, r)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jit::ir::{SnapId, Snapshot};

    /// `%2 = x + y; %3 = %2 + y; %4 = %3 + x`, each with its own exit, `%4` returned; `extra`
    /// adds an exit after `%3` that writes `%2`.
    fn chain(extra_exit: bool) -> Trace {
        let mut t = Trace::default();
        let snap = |t: &mut Trace, slots: Vec<(u16, IrRef)>| t.add_snapshot(Snapshot { slots, ..Snapshot::default() });
        let x = t.push(Op::SlotStr { slot: 0 }, Type::Str);
        let y = t.push(Op::SlotStr { slot: 1 }, Type::Str);
        let s = snap(&mut t, vec![]);
        let ab = t.push(Op::Helper2 { fun: Helper::Add, a: x, b: y, ty: Type::Str, snap: s }, Type::Str);
        let s = snap(&mut t, vec![(2, ab)]);
        let abb = t.push(Op::Helper2 { fun: Helper::Add, a: ab, b: y, ty: Type::Str, snap: s }, Type::Str);
        let s = snap(&mut t, vec![(2, if extra_exit { ab } else { abb })]);
        let all = t.push(Op::Helper2 { fun: Helper::Add, a: abb, b: x, ty: Type::Str, snap: s }, Type::Str);
        let s: SnapId = snap(&mut t, vec![]);
        t.push(Op::Ret { value: all, snap: s }, Type::Void);
        t
    }

    #[test]
    fn a_left_operand_read_only_by_its_plus_is_appended_to() {
        let t = chain(false);
        let appends = &appends_in_place(&t, &SoleReaders::of(&t))[2..5];
        // `x` (a slot's string) is read again by the last `+`; `%2` and `%3` only by the next.
        assert_eq!(appends, [false, true, true]);
    }

    #[test]
    fn an_exit_after_the_plus_that_writes_its_left_operand_forbids_it() {
        let t = chain(true);
        let appends = appends_in_place(&t, &SoleReaders::of(&t));
        assert!(!appends[3], "the exit of %4 writes %2");
        assert!(appends[4]);
    }
}
