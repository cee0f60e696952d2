//! Runtime functions for lists in traces beyond `append` and `pop` (`runtime.rs`): the list
//! methods a trace calls (`ListExtend`, `ListInsert`, `ListReverse`), each run by the interpreter's own method
//! and returning a status the trace checks, and the garbage floor around a native call (the
//! callee's loops drop only the garbage they made, never what the caller's trace still holds).
//!
//! Ownership is the tuples' rule (see `runtime_tuples.rs`): a trace's `ptr` value is borrowed
//! from a frame slot, a list or tuple, or the garbage list. Touches only the values and slots it
//! is given, and the garbage floor.

use std::rc::Rc;

use crate::interp::engine::native::native_context::{self, FloorMark};
use crate::interp::objects::host::Detached;
use crate::interp::objects::methods::{MethodId, call_method};
use crate::interp::objects::value::Value;

use super::runtime::borrowed_list;
use super::runtime_tuples::value_of_words;

/// `ListExtend`: `list.extend(value)`; 1 if it ran, 0 if it raised (nothing changed).
pub const LIST_EXTEND: &str = "toyjit_list_extend";
/// `ListInsert`: `list.insert(index, value)`; 1 if it ran, 0 if it raised (nothing changed).
pub const LIST_INSERT: &str = "toyjit_list_insert";
/// `ListReverse`: `list.reverse()`; 1 (it cannot raise).
pub const LIST_REVERSE: &str = "toyjit_list_reverse";
/// Around a native call from a trace holding values in the garbage: the floor the callee's
/// back edges drop the garbage down to (`native_context::garbage_floor_starts`), and back.
pub const FLOOR_STARTS: &str = "toyjit_native_floor_starts";
pub const FLOOR_ENDS: &str = "toyjit_native_floor_ends";
/// As [`FLOOR_ENDS`], dropping the callee's garbage first (`jit/lower_call_garbage.rs` says
/// when the caller may).
pub const FLOOR_ENDS_DROPPING: &str = "toyjit_native_floor_ends_dropping";
/// Around a native call whose caller may use, after it, what the callee lets go of: the floor
/// as [`FLOOR_STARTS`] and [`FLOOR_ENDS`], and no callee's garbage dropped at its return
/// meanwhile (`native_context::borrowing_call_starts`).
pub const BORROWING_CALL_STARTS: &str = "toyjit_native_borrowing_call_starts";
pub const BORROWING_CALL_ENDS: &str = "toyjit_native_borrowing_call_ends";

