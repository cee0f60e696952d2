//! The Cranelift code for list methods (a part of `lower.rs`; `runtime_lists.rs` runs what is
//! not inline): `ListAppend` (a number or a string into a list with room left: inline), `ListPop`
//! (a number into a register holding none: inline), `ListExtend` and
//! `ListInsert`, each a call whose status the trace checks (0: the method raised before
//! changing anything, and the trace exits before the instruction, so the interpreter raises
//! exactly where it would), a list stored into a slot with its count raised inline, and the
//! garbage floor around native calls. Touches nothing but the
//! function being built.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{self, InstBuilder, MemFlagsData, types};

use super::super::ir::{IrRef, Op, SnapId, Trace, Type};
use super::super::layout::{PAYLOAD_OFFSET, TAG_OFFSET};
use super::Lowerer;
use super::ops::mem;
use crate::interp::objects::value::{Str, tag};

/// Does this trace hold values only the garbage keeps alive (what helpers, tuple builds and
/// calls returned), which a native callee's loop could drop? Then its native calls raise the
/// garbage floor (see [`Lowerer::with_garbage_floor`]).
pub(super) fn holds_garbage_values(trace: &Trace) -> bool {
    trace.insts.iter().any(|i| {
        i.ty.is_heap()
            && (super::is_helper(&i.op)
                || matches!(i.op, Op::NewTuple { .. } | Op::CallNative { .. } | Op::CallInterp { .. }))
    })
}

impl Lowerer<'_, '_> {
    /// Lowers a list-method opcode, or a comprehension's enter or leave (runtime calls too, the
    /// enter checked as a method's status); `None` if `op` is none of them.
    pub(super) fn lower_list_op(&mut self, op: Op) -> Result<Option<Option<ir::Value>>, String> {
        let (call, snap) = match op {
            Op::ListExtend { list, value, result, snap } => {
                let list = self.val(list)?;
                let (tag, payload) = self.tag_and_payload(value)?;
                let result_address = self.slot_address(result);
                let extend = self.runtime.list_extend.ok_or("ListExtend without its runtime function")?;
                (self.b.ins().call(extend, &[list, tag, payload, result_address]), snap)
            }
            Op::ListReverse { list, result, snap } => {
                let list = self.val(list)?;
                let result_address = self.slot_address(result);
                let reverse = self.runtime.list_reverse.ok_or("ListReverse without its runtime function")?;
                (self.b.ins().call(reverse, &[list, result_address]), snap)
            }
            Op::ListInsert { list, index, value, result, snap } => {
                let list = self.val(list)?;
                let index = self.val(index)?;
                let (tag, payload) = self.tag_and_payload(value)?;
                let result_address = self.slot_address(result);
                let insert = self.runtime.list_insert.ok_or("ListInsert without its runtime function")?;
                (self.b.ins().call(insert, &[list, index, tag, payload, result_address]), snap)
            }
            Op::ComprehensionEnter { depth, snap } => {
                let enter =
                    self.runtime.comprehension_enter.ok_or("ComprehensionEnter without its runtime function")?;
                let depth = self.b.ins().iconst(types::I64, depth);
                (self.b.ins().call(enter, &[depth]), snap)
            }
            Op::ComprehensionLeave => {
                let leave =
                    self.runtime.comprehension_leave.ok_or("ComprehensionLeave without its runtime function")?;
                self.b.ins().call(leave, &[]);
                return Ok(Some(None));
            }
            _ => return Ok(None),
        };
        let ran = self.b.inst_results(call)[0];
        self.exit_when(ran, false, snap)?;
        Ok(Some(None))
    }

