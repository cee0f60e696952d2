//! The Cranelift code for strings (a part of `lower.rs`): a string constant's address, a
//! string's length read from its header, the calls of runtime helpers (`Helper1`..`Helper4`,
//! `runtime_strings.rs`; the common string ones are direct calls, `lower_str_direct.rs`) with the exit each takes when its helper fails, and the back edge of
//! a loop that carries heap values while it makes garbage. Touches nothing but the function
//! being built.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{self, InstBuilder, MemFlagsData, types};

use super::super::ir::helpers::Helper;
use super::super::ir::{IrRef, Op, SnapId, Type};
use super::super::layout::value_words;
use super::super::runtime_strings::HELPER_FAILED;
use super::Lowerer;
use crate::interp::objects::value::Str;

/// Is `op` a call of a runtime helper (which may put its result into the garbage)?
pub fn is_helper(op: &Op) -> bool {
    matches!(
        op,
        Op::StrChr { .. }
            | Op::StrCharAt { .. }
            | Op::StrOrd { .. }
            | Op::Helper0 { .. }
            | Op::Helper1 { .. }
            | Op::Helper2 { .. }
            | Op::Helper3 { .. }
            | Op::Helper4 { .. }
            | Op::DictNext { .. }
    )
}

impl Lowerer<'_, '_> {
    /// Lowers a string opcode; `None` if `op` is not one.
    pub(super) fn lower_string_op(&mut self, r: IrRef, op: Op, ty: Type) -> Result<Option<Option<ir::Value>>, String> {
        if let Op::Helper0 { snap, .. }
        | Op::Helper1 { snap, .. }
        | Op::Helper2 { snap, .. }
        | Op::Helper3 { snap, .. }
        | Op::Helper4 { snap, .. } = op
            && let Some(value) = self.lower_direct_helper(r, ty, snap)?
        {
            return Ok(Some(Some(value)));
        }
        Ok(Some(match op {
            Op::ConstStr { index } => {
                let object = self.t.objects.get(index as usize).ok_or("ConstStr of an unknown object")?;
                // The compiled trace owns the constant: its address is fixed while the code lives.
                Some(self.b.ins().iconst(types::I64, value_words(object).1 as i64))
            }
            Op::StrLen { s } => Some(self.header_word(s, Str::CHAR_COUNT_OFFSET)?),
            Op::StrBytes { s } => Some(self.header_word(s, Str::LEN_OFFSET)?),
            Op::StrOrd { s, snap } => Some(self.str_ord(s, snap)?),
            Op::StrChr { code, snap } => Some(self.str_chr(code, snap)?),
            Op::StrCharAt { s, offset, snap } => Some(self.str_char_at(s, offset, snap)?),
            Op::GuardStrAscii { s, snap } => {
                let bytes = self.header_word(s, Str::LEN_OFFSET)?;
                let chars = self.header_word(s, Str::CHAR_COUNT_OFFSET)?;
                let ascii = self.b.ins().icmp(IntCC::Equal, bytes, chars);
                self.exit_unless(ascii, snap)?;
                None
            }
            Op::StrByteAt { s, offset, snap } => Some(self.str_byte_at(s, offset, snap)?),
            Op::StrChrLatin1 { code } => {
                let code = self.val(code)?;
                Some(self.latin1_char(code))
            }
            Op::DictNext { iter, snap, .. } => Some(self.dict_next(iter, ty, snap)?),
            Op::Helper0 { fun, snap, .. } => Some(self.call_helper(fun, &[], ty, snap)?),
            Op::Helper1 { fun, a, snap, .. } => Some(self.call_helper(fun, &[a], ty, snap)?),
            Op::Helper2 { fun, a, b, snap, .. } => Some(self.call_helper(fun, &[a, b], ty, snap)?),
            Op::Helper3 { fun, a, b, c, snap, .. } => Some(self.call_helper(fun, &[a, b, c], ty, snap)?),
            Op::Helper4 { fun, a, b, c, d, snap, .. } => Some(self.call_helper(fun, &[a, b, c, d], ty, snap)?),
            _ => return Ok(None),
        }))
    }

    /// A `u32` of string `s`'s header, as an int. Not read-only: a string nobody else holds
    /// may grow in place (`s += t` in the interpreter), so it is read where the trace reads it.
    fn header_word(&mut self, s: IrRef, offset: usize) -> Result<ir::Value, String> {
        let s = self.val(s)?;
        let word = self.load(types::I32, MemFlagsData::trusted(), s, offset as i32);
        Ok(self.b.ins().uextend(types::I64, word))
    }

