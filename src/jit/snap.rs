//! Snapshots: what an exit knows and writes back, in one place (LuaJIT's `lj_snap.c`).
//!
//! A guard's snapshot says where the interpreter resumes, which frame slots (and globals) must
//! receive which IR values first, and which inlined calls' frames the interpreter must find.
//! Their whole life is here:
//!
//! - **creation** ([`capture`]): the recorder snapshots the slots it has written so far, the
//!   innermost inlined call and that call's locals not assigned yet;
//! - **pruning** ([`prune_dead_slots`]): once a recording is closed, each snapshot keeps only
//!   the slots live where it resumes (`interp::liveness`), frame by frame;
//! - **what is known at an exit** ([`known_at_exit`]): the one rule for the slot types (and
//!   values) established when an exit is taken, used by side-trace recording (which then needs
//!   no type guard for them) and by the lowering of a tree as one function (whose side traces
//!   start from their parent's values instead of loading them);
//! - **what an exit re-creates** ([`inlined_frames`]): the frames of inlined calls, as the VM
//!   pushes them (`interp::engine::native::InlinedFrames`), and the source line of each exit.
//!
//! The machine code that stores a snapshot's slots is the lowering's (`lower.rs`,
//! `write_snapshot`). Virtual objects (allocation removal: a tuple that exists only in
//! registers) belong here too: a snapshot entry that describes an object to build on exit, and
//! the exit materialising it.
//!
//! Touches only the traces it is given.

use std::collections::HashMap;
use std::rc::Rc;

use crate::interp::engine::bytecode::{CodeObject, Reg};
use crate::interp::engine::liveness::Liveness;
use crate::interp::engine::native::{InlinedFrame, InlinedFrames};

use super::ir::{GLOBAL_SLOTS, IrRef, Op, SnapId, Snapshot, Trace, Type};

/// Adds the snapshot for exiting before the instruction at `pc` (of the running code): the
/// slots `written` so far with their current values, the innermost inlined call `call`, and
/// the locals of inlined calls not assigned yet (`unbound`).
pub fn capture(
    trace: &mut Trace,
    pc: usize,
    written: &[u16],
    values: &HashMap<u16, IrRef>,
    call: Option<u32>,
    unbound: Vec<u16>,
) -> SnapId {
    let slots = written.iter().map(|&s| (s, values[&s])).collect();
    trace.add_snapshot(Snapshot { pc: pc as u32, slots, call, unbound, ..Snapshot::default() })
}

/// What a slot is known to hold once an exit has been taken: its type, and the value holding
/// it (`V`: an IR value, a Cranelift value...) when there is one.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Known<V> {
    pub ty: Type,
    pub value: Option<V>,
}

