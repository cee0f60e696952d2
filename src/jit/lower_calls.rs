//! The Cranelift code for function-entry traces and native calls (a part of `lower.rs`):
//! `Ret` (an entry trace returns its result), `EnterCheck`, `StoreSlot` and `CallNative` (a
//! trace calls the entry trace of another function, or of its own, as machine code).
//!
//! The protocol between caller and callee is the interpreter's frame layout: the callee's frame
//! starts at the caller's first argument register, so the caller stores the arguments there
//! (`StoreSlot`) and calls the callee's code with that address as its frame; the callee's `Ret`
//! leaves its result in its slot 0 and returns `RETURNED`. The recursion limit is the VM's:
//! `native_context::FRAMES_LEFT` (a symbol) counts the frames left, taken by each native call for
//! its callee and given back when it returns. Any other status means the callee exited: the
//! caller has the VM finish the callee in the interpreter (`FINISH_EXITED_CALL`) and goes on
//! with its result, or exits after the call if it raised. `CallInterp` runs a callee in the
//! interpreter instead, through the runtime (`interp::engine::interp_call`), with the same
//! frame layout and result protocol.
//! Touches nothing but the function being built.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{self, InstBuilder, MemFlagsData, types};

use super::super::ir::{GLOBAL_SLOTS, IrRef, SnapId, Type};
use super::super::layout::{PAYLOAD_OFFSET, TAG_OFFSET};
use super::ops::{mem, slot_offset};
use super::{Lowerer, cl_type};
use crate::interp::engine::native::{EntrySlot, LINK_TO_ROOT, RETURNED};
use crate::interp::objects::value::{Value, tag};

/// Byte offsets of the `EntrySlot` fields native code reads.
fn entry_field(field: EntryField) -> i32 {
    let offset = match field {
        EntryField::Native => std::mem::offset_of!(EntrySlot, native),
        EntryField::SideExits => std::mem::offset_of!(EntrySlot, side_exits),
        EntryField::Extent => std::mem::offset_of!(EntrySlot, extent),
        EntryField::Rebinds => std::mem::offset_of!(EntrySlot, rebinds),
        EntryField::InlineDepth => std::mem::offset_of!(EntrySlot, inline_depth),
        EntryField::LoopNative => std::mem::offset_of!(EntrySlot, loop_native),
        EntryField::LoopSideExits => std::mem::offset_of!(EntrySlot, loop_side_exits),
    };
    offset as i32
}

/// The cells of `native_context` (and the Ctrl-C flag) that native calls read.
#[derive(Clone, Copy)]
enum ContextCell {
    FramesLeft,
    StackEnd,
    Rebinds,
    Interrupt,
}

#[derive(Clone, Copy)]
enum EntryField {
    Native,
    SideExits,
    Extent,
    Rebinds,
    InlineDepth,
    LoopNative,
    LoopSideExits,
}

impl Lowerer<'_, '_> {
    /// The address of the `EntrySlot` of object `index` (a function the trace keeps alive).
    fn entry_slot(&mut self, index: u32) -> Result<ir::Value, String> {
        let object = self.t.objects.get(index as usize).ok_or("a native call of an unknown object")?;
        let Value::Function(function) = object else {
            return Err("a native call of an object that is not a function".into());
        };
        let address = &function.code.jit_entry as *const EntrySlot as i64;
        Ok(self.b.ins().iconst(types::I64, address))
    }

    /// The address of a `native_context` cell (or of the Ctrl-C flag), as a constant: Cranelift
    /// materializes a constant again where it is used, while a `symbol_value` was merged into
    /// one value kept in a callee-saved register across the whole function (three of them in
    /// fib's tree, which pushed the frame's address out to the stack). `symbol` is checked to be
    /// imported, so that the runtime's table stays the list of what machine code touches.
    fn context_address(&mut self, symbol: Option<ir::GlobalValue>, cell: ContextCell) -> Result<ir::Value, String> {
        use crate::interp::engine::native::native_context as context;
        symbol.ok_or("a native call without the native context's symbols")?;
        let address = match cell {
            ContextCell::FramesLeft => &context::FRAMES_LEFT as *const std::sync::atomic::AtomicI64 as i64,
            ContextCell::StackEnd => &context::STACK_END as *const std::sync::atomic::AtomicUsize as i64,
            ContextCell::Rebinds => &context::REBINDS as *const std::sync::atomic::AtomicU64 as i64,
            ContextCell::Interrupt => crate::interp::engine::interrupt::flag_address() as i64,
        };
        Ok(self.b.ins().iconst(types::I64, address))
    }

