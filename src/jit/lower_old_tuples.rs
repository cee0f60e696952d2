//! Freeing, in machine code, the tuple a list store replaces when the trace knows its shape
//! (a part of `lower.rs`, used by `lower_tuples.rs`).
//!
//! `parts[i] = move(parts[i])` loads the element (`ListLoad ... as tuple`), reads its items
//! (`TupleLoad` at constant indexes, each behind a guard on the item's type) and stores a new
//! tuple over it. When that store frees the old element at once
//! (`lower_old_elements::frees_old_element`), the runtime's `replace_element` and the tuple's
//! `free_block` used to cost about 200 instructions per store for a pair of pairs: a call, the
//! list's borrow flag, a match over the old value's variant, and per block a loop testing each
//! item's tag. A tuple never changes, so the item types the trace guarded still hold at the
//! store: the old element's count is dropped inline and, when it reaches 0, its tuple items
//! are released the same way and its block pushed onto its length's free list
//! (`interp/objects/tuple.rs`, `free_lists`), with no call.
//!
//! At run time the fast path is taken only when the element still is the tuple the trace
//! loaded (its tag and address compared), it has exactly the items the trace knows, and this
//! run of machine code may free replaced elements at once at all
//! (`native_context::back_edge_drops_new_garbage`, read once when the function starts);
//! anything else takes the runtime's store as before. Touches nothing but the function being
//! built.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{self, InstBuilder, MemFlagsData, types};

use super::super::ir::{IrRef, Op, Trace, Type};
use super::super::layout::{PAYLOAD_OFFSET, TAG_OFFSET, VALUE_SIZE};
use super::{Lowerer, TreeMember};
use crate::interp::objects::tuple::free_lists::{self, Lists};
use crate::interp::objects::value::{Tuple, tag};

/// How deep the items of a replaced element are followed (a pair of pairs is 2).
const MAX_DEPTH: usize = 3;

/// What the trace knows of a tuple it read: the kind of each of its first items, in order.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct KnownTuple {
    items: Vec<KnownItem>,
}

#[derive(Clone, Debug, PartialEq)]
enum KnownItem {
    /// A number, a bool or `None`: nothing to release.
    Scalar,
    /// A tuple, with what is known of its own items (if anything).
    Tuple(Option<KnownTuple>),
}

/// The old element a list store replaces, as the trace read it: the `ListLoad`'s value and
/// what is known of its items.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct OldElement {
    pub(super) loaded: IrRef,
    known: KnownTuple,
}

/// For each instruction: a `ListStoreAny` that frees the old element at once (`frees_old`),
/// storing a handed-over tuple or a number, whose old element the trace loaded as a tuple from
/// the same list and index before it, with the items the trace read from it.
pub(super) fn old_elements(trace: &Trace, frees_old: &[bool], handed_over: &[bool]) -> Vec<Option<OldElement>> {
    let mut old = vec![None; trace.insts.len()];
    for (at, inst) in trace.insts.iter().enumerate() {
        let Op::ListStoreAny { list, index, value } = inst.op else { continue };
        let stores_plain =
            handed_over.get(value.0 as usize).copied().unwrap_or(false) || trace.ty(value).value_tag().is_some();
        if !frees_old.get(at).copied().unwrap_or(false) || !stores_plain {
            continue;
        }
        let loaded = (0..at).rev().find(|&j| {
            matches!(trace.insts[j].op, Op::ListLoad { list: l, index: i, ty: Type::Tuple, .. } if l == list && i == index)
        });
        let Some(loaded) = loaded else { continue };
        // Nothing between writes a list element or runs other code, so the element the trace
        // loaded is still alive at the store, and no other tuple can have its address: the
        // store's check of the address then tells that very tuple.
        let quiet = trace.insts[loaded + 1..at].iter().all(|i| {
            !matches!(i.op, Op::ListStore { .. } | Op::ListStoreAny { .. } | Op::EnterCheck { .. })
                && !i.op.resizes_lists()
        });
        if !quiet {
            continue;
        }
        let loaded = IrRef(loaded as u32);
        old[at] = known_tuple(trace, loaded, at, 0).map(|known| OldElement { loaded, known });
    }
    old
}

