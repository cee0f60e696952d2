//! The hand-over of an exit's writes to the side trace that runs on from it, in a tree compiled
//! as one function (LuaJIT's side traces start from their parent's snapshot the same way).
//!
//! An exit that leaves for the VM must write its snapshot: the interpreter reads the frame. An
//! exit whose side trace runs on in the same function need not: the side trace starts from the
//! parent's values (`snap::known_at_exit`), so the writes can wait until the side trace itself
//! leaves: at each of its own exits, its `Link` or its `Leave`, each written slot that is still
//! live there and that the side trace did not write itself is written then. A side trace that
//! runs around its tree's loop (bench/trees.toy's `contains`: the exit when `key > k`, whose
//! side trace sets `node = right` and links back) then writes only what its link needs: the
//! three tuples the exit wrote (`k`, `left`, `right`, each a counted reference and a dropped
//! old one) are dead at the loop's header.
//!
//! [`hand_over`] makes, for each side trace whose parent's exit hands its writes over, the
//! trace the lowering compiles instead: the same instructions after one instruction per
//! handed-over slot (`SlotInt r3` and the like, which the lowering takes from the parent's
//! value, or the parent's constant `None` or function), and each snapshot with the handed-over
//! slots live where it resumes added. The exit itself then writes nothing.
//!
//! Only where the frame is not read or written behind the snapshots' back: the side trace
//! holds only pure instructions, guards, `ClearSlot`s, interrupt checks and stores of numbers
//! over numbers in lists (no call, no slot store, no list method: any of those reads or writes
//! the frame, or frees what the unwritten values point into) and ends in `Link` or `Leave`; the exit is not inside an inlined call and
//! builds no virtual tuple; every handed-over slot can be named in the side trace. Otherwise
//! the exit writes its snapshot as before. The values handed over are kept alive by what they
//! were read from, as inside the parent: a `ClearSlot` moves a last reference into the garbage,
//! which is dropped only after a `Link` has written (and counted) what it writes.
//!
//! Touches only the traces it is given (it returns new ones).

use super::ir::{Effect, GLOBAL_SLOTS, Inst, IrRef, NO_ORIGIN, Op, Snapshot, Trace, Type};

/// One trace of a tree to be compiled as one function: the trace, and for a side trace, the
/// member (an earlier index) and snapshot whose exit runs it.
pub struct Member<'a> {
    pub trace: &'a Trace,
    pub parent: Option<(usize, u32)>,
}

