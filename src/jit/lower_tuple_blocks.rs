//! The Cranelift code that takes a tuple's block from the thread's free lists inline (a part
//! of `lower.rs`): a tuple handed over to its one owner (`lower_tuples::handed_over_tuples`)
//! is allocated by popping its length's free list (`interp/objects/tuple.rs`,
//! `free_lists`) in machine code — load the head, store the next block as the new head,
//! count one block less, write the header — and only an empty list calls the runtime
//! (`toyjit_tuple_alloc`, which asks the allocator). The lists are thread-local, so the
//! function reads their address once, in its entry block (`toyjit_tuple_blocks`), when one of
//! its traces builds a tuple of a recycled length. Touches nothing but the function being
//! built.

use cranelift_codegen::ir::{self, InstBuilder, MemFlagsData, types};

use super::super::ir::Op;
use super::{Lowerer, TreeMember};
use crate::interp::objects::tuple::free_lists::{self, Lists};
use crate::interp::objects::value::Tuple;

/// Does a trace of the function build a tuple whose block may come from a free list (1 to
/// `free_lists::LENGTHS` items)? Then the function reads the lists' address at its entry.
pub(super) fn pops_tuple_blocks(members: &[TreeMember<'_>]) -> bool {
    members.iter().any(|m| m.trace.insts.iter().any(|i| matches!(i.op, Op::NewTuple { len } if recycled(len))))
}

/// Are blocks of tuples of `len` items kept on a free list?
fn recycled(len: i64) -> bool {
    (1..=free_lists::LENGTHS as i64).contains(&len)
}

impl Lowerer<'_, '_> {
    /// In the entry block: the address of this thread's free lists, if the function pops them.
    pub(super) fn read_tuple_blocks(&mut self, members: &[TreeMember<'_>]) -> Option<ir::Value> {
        let blocks = self.runtime.tuple_blocks?;
        if !pops_tuple_blocks(members) {
            return None;
        }
        let call = self.b.ins().call(blocks, &[]);
        Some(self.b.inst_results(call)[0])
    }

    /// A new tuple of `len` items whose one reference the trace hands over (refcount 1, the
    /// length written, the items not: `TupleInit` writes each before anything reads it): a
    /// block popped from its free list inline, or, when the list is empty, the runtime's
    /// `toyjit_tuple_alloc`.
    pub(super) fn alloc_handed_over_tuple(&mut self, len: i64) -> Result<ir::Value, String> {
        let alloc = self.runtime.tuple_alloc.ok_or("NewTuple without its runtime function")?;
        let (Some(lists), true) = (self.tuple_blocks, recycled(len)) else {
            let len = self.b.ins().iconst(types::I64, len);
            let call = self.b.ins().call(alloc, &[len]);
            return Ok(self.b.inst_results(call)[0]);
        };
        let flags = MemFlagsData::trusted();
        let word = std::mem::size_of::<usize>() as i32;
        let head_at = (Lists::HEADS_OFFSET as i32) + (len as i32 - 1) * word;
        let count_at = (Lists::COUNTS_OFFSET as i32) + (len as i32 - 1) * word;
        let head = self.load(types::I64, flags, lists, head_at);
        let (pop, empty, done) = (self.b.create_block(), self.b.create_block(), self.b.create_block());
        let block = self.b.append_block_param(done, types::I64);
        self.b.set_cold_block(empty);
        self.b.ins().brif(head, pop, &[], empty, &[]);

        self.b.switch_to_block(empty);
        let len_arg = self.b.ins().iconst(types::I64, len);
        let call = self.b.ins().call(alloc, &[len_arg]);
        let allocated = self.b.inst_results(call)[0];
        self.b.ins().jump(done, &[ir::BlockArg::Value(allocated)]);

        self.b.switch_to_block(pop);
        // A free block's refcount word links it to the next one.
        let next = self.load(types::I64, flags, head, Tuple::REFCOUNT_OFFSET as i32);
        self.store(flags, next, lists, head_at);
        let count = self.load(types::I64, flags, lists, count_at);
        let count = self.b.ins().iadd_imm_s(count, -1);
        self.store(flags, count, lists, count_at);
        let one = self.b.ins().iconst(types::I64, 1);
        self.store(flags, one, head, Tuple::REFCOUNT_OFFSET as i32);
        let len_value = self.b.ins().iconst(types::I64, len);
        self.store(flags, len_value, head, Tuple::LEN_OFFSET as i32);
        self.b.ins().jump(done, &[ir::BlockArg::Value(head)]);

        self.b.switch_to_block(done);
        Ok(block)
    }
}
