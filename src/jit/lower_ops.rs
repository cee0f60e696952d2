//! The Cranelift code for each trace IR opcode (a part of `lower.rs`).
//!
//! Each opcode becomes a few Cranelift instructions; anything that can fail branches to the
//! cold exit block of its snapshot first (Python's semantics are kept exactly: overflow and
//! division by zero exit before a wrong value exists, `//` and `%` floor, float compares
//! follow IEEE like CPython). Touches nothing but the function being built.

use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{self, Block, BlockArg, InstBuilder, MemFlagsData, types};
use cranelift_frontend::FunctionBuilder;

use super::super::ir::{Cond, GLOBAL_SLOTS, IrRef, Op, Type};
use super::super::layout::{PAYLOAD_OFFSET, TAG_OFFSET, VALUE_SIZE, value_words};
use super::{Lowerer, cl_type};
use crate::interp::objects::value::tag;

/// Byte offset of frame slot `slot` from the frame pointer.
/// Where slot `slot` lives: in the module's globals (`true`) or the frame, and its offset in
/// bytes there.
pub(super) fn slot_location(slot: u16) -> (bool, i32) {
    match slot.checked_sub(GLOBAL_SLOTS) {
        Some(global) => (true, i32::from(global) * VALUE_SIZE),
        None => (false, slot_offset(slot)),
    }
}

pub(super) fn slot_offset(slot: u16) -> i32 {
    i32::from(slot) * VALUE_SIZE
}

/// Frame slots and list elements are aligned and always mapped.
pub(super) fn mem() -> MemFlagsData {
    MemFlagsData::trusted()
}

/// A list's length and element pointer. Unless the trace appends to lists (`ListAppend`),
/// nothing changes them while it runs (the interpreter does not run while native code does), so
/// Cranelift may treat them as constant and hoist them out of the loop.
fn list_header(lists_resize: bool) -> MemFlagsData {
    if lists_resize { MemFlagsData::trusted() } else { MemFlagsData::trusted().with_readonly().with_can_move() }
}

fn int_cc(cond: Cond) -> IntCC {
    match cond {
        Cond::Lt => IntCC::SignedLessThan,
        Cond::Le => IntCC::SignedLessThanOrEqual,
        Cond::Gt => IntCC::SignedGreaterThan,
        Cond::Ge => IntCC::SignedGreaterThanOrEqual,
        Cond::Eq => IntCC::Equal,
        Cond::Ne => IntCC::NotEqual,
    }
}

/// Ordered comparisons are false on NaN; `NotEqual` is "unordered or not equal", true on NaN,
/// exactly as Python's `!=`.
fn float_cc(cond: Cond) -> FloatCC {
    match cond {
        Cond::Lt => FloatCC::LessThan,
        Cond::Le => FloatCC::LessThanOrEqual,
        Cond::Gt => FloatCC::GreaterThan,
        Cond::Ge => FloatCC::GreaterThanOrEqual,
        Cond::Eq => FloatCC::Equal,
        Cond::Ne => FloatCC::NotEqual,
    }
}

/// An int operand of a comparison: the IR value, or a `ModInt`'s truncated remainder.
#[derive(Clone, Copy)]
enum Operand {
    Value(IrRef),
    Truncated(IrRef),
}

