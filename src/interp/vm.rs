//! The virtual machine: the dispatch loop over register bytecode, calls and frames on one
//! value stack, exception unwinding with tracebacks, and the recursion limit.
//!
//! Input: a verified module [`CodeObject`]. Output: the program's effects (printing through
//! [`Output`]) and, for an uncaught exception, an [`Uncaught`] with its traceback.
//! Toy-to-Toy calls never recurse on the Rust stack: a call pushes a [`Frame`], so no Toy
//! program can overflow the process stack. At loop headers it counts towards hot loops and
//! runs their machine code (`native.rs` is its whole view of the JIT): `run_native` calls a
//! trace (with the frame and the globals), counts the exit taken, pushes the frames of calls
//! the trace had inlined when the exit is inside one, and starts side-trace recordings. The
//! operators' slow paths live in `ops.rs`, builtins in `builtins.rs`, methods in `methods.rs`;
//! this file owns only control flow and the int/float fast paths.

use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;

use crate::parser::ast::{BinOp, CmpOp, UnaryOp};

use super::builtins::{self, BuiltinId};
use super::bytecode::{CodeObject, Instr, Reg};
use super::compiler::GlobalTable;
use super::error::{ExcKind, RtError, RtResult, type_error};
use super::format;
use super::iter;
use super::methods::{self, MethodId};
use super::native::{NativeLoop, RecordStatus, Tracer};
use super::ops;
use super::output::Output;
use super::value::{ExcObj, FunctionObj, IterObj, ModuleObj, Value};

/// CPython's default recursion limit: frames deeper than this raise RecursionError.
pub const RECURSION_LIMIT: usize = 1000;

/// One activation: which code, where in it, and where its slots start on the stack.
#[derive(Debug)]
pub struct Frame {
    pub code: Rc<CodeObject>,
    /// Index of the next instruction to execute.
    pub pc: usize,
    /// Stack index of slot 0.
    pub base: usize,
    /// The caller's register that receives the return value.
    pub return_to: Reg,
}

/// One traceback line: the code object and the source line being executed.
#[derive(Debug, Clone)]
pub struct TracebackEntry {
    pub function: String,
    pub line: u32,
}

/// An exception nobody caught, with its traceback (outermost call first).
#[derive(Debug)]
pub struct Uncaught {
    pub exception: ExcObj,
    pub traceback: Vec<TracebackEntry>,
}

pub struct Vm {
    pub stack: Vec<Value>,
    pub frames: Vec<Frame>,
    pub globals: Vec<Value>,
    pub global_names: GlobalTable,
    pub out: Output,
    /// The exception a handler is about to load (`LoadException`).
    caught: Option<RtError>,
    /// Traceback entries collected while an exception unwinds.
    unwinding: Vec<TracebackEntry>,
    next_function_id: u32,
    /// The JIT, when enabled (`--no-jit` leaves it out).
    pub tracer: Option<Box<dyn Tracer>>,
    /// Iterations of a loop before it is recorded.
    pub jit_threshold: u32,
    /// How often a global holding a builtin or function was rebound. A trace compiled under an
    /// older count may call a builtin that is no longer there, so it is dropped.
    rebinds: u64,
    /// What is being recorded, if anything.
    recording: Option<Recording>,
    /// Measure the time spent in native code (`--stats`; off by default: it costs a clock read
    /// per trace entry).
    pub measure_native_time: bool,
    /// Time spent in compiled traces, when measured.
    pub native_time: std::time::Duration,
}

/// What the JIT is recording.
enum Recording {
    /// A loop, to become a root trace: its code object and loop number.
    Loop(Rc<CodeObject>, usize),
    /// A side trace, to attach at exit number `.1` of the trace tree `.0`.
    Side(Rc<NativeLoop>, usize),
}

