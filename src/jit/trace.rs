//! The trace lifecycle (like LuaJIT's `lj_trace.c`): hot loops and hot exits, starting and
//! stopping recordings, backoff, blacklisting and forgiveness, trees settling before they are
//! compiled as one function, and installing code. The VM drives it through
//! `interp::engine::native::JitHooks`, which [`Jit`] implements; the VM keeps only its countdowns.
//!
//! A loop goes through these states (per loop, in [`LoopState`]):
//!
//! ```text
//!   counting ──countdown over──▶ recording ──closed──▶ compiled (a Tree; the VM runs it)
//!      ▲                            │                     │
//!      └── aborted: wait twice ◀────┘                     └─ a builtin rebound: dropped,
//!          as long (up to 1024x)                             counting again
//! ```
//!
//! An exit of a tree counts its runs; when it is hot (a tenth of the loop threshold, doubled
//! per failed attempt) a side trace is recorded from it and attached (`tree.rs`); after
//! [`BLACKLIST_AFTER`] failures the dump calls the exit blacklisted, but it is tried again after
//! ever longer waits (LuaJIT's cliffs come from never forgiving). A tree that grew a side trace
//! runs [`tree_settle_runs`] times, and then until its runs pay for the compile
//! (`Forest::tree_settled`), before it is compiled again as one function.
//!
//! A function's entry (when it is recorded, its compile submitted and installed in its
//! `EntrySlot`, the poll at its start answered) is in `trace_entries.rs`.
//!
//! Touches: the loops' states and the recording under way; drives the recorder (`recorder/`)
//! and asks the [`Forest`] (`tree.rs`) to install what it recorded.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::rc::Rc;
use std::time::Instant;

use crate::interp::engine::bytecode::CodeObject;
use crate::interp::engine::native::{
    EntryAction, ExitAction, JitHooks, LoopAction, LoopAt, LoopSlot, NativeCall, POLL_AT_ENTRY, RecordStep, Running,
};

use super::dump::DumpLevel;
use super::recorder::{LOOP_RAN_OUT, Recorder, SideStart, Step};
use super::tree::{Forest, Installed, SideEnd, SideState, SideTarget};

#[path = "trace_entries.rs"]
mod entries;
#[path = "stitch.rs"]
pub(super) mod stitch;
use entries::FunctionState;

/// How many times an exit is taken before a side trace is recorded there, for a loop
/// threshold of `loop_threshold` (a tenth of it: exits of a hot loop are hot sooner).
pub fn hot_exit_threshold(loop_threshold: u32) -> u64 {
    (loop_threshold as u64 / 10).max(1)
}

/// How many runs of a tree after its last side trace was attached before it is compiled again
/// as one function (see [`Tree::merge_wait`]): the loop threshold (1 in the stress mode: the
/// next run), four times longer for each time the tree was compiled so already, so that a tree
/// that keeps growing side traces is not compiled again and again.
pub fn tree_settle_runs(loop_threshold: u32, merges: u32) -> u32 {
    loop_threshold.max(1).saturating_mul(1 << (2 * merges).min(20))
}

/// Visits of a loop's header between two looks at whether its root's compile came back
/// (each look costs a hook call and a channel poll; a compile takes a millisecond or more).
const POLL_VISITS: u32 = 31;

/// Visits of a loop's header before it is recorded: the threshold, doubled per failed
/// recording (up to 1024 times).
fn loop_wait(loop_threshold: u32, aborts: u32) -> u32 {
    loop_threshold.saturating_mul(1 << aborts.min(10))
}

/// Calls of a function before its entry is recorded: half as many again as a loop's
/// iterations (PyPy: `function_threshold` 1619 against `threshold` 1039), so that a loop calling
/// it gets hot first and inlines it; only a function the interpreter keeps calling (recursion,
/// calls from code without a hot loop) gets an entry trace of its own. 1 stays 1 (the stress
/// mode).
fn function_threshold(loop_threshold: u32) -> u32 {
    loop_threshold.saturating_add(loop_threshold / 2)
}

