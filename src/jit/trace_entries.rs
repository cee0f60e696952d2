//! Function entries in the lifecycle (a part of `trace.rs`): when a function's entry is
//! recorded (its calls counted, its loop's root compiled first), its compile submitted and
//! installed in the function's `EntrySlot`, a stale entry tree dropped, an entry tree that grew
//! compiled again as one function, and the poll at a function's entry answered
//! (`POLL_AT_ENTRY`, `lower_entry_poll.rs`).
//!
//! Touches: the functions' states, their code objects' `EntrySlot`s, the forest's trees.

use std::rc::Rc;
use std::time::Instant;

use crate::interp::engine::bytecode::CodeObject;
use crate::interp::engine::native::{EntryAction, ExitAction, Running};

use super::super::recorder::{self, Recorder};
use super::{Jit, POLL_VISITS, RecordStep, Target, first_visit_wait, function_threshold, loop_key, loop_wait};

/// What the JIT knows of one function's entry (see [`LoopState`]; the countdown and the
/// installed code are in the code object's `EntrySlot`).
pub(super) struct FunctionState {
    /// Keeps the code object (and so the function's key, its address) alive.
    pub(super) code: Rc<CodeObject>,
    pub(super) armed: bool,
    pub(super) aborts: u32,
    /// Recordings retried at once after returning before the function's loop (see
    /// [`QUICK_RETRIES_AT_ENTRY`]).
    pub(super) quick_retries: u32,
    /// Its entry tree (an index into `Jit::trees`), once compiled.
    pub(super) tree: Option<usize>,
    /// The job number of its entry's compile, while it is under way (`tree_entries.rs`): the
    /// function is interpreted meanwhile.
    pub(super) compiling: Option<u64>,
}

/// A function's key: the address of its code object.
pub(super) fn function_key(code: &CodeObject) -> usize {
    code as *const CodeObject as usize
}

impl Jit {
    /// Installs entry tree `tree` of the function `key` in its code object's `EntrySlot`, where
    /// the VM and native calls find it.
    pub(super) fn install_function(&mut self, key: usize, tree: usize, rebinds: u64) {
        let Some(state) = self.functions.get_mut(&key) else { return };
        state.tree = Some(tree);
        let built = &self.forest.trees[tree];
        let slot = &state.code.jit_entry;
        slot.tree.set(tree as u32);
        slot.extent.set(built.frame_extent as u64);
        slot.inline_depth.set(built.inline_depth as u32);
        slot.rebinds.set(rebinds);
        slot.countdown.set(0);
        slot.native.set(Some(built.entry_native()));
        slot.loop_native.set(built.loop_native());
        slot.loop_side_exits.set(built.side_exits);
        slot.side_exits.set(built.entry_side_exits());
    }

    /// A side trace was attached to entry tree `tree`: the function's `EntrySlot` learns how far
    /// the tree now reaches (its frame extent and inlined calls, which `EnterCheck` and the VM
    /// check before a call), and, at its 1st, 4th, 16th, 64th side trace (a loop's tree with a
    /// prefix: 1st, 2nd, 4th, 8th...; [`Tree::merges_at`]), the tree is compiled again as one
    /// function, so that a call runs on into its side traces without a call through the
    /// side-exit table. Native calls never pass through the VM, so an entry tree cannot wait
    /// for runs to settle as a loop's does; the powers bound the recompiles per tree (at most
    /// 4, or 7, as a tree has at most 64 side traces).
    pub(super) fn entry_tree_grew(&mut self, tree: usize) {
        let built = &self.forest.trees[tree];
        if built.merges_at(built.attached_sides) {
            self.forest.compile_tree_as_one(tree);
            self.apply_ready();
        }
        let built = &mut self.forest.trees[tree];
        built.merge_wait = 0;
        let slot = &built.code.jit_entry;
        // A tree dropped since (a rebound global) is not the function's any more.
        if slot.tree.get() as usize != tree || slot.native.get().is_none() {
            return;
        }
        slot.extent.set(built.frame_extent as u64);
        slot.inline_depth.set(built.inline_depth as u32);
        slot.native.set(Some(built.entry_native()));
        slot.loop_native.set(built.loop_native());
    }

    /// Starts recording the entry of `code`, whose frame was just pushed.
    pub(super) fn start_function(&mut self, code: &Rc<CodeObject>, now: &Running<'_>) {
        self.recording_started = Some(Instant::now());
        self.forest.warm_up();
        let traces = self.loop_traces(code);
        let mut recorder = Recorder::new_entry(code, now.depth, traces);
        recorder.short_loops = self.short_loops(code, false);
        recorder.listing = self.forest.dump_level.shows_traces() || self.forest.keep_model;
        self.recording = Some((recorder, Target::Function(function_key(code))));
    }

