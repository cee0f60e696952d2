//! The interpreter, in two parts: [`objects`], the Python object library (what a value is and
//! can do), and [`engine`], which compiles a program to bytecode and runs it.
//!
//! Depends on the parser (for the AST); the JIT depends on this, never the reverse.

pub mod engine;
pub mod objects;
