//! The VM as the [`Host`] of a running builtin: calling a function value from Rust (a `key=`,
//! `map`'s function) and resuming a generator expression, each as a nested run of the dispatch
//! loop (interpreter only: no JIT inside) that stops when its frame returns or yields. An
//! exception leaves the nested run at its first frame (`Vm::floor`) with the traceback entries
//! collected so far kept, so the outer frames add theirs and the traceback reads as CPython's.
//! Also the builtin and method calls of the dispatch loop, which lend the VM as the host only
//! when an argument could run Toy code.
//!
//! Touches: the VM's stack and frames (above the running frame), its output.

use std::io::Write;
use std::rc::Rc;

use crate::interp::engine::bytecode::Reg;
use crate::interp::engine::calls::{Frame, error_address};
use crate::interp::engine::code_ref::CodeRef;
use crate::interp::engine::vm::Vm;
use crate::interp::objects::builtins::{self, BuiltinId};
use crate::interp::objects::error::{ExcKind, RtError, RtResult};
use crate::interp::objects::host::{Detached, Host, may_call_back, not_callable};
use crate::interp::objects::iter::make_iter;
use crate::interp::objects::methods::{self, MethodId};
use crate::interp::objects::ops;
use crate::interp::objects::value::{FunctionObj, GenState, Value};
use crate::parser::ast::CmpOp;

type Kwargs<'a> = &'a [(Rc<str>, Value)];

impl Host for Vm {
    fn poll_interrupt(&mut self) -> RtResult<()> {
        if crate::interp::engine::interrupt::take_interrupt() {
            return Err(RtError::with_args(ExcKind::KeyboardInterrupt, vec![]));
        }
        Ok(())
    }

    fn call(&mut self, func: &Value, args: &[Value]) -> RtResult<Value> {
        match func {
            Value::Function(function) => self.call_function_nested(function.clone(), args),
            Value::Builtin(id) => builtins::call_builtin(*id, args, &[], self),
            other => Err(not_callable(other)),
        }
    }

    fn resume(&mut self, generator: &mut GenState) -> RtResult<Option<Value>> {
        if generator.done {
            return Ok(None);
        }
        let creator_on_top = self.frames.len() == generator.depth + 1
            && self.frames[generator.depth].base == generator.base
            && self.frames[generator.depth].code.is(&generator.code);
        if !creator_on_top {
            generator.done = true;
            return Err(RtError::new(
                ExcKind::RuntimeError,
                "not supported in Toy: a generator expression run outside the call it was given to",
            ));
        }
        self.frames.push(Frame {
            code: CodeRef::new(&generator.code),
            pc: generator.pc,
            base: generator.base,
            return_to: Reg(0),
            generator: true,
        });
        match self.run_nested() {
            Ok(value) => {
                // Its registers are its creator's: popped without clearing them.
                let frame = self.frames.pop().expect("the generator's frame");
                generator.pc = frame.pc;
                if matches!(value, Value::Unbound) {
                    generator.done = true;
                    return Ok(None);
                }
                Ok(Some(value))
            }
            Err(error) => {
                generator.done = true;
                if error.kind() == ExcKind::StopIteration {
                    // PEP 479: a StopIteration escaping a generator's body is a RuntimeError.
                    return Err(RtError::new(ExcKind::RuntimeError, "generator raised StopIteration"));
                }
                Err(error)
            }
        }
    }

    fn out(&mut self) -> &mut dyn Write {
        &mut self.out
    }
}

impl Vm {
    /// `item in iterator`: consumes it up to the first item equal to `item` (each compared as
    /// `in` compares a tuple's items), running what a lazy iterator calls.
    pub(super) fn iterator_contains(&mut self, item: Value, container: Value) -> RtResult<bool> {
        let is_view = matches!(&container, Value::Iterator(it) if it.try_borrow().is_ok_and(|it| it.is_view()));
        if is_view {
            return ops::compare(CmpOp::In, &item, &container);
        }
        let mut state = make_iter(&container)?;
        while let Some(value) = state.next_with(self)? {
            if ops::compare(CmpOp::In, &item, &Value::tuple(vec![value]))? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Calls a Toy function from Rust: its frame goes above the running frame's window.
    fn call_function_nested(&mut self, function: Rc<FunctionObj>, args: &[Value]) -> RtResult<Value> {
        let top = self.frames.last().expect("a frame is running");
        let args_base = top.base + top.code.nslots as usize;
        self.ensure_stack(args_base + args.len() + 1)?;
        for (i, arg) in args.iter().enumerate() {
            self.stack[args_base + i] = arg.clone();
        }
        self.push_call(&function, args_base, args.len(), Reg(0))?;
        let value = self.run_nested()?;
        self.pop_frame();
        Ok(value)
    }

    /// Runs the top frame until it returns or yields (its value; `Unbound` at a generator's
    /// end). An exception that leaves it is returned with the frame popped.
    fn run_nested(&mut self) -> RtResult<Value> {
        let saved_floor = std::mem::replace(&mut self.floor, self.frames.len() - 1);
        let result = self.execute(None);
        self.floor = saved_floor;
        result.map_err(|uncaught| {
            let error = RtError(Box::new(uncaught.exception));
            self.unwinding_error = error_address(&error);
            error
        })
    }

    /// A builtin called on the registers `start..start + argc`: the VM is lent as the host
    /// only when an argument could run Toy code (then the arguments are copied out of the
    /// stack, which a nested run may grow).
    #[inline]
    pub(super) fn call_builtin_at(
        &mut self,
        id: BuiltinId,
        start: usize,
        argc: usize,
        kwargs: Kwargs<'_>,
    ) -> RtResult<Value> {
        let args = &self.stack[start..start + argc];
        if !args.iter().any(may_call_back) && !kwargs.iter().any(|(_, v)| may_call_back(v)) {
            return builtins::call_builtin(id, args, kwargs, &mut Detached(&mut self.out));
        }
        self.call_builtin_lent(id, start..start + argc, kwargs)
    }

    /// `call_builtin_at` with the VM as the host: the arguments copied out of the stack first.
    #[inline(never)]
    fn call_builtin_lent(
        &mut self,
        id: BuiltinId,
        args: std::ops::Range<usize>,
        kwargs: Kwargs<'_>,
    ) -> RtResult<Value> {
        let args = self.stack[args].to_vec();
        builtins::call_builtin(id, &args, kwargs, self)
    }

    /// `obj.name(args)` with `obj` in `obj_at` and the arguments at `start..start + argc`; the
    /// host as in `call_builtin_at`.
    pub(super) fn call_method_at(
        &mut self,
        obj_at: usize,
        method: MethodId,
        name: &str,
        (start, argc): (usize, usize),
        kwargs: Kwargs<'_>,
    ) -> RtResult<Value> {
        let obj = &self.stack[obj_at];
        let args = &self.stack[start..start + argc];
        if may_call_back(obj) || args.iter().any(may_call_back) || kwargs.iter().any(|(_, v)| may_call_back(v)) {
            let (obj, args) = (obj.clone(), args.to_vec());
            return methods::call_method(&obj, method, name, &args, kwargs, self);
        }
        methods::call_method(obj, method, name, args, kwargs, &mut Detached(&mut self.out))
    }
}