    /// Stores `value` (of IR type `ty`) into the frame slot at `base + offset`, dropping what it
    /// held: a list through the runtime (counted first), a number inline after dropping a heap
    /// value the slot may hold. `no_heap_there`: the lowering knows the slot holds no heap value.
    fn store_dropping(
        &mut self,
        (base, offset): (ir::Value, i32),
        value: ir::Value,
        ty: Type,
        no_heap_there: bool,
    ) -> Result<(), String> {
        if ty != Type::Ptr {
            return self.store_counted(base, offset, value, ty);
        }
        if no_heap_there {
            return self.store_list_counted((base, offset), value, true);
        }
        // A recursive call stores the same lists into its callee's frame call after call
        // (the frame's parameter slots keep what the last call there was given): when the
        // slot already holds this very list, counting it again and dropping the old
        // reference would change nothing (queens' five list arguments: two runtime calls
        // and a drop each). Not for strings, tuples, dicts: tried on all heap types, the
        // test cost bench/strings.toy more than it saved.
        let found_tag = self.load(types::I8, mem(), base, offset + TAG_OFFSET);
        let found = self.load(types::I64, mem(), base, offset + PAYLOAD_OFFSET);
        let same_tag = self.b.ins().icmp_imm_u(IntCC::Equal, found_tag, i64::from(tag::LIST));
        let same_object = self.b.ins().icmp(IntCC::Equal, found, value);
        let already_there = self.b.ins().band(same_tag, same_object);
        let store = self.b.create_block();
        let done = self.b.create_block();
        self.b.ins().brif(already_there, done, &[], store, &[]);
        self.b.switch_to_block(store);
        self.store_list_counted((base, offset), value, false)?;
        self.b.ins().jump(done, &[]);
        self.b.switch_to_block(done);
        Ok(())
    }

    /// [`Self::store_dropping`] without looking at what the slot holds first.
    fn store_counted(&mut self, base: ir::Value, offset: i32, value: ir::Value, ty: Type) -> Result<(), String> {
        if ty == Type::Tuple {
            self.retain_tuple_inline(value);
            return self.store_value(base, offset, value, ty);
        }
        if ty == Type::Ptr {
            return self.store_list_counted((base, offset), value, false);
        }
        if ty.is_heap() {
            // Tuples and lists are counted inline above: strings, dicts and big ints are left.
            let retain = match ty {
                Type::Str => self.runtime.retain_str,
                Type::Dict => self.runtime.retain_dict,
                Type::Big => self.runtime.retain_big,
                _ => None,
            };
            let retain = retain.ok_or("a string, dict or big int stored without its runtime function")?;
            self.b.ins().call(retain, &[value]);
            return self.store_value(base, offset, value, ty);
        }
        self.drop_heap_value(base, offset)?;
        self.store_value(base, offset, value, ty)
    }

    /// Branches on `cond` (an i8) to a new cold block when it is nonzero (`cold_when`) or zero
    /// (not `cold_when`), else to a new block; returns (the cold block, the other).
    fn branch_to_cold(&mut self, cond: ir::Value, cold_when: bool) -> (ir::Block, ir::Block) {
        let cold = self.b.create_block();
        let other = self.b.create_block();
        self.b.set_cold_block(cold);
        if cold_when {
            self.b.ins().brif(cond, cold, &[], other, &[]);
        } else {
            self.b.ins().brif(cond, other, &[], cold, &[]);
        }
        (cold, other)
    }

    /// `StoreSlot`: an argument of a native call, written where the callee reads it.
    pub(super) fn store_slot(&mut self, slot: u16, value: IrRef) -> Result<(), String> {
        let ty = self.t.trace.ty(value);
        let value = self.val(value)?;
        let (base, offset) = self.slot_place(slot);
        let no_heap_there = self.holds_no_heap(slot);
        if !ty.is_heap() && no_heap_there {
            return self.store_value(base, offset, value, ty);
        }
        self.store_dropping((base, offset), value, ty, no_heap_there)
    }

