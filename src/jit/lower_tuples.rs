//! The Cranelift code for tuples (a part of `lower.rs`): reading a tuple's length and items
//! inline, building one through the runtime (`runtime_tuples.rs`), storing any value into a
//! list, building an exit's virtual tuples, and dropping the runtime's garbage at a loop's
//! back edge. Touches nothing but the function being built.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{self, InstBuilder, MemFlagsData, types};

use super::super::ir::{GLOBAL_SLOTS, IrRef, Op, SnapValue, Type};
use super::super::layout::{PAYLOAD_OFFSET, TAG_OFFSET, VALUE_SIZE};
use super::{Lowerer, cl_type};
use crate::interp::objects::value::{Tuple, tag};

/// Does this trace build tuples, replace list elements, call helpers, clear or store slots or
/// call the interpreter (so that its loop must drop the runtime's garbage at its back edge)?
pub(super) fn makes_garbage(trace: &super::super::ir::Trace) -> bool {
    // A loop body clearing or storing over slots, or calling the interpreter (whose traces
    // leave their garbage to the outermost run), puts what they drop into the garbage.
    let mut body = trace.insts.iter().skip_while(|i| !matches!(i.op, Op::Loop));
    body.any(|i| matches!(i.op, Op::ClearSlot { .. } | Op::StoreSlot { .. } | Op::CallInterp { .. }))
        // A list method's result register: its old value, if a heap value, goes to the garbage
        // (an append with no register, a statement's or a comprehension's, writes none).
        || trace.insts.iter().any(|i| matches!(i.op, Op::ListAppend { result: Some(_), .. } | Op::ListPop { .. } | Op::ListExtend { .. } | Op::ListInsert { .. } | Op::ListReverse { .. }))
        || trace.insts.iter().any(|i| {
            matches!(i.op, Op::NewTuple { .. } | Op::ListStoreAny { .. } | Op::CallNative { ty: Type::Tuple | Type::Ptr, .. })
                || super::strings::is_helper(&i.op)
        })
}

/// For each instruction: is it a `NewTuple` (or a `CallNative` returning a tuple) whose
/// reference the trace hands over to the one place that keeps it — an item of another tuple
/// being built (`TupleInit`), a list element (`ListStoreAny`) or the frame's result (`Ret`) —
/// instead of keeping it in the runtime's garbage until the back edge? So
/// when nothing else reads the tuple (no other instruction, no snapshot: no exit can see it),
/// and nothing between the build and that store can exit or run other code (only the builds
/// of tuples, their items, constants, slot loads and slot clears come between), so the tuple
/// is never left unowned.
pub(super) fn handed_over_tuples(trace: &super::super::ir::Trace) -> Vec<bool> {
    let n = trace.insts.len();
    let mut uses = vec![0u32; n];
    let mut consumer: Vec<Option<usize>> = vec![None; n];
    for (at, inst) in trace.insts.iter().enumerate() {
        inst.op.for_each_operand(|r| {
            // A tuple's own item stores are not reads of it.
            if !matches!(inst.op, Op::TupleInit { tuple, .. } if tuple == r) {
                uses[r.0 as usize] += 1;
                consumer[r.0 as usize] = Some(at);
            }
        });
    }
    // A `Ret`'s snapshot matters for the globals it writes only (the frame is released).
    let mut snap_users = vec![0u32; trace.snapshots.len()];
    let mut ret_snaps = vec![false; trace.snapshots.len()];
    for inst in &trace.insts {
        if let Some(snap) = inst.op.snapshot() {
            snap_users[snap.0 as usize] += 1;
            ret_snaps[snap.0 as usize] |= matches!(inst.op, Op::Ret { .. });
        }
    }
    for (id, snap) in trace.snapshots.iter().enumerate() {
        let only_globals = ret_snaps[id] && snap_users[id] == 1;
        for &(slot, r) in &snap.slots {
            if !only_globals || slot >= GLOBAL_SLOTS {
                uses[r.0 as usize] += 2;
            }
        }
        for tuple in &snap.virtuals {
            for item in &tuple.items {
                if let SnapValue::Value(r) = *item {
                    uses[r.0 as usize] += 2;
                }
            }
        }
    }
    let mut handed = vec![false; n];
    for (at, inst) in trace.insts.iter().enumerate() {
        let built = matches!(inst.op, Op::NewTuple { .. } | Op::CallNative { ty: Type::Tuple, .. });
        let (true, 1, Some(by)) = (built, uses[at], consumer[at]) else { continue };
        let owner_takes_it = match trace.insts[by].op {
            Op::TupleInit { tuple, value, .. } => value.0 as usize == at && tuple.0 as usize != at,
            Op::ListStoreAny { value, .. } => value.0 as usize == at,
            Op::Ret { value, .. } => value.0 as usize == at,
            _ => false,
        };
        // A slot's load reads a value the frame holds (`return (k, left, f(right))`): it
        // neither exits nor runs code.
        let quiet_between = trace.insts[at + 1..by].iter().all(|i| {
            matches!(
                i.op,
                Op::NewTuple { .. }
                    | Op::TupleInit { .. }
                    | Op::ClearSlot { .. }
                    | Op::ConstInt { .. }
                    | Op::ConstNone
                    | Op::SlotInt { .. }
                    | Op::SlotFloat { .. }
                    | Op::SlotBool { .. }
                    | Op::SlotPtr { .. }
                    | Op::SlotTuple { .. }
                    | Op::SlotStr { .. }
                    | Op::SlotDict { .. }
                    | Op::SlotBig { .. }
            )
        });
        handed[at] = owner_takes_it && quiet_between && initialised_before(trace, at, by);
    }
    handed
}

