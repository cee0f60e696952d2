//! Runtime functions for tuples in traces (and for storing heap values into lists): building
//! a tuple that escapes, filling its items, counting and storing references at exits, and
//! the store of any value into a list element.
//!
//! The ownership rule (see docs/JIT.md, "Tuples and allocation removal"): a trace value that
//! is a list or tuple is a borrowed pointer. What keeps it alive is a frame slot, a list or
//! tuple holding it, or the garbage list of `interp::engine::native::native_context`: a tuple
//! the trace builds is put there (the trace's own reference), and so is the old element a list
//! store replaces. The garbage is dropped when machine code returns to the VM, or at the back
//! edge of a loop that carries no heap pointer. Every other reference (an item, a list element,
//! a slot an exit writes) is counted. Touches only the objects and slots it is given.

use std::cmp::Ordering;
use std::mem::ManuallyDrop;
use std::rc::Rc;

use super::runtime::borrowed_list;
use crate::interp::engine::native::native_context;
use crate::interp::objects::ops::compare;
use crate::interp::objects::tuple::free_lists;
use crate::interp::objects::value::{Str, Tuple, Value, tag};
use crate::jit::ir::helpers::Helper;
use crate::jit::runtime_strings::HELPER_FAILED;
use crate::parser::ast::CmpOp;

/// `NewTuple`: a new tuple of `len` items (all `None` until `TupleInit` fills them).
pub const TUPLE_NEW: &str = "toyjit_tuple_new";
/// `NewTuple` of a tuple handed over to its one consumer (`lower_tuples::handed_over_tuples`):
/// the caller owns the reference this returns.
pub const TUPLE_ALLOC: &str = "toyjit_tuple_alloc";
/// The address of the thread's free lists of tuple blocks, which machine code pops inline
/// (`lower_tuple_blocks.rs`), read once when a function starts.
pub const TUPLE_BLOCKS: &str = "toyjit_tuple_blocks";
/// `ListStoreAny` of such a tuple: the list takes over the reference. Both list stores take a
/// last word: may the old element be freed at once (`lower_old_elements.rs`)?
pub const LIST_STORE_OWNED: &str = "toyjit_list_store_owned";
/// `TupleInit`: item `index` of a new tuple gets a value (tag and payload words).
pub const TUPLE_INIT: &str = "toyjit_tuple_init";
/// Stores of counted tuples into slots holding heap values, as `SET_LIST` for lists.
pub const SET_TUPLE: &str = "toyjit_set_tuple";
/// `ListStoreAny`: `list[index] = value` for any value.
pub const LIST_STORE_ANY: &str = "toyjit_list_store_any";
/// `x < y` and the other comparisons of two tuples, by helper number: 0 or 1, or
/// `HELPER_FAILED` where the interpreter raises (`(1, "a") < (1, 2)`).
pub const TUPLE_COMPARE: &str = "toyjit_tuple_compare";
/// The back edge of a loop that builds tuples or replaces list elements.
pub const DROP_GARBAGE: &str = "toyjit_drop_garbage";
/// `CallNative` that returned a tuple: moves it from the callee's slot 0 to the garbage.
pub const KEEP_RESULT: &str = "toyjit_keep_result";
/// `KeepAlive`: a counted reference to a value into the garbage.
pub const KEEP_ALIVE: &str = "toyjit_keep_alive";
/// A list store freeing a replaced tuple inline (`lower_old_tuples.rs`): may this run of
/// machine code free replaced elements at once (read when the function starts)? A tuple
/// block whose count machine code took to 0, freed (its items dropped); one whose items it
/// released itself, recycled.
pub const FREES_AT_ONCE: &str = "toyjit_frees_replaced_at_once";
pub const TUPLE_FREE: &str = "toyjit_tuple_free";
pub const TUPLE_RECYCLE: &str = "toyjit_tuple_recycle";

