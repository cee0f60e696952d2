//! Exits write back only live slots.
//!
//! The recorder's snapshots name every slot the trace has written so far. Most of those are
//! temporaries that are dead where the exit resumes: the interpreter overwrites them before it
//! reads them. Writing them back costs stores at every exit (and a runtime call for a function
//! or builtin a finished call left behind), and makes exit code long. So, once a recording is
//! closed, [`prune_dead_slots`] drops from every snapshot the slots that are dead at its resume
//! point (`interp::liveness`), frame by frame for exits inside inlined calls. DCE then removes
//! the values computed only for dead slots, and the `ClearSlot`s of slots no exit writes.
//!
//! Touches only the trace being closed.

use std::collections::HashMap;
use std::rc::Rc;

use crate::interp::bytecode::CodeObject;
use crate::interp::liveness::Liveness;

use super::super::ir::{GLOBAL_SLOTS, IrRef, Trace};

/// Drops dead slots from `trace`'s snapshots; `code` is the code of the frame the trace runs on
/// (slot 0 is its register 0).
pub(super) fn prune_dead_slots(trace: &mut Trace, code: &Rc<CodeObject>) {
    let mut liveness: HashMap<*const CodeObject, Liveness> = HashMap::new();
    let mut pruned = Vec::with_capacity(trace.snapshots.len());
    for snap in &trace.snapshots {
        // Frames innermost first: (code, slot 0 in the trace, pc it resumes at).
        let chain = trace.call_chain(snap);
        let mut frames: Vec<(Rc<CodeObject>, u16, usize)> = Vec::with_capacity(chain.len() + 1);
        let mut resume = snap.pc as usize;
        for call in chain.iter().rev() {
            frames.push((call.code.clone(), call.base, resume));
            resume = call.caller_resume as usize;
        }
        frames.push((code.clone(), 0, resume));
        let keys: Vec<*const CodeObject> = frames
            .iter()
            .map(|(code, _, _)| {
                let key = Rc::as_ptr(code);
                liveness.entry(key).or_insert_with(|| Liveness::of(code));
                key
            })
            .collect();
        let slots: Vec<(u16, IrRef)> = snap
            .slots
            .iter()
            .copied()
            .filter(|&(slot, _)| {
                if slot >= GLOBAL_SLOTS {
                    return true;
                }
                // The innermost frame the slot belongs to decides; a slot in no frame is junk.
                owner_is_live(&frames, &keys, &liveness, slot)
            })
            .collect();
        pruned.push(slots);
    }
    for (snap, slots) in trace.snapshots.iter_mut().zip(pruned) {
        snap.slots = slots;
    }
}

/// Is `slot` live in the innermost frame that holds it? (Frames are innermost first.)
fn owner_is_live(
    frames: &[(Rc<CodeObject>, u16, usize)],
    keys: &[*const CodeObject],
    liveness: &HashMap<*const CodeObject, Liveness>,
    slot: u16,
) -> bool {
    for ((code, base, pc), key) in frames.iter().zip(keys) {
        if let Some(local) = slot.checked_sub(*base).filter(|&local| local < code.nslots) {
            return liveness[key].is_live(*pc, local);
        }
    }
    false
}