impl Lowerer<'_, '_> {
    /// Lowers instruction `r` (not `Loop` or `Phi`, which `build_function` handles).
    pub(super) fn lower(&mut self, r: IrRef) -> Result<(), String> {
        let inst = self.t.trace.insts[r.0 as usize];
        let lowered = match self.lower_tuple_op(r, inst.op, inst.ty)? {
            Some(result) => Some(result),
            None => match self.lower_list_op(inst.op)? {
                Some(result) => Some(result),
                None => self.lower_string_op(r, inst.op, inst.ty)?,
            },
        };
        if let Some(result) = lowered {
            if let Some(value) = result {
                self.t.vals[r.0 as usize] = Some(value);
            }
            return Ok(());
        }
        let result = match inst.op {
            Op::ConstInt { value } => Some(self.b.ins().iconst(types::I64, value)),
            Op::ConstFloat { value } => Some(self.b.ins().f64const(value)),
            Op::ConstBool { value } => Some(self.b.ins().iconst(types::I8, i64::from(value))),
            Op::ConstNone => Some(self.b.ins().iconst(types::I8, 0)),
            Op::GuardTag { slot, tag, snap } => {
                let known = self.t.inherited.get(&slot).map(|known| known.ty);
                if known.is_some() && known == Type::of_tag(tag) {
                    // The parent trace wrote, loaded or guarded a value of this type in the slot.
                    return Ok(());
                }
                let (base, offset) = self.slot_place(slot);
                let found = self.load(types::I8, mem(), base, offset + TAG_OFFSET);
                let differs = self.b.ins().icmp_imm_u(IntCC::NotEqual, found, i64::from(tag));
                self.exit_if(differs, snap)?;
                None
            }
            Op::CheckInterrupt { snap } => {
                // The flag is an AtomicBool: one byte, read with a plain load (a relaxed read).
                let symbol = self.runtime.interrupt_flag.ok_or("a CheckInterrupt without the flag's symbol")?;
                let address = self.b.ins().symbol_value(types::I64, symbol);
                let flag = self.load(types::I8, MemFlagsData::new(), address, 0);
                self.exit_when(flag, true, snap)?;
                None
            }
            Op::ClearSlot { .. } => {
                self.lower_clear_slot(r)?;
                None
            }
            Op::SlotInt { slot }
            | Op::SlotPtr { slot }
            | Op::SlotTuple { slot }
            | Op::SlotStr { slot }
            | Op::SlotDict { slot }
            | Op::SlotBig { slot }
            | Op::SlotIter { slot }
            | Op::SlotFloat { slot }
            | Op::SlotBool { slot }
                if let Some(value) = self.inherited(slot, inst.ty) =>
            {
                Some(value)
            }
            Op::SlotInt { slot }
            | Op::SlotPtr { slot }
            | Op::SlotTuple { slot }
            | Op::SlotStr { slot }
            | Op::SlotDict { slot }
            | Op::SlotBig { slot }
            | Op::SlotIter { slot }
            | Op::SlotFloat { slot }
            | Op::SlotBool { slot } => {
                let (base, offset) = self.slot_place(slot);
                let ty = cl_type(inst.ty).ok_or("a slot load without a type")?;
                Some(self.load(ty, mem(), base, offset + PAYLOAD_OFFSET))
            }
            Op::AddInt { a, b, snap } | Op::SubInt { a, b, snap } | Op::MulInt { a, b, snap } => {
                let (a, b) = (self.val(a)?, self.val(b)?);
                let (sum, overflow) = match inst.op {
                    Op::AddInt { .. } => self.b.ins().sadd_overflow(a, b),
                    Op::SubInt { .. } => self.b.ins().ssub_overflow(a, b),
                    _ => self.b.ins().smul_overflow(a, b),
                };
                self.exit_if(overflow, snap)?;
                Some(sum)
            }
            Op::AddIntUnchecked { a, b } => {
                let (a, b) = (self.val(a)?, self.val(b)?);
                Some(self.b.ins().iadd(a, b))
            }
            Op::SubIntUnchecked { a, b } => {
                let (a, b) = (self.val(a)?, self.val(b)?);
                Some(self.b.ins().isub(a, b))
            }
            Op::NegInt { a, snap } => {
                let a = self.val(a)?;
                let is_min = self.b.ins().icmp_imm_s(IntCC::Equal, a, i64::MIN);
                self.exit_if(is_min, snap)?;
                Some(self.b.ins().ineg(a))
            }
            Op::FloorDivInt { a, b, .. } if let Some(divisor) = self.positive_constant(b) => {
                // A positive constant divisor: nothing to exit for, and Cranelift turns the
                // division into a multiplication (no fast path, fewer blocks to compile).
                let (a, b) = (self.val(a)?, self.val(b)?);
                let q = self.b.ins().sdiv(a, b);
                let multiple = self.b.ins().imul_imm_s(q, divisor);
                let rem = self.b.ins().isub(a, multiple);
                let negative = self.b.ins().icmp_imm_s(IntCC::SignedLessThan, rem, 0);
                let q_minus_one = self.b.ins().iadd_imm_s(q, -1);
                Some(self.b.ins().select(negative, q_minus_one, q))
            }
            Op::FloorDivInt { a, b, snap } => {
                let (a, b) = (self.val(a)?, self.val(b)?);
                // Exit on b == 0 and on MIN // -1 (overflows; `sdiv` would trap on both).
                let zero = self.b.ins().icmp_imm_s(IntCC::Equal, b, 0);
                let a_min = self.b.ins().icmp_imm_s(IntCC::Equal, a, i64::MIN);
                let b_minus_one = self.b.ins().icmp_imm_s(IntCC::Equal, b, -1);
                let overflow = self.b.ins().band(a_min, b_minus_one);
                let bad = self.b.ins().bor(zero, overflow);
                self.exit_if(bad, snap)?;
                let join = self.small_operands_fast_path(a, b, |b, a32, b32| vec![b.ins().udiv(a32, b32)]);
                let q = self.b.ins().sdiv(a, b);
                // Truncation rounded toward zero: step down when the remainder is nonzero and
                // its sign differs from b's.
                let qb = self.b.ins().imul(q, b);
                let rem = self.b.ins().isub(a, qb);
                let adjust = self.remainder_needs_adjusting(rem, b);
                let q_minus_one = self.b.ins().iadd_imm_s(q, -1);
                let floored = self.b.ins().select(adjust, q_minus_one, q);
                Some(self.join(join, &[floored])[0])
            }
            Op::ModInt { a, b, .. } if self.positive_constant(b).is_some() => {
                let (a, b) = (self.val(a)?, self.val(b)?);
                let rem = self.b.ins().srem(a, b);
                let negative = self.b.ins().icmp_imm_s(IntCC::SignedLessThan, rem, 0);
                let floored = self.b.ins().iadd(rem, b);
                self.t.truncated[r.0 as usize] = Some(rem);
                Some(self.b.ins().select(negative, floored, rem))
            }
            Op::ModInt { a, b, snap } => {
                let (a, b) = (self.val(a)?, self.val(b)?);
                let zero = self.b.ins().icmp_imm_s(IntCC::Equal, b, 0);
                self.exit_if(zero, snap)?;
                let join = self.small_operands_fast_path(a, b, |b, a32, b32| {
                    let rem = b.ins().urem(a32, b32);
                    vec![rem, rem]
                });
                // Cranelift's `srem` traps only on a zero divisor: MIN % -1 is defined as 0.
                let rem = self.b.ins().srem(a, b);
                let adjust = self.remainder_needs_adjusting(rem, b);
                let floored = self.b.ins().iadd(rem, b);
                let floored = self.b.ins().select(adjust, floored, rem);
                let results = self.join(join, &[rem, floored]);
                self.t.truncated[r.0 as usize] = Some(results[0]);
                Some(results[1])
            }
            Op::PowInt { a, b, snap } | Op::PowFloat { a, b, snap } => {
                // The runtime says through a flag in this frame whether Python would raise or
                // need a big int: then the trace exits and the interpreter redoes it.
                let (a, b) = (self.val(a)?, self.val(b)?);
                let flag =
                    self.b.create_sized_stack_slot(ir::StackSlotData::new(ir::StackSlotKind::ExplicitSlot, 8, 0));
                let flag_address = self.b.ins().stack_addr(types::I64, flag, 0);
                let zero = self.b.ins().iconst(types::I8, 0);
                self.b.ins().stack_store(types::I64, zero, flag, 0);
                let function =
                    if matches!(inst.op, Op::PowInt { .. }) { self.runtime.int_pow } else { self.runtime.float_pow };
                let call =
                    self.b.ins().call(function.ok_or("a power without its runtime function")?, &[a, b, flag_address]);
                let result = self.b.inst_results(call)[0];
                let failed = self.b.ins().stack_load(types::I64, types::I8, flag, 0);
                self.exit_when(failed, true, snap)?;
                Some(result)
            }
            Op::ShrInt { a, b, snap } => {
                let (a, b) = (self.val(a)?, self.val(b)?);
                let negative = self.b.ins().icmp_imm_s(IntCC::SignedLessThan, b, 0);
                self.exit_if(negative, snap)?;
                // Counts of 63 and more all shift every bit out: 0 or -1.
                let max = self.b.ins().iconst(types::I64, 63);
                let count = self.b.ins().umin(b, max);
                Some(self.b.ins().sshr(a, count))
            }
            Op::ShlInt { a, b, snap } => {
                let (a, b) = (self.val(a)?, self.val(b)?);
                let out_of_range = self.b.ins().icmp_imm_u(IntCC::UnsignedGreaterThan, b, 63);
                self.exit_if(out_of_range, snap)?;
                let shifted = self.b.ins().ishl(a, b);
                // A bit was lost (or the sign changed) unless shifting back gives `a` again.
                let back = self.b.ins().sshr(shifted, b);
                let lost = self.b.ins().icmp(IntCC::NotEqual, back, a);
                self.exit_if(lost, snap)?;
                Some(shifted)
            }
            Op::AndInt { a, b }
            | Op::OrInt { a, b }
            | Op::XorInt { a, b }
            | Op::AddFloat { a, b }
            | Op::SubFloat { a, b }
            | Op::MulFloat { a, b } => {
                let (x, y) = (self.val(a)?, self.val(b)?);
                let ins = self.b.ins();
                Some(match inst.op {
                    Op::AndInt { .. } => ins.band(x, y),
                    Op::OrInt { .. } => ins.bor(x, y),
                    Op::XorInt { .. } => ins.bxor(x, y),
                    Op::AddFloat { .. } => ins.fadd(x, y),
                    Op::SubFloat { .. } => ins.fsub(x, y),
                    _ => ins.fmul(x, y),
                })
            }
            Op::ModFloat { a, b, snap } | Op::FloorDivFloat { a, b, snap } => {
                let (a, b) = (self.val(a)?, self.val(b)?);
                let zero = self.b.ins().f64const(0.0);
                let is_zero = self.b.ins().fcmp(FloatCC::Equal, b, zero);
                self.exit_if(is_zero, snap)?;
                let function = if matches!(inst.op, Op::ModFloat { .. }) {
                    self.runtime.float_mod
                } else {
                    self.runtime.float_floordiv
                };
                let call =
                    self.b.ins().call(function.ok_or("a float operation without its runtime function")?, &[a, b]);
                Some(self.b.inst_results(call)[0])
            }
            Op::DivFloat { a, b, snap } => {
                let (a, b) = (self.val(a)?, self.val(b)?);
                let zero = self.b.ins().f64const(0.0);
                // Equal to 0.0 holds for -0.0 too: Python raises for both.
                let is_zero = self.b.ins().fcmp(FloatCC::Equal, b, zero);
                self.exit_if(is_zero, snap)?;
                Some(self.b.ins().fdiv(a, b))
            }
            Op::NegFloat { a } => {
                let a = self.val(a)?;
                Some(self.b.ins().fneg(a))
            }
            Op::AbsFloat { a } => {
                let a = self.val(a)?;
                Some(self.b.ins().fabs(a))
            }
            Op::FloatToInt { a, snap } => {
                // -2**63 <= a < 2**63 (false for NaN), so the conversion cannot trap.
                let a = self.val(a)?;
                let low = self.b.ins().f64const(-9223372036854775808.0);
                let high = self.b.ins().f64const(9223372036854775808.0);
                let above_low = self.b.ins().fcmp(FloatCC::GreaterThanOrEqual, a, low);
                let below_high = self.b.ins().fcmp(FloatCC::LessThan, a, high);
                let in_range = self.b.ins().band(above_low, below_high);
                self.exit_unless(in_range, snap)?;
                Some(self.b.ins().fcvt_to_sint(types::I64, a))
            }
            Op::IntToFloat { a } => {
                let a = self.val(a)?;
                Some(self.b.ins().fcvt_from_sint(types::F64, a))
            }
            Op::BoolToInt { a } => {
                let a = self.val(a)?;
                Some(self.b.ins().uextend(types::I64, a))
            }
            Op::GuardExactFloat { a, snap } => {
                // -2^53 <= a <= 2^53  <=>  (a + 2^53) as u64 <= 2^54 (wrapping add).
                let a = self.val(a)?;
                let shifted = self.b.ins().iadd_imm_s(a, 1 << 53);
                let outside = self.b.ins().icmp_imm_u(IntCC::UnsignedGreaterThan, shifted, 1 << 54);
                self.exit_if(outside, snap)?;
                None
            }
            Op::CmpInt { cond, a, b } => {
                let (a, b) = match cond {
                    Cond::Eq | Cond::Ne => (self.zero_test_operand(a, b), self.zero_test_operand(b, a)),
                    _ => (Operand::Value(a), Operand::Value(b)),
                };
                let (a, b) = (self.val_or_truncated(a)?, self.val_or_truncated(b)?);
                Some(self.b.ins().icmp(int_cc(cond), a, b))
            }
            Op::CmpFloat { cond, a, b } => {
                let (a, b) = (self.val(a)?, self.val(b)?);
                Some(self.b.ins().fcmp(float_cc(cond), a, b))
            }
            Op::Guard { cond, expect, snap } => {
                let cond = self.val(cond)?;
                if expect {
                    self.exit_unless(cond, snap)?;
                } else {
                    self.exit_if(cond, snap)?;
                }
                None
            }
            Op::ListLen { list } => {
                let list = self.val(list)?;
                Some(self.load(types::I64, list_header(self.lists_resize), list, self.layout.length_offset))
            }
            Op::ListIndex { list, index, snap } => {
                let (list, index) = (self.val(list)?, self.val(index)?);
                let len = self.load(types::I64, list_header(self.lists_resize), list, self.layout.length_offset);
                Some(self.normalised_index(index, len, snap)?)
            }
            Op::ListIndexInRange { list, index, snap } => {
                // One unsigned compare checks both ends; the value is the index itself (no
                // join of a normalising path: no copy of it per access).
                let (list, index) = (self.val(list)?, self.val(index)?);
                let len = self.load(types::I64, list_header(self.lists_resize), list, self.layout.length_offset);
                let outside = self.b.ins().icmp(IntCC::UnsignedGreaterThanOrEqual, index, len);
                self.exit_if(outside, snap)?;
                Some(index)
            }
            Op::ListLoad { list, index, ty, snap } => {
                let element = self.element_address(list, index)?;
                // A list element that is a list stays alive in its list: traces never store
                // over an element that holds a heap value.
                let want = match ty.heap_tag() {
                    Some(heap) => heap,
                    None => ty.value_tag().ok_or("bad list load type")?,
                };
                let found = self.load(types::I8, mem(), element, TAG_OFFSET);
                let differs = self.b.ins().icmp_imm_u(IntCC::NotEqual, found, i64::from(want));
                self.exit_if(differs, snap)?;
                if ty == Type::NoneType {
                    // None has no payload to read.
                    Some(self.b.ins().iconst(types::I8, 0))
                } else {
                    let cl_ty = cl_type(ty).ok_or("bad list load type")?;
                    Some(self.load(cl_ty, mem(), element, PAYLOAD_OFFSET))
                }
            }
            Op::Select { cond, a, b } => {
                let (cond, a, b) = (self.val(cond)?, self.val(a)?, self.val(b)?);
                Some(self.b.ins().select(cond, a, b))
            }
            Op::ConstObj { index } => {
                let object = self.t.objects.get(index as usize).ok_or("ConstObj of an unknown object")?;
                Some(self.b.ins().iconst(types::I64, object as *const crate::interp::objects::value::Value as i64))
            }
            Op::GuardObj { slot, index, snap } => {
                let object = self.t.objects.get(index as usize).ok_or("GuardObj of an unknown object")?;
                // The same object is the same tag and the same payload word (its `Rc`'s pointer);
                // the trace keeps the object alive, so no other object can have that address.
                let (want_tag, want_payload) = value_words(object);
                let (base, offset) = self.slot_place(slot);
                let found = self.load(types::I8, mem(), base, offset + TAG_OFFSET);
                let differs = self.b.ins().icmp_imm_u(IntCC::NotEqual, found, i64::from(want_tag));
                self.exit_if(differs, snap)?;
                // A builtin's payload is its id, narrower than the word (the rest is padding).
                let (width, want_payload) = match object {
                    crate::interp::objects::value::Value::Builtin(_) => {
                        match std::mem::size_of::<crate::interp::objects::builtins::BuiltinId>() {
                            1 => (types::I8, want_payload & 0xff),
                            2 => (types::I16, want_payload & 0xffff),
                            4 => (types::I32, want_payload & 0xffff_ffff),
                            _ => (types::I64, want_payload),
                        }
                    }
                    _ => (types::I64, want_payload),
                };
                let found = self.load(width, mem(), base, offset + PAYLOAD_OFFSET);
                let differs = self.b.ins().icmp_imm_u(IntCC::NotEqual, found, want_payload as i64);
                self.exit_if(differs, snap)?;
                None
            }
            Op::ListAppend { list, value, result } => {
                self.list_append(list, value, result)?;
                None
            }
            Op::ListStore { list, index, value, snap } => {
                let element = self.element_address(list, index)?;
                let found = self.load(types::I8, mem(), element, TAG_OFFSET);
                let heap = self.b.ins().icmp_imm_u(IntCC::UnsignedGreaterThan, found, i64::from(tag::FLOAT));
                self.exit_if(heap, snap)?;
                let ty = self.t.trace.ty(value);
                let value = self.val(value)?;
                self.store_value(element, 0, value, ty)?;
                None
            }
            Op::EnterCheck { callee, frame, depth, snap } => {
                self.enter_check(callee, frame, depth, snap)?;
                None
            }
            Op::StoreSlot { slot, value } => {
                self.store_slot(slot, value)?;
                None
            }
            Op::CallNative { callee, frame, depth, dst, ty, snap } => {
                let drops_garbage = self.keep_borrowed_alive(r)?;
                Some(self.call_native(callee, frame, depth, dst, ty, snap, (self.handed_over(r), drops_garbage))?)
            }
            Op::CallInterp { callee, frame, argc, depth, dst, ty, snap } => {
                self.keep_borrowed_alive(r)?;
                self.call_interp(callee, (frame, argc, depth), dst, ty, snap)?
            }
            Op::DictIterInto { dict, kind, result } => Some(self.dict_iter_into(dict, kind, result)?),
            Op::DictMore { iter } => {
                let iter = self.val(iter)?;
                let dict_more = self.runtime.dict_more.ok_or("DictMore without its runtime function")?;
                let call = self.b.ins().call(dict_more, &[iter]);
                Some(self.b.inst_results(call)[0])
            }
            Op::ListPop { list, result, snap } => {
                self.list_pop(list, result, snap)?;
                None
            }
            Op::ListExtend { .. }
            | Op::ListInsert { .. }
            | Op::ListReverse { .. }
            | Op::ComprehensionEnter { .. }
            | Op::ComprehensionLeave => {
                return Err(format!("{r}: {} is lowered in lower_lists.rs", inst.op.name()));
            }
            Op::ListStoreAny { .. }
            | Op::TupleLen { .. }
            | Op::TupleIndex { .. }
            | Op::TupleLoad { .. }
            | Op::NewTuple { .. }
            | Op::KeepAlive { .. }
            | Op::TupleInit { .. } => return Err(format!("{r}: {} is lowered in lower_tuples.rs", inst.op.name())),
            Op::ConstStr { .. }
            | Op::StrLen { .. }
            | Op::StrBytes { .. }
            | Op::StrOrd { .. }
            | Op::StrChr { .. }
            | Op::StrCharAt { .. }
            | Op::GuardStrAscii { .. }
            | Op::StrByteAt { .. }
            | Op::StrChrLatin1 { .. }
            | Op::Helper0 { .. }
            | Op::Helper1 { .. }
            | Op::Helper2 { .. }
            | Op::Helper3 { .. }
            | Op::Helper4 { .. }
            | Op::DictNext { .. } => return Err(format!("{r}: {} is lowered in lower_strings.rs", inst.op.name())),
            Op::Loop | Op::Phi { .. } | Op::Link { .. } | Op::Leave { .. } | Op::Ret { .. } => {
                return Err(format!("{r}: {} is not an ordinary instruction", inst.op.name()));
            }
        };
        if let Some(value) = result {
            self.t.vals[r.0 as usize] = Some(value);
        }
        Ok(())
    }