    /// `ListAppend`. A number or a string appended to a list with room left is stored inline
    /// (the element at `data + len`, the length plus one; the interpreter does not run while
    /// machine code does, so nothing borrows the list's `RefCell`; a string's block counts the
    /// list's reference, `refcount + 1`, as `Str::clone` does), and the call's `None` is written
    /// into its register (an old heap value there goes to the garbage, as
    /// `runtime_lists::set_result` does). Anything else, a full list, or a string whose count
    /// is at its maximum (`Str::clone` aborts there), calls the runtime (`toyjit_list_append`).
    /// A comprehension's append (`result` none) writes no register.
    pub(super) fn list_append(&mut self, list: IrRef, value: IrRef, result: Option<u16>) -> Result<(), String> {
        let ty = self.t.trace.ty(value);
        let list = self.val(list)?;
        let list_append = self.runtime.list_append.ok_or("ListAppend without its runtime function")?;
        if !matches!(ty, Type::Int | Type::Float | Type::Bool | Type::Str) {
            let (tag, payload) = self.tag_and_payload(value)?;
            let result_address = self.result_address(result);
            self.b.ins().call(list_append, &[list, tag, payload, result_address]);
            return Ok(());
        }
        let flags = MemFlagsData::trusted();
        let len = self.load(types::I64, flags, list, self.layout.length_offset);
        let capacity = self.load(types::I64, flags, list, self.layout.capacity_offset);
        let mut room = self.b.ins().icmp(IntCC::UnsignedLessThan, len, capacity);
        let mut counted = None;
        if ty == Type::Str {
            let text = self.val(value)?;
            let refcount = self.load(types::I32, flags, text, Str::REFCOUNT_OFFSET as i32);
            let more = self.b.ins().iadd_imm_s(refcount, 1);
            // The u32 count wrapped to 0: `Str::clone` aborts there, so the runtime does.
            let countable = self.b.ins().icmp_imm_s(IntCC::NotEqual, more, 0);
            room = self.b.ins().band(room, countable);
            counted = Some((text, more));
        }
        let (inline, full, done) = (self.b.create_block(), self.b.create_block(), self.b.create_block());
        self.b.set_cold_block(full);
        self.b.ins().brif(room, inline, &[], full, &[]);

        self.b.switch_to_block(full);
        let (tag, payload) = self.tag_and_payload(value)?;
        let result_address = self.result_address(result);
        self.b.ins().call(list_append, &[list, tag, payload, result_address]);
        self.b.ins().jump(done, &[]);

        self.b.switch_to_block(inline);
        let data = self.load(types::I64, flags, list, self.layout.data_pointer_offset);
        let offset = self.value_offset(len);
        let element = self.b.ins().iadd(data, offset);
        match counted {
            Some((text, more)) => {
                self.store(flags, more, text, Str::REFCOUNT_OFFSET as i32);
                let str_tag = self.b.ins().iconst(types::I8, i64::from(tag::STR));
                self.store(mem(), str_tag, element, TAG_OFFSET);
                self.store(mem(), text, element, PAYLOAD_OFFSET);
            }
            None => {
                let number = self.val(value)?;
                self.store_value(element, 0, number, ty)?;
            }
        }
        let longer = self.b.ins().iadd_imm_s(len, 1);
        self.store(flags, longer, list, self.layout.length_offset);
        if let Some(result) = result {
            let (base, slot_offset) = self.slot_place(result);
            if !self.holds_no_heap(result) {
                self.drop_heap_value(base, slot_offset)?;
            }
            let none = self.b.ins().iconst(types::I8, i64::from(tag::NONE));
            self.store(mem(), none, base, slot_offset + TAG_OFFSET);
        }
        self.b.ins().jump(done, &[]);

        self.b.switch_to_block(done);
        Ok(())
    }

