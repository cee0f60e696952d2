//! `==` and `!=` of two strings inline (a part of `lower_str_direct.rs`): strings of different
//! byte lengths are unequal without a call, and a string compared with a constant of at most
//! 16 bytes (`name == "upper"`, a chain of them picking a filter or a command) is compared
//! by two loads of its bytes against the constant's, also without a call. The same string is
//! equal to itself. Only two strings of the same length, neither a short constant, still call
//! the runtime's comparison (`runtime_str_direct::str_compare`).
//!
//! The trace IR and the dump are unchanged: this is a choice of the lowering.
//!
//! Touches nothing but the function being built.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{self, BlockArg, InstBuilder, MemFlagsData, types};

use super::super::super::ir::{IrRef, Op};
use super::super::Lowerer;
use crate::interp::objects::value::{Str, Value};

/// The longest constant compared by loads (two overlapping 8-byte words).
const MAX_INLINE_BYTES: usize = 16;

impl Lowerer<'_, '_> {
    /// The string `r` is if it is a string constant of the trace.
    pub(in super::super) fn constant_str(&self, r: IrRef) -> Option<Str> {
        let Op::ConstStr { index } = self.t.trace.insts.get(r.0 as usize)?.op else { return None };
        match self.t.objects.get(index as usize) {
            Some(Value::Str(s)) => Some(s.clone()),
            _ => None,
        }
    }

    /// The bytes of `r` if it is a string constant of the trace.
    fn constant_str_bytes(&self, r: IrRef) -> Option<Vec<u8>> {
        self.constant_str(r).map(|s| s.as_str().as_bytes().to_vec())
    }

    /// `a == b` (or `a != b` when `negate`) of two strings, as an i8; `compare` calls the
    /// runtime's comparison of two equally long strings that are not the same object.
    pub(super) fn str_equality(
        &mut self,
        (a, b): (IrRef, IrRef),
        negate: bool,
        compare: impl FnOnce(&mut Self, ir::Value, ir::Value) -> ir::Value,
    ) -> Result<ir::Value, String> {
        let (x, y) = (self.val(a)?, self.val(b)?);
        let done = self.b.create_block();
        let result = self.b.append_block_param(done, types::I8);
        let unequal = self.b.ins().iconst(types::I8, i64::from(negate));
        let x_len = self.load(types::I32, MemFlagsData::trusted(), x, Str::LEN_OFFSET as i32);
        let same_len = self.b.create_block();
        let constant = self.constant_str_bytes(b).map(|bytes| (x, bytes)).or_else(|| {
            // The constant on the left (`"upper" == name`): the same test, operands swapped.
            self.constant_str_bytes(a).map(|bytes| (y, bytes))
        });
        match constant {
            Some((text, bytes)) if bytes.len() <= MAX_INLINE_BYTES => {
                // Its length against the constant's, then its bytes.
                let text_len = if text == x {
                    x_len
                } else {
                    self.load(types::I32, MemFlagsData::trusted(), text, Str::LEN_OFFSET as i32)
                };
                let fits = self.b.ins().icmp_imm_u(IntCC::Equal, text_len, bytes.len() as i64);
                self.b.ins().brif(fits, same_len, &[], done, &[BlockArg::Value(unequal)]);
                self.b.switch_to_block(same_len);
                let equal = self.bytes_equal(text, &bytes);
                let value = if negate { self.b.ins().bxor_imm_u(equal, 1) } else { equal };
                self.b.ins().jump(done, &[BlockArg::Value(value)]);
            }
            _ => {
                // The same object, then the lengths, then the runtime.
                let equal = self.b.ins().iconst(types::I8, i64::from(!negate));
                let different = self.b.create_block();
                let same = self.b.ins().icmp(IntCC::Equal, x, y);
                self.b.ins().brif(same, done, &[BlockArg::Value(equal)], different, &[]);
                self.b.switch_to_block(different);
                let y_len = self.load(types::I32, MemFlagsData::trusted(), y, Str::LEN_OFFSET as i32);
                let fits = self.b.ins().icmp(IntCC::Equal, x_len, y_len);
                self.b.ins().brif(fits, same_len, &[], done, &[BlockArg::Value(unequal)]);
                self.b.switch_to_block(same_len);
                let value = compare(self, x, y);
                self.b.ins().jump(done, &[BlockArg::Value(value)]);
            }
        }
        self.b.switch_to_block(done);
        Ok(result)
    }

    /// 1 (i8) if the `bytes.len()` bytes of the string at `text` (known to be that long) are
    /// `bytes`: at most two loads, overlapping when the length is not a power of two, each
    /// inside the text (never past its end).
    fn bytes_equal(&mut self, text: ir::Value, bytes: &[u8]) -> ir::Value {
        let n = bytes.len();
        if n == 0 {
            return self.b.ins().iconst(types::I8, 1);
        }
        let width = [1usize, 2, 4, 8].into_iter().rev().find(|&w| w <= n).unwrap_or(1);
        let ty = match width {
            1 => types::I8,
            2 => types::I16,
            4 => types::I32,
            _ => types::I64,
        };
        // Loads at 0 and at n - width cover n <= 2 * width bytes (every n up to 16).
        let mut equal = None;
        for start in [0, n - width] {
            let mut word = [0u8; 8];
            word[..width].copy_from_slice(&bytes[start..start + width]);
            let expected = i64::from_le_bytes(word);
            let offset = (Str::BYTES_OFFSET + start) as i32;
            // The text is not aligned for wider loads.
            let loaded = self.load(ty, MemFlagsData::new().with_notrap(), text, offset);
            let expected = self.b.ins().iconst(ty, expected);
            let here = self.b.ins().icmp(IntCC::Equal, loaded, expected);
            equal = Some(match equal {
                None => here,
                Some(before) => self.b.ins().band(before, here),
            });
            if n == width {
                break;
            }
        }
        equal.expect("at least one load")
    }
}