/// What the instructions before `before` know of tuple `tuple`'s items: those read at
/// constant indexes 0, 1, ... (up to the first not read, or not a number, bool, `None` or
/// tuple); `None` if not even item 0 is known.
fn known_tuple(trace: &Trace, tuple: IrRef, before: usize, depth: usize) -> Option<KnownTuple> {
    let mut items = Vec::new();
    loop {
        let k = items.len() as i64;
        let read = (0..before).find(|&at| {
            matches!(trace.insts[at].op, Op::TupleLoad { tuple: t, index, .. } if t == tuple && constant_index(trace, tuple, index) == Some(k))
        });
        let Some(read) = read else { break };
        let Op::TupleLoad { ty, .. } = trace.insts[read].op else { break };
        if ty.value_tag().is_some() {
            items.push(KnownItem::Scalar);
        } else if ty == Type::Tuple {
            let inner =
                if depth + 1 < MAX_DEPTH { known_tuple(trace, IrRef(read as u32), before, depth + 1) } else { None };
            items.push(KnownItem::Tuple(inner));
        } else {
            break;
        }
    }
    (!items.is_empty()).then_some(KnownTuple { items })
}

/// The item index `index` names in `tuple`, when it is a constant `k >= 0` (directly, or
/// through the bounds check `TupleIndex tuple, k`, whose result is then `k`).
fn constant_index(trace: &Trace, tuple: IrRef, index: IrRef) -> Option<i64> {
    let constant = |r: IrRef| match trace.insts[r.0 as usize].op {
        Op::ConstInt { value } if value >= 0 => Some(value),
        _ => None,
    };
    match trace.insts[index.0 as usize].op {
        Op::TupleIndex { tuple: t, index: inner, .. } if t == tuple => constant(inner),
        _ => constant(index),
    }
}