/// How many times in a row a loop whose recording met the loop's end is tried again at its
/// next visit, before it waits as after any failure (a loop that always ends after one
/// iteration must not be recorded at every visit).
const QUICK_RETRIES: u32 = 3;

/// How many times in a row a function's entry is recorded again at its next call after the
/// recorded call returned before reaching the function's loop (a recursion's base case is
/// about every other call of merge_sort).
const QUICK_RETRIES_AT_ENTRY: u32 = 8;

/// Why a recording of a function's entry that returned before its loop stopped.
const RETURNED_BEFORE_LOOP: &str = "the function returned before reaching its loop";

/// Aborts added for a refusal the loop's shape decides (a list held across a call in the
/// interpreter): the next try waits 2^5 times longer than after an ordinary abort.
const SHAPE_REFUSAL_EXTRA_ABORTS: u32 = 5;

/// Does an abort `reason` say that the recorded iteration was the loop's last? (Then the next
/// visit of the header, a first iteration, is a better time to record than a later one: with
/// the waits doubling, a loop of two iterations would be met at its last one every time.)
fn met_the_loop_end(reason: &str) -> bool {
    reason.starts_with(LOOP_RAN_OUT) || reason.ends_with("returns from inside the loop")
}

/// The number of failed attempts after which the dump calls an exit blacklisted (the wait
/// keeps doubling up to 1024 times the threshold, so it is retried now and then).
pub const BLACKLIST_AFTER: u32 = 4;

/// What the JIT knows of one loop of a code object.
struct LoopState {
    /// Keeps the code object (and so the loop's key, see [`loop_key`]) alive.
    code: Rc<CodeObject>,
    loop_id: usize,
    /// Has the countdown towards the first recording been started?
    armed: bool,
    /// Failed recording attempts; each one doubles the wait before the next.
    aborts: u32,
    /// Recordings that stopped because the iteration ended the loop (its last iteration:
    /// the loop ended, or the function returned from inside it), retried at the loop's next
    /// visit (its next first iteration) up to [`QUICK_RETRIES`] times in a row.
    quick_retries: u32,
    /// A recording of it ended with the loop (its iteration was the last, or left it): a loop
    /// of few iterations, which a function's entry trace may record through (`entry_step`).
    short: bool,
    /// A recording of it stopped because its iterator ran out ([`LOOP_RAN_OUT`]): a `for` loop of
    /// few iterations, which recordings of the loop around it and side traces unroll.
    ran_out: bool,
    /// Its tree (an index into `Jit::trees`), once compiled.
    tree: Option<usize>,
    /// The VM's count of rebound builtins when the tree was recorded (see [`Running::rebinds`]).
    rebinds: u64,
    /// The job number of its root's compile, while it is under way (`tree_compiles.rs`):
    /// the header is interpreted meanwhile.
    compiling: Option<u64>,
}

/// A loop's key: the address of its `LoopSlot`, fixed for as long as its code object lives.
fn loop_key(code: &CodeObject, loop_id: usize) -> usize {
    &code.jit_loops[loop_id] as *const LoopSlot as usize
}

/// A hasher for addresses (the loop table is looked up at every entry into a trace).
#[derive(Default)]
struct AddressHasher(u64);

impl Hasher for AddressHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0 ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
    fn finish(&self) -> u64 {
        self.0.rotate_left(26)
    }
}

/// What is being recorded.
enum Target {
    /// A loop (by [`loop_key`]), to become a root trace.
    Loop(usize),
    /// A side trace.
    Side(SideTarget),
    /// A function's entry (by [`function_key`]), to become a function-entry tree.
    Function(usize),
}

