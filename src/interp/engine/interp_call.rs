//! Calls from machine code into the interpreter (`CallInterp`): a trace that reaches a call it
//! can neither inline nor call natively (a recursive function with loops, a function whose
//! loops have traces) runs the callee in a nested run of the dispatch loop with the JIT on, so
//! that the callee's own loops run their traces (PyPy's residual call to the portal). The
//! callee's frame is where the interpreter's `Call` would push it (the trace stored the
//! arguments there); its result goes back in the frame's slot 0, as a native call's does.
//!
//! The VM and the JIT are reached through a context set around each call into machine code
//! ([`Vm::run_machine_code`]): raw pointers, used only while that call runs. Frames the
//! machine code holds but the VM does not (inlined calls, native calls) count towards the
//! recursion limit while the callee runs (`Vm::hidden_frames`), so `RecursionError` comes at
//! the interpreter's depth. An exception leaves the nested run with its traceback entries kept
//! (`Vm::floor`, as for a builtin calling back), waits in `Vm::pending_error`, and the trace
//! exits right after the call, where the dispatch loop raises it again: the traceback reads
//! as the interpreter's.
//!
//! Touches: the VM's frames and the stack from the callee's frame up, the native context
//! (saved and restored around the callee), the caller's result slot.

use std::cell::Cell;
use std::rc::Rc;

use crate::interp::engine::bytecode::Reg;
use crate::interp::engine::calls::{Uncaught, error_address};
use crate::interp::engine::code_ref::CodeRef;
use crate::interp::engine::native::{JitHooks, NativeEntry, RETURNED, SideExitSlot, native_context};
use crate::interp::engine::native_run::EntryRun;
use crate::interp::engine::slots::store;
use crate::interp::engine::vm::{Frame, Vm};
use crate::interp::objects::error::{RtError, RtResult};
use crate::interp::objects::value::{FunctionObj, Value, tag};

/// What `call_in_interpreter` returns when the trace must exit after the call: the callee
/// raised (the error waits in `Vm::pending_error`), returned a value of another type than the
/// trace's (it is in the caller's result slot), or rebound a global holding a function.
pub const CALL_EXITS: u32 = 0;

/// The `want` of a call whose result, of any type, goes into the caller's result slot (the
/// trace reads it from there behind a type guard, which may grow a side trace): no tag's.
pub const ANY_RESULT: u8 = 0xFE;

