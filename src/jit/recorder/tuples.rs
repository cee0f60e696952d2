//! Tuples in traces, and `list.append` (moved here from `mod.rs`): building a tuple
//! (`NewTuple` and one `TupleInit` per item; allocation removal, `opt/virtualize.rs`, drops the
//! ones that do not escape), unpacking one (a length guard, then a `TupleLoad` per item, each
//! guarding its item's type), indexing one (`TupleIndex` for the bounds, `TupleLoad`), and the
//! `is None` jumps, which the types the trace guarded decide (None is a type of its own in
//! traces, `ConstNone`; `x is y` is `identity.rs`'s).
//!
//! Touches only the recorder's own state.

use crate::interp::engine::bytecode::{Instr, Reg};
use crate::interp::objects::value::Value;

use super::{Abort, Recorder, a, abort, element_type, list_element};
use crate::jit::ir::{Cond, IrRef, Op, Type};

/// The longest tuple a trace builds (longer ones are rare in loops, and each item is an
/// instruction).
const MAX_TRACED_TUPLE: usize = 16;

impl Recorder {
    /// The tuple instructions (see the module doc).
    pub(super) fn record_tuple_instr(&mut self, instr: Instr, pc: usize, frame: &[Value]) -> Result<(), Abort> {
        match instr {
            Instr::BuildTuple { dst, start, count } => {
                let items: Vec<Reg> = (0..count.0).map(|i| Reg(start.0 + i)).collect();
                self.build_tuple(dst, &items, pc, frame)
            }
            Instr::BuildTuple2 { dst, a, b } => self.build_tuple(dst, &[a, b], pc, frame),
            Instr::BuildTuple3 { dst, a, b, c } => self.build_tuple(dst, &[a, b, c], pc, frame),
            Instr::Unpack { dst, src, count } => self.unpack(dst, src, count.0, pc, frame),
            Instr::JumpIfNone { a: reg, .. } | Instr::JumpIfNotNone { a: reg, .. } => {
                // Whether a value is None is its type, which the trace guarded when it read it:
                // the branch goes the way it goes now, always.
                self.read(reg, frame, pc)?;
                Ok(())
            }
            Instr::LoadNone { dst } => {
                let none = self.emit(Op::ConstNone, Type::NoneType);
                self.write(dst, none)
            }
            other => abort(format!("the bytecode {} is not a tuple instruction", other.name())),
        }
    }

    /// `dst = (items...)`.
    fn build_tuple(&mut self, dst: Reg, items: &[Reg], pc: usize, frame: &[Value]) -> Result<(), Abort> {
        if items.len() > MAX_TRACED_TUPLE {
            return abort(format!("a tuple of more than {MAX_TRACED_TUPLE} items"));
        }
        let mut values = Vec::with_capacity(items.len());
        for &item in items {
            let (value, ty) = self.read(item, frame, pc)?;
            if ty.value_tag().is_none() && !ty.is_heap() {
                return abort(format!("a tuple holding {}", a(ty.name())));
            }
            values.push(value);
        }
        let tuple = self.emit(Op::NewTuple { len: items.len() as i64 }, Type::Tuple);
        for (index, value) in values.into_iter().enumerate() {
            self.emit(Op::TupleInit { tuple, index: index as i64, value }, Type::Void);
        }
        self.write(dst, tuple)
    }

    /// `dst, dst+1, ... = src`: exits (the interpreter raises the ValueError) unless `src` has
    /// exactly `count` items.
    fn unpack(&mut self, dst: Reg, src: Reg, count: u16, pc: usize, frame: &[Value]) -> Result<(), Abort> {
        let Value::Tuple(items) = &frame[src.0 as usize] else {
            return abort(format!("unpacking {}", a(frame[src.0 as usize].type_name())));
        };
        let items = items.clone();
        let (tuple, ty) = self.read(src, frame, pc)?;
        if ty != Type::Tuple {
            return abort(format!("unpacking {}", a(ty.name())));
        }
        if items.len() != count as usize {
            return abort("unpacking a tuple of the wrong length while recording");
        }
        let snap = self.snapshot(pc);
        let len = self.emit(Op::TupleLen { tuple }, Type::Int);
        let expected = self.const_int(i64::from(count));
        let same = self.emit(Op::CmpInt { cond: Cond::Eq, a: len, b: expected }, Type::Bool);
        self.emit(Op::Guard { cond: same, expect: true, snap }, Type::Void);
        // All items are read before any target is written (`src` may be a target).
        let mut loaded = Vec::with_capacity(count as usize);
        for (i, item) in items.iter().enumerate() {
            let item_ty = element_type(item).map_err(|Abort(reason)| Abort(reason.replace("list element", "tuple")))?;
            let index = self.const_int(i as i64);
            let snap = self.snapshot(pc);
            loaded.push(self.emit(Op::TupleLoad { tuple, index, ty: item_ty, snap }, item_ty));
        }
        for (i, value) in loaded.into_iter().enumerate() {
            self.write(Reg(dst.0 + i as u16), value)?;
        }
        Ok(())
    }

