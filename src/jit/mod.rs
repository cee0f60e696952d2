//! The tracing JIT: the state machine that turns hot loops into machine code.
//!
//! States per loop (counted by the VM in its `LoopSlot`): interpreted → recording (this
//! module's [`Jit`] drives a [`recorder::Recorder`]) → compiled (a `NativeLoop` installed on
//! the loop: the root of a trace tree), or aborted (the VM waits twice as long before trying
//! again, up to a cap: loops are forgiven, never blacklisted forever). Exits of a tree that
//! get hot are recorded as side traces ([`Tracer::start_side`]) and attached to the tree by
//! writing their parent's side-exit table; [`TraceMeta`] keeps what a side trace may assume
//! at each exit (slot types).
//!
//! Phases, one file each: `recorder/` (bytecode → trace IR, loop peeling; `calls.rs`: inlining), `ir.rs` (the
//! IR), `opt/` (the passes), `lower.rs` (IR → Cranelift → machine code), `runtime.rs` (what
//! machine code calls), `layout.rs` (memory layout for native code), `dump.rs` (the teaching
//! dump). The VM reaches the JIT only through the `interp::native::Tracer` trait this module
//! implements.

pub mod dump;
pub mod ir;
pub mod layout;
pub mod lower;
pub mod opt;
pub mod recorder;
pub mod runtime;

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::time::{Duration, Instant};

use crate::interp::bytecode::{CodeObject, Reg};
use crate::interp::native::{
    BLACKLIST_AFTER, ExitInfo, InlinedFrame, NativeLoop, RecordStatus, Running, SideExitSlot, SideState, Tracer,
};

use dump::DumpLevel;
use ir::{Op, Trace, Type};
use layout::ListLayout;
use lower::TreePlace;
use recorder::{Recorder, SideStart, Step};

/// Counters for `--stats`.
#[derive(Debug, Default, Clone)]
pub struct Stats {
    pub traces: u32,
    pub aborts: u32,
    pub recording: Duration,
    pub compiling: Duration,
}

/// A recorded trace and its bytecode, as `Recorder::close`/`close_side` return them.
type Recorded = (Trace, Vec<recorder::RecordedInstr>);

/// A trace after the optimizer and Cranelift.
struct Lowered {
    trace: Trace,
    pass_report: Vec<String>,
    compiled: lower::CompiledTrace,
}

/// What the JIT remembers of a compiled trace, to grow side traces from its exits.
struct TraceMeta {
    /// Per snapshot: the slot types established when that exit is taken.
    known_at_exit: Vec<HashMap<u16, Type>>,
    /// The trace's side-exit table (owned by its tree's `NativeLoop`, which outlives this use).
    side_exits: *const SideExitSlot,
    /// `file:line` of each snapshot's pc, for events.
    exit_lines: Vec<u32>,
    /// 0 for a root, its parent's depth + 1 for a side trace.
    depth: u32,
    /// The optimized trace, its place and (for a side trace) the exit it hangs from: what
    /// compiling its tree as one function needs.
    optimized: Rc<Trace>,
    place: TreePlace,
    parent: Option<(u32, u32)>,
}

/// Limits on a trace tree, so that a pathological program cannot grow side traces forever.
const MAX_SIDE_TRACES_PER_TREE: usize = 64;
const MAX_SIDE_TRACE_DEPTH: u32 = 16;

/// A tree is compiled as one function (side traces inside their exits) while its traces have
/// at most this many instructions in all; a larger tree keeps calling its side traces through
/// the side-exit tables. Each compile of the whole tree costs time in proportion to its size
/// (about 20 microseconds per instruction), and a large tree (many types, many branches) is
/// compiled again each time it grows: measured on the polymorphic benchmark (20 side traces,
/// 657 instructions), the compile time outweighed what the jumps saved.
const MAX_TREE_INSTS_IN_ONE_FUNCTION: usize = 400;