/// The JIT: records hot loops and hot exits and compiles them.
pub struct Jit {
    /// Iterations before a loop is recorded (1: at once).
    threshold: u32,
    recording: Option<(Recorder, Target)>,
    recording_started: Option<Instant>,
    loops: HashMap<usize, LoopState, BuildHasherDefault<AddressHasher>>,
    functions: HashMap<usize, FunctionState, BuildHasherDefault<AddressHasher>>,
    /// The compiled trees, and the stats and dump that compiling reports to.
    forest: Forest,
}

impl Jit {
    pub fn new(filename: &str, dump_level: DumpLevel, threshold: u32) -> Jit {
        Jit {
            threshold: threshold.max(1),
            recording: None,
            recording_started: None,
            loops: HashMap::default(),
            functions: HashMap::default(),
            forest: Forest::new(filename, dump_level),
        }
    }

    /// The `--stats` line (see [`Forest::stats_line`]).
    pub fn stats_line(&self, native_time: Option<std::time::Duration>) -> String {
        self.forest.stats_line(native_time)
    }

    /// The dump since the last call, with the exit summary (see [`Forest::finish`]).
    pub fn finish(&mut self) -> String {
        self.forest.finish()
    }

    /// The dump since the last call, without the exit summary (the REPL's, after each input).
    pub fn take_dump(&mut self) -> String {
        self.forest.flush_aborts();
        std::mem::take(&mut self.forest.dump)
    }

    /// Where Cranelift's code generation runs from now on (`compile_thread.rs`; the dump and
    /// the explorer compile inline whatever the mode).
    pub fn set_compile_mode(&mut self, mode: super::compile_thread::CompileMode) {
        self.forest.set_compile_mode(mode);
    }

    /// Keeps the trace model from now on, for [`Jit::run_report`] (`--explore`).
    pub fn keep_model(&mut self) {
        self.forest.keep_model = true;
    }

    /// The run so far, as the explorer shows it (empty unless [`Jit::keep_model`] was called).
    pub fn run_report(&self) -> super::model::RunReport {
        self.forest.run_report(self.threshold)
    }

    /// What the dump shows.
    pub fn dump_level(&self) -> DumpLevel {
        self.forest.dump_level
    }

    /// Changes what the dump shows from now on, dropping what it holds.
    pub fn set_dump_level(&mut self, level: DumpLevel) {
        self.forest.dump_level = level;
        self.forest.dump.clear();
    }

    /// Ends the clock of the recording under way, if any, counting its time in the stats.
    fn stop_recording_clock(&mut self) {
        if let Some(started) = self.recording_started.take() {
            self.forest.stats.recording += started.elapsed();
        }
    }

    /// The trace compiled for each loop of `code`, if any (what a recording may link to).
    fn loop_traces(&self, code: &CodeObject) -> Vec<Option<u32>> {
        (0..code.jit_loops.len())
            .map(|id| self.loops.get(&loop_key(code, id)).and_then(|l| l.tree).map(|tree| self.forest.trees[tree].id))
            .collect()
    }

    /// Per loop of `code`: did a recording of it end with the loop (a short loop, which a
    /// function's entry passes once)? With `ran_out`, only a `for` loop whose iterator ran out
    /// while it was recorded counts (one the loop around it and side traces unroll: the
    /// recorder's `unrolls_short_loop`); a loop left by a `break` or a `while` condition may be
    /// long (mandel's escape loop: unrolled, its tree linked to it at every pixel, 31 -> 728k
    /// exits).
    pub(super) fn short_loops(&self, code: &CodeObject, ran_out: bool) -> Vec<bool> {
        (0..code.jit_loops.len())
            .map(|id| self.loops.get(&loop_key(code, id)).is_some_and(|l| if ran_out { l.ran_out } else { l.short }))
            .collect()
    }

    /// Is the root of a loop of `code` being compiled?
    fn loop_compiling(&self, code: &CodeObject) -> bool {
        (0..code.jit_loops.len())
            .any(|id| self.loops.get(&loop_key(code, id)).is_some_and(|state| state.compiling.is_some()))
    }