/// For each member, the trace to compile instead when its parent's exit hands its writes over
/// to it (that exit then writes nothing), or `None` (the exit writes its snapshot).
pub fn hand_over(members: &[Member<'_>]) -> Vec<Option<Trace>> {
    let mut handed: Vec<Option<Trace>> = Vec::with_capacity(members.len());
    for member in members {
        let taken = member.parent.and_then(|(parent, snap)| {
            let parent = handed.get(parent)?.as_ref().or(members.get(parent).map(|m| m.trace))?;
            taking_over(parent, snap as usize, member.trace)
        });
        handed.push(taken);
    }
    handed
}

/// `child` with exit `snap` of `parent`'s writes handed over to it, if they can be.
fn taking_over(parent: &Trace, snap: usize, child: &Trace) -> Option<Trace> {
    let exit = parent.snapshots.get(snap)?;
    if exit.slots.is_empty() || exit.call.is_some() || !exit.unbound.is_empty() || !exit.virtual_slots.is_empty() {
        return None;
    }
    let (end, body) = child.insts.split_last()?;
    if !matches!(end.op, Op::Link { .. } | Op::Leave { .. }) {
        return None;
    }
    let handed_slot = |slot: u16| exit.slots.iter().find(|&&(s, _)| s == slot).map(|&(_, r)| parent.ty(r));
    for inst in body {
        if !leaves_the_frame_alone(inst, handed_slot) {
            return None;
        }
    }
    // A snapshot inside a call the side trace inlined: the callee's frame starts at or below
    // a handed-over slot, which is the callee's now.
    for snapshot in &child.snapshots {
        if let Some(lowest) = child.call_chain(snapshot).iter().map(|call| call.base).min()
            && exit.slots.iter().any(|&(slot, _)| slot < GLOBAL_SLOTS && slot >= lowest)
        {
            return None;
        }
    }
    // The instructions naming the handed-over values, first.
    let mut taken = child.clone();
    let mut first: Vec<Inst> = Vec::with_capacity(exit.slots.len());
    for &(slot, r) in &exit.slots {
        first.push(naming(parent, slot, r, &mut taken.objects)?);
    }
    let shift = first.len() as u32;
    let moved = |r: IrRef| IrRef(r.0 + shift);
    let insts = std::mem::take(&mut taken.insts);
    taken.insts = first;
    taken.insts.extend(insts.into_iter().map(|inst| Inst { op: inst.op.map_operands(moved), ty: inst.ty }));
    let mut origins = vec![NO_ORIGIN; shift as usize];
    origins.extend(std::mem::take(&mut taken.origins.of));
    taken.origins.of = origins;
    for snapshot in &mut taken.snapshots {
        snapshot.rename(moved);
        add_handed_over(snapshot, &exit.slots);
    }
    Some(taken)
}

/// Adds to `snapshot` each handed-over slot (`(slot, its value's index among the first
/// instructions)`) that it neither writes nor builds and that is live where it resumes.
fn add_handed_over(snapshot: &mut Snapshot, handed: &[(u16, IrRef)]) {
    for (index, &(slot, _)) in handed.iter().enumerate() {
        let written = snapshot.slots.iter().any(|&(s, _)| s == slot)
            || snapshot.virtual_slots.iter().any(|&(s, _)| s == slot)
            || snapshot.unbound.contains(&slot);
        if !written && snapshot.is_live(slot) {
            snapshot.slots.push((slot, IrRef(index as u32)));
        }
    }
}

/// Does `inst` neither read nor write the frame behind the snapshots' back (given the types of
/// the handed-over slots, `handed`)? A load or tag guard of a handed-over slot is answered from
/// the parent's value, so it must be of that value's type.
pub fn leaves_the_frame_alone(inst: &Inst, handed: impl Fn(u16) -> Option<Type>) -> bool {
    if let Some(slot) = inst.op.slot_loaded() {
        return handed(slot).is_none_or(|ty| ty == inst.ty);
    }
    match inst.op {
        Op::GuardTag { slot, tag, .. } => handed(slot).is_none_or(|ty| Type::of_tag(tag) == Some(ty)),
        Op::GuardObj { slot, .. } => handed(slot).is_none(),
        // It drops what the frame holds (into the garbage if it is the last reference); the
        // side trace writes the slot again before any exit that needs it.
        Op::ClearSlot { .. } | Op::CheckInterrupt { .. } => true,
        // A number over a number in a list (it exits if the old element is a heap value):
        // nothing is freed, the frame is not touched.
        Op::ListStore { .. } => true,
        op => op.effect() != Effect::Effect,
    }
}

/// The instruction that names the parent's value `r` of slot `slot` in the side trace: a load
/// of the slot (the lowering answers it with the parent's value), or the parent's constant.
fn naming(parent: &Trace, slot: u16, r: IrRef, objects: &mut Vec<super::ir::TraceObject>) -> Option<Inst> {
    let ty = parent.ty(r);
    let op = match ty {
        Type::NoneType => Op::ConstNone,
        Type::Obj => match parent.insts.get(r.0 as usize)?.op {
            Op::ConstObj { index } => {
                objects.push(parent.objects.get(index as usize)?.clone());
                Op::ConstObj { index: (objects.len() - 1) as u32 }
            }
            _ => return None,
        },
        _ => Op::slot_load(ty, slot)?,
    };
    Some(Inst { op, ty })
}

#[cfg(test)]
#[path = "exit_handover_tests.rs"]
mod tests;
