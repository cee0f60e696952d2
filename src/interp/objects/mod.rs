//! The Python object library: values and their heap objects, operators, formatting, builtins,
//! methods, iteration, hashing, exceptions and output. Everything a Toy value can do, whoever
//! runs it (the VM, or the JIT's runtime functions).
//!
//! May use the engine's code objects (a function value holds its bytecode); knows nothing of
//! how instructions are dispatched.

pub mod builtins;
pub mod dict_map;
pub mod error;
pub mod format;
pub mod hashkey;
pub mod host;
pub mod iter;
pub mod list_growth;
pub mod methods;
pub mod ops;
pub mod output;
pub mod release;
pub mod str_obj;
pub mod text;
pub mod text_search;
pub mod tuple;
pub mod value;