    /// `ord(s)`: the byte of a one-byte string, else (a cold path) the helper.
    fn str_ord(&mut self, s: IrRef, snap: SnapId) -> Result<ir::Value, String> {
        let len = self.header_word(s, Str::LEN_OFFSET)?;
        let one_byte = self.b.ins().icmp_imm_u(IntCC::Equal, len, 1);
        let text = self.val(s)?;
        self.fast_or_helper(one_byte, Helper::Ord, &[s], Type::Int, snap, |this| {
            this.load_byte(MemFlagsData::trusted(), text, Str::BYTES_OFFSET as i32)
        })
    }

    /// `chr(code)`: the cached string below 256, else (a cold path) the helper.
    fn str_chr(&mut self, code: IrRef, snap: SnapId) -> Result<ir::Value, String> {
        let value = self.val(code)?;
        let cached = self.b.ins().icmp_imm_u(IntCC::UnsignedLessThan, value, 256);
        self.fast_or_helper(cached, Helper::Chr, &[code], Type::Str, snap, |this| this.latin1_char(value))
    }

    /// The char at byte `offset` of `s`: cached for an ASCII string (bytes = chars) when the
    /// offset is inside it, else (a cold path) the helper.
    fn str_char_at(&mut self, s: IrRef, offset: IrRef, snap: SnapId) -> Result<ir::Value, String> {
        let bytes = self.header_word(s, Str::LEN_OFFSET)?;
        let chars = self.header_word(s, Str::CHAR_COUNT_OFFSET)?;
        let (text, at) = (self.val(s)?, self.val(offset)?);
        let ascii = self.b.ins().icmp(IntCC::Equal, bytes, chars);
        let inside = self.b.ins().icmp(IntCC::UnsignedLessThan, at, bytes);
        let fast = self.b.ins().band(ascii, inside);
        self.fast_or_helper(fast, Helper::CharAt, &[s, offset], Type::Str, snap, |this| {
            let address = this.b.ins().iadd(text, at);
            let byte = this.load_byte(MemFlagsData::trusted(), address, Str::BYTES_OFFSET as i32);
            this.latin1_char(byte)
        })
    }

    /// The byte at `offset` of the ASCII string `s` (its code), exiting unless `offset` is
    /// inside the string (one unsigned compare: a negative offset is outside too).
    fn str_byte_at(&mut self, s: IrRef, offset: IrRef, snap: SnapId) -> Result<ir::Value, String> {
        let bytes = self.header_word(s, Str::LEN_OFFSET)?;
        let (text, at) = (self.val(s)?, self.val(offset)?);
        let inside = self.b.ins().icmp(IntCC::UnsignedLessThan, at, bytes);
        self.exit_unless(inside, snap)?;
        let address = self.b.ins().iadd(text, at);
        Ok(self.load_byte(MemFlagsData::trusted(), address, Str::BYTES_OFFSET as i32))
    }

    /// The cached one-char string of code point `code` (below 256): a load from the thread's
    /// table, which owns it (no count to change, nothing for the garbage).
    fn latin1_char(&mut self, code: ir::Value) -> ir::Value {
        let table = self.b.ins().iconst(types::I64, crate::interp::objects::value::latin1_chars_address() as i64);
        let offset = self.b.ins().imul_imm_s(code, std::mem::size_of::<Str>() as i64);
        let entry = self.b.ins().iadd(table, offset);
        self.load(types::I64, MemFlagsData::trusted(), entry, 0)
    }

    /// `fast(self)` where `cond` holds, else the helper `fun` on `args` (a cold block, which
    /// exits through `snap` if the helper fails); the value of either, of type `ty`.
    fn fast_or_helper(
        &mut self,
        cond: ir::Value,
        fun: Helper,
        args: &[IrRef],
        ty: Type,
        snap: SnapId,
        fast: impl FnOnce(&mut Self) -> ir::Value,
    ) -> Result<ir::Value, String> {
        let (fast_block, slow_block, join) = (self.b.create_block(), self.b.create_block(), self.b.create_block());
        self.b.set_cold_block(slow_block);
        let cl_ty = super::cl_type(ty).ok_or("a helper result without a type")?;
        self.b.append_block_param(join, cl_ty);
        self.b.ins().brif(cond, fast_block, &[], slow_block, &[]);
        self.b.switch_to_block(fast_block);
        let value = fast(self);
        self.b.ins().jump(join, &[ir::BlockArg::Value(value)]);
        self.b.switch_to_block(slow_block);
        let value = self.call_helper(fun, args, ty, snap)?;
        self.b.ins().jump(join, &[ir::BlockArg::Value(value)]);
        self.b.switch_to_block(join);
        Ok(self.b.block_params(join)[0])
    }

