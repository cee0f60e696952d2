//! `ClearSlot` runs: consecutive `ClearSlot`s of straight-line code (`opt/clear_sink.rs` moves
//! them together) checked with one branch. A part of `lower.rs`; emits code only where the trace's `ClearSlot`s are.
//!
//! One `ClearSlot` is a tag load, a compare, a branch, a cold block calling `clear_slot` and a
//! continuation block (`Lowerer::drop_heap_values` with one slot). A run of them loads every slot's tag, takes
//! the highest (`umax`), and branches once: the cold block calls `clear_slot_if_heap` for each
//! slot, which does what `clear_slot` does if the slot holds a heap value. For `n` slots: about
//! `4n + 2` Cranelift instructions and 2 blocks instead of `7n` and `2n`. (One call clearing a
//! mask of slots made fewer instructions, but its loop cost bench/trees.toy 2% more instructions
//! in all: its function entries clear two tuples and a number at every call.) Slots the
//! lowering knows to hold no heap value (`lower_slot_facts.rs`) are left out, as a lone
//! `ClearSlot` skips them.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{self, InstBuilder, types};

use super::super::ir::{IrRef, Op, Trace};
use super::super::layout::TAG_OFFSET;
use super::Lowerer;
use super::ops::mem;
use crate::interp::objects::value::tag;

/// Does `trace`, straight-line code, hold two `ClearSlot`s in a row (so its code calls
/// `clear_slot_if_heap`)?
pub(super) fn has_run(trace: &Trace) -> bool {
    !trace.insts.iter().any(|inst| matches!(inst.op, Op::Loop))
        && trace
            .insts
            .windows(2)
            .any(|pair| matches!((pair[0].op, pair[1].op), (Op::ClearSlot { .. }, Op::ClearSlot { .. })))
}

impl Lowerer<'_, '_> {
    /// `ClearSlot` at `r`: the first of a run clears the run's slots; the others have nothing
    /// left to do.
    pub(super) fn lower_clear_slot(&mut self, r: IrRef) -> Result<(), String> {
        let insts = &self.t.trace.insts;
        let at = r.0 as usize;
        // Runs only in straight-line code (where slot facts are kept): see `opt/clear_sink.rs`.
        let runs = self.t.heap_free.is_some();
        if runs && at > 0 && matches!(insts[at - 1].op, Op::ClearSlot { .. }) {
            return Ok(());
        }
        let run_end = if runs { insts.len() } else { at + 1 };
        let mut slots: Vec<u16> = insts[at..run_end]
            .iter()
            .map_while(|inst| match inst.op {
                Op::ClearSlot { slot } => Some(slot),
                _ => None,
            })
            .filter(|&slot| !self.holds_no_heap(slot))
            .collect();
        slots.sort_unstable();
        slots.dedup();
        let places: Vec<(ir::Value, i32)> = slots.iter().map(|&slot| self.slot_place(slot)).collect();
        self.drop_heap_values(&places)
    }

    /// Drops what the values at `places` (frame or global slots: base and offset) hold if any
    /// holds a heap value: one branch on the highest tag, then a cold block that clears them
    /// (`clear_slot` for one place, whose tag the branch tested; `clear_slot_if_heap` for each
    /// of several). Nothing for no place.
    pub(super) fn drop_heap_values(&mut self, places: &[(ir::Value, i32)]) -> Result<(), String> {
        let mut highest = None;
        for &(base, offset) in places {
            let found = self.load(types::I8, mem(), base, offset + TAG_OFFSET);
            highest = Some(match highest {
                None => found,
                Some(before) => self.b.ins().umax(before, found),
            });
        }
        let Some(highest) = highest else { return Ok(()) };
        let heap = self.b.ins().icmp_imm_u(IntCC::UnsignedGreaterThan, highest, i64::from(tag::FLOAT));
        let clear = self.b.create_block();
        let done = self.b.create_block();
        self.b.set_cold_block(clear);
        self.b.ins().brif(heap, clear, &[], done, &[]);
        self.b.switch_to_block(clear);
        let clear_one = if places.len() == 1 {
            self.runtime.clear_slot.ok_or("a slot cleared without its runtime function")?
        } else {
            self.runtime.clear_slot_if_heap.ok_or("a run of ClearSlots without its runtime function")?
        };
        for &(base, offset) in places {
            let address = self.b.ins().iadd_imm_s(base, i64::from(offset));
            self.b.ins().call(clear_one, &[address]);
        }
        self.b.ins().jump(done, &[]);
        self.b.switch_to_block(done);
        Ok(())
    }
}