/// Does a `TupleInit` write every item of the tuple `NewTuple` at `at` builds before
/// instruction `by`? (`runtime_tuples::tuple_alloc` leaves the items of a handed-over tuple
/// unwritten: no `None` fill.) A `CallNative` result is a whole tuple already.
fn initialised_before(trace: &super::super::ir::Trace, at: usize, by: usize) -> bool {
    let Op::NewTuple { len } = trace.insts[at].op else { return true };
    let mut written = vec![false; len.max(0) as usize];
    for inst in &trace.insts[at + 1..by] {
        if let Op::TupleInit { tuple, index, .. } = inst.op
            && tuple.0 as usize == at
            && let Some(item) = written.get_mut(index as usize)
        {
            *item = true;
        }
    }
    written.iter().all(|&w| w)
}

impl Lowerer<'_, '_> {
    /// Is IR value `r` a tuple built by this trace whose reference its one consumer takes
    /// over ([`handed_over_tuples`])?
    pub(super) fn handed_over(&self, r: IrRef) -> bool {
        self.t.handed_over.get(r.0 as usize).copied().unwrap_or(false)
    }

    /// May the `ListStoreAny` at `r` free the element it replaces at once
    /// ([`super::old_elements::frees_old_element`])?
    fn frees_old_element(&self, r: IrRef) -> bool {
        self.t.frees_old.get(r.0 as usize).copied().unwrap_or(false)
    }