/// The functions and their symbols, for `JITBuilder::symbol`.
pub fn symbols() -> [(&'static str, *const u8); 14] {
    [
        (TUPLE_COMPARE, tuple_compare as *const u8),
        (TUPLE_BLOCKS, tuple_blocks as *const u8),
        (TUPLE_NEW, tuple_new as *const u8),
        (TUPLE_ALLOC, tuple_alloc as *const u8),
        (LIST_STORE_OWNED, list_store_owned as *const u8),
        (TUPLE_INIT, tuple_init as *const u8),
        (SET_TUPLE, set_tuple as *const u8),
        (LIST_STORE_ANY, list_store_any as *const u8),
        (DROP_GARBAGE, drop_garbage as *const u8),
        (KEEP_RESULT, keep_result as *const u8),
        (KEEP_ALIVE, keep_alive as *const u8),
        (FREES_AT_ONCE, frees_replaced_at_once as *const u8),
        (TUPLE_FREE, tuple_free as *const u8),
        (TUPLE_RECYCLE, tuple_recycle as *const u8),
    ]
}

/// The tuple a trace's `tuple` value points to (the payload of a `Value::Tuple`).
///
/// # Safety
/// `bits` must be the payload of a live tuple (see the module doc: something keeps every
/// tuple a trace points to alive).
unsafe fn borrowed_tuple(bits: usize) -> ManuallyDrop<Tuple> {
    // SAFETY: a `Tuple` is one non-null pointer to its block, and these are its bits;
    // `ManuallyDrop` keeps this copy from releasing a reference it does not own.
    unsafe { std::mem::transmute::<usize, ManuallyDrop<Tuple>>(bits) }
}

/// `x op y` of two tuples (`op` by helper number), as the interpreter compares them, without
/// the generic helper's (tag, payload) pairs: 0 or 1, or `HELPER_FAILED` where it raises, and
/// the trace exits for the interpreter to raise. Tuples of ints and strings (a heap of
/// `(distance, node)`) are decided here, without the interpreter's recursion.
extern "C" fn tuple_compare(helper: u32, x: usize, y: usize) -> i64 {
    let op = match Helper::numbered(helper) {
        Some(Helper::Eq) => CmpOp::Eq,
        Some(Helper::Ne) => CmpOp::NotEq,
        Some(Helper::Lt) => CmpOp::Lt,
        Some(Helper::Le) => CmpOp::LtE,
        Some(Helper::Gt) => CmpOp::Gt,
        Some(Helper::Ge) => CmpOp::GtE,
        _ => return HELPER_FAILED,
    };
    // SAFETY: `x` and `y` are trace `tuple` values, alive (see the module doc).
    let (x, y) = unsafe { (borrowed_tuple(x), borrowed_tuple(y)) };
    if let Some(answer) = compare_ints_and_strs(op, &x, &y) {
        return i64::from(answer);
    }
    // Values that borrow the tuples: never dropped, so no count changes.
    let (x, y) = (
        ManuallyDrop::new(Value::Tuple(ManuallyDrop::into_inner(x))),
        ManuallyDrop::new(Value::Tuple(ManuallyDrop::into_inner(y))),
    );
    match compare(op, &x, &y) {
        Ok(answer) => i64::from(answer),
        Err(_) => HELPER_FAILED,
    }
}

/// `x op y` decided item by item while the items met are ints or strings (what the
/// interpreter's comparison answers for them, without its recursion); `None` at any other
/// item, for the interpreter's comparison to decide (and raise).
fn compare_ints_and_strs(op: CmpOp, x: &[Value], y: &[Value]) -> Option<bool> {
    if matches!(op, CmpOp::Eq | CmpOp::NotEq) && x.len() != y.len() {
        return Some(op == CmpOp::NotEq);
    }
    let mut order = x.len().cmp(&y.len());
    for (p, q) in x.iter().zip(y) {
        let items = match (p, q) {
            (Value::Int(p), Value::Int(q)) => p.cmp(q),
            (Value::Str(p), Value::Str(q)) => p.as_bytes().cmp(q.as_bytes()),
            _ => return None,
        };
        if items != Ordering::Equal {
            order = items;
            break;
        }
    }
    Some(match op {
        CmpOp::Eq => order == Ordering::Equal,
        CmpOp::NotEq => order != Ordering::Equal,
        CmpOp::Lt => order == Ordering::Less,
        CmpOp::LtE => order != Ordering::Greater,
        CmpOp::Gt => order == Ordering::Greater,
        _ => order != Ordering::Less,
    })
}

/// The value a trace holds as a tag and a payload word, as a counted `Value`.
///
/// # Safety
/// A list, tuple or string payload must point to a live object.
pub(crate) unsafe fn value_of_words(value_tag: u8, payload: u64) -> Value {
    match value_tag {
        tag::INT => Value::Int(payload as i64),
        tag::FLOAT => Value::Float(f64::from_bits(payload)),
        tag::BOOL => Value::Bool(payload != 0),
        tag::NONE => Value::None,
        // SAFETY (both): the caller's promise; cloning counts the new reference.
        tag::TUPLE => Value::Tuple(Tuple::clone(&*unsafe { borrowed_tuple(payload as usize) })),
        tag::DICT => Value::Dict(Rc::clone(&*unsafe { super::runtime_strings::borrowed_dict(payload as usize) })),
        tag::BIG => Value::BigInt(Rc::clone(&*unsafe { super::runtime_bigints::borrowed_big(payload as usize) })),
        tag::STR => Value::Str(Str::clone(&*unsafe { super::runtime_strings::borrowed_str(payload as usize) })),
        _ => Value::List(Rc::clone(&*unsafe { borrowed_list(payload as usize) })),
    }
}

pub(super) extern "C" fn tuple_new(len: i64) -> usize {
    let tuple = Tuple::from_fn(len as usize, |_| Value::None);
    let address = tuple.addr();
    // The trace's own reference: alive until the garbage is dropped.
    native_context::keep_until_dropped(Value::Tuple(tuple));
    address
}

/// A new tuple of `len` items, its one reference owned by the caller; its items are NOT
/// initialised: `lower_tuples::handed_over_tuples` hands a tuple over only when a `TupleInit`
/// writes each of its items before anything can exit, read it or run other code.
pub(super) extern "C" fn tuple_alloc(len: i64) -> usize {
    // SAFETY: the trace writes every item before the tuple is read, counted or dropped (the
    // condition above), and `tuple_init` writes an item without dropping what was there.
    let tuple = ManuallyDrop::new(unsafe { Tuple::allocate(len as usize) });
    tuple.addr()
}

extern "C" fn tuple_blocks() -> *mut free_lists::Lists {
    free_lists::this_thread()
}

extern "C" fn list_store_owned(list: usize, index: i64, tuple: usize, free_old: i64) {
    // SAFETY: `tuple` is a reference the trace hands over (`tuple_alloc`), so this handle owns
    // it and the list takes it without counting again; the rest as for `replace_element`.
    unsafe { replace_element(list, index, Value::Tuple(ManuallyDrop::into_inner(borrowed_tuple(tuple))), free_old) }
}

/// `list[index] = value` (the list takes `value`'s reference). The old element, if a heap
/// value, goes to the garbage — trace values may still point to it or into it — unless the
/// trace frees it at once (`free_old`, `lower_old_elements::frees_old_element`: nothing that
/// may point into it is used before the back edge) and the back edge would drop this
/// iteration's garbage anyway (`native_context::back_edge_drops_new_garbage`).
///
/// # Safety
/// `list` is a trace value (alive); `index` was normalised and checked by `ListIndex`, and
/// nothing resized the list since (a trace that appends reloads lengths; `ListIndex` comes
/// right before the store).
unsafe fn replace_element(list: usize, index: i64, value: Value, free_old: i64) {
    let list = unsafe { borrowed_list(list) };
    let old = std::mem::replace(&mut list.borrow_mut()[index as usize], value);
    if super::runtime::heap_refcount(&old).is_some()
        && (free_old == 0 || !native_context::back_edge_drops_new_garbage())
    {
        native_context::keep_until_dropped(old);
    } else if let Value::Tuple(tuple) = old {
        // The common case (a list of records, points or pairs), released without the drop
        // glue's match over every variant.
        drop(tuple);
    }
    // Else `old` is dropped here, the list's borrow released first.
}

pub(super) extern "C" fn tuple_init(tuple: usize, index: i64, value_tag: u32, payload: u64) {
    // SAFETY: `tuple` was just built by `tuple_new` (kept alive by the garbage list) or
    // `tuple_alloc` (owned by the trace) and no one else has seen it yet, so writing its item
    // is writing a fresh object; the item is `None` (`tuple_new`) or not initialised
    // (`tuple_alloc`): written without dropping it. `index` is below its length (the trace
    // builds tuples from its own items); the payload is a trace value (alive, see the module
    // doc).
    unsafe {
        let tuple = borrowed_tuple(tuple);
        tuple.items_ptr().add(index as usize).write(value_of_words(value_tag as u8, payload));
    }
}

pub(super) fn retain_tuple(tuple: usize) {
    // SAFETY: a trace's `tuple` value (alive); the reference counted here is handed to
    // `set_tuple` by the same exit.
    std::mem::forget(Tuple::clone(&*unsafe { borrowed_tuple(tuple) }));
}

pub(super) extern "C" fn set_tuple(slot: *mut Value, tuple: usize) {
    // SAFETY: `tuple` was counted by `retain_tuple` for this store, so this handle owns a
    // reference; `slot` is a slot of the frame (or a global) the trace runs on.
    unsafe { *slot = Value::Tuple(ManuallyDrop::into_inner(borrowed_tuple(tuple))) };
}

extern "C" fn list_store_any(list: usize, index: i64, value_tag: u32, payload: u64, free_old: i64) {
    // SAFETY: a heap payload is a trace value (alive; counted by `value_of_words`); the rest
    // as for `replace_element`.
    unsafe { replace_element(list, index, value_of_words(value_tag as u8, payload), free_old) }
}

extern "C" fn keep_alive(value_tag: u32, payload: u64) {
    // SAFETY: a trace value (alive now); the reference counted here is the garbage's.
    native_context::keep_until_dropped(unsafe { value_of_words(value_tag as u8, payload) });
}

extern "C" fn keep_result(slot: *mut Value) {
    // SAFETY: `slot` is the slot 0 of a native callee's frame, which the trace runs on and
    // nothing else borrows; the value moves out (leaving None), so it is owned once.
    let value = unsafe { std::mem::replace(&mut *slot, Value::None) };
    native_context::keep_until_dropped(value);
}

/// Read once per run of a function whose list stores free a replaced tuple inline: nothing in
/// such a trace calls other code, so the answer holds for the whole run.
extern "C" fn frees_replaced_at_once() -> i64 {
    i64::from(native_context::back_edge_drops_new_garbage())
}

extern "C" fn tuple_free(tuple: usize) {
    // SAFETY: machine code took the count of this live block to 0 (it held the last
    // reference, the list element it just overwrote), and its items are intact.
    unsafe { crate::interp::objects::tuple::free_unreferenced(tuple) }
}

extern "C" fn tuple_recycle(tuple: usize) {
    // SAFETY: as for `tuple_free`, and machine code released every item already.
    unsafe { crate::interp::objects::tuple::recycle_released(tuple) }
}

extern "C" fn drop_garbage() {
    native_context::drop_garbage_at_back_edge();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_built_tuple_lives_in_the_garbage_until_an_exit_counts_it() {
        let address = tuple_new(2);
        tuple_init(address, 0, u32::from(tag::INT), 7);
        tuple_init(address, 1, u32::from(tag::FLOAT), 2.5f64.to_bits());
        let mut slot = Value::None;
        retain_tuple(address);
        set_tuple(&mut slot, address);
        native_context::drop_garbage();
        let Value::Tuple(t) = &slot else { panic!("not a tuple: {slot:?}") };
        assert_eq!(t.refcount(), 1, "the slot's reference alone");
        assert!(matches!(t[..], [Value::Int(7), Value::Float(f)] if f == 2.5));
    }

    #[test]
    fn a_handed_over_tuple_is_owned_by_the_list_alone() {
        let old = Tuple::from_vec(vec![Value::Int(1)]);
        let list = Value::list(vec![Value::Tuple(old.clone())]);
        let address = tuple_alloc(2);
        tuple_init(address, 0, u32::from(tag::INT), 5);
        tuple_init(address, 1, u32::from(tag::BOOL), 1);
        list_store_owned(crate::jit::layout::value_words(&list).1 as usize, 0, address, 0);
        native_context::drop_garbage();
        assert_eq!(old.refcount(), 1, "the old element left the list and the garbage");
        let Value::List(items) = &list else { unreachable!() };
        let Value::Tuple(new) = &items.borrow()[0] else { panic!("not a tuple") };
        assert_eq!(new.refcount(), 1, "the list's reference alone: no garbage entry, no extra count");
        assert!(matches!(new[..], [Value::Int(5), Value::Bool(true)]));
    }

    #[test]
    fn a_list_store_keeps_the_old_element_until_the_garbage_is_dropped() {
        let old = Value::Tuple(Tuple::from_vec(vec![Value::Int(1)]));
        let Value::Tuple(old_tuple) = &old else { unreachable!() };
        let watch = old_tuple.clone();
        let list = Value::list(vec![old]);
        let new = Tuple::from_vec(vec![Value::Int(2)]);
        list_store_any(
            crate::jit::layout::value_words(&list).1 as usize,
            0,
            u32::from(tag::TUPLE),
            new.addr() as u64,
            0,
        );
        assert_eq!(watch.refcount(), 2, "the garbage's reference and ours");
        assert_eq!(new.refcount(), 2, "the list counted its reference");
        native_context::drop_garbage();
        assert_eq!(watch.refcount(), 1);
    }

    #[test]
    fn tuple_comparisons_agree_with_the_interpreter_and_fail_where_it_raises() {
        use crate::jit::runtime_strings::run_helper;
        let t = |items: Vec<Value>| Tuple::from_vec(items);
        let (i, f, s) = (Value::Int, Value::Float, |x: &str| Value::Str(Str::new(x)));
        let tuples = [
            t(vec![]),
            t(vec![i(1)]),
            t(vec![i(1), i(2)]),
            t(vec![i(1), i(3)]),
            t(vec![i(2), i(0)]),
            t(vec![f(1.0), i(2)]),
            t(vec![f(f64::NAN), i(2)]),
            t(vec![Value::Bool(true), i(2), i(0)]),
            t(vec![i(1), s("a")]),
            t(vec![s("a"), i(1)]),
            t(vec![Value::Tuple(t(vec![i(1)])), i(1)]),
            t(vec![s("a"), s("b")]),
            t(vec![s("a"), s("é")]),
            t(vec![i(1), s("a"), i(0)]),
        ];
        for helper in [Helper::Eq, Helper::Ne, Helper::Lt, Helper::Le, Helper::Gt, Helper::Ge] {
            for x in &tuples {
                for y in &tuples {
                    let generic = run_helper(helper, &[Value::Tuple(x.clone()), Value::Tuple(y.clone())]);
                    let want = match generic {
                        Ok(Value::Bool(b)) => i64::from(b),
                        _ => HELPER_FAILED,
                    };
                    assert_eq!(tuple_compare(helper.number(), x.addr(), y.addr()), want, "{x:?} {helper:?} {y:?}");
                }
            }
        }
        // `(1, "a") < (1, 2)` raises; the counts are untouched.
        assert_eq!(tuple_compare(Helper::Lt.number(), tuples[8].addr(), tuples[2].addr()), HELPER_FAILED);
        assert!(tuples.iter().all(|x| x.refcount() == 1));
    }
}
