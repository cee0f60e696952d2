//! The trace optimizer: the pass list, and the rewriting machinery the passes share.
//!
//! Input: a trace from the recorder (already peeled into preamble + loop body). Output: an
//! equivalent trace with fewer instructions, and one line per pass saying what it removed (the
//! dump prints them). The verifier checks the input and the output (and, for the dump and in
//! debug builds, the IR after every pass).
//!
//! Passes, in order (one file each):
//! 0. `virtualize.rs` — allocation removal: tuples built in the trace that never escape are
//!    never allocated (their items stay IR values; exits build them from their snapshots).
//! 1. `fold.rs` — constant folding and algebraic identities (`x + 0`, `x * 1`), guards on
//!    constants that are known to hold.
//! 2. `cse.rs` — common subexpression elimination, including guards already checked. Because the
//!    loop body reads loop invariants through the preamble's values, an operation on invariants
//!    in the body is the same expression as in the preamble: CSE hoists it out of the loop.
//! 3. `ascii.rs` — ASCII string loops: behind the preamble's `GuardStrAscii`, a loop's chars
//!    are bytes (`StrByteAt`), `ord` of one is the byte and its length 1.
//! 4. `overflow.rs` — checks that cannot fail, by value ranges: int additions and subtractions
//!    whose operands' ranges (an index past its bounds check, a length, a constant, a code
//!    point, what a guard compared) keep them in 64 bits exit no more, and `chr()` of a code
//!    in 0..=255 is a table load.
//! 5. `dce.rs` — dead code elimination: pure instructions nobody uses (snapshots count as uses),
//!    `Phi`s only their own back edge uses included.
//!    Its output goes through `clear_sink.rs`: in straight-line code each `ClearSlot` moves
//!    down to the first instruction that needs it, so that several meet (the lowering checks a
//!    run of them with one branch).

pub mod ascii;
pub mod clear_sink;
pub mod cse;
pub mod dce;
pub mod divmod;
pub mod fold;
pub mod overflow;
pub mod virtualize;

use super::compile_guard::guarded;
use super::ir::verify::verify;
use super::ir::{IrRef, NO_ORIGIN, Op, Origins, SnapId, Snapshot, Trace, Type};

/// What a pass does with one instruction (whose operands are already renamed).
pub enum Action {
    /// Keep this operation (possibly a rewritten one) with this type.
    Keep(Op, Type),
    /// The instruction's value is this already-emitted value; emit nothing.
    Replace(IrRef),
    /// Emit nothing (only for instructions without a used value: proven guards, dead code).
    Drop,
    /// Emit the first operation, then the second, whose value is the instruction's (the
    /// second may name the first: it is at `out.insts.len()` when `decide` returns).
    Two((Op, Type), (Op, Type)),
}

/// Rebuilds `trace`, asking `decide` about each instruction in order. `decide` sees the trace
/// built so far and the instruction with operands renamed into it. Snapshots and `Phi` back
/// edges are renamed at the end; snapshots no instruction uses any more are removed.
///
/// Takes the trace: everything but the instructions (snapshots, names, inlined calls, objects)
/// moves over to the result instead of being copied (a copy per pass was a tenth of the
/// optimizer's time).
pub fn rebuild(trace: Trace, mut decide: impl FnMut(&Trace, usize, Op, Type) -> Action) -> Trace {
    let Trace { insts, snapshots, slot_names, calls, objects, global_names, origins } = trace;
    let mut out = Trace {
        insts: Vec::with_capacity(insts.len()),
        snapshots,
        slot_names,
        calls,
        objects,
        global_names,
        origins: Origins { of: Vec::with_capacity(origins.of.len()), current: 0 },
    };
    let mut map: Vec<Option<IrRef>> = vec![None; insts.len()];
    let rename = |map: &[Option<IrRef>], r: IrRef| map[r.0 as usize].unwrap_or(r);
    for (i, inst) in insts.iter().enumerate() {
        let op = match inst.op {
            // A Phi's back edge names a later instruction: renamed after the loop.
            Op::Phi { slot, ty, entry, back } => Op::Phi { slot, ty, entry: rename(&map, entry), back },
            op => op.map_operands(|r| rename(&map, r)),
        };
        out.origins.current = origins.of.get(i).copied().unwrap_or(NO_ORIGIN);
        match decide(&out, i, op, inst.ty) {
            Action::Keep(op, ty) => map[i] = Some(out.push(op, ty)),
            Action::Replace(r) => map[i] = Some(r),
            Action::Drop => {}
            Action::Two((first, first_ty), (second, ty)) => {
                out.push(first, first_ty);
                map[i] = Some(out.push(second, ty));
            }
        }
    }
    for inst in &mut out.insts {
        if let Op::Phi { back, .. } = &mut inst.op {
            *back = rename(&map, *back);
        }
    }
    for snapshot in &mut out.snapshots {
        snapshot.rename(|r| rename(&map, r));
    }
    compact_snapshots(&mut out);
    out
}