    /// Lowers a tuple opcode (or `ListStoreAny`); `None` if `op` is not one.
    pub(super) fn lower_tuple_op(&mut self, r: IrRef, op: Op, ty: Type) -> Result<Option<Option<ir::Value>>, String> {
        Ok(Some(match op {
            Op::TupleLen { tuple } => {
                let flags = self.tuple_flags(tuple);
                let tuple = self.val(tuple)?;
                Some(self.load(types::I64, flags, tuple, Tuple::LEN_OFFSET as i32))
            }
            Op::TupleIndex { tuple, index, snap } => {
                let flags = self.tuple_flags(tuple);
                if let Op::ConstInt { value: k } = self.t.trace.insts[index.0 as usize].op
                    && k >= 0
                {
                    // `p[0]`, `p[1]`: a constant index that is not negative needs no
                    // normalising, only `k < len`, and is its own result (folded into the load).
                    let tuple = self.val(tuple)?;
                    let len = self.load(types::I64, flags, tuple, Tuple::LEN_OFFSET as i32);
                    let inside = self.b.ins().icmp_imm_u(IntCC::UnsignedGreaterThan, len, k);
                    self.exit_unless(inside, snap)?;
                    return Ok(Some(Some(self.b.ins().iconst(types::I64, k))));
                }
                let (tuple, index) = (self.val(tuple)?, self.val(index)?);
                let len = self.load(types::I64, flags, tuple, Tuple::LEN_OFFSET as i32);
                Some(self.normalised_index(index, len, snap)?)
            }
            Op::TupleLoad { tuple, index, ty: item_ty, snap } => {
                let flags = self.tuple_flags(tuple);
                let (tuple, index) = (self.val(tuple)?, self.val(index)?);
                let offset = self.value_offset(index);
                let item = self.b.ins().iadd(tuple, offset);
                let want = match item_ty.heap_tag() {
                    Some(heap) => heap,
                    None => item_ty.value_tag().ok_or("bad tuple load type")?,
                };
                let items = Tuple::ITEMS_OFFSET as i32;
                let found = self.load(types::I8, flags, item, items + TAG_OFFSET);
                let differs = self.b.ins().icmp_imm_u(IntCC::NotEqual, found, i64::from(want));
                self.exit_if(differs, snap)?;
                if ty == Type::NoneType {
                    // None has no payload to read.
                    return Ok(Some(Some(self.b.ins().iconst(types::I8, 0))));
                }
                let cl_ty = cl_type(ty).ok_or("bad tuple load type")?;
                Some(self.load(cl_ty, flags, item, items + PAYLOAD_OFFSET))
            }
            Op::NewTuple { len } if self.handed_over(r) => {
                // Its one consumer takes the reference: no garbage entry to drop later.
                Some(self.alloc_handed_over_tuple(len)?)
            }
            Op::NewTuple { len } => Some(self.new_tuple(len)?),
            Op::TupleInit { tuple, index, value } => {
                let value_ty = self.t.trace.ty(value);
                let tuple = self.val(tuple)?;
                if matches!(value_ty, Type::Ptr | Type::Str | Type::Dict | Type::Big) {
                    // A list's, string's, dict's or big int's count is the runtime's to change.
                    let (value_tag, payload) = self.tag_and_payload(value)?;
                    self.init_item(tuple, index, value_tag, payload)?;
                } else {
                    self.init_item_inline(tuple, index, value, value_ty)?;
                }
                None
            }
            Op::KeepAlive { value } => {
                let (value_tag, payload) = self.tag_and_payload(value)?;
                let keep = self.runtime.keep_alive.ok_or("KeepAlive without its runtime function")?;
                self.b.ins().call(keep, &[value_tag, payload]);
                None
            }
            Op::ListStoreAny { list, index, value } => {
                match self.known_old_element(r) {
                    // The old element is a tuple the trace read: freed inline (`lower_old_tuples.rs`).
                    Some(old) => self.store_over_known_tuple(list, index, value, &old, |this| {
                        this.list_store_call(r, list, index, value)
                    })?,
                    None => self.list_store_call(r, list, index, value)?,
                }
                None
            }
            _ => return Ok(None),
        }))
    }

    /// `list[index] = value` by the runtime, which frees or keeps the old element.
    fn list_store_call(&mut self, r: IrRef, list: IrRef, index: IrRef, value: IrRef) -> Result<(), String> {
        let (list, index) = (self.val(list)?, self.val(index)?);
        let free_old = i64::from(self.frees_old_element(r));
        let free_old = self.b.ins().iconst(types::I64, free_old);
        if self.handed_over(value) {
            let tuple = self.val(value)?;
            let store = self.runtime.list_store_owned.ok_or("ListStoreAny without its runtime function")?;
            self.b.ins().call(store, &[list, index, tuple, free_old]);
        } else {
            let (value_tag, payload) = self.tag_and_payload(value)?;
            let store = self.runtime.list_store_any.ok_or("ListStoreAny without its runtime function")?;
            self.b.ins().call(store, &[list, index, value_tag, payload, free_old]);
        }
        Ok(())
    }

