//! Runtime functions that machine code calls, for the rare or heavy work it does not inline.
//!
//! Each is `extern "C"`, registered with every trace's `JITModule` under a symbol name (so the
//! dumped Cranelift IR shows a name, not an address). They touch only the frame slots, globals
//! and lists they are given, and never run Toy code (except `CALL_INTERP`, which is the VM's).

use std::rc::Rc;

use super::layout::TAG_OFFSET;
use crate::interp::objects::builtins::BuiltinId;
use crate::interp::objects::value::{ListObj, Value, tag};

/// The builtins traces call (inlined as IR).
pub const TRACED_BUILTINS: [BuiltinId; 8] = [
    BuiltinId::Range,
    BuiltinId::Len,
    BuiltinId::Abs,
    BuiltinId::Min,
    BuiltinId::Max,
    BuiltinId::Float,
    BuiltinId::IsInstance,
    BuiltinId::Int,
];

/// The index of a builtin in [`TRACED_BUILTINS`].
pub fn traced_builtin(id: BuiltinId) -> Option<u8> {
    TRACED_BUILTINS.iter().position(|&b| b == id).map(|i| i as u8)
}

/// Writes a `ConstObj` (a function or builtin) into a frame slot, where the interpreter's
/// `LoadGlobal` would have put it: exits taken between loading it and calling it.
pub const SET_VALUE: &str = "toyjit_set_value";

/// An exit writes lists (a trace's `ptr` values) in two steps: first it counts a reference to
/// every list it writes (`RETAIN_LIST`), then it stores each, dropping what the slot held
/// (`SET_LIST`, which takes over the counted reference). A list whose last reference an earlier
/// store drops may be written into another slot by a later one (`a, b = b, a`): counted first,
/// it is still alive.
pub const RETAIN_LIST: &str = "toyjit_retain_list";
pub const SET_LIST: &str = "toyjit_set_list";

/// `ModFloat` and `FloorDivFloat`: Python's float `%` and `//` (the interpreter's own code; the
/// trace has already exited on a zero divisor).
pub const FLOAT_MOD: &str = "toyjit_float_mod";

/// `PowInt` and `PowFloat`: `a ** b`, setting `*failed` where the trace must exit instead (a
/// negative int exponent, a result beyond 64 bits, or an error Python raises).
pub const INT_POW: &str = "toyjit_int_pow";
pub const FLOAT_POW: &str = "toyjit_float_pow";
pub const FLOAT_FLOORDIV: &str = "toyjit_float_floordiv";

/// `ClearSlot`: drops the value in a frame slot, leaving `None`.
pub const CLEAR_SLOT: &str = "toyjit_clear_slot";

/// A run of `ClearSlot`s checked with one branch (`lower_clear_slots.rs`): what `clear_slot`
/// does, for a slot of the run that holds a heap value (the branch says only that one does).
pub const CLEAR_SLOT_IF_HEAP: &str = "toyjit_clear_slot_if_heap";

/// `ListAppend`: appends a number to the list in a frame slot and sets the call's result slot to
/// `None`, as `lst.append(x)` does (a comprehension's append passes no result slot: null).
pub const LIST_APPEND: &str = "toyjit_list_append";

/// `CheckInterrupt`: the Ctrl-C flag (`interp::interrupt`), a byte that traces read. It is a
/// symbol rather than an argument so that a loop re-materializes its address where it checks,
/// instead of keeping it in a register or a stack slot across the loop.
pub const INTERRUPT_FLAG: &str = "toyjit_interrupt_flag";

/// Native calls (`EnterCheck`, `CallNative`): what the VM shares with its machine code while it
/// runs (`interp::engine::native::native_context`): frames left before the recursion limit,
/// the stack's end, the count of rebound globals.
pub const FRAMES_LEFT: &str = "toyjit_frames_left";
pub const STACK_END: &str = "toyjit_stack_end";
pub const REBINDS: &str = "toyjit_rebinds";

/// A native call (`CallNative`, `CallInterp`'s native path) whose callee exited: the VM
/// finishes the callee in the interpreter and the caller goes on with its result
/// (`interp::engine::interp_call::finish_exited_call`), or the caller exits after the call.
pub const FINISH_EXITED_CALL: &str = "toyjit_finish_exited_call";

/// `CallNative` whose callee returned a value of another type than the trace's: moves it from
/// the callee's slot 0 into the caller's result register, before the caller exits.
pub const TAKE_RESULT: &str = "toyjit_take_result";

/// `CallInterp`: runs a Toy function in the interpreter (the VM's
/// `interp::engine::interp_call::call_in_interpreter`, the one runtime function that runs Toy
/// code).
pub const CALL_INTERP: &str = "toyjit_call_interp";