/// Does a trace of the function store over an element whose shape it knows? Then the
/// function reads, when it starts, whether it may free replaced elements at once.
pub(super) fn frees_known_elements(members: &[TreeMember<'_>]) -> bool {
    members.iter().any(|m| {
        let frees_old = super::old_elements::frees_old_element(m.trace);
        let handed_over = super::tuples::handed_over_tuples(m.trace);
        old_elements(m.trace, &frees_old, &handed_over).iter().any(Option::is_some)
    })
}

impl Lowerer<'_, '_> {
    /// In the entry block: may this run free replaced elements at once (an i64, 0 or 1)?
    pub(super) fn read_frees_at_once(&mut self, members: &[TreeMember<'_>]) -> Option<ir::Value> {
        let read = self.runtime.frees_at_once?;
        if !frees_known_elements(members) {
            return None;
        }
        let call = self.b.ins().call(read, &[]);
        Some(self.b.inst_results(call)[0])
    }

    /// The old element the `ListStoreAny` at `r` replaces, if the trace knows its shape.
    pub(super) fn known_old_element(&self, r: IrRef) -> Option<OldElement> {
        self.t.old_elements.get(r.0 as usize).cloned().flatten()
    }

    /// `list[index] = value` over the element `old`: inline when the element is still that
    /// tuple with the items the trace knows (and this run frees replaced elements at once),
    /// else `runtime_store` (the runtime's store, which frees or keeps the old element).
    pub(super) fn store_over_known_tuple(
        &mut self,
        list: IrRef,
        index: IrRef,
        value: IrRef,
        old: &OldElement,
        runtime_store: impl FnOnce(&mut Self) -> Result<(), String>,
    ) -> Result<(), String> {
        let (Some(frees_at_once), Some(_), Some(_)) =
            (self.frees_at_once, self.runtime.tuple_free, self.runtime.tuple_recycle)
        else {
            return runtime_store(self);
        };
        let flags = MemFlagsData::trusted();
        let element = self.element_address(list, index)?;
        let old_tag = self.load(types::I8, flags, element, TAG_OFFSET);
        let old_payload = self.load(types::I64, flags, element, PAYLOAD_OFFSET);
        let loaded = self.val(old.loaded)?;
        let is_tuple = self.b.ins().icmp_imm_u(IntCC::Equal, old_tag, i64::from(tag::TUPLE));
        let same = self.b.ins().icmp(IntCC::Equal, old_payload, loaded);
        let may_free = self.b.ins().icmp_imm_u(IntCC::NotEqual, frees_at_once, 0);
        let fast_ok = self.b.ins().band(is_tuple, same);
        let fast_ok = self.b.ins().band(fast_ok, may_free);
        let (fast, slow, done) = (self.b.create_block(), self.b.create_block(), self.b.create_block());
        self.b.set_cold_block(slow);
        self.b.ins().brif(fast_ok, fast, &[], slow, &[]);

        self.b.switch_to_block(slow);
        runtime_store(self)?;
        self.b.ins().jump(done, &[]);

        self.b.switch_to_block(fast);
        // The list takes the new value's reference (a handed-over tuple) or holds a number.
        let ty = self.t.trace.ty(value);
        let new_tag = ty.heap_tag().or(ty.value_tag()).ok_or("a stored value that is not a tuple or a number")?;
        let (_, payload) = self.tag_and_payload(value)?;
        let new_tag = self.b.ins().iconst(types::I8, i64::from(new_tag));
        self.store(flags, new_tag, element, TAG_OFFSET);
        self.store(flags, payload, element, PAYLOAD_OFFSET);
        self.release_known_tuple(old_payload, Some(&old.known))?;
        self.b.ins().jump(done, &[]);

        self.b.switch_to_block(done);
        Ok(())
    }

    /// Drops one reference to the tuple at `tuple`; when it was the last, releases the items
    /// `known` describes the same way and recycles the block inline (a tuple of other items,
    /// or one the trace knows nothing of, is freed by the runtime's `toyjit_tuple_free`).
    fn release_known_tuple(&mut self, tuple: ir::Value, known: Option<&KnownTuple>) -> Result<(), String> {
        let flags = MemFlagsData::trusted();
        let free = self.runtime.tuple_free.ok_or("a tuple freed without its runtime function")?;
        let count = self.load(types::I64, flags, tuple, Tuple::REFCOUNT_OFFSET as i32);
        let count = self.b.ins().iadd_imm_s(count, -1);
        self.store(flags, count, tuple, Tuple::REFCOUNT_OFFSET as i32);
        let (last, done) = (self.b.create_block(), self.b.create_block());
        self.b.ins().brif(count, done, &[], last, &[]);
        self.b.switch_to_block(last);
        let Some(known) = known else {
            self.b.ins().call(free, &[tuple]);
            self.b.ins().jump(done, &[]);
            self.b.switch_to_block(done);
            return Ok(());
        };
        let len = self.load(types::I64, flags, tuple, Tuple::LEN_OFFSET as i32);
        let as_known = self.b.ins().icmp_imm_u(IntCC::Equal, len, known.items.len() as i64);
        let (items, other) = (self.b.create_block(), self.b.create_block());
        self.b.set_cold_block(other);
        self.b.ins().brif(as_known, items, &[], other, &[]);

        self.b.switch_to_block(other);
        self.b.ins().call(free, &[tuple]);
        self.b.ins().jump(done, &[]);

        self.b.switch_to_block(items);
        for (i, item) in known.items.iter().enumerate() {
            if let KnownItem::Tuple(inner) = item {
                // The item's type was guarded when the trace read it, and a tuple never changes.
                let at = Tuple::ITEMS_OFFSET as i32 + i as i32 * VALUE_SIZE + PAYLOAD_OFFSET;
                let child = self.load(types::I64, flags, tuple, at);
                self.release_known_tuple(child, inner.as_ref())?;
            }
        }
        self.recycle_block(tuple, known.items.len())?;
        self.b.ins().jump(done, &[]);
        self.b.switch_to_block(done);
        Ok(())
    }

    /// Puts the block of a tuple of `len` items, its items released, onto its length's free
    /// list inline when there is room (`lower_tuple_blocks.rs` pops them), else gives it to
    /// the runtime's `toyjit_tuple_recycle` (a full or closed list, a length not kept).
    fn recycle_block(&mut self, tuple: ir::Value, len: usize) -> Result<(), String> {
        let recycle = self.runtime.tuple_recycle.ok_or("a tuple recycled without its runtime function")?;
        let (Some(lists), 1..=free_lists::LENGTHS) = (self.tuple_blocks, len) else {
            self.b.ins().call(recycle, &[tuple]);
            return Ok(());
        };
        let flags = MemFlagsData::trusted();
        let word = std::mem::size_of::<usize>() as i32;
        let head_at = (Lists::HEADS_OFFSET as i32) + (len as i32 - 1) * word;
        let count_at = (Lists::COUNTS_OFFSET as i32) + (len as i32 - 1) * word;
        let count = self.load(types::I64, flags, lists, count_at);
        let room = self.b.ins().icmp_imm_u(IntCC::UnsignedLessThan, count, free_lists::KEPT as i64);
        let (push, full, done) = (self.b.create_block(), self.b.create_block(), self.b.create_block());
        self.b.set_cold_block(full);
        self.b.ins().brif(room, push, &[], full, &[]);

        self.b.switch_to_block(full);
        self.b.ins().call(recycle, &[tuple]);
        self.b.ins().jump(done, &[]);

        self.b.switch_to_block(push);
        // A free block's refcount word links it to the next one.
        let head = self.load(types::I64, flags, lists, head_at);
        self.store(flags, head, tuple, Tuple::REFCOUNT_OFFSET as i32);
        self.store(flags, tuple, lists, head_at);
        let count = self.b.ins().iadd_imm_s(count, 1);
        self.store(flags, count, lists, count_at);
        self.b.ins().jump(done, &[]);
        self.b.switch_to_block(done);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jit::ir::Snapshot;

    /// `parts[i] = ((p[0] + 1, p[1]), v)` where `(p, v) = parts[i]`: the old element is a
    /// pair whose item 0 is a pair of ints (both read) and whose item 1 is a tuple not read.
    fn particle_store(read_second: bool) -> (Trace, usize) {
        let mut t = Trace::default();
        let parts = t.push(Op::SlotPtr { slot: 0 }, Type::Ptr);
        let i = t.push(Op::SlotInt { slot: 1 }, Type::Int);
        let snap = t.add_snapshot(Snapshot::default());
        let index = t.push(Op::ListIndex { list: parts, index: i, snap }, Type::Int);
        let old = t.push(Op::ListLoad { list: parts, index, ty: Type::Tuple, snap }, Type::Tuple);
        let (zero, one) = (t.push(Op::ConstInt { value: 0 }, Type::Int), t.push(Op::ConstInt { value: 1 }, Type::Int));
        let p = t.push(Op::TupleLoad { tuple: old, index: zero, ty: Type::Tuple, snap }, Type::Tuple);
        let v = t.push(Op::TupleLoad { tuple: old, index: one, ty: Type::Tuple, snap }, Type::Tuple);
        let p0_at = t.push(Op::TupleIndex { tuple: p, index: zero, snap }, Type::Int);
        let p0 = t.push(Op::TupleLoad { tuple: p, index: p0_at, ty: Type::Int, snap }, Type::Int);
        let p1_at = t.push(Op::TupleIndex { tuple: p, index: one, snap }, Type::Int);
        t.push(Op::TupleLoad { tuple: p, index: p1_at, ty: Type::Int, snap }, Type::Int);
        if read_second {
            t.push(Op::TupleLoad { tuple: v, index: zero, ty: Type::Float, snap }, Type::Float);
        }
        let new = t.push(Op::NewTuple { len: 2 }, Type::Tuple);
        t.push(Op::TupleInit { tuple: new, index: 0, value: p0 }, Type::Void);
        t.push(Op::TupleInit { tuple: new, index: 1, value: v }, Type::Void);
        let store = t.push(Op::ListStoreAny { list: parts, index, value: new }, Type::Void);
        (t, store.0 as usize)
    }

    fn pair_of_ints() -> KnownTuple {
        KnownTuple { items: vec![KnownItem::Scalar, KnownItem::Scalar] }
    }

    #[test]
    fn the_items_read_at_constant_indexes_make_the_old_elements_shape() {
        let (t, store) = particle_store(false);
        let mut frees = vec![false; t.insts.len()];
        frees[store] = true;
        let handed = vec![true; t.insts.len()];
        let old = old_elements(&t, &frees, &handed);
        let known = old[store].as_ref().expect("the old element is known");
        assert_eq!(known.loaded, IrRef(3));
        let want = KnownTuple { items: vec![KnownItem::Tuple(Some(pair_of_ints())), KnownItem::Tuple(None)] };
        assert_eq!(known.known, want);
        let (t, store) = particle_store(true);
        let (frees, handed) = (vec![true; t.insts.len()], vec![true; t.insts.len()]);
        let old = old_elements(&t, &frees, &handed);
        let item_1 = &old[store].as_ref().unwrap().known.items[1];
        assert_eq!(*item_1, KnownItem::Tuple(Some(KnownTuple { items: vec![KnownItem::Scalar] })));
    }

    #[test]
    fn a_list_written_between_the_load_and_the_store_leaves_the_store_to_the_runtime() {
        let (mut t, store) = particle_store(false);
        let Op::ListStoreAny { list, index, value } = t.insts[store].op else { unreachable!() };
        t.insts[store].op = Op::ListStoreAny { list, index, value: IrRef(0) };
        let again = t.push(Op::ListStoreAny { list, index, value }, Type::Void).0 as usize;
        let frees = vec![true; t.insts.len()];
        let handed = vec![true; t.insts.len()];
        let old = old_elements(&t, &frees, &handed);
        assert!(old[store].is_some(), "the first store replaces the tuple loaded");
        assert!(old[again].is_none(), "the second replaces what the first stored");
    }

    #[test]
    fn a_store_that_keeps_its_old_element_or_stores_an_unowned_tuple_is_left_to_the_runtime() {
        let (t, store) = particle_store(false);
        let mut frees = vec![false; t.insts.len()];
        let handed = vec![true; t.insts.len()];
        assert!(old_elements(&t, &frees, &handed)[store].is_none(), "the store keeps the old element");
        frees[store] = true;
        let not_handed = vec![false; t.insts.len()];
        assert!(old_elements(&t, &frees, &not_handed)[store].is_none(), "the new tuple needs counting");
    }
}
