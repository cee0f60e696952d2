//! Stitched jumps between loop trees: an exit that ends at the header of another loop of the
//! same frame (a `Link` to another tree, a `Leave` at a loop that has a tree by now) goes on in
//! that loop's native code at once. The VM's `run_native` asks [`Jit::stitch`] after such an
//! exit and, on an answer, calls the other tree on the frame as the exit left it, without
//! going through its dispatch loop, [`JitHooks::exit_taken`] or [`JitHooks::loop_hot`] (which
//! looks the loop up by its key). The exit has written its snapshot, so the frame is exactly
//! what the interpreter would see at that header, and what the other tree's preamble reads.
//!
//! Touches: the exit's counts and its cached target (`tree::StitchTo`); enters the target
//! tree as `loop_hot` would (`Jit::enter`).
//!
//! [`JitHooks::exit_taken`]: crate::interp::engine::native::JitHooks::exit_taken
//! [`JitHooks::loop_hot`]: crate::interp::engine::native::JitHooks::loop_hot

use crate::interp::engine::native::NativeCall;

use super::{Jit, loop_key};

impl Jit {
    /// Exit `exit` of `tree` was taken (no native call below it exited, no error or Ctrl-C
    /// is pending, nothing is being recorded): if it resumes at the header of another loop of
    /// the frame whose tree is compiled and current under `rebinds`, counts it as taken and
    /// stitched, and returns that tree's call and the header's pc. Else None (the exit is
    /// taken as usual).
    pub(super) fn stitch(&mut self, tree: usize, exit: usize, rebinds: u64) -> Option<(NativeCall, usize)> {
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
        if target == tree || header_pc != self.forest.trees[tree].exits[exit].pc as usize {
            // Its own header (that runs once in the interpreter), or a tree of another place.
            return None;
        }
        let info = &mut self.forest.trees[tree].exits[exit];
        info.count += 1;
        info.stitched += 1;
        Some((self.enter(target), header_pc))
    }
}