    /// Branches on whether `a` and `b` are both in `0..2^32`, where truncating and flooring
    /// agree and a 32-bit unsigned division is much faster than a 64-bit one (clang's "bypass
    /// slow division"). Emits the fast path (`fast` computes from the 32-bit operands the
    /// values the join block receives, zero-extended here), then leaves the builder in the
    /// slow path; [`Self::join`] ends it. Returns the join block.
    fn small_operands_fast_path(
        &mut self,
        a: ir::Value,
        b: ir::Value,
        fast: impl FnOnce(&mut FunctionBuilder<'_>, ir::Value, ir::Value) -> Vec<ir::Value>,
    ) -> Block {
        let either = self.b.ins().bor(a, b);
        let high = self.b.ins().ushr_imm_u(either, 32);
        let (fast_block, slow_block, join) = (self.b.create_block(), self.b.create_block(), self.b.create_block());
        self.b.ins().brif(high, slow_block, &[], fast_block, &[]);
        self.b.switch_to_block(fast_block);
        let a32 = self.b.ins().ireduce(types::I32, a);
        let b32 = self.b.ins().ireduce(types::I32, b);
        let results = fast(&mut self.b, a32, b32);
        let args: Vec<BlockArg> =
            results.into_iter().map(|v| BlockArg::Value(self.b.ins().uextend(types::I64, v))).collect();
        for _ in &args {
            self.b.append_block_param(join, types::I64);
        }
        self.b.ins().jump(join, &args);
        self.b.switch_to_block(slow_block);
        join
    }

    /// Ends the slow path of [`Self::small_operands_fast_path`] with `values`; returns the
    /// join block's parameters.
    fn join(&mut self, join: Block, values: &[ir::Value]) -> Vec<ir::Value> {
        let args: Vec<BlockArg> = values.iter().map(|&v| BlockArg::Value(v)).collect();
        self.b.ins().jump(join, &args);
        self.b.switch_to_block(join);
        self.b.block_params(join).to_vec()
    }

    /// `x % y == 0` needs no flooring: the truncated remainder is zero exactly when Python's
    /// is. Marks `x` (compared against `other`) to be read as its truncated remainder then.
    fn zero_test_operand(&self, x: IrRef, other: IrRef) -> Operand {
        let is_zero = matches!(self.t.trace.insts[other.0 as usize].op, Op::ConstInt { value: 0 });
        if is_zero && self.t.truncated[x.0 as usize].is_some() { Operand::Truncated(x) } else { Operand::Value(x) }
    }

    fn val_or_truncated(&self, x: Operand) -> Result<ir::Value, String> {
        match x {
            Operand::Value(r) => self.val(r),
            Operand::Truncated(r) => self.t.truncated[r.0 as usize].ok_or_else(|| format!("{r} has no remainder")),
        }
    }

    /// If the slot at `base + offset` holds a heap value, drops it (a call into the runtime,
    /// leaving `None`), so that a number may be stored over it.
    pub(super) fn drop_heap_value(&mut self, base: ir::Value, offset: i32) -> Result<(), String> {
        self.drop_heap_values(&[(base, offset)])
    }

    /// Where slot `slot` lives: the frame and the slot's offset, or (for `GLOBAL_SLOTS` and
    /// above) the globals and the global's offset.
    pub(super) fn slot_place(&self, slot: u16) -> (ir::Value, i32) {
        let (global, offset) = slot_location(slot);
        (if global { self.globals } else { self.frame }, offset)
    }

    /// The address of frame slot `slot`, for the runtime functions that write a whole `Value`.
    pub(super) fn slot_address(&mut self, slot: u16) -> ir::Value {
        let (base, offset) = self.slot_place(slot);
        self.b.ins().iadd_imm_u(base, i64::from(offset))
    }

    /// Python's floor rule for a truncated remainder: nonzero with a sign unlike the divisor's.
    /// The value of `r` if it is a constant int above zero (a divisor that needs no checks).
    fn positive_constant(&self, r: IrRef) -> Option<i64> {
        match self.t.trace.insts.get(r.0 as usize)?.op {
            Op::ConstInt { value } if value > 0 => Some(value),
            _ => None,
        }
    }

    fn remainder_needs_adjusting(&mut self, rem: ir::Value, divisor: ir::Value) -> ir::Value {
        let nonzero = self.b.ins().icmp_imm_s(IntCC::NotEqual, rem, 0);
        let signs = self.b.ins().bxor(rem, divisor);
        let differ = self.b.ins().icmp_imm_s(IntCC::SignedLessThan, signs, 0);
        self.b.ins().band(nonzero, differ)
    }

    /// Python's index normalisation of `index` for a sequence of `len` items: `index + len` if
    /// negative; exits through `snap` unless the result is in `0..len`. The common case costs
    /// one unsigned compare (it checks 0 <= index < len); a negative index is normalised on a
    /// cold path, then checked the same way.
    pub(super) fn normalised_index(
        &mut self,
        index: ir::Value,
        len: ir::Value,
        snap: super::super::ir::SnapId,
    ) -> Result<ir::Value, String> {
        let in_range = self.b.ins().icmp(IntCC::UnsignedLessThan, index, len);
        let (normalise, join) = (self.b.create_block(), self.b.create_block());
        self.b.set_cold_block(normalise);
        let idx = self.b.append_block_param(join, types::I64);
        self.b.ins().brif(in_range, join, &[BlockArg::Value(index)], normalise, &[]);
        self.b.switch_to_block(normalise);
        let from_end = self.b.ins().iadd(index, len);
        let outside = self.b.ins().icmp(IntCC::UnsignedGreaterThanOrEqual, from_end, len);
        // Straight to the exit or the join: no block of its own between them (one block fewer
        // per index for Cranelift to compile).
        let exit = self.exit_block(snap)?;
        self.b.ins().brif(outside, exit, &[], join, &[BlockArg::Value(from_end)]);
        self.b.switch_to_block(join);
        Ok(idx)
    }

    /// The address of element `index` (already normalised) of `list`.
    pub(super) fn element_address(&mut self, list: IrRef, index: IrRef) -> Result<ir::Value, String> {
        let (list, index) = (self.val(list)?, self.val(index)?);
        let data = self.load(types::I64, list_header(self.lists_resize), list, self.layout.data_pointer_offset);
        let offset = self.value_offset(index);
        Ok(self.b.ins().iadd(data, offset))
    }

    /// `index * VALUE_SIZE`, the offset of a value in an array of them, written `(index +
    /// index) << 3` so that Cranelift folds the shift into the address (x86's largest scale
    /// is 8): one `lea` of `2 * index` instead of a copy and a shift per element access.
    pub(super) fn value_offset(&mut self, index: ir::Value) -> ir::Value {
        const _: () = assert!(VALUE_SIZE == 16);
        let doubled = self.b.ins().iadd(index, index);
        self.b.ins().ishl_imm_u(doubled, 3)
    }

    /// Writes a scalar `Value` (tag byte and payload) of IR type `ty` at `base + offset`.
    pub(super) fn store_value(
        &mut self,
        base: ir::Value,
        offset: i32,
        value: ir::Value,
        ty: Type,
    ) -> Result<(), String> {
        if ty == Type::Tuple {
            return self.store_tuple(base, offset, value);
        }
        if ty == Type::Obj || ty.is_heap() {
            // A function or builtin (the runtime clones it into the slot), or a list or tuple
            // (the runtime stores the reference `write_snapshot` counted): each drops what the
            // slot held.
            let function = match ty {
                Type::Obj => self.runtime.set_value,
                Type::Tuple => self.runtime.set_tuple,
                Type::Str => self.runtime.set_str,
                Type::Dict => self.runtime.set_dict,
                Type::Big => self.runtime.set_big,
                _ => self.runtime.set_list,
            };
            let function = function.ok_or("an object written without its runtime function")?;
            let slot = self.b.ins().iadd_imm_s(base, i64::from(offset));
            self.b.ins().call(function, &[slot, value]);
            return Ok(());
        }
        if ty == Type::NoneType {
            // The slot may hold a list or tuple the trace read (`node = node[1]` reaching None):
            // the runtime drops it (after the trace is done with it) and writes None.
            return self.drop_heap_value(base, offset).map(|_| {
                let none = self.b.ins().iconst(types::I8, i64::from(tag::NONE));
                self.store(mem(), none, base, offset + TAG_OFFSET);
            });
        }
        let tag = ty.value_tag().ok_or_else(|| format!("cannot write a {ty:?} value into a Value"))?;
        let tag = self.b.ins().iconst(types::I8, i64::from(tag));
        self.store(mem(), tag, base, offset + TAG_OFFSET);
        // A bool payload is a whole u64 0/1.
        let payload =
            if matches!(ty, Type::Bool | Type::NoneType) { self.b.ins().uextend(types::I64, value) } else { value };
        self.store(mem(), payload, base, offset + PAYLOAD_OFFSET);
        Ok(())
    }
}