/// A side trace being recorded: where it will be attached.
struct SideTarget {
    root: Rc<NativeLoop>,
    /// The trace and snapshot of the exit it starts at.
    parent_trace: u32,
    parent_snapshot: u32,
}

/// The JIT: records hot loops and hot exits and compiles them.
pub struct Jit {
    recorder: Option<Recorder>,
    recording_started: Option<Instant>,
    side_target: Option<SideTarget>,
    layout: Option<ListLayout>,
    pub stats: Stats,
    pub dump_level: DumpLevel,
    /// The teaching dump, accumulated as events happen.
    pub dump: String,
    filename: String,
    next_trace_id: u32,
    /// Root traces (id, start description, tree), for the exit summary.
    compiled: Vec<(u32, String, Rc<NativeLoop>)>,
    metas: HashMap<u32, TraceMeta>,
    /// Side traces attached to each tree, by root trace number.
    side_traces_per_tree: HashMap<u32, usize>,
}

impl Jit {
    pub fn new(filename: &str, dump_level: DumpLevel) -> Jit {
        Jit {
            recorder: None,
            recording_started: None,
            side_target: None,
            layout: ListLayout::measure(),
            stats: Stats::default(),
            dump_level,
            dump: String::new(),
            filename: filename.to_string(),
            next_trace_id: 1,
            compiled: Vec::new(),
            metas: HashMap::new(),
            side_traces_per_tree: HashMap::new(),
        }
    }

    fn location(&self, code: &CodeObject, pc: usize) -> String {
        format!("{}:{} in {}", self.filename, code.lines.get(pc).copied().unwrap_or(0), code.name)
    }

    fn event(&mut self, text: String) {
        if self.dump_level.shows_events() {
            self.dump.push_str(&text);
            self.dump.push('\n');
        }
    }

    fn abort(&mut self, reason: &str) {
        self.stats.aborts += 1;
        let side = self.side_target.take();
        if let Some(recorder) = self.recorder.take() {
            if let Some(started) = self.recording_started.take() {
                self.stats.recording += started.elapsed();
            }
            let (code, pc) = recorder.start();
            let at = self.location(code, pc);
            match side {
                Some(side) => self.event(format!(
                    "[jit] aborted a side trace from T{} exit {} at {at}: {reason}",
                    side.parent_trace, side.parent_snapshot
                )),
                None => self.event(format!("[jit] aborted recording the loop at {at}: {reason}")),
            }
        }
    }

    /// Optimizes and compiles a trace; returns the machine code with the optimized IR.
    fn optimize_and_lower(&mut self, recorded_trace: &Trace, place: TreePlace) -> Result<Lowered, String> {
        if let Some(started) = self.recording_started.take() {
            self.stats.recording += started.elapsed();
        }
        let layout = self.layout.ok_or("the list layout could not be measured")?;
        let compile_start = Instant::now();
        let (trace, pass_report) = opt::optimize(recorded_trace.clone())?;
        let listings = lower::Listings {
            clif: self.dump_level.shows_full_ir(),
            disassembly: self.dump_level.shows_machine_code(),
        };
        let compiled = lower::compile_trace(&trace, &layout, place, listings)?;
        self.stats.compiling += compile_start.elapsed();
        Ok(Lowered { trace, pass_report, compiled })
    }

    /// A new trace number, counted in `--stats`.
    fn next_id(&mut self) -> u32 {
        let id = self.next_trace_id;
        self.next_trace_id += 1;
        self.stats.traces += 1;
        id
    }

    /// Adds a compiled trace to the dump, if it shows traces.
    fn report(&mut self, id: u32, heading: &str, ending: &str, recorded: &Recorded, lowered: &Lowered) {
        if self.dump_level.shows_traces() {
            let report = dump::TraceReport {
                id,
                heading,
                ending,
                recorded: &recorded.1,
                recorded_trace: &recorded.0,
                passes: &lowered.pass_report,
                trace: &lowered.trace,
                compiled: &lowered.compiled,
            };
            self.dump.push_str(&dump::trace_report(&report, self.dump_level));
        }
    }

