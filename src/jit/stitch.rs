//! Stitched jumps between loop trees: an exit that ends at the header of another loop of the
//! same frame (a `Link` to another tree, a `Leave` at a loop that has a tree by now) goes on in
//! that loop's native code at once. The VM's `run_native` asks [`Jit::stitch`] after such an
//! exit and, on an answer, calls the other tree on the frame as the exit left it, without
//! going through its dispatch loop, [`JitHooks::exit_taken`] or [`JitHooks::loop_hot`] (which
//! looks the loop up by its key). The exit has written its snapshot, so the frame is exactly
//! what the interpreter would see at that header, and what the other tree's preamble reads.
//!
//! Touches: the exit's counts and its cached target ([`StitchTo`]); enters the target tree as
//! `loop_hot` would (`Jit::enter`). Also finds, when a trace is installed, which of its exits
//! may be stitched ([`stitch_targets`]).
//!
//! [`JitHooks::exit_taken`]: crate::interp::engine::native::JitHooks::exit_taken
//! [`JitHooks::loop_hot`]: crate::interp::engine::native::JitHooks::loop_hot

use crate::interp::engine::bytecode::{CodeObject, Instr};
use crate::interp::engine::native::NativeCall;

use super::{Jit, loop_key};
use crate::jit::ir::{Op, Trace};

/// Where a stitched jump goes: the loop whose header an exit resumes at, and the tree it was
/// last found to have.
pub(in crate::jit) struct StitchTo {
    /// The loop's number in the tree's code (`CodeObject::jit_loops`).
    pub loop_id: usize,
    /// The loop's tree (an index into `Forest::trees`) and the count of rebound globals under
    /// which it was found current: still current while the count is the same (a loop's tree is
    /// dropped only when that count changed, and the count never goes back).
    pub found: Option<(usize, u64)>,
}

/// Per snapshot of `trace` (a trace of `code`'s loop tree): the loop whose header its exit
/// resumes at, for the `Link`s and `Leave`s that end at a loop header of this frame (not inside
/// inlined calls, whose frames the VM must push first): those may go on in that loop's tree.
pub(in crate::jit) fn stitch_targets(trace: &Trace, code: &CodeObject) -> Vec<Option<usize>> {
    let mut stitch: Vec<Option<usize>> = vec![None; trace.snapshots.len()];
    for inst in &trace.insts {
        if let Op::Link { snap, .. } | Op::Leave { snap } = inst.op {
            let s = &trace.snapshots[snap.0 as usize];
            if s.call.is_none() {
                stitch[snap.0 as usize] = code.instrs.get(s.pc as usize).and_then(Instr::loop_id);
            }
        }
    }
    stitch
}

impl Jit {
    /// Exit `exit` of `tree` was taken (no error is pending, nothing is being recorded): if it
    /// resumes at the header of another loop of the frame whose tree is compiled and current
    /// under `rebinds`, and `pending` says false (no native call below it exited, no Ctrl-C:
    /// asked last, most exits never get there), counts it as taken and stitched, and returns
    /// that tree's call and the header's pc. Else None (the exit is taken as usual).
    pub(super) fn stitch(
        &mut self,
        (tree, exit): (usize, usize),
        rebinds: u64,
        pending: &dyn Fn() -> bool,
    ) -> Option<(NativeCall, usize)> {
        let from = self.forest.trees.get(tree)?;
        let to = from.exits.get(exit)?.stitch.as_ref()?;
        if from.code.jit_loops[to.loop_id].countdown.get() != 0 {
            // The loop is counting towards a recording: it has no tree (the usual case of a
            // `Leave`), and the interpreter counts this visit.
            return None;
        }
        let target = match to.found {
            Some((target, found_under)) if found_under == rebinds => target,
            _ => {
                let state = self.loops.get(&loop_key(&from.code, to.loop_id))?;
                let target = state.tree.filter(|_| state.rebinds == rebinds)?;
                let to = self.forest.trees[tree].exits[exit].stitch.as_mut()?;
                to.found = Some((target, rebinds));
                target
            }
        };
        let header_pc = self.forest.trees[target].header_pc;
        if target == tree || header_pc != self.forest.trees[tree].exits[exit].pc as usize || pending() {
            // Its own header (that runs once in the interpreter), a tree of another place, or
            // something the interpreter must see first.
            return None;
        }
        let info = &mut self.forest.trees[tree].exits[exit];
        info.count += 1;
        info.stitched += 1;
        Some((self.enter(target), header_pc))
    }
}