    /// How to read tuple `tuple`: a tuple's length and items never change once it is built, so
    /// they may be read once (`readonly`, hoisted) — except those of a tuple this trace builds,
    /// whose items its own stores write.
    fn tuple_flags(&self, tuple: IrRef) -> MemFlagsData {
        match self.t.trace.insts[tuple.0 as usize].op {
            Op::NewTuple { .. } => MemFlagsData::trusted(),
            _ => MemFlagsData::trusted().with_readonly().with_can_move(),
        }
    }

    /// A new tuple of `len` items (the runtime keeps the trace's reference).
    fn new_tuple(&mut self, len: i64) -> Result<ir::Value, String> {
        let new = self.runtime.tuple_new.ok_or("NewTuple without its runtime function")?;
        let len = self.b.ins().iconst(types::I64, len);
        let call = self.b.ins().call(new, &[len]);
        Ok(self.b.inst_results(call)[0])
    }

    fn init_item(
        &mut self,
        tuple: ir::Value,
        index: i64,
        value_tag: ir::Value,
        payload: ir::Value,
    ) -> Result<(), String> {
        let init = self.runtime.tuple_init.ok_or("TupleInit without its runtime function")?;
        let index = self.b.ins().iconst(types::I64, index);
        self.b.ins().call(init, &[tuple, index, value_tag, payload]);
        Ok(())
    }

    /// Writes item `index` of a tuple just built (its items are all `None`, nothing to drop):
    /// a number or `None` is its tag and payload; a tuple also gets its count raised (the
    /// count is the block's first word: `Tuple::REFCOUNT_OFFSET`).
    fn init_item_inline(&mut self, tuple: ir::Value, index: i64, value: IrRef, ty: Type) -> Result<(), String> {
        let item = Tuple::ITEMS_OFFSET as i32 + index as i32 * VALUE_SIZE;
        let value_tag = ty.heap_tag().or(ty.value_tag()).ok_or("a tuple item that is not a number or a tuple")?;
        let v = self.val(value)?;
        if ty == Type::Tuple && !self.handed_over(value) {
            self.retain_tuple_inline(v);
        }
        let payload = match ty {
            Type::Float => self.b.ins().bitcast(types::I64, MemFlagsData::new(), v),
            Type::Bool | Type::NoneType => self.b.ins().uextend(types::I64, v),
            _ => v,
        };
        let value_tag = self.b.ins().iconst(types::I8, i64::from(value_tag));
        self.store(MemFlagsData::trusted(), value_tag, tuple, item + TAG_OFFSET);
        self.store(MemFlagsData::trusted(), payload, tuple, item + PAYLOAD_OFFSET);
        Ok(())
    }

    /// Counts one more reference to tuple `tuple` inline (what `runtime_tuples::retain_tuple`
    /// does, without the call: the count is the block's first word, `Tuple::REFCOUNT_OFFSET`).
    pub(super) fn retain_tuple_inline(&mut self, tuple: ir::Value) {
        self.count_one_more_inline(tuple, Tuple::REFCOUNT_OFFSET as i32);
    }

    /// Adds one to the reference count, a word at `count_offset` in heap object `object`
    /// (a tuple's, a list's `Rc`: `ListLayout::refcount_offset`).
    pub(super) fn count_one_more_inline(&mut self, object: ir::Value, count_offset: i32) {
        let count = self.load(types::I64, MemFlagsData::trusted(), object, count_offset);
        let count = self.b.ins().iadd_imm_s(count, 1);
        self.store(MemFlagsData::trusted(), count, object, count_offset);
    }

    /// Stores tuple `tuple` (its reference already counted) into the slot at `base + offset`:
    /// inline when the slot holds no heap value (nothing to drop: a number, None, unbound),
    /// else through `runtime_tuples::set_tuple`, which drops what the slot held.
    pub(super) fn store_tuple(&mut self, base: ir::Value, offset: i32, tuple: ir::Value) -> Result<(), String> {
        let set_tuple = self.runtime.set_tuple.ok_or("a tuple written without its runtime function")?;
        self.store_counted_object((base, offset), tuple, tag::TUPLE, Some(set_tuple));
        Ok(())
    }