    /// A run of tree `tree` starts: counts it towards the tree's settling (compiling it again
    /// as one function when it has settled) and returns the call to make.
    fn enter(&mut self, tree: usize) -> NativeCall {
        let built = &mut self.forest.trees[tree];
        let wait = built.merge_wait;
        if wait > 0 {
            built.merge_wait = wait - 1;
            built.runs_since_merge += 1;
            if wait == 1 {
                self.forest.tree_settled(tree, self.threshold);
            }
        }
        self.apply_ready();
        self.forest.trees[tree].call(tree)
    }

    /// Starts recording the loop at `at`. False if it aborted at once.
    fn start_loop(&mut self, at: &LoopAt<'_>, now: &Running<'_>) -> bool {
        self.recording_started = Some(Instant::now());
        self.forest.warm_up();
        let traces = self.loop_traces(at.code);
        let mut recorder = Recorder::new(at.code, at.header_pc, at.loop_id, now.depth, traces);
        recorder.short_loops = self.short_loops(at.code, true);
        recorder.listing = self.forest.dump_level.shows_traces() || self.forest.keep_model;
        // Inside the header's execution the VM has passed its own `record_step` for it.
        let first = if at.before_header { Ok(Step::Continue) } else { recorder.record(at.header_pc, now) };
        self.recording = Some((recorder, Target::Loop(loop_key(at.code, at.loop_id))));
        match first {
            Ok(_) => true,
            Err(reason) => {
                self.abort(&reason.0);
                false
            }
        }
    }

    /// Starts recording a side trace at exit `exit` of tree `tree` (run on a frame at `depth`):
    /// the exit was just taken and its inlined calls' frames are being pushed. False if it could
    /// not start (the failure is counted against the exit).
    fn start_side(&mut self, tree: usize, exit: usize, depth: usize) -> bool {
        let (pc, parent_trace, parent_snapshot) = {
            let info = &self.forest.trees[tree].exits[exit];
            (info.pc as usize, info.trace_id, info.snapshot)
        };
        let known = self
            .forest
            .metas
            .get(&parent_trace)
            .and_then(|meta| meta.types_at_exit(parent_snapshot))
            .unwrap_or_default();
        self.recording_started = Some(Instant::now());
        let refusal = self.forest.side_trace_refusal(tree, parent_trace);
        if let Some(reason) = refusal {
            self.forest.stats.aborts += 1;
            self.recording_started = None;
            self.forest.event(format!("[jit] no side trace from T{parent_trace} exit {parent_snapshot}: {reason}"));
            self.side_failed(tree, exit);
            return false;
        }
        let root = &self.forest.trees[tree];
        // An entry tree's side traces never link back to its root (which is no loop).
        let root_header_pc = if root.function_entry { usize::MAX } else { root.header_pc };
        let start = SideStart { root_trace: root.id, root_header_pc, known };
        let function_entry = root.function_entry;
        let traces = self.loop_traces(&root.code);
        let frames = root.exits[exit].frames.as_deref();
        match Recorder::new_side(&root.code, pc, depth, start, frames, traces) {
            Ok(mut recorder) => {
                recorder.listing = self.forest.dump_level.shows_traces() || self.forest.keep_model;
                recorder.entry = function_entry;
                recorder.short_loops = self.short_loops(&root.code, !function_entry);
                recorder.leaves_at_untraced_loops = self.forest.trees[tree].exits[exit].side_aborts >= BLACKLIST_AFTER;
                let target = SideTarget { tree, exit, parent_trace, parent_snapshot };
                self.recording = Some((recorder, Target::Side(target)));
                true
            }
            Err(reason) => {
                self.forest.stats.aborts += 1;
                self.recording_started = None;
                self.forest
                    .event(format!("[jit] no side trace from T{parent_trace} exit {parent_snapshot}: {}", reason.0));
                self.side_failed(tree, exit);
                false
            }
        }
    }

