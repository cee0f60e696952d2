//! What a builtin may ask of whoever runs the program while it runs: call a function value
//! (a `key=`, the function of `map`/`filter`: a Toy function, a lambda or a builtin), resume a
//! generator expression, and write `print`'s output. The VM implements [`Host`]
//! (`engine/reentry.rs`); [`Detached`] serves calls that cannot reach Toy code (no Toy function
//! or lazy iterator among the arguments) and unit tests.
//!
//! Touches nothing itself: it only forwards.

use std::io::Write;

use crate::interp::objects::builtins::call_builtin;
use crate::interp::objects::error::{RtResult, type_error};
use crate::interp::objects::value::{GenState, Value};

/// The services a running builtin may need from the interpreter.
pub trait Host {
    /// `func(*args)` for any callable value; CPython's TypeError for the others.
    fn call(&mut self, func: &Value, args: &[Value]) -> RtResult<Value>;
    /// The next value of a generator expression (`None` at its end).
    fn resume(&mut self, generator: &mut GenState) -> RtResult<Option<Value>>;
    /// Where `print` writes.
    fn out(&mut self) -> &mut dyn Write;
    /// `KeyboardInterrupt` if Ctrl-C was pressed: a builtin consuming a long iterator
    /// (`sum(range(2 ** 62))`) asks now and then, so that Ctrl-C still stops the program.
    fn poll_interrupt(&mut self) -> RtResult<()> {
        Ok(())
    }
}

/// A host without an interpreter: calls builtins, refuses Toy code.
pub struct Detached<'a>(pub &'a mut dyn Write);

impl Host for Detached<'_> {
    fn call(&mut self, func: &Value, args: &[Value]) -> RtResult<Value> {
        match func {
            Value::Builtin(id) => call_builtin(*id, args, &[], self),
            Value::Function(_) => Err(type_error("not supported in Toy: a Toy function called back from here")),
            other => Err(not_callable(other)),
        }
    }

    fn resume(&mut self, _generator: &mut GenState) -> RtResult<Option<Value>> {
        Err(type_error("not supported in Toy: a generator expression consumed here"))
    }

    fn out(&mut self) -> &mut dyn Write {
        self.0
    }
}

/// `TypeError: 'int' object is not callable`.
pub fn not_callable(value: &Value) -> crate::interp::objects::error::RtError {
    type_error(format!("'{}' object is not callable", value.type_name()))
}

/// Could a call with these arguments run Toy code (a function to call back, or a lazy
/// iterator to drive)? The VM passes itself as the host only then.
pub fn may_call_back(value: &Value) -> bool {
    matches!(value, Value::Function(_) | Value::Iterator(_))
}
