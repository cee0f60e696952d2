//! Big ints in traces: the runtime functions an exit calls to write a `big` value (an int
//! beyond 64 bits, the `Rc<BigInt>`'s pointer) into a frame slot or global, counting its
//! reference. Arithmetic and comparisons on big ints are helpers (`ir/helpers.rs`, run by
//! `runtime_strings::run_helper` with the interpreter's own functions); a big int a helper
//! makes is kept alive by the garbage list, one read from a slot by the slot.
//!
//! Touches only the big ints it is given and the slot an exit writes.

use std::mem::ManuallyDrop;
use std::rc::Rc;

use num_bigint::{BigInt, Sign};

use crate::interp::objects::error::RtResult;
use crate::interp::objects::ops::{binary, compare};
use crate::interp::objects::value::Value;
use crate::jit::ir::helpers::Helper;
use crate::jit::runtime_strings::{HELPER_FAILED, borrowed_argument, result_word};
use crate::parser::ast::{BinOp, CmpOp};

/// Exits writing big ints, as `RETAIN_STR`/`SET_STR` for strings.
pub const RETAIN_BIG: &str = "toyjit_retain_big";
pub const SET_BIG: &str = "toyjit_set_big";
/// A helper on two numbers (`lower_bigints.rs`): `(helper, want, a_tag, a, b_tag, b) -> word`,
/// the generic helper's result word, without its argument buffer and dispatch.
pub const NUMBER_HELPER: &str = "toyjit_number_helper";

/// The functions and their symbols, for `JITBuilder::symbol`.
pub fn symbols() -> [(&'static str, *const u8); 3] {
    [
        (RETAIN_BIG, retain_big as *const u8),
        (SET_BIG, set_big as *const u8),
        (NUMBER_HELPER, number_helper as *const u8),
    ]
}

/// What a helper on two numbers computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NumberOperator {
    Binary(BinOp),
    Compare(CmpOp),
}

/// The operator helper `helper` is, if `NUMBER_HELPER` runs it.
pub fn number_operator(helper: Helper) -> Option<NumberOperator> {
    use NumberOperator::{Binary, Compare};
    Some(match helper {
        Helper::Add => Binary(BinOp::Add),
        Helper::Sub => Binary(BinOp::Sub),
        Helper::Mul => Binary(BinOp::Mul),
        Helper::TrueDiv => Binary(BinOp::TrueDiv),
        Helper::FloorDiv => Binary(BinOp::FloorDiv),
        Helper::Mod => Binary(BinOp::Mod),
        Helper::Pow => Binary(BinOp::Pow),
        Helper::LShift => Binary(BinOp::LShift),
        Helper::RShift => Binary(BinOp::RShift),
        Helper::BitAnd => Binary(BinOp::BitAnd),
        Helper::BitOr => Binary(BinOp::BitOr),
        Helper::BitXor => Binary(BinOp::BitXor),
        Helper::Lt => Compare(CmpOp::Lt),
        Helper::Le => Compare(CmpOp::LtE),
        Helper::Gt => Compare(CmpOp::Gt),
        Helper::Ge => Compare(CmpOp::GtE),
        Helper::Eq => Compare(CmpOp::Eq),
        Helper::Ne => Compare(CmpOp::NotEq),
        _ => return None,
    })
}

extern "C" fn number_helper(helper: u32, want: u32, a_tag: u32, a: u64, b_tag: u32, b: u64) -> i64 {
    let Some(operator) = Helper::numbered(helper).and_then(number_operator) else { return HELPER_FAILED };
    // SAFETY: the trace passes two of its own values, numbers or big ints (alive: see
    // `borrowed_big`), as their tags and payloads.
    let (x, y) = unsafe { (borrowed_argument(a_tag as u8, a), borrowed_argument(b_tag as u8, b)) };
    let result = match operator {
        NumberOperator::Binary(op) => binary(op, &x, &y),
        NumberOperator::Compare(op) => compare(op, &x, &y).map(Value::Bool),
    };
    match result {
        Ok(value) => result_word(value, want as u8),
        Err(_) => HELPER_FAILED,
    }
}

/// `a % c` where `q == a // c` and `c` is a small int (`Helper::ModOfQuotient`, paired by
/// `opt/divmod.rs`): Python's floor division makes `a == q * c + r` with `r` between 0 and `c`
/// (excluded; the sign of `c`), so `r` fits 64 bits and is `a - q * c` modulo 2**64: the
/// lowest words of `a` and `q` give it, whatever their size. A result out of that range (not
/// a quotient of this division) falls back to the full remainder.
pub fn mod_of_quotient(a: &Value, q: &Value, c: &Value) -> RtResult<Value> {
    if let (Some(a_low), Some(q_low), &Value::Int(c)) = (low_word(a), low_word(q), c)
        && c != 0
    {
        let r = a_low.wrapping_sub(q_low.wrapping_mul(c as u64)) as i64;
        let in_range = if c > 0 { (0..c).contains(&r) } else { (c + 1..=0).contains(&r) };
        if in_range {
            return Ok(Value::Int(r));
        }
    }
    binary(BinOp::Mod, a, c)
}

/// The lowest 64 bits of an int in two's complement.
fn low_word(v: &Value) -> Option<u64> {
    match v {
        &Value::Int(i) => Some(i as u64),
        &Value::Bool(b) => Some(u64::from(b)),
        Value::BigInt(b) => {
            let low = b.iter_u64_digits().next().unwrap_or(0);
            Some(if b.sign() == Sign::Minus { low.wrapping_neg() } else { low })
        }
        _ => None,
    }
}