/// THE rule for what the frame's slots hold when exit `snap` of `trace` is taken: what the
/// trace started with (`inherited`: for a side trace, what its parent knew at its exit),
/// overridden by what the trace established before the first instruction using `snap` (a tag
/// guard gives the type; a slot load gives the type and the value, `value_of` of the load; an
/// append's result register, which the runtime sets to `None`, is known no more), and then by
/// what the exit writes (each slot of the snapshot: its value's type and `value_of` it).
///
/// Only what comes before the exit's first guard counts, and that is exact for a looping trace
/// too: its body repeats the preamble, so whatever the body did in an earlier iteration, the
/// preamble did before the body's guards. A slot the trace changed but the exit does not write
/// is dead there (snapshots restore every live slot), so no side trace reads it.
pub fn known_at_exit<V: Copy>(
    trace: &Trace,
    snap: SnapId,
    inherited: &HashMap<u16, Known<V>>,
    value_of: impl Fn(IrRef) -> Option<V>,
) -> HashMap<u16, Known<V>> {
    let mut known = inherited.clone();
    let first_use = trace.insts.iter().position(|i| i.op.snapshot() == Some(snap)).unwrap_or(trace.insts.len());
    // A loop whose body calls: the previous iteration's call may have rebound any global.
    let body_calls = trace
        .insts
        .iter()
        .skip_while(|inst| !matches!(inst.op, Op::Loop))
        .any(|inst| matches!(inst.op, Op::CallNative { .. } | Op::CallInterp { .. }));
    for (at, inst) in trace.insts[..first_use].iter().enumerate() {
        match inst.op {
            Op::Loop if body_calls => known.retain(|&slot, _| slot < GLOBAL_SLOTS),
            Op::GuardTag { slot, tag, .. } => {
                if let Some(ty) = Type::of_tag(tag) {
                    let value = known.get(&slot).filter(|k| k.ty == ty).and_then(|k| k.value);
                    known.insert(slot, Known { ty, value });
                }
            }
            Op::SlotInt { slot }
            | Op::SlotFloat { slot }
            | Op::SlotBool { slot }
            | Op::SlotPtr { slot }
            | Op::SlotTuple { slot }
            | Op::SlotStr { slot }
            | Op::SlotDict { slot }
            | Op::SlotBig { slot } => {
                known.insert(slot, Known { ty: inst.ty, value: value_of(IrRef(at as u32)) });
            }
            // The runtime wrote None into the call's result register.
            Op::ListAppend { result: Some(result), .. } | Op::StoreSlot { slot: result, .. } => {
                known.remove(&result);
            }
            // A native call's callee ran in the slots from its frame up (and may have written
            // globals).
            Op::CallNative { frame, .. } => known.retain(|&slot, _| slot < frame),
            // A call in the interpreter likewise, and it may leave its result in `dst`.
            Op::CallInterp { frame, dst, .. } => known.retain(|&slot, _| slot < frame && slot != dst),
            // The runtime moved the popped element into the result register.
            Op::ListPop { result, .. }
            | Op::ListExtend { result, .. }
            | Op::ListInsert { result, .. }
            | Op::ListReverse { result, .. } => {
                known.remove(&result);
            }
            _ => {}
        }
    }
    if let Some(snapshot) = trace.snapshots.get(snap.0 as usize) {
        for &(slot, r) in &snapshot.slots {
            known.insert(slot, Known { ty: trace.ty(r), value: value_of(r) });
        }
        // A virtual tuple is built by the exit: a tuple, with no IR value holding it.
        for &(slot, _) in &snapshot.virtual_slots {
            known.insert(slot, Known { ty: Type::Tuple, value: None });
        }
    }
    known
}

/// The slot types [`known_at_exit`] gives for snapshot `snap` of `trace` (what a side trace
/// starting there may assume), from the types the trace started with; `None` if the trace has
/// no such snapshot. Asked when a side trace starts there, not for every exit at every compile:
/// each exit's scan of the trace made it quadratic (8% of the interpreter's thread's compile
/// work on bench/tuples.toy), and most exits never grow a side trace.
pub fn types_at_exit(trace: &Trace, snap: u32, inherited: &HashMap<u16, Type>) -> Option<HashMap<u16, Type>> {
    if snap as usize >= trace.snapshots.len() {
        return None;
    }
    let inherited: HashMap<u16, Known<()>> =
        inherited.iter().map(|(&slot, &ty)| (slot, Known { ty, value: None })).collect();
    let known = known_at_exit(trace, SnapId(snap), &inherited, |_| None);
    Some(known.into_iter().map(|(slot, known)| (slot, known.ty)).collect())
}

/// The frames exit `snapshot` of `trace` re-creates, if it is inside inlined calls.
pub fn inlined_frames(trace: &Trace, snapshot: &Snapshot) -> Option<Rc<InlinedFrames>> {
    let frames: Vec<InlinedFrame> = trace
        .call_chain(snapshot)
        .into_iter()
        .map(|call| InlinedFrame {
            code: call.code.clone(),
            base: u32::from(call.base),
            return_to: Reg(call.return_to),
            caller_resume: call.caller_resume,
        })
        .collect();
    if frames.is_empty() {
        return None;
    }
    Some(Rc::new(InlinedFrames { frames, unbound: snapshot.unbound.clone() }))
}

/// The source line each snapshot of `trace` resumes at (`code` is the trace's own frame's).
pub fn exit_lines(trace: &Trace, code: &CodeObject) -> Vec<u32> {
    trace
        .snapshots
        .iter()
        .map(|s| {
            let code = trace.call_chain(s).last().map_or(code, |call| &call.code);
            code.lines.get(s.pc as usize).copied().unwrap_or(0)
        })
        .collect()
}

