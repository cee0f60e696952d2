//! Runtime functions for strings in traces: the helpers of `ir/helpers.rs` (one entry point,
//! [`CALL_HELPER`], that runs the interpreter's own function for an operation), counting and
//! storing a string's reference at exits, and keeping the values a loop carries alive across
//! its back edge while the garbage is dropped.
//!
//! Ownership is the tuples' rule (see `runtime_tuples.rs`): a trace's `str` value is borrowed
//! from a frame slot, a list or tuple, the trace's constants, or the garbage list, where every
//! string (or list) a helper returns is put. Touches only the values and slots it is given.

use std::cell::RefCell;
use std::mem::ManuallyDrop;
use std::rc::Rc;

use crate::interp::engine::native::native_context;
use crate::interp::objects::builtins::call_builtin;
use crate::interp::objects::error::{RtResult, index_error};
use crate::interp::objects::format::{conversion as conversion_of, format_spec};
use crate::interp::objects::host::Detached;
use crate::interp::objects::iter::str_char_at;
use crate::interp::objects::methods::call_method;
use crate::interp::objects::ops::{binary, compare, contains, get_item, get_slice, is_same, set_item, unary};
use crate::interp::objects::text::concat_all;
use crate::interp::objects::value::{DictObj, Str, Value};
use crate::jit::ir::helpers::{Helper, HelperKind};
use crate::parser::ast::{BinOp, CmpOp, UnaryOp};

/// `Helper1`..`Helper4`: runs a helper on values given as (tag, payload) pairs in memory.
pub const CALL_HELPER: &str = "toyjit_call_helper";
/// Exits writing strings, as `RETAIN_LIST`/`SET_LIST` for lists.
pub const RETAIN_STR: &str = "toyjit_retain_str";
pub const SET_STR: &str = "toyjit_set_str";
/// Exits writing dicts.
pub const RETAIN_DICT: &str = "toyjit_retain_dict";
pub const SET_DICT: &str = "toyjit_set_dict";
/// The back edge of a loop that carries heap values and makes garbage: each carried value is
/// counted (`CARRY`), then the garbage is dropped keeping those (`DROP_GARBAGE_CARRYING`).
pub const CARRY: &str = "toyjit_carry";
pub const DROP_GARBAGE_CARRYING: &str = "toyjit_drop_garbage_carrying";

/// What a helper returns when it fails (raised, or gave another type than the trace's): the
/// trace exits. A genuine result with these bits (the int `-2**63`, the float `-0.0`) exits
/// too, and the interpreter redoes the operation: slower, never wrong.
pub const HELPER_FAILED: i64 = i64::MIN;