    /// `Ret`: the end of an entry trace. Writes the globals of its snapshot (the frame is
    /// released: only its result matters), puts the result into the frame's slot 0 and returns
    /// `RETURNED`.
    pub(super) fn ret(&mut self, value: IrRef, snap: SnapId) -> Result<(), String> {
        self.write_snapshot_slots(snap.0 as usize, |slot| slot >= GLOBAL_SLOTS)?;
        let ty = self.t.trace.ty(value);
        let handed_over = self.handed_over(value);
        let value = self.val(value)?;
        let no_heap_there = self.holds_no_heap(0);
        if !ty.is_heap() && no_heap_there {
            self.store_value(self.frame, 0, value, ty)?;
        } else if handed_over {
            // A tuple built for the result: the frame's slot takes the trace's reference.
            self.store_value(self.frame, 0, value, ty)?;
        } else {
            self.store_dropping((self.frame, 0), value, ty, no_heap_there)?;
        }
        let status = self.b.ins().iconst(types::I32, i64::from(RETURNED));
        self.b.ins().return_(&[status]);
        Ok(())
    }

    /// `EnterCheck`: exits unless the native call may be made now (see the opcode's doc). Each
    /// condition is its own branch to the (shared) exit: an `or` of them all kept every loaded
    /// value live at once, which cost a fib call more than its arithmetic (measured: 33
    /// instructions a call, and 1.6x the run time, for the check alone).
    pub(super) fn enter_check(&mut self, callee: u32, frame_slot: u16, depth: i64, snap: SnapId) -> Result<(), String> {
        let entry = self.entry_slot(callee)?;
        let exit = self.exit_block(snap)?;
        self.branch_unless_callable(entry, frame_slot, depth, exit)
    }

    /// Branches to `refused` unless the entry code of `entry` may be called now on the frame at
    /// `frame_slot`, `depth` calls deep (see `EnterCheck`); goes on in a new block if it may.
    fn branch_unless_callable(
        &mut self,
        entry: ir::Value,
        frame_slot: u16,
        depth: i64,
        refused: ir::Block,
    ) -> Result<(), String> {
        let refuse_if = |this: &mut Self, cond: ir::Value| {
            let go_on = this.b.create_block();
            this.b.ins().brif(cond, refused, &[], go_on, &[]);
            this.b.switch_to_block(go_on);
        };
        // The callee's code is installed and current: its `rebinds` is the VM's count of
        // rebound globals at its install, or `u64::MAX` while none is installed.
        let rebinds = self.load(types::I64, MemFlagsData::new(), entry, entry_field(EntryField::Rebinds));
        let current = self.context_address(self.runtime.rebinds, ContextCell::Rebinds)?;
        let current = self.load(types::I64, MemFlagsData::new(), current, 0);
        let stale = self.b.ins().icmp(IntCC::NotEqual, rebinds, current);
        refuse_if(self, stale);
        // Ctrl-C (the flag is an AtomicBool: one byte).
        let flag = self.context_address(self.runtime.interrupt_flag, ContextCell::Interrupt)?;
        let flag = self.load(types::I8, MemFlagsData::new(), flag, 0);
        refuse_if(self, flag);
        // The recursion limit: the callee's frame and the calls it inlines must fit.
        let inline_depth = self.load(types::I32, MemFlagsData::new(), entry, entry_field(EntryField::InlineDepth));
        let inline_depth = self.b.ins().uextend(types::I64, inline_depth);
        let needed = self.b.ins().iadd_imm_s(inline_depth, depth);
        let left = self.context_address(self.runtime.frames_left, ContextCell::FramesLeft)?;
        let left = self.load(types::I64, MemFlagsData::new(), left, 0);
        let too_deep = self.b.ins().icmp(IntCC::SignedLessThanOrEqual, left, needed);
        refuse_if(self, too_deep);
        // The callee's frame (and the calls it inlines) must be on the stack.
        let extent = self.load(types::I64, MemFlagsData::new(), entry, entry_field(EntryField::Extent));
        let extent = self.b.ins().imul_imm_u(extent, i64::from(super::super::layout::VALUE_SIZE));
        let callee_frame = self.b.ins().iadd_imm_s(self.frame, i64::from(slot_offset(frame_slot)));
        let end = self.b.ins().iadd(callee_frame, extent);
        let stack_end = self.context_address(self.runtime.stack_end, ContextCell::StackEnd)?;
        let stack_end = self.load(types::I64, MemFlagsData::new(), stack_end, 0);
        let past_end = self.b.ins().icmp(IntCC::UnsignedGreaterThan, end, stack_end);
        refuse_if(self, past_end);
        Ok(())
    }

