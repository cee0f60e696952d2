//! Compiling a trace tree again as one function: which of its traces go in (the earliest, up
//! to a size limit), when a tree has settled and run long enough to pay for the compile (a
//! cost model in Cranelift instructions), and the compile and install themselves. A part of
//! `tree.rs`; touches the forest's trees, metas and stats.

use super::super::compile_stats::CompileClock;
use super::super::lower;
use super::{Forest, links_to};

/// A tree compiled as one function takes its traces up to this many instructions in all (the
/// earliest first); the side traces left out are called through the side-exit tables. Each compile
/// of the whole tree costs time in proportion to its size (about 20 microseconds per
/// instruction), and a large tree (many types, many branches) is compiled again each time it
/// grows: measured on the polymorphic benchmark (20 side traces, 657 instructions), the compile
/// time outweighed what the jumps saved.
const MAX_TREE_INSTS_IN_ONE_FUNCTION: usize = 400;

/// Runs of a loop's tree per Cranelift instruction of its traces' own functions, at the
/// default loop threshold (scaled with the threshold), before it is compiled again as one
/// function ([`Forest::tree_settled`]).
const MERGE_RUNS_PER_CLIF_INST: u64 = 90;
const DEFAULT_LOOP_THRESHOLD: u32 = crate::driver::DEFAULT_JIT_THRESHOLD;

impl Forest {
    /// The traces of the tree of root `root_id` that compiling it as one function takes, parents
    /// before their side traces: the root and the side traces hanging from it (an entry
    /// prefix and its side traces stay in pieces: the prefix is called on its own), the
    /// earliest first, up to `MAX_TREE_INSTS_IN_ONE_FUNCTION` instructions in all. A side trace
    /// that would pass the limit stays out, with its own side traces, and is called through
    /// its parent's side-exit table as before (the first side traces of a loop are its
    /// hottest paths: bench/poly.toy's tree grows to 544 instructions while it runs long
    /// enough to pay for its compile). Empty if the root alone passes the limit.
    pub(super) fn one_function_members(&self, root_id: u32) -> Vec<u32> {
        let mut ids: Vec<u32> =
            self.metas.iter().filter(|(_, m)| m.place.root_trace == root_id && m.attached).map(|(&id, _)| id).collect();
        // Trace numbers grow, so each side trace comes after its parent.
        ids.sort_unstable();
        let mut members: Vec<u32> = Vec::with_capacity(ids.len());
        let mut size = 0;
        for &id in &ids {
            let meta = &self.metas[&id];
            let parent = meta.parent.map(|(trace, _)| trace);
            let fits = size + meta.optimized.insts.len() <= MAX_TREE_INSTS_IN_ONE_FUNCTION;
            if fits && (id == root_id || parent.is_some_and(|p| members.contains(&p))) {
                members.push(id);
                size += meta.optimized.insts.len();
            }
        }
        members
    }

    /// Loop tree `tree` has settled (run [`tree_settle_runs`] times since its last side trace
    /// was attached): compiles it again as one function if it has run long enough to pay for
    /// the compile, else waits the runs still missing. Like renting skis until the rent paid
    /// would have bought them: the price is Cranelift's work, about in proportion to the
    /// Cranelift instructions of the function (the sum of its traces' own functions', known
    /// from their compiles: 5-14 per trace-IR instruction, so IR instructions misjudge it),
    /// and what it saves comes per run (a link back to the root, a call of a side trace
    /// through the side-exit table; bench/poly.toy, 4.9 million links back, ran 36 ms longer
    /// with its tree in pieces). So the runs counted since the tree was last compiled must
    /// reach `MERGE_RUNS_PER_CLIF_INST` per Cranelift instruction (at the default loop
    /// threshold): a loop that keeps going round through its side traces gets its one
    /// function, one that ends soon after keeps its pieces (bench/tuples.toy: 41,000 and
    /// 74,000 links back in trees of 2,063 and 2,234 Cranelift instructions, whose compiles
    /// took 5 and 4 ms and bought nothing measurable; bench/strings.toy: 228,000 in a tree of
    /// 4,800, whose compile took 15 ms at the end of the run). Measured (process CPU), per IR
    /// instruction instead: 1,000 runs made bench/poly.toy wait 360,000 runs and run 4%
    /// longer, 300 made bench/tuples.toy compile its tree and run 4% longer; 90 runs per
    /// Cranelift instruction is about 500 per IR instruction in poly.
    ///
    /// [`tree_settle_runs`]: super::trace::tree_settle_runs
    pub(in crate::jit) fn tree_settled(&mut self, tree: usize, loop_threshold: u32) {
        let built = &self.trees[tree];
        let members = self.one_function_members(built.id);
        if members.len() == built.merged_members || built.merging.is_some_and(|(_, n)| n == members.len()) {
            // What it would take is what it took last time (or takes now, its compile under
            // way): nothing to wait for.
            return;
        }
        let price: usize = members.iter().map(|id| self.metas[id].clif_insts).sum();
        let paid_by =
            (price as u64).saturating_mul(MERGE_RUNS_PER_CLIF_INST).saturating_mul(loop_threshold.max(1) as u64)
                / u64::from(DEFAULT_LOOP_THRESHOLD);
        if built.runs_since_merge >= paid_by {
            self.compile_tree_as_one(tree);
        } else {
            let missing = paid_by - built.runs_since_merge;
            self.trees[tree].merge_wait = u32::try_from(missing).unwrap_or(u32::MAX);
        }
    }