/// The functions and their symbols, for `JITBuilder::symbol`.
pub fn symbols() -> [(&'static str, *const u8); 7] {
    [
        (RETAIN_DICT, retain_dict as *const u8),
        (SET_DICT, set_dict as *const u8),
        (CALL_HELPER, call_helper as *const u8),
        (RETAIN_STR, retain_str as *const u8),
        (SET_STR, set_str as *const u8),
        (CARRY, carry as *const u8),
        (DROP_GARBAGE_CARRYING, drop_garbage_carrying as *const u8),
    ]
}

/// The string a trace's `str` value points to.
///
/// # Safety
/// `bits` must be the payload of a live string (see the module doc).
pub(crate) unsafe fn borrowed_str(bits: usize) -> ManuallyDrop<Str> {
    // SAFETY: a `Str` is one non-null pointer to its block, and these are its bits;
    // `ManuallyDrop` keeps this copy from releasing a reference it does not own.
    unsafe { std::mem::transmute::<usize, ManuallyDrop<Str>>(bits) }
}

/// Runs `helper` on `args` with the interpreter's own functions.
pub fn run_helper(helper: Helper, args: &[Value]) -> RtResult<Value> {
    let arg = |i: usize| args.get(i).unwrap_or(&Value::None);
    let compared = |op: CmpOp| compare(op, arg(0), arg(1)).map(Value::Bool);
    match helper.kind() {
        HelperKind::Builtin(id) => call_builtin(id, args, &[], &mut Detached(&mut std::io::sink())),
        HelperKind::Method(id) => {
            call_method(arg(0), id, id.name(), args.get(1..).unwrap_or(&[]), &[], &mut Detached(&mut std::io::sink()))
        }
        HelperKind::Op => match helper {
            Helper::Add => binary(BinOp::Add, arg(0), arg(1)),
            Helper::Mul => binary(BinOp::Mul, arg(0), arg(1)),
            Helper::Mod => binary(BinOp::Mod, arg(0), arg(1)),
            Helper::Sub => binary(BinOp::Sub, arg(0), arg(1)),
            Helper::FloorDiv => binary(BinOp::FloorDiv, arg(0), arg(1)),
            Helper::TrueDiv => binary(BinOp::TrueDiv, arg(0), arg(1)),
            Helper::Pow => binary(BinOp::Pow, arg(0), arg(1)),
            Helper::LShift => binary(BinOp::LShift, arg(0), arg(1)),
            Helper::RShift => binary(BinOp::RShift, arg(0), arg(1)),
            Helper::BitAnd => binary(BinOp::BitAnd, arg(0), arg(1)),
            Helper::BitOr => binary(BinOp::BitOr, arg(0), arg(1)),
            Helper::BitXor => binary(BinOp::BitXor, arg(0), arg(1)),
            Helper::Neg => unary(UnaryOp::Neg, arg(0)),
            Helper::ModOfQuotient => super::runtime_bigints::mod_of_quotient(arg(0), arg(1), arg(2)),
            Helper::Lt => compared(CmpOp::Lt),
            Helper::Le => compared(CmpOp::LtE),
            Helper::Gt => compared(CmpOp::Gt),
            Helper::Ge => compared(CmpOp::GtE),
            Helper::Eq => compared(CmpOp::Eq),
            Helper::Ne => compared(CmpOp::NotEq),
            Helper::Format => format_value(arg(0), arg(1), arg(2)),
            Helper::Concat => Ok(concat_all(args)),
            Helper::Is => Ok(Value::Bool(is_same(arg(0), arg(1)))),
            Helper::IsNot => Ok(Value::Bool(!is_same(arg(0), arg(1)))),
            Helper::In => contains(arg(1), arg(0)).map(Value::Bool),
            Helper::NotIn => contains(arg(1), arg(0)).map(|found| Value::Bool(!found)),
            Helper::GetItem => get_item(arg(0), arg(1)),
            Helper::Slice => get_slice(arg(0), arg(1), arg(2), arg(3)),
            Helper::BuildList => Ok(Value::list(args.to_vec())),
            Helper::BuildDict => super::runtime_dicts::dict_of(args),
            Helper::SetItem => set_item(arg(0), arg(1), arg(2).clone()).map(|()| Value::None),
            Helper::CharAt => match (arg(0), arg(1)) {
                (Value::Str(text), &Value::Int(offset)) if offset >= 0 => str_char_at(text, offset as usize)
                    .map(|(ch, _)| ch)
                    .ok_or_else(|| index_error("the end of the string")),
                _ => Err(index_error("char_at of a non-string")),
            },
            other => unreachable!("{other:?} is run by the interpreter function its kind names"),
        },
    }
}

/// An f-string's `{value!conversion:spec}`, as the VM's `FormatValue` computes it.
fn format_value(value: &Value, spec: &Value, conversion: &Value) -> RtResult<Value> {
    let converted = match conversion {
        &Value::Int(c) if c != 0 => Some(Value::str(conversion_of(value, char::from(c as u8))?)),
        _ => None,
    };
    let Value::Str(spec) = spec else { return Err(index_error("a format spec that is not a string")) };
    Ok(Value::str(format_spec(converted.as_ref().unwrap_or(value), spec.as_str())?))
}

/// A value given as its tag and payload word, as a counted `Value`.
///
/// # Safety
/// A heap payload must point to a live object of the tag's type.
unsafe fn argument(value_tag: u64, payload: u64) -> Value {
    // SAFETY: the caller's promise.
    unsafe { super::runtime_tuples::value_of_words(value_tag as u8, payload) }
}

/// A value given as its tag and payload word, not counted: the trace's own value, borrowed.
///
/// # Safety
/// `value_tag` must be the tag of a number, `None`, or a live list, tuple, string or dict whose
/// pointer `payload` is (a bool's payload is 0 or 1), as a trace holds its values.
pub(crate) unsafe fn borrowed_argument(value_tag: u8, payload: u64) -> ManuallyDrop<Value> {
    use crate::jit::layout::{PAYLOAD_OFFSET, TAG_OFFSET};
    let mut value = std::mem::MaybeUninit::<Value>::zeroed();
    let base = value.as_mut_ptr() as *mut u8;
    // SAFETY: `Value` is `repr(C, u8)`, 16 bytes: the tag byte at `TAG_OFFSET`, the payload
    // word at `PAYLOAD_OFFSET` (`layout.rs`, checked by its tests); the caller's tag and payload
    // make a valid `Value` of that variant, which `ManuallyDrop` keeps from being released.
    unsafe {
        base.add(TAG_OFFSET as usize).write(value_tag);
        (base.add(PAYLOAD_OFFSET as usize) as *mut u64).write_unaligned(payload);
        ManuallyDrop::new(value.assume_init())
    }
}

/// The payload word of `value` if it has tag `want` (a heap value is kept in the garbage, the
/// trace's reference), else [`HELPER_FAILED`].
///
/// Inlined, with the common case first (a string or list, as the trace wants it: one range
/// test and the push to the garbage), so that a runtime function's result goes to the garbage
/// without a call and without the match on its kind (a jump table).
#[inline]
pub(crate) fn result_word(value: Value, want: u8) -> i64 {
    use crate::interp::objects::value::tag;
    let (found, address) = crate::jit::layout::value_words(&value);
    if found == want && (tag::BIG..=tag::DICT).contains(&found) {
        // Big ints, strings, lists, tuples and dicts (tags 5 to 9): the heap values.
        native_context::keep_until_dropped(value);
        return address as i64;
    }
    number_word(value, want)
}

/// [`result_word`] of a number, `None`, or a value of another type than `want`.
#[inline(never)]
fn number_word(value: Value, want: u8) -> i64 {
    let (found, _) = crate::jit::layout::value_words(&value);
    if found != want {
        return HELPER_FAILED;
    }
    match value {
        Value::Int(i) => i,
        Value::Float(f) => f.to_bits() as i64,
        Value::Bool(b) => i64::from(b),
        Value::None => 0,
        _ => HELPER_FAILED,
    }
}

extern "C" fn call_helper(helper: u32, want: u32, argc: u32, args: *const u64) -> i64 {
    let Some(helper) = Helper::numbered(helper) else { return HELPER_FAILED };
    let mut words = [(0u8, 0u64); 4];
    let argc = (argc as usize).min(words.len());
    for (i, word) in words[..argc].iter_mut().enumerate() {
        // SAFETY: the trace stored `argc` (tag, payload) pairs at `args`.
        *word = unsafe { (*args.add(2 * i) as u8, *args.add(2 * i + 1)) };
    }
    // SAFETY: the pairs are the trace's own values (alive, see the module doc).
    unsafe { run_on_words(helper, &words[..argc], want as u8) }
}

/// Runs `helper` on the values given as (tag, payload) pairs (at most four): its fast path
/// (`runtime_str_fast.rs`) or the interpreter's function; the result word of type `want`, or
/// [`HELPER_FAILED`]. The direct entry points (`runtime_str_methods.rs`) call this for the cases
/// their own fast paths leave.
///
/// # Safety
/// Each pair must be a trace value as [`borrowed_argument`] takes it (alive, of its tag's type).
pub(crate) unsafe fn run_on_words(helper: Helper, words: &[(u8, u64)], want: u8) -> i64 {
    // No allocation and no counting for the arguments: at most four (`Helper4`), borrowed.
    let mut values: [ManuallyDrop<Value>; 4] = Default::default();
    let argc = words.len().min(values.len());
    for (value, &(value_tag, payload)) in values[..argc].iter_mut().zip(words) {
        // SAFETY: the caller's promise.
        *value = unsafe { borrowed_argument(value_tag, payload) };
    }
    // SAFETY: `ManuallyDrop<Value>` is `repr(transparent)` over `Value`, so the slices have one
    // layout; the values are never dropped (they are borrowed).
    let values = unsafe { &*(&values[..argc] as *const [ManuallyDrop<Value>] as *const [Value]) };
    if let Some(value) = super::runtime_str_fast::run_fast(helper, values) {
        return result_word(value, want);
    }
    match run_helper(helper, values) {
        Ok(value) => result_word(value, want),
        Err(_) => HELPER_FAILED,
    }
}

pub(super) extern "C" fn retain_str(text: usize) {
    // SAFETY: a trace's `str` value (alive); the reference counted here is handed to `set_str`
    // by the same exit.
    std::mem::forget(Str::clone(&*unsafe { borrowed_str(text) }));
}

pub(super) extern "C" fn set_str(slot: *mut Value, text: usize) {
    // SAFETY: `text` was counted by `retain_str` for this store, so this handle owns a
    // reference; `slot` is a slot of the frame (or a global) the trace runs on.
    let old = unsafe { std::mem::replace(&mut *slot, Value::Str(ManuallyDrop::into_inner(borrowed_str(text)))) };
    crate::interp::objects::release::release(old);
}

/// The dict a trace's `dict` value points to.
///
/// # Safety
/// `bits` must be the payload of a live dict (kept alive as a list is, see the module doc).
pub(crate) unsafe fn borrowed_dict(bits: usize) -> ManuallyDrop<Rc<DictObj>> {
    // SAFETY: an `Rc<DictObj>` is one non-null pointer, and these are its bits; `ManuallyDrop`
    // keeps this copy from releasing a reference it does not own.
    unsafe { std::mem::transmute::<usize, ManuallyDrop<Rc<DictObj>>>(bits) }
}

pub(super) extern "C" fn retain_dict(dict: usize) {
    // SAFETY: a trace's `dict` value (alive); the reference counted here is handed to
    // `set_dict` by the same exit.
    std::mem::forget(Rc::clone(&*unsafe { borrowed_dict(dict) }));
}

pub(super) extern "C" fn set_dict(slot: *mut Value, dict: usize) {
    // SAFETY: `dict` was counted by `retain_dict` for this store, so this handle owns a
    // reference; `slot` is a slot of the frame (or a global) the trace runs on.
    unsafe { *slot = Value::Dict(ManuallyDrop::into_inner(borrowed_dict(dict))) };
}

thread_local! {
    /// The values a loop carries into its next iteration, counted at its back edge.
    static CARRIED: RefCell<Vec<Value>> = const { RefCell::new(Vec::new()) };
}

extern "C" fn carry(value_tag: u32, payload: u64) {
    // SAFETY: a trace value the loop carries (alive until the garbage is dropped).
    let value = unsafe { argument(u64::from(value_tag), payload) };
    CARRIED.with(|carried| carried.borrow_mut().push(value));
}

/// `keep_all`: nonzero when the trace calls the interpreter, whose callee may drop the other
/// references to a carried value.
extern "C" fn drop_garbage_carrying(keep_all: u32) {
    native_context::drop_garbage_at_back_edge();
    // The carried values' references go to the (new) garbage: alive for one more iteration.
    // One that something else holds too (a list, a frame slot, the table of one-char strings)
    // needs no keeping: what the trace does drops references only through the garbage (but
    // for calls in the interpreter: `keep_all`). So a
    // loop that made no new garbage leaves none, and its next back edge skips all this.
    // Emptied in place (dropping a value never reaches `CARRIED`), keeping the buffer's
    // capacity: a loop that carries a value allocates nothing for it at each back edge.
    CARRIED.with(|carried| {
        let mut carried = carried.borrow_mut();
        while let Some(value) = carried.pop() {
            if keep_all != 0 || !held_elsewhere(&value) {
                native_context::keep_until_dropped(value);
            } else {
                crate::interp::objects::release::release(value);
            }
        }
    });
}

/// Does something besides this reference hold `value` (a heap value)?
fn held_elsewhere(value: &Value) -> bool {
    // A big int is kept whatever its count: not knowing is no reason to free it.
    !matches!(value, Value::BigInt(_)) && super::runtime::heap_refcount(value).is_some_and(|count| count > 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interp::objects::value::tag;

    fn words(value: &Value) -> (u64, u64) {
        let (t, p) = crate::jit::layout::value_words(value);
        (u64::from(t), p)
    }

    #[test]
    fn a_helper_runs_the_interpreters_function_and_keeps_its_result() {
        let text = Value::Str(Str::new("a,b"));
        let sep = Value::Str(Str::new(","));
        let (t0, p0) = words(&text);
        let (t1, p1) = words(&sep);
        let args = [t0, p0, t1, p1];
        let list = call_helper(Helper::Split.number(), u32::from(tag::LIST), 2, args.as_ptr());
        assert_ne!(list, HELPER_FAILED);
        // SAFETY: the garbage keeps the list alive until it is dropped.
        let items = unsafe { super::super::runtime::borrowed_list(list as usize) };
        assert_eq!(items.borrow().len(), 2);
        native_context::drop_garbage();
        // The wrong type, and an exception, fail.
        assert_eq!(call_helper(Helper::Split.number(), u32::from(tag::STR), 2, args.as_ptr()), HELPER_FAILED);
        assert_eq!(call_helper(Helper::Int.number(), u32::from(tag::INT), 1, args.as_ptr()), HELPER_FAILED);
    }

    #[test]
    fn borrowed_arguments_read_back_without_counting() {
        let text = Str::new("xy");
        let (t, p) = words(&Value::Str(text.clone()));
        {
            // SAFETY: the tag and payload of a live string (ours).
            let borrowed = unsafe { borrowed_argument(t as u8, p) };
            assert!(matches!(&*borrowed, Value::Str(s) if s.as_str() == "xy"));
        }
        assert_eq!(text.refcount(), 1, "borrowing counted nothing");
        for value in [Value::Int(-5), Value::Bool(true), Value::Float(2.5), Value::None] {
            let (t, p) = words(&value);
            // SAFETY: a number's or None's words.
            let back = unsafe { borrowed_argument(t as u8, p) };
            assert_eq!(format!("{:?}", *back), format!("{value:?}"));
        }
    }

    #[test]
    fn an_exit_counts_the_string_it_writes() {
        let Value::Str(text) = Value::Str(Str::new("hello")) else { unreachable!() };
        let mut slot = Value::None;
        retain_str(text.addr());
        set_str(&mut slot, text.addr());
        assert_eq!(text.refcount(), 2, "ours and the slot's");
        drop(slot);
        assert_eq!(text.refcount(), 1);
    }

    #[test]
    fn carried_values_outlive_the_garbage_for_one_iteration() {
        let text = Str::new("kept");
        native_context::keep_until_dropped(Value::Str(text.clone()));
        carry(u32::from(tag::STR), text.addr() as u64);
        drop_garbage_carrying(1);
        assert_eq!(text.refcount(), 2, "ours and the carried one in the garbage");
        native_context::drop_garbage();
        assert_eq!(text.refcount(), 1);
    }

    #[test]
    fn a_carried_value_held_elsewhere_is_not_kept_but_one_only_the_trace_holds_is() {
        let shared = Str::new("shared");
        carry(u32::from(tag::STR), shared.addr() as u64);
        drop_garbage_carrying(0);
        assert_eq!(shared.refcount(), 1, "the list (here: `shared`) keeps it; the garbage does not");
        let made = Value::Str(Str::new("made"));
        let (t, p) = words(&made);
        native_context::keep_until_dropped(made);
        carry(t as u32, p);
        drop_garbage_carrying(0);
        // SAFETY: the string lives in the garbage (its only owner) until the next drop.
        let kept = unsafe { borrowed_argument(t as u8, p) };
        assert!(matches!(&*kept, Value::Str(s) if s.as_str() == "made" && s.refcount() == 1));
        native_context::drop_garbage();
    }
}
