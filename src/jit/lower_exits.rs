//! Exits, links and side traces in the lowering: the cold block each guard branches to, what an
//! exit writes back (stores, a shared writer chain, or one call with an exit plan), the `Link`
//! that ends a side trace and the `Leave` that ends one at an untraced loop, and a side trace
//! lowered inside its parent's exit when a tree is compiled as one function. A part of
//! `lower.rs` (which builds the function and lowers the trace's body); touches only the
//! Cranelift function being built.

use std::collections::HashMap;

use cranelift_codegen::ir::{self, Block, BlockArg, InstBuilder, types};

use super::super::exit_plan::{self, ExitPlan, SlotPlace};
use super::super::ir::{IrRef, SnapId, Type};
use super::super::snap::{self, Known};
use super::{Lowerer, TraceState, ops};
use crate::interp::engine::native::{LINK_TO_ROOT, SideExitSlot};

impl Lowerer<'_, '_> {
    pub(super) fn exit_block(&mut self, snap: SnapId) -> Result<Block, String> {
        let slot = self.t.exits.get_mut(snap.0 as usize).ok_or_else(|| format!("{snap} does not exist"))?;
        if let Some(block) = *slot {
            return Ok(block);
        }
        let block = self.b.create_block();
        self.b.set_cold_block(block);
        *slot = Some(block);
        Ok(block)
    }

    /// Leaves the trace through `snap` when `cond` (an i8) is nonzero.
    pub(super) fn exit_if(&mut self, cond: ir::Value, snap: SnapId) -> Result<(), String> {
        self.exit_when(cond, true, snap)
    }

    /// Leaves the trace through `snap` when `cond` (an i8) is zero.
    pub(super) fn exit_unless(&mut self, cond: ir::Value, snap: SnapId) -> Result<(), String> {
        self.exit_when(cond, false, snap)
    }

    pub(super) fn exit_when(&mut self, cond: ir::Value, nonzero: bool, snap: SnapId) -> Result<(), String> {
        let exit = self.exit_block(snap)?;
        let cont = self.b.create_block();
        if nonzero {
            self.b.ins().brif(cond, exit, &[], cont, &[]);
        } else {
            self.b.ins().brif(cond, cont, &[], exit, &[]);
        }
        self.b.switch_to_block(cont);
        Ok(())
    }

    /// Writes snapshot `snap`'s slots into the frame.
    pub(super) fn write_snapshot(&mut self, snap: usize) -> Result<(), String> {
        self.write_snapshot_slots(snap, |_| true)
    }

    /// Writes snapshot `snap` at an exit to the interpreter (or into a side trace): through
    /// one runtime call ([`ExitPlan`]) if it needs any, else inline. Only for exits: a `Link`
    /// or a call writes on the hot path, where inline stores are faster.
    pub(super) fn write_exit_snapshot(&mut self, snap: usize) -> Result<(), String> {
        if let (Some(write_exit), Some(buffer)) = (self.runtime.write_exit, self.exit_buffer)
            && let Some(plan) = self.exit_plan(snap, exit_plan::MIN_CALLS_IN_PLACE)
        {
            let (words, address) = self.store_plan_words(plan, buffer)?;
            self.b.ins().call(write_exit, &[self.frame, self.globals, address, words]);
            return Ok(());
        }
        self.write_snapshot(snap)
    }

    /// The plan for writing snapshot `snap` of the current trace through one runtime call, if
    /// it needs at least `min_calls` inline runtime calls (see [`ExitPlan::for_snapshot`]).
    pub(super) fn exit_plan(&self, snap: usize, min_calls: usize) -> Option<ExitPlan> {
        let trace = self.t.trace;
        let place = |slot: u16| {
            let (global, offset) = ops::slot_location(slot);
            SlotPlace { global, offset }
        };
        ExitPlan::for_snapshot(trace, &trace.snapshots[snap], |_| true, place, min_calls)
    }

