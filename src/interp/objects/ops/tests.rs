//! Unit tests of the operators (expected strings come from CPython 3.11).

use super::*;
use crate::interp::objects::error::RtError;
use crate::interp::objects::format::{exc_line, repr};
use crate::parser::ast::{BinOp, CmpOp, UnaryOp};
use num_bigint::BigInt;

fn show(r: RtResult<Value>) -> String {
    match r {
        Ok(v) => repr(&v).unwrap_or_else(|e| format!("!{}", exc_line(&e.0))),
        Err(e) => format!("!{}", exc_line(&e.0)),
    }
}

fn err(e: RtError) -> String {
    format!("!{}", exc_line(&e.0))
}

fn big(s: &str) -> Value {
    Value::from_bigint(s.parse::<BigInt>().unwrap())
}

fn i(n: i64) -> Value {
    Value::Int(n)
}

fn f(x: f64) -> Value {
    Value::Float(x)
}

fn bin(op: BinOp, a: Value, b: Value) -> String {
    show(binary(op, &a, &b))
}

#[test]
fn int_edges_promote_and_normalise() {
    let min = i(i64::MIN);
    assert_eq!(show(unary(UnaryOp::Neg, &min)), "9223372036854775808");
    assert_eq!(bin(BinOp::FloorDiv, min.clone(), i(-1)), "9223372036854775808");
    assert_eq!(bin(BinOp::Mod, min.clone(), i(-1)), "0");
    assert_eq!(bin(BinOp::Add, i(i64::MAX), i(1)), "9223372036854775808");
    assert_eq!(bin(BinOp::Mul, i(i64::MAX), i(2)), "18446744073709551614");
    assert!(matches!(binary(BinOp::Sub, &big("9223372036854775808"), &i(1)).unwrap(), Value::Int(i64::MAX)));
    assert!(matches!(unary(UnaryOp::Neg, &big("9223372036854775808")).unwrap(), Value::Int(i64::MIN)));
    assert_eq!(bin(BinOp::Pow, i(2), i(100)), "1267650600228229401496703205376");
    assert_eq!(bin(BinOp::Pow, i(2), i(-1)), "0.5");
    assert_eq!(bin(BinOp::LShift, i(1), i(64)), "18446744073709551616");
    assert_eq!(bin(BinOp::LShift, i(-1), i(63)), "-9223372036854775808");
    assert_eq!(bin(BinOp::RShift, big("-1180591620717411303424"), i(200)), "-1");
    assert_eq!(bin(BinOp::RShift, big("-1180591620717411303425"), i(1)), "-590295810358705651713");
    assert_eq!(bin(BinOp::BitAnd, big("-1180591620717411303425"), i(0xff)), "255");
    assert_eq!(show(unary(UnaryOp::Invert, &big("9223372036854775808"))), "-9223372036854775809");
    assert_eq!(bin(BinOp::Add, Value::Bool(true), i(1)), "2");
    assert_eq!(bin(BinOp::BitAnd, Value::Bool(true), Value::Bool(true)), "True");
    assert_eq!(bin(BinOp::BitOr, Value::Bool(true), i(2)), "3");
    assert_eq!(show(unary(UnaryOp::Invert, &Value::Bool(true))), "-2");
    assert_eq!(show(unary(UnaryOp::Pos, &Value::Bool(true))), "1");
}

#[test]
fn floor_division_and_modulo_signs() {
    assert_eq!(bin(BinOp::FloorDiv, i(-7), i(2)), "-4");
    assert_eq!(bin(BinOp::Mod, i(-7), i(2)), "1");
    assert_eq!(bin(BinOp::Mod, i(7), i(-2)), "-1");
    assert_eq!(bin(BinOp::FloorDiv, f(-7.5), i(2)), "-4.0");
    assert_eq!(bin(BinOp::Mod, f(-7.5), i(2)), "0.5");
    assert_eq!(bin(BinOp::Mod, f(7.5), i(-2)), "-0.5");
    assert_eq!(bin(BinOp::Mod, f(-0.0), i(5)), "0.0");
    assert_eq!(bin(BinOp::Mod, f(0.0), i(-5)), "-0.0");
    assert_eq!(bin(BinOp::Mod, f(-1e-300), f(1e300)), "1e+300");
    assert_eq!(bin(BinOp::FloorDiv, f(5.5), f(1e-320)), "inf");
    assert_eq!(show(divmod(&f(-7.5), &i(2))), "(-4.0, 0.5)");
    assert_eq!(show(divmod(&i(7), &i(-2))), "(-4, -1)");
    assert_eq!(show(divmod(&big("1180591620717411303424"), &i(7))), "(168655945816773043346, 2)");
}