    /// Calls the entry code of `entry` on `callee_frame` and returns its status: for a function
    /// with a loop, the entry returns `LINK_TO_ROOT` at the loop's header, and the loop's tree
    /// runs on the same frame (again while it returns `LINK_TO_ROOT`). When the callee exits,
    /// the VM finishes it in the interpreter (`toyjit_finish_exited_call`, PyPy's
    /// `assembler_helper`): `RETURNED` then, or `CALL_EXITS` if it raised or rebound a
    /// function's global (its result in `dst`).
    fn call_entry_code(
        &mut self,
        callee: u32,
        (entry, callee_frame, dst): (ir::Value, ir::Value, u16),
    ) -> Result<ir::Value, String> {
        self.unbind_callee_locals(callee, callee_frame)?;
        let native = self.load(types::I64, MemFlagsData::new(), entry, entry_field(EntryField::Native));
        let table = self.load(types::I64, MemFlagsData::new(), entry, entry_field(EntryField::SideExits));
        let signature = self.b.func.signature.clone();
        let signature = self.b.import_signature(signature);
        let call = self.b.ins().call_indirect(signature, native, &[callee_frame, self.globals, table]);
        let first = self.b.inst_results(call)[0];
        let check = self.b.create_block();
        let not_returned = self.b.create_block();
        let again = self.b.create_block();
        let exited = self.b.create_block();
        let done = self.b.create_block();
        // Out of the straight line, so that a call that returned falls through to `done`.
        for block in [not_returned, again, exited] {
            self.b.set_cold_block(block);
        }
        let status = self.b.append_block_param(check, types::I32);
        let result = self.b.append_block_param(done, types::I32);
        self.b.ins().jump(check, &[first.into()]);
        // `RETURNED` first: the hot path of a function without a loop compares once, as before.
        self.b.switch_to_block(check);
        let returned = self.b.ins().icmp_imm_u(IntCC::Equal, status, i64::from(RETURNED));
        self.b.ins().brif(returned, done, &[status.into()], not_returned, &[]);
        self.b.switch_to_block(not_returned);
        let link = self.b.ins().icmp_imm_u(IntCC::Equal, status, i64::from(LINK_TO_ROOT));
        self.b.ins().brif(link, again, &[], exited, &[]);
        self.b.switch_to_block(again);
        let native = self.load(types::I64, MemFlagsData::new(), entry, entry_field(EntryField::LoopNative));
        let table = self.load(types::I64, MemFlagsData::new(), entry, entry_field(EntryField::LoopSideExits));
        let call = self.b.ins().call_indirect(signature, native, &[callee_frame, self.globals, table]);
        let next = self.b.inst_results(call)[0];
        self.b.ins().jump(check, &[next.into()]);

        // Computed here, on the cold path: the result register's address kept across the call
        // cost bench/calls.toy's recursive calls 1.5% more instructions.
        self.b.switch_to_block(exited);
        let finish = self.runtime.finish_exited_call.ok_or("a native call without its runtime function")?;
        let object = self.t.objects.get(callee as usize).ok_or("a native call of an unknown object")?;
        let object = self.b.ins().iconst(types::I64, object as *const Value as i64);
        let (base, offset) = self.slot_place(dst);
        let dst_address = self.b.ins().iadd_imm_s(base, i64::from(offset));
        // The callee's frames are still taken from `FRAMES_LEFT` here: none more to count.
        let depth = self.b.ins().iconst(types::I32, 0);
        let call = self.b.ins().call(finish, &[object, callee_frame, dst_address, status, depth]);
        let finished = self.b.inst_results(call)[0];
        self.b.ins().jump(done, &[finished.into()]);
        self.b.switch_to_block(done);
        Ok(result)
    }

