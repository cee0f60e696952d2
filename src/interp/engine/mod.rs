//! The engine: the bytecode compiler (AST -> register bytecode), the instruction set, the VM's
//! dispatch loop and frames, the liveness analysis the JIT's exits use, and the narrow
//! interface through which the VM reaches the JIT (`native.rs`).
//!
//! Works on the values of `super::objects`; never names a JIT type.

pub mod bytecode;
pub mod calls;
pub mod code_ref;
pub mod compiler;
pub mod interp_call;
pub mod interrupt;
pub mod live_bits;
pub mod liveness;
pub mod locations;
pub mod native;
pub mod native_comprehensions;
pub mod native_run;
mod rare_instrs;
pub mod reentry;
pub mod slots;
pub mod state;
pub mod vm;
