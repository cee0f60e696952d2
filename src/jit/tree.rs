//! Trace trees: a root trace and the side traces grown from its exits, and installing compiled
//! traces into them.
//!
//! A [`Tree`] is what the JIT keeps for one compiled loop: the machine code to call, one
//! [`Exit`] per exit of the root and its side traces (where it resumes, how often it was taken,
//! whether a side trace hangs from it), and the code memory it owns. Installing happens three
//! ways: a closed loop becomes a new tree ([`Forest::install_loop`]); a side trace is written
//! into its parent's side-exit table, so that the VM never sees that exit again
//! ([`Forest::install_side`]); and a tree that has settled, and run long enough to pay for it
//! ([`Forest::tree_settled`]), is compiled again as one function, its side traces inside their
//! parents' exits ([`Forest::compile_tree_as_one`], in `tree_merge.rs`). [`TraceMeta`] keeps,
//! per trace, what growing and recompiling the tree needs (the optimized IR, the slot types
//! known at each exit).
//!
//! Touches: its own trees, metas, stats and dump; the side-exit tables the machine code reads.
//! Knows nothing of when things are recorded (that is `trace.rs`).

use std::any::Any;
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Duration;

use crate::interp::engine::bytecode::{CodeObject, Instr};
use crate::interp::engine::native::{InlinedFrames, NativeCall, NativeEntry, SideExitSlot};

use super::compile_stats::{CompileClock, CompileStats};
use super::compile_thread::{CompileMode, Compiler};
use super::dump::{self, DumpLevel};
use super::ir::{Op, Trace, Type};
use super::layout::ListLayout;
use super::lower::{self, TreePlace};

#[path = "tree_compiles.rs"]
mod compiles;
#[path = "tree_entries.rs"]
mod entries;
#[path = "tree_merge.rs"]
mod merge;
use super::model::{AbortLog, EventKind, IrStage, JitEvent, TraceKind, TraceParts, TraceRecord};
use super::opt;
use super::recorder;
use super::snap;
use super::trace::stitch::{self, StitchTo};
pub(in crate::jit) use compiles::Installed;

/// Counters for `--stats`.
#[derive(Debug, Default, Clone)]
pub struct Stats {
    pub traces: u32,
    /// Function-entry trees among the traces.
    pub entry_traces: u32,
    pub aborts: u32,
    pub recording: Duration,
    pub compiling: Duration,
    /// `compiling` by kind of compile and by phase.
    pub compiles: CompileStats,
}

/// A side trace being recorded: where it will be attached.
pub(super) struct SideTarget {
    /// The tree (an index into `Forest::trees`) and its exit number.
    pub tree: usize,
    pub exit: usize,
    /// The trace and snapshot of the exit it starts at.
    pub parent_trace: u32,
    pub parent_snapshot: u32,
}

/// The compiled side of the JIT: every tree, what each trace left for growing its tree, and where
/// compiling reports to (the stats and the dump). The lifecycle ([`super::Jit`], `trace.rs`)
/// owns one and asks it to install what it recorded.
pub(super) struct Forest {
    /// Every tree compiled, in order (a dropped one stays, for the exit summary).
    pub trees: Vec<Tree>,
    pub metas: HashMap<u32, TraceMeta>,
    next_trace_id: u32,
    layout: Option<ListLayout>,
    pub stats: Stats,
    pub dump_level: DumpLevel,
    /// The teaching dump, accumulated as events happen.
    pub dump: String,
    filename: String,
    /// Keep the trace model for the explorer (`--explore`): every trace's record and event.
    pub keep_model: bool,
    pub model: Vec<super::model::TraceRecord>,
    pub model_events: Vec<JitEvent>,
    /// Aborted recordings, grouped for the dump and the explorer.
    pub aborts: AbortLog,
    /// Per tree: the time spent in its machine code, when measured (`--explore`).
    pub native_time: Vec<Duration>,
    /// Compile time spent inside a timed call into machine code since the VM last reported one
    /// (`Jit::native_ran` takes it out of the native time).
    pub compiling_in_native: Duration,
    /// Per trace: its exits' source lines and why each is taken, for the exit summary.
    exit_reasons: HashMap<u32, Vec<(u32, String)>>,
    /// Per trace: per exit, the temporaries it writes and the expressions they hold (a side
    /// trace grown there reads them: `r28` is `zr2 + zi2`).
    exit_values: HashMap<u32, Vec<Vec<(u16, String)>>>,
    /// Where code generation runs (`compile_thread.rs`), as asked for, and the compiles
    /// under way (`tree_compiles.rs`).
    requested_mode: CompileMode,
    compiler: Compiler,
    pending: HashMap<u64, compiles::Pending>,
}