/// The VM and the JIT that machine code running now was called with.
#[derive(Clone, Copy)]
struct Reentry {
    vm: *mut Vm,
    jit: *mut (dyn JitHooks + 'static),
}

thread_local! {
    static REENTRY: Cell<Option<Reentry>> = const { Cell::new(None) };
}

impl Vm {
    /// Calls machine code on the frame at `base`, with the context `call_in_interpreter` needs
    /// set for the time of the call (and the previous one, of an outer call, restored after).
    pub(super) fn run_machine_code(
        &mut self,
        jit: &mut dyn JitHooks,
        entry: NativeEntry,
        base: usize,
        side_exits: *const SideExitSlot,
    ) -> u32 {
        // SAFETY: `base` is inside the stack (the caller grew it to the tree's extent).
        let frame = unsafe { self.stack.as_mut_ptr().add(base) };
        let globals = self.globals.as_mut_ptr();
        let jit: *mut (dyn JitHooks + '_) = jit;
        // SAFETY: only the lifetime bound changes; the pointer is dereferenced only while this
        // call runs (the context is restored before returning), inside the borrow of `jit`.
        let jit = unsafe { std::mem::transmute::<*mut (dyn JitHooks + '_), *mut (dyn JitHooks + 'static)>(jit) };
        let vm: *mut Vm = self;
        let saved = REENTRY.replace(Some(Reentry { vm, jit }));
        // SAFETY: the trace reads and writes only slots below its tree's frame extent, which
        // are on the stack, and the globals; nothing else borrows the VM while it runs (a
        // `CallInterp` reaches it through `vm`, derived last from `self`).
        native_context::native_starts();
        let status = unsafe { entry(frame, globals, side_exits) };
        native_context::native_returned();
        REENTRY.set(saved);
        status
    }

    /// `CallInterp`: runs `function` with `argc` arguments on the frame at `frame` (a stack
    /// address), `depth` calls deep in the machine code's frame; returns `RETURNED` with the
    /// result in the frame's slot 0 when it has the tag `want` (`tag::NONE`, or any value for
    /// [`ANY_RESULT`]: stored into `dst` instead), else `CALL_EXITS`.
    fn call_from_machine_code(
        &mut self,
        jit: &mut dyn JitHooks,
        function: &Rc<FunctionObj>,
        (frame, dst): (*mut Value, *mut Value),
        argc: usize,
        depth: usize,
        want: u8,
    ) -> u32 {
        let base = (frame as usize - self.stack.as_ptr() as usize) / std::mem::size_of::<Value>();
        let rebinds = self.rebinds;
        let result = self.nested_for_machine_code(depth, |vm| vm.run_callee(jit, function, base, argc));
        match result {
            Ok(value) => {
                let moved = |value: Value| {
                    // SAFETY: `dst` is a slot of the caller's frame (below the callee's), a valid
                    // `Value` nothing borrows now.
                    store(unsafe { &mut *dst }, value);
                    CALL_EXITS
                };
                if self.rebinds != rebinds {
                    return moved(value);
                }
                if want == ANY_RESULT {
                    // SAFETY: as above.
                    store(unsafe { &mut *dst }, value);
                    return RETURNED;
                }
                match (tag_of(&value), want) {
                    (tag::NONE, tag::NONE) => {
                        // SAFETY: as above.
                        store(unsafe { &mut *dst }, Value::None);
                        RETURNED
                    }
                    (found, want) if found == want => {
                        store(&mut self.stack[base], value);
                        RETURNED
                    }
                    _ => moved(value),
                }
            }
            Err(error) => {
                self.pending_error = Some(error);
                CALL_EXITS
            }
        }
    }

    /// Runs `run` (a nested run of the dispatch loop for machine code whose call is `depth`
    /// calls deep in its frame) with the native context saved, the machine code's own frames
    /// hidden from the recursion limit, the caller's garbage kept, and its time counted.
    fn nested_for_machine_code<T>(&mut self, depth: usize, run: impl FnOnce(&mut Vm) -> T) -> T {
        let saved = native_context::save();
        // The frames the machine code runs that the VM does not see (native calls' and the
        // calls inlined around this one) are hidden while the callee runs, so that the
        // interpreter's limit falls where it would without the JIT.
        let limit = self.frames.len() as i64 + saved.frames_left - (depth as i64 - 1);
        let hidden = (self.frame_limit as i64 - limit).clamp(0, self.frame_limit as i64) as usize;
        self.frame_limit -= hidden;
        self.hidden_frames += hidden;
        // The time of this call only (what calls deeper inside added is part of it).
        let (outer_calls, started) = (self.interp_call_time, self.measure_native_time.then(std::time::Instant::now));
        let floor = native_context::garbage_floor_starts();
        let result = run(self);
        native_context::garbage_floor_ends(floor);
        if let Some(started) = started {
            self.interp_call_time = outer_calls + started.elapsed();
        }
        self.frame_limit += hidden;
        self.hidden_frames -= hidden;
        native_context::restore(saved);
        result
    }

    /// Pushes the callee's frame at `base` and runs it to its return, with the JIT.
    fn run_callee(
        &mut self,
        jit: &mut dyn JitHooks,
        function: &Rc<FunctionObj>,
        base: usize,
        argc: usize,
    ) -> RtResult<Value> {
        self.push_call(function, base, argc, Reg(0))?;
        let callee_frame = self.frames.len() - 1;
        let saved_floor = std::mem::replace(&mut self.floor, callee_frame);
        // The callee's entry code, if it has some (counted as the interpreter's `Call` counts).
        let result = match self.entry_in_interp_call(jit, &function.code, base) {
            Some(EntryRun::Returned(value)) => Ok(value),
            Some(EntryRun::Resume(pc)) => self.resume_until(jit, callee_frame, pc),
            None => self.execute(Some(jit)),
        };
        self.end_callee(jit, saved_floor, result)
    }

    /// Runs the top frame from `pc` (raising the error an exit left pending first) until the
    /// frame numbered `callee_frame` returns.
    fn resume_until(&mut self, jit: &mut dyn JitHooks, callee_frame: usize, pc: usize) -> Result<Value, Uncaught> {
        self.frames.last_mut().expect("a frame is running").pc = pc;
        match self.pending_error.take() {
            Some(error) => self.unwind(error, Some(jit)).and_then(|()| self.execute_until(Some(jit), callee_frame)),
            None => self.execute_until(Some(jit), callee_frame),
        }
    }

    /// A nested run of a callee ended with `result`: the floor back to `saved_floor`, a
    /// recording started inside cancelled, the callee's frame popped (or its error, with its
    /// traceback entries kept, returned).
    fn end_callee(
        &mut self,
        jit: &mut dyn JitHooks,
        saved_floor: usize,
        result: Result<Value, Uncaught>,
    ) -> RtResult<Value> {
        self.floor = saved_floor;
        if self.recording {
            // A recording started inside the callee must end there (it is not left running
            // while the machine code that called it goes on).
            let step = jit.recording_cancelled("the function called from a trace returned while recording");
            self.recording_step(step);
            self.recording = false;
        }
        match result {
            Ok(value) => {
                self.pop_frame();
                Ok(value)
            }
            Err(uncaught) => {
                let error = RtError(Box::new(uncaught.exception));
                self.unwinding_error = error_address(&error);
                Err(error)
            }
        }
    }
}

impl Vm {
    /// A native call's callee (`function`, on the frame at `frame`, `depth` calls deep in the
    /// machine code's frame) took exit `status` of its tree: instead of making every native
    /// caller exit too (each of their frames re-created for the interpreter), the callee's frame
    /// is pushed, the exit taken on it, and the callee finished in a nested run of the dispatch
    /// loop, as a call in the interpreter is (PyPy's `assembler_helper`). Returns `RETURNED`
    /// with the result in the frame's slot 0; else `CALL_EXITS`: the callee raised (the error
    /// waits in `Vm::pending_error`) or rebound a global holding a function (the result is in
    /// `dst`), and the caller exits after its call.
    fn finish_exited_call(
        &mut self,
        jit: &mut dyn JitHooks,
        function: &Rc<FunctionObj>,
        (frame, dst): (*mut Value, *mut Value),
        status: u32,
        depth: usize,
    ) -> u32 {
        let base = (frame as usize - self.stack.as_ptr() as usize) / std::mem::size_of::<Value>();
        let rebinds = self.rebinds;
        let result = self.nested_for_machine_code(depth, |vm| {
            let code = function.code.clone();
            // The exit wrote the callee's slots; its literals are the interpreter's to load.
            vm.frames.push(Frame { code: CodeRef::new(&code), pc: 0, base, return_to: Reg(0), generator: false });
            vm.preload(&code, base);
            let callee_frame = vm.frames.len() - 1;
            let saved_floor = std::mem::replace(&mut vm.floor, callee_frame);
            let pc = vm.take_exit(jit, (code.jit_entry.tree.get(), status), base);
            let result = vm.resume_until(jit, callee_frame, pc);
            vm.end_callee(jit, saved_floor, result)
        });
        match result {
            Ok(value) if self.rebinds == rebinds => {
                store(&mut self.stack[base], value);
                RETURNED
            }
            Ok(value) => {
                // SAFETY: `dst` is a slot of the caller's frame (below the callee's), a valid
                // `Value` nothing borrows now.
                store(unsafe { &mut *dst }, value);
                CALL_EXITS
            }
            Err(error) => {
                self.pending_error = Some(error);
                CALL_EXITS
            }
        }
    }
}

/// The VM that the machine code running now was called by, if any (for the runtime functions
/// that do to it what an instruction of the interpreter does: `native_comprehensions.rs`).
pub(super) fn running_vm() -> Option<*mut Vm> {
    REENTRY.get().map(|reentry| reentry.vm)
}

/// The runtime function that finishes a native call's callee that exited
/// (`jit::runtime::FINISH_EXITED_CALL`): see [`Vm::finish_exited_call`]. `function` is the
/// trace's object, `frame` the callee's frame, `dst` the caller's result slot.
pub extern "C" fn finish_exited_call(
    function: *const Value,
    frame: *mut Value,
    dst: *mut Value,
    status: u32,
    depth: u32,
) -> u32 {
    // SAFETY: one of the trace's objects, alive as long as its machine code.
    let Value::Function(function) = (unsafe { &*function }) else { return CALL_EXITS };
    let function = function.clone();
    let Some(reentry) = REENTRY.get() else {
        // No VM to finish it: the caller exits and the VM re-creates the callee's frame.
        native_context::push_exited_call(function.code.jit_entry.tree.get(), status);
        return CALL_EXITS;
    };
    // SAFETY: as in `call_in_interpreter`.
    let (vm, jit) = unsafe { (&mut *reentry.vm, &mut *reentry.jit) };
    vm.finish_exited_call(jit, &function, (frame, dst), status, depth as usize)
}

/// `CallInterp`'s runtime function (`jit::runtime::CALL_INTERP`): see
/// [`Vm::call_from_machine_code`]. `function` is the trace's object (a `Value::Function` the
/// trace keeps alive), `frame` the callee's frame and `dst` the caller's result slot.
pub extern "C" fn call_in_interpreter(
    function: *const Value,
    frame: *mut Value,
    dst: *mut Value,
    argc: u32,
    depth: u32,
    want: u32,
) -> u32 {
    let Some(reentry) = REENTRY.get() else { return CALL_EXITS };
    // SAFETY: one of the trace's objects, alive as long as its machine code.
    let Value::Function(function) = (unsafe { &*function }) else { return CALL_EXITS };
    let function = function.clone();
    // SAFETY: `run_machine_code` set these from the VM and the JIT it was called with, which
    // are not otherwise used until the machine code returns to it (see there).
    let (vm, jit) = unsafe { (&mut *reentry.vm, &mut *reentry.jit) };
    vm.call_from_machine_code(jit, &function, (frame, dst), argc as usize, depth as usize, want as u8)
}

/// The `Value` tag of a number, `None`, a string or a dict (what `CallInterp` may give the
/// trace), else none.
fn tag_of(value: &Value) -> u8 {
    match value {
        Value::Str(_) => tag::STR,
        Value::Dict(_) => tag::DICT,
        Value::None => tag::NONE,
        Value::Bool(_) => tag::BOOL,
        Value::Int(_) => tag::INT,
        Value::Float(_) => tag::FLOAT,
        _ => u8::MAX,
    }
}
