//! toyjit: a teaching-grade tracing JIT for Toy, a strict subset of Python 3.
//!
//! The pipeline is the module list: [`parser`] (source → AST), [`interp`] (AST → bytecode →
//! execution: `interp::objects`, the Python object library, and `interp::engine`, compiler and
//! VM), [`jit`] (hot loops → traces → optimized trace IR → machine code, reached by the VM only
//! through `interp::engine::native::JitHooks`), and [`driver`], which ties them together for
//! the command line; [`repl`] is the interactive session.
//! Dependency direction: parser ← interp ← jit ← driver, repl.

pub mod allocator;
pub mod block_cache;
pub mod driver;
pub mod explore;
pub mod interp;
pub mod jit;
pub mod parser;
pub mod repl;
