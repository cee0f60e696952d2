//! Function entries (a part of `tree.rs`): a function's entry trace becomes a tree of its own,
//! and the entry of a function with a loop becomes the entry prefix of that loop's tree. Both
//! are prepared here on the interpreter's thread and compiled like roots and side traces
//! (`tree_compiles.rs`): the function runs in the interpreter meanwhile, and the lifecycle
//! (`trace.rs`) fills its `EntrySlot` once the code is installed. A prefix's number and exits
//! are in place at its submission (numbered among its tree's, before any side trace compiled
//! meanwhile); its code goes into the tree at the install, if the tree is still there without
//! a prefix.
//!
//! Touches: the forest's trees, metas, stats and dump.

use std::collections::HashMap;

use crate::interp::engine::bytecode::CodeObject;
use crate::interp::engine::native::SideExitSlot;

use super::super::compile_stats::CompileKind;
use super::super::lower::TreePlace;
use super::super::model::TraceKind;
use super::super::recorder::Recorder;
use super::compiles::{EntryWaiter, Waiting};
use super::{EntryPrefix, Forest, Lowered, Recorded, TraceMeta, Tree, exits_of, frame_reach};

impl Forest {
    /// Closes a function-entry recording (ended by `Ret`) and submits its compile, numbering
    /// it now (`waiter`: the function's key and the rebound globals when it was recorded);
    /// returns the job's number. Its code becomes a new tree ([`Forest::build_entry_tree`]).
    pub(in crate::jit) fn submit_entry(&mut self, recorder: Recorder, waiter: EntryWaiter) -> Result<u64, String> {
        let code = recorder.code.clone();
        let recorded = recorder.close_return();
        let place = TreePlace::root(self.next_trace_id).entered_by_calls();
        let optimized = self.optimize_and_prepare(&recorded.0, place, false)?;
        let id = self.next_id();
        Ok(self.submit_trace(optimized, CompileKind::Entry, Waiting::Entry { id, code, waiter }, recorded))
    }

    /// Closes the entry recording of a function with a loop, which reached the header `pc` of
    /// that loop's compiled tree (root trace `target`), and submits its compile as the tree's
    /// entry prefix (its number and exits are the tree's at once); returns the job's number.
    pub(in crate::jit) fn submit_entry_prefix(
        &mut self,
        recorder: Recorder,
        (target, pc): (u32, usize),
        waiter: EntryWaiter,
    ) -> Result<u64, String> {
        let code = recorder.code.clone();
        let tree =
            self.trees.iter().position(|t| t.id == target && !t.function_entry).ok_or("the loop's tree is gone")?;
        if self.trees[tree].prefix.is_some() {
            return Err("the loop's tree has an entry already".into());
        }
        let recorded = recorder.close_side(target, pc);
        let exit_base = self.trees[tree].exits.len() as u32;
        let place = TreePlace::side(exit_base, target).entered_by_calls();
        let optimized = self.optimize_and_prepare(&recorded.0, place, false)?;
        let id = self.next_id();
        let trace = optimized.trace.clone();
        let clif_insts = optimized.prepared.rest.cost().clif_insts;
        let table = SideExitSlot::empty_table(trace.snapshots.len());
        let (extent, inline_depth) = frame_reach(&trace, &code);
        let exits = exits_of(&trace, id, &code);
        let meta =
            TraceMeta::new(trace, place, None, &code, &HashMap::new(), table.as_ptr(), 1).with_clif_insts(clif_insts);
        self.metas.insert(id, meta);
        let built = &mut self.trees[tree];
        built.exits.extend(exits);
        built.frame_extent = built.frame_extent.max(extent);
        built.inline_depth = built.inline_depth.max(inline_depth);
        built.owners.push(Box::new(table));
        let waiting = Waiting::Prefix { id, tree, code, waiter };
        Ok(self.submit_trace(optimized, CompileKind::Side, waiting, recorded))
    }

    /// Makes compiled entry trace `id` of `code` a new tree; returns its index (the lifecycle
    /// installs it in the function's `EntrySlot`).
    pub(super) fn build_entry_tree(
        &mut self,
        id: u32,
        code: &std::rc::Rc<CodeObject>,
        recorded: &Recorded,
        mut lowered: Lowered,
    ) -> usize {
        self.stats.entry_traces += 1;
        let start = self.location(code, 0);
        let place = format!("{}:{}", self.filename, code.first_line);
        let heading = format!("function entry of {} ({place})", code.name);
        let ending = format!("returns from {}() (its result in slot 0)", code.name);
        let tree_place = TreePlace::root(id).entered_by_calls();
        self.report((id, TraceKind::Entry, tree_place), (&heading, &ending), recorded, code, &mut lowered);
        let Lowered { trace, compiled, .. } = lowered;
        let clif_insts = compiled.cost.clif_insts;
        let table = SideExitSlot::empty_table(trace.snapshots.len());
        let (frame_extent, inline_depth) = frame_reach(&trace, code);
        let exits = exits_of(&trace, id, code);
        let meta = TraceMeta::new(trace, tree_place, None, code, &HashMap::new(), table.as_ptr(), 0)
            .with_clif_insts(clif_insts);
        self.metas.insert(id, meta);
        let mut tree = Tree::new(id, code.clone(), 0, start, compiled.entry, table.as_ptr(), exits);
        tree.frame_extent = frame_extent.max(1);
        tree.inline_depth = inline_depth;
        tree.function_entry = true;
        tree.owners = vec![Box::new(compiled), Box::new(table)];
        self.trees.push(tree);
        self.trees.len() - 1
    }

    /// Puts compiled entry prefix `id` of `code` into loop tree `tree`, if that tree is still
    /// there without a prefix; returns the tree's index (the lifecycle installs the prefix in
    /// the function's `EntrySlot`).
    pub(super) fn attach_prefix(
        &mut self,
        (id, tree): (u32, usize),
        code: &CodeObject,
        recorded: &Recorded,
        mut lowered: Lowered,
    ) -> Result<usize, String> {
        let built = &self.trees[tree];
        if built.retired || built.prefix.is_some() {
            self.metas.remove(&id);
            self.stats.compiles.dropped_stale();
            return Err("the loop's tree was dropped or has an entry already".into());
        }
        let target = built.id;
        let place = self.metas.get(&id).map(|meta| meta.place).ok_or("the entry's trace is unknown")?;
        self.stats.entry_traces += 1;
        let heading = format!("function entry of {} ({}:{})", code.name, self.filename, code.first_line);
        let ending = format!("links to T{target}, the loop of {}() (run on the same frame)", code.name);
        self.report((id, TraceKind::Entry, place), (&heading, &ending), recorded, code, &mut lowered);
        let side_exits = self.metas[&id].side_exits;
        let built = &mut self.trees[tree];
        built.prefix = Some(EntryPrefix { entry: lowered.compiled.entry, side_exits });
        built.owners.push(Box::new(lowered.compiled));
        Ok(tree)
    }
}
