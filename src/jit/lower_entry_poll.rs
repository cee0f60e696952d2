//! The poll at the start of code that calls of a function enter (a function's entry tree, an
//! entry prefix; a part of `lower.rs`): native calls visit no safe point but exits, so a tree
//! compiled as one function in the background could otherwise wait for the rest of the run
//! while its function recurses natively (bench/calls.toy's `tak()`). When the compile thread
//! has sent code back (`COMPILED_CODE_WAITING`, one load and a branch per call), the code
//! returns [`POLL_AT_ENTRY`] before touching anything: the call runs in the interpreter from
//! the function's first instruction, after the JIT installed what came back (`Jit::exit_taken`:
//! never counted as an exit taken, never a side trace's start).
//!
//! Touches nothing but the function being built (its entry block).

use cranelift_codegen::ir::{InstBuilder, MemFlagsData, types};

use super::Lowerer;
use crate::interp::engine::native::{COMPILED_CODE_WAITING, POLL_AT_ENTRY};

impl Lowerer<'_, '_> {
    /// In the entry block: returns `POLL_AT_ENTRY` when compiled code waits to be installed,
    /// else goes on in a new block (the current one from now on).
    pub(super) fn poll_at_entry(&mut self) {
        // The flag is an AtomicBool (one byte) with a fixed address; a relaxed load is a plain
        // load.
        let flag = self.b.ins().iconst(types::I64, COMPILED_CODE_WAITING.as_ptr() as i64);
        let waiting = self.b.ins().load(types::I8, MemFlagsData::new(), flag, 0);
        let poll = self.b.create_block();
        let go_on = self.b.create_block();
        self.b.set_cold_block(poll);
        self.b.ins().brif(waiting, poll, &[], go_on, &[]);
        self.b.switch_to_block(poll);
        let status = self.b.ins().iconst(types::I32, i64::from(POLL_AT_ENTRY));
        self.b.ins().return_(&[status]);
        self.b.switch_to_block(go_on);
    }
}
