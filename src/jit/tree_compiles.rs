//! Compiles under way: a loop's root, a side trace and a tree compiled again as one function are
//! prepared here on the interpreter's thread and handed to the [`Compiler`]
//! (`compile_thread.rs`); what comes back is finished and installed by
//! [`Forest::next_installed`], which the lifecycle (`trace.rs`) calls at its safe points. In the
//! inline mode the result is there at once and installed right after the submission, in the
//! order the synchronous JIT had.
//!
//! What waits meanwhile: a loop's header is interpreted (its `LoopState` is compiling), an exit
//! whose side trace compiles goes to the VM (`SideState::Compiling`: counted, never recorded
//! again), a tree runs in pieces until its one function is ready (`Tree::merging`). An install
//! checks that what it goes into is still there and the same: a side trace's exit still waits
//! for this very job, a tree was not dropped (a rebound global), a tree's one function is the
//! last one asked for; otherwise the result is dropped (its code freed) and counted as stale.
//!
//! Touches: the forest's trees, metas, stats and dump; the side-exit tables the machine code
//! reads (at installs only).

use std::collections::HashMap;
use std::rc::Rc;
use std::time::Duration;

use crate::interp::engine::bytecode::CodeObject;
use crate::interp::engine::native::SideExitSlot;

use super::super::compile_stats::{CompileClock, CompileKind, Spent};
use super::super::compile_thread::{CompileMode, Generated, Ran};
use super::super::ir::Trace;
use super::super::lower::{self, TreePlace};
use super::super::model::{IrStage, TraceKind};
use super::super::recorder::Recorder;
use super::{Forest, Lowered, Recorded, SideEnd, SideState, SideTarget, TraceMeta, Tree, exits_of, frame_reach};

/// A trace after the optimizer, its compile prepared (`lower_codegen.rs`).
pub(super) struct Optimized {
    pub trace: Rc<Trace>,
    pub pass_report: Vec<String>,
    pub stages: Vec<IrStage>,
    pub optimizer: Duration,
    /// Started before the optimizer: the interpreter's thread's share of the compile.
    pub clock: CompileClock,
    pub prepared: lower::Prepared,
}

/// Who waits for a function's entry: the function's key and the lifecycle's count of rebound
/// globals when it was recorded.
pub(in crate::jit) type EntryWaiter = (usize, u64);

/// What a compile under way is for.
pub(super) enum Waiting {
    /// A loop's root trace `id`: a new tree once compiled.
    Root {
        id: u32,
        key: usize,
        rebinds: u64,
        code: Rc<CodeObject>,
        header_pc: usize,
        ending: String,
        links_to: Option<u32>,
    },
    /// Side trace `id`, from `exit` of `tree` (whose metas and exits are in place already).
    Side {
        id: u32,
        side: SideTarget,
        code: Rc<CodeObject>,
        place: TreePlace,
        heading: String,
        ending: String,
        start: String,
    },
    /// `tree` as one function of the traces `ids`.
    TreeAsOne { tree: usize, ids: Vec<u32> },
    /// Entry trace `id` of `code`: a new tree once compiled (`tree_entries.rs`).
    Entry { id: u32, code: Rc<CodeObject>, waiter: EntryWaiter },
    /// Entry prefix `id` of `code`, for loop tree `tree` (whose metas and exits are in place
    /// already).
    Prefix { id: u32, tree: usize, code: Rc<CodeObject>, waiter: EntryWaiter },
}

/// What a submission reports to the stats, and keeps for the dump.
struct Submitted {
    kind: CompileKind,
    ir_insts: usize,
    optimizer: Duration,
    optimized: Option<TraceParts>,
}

/// A trace's optimized IR, its passes and stages, and its recording: what the dump shows.
type TraceParts = (Rc<Trace>, Vec<String>, Vec<IrStage>, Recorded);

/// A compile under way: what it is for and what finishing it needs.
pub(super) struct Pending {
    waiting: Waiting,
    rest: lower::FinishParts,
    /// For a trace: the optimized trace and what the dump shows of it, with the recording.
    optimized: Option<TraceParts>,
    kind: CompileKind,
    ir_insts: usize,
    optimizer: Duration,
    /// Time on the interpreter's thread so far (preparing; in the inline mode generating too).
    spent: Spent,
    /// When it was submitted (`TOYJIT_COMPILE_LOG` shows how long it took to come back).
    submitted: std::time::Instant,
}

