//! The interpreter: values, the bytecode compiler, and the VM that runs it.
//!
//! Depends on the parser (for the AST); the JIT depends on this, never the reverse.

pub mod builtins;
pub mod bytecode;
mod calls;
pub mod compiler;
pub mod error;
pub mod format;
pub mod hashkey;
pub mod interrupt;
pub mod iter;
pub mod liveness;
pub mod methods;
pub mod native;
mod native_run;
pub mod ops;
pub mod output;
pub mod value;
pub mod vm;