    /// Traces compiled and side traces among them, exits taken: the `--stats` line and the
    /// REPL's `:stats` (with the time in native code when it was measured).
    pub fn stats_line(&self, native_time: Option<Duration>) -> String {
        let exits: u64 = self
            .compiled
            .iter()
            .map(|(_, _, native)| native.exits.borrow().iter().map(|e| e.count.get()).sum::<u64>())
            .sum();
        let side_traces: usize = self.side_traces_per_tree.values().sum();
        let s = &self.stats;
        let mut line = format!(
            "[jit] traces compiled: {} ({side_traces} side traces), recordings aborted: {}, trace exits: {exits}, recording: {:.3} ms, compiling: {:.3} ms",
            s.traces,
            s.aborts,
            s.recording.as_secs_f64() * 1e3,
            s.compiling.as_secs_f64() * 1e3
        );
        if let Some(native) = native_time {
            line.push_str(&format!(", in native code: {:.3} ms", native.as_secs_f64() * 1e3));
        }
        line
    }

    /// Closes the recorded loop and compiles it into a new trace tree.
    fn compile(&mut self, recorder: Recorder) -> Result<Rc<NativeLoop>, String> {
        let code = recorder.code.clone();
        let header_pc = recorder.header_pc;
        let recorded = recorder.close().map_err(|a| a.0)?;
        self.install_root(&code, header_pc, recorded, "loops back to its start")
    }

    /// Optimizes and compiles a root trace; returns its new tree.
    fn install_root(
        &mut self,
        code: &Rc<CodeObject>,
        header_pc: usize,
        recorded: Recorded,
        ending: &str,
    ) -> Result<Rc<NativeLoop>, String> {
        let lowered = self.optimize_and_lower(&recorded.0, TreePlace::root(self.next_trace_id))?;
        let id = self.next_id();
        let start = self.location(code, header_pc);
        self.report(id, &format!("the loop at {start}"), ending, &recorded, &lowered);
        let Lowered { trace, compiled, .. } = lowered;
        let table = SideExitSlot::empty_table(trace.snapshots.len());
        let place = TreePlace::root(id);
        self.metas.insert(id, trace_meta(Rc::new(trace.clone()), place, None, code, HashMap::new(), table.as_ptr(), 0));
        let (extent, inline_depth) = frame_reach(&trace, code);
        let native = Rc::new(NativeLoop {
            frame_extent: Cell::new(extent),
            inline_depth: Cell::new(inline_depth),
            entry: Cell::new(compiled.entry),
            side_exits: table.as_ptr(),
            header_pc: header_pc as u32,
            exits: RefCell::new(exit_infos(&trace, id)),
            trace_id: id,
            owners: RefCell::new(vec![Box::new(compiled), Box::new(table)]),
            merge_wait: Cell::new(0),
            merges: Cell::new(0),
        });
        self.compiled.push((id, start, native.clone()));
        Ok(native)
    }

    /// Ends a loop's recording at the header of an inner loop that has a trace (`target`, at
    /// `target_pc`): the new root runs the outer loop's part of an iteration, then links there.
    fn compile_linking_root(
        &mut self,
        recorder: Recorder,
        target: u32,
        target_pc: usize,
    ) -> Result<Rc<NativeLoop>, String> {
        let code = recorder.code.clone();
        let header_pc = recorder.header_pc;
        let recorded = recorder.close_side(target, target_pc);
        self.install_root(&code, header_pc, recorded, &format!("links to T{target} (the VM enters it at once)"))
    }

