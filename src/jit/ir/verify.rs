//! The trace IR verifier: the invariants every trace keeps from recording to lowering.
//!
//! It runs, in release builds too, on the recorded trace and after every optimizer pass
//! (`opt::optimize`), and before lowering ([`verify_for_lowering`]), so a bad trace becomes an
//! error naming the pass that made it, never invalid Cranelift IR or a panic. It is linear and
//! allocates nothing unless it fails: about 40 ns per instruction, 0.15 ms of the 20-30 ms the
//! polymorphic benchmark spends compiling (110 runs over 3,800 instructions), as much as the
//! two verifiers it replaced cost.
//!
//! Invariants ([`verify`]):
//! - every operand names an earlier instruction, except a `Phi`'s `back` (the value at the end
//!   of the body: any instruction, usually a later one);
//! - each instruction's operands have the types its opcode's typing rule asks for, and its
//!   declared type is the rule's result ([`super::Op::typing`], from the opcode table);
//! - at most one `Loop`; the `Phi`s come right after it, their `entry` in the preamble;
//! - `Link`, `Leave` and `Ret` end a trace that does not loop; `ConstObj` names an existing object;
//! - every snapshot an instruction names exists; every value a snapshot writes exists, has a
//!   type an exit can write, and is defined before the first instruction that uses the
//!   snapshot (so it dominates the shared exit block).
//!
//! [`verify_for_lowering`] adds what the place in a trace tree asks: a root trace loops, links
//! or returns (a function-entry trace), a side trace links, leaves or returns; exit numbers fit.
//!
//! Touches nothing: reads a trace.

use super::{IrRef, Op, SnapId, Trace, Type};

/// Where a verified trace's loop is: the index of `Loop` and how many `Phi`s follow it (side
/// traces have no loop: they end in `Link`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    pub loop_at: Option<usize>,
    pub phis: usize,
}

/// Checks the invariants above; returns where the loop is.
pub fn verify(trace: &Trace) -> Result<Shape, String> {
    let insts = &trace.insts;
    let found_loop = trace.loop_start();
    // A trace without a loop is checked as if its loop began after its last instruction.
    let loop_at = found_loop.unwrap_or(insts.len());
    let phis = insts.get(loop_at + 1..).unwrap_or(&[]).iter().take_while(|i| matches!(i.op, Op::Phi { .. })).count();
    let body_start = loop_at + 1 + phis;
    let ty_of = |r: IrRef| insts.get(r.0 as usize).map(|i| i.ty);
    let mut first_use = vec![usize::MAX; trace.snapshots.len()];
    for (at, inst) in insts.iter().enumerate() {
        let here = IrRef(at as u32);
        let fail = |what: String| Err(format!("{here} {}: {what}", inst.op.name()));
        let located = |what: String| format!("{here} {}: {what}", inst.op.name());
        // Operands come before their use, except a Phi's back value.
        if !matches!(inst.op, Op::Phi { .. }) {
            let mut later = None;
            inst.op.for_each_operand(|r| {
                if r.0 as usize >= at {
                    later = later.or(Some(r));
                }
            });
            if let Some(r) = later {
                return fail(format!("{r} is not defined before its use"));
            }
        }
        match inst.op {
            Op::ConstObj { index }
            | Op::EnterCheck { callee: index, .. }
            | Op::CallNative { callee: index, .. }
            | Op::CallInterp { callee: index, .. }
                if index as usize >= trace.objects.len() =>
            {
                return fail(format!("object {index} does not exist"));
            }
            Op::Link { .. } | Op::Leave { .. } | Op::Ret { .. } if at + 1 != insts.len() || found_loop.is_some() => {
                return fail(format!("{} must end a trace that does not loop", inst.op.name()));
            }
            Op::Loop if at != loop_at => return fail("a second Loop".into()),
            Op::Phi { entry, back, .. } => {
                if at <= loop_at || at >= body_start {
                    return fail("a Phi must directly follow Loop".into());
                }
                // The back value is usually a body value; a preamble value (a loop-invariant
                // assignment) or another Phi (the block arguments are a parallel copy) works
                // as well.
                if entry.0 as usize >= loop_at {
                    return fail(format!("Phi entry {entry} must be a preamble value"));
                }
                if back.0 as usize >= insts.len() {
                    return fail(format!("Phi back value {back} does not exist"));
                }
            }
            _ => {}
        }
        let result = inst.op.typing(inst.ty, ty_of).map_err(located)?;
        if inst.ty != result {
            return fail(format!("produces {result:?}, declared as {:?}", inst.ty));
        }
        if let Some(SnapId(snap)) = inst.op.snapshot() {
            let Some(first) = first_use.get_mut(snap as usize) else {
                return fail(format!("snapshot snap{snap} does not exist"));
            };
            *first = (*first).min(at);
        }
    }
    for (snap, snapshot) in trace.snapshots.iter().enumerate() {
        for (v, tuple) in snapshot.virtuals.iter().enumerate() {
            for item in &tuple.items {
                if let super::SnapValue::Virtual(inner) = *item
                    && inner as usize >= v
                {
                    return Err(format!("snap{snap}: virtual tuple {v} holds virtual {inner}, not built before it"));
                }
            }
        }
        if let Some(&(slot, v)) = snapshot.virtual_slots.iter().find(|&&(_, v)| v as usize >= snapshot.virtuals.len()) {
            return Err(format!("snap{snap}: {} is virtual tuple {v}, which does not exist", trace.slot_label(slot)));
        }
        let items = snapshot.values().skip(snapshot.slots.len()).map(|r| (u16::MAX, r));
        for (slot, r) in snapshot.slots.iter().copied().chain(items) {
            let label = || if slot == u16::MAX { "a virtual tuple's item".to_string() } else { trace.slot_label(slot) };
            let Some(ty) = ty_of(r) else { return Err(format!("snap{snap}: {}={r} does not exist", label())) };
            // Every value an exit writes must dominate the shared exit block.
            let first = first_use[snap];
            if first != usize::MAX && r.0 as usize >= first {
                return Err(format!("snap{snap}: {}={r} is not defined before its first guard %{first}", label()));
            }
            if ty.value_tag().is_none()
                && !matches!(ty, Type::Obj | Type::Ptr | Type::Tuple | Type::Str | Type::Dict | Type::Big)
            {
                return Err(format!("snap{snap}: {}={r} has type {ty:?}, which an exit cannot write", label()));
            }
        }
    }
    Ok(Shape { loop_at: found_loop, phis })
}

