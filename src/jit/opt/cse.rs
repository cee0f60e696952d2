//! Common subexpression elimination, guards included.
//!
//! Guarantees: an instruction that repeats an earlier one — same operation, same operands,
//! ignoring the snapshot — is replaced by it (a value) or removed (a guard: the earlier one
//! already checked the same condition on the same values, and a trace is a straight line, so the
//! earlier one dominates). List loads are reused only until the next list store; loads and tag
//! guards of globals only until the next call (which may rebind them).
//!
//! A remainder of a big int by a small int shares the division of the quotient of the same
//! operands (`divmod.rs`).
//!
//! Because the loop body reads loop invariants through the preamble's values, an expression of
//! invariants in the body is "the same" as its preamble copy: this pass is also loop-invariant
//! code motion, and it removes the body's copies of invariant guards.

use rustc_hash::{FxHashMap, FxHashSet};

use super::super::ir::op_key::OpKey;
use super::super::ir::{Effect, GLOBAL_SLOTS, IrRef, Op, SnapId, Trace};
use super::{Action, rebuild};

/// The instruction as a key: its operation with the snapshot blanked out. Only pure operations
/// and guards have one (the opcode table's effect column): stores, calls and markers are never
/// merged.
fn key(mut op: Op) -> Option<OpKey> {
    if op.effect() == Effect::Effect {
        return None;
    }
    op.set_snapshot(SnapId(0));
    Some(op.key())
}

pub fn run(trace: Trace) -> Trace {
    let mut seen: FxHashMap<OpKey, Option<IrRef>> = FxHashMap::default();
    // Calls run code that may store into lists and resize them: they count as both.
    let resizes = Op::resizes_lists;
    let stores_to_lists =
        trace.insts.iter().any(|i| matches!(i.op, Op::ListStore { .. } | Op::ListStoreAny { .. }) || resizes(&i.op));
    let appends = trace.insts.iter().any(|i| resizes(&i.op));
    let calls = trace.insts.iter().any(|i| matches!(i.op, Op::CallNative { .. } | Op::CallInterp { .. }));
    // Keys of loads and tag guards of globals, which a call may change in memory.
    let mut global_keys: Vec<OpKey> = Vec::new();
    // Keys of loads and tag guards of slots an operation writes in memory (a popped element,
    // a call's result): reused only until the next such write (a regression:
    // `tail.append(pair.pop())` appended the first iteration's element every time).
    let written_in_memory: FxHashSet<u16> = trace.insts.iter().filter_map(|i| i.op.slot_written_in_memory()).collect();
    let mut memory_keys: Vec<(u16, OpKey)> = Vec::new();
    let merged = rebuild(trace, |out, _, op, ty| {
        if let Some(slot) = op.slot_written_in_memory() {
            for (_, key) in memory_keys.iter().filter(|(s, _)| *s == slot) {
                seen.remove(key);
            }
            memory_keys.retain(|(s, _)| *s != slot);
        }
        if matches!(op, Op::Loop) {
            for (_, key) in memory_keys.drain(..) {
                seen.remove(&key);
            }
        }
        // A call (and, in a loop with calls, the previous iteration's) may rebind any global.
        if matches!(op, Op::CallNative { .. } | Op::CallInterp { .. }) || (matches!(op, Op::Loop) && calls) {
            for key in global_keys.drain(..) {
                seen.remove(&key);
            }
        }
        // Entering the body: the previous iteration's stores may have changed any element, so a
        // preamble load is no stand-in for a body load.
        if matches!(op, Op::ListStore { .. } | Op::ListStoreAny { .. }) || (matches!(op, Op::Loop) && stores_to_lists) {
            // A store may change what a later load reads.
            seen.retain(|k, _| !k.opcode().starts_with("ListLoad"));
        }
        if resizes(&op) || (matches!(op, Op::Loop) && appends) {
            // An append changes lengths (and moves elements): nothing read from a list holds.
            seen.retain(|k, _| !k.opcode().starts_with("List"));
        }
        let Some(key) = key(op) else { return Action::Keep(op, ty) };
        if let Some(&earlier) = seen.get(&key) {
            return match earlier {
                Some(r) => Action::Replace(r),
                None => Action::Drop,
            };
        }
        if reads_slot(&op).is_some_and(|slot| slot >= GLOBAL_SLOTS) {
            global_keys.push(key);
        }
        if let Some(slot) = reads_slot(&op).filter(|slot| written_in_memory.contains(slot)) {
            memory_keys.push((slot, key));
        }
        let produces_value = ty != super::super::ir::Type::Void;
        let next = IrRef(out.insts.len() as u32);
        seen.insert(key, produces_value.then_some(next));
        Action::Keep(op, ty)
    });
    super::divmod::share_divisions(merged)
}

