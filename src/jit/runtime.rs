//! Runtime functions that machine code calls, for the rare or heavy work it does not inline.
//!
//! Each is `extern "C"`, registered with every trace's `JITModule` under a symbol name (so the
//! dumped Cranelift IR shows a name, not an address). They touch only the frame slots and lists
//! they are given, and never run Toy code.

use crate::interp::builtins::BuiltinId;
use crate::interp::value::{Value, tag};

/// The builtins traces call (inlined as IR).
pub const TRACED_BUILTINS: [BuiltinId; 6] =
    [BuiltinId::Range, BuiltinId::Len, BuiltinId::Abs, BuiltinId::Min, BuiltinId::Max, BuiltinId::Float];

/// The index of a builtin in [`TRACED_BUILTINS`].
pub fn traced_builtin(id: BuiltinId) -> Option<u8> {
    TRACED_BUILTINS.iter().position(|&b| b == id).map(|i| i as u8)
}

/// Writes a `ConstObj` (a function or builtin) into a frame slot, where the interpreter's
/// `LoadGlobal` would have put it: exits taken between loading it and calling it.
pub const SET_VALUE: &str = "toyjit_set_value";

/// `ClearSlot`: drops the value in a frame slot, leaving `None`.
pub const CLEAR_SLOT: &str = "toyjit_clear_slot";

/// `ListAppend`: appends a number to the list in a frame slot and sets the call's result slot to
/// `None`, as `lst.append(x)` does.
pub const LIST_APPEND: &str = "toyjit_list_append";

/// The functions and their symbols, for `JITBuilder::symbol`.
pub fn symbols() -> [(&'static str, *const u8); 3] {
    [
        (CLEAR_SLOT, clear_slot as *const u8),
        (LIST_APPEND, list_append as *const u8),
        (SET_VALUE, set_value as *const u8),
    ]
}

extern "C" fn set_value(slot: *mut Value, value: *const Value) {
    // SAFETY: `slot` is a slot of the frame the trace runs on (see `clear_slot`); `value` is
    // one of the compiled trace's own objects, alive as long as its machine code.
    unsafe { *slot = (*value).clone() };
}

extern "C" fn clear_slot(slot: *mut Value) {
    // SAFETY: native code passes the address of a slot of the frame it runs on, a valid,
    // initialised `Value` that nothing else borrows while the trace runs.
    unsafe { *slot = Value::None };
}

/// `value_tag` and `payload` are a number's `Value` tag and its 8 payload bytes, as the trace
/// holds it unboxed.
extern "C" fn list_append(list_slot: *const Value, value_tag: u32, payload: u64, result_slot: *mut Value) {
    let value = match value_tag as u8 {
        tag::INT => Value::Int(payload as i64),
        tag::FLOAT => Value::Float(f64::from_bits(payload)),
        _ => Value::Bool(payload != 0),
    };
    // SAFETY: both are slots of the frame the trace runs on; the trace guarded that
    // `list_slot` holds a list and never writes it, and nothing else borrows the frame.
    unsafe {
        if let Value::List(list) = &*list_slot {
            list.borrow_mut().push(value);
        }
        *result_slot = Value::None;
    }
}
