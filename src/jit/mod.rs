//! The tracing JIT: turns hot loops into machine code, one phase per file.
//!
//! ```text
//!   trace.rs     the lifecycle: hot loops and exits, recording start/stop, backoff, blacklisting,
//!                settling; implements `interp::engine::native::JitHooks`, the VM's only way in
//!   recorder/    bytecode → trace IR while the VM runs (calls.rs: inlining; loops.rs: peeling)
//!   snap.rs      snapshots: creation, pruning to live slots, the types known at an exit, the
//!                frames an exit re-creates
//!   ir/          the trace IR: one opcode table (ops.rs), printing and parsing its text, the
//!                one verifier run after recording, after each pass and before lowering
//!   opt/         the optimizer's passes (virtualize.rs: allocation removal of tuples)
//!   lower.rs     trace IR → Cranelift → machine code (lower_ops.rs: per opcode; lower_codegen.rs:
//!                a compile in three parts, prepare / codegen / finish)
//!   compile_thread.rs  where codegen runs: a compile thread, or inline
//!   tree.rs      trace trees: installing roots and side traces, compiling a tree as one function
//!                (tree_compiles.rs: compiles under way and their installs; compile_stats.rs:
//!                where compile time goes, for --stats)
//!   runtime.rs   what machine code calls (runtime_tuples.rs: tuples, the garbage list;
//!                runtime_strings.rs: strings and the helpers of ir/helpers.rs, whose common
//!                cases runtime_str_fast.rs runs directly, the commonest through their own
//!                entry points in runtime_str_direct.rs and, for methods, indexing and
//!                slices, runtime_str_methods.rs; runtime_dicts.rs: dicts, the
//!                commonest helpers on str and int keys in runtime_dict_direct.rs;
//!                runtime_lists.rs: list methods, the garbage floor of native calls);
//!                layout.rs: memory layout for native code
//!   model.rs     the trace model the dump and the explorer render (describe.rs: IR in words)
//!   dump.rs      the teaching dump (text)
//! ```
//!
//! The interpreter never names a type of this module: the driver owns a [`Jit`] and lends it to
//! the VM as a `&mut dyn JitHooks`.

pub mod asm_labels;
pub mod compile_guard;
pub mod compile_stats;
pub mod compile_thread;
pub mod describe;
pub mod dump;
pub mod exit_handover;
pub mod exit_plan;
pub mod ir;
pub mod layout;
pub mod loop_link;
pub mod lower;
pub mod model;
pub mod opt;
pub mod recorder;
pub mod runtime;
pub mod runtime_bigints;
pub mod runtime_dict_direct;
pub mod runtime_dicts;
pub mod runtime_lists;
pub mod runtime_str_direct;
pub mod runtime_str_fast;
pub mod runtime_str_methods;
pub mod runtime_strings;
pub mod runtime_tuples;
pub mod snap;
pub mod trace;
pub mod tree;

pub use trace::Jit;
pub use tree::Stats;