/// The slot a load or a tag guard reads.
fn reads_slot(op: &Op) -> Option<u16> {
    match *op {
        Op::SlotInt { slot } | Op::SlotFloat { slot } | Op::SlotBool { slot } | Op::SlotPtr { slot } => Some(slot),
        Op::SlotTuple { slot } | Op::SlotStr { slot } | Op::SlotDict { slot } | Op::SlotBig { slot } => Some(slot),
        Op::GuardTag { slot, .. } => Some(slot),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    /// See [`crate::jit::opt::check_pass`].
    fn check(before: &str, expected: &str) {
        crate::jit::opt::check_pass(super::run, before, expected);
    }

    #[test]
    fn hoists_invariant_work_out_of_the_loop_body() {
        // `float(n)` of an invariant int, computed in the preamble and again in the body.
        let before = "\
      GuardTag r0(n) is int  snap0
int   %1 = SlotInt r0(n)
      GuardTag r1(x) is float  snap0
float %3 = SlotFloat r1(x)
float %4 = IntToFloat %1
float %5 = AddFloat %3, %4
      ------------------------------ loop
float %7 = Phi r1(x) [%5, %9]
float %8 = IntToFloat %1
float %9 = AddFloat %7, %8
  snap0 @pc 3:
";
        // The body's `IntToFloat` is the preamble's: it goes, and the body adds `%4`.
        let expected = "
      GuardTag r0(n) is int  snap0
int   %1 = SlotInt r0(n)
      GuardTag r1(x) is float  snap0
float %3 = SlotFloat r1(x)
float %4 = IntToFloat %1
float %5 = AddFloat %3, %4
------------------------------ loop
float %7 = Phi r1(x) [%5, %8]
float %8 = AddFloat %7, %4
  snap0 @pc 3:
";
        check(before, expected);
    }

    #[test]
    fn a_list_load_in_the_body_is_not_the_preamble_load_when_the_loop_stores() {
        let before = "\
      GuardTag r0(xs) is list  snap0
ptr   %1 = SlotPtr r0(xs)
int   %2 = ConstInt 0
int   %3 = ListIndex %1, %2  snap0
int   %4 = ListLoad %1[%3] as int  snap0
int   %5 = ConstInt 1
int   %6 = AddInt %4, %5  snap0
      ListStore %1, %3, %6  snap0
int   %8 = ListLoad %1[%3] as int  snap0
------------------------------ loop
int   %10 = ListIndex %1, %2  snap0
int   %11 = ListLoad %1[%10] as int  snap0
int   %12 = AddInt %11, %5  snap0
      ListStore %1, %10, %12  snap0
  snap0 @pc 3:
";
        // The body must load the element again (%10): the store of the previous iteration changed
        // it. The index, whose list keeps its length, is the preamble's.
        let expected = "
      GuardTag r0(xs) is list  snap0
ptr   %1 = SlotPtr r0(xs)
int   %2 = ConstInt 0
int   %3 = ListIndex %1, %2  snap0
int   %4 = ListLoad %1[%3] as int  snap0
int   %5 = ConstInt 1
int   %6 = AddInt %4, %5  snap0
      ListStore %1, %3, %6  snap0
int   %8 = ListLoad %1[%3] as int  snap0
------------------------------ loop
int   %10 = ListLoad %1[%3] as int  snap0
int   %11 = AddInt %10, %5  snap0
      ListStore %1, %3, %11  snap0
  snap0 @pc 3:
";
        check(before, expected);
    }

    #[test]
    fn a_repeated_guard_goes() {
        let before = "\
      GuardTag r0(i) is int  snap0
int   %1 = SlotInt r0(i)
int   %2 = ConstInt 10
bool  %3 = CmpInt %1 < %2
      Guard %3 is True  snap0
bool  %5 = CmpInt %1 < %2
      Guard %5 is True  snap1
  snap0 @pc 3:
  snap1 @pc 5: r0(i)=%1
";
        // The second compare and guard go, and with them snap1, which nothing uses any more.
        let expected = "
      GuardTag r0(i) is int  snap0
int   %1 = SlotInt r0(i)
int   %2 = ConstInt 10
bool  %3 = CmpInt %1 < %2
      Guard %3 is True  snap0
  snap0 @pc 3:
";
        check(before, expected);
    }

    /// A global's tag guard and load after a call are kept (the callee may have rebound it); a
    /// frame slot's are merged with the ones before the call.
    #[test]
    fn a_call_keeps_the_loads_of_globals_after_it() {
        use crate::jit::ir::{GLOBAL_SLOTS, Op, Snapshot, Trace, Type};
        let mut t = Trace::default();
        let snap = t.add_snapshot(Snapshot::default());
        let (global, local) = (GLOBAL_SLOTS + 2, 1);
        for slot in [global, local] {
            t.push(Op::GuardTag { slot, tag: crate::interp::objects::value::tag::INT, snap }, Type::Void);
            t.push(Op::SlotInt { slot }, Type::Int);
        }
        let call = Op::CallInterp { callee: 0, frame: 5, argc: 0, depth: 1, dst: 4, ty: Type::Int, snap };
        t.push(call, Type::Int);
        for slot in [global, local] {
            t.push(Op::GuardTag { slot, tag: crate::interp::objects::value::tag::INT, snap }, Type::Void);
            t.push(Op::SlotInt { slot }, Type::Int);
        }
        let out = super::run(t);
        let count = |slot: u16| {
            out.insts
                .iter()
                .filter(|i| matches!(i.op, Op::SlotInt { slot: s } | Op::GuardTag { slot: s, .. } if s == slot))
                .count()
        };
        assert_eq!((count(global), count(local)), (4, 2), "{out}");
    }
}