/// Does `trace` end linking to the root trace `root_id` (re-entering its loop)?
fn links_to(trace: &Trace, root_id: u32) -> bool {
    matches!(trace.insts.last().map(|i| i.op), Some(Op::Link { trace, .. }) if trace == root_id)
}

/// A recorded trace and its bytecode, as `Recorder::close`/`close_side` return them.
type Recorded = (Trace, Vec<recorder::RecordedInstr>);

/// A trace after the optimizer and Cranelift.
struct Lowered {
    trace: Rc<Trace>,
    pass_report: Vec<String>,
    /// The IR after each pass, when the dump or the explorer shows it.
    stages: Vec<IrStage>,
    compiled: lower::CompiledTrace,
}

/// Limits on a trace tree, so that a pathological program cannot grow side traces forever.
const MAX_SIDE_TRACES_PER_TREE: usize = 64;
const MAX_SIDE_TRACE_DEPTH: u32 = 16;

/// Whether an exit may grow a side trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum SideState {
    /// Not yet: counting towards the hot-exit threshold.
    Cold,
    /// A side trace is attached (the exit's machine code calls it; the VM sees this exit no more).
    Attached,
    /// Never: the exit resumes at a loop header (an interrupt check, a link to another loop).
    Never,
    /// Its side trace is being compiled (job number): until it is attached, the exit goes to
    /// the VM, counted, and is not recorded again (`tree_compiles.rs`).
    Compiling(u64),
}

/// One exit of a trace tree.
pub(super) struct Exit {
    /// The bytecode pc to resume at (in the innermost inlined frame, if any).
    pub pc: u32,
    /// The inlined calls running at this exit, which the VM re-creates.
    pub frames: Option<Rc<InlinedFrames>>,
    /// How often the exit was taken (returned to the VM).
    pub count: u64,
    /// Exits taken since the last attempt to record a side trace here.
    pub since_attempt: u64,
    /// The trace (`T2`) and its snapshot number this exit belongs to.
    pub trace_id: u32,
    pub snapshot: u32,
    pub side: SideState,
    /// Failed attempts to record a side trace here; each doubles the wait before the next.
    pub side_aborts: u32,
    /// A `Link` or `Leave` to the header of another loop of the frame the tree runs on: the
    /// VM goes on in that loop's tree at once when it has one (a stitched jump, `Jit::stitch`).
    pub stitch: Option<StitchTo>,
    /// Of `count`, the times it went on in another tree's native code at once.
    pub stitched: u64,
}

