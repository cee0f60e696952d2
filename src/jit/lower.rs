//! Lowering trace IR to machine code (placeholder until the Cranelift back end lands:
//! every trace is reported as not compilable, so loops stay interpreted).

use super::ir::Trace;
use super::layout::ListLayout;
use crate::interp::value::Value;

/// Machine code for one trace.
pub struct CompiledTrace {
    pub entry: unsafe extern "C" fn(*mut Value) -> u32,
    pub clif: String,
    pub disassembly: Option<String>,
    pub code_size: usize,
}

pub fn compile_trace(_trace: &Trace, _layout: &ListLayout, _want_disassembly: bool) -> Result<CompiledTrace, String> {
    Err("the machine-code back end is not built yet".into())
}
