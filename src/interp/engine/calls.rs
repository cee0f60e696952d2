//! Calls and frames: pushing a Toy function's frame (arity, defaults, keyword arguments),
//! popping it, growing the one value stack, and unwinding an exception to its handler while
//! collecting the traceback. Part of [`Vm`]; the dispatch loop (`vm.rs`) calls these.
//!
//! Touches: the VM's stack and frames (and, when an exception cancels a recording, tells the
//! JIT through `native::JitHooks`).

use std::rc::Rc;

use crate::interp::engine::bytecode::{CodeObject, Reg, SiteIdx};
use crate::interp::engine::code_ref::CodeRef;
use crate::interp::engine::native::JitHooks;
use crate::interp::engine::slots::store;
use crate::interp::engine::vm::Vm;
use crate::interp::objects::error::{ExcKind, RtError, RtResult, type_error};
use crate::interp::objects::value::{ExcObj, FunctionObj, Value};

/// CPython's default recursion limit: frames deeper than this raise RecursionError.
pub const RECURSION_LIMIT: usize = 1000;

/// Slots reserved for the value stack when the VM is made: its buffer never moves, so the
/// dispatch loop can keep a raw pointer to the running frame's registers across anything
/// that pushes frames (a builtin calling back into Toy code included). 2^26 slots of 16 bytes
/// is 1 GB of address space, more than `RECURSION_LIMIT` frames of the largest frame the
/// compiler makes (65,535 slots) can fill; only the pages a program reaches are ever touched
/// (1,000 nested calls of 100-slot frames touch 1.6 MB). Where the system refuses that much
/// address space, the VM reserves `STACK_SLOTS_FALLBACK`, and a program that would pass it
/// gets a RecursionError.
pub const STACK_SLOTS: usize = 1 << 26;
pub const STACK_SLOTS_FALLBACK: usize = 1 << 20;

/// An empty value stack with its reservation (see [`STACK_SLOTS`]).
pub fn reserve_stack() -> Vec<Value> {
    let mut stack = Vec::new();
    if stack.try_reserve_exact(STACK_SLOTS).is_err() {
        stack.reserve_exact(STACK_SLOTS_FALLBACK);
    }
    stack
}

/// One activation: which code, where in it, and where its slots start on the stack. Plain
/// data (no reference count: the VM's roots keep the code, see `code_ref.rs`), so pushing and
/// popping one is a copy.
#[derive(Debug, Clone, Copy)]
pub struct Frame {
    pub code: CodeRef,
    /// Index of the next instruction to execute.
    pub pc: usize,
    /// Stack index of slot 0.
    pub base: usize,
    /// The caller's register that receives the return value.
    pub return_to: Reg,
    /// A generator expression running in its creator's registers (`reentry.rs`): no handlers
    /// of its own, and leaving it must not clear the creator's slots.
    pub generator: bool,
}

/// One traceback line: the code object and the source line being executed.
#[derive(Debug, Clone)]
pub struct TracebackEntry {
    pub function: String,
    pub line: u32,
    /// The failing expression, for the caret line under the source line.
    pub location: crate::interp::engine::locations::Location,
}

/// An exception nobody caught, with its traceback (outermost call first).
#[derive(Debug)]
pub struct Uncaught {
    pub exception: ExcObj,
    pub traceback: Vec<TracebackEntry>,
}

