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

/// Does instruction `r` (a `Helper2 +` of two strings) append to its left operand in place?
pub fn appends_in_place(trace: &Trace, r: IrRef) -> bool {
    let Some(inst) = trace.insts.get(r.0 as usize) else { return false };
    let Op::Helper2 { fun: Helper::Add, a, b, .. } = inst.op else { return false };
    if inst.ty != Type::Str || trace.ty(a) != Type::Str || trace.ty(b) != Type::Str || a == b {
        return false;
    }
    trace.insts.iter().enumerate().all(|(i, other)| {
        let reads = i != r.0 as usize && other.op.operands().contains(&a);
        // An exit after `r` that writes `a` would write what the append changed. (Exits up to
        // `r`'s own, which is taken only when the helper fails, before any change, are fine.)
        let exit_writes = i > r.0 as usize
            && other.op.snapshot().is_some_and(|s| {
                trace.snapshots.get(s.0 as usize).is_none_or(|snapshot| snapshot.values().any(|v| v == a))
            });
        !reads && !exit_writes
    })
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
        let appends: Vec<bool> = (2..5).map(|i| appends_in_place(&t, IrRef(i))).collect();
        // `x` (a slot's string) is read again by the last `+`; `%2` and `%3` only by the next.
        assert_eq!(appends, [false, true, true]);
    }

    #[test]
    fn an_exit_after_the_plus_that_writes_its_left_operand_forbids_it() {
        let t = chain(true);
        assert!(!appends_in_place(&t, IrRef(3)), "the exit of %4 writes %2");
        assert!(appends_in_place(&t, IrRef(4)));
    }
}
