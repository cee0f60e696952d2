//! Warming the compiler up on a compile thread when the first loop gets hot, so that the
//! interpreter's thread does not pay the first compile's one-time costs: building the
//! process-wide Cranelift targets (`lower_module.rs`) and the runtime's symbol table, reserving
//! the code memory region (`lower_code_memory.rs`), and the first touch of the lowering's and
//! Cranelift's code (its pages are mapped for the whole process once one thread ran it). It
//! compiles a small counting loop, the shape of most roots, and drops it.
//!
//! Touches: only the trace it makes, its code memory (freed at once) and this thread's kept
//! Cranelift contexts (`lower_contexts.rs`); the process-wide tables it builds are the ones the
//! first compile would have built.

use super::module::host_isa;
use super::{Listings, Tier, TreePlace, compile_trace};
use crate::jit::ir::text::parse_trace;
use crate::jit::layout::ListLayout;

/// `while i < n: i += 1`, as the recorder would make it.
const COUNTING_LOOP: &str = "\
      GuardTag r0(i) is int  snap0
      GuardTag r1(n) is int  snap0
int   %2 = SlotInt r0(i)
int   %3 = SlotInt r1(n)
bool  %4 = CmpInt %2 < %3
      Guard %4 is True  snap0
int   %6 = ConstInt 1
int   %7 = AddInt %2, %6  snap0
------------------------------ loop
int   %9 = Phi r0(i) [%7, %12]
bool  %10 = CmpInt %9 < %3
      Guard %10 is True  snap1
int   %12 = AddInt %9, %6  snap1
  snap0 @pc 0:
  snap1 @pc 1: r0(i)=%9
";

/// Builds the targets of every tier and compiles (and frees) a small loop on this thread.
/// Errors are ignored: the first real compile meets them again and reports them.
pub fn prewarm(layout: &ListLayout) {
    for tier in [Tier::Optimized, Tier::Plain, Tier::ForNow] {
        let _ = host_isa(tier);
    }
    if let Ok(trace) = parse_trace(COUNTING_LOOP) {
        let _ = compile_trace(&trace, layout, TreePlace::root(0), Listings { clif: false, disassembly: false });
    }
    // This thread prepares no compile otherwise: the pages the lowering's working memory took
    // here go back at once rather than stay in the process's peak memory.
    crate::allocator::return_free_pages();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_warm_up_loop_compiles() {
        let layout = ListLayout::measure().expect("layout");
        let trace = parse_trace(COUNTING_LOOP).expect("parses");
        compile_trace(&trace, &layout, TreePlace::root(0), Listings { clif: false, disassembly: false })
            .expect("compiles");
    }
}