impl Vm {
    pub fn new(out: Output) -> Vm {
        Vm {
            stack: Vec::with_capacity(1024),
            frames: Vec::new(),
            globals: Vec::new(),
            global_names: GlobalTable::default(),
            out,
            caught: None,
            unwinding: Vec::new(),
            next_function_id: 1,
            tracer: None,
            jit_threshold: 100,
            rebinds: 0,
            recording: None,
            measure_native_time: false,
            native_time: std::time::Duration::ZERO,
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

    /// Runs a module's code to completion.
    pub fn run_module(&mut self, code: Rc<CodeObject>) -> Result<(), Uncaught> {
        self.sync_globals();
        self.frames.clear();
        self.stack.clear();
        self.stack.resize(code.nslots as usize, Value::Unbound);
        self.frames.push(Frame { code, pc: 0, base: 0, return_to: Reg(0) });
        let result = self.execute();
        self.frames.clear();
        self.stack.clear();
        result.map(|_| ())
    }

    /// Runs a compiled loop on the frame at `base` until it exits; returns the pc to resume at
    /// and whether that is the loop's own header (which then runs once in the interpreter).
    /// Counts the exit and, if it is hot, starts recording a side trace there. An exit that
    /// lands on the header of another compiled loop of this code (a side trace linking to it)
    /// enters that loop's trace at once. Kept out of the dispatch loop so that it stays small.
    #[inline(never)]
    fn run_native(
        &mut self,
        code: &Rc<CodeObject>,
        mut native: Rc<NativeLoop>,
        base: usize,
        mut header_pc: usize,
    ) -> (usize, bool) {
        let depth = self.frames.len();
        loop {
            if depth + native.inline_depth.get() >= RECURSION_LIMIT {
                // Its inlined calls would pass the recursion limit: the interpreter raises it.
                return (header_pc, true);
            }
            let (pc, start_side) = self.run_native_once(code, &native, base);
            if self.frames.len() != depth {
                // The exit was inside an inlined call, whose frames it re-created.
                return (pc, false);
            }
            if start_side || pc == header_pc || super::interrupt::interrupt_pending() {
                return (pc, pc == header_pc);
            }
            let next = code.instrs[pc].loop_id().and_then(|id| self.installed_native(&code.jit_loops[id]));
            match next {
                Some(next) => {
                    native = next;
                    header_pc = pc;
                }
                None => return (pc, false),
            }
        }
    }

    /// One run of a compiled loop (see [`Vm::run_native`]): the pc to resume at, and whether a
    /// side trace recording started.
    fn run_native_once(&mut self, code: &Rc<CodeObject>, native: &Rc<NativeLoop>, base: usize) -> (usize, bool) {
        let started = self.measure_native_time.then(std::time::Instant::now);
        // Inlined calls reach past the frame: their slots must be on the stack.
        self.ensure_stack(base + native.frame_extent.get());
        // A side trace that links back to its root returns LINK_TO_ROOT: run the root again at
        // once (it starts by reloading the frame).
        let exit = loop {
            let wait = native.merge_wait.get();
            if wait > 0 {
                native.merge_wait.set(wait - 1);
                if wait == 1
                    && let Some(tracer) = self.tracer.as_mut()
                {
                    tracer.compile_tree(native);
                }
            }
            // SAFETY: the trace reads and writes only slots below `nslots` of this frame, whose
            // window is on the stack; nothing else borrows the stack.
            let status = unsafe {
                (native.entry.get())(self.stack.as_mut_ptr().add(base), self.globals.as_mut_ptr(), native.side_exits)
            };
            if status != super::native::LINK_TO_ROOT {
                break status as usize;
            }
        };
        if let Some(started) = started {
            self.native_time += started.elapsed();
        }
        let (pc, start_side) = {
            let exits = native.exits.borrow();
            let info = &exits[exit];
            info.count.set(info.count.get() + 1);
            info.since_attempt.set(info.since_attempt.get() + 1);
            let wait = super::native::hot_exit_threshold(self.jit_threshold)
                .saturating_mul(1 << info.side_aborts.get().min(10));
            let hot = self.recording.is_none()
                && info.side.get() == super::native::SideState::Cold
                && info.since_attempt.get() >= wait;
            if hot {
                info.since_attempt.set(0);
            }
            if !info.frames.is_empty() {
                self.push_inlined_frames(base, info);
            }
            (info.pc as usize, hot)
        };
        if start_side && let Some(tracer) = self.tracer.as_mut() {
            // The depth of the trace's own frame (the exit may have re-created inlined calls).
            let depth = self.frames.len() - native.exits.borrow()[exit].frames.len();
            tracer.start_side(code, native, exit, depth);
            self.recording = Some(Recording::Side(native.clone(), exit));
        }
        (pc, start_side)
    }

    /// An exit inside calls the trace had inlined: push their frames, as if the calls had been
    /// made by the interpreter, with the callee locals not yet assigned unbound.
    #[cold]
    fn push_inlined_frames(&mut self, base: usize, exit: &super::native::ExitInfo) {
        let mut resume_here = exit.frames[0].caller_resume as usize;
        for (i, inlined) in exit.frames.iter().enumerate() {
            self.frames.last_mut().expect("the trace's frame").pc = resume_here;
            self.frames.push(Frame {
                code: inlined.code.clone(),
                pc: exit.pc as usize,
                base: base + inlined.base as usize,
                return_to: inlined.return_to,
            });
            resume_here = exit.frames.get(i + 1).map_or(0, |next| next.caller_resume as usize);
        }
        for &slot in &exit.unbound {
            store(&mut self.stack[base + slot as usize], Value::Unbound);
        }
    }

    /// The loop's trace, unless a builtin or function was rebound since it was installed (then
    /// it is dropped: it may call what is no longer there, and the loop counts again).
    fn installed_native(&self, slot: &super::native::LoopSlot) -> Option<Rc<NativeLoop>> {
        let native = slot.native.borrow().clone()?;
        if slot.rebinds.get() != self.rebinds {
            *slot.native.borrow_mut() = None;
            slot.countdown.set(self.loop_wait(slot).saturating_sub(1));
            return None;
        }
        Some(native)
    }

    /// Visits of a loop's header before it is recorded: the threshold, doubled per failed
    /// recording (up to 1024 times).
    fn loop_wait(&self, slot: &super::native::LoopSlot) -> u32 {
        self.jit_threshold.saturating_mul(1 << slot.aborts.get().min(10))
    }

    /// A loop header whose countdown is over: run its trace (returns where to resume and whether
    /// to skip the trace once, see [`Vm::run_native`]), or start counting towards the first
    /// recording, or record it now. While another recording runs, nothing happens.
    #[inline(never)]
    fn loop_header_slow(
        &mut self,
        code: &Rc<CodeObject>,
        loop_id: usize,
        base: usize,
        header_pc: usize,
    ) -> Option<(usize, bool)> {
        if self.recording.is_some() {
            return None;
        }
        let slot = &code.jit_loops[loop_id];
        if slot.native.borrow().is_some() {
            // Run the trace, unless it was dropped just now (then the loop counts again).
            return self.installed_native(slot).map(|native| self.run_native(code, native, base, header_pc));
        }
        if !slot.armed.get() {
            // The first visit: the recording happens at visit number `wait`.
            slot.armed.set(true);
            let wait = self.loop_wait(slot);
            if wait > 1 {
                slot.countdown.set(wait - 2);
                return None;
            }
        }
        self.start_recording(code, loop_id, base, header_pc);
        None
    }

    /// Starts recording loop `loop_id` of `code`, whose header is at `header_pc`.
    #[cold]
    #[inline(never)]
    fn start_recording(&mut self, code: &Rc<CodeObject>, loop_id: usize, base: usize, header_pc: usize) {
        self.recording = Some(Recording::Loop(code.clone(), loop_id));
        let now = super::native::Running {
            frame: &self.stack[base..base + code.nslots as usize],
            depth: self.frames.len(),
            globals: &self.globals,
            global_names: &self.global_names.names,
        };
        if let Some(tracer) = self.tracer.as_mut() {
            tracer.start(code, header_pc, loop_id, &now);
        }
    }

    /// Counts a failed recording against its loop or exit, so that the next try waits longer.
    fn recording_failed(&mut self, recording: Recording) {
        match recording {
            Recording::Loop(code, loop_id) => {
                let slot = &code.jit_loops[loop_id];
                slot.aborts.set(slot.aborts.get() + 1);
                slot.countdown.set(self.loop_wait(slot).saturating_sub(1));
            }
            Recording::Side(root, exit) => {
                let aborts = {
                    let exits = root.exits.borrow();
                    let info = &exits[exit];
                    info.side_aborts.set(info.side_aborts.get() + 1);
                    info.side_aborts.get()
                };
                if let Some(tracer) = self.tracer.as_mut() {
                    tracer.side_aborted(&root, exit, aborts);
                }
            }
        }
    }

    /// Raises `error` at the current instruction: unwinds to the innermost handler (returns
    /// Ok, with the frame's pc at the handler) or out of every frame (returns the Uncaught).
    fn unwind(&mut self, error: RtError) -> Result<(), Uncaught> {
        if let Some(recording) = self.recording.take() {
            if let Some(tracer) = self.tracer.as_mut() {
                tracer.cancel("an exception was raised while recording");
            }
            self.recording_failed(recording);
        }
        loop {
            let Some(frame) = self.frames.last_mut() else {
                let traceback = std::mem::take(&mut self.unwinding).into_iter().rev().collect();
                return Err(Uncaught { exception: *error.0, traceback });
            };
            let pc = frame.pc.saturating_sub(1);
            self.unwinding.push(TracebackEntry {
                function: frame.code.name.clone(),
                line: frame.code.lines.get(pc).copied().unwrap_or(0),
            });
            if let Some(handler) = frame.code.handler_for(pc) {
                frame.pc = handler.target as usize;
                self.unwinding.clear();
                self.caught = Some(error);
                return Ok(());
            }
            self.pop_frame();
            if self.frames.is_empty() {
                let traceback = std::mem::take(&mut self.unwinding).into_iter().rev().collect();
                return Err(Uncaught { exception: *error.0, traceback });
            }
        }
    }

    /// Removes the top frame, releasing the values in its slots. The stack itself never
    /// shrinks while running (growing and shrinking it on every call was a fifth of the time
    /// of call-heavy programs); emptied slots hold `Unbound`.
    fn pop_frame(&mut self) -> Option<Frame> {
        let frame = self.frames.pop()?;
        let end = (frame.base + frame.code.nslots as usize).min(self.stack.len());
        for slot in &mut self.stack[frame.base..end] {
            store(slot, Value::Unbound);
        }
        Some(frame)
    }

    /// Grows the stack (geometrically) so that it holds at least `len` slots.
    fn ensure_stack(&mut self, len: usize) {
        if self.stack.len() < len {
            let target = len.max(self.stack.len() * 2).max(64);
            self.stack.resize(target, Value::Unbound);
        }
    }

    /// Pushes a frame for `function` whose arguments are already in the stack at
    /// `args_base..args_base+argc` (the new frame's slot 0 is `args_base`).
    fn push_call(&mut self, function: &Rc<FunctionObj>, args_base: usize, argc: usize, return_to: Reg) -> RtResult<()> {
        if self.frames.len() >= RECURSION_LIMIT {
            return Err(RtError::new(ExcKind::RecursionError, "maximum recursion depth exceeded"));
        }
        let code = &function.code;
        let nparams = code.params.len();
        let frame_end = args_base + code.nslots as usize;
        self.ensure_stack(frame_end);
        if argc != nparams {
            let first_default = nparams - function.defaults.len();
            if argc > nparams || argc < first_default {
                return Err(arity_error(code, function.defaults.len(), argc));
            }
            for (i, default) in function.defaults.iter().enumerate().skip(argc - first_default) {
                self.stack[args_base + first_default + i] = default.clone();
            }
        }
        // Locals start unbound (the slots may hold the caller's dead temporaries).
        for slot in &mut self.stack[args_base + nparams..frame_end] {
            store(slot, Value::Unbound);
        }
        self.frames.push(Frame { code: code.clone(), pc: 0, base: args_base, return_to });
        Ok(())
    }

    /// Binds keyword arguments for a call to a Toy function: returns the positional list.
    fn bind_keywords(
        function: &FunctionObj,
        positional: &[Value],
        kwnames: &[Rc<str>],
        kwvalues: &[Value],
    ) -> RtResult<Vec<Value>> {
        let code = &function.code;
        let nparams = code.params.len();
        if positional.len() > nparams {
            return Err(arity_error(code, function.defaults.len(), positional.len() + kwvalues.len()));
        }
        let mut bound: Vec<Value> = positional.to_vec();
        bound.resize(nparams, Value::Unbound);
        for (name, value) in kwnames.iter().zip(kwvalues) {
            let Some(i) = code.params.iter().position(|p| p == name) else {
                return Err(type_error(format!("{}() got an unexpected keyword argument '{}'", code.name, name)));
            };
            if !matches!(bound[i], Value::Unbound) {
                return Err(type_error(format!("{}() got multiple values for argument '{}'", code.name, name)));
            }
            bound[i] = value.clone();
        }
        let first_default = nparams - function.defaults.len();
        let mut missing = Vec::new();
        for (i, slot) in bound.iter_mut().enumerate() {
            if matches!(slot, Value::Unbound) {
                if i >= first_default {
                    *slot = function.defaults[i - first_default].clone();
                } else {
                    missing.push(format!("'{}'", code.params[i]));
                }
            }
        }
        if !missing.is_empty() {
            return Err(missing_arguments(&code.name, &missing));
        }
        Ok(bound)
    }

    fn new_function(&mut self, template: &FunctionObj, defaults: Vec<Value>) -> Value {
        let id = self.next_function_id;
        self.next_function_id = self.next_function_id.wrapping_add(1);
        Value::Function(Rc::new(FunctionObj { code: template.code.clone(), defaults, id }))
    }

    /// The dispatch loop: runs until the frame that was on top when it started returns.
    fn execute(&mut self) -> Result<Value, Uncaught> {
        let stop_depth = self.frames.len() - 1;
        let mut code = self.frames[stop_depth].code.clone();
        let mut pc = self.frames[stop_depth].pc;
        let mut base = self.frames[stop_depth].base;

        // SAFETY (for `reg!`/`set!`): `CodeObject::verify` has checked that every register
        // operand is below `code.nslots`, and a frame is only entered after the stack has been
        // grown to `base + nslots`; the stack is never shrunk below the running frame's window.
        macro_rules! reg {
            ($r:expr) => {{
                debug_assert!(base + ($r.0 as usize) < self.stack.len(), "register outside the stack");
                unsafe { self.stack.get_unchecked(base + $r.0 as usize) }
            }};
        }
        macro_rules! set {
            ($r:expr, $v:expr) => {{
                let value = $v;
                debug_assert!(base + ($r.0 as usize) < self.stack.len(), "register outside the stack");
                store(unsafe { self.stack.get_unchecked_mut(base + $r.0 as usize) }, value);
            }};
        }
        // Raises the error of a failed operation: jump to a handler or leave the VM.
        macro_rules! throw {
            ($err:expr) => {{
                let error = $err;
                self.frames.last_mut().expect("a frame is running").pc = pc;
                match self.unwind(error) {
                    Ok(()) => {
                        let frame = self.frames.last().expect("handler frame");
                        code = frame.code.clone();
                        pc = frame.pc;
                        base = frame.base;
                        continue;
                    }
                    Err(uncaught) => return Err(uncaught),
                }
            }};
        }
        macro_rules! attempt {
            ($e:expr) => {
                match $e {
                    Ok(v) => v,
                    Err(err) => throw!(err),
                }
            };
        }
        macro_rules! binary {
            ($dst:expr, $a:expr, $b:expr, $op:expr, $int:expr, $float:expr) => {{
                let result = match (reg!($a), reg!($b)) {
                    (Value::Int(x), Value::Int(y)) => match $int(*x, *y) {
                        Some(v) => Value::Int(v),
                        None => attempt!(ops::binary($op, reg!($a), reg!($b))),
                    },
                    (Value::Float(x), Value::Float(y)) => Value::Float($float(*x, *y)),
                    (Value::Float(x), Value::Int(y)) => Value::Float($float(*x, *y as f64)),
                    (Value::Int(x), Value::Float(y)) => Value::Float($float(*x as f64, *y)),
                    (x, y) => attempt!(ops::binary($op, x, y)),
                };
                set!($dst, result);
            }};
        }
        macro_rules! compare {
            ($dst:expr, $a:expr, $b:expr, $op:expr, $cmp:tt) => {{
                let result = match (reg!($a), reg!($b)) {
                    (Value::Int(x), Value::Int(y)) => x $cmp y,
                    (Value::Float(x), Value::Float(y)) => x $cmp y,
                    (x, y) => attempt!(ops::compare($op, x, y)),
                };
                set!($dst, Value::Bool(result));
            }};
        }
        macro_rules! jump_if_compare {
            ($a:expr, $b:expr, $target:expr, $op:expr, $cmp:tt, $when:expr) => {{
                let result = match (reg!($a), reg!($b)) {
                    (Value::Int(x), Value::Int(y)) => x $cmp y,
                    (Value::Float(x), Value::Float(y)) => x $cmp y,
                    (x, y) => attempt!(ops::compare($op, x, y)),
                };
                if result == $when {
                    pc = $target.0 as usize;
                }
            }};
        }
        macro_rules! slow_binary {
            ($dst:expr, $a:expr, $b:expr, $op:expr) => {{
                let result = attempt!(ops::binary($op, reg!($a), reg!($b)));
                set!($dst, result);
            }};
        }

        // After a trace exits at its own loop header, that header runs once in the interpreter
        // (re-entering at once would fail the same guard forever).
        let mut skip_native = false;

        // The JIT's entry points, used by the loop-header instructions.
        macro_rules! loop_header {
            ($loop_id:expr) => {{
                if super::interrupt::take_interrupt() {
                    throw!(RtError::with_args(ExcKind::KeyboardInterrupt, vec![]));
                }
                if self.tracer.is_some() {
                    if skip_native {
                        skip_native = false;
                    } else {
                        // A loop that is not yet hot only counts down; everything else is the slow
                        // path's business.
                        let slot = &code.jit_loops[$loop_id.0 as usize];
                        let left = slot.countdown.get();
                        if left > 0 {
                            slot.countdown.set(left - 1);
                        } else {
                            let depth = self.frames.len();
                            if let Some((resume, skip)) =
                                self.loop_header_slow(&code, $loop_id.0 as usize, base, pc - 1)
                            {
                                (pc, skip_native) = (resume, skip);
                                if self.frames.len() != depth {
                                    // The trace exited inside a call it had inlined.
                                    let top = self.frames.last().expect("the re-created frame");
                                    code = top.code.clone();
                                    base = top.base;
                                }
                                continue;
                            }
                        }
                    }
                }
            }};
        }

        loop {
            // `is_some` first: `take` would store `None` back on every instruction.
            if self.recording.is_some()
                && let Some(recording) = self.recording.take()
            {
                let now = super::native::Running {
                    frame: &self.stack[base..base + code.nslots as usize],
                    depth: self.frames.len(),
                    globals: &self.globals,
                    global_names: &self.global_names.names,
                };
                let status = match self.tracer.as_mut() {
                    Some(tracer) => tracer.record(&code, pc, &now),
                    None => RecordStatus::Aborted,
                };
                match status {
                    RecordStatus::Continue => self.recording = Some(recording),
                    RecordStatus::Aborted => self.recording_failed(recording),
                    RecordStatus::Compiled(native) => {
                        if let Recording::Loop(recorded_code, loop_id) = &recording {
                            let slot = &recorded_code.jit_loops[*loop_id];
                            *slot.native.borrow_mut() = Some(native);
                            slot.countdown.set(0);
                            slot.rebinds.set(self.rebinds);
                        }
                    }
                    RecordStatus::Attached => {
                        if let Recording::Side(root, exit) = &recording {
                            root.exits.borrow()[*exit].side.set(super::native::SideState::Attached);
                            root.merge_wait.set(super::native::tree_settle_runs(self.jit_threshold, root.merges.get()));
                        }
                    }
                }
            }
            // SAFETY: verify() checked that every code object ends in a return, raise or jump
            // and every jump target is in range, so pc stays inside `instrs`.
            let instr = *unsafe { code.instrs.get_unchecked(pc) };
            pc += 1;
            match instr {
                Instr::Nop {} => {}
                Instr::Move { dst, src } => set!(dst, fast_clone(reg!(src))),
                Instr::LoadConst { dst, constant } => set!(dst, fast_clone(&code.consts[constant.0 as usize])),
                Instr::LoadNone { dst } => set!(dst, Value::None),
                Instr::LoadBool { dst, value } => set!(dst, Value::Bool(value)),
                Instr::LoadGlobal { dst, global } => {
                    let value = &self.globals[global.0 as usize];
                    if matches!(value, Value::Unbound) {
                        let name = self.global_names.names[global.0 as usize].clone();
                        throw!(RtError::new(ExcKind::NameError, format!("name '{name}' is not defined")));
                    }
                    set!(dst, value.clone());
                }
                Instr::StoreGlobal { global, src } => {
                    let slot = &mut self.globals[global.0 as usize];
                    // Traces assume the builtins they call are still what they were.
                    if matches!(slot, Value::Builtin(_) | Value::Function(_)) {
                        self.rebinds += 1;
                    }
                    *slot = reg!(src).clone();
                }
                Instr::DeleteGlobal { global } => {
                    let slot = &mut self.globals[global.0 as usize];
                    if matches!(slot, Value::Builtin(_) | Value::Function(_)) {
                        self.rebinds += 1;
                    }
                    if matches!(slot, Value::Unbound) {
                        let name = self.global_names.names[global.0 as usize].clone();
                        throw!(RtError::new(ExcKind::NameError, format!("name '{name}' is not defined")));
                    }
                    *slot = Value::Unbound;
                }
                Instr::CheckBound { slot, name } => {
                    if matches!(reg!(slot), Value::Unbound) {
                        throw!(unbound_local(&code.names[name.0 as usize]));
                    }
                }
                Instr::DeleteLocal { slot, name } => {
                    if matches!(reg!(slot), Value::Unbound) {
                        throw!(unbound_local(&code.names[name.0 as usize]));
                    }
                    set!(slot, Value::Unbound);
                }
                Instr::Add { dst, a, b } => binary!(dst, a, b, BinOp::Add, i64::checked_add, |x: f64, y: f64| x + y),
                Instr::Sub { dst, a, b } => binary!(dst, a, b, BinOp::Sub, i64::checked_sub, |x: f64, y: f64| x - y),
                Instr::Mul { dst, a, b } => binary!(dst, a, b, BinOp::Mul, i64::checked_mul, |x: f64, y: f64| x * y),
                Instr::TrueDiv { dst, a, b } => {
                    let result = match (reg!(a), reg!(b)) {
                        (Value::Float(x), Value::Float(y)) if *y != 0.0 => Value::Float(x / y),
                        (Value::Float(x), Value::Int(y)) if *y != 0 && y.unsigned_abs() < (1 << 53) => {
                            Value::Float(x / *y as f64)
                        }
                        (Value::Int(x), Value::Float(y)) if *y != 0.0 && x.unsigned_abs() < (1 << 53) => {
                            Value::Float(*x as f64 / y)
                        }
                        (x, y) => attempt!(ops::binary(BinOp::TrueDiv, x, y)),
                    };
                    set!(dst, result);
                }
                Instr::FloorDiv { dst, a, b } => {
                    let result = match (reg!(a), reg!(b)) {
                        (Value::Int(x), Value::Int(y)) if *y > 0 => Value::Int(x.div_euclid(*y)),
                        (x, y) => attempt!(ops::binary(BinOp::FloorDiv, x, y)),
                    };
                    set!(dst, result);
                }
                Instr::Mod { dst, a, b } => {
                    let result = match (reg!(a), reg!(b)) {
                        (Value::Int(x), Value::Int(y)) if *y > 0 => Value::Int(x.rem_euclid(*y)),
                        (x, y) => attempt!(ops::binary(BinOp::Mod, x, y)),
                    };
                    set!(dst, result);
                }
                Instr::Pow { dst, a, b } => slow_binary!(dst, a, b, BinOp::Pow),
                Instr::AddInPlace { dst, a, b } => {
                    if let Value::List(list) = reg!(a) {
                        let extra = attempt!(iter::collect(reg!(b)));
                        list.borrow_mut().extend(extra);
                        set!(dst, reg!(a).clone());
                    } else {
                        binary!(dst, a, b, BinOp::Add, i64::checked_add, |x: f64, y: f64| x + y)
                    }
                }
                Instr::MulInPlace { dst, a, b } => {
                    if let Value::List(list) = reg!(a) {
                        let list = list.clone();
                        let repeated = attempt!(ops::binary(BinOp::Mul, reg!(a), reg!(b)));
                        if let Value::List(result) = repeated {
                            let items = std::mem::take(&mut *result.borrow_mut());
                            *list.borrow_mut() = items;
                        }
                        set!(dst, Value::List(list));
                    } else {
                        binary!(dst, a, b, BinOp::Mul, i64::checked_mul, |x: f64, y: f64| x * y)
                    }
                }
                Instr::LShift { dst, a, b } => slow_binary!(dst, a, b, BinOp::LShift),
                Instr::RShift { dst, a, b } => slow_binary!(dst, a, b, BinOp::RShift),
                Instr::BitAnd { dst, a, b } => {
                    binary!(dst, a, b, BinOp::BitAnd, |x: i64, y: i64| Some(x & y), |_: f64, _: f64| f64::NAN)
                }
                Instr::BitOr { dst, a, b } => {
                    binary!(dst, a, b, BinOp::BitOr, |x: i64, y: i64| Some(x | y), |_: f64, _: f64| f64::NAN)
                }
                Instr::BitXor { dst, a, b } => {
                    binary!(dst, a, b, BinOp::BitXor, |x: i64, y: i64| Some(x ^ y), |_: f64, _: f64| f64::NAN)
                }
                Instr::Neg { dst, src } => {
                    let result = match reg!(src) {
                        Value::Int(x) if *x != i64::MIN => Value::Int(-x),
                        Value::Float(x) => Value::Float(-x),
                        x => attempt!(ops::unary(UnaryOp::Neg, x)),
                    };
                    set!(dst, result);
                }
                Instr::Pos { dst, src } => {
                    let result = attempt!(ops::unary(UnaryOp::Pos, reg!(src)));
                    set!(dst, result);
                }
                Instr::Invert { dst, src } => {
                    let result = attempt!(ops::unary(UnaryOp::Invert, reg!(src)));
                    set!(dst, result);
                }
                Instr::Not { dst, src } => {
                    let result = !ops::truthy(reg!(src));
                    set!(dst, Value::Bool(result));
                }
                Instr::Lt { dst, a, b } => compare!(dst, a, b, CmpOp::Lt, <),
                Instr::LtE { dst, a, b } => compare!(dst, a, b, CmpOp::LtE, <=),
                Instr::Gt { dst, a, b } => compare!(dst, a, b, CmpOp::Gt, >),
                Instr::GtE { dst, a, b } => compare!(dst, a, b, CmpOp::GtE, >=),
                Instr::Eq { dst, a, b } => compare!(dst, a, b, CmpOp::Eq, ==),
                Instr::NotEq { dst, a, b } => compare!(dst, a, b, CmpOp::NotEq, !=),
                Instr::Is { dst, a, b } => {
                    let result = attempt!(ops::compare(CmpOp::Is, reg!(a), reg!(b)));
                    set!(dst, Value::Bool(result));
                }
                Instr::IsNot { dst, a, b } => {
                    let result = attempt!(ops::compare(CmpOp::IsNot, reg!(a), reg!(b)));
                    set!(dst, Value::Bool(result));
                }
                Instr::In { dst, a, b } => {
                    let result = attempt!(ops::compare(CmpOp::In, reg!(a), reg!(b)));
                    set!(dst, Value::Bool(result));
                }
                Instr::NotIn { dst, a, b } => {
                    let result = attempt!(ops::compare(CmpOp::NotIn, reg!(a), reg!(b)));
                    set!(dst, Value::Bool(result));
                }
                Instr::Jump { target } => pc = target.0 as usize,
                Instr::JumpIfFalse { cond, target } => {
                    let truth = match reg!(cond) {
                        Value::Bool(b) => *b,
                        other => ops::truthy(other),
                    };
                    if !truth {
                        pc = target.0 as usize;
                    }
                }
                Instr::JumpIfTrue { cond, target } => {
                    let truth = match reg!(cond) {
                        Value::Bool(b) => *b,
                        other => ops::truthy(other),
                    };
                    if truth {
                        pc = target.0 as usize;
                    }
                }
                Instr::JumpIfLt { a, b, target } => jump_if_compare!(a, b, target, CmpOp::Lt, <, true),
                Instr::JumpIfLtE { a, b, target } => jump_if_compare!(a, b, target, CmpOp::LtE, <=, true),
                Instr::JumpIfGt { a, b, target } => jump_if_compare!(a, b, target, CmpOp::Gt, >, true),
                Instr::JumpIfGtE { a, b, target } => jump_if_compare!(a, b, target, CmpOp::GtE, >=, true),
                Instr::JumpIfEq { a, b, target } => jump_if_compare!(a, b, target, CmpOp::Eq, ==, true),
                Instr::JumpIfNotEq { a, b, target } => jump_if_compare!(a, b, target, CmpOp::Eq, ==, false),
                Instr::JumpIfNotLt { a, b, target } => jump_if_compare!(a, b, target, CmpOp::Lt, <, false),
                Instr::JumpIfNotLtE { a, b, target } => jump_if_compare!(a, b, target, CmpOp::LtE, <=, false),
                Instr::JumpIfNotGt { a, b, target } => jump_if_compare!(a, b, target, CmpOp::Gt, >, false),
                Instr::JumpIfNotGtE { a, b, target } => jump_if_compare!(a, b, target, CmpOp::GtE, >=, false),
                Instr::LoopHeader { loop_id } => loop_header!(loop_id),
                Instr::GetIter { iter, src } => match reg!(src) {
                    Value::Range(range) => {
                        let range = **range;
                        set!(iter, Value::Int(range.start));
                        set!(Reg(iter.0 + 1), Value::Int(range.stop));
                        set!(Reg(iter.0 + 2), Value::Int(range.step));
                    }
                    // A list is iterated by position, as CPython's list iterator does (it sees
                    // items appended during the loop): the list, then the next index.
                    Value::List(list) => {
                        let list = Value::List(list.clone());
                        set!(iter, list);
                        set!(Reg(iter.0 + 1), Value::Int(0));
                    }
                    other => {
                        let state = attempt!(iter::make_iter(other));
                        set!(iter, Value::Iterator(Rc::new(RefCell::new(state))));
                    }
                },
                Instr::ForIter { iter, target, exit, loop_id } => {
                    loop_header!(loop_id);
                    match reg!(iter) {
                        Value::Int(next) => {
                            let next = *next;
                            let (Value::Int(stop), Value::Int(step)) = (reg!(Reg(iter.0 + 1)), reg!(Reg(iter.0 + 2)))
                            else {
                                unreachable!("GetIter writes int range state")
                            };
                            let (stop, step) = (*stop, *step);
                            if (step > 0 && next < stop) || (step < 0 && next > stop) {
                                set!(iter, Value::Int(next.checked_add(step).unwrap_or(stop)));
                                set!(target, Value::Int(next));
                            } else {
                                pc = exit.0 as usize;
                            }
                        }
                        Value::List(list) => {
                            let Value::Int(index) = reg!(Reg(iter.0 + 1)) else {
                                unreachable!("GetIter writes a list's index")
                            };
                            let index = *index;
                            let item = usize::try_from(index).ok().and_then(|i| list.borrow().get(i).cloned());
                            match item {
                                Some(value) => {
                                    set!(Reg(iter.0 + 1), Value::Int(index + 1));
                                    set!(target, value);
                                }
                                None => pc = exit.0 as usize,
                            }
                        }
                        Value::Iterator(state) => {
                            let state = state.clone();
                            let next = state.borrow_mut().next_value();
                            match attempt!(next) {
                                Some(value) => set!(target, value),
                                None => pc = exit.0 as usize,
                            }
                        }
                        _ => unreachable!("ForIter over a slot GetIter did not fill"),
                    }
                }
                Instr::Call { dst, func, args, argc } => {
                    let args_base = base + args.0 as usize;
                    let argc = argc.0 as usize;
                    match reg!(func) {
                        Value::Function(function) => {
                            if super::interrupt::take_interrupt() {
                                throw!(RtError::with_args(ExcKind::KeyboardInterrupt, vec![]));
                            }
                            let function = function.clone();
                            self.frames.last_mut().expect("running").pc = pc;
                            attempt!(self.push_call(&function, args_base, argc, dst));
                            code = function.code.clone();
                            pc = 0;
                            base = args_base;
                        }
                        Value::Builtin(id) => {
                            let id = *id;
                            let result = builtins::call_builtin(
                                id,
                                &self.stack[args_base..args_base + argc],
                                &[],
                                &mut self.out,
                            );
                            set!(dst, attempt!(result));
                        }
                        other => throw!(not_callable(other)),
                    }
                }
                Instr::CallMethod { dst, obj, method, args, argc } => {
                    let args_base = base + args.0 as usize;
                    let argc = argc.0 as usize;
                    let method_id = code.method_ids[method.0 as usize];
                    if let (Value::List(list), MethodId::Append, 1) = (reg!(obj), method_id, argc) {
                        list.borrow_mut().push(self.stack[args_base].clone());
                        set!(dst, Value::None);
                    } else {
                        let result = methods::call_method(
                            reg!(obj),
                            method_id,
                            &code.names[method.0 as usize],
                            &self.stack[args_base..args_base + argc],
                            &[],
                        );
                        set!(dst, attempt!(result));
                    }
                }
                Instr::CallKw { dst, func, site } => {
                    let site = code.call_sites[site.0 as usize].clone();
                    let start = base + site.args.0 as usize;
                    let positional = &self.stack[start..start + site.argc as usize];
                    let keywords: Vec<(Rc<str>, Value)> = site
                        .kwnames
                        .iter()
                        .enumerate()
                        .map(|(i, name)| (name.clone(), self.stack[start + site.argc as usize + i].clone()))
                        .collect();
                    let result = match (site.method, reg!(func)) {
                        (Some(method), obj) => methods::call_method(
                            obj,
                            code.method_ids[method.0 as usize],
                            &code.names[method.0 as usize],
                            positional,
                            &keywords,
                        ),
                        (None, Value::Builtin(id)) => builtins::call_builtin(*id, positional, &keywords, &mut self.out),
                        (None, Value::Function(function)) => {
                            let function = function.clone();
                            let kwvalues: Vec<Value> = keywords.iter().map(|(_, v)| v.clone()).collect();
                            let bound = attempt!(Self::bind_keywords(&function, positional, &site.kwnames, &kwvalues));
                            let args_base = start;
                            self.ensure_stack(args_base + bound.len());
                            for (i, value) in bound.iter().enumerate() {
                                self.stack[args_base + i] = value.clone();
                            }
                            self.frames.last_mut().expect("running").pc = pc;
                            attempt!(self.push_call(&function, args_base, bound.len(), dst));
                            code = function.code.clone();
                            pc = 0;
                            base = args_base;
                            continue;
                        }
                        (None, other) => Err(not_callable(other)),
                    };
                    set!(dst, attempt!(result));
                }
                Instr::Return { src } => {
                    let value = std::mem::take(unsafe { self.stack.get_unchecked_mut(base + src.0 as usize) });
                    if self.frames.len() - 1 == stop_depth {
                        return Ok(value);
                    }
                    let frame = self.pop_frame().expect("a frame returns");
                    let caller = self.frames.last().expect("a caller");
                    code = caller.code.clone();
                    pc = caller.pc;
                    base = caller.base;
                    set!(frame.return_to, value);
                }
                Instr::BuildList { dst, start, count } => {
                    let from = base + start.0 as usize;
                    let items = self.stack[from..from + count.0 as usize].to_vec();
                    set!(dst, Value::list(items));
                }
                Instr::BuildTuple { dst, start, count } => {
                    let from = base + start.0 as usize;
                    let items = self.stack[from..from + count.0 as usize].to_vec();
                    set!(dst, Value::tuple(items));
                }
                Instr::BuildDict { dst, start, count } => {
                    let from = base + start.0 as usize;
                    let mut map = indexmap::IndexMap::with_capacity(count.0 as usize);
                    for i in 0..count.0 as usize {
                        let key = attempt!(super::value::HashKey::new(self.stack[from + 2 * i].clone()));
                        map.insert(key, self.stack[from + 2 * i + 1].clone());
                    }
                    set!(dst, Value::Dict(Rc::new(RefCell::new(map))));
                }
                Instr::BuildString { dst, start, count } => {
                    let from = base + start.0 as usize;
                    let mut text = String::new();
                    for piece in &self.stack[from..from + count.0 as usize] {
                        if let Value::Str(s) = piece {
                            text.push_str(&s.text);
                        }
                    }
                    set!(dst, Value::str(text));
                }
                Instr::ListAppend { list, value } => {
                    if let Value::List(items) = reg!(list) {
                        items.borrow_mut().push(reg!(value).clone());
                    }
                }
                Instr::GetItem { dst, obj, index } => {
                    let result = match (reg!(obj), reg!(index)) {
                        (Value::List(items), Value::Int(i)) => {
                            let items = items.borrow();
                            let len = items.len() as i64;
                            let i = if *i < 0 { *i + len } else { *i };
                            if i >= 0 && i < len {
                                fast_clone(&items[i as usize])
                            } else {
                                drop(items);
                                throw!(RtError::new(ExcKind::IndexError, "list index out of range"))
                            }
                        }
                        (Value::Tuple(items), Value::Int(i))
                            if (*i >= 0 && (*i as usize) < items.len())
                                || (*i < 0 && i.unsigned_abs() as usize <= items.len()) =>
                        {
                            let i = if *i < 0 { items.len() as i64 + *i } else { *i };
                            fast_clone(&items[i as usize])
                        }
                        (container, index) => attempt!(ops::get_item(container, index)),
                    };
                    set!(dst, result);
                }
                Instr::SetItem { obj, index, value } => {
                    if let (Value::List(items), Value::Int(i)) = (reg!(obj), reg!(index)) {
                        let mut items = items.borrow_mut();
                        let len = items.len() as i64;
                        let i = if *i < 0 { *i + len } else { *i };
                        if i >= 0 && i < len {
                            items[i as usize] = reg!(value).clone();
                            continue;
                        }
                    }
                    attempt!(ops::set_item(reg!(obj), reg!(index), reg!(value).clone()));
                }
                Instr::DelItem { obj, index } => attempt!(ops::del_item(reg!(obj), reg!(index))),
                Instr::GetSlice { dst, obj, bounds } => {
                    let result = attempt!(ops::get_slice(
                        reg!(obj),
                        reg!(bounds),
                        reg!(Reg(bounds.0 + 1)),
                        reg!(Reg(bounds.0 + 2))
                    ));
                    set!(dst, result);
                }
                Instr::SetSlice { obj, bounds, value } => {
                    attempt!(ops::set_slice(
                        reg!(obj),
                        reg!(bounds),
                        reg!(Reg(bounds.0 + 1)),
                        reg!(Reg(bounds.0 + 2)),
                        reg!(value)
                    ));
                }
                Instr::DelSlice { obj, bounds } => {
                    attempt!(ops::del_slice(reg!(obj), reg!(bounds), reg!(Reg(bounds.0 + 1)), reg!(Reg(bounds.0 + 2))));
                }
                Instr::GetAttr { dst, obj, name } => {
                    let result = attempt!(methods::get_attr(reg!(obj), &code.names[name.0 as usize]));
                    set!(dst, result);
                }
                Instr::Unpack { dst, src, count } => {
                    let n = count.0 as usize;
                    // Tuples and lists unpack straight into the registers, without a copy.
                    let source = match reg!(src) {
                        Value::Tuple(items) if items.len() == n => Some(items.clone()),
                        _ => None,
                    };
                    if let Some(items) = source {
                        for (i, item) in items.iter().enumerate() {
                            set!(Reg(dst.0 + i as u16), fast_clone(item));
                        }
                    } else {
                        let items = attempt!(unpack(reg!(src), n));
                        for (i, item) in items.into_iter().enumerate() {
                            set!(Reg(dst.0 + i as u16), item);
                        }
                    }
                }
                Instr::MakeFunction { dst, code: template, defaults, count } => {
                    let Value::Function(template) = &code.consts[template.0 as usize] else {
                        unreachable!("MakeFunction names a function constant")
                    };
                    let from = base + defaults.0 as usize;
                    let defaults = self.stack[from..from + count.0 as usize].to_vec();
                    let function = self.new_function(template, defaults);
                    set!(dst, function);
                }
                Instr::FormatValue { dst, src, spec, conversion } => {
                    let value = reg!(src);
                    let converted = match conversion {
                        0 => None,
                        c => Some(Value::str(attempt!(format::conversion(value, c as char)))),
                    };
                    let value = converted.as_ref().unwrap_or(value);
                    let Value::Str(spec) = &code.consts[spec.0 as usize] else {
                        unreachable!("format spec is a str constant")
                    };
                    let text = attempt!(format::format_spec(value, &spec.text));
                    set!(dst, Value::str(text));
                }
                Instr::Raise { src } => throw!(exception_from(reg!(src))),
                Instr::Reraise { src } => match reg!(src) {
                    Value::Exception(exc) => throw!(RtError(Box::new((**exc).clone()))),
                    _ => throw!(RtError::new(ExcKind::RuntimeError, "No active exception to reraise")),
                },
                Instr::LoadException { dst } => {
                    let error = self.caught.take().expect("a handler runs after an exception");
                    set!(dst, Value::Exception(Rc::new(*error.0)));
                }
                Instr::ExceptionMatches { dst, exc, class } => {
                    let Value::Exception(exc) = reg!(exc) else { unreachable!("LoadException wrote an exception") };
                    let matched = attempt!(builtins::exception_matches(exc.kind, reg!(class)));
                    set!(dst, Value::Bool(matched));
                }
                Instr::AssertFail { msg, has_message } => {
                    let args = if has_message { vec![reg!(msg).clone()] } else { vec![] };
                    throw!(RtError::with_args(ExcKind::AssertionError, args));
                }
                Instr::ImportModule { dst, name } => {
                    let name = &code.names[name.0 as usize];
                    if &**name != "math" {
                        throw!(RtError::new(
                            ExcKind::RuntimeError,
                            format!("import of '{name}' is not supported in Toy")
                        ));
                    }
                    set!(dst, Value::Module(Rc::new(ModuleObj { name: "math" })));
                }
                Instr::DisplayValue { src } => {
                    let value = reg!(src);
                    if !matches!(value, Value::None) {
                        let text = attempt!(format::repr(value));
                        let _ = writeln!(self.out, "{text}");
                    }
                }
            }
        }
    }
}

/// True for values with no heap pointer (nothing to count or drop).
#[inline(always)]
fn is_scalar(value: &Value) -> bool {
    // SAFETY: `Value` is `repr(C, u8)`: its first byte is the tag (see `value::tag`).
    let tag = unsafe { *(value as *const Value as *const u8) };
    tag <= super::value::tag::FLOAT
}

/// `value.clone()`, without the out-of-line call for ints, floats, bools and None.
#[inline(always)]
fn fast_clone(value: &Value) -> Value {
    if is_scalar(value) {
        // SAFETY: a scalar value owns no heap memory, so a bitwise copy is a full clone.
        unsafe { std::ptr::read(value) }
    } else {
        value.clone()
    }
}

/// `*slot = value`, skipping the drop of a scalar old value.
#[inline(always)]
fn store(slot: &mut Value, value: Value) {
    if is_scalar(slot) {
        // SAFETY: the old value is a scalar with nothing to drop.
        unsafe { std::ptr::write(slot, value) }
    } else {
        *slot = value;
    }
}

fn unbound_local(name: &str) -> RtError {
    RtError::new(
        ExcKind::UnboundLocalError,
        format!("cannot access local variable '{name}' where it is not associated with a value"),
    )
}

fn not_callable(value: &Value) -> RtError {
    type_error(format!("'{}' object is not callable", value.type_name()))
}

/// CPython's message for a positional call with the wrong number of arguments.
fn arity_error(code: &CodeObject, ndefaults: usize, given: usize) -> RtError {
    let nparams = code.params.len();
    let required = nparams - ndefaults;
    if given < required {
        let missing: Vec<String> = code.params[given..required].iter().map(|p| format!("'{p}'")).collect();
        return missing_arguments(&code.name, &missing);
    }
    let takes = if ndefaults > 0 { format!("from {required} to {nparams}") } else { nparams.to_string() };
    let plural = if nparams == 1 && ndefaults == 0 { "" } else { "s" };
    let were = if given == 1 { "was" } else { "were" };
    type_error(format!("{}() takes {takes} positional argument{plural} but {given} {were} given", code.name))
}

fn missing_arguments(function: &str, missing: &[String]) -> RtError {
    let list = match missing {
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {}", init.join(", "), last),
        [] => String::new(),
    };
    let plural = if missing.len() == 1 { "" } else { "s" };
    type_error(format!("{function}() missing {} required positional argument{plural}: {list}", missing.len()))
}

/// The exception `raise value` raises.
fn exception_from(value: &Value) -> RtError {
    match value {
        Value::Exception(exc) => RtError(Box::new((**exc).clone())),
        Value::Builtin(BuiltinId::Exception(kind)) => RtError::with_args(*kind, vec![]),
        _ => type_error("exceptions must derive from BaseException"),
    }
}

/// `a, b = value`: exactly `count` items, or CPython's ValueError.
fn unpack(value: &Value, count: usize) -> RtResult<Vec<Value>> {
    let items = match value {
        Value::Tuple(items) => items.as_ref().clone(),
        Value::List(items) => items.borrow().clone(),
        Value::Int(_)
        | Value::Float(_)
        | Value::Bool(_)
        | Value::None
        | Value::BigInt(_)
        | Value::Function(_)
        | Value::Builtin(_) => {
            return Err(type_error(format!("cannot unpack non-iterable {} object", value.type_name())));
        }
        other => {
            let mut state: IterObj = iter::make_iter(other)?;
            let mut items = Vec::with_capacity(count);
            while let Some(item) = state.next_value()? {
                items.push(item);
                if items.len() > count {
                    return Err(RtError::new(
                        ExcKind::ValueError,
                        format!("too many values to unpack (expected {count})"),
                    ));
                }
            }
            items
        }
    };
    if items.len() > count {
        return Err(RtError::new(ExcKind::ValueError, format!("too many values to unpack (expected {count})")));
    }
    if items.len() < count {
        return Err(RtError::new(
            ExcKind::ValueError,
            format!("not enough values to unpack (expected {count}, got {})", items.len()),
        ));
    }
    Ok(items)
}
