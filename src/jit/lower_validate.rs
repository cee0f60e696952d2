//! Validation of a trace before lowering (a part of `lower.rs`).
//!
//! [`validate`] checks everything the lowering relies on, so that a bad trace becomes an `Err`
//! and never invalid Cranelift IR or a panic: references point backwards, operand and result
//! types fit each opcode, `Loop` and its `Phi`s are where they belong, a side trace ends in
//! `Link`, and every value a snapshot names is defined before the first guard that uses it (so
//! it dominates the shared exit block). Touches nothing.

use super::super::ir::{IrRef, Op, SnapId, Trace, Type};
use super::TreePlace;

/// Where the loop is: the index of `Loop` and how many `Phi`s follow it (side traces have
/// no loop: they end in `Link`).
pub(super) struct Shape {
    pub(super) loop_at: Option<usize>,
    pub(super) phis: usize,
}

/// Checks everything the lowering relies on, so that it can never build invalid Cranelift IR.
pub(super) fn validate(trace: &Trace, place: TreePlace) -> Result<Shape, String> {
    let insts = &trace.insts;
    let found_loop = trace.loop_start();
    let links = matches!(insts.last().map(|i| i.op), Some(Op::Link { .. }));
    if place.is_root && found_loop.is_none() && !links {
        return Err("trace does not loop".into());
    }
    if !place.is_root && (found_loop.is_some() || !matches!(insts.last().map(|i| i.op), Some(Op::Link { .. }))) {
        return Err("a side trace must end in Link and not loop".into());
    }
    if insts.len() > u32::MAX as usize / 2 || trace.snapshots.len() > (u32::MAX / 2 - place.exit_base) as usize {
        return Err("trace too long".into());
    }
    // A side trace is checked as if its loop began after its last instruction.
    let loop_at = found_loop.unwrap_or(insts.len());
    let phis = insts.get(loop_at + 1..).unwrap_or(&[]).iter().take_while(|i| matches!(i.op, Op::Phi { .. })).count();
    let body_start = loop_at + 1 + phis;
    let mut first_use = vec![usize::MAX; trace.snapshots.len()];
    for (at, inst) in insts.iter().enumerate() {
        let here = IrRef(at as u32);
        let fail = |what: String| Err(format!("{here}: {what}"));
        let ty_of = |r: IrRef| insts.get(r.0 as usize).map(|i| i.ty);
        // Operands come before their use, except a Phi's back value (checked below).
        if !matches!(inst.op, Op::Phi { .. })
            && let Some(r) = inst.op.operands().into_iter().find(|r| r.0 as usize >= at)
        {
            return fail(format!("{r} is not defined before its use"));
        }
        match inst.op {
            Op::ConstObj { index } if index as usize >= trace.objects.len() => {
                return fail(format!("object {index} does not exist"));
            }
            Op::Link { .. } if at + 1 != insts.len() || found_loop.is_some() => {
                return fail("Link must end a side trace".into());
            }
            Op::Loop if at != loop_at => return fail("a second Loop".into()),
            Op::Phi { entry, .. } => {
                if at <= loop_at || at >= body_start {
                    return fail("a Phi must directly follow Loop".into());
                }
                // The back value is usually a body value; a preamble value (a loop-invariant
                // assignment) or another Phi (the block arguments are a parallel copy) works
                // as well.
                if entry.0 as usize >= loop_at {
                    return fail(format!("Phi entry {entry} must be a preamble value"));
                }
            }
            _ => {}
        }
        let result = inst.op.typing(inst.ty, ty_of).map_err(|e| format!("{here}: {e}"))?;
        if inst.ty != result {
            return fail(format!("{} produces {result:?}, declared as {:?}", inst.op.name(), inst.ty));
        }
        if let Some(SnapId(snap)) = inst.op.snapshot() {
            let snap = snap as usize;
            let Some(first) = first_use.get_mut(snap) else { return fail(format!("snapshot {snap} does not exist")) };
            *first = (*first).min(at);
        }
    }
    if found_loop.is_some() && !insts[body_start..].iter().any(|i| i.op.snapshot().is_some()) {
        return Err("the loop body has no exit: it would never stop".into());
    }
    // Every value an exit writes must be defined before the first guard using the snapshot,
    // so that it dominates the shared exit block.
    for (snap, &first) in first_use.iter().enumerate() {
        if first == usize::MAX {
            continue;
        }
        for &(slot, r) in &trace.snapshots[snap].slots {
            if r.0 as usize >= first {
                return Err(format!("snap{snap}: r{slot}={r} is not defined before its first guard %{first}"));
            }
            let ty = trace.ty(r);
            if ty.value_tag().is_none() && !matches!(ty, Type::Obj | Type::Ptr) {
                return Err(format!("snap{snap}: r{slot}={r} has type {ty:?}, which an exit cannot write"));
            }
        }
    }
    Ok(Shape { loop_at: found_loop, phis })
}