    /// `dst = tuple[index]`.
    pub(super) fn tuple_get_item(
        &mut self,
        dst: Reg,
        obj: Reg,
        index: Reg,
        pc: usize,
        frame: &[Value],
    ) -> Result<(), Abort> {
        let (tuple, ty) = self.read(obj, frame, pc)?;
        if ty != Type::Tuple {
            return abort(format!("indexing {}", a(ty.name())));
        }
        let (i, index_ty) = self.read(index, frame, pc)?;
        let Value::Int(i_now) = frame[index.0 as usize] else {
            return abort(format!("a tuple index of type {}", index_ty.name()));
        };
        if index_ty != Type::Int {
            return abort(format!("a tuple index of type {}", index_ty.name()));
        }
        let Value::Tuple(items) = &frame[obj.0 as usize] else { return abort("indexing a tuple that is not one") };
        let len = items.len() as i64;
        let at = if i_now < 0 { i_now + len } else { i_now };
        let Some(item) = usize::try_from(at).ok().and_then(|at| items.get(at)) else {
            return abort("a tuple index out of range while recording");
        };
        let item_ty = element_type(item).map_err(|Abort(reason)| Abort(reason.replace("list element", "tuple")))?;
        let snap = self.snapshot(pc);
        let normalised = self.emit(Op::TupleIndex { tuple, index: i, snap }, Type::Int);
        let r = self.emit(Op::TupleLoad { tuple, index: normalised, ty: item_ty, snap }, item_ty);
        self.write(dst, r)
    }