    /// Writes exit `snap` (leaving for the VM as exit `number`) and goes on to `dispatch`: the
    /// usual exit only stores the values its plan reads into the exit buffer and jumps to the
    /// trace's one restore block, whose one runtime call writes the frame (`exit_plan.rs`); an
    /// exit whose plan would not pay writes inline.
    pub(super) fn write_exit_to_vm(&mut self, snap: usize, number: ir::Value, dispatch: Block) -> Result<(), String> {
        if let (Some(_), Some(buffer)) = (self.runtime.write_exit, self.exit_buffer)
            && let Some(plan) = self.exit_plan(snap, exit_plan::MIN_CALLS_TO_VM)
        {
            let (_, address) = self.store_plan_words(plan, buffer)?;
            let restore = self.restore_block();
            self.b.ins().jump(restore, &[BlockArg::Value(number), BlockArg::Value(address)]);
            return Ok(());
        }
        self.write_snapshot(snap)?;
        self.b.ins().jump(dispatch, &[BlockArg::Value(number)]);
        Ok(())
    }

    /// The current trace's restore block (exit number, plan address), created on first use and
    /// filled by [`Lowerer::fill_restore_block`].
    pub(super) fn restore_block(&mut self) -> Block {
        if let Some(block) = self.t.restore {
            return block;
        }
        let block = self.b.create_block();
        self.b.set_cold_block(block);
        self.b.append_block_param(block, types::I32);
        self.b.append_block_param(block, types::I64);
        self.t.restore = Some(block);
        block
    }

    /// The restore block: one call writes the exit's plan from the exit buffer, then on to
    /// `dispatch` with the exit number.
    pub(super) fn fill_restore_block(&mut self, dispatch: Block) -> Result<(), String> {
        let Some(block) = self.t.restore else { return Ok(()) };
        let write_exit = self.runtime.write_exit.ok_or("a restore block without toyjit_write_exit")?;
        let buffer = self.exit_buffer.ok_or("a restore block without the exit buffer")?;
        self.b.switch_to_block(block);
        let (number, plan) = (self.b.block_params(block)[0], self.b.block_params(block)[1]);
        let words = self.b.ins().stack_addr(types::I64, buffer, 0);
        self.b.ins().call(write_exit, &[self.frame, self.globals, plan, words]);
        self.b.ins().jump(dispatch, &[BlockArg::Value(number)]);
        Ok(())
    }

    /// Writes the slots of snapshot `snap` that `wanted` picks.
    pub(super) fn write_snapshot_slots(&mut self, snap: usize, wanted: impl Fn(u16) -> bool) -> Result<(), String> {
        let trace = self.t.trace;
        let slots: Vec<(u16, IrRef)> =
            trace.snapshots[snap].slots.iter().copied().filter(|&(slot, _)| wanted(slot)).collect();
        // Virtual tuples are built first, counting their items while every slot still holds
        // what kept them alive; then lists and tuples get their references counted, then all
        // slots are stored (see `runtime::RETAIN_LIST`).
        let virtual_slots: Vec<(u16, u32)> =
            trace.snapshots[snap].virtual_slots.iter().copied().filter(|&(slot, _)| wanted(slot)).collect();
        let built = if virtual_slots.is_empty() { Vec::new() } else { self.build_virtuals(snap)? };
        for &(_, r) in &slots {
            let retain = match trace.ty(r) {
                Type::Ptr => self.runtime.retain_list,
                Type::Tuple => {
                    let tuple = self.val(r)?;
                    self.retain_tuple_inline(tuple);
                    continue;
                }
                Type::Str => self.runtime.retain_str,
                Type::Dict => self.runtime.retain_dict,
                Type::Big => self.runtime.retain_big,
                _ => continue,
            };
            let object = self.val(r)?;
            let retain = retain.ok_or("a list or tuple written without its runtime function")?;
            self.b.ins().call(retain, &[object]);
        }
        for &(_, v) in &virtual_slots {
            let address = *built.get(v as usize).ok_or("a virtual slot without its tuple")?;
            self.retain_tuple_inline(address);
        }
        for &(slot, v) in &virtual_slots {
            let (base, offset) = self.slot_place(slot);
            self.store_value(base, offset, built[v as usize], Type::Tuple)?;
        }
        for (slot, r) in slots {
            let value = self.val(r)?;
            let ty = trace.ty(r);
            let (base, offset) = self.slot_place(slot);
            self.store_value(base, offset, value, ty)?;
        }
        Ok(())
    }