/// Machine code for one loop and the side traces grown from its exits.
pub(super) struct Tree {
    /// The root trace's number (`T3` in the dump).
    pub id: u32,
    /// The code of the loop and the pc of its header.
    pub code: Rc<CodeObject>,
    pub header_pc: usize,
    /// Where the loop is, for the exit summary.
    pub start: String,
    /// Replaced when the tree is compiled again as one function with its side traces.
    pub entry: NativeEntry,
    /// The root trace's side-exit table.
    pub side_exits: *const SideExitSlot,
    /// Every exit of the tree, numbered as the machine code returns them.
    pub exits: Vec<Exit>,
    /// See [`NativeCall::frame_extent`] and [`NativeCall::inline_depth`].
    pub frame_extent: usize,
    pub inline_depth: usize,
    /// Keeps the machine code and side-exit tables of the root and its side traces alive.
    owners: Vec<Box<dyn Any>>,
    /// Runs of the tree left before it is compiled again as one function with the side traces
    /// attached since (0: nothing to do). Set when a side trace is attached, so that a tree
    /// growing several side traces in a row is compiled once they have settled.
    pub merge_wait: u32,
    /// Runs of the tree counted while it waited to be compiled again as one function, since it
    /// last was (or was compiled at all): what the compile must be paid by
    /// ([`Forest::tree_settled`]).
    pub runs_since_merge: u64,
    /// How many traces its last compile as one function took (0: none yet).
    pub merged_members: usize,
    /// How many times the tree was compiled as one function (each time, the next waits longer).
    pub merges: u32,
    /// Side traces attached.
    pub side_traces: usize,
    /// Of them, those whose code is attached (the others are compiling: `tree_compiles.rs`).
    pub attached_sides: usize,
    /// A function-entry tree (its root starts at the function's first instruction and returns).
    pub function_entry: bool,
    /// The entry of the loop's function, when it has one that runs into this loop's tree.
    pub prefix: Option<EntryPrefix>,
    /// Dropped (a global it loaded was rebound): kept for the exit summary, never run again,
    /// and no compile under way is installed into it.
    pub retired: bool,
    /// Its compile as one function under way: the job's number and how many traces it takes
    /// (only the last one asked for is installed).
    pub merging: Option<(u64, usize)>,
}

/// The function-entry trace of a function with a loop: it runs from the function's first
/// instruction to the loop's header, where it returns `LINK_TO_ROOT` and its caller (the VM, or
/// a native call) runs the loop's tree on the same frame. A member of the loop's tree (its
/// exits are numbered among the tree's), never compiled into the tree's one function.
pub(super) struct EntryPrefix {
    /// The prefix trace's machine code and side-exit table.
    pub entry: NativeEntry,
    pub side_exits: *const SideExitSlot,
}

impl Tree {
    /// A new tree of root trace `id`, without side traces, its code owned by nobody yet.
    fn new(
        id: u32,
        code: Rc<CodeObject>,
        header_pc: usize,
        start: String,
        entry: NativeEntry,
        side_exits: *const SideExitSlot,
        exits: Vec<Exit>,
    ) -> Tree {
        Tree {
            id,
            code,
            header_pc,
            start,
            entry,
            side_exits,
            exits,
            frame_extent: 0,
            inline_depth: 0,
            owners: Vec::new(),
            merge_wait: 0,
            runs_since_merge: 0,
            merged_members: 0,
            merges: 0,
            side_traces: 0,
            attached_sides: 0,
            function_entry: false,
            prefix: None,
            retired: false,
            merging: None,
        }
    }

    /// Is this tree, a function's entry tree or a loop's tree with an entry prefix, compiled
    /// again as one function when its `side_traces`-th side trace is attached
    /// (`Jit::entry_tree_grew`)? A function's entry tree (no loop) at its 1st, 4th, 16th and
    /// 64th: its side traces return, so until it is recompiled a call only goes through the
    /// side-exit table, and each recompile costs about as much as all its side traces
    /// attached since (at 1, 2, 4, 8... bench/trees.toy spent 7 of its 10 recompiles on entry
    /// trees soon replaced). A loop's tree with a prefix at its 1st, 2nd, 4th, 8th...: until
    /// then every iteration through a side trace linking back goes through the VM (at 1, 4,
    /// 16 bench/sorting.toy's merge_sort loop ran 1% more instructions).
    pub(super) fn merges_at(&self, side_traces: usize) -> bool {
        let every_other = self.function_entry && self.prefix.is_none();
        side_traces.is_power_of_two() && (!every_other || side_traces.trailing_zeros() % 2 == 0)
    }

    /// The machine code a call of the tree's function runs first: the entry prefix, if the tree
    /// has one, else the root (a function-entry tree).
    pub fn entry_native(&self) -> NativeEntry {
        self.prefix.as_ref().map_or(self.entry, |prefix| prefix.entry)
    }