    /// Closes a side trace at a loop header, compiles it and attaches it to its exit.
    fn compile_side(&mut self, recorder: Recorder, target: u32, target_pc: usize) -> Result<u32, String> {
        let side = self.side_target.take().ok_or("no side trace target")?;
        let code = recorder.code.clone();
        let (start_code, start_pc) = recorder.start();
        let start_code = start_code.clone();
        let known = recorder.side.as_ref().map(|s| s.known.clone()).unwrap_or_default();
        let recorded = recorder.close_side(target, target_pc);
        let root = side.root.clone();
        let place =
            TreePlace { exit_base: root.exits.borrow().len() as u32, root_trace: root.trace_id, is_root: false };
        let lowered = self.optimize_and_lower(&recorded.0, place)?;
        let id = self.next_id();
        *self.side_traces_per_tree.entry(root.trace_id).or_default() += 1;
        let start = self.location(&start_code, start_pc);
        let ending = if target == root.trace_id {
            format!("links to T{target} (re-enters its loop)")
        } else {
            format!("links to T{target} (the VM enters it at once)")
        };
        let heading = format!("side trace of T{} exit {}, at {start}", side.parent_trace, side.parent_snapshot);
        self.report(id, &heading, &ending, &recorded, &lowered);
        let Lowered { trace, compiled, .. } = lowered;
        let table = SideExitSlot::empty_table(trace.snapshots.len());
        let parent = self.metas.get(&side.parent_trace).ok_or("the parent trace is unknown")?;
        let depth = parent.depth + 1;
        let parent_at = Some((side.parent_trace, side.parent_snapshot));
        let meta = trace_meta(Rc::new(trace.clone()), place, parent_at, &code, known, table.as_ptr(), depth);
        // SAFETY: the parent's table has one slot per snapshot of the parent and lives as long
        // as the tree (`root.owners`); `parent_snapshot` is one of them.
        let slot = unsafe { &*parent.side_exits.add(side.parent_snapshot as usize) };
        slot.entry.set(Some(compiled.entry));
        slot.table.set(table.as_ptr());
        root.exits.borrow_mut().extend(exit_infos(&trace, id));
        let (extent, inline_depth) = frame_reach(&trace, &code);
        root.frame_extent.set(root.frame_extent.get().max(extent));
        root.inline_depth.set(root.inline_depth.get().max(inline_depth));
        root.owners.borrow_mut().push(Box::new(compiled));
        root.owners.borrow_mut().push(Box::new(table));
        self.metas.insert(id, meta);
        self.event(format!(
            "[jit] side trace T{id} attached to T{} exit {} (at {start}); it {ending}",
            side.parent_trace, side.parent_snapshot
        ));
        Ok(id)
    }

    /// Compiles the tree of `root` again as one function, its side traces inside the exits they
    /// hang from, and installs it as the tree's entry: an exit then runs on into its side trace
    /// without a call, and a side trace's link back to the root is a jump to the root's start,
    /// not a return to the VM. Only trees with a side trace linking back to the root, and of
    /// at most `MAX_TREE_INSTS_IN_ONE_FUNCTION` instructions, are compiled again. The traces
    /// compiled one by one stay as they are (they are still right, and the side-exit tables
    /// still name them); if this fails, the tree keeps them.
    fn compile_tree_as_one(&mut self, root: &NativeLoop) {
        let mut ids: Vec<u32> =
            self.metas.iter().filter(|(_, m)| m.place.root_trace == root.trace_id).map(|(&id, _)| id).collect();
        // Trace numbers grow, so each side trace comes after its parent.
        ids.sort_unstable();
        let size: usize = ids.iter().map(|id| self.metas[id].optimized.insts.len()).sum();
        if size > MAX_TREE_INSTS_IN_ONE_FUNCTION || ids.first() != Some(&root.trace_id) {
            return;
        }
        // The gain is mostly a side trace's link back to the root becoming a jump; a tree whose
        // side traces all leave for other loops is not worth the compile time.
        let links_back = ids[1..].iter().any(|id| {
            matches!(self.metas[id].optimized.insts.last().map(|i| i.op), Some(Op::Link { trace, .. }) if trace == root.trace_id)
        });
        if !links_back {
            return;
        }
        let members: Result<Vec<lower::TreeMember<'_>>, String> = ids
            .iter()
            .map(|id| {
                let meta = &self.metas[id];
                let parent = match meta.parent {
                    None => None,
                    Some((trace, snap)) => {
                        let index =
                            ids.iter().position(|&i| i == trace).ok_or("a side trace's parent is not in its tree")?;
                        Some((index, snap))
                    }
                };
                Ok(lower::TreeMember { trace: &meta.optimized, place: meta.place, parent })
            })
            .collect();
        let Some(layout) = self.layout else { return };
        let listings = lower::Listings { clif: false, disassembly: self.dump_level.shows_machine_code() };
        let compile_start = Instant::now();
        let compiled = members.and_then(|members| lower::compile_tree(&members, &layout, listings));
        self.stats.compiling += compile_start.elapsed();
        let names = ids[1..].iter().map(|id| format!("T{id}")).collect::<Vec<_>>().join(", ");
        match compiled {
            Ok(compiled) => {
                root.entry.set(compiled.entry);
                root.merges.set(root.merges.get() + 1);
                if let Some(listing) = &compiled.disassembly {
                    self.dump.push_str(&format!(
                        "---- the tree of T{} as one function (with {names}): machine code ({} bytes) ----\n{listing}",
                        root.trace_id, compiled.code_size
                    ));
                }
                root.owners.borrow_mut().push(Box::new(compiled));
                self.event(format!(
                    "[jit] the tree of T{} is compiled again as one function, with {names} inside its exits",
                    root.trace_id
                ));
            }
            Err(reason) => {
                self.event(format!("[jit] the tree of T{} stays in pieces: {reason}", root.trace_id));
            }
        }
    }
}