    /// Calls the entry code of `callee` natively on `callee_frame`, taking `depth` frames from
    /// `FRAMES_LEFT` for the time of the call; exits through `snap` if it did not return (the
    /// callee raised, or rebound a function's global), with the garbage floor raised around the
    /// call when the trace imported it ([`Lowerer::with_garbage_floor`]). Returns the blocks for
    /// a result whose tag is not `want` and for one that is, in that order (the current block is
    /// left ended).
    fn call_checked(
        &mut self,
        callee: u32,
        (entry, callee_frame, dst): (ir::Value, ir::Value, u16),
        (depth, drops_garbage): (i64, Option<bool>),
        want: u8,
        snap: SnapId,
    ) -> Result<(ir::Block, ir::Block), String> {
        let left_cell = self.context_address(self.runtime.frames_left, ContextCell::FramesLeft)?;
        let left = self.load(types::I64, MemFlagsData::new(), left_cell, 0);
        let taken = self.b.ins().iadd_imm_s(left, -depth);
        self.store(MemFlagsData::new(), taken, left_cell, 0);
        // The callee's loops drop garbage at their back edges: what this trace holds stays
        // below a floor until the callee returns. Every trace with a `CallInterp` imports the
        // floor (`lower_imports.rs`): the differential generator's s_calls programs crashed or
        // printed other strings when its native path dropped the caller's garbage.
        let status =
            self.with_garbage_floor(drops_garbage, |this| this.call_entry_code(callee, (entry, callee_frame, dst)))?;
        // Give the callee's frames back (the symbol's address is materialized again rather than
        // kept across the call).
        let left_cell = self.context_address(self.runtime.frames_left, ContextCell::FramesLeft)?;
        self.store(MemFlagsData::new(), left, left_cell, 0);
        let returned = self.b.ins().icmp_imm_u(IntCC::Equal, status, i64::from(RETURNED));
        let exit = self.exit_block(snap)?;
        let (exited, came_back) = self.branch_to_cold(returned, false);
        self.b.switch_to_block(exited);
        self.b.ins().jump(exit, &[]);

        // It returned: the result is in its slot 0, with its tag.
        self.b.switch_to_block(came_back);
        let found = self.load(types::I8, mem(), callee_frame, TAG_OFFSET);
        let other = self.b.ins().icmp_imm_u(IntCC::NotEqual, found, i64::from(want));
        Ok(self.branch_to_cold(other, true))
    }

    /// Makes the locals of callee `callee` (object index) that are not parameters unbound in
    /// its frame at `callee_frame`, as the interpreter's `Call` does: the slots may hold what
    /// an earlier call there left, and the callee's code (an exit, a loop tree recorded under
    /// the interpreter) may test whether a local is bound.
    fn unbind_callee_locals(&mut self, callee: u32, callee_frame: ir::Value) -> Result<(), String> {
        let object = self.t.objects.get(callee as usize).ok_or("a native call of an unknown object")?;
        let Value::Function(function) = object else {
            return Err("a native call of an object that is not a function".into());
        };
        let locals = function.code.params.len() as i32..function.code.nlocals as i32;
        let value_size = super::super::layout::VALUE_SIZE;
        for local in locals {
            let offset = local * value_size;
            self.drop_heap_value(callee_frame, offset)?;
            let unbound = self.b.ins().iconst(types::I8, i64::from(crate::interp::objects::value::tag::UNBOUND));
            self.store(mem(), unbound, callee_frame, offset + TAG_OFFSET);
        }
        Ok(())
    }

    /// `CallNative`: calls the callee's entry trace on its frame; the result if it returned a
    /// value of type `ty`, else an exit (see the opcode's doc).
    #[allow(clippy::too_many_arguments)]
    /// Before call `r`: keeps each value the caller borrows across it alive, a counted
    /// reference in the runtime's garbage below the callee's floor (what the callee lets go of
    /// then frees nothing the caller still uses: `lower_call_garbage::borrowed_across_calls`).
    /// Returns whether there were none (a native callee's garbage is then dropped when it
    /// returns).
    pub(super) fn keep_borrowed_alive(&mut self, r: IrRef) -> Result<bool, String> {
        let borrowed = self.t.borrowed_across_calls[r.0 as usize].clone();
        for &value in &borrowed {
            let (value_tag, payload) = self.tag_and_payload(value)?;
            let keep = self.runtime.keep_alive.ok_or("a call keeping values alive without its runtime function")?;
            self.b.ins().call(keep, &[value_tag, payload]);
        }
        Ok(borrowed.is_empty())
    }

