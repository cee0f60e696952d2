//! Which side traces of a tree compiled as one function link back into the root's loop body,
//! past its preamble, with the loop-carried values passed in registers.
//!
//! A `Link` to the root normally writes its snapshot into the frame and jumps to the root's
//! start: the preamble loads the slots again, checks their types and recomputes what the
//! body uses. When the side trace's values are exactly what the loop carries, the link can
//! jump to the loop header with them as the `Phi`s' values instead (what LuaJIT's side traces
//! do when they link to their root's loop), and write to the frame only the slots the loop
//! does not carry. bench/trees.toy's `contains`: the right turn's side trace linked with
//! `node = right` written into the frame, then the preamble read it back, checked it was a
//! tuple and loaded `key` again; now `right` goes to the header as `node`.
//!
//! That is exact only when what the body takes from the preamble still holds, so a link enters
//! the body only if:
//! - its snapshot writes every `Phi` slot, with a value of the `Phi`'s type;
//! - the side traces from the root's exit down to the link (the link's trace and its parents)
//!   neither read nor write the frame behind their snapshots (`exit_handover::leaves_the_frame_alone`)
//!   nor store into lists (the body may use an element the preamble loaded),
//!   and none of their snapshots and `ClearSlot`s touches a slot the preamble loaded or
//!   guarded other than the `Phi` slots (the loop invariants: the body uses the preamble's
//!   values of them);
//! - the root's exit they hang from is in the body (the whole preamble ran before it), or is
//!   the preamble's last: only its own guards from its first one to the loop, so that every
//!   value the preamble defines comes before it (the body and the side traces grown from the
//!   body use them: a value defined after it would not dominate the loop header in the
//!   Cranelift function), and those guards depend on a `Phi` slot (so the body repeats them:
//!   a guard on loop invariants only is not in the body, and the side trace that grew from
//!   its failure must not run the body that assumes it held).
//!
//! Touches only the traces it is given.

use std::collections::HashSet;

use super::exit_handover::{Member, leaves_the_frame_alone};
use super::ir::{IrRef, Op, SnapId, Trace, Type};

/// The root's loop as a link into its body sees it: the header's `Phi`s, `(slot, type)` in order.
pub fn loop_phis(root: &Trace) -> Option<Vec<(u16, Type)>> {
    let loop_at = root.loop_start()?;
    Some(
        root.insts[loop_at + 1..]
            .iter()
            .map_while(|inst| match inst.op {
                Op::Phi { slot, .. } => Some((slot, inst.ty)),
                _ => None,
            })
            .collect(),
    )
}

