//! Reading and writing the VM's stack slots at the cost of the common case: a clone or a
//! store of an int, float, bool or None is a plain copy (no call into `Value`'s `Clone` or
//! `Drop`), and the running frame's code is borrowed without a reference count.
//!
//! Touches nothing but the slots and values it is given.

use crate::interp::engine::bytecode::CodeObject;
use crate::interp::engine::code_ref::CodeRef;
use crate::interp::objects::value::Value;

/// True for values with no heap pointer (nothing to count or drop).
#[inline(always)]
pub(super) fn is_scalar(value: &Value) -> bool {
    // SAFETY: `Value` is `repr(C, u8)`: its first byte is the tag (see `value::tag`).
    let tag = unsafe { *(value as *const Value as *const u8) };
    tag <= crate::interp::objects::value::tag::FLOAT
}

/// The code a frame runs, as a reference not tied to the borrow of the frame stack, so that the
/// dispatch loop can hold it while it changes the VM (the VM's roots keep every code object it
/// runs alive: `code_ref.rs`). The dispatch loop calls this again whenever the top frame
/// changes (a call, a return, an exception caught in another frame, an exit that re-creates
/// inlined frames).
#[inline(always)]
pub(super) fn frame_code<'a>(code: &CodeRef) -> &'a CodeObject {
    code.get()
}

/// `value.clone()`, without the out-of-line call for ints, floats, bools and None, nor for
/// the functions and builtins a call loads from a global, nor for tuples.
#[inline(always)]
pub(super) fn fast_clone(value: &Value) -> Value {
    if is_scalar(value) {
        // SAFETY: a scalar value owns no heap memory, so a bitwise copy is a full clone.
        return unsafe { std::ptr::read(value) };
    }
    match value {
        Value::Function(function) => Value::Function(function.clone()),
        Value::Builtin(id) => Value::Builtin(*id),
        Value::Tuple(tuple) => Value::Tuple(tuple.clone()),
        _ => value.clone(),
    }
}

/// `*slot = value`, skipping the drop of a scalar old value. (Releasing a function or tuple
/// inline here instead of through `Value`'s drop glue made every store site bigger and
/// poly.toy 18% slower without the JIT, with fewer instructions run.)
#[inline(always)]
pub(super) fn store(slot: &mut Value, value: Value) {
    if is_scalar(slot) {
        // SAFETY: the old value is a scalar with nothing to drop.
        unsafe { std::ptr::write(slot, value) }
    } else {
        *slot = value;
    }
}