    /// Stores heap object `object` (its reference already counted; `Value` tag `object_tag`)
    /// into the slot at `base + offset`: inline when the slot holds no heap value, else through
    /// `set` (the runtime's `set_tuple`, `set_list`: it drops what the slot held). `set` is
    /// `None` when the slot is known to hold no heap value: no test then.
    pub(super) fn store_counted_object(
        &mut self,
        (base, offset): (ir::Value, i32),
        object: ir::Value,
        object_tag: u8,
        set: Option<ir::FuncRef>,
    ) {
        let done = self.b.create_block();
        if let Some(set) = set {
            let found = self.load(types::I8, MemFlagsData::trusted(), base, offset + TAG_OFFSET);
            let heap = self.b.ins().icmp_imm_u(IntCC::UnsignedGreaterThan, found, i64::from(tag::FLOAT));
            let drop_old = self.b.create_block();
            let inline = self.b.create_block();
            self.b.ins().brif(heap, drop_old, &[], inline, &[]);
            self.b.switch_to_block(drop_old);
            let slot = self.b.ins().iadd_imm_s(base, i64::from(offset));
            self.b.ins().call(set, &[slot, object]);
            self.b.ins().jump(done, &[]);
            self.b.switch_to_block(inline);
        }
        let value_tag = self.b.ins().iconst(types::I8, i64::from(object_tag));
        self.store(MemFlagsData::trusted(), value_tag, base, offset + TAG_OFFSET);
        self.store(MemFlagsData::trusted(), object, base, offset + PAYLOAD_OFFSET);
        self.b.ins().jump(done, &[]);
        self.b.switch_to_block(done);
    }

    /// The `Value` tag (an i32) and payload word (an i64) of IR value `r`, as the runtime
    /// takes a value.
    pub(super) fn tag_and_payload(&mut self, r: IrRef) -> Result<(ir::Value, ir::Value), String> {
        let ty = self.t.trace.ty(r);
        let value_tag = match ty.heap_tag() {
            Some(heap) => heap,
            None => ty.value_tag().ok_or("a value that is not a number, a list or a tuple")?,
        };
        let value = self.val(r)?;
        let payload = match ty {
            Type::Float => self.b.ins().bitcast(types::I64, MemFlagsData::new(), value),
            Type::Bool | Type::NoneType => self.b.ins().uextend(types::I64, value),
            _ => value,
        };
        Ok((self.b.ins().iconst(types::I32, i64::from(value_tag)), payload))
    }

    /// Builds the virtual tuples of snapshot `snap` (allocation removal), smallest index
    /// first; returns their addresses, by index.
    pub(super) fn build_virtuals(&mut self, snap: usize) -> Result<Vec<ir::Value>, String> {
        let virtuals = self.t.trace.snapshots[snap].virtuals.clone();
        let mut built: Vec<ir::Value> = Vec::with_capacity(virtuals.len());
        for tuple in &virtuals {
            let address = self.new_tuple(tuple.items.len() as i64)?;
            for (index, item) in tuple.items.iter().enumerate() {
                let (value_tag, payload) = match *item {
                    SnapValue::Value(r) => self.tag_and_payload(r)?,
                    SnapValue::Virtual(inner) => {
                        let inner = *built.get(inner as usize).ok_or("a virtual tuple built before its item")?;
                        (self.b.ins().iconst(types::I32, i64::from(tag::TUPLE)), inner)
                    }
                };
                self.init_item(address, index as i64, value_tag, payload)?;
            }
            built.push(address);
        }
        Ok(built)
    }

    /// At a loop's back edge: drops the runtime's garbage if the trace makes any (the values
    /// the loop carries are no heap pointers: checked when the loop is lowered).
    pub(super) fn drop_garbage_at_back_edge(&mut self) -> Result<(), String> {
        if !makes_garbage(self.t.trace) {
            return Ok(());
        }
        let drop_garbage = self.runtime.drop_garbage.ok_or("a loop making garbage without its runtime function")?;
        self.when_garbage_made(|this| {
            this.b.ins().call(drop_garbage, &[]);
            Ok(())
        })
    }
}