/// For each member of the tree (`members[0]` the root): does its `Link` to the root enter the
/// root's loop body directly?
pub fn links_into_body(members: &[Member<'_>]) -> Vec<bool> {
    let mut enters = vec![false; members.len()];
    let Some(root) = members.first().map(|m| m.trace) else { return enters };
    let (Some(loop_at), Some(phis)) = (root.loop_start(), loop_phis(root)) else { return enters };
    let facts = RootFacts::of(root, loop_at, &phis);
    for (index, member) in members.iter().enumerate().skip(1) {
        enters[index] = enters_body(members, index, member.trace, &phis, &facts);
    }
    enters
}

/// What a link into the body must respect in the root.
struct RootFacts {
    loop_at: usize,
    /// Preamble slots loaded or guarded that are not carried by a `Phi`.
    invariant_slots: HashSet<u16>,
    /// The preamble instructions the body uses (its operands, its snapshots' values, the
    /// `Phi`s' back values).
    used_by_body: Vec<bool>,
    /// The preamble instructions that depend on a `Phi` slot's load or tag.
    varies: Vec<bool>,
}

impl RootFacts {
    fn of(root: &Trace, loop_at: usize, phis: &[(u16, Type)]) -> RootFacts {
        let phi_slots: HashSet<u16> = phis.iter().map(|&(slot, _)| slot).collect();
        let mut invariant_slots = HashSet::new();
        let mut varies = vec![false; loop_at];
        for (at, inst) in root.insts[..loop_at].iter().enumerate() {
            let slot = match inst.op {
                Op::GuardTag { slot, .. } | Op::GuardObj { slot, .. } => Some(slot),
                op => op.slot_loaded(),
            };
            if let Some(slot) = slot {
                if phi_slots.contains(&slot) {
                    varies[at] = true;
                } else {
                    invariant_slots.insert(slot);
                }
            }
            inst.op.for_each_operand(|r| varies[at] |= varies.get(r.0 as usize).copied().unwrap_or(false));
        }
        let mut used_by_body = vec![false; loop_at];
        let mut mark = |r: IrRef| {
            if let Some(used) = used_by_body.get_mut(r.0 as usize) {
                *used = true;
            }
        };
        for inst in &root.insts[loop_at + 1..] {
            match inst.op {
                Op::Phi { back, .. } => mark(back),
                op => op.for_each_operand(&mut mark),
            }
            if let Some(snapshot) = inst.op.snapshot().and_then(|s| root.snapshots.get(s.0 as usize)) {
                snapshot.values().for_each(&mut mark);
            }
        }
        RootFacts { loop_at, invariant_slots, used_by_body, varies }
    }

    /// Can code that left through the root's exit `snap` (and ran side traces that keep the
    /// loop invariants) go on in the body?
    fn body_may_follow(&self, root: &Trace, snap: SnapId) -> bool {
        let Some(first) = root.insts.iter().position(|i| i.op.snapshot() == Some(snap)) else { return false };
        if first > self.loop_at {
            return true;
        }
        // What comes after the exit in the preamble did not run: only its own guards, which
        // define nothing (the body, and side traces grown from it, use every value the
        // preamble defines: all must come before the exit to reach the loop from it).
        let rest_is_its_guards = (first..self.loop_at).all(|at| {
            let inst = &root.insts[at];
            inst.op.snapshot() == Some(snap) && inst.ty == Type::Void && !self.used_by_body[at]
        });
        let guards_vary = root.insts[..self.loop_at]
            .iter()
            .enumerate()
            .filter(|(_, inst)| inst.op.snapshot() == Some(snap))
            .all(|(at, _)| self.varies[at]);
        rest_is_its_guards && guards_vary
    }
}

fn enters_body(members: &[Member<'_>], index: usize, trace: &Trace, phis: &[(u16, Type)], facts: &RootFacts) -> bool {
    let Some(Op::Link { snap, .. }) = trace.insts.last().map(|i| i.op) else { return false };
    let Some(link) = trace.snapshots.get(snap.0 as usize) else { return false };
    // Every Phi written by the link, with its type.
    let carried = phis.iter().all(|&(slot, ty)| link.slots.iter().any(|&(s, r)| s == slot && trace.ty(r) == ty));
    if !carried || link.virtual_slots.iter().any(|&(slot, _)| phis.iter().any(|&(s, _)| s == slot)) {
        return false;
    }
    // Up the chain of side traces to the root's exit.
    let touches_invariant = |slots: &[u16]| slots.iter().any(|s| facts.invariant_slots.contains(s));
    let mut member = index;
    let mut exits: Vec<(usize, SnapId)> = vec![(index, snap)];
    loop {
        let here = &members[member];
        let Some((_, body)) = here.trace.insts.split_last() else { return false };
        // No list store either: the body may use list elements the preamble loaded.
        let keeps_state =
            |inst: &super::ir::Inst| leaves_the_frame_alone(inst, |_| None) && !matches!(inst.op, Op::ListStore { .. });
        if !body.iter().all(keeps_state) {
            return false;
        }
        let cleared: Vec<u16> = body
            .iter()
            .filter_map(|inst| match inst.op {
                Op::ClearSlot { slot } => Some(slot),
                _ => None,
            })
            .collect();
        if touches_invariant(&cleared) {
            return false;
        }
        let Some((parent, exit)) = here.parent else { return false };
        exits.push((parent, SnapId(exit)));
        if parent == 0 {
            break;
        }
        member = parent;
    }
    for &(owner, snap) in &exits {
        let Some(snapshot) = members[owner].trace.snapshots.get(snap.0 as usize) else { return false };
        let written: Vec<u16> =
            snapshot.slots.iter().map(|&(s, _)| s).chain(snapshot.virtual_slots.iter().map(|&(s, _)| s)).collect();
        if touches_invariant(&written) {
            return false;
        }
    }
    let (_, root_exit) = exits[exits.len() - 1];
    facts.body_may_follow(members[0].trace, root_exit)
}

#[cfg(test)]
#[path = "loop_link_tests.rs"]
mod tests;