    /// `dst = obj.method(args...)`: `list.append`, `extend`, `insert`, `pop` and `reverse` (strings' and
    /// dicts' methods: `str_method`).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn call_method(
        &mut self,
        dst: Reg,
        obj: Reg,
        method: usize,
        args: Reg,
        argc: u16,
        pc: usize,
        frame: &[Value],
    ) -> Result<(), Abort> {
        use crate::interp::objects::methods::MethodId;
        let name = self.cur.names[method].clone();
        let method_id = self.cur.method_ids[method];
        if let Value::Str(_) | Value::Dict(_) = frame[obj.0 as usize] {
            return self.str_method(dst, obj, method_id, args, argc, pc, frame);
        }
        let traced = match (&frame[obj.0 as usize], method_id, argc) {
            (Value::List(_), MethodId::Append | MethodId::Extend, 1) | (Value::List(_), MethodId::Insert, 2) => true,
            (Value::List(items), MethodId::Pop, 0) => !items.borrow().is_empty(),
            (Value::List(_), MethodId::Reverse, 0) => true,
            _ => false,
        };
        if !traced {
            return abort(format!(
                "a call to the method {name}() (only list.append, extend, insert, pop and reverse are traced)"
            ));
        }
        let (list, _) = self.read(obj, frame, pc)?;
        let result = self.slot(dst);
        // The runtime writes the result (None, the popped item) into its register. In a loop, a
        // register the trace read at entry would hold it in the next iteration; in a side trace
        // (straight code) it is harmless: the register's old value, if a heap value the trace
        // may still hold, goes to the garbage (`runtime_lists::set_result`).
        let read_at_entry = self.entry_loads.get(&result).map(|&(_, ty)| ty);
        let harmless = self.side.is_some();
        let into_variable = (read_at_entry.is_some() && !harmless)
            || self.cur.slot_names.get(dst.0 as usize).is_some_and(|n| !n.is_empty());
        if into_variable && method_id == MethodId::Pop {
            return self.pop_into_variable(dst, list, pc, frame[obj.0 as usize].clone());
        }
        if into_variable {
            return abort(format!("the result of {name}() goes into a variable"));
        }
        if method_id == MethodId::Pop {
            // An empty list exits before the call: the interpreter raises.
            let snap = self.snapshot(pc);
            self.emit(Op::ListPop { list, result, snap }, Type::Void);
        } else if method_id == MethodId::Reverse {
            let snap = self.snapshot(pc);
            self.emit(Op::ListReverse { list, result, snap }, Type::Void);
        } else {
            let value_reg = if method_id == MethodId::Insert { Reg(args.0 + 1) } else { args };
            let value = self.list_item_argument(value_reg, &name, pc, frame)?;
            // `extend` and `insert` raise (a value that is not iterable) before changing the
            // list: the trace exits before the call and the interpreter raises.
            let snap = self.snapshot(pc);
            match method_id {
                MethodId::Extend => {
                    self.emit(Op::ListExtend { list, value, result, snap }, Type::Void);
                }
                MethodId::Insert => {
                    let (index, index_ty) = self.read(args, frame, pc)?;
                    if index_ty != Type::Int {
                        return abort(format!("an insert() index of type {}", index_ty.name()));
                    }
                    self.emit(Op::ListInsert { list, index, value, result, snap }, Type::Void);
                }
                _ => {
                    // `out.append(x)` as a statement: its `None` goes nowhere anyone reads.
                    let result = self.result_is_read(pc, dst).then_some(result);
                    self.emit(Op::ListAppend { list, value, result }, Type::Void);
                }
            }
        }
        self.forget(result);
        Ok(())
    }

    /// The value a list method or a comprehension's append puts into a list, read from
    /// `value_reg`.
    fn list_item_argument(&mut self, value_reg: Reg, name: &str, pc: usize, frame: &[Value]) -> Result<IrRef, Abort> {
        // A known bug: an item `pop()` put into its register in this trace is read back
        // stale in a loop (`L.insert(0, L.pop())`, `tail.append(pair.pop())`: differential
        // seed 97229). Refused until the re-read is fixed.
        let value_slot = self.slot(value_reg);
        if self.trace.insts.iter().any(|i| matches!(i.op, Op::ListPop { result, .. } if result == value_slot)) {
            return abort(format!("an item popped in this trace passed to {name}()"));
        }
        let (value, ty) = self.read(value_reg, frame, pc)?;
        if ty.value_tag().is_none() && !ty.is_heap() {
            return abort(format!("passing {} to {name}()", a(ty.name())));
        }
        Ok(value)
    }

    /// A list comprehension's `ListAppend`: `list.append(value)` without a result register.
    pub(super) fn comprehension_append(
        &mut self,
        list: Reg,
        value: Reg,
        pc: usize,
        frame: &[Value],
    ) -> Result<(), Abort> {
        if !matches!(frame[list.0 as usize], Value::List(_)) {
            return abort("a comprehension's append to something other than a list");
        }
        let (list, _) = self.read(list, frame, pc)?;
        let value = self.list_item_argument(value, "append", pc, frame)?;
        self.emit(Op::ListAppend { list, value, result: None }, Type::Void);
        Ok(())
    }

    /// `x = list.pop()` where `x` is a variable (or a register the loop read at entry): the
    /// trace cannot merely forget the register the runtime writes, since the loop's next
    /// iteration (or a later read) would take the value it had before. So the trace loads the
    /// last element first (behind a type guard; an empty list exits there and the interpreter
    /// raises), pops it into the register, and names the loaded value as the register's: the
    /// register keeps the popped element alive (or the garbage does, once overwritten).
    fn pop_into_variable(&mut self, dst: Reg, list: IrRef, pc: usize, now: Value) -> Result<(), Abort> {
        let last = self.const_int(-1);
        let Some(element) = list_element(&now, &Value::Int(-1)) else {
            return abort("pop() from an empty list while recording");
        };
        let element_type = element_type(&element)?;
        let snap = self.snapshot(pc);
        let index = self.emit(Op::ListIndex { list, index: last, snap }, Type::Int);
        let popped = self.emit(Op::ListLoad { list, index, ty: element_type, snap }, element_type);
        let result = self.slot(dst);
        self.emit(Op::ListPop { list, result, snap }, Type::Void);
        self.forget(result);
        self.write(dst, popped)
    }
}
