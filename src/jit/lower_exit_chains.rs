//! Exits that share their stores. Consecutive snapshots of a trace mostly grow by a slot or two:
//! exit 9 writes `r16 r6 r7 r8 r26 r24`, exit 10 the same first four and `r23`. Instead of each
//! exit block storing every slot again, an exit whose writes contain an earlier exit's stores
//! only the difference and jumps on to that exit's "writer" block, which stores the rest and
//! passes the exit number along (a block parameter) to the next writer or to `dispatch`. The
//! machine code an exit runs is the same stores in another order; what shrinks is the code
//! Cranelift compiles (bench/heat.toy's loop: 28 exits of up to 6 slots each). A part of
//! `lower.rs`; touches only the exit blocks it is given.
//!
//! Only exits that leave for the VM (no side trace lowered in place: it starts from what the
//! exit stored) and whose stores are independent of each other share: numbers, bools and
//! functions (`set_value` drops only the slot's own old value), with no virtual tuple to build
//! and no list or tuple to count first. Sharing is sound for SSA: a writer stores values that
//! every block jumping to it also writes, so each value's definition dominates every
//! predecessor of the writer, hence the writer.

use rustc_hash::FxHashSet as HashSet;

use cranelift_codegen::ir::{self, Block, BlockArg, InstBuilder, types};

use super::super::ir::{IrRef, Snapshot, Type};
use super::Lowerer;

/// Can an exit writing snapshot `snapshot` share its stores? (See the module doc.)
fn shareable(snapshot: &Snapshot, ty: impl Fn(IrRef) -> Type) -> bool {
    snapshot.virtual_slots.is_empty()
        && !snapshot.slots.is_empty()
        && snapshot.slots.iter().all(|&(_, r)| matches!(ty(r), Type::Int | Type::Float | Type::Bool | Type::Obj))
}

/// For each exit of `writes` (in snapshot order; `None` for an exit that does not share), the
/// earlier exit whose writes it contains and goes on to, the largest such one.
fn plan_bases(writes: &[Option<HashSet<(u16, IrRef)>>]) -> Vec<Option<usize>> {
    (0..writes.len())
        .map(|k| {
            let mine = writes[k].as_ref()?;
            (0..k)
                .filter_map(|j| writes[j].as_ref().map(|theirs| (j, theirs)))
                .filter(|(_, theirs)| theirs.is_subset(mine))
                .max_by_key(|&(j, theirs)| (theirs.len(), j))
                .map(|(j, _)| j)
        })
        .collect()
}

impl Lowerer<'_, '_> {
    /// Writes the exits `exits` (snapshot number, exit block; none has a side trace in place)
    /// and sends each on to `dispatch` with its number, sharing stores where it can.
    pub(super) fn emit_shared_exits(&mut self, exits: &[(usize, Block)], dispatch: Block) -> Result<(), String> {
        let trace = self.t.trace;
        let writes: Vec<Option<HashSet<(u16, IrRef)>>> = exits
            .iter()
            .map(|&(snap, _)| {
                let snapshot = &trace.snapshots[snap];
                shareable(snapshot, |r| trace.ty(r)).then(|| snapshot.slots.iter().copied().collect())
            })
            .collect();
        let bases = plan_bases(&writes);
        // A writer block (parameter: the exit number) for each exit another one goes on to.
        let mut writers: Vec<Option<Block>> = vec![None; exits.len()];
        for &base in bases.iter().flatten() {
            if writers[base].is_none() {
                let block = self.b.create_block();
                self.b.set_cold_block(block);
                self.b.append_block_param(block, types::I32);
                writers[base] = Some(block);
            }
        }
        for (k, &(snap, block)) in exits.iter().enumerate() {
            self.b.switch_to_block(block);
            let number = self.b.ins().iconst(types::I32, snap as i64);
            if let Some(writer) = writers[k] {
                // Its own stores are in its writer, which others reach too.
                self.b.ins().jump(writer, &[BlockArg::Value(number)]);
                self.b.switch_to_block(writer);
                let number = self.b.block_params(writer)[0];
                self.store_and_go_on(k, number, &writes, &bases, &writers, dispatch)?;
            } else if writes[k].is_some() {
                self.store_and_go_on(k, number, &writes, &bases, &writers, dispatch)?;
            } else {
                self.write_exit_to_vm(snap, number, dispatch)?;
            }
        }
        Ok(())
    }

    /// Stores exit `k`'s writes that its base does not make, then jumps to the base's writer
    /// (or to `dispatch`) with the exit number `number`.
    fn store_and_go_on(
        &mut self,
        k: usize,
        number: ir::Value,
        writes: &[Option<HashSet<(u16, IrRef)>>],
        bases: &[Option<usize>],
        writers: &[Option<Block>],
        dispatch: Block,
    ) -> Result<(), String> {
        let mine = writes[k].as_ref().ok_or("a shared exit without its writes")?;
        let theirs = bases[k].and_then(|j| writes[j].as_ref());
        let mut own: Vec<(u16, IrRef)> =
            mine.iter().copied().filter(|w| theirs.is_none_or(|t| !t.contains(w))).collect();
        own.sort_unstable();
        for (slot, r) in own {
            let value = self.val(r)?;
            let (base, offset) = self.slot_place(slot);
            self.store_value(base, offset, value, self.t.trace.ty(r))?;
        }
        let next = match bases[k] {
            Some(j) => writers[j].ok_or("a base exit without its writer")?,
            None => dispatch,
        };
        self.b.ins().jump(next, &[BlockArg::Value(number)]);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(items: &[(u16, u32)]) -> Option<HashSet<(u16, IrRef)>> {
        Some(items.iter().map(|&(s, r)| (s, IrRef(r))).collect())
    }

    #[test]
    fn an_exit_goes_on_to_the_largest_earlier_exit_it_contains() {
        let writes = vec![
            set(&[(16, 11), (6, 1)]),
            set(&[(16, 11), (6, 1), (7, 15)]),
            None,
            set(&[(16, 11), (6, 1), (7, 15), (8, 20)]),
            // The same slot with another value: contains only exit 0's writes.
            set(&[(16, 11), (6, 1), (7, 99)]),
            set(&[(5, 3)]),
        ];
        assert_eq!(plan_bases(&writes), vec![None, Some(0), None, Some(1), Some(0), None]);
    }

    #[test]
    fn an_exit_writing_the_same_as_an_earlier_one_stores_nothing_itself() {
        let writes = vec![set(&[(1, 1)]), set(&[(1, 1)]), set(&[(1, 1), (2, 2)])];
        assert_eq!(plan_bases(&writes), vec![None, Some(0), Some(1)]);
    }
}