/// Exits write back only live slots. The recorder's snapshots name every slot the trace has
/// written so far; most of those are temporaries that are dead where the exit resumes (the
/// interpreter overwrites them before it reads them). Writing them back costs stores at every
/// exit (and a runtime call for a function or builtin a finished call left behind), and makes
/// exit code long. So, once a recording is closed, this drops from every snapshot the slots
/// that are dead at its resume point, frame by frame for exits inside inlined calls. DCE then
/// removes the values computed only for dead slots, and the `ClearSlot`s of slots no exit
/// writes.
///
/// Drops dead slots from `trace`'s snapshots; `code` is the code of the frame the trace runs on
/// (slot 0 is its register 0).
pub fn prune_dead_slots(trace: &mut Trace, code: &Rc<CodeObject>) {
    let mut pruned = Vec::with_capacity(trace.snapshots.len());
    for snap in &trace.snapshots {
        // Frames innermost first: (liveness of its code, its slot count, slot 0 in the trace,
        // pc it resumes at). Each code object keeps its liveness once computed.
        let chain = trace.call_chain(snap);
        let mut frames: Vec<Frame> = Vec::with_capacity(chain.len() + 1);
        let mut resume = snap.pc as usize;
        for call in chain.iter().rev() {
            frames.push(Frame::of(&call.code, call.base, resume));
            resume = call.caller_resume as usize;
        }
        frames.push(Frame::of(code, 0, resume));
        let live = |slot: u16| slot >= GLOBAL_SLOTS || owner_is_live(&frames, slot);
        // The innermost frame a slot belongs to decides; a slot in no frame is junk.
        let slots: Vec<(u16, IrRef)> = snap.slots.iter().copied().filter(|&(slot, _)| live(slot)).collect();
        let virtual_slots: Vec<(u16, u32)> = snap.virtual_slots.iter().copied().filter(|&(s, _)| live(s)).collect();
        // Every frame slot's liveness, for the slots a parent's exit leaves to a side trace
        // (`exit_handover.rs`).
        let frame_slots = frames.iter().map(|frame| usize::from(frame.base) + usize::from(frame.nslots)).max();
        let mut bits = vec![0u64; frame_slots.unwrap_or(0).div_ceil(64)];
        for slot in 0..frame_slots.unwrap_or(0).min(usize::from(GLOBAL_SLOTS)) as u16 {
            if owner_is_live(&frames, slot) {
                bits[usize::from(slot / 64)] |= 1 << (slot % 64);
            }
        }
        pruned.push((slots, virtual_slots, bits));
    }
    for (snap, (slots, virtual_slots, bits)) in trace.snapshots.iter_mut().zip(pruned) {
        snap.slots = slots;
        snap.virtual_slots = virtual_slots;
        snap.live = Some(bits);
    }
}

/// One frame of an exit, for [`prune_dead_slots`].
struct Frame<'a> {
    liveness: &'a Liveness,
    nslots: u16,
    /// The trace slot of its register 0.
    base: u16,
    /// The pc it resumes at.
    pc: usize,
}

impl Frame<'_> {
    fn of(code: &CodeObject, base: u16, pc: usize) -> Frame<'_> {
        Frame { liveness: Liveness::cached(code), nslots: code.nslots, base, pc }
    }
}

/// Is `slot` live in the innermost frame that holds it? (Frames are innermost first.)
fn owner_is_live(frames: &[Frame], slot: u16) -> bool {
    for frame in frames {
        if let Some(local) = slot.checked_sub(frame.base).filter(|&local| local < frame.nslots) {
            return frame.liveness.is_live(frame.pc, local);
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interp::engine::bytecode::Instr;
    use crate::interp::engine::compiler::{CompileOptions, GlobalTable, compile_module};
    use crate::interp::objects::value::Value;
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
        trace.add_snapshot(Snapshot {
            pc: multiply as u32,
            slots: in_f.to_vec(),
            call: Some(0),
            ..Snapshot::default()
        });

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