    /// Stops the recording without a trace, reporting `reason`; counts the failure against its
    /// loop or exit.
    fn abort(&mut self, reason: &str) -> RecordStep {
        self.forest.stats.aborts += 1;
        let Some((recorder, target)) = self.recording.take() else { return RecordStep::Done };
        self.stop_recording_clock();
        let (code, pc) = recorder.start();
        let at = self.forest.location(code, pc);
        match &target {
            Target::Side(side) => self.forest.event(format!(
                "[jit] aborted a side trace from T{} exit {} at {at}: {reason}",
                side.parent_trace, side.parent_snapshot
            )),
            Target::Loop(key) => {
                self.forest.event(format!("[jit] aborted recording the loop at {at}: {reason}"));
                if let Some(state) = self.loops.get_mut(key) {
                    state.short |= met_the_loop_end(reason) || reason.starts_with(super::recorder::LEFT_THE_LOOP);
                    state.ran_out |= reason.starts_with(LOOP_RAN_OUT);
                    if !met_the_loop_end(reason) {
                        state.quick_retries = 0;
                    } else if state.quick_retries < QUICK_RETRIES {
                        state.quick_retries += 1;
                        return RecordStep::Failed { code: state.code.clone(), loop_id: state.loop_id, wait: 0 };
                    }
                }
            }
            Target::Function(_) => {
                self.forest.event(format!("[jit] aborted recording the function entry of {}: {reason}", code.name))
            }
        }
        self.failed(target)
    }

    /// Counts a failed recording against its loop or exit, so that the next try waits longer;
    /// for a loop, tells the VM how long.
    fn failed(&mut self, target: Target) -> RecordStep {
        match target {
            Target::Loop(key) => {
                let Some(state) = self.loops.get_mut(&key) else { return RecordStep::Done };
                state.aborts += 1;
                let wait = loop_wait(self.threshold, state.aborts).saturating_sub(1);
                RecordStep::Failed { code: state.code.clone(), loop_id: state.loop_id, wait }
            }
            Target::Side(side) => {
                self.side_failed(side.tree, side.exit);
                RecordStep::Done
            }
            Target::Function(key) => {
                if let Some(state) = self.functions.get_mut(&key) {
                    state.aborts += 1;
                    let wait = loop_wait(function_threshold(self.threshold), state.aborts).saturating_sub(1);
                    state.code.jit_entry.countdown.set(wait);
                }
                RecordStep::Done
            }
        }
    }

    /// A side trace could not be recorded at `exit` of `tree`: the next try waits longer.
    fn side_failed(&mut self, tree: usize, exit: usize) {
        let info = &mut self.forest.trees[tree].exits[exit];
        info.side_aborts += 1;
        let (aborts, trace, snapshot) = (info.side_aborts, info.trace_id, info.snapshot);
        if aborts == BLACKLIST_AFTER {
            let line =
                self.forest.metas.get(&trace).and_then(|m| m.exit_lines.get(snapshot as usize).copied()).unwrap_or(0);
            self.forest.event(format!(
                "[jit] T{trace} exit {snapshot} (line {line}) blacklisted after {aborts} failed side traces \
                 (tried again only after many more exits)"
            ));
        }
    }