    /// Its side-exit table.
    pub fn entry_side_exits(&self) -> *const SideExitSlot {
        self.prefix.as_ref().map_or(self.side_exits, |prefix| prefix.side_exits)
    }

    /// The loop a prefix links to (the root), if the tree has a prefix.
    pub fn loop_native(&self) -> Option<NativeEntry> {
        self.prefix.as_ref().map(|_| self.entry)
    }

    /// The call the VM makes to run the tree (`index`: its number among the JIT's trees).
    pub fn call(&self, index: usize) -> NativeCall {
        NativeCall {
            entry: self.entry,
            side_exits: self.side_exits,
            tree: index as u32,
            frame_extent: self.frame_extent,
            inline_depth: self.inline_depth,
            settling: self.merge_wait > 0,
        }
    }
}

/// What the JIT remembers of a compiled trace, to grow side traces from its exits.
pub(super) struct TraceMeta {
    /// The slot types the trace started with: with the trace, what gives the types
    /// established when one of its exits is taken ([`TraceMeta::types_at_exit`]).
    inherited: HashMap<u16, Type>,
    /// The trace's side-exit table (owned by its tree, which outlives this use).
    side_exits: *const SideExitSlot,
    /// The source line of each snapshot's pc, for events.
    pub exit_lines: Vec<u32>,
    /// 0 for a root, its parent's depth + 1 for a side trace.
    pub depth: u32,
    /// The optimized trace, its place and (for a side trace) the exit it hangs from: what
    /// compiling its tree as one function needs.
    optimized: Rc<Trace>,
    place: TreePlace,
    parent: Option<(u32, u32)>,
    /// Cranelift instructions of the trace's own function: what the trace adds to the price of
    /// compiling its tree as one function ([`Forest::tree_settled`]).
    clif_insts: usize,
    /// Is its code in place? A side trace's is not while it compiles (`tree_compiles.rs`):
    /// its tree is not compiled as one function with it until then (the function would load
    /// its side-exit table from its parent's table, where it is not yet).
    attached: bool,
}

impl TraceMeta {
    fn new(
        trace: Rc<Trace>,
        place: TreePlace,
        parent: Option<(u32, u32)>,
        code: &CodeObject,
        inherited: &HashMap<u16, Type>,
        side_exits: *const SideExitSlot,
        depth: u32,
    ) -> TraceMeta {
        TraceMeta {
            inherited: inherited.clone(),
            side_exits,
            exit_lines: snap::exit_lines(&trace, code),
            depth,
            optimized: trace,
            place,
            parent,
            clif_insts: 0,
            attached: true,
        }
    }

    /// The slot types established when exit `snapshot` is taken ([`snap::types_at_exit`]).
    pub fn types_at_exit(&self, snapshot: u32) -> Option<HashMap<u16, Type>> {
        snap::types_at_exit(&self.optimized, snapshot, &self.inherited)
    }

    fn with_clif_insts(self, clif_insts: usize) -> TraceMeta {
        TraceMeta { clif_insts, ..self }
    }
}

/// How a side trace ends: linking to a loop's trace at its header `pc`, or leaving to the VM at
/// `pc` (the module's `Return`, or the header of a loop without a trace).
pub enum SideEnd {
    Link {
        trace: u32,
        pc: usize,
    },
    Leave {
        pc: usize,
    },
    /// A side trace reached a raise at `pc` (maybe in an inlined callee): leaving to the VM,
    /// which raises there (`recorder/raises.rs`).
    Raise {
        pc: usize,
    },
    /// A side trace of a function-entry tree reached the function's `Return` (`Ret`).
    Return,
}