/// The functions and their symbols, for `JITBuilder::symbol`.
pub fn symbols() -> [(&'static str, *const u8); 8] {
    [
        (LIST_EXTEND, list_extend as *const u8),
        (LIST_REVERSE, list_reverse as *const u8),
        (LIST_INSERT, list_insert as *const u8),
        (FLOOR_STARTS, floor_starts as *const u8),
        (FLOOR_ENDS, floor_ends as *const u8),
        (FLOOR_ENDS_DROPPING, floor_ends_dropping as *const u8),
        (BORROWING_CALL_STARTS, borrowing_call_starts as *const u8),
        (BORROWING_CALL_ENDS, borrowing_call_ends as *const u8),
    ]
}

/// Runs list method `method` of the trace's list `list` with `args` (counted values), and
/// writes its `None` into `result_slot`; 1 if it ran, 0 if it raised.
///
/// # Safety
/// `list` must be a trace's `ptr` value (alive, see `borrowed_list`) and `result_slot` a slot of
/// the frame the trace runs on, which nothing else borrows while it runs.
unsafe fn run_list_method(list: usize, method: MethodId, args: &[Value], result_slot: *mut Value) -> u32 {
    // SAFETY: the caller's promise; cloning counts the reference this handle owns.
    let list = Value::List(Rc::clone(&*unsafe { borrowed_list(list) }));
    match call_method(&list, method, method.name(), args, &[], &mut Detached(&mut std::io::sink())) {
        Ok(_) => {
            // SAFETY: the caller's promise.
            unsafe { set_result(result_slot, Value::None) };
            1
        }
        Err(_) => 0,
    }
}

/// Writes a list method's result (`None`, a popped element) into its register. The register's
/// old value goes to the garbage if it is a heap value: trace values may still point to it (a
/// side trace read it at entry, a `Move` copied it), so it lives until the garbage is dropped.
///
/// # Safety
/// `result_slot` is a slot of the frame the trace runs on, which nothing else borrows.
pub(super) unsafe fn set_result(result_slot: *mut Value, value: Value) {
    // SAFETY: the caller's promise.
    let old = unsafe { std::mem::replace(&mut *result_slot, value) };
    if !matches!(old, Value::Int(_) | Value::Float(_) | Value::Bool(_) | Value::None) {
        native_context::keep_until_dropped(old);
    }
}

extern "C" fn list_extend(list: usize, value_tag: u32, payload: u64, result_slot: *mut Value) -> u32 {
    // SAFETY: the trace's own value (alive); `value_of_words` counts the reference it makes.
    let value = unsafe { value_of_words(value_tag as u8, payload) };
    // SAFETY: `list` and `result_slot` are what `ListExtend` passes (see `run_list_method`).
    unsafe { run_list_method(list, MethodId::Extend, &[value], result_slot) }
}

extern "C" fn list_insert(list: usize, index: i64, value_tag: u32, payload: u64, result_slot: *mut Value) -> u32 {
    // SAFETY: the trace's own value (alive); `value_of_words` counts the reference it makes.
    let value = unsafe { value_of_words(value_tag as u8, payload) };
    // SAFETY: `list` and `result_slot` are what `ListInsert` passes (see `run_list_method`).
    unsafe { run_list_method(list, MethodId::Insert, &[Value::Int(index), value], result_slot) }
}

extern "C" fn list_reverse(list: usize, result_slot: *mut Value) -> u32 {
    // SAFETY: `list` and `result_slot` are what `ListReverse` passes (see `run_list_method`).
    unsafe { run_list_method(list, MethodId::Reverse, &[], result_slot) }
}

/// What [`floor_ends`] restores, as a word (`native_context::FloorMark::to_word`).
extern "C" fn floor_starts() -> i64 {
    native_context::garbage_floor_starts().to_word()
}

extern "C" fn floor_ends(mark: i64) {
    native_context::garbage_floor_ends(FloorMark::from_word(mark));
}

extern "C" fn floor_ends_dropping(mark: i64) {
    native_context::garbage_floor_ends_dropping(FloorMark::from_word(mark));
}

/// As [`floor_starts`], for a call whose caller borrows (see [`BORROWING_CALL_STARTS`]).
extern "C" fn borrowing_call_starts() -> i64 {
    native_context::borrowing_call_starts().to_word()
}

extern "C" fn borrowing_call_ends(mark: i64) {
    native_context::borrowing_call_ends(FloorMark::from_word(mark));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(value: &Value) -> (u64, u64) {
        let (t, p) = crate::jit::layout::value_words(value);
        (u64::from(t), p)
    }

    fn list_of(items: &[i64]) -> Value {
        Value::list(items.iter().map(|&i| Value::Int(i)).collect())
    }

    fn list_address(list: &Value) -> usize {
        words(list).1 as usize
    }

    #[test]
    fn extend_with_itself_doubles_and_writes_none() {
        let list = list_of(&[1, 2]);
        let (t, p) = words(&list);
        let mut result = Value::Int(7);
        assert_eq!(list_extend(list_address(&list), t as u32, p, &mut result), 1);
        assert_eq!(format!("{list:?}"), format!("{:?}", list_of(&[1, 2, 1, 2])));
        assert!(matches!(result, Value::None));
        let Value::List(rc) = &list else { unreachable!() };
        assert_eq!(Rc::strong_count(rc), 1, "no reference leaked");
    }

    #[test]
    fn extend_with_a_number_fails_without_changing_anything() {
        let list = list_of(&[1]);
        let mut result = Value::Int(7);
        let (t, p) = words(&Value::Int(3));
        assert_eq!(list_extend(list_address(&list), t as u32, p, &mut result), 0);
        assert_eq!(format!("{list:?}"), format!("{:?}", list_of(&[1])));
        assert!(matches!(result, Value::Int(7)));
    }

    #[test]
    fn insert_clamps_its_index_as_python_does() {
        let list = list_of(&[1, 2, 3]);
        let mut result = Value::Int(7);
        let (t, p) = words(&Value::Int(9));
        assert_eq!(list_insert(list_address(&list), -100, t as u32, p, &mut result), 1);
        assert_eq!(list_insert(list_address(&list), 100, t as u32, p, &mut result), 1);
        assert_eq!(list_insert(list_address(&list), -1, t as u32, p, &mut result), 1);
        assert_eq!(format!("{list:?}"), format!("{:?}", list_of(&[9, 1, 2, 3, 9, 9])));
    }

    #[test]
    fn a_native_floor_keeps_the_callers_garbage() {
        let (callers, callees) = (list_of(&[1]), list_of(&[2]));
        native_context::drop_garbage();
        native_context::keep_until_dropped(callers.clone());
        let previous = floor_starts();
        native_context::keep_until_dropped(callees.clone());
        native_context::drop_garbage_at_back_edge();
        floor_ends(previous);
        assert_eq!(previous >> 1, 0, "no floor below (bit 0: whether garbage lay above it)");
        let count = |list: &Value| match list {
            Value::List(rc) => Rc::strong_count(rc),
            _ => 0,
        };
        assert_eq!((count(&callers), count(&callees)), (2, 1), "the callee's back edge dropped only its own garbage");
        native_context::drop_garbage();
        assert_eq!(count(&callers), 1);
    }

    #[test]
    fn a_native_return_drops_the_callees_garbage_unless_a_caller_borrows() {
        let count = |list: &Value| match list {
            Value::List(rc) => Rc::strong_count(rc),
            _ => 0,
        };
        let (callers, callees, borrowed) = (list_of(&[1]), list_of(&[2]), list_of(&[3]));
        native_context::drop_garbage();
        native_context::keep_until_dropped(callers.clone());
        let outer = floor_starts();
        native_context::keep_until_dropped(callees.clone());
        // The flag is shared by the test threads: another may have cleared it since.
        native_context::GARBAGE_MADE.store(1, std::sync::atomic::Ordering::Relaxed);
        floor_ends_dropping(outer);
        assert_eq!((count(&callers), count(&callees)), (2, 1), "only the callee's garbage went");
        // A caller that may still use what its callee lets go of: no deeper return drops.
        let borrowing = borrowing_call_starts();
        let inner = floor_starts();
        native_context::keep_until_dropped(borrowed.clone());
        floor_ends_dropping(inner);
        borrowing_call_ends(borrowing);
        assert_eq!(count(&borrowed), 2, "kept while the borrowing call ran");
        native_context::drop_garbage();
        assert_eq!((count(&callers), count(&borrowed)), (1, 1));
    }
}