    /// The recording closed: compile and install what it recorded.
    fn close(&mut self, step: Step, now: &Running<'_>) -> RecordStep {
        let Some((recorder, target)) = self.recording.take() else { return RecordStep::Done };
        self.stop_recording_clock();
        match (step, target) {
            (step, Target::Loop(key)) => {
                let installed = match step {
                    // A loop whose iteration runs into an inner loop with a trace: a root trace
                    // that does not loop but links to the inner one.
                    Step::Link { trace, pc } => {
                        self.forest.install_linking_root(recorder, trace, pc, (key, now.rebinds))
                    }
                    _ => self.forest.install_loop(recorder, key, now.rebinds),
                };
                match installed {
                    Ok(job) => {
                        if let Some(state) = self.loops.get_mut(&key) {
                            state.compiling = Some(job);
                        }
                        // Installed at once in the inline mode (a failure sets the countdown).
                        self.apply_ready();
                        RecordStep::Done
                    }
                    Err(reason) => {
                        self.forest.stats.aborts += 1;
                        self.forest.event(format!("[jit] could not compile the loop: {reason}"));
                        // A refusal the loop's shape decides comes back at every recording, and
                        // each recording runs the call's callee under the recorder (heat's
                        // `step()`: 10 ms each): wait as after that many more aborts.
                        if reason.contains(super::recorder::LIST_HELD_ACROSS_INTERP_CALL)
                            && let Some(state) = self.loops.get_mut(&key)
                        {
                            state.aborts += SHAPE_REFUSAL_EXTRA_ABORTS;
                        }
                        self.failed(Target::Loop(key))
                    }
                }
            }
            (Step::Link { trace, pc }, Target::Side(side)) => {
                self.close_side(recorder, side, SideEnd::Link { trace, pc })
            }
            (Step::Leave { pc }, Target::Side(side)) => self.close_side(recorder, side, SideEnd::Leave { pc }),
            (Step::Raises { pc }, Target::Side(side)) => self.close_side(recorder, side, SideEnd::Raise { pc }),
            (Step::Returned, Target::Side(side)) => self.close_side(recorder, side, SideEnd::Return),
            (Step::Link { trace, pc }, Target::Function(key)) => {
                let submitted = self.forest.submit_entry_prefix(recorder, (trace, pc), (key, now.rebinds));
                self.function_submitted(key, submitted)
            }
            (Step::Returned, Target::Function(key))
                if recorder.code.loop_count > 0 && !recorder.passed_untraced_loops() =>
            {
                // Its entry must run into its loop's tree: a path that returns before the loop
                // (merge_sort's base case) is left to an exit of that entry. The next call
                // often takes the loop: it is recorded at once, a few times in a row.
                self.recording = Some((recorder, Target::Function(key)));
                let step = self.abort(RETURNED_BEFORE_LOOP);
                if let Some(state) = self.functions.get_mut(&key)
                    && state.quick_retries < QUICK_RETRIES_AT_ENTRY
                {
                    state.quick_retries += 1;
                    state.aborts = state.aborts.saturating_sub(1);
                    state.code.jit_entry.countdown.set(0);
                }
                step
            }
            (Step::Returned, Target::Function(key)) => {
                let submitted = self.forest.submit_entry(recorder, (key, now.rebinds));
                self.function_submitted(key, submitted)
            }
            // A side trace ends only by linking or leaving (`Recorder::record`).
            (_, target) => self.failed(target),
        }
    }

    /// Installs every compile that came back, if any is under way (the check is all that the
    /// safe points pay when none is).
    #[inline]
    fn apply_ready(&mut self) {
        if self.forest.has_pending() {
            self.install_ready();
        }
    }

    /// Installs every compile that came back (`tree_compiles.rs`), and does for each what
    /// the lifecycle does after a compile: a loop gets its tree, or waits longer after a
    /// failure; an exit whose side trace failed is counted against.
    fn install_ready(&mut self) {
        while let Some(installed) = self.forest.next_installed() {
            match installed {
                Installed::Root { key, rebinds, job, result } => self.root_compiled(key, rebinds, job, result),
                Installed::Entry { waiter, job, prefix, result } => self.entry_compiled(waiter, job, prefix, result),
                Installed::Side { tree, result: Ok(()), .. } => self.side_attached(tree),
                Installed::Side { tree, exit, result: Err(reason) } => {
                    self.forest.stats.aborts += 1;
                    self.forest.event(format!("[jit] could not compile a side trace: {reason}"));
                    self.side_failed(tree, exit);
                }
            }
        }
    }

