//! Cranelift's contexts, kept from one compile to the next on the same thread, and when the
//! compiler's working memory goes back to the system.
//!
//! A compile's working memory (the register allocator's above all) is about 170 bytes per
//! byte of machine code. Made afresh for each compile, it is allocated and page-faulted in
//! every time: about a tenth of a small compile's time (measured on bench/poly.toy, 29
//! compiles). So the contexts of a compile that made at most [`KEEP_CONTEXTS_UP_TO`] bytes of
//! code are cleared and kept for the next one; after a larger compile they are dropped and the
//! emptied pages handed back at once (`allocator::return_free_pages`), so that one large tree
//! does not stay in the process's peak memory.
//!
//! Touches: only the contexts it hands out, and the allocator's free pages.

use std::cell::RefCell;

use cranelift_codegen::Context;
use cranelift_frontend::FunctionBuilderContext;

/// The largest compile (bytes of machine code) whose contexts are kept: about 1.4 MB of
/// working memory at most stays allocated between compiles.
const KEEP_CONTEXTS_UP_TO: usize = 8 * 1024;

thread_local! {
    static KEPT: RefCell<Option<(Context, FunctionBuilderContext)>> = const { RefCell::new(None) };
}

/// The contexts of one compile. Dropped, they are kept for the next compile if
/// [`CompileContexts::keep_after`] allowed it, otherwise freed with the free pages.
pub(super) struct CompileContexts {
    pub ctx: Context,
    pub builder: FunctionBuilderContext,
    keep: bool,
}

impl CompileContexts {
    /// The contexts the last compile on this thread kept (cleared), or new ones.
    pub fn take() -> CompileContexts {
        let (mut ctx, builder) =
            KEPT.with(|k| k.borrow_mut().take()).unwrap_or_else(|| (Context::new(), FunctionBuilderContext::new()));
        ctx.clear();
        CompileContexts { ctx, builder, keep: false }
    }

    /// The compile made `code_size` bytes of machine code: keep the contexts if that is small.
    pub fn keep_after(&mut self, code_size: usize) {
        self.keep = code_size <= KEEP_CONTEXTS_UP_TO;
    }
}

impl Drop for CompileContexts {
    fn drop(&mut self) {
        if self.keep {
            let ctx = std::mem::replace(&mut self.ctx, Context::new());
            let builder = std::mem::take(&mut self.builder);
            KEPT.with(|k| *k.borrow_mut() = Some((ctx, builder)));
        } else {
            // Drop the large contexts first, then hand their pages back.
            self.ctx = Context::new();
            self.builder = FunctionBuilderContext::new();
            crate::allocator::return_free_pages();
        }
    }
}
