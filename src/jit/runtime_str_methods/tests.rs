//! Each direct entry point gives what the generic helper gives (the interpreter's own function),
//! value for value, and fails where it raises.

use super::*;
use crate::interp::engine::native::native_context;
use crate::interp::objects::value::Str;
use crate::jit::layout::value_words;
use crate::jit::runtime_strings::{borrowed_argument, run_helper};

/// What a result word of type `result` reads as, for comparing (`None` for a failure).
fn shown(word: i64, result: Type) -> Option<String> {
    if word == HELPER_FAILED {
        return None;
    }
    let value_tag = match result {
        Type::Str => tag::STR,
        Type::Ptr => tag::LIST,
        Type::Int => tag::INT,
        _ => tag::BOOL,
    };
    // SAFETY: a result word of that type (a new value lives in the garbage until it is dropped).
    let value = unsafe { borrowed_argument(value_tag, word as u64) };
    Some(format!("{:?}", *value))
}

/// Runs `METHODS[index]` on `args` (ints and `None`s for `IntOrNone` operands).
fn run_direct(index: usize, args: &[Value]) -> i64 {
    let mut words: Vec<u64> = Vec::new();
    let mut nones = 0u32;
    for (i, arg) in args.iter().enumerate() {
        if matches!(arg, Value::None) {
            nones |= 1 << i;
            words.push(0);
        } else {
            words.push(value_words(arg).1);
        }
    }
    let function = METHODS[index].function;
    // SAFETY: each function is `extern "C"` over the words its operands name (and the mask for
    // slices); `args` are alive for the call.
    unsafe {
        match (words.as_slice(), METHODS[index].takes_none_mask()) {
            (&[a], false) => std::mem::transmute::<*const u8, extern "C" fn(u64) -> i64>(function)(a),
            (&[a, b], false) => std::mem::transmute::<*const u8, extern "C" fn(u64, u64) -> i64>(function)(a, b),
            (&[a, b, c], false) => {
                std::mem::transmute::<*const u8, extern "C" fn(u64, u64, u64) -> i64>(function)(a, b, c)
            }
            (&[a, b, c, d], true) => std::mem::transmute::<*const u8, extern "C" fn(u64, u64, u64, u64, u32) -> i64>(
                function,
            )(a, b, c, d, nones),
            _ => panic!("no call shape for {}", METHODS[index].symbol),
        }
    }
}

fn check(helper: Helper, args: Vec<Value>) {
    let index = METHODS
        .iter()
        .position(|m| {
            m.helper == helper
                && m.operands.len() == args.len()
                && m.operands.iter().zip(&args).all(|(o, a)| match (o, a) {
                    (Operand::Str, Value::Str(_)) | (Operand::List, Value::List(_)) | (Operand::Int, Value::Int(_)) => {
                        true
                    }
                    (Operand::IntOrNone, Value::Int(_) | Value::None) => true,
                    _ => false,
                })
        })
        .unwrap_or_else(|| panic!("no direct entry for {helper:?} on {args:?}"));
    let result = METHODS[index].result;
    let direct = shown(run_direct(index, &args), result);
    let generic = run_helper(helper, &args).ok().map(|v| format!("{v:?}"));
    assert_eq!(direct, generic, "{helper:?} on {args:?}");
    native_context::drop_garbage();
}

fn s(text: &str) -> Value {
    Value::Str(Str::new(text))
}

#[test]
fn direct_methods_agree_with_the_interpreter() {
    let texts = ["", "a", "  a b\tc  ", "GET /x/y.html", "é-é.html", "naïve Straße", "日本 語", "a--b-", "qq"];
    for x in texts {
        check(Helper::Split, vec![s(x)]);
        check(Helper::Upper, vec![s(x)]);
        check(Helper::Lower, vec![s(x)]);
        for y in ["", "-", "é", ".html", "a", "q", "本", "--"] {
            check(Helper::Split, vec![s(x), s(y)]);
            check(Helper::Find, vec![s(x), s(y)]);
            check(Helper::Startswith, vec![s(x), s(y)]);
            check(Helper::Endswith, vec![s(x), s(y)]);
            check(Helper::In, vec![s(y), s(x)]);
            check(Helper::NotIn, vec![s(y), s(x)]);
            check(Helper::Replace, vec![s(x), s(y), s("<é>")]);
            check(Helper::Replace, vec![s(x), s(y), s("")]);
        }
        for i in [-10, -3, -1, 0, 1, 2, 9, i64::MIN, i64::MAX] {
            check(Helper::GetItem, vec![s(x), Value::Int(i)]);
        }
        let bounds = [
            Value::None,
            Value::Int(i64::MIN),
            Value::Int(-20),
            Value::Int(-2),
            Value::Int(0),
            Value::Int(1),
            Value::Int(3),
            Value::Int(99),
            Value::Int(i64::MAX),
        ];
        for lower in &bounds {
            for upper in &bounds {
                for step in [
                    Value::None,
                    Value::Int(1),
                    Value::Int(2),
                    Value::Int(-1),
                    Value::Int(-3),
                    Value::Int(0),
                    Value::Int(i64::MIN),
                    Value::Int(i64::MAX),
                ] {
                    check(Helper::Slice, vec![s(x), lower.clone(), upper.clone(), step.clone()]);
                    let list = Value::list(x.chars().map(|c| s(&c.to_string())).collect());
                    check(Helper::Slice, vec![list, lower.clone(), upper.clone(), step]);
                }
            }
        }
    }
    for sep in ["", "-", "é"] {
        for items in [vec![], vec![s("a")], vec![s("a"), s(""), s("日本")], vec![s("x"), Value::Int(1)]] {
            check(Helper::Join, vec![s(sep), Value::list(items)]);
        }
    }
}