    /// Calls helper `fun` on `args` (stored as tag and payload pairs in this frame), exiting
    /// through `snap` if it fails; its result, of type `ty`.
    fn call_helper(&mut self, fun: Helper, args: &[IrRef], ty: Type, snap: SnapId) -> Result<ir::Value, String> {
        if let Some(word) = self.call_number_helper(fun, args, ty)? {
            return self.helper_result(word, ty, snap);
        }
        if let Some(word) = self.call_dict_helper(fun, args, ty)? {
            return self.helper_result(word, ty, snap);
        }
        let size = 16 * args.len().max(1) as u32;
        let buffer = self.b.create_sized_stack_slot(ir::StackSlotData::new(ir::StackSlotKind::ExplicitSlot, size, 3));
        for (i, &arg) in args.iter().enumerate() {
            let (value_tag, payload) = self.tag_and_payload(arg)?;
            let value_tag = self.b.ins().uextend(types::I64, value_tag);
            self.b.ins().stack_store(types::I64, value_tag, buffer, 16 * i as i32);
            self.b.ins().stack_store(types::I64, payload, buffer, 16 * i as i32 + 8);
        }
        let address = self.b.ins().stack_addr(types::I64, buffer, 0);
        let want = ty.heap_tag().or(ty.value_tag()).ok_or("a helper result that is not a value")?;
        let number = self.b.ins().iconst(types::I32, i64::from(fun.number()));
        let want = self.b.ins().iconst(types::I32, i64::from(want));
        let argc = self.b.ins().iconst(types::I32, args.len() as i64);
        let helper = self.runtime.call_helper.ok_or("a helper call without its runtime function")?;
        let call = self.b.ins().call(helper, &[number, want, argc, address]);
        let word = self.b.inst_results(call)[0];
        self.helper_result(word, ty, snap)
    }

    /// A helper's result word as a value of type `ty`, exiting through `snap` if it failed.
    pub(super) fn helper_result(&mut self, word: ir::Value, ty: Type, snap: SnapId) -> Result<ir::Value, String> {
        let failed = self.b.ins().icmp_imm_s(IntCC::Equal, word, HELPER_FAILED);
        self.exit_if(failed, snap)?;
        Ok(match ty {
            Type::Float => self.b.ins().bitcast(types::F64, MemFlagsData::new(), word),
            Type::Bool | Type::NoneType => self.b.ins().ireduce(types::I8, word),
            _ => word,
        })
    }

    /// The back edge of a loop that makes garbage and carries the heap values `carried`: they
    /// are counted (the runtime keeps them for one more iteration) before the garbage goes.
    pub(super) fn drop_garbage_carrying(&mut self, carried: &[IrRef]) -> Result<(), String> {
        let carry = self.runtime.carry.ok_or("a carried value without its runtime function")?;
        self.when_garbage_made(|this| {
            for &r in carried {
                let (value_tag, payload) = this.tag_and_payload(r)?;
                this.b.ins().call(carry, &[value_tag, payload]);
            }
            let drop = this.runtime.drop_garbage_carrying.ok_or("a back edge without its runtime function")?;
            let calls_interp = this.t.trace.insts.iter().any(|i| matches!(i.op, Op::CallInterp { .. }));
            let keep_all = this.b.ins().iconst(types::I32, i64::from(calls_interp));
            this.b.ins().call(drop, &[keep_all]);
            Ok(())
        })
    }

    /// Emits `body` behind a test of `native_context::GARBAGE_MADE`: an iteration that made no
    /// garbage (the one-char strings of `for ch in s` and `chr()` come from a table) skips the
    /// runtime calls of its back edge.
    pub(super) fn when_garbage_made(
        &mut self,
        body: impl FnOnce(&mut Self) -> Result<(), String>,
    ) -> Result<(), String> {
        use crate::interp::engine::native::native_context::GARBAGE_MADE;
        let cell = self.b.ins().iconst(types::I64, &GARBAGE_MADE as *const std::sync::atomic::AtomicUsize as i64);
        let made = self.load(types::I64, MemFlagsData::new(), cell, 0);
        let work = self.b.create_block();
        let done = self.b.create_block();
        self.b.ins().brif(made, work, &[], done, &[]);
        self.b.switch_to_block(work);
        body(self)?;
        self.b.ins().jump(done, &[]);
        self.b.switch_to_block(done);
        Ok(())
    }
}