/// The exits of a trace of `code`'s loop: one per snapshot. Exits that resume at a loop header
/// to poll Ctrl-C or to link, that end a side trace, or that resume at the function's own
/// `Return` (a side trace from there would end before its first instruction) never grow side
/// traces.
fn exits_of(trace: &Trace, trace_id: u32, code: &CodeObject) -> Vec<Exit> {
    let mut never = vec![false; trace.snapshots.len()];
    for inst in &trace.insts {
        // Native calls' exits neither: before the call the interpreter makes it, and after it
        // the VM re-creates the callee's frame on top of this one.
        if let Op::CheckInterrupt { snap }
        | Op::Link { snap, .. }
        | Op::Leave { snap }
        | Op::Ret { snap, .. }
        | Op::EnterCheck { snap, .. }
        | Op::CallNative { snap, .. }
        | Op::CallInterp { snap, .. } = inst.op
        {
            never[snap.0 as usize] = true;
        }
    }
    // A function's side trace from there is its `Ret`; the module's would be empty.
    let module = recorder::is_module(code);
    for (i, s) in trace.snapshots.iter().enumerate() {
        if module && s.call.is_none() && matches!(code.instrs.get(s.pc as usize), Some(Instr::Return { .. })) {
            never[i] = true;
        }
    }
    let stitch = stitch::stitch_targets(trace, code);
    trace
        .snapshots
        .iter()
        .enumerate()
        .map(|(i, s)| Exit {
            pc: s.pc,
            frames: snap::inlined_frames(trace, s),
            count: 0,
            since_attempt: 0,
            trace_id,
            snapshot: i as u32,
            side: if never[i] { SideState::Never } else { SideState::Cold },
            side_aborts: 0,
            stitch: stitch[i].map(|loop_id| StitchTo { loop_id, found: None }),
            stitched: 0,
        })
        .collect()
}

/// How many slots from the frame's slot 0 a trace touches, and how deep its inlined calls go.
fn frame_reach(trace: &Trace, code: &CodeObject) -> (usize, usize) {
    let extent = trace.calls.iter().map(|c| c.base as usize + c.code.nslots as usize).max().unwrap_or(0);
    let depth = trace.snapshots.iter().map(|s| trace.call_chain(s).len()).max().unwrap_or(0);
    (extent.max(code.nslots as usize), depth)
}

impl Forest {
    pub fn new(filename: &str, dump_level: DumpLevel) -> Forest {
        Forest {
            trees: Vec::new(),
            metas: HashMap::new(),
            next_trace_id: 1,
            layout: ListLayout::measure(),
            stats: Stats::default(),
            dump_level,
            dump: String::new(),
            filename: filename.to_string(),
            keep_model: false,
            model: Vec::new(),
            model_events: Vec::new(),
            aborts: AbortLog::default(),
            native_time: Vec::new(),
            exit_reasons: HashMap::new(),
            exit_values: HashMap::new(),
            compiling_in_native: Duration::ZERO,
            requested_mode: CompileMode::for_this_machine(),
            compiler: Compiler::new(),
            pending: HashMap::new(),
        }
    }

    /// Where code generation runs from now on.
    pub fn set_compile_mode(&mut self, mode: CompileMode) {
        self.requested_mode = mode;
    }

    /// `file:line in function` of `pc` in `code`, as the dump names places.
    pub fn location(&self, code: &CodeObject, pc: usize) -> String {
        format!("{}:{} in {}", self.filename, code.lines.get(pc).copied().unwrap_or(0), code.name)
    }

    /// Adds a line to the dump, if it shows events (an aborted recording goes to the abort log,
    /// which prints each message once, with a count), and to the model, if it is kept.
    pub fn event(&mut self, text: String) {
        let event = JitEvent::of(&text);
        if event.kind == EventKind::Abort {
            self.aborts.add(&text);
        } else if self.dump_level.shows_events() {
            self.flush_aborts();
            self.dump.push_str(&text);
            self.dump.push('\n');
        }
        if self.keep_model {
            self.model_events.push(event);
        }
    }

    /// Prints the aborts not printed yet (before the next trace or event).
    pub fn flush_aborts(&mut self) {
        if self.dump_level.shows_events() {
            let aborts = self.aborts.flush_new();
            self.dump.push_str(&aborts);
        }
    }