    /// The root of loop `key` (recorded with `rebinds` rebound builtins) came back from job
    /// `job`: its tree (an index into the forest's trees), or why it failed.
    fn root_compiled(&mut self, key: usize, rebinds: u64, job: u64, result: Result<usize, String>) {
        let state = self.loops.get_mut(&key).filter(|state| state.compiling == Some(job));
        let Some(state) = state else {
            // Nobody waits for it any more.
            if let Ok(tree) = result {
                self.forest.trees[tree].retired = true;
                self.forest.stats.compiles.dropped_stale();
            }
            return;
        };
        state.compiling = None;
        match result {
            Ok(tree) => {
                state.tree = Some(tree);
                state.rebinds = rebinds;
            }
            Err(reason) => {
                self.forest.stats.aborts += 1;
                self.forest.event(format!("[jit] could not compile the loop: {reason}"));
                if let RecordStep::Failed { code, loop_id, wait } = self.failed(Target::Loop(key)) {
                    code.jit_loops[loop_id].countdown.set(wait);
                }
            }
        }
    }

    /// A side trace was attached to `tree`: the tree settles before it is compiled again as
    /// one function (an entry tree's `EntrySlot` learns how far it reaches now).
    fn side_attached(&mut self, tree: usize) {
        let built = &mut self.forest.trees[tree];
        built.merge_wait = tree_settle_runs(self.threshold, built.merges);
        if built.function_entry || built.prefix.is_some() {
            self.entry_tree_grew(tree);
        }
    }

    /// Compiles and attaches a side trace that ended (`end`).
    fn close_side(&mut self, recorder: Recorder, side: SideTarget, end: SideEnd) -> RecordStep {
        let (tree, exit) = (side.tree, side.exit);
        match self.forest.install_side(recorder, side, end) {
            // Attached at once in the inline mode (then `side_attached`), else when it is
            // compiled.
            Ok(_) => self.apply_ready(),
            Err(reason) => {
                self.forest.stats.aborts += 1;
                self.forest.event(format!("[jit] could not compile a side trace: {reason}"));
                self.side_failed(tree, exit);
            }
        }
        RecordStep::Done
    }
}

impl JitHooks for Jit {
    fn loop_hot(&mut self, at: LoopAt<'_>, now: &Running<'_>) -> LoopAction {
        let key = loop_key(at.code, at.loop_id);
        let threshold = self.threshold;
        let was_compiling = self.loops.get(&key).is_some_and(|state| state.compiling.is_some());
        self.apply_ready();
        let state = self.loops.entry(key).or_insert_with(|| LoopState {
            code: at.code.clone(),
            loop_id: at.loop_id,
            armed: false,
            aborts: 0,
            quick_retries: 0,
            short: false,
            ran_out: false,
            tree: None,
            rebinds: 0,
            compiling: None,
        });
        let wait = loop_wait(threshold, state.aborts);
        if state.compiling.is_some() {
            // Its root is being compiled: interpret, and look again soon.
            return LoopAction::Wait(POLL_VISITS);
        }
        if was_compiling && state.tree.is_none() {
            // Its compile failed just now: wait as after any failure.
            return LoopAction::Wait(at.code.jit_loops[at.loop_id].countdown.get());
        }
        if let Some(tree) = state.tree {
            if state.rebinds == now.rebinds {
                return LoopAction::Run(self.enter(tree));
            }
            // A builtin or function was rebound since: the trace may call what is no longer
            // there. It is dropped, and the loop counts again, twice as long each time (a
            // program that rebinds a function in every iteration must not recompile forever).
            state.tree = None;
            state.aborts += 1;
            self.forest.trees[tree].retired = true;
            return LoopAction::Wait(loop_wait(threshold, state.aborts).saturating_sub(1));
        }
        if let Some(visits) = first_visit_wait(&mut state.armed, wait) {
            return LoopAction::Wait(visits);
        }
        if self.start_loop(&at, now) {
            return LoopAction::Recording;
        }
        let aborts = self.loops.get(&key).map_or(0, |state| state.aborts);
        LoopAction::Wait(loop_wait(threshold, aborts).saturating_sub(1))
    }

