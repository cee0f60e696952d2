//! Cranelift's contexts, kept from one compile to the next on the same thread, and when the
//! compiler's working memory goes back to the system. The function builder's context lives on
//! the thread that prepares compiles (the interpreter's), the compile context on the thread
//! that generates code (the compile thread, or the interpreter's in the inline mode:
//! `lower_codegen.rs`).
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
use cranelift_codegen::ir::Function;
use cranelift_frontend::FunctionBuilderContext;

/// The largest compile (bytes of machine code) whose contexts are kept: about 1.4 MB of
/// working memory at most stays allocated between compiles.
const KEEP_CONTEXTS_UP_TO: usize = 8 * 1024;

thread_local! {
    static KEPT: RefCell<Option<Context>> = const { RefCell::new(None) };
    static BUILDER: RefCell<Option<FunctionBuilderContext>> = const { RefCell::new(None) };
    static FUNCTION: RefCell<Option<Function>> = const { RefCell::new(None) };
}

/// Runs `build` with this thread's function builder context (kept between compiles: the
/// builder leaves it cleared).
pub(super) fn with_builder<T>(build: impl FnOnce(&mut FunctionBuilderContext) -> T) -> T {
    let mut builder = BUILDER.with(|b| b.borrow_mut().take()).unwrap_or_default();
    let result = build(&mut builder);
    BUILDER.with(|b| *b.borrow_mut() = Some(builder));
    result
}

/// An empty function to build: the last small compile's, cleared, if it came back to this
/// thread ([`keep_function`]), else a new one. A function reused keeps its tables' capacity: a
/// new one grew each of them instruction by instruction (about a tenth of building it).
pub(super) fn take_function() -> Function {
    FUNCTION.with(|f| f.borrow_mut().take()).unwrap_or_else(Function::new)
}

/// Keeps `function` (the compile that made it produced at most [`KEEP_CONTEXTS_UP_TO`] bytes)
/// for this thread's next [`take_function`], cleared.
pub(super) fn keep_function(mut function: Function) {
    function.clear();
    FUNCTION.with(|f| *f.borrow_mut() = Some(function));
}

/// The compile context of one code generation. Dropped, it is kept for the next one if
/// [`CompileContexts::keep_after`] allowed it, otherwise freed with the free pages.
pub(super) struct CompileContexts {
    pub ctx: Context,
    keep: bool,
}

impl CompileContexts {
    /// The context the last code generation on this thread kept (cleared), or a new one.
    pub fn take() -> CompileContexts {
        let mut ctx = KEPT.with(|k| k.borrow_mut().take()).unwrap_or_else(Context::new);
        ctx.clear();
        CompileContexts { ctx, keep: false }
    }

    /// The compile made `code_size` bytes of machine code: keep the contexts if that is small,
    /// and then hand its function back (to be kept by the thread that prepares the next compile:
    /// [`keep_function`]).
    pub fn keep_after(&mut self, code_size: usize) -> Option<Function> {
        self.keep = code_size <= KEEP_CONTEXTS_UP_TO;
        self.keep.then(|| std::mem::replace(&mut self.ctx.func, Function::new()))
    }
}

impl Drop for CompileContexts {
    fn drop(&mut self) {
        if self.keep {
            let ctx = std::mem::replace(&mut self.ctx, Context::new());
            KEPT.with(|k| *k.borrow_mut() = Some(ctx));
        } else {
            // Drop the large context first, then hand its pages back.
            self.ctx = Context::new();
            crate::allocator::return_free_pages();
        }
    }
}