/// The VM's view of a trace's exits: one per snapshot. Exits that resume at a loop header to
/// poll Ctrl-C or to link never grow side traces.
fn exit_infos(trace: &Trace, trace_id: u32) -> Vec<ExitInfo> {
    let mut never = vec![false; trace.snapshots.len()];
    for inst in &trace.insts {
        if let Op::CheckInterrupt { snap } | Op::Link { snap, .. } = inst.op {
            never[snap.0 as usize] = true;
        }
    }
    trace
        .snapshots
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let frames: Vec<InlinedFrame> = trace
                .call_chain(s)
                .into_iter()
                .map(|call| InlinedFrame {
                    code: call.code.clone(),
                    base: u32::from(call.base),
                    return_to: Reg(call.return_to),
                    caller_resume: call.caller_resume,
                })
                .collect();
            let side = if never[i] { SideState::Never } else { SideState::Cold };
            ExitInfo {
                pc: s.pc,
                frames,
                unbound: s.unbound.clone(),
                count: Cell::new(0),
                since_attempt: Cell::new(0),
                trace_id,
                snapshot: i as u32,
                side: Cell::new(side),
                side_aborts: Cell::new(0),
            }
        })
        .collect()
}

/// How many slots from the frame's slot 0 a trace touches, and how deep its inlined calls go.
fn frame_reach(trace: &Trace, code: &CodeObject) -> (usize, usize) {
    let extent = trace.calls.iter().map(|c| c.base as usize + c.code.nslots as usize).max().unwrap_or(0);
    let depth = trace.snapshots.iter().map(|s| trace.call_chain(s).len()).max().unwrap_or(0);
    (extent.max(code.nslots as usize), depth)
}