    /// A function's entry was submitted (the job's number: the function runs in the
    /// interpreter until it is installed, in the inline mode at once) or not (why).
    pub(super) fn function_submitted(&mut self, key: usize, submitted: Result<u64, String>) -> RecordStep {
        match submitted {
            Ok(job) => {
                if let Some(state) = self.functions.get_mut(&key) {
                    state.compiling = Some(job);
                }
                self.apply_ready();
                RecordStep::Done
            }
            Err(reason) => self.entry_failed(key, &reason),
        }
    }

    /// The entry of the function `key` (recorded with `rebinds` rebound globals) came back
    /// from job `job`: its tree (an index into the forest's trees; the loop's tree it is the
    /// entry `prefix` of), or why it failed.
    pub(super) fn entry_compiled(
        &mut self,
        (key, rebinds): (usize, u64),
        job: u64,
        prefix: bool,
        result: Result<usize, String>,
    ) {
        let state = self.functions.get_mut(&key).filter(|state| state.compiling == Some(job));
        let Some(state) = state else {
            // Nobody waits for it any more.
            if let (Ok(tree), false) = (result, prefix) {
                self.forest.trees[tree].retired = true;
                self.forest.stats.compiles.dropped_stale();
            }
            return;
        };
        state.compiling = None;
        match result {
            Ok(tree) => self.install_function(key, tree, rebinds),
            Err(reason) => {
                self.entry_failed(key, &reason);
            }
        }
    }

    /// A function's entry could not be compiled: the next try waits longer.
    pub(super) fn entry_failed(&mut self, key: usize, reason: &str) -> RecordStep {
        self.forest.stats.aborts += 1;
        self.forest.event(format!("[jit] could not compile a function entry: {reason}"));
        self.failed(Target::Function(key))
    }

    /// The code a call of `tree`'s function enters returned [`POLL_AT_ENTRY`]: installs what
    /// came back and has the call run in the interpreter from the function's start (no exit is
    /// counted: nothing failed, and no side trace may start there).
    pub(super) fn poll_at_entry(&mut self, tree: usize) -> ExitAction {
        self.apply_ready();
        self.forest.no_compile_waiting();
        let code = self.forest.trees[tree].code.clone();
        ExitAction { code, pc: 0, frames: None, recording: false }
    }

    /// A function's entry countdown is over (`JitHooks::function_hot`): installs what came
    /// back, then drops a stale entry tree, counts, waits for its loop's root or its own
    /// compile, or starts recording.
    pub(super) fn entry_hot(&mut self, code: &Rc<CodeObject>, now: &Running<'_>) -> EntryAction {
        if recorder::is_module(code) {
            return EntryAction::Wait(u32::MAX);
        }
        self.apply_ready();
        let key = function_key(code);
        let threshold = function_threshold(self.threshold);
        let state = self.functions.entry(key).or_insert_with(|| FunctionState {
            code: code.clone(),
            armed: false,
            aborts: 0,
            quick_retries: 0,
            tree: None,
            compiling: None,
        });
        if state.compiling.is_some() {
            // Its entry is being compiled: interpret, and look again soon.
            return EntryAction::Wait(POLL_VISITS);
        }
        let slot = &code.jit_entry;
        if state.tree.is_some() && slot.native.get().is_some() && slot.rebinds.get() == now.rebinds {
            // Installed just now (`apply_ready`): the next call runs it.
            return EntryAction::Wait(0);
        }
        let wait = loop_wait(threshold, state.aborts);
        if let Some(tree) = state.tree.take() {
            self.forest.trees[tree].retired = true;
            // A builtin or function was rebound since it was installed: the trace may call what
            // is no longer there. It is dropped, and the function counts again, twice as long
            // each time (no recompile storm when a function is rebound in every iteration).
            code.jit_entry.native.set(None);
            code.jit_entry.rebinds.set(u64::MAX);
            state.aborts += 1;
            return EntryAction::Wait(loop_wait(threshold, state.aborts).saturating_sub(1));
        }
        if let Some(calls) = first_visit_wait(&mut state.armed, wait) {
            return EntryAction::Wait(calls);
        }
        if self.loop_compiling(code) {
            // Its entry would reach a loop whose root is being compiled, and abort (an entry
            // runs into its loop's tree; bench/wordfreq.toy's ways() aborted 30 times and ran
            // 200 ms longer in the interpreter): the root is compiled now if the compile thread
            // has not started it, else the function asks again soon (nothing failed).
            let jobs: Vec<u64> = (0..code.jit_loops.len())
                .filter_map(|id| self.loops.get(&loop_key(code, id)).and_then(|state| state.compiling))
                .collect();
            for job in jobs {
                self.forest.take_back(job);
            }
            self.apply_ready();
            if self.loop_compiling(code) {
                return EntryAction::Wait(POLL_VISITS);
            }
        }
        self.start_function(code, now);
        EntryAction::Recording
    }
}