/// The big int a trace's `big` value points to.
///
/// # Safety
/// `bits` must be the payload of a live `Value::BigInt` (kept alive by a slot or the garbage).
pub(crate) unsafe fn borrowed_big(bits: usize) -> ManuallyDrop<Rc<BigInt>> {
    // SAFETY: an `Rc<BigInt>` is one non-null pointer, and these are its bits; `ManuallyDrop`
    // keeps this copy from releasing a reference it does not own.
    unsafe { std::mem::transmute::<usize, ManuallyDrop<Rc<BigInt>>>(bits) }
}

pub(super) extern "C" fn retain_big(big: usize) {
    // SAFETY: a trace's `big` value (alive); the reference counted here is handed to `set_big`
    // by the same exit.
    std::mem::forget(Rc::clone(&*unsafe { borrowed_big(big) }));
}

pub(super) extern "C" fn set_big(slot: *mut Value, big: usize) {
    // SAFETY: `big` was counted by `retain_big` for this store, so this handle owns a
    // reference; `slot` is a slot of the frame (or a global) the trace runs on.
    unsafe { *slot = Value::BigInt(ManuallyDrop::into_inner(borrowed_big(big))) };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interp::objects::value::tag;

    fn big_value() -> (Value, Rc<BigInt>) {
        let value = Value::from_bigint(BigInt::from(u64::MAX) * 3);
        let Value::BigInt(rc) = &value else { panic!("3 * 2**64 is a big int") };
        let rc = Rc::clone(rc);
        (value, rc)
    }

    #[test]
    fn an_exit_counts_the_big_int_it_writes() {
        let (value, rc) = big_value();
        let (found, payload) = crate::jit::layout::value_words(&value);
        assert_eq!(found, tag::BIG, "a big int's tag is the one traces guard");
        // SAFETY: the payload of a live big int (`value`).
        assert!(Rc::ptr_eq(&*unsafe { borrowed_big(payload as usize) }, &rc), "its payload is the Rc's pointer");
        let mut slot = Value::None;
        retain_big(payload as usize);
        set_big(&mut slot, payload as usize);
        assert_eq!(Rc::strong_count(&rc), 3, "ours, the value's and the slot's");
        assert!(matches!(&slot, Value::BigInt(b) if **b == *rc));
        drop(slot);
        drop(value);
        assert_eq!(Rc::strong_count(&rc), 1);
    }

    #[test]
    fn a_number_helper_computes_exits_on_errors_and_keeps_big_results() {
        let (value, rc) = big_value();
        let (big_tag, big) = crate::jit::layout::value_words(&value);
        let call = |helper: Helper, want: u8, b: i64| {
            number_helper(helper.number(), u32::from(want), u32::from(big_tag), big, u32::from(tag::INT), b as u64)
        };
        // 3 * (2**64 - 1) // 3 is 2**64 - 1: still a big int, kept by the garbage.
        let quotient = call(Helper::FloorDiv, tag::BIG, 3);
        assert_ne!(quotient, HELPER_FAILED);
        // SAFETY: the garbage keeps the result alive until it is dropped.
        assert_eq!(**unsafe { borrowed_big(quotient as usize) }, BigInt::from(u64::MAX));
        crate::interp::engine::native::native_context::drop_garbage();
        assert_eq!(call(Helper::Mod, tag::INT, 1000), i64::try_from((BigInt::from(u64::MAX) * 3) % 1000).unwrap());
        assert_eq!(call(Helper::Gt, tag::BOOL, i64::MAX), 1);
        // A ZeroDivisionError, and a result of another type than the trace expects, fail.
        assert_eq!(call(Helper::FloorDiv, tag::BIG, 0), HELPER_FAILED);
        assert_eq!(call(Helper::Mod, tag::BIG, 1000), HELPER_FAILED);
        assert_eq!(number_helper(Helper::Split.number(), 0, 0, 0, 0, 0), HELPER_FAILED);
        assert_eq!(Rc::strong_count(&rc), 2, "the arguments were borrowed, not counted");
    }

    #[test]
    fn a_remainder_from_its_quotient_is_the_remainder() {
        let big = |s: &str| Value::from_bigint(s.parse::<BigInt>().unwrap());
        let dividends = [
            big("123456789012345678901234567890123456789"),
            big("-123456789012345678901234567890123456789"),
            big("340282366920938463463374607431768211456"),
            big("-18446744073709551616"),
            Value::Int(-7),
            Value::Int(i64::MIN),
        ];
        for a in &dividends {
            for c in [10, 7, -10, -3, 1, -1, 1_000_000_000_000_000_000, i64::MAX, i64::MIN] {
                let c = Value::Int(c);
                let q = binary(BinOp::FloorDiv, a, &c).unwrap();
                let expected = binary(BinOp::Mod, a, &c).unwrap();
                let got = mod_of_quotient(a, &q, &c).unwrap();
                assert_eq!(format!("{got:?}"), format!("{expected:?}"), "{a:?} % {c:?}");
            }
        }
        // Not a quotient of the division (out of range): the full remainder.
        let a = big("123456789012345678901234567890");
        assert!(matches!(mod_of_quotient(&a, &Value::Int(0), &Value::Int(10)), Ok(Value::Int(0))));
        assert!(mod_of_quotient(&a, &Value::Int(0), &Value::Int(0)).is_err(), "modulo by zero raises");
    }

    #[test]
    fn a_big_int_read_back_from_its_words_is_counted() {
        let (value, rc) = big_value();
        let (found, payload) = crate::jit::layout::value_words(&value);
        // SAFETY: the words of a live big int (`value`).
        let copy = unsafe { crate::jit::runtime_tuples::value_of_words(found, payload) };
        assert_eq!(Rc::strong_count(&rc), 3);
        drop(copy);
        assert_eq!(Rc::strong_count(&rc), 2);
    }
}