/// What a side trace starting at each exit of `trace` may assume: the types the trace had
/// established before the first instruction using that snapshot (its type guards and loads,
/// plus what its own parent knew), overridden by the types of the values the exit writes.
fn trace_meta(
    optimized: Rc<Trace>,
    place: TreePlace,
    parent: Option<(u32, u32)>,
    code: &CodeObject,
    inherited: HashMap<u16, Type>,
    side_exits: *const SideExitSlot,
    depth: u32,
) -> TraceMeta {
    let trace = &*optimized;
    let mut known = inherited;
    let mut at_exit: Vec<Option<HashMap<u16, Type>>> = vec![None; trace.snapshots.len()];
    for inst in &trace.insts {
        if let Some(snap) = inst.op.snapshot() {
            let entry = &mut at_exit[snap.0 as usize];
            if entry.is_none() {
                let mut types = known.clone();
                for &(slot, r) in &trace.snapshots[snap.0 as usize].slots {
                    types.insert(slot, trace.ty(r));
                }
                *entry = Some(types);
            }
        }
        match inst.op {
            Op::GuardTag { slot, tag, .. } => {
                if let Some(ty) = Type::of_tag(tag) {
                    known.insert(slot, ty);
                }
            }
            Op::SlotInt { slot } | Op::SlotFloat { slot } | Op::SlotBool { slot } | Op::SlotPtr { slot } => {
                known.insert(slot, inst.ty);
            }
            // The runtime wrote None into the call's result register.
            Op::ListAppend { result, .. } => {
                known.remove(&result);
            }
            _ => {}
        }
    }
    TraceMeta {
        known_at_exit: at_exit.into_iter().map(Option::unwrap_or_default).collect(),
        side_exits,
        exit_lines: trace
            .snapshots
            .iter()
            .map(|s| {
                let code = trace.call_chain(s).last().map_or(code, |call| &call.code);
                code.lines.get(s.pc as usize).copied().unwrap_or(0)
            })
            .collect(),
        depth,
        optimized: optimized.clone(),
        place,
        parent,
    }
}

impl Tracer for Jit {
    fn start(&mut self, code: &Rc<CodeObject>, header_pc: usize, loop_id: usize, now: &Running<'_>) {
        self.recording_started = Some(Instant::now());
        self.side_target = None;
        let mut recorder = Recorder::new(code, header_pc, loop_id, now.depth);
        recorder.listing = self.dump_level.shows_traces();
        match recorder.record(header_pc, now) {
            Ok(_) => self.recorder = Some(recorder),
            Err(reason) => {
                self.recorder = Some(recorder);
                self.abort(&reason.0);
            }
        }
    }

    fn start_side(&mut self, code: &Rc<CodeObject>, root: &Rc<NativeLoop>, exit: usize, depth: usize) {
        let (pc, parent_trace, parent_snapshot) = {
            let exits = root.exits.borrow();
            let info = &exits[exit];
            (info.pc as usize, info.trace_id, info.snapshot)
        };
        let known = self
            .metas
            .get(&parent_trace)
            .and_then(|meta| meta.known_at_exit.get(parent_snapshot as usize).cloned())
            .unwrap_or_default();
        self.recording_started = Some(Instant::now());
        let parent_depth = self.metas.get(&parent_trace).map_or(0, |m| m.depth);
        let side_traces = self.side_traces_per_tree.get(&root.trace_id).copied().unwrap_or(0);
        let refusal = if side_traces >= MAX_SIDE_TRACES_PER_TREE {
            Some(format!("the trace tree of T{} already has {side_traces} side traces", root.trace_id))
        } else if parent_depth >= MAX_SIDE_TRACE_DEPTH {
            Some(format!("side traces already nest {parent_depth} deep here"))
        } else {
            None
        };
        if let Some(reason) = refusal {
            self.stats.aborts += 1;
            self.recording_started = None;
            self.event(format!("[jit] no side trace from T{parent_trace} exit {parent_snapshot}: {reason}"));
            return;
        }
        let start = SideStart { root_trace: root.trace_id, root_header_pc: root.header_pc as usize, known };
        let recorder = {
            let exits = root.exits.borrow();
            Recorder::new_side(code, pc, depth, start, &exits[exit].frames, &exits[exit].unbound)
        };
        match recorder {
            Ok(mut recorder) => {
                recorder.listing = self.dump_level.shows_traces();
                self.recorder = Some(recorder);
                self.side_target = Some(SideTarget { root: root.clone(), parent_trace, parent_snapshot });
            }
            Err(reason) => {
                self.stats.aborts += 1;
                self.recording_started = None;
                self.event(format!("[jit] no side trace from T{parent_trace} exit {parent_snapshot}: {}", reason.0));
            }
        }
    }