    /// Why no side trace may grow from the exit of `parent_trace` in tree `tree`, if so.
    pub(super) fn side_trace_refusal(&self, tree: usize, parent_trace: u32) -> Option<String> {
        let parent_depth = self.metas.get(&parent_trace).map_or(0, |m| m.depth);
        let tree = &self.trees[tree];
        if tree.side_traces >= MAX_SIDE_TRACES_PER_TREE {
            Some(format!("the trace tree of T{} already has {} side traces", tree.id, tree.side_traces))
        } else if parent_depth >= MAX_SIDE_TRACE_DEPTH {
            Some(format!("side traces already nest {parent_depth} deep here"))
        } else {
            None
        }
    }

    /// Optimizes a trace and prepares its compile (`lower_codegen.rs`), on this thread.
    fn optimize_and_prepare(
        &mut self,
        recorded_trace: &Trace,
        place: TreePlace,
        for_now: bool,
    ) -> Result<compiles::Optimized, String> {
        let layout = self.layout.ok_or("the list layout could not be measured")?;
        if let Some(reason) = recorder::lists_across_interp_calls(recorded_trace) {
            return Err(reason);
        }
        let clock = CompileClock::start();
        let keep_stages = self.keep_model || self.dump_level.shows_full_ir();
        // The report lines only for what shows them (`Forest::report`).
        let keep = opt::Keep { stages: keep_stages, report: self.keep_model || self.dump_level.shows_events() };
        let (trace, pass_report, stages) = opt::optimize_keeping(recorded_trace, keep)?;
        let optimizer = clock.elapsed();
        let listings = lower::Listings {
            clif: self.keep_model || self.dump_level.shows_full_ir(),
            disassembly: self.keep_model || self.dump_level.shows_machine_code(),
        };
        let prepared = if for_now {
            lower::prepare_side_trace_for_now(&trace, &layout, place, listings)?
        } else {
            lower::prepare_trace(&trace, &layout, place, listings)?
        };
        let mut stages: Vec<IrStage> = stages.into_iter().map(|(name, trace)| IrStage { name, trace }).collect();
        if keep_stages {
            stages.insert(0, IrStage { name: "recorded", trace: recorded_trace.clone() });
        }
        Ok(compiles::Optimized { trace: Rc::new(trace), pass_report, stages, optimizer, clock, prepared })
    }

    /// A new trace number, counted in `--stats`.
    fn next_id(&mut self) -> u32 {
        let id = self.next_trace_id;
        self.next_trace_id += 1;
        self.stats.traces += 1;
        id
    }

    /// Adds a compiled trace to the dump, if it shows traces, and to the model, if it is kept.
    fn report(
        &mut self,
        place: (u32, TraceKind, TreePlace),
        titles: (&str, &str),
        recorded: &Recorded,
        code: &CodeObject,
        lowered: &mut Lowered,
    ) {
        if !self.dump_level.shows_events() && !self.keep_model {
            return;
        }
        let (id, kind, tree_place) = place;
        let entry_values = match kind {
            TraceKind::Side { parent, exit } => {
                self.exit_values.get(&parent).and_then(|v| v.get(exit as usize)).cloned().unwrap_or_default()
            }
            TraceKind::Root { .. } | TraceKind::Entry => Vec::new(),
        };
        let record = TraceRecord::new(TraceParts {
            id,
            root: tree_place.root_trace,
            kind,
            heading: titles.0,
            ending: titles.1,
            recorded: &recorded.1,
            stages: std::mem::take(&mut lowered.stages),
            passes: &lowered.pass_report,
            optimized: &lowered.trace,
            exit_lines: snap::exit_lines(&lowered.trace, code),
            clif: lowered.compiled.clif.as_deref(),
            asm: lowered.compiled.disassembly.as_deref(),
            code_size: lowered.compiled.code_size,
            exit_base: tree_place.exit_base,
            entry_values,
        });
        self.exit_values.insert(id, record.exit_values.clone());
        let reasons = record.exit_lines.iter().copied().zip(record.exit_reasons.iter().cloned()).collect();
        self.exit_reasons.insert(id, reasons);
        if self.dump_level.shows_traces() {
            self.flush_aborts();
            self.dump.push_str(&dump::trace_report(&record, self.dump_level));
        }
        if self.keep_model {
            self.model.push(record);
        }
    }