/// What the lifecycle learns when a compile came back and was installed (or failed).
pub(in crate::jit) enum Installed {
    /// The root of the loop `key` (recorded with `rebinds` rebound builtins): its tree's index.
    Root { key: usize, rebinds: u64, job: u64, result: Result<usize, String> },
    /// The side trace of `exit` of `tree`.
    Side { tree: usize, exit: usize, result: Result<(), String> },
    /// The entry of the function `waiter` names: the index of its tree (a new one, or the
    /// loop's tree it is the `prefix` of).
    Entry { waiter: EntryWaiter, job: u64, prefix: bool, result: Result<usize, String> },
}

/// A trace's compiled code with the optimized trace and recording its submission kept (every
/// compile of one trace keeps them; only a tree compiled as one function has none).
fn with_trace(optimized: Option<TraceParts>, compiled: lower::CompiledTrace) -> (Lowered, Recorded) {
    let (trace, pass_report, stages, recorded) = optimized.expect("a trace's compile keeps its trace");
    (Lowered { trace, pass_report, stages, compiled }, recorded)
}

impl Forest {
    /// Where code generation runs now: the requested mode, but inline whenever the dump or the
    /// explorer is on (they show compiles in the order they happen, which must not depend on
    /// timing).
    fn compile_mode(&self) -> CompileMode {
        if self.dump_level.shows_events() || self.keep_model { CompileMode::Inline } else { self.requested_mode }
    }

    /// A recording starts: in the background mode, starts the compile threads now if they are
    /// not running yet, warming the compiler up there for the compile that will follow
    /// (`lower_prewarm.rs`).
    pub(in crate::jit) fn warm_up(&mut self) {
        if let (CompileMode::Background, Some(layout)) = (self.compile_mode(), self.layout) {
            self.compiler.warm_up(layout);
        }
    }

    /// Generates compile `job` on this thread now, if the compile thread has not started it.
    pub(in crate::jit) fn take_back(&mut self, job: u64) -> bool {
        self.compiler.take_back(job)
    }

    /// Clears the compile thread's "code waiting" flag if no compile is under way (it sets
    /// the flag after sending a result, which may come after the result was taken).
    pub(in crate::jit) fn no_compile_waiting(&mut self) {
        self.compiler.no_result_waiting();
    }

    /// Are compiles under way?
    pub(in crate::jit) fn has_pending(&self) -> bool {
        self.compiler.has_pending()
    }

    /// Hands a prepared compile (started at `clock`) to the compiler; returns its job number.
    fn submit(&mut self, prepared: lower::Prepared, clock: &CompileClock, waiting: Waiting, what: Submitted) -> u64 {
        let lower::Prepared { job, rest } = prepared;
        let urgent = !matches!(waiting, Waiting::TreeAsOne { .. });
        // A function's entry tree (or a loop's tree with an entry prefix) runs from native
        // calls, which visit no safe point but exits: its code starts with a poll
        // (`lower_entry_poll.rs`), so that its one function compiled in the background is
        // installed at the next call once it is ready (bench/calls.toy's tak(): one call from
        // the module, then 300 ms of native recursion).
        let number = self.compiler.submit(job, self.compile_mode(), urgent);
        // In the inline mode, the code generation is in here too.
        let spent = clock.spent();
        let Submitted { kind, ir_insts, optimizer, optimized } = what;
        let submitted = std::time::Instant::now();
        self.pending.insert(number, Pending { waiting, rest, optimized, kind, ir_insts, optimizer, spent, submitted });
        number
    }

    /// Submits an optimized trace's compile.
    pub(super) fn submit_trace(
        &mut self,
        optimized: Optimized,
        kind: CompileKind,
        waiting: Waiting,
        recorded: Recorded,
    ) -> u64 {
        let Optimized { trace, pass_report, stages, optimizer, clock, prepared } = optimized;
        let ir_insts = trace.insts.len();
        let what = Submitted { kind, ir_insts, optimizer, optimized: Some((trace, pass_report, stages, recorded)) };
        self.submit(prepared, &clock, waiting, what)
    }

    /// Finishes and installs the next compile that came back, if any (dropping stale ones).
    pub(in crate::jit) fn next_installed(&mut self) -> Option<Installed> {
        loop {
            let generated = self.compiler.try_next()?;
            let Some(pending) = self.pending.remove(&generated.job) else { continue };
            if let Some(installed) = self.install(generated, pending) {
                return Some(installed);
            }
        }
    }