    /// `ListPop`. The last element of a non-empty list, a number (no reference to move) going
    /// into a register that holds no heap value, is copied inline and the length lowered by
    /// one (as in `list_append`, nothing borrows the list's `RefCell` while machine code runs);
    /// anything else, an empty list too, calls the runtime (`toyjit_list_pop`, which moves a
    /// heap element and drops what the register held), and an empty list exits there.
    pub(super) fn list_pop(&mut self, list: IrRef, result: u16, snap: SnapId) -> Result<(), String> {
        let list = self.val(list)?;
        let list_pop = self.runtime.list_pop.ok_or("ListPop without its runtime function")?;
        let flags = MemFlagsData::trusted();
        let len = self.load(types::I64, flags, list, self.layout.length_offset);
        let (look, inline, slow, done) =
            (self.b.create_block(), self.b.create_block(), self.b.create_block(), self.b.create_block());
        self.b.set_cold_block(slow);
        self.b.ins().brif(len, look, &[], slow, &[]);

        self.b.switch_to_block(look);
        let data = self.load(types::I64, flags, list, self.layout.data_pointer_offset);
        let shorter = self.b.ins().iadd_imm_s(len, -1);
        let offset = self.value_offset(shorter);
        let element = self.b.ins().iadd(data, offset);
        let element_tag = self.load(types::I8, mem(), element, TAG_OFFSET);
        let mut copyable = self.b.ins().icmp_imm_u(IntCC::UnsignedLessThanOrEqual, element_tag, i64::from(tag::FLOAT));
        let (base, slot_offset) = self.slot_place(result);
        if !self.holds_no_heap(result) {
            let found = self.load(types::I8, mem(), base, slot_offset + TAG_OFFSET);
            let no_heap = self.b.ins().icmp_imm_u(IntCC::UnsignedLessThanOrEqual, found, i64::from(tag::FLOAT));
            copyable = self.b.ins().band(copyable, no_heap);
        }
        self.b.ins().brif(copyable, inline, &[], slow, &[]);

        self.b.switch_to_block(inline);
        let payload = self.load(types::I64, mem(), element, PAYLOAD_OFFSET);
        self.store(mem(), element_tag, base, slot_offset + TAG_OFFSET);
        self.store(mem(), payload, base, slot_offset + PAYLOAD_OFFSET);
        self.store(flags, shorter, list, self.layout.length_offset);
        self.b.ins().jump(done, &[]);

        self.b.switch_to_block(slow);
        let result_address = self.slot_address(result);
        let call = self.b.ins().call(list_pop, &[list, result_address]);
        let popped = self.b.inst_results(call)[0];
        self.exit_when(popped, false, snap)?;
        self.b.ins().jump(done, &[]);

        self.b.switch_to_block(done);
        Ok(())
    }

    /// The address of the register a list method's result goes to, or null (a comprehension's
    /// append: the runtime writes nothing).
    fn result_address(&mut self, result: Option<u16>) -> ir::Value {
        match result {
            Some(result) => self.slot_address(result),
            None => self.b.ins().iconst(types::I64, 0),
        }
    }

    /// Stores list `list` into the slot at `base + offset` with a reference of its own: the
    /// list's count raised inline (`ListLayout::refcount_offset`), then the tag and pointer
    /// written inline when the slot holds no heap value (`no_heap_there`: known; else tested),
    /// or through `runtime::set_list`, which drops what the slot held. (Two runtime calls
    /// before: `retain_list` and `set_list`, each spilling what the trace holds in registers.)
    pub(super) fn store_list_counted(
        &mut self,
        (base, offset): (ir::Value, i32),
        list: ir::Value,
        no_heap_there: bool,
    ) -> Result<(), String> {
        self.count_one_more_inline(list, self.layout.refcount_offset);
        let set_list = if no_heap_there {
            None
        } else {
            Some(self.runtime.set_list.ok_or("a list written without its runtime function")?)
        };
        self.store_counted_object((base, offset), list, tag::LIST, set_list);
        Ok(())
    }

    /// Calls `emit_call` (a native call's machine code) with the runtime's garbage floor raised
    /// to what the garbage holds now when the tree may hold values in it (a list a helper or
    /// an earlier call returned: the floor functions are imported then): the callee's loops
    /// then drop, at their back edges, only the garbage they made. For a `CallNative`,
    /// `drops_garbage` says whether the garbage the callee made is dropped when it returns
    /// (`lower_call_garbage.rs`); if not, the call always raises the floor and keeps the
    /// garbage of every callee's callee until it returns. Returns what `emit_call` returned.
    pub(super) fn with_garbage_floor<T>(
        &mut self,
        drops_garbage: Option<bool>,
        emit_call: impl FnOnce(&mut Self) -> Result<T, String>,
    ) -> Result<T, String> {
        let (starts, ends) = match drops_garbage {
            Some(true) => (self.runtime.native_floor_starts, self.runtime.native_floor_ends_dropping),
            Some(false) => (self.runtime.borrowing_call_starts, self.runtime.borrowing_call_ends),
            None => (self.runtime.native_floor_starts, self.runtime.native_floor_ends),
        };
        let (Some(starts), Some(ends)) = (starts, ends) else {
            return emit_call(self);
        };
        let call = self.b.ins().call(starts, &[]);
        let previous = self.b.inst_results(call)[0];
        let result = emit_call(self)?;
        self.b.ins().call(ends, &[previous]);
        Ok(result)
    }
}