    /// Will a side trace of `insts` instructions (at most), from an exit of `parent` in tree
    /// `tree`, be compiled again inside its tree as one function at once (a function's entry
    /// tree at its 1st, 4th, 16th... side trace: [`Tree::merges_at`], when the tree takes its
    /// parent and stays within `MAX_TREE_INSTS_IN_ONE_FUNCTION`)? Then its own code is hardly used
    /// (`lower::compile_side_trace_for_now`).
    pub(super) fn side_trace_merged_at_once(&self, tree: usize, parent: u32, insts: usize) -> bool {
        let built = &self.trees[tree];
        let members = self.one_function_members(built.id);
        let size: usize = members.iter().map(|id| self.metas[id].optimized.insts.len()).sum::<usize>() + insts;
        // A function's entry tree is compiled again at its 1st, 4th, 16th... side trace
        // (`Jit::entry_tree_grew`): then at once. A loop's tree is compiled again once it
        // settles, counted in runs from the VM, which may come late: betting on it, with the
        // side trace's cheap code hot until then, cost bench/sorting.toy 1% more instructions
        // (0.3% fewer compiling, 1% more running), so a loop's side trace is not bet on.
        let merged_at_once = built.function_entry && built.merges_at(built.side_traces + 1);
        merged_at_once && members.contains(&parent) && size <= MAX_TREE_INSTS_IN_ONE_FUNCTION
    }

    /// Compiles tree `tree` again as one function, its side traces inside the exits they hang
    /// from, and installs it as the tree's entry: an exit then runs on into its side trace
    /// without a call, and a side trace's link back to the root is a jump to the root's start,
    /// not a return to the VM. Only trees with a side trace linking back to the root are
    /// compiled again, and only their earliest traces up to `MAX_TREE_INSTS_IN_ONE_FUNCTION`
    /// instructions (`one_function_members`), and only when that takes more traces than the
    /// last time. The traces
    /// compiled one by one stay as they are (they are still right, and the side-exit tables
    /// still name them); if this fails, the tree keeps them.
    pub(in crate::jit) fn compile_tree_as_one(&mut self, tree: usize) {
        let root_id = self.trees[tree].id;
        let ids = self.one_function_members(root_id);
        let size: usize = ids.iter().map(|id| self.metas[id].optimized.insts.len()).sum();
        // Nothing new to take since the last time (the traces left out stay out).
        // Nor when the same traces are being compiled as one function already.
        let under_way = self.trees[tree].merging.is_some_and(|(_, members)| members == ids.len());
        if ids.first() != Some(&root_id) || ids.len() == self.trees[tree].merged_members || under_way {
            return;
        }
        // The gain is mostly a side trace's link back to the root becoming a jump; a tree whose
        // side traces all leave for other loops is not worth the compile time. An entry tree's
        // side traces return: merged, a call no longer goes through the side-exit table.
        let links_back =
            self.trees[tree].function_entry || ids[1..].iter().any(|id| links_to(&self.metas[id].optimized, root_id));
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
                Ok(lower::TreeMember { trace: &meta.optimized, place: meta.place, parent, verified: true })
            })
            .collect();
        let Some(layout) = self.layout else { return };
        let listings = lower::Listings { clif: false, disassembly: self.dump_level.shows_machine_code() };
        let clock = CompileClock::start();
        match members.and_then(|members| lower::prepare_tree(&members, &layout, listings)) {
            Ok(prepared) => self.submit_tree_as_one(tree, (ids, size), prepared, &clock),
            Err(reason) => {
                self.stats.compiling += clock.elapsed();
                self.install_tree_as_one(tree, &ids, Err(reason));
            }
        }
    }

    /// Installs the compile of `tree` as one function of the traces `ids` as the tree's entry
    /// (or reports why it failed: the tree keeps its pieces).
    pub(super) fn install_tree_as_one(
        &mut self,
        tree: usize,
        ids: &[u32],
        compiled: Result<lower::CompiledTrace, String>,
    ) {
        let root_id = self.trees[tree].id;
        let names = ids[1..].iter().map(|id| format!("T{id}")).collect::<Vec<_>>().join(", ");
        match compiled {
            Ok(compiled) => {
                if let Some(listing) = &compiled.disassembly {
                    self.dump.push_str(&format!(
                        "---- the tree of T{root_id} as one function (with {names}): machine code ({} bytes) ----\n{listing}",
                        compiled.code_size
                    ));
                }
                let tree = &mut self.trees[tree];
                tree.entry = compiled.entry;
                tree.merges += 1;
                tree.runs_since_merge = 0;
                tree.merged_members = ids.len();
                let slot = &tree.code.jit_entry;
                if tree.prefix.is_some() {
                    // The function's entry runs into the loop through its `EntrySlot`.
                    if slot.native.get().is_some() && slot.loop_side_exits.get() == tree.side_exits {
                        slot.loop_native.set(Some(compiled.entry));
                    }
                } else if tree.function_entry && slot.native.get().is_some() && slot.side_exits.get() == tree.side_exits
                {
                    // A function's entry tree: calls run the one function from now on.
                    slot.native.set(Some(compiled.entry));
                }
                tree.owners.push(Box::new(compiled));
                self.event(format!(
                    "[jit] the tree of T{root_id} is compiled again as one function, with {names} inside its exits"
                ));
            }
            Err(reason) => {
                self.event(format!("[jit] the tree of T{root_id} stays in pieces: {reason}"));
            }
        }
    }
}