    /// Is what `waiting` goes into still there and the same?
    fn still_wanted(&self, waiting: &Waiting, job: u64) -> bool {
        match waiting {
            // The lifecycle checks that the function still waits; a prefix, that its tree
            // is still there (`attach_prefix`).
            Waiting::Root { .. } | Waiting::Entry { .. } | Waiting::Prefix { .. } => true,
            Waiting::Side { side, .. } => {
                let tree = &self.trees[side.tree];
                !tree.retired && tree.exits[side.exit].side == SideState::Compiling(job)
            }
            Waiting::TreeAsOne { tree, .. } => {
                let tree = &self.trees[*tree];
                !tree.retired && tree.merging.map(|(merging, _)| merging) == Some(job)
            }
        }
    }

    fn install(&mut self, generated: Generated, pending: Pending) -> Option<Installed> {
        let Generated { job, code, cpu, wall, ran, done } = generated;
        let Pending { waiting, rest, optimized, kind, ir_insts, optimizer, spent, submitted } = pending;
        if std::env::var_os("TOYJIT_COMPILE_LOG").is_some() {
            let (since_submitted, since_done) = (submitted.elapsed(), done.elapsed());
            eprintln!(
                "[compile] job {job} back after {:.3} ms, installed {:.3} ms after it was ready",
                since_submitted.as_secs_f64() * 1e3,
                since_done.as_secs_f64() * 1e3
            );
        }
        if !self.still_wanted(&waiting, job) {
            // Dropping `rest` frees its module (no code was placed in it).
            self.stats.compiles.dropped_stale();
            if let Waiting::Side { id, .. } = waiting {
                self.metas.remove(&id);
            }
            return None;
        }
        let clock = CompileClock::start();
        let compiled = code.and_then(|code| lower::finish(rest, code));
        let background = if ran == Ran::Background { cpu } else { Duration::ZERO };
        // Generated inline, it is in `spent` already; taken back, it is not.
        let taken_back = if ran == Ran::TakenBack { Spent { wall, cpu } } else { Spent::default() };
        if ran == Ran::TakenBack {
            self.stats.compiles.taken_back(cpu);
        }
        let spent = spent + taken_back + clock.spent();
        self.stats.compiling += match &compiled {
            Ok(compiled) => self.stats.compiles.record(kind, ir_insts, spent, background, optimizer, &compiled.cost),
            Err(_) => spent.wall,
        };
        match waiting {
            Waiting::TreeAsOne { tree, ids } => {
                self.trees[tree].merging = None;
                self.install_tree_as_one(tree, &ids, compiled);
                None
            }
            Waiting::Root { id, key, rebinds, code, header_pc, ending, links_to } => {
                let result = compiled.map(|compiled| {
                    let (lowered, recorded) = with_trace(optimized, compiled);
                    self.install_root(id, &code, header_pc, (&recorded, &ending, links_to), lowered)
                });
                Some(Installed::Root { key, rebinds, job, result })
            }
            Waiting::Entry { id, code, waiter } => {
                let result = compiled.map(|compiled| {
                    let (lowered, recorded) = with_trace(optimized, compiled);
                    self.build_entry_tree(id, &code, &recorded, lowered)
                });
                Some(Installed::Entry { waiter, job, prefix: false, result })
            }
            Waiting::Prefix { id, tree, code, waiter } => {
                let result = match compiled {
                    Ok(compiled) => {
                        let (lowered, recorded) = with_trace(optimized, compiled);
                        self.attach_prefix((id, tree), &code, &recorded, lowered)
                    }
                    Err(reason) => {
                        self.metas.remove(&id);
                        Err(reason)
                    }
                };
                Some(Installed::Entry { waiter, job, prefix: true, result })
            }
            Waiting::Side { id, side, code, place, heading, ending, start } => {
                let (tree, exit) = (side.tree, side.exit);
                let result = match compiled {
                    Ok(compiled) => {
                        let (mut lowered, recorded) = with_trace(optimized, compiled);
                        let kind = TraceKind::Side { parent: side.parent_trace, exit: side.parent_snapshot };
                        self.report((id, kind, place), (&heading, &ending), &recorded, &code, &mut lowered);
                        self.attach_side(id, &side, lowered.compiled, (&start, &ending));
                        Ok(())
                    }
                    Err(reason) => {
                        self.metas.remove(&id);
                        self.trees[tree].exits[exit].side = SideState::Cold;
                        Err(reason)
                    }
                };
                Some(Installed::Side { tree, exit, result })
            }
        }
    }