#[test]
fn zero_division_messages() {
    assert_eq!(bin(BinOp::TrueDiv, i(1), i(0)), "!ZeroDivisionError: division by zero");
    assert_eq!(bin(BinOp::FloorDiv, i(1), i(0)), "!ZeroDivisionError: integer division or modulo by zero");
    assert_eq!(bin(BinOp::Mod, i(1), i(0)), "!ZeroDivisionError: integer modulo by zero");
    assert_eq!(bin(BinOp::TrueDiv, f(1.0), i(0)), "!ZeroDivisionError: float division by zero");
    assert_eq!(bin(BinOp::FloorDiv, f(1.0), i(0)), "!ZeroDivisionError: float floor division by zero");
    assert_eq!(bin(BinOp::Mod, f(1.0), i(0)), "!ZeroDivisionError: float modulo");
    assert_eq!(show(divmod(&f(1.0), &f(0.0))), "!ZeroDivisionError: float divmod()");
    assert_eq!(bin(BinOp::Pow, i(0), i(-1)), "!ZeroDivisionError: 0.0 cannot be raised to a negative power");
    assert_eq!(bin(BinOp::Pow, f(10.0), i(400)), "!OverflowError: (34, 'Numerical result out of range')");
}

#[test]
fn true_division_is_correctly_rounded() {
    let p30 = big("1000000000000000000000000000000");
    assert_eq!(show(binary(BinOp::TrueDiv, &p30, &i(7))), "1.4285714285714285e+29");
    assert_eq!(bin(BinOp::TrueDiv, big("9223372036854775808"), i(3)), "3.0744573456182584e+18");
    assert_eq!(bin(BinOp::TrueDiv, i(0), i(-5)), "-0.0");
    let p400 = binary(BinOp::Pow, &i(10), &i(400)).unwrap();
    let p399 = binary(BinOp::Pow, &i(10), &i(399)).unwrap();
    assert_eq!(show(binary(BinOp::TrueDiv, &p400, &p399)), "10.0");
    assert_eq!(show(binary(BinOp::TrueDiv, &i(1), &p400)), "0.0");
    assert_eq!(
        show(binary(BinOp::TrueDiv, &p400, &i(1))),
        "!OverflowError: integer division result too large for a float"
    );
    assert_eq!(show(binary(BinOp::Add, &p400, &f(1.5))), "!OverflowError: int too large to convert to float");
    // 2**53+1 rounds to even; 2**1024 - 2**970 rounds up to infinity.
    assert_eq!(show(big_to_f64(&"9007199254740993".parse().unwrap()).map(Value::Float)), "9007199254740992.0");
    let edge = (BigInt::from(1) << 1024u32) - (BigInt::from(1) << 970u32);
    assert!(big_to_f64(&edge).is_err());
    let below = (BigInt::from(1) << 1024u32) - (BigInt::from(1) << 971u32);
    assert_eq!(big_to_f64(&below).unwrap(), f64::MAX);
    // A subnormal quotient: 1 / 2**1074 * 3 ... exact power-of-two quotient.
    let q = true_divide_ints(&BigInt::from(1), &(BigInt::from(1) << 1074u32)).unwrap();
    assert_eq!(q, 5e-324);
    let q = true_divide_ints(&BigInt::from(1), &(BigInt::from(1) << 1075u32)).unwrap();
    assert_eq!(q, 0.0);
    let q = true_divide_ints(&BigInt::from(3), &(BigInt::from(1) << 1076u32)).unwrap();
    assert_eq!(q, 5e-324);
}