    pub(super) fn call_native(
        &mut self,
        callee: u32,
        frame_slot: u16,
        depth: i64,
        dst: u16,
        ty: Type,
        snap: SnapId,
        (handed_over, drops_garbage): (bool, bool),
    ) -> Result<ir::Value, String> {
        let cl_ty =
            cl_type(ty).ok_or("a native call must return a number, None, a list, a tuple, a string or a dict")?;
        let entry = self.entry_slot(callee)?;
        let callee_frame = self.b.ins().iadd_imm_s(self.frame, i64::from(slot_offset(frame_slot)));
        let want = ty
            .heap_tag()
            .or(ty.value_tag())
            .ok_or("a native call must return a number, None, a list, a tuple, a string or a dict")?;
        let (mismatch, done) =
            self.call_checked(callee, (entry, callee_frame, dst), (depth, Some(drops_garbage)), want, snap)?;
        let exit = self.exit_block(snap)?;

        // Another type: the interpreter takes it from the caller's result register.
        self.b.switch_to_block(mismatch);
        let take_result = self.runtime.take_result.ok_or("CallNative without its runtime function")?;
        let (base, offset) = self.slot_place(dst);
        let to = self.b.ins().iadd_imm_s(base, i64::from(offset));
        self.b.ins().call(take_result, &[callee_frame, to]);
        self.b.ins().jump(exit, &[]);

        self.b.switch_to_block(done);
        if ty == Type::NoneType {
            return Ok(self.b.ins().iconst(types::I8, 0));
        }
        let result = self.load(cl_ty, mem(), callee_frame, PAYLOAD_OFFSET);
        if ty == Type::Tuple && handed_over {
            // Its one consumer takes the slot's reference: the slot keeps None.
            let none = self.b.ins().iconst(types::I8, i64::from(tag::NONE));
            self.store(mem(), none, callee_frame, TAG_OFFSET);
        } else if ty.is_heap() {
            // The callee's slot 0 is reused by the next call made there: the tuple, list, string or dict
            // moves to the runtime's garbage, which keeps it alive while the trace may use it.
            let keep = self.runtime.keep_result.ok_or("a tuple returned without its runtime function")?;
            self.b.ins().call(keep, &[callee_frame]);
        }
        Ok(result)
    }
    /// `CallInterp`: runs the callee in the interpreter (a runtime call); the result if it
    /// returned a value of type `ty` (`Void`: `None`, left in `dst`), else an exit (see the
    /// opcode's doc). When the callee has entry code by the time the call is made (a function
    /// with a loop gets one after the trace was recorded: its recursive calls), and it may be
    /// called now, the call is native instead, as `CallNative`'s.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn call_interp(
        &mut self,
        callee: u32,
        (frame_slot, argc, depth): (u16, i64, i64),
        dst: u16,
        ty: Type,
        snap: SnapId,
    ) -> Result<Option<ir::Value>, String> {
        let object = self.t.objects.get(callee as usize).ok_or("a call of an unknown object")?;
        let all_arguments = matches!(object, Value::Function(f) if f.code.params.len() as i64 == argc);
        let native_possible = all_arguments;
        let object = self.b.ins().iconst(types::I64, object as *const Value as i64);
        let callee_frame = self.b.ins().iadd_imm_s(self.frame, i64::from(slot_offset(frame_slot)));
        let (base, offset) = self.slot_place(dst);
        let dst_address = self.b.ins().iadd_imm_s(base, i64::from(offset));
        // `Void`: the result, whatever its type, stays in `dst` (the trace reads it from there).
        let want = if ty == Type::Void {
            crate::interp::engine::interp_call::ANY_RESULT
        } else {
            ty.value_tag()
                .or(ty.heap_tag().filter(|_| matches!(ty, Type::Str | Type::Dict | Type::Tuple | Type::Ptr)))
                .ok_or("a call in the interpreter must give a number, None, a string, a dict, a tuple or a list")?
        };
        let cl_ty = if ty == Type::Void {
            None
        } else {
            Some(cl_type(ty).ok_or("a call in the interpreter must give a number")?)
        };
        let join = self.b.create_block();
        let result = cl_ty.map(|cl_ty| self.b.append_block_param(join, cl_ty));
        let interp = self.b.create_block();
        if native_possible {
            self.native_fast_path(
                callee,
                (frame_slot, depth),
                (callee_frame, dst_address, dst),
                (want, ty, cl_ty),
                (snap, interp, join),
            )?;
        } else {
            self.b.ins().jump(interp, &[]);
        }

        // In the interpreter.
        self.b.switch_to_block(interp);
        let argc = self.b.ins().iconst(types::I32, argc);
        let depth = self.b.ins().iconst(types::I32, depth);
        let want = self.b.ins().iconst(types::I32, i64::from(want));
        let call_interp = self.runtime.call_interp.ok_or("CallInterp without its runtime function")?;
        let call = self.b.ins().call(call_interp, &[object, callee_frame, dst_address, argc, depth, want]);
        let status = self.b.inst_results(call)[0];
        let returned = self.b.ins().icmp_imm_u(IntCC::Equal, status, i64::from(RETURNED));
        self.exit_unless(returned, snap)?;
        match cl_ty {
            None => self.b.ins().jump(join, &[]),
            Some(cl_ty) => {
                let value = self.load(cl_ty, mem(), callee_frame, PAYLOAD_OFFSET);
                self.keep_heap_result(ty, callee_frame)?;
                self.b.ins().jump(join, &[value.into()])
            }
        };
        self.b.switch_to_block(join);
        Ok(result)
    }

    /// `CallInterp`'s native path: unless the callee's entry code may not be called now (then
    /// to `interp`), calls it as `CallNative` does and jumps to `join` with the result (the
    /// `None` of a procedure moved into the caller's `dst`), or exits through `snap`.
    #[allow(clippy::type_complexity)]
    fn native_fast_path(
        &mut self,
        callee: u32,
        (frame_slot, depth): (u16, i64),
        (callee_frame, dst_address, dst): (ir::Value, ir::Value, u16),
        (want, ty, cl_ty): (u8, Type, Option<ir::types::Type>),
        (snap, interp, join): (SnapId, ir::Block, ir::Block),
    ) -> Result<(), String> {
        let entry = self.entry_slot(callee)?;
        self.branch_unless_callable(entry, frame_slot, depth, interp)?;
        // Another type than the trace's goes to the caller's result register and the trace exits.
        // The callee's garbage stays until the caller drops its own (`lower_call_garbage.rs`
        // decides only for `CallNative`).
        // A result left in `dst` (`Void`): None is the quick path, any other type is moved too.
        let checked = if ty == Type::Void { tag::NONE } else { want };
        let (mismatch, done) = self.call_checked(callee, (entry, callee_frame, dst), (depth, None), checked, snap)?;
        let take_result = self.runtime.take_result.ok_or("CallInterp without its runtime function")?;
        self.b.switch_to_block(mismatch);
        self.b.ins().call(take_result, &[callee_frame, dst_address]);
        if ty == Type::Void {
            self.b.ins().jump(join, &[]);
        } else {
            let exit = self.exit_block(snap)?;
            self.b.ins().jump(exit, &[]);
        }

        self.b.switch_to_block(done);
        match cl_ty {
            None => {
                self.b.ins().call(take_result, &[callee_frame, dst_address]);
                self.b.ins().jump(join, &[]);
            }
            Some(cl_ty) => {
                let value = self.load(cl_ty, mem(), callee_frame, PAYLOAD_OFFSET);
                self.keep_heap_result(ty, callee_frame)?;
                self.b.ins().jump(join, &[value.into()]);
            }
        }
        Ok(())
    }

    /// A string, dict or tuple a call returned: as a native call's tuple, the callee's slot 0 is
    /// reused by the next call made there, so the value moves to the garbage, which keeps it
    /// alive while the trace may use it.
    fn keep_heap_result(&mut self, ty: Type, callee_frame: ir::Value) -> Result<(), String> {
        if ty.is_heap() {
            let keep = self.runtime.keep_result.ok_or("a string returned without its runtime function")?;
            self.b.ins().call(keep, &[callee_frame]);
        }
        Ok(())
    }
}