    /// Closes the recorded loop (the loop `key`, recorded with `rebinds` rebound builtins) and
    /// submits its compile; returns the job's number.
    pub(in crate::jit) fn install_loop(&mut self, recorder: Recorder, key: usize, rebinds: u64) -> Result<u64, String> {
        let code = recorder.code.clone();
        let header_pc = recorder.header_pc;
        let recorded = recorder.close().map_err(|a| a.0)?;
        self.submit_root(&code, header_pc, recorded, ("loops back to its start".into(), None), (key, rebinds))
    }

    /// Ends a loop's recording at the header of an inner loop that has a trace (`target`, at
    /// `target_pc`): the new root runs the outer loop's part of an iteration, then links there.
    pub(in crate::jit) fn install_linking_root(
        &mut self,
        recorder: Recorder,
        target: u32,
        target_pc: usize,
        waiter: (usize, u64),
    ) -> Result<u64, String> {
        let code = recorder.code.clone();
        let header_pc = recorder.header_pc;
        let recorded = recorder.close_side(target, target_pc);
        let ending = self.link_ending(target, &code);
        self.submit_root(&code, header_pc, recorded, (ending, Some(target)), waiter)
    }

    /// Optimizes a root trace and submits its compile (numbering it now).
    fn submit_root(
        &mut self,
        code: &Rc<CodeObject>,
        header_pc: usize,
        recorded: Recorded,
        (ending, links_to): (String, Option<u32>),
        (key, rebinds): (usize, u64),
    ) -> Result<u64, String> {
        let optimized = self.optimize_and_prepare(&recorded.0, TreePlace::root(self.next_trace_id), false)?;
        let id = self.next_id();
        let waiting = Waiting::Root { id, key, rebinds, code: code.clone(), header_pc, ending, links_to };
        Ok(self.submit_trace(optimized, CompileKind::Root, waiting, recorded))
    }

    /// Makes compiled root trace `id` a new tree; returns its index.
    fn install_root(
        &mut self,
        id: u32,
        code: &Rc<CodeObject>,
        header_pc: usize,
        (recorded, ending, links_to): (&Recorded, &str, Option<u32>),
        mut lowered: Lowered,
    ) -> usize {
        let start = self.location(code, header_pc);
        let heading = format!("the loop at {start}");
        let kind = TraceKind::Root { links_to };
        self.report((id, kind, TreePlace::root(id)), (&heading, ending), recorded, code, &mut lowered);
        let Lowered { trace, compiled, .. } = lowered;
        let clif_insts = compiled.cost.clif_insts;
        let table = SideExitSlot::empty_table(trace.snapshots.len());
        let place = TreePlace::root(id);
        let (frame_extent, inline_depth) = frame_reach(&trace, code);
        let exits = exits_of(&trace, id, code);
        let meta =
            TraceMeta::new(trace, place, None, code, &HashMap::new(), table.as_ptr(), 0).with_clif_insts(clif_insts);
        self.metas.insert(id, meta);
        let mut tree = Tree::new(id, code.clone(), header_pc, start, compiled.entry, table.as_ptr(), exits);
        tree.frame_extent = frame_extent;
        tree.inline_depth = inline_depth;
        tree.owners = vec![Box::new(compiled), Box::new(table)];
        self.trees.push(tree);
        self.trees.len() - 1
    }