    fn record_step(&mut self, _code: &Rc<CodeObject>, pc: usize, now: &Running<'_>) -> RecordStep {
        let Some((recorder, _)) = self.recording.as_mut() else { return RecordStep::Done };
        match recorder.record(pc, now) {
            Ok(Step::Continue) => RecordStep::Continue,
            Ok(Step::CalleeLoop { code, loop_id, pc }) => {
                match self.loops.get(&loop_key(&code, loop_id)).and_then(|state| state.tree) {
                    Some(tree) => {
                        let trace = self.forest.trees[tree].id;
                        self.close(Step::Link { trace, pc }, now)
                    }
                    None => self.abort(&format!(
                        "a loop inside the inlined function {}() without a trace yet (it gets its own first)",
                        code.name
                    )),
                }
            }
            Ok(step) => self.close(step, now),
            Err(reason) => self.abort(&reason.0),
        }
    }

    fn recording_cancelled(&mut self, reason: &str) -> RecordStep {
        if self.recording.is_some() { self.abort(reason) } else { RecordStep::Done }
    }

    fn native_ran(&mut self, tree: u32, time: std::time::Duration) {
        // Compiling a settled tree happens inside the call (at a link back to the root): it is
        // compile time, not time in machine code.
        let time = time.saturating_sub(std::mem::take(&mut self.forest.compiling_in_native));
        let times = &mut self.forest.native_time;
        if times.len() <= tree as usize {
            times.resize(tree as usize + 1, std::time::Duration::ZERO);
        }
        times[tree as usize] += time;
    }

    fn function_hot(&mut self, code: &Rc<CodeObject>, now: &Running<'_>) -> EntryAction {
        self.entry_hot(code, now)
    }

    fn tree_ran(&mut self, tree: u32) -> NativeCall {
        let compiling = self.forest.stats.compiling;
        let call = self.enter(tree as usize);
        // The VM calls this between runs of the machine code, inside its clock.
        self.forest.compiling_in_native += self.forest.stats.compiling - compiling;
        call
    }

    fn stitch(
        &mut self,
        tree: u32,
        exit: u32,
        rebinds: u64,
        pending: &dyn Fn() -> bool,
    ) -> Option<(NativeCall, usize)> {
        if self.recording.is_some() || exit == POLL_AT_ENTRY {
            return None;
        }
        Jit::stitch(self, (tree as usize, exit as usize), rebinds, pending)
    }

    fn exit_taken(&mut self, tree: u32, exit: u32, depth: usize) -> ExitAction {
        if exit == POLL_AT_ENTRY {
            return self.poll_at_entry(tree as usize);
        }
        let (tree, exit) = (tree as usize, exit as usize);
        self.apply_ready();
        let hot_after = hot_exit_threshold(self.threshold);
        let recording = self.recording.is_some();
        let code = self.forest.trees[tree].code.clone();
        let info = &mut self.forest.trees[tree].exits[exit];
        info.count += 1;
        info.since_attempt += 1;
        let wait = hot_after.saturating_mul(1 << info.side_aborts.min(10));
        let hot = !recording && info.side == SideState::Cold && info.since_attempt >= wait;
        if hot {
            info.since_attempt = 0;
        }
        let mut action = ExitAction { code, pc: info.pc, frames: info.frames.clone(), recording: false };
        if hot {
            action.recording = self.start_side(tree, exit, depth);
        }
        action
    }
}

/// A loop's or function's first visit arms it: the recording then happens at visit number
/// `wait` (the countdown to set, or None to record at once).
fn first_visit_wait(armed: &mut bool, wait: u32) -> Option<u32> {
    if *armed {
        return None;
    }
    *armed = true;
    (wait > 1).then(|| wait - 2)
}