    fn record(&mut self, _code: &Rc<CodeObject>, pc: usize, now: &Running<'_>) -> RecordStatus {
        let Some(recorder) = self.recorder.as_mut() else { return RecordStatus::Aborted };
        match recorder.record(pc, now) {
            Ok(Step::Continue) => RecordStatus::Continue,
            Ok(Step::Closed) => {
                let recorder = self.recorder.take().expect("recording");
                match self.compile(recorder) {
                    Ok(native) => RecordStatus::Compiled(native),
                    Err(reason) => {
                        self.stats.aborts += 1;
                        self.event(format!("[jit] could not compile the loop: {reason}"));
                        RecordStatus::Aborted
                    }
                }
            }
            Ok(Step::Link { trace, pc }) if self.side_target.is_none() => {
                // A loop whose iteration runs into an inner loop with a trace: a root trace that
                // does not loop but links to the inner one.
                let recorder = self.recorder.take().expect("recording");
                match self.compile_linking_root(recorder, trace, pc) {
                    Ok(native) => RecordStatus::Compiled(native),
                    Err(reason) => {
                        self.stats.aborts += 1;
                        self.event(format!("[jit] could not compile the loop: {reason}"));
                        RecordStatus::Aborted
                    }
                }
            }
            Ok(Step::Link { trace, pc }) => {
                let recorder = self.recorder.take().expect("recording");
                match self.compile_side(recorder, trace, pc) {
                    Ok(_) => RecordStatus::Attached,
                    Err(reason) => {
                        self.stats.aborts += 1;
                        self.event(format!("[jit] could not compile a side trace: {reason}"));
                        RecordStatus::Aborted
                    }
                }
            }
            Err(reason) => {
                self.abort(&reason.0);
                RecordStatus::Aborted
            }
        }
    }

    fn cancel(&mut self, reason: &str) {
        if self.recorder.is_some() {
            self.abort(reason);
        }
    }

    fn compile_tree(&mut self, root: &NativeLoop) {
        self.compile_tree_as_one(root);
    }

    fn side_aborted(&mut self, root: &NativeLoop, exit: usize, aborts: u32) {
        if aborts == BLACKLIST_AFTER {
            let (trace, snapshot) = {
                let exits = root.exits.borrow();
                (exits[exit].trace_id, exits[exit].snapshot)
            };
            let line = self.metas.get(&trace).and_then(|m| m.exit_lines.get(snapshot as usize).copied()).unwrap_or(0);
            self.event(format!(
                "[jit] T{trace} exit {snapshot} (line {line}) blacklisted after {aborts} failed side traces \
                 (tried again only after many more exits)"
            ));
        }
    }

    fn finish(&mut self) -> String {
        let mut out = std::mem::take(&mut self.dump);
        if self.dump_level.shows_events() {
            for (_, start, native) in &self.compiled {
                let exits = native.exits.borrow();
                let mut by_trace: Vec<(u32, Vec<String>)> = Vec::new();
                for info in exits.iter().filter(|e| e.count.get() > 0) {
                    let count = info.count.get();
                    let mut text = format!(
                        "exit {} (pc {}) taken {count} time{}",
                        info.snapshot,
                        info.pc,
                        if count == 1 { "" } else { "s" }
                    );
                    if info.side.get() == SideState::Attached {
                        text.push_str(", then its side trace ran");
                    }
                    match by_trace.iter_mut().find(|(t, _)| *t == info.trace_id) {
                        Some((_, list)) => list.push(text),
                        None => by_trace.push((info.trace_id, vec![text])),
                    }
                }
                for (trace, taken) in by_trace {
                    let place = if trace == native.trace_id { format!(" at {start}") } else { String::new() };
                    out.push_str(&format!("[jit] T{trace}{place}: {}\n", taken.join(", ")));
                }
            }
        }
        out
    }

    fn as_any(&mut self) -> &mut dyn Any {
        self
    }
}
