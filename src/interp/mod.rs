//! The interpreter: values, the bytecode compiler, and the VM that runs it.
//!
//! Depends on the parser (for the AST); the JIT depends on this, never the reverse.

pub mod builtins;
pub mod bytecode;
pub mod compiler;
pub mod error;
pub mod format;
pub mod hashkey;
pub mod interrupt;
pub mod iter;
pub mod liveness;
pub mod methods;
pub mod native;
pub mod ops;
pub mod output;
pub mod value;
pub mod vm;