#[test]
fn sequence_operators_and_errors() {
    let s = |x: &str| Value::str(x);
    assert_eq!(bin(BinOp::Add, i(1), s("a")), "!TypeError: unsupported operand type(s) for +: 'int' and 'str'");
    assert_eq!(bin(BinOp::Add, s("a"), i(1)), "!TypeError: can only concatenate str (not \"int\") to str");
    assert_eq!(
        bin(BinOp::Add, Value::list(vec![]), Value::tuple(vec![])),
        "!TypeError: can only concatenate list (not \"tuple\") to list"
    );
    assert_eq!(
        bin(BinOp::Mul, Value::list(vec![i(1)]), f(1.5)),
        "!TypeError: can't multiply sequence by non-int of type 'float'"
    );
    assert_eq!(bin(BinOp::Mul, s("a"), s("b")), "!TypeError: can't multiply sequence by non-int of type 'str'");
    assert_eq!(
        bin(BinOp::Pow, s("a"), i(2)),
        "!TypeError: unsupported operand type(s) for ** or pow(): 'str' and 'int'"
    );
    assert_eq!(show(unary(UnaryOp::Neg, &s("a"))), "!TypeError: bad operand type for unary -: 'str'");
    assert_eq!(bin(BinOp::Mul, Value::list(vec![i(0)]), i(1_000_000_000_000)), "!MemoryError");
    assert_eq!(bin(BinOp::Mul, s("a"), i(10_000_000_000)), "!MemoryError");
    assert_eq!(
        bin(BinOp::Mul, s("a"), big("100000000000000000000")),
        "!OverflowError: cannot fit 'int' into an index-sized integer"
    );
    assert_eq!(bin(BinOp::Mul, s("ab"), i(-1)), "''");
    assert_eq!(bin(BinOp::Mul, Value::Bool(true), s("ab")), "'ab'");
    assert_eq!(bin(BinOp::Mul, i(2), Value::list(vec![i(1)])), "[1, 1]");
    assert_eq!(bin(BinOp::Mul, Value::tuple(vec![i(1), i(2)]), i(2)), "(1, 2, 1, 2)");
    assert_eq!(bin(BinOp::LShift, i(1), i(-1)), "!ValueError: negative shift count");
    assert_eq!(bin(BinOp::LShift, i(1), big("9223372036854775808")), "!MemoryError");
    assert_eq!(bin(BinOp::RShift, i(1), big("9223372036854775808")), "0");
    assert_eq!(bin(BinOp::Pow, i(2), i(10_000_000_000)), "!MemoryError");
    assert_eq!(bin(BinOp::Mod, s("%5.2f|%d"), Value::tuple(vec![f(1.23456), i(42)])), "' 1.23|42'");
    let l = Value::list(vec![i(1)]);
    let r = binary_inplace(BinOp::Add, &l, &Value::tuple(vec![i(2)])).unwrap();
    assert!(is_same(&l, &r));
    assert_eq!(show(Ok(l)), "[1, 2]");
    assert_eq!(
        show(binary_inplace(BinOp::Add, &i(1), &s("a"))),
        "!TypeError: unsupported operand type(s) for +=: 'int' and 'str'"
    );
}