    /// Stores the words `plan` reads into the exit buffer; returns the buffer's address and the
    /// plan's (the compiled trace keeps the plan).
    pub(super) fn store_plan_words(
        &mut self,
        plan: ExitPlan,
        buffer: ir::StackSlot,
    ) -> Result<(ir::Value, ir::Value), String> {
        let words = self.b.ins().stack_addr(types::I64, buffer, 0);
        for (index, &r) in plan.words.iter().enumerate() {
            let value = self.val(r)?;
            let word = match self.t.trace.ty(r) {
                Type::Float => self.b.ins().bitcast(types::I64, ir::MemFlagsData::new(), value),
                Type::Bool | Type::NoneType => self.b.ins().uextend(types::I64, value),
                _ => value,
            };
            self.store(ir::MemFlagsData::trusted(), word, words, (index * 8) as i32);
        }
        let plan = Box::new(plan);
        let address = self.b.ins().iconst(types::I64, &*plan as *const ExitPlan as i64);
        self.exit_plans.push(plan);
        Ok((words, address))
    }

    /// The end of a side trace (`Link`): write the snapshot, then re-enter the root's loop or
    /// leave at another loop's header. Compiled alone, a side trace re-enters the root by
    /// returning `LINK_TO_ROOT` (the root's exit code passes it on, the VM calls the root
    /// again); compiled with its tree, it jumps to the root's start.
    pub(super) fn link(&mut self, target: u32, snap: SnapId) -> Result<(), String> {
        let place = self.t.place;
        if target == place.root_trace
            && self.handover.enters_body.get(self.t.member).copied().unwrap_or(false)
            && self.link_into_body(snap.0 as usize)?
        {
            return Ok(());
        }
        self.write_snapshot(snap.0 as usize)?;
        if target == place.root_trace
            && let Some(start) = self.root_start
        {
            // A tree whose side traces link back into its start may never reach its loop's
            // back edge (bigpi's loop alternates between the root and a side trace every
            // iteration): drop the garbage here too (if this path makes any). The snapshot just
            // stored every live value into the frame (counted), and the root's start reads
            // them from there.
            if let Some(drop_garbage) = self.runtime.drop_garbage.filter(|_| self.path_makes_garbage()) {
                self.b.ins().call(drop_garbage, &[]);
            }
            self.b.ins().jump(start, &[]);
            return Ok(());
        }
        let status = if target == place.root_trace { LINK_TO_ROOT } else { place.exit_base + snap.0 };
        let status = self.b.ins().iconst(types::I32, i64::from(status));
        self.b.ins().return_(&[status]);
        Ok(())
    }

    /// The end of a side trace at the module's `Return`, a raise or an untraced loop's header
    /// (`Leave`): write the snapshot, then return its exit number (the VM goes on there).
    pub(super) fn leave(&mut self, snap: SnapId) -> Result<(), String> {
        self.write_snapshot(snap.0 as usize)?;
        let status = self.b.ins().iconst(types::I32, i64::from(self.t.place.exit_base + snap.0));
        self.b.ins().return_(&[status]);
        Ok(())
    }