impl Vm {
    /// Raises `error` at the current instruction: unwinds to the innermost handler (returns
    /// Ok, with the frame's pc at the handler) or out of every frame (returns the Uncaught).
    pub(super) fn unwind(&mut self, error: RtError, jit: Option<&mut (dyn JitHooks + '_)>) -> Result<(), Uncaught> {
        if self.recording {
            self.recording = false;
            if let Some(jit) = jit {
                let step = jit.recording_cancelled("an exception was raised while recording");
                self.recording_step(step);
            }
        }
        // Entries a nested run left belong to this error only if it is the one that run raised
        // (a builtin may have swallowed that one: `map`'s function raising StopIteration).
        if !self.unwinding.is_empty() && error_address(&error) != self.unwinding_error {
            self.unwinding.clear();
        }
        loop {
            let Some(frame) = self.frames.last_mut() else {
                let traceback = std::mem::take(&mut self.unwinding).into_iter().rev().collect();
                self.frame_limit = RECURSION_LIMIT;
                return Err(Uncaught { exception: *error.0, traceback });
            };
            let pc = frame.pc.saturating_sub(1);
            self.unwinding.push(TracebackEntry {
                function: if frame.generator { "<genexpr>".to_string() } else { frame.code.name.clone() },
                line: frame.code.lines.get(pc).copied().unwrap_or(0),
                location: frame.code.locations.get(pc).copied().unwrap_or_default(),
            });
            if !frame.generator
                && let Some(handler) = frame.code.handler_for(pc)
            {
                frame.pc = handler.target as usize;
                self.unwinding.clear();
                self.caught = Some(error);
                self.recount_comprehensions();
                return Ok(());
            }
            if frame.generator {
                self.frames.pop();
            } else {
                self.pop_frame();
            }
            if self.frames.len() <= self.floor && self.floor > 0 {
                // A nested run's first frame is gone: the builtin that started it gets the
                // error; the entries collected so far stay for the outer frames to extend.
                return Err(Uncaught { exception: *error.0, traceback: Vec::new() });
            }
            if self.frames.is_empty() {
                let traceback = std::mem::take(&mut self.unwinding).into_iter().rev().collect();
                self.frame_limit = RECURSION_LIMIT;
                return Err(Uncaught { exception: *error.0, traceback });
            }
        }
    }

    /// `EnterComprehension`: a comprehension counts as a call (RecursionError at the limit).
    #[cold]
    #[inline(never)]
    pub(super) fn enter_comprehension(&mut self) -> RtResult<()> {
        if self.frames.len() >= self.frame_limit {
            return Err(RtError::new(ExcKind::RecursionError, "maximum recursion depth exceeded"));
        }
        self.frame_limit -= 1;
        Ok(())
    }

    /// `LeaveComprehension`.
    #[cold]
    #[inline(never)]
    pub(super) fn leave_comprehension(&mut self) {
        self.frame_limit = (self.frame_limit + 1).min(RECURSION_LIMIT - self.hidden_frames);
    }

    /// After an exception left comprehensions without their `LeaveComprehension`: the ones
    /// still running are those around each caller's call (a handler is never inside one).
    fn recount_comprehensions(&mut self) {
        // Frames machine code holds outside `frames` (`interp_call.rs`) stay counted.
        let limit = RECURSION_LIMIT - self.hidden_frames;
        if self.frame_limit == limit {
            return;
        }
        let callers = &self.frames[..self.frames.len() - 1];
        let open: usize = callers.iter().map(|f| f.code.comprehensions_open_at(f.pc.saturating_sub(1))).sum();
        self.frame_limit = limit.saturating_sub(open);
    }

    /// Removes the top frame, releasing the values of its parameters and named locals. The
    /// stack itself never shrinks while running (growing and shrinking it on every call was a
    /// fifth of the time of call-heavy programs).
    ///
    /// Its temporaries are left as they are: the compiler writes a temporary before it reads
    /// it, and the write releases what was there. Clearing all of a frame's slots on every
    /// return was a fifth of the instructions of a call (tak: 13 slots, 3 of them named). The
    /// named slots are cleared because they hold the values a caller may still use: the
    /// arguments it passed (whose slots are its own temporaries) and the locals a caller's
    /// `s = s + t` must see uniquely owned to append in place. Inlined into `Return`.
    #[inline(always)]
    pub(super) fn pop_frame(&mut self) -> Option<Frame> {
        let frame = self.frames.pop()?;
        let end = (frame.base + frame.code.nlocals as usize).min(self.stack.len());
        for slot in &mut self.stack[frame.base..end] {
            store(slot, Value::Unbound);
        }
        Some(frame)
    }

    /// Grows the stack (geometrically, inside its reservation: it never moves) so that it holds
    /// at least `len` slots; RecursionError when the reservation cannot hold them.
    pub(super) fn ensure_stack(&mut self, len: usize) -> RtResult<()> {
        if self.stack.len() < len {
            if len > self.stack.capacity() {
                return Err(RtError::new(ExcKind::RecursionError, "maximum recursion depth exceeded"));
            }
            let target = len.max(self.stack.len() * 2).max(64).min(self.stack.capacity());
            let buffer = self.stack.as_ptr();
            self.stack.resize(target, Value::Unbound);
            debug_assert_eq!(buffer, self.stack.as_ptr(), "the value stack moved");
        }
        Ok(())
    }

    /// Pushes a frame for `function` whose arguments are already in the stack at
    /// `args_base..args_base+argc` (the new frame's slot 0 is `args_base`). Writes only slots
    /// from `args_base` up, so a function held in a register below them stays alive throughout.
    /// The common case (all arguments given, room on the stack) is inlined into the dispatch
    /// loop; the rest is `push_call_slow`.
    #[inline(always)]
    pub(super) fn push_call(
        &mut self,
        function: &FunctionObj,
        args_base: usize,
        argc: usize,
        return_to: Reg,
    ) -> RtResult<()> {
        let code = &*function.code;
        let frame_end = args_base + code.nslots as usize;
        if argc != code.params.len() || self.frames.len() >= self.frame_limit || self.stack.len() < frame_end {
            return self.push_call_slow(function, args_base, argc, return_to);
        }
        self.enter_frame(CodeRef::new(&function.code), args_base, return_to);
        Ok(())
    }

    /// `push_call` when defaults fill missing arguments, the arity is wrong, the recursion
    /// limit is reached or the stack must grow.
    #[cold]
    #[inline(never)]
    fn push_call_slow(
        &mut self,
        function: &FunctionObj,
        args_base: usize,
        argc: usize,
        return_to: Reg,
    ) -> RtResult<()> {
        if self.frames.len() >= self.frame_limit {
            return Err(RtError::new(ExcKind::RecursionError, "maximum recursion depth exceeded"));
        }
        let code = &function.code;
        let nparams = code.params.len();
        self.ensure_stack(args_base + code.nslots as usize)?;
        if argc != nparams {
            let first_default = nparams - function.defaults.len();
            if argc > nparams || argc < first_default {
                return Err(arity_error(code, function.defaults.len(), argc));
            }
            for (i, default) in function.defaults.iter().enumerate().skip(argc - first_default) {
                self.stack[args_base + first_default + i] = default.clone();
            }
        }
        self.enter_frame(CodeRef::new(code), args_base, return_to);
        Ok(())
    }

    /// Pushes the frame of `code` at `args_base`, its arguments in place:
    /// clears its locals (the slots may hold the caller's dead temporaries; the temporaries
    /// above them are written before they are read) and writes its preloaded literals.
    #[inline(always)]
    fn enter_frame(&mut self, code: CodeRef, args_base: usize, return_to: Reg) {
        let locals = args_base + code.params.len()..args_base + code.nlocals as usize;
        debug_assert!(locals.end <= self.stack.len(), "the frame's window is on the stack");
        // SAFETY: the callers made room for the frame's `nslots` (>= `nlocals`) slots.
        for slot in unsafe { self.stack.get_unchecked_mut(locals) } {
            store(slot, Value::Unbound);
        }
        self.preload(code.get(), args_base);
        self.frames.push(Frame { code, pc: 0, base: args_base, return_to, generator: false });
    }

    /// Writes `code`'s preloaded number literals into its frame at `base`.
    #[inline(always)]
    pub(super) fn preload(&mut self, code: &CodeObject, base: usize) {
        for (reg, value) in &code.preloaded {
            // SAFETY: `CodeObject::verify` checked that the register is inside the frame, which
            // the caller has made room for on the stack, and that the value is an int or a
            // float: a bitwise copy is a full clone.
            unsafe { store(self.stack.get_unchecked_mut(base + reg.0 as usize), std::ptr::read(value)) };
        }
    }

    /// `f(a, k=v)` and `obj.m(a, k=v)` at call site `site`: a builtin or method runs at once;
    /// a Toy function gets its arguments bound and its frame pushed (the caller's pc saved by
    /// the dispatch loop), and the loop goes on in it.
    pub(super) fn call_with_keywords(
        &mut self,
        code: &CodeObject,
        base: usize,
        func: Reg,
        site: SiteIdx,
        dst: Reg,
    ) -> RtResult<KeywordCall> {
        let site = &code.call_sites[site.0 as usize];
        let start = base + site.args.0 as usize;
        let argc = site.argc as usize;
        let keywords: Vec<(Rc<str>, Value)> = site
            .kwnames
            .iter()
            .enumerate()
            .map(|(i, name)| (name.clone(), self.stack[start + argc + i].clone()))
            .collect();
        let value = match (site.method, &self.stack[base + func.0 as usize]) {
            (Some(method), _) => {
                let (id, name) = (code.method_ids[method.0 as usize], &code.names[method.0 as usize]);
                self.call_method_at(base + func.0 as usize, id, name, (start, argc), &keywords)?
            }
            (None, Value::Builtin(id)) => {
                let id = *id;
                self.call_builtin_at(id, start, argc, &keywords)?
            }
            (None, Value::Function(function)) => {
                let function = function.clone();
                let kwvalues: Vec<Value> = keywords.into_iter().map(|(_, v)| v).collect();
                let positional = &self.stack[start..start + argc];
                let bound = Self::bind_keywords(&function, positional, &site.kwnames, &kwvalues)?;
                self.ensure_stack(start + bound.len())?;
                for (i, value) in bound.iter().enumerate() {
                    self.stack[start + i] = value.clone();
                }
                self.push_call(&function, start, bound.len(), dst)?;
                return Ok(KeywordCall::Entered(function));
            }
            (None, other) => return Err(not_callable(other)),
        };
        Ok(KeywordCall::Returned(value))
    }

    /// Binds keyword arguments for a call to a Toy function: returns the positional list.
    pub(super) fn bind_keywords(
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

    pub(super) fn new_function(&mut self, template: &FunctionObj, defaults: Vec<Value>) -> Value {
        let id = self.next_function_id;
        self.next_function_id = self.next_function_id.wrapping_add(1);
        Value::Function(Rc::new(FunctionObj { code: template.code.clone(), defaults, id }))
    }
}

/// Which error a traceback being collected belongs to (its box's address).
pub(super) fn error_address(error: &RtError) -> usize {
    &*error.0 as *const ExcObj as usize
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

pub(super) use crate::interp::objects::host::not_callable;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interp::objects::output::Output;

    #[test]
    fn the_stack_grows_in_place_and_refuses_past_its_reservation() {
        let mut vm = Vm::new(Output::Capture(Vec::new()));
        let buffer = vm.stack.as_ptr();
        vm.ensure_stack(10).expect("room");
        vm.ensure_stack(100_000).expect("room");
        assert!(vm.stack.len() >= 100_000);
        assert_eq!(buffer, vm.stack.as_ptr(), "the stack moved");
        let capacity = vm.stack.capacity();
        let error = vm.ensure_stack(capacity + 1).expect_err("past the reservation");
        assert_eq!(error.0.kind, ExcKind::RecursionError);
        assert_eq!(buffer, vm.stack.as_ptr(), "the stack moved");
    }

    /// Frames do not count their code (`code_ref.rs`): a function defined by one module and
    /// called from a later one (the REPL's inputs) runs on after its own module's code and its
    /// last function value are gone, kept by the VM's roots.
    #[test]
    fn a_function_outlives_its_module_and_its_last_reference_while_it_runs() {
        use crate::driver::compile;
        let mut vm = Vm::new(Output::Capture(Vec::new()));
        let define = "def f(n):\n    global f\n    f = 0\n    s = 0\n    for i in range(n):\n        s += i\n    return [s, n]\n";
        let first = compile("<first>", define, &mut vm, Default::default()).expect("compiles");
        vm.run_module(first, None).expect("runs");
        for (name, source) in
            [("<second>", "print(f(10), f)\n"), ("<third>", "def g(k):\n    return k * 2\nprint(g(21))\n")]
        {
            let code = compile(name, source, &mut vm, Default::default()).expect("compiles");
            vm.run_module(code, None).expect("runs");
        }
        assert_eq!(vm.out.captured(), "[45, 10] 0\n42\n");
        assert_eq!(vm.code_roots.len(), 3);
    }
}

/// What a call with keyword arguments did (`Vm::call_with_keywords`).
pub(super) enum KeywordCall {
    /// A builtin or method ran: its result.
    Returned(Value),
    /// A Toy function's frame was pushed: run it (the function, whose code the frame holds).
    Entered(Rc<FunctionObj>),
}
