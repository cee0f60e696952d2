//! A short constant appended inline (a part of `lower_str_direct.rs`): the link of a chain
//! `... + " /" + ...` that appends a string constant of at most 16 bytes to what an earlier `+`
//! of the same iteration made (`Direct::AppendFresh`) writes the constant's bytes into the
//! block itself when they fit its room and nothing else holds the string — at most two stores,
//! overlapping when the length is not a power of two — and sets the length, the char count and
//! the hash (0: the text changed) in its header: no call. Otherwise it calls the runtime's
//! append (`runtime_str_direct::str_append_fresh`), which grows the block (the chain's first
//! `+` leaves room for its constants, so that is rare). `bench/strings.toy`'s `make_line`
//! appends six constants per line this way.
//!
//! The trace IR and the dump are unchanged: this is a choice of the lowering. Touches nothing
//! but the function being built.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{self, BlockArg, InstBuilder, MemFlagsData, types};

use super::super::Lowerer;
use crate::interp::objects::value::Str;

/// The longest constant appended by stores (two overlapping 8-byte words).
pub(super) const MAX_INLINE_BYTES: usize = 16;

impl Lowerer<'_, '_> {
    /// The string at `x` (a fresh string only the garbage holds, see `AppendFresh`) with the
    /// constant `bytes` (of `chars` chars, 1 to [`MAX_INLINE_BYTES`] bytes) appended: in place
    /// when they fit, else the result word of `slow` (the runtime's append).
    pub(super) fn append_constant_inline(
        &mut self,
        x: ir::Value,
        bytes: &[u8],
        chars: usize,
        slow: impl FnOnce(&mut Self) -> ir::Value,
    ) -> ir::Value {
        let n = bytes.len();
        debug_assert!((1..=MAX_INLINE_BYTES).contains(&n));
        let done = self.b.create_block();
        let result = self.b.append_block_param(done, types::I64);
        let fast = self.b.create_block();
        let call = self.b.create_block();
        self.b.set_cold_block(call);
        let flags = MemFlagsData::trusted();
        let len = self.load(types::I32, flags, x, Str::LEN_OFFSET as i32);
        let capacity = self.load(types::I32, flags, x, Str::CAPACITY_OFFSET as i32);
        let count = self.load(types::I32, flags, x, Str::REFCOUNT_OFFSET as i32);
        // In 64 bits: `len + n` cannot wrap.
        let len = self.b.ins().uextend(types::I64, len);
        let capacity = self.b.ins().uextend(types::I64, capacity);
        let needed = self.b.ins().iadd_imm_u(len, n as i64);
        let fits = self.b.ins().icmp(IntCC::UnsignedLessThanOrEqual, needed, capacity);
        let alone = self.b.ins().icmp_imm_u(IntCC::Equal, count, 1);
        let both = self.b.ins().band(fits, alone);
        self.b.ins().brif(both, fast, &[], call, &[]);

        self.b.switch_to_block(fast);
        let at = self.b.ins().iadd(x, len);
        let width = [8usize, 4, 2, 1].into_iter().find(|&w| w <= n).unwrap_or(1);
        let ty = match width {
            1 => types::I8,
            2 => types::I16,
            4 => types::I32,
            _ => types::I64,
        };
        // Stores at 0 and at n - width cover n <= 2 * width bytes (every n up to 16); where
        // they overlap they write the same bytes. The text is not aligned for wider stores.
        for start in [0, n - width] {
            let mut word = [0u8; 8];
            word[..width].copy_from_slice(&bytes[start..start + width]);
            let value = self.b.ins().iconst(ty, i64::from_le_bytes(word));
            self.store(MemFlagsData::new().with_notrap(), value, at, (Str::BYTES_OFFSET + start) as i32);
            if n == width {
                break;
            }
        }
        let needed = self.b.ins().ireduce(types::I32, needed);
        self.store(flags, needed, x, Str::LEN_OFFSET as i32);
        let old_chars = self.load(types::I32, flags, x, Str::CHAR_COUNT_OFFSET as i32);
        let new_chars = self.b.ins().iadd_imm_u(old_chars, chars as i64);
        self.store(flags, new_chars, x, Str::CHAR_COUNT_OFFSET as i32);
        // The text changed: a cached hash no longer belongs to it (as `Str::try_append`).
        let zero = self.b.ins().iconst(types::I32, 0);
        self.store(flags, zero, x, Str::HASH_OFFSET as i32);
        self.b.ins().jump(done, &[BlockArg::Value(x)]);

        self.b.switch_to_block(call);
        let word = slow(self);
        self.b.ins().jump(done, &[BlockArg::Value(word)]);

        self.b.switch_to_block(done);
        result
    }
}
