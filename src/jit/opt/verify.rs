//! The trace IR verifier: checks the invariants every pass must keep. Run after every pass in
//! debug builds and tests (see [`super::optimize`]).
//!
//! Invariants: every operand names an earlier instruction (a `Phi`'s `back` may name a later one:
//! it is the value at the end of the body); operand types are what the opcode expects; at most one
//! `Loop`, and the `Phi`s come right after it; every snapshot names existing instructions defined
//! before the first instruction that uses the snapshot; `Link` only ends a trace without `Loop`.

use super::super::ir::{IrRef, Op, Trace, Type};

pub fn verify(trace: &Trace) -> Result<(), String> {
    let n = trace.insts.len();
    let loop_at = trace.loop_start();
    if trace.insts.iter().filter(|i| matches!(i.op, Op::Loop)).count() > 1 {
        return Err("more than one Loop".into());
    }
    let mut first_use_of_snapshot = vec![usize::MAX; trace.snapshots.len()];
    let mut phis_open = loop_at.is_some();
    for (i, inst) in trace.insts.iter().enumerate() {
        let at = |r: IrRef| format!("%{i} {}: operand {r}", inst.op.name());
        if let Op::Phi { back, entry, .. } = inst.op {
            if !phis_open || loop_at.is_none_or(|l| i <= l) {
                return Err(format!("%{i}: Phi not directly after Loop"));
            }
            if entry.0 as usize >= loop_at.unwrap_or(0) {
                return Err(format!("%{i}: Phi entry {entry} is not a preamble value"));
            }
            if back.0 as usize >= n {
                return Err(format!("%{i}: Phi back {back} does not exist"));
            }
            check_types(trace, i)?;
            continue;
        }
        if loop_at.is_some_and(|l| i > l) {
            phis_open = false;
        }
        for r in inst.op.operands() {
            if r.0 as usize >= i {
                return Err(format!("{}: not defined before use", at(r)));
            }
        }
        if matches!(inst.op, Op::Link { .. }) && (i + 1 != n || loop_at.is_some()) {
            return Err(format!("%{i}: Link must end a trace that does not loop"));
        }
        check_types(trace, i)?;
        if let Some(snap) = inst.op.snapshot() {
            let s = snap.0 as usize;
            if s >= trace.snapshots.len() {
                return Err(format!("%{i}: snapshot {snap} does not exist"));
            }
            first_use_of_snapshot[s] = first_use_of_snapshot[s].min(i);
        }
    }
    for (s, snapshot) in trace.snapshots.iter().enumerate() {
        let first_use = first_use_of_snapshot[s];
        for &(slot, r) in &snapshot.slots {
            if first_use != usize::MAX && r.0 as usize >= first_use {
                return Err(format!("snap{s}: slot r{slot} takes {r}, defined after the guard at %{first_use}"));
            }
            if trace.ty(r) == Type::Void {
                return Err(format!("snap{s}: slot r{slot} takes {r} of type {}", trace.ty(r).name()));
            }
        }
    }
    Ok(())
}

/// Operand types, by the opcode's typing rule ([`Op::typing`]).
fn check_types(trace: &Trace, i: usize) -> Result<(), String> {
    let inst = trace.insts[i];
    let ty_of = |r: IrRef| trace.insts.get(r.0 as usize).map(|i| i.ty);
    inst.op.typing(inst.ty, ty_of).map(|_| ()).map_err(|e| format!("%{i} {}: {e}", inst.op.name()))
}