    /// Closes a side trace at a loop header and submits its compile: its number, its exits
    /// and what growing its tree needs are in place at once, its exit waits
    /// (`SideState::Compiling`) until the code is attached. Returns the job's number.
    pub(in crate::jit) fn install_side(
        &mut self,
        recorder: Recorder,
        side: SideTarget,
        end: SideEnd,
    ) -> Result<u64, String> {
        let code = recorder.code.clone();
        let (start_code, start_pc) = recorder.start();
        let start_code = start_code.clone();
        let known = recorder.side.as_ref().map(|s| s.known.clone()).unwrap_or_default();
        let (root_id, exit_base) = (self.trees[side.tree].id, self.trees[side.tree].exits.len() as u32);
        let (recorded, ending) = match end {
            SideEnd::Link { trace: target, pc } if target == root_id => {
                (recorder.close_side(target, pc), format!("links to T{target} (re-enters its loop)"))
            }
            SideEnd::Link { trace: target, pc } => (recorder.close_side(target, pc), self.link_ending(target, &code)),
            SideEnd::Leave { pc } if code.instrs[pc].loop_id().is_some() => {
                let line = code.lines[pc];
                (
                    recorder.close_leave(pc),
                    format!("leaves at the loop at line {line}, which has no trace yet (the VM goes on there)"),
                )
            }
            SideEnd::Leave { pc } => {
                let name = &start_code.name;
                (recorder.close_leave(pc), format!("leaves at the return of {name}() (the VM returns)"))
            }
            SideEnd::Raise { pc } => (recorder.close_leave(pc), "leaves where it raises (the VM raises)".into()),
            SideEnd::Return => {
                (recorder.close_return(), format!("returns from {}() (its result in slot 0)", code.name))
            }
        };
        let place = TreePlace::side(exit_base, root_id);
        let for_now = self.side_trace_merged_at_once(side.tree, side.parent_trace, recorded.0.insts.len());
        let optimized = self.optimize_and_prepare(&recorded.0, place, for_now)?;
        let parent = self.metas.get(&side.parent_trace).ok_or("the parent trace is unknown")?;
        let depth = parent.depth + 1;
        let id = self.next_id();
        self.trees[side.tree].side_traces += 1;
        let start = self.location(&start_code, start_pc);
        let heading = format!("side trace of T{} exit {}, at {start}", side.parent_trace, side.parent_snapshot);
        let trace = optimized.trace.clone();
        let clif_insts = optimized.prepared.rest.cost().clif_insts;
        let table = SideExitSlot::empty_table(trace.snapshots.len());
        let (extent, inline_depth) = frame_reach(&trace, &code);
        let exits = exits_of(&trace, id, &code);
        let parent_at = Some((side.parent_trace, side.parent_snapshot));
        let mut meta =
            TraceMeta::new(trace, place, parent_at, &code, &known, table.as_ptr(), depth).with_clif_insts(clif_insts);
        meta.attached = false;
        let tree = &mut self.trees[side.tree];
        tree.exits.extend(exits);
        tree.frame_extent = tree.frame_extent.max(extent);
        tree.inline_depth = tree.inline_depth.max(inline_depth);
        tree.owners.push(Box::new(table));
        self.metas.insert(id, meta);
        let (tree, exit) = (side.tree, side.exit);
        let waiting = Waiting::Side { id, side, code, place, heading, ending, start };
        let job = self.submit_trace(optimized, CompileKind::Side, waiting, recorded);
        self.trees[tree].exits[exit].side = SideState::Compiling(job);
        Ok(job)
    }

    /// Attaches compiled side trace `id` to its exit: its parent's side-exit table names it.
    fn attach_side(
        &mut self,
        id: u32,
        side: &SideTarget,
        compiled: lower::CompiledTrace,
        (start, ending): (&str, &str),
    ) {
        let Some(meta) = self.metas.get_mut(&id) else { return };
        meta.attached = true;
        let table = meta.side_exits;
        let Some(parent) = self.metas.get(&side.parent_trace) else { return };
        // SAFETY: the parent's table has one slot per snapshot of the parent and lives as long
        // as the tree (`Tree::owners`); `parent_snapshot` is one of them.
        let slot = unsafe { &*parent.side_exits.add(side.parent_snapshot as usize) };
        slot.entry.set(Some(compiled.entry));
        slot.table.set(table);
        let tree = &mut self.trees[side.tree];
        tree.exits[side.exit].side = SideState::Attached;
        tree.attached_sides += 1;
        tree.owners.push(Box::new(compiled));
        self.event(format!(
            "[jit] side trace T{id} attached to T{} exit {} (at {start}); it {ending}",
            side.parent_trace, side.parent_snapshot
        ));
    }

    /// Submits the compile of `tree` as one function of the traces `ids` (of `ir_insts`
    /// instructions, prepared since `clock`'s start); a compile of the tree under way is
    /// superseded (its result will be stale).
    pub(super) fn submit_tree_as_one(
        &mut self,
        tree: usize,
        (ids, ir_insts): (Vec<u32>, usize),
        prepared: lower::Prepared,
        clock: &CompileClock,
    ) {
        let members = ids.len();
        let what = Submitted { kind: CompileKind::TreeAsOne, ir_insts, optimizer: Duration::ZERO, optimized: None };
        let job = self.submit(prepared, clock, Waiting::TreeAsOne { tree, ids }, what);
        self.trees[tree].merging = Some((job, members));
    }
}