    /// Fills each exit block: write the snapshot, then either run on into the side trace of
    /// the tree that hangs from this exit, or go to the shared `dispatch` block with the
    /// snapshot's number. If a side trace is attached to that exit (its slot in the side-exit
    /// table is set), `dispatch` calls it and returns what it returns (an exit number, or
    /// `LINK_TO_ROOT`, on which the VM calls the root again), else it returns the exit's
    /// number.
    ///
    /// ```text
    ///   exitN:           store slots; jump dispatch(N)      (or: the side trace's code)
    ///   dispatch(n):     side = load table[n].entry; brif side, call_side(n), leave(n)
    ///   call_side(n):    return call_indirect side(frame, globals, table[n].table)
    ///   leave(n):        return exit_base + n
    /// ```
    pub(super) fn emit_exits(&mut self) -> Result<(), String> {
        let member = self.t.member;
        let exits: Vec<(usize, Block)> =
            self.t.exits.iter().enumerate().filter_map(|(snap, block)| block.map(|b| (snap, b))).collect();
        let child_at = |snap: usize| self.members.iter().position(|m| m.parent == Some((member, snap as u32)));
        let children: Vec<Option<usize>> = exits.iter().map(|&(snap, _)| child_at(snap)).collect();
        let dispatch = children.iter().any(Option::is_none).then(|| {
            let dispatch = self.b.create_block();
            self.b.set_cold_block(dispatch);
            self.b.append_block_param(dispatch, types::I32);
            dispatch
        });
        let mut to_vm = Vec::new();
        for (&(snap, block), &child) in exits.iter().zip(&children) {
            match child {
                Some(child) => {
                    self.b.switch_to_block(block);
                    if !self.handover.takes_over.get(child).copied().unwrap_or(false) {
                        self.write_exit_snapshot(snap)?;
                    }
                    self.lower_side_trace_at(child, snap)?;
                }
                None => to_vm.push((snap, block)),
            }
        }
        let Some(dispatch) = dispatch else { return Ok(()) };
        self.emit_shared_exits(&to_vm, dispatch)?;
        self.fill_restore_block(dispatch)?;

        self.b.switch_to_block(dispatch);
        let number = self.b.block_params(dispatch)[0];
        let index = self.b.ins().uextend(types::I64, number);
        let offset = self.b.ins().imul_imm_u(index, std::mem::size_of::<SideExitSlot>() as i64);
        let slot = self.b.ins().iadd(self.t.side_exits, offset);
        let side = self.load(types::I64, ops::mem(), slot, 0);
        let call = self.b.create_block();
        let leave = self.b.create_block();
        self.b.set_cold_block(call);
        self.b.set_cold_block(leave);
        self.b.ins().brif(side, call, &[], leave, &[]);

        self.b.switch_to_block(call);
        let table = self.load(types::I64, ops::mem(), slot, 8);
        let signature = self.b.func.signature.clone();
        let signature = self.b.import_signature(signature);
        let args = [self.frame, self.globals, table];
        let inst = self.b.ins().call_indirect(signature, side, &args);
        let status = self.b.inst_results(inst)[0];
        // `LINK_TO_ROOT` too goes back to the caller, which calls the root again at once: were
        // the root to jump back to its start itself, the frame, flag and table pointers would
        // live across this call and take registers from the loop.
        self.b.ins().return_(&[status]);

        self.b.switch_to_block(leave);
        let exit = self.b.ins().iadd_imm_u(number, i64::from(self.t.place.exit_base));
        self.b.ins().return_(&[exit]);
        Ok(())
    }

    /// What the frame's slots hold when exit `snap` of the current trace has been taken, as far
    /// as the code knows ([`snap::known_at_exit`], with the values that dominate the exit block:
    /// the slot loads before the exit's first guard and what the exit writes).
    pub(super) fn known_at_exit(&self, snap: usize) -> HashMap<u16, Known<ir::Value>> {
        snap::known_at_exit(self.t.trace, SnapId(snap as u32), &self.t.inherited, |r| self.val(r).ok())
    }

    /// The value slot `slot` is known to hold at the start of the current side trace, if it is
    /// of type `ty`.
    pub(super) fn inherited(&self, slot: u16, ty: Type) -> Option<ir::Value> {
        self.t.inherited.get(&slot).filter(|known| known.ty == ty).and_then(|known| known.value)
    }

    /// Lowers side trace `child` of the tree right where the current trace's exit `snap` has
    /// written its snapshot, as if the exit had called it; then goes back to the current trace.
    pub(super) fn lower_side_trace_at(&mut self, child: usize, snap: usize) -> Result<(), String> {
        let offset = (snap * std::mem::size_of::<SideExitSlot>()) as i32;
        // The child's own side-exit table, as the exit's `dispatch` would pass it.
        let table = self.load(types::I64, ops::mem(), self.t.side_exits, offset + 8);
        let mut state = TraceState::new(child, self.members, self.objects, table);
        state.inherited = self.known_at_exit(snap);
        let parent = std::mem::replace(&mut self.t, state);
        let lowered = self.lower_member();
        self.t = parent;
        lowered
    }
}
