//! `ClearSlot` runs: consecutive `ClearSlot`s (`clear_hoist.rs` moves them together) checked
//! with one branch. A part of `lower.rs`; emits code only where the trace's `ClearSlot`s are.
//!
//! One `ClearSlot` is a tag load, a compare, a branch, a cold block calling `clear_slot` and a
//! continuation block (`Lowerer::drop_heap_value`). A run of them loads every slot's tag, takes
//! the highest (`umax`), and branches once: the cold block calls `clear_heap_slots` once per
//! base (the frame, the globals) with a mask of the slots, and the runtime clears those that
//! hold a heap value, as `clear_slot` would have one by one. For `n` slots: about `2n + 6`
//! Cranelift instructions and 2 blocks instead of `7n` and `2n`. Slots the lowering knows to
//! hold no heap value (`lower_slot_facts.rs`) are left out, as a lone `ClearSlot` skips them.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{InstBuilder, types};

use super::super::ir::{IrRef, Op, Trace};
use super::super::layout::{TAG_OFFSET, VALUE_SIZE};
use super::Lowerer;
use super::ops::{mem, slot_location};
use crate::interp::objects::value::tag;

/// The most slots one `clear_heap_slots` call covers (bits of its mask).
const MASK_BITS: i32 = 64;

/// Does `trace` hold two `ClearSlot`s in a row (so its code calls `clear_heap_slots`)?
pub(super) fn has_run(trace: &Trace) -> bool {
    trace.insts.windows(2).any(|pair| matches!((pair[0].op, pair[1].op), (Op::ClearSlot { .. }, Op::ClearSlot { .. })))
}

impl Lowerer<'_, '_> {
    /// `ClearSlot` at `r`: the first of a run clears the run's slots; the others have nothing
    /// left to do.
    pub(super) fn lower_clear_slot(&mut self, r: IrRef) -> Result<(), String> {
        let insts = &self.t.trace.insts;
        let at = r.0 as usize;
        if at > 0 && matches!(insts[at - 1].op, Op::ClearSlot { .. }) {
            return Ok(());
        }
        let mut slots: Vec<u16> = insts[at..]
            .iter()
            .map_while(|inst| match inst.op {
                Op::ClearSlot { slot } => Some(slot),
                _ => None,
            })
            .filter(|&slot| !self.holds_no_heap(slot))
            .collect();
        slots.sort_unstable();
        slots.dedup();
        match slots[..] {
            [] => Ok(()),
            [slot] => {
                let (base, offset) = self.slot_place(slot);
                self.drop_heap_value(base, offset)
            }
            _ => self.drop_heap_values(&slots),
        }
    }

    /// Drops what the `slots` (sorted, two or more) hold if any holds a heap value.
    fn drop_heap_values(&mut self, slots: &[u16]) -> Result<(), String> {
        let mut highest = None;
        for &slot in slots {
            let (base, offset) = self.slot_place(slot);
            let found = self.b.ins().load(types::I8, mem(), base, offset + TAG_OFFSET);
            highest = Some(match highest {
                None => found,
                Some(before) => self.b.ins().umax(before, found),
            });
        }
        let highest = highest.ok_or("an empty run of ClearSlots")?;
        let heap = self.b.ins().icmp_imm_u(IntCC::UnsignedGreaterThan, highest, i64::from(tag::FLOAT));
        let clear = self.b.create_block();
        let done = self.b.create_block();
        self.b.set_cold_block(clear);
        self.b.ins().brif(heap, clear, &[], done, &[]);
        self.b.switch_to_block(clear);
        let clear_heap_slots =
            self.runtime.clear_heap_slots.ok_or("a run of ClearSlots without its runtime function")?;
        // Groups of slots on one base within the mask's reach: (first slot, mask).
        let mut groups: Vec<(u16, u64)> = Vec::new();
        for &slot in slots {
            let (global, offset) = slot_location(slot);
            let reach = groups.last_mut().and_then(|(first, mask)| {
                let (first_global, first_offset) = slot_location(*first);
                let index = (offset - first_offset) / VALUE_SIZE;
                (first_global == global && index < MASK_BITS).then_some((mask, index))
            });
            match reach {
                Some((mask, index)) => *mask |= 1 << index,
                None => groups.push((slot, 1)),
            }
        }
        for (first, mask) in groups {
            let (base, offset) = self.slot_place(first);
            let address = self.b.ins().iadd_imm_s(base, i64::from(offset));
            let mask = self.b.ins().iconst(types::I64, mask as i64);
            self.b.ins().call(clear_heap_slots, &[address, mask]);
        }
        self.b.ins().jump(done, &[]);
        self.b.switch_to_block(done);
        Ok(())
    }
}
