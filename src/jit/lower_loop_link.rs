//! Lowering a side trace's `Link` into the root's loop body, in a tree compiled as one function
//! (`loop_link.rs` decides which links may): the loop's carried values go to the loop header
//! as its `Phi`s' values, in registers, and only the slots the loop does not carry are written
//! into the frame. A part of `lower.rs`; touches only the function being built.

use std::collections::HashSet;

use cranelift_codegen::ir::{BlockArg, InstBuilder};

use super::super::ir::{IrRef, Op};
use super::Lowerer;

impl Lowerer<'_, '_> {
    /// Ends the current side trace with a jump into the root's loop body through its link's
    /// snapshot `snap`; `false` (and nothing emitted) when it cannot, and the link goes to the
    /// root's start as usual.
    pub(super) fn link_into_body(&mut self, snap: usize) -> Result<bool, String> {
        let Some((header, phis)) = self.root_loop.clone() else { return Ok(false) };
        let trace = self.t.trace;
        let mut carried: Vec<IrRef> = Vec::with_capacity(phis.len());
        for &(slot, ty) in &phis {
            match trace.snapshots[snap].slots.iter().find(|&&(s, r)| s == slot && trace.ty(r) == ty) {
                Some(&(_, r)) => carried.push(r),
                None => return Ok(false),
            }
        }
        let heap: Vec<IrRef> = carried.iter().copied().filter(|&r| trace.ty(r).is_heap()).collect();
        // A carried heap value is kept through the garbage's drop like at the back edge, which
        // keeps every one when the loop calls the interpreter: left to the root's start then.
        let root_calls_interp = self.members[0].trace.insts.iter().any(|inst| matches!(inst.op, Op::CallInterp { .. }));
        if !heap.is_empty()
            && (root_calls_interp || self.runtime.carry.is_none() || self.runtime.drop_garbage_carrying.is_none())
        {
            return Ok(false);
        }
        let carried_slots: HashSet<u16> = phis.iter().map(|&(slot, _)| slot).collect();
        self.write_snapshot_slots(snap, |slot| !carried_slots.contains(&slot))?;
        // As at the start's link: the loop may never reach its back edge (every iteration
        // leaving through this side trace), so the garbage goes here too, unless no trace of
        // the tree makes any (what waits was made before the loop: its back edge keeps it too).
        if !self.path_makes_garbage() {
        } else if !heap.is_empty() {
            self.drop_garbage_carrying(&heap)?;
        } else if let Some(drop_garbage) = self.runtime.drop_garbage {
            self.b.ins().call(drop_garbage, &[]);
        }
        let args = carried.iter().map(|&r| self.val(r).map(BlockArg::Value)).collect::<Result<Vec<_>, _>>()?;
        self.b.ins().jump(header, &args);
        Ok(true)
    }

    /// Does the trace being lowered, or one it hangs from, make garbage
    /// (`tuples::makes_garbage`)? If none does, its link back into the loop drops none: what
    /// waits was made before the loop (a sibling's, such as the side trace that returns from
    /// the function with a `"".join(out)`, never runs in the same iteration).
    pub(super) fn path_makes_garbage(&self) -> bool {
        let mut member = Some(self.t.member);
        while let Some(at) = member {
            let Some(on_path) = self.members.get(at) else { return true };
            if super::tuples::makes_garbage(on_path.trace) {
                return true;
            }
            member = on_path.parent.map(|(parent, _)| parent);
        }
        false
    }
}