#[test]
fn comparisons() {
    let s = |x: &str| Value::str(x);
    let cmp = |op, a: Value, b: Value| match compare(op, &a, &b) {
        Ok(v) => v.to_string(),
        Err(e) => err(e),
    };
    let two53p1 = i((1 << 53) + 1);
    assert_eq!(cmp(CmpOp::Eq, two53p1.clone(), f(9007199254740992.0)), "false");
    assert_eq!(cmp(CmpOp::Gt, two53p1, f(9007199254740992.0)), "true");
    assert_eq!(cmp(CmpOp::Eq, i(1), f(1.0)), "true");
    assert_eq!(cmp(CmpOp::Lt, i(i64::MAX), f(9223372036854775808.0)), "true");
    let p400 = binary(BinOp::Pow, &i(10), &i(400)).unwrap();
    assert_eq!(cmp(CmpOp::Gt, p400.clone(), f(1e308)), "true");
    assert_eq!(cmp(CmpOp::Lt, p400.clone(), f(f64::INFINITY)), "true");
    assert_eq!(cmp(CmpOp::Eq, p400, f(f64::INFINITY)), "false");
    assert_eq!(cmp(CmpOp::Eq, f(f64::NAN), f(f64::NAN)), "false");
    assert_eq!(cmp(CmpOp::Lt, i(1), s("a")), "!TypeError: '<' not supported between instances of 'int' and 'str'");
    assert_eq!(
        cmp(CmpOp::GtE, Value::None, Value::None),
        "!TypeError: '>=' not supported between instances of 'NoneType' and 'NoneType'"
    );
    let t = |v: Vec<Value>| Value::tuple(v);
    assert_eq!(
        cmp(CmpOp::Lt, t(vec![i(1), s("a")]), t(vec![i(1), i(2)])),
        "!TypeError: '<' not supported between instances of 'str' and 'int'"
    );
    assert_eq!(cmp(CmpOp::Eq, t(vec![i(1), s("a")]), t(vec![i(1), i(2)])), "false");
    assert_eq!(cmp(CmpOp::Lt, Value::list(vec![i(1)]), Value::list(vec![i(1), i(2)])), "true");
    assert_eq!(cmp(CmpOp::Eq, Value::list(vec![i(1), i(2)]), Value::list(vec![i(1), f(2.0)])), "true");
    assert_eq!(cmp(CmpOp::In, i(1), s("abc")), "!TypeError: 'in <string>' requires string as left operand, not int");
    assert_eq!(cmp(CmpOp::In, s("bc"), s("abc")), "true");
    assert_eq!(cmp(CmpOp::In, i(1), i(5)), "!TypeError: argument of type 'int' is not iterable");
    assert_eq!(
        cmp(CmpOp::In, Value::list(vec![]), Value::Dict(Default::default())),
        "!TypeError: unhashable type: 'list'"
    );
    let r = Value::Range(std::rc::Rc::new(RangeObj { start: 0, stop: 10, step: 3 }));
    assert_eq!(cmp(CmpOp::In, i(9), r.clone()), "true");
    assert_eq!(cmp(CmpOp::In, f(6.0), r.clone()), "true");
    assert_eq!(cmp(CmpOp::In, i(10), r), "false");
    assert_eq!(cmp(CmpOp::Is, i(5), i(5)), "true");
    // Self-referential lists: identity shortcut, then a RecursionError for distinct cycles.
    let a = Value::list(vec![]);
    let b = Value::list(vec![]);
    if let (Value::List(x), Value::List(y)) = (&a, &b) {
        x.borrow_mut().push(a.clone());
        y.borrow_mut().push(b.clone());
    }
    assert_eq!(cmp(CmpOp::Eq, a.clone(), a.clone()), "true");
    assert_eq!(cmp(CmpOp::Eq, a.clone(), b.clone()), "!RecursionError: maximum recursion depth exceeded in comparison");
    for v in [&a, &b] {
        if let Value::List(x) = v {
            x.borrow_mut().clear();
        }
    }
}

#[test]
fn sorting_is_stable_and_propagates_errors() {
    let mut v = vec![f(2.0), i(1), Value::Bool(true), f(0.5), i(2)];
    sort_values(&mut v, false).unwrap();
    assert_eq!(show(Ok(Value::list(v.clone()))), "[0.5, 1, True, 2.0, 2]");
    sort_values(&mut v, true).unwrap();
    assert_eq!(show(Ok(Value::list(v))), "[2.0, 2, 1, True, 0.5]");
    let mut bad = vec![i(1), Value::str("a")];
    assert_eq!(
        err(sort_values(&mut bad, false).unwrap_err()),
        "!TypeError: '<' not supported between instances of 'str' and 'int'"
    );
    let mut many: Vec<Value> = (0..1000).map(|k| Value::tuple(vec![i((k * 7919) % 13), i(k)])).collect();
    sort_values(&mut many, false).unwrap();
    for w in many.windows(2) {
        assert!(!value_lt(&w[1], &w[0]).unwrap());
    }
}

