//! toyjit: a teaching-grade tracing JIT for Toy, a strict subset of Python 3.
//!
//! The pipeline is the module list: [`parser`] (source → AST), [`interp`] (AST → bytecode →
//! execution), and [`driver`], which ties them together for the command line; [`repl`] is
//! the interactive session.
//! Dependency direction: parser ← interp ← jit.

pub mod driver;
pub mod interp;
pub mod jit;
pub mod parser;
pub mod repl;