/// [`verify`], and what lowering the trace at its place in a tree relies on: a root trace
/// loops (or links to another loop), a side trace links and does not loop, and its exits,
/// numbered from `exit_base`, fit the exit numbers, and a loop body can exit (else it would never
/// stop: the optimizer's unit tests pass such loops, machine code must not run them).
pub fn verify_for_lowering(trace: &Trace, is_root: bool, exit_base: u32) -> Result<Shape, String> {
    check_place(trace, is_root, exit_base, verify)
}

/// [`verify_for_lowering`] of a trace [`verify`] passed already (the optimizer verifies its
/// result): only the checks of its place, with its shape read off. Verifying it again cost 2% of
/// the interpreter's thread's compile work on bench/poly.toy (a tree compiled as one function
/// verified every member again).
pub fn place_of_verified(trace: &Trace, is_root: bool, exit_base: u32) -> Result<Shape, String> {
    check_place(trace, is_root, exit_base, shape_of)
}

/// Where `trace`'s loop and `Phi`s are, as [`verify`] returns them, for a trace it passed.
fn shape_of(trace: &Trace) -> Result<Shape, String> {
    let loop_at = trace.loop_start();
    let after_loop = loop_at.map_or(&[][..], |at| trace.insts.get(at + 1..).unwrap_or(&[]));
    let phis = after_loop.iter().take_while(|i| matches!(i.op, Op::Phi { .. })).count();
    Ok(Shape { loop_at, phis })
}