/// `ComprehensionEnter` and `ComprehensionLeave`: a comprehension's frame taken from and given
/// back to the VM's recursion limit (`interp::engine::native_comprehensions`).
pub const COMPREHENSION_ENTER: &str = "toyjit_comprehension_enter";
pub const COMPREHENSION_LEAVE: &str = "toyjit_comprehension_leave";

/// `ListPop`: pops a list's last element into a frame slot; 0 if the list is empty.
pub const LIST_POP: &str = "toyjit_list_pop";

/// The functions, the interrupt flag and their symbols, for `JITBuilder::symbol`.
pub fn symbols() -> [(&'static str, *const u8); 21] {
    use crate::interp::engine::native::native_context as context;
    [
        (FRAMES_LEFT, (&context::FRAMES_LEFT as *const std::sync::atomic::AtomicI64).cast()),
        (STACK_END, (&context::STACK_END as *const std::sync::atomic::AtomicUsize).cast()),
        (REBINDS, (&context::REBINDS as *const std::sync::atomic::AtomicU64).cast()),
        (FINISH_EXITED_CALL, crate::interp::engine::interp_call::finish_exited_call as *const u8),
        (TAKE_RESULT, take_result as *const u8),
        (INTERRUPT_FLAG, crate::interp::engine::interrupt::flag_address().cast()),
        (INT_POW, int_pow as *const u8),
        (FLOAT_POW, float_pow as *const u8),
        (RETAIN_LIST, retain_list as *const u8),
        (FLOAT_MOD, float_mod as *const u8),
        (FLOAT_FLOORDIV, float_floordiv as *const u8),
        (CLEAR_SLOT, clear_slot as *const u8),
        (CLEAR_SLOT_IF_HEAP, clear_slot_if_heap as *const u8),
        (LIST_APPEND, list_append as *const u8),
        (SET_VALUE, set_value as *const u8),
        (SET_LIST, set_list as *const u8),
        (CALL_INTERP, crate::interp::engine::interp_call::call_in_interpreter as *const u8),
        (LIST_POP, list_pop as *const u8),
        (COMPREHENSION_ENTER, crate::interp::engine::native_comprehensions::comprehension_enter as *const u8),
        (COMPREHENSION_LEAVE, crate::interp::engine::native_comprehensions::comprehension_leave as *const u8),
        (super::exit_plan::WRITE_EXIT, super::exit_plan::write_exit as *const u8),
    ]
}

/// The previous floor as a word: -1 for none.
extern "C" fn take_result(from: *mut Value, to: *mut Value) {
    // SAFETY: both are slots of the frames the trace runs on (the callee's slot 0 and the
    // caller's result register: distinct slots, since the callee's frame starts above the
    // caller's registers in use), valid `Value`s nothing else borrows while it runs.
    unsafe {
        let value = std::mem::take(&mut *from);
        *to = value;
    }
}

extern "C" fn float_mod(x: f64, y: f64) -> f64 {
    crate::interp::objects::ops::float_mod(x, y).unwrap_or(f64::NAN)
}

extern "C" fn int_pow(x: i64, y: i64, failed: *mut u8) -> i64 {
    match u32::try_from(y).ok().and_then(|e| x.checked_pow(e)) {
        Some(r) => r,
        None => {
            // SAFETY: `failed` is a byte of the calling trace's stack frame.
            unsafe { *failed = 1 };
            0
        }
    }
}

extern "C" fn float_pow(x: f64, y: f64, failed: *mut u8) -> f64 {
    crate::interp::objects::ops::float_pow(x, y).unwrap_or_else(|_| {
        // SAFETY: `failed` is a byte of the calling trace's stack frame.
        unsafe { *failed = 1 };
        0.0
    })
}

extern "C" fn float_floordiv(x: f64, y: f64) -> f64 {
    crate::interp::objects::ops::float_floordiv(x, y).unwrap_or(f64::NAN)
}

/// The list a trace's `ptr` value points to: the payload of a `Value::List`, an `Rc`'s bits.
///
/// # Safety
/// `bits` must come from the payload of a `Value::List` that is still alive (traces load
/// lists from frame slots they never overwrite, so the frame keeps them alive).
pub(crate) unsafe fn borrowed_list(bits: usize) -> std::mem::ManuallyDrop<Rc<ListObj>> {
    // SAFETY: an `Rc<ListObj>` is one non-null pointer, and these are its bits (see above);
    // `ManuallyDrop` keeps this copy from releasing a reference it does not own.
    unsafe { std::mem::transmute::<usize, std::mem::ManuallyDrop<Rc<ListObj>>>(bits) }
}

pub(super) extern "C" fn retain_list(list: usize) {
    // SAFETY: `list` is a trace's `ptr` value (see `borrowed_list`): the reference this counts
    // is handed to `set_list` by the same exit.
    let list = unsafe { borrowed_list(list) };
    std::mem::forget(Rc::clone(&list));
}

pub(super) extern "C" fn set_list(slot: *mut Value, list: usize) {
    // SAFETY: `list` was counted by `retain_list` for this store, so this `Rc` owns a reference;
    // `slot` is a slot of the frame (or a global) the trace runs on (see `clear_slot`).
    unsafe { *slot = Value::List(std::mem::ManuallyDrop::into_inner(borrowed_list(list))) };
}

pub(super) extern "C" fn set_value(slot: *mut Value, value: *const Value) {
    // SAFETY: `slot` is a slot of the frame the trace runs on (see `clear_slot`); `value` is
    // one of the compiled trace's own objects, alive as long as its machine code.
    unsafe { *slot = (*value).clone() };
}

pub(super) extern "C" fn clear_slot(slot: *mut Value) {
    // SAFETY: native code passes the address of a slot of the frame it runs on, a valid,
    // initialised `Value` that nothing else borrows while the trace runs.
    let old = unsafe { std::mem::replace(&mut *slot, Value::None) };
    // Trace values may point into a list or tuple the slot held (items the trace loaded):
    // its last reference is dropped once no trace value can reach it. Another reference
    // (a tree node's parent, the list it came from, a caller's variable) is dropped at once:
    // that frees nothing, and every trace value is kept alive by where it was read from, which
    // lets go of it only into the garbage or at an exit that counts what it writes first.
    // Strings first, by one compare: `heap_refcount`'s match on the kind is an indirect jump,
    // which mispredicts when a run of clears meets strings and lists in turn. (Here, not in
    // `heap_refcount` for every caller: moved there, this function compiled to 13 more
    // instructions per iteration of bench/strings.toy, callgrind, session 23's review.)
    let last = match &old {
        Value::Str(text) => text.refcount() == 1,
        other => heap_refcount(other) == Some(1),
    };
    if last {
        crate::interp::engine::native::native_context::keep_until_dropped(old);
    } else {
        crate::interp::objects::release::release(old);
    }
}

pub(super) extern "C" fn clear_slot_if_heap(slot: *mut Value) {
    // SAFETY: as `clear_slot`'s; a `Value`'s first byte is its tag. (Kept to a load and a
    // compare when the slot holds a number: a run's other slots often do.)
    if unsafe { *slot.cast::<u8>().add(TAG_OFFSET as usize) } > tag::FLOAT {
        clear_slot(slot);
    }
}

/// How many handles share `value`'s object, if it is a heap object (a list, tuple, string,
/// dict or big int: what a trace may point to or into); `None` for numbers, bools, `None` and
/// the other kinds. The one test of "is it on the heap, and is this its last reference" for
/// the runtime's stores and its garbage.
pub(super) fn heap_refcount(value: &Value) -> Option<usize> {
    match value {
        Value::Tuple(tuple) => Some(tuple.refcount()),
        Value::Str(text) => Some(text.refcount()),
        Value::List(list) => Some(Rc::strong_count(list)),
        Value::Dict(dict) => Some(Rc::strong_count(dict)),
        Value::BigInt(big) => Some(Rc::strong_count(big)),
        _ => None,
    }
}

/// `value_tag` and `payload` are a number's `Value` tag and its 8 payload bytes, as the trace
/// holds it unboxed, or a list's tag and pointer (a trace's `ptr` value).
extern "C" fn list_append(list: usize, value_tag: u32, payload: u64, result_slot: *mut Value) {
    // SAFETY: a list or tuple payload is a trace value, alive (see `borrowed_list`).
    let value = unsafe { super::runtime_tuples::value_of_words(value_tag as u8, payload) };
    // SAFETY: `list` is a trace's `ptr` value (see `borrowed_list`); `result_slot` is null or a
    // slot of the frame the trace runs on, which nothing else borrows while it runs.
    unsafe {
        crate::interp::objects::list_growth::append(&mut borrowed_list(list).borrow_mut(), value);
        if !result_slot.is_null() {
            super::runtime_lists::set_result(result_slot, Value::None);
        }
    }
}

extern "C" fn list_pop(list: usize, result_slot: *mut Value) -> u32 {
    // SAFETY: `list` is a trace's `ptr` value (see `borrowed_list`); `result_slot` is a slot of
    // the frame the trace runs on, which nothing else borrows while it runs. The popped value
    // is moved into the slot (dropping what it held) after the list's borrow ends.
    let popped = unsafe { borrowed_list(list).borrow_mut().pop() };
    match popped {
        Some(value) => {
            // SAFETY: see above.
            unsafe { super::runtime_lists::set_result(result_slot, value) };
            1
        }
        None => 0,
    }
}