#[test]
fn subscripts_and_slices() {
    let l = Value::list(vec![i(1), i(2), i(3)]);
    let s = Value::str("héllo");
    let n = Value::None;
    assert_eq!(show(get_item(&l, &i(-1))), "3");
    assert_eq!(show(get_item(&l, &Value::Bool(true))), "2");
    assert_eq!(show(get_item(&l, &i(5))), "!IndexError: list index out of range");
    assert_eq!(
        show(get_item(&l, &big("1180591620717411303424"))),
        "!IndexError: cannot fit 'int' into an index-sized integer"
    );
    assert_eq!(show(get_item(&l, &Value::str("a"))), "!TypeError: list indices must be integers or slices, not str");
    assert_eq!(
        show(get_item(&Value::str("ab"), &Value::str("a"))),
        "!TypeError: string indices must be integers, not 'str'"
    );
    assert_eq!(show(get_item(&Value::str("ab"), &i(5))), "!IndexError: string index out of range");
    assert_eq!(show(get_item(&s, &i(1))), "'é'");
    assert_eq!(show(get_item(&i(5), &i(0))), "!TypeError: 'int' object is not subscriptable");
    assert_eq!(show(get_item(&Value::Dict(Default::default()), &Value::str("k"))), "!KeyError: 'k'");
    assert_eq!(show(get_slice(&l, &n, &n, &i(-2))), "[3, 1]");
    assert_eq!(show(get_slice(&l, &i(5), &i(1), &i(-1))), "[3]");
    assert_eq!(show(get_slice(&s, &i(1), &i(3), &n)), "'él'");
    assert_eq!(show(get_slice(&s, &n, &n, &i(-1))), "'olléh'");
    assert_eq!(show(get_slice(&Value::str("abc"), &i(-10), &i(10), &n)), "'abc'");
    assert_eq!(show(get_slice(&l, &n, &n, &i(0))), "!ValueError: slice step cannot be zero");
    assert_eq!(
        show(get_slice(&l, &f(1.5), &n, &n)),
        "!TypeError: slice indices must be integers or None or have an __index__ method"
    );
    assert_eq!(show(get_slice(&l, &n, &n, &big("1180591620717411303424"))), "[1]");
    let r = Value::Range(std::rc::Rc::new(RangeObj { start: 0, stop: 10, step: 1 }));
    assert_eq!(show(get_slice(&r, &n, &n, &i(-1))), "range(9, -1, -1)");
    assert_eq!(show(get_slice(&r, &i(2), &i(50), &i(3))), "range(2, 11, 3)");
    assert_eq!(show(get_item(&r, &i(-1))), "9");
    set_item(&l, &i(-1), i(9)).unwrap();
    assert_eq!(show(set_item(&l, &i(3), i(0)).map(|_| Value::None)), "!IndexError: list assignment index out of range");
    assert_eq!(
        show(set_item(&Value::tuple(vec![]), &i(0), i(0)).map(|_| Value::None)),
        "!TypeError: 'tuple' object does not support item assignment"
    );
    set_slice(&l, &i(1), &i(2), &n, &Value::tuple(vec![i(7), i(8)])).unwrap();
    assert_eq!(show(Ok(l.clone())), "[1, 7, 8, 9]");
    set_slice(&l, &n, &n, &n, &l.clone()).unwrap();
    assert_eq!(show(Ok(l.clone())), "[1, 7, 8, 9]");
    assert_eq!(
        show(set_slice(&l, &n, &n, &i(2), &Value::list(vec![i(0)])).map(|_| Value::None)),
        "!ValueError: attempt to assign sequence of size 1 to extended slice of size 2"
    );
    set_slice(&l, &n, &n, &i(2), &Value::list(vec![i(0), i(0)])).unwrap();
    assert_eq!(show(Ok(l.clone())), "[0, 7, 0, 9]");
    del_slice(&l, &n, &n, &i(2)).unwrap();
    assert_eq!(show(Ok(l.clone())), "[7, 9]");
    del_item(&l, &i(0)).unwrap();
    assert_eq!(show(Ok(l)), "[9]");
}

#[test]
fn truthiness_and_len() {
    assert!(!truthy(&Value::list(vec![])));
    assert!(truthy(&Value::str("a")));
    assert!(!truthy(&f(0.0)));
    assert_eq!(len(&Value::str("héllo")).unwrap(), 5);
    assert_eq!(err(len(&i(5)).unwrap_err()), "!TypeError: object of type 'int' has no len()");
    let r = RangeObj { start: i64::MIN, stop: i64::MAX, step: 1 };
    assert_eq!(range_len(&r), i64::MAX);
}