/// Removes snapshots no instruction uses and renumbers the rest.
fn compact_snapshots(trace: &mut Trace) {
    let mut used = vec![false; trace.snapshots.len()];
    for inst in &trace.insts {
        if let Some(s) = inst.op.snapshot() {
            used[s.0 as usize] = true;
        }
    }
    if used.iter().all(|&used| used) {
        return;
    }
    let mut renumber = vec![0u32; trace.snapshots.len()];
    let mut kept: Vec<Snapshot> = Vec::with_capacity(trace.snapshots.len());
    for (i, snapshot) in std::mem::take(&mut trace.snapshots).into_iter().enumerate() {
        if used[i] {
            renumber[i] = kept.len() as u32;
            kept.push(snapshot);
        }
    }
    for inst in &mut trace.insts {
        if let Some(s) = inst.op.snapshot() {
            inst.op.set_snapshot(SnapId(renumber[s.0 as usize]));
        }
    }
    trace.snapshots = kept;
}

/// A pass: its name, for the report, and the function.
pub type Pass = (&'static str, fn(Trace) -> Trace);

/// The pass list, in order.
pub const PASSES: [Pass; 6] = [
    ("allocation removal", virtualize::run),
    ("fold", fold::run),
    ("cse", cse::run),
    ("ascii strings", ascii::run),
    ("overflow checks", overflow::run),
    ("dce", dce::run),
];

/// Runs every pass (verified as [`optimize_keeping`] says); returns the result and one report
/// line per pass.
pub fn optimize(trace: Trace) -> Result<(Trace, Vec<String>), String> {
    optimize_keeping(&trace, Keep { stages: false, report: true }).map(|(trace, report, _)| (trace, report))
}

/// The IR after each pass, named by the pass (for the dump and the explorer).
pub type Stages = Vec<(&'static str, Trace)>;

/// What [`optimize_keeping`] keeps besides the result: the IR after each pass, and the report
/// lines (what the dump and the explorer show; formatting them for every compile cost 1.5% of
/// the interpreter's thread's compile work on bench/poly.toy).
#[derive(Clone, Copy, Debug)]
pub struct Keep {
    pub stages: bool,
    pub report: bool,
}

/// [`optimize`], returning the IR after each pass if `keep.stages` (else none), and the report
/// lines if `keep.report` (else none).
///
/// The verifier checks the recorded trace and the result. It checks the IR after every pass
/// only when the stages are kept (the dump, the explorer), in debug builds, or when the
/// result fails: then the passes run again from the recorded trace, checked one by one, to
/// name the pass that broke it. (Checking after every pass every time was a tenth of the
/// optimizer's time on the interpreter's thread: bench/poly.toy.) A pass given a malformed
/// trace by the one before may panic on it: the passes run under `compile_guard`, so that is a
/// failed compile too, named the same way.
pub fn optimize_keeping(recorded: &Trace, keep: Keep) -> Result<(Trace, Vec<String>, Stages), String> {
    verify(recorded).map_err(|e| format!("the recorded trace is malformed: {e}"))?;
    let check_each = keep.stages || cfg!(debug_assertions);
    let optimized = guarded(|| run_passes(recorded.clone(), keep, check_each));
    if check_each {
        return optimized;
    }
    let failure = match optimized {
        Ok(optimized) => match verify(&optimized.0) {
            Ok(_) => return Ok(optimized),
            Err(e) => format!("after the passes: {e}"),
        },
        Err(e) => e,
    };
    match guarded(|| run_passes(recorded.clone(), Keep { stages: false, report: false }, true)) {
        Err(named) => Err(named),
        Ok(_) => Err(failure),
    }
}

/// Runs [`PASSES`] on `trace`; verifies after each if `check_each`.
fn run_passes(trace: Trace, keep: Keep, check_each: bool) -> Result<(Trace, Vec<String>, Stages), String> {
    let mut trace = trace;
    let mut report = Vec::new();
    let mut stages = Vec::new();
    for (name, pass) in PASSES {
        let before = trace.insts.len();
        let tuples_before = (keep.report && name == "allocation removal").then(|| virtualize::tuples_built(&trace));
        trace = pass(trace);
        if check_each {
            verify(&trace).map_err(|e| format!("after {name}: {e}"))?;
        }
        if keep.report {
            let detail = tuples_before.map(|was| format!(": {}", virtualize::summary(was, &trace))).unwrap_or_default();
            report.push(format!("{name}{detail}: {before} -> {} instructions", trace.insts.len()));
        }
        if keep.stages {
            stages.push((name, trace.clone()));
        }
    }
    Ok((trace, report, stages))
}

/// A pass's unit test: runs `pass` on the trace text `before`, runs the verifier on its output,
/// and checks the whole printed result against `expected` (the text form of `print_trace`: one
/// instruction per line, then the snapshots). `expected` may start with a newline, so that its
/// first line keeps its indentation.
#[cfg(test)]
pub(crate) fn check_pass(pass: fn(Trace) -> Trace, before: &str, expected: &str) {
    use crate::jit::ir::text::{parse_trace, print_trace};
    let expected = expected.strip_prefix('\n').unwrap_or(expected);
    let after = pass(parse_trace(before).expect("parses"));
    crate::jit::ir::verify::verify(&after).unwrap_or_else(|e| panic!("{e}"));
    let after = print_trace(&after);
    assert!(after == expected, "the pass printed:\n{after}\nexpected:\n{expected}");
}
