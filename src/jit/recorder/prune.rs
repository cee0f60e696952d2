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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interp::bytecode::Instr;
    use crate::interp::compiler::{CompileOptions, GlobalTable, compile_module};
    use crate::interp::value::Value;
    use crate::jit::ir::{InlinedCall, Op, Snapshot, Type};

    const SOURCE: &str = "\
def f(x):
    y = x + 1
    z = y * 2
    return z

def g(n):
    t = 0
    for i in range(n):
        t = t + f(i)
    return t
";

    fn function(module: &Rc<CodeObject>, name: &str) -> Rc<CodeObject> {
        module
            .consts
            .iter()
            .find_map(|c| match c {
                Value::Function(f) if f.code.name == name => Some(f.code.clone()),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no function {name}"))
    }

    fn slot(code: &CodeObject, name: &str) -> u16 {
        code.slot_names.iter().position(|n| n == name).unwrap_or_else(|| panic!("no local {name}")) as u16
    }

    #[test]
    fn snapshots_keep_the_live_slots_of_each_frame_and_drop_the_rest() {
        let module = crate::parser::parse(SOURCE).expect("parses");
        let mut globals = GlobalTable::default();
        let module = compile_module(&module, SOURCE, &mut globals, CompileOptions::default()).expect("compiles");
        let (f, g) = (function(&module, "f"), function(&module, "g"));
        let header = g.instrs.iter().position(|i| matches!(i, Instr::ForIter { .. })).expect("g loops");
        // The second call of g (the first is range's).
        let call = g.instrs.iter().rposition(|i| matches!(i, Instr::Call { .. })).expect("g calls f");
        let Instr::Call { args, .. } = g.instrs[call] else { unreachable!() };
        let multiply = f.instrs.iter().position(|i| matches!(i, Instr::Mul { .. })).expect("z = y * 2");
        let temporary = (0..g.nslots).find(|&s| g.slot_names[s as usize].is_empty() && s < args.0).expect("a temp");

        let mut trace = Trace::default();
        let value = trace.push(Op::ConstInt { value: 1 }, Type::Int);
        trace.calls.push(InlinedCall {
            code: f.clone(),
            base: args.0,
            return_to: args.0,
            caller_resume: call as u32 + 1,
            parent: None,
        });
        let (t, n) = (slot(&g, "t"), slot(&g, "n"));
        let (x, y) = (args.0 + slot(&f, "x"), args.0 + slot(&f, "y"));
        let at_header = [(t, value), (n, value), (temporary, value)];
        trace.add_snapshot(Snapshot { pc: header as u32, slots: at_header.to_vec(), ..Snapshot::default() });
        let in_f = [(t, value), (temporary, value), (x, value), (y, value), (GLOBAL_SLOTS + 3, value)];
        trace.add_snapshot(Snapshot { pc: multiply as u32, slots: in_f.to_vec(), call: Some(0), unbound: vec![] });

        prune_dead_slots(&mut trace, &g);
        let kept = |snap: usize| trace.snapshots[snap].slots.iter().map(|&(s, _)| s).collect::<Vec<_>>();
        // At the loop header: `t` is carried; `n` was read once by range(), the temporary is
        // assigned before it is read.
        assert_eq!(kept(0), vec![t]);
        // Inside f at `z = y * 2`: the caller's `t` is read after the call returns; f's `y` is
        // read next, its `x` never again; globals are always kept.
        assert_eq!(kept(1), vec![t, y, GLOBAL_SLOTS + 3]);
    }
}
