//! The VM's state: the one value stack, the frames, the globals, the output, and what an
//! exception or the JIT leaves for the dispatch loop; `Vm::new` and the globals the compiler
//! names. The dispatch loop that runs on it is `vm.rs`.
//!
//! Touches only its own fields.

use crate::interp::engine::calls::{Frame, TracebackEntry};
use crate::interp::engine::compiler::GlobalTable;
use crate::interp::objects::builtins::BuiltinId;
use crate::interp::objects::error::RtError;
use crate::interp::objects::output::Output;
use crate::interp::objects::value::Value;

/// A Toy virtual machine: run a module with `Vm::run_module` (`vm.rs`).
pub struct Vm {
    pub stack: Vec<Value>,
    pub frames: Vec<Frame>,
    pub globals: Vec<Value>,
    pub global_names: GlobalTable,
    pub out: Output,
    /// The exception a handler is about to load (`LoadException`).
    pub(super) caught: Option<RtError>,
    /// Frames below this index belong to an outer run of the dispatch loop: a nested run
    /// (`reentry.rs`) unwinds no further (0: the module's run).
    pub(super) floor: usize,
    /// Traceback entries collected while an exception unwinds.
    pub(super) unwinding: Vec<TracebackEntry>,
    /// The error (`calls::error_address`) a nested run left `unwinding` entries for.
    pub(super) unwinding_error: usize,
    pub(super) next_function_id: u32,
    /// How often a global holding a builtin or function was rebound (the JIT drops traces
    /// compiled under an older count: they may call what is no longer there).
    pub(super) rebinds: u64,
    /// Is the JIT recording (is each instruction shown to it before it runs)?
    pub(super) recording: bool,
    /// Measure the time spent in native code (`--stats`; off by default: it costs a clock read
    /// per trace entry).
    pub measure_native_time: bool,
    /// Time spent in compiled traces, when measured.
    pub native_time: std::time::Duration,
    /// How many frames may be pushed: `RECURSION_LIMIT` less the comprehensions running in
    /// all frames (each counts as a frame, as in CPython, where a comprehension is a call).
    pub(super) frame_limit: usize,
    /// Every module this VM has run: they own (through their constants) every code object a
    /// frame can run, so frames point at code without counting it (`code_ref.rs`).
    pub(super) code_roots: Vec<std::rc::Rc<crate::interp::engine::bytecode::CodeObject>>,
    /// Frames machine code holds that are not in `frames` (inlined and native calls around a
    /// callee it runs in the interpreter, `interp_call.rs`): `frame_limit` is that much lower.
    pub(super) hidden_frames: usize,
    /// An exception a callee run from machine code raised: the trace exited after the call,
    /// and the dispatch loop raises it there.
    pub(super) pending_error: Option<RtError>,
    /// Time spent in calls machine code made in the interpreter (when native time is
    /// measured): the clock around machine code leaves it out.
    pub(super) interp_call_time: std::time::Duration,
}

impl Vm {
    pub fn new(out: Output) -> Vm {
        Vm {
            // Reserved once and never moved (see `STACK_SLOTS`); pages are touched as it grows.
            stack: crate::interp::engine::calls::reserve_stack(),
            frames: Vec::new(),
            globals: Vec::new(),
            global_names: GlobalTable::default(),
            out,
            caught: None,
            frame_limit: crate::interp::engine::calls::RECURSION_LIMIT,
            floor: 0,
            hidden_frames: 0,
            pending_error: None,
            interp_call_time: std::time::Duration::ZERO,
            unwinding: Vec::new(),
            unwinding_error: 0,
            next_function_id: 1,
            rebinds: 0,
            recording: false,
            measure_native_time: false,
            native_time: std::time::Duration::ZERO,
            code_roots: Vec::new(),
        }
    }

    /// Gives every global the compiler has named since the last call a slot, holding the
    /// builtin of that name if there is one.
    pub fn sync_globals(&mut self) {
        while self.globals.len() < self.global_names.names.len() {
            let name = &self.global_names.names[self.globals.len()];
            let value = BuiltinId::from_global_name(name).map(Value::Builtin).unwrap_or(Value::Unbound);
            self.globals.push(value);
        }
    }
}
