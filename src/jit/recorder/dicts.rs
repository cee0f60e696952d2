//! Dicts in traces: `d[k] = v` (the one dict helper that writes; `d[k]`, `k in d` and
//! `d.get(k, default)` are recorded as the other helpers are, `strings.rs`), and `for` loops
//! over a dict, its `keys()`, `values()` or `items()`: the loop's slot holds the interpreter's
//! dict iterator, read once (`SlotIter`, behind a tag guard) and advanced by `DictNext`,
//! which exits before `ForIter`, leaving the iterator unchanged, at the end of the dict, when
//! the dict changed size (the interpreter raises the `RuntimeError`) or for an item of another
//! type than the recording saw.
//!
//! Touches only the recorder's own state.

use crate::interp::engine::bytecode::{Instr, Reg};
use crate::interp::objects::value::{Value, tag};
use crate::jit::ir::helpers::Helper;
use crate::jit::ir::{IrRef, Op, Type};
use crate::jit::runtime_dicts::{is_dict_iterator, peek_dict_item};

use super::{Abort, Recorder, a, abort, element_type};

/// Is `value` (a `for` loop's slot) a dict iterator that `record_for_dict` traces?
pub(super) fn is_dict_loop(value: &Value) -> bool {
    matches!(value, Value::Iterator(iter) if is_dict_iterator(&iter.borrow()))
}

impl Recorder {
    /// `obj[index] = value` on a dict: the one helper that writes (see `ir/helpers.rs`). Not
    /// run while recording (the VM does the store next); its result is `None`.
    pub(super) fn record_dict_store(
        &mut self,
        obj: Reg,
        index: Reg,
        value: Reg,
        pc: usize,
        frame: &[Value],
    ) -> Result<(), Abort> {
        let mut args = [IrRef(0); 3];
        for (arg, reg) in args.iter_mut().zip([obj, index, value]) {
            let (r, ty) = self.read(reg, frame, pc)?;
            if ty.value_tag().is_none() && !ty.is_heap() {
                return abort(format!("storing {} into a dict", a(ty.name())));
            }
            *arg = r;
        }
        let snap = self.snapshot(pc);
        let [a, b, c] = args;
        self.emit(Op::Helper3 { fun: Helper::SetItem, a, b, c, ty: Type::NoneType, snap }, Type::NoneType);
        Ok(())
    }

    /// `{k1: v1, k2: v2, ...}` of `count` pairs in the registers from `start`: `dict_of` the
    /// first two pairs (a helper takes at most four arguments), then `d[k] = v` of each other
    /// pair in order (a later equal key replaces the value, as in the display). Each exits
    /// before the `BuildDict` (an unhashable key: the interpreter builds the dict again and
    /// raises), the dict built so far being the trace's own, seen by nobody.
    pub(super) fn record_dict_display(
        &mut self,
        dst: Reg,
        start: Reg,
        count: u16,
        pc: usize,
        frame: &[Value],
    ) -> Result<(), Abort> {
        let pair = |i: u16| [Reg(start.0 + 2 * i), Reg(start.0 + 2 * i + 1)];
        let first: Vec<Reg> = (0..count.min(2)).flat_map(pair).collect();
        let (dict, _) = self.emit_helper(Helper::BuildDict, &first, pc, frame)?;
        for i in 2..count {
            let [key, value] = pair(i);
            let mut args = [dict; 3];
            for (arg, reg) in args[1..].iter_mut().zip([key, value]) {
                let (r, ty) = self.read(reg, frame, pc)?;
                if ty.value_tag().is_none() && !ty.is_heap() {
                    return abort(format!("a dict display holding {}", a(ty.name())));
                }
                *arg = r;
            }
            let snap = self.snapshot(pc);
            let [d, k, v] = args;
            self.emit(Op::Helper3 { fun: Helper::SetItem, a: d, b: k, c: v, ty: Type::NoneType, snap }, Type::NoneType);
        }
        self.write(dst, dict)
    }