fn check_place(
    trace: &Trace,
    is_root: bool,
    exit_base: u32,
    shape_of: fn(&Trace) -> Result<Shape, String>,
) -> Result<Shape, String> {
    let loops = trace.loop_start().is_some();
    let last = trace.insts.last().map(|i| i.op);
    let links = matches!(last, Some(Op::Link { .. }));
    let returns = matches!(last, Some(Op::Ret { .. }));
    if is_root && !loops && !links && !returns {
        return Err("trace does not loop".into());
    }
    if !is_root && (loops || !(links || returns || matches!(last, Some(Op::Leave { .. })))) {
        return Err("a side trace must end in Link, Leave or Ret and not loop".into());
    }
    let exits_left = (u32::MAX / 2).saturating_sub(exit_base) as usize;
    if trace.insts.len() > u32::MAX as usize / 2 || trace.snapshots.len() > exits_left {
        return Err("trace too long".into());
    }
    let shape = shape_of(trace)?;
    if let Some(at) = shape.loop_at
        && !trace.insts[at..].iter().any(|i| i.op.snapshot().is_some())
    {
        return Err("the loop body has no exit: it would never stop".into());
    }
    Ok(shape)
}

#[cfg(test)]
mod tests {
    use super::super::text::parse_trace;
    use super::*;

    #[test]
    fn a_verified_traces_place_has_the_verifiers_shape() {
        for text in [LOOP, "int   %0 = ConstInt 0\n      Link to T1  snap0\n  snap0 @pc 0: r0(i)=%0\n"] {
            let trace = parse_trace(text).expect("parses");
            assert_eq!(shape_of(&trace), verify(&trace), "{text}");
        }
        let looping = parse_trace(LOOP).expect("parses");
        assert_eq!(place_of_verified(&looping, true, 0), verify_for_lowering(&looping, true, 0));
        assert_eq!(place_of_verified(&looping, false, 0), verify_for_lowering(&looping, false, 0));
    }

    fn error(text: &str) -> String {
        verify(&parse_trace(text).unwrap_or_else(|e| panic!("{e}"))).expect_err(text)
    }

    const LOOP: &str = "\
      GuardTag r0(i) is int  snap0
int   %1 = SlotInt r0(i)
int   %2 = ConstInt 1
------------------------------ loop
int   %4 = Phi r0(i) [%1, %5]
int   %5 = AddInt %4, %2  snap1
  snap0 @pc 0:
  snap1 @pc 2: r0(i)=%4
";

    #[test]
    fn a_well_formed_loop_verifies() {
        let shape = verify(&parse_trace(LOOP).expect("parses")).expect("verifies");
        assert_eq!(shape, Shape { loop_at: Some(3), phis: 1 });
        verify_for_lowering(&parse_trace(LOOP).expect("parses"), true, 0).expect("lowerable as a root");
        let side = verify_for_lowering(&parse_trace(LOOP).expect("parses"), false, 0).expect_err("not a side trace");
        assert!(side.contains("must end in Link"), "{side}");
    }

    #[test]
    fn each_invariant_has_its_error() {
        let cases = [
            ("AddInt %4, %2  snap1", "AddInt %4, %9  snap1", "not defined before its use"),
            ("int   %2 = ConstInt 1", "float %2 = ConstInt 1", "produces Int, declared as Float"),
            ("AddInt %4, %2  snap1", "AddInt %4, %2  snap7", "does not exist"),
            ("AddInt %4, %2  snap1", "SubFloat %4, %2", "a value %4 has type Int, expected Float"),
            ("AddInt %4, %2  snap1", "Select %4, %2, %2", "cond value %4 has type Int, expected Bool"),
            ("r0(i)=%4", "r0(i)=%5", "before its first guard"),
            ("[%1, %5]", "[%1, %0]", "back value %0 has type Void"),
            ("[%1, %5]", "[%5, %5]", "Phi entry %5 must be a preamble value"),
        ];
        for (from, to, want) in cases {
            let error = error(&LOOP.replace(from, to));
            assert!(error.contains(want), "{to}: {error}");
        }
        let two_loops = format!("{LOOP}------------------------------ loop\n");
        assert!(error(&two_loops).contains("a second Loop"));
        let stray_phi = format!("{LOOP}int   %6 = Phi r0(i) [%1, %5]\n");
        assert!(error(&stray_phi).contains("directly follow Loop"));
        let no_exit = parse_trace(&LOOP.replace("AddInt %4, %2  snap1", "AndInt %4, %2")).expect("parses");
        verify(&no_exit).expect("an optimizer may see a loop without exits");
        assert!(verify_for_lowering(&no_exit, true, 0).expect_err("not lowerable").contains("no exit"));
        let link_in_loop = format!("{LOOP}      Link to T1  snap1\n");
        assert!(error(&link_in_loop).contains("Link must end"));
    }
}