    /// How the dump describes a `Link` from a trace of `code` to the root trace `target` of
    /// another loop: one of the same function, or one of a function the trace inlined.
    fn link_ending(&self, target: u32, code: &Rc<CodeObject>) -> String {
        match self.trees.iter().find(|tree| tree.id == target) {
            Some(tree) if !Rc::ptr_eq(&tree.code, code) => format!(
                "links to T{target}, the loop of {}() at {} (the VM pushes the inlined calls' frames and enters it at once)",
                tree.code.name, tree.start
            ),
            _ => format!("links to T{target} (and goes on in T{target}'s native code)"),
        }
    }

    /// Traces compiled and side traces among them, exits taken: the `--stats` line and the
    /// REPL's `:stats` (with the time in native code when it was measured).
    pub fn stats_line(&self, native_time: Option<Duration>) -> String {
        let exits: u64 = self.trees.iter().map(|tree| tree.exits.iter().map(|e| e.count).sum::<u64>()).sum();
        let side_traces: usize = self.trees.iter().map(|tree| tree.side_traces).sum();
        let s = &self.stats;
        let mut line = format!(
            "[jit] traces compiled: {} ({side_traces} side traces, {} function entries), recordings aborted: {}, trace exits: {exits}, recording: {:.3} ms, compiling: {:.3} ms",
            s.traces,
            s.entry_traces,
            s.aborts,
            s.recording.as_secs_f64() * 1e3,
            s.compiling.as_secs_f64() * 1e3
        );
        if let Some(native) = native_time {
            line.push_str(&format!(", in native code: {:.3} ms", native.as_secs_f64() * 1e3));
        }
        line.push('\n');
        line.push_str(&s.compiles.line(self.compiler.taken_back));
        if let Some(passes) = super::compile_stats::cranelift_passes() {
            line.push('\n');
            line.push_str(passes.trim_end());
        }
        line
    }

    /// The dump accumulated since the last call, then (when the dump shows events) how often
    /// each exit of each tree was taken.
    pub fn finish(&mut self) -> String {
        if self.dump_level.shows_events() {
            let aborts = self.aborts.flush_totals();
            self.dump.push_str(&aborts);
        }
        let mut out = std::mem::take(&mut self.dump);
        if self.dump_level.shows_events() {
            for tree in &self.trees {
                let mut by_trace: Vec<(u32, Vec<String>)> = Vec::new();
                for exit in tree.exits.iter().filter(|e| e.count > 0) {
                    let count = exit.count;
                    let why = match self.exit_reasons.get(&exit.trace_id).and_then(|r| r.get(exit.snapshot as usize)) {
                        Some((line, reason)) if !reason.is_empty() => format!("line {line}: {reason}"),
                        Some((line, _)) => format!("line {line}"),
                        None => format!("pc {}", exit.pc),
                    };
                    let mut text = format!(
                        "exit {} ({why}) taken {count} time{}",
                        exit.snapshot,
                        if count == 1 { "" } else { "s" }
                    );
                    if exit.side == SideState::Attached {
                        text.push_str(", then its side trace ran");
                    }
                    if let Some((target, _)) = exit.stitch.as_ref().and_then(|to| to.found)
                        && exit.stitched > 0
                    {
                        let times = if exit.stitched == count {
                            "each time".to_string()
                        } else {
                            format!("{} times", exit.stitched)
                        };
                        text.push_str(&format!(
                            ": T{} goes on in T{}'s native code ({times})",
                            exit.trace_id, self.trees[target].id
                        ));
                    }
                    match by_trace.iter_mut().find(|(t, _)| *t == exit.trace_id) {
                        Some((_, list)) => list.push(text),
                        None => by_trace.push((exit.trace_id, vec![text])),
                    }
                }
                for (trace, taken) in by_trace {
                    let place = if trace == tree.id { format!(" at {}", tree.start) } else { String::new() };
                    out.push_str(&format!("[jit] T{trace}{place}: {}\n", taken.join(", ")));
                }
            }
        }
        out
    }
}