    /// `d.keys()`, `d.values()` or `d.items()` whose view the next instruction, a `for` loop's
    /// `GetIter`, takes: nothing is built (the view stays in the recorder, `dict_views`; the
    /// register keeps what it held, a temporary nothing else reads). False for any other call.
    pub(super) fn dict_view(
        &mut self,
        dst: Reg,
        obj: Reg,
        (method, argc): (usize, u16),
        pc: usize,
        frame: &[Value],
    ) -> Result<bool, Abort> {
        use crate::interp::objects::methods::MethodId;
        let kind = match self.cur.method_ids[method] {
            MethodId::Keys => 1,
            MethodId::Values => 2,
            MethodId::Items => 3,
            _ => return Ok(false),
        };
        let taken_by_loop = matches!(self.cur.instrs.get(pc + 1), Some(Instr::GetIter { src, .. }) if *src == dst);
        if argc != 0 || !taken_by_loop || !matches!(frame[obj.0 as usize], Value::Dict(_)) {
            return Ok(false);
        }
        let (dict, ty) = self.read(obj, frame, pc)?;
        if ty != Type::Dict {
            return Ok(false);
        }
        let slot = self.slot(dst);
        self.dict_views.insert(slot, (dict, kind));
        Ok(true)
    }

    /// `GetIter` of a `for` loop over a dict or a view [`Recorder::dict_view`] left: a new
    /// iterator in the loop's slot (`DictIterInto`, written in memory at once), which the
    /// loop's `ForIter` then reads (a loop with a trace of its own: the trace links to it).
    /// False for anything else.
    pub(super) fn start_dict_loop(&mut self, iter: Reg, src: Reg, pc: usize, frame: &[Value]) -> Result<bool, Abort> {
        let (dict, kind) = match self.dict_views.remove(&self.slot(src)) {
            Some(view) => view,
            None if matches!(frame[src.0 as usize], Value::Dict(_)) => {
                let (dict, ty) = self.read(src, frame, pc)?;
                if ty != Type::Dict {
                    return Ok(false);
                }
                (dict, 0)
            }
            None => return Ok(false),
        };
        let slot = self.slot(iter);
        self.forget(slot);
        let iterator = self.emit(Op::DictIterInto { dict, kind, result: slot }, Type::Iter);
        self.slots.insert(slot, iterator);
        Ok(true)
    }

    /// `ForIter` over a dict iterator: the next key, value or `(key, value)` tuple
    /// (`DictNext`, of the type the item has now), into `target`.
    pub(super) fn record_for_dict(&mut self, iter: Reg, target: Reg, pc: usize, frame: &[Value]) -> Result<(), Abort> {
        let Value::Iterator(it) = &frame[iter.0 as usize] else { return abort("a dict loop without its iterator") };
        let item = match peek_dict_item(&it.borrow()) {
            Ok(Some(item)) => item,
            Ok(None) if self.records_loop_end(pc) => {
                // A side trace records the loop's end: the interpreter jumps after the loop
                // without touching a slot; the guard exits to the header while items are left.
                let iterator = self.iterator_slot(iter, pc);
                let more = self.emit(Op::DictMore { iter: iterator }, Type::Bool);
                let snap = self.snapshot(pc);
                self.emit(Op::Guard { cond: more, expect: false, snap }, Type::Void);
                return Ok(());
            }
            Ok(None) => return abort(super::LOOP_RAN_OUT),
            Err(()) => return abort("a dict that changed size during its loop"),
        };
        let ty = element_type(&item)?;
        let iterator = self.iterator_slot(iter, pc);
        let snap = self.snapshot(pc);
        let next = self.emit(Op::DictNext { iter: iterator, ty, snap }, ty);
        self.write(target, next)
    }

    /// The loop's iterator, read from its slot behind a tag guard the first time. Only
    /// `DictNext` reads it, and no trace writes it (the recorder never reads an iterator
    /// elsewhere, so no exit has one to write back).
    fn iterator_slot(&mut self, iter: Reg, pc: usize) -> IrRef {
        let slot = self.slot(iter);
        if let Some(&r) = self.slots.get(&slot) {
            return r;
        }
        let snap = self.snapshot(pc);
        self.emit(Op::GuardTag { slot, tag: tag::ITERATOR, snap }, Type::Void);
        let r = self.emit(Op::SlotIter { slot }, Type::Iter);
        self.slots.insert(slot, r);
        r
    }
}
