//! Unit tests of the builtins (expected strings come from CPython 3.11).

use super::*;
use crate::interp::objects::format::exc_line;
use crate::interp::objects::host::Detached;
use num_bigint::BigInt;

fn show(r: RtResult<Value>) -> String {
    match r {
        Ok(v) => repr(&v).unwrap_or_else(|e| format!("!{}", exc_line(&e.0))),
        Err(e) => format!("!{}", exc_line(&e.0)),
    }
}

fn call(name: &str, args: Vec<Value>) -> String {
    let id = BuiltinId::from_global_name(name).unwrap();
    show(call_builtin(id, &args, &[], &mut Detached(&mut std::io::sink())))
}

fn call_kw(name: &str, args: Vec<Value>, kw: Vec<(&str, Value)>) -> String {
    let id = BuiltinId::from_global_name(name).unwrap();
    let kw: Vec<(Rc<str>, Value)> = kw.into_iter().map(|(k, v)| (Rc::from(k), v)).collect();
    show(call_builtin(id, &args, &kw, &mut Detached(&mut std::io::sink())))
}

fn i(n: i64) -> Value {
    Value::Int(n)
}

fn s(x: &str) -> Value {
    Value::str(x)
}

fn l(v: Vec<Value>) -> Value {
    Value::list(v)
}

#[test]
fn table_names_and_reprs() {
    assert_eq!(BuiltinId::from_global_name("len").unwrap().repr(), "<built-in function len>");
    assert_eq!(BuiltinId::from_global_name("int").unwrap().repr(), "<class 'int'>");
    assert_eq!(BuiltinId::from_global_name("ValueError").unwrap().repr(), "<class 'ValueError'>");
    assert_eq!(BuiltinId::from_global_name("ValueError").unwrap().type_name(), "type");
    assert_eq!(BuiltinId::from_global_name("print").unwrap().type_name(), "builtin_function_or_method");
    assert!(BuiltinId::from_global_name("sqrt").is_none());
    assert!(BuiltinId::from_global_name("NoneType").is_none());
    assert_eq!(call("type", vec![Value::None]), "<class 'NoneType'>");
    assert_eq!(call("type", vec![i(1)]), "<class 'int'>");
    assert_eq!(call("type", vec![Value::Builtin(BuiltinId::Len)]), "<class 'builtin_function_or_method'>");
    assert_eq!(call("type", vec![Value::Builtin(BuiltinId::Int)]), "<class 'type'>");
    let m = math_module();
    assert_eq!(show(Ok(m.clone())), "<module 'math' (built-in)>");
    if let Value::Module(m) = &m {
        assert_eq!(show(module_attr(m, "pi")), "3.141592653589793");
        assert_eq!(show(module_attr(m, "sqrt")), "<built-in function sqrt>");
        assert_eq!(show(module_attr(m, "foo")), "!AttributeError: module 'math' has no attribute 'foo'");
    }
}

#[test]
fn print_writes_sep_and_end() {
    let mut out = Vec::new();
    let kw: Vec<(Rc<str>, Value)> = vec![(Rc::from("sep"), s("-")), (Rc::from("end"), s("!\n"))];
    call_builtin(BuiltinId::Print, &[i(1), s("a"), Value::Float(0.1), l(vec![s("x")])], &kw, &mut Detached(&mut out))
        .unwrap();
    call_builtin(BuiltinId::Print, &[], &[], &mut Detached(&mut out)).unwrap();
    assert_eq!(String::from_utf8(out).unwrap(), "1-a-0.1-['x']!\n\n");
    assert_eq!(
        call_kw("print", vec![], vec![("foo", i(2))]),
        "!TypeError: 'foo' is an invalid keyword argument for print()"
    );
    assert_eq!(call_kw("print", vec![], vec![("sep", i(2))]), "!TypeError: sep must be None or a string, not int");
}

#[test]
fn argument_count_messages() {
    assert_eq!(call("len", vec![i(1), i(2)]), "!TypeError: len() takes exactly one argument (2 given)");
    assert_eq!(call("range", vec![]), "!TypeError: range expected at least 1 argument, got 0");
    assert_eq!(call("range", vec![i(1), i(2), i(3), i(4)]), "!TypeError: range expected at most 3 arguments, got 4");
    assert_eq!(call("range", vec![i(1), i(2), i(0)]), "!ValueError: range() arg 3 must not be zero");
    assert_eq!(
        call("range", vec![Value::Float(1.5)]),
        "!TypeError: 'float' object cannot be interpreted as an integer"
    );
    assert_eq!(call("int", vec![i(1), i(2), i(3)]), "!TypeError: int() takes at most 2 arguments (3 given)");
    assert_eq!(call("float", vec![i(1), i(2)]), "!TypeError: float expected at most 1 argument, got 2");
    assert_eq!(call("min", vec![]), "!TypeError: min expected at least 1 argument, got 0");
    assert_eq!(call("sum", vec![]), "!TypeError: sum() takes at least 1 positional argument (0 given)");
    assert_eq!(call("isinstance", vec![i(1)]), "!TypeError: isinstance expected 2 arguments, got 1");
    assert_eq!(call("sorted", vec![]), "!TypeError: sorted expected 1 argument, got 0");
    assert_eq!(call("enumerate", vec![]), "!TypeError: enumerate() missing required argument 'iterable'");
    assert_eq!(call("round", vec![]), "!TypeError: round() missing required argument 'number' (pos 1)");
    assert_eq!(call("divmod", vec![i(1)]), "!TypeError: divmod expected 2 arguments, got 1");
    assert_eq!(call("pow", vec![i(1)]), "!TypeError: pow() missing required argument 'exp' (pos 2)");
    assert_eq!(call_kw("len", vec![i(1)], vec![("x", i(2))]), "!TypeError: len() takes no keyword arguments");
    assert_eq!(call_kw("ValueError", vec![], vec![("x", i(2))]), "!TypeError: ValueError() takes no keyword arguments");
}

#[test]
fn conversions() {
    assert_eq!(
        call("int", vec![Value::Float(f64::INFINITY)]),
        "!OverflowError: cannot convert float infinity to integer"
    );
    assert_eq!(call("int", vec![Value::Float(f64::NAN)]), "!ValueError: cannot convert float NaN to integer");
    assert_eq!(call("int", vec![Value::Float(-3.9)]), "-3");
    assert_eq!(
        call("int", vec![Value::Float(1e100)]),
        "10000000000000000159028911097599180468360808563945281389781327557747838772170381060813469985856815104"
    );
    assert_eq!(call("int", vec![s("x")]), "!ValueError: invalid literal for int() with base 10: 'x'");
    assert_eq!(call("int", vec![s("12"), i(1)]), "!ValueError: int() base must be >= 2 and <= 36, or 0");
    assert_eq!(
        call("int", vec![Value::Float(1.5), i(10)]),
        "!TypeError: int() can't convert non-string with explicit base"
    );
    assert_eq!(
        call("int", vec![l(vec![])]),
        "!TypeError: int() argument must be a string, a bytes-like object or a real number, not 'list'"
    );
    assert_eq!(
        call("int", vec![s(&"5".repeat(5000))]),
        "!ValueError: Exceeds the limit (4300 digits) for integer string conversion: value has 5000 digits; use sys.set_int_max_str_digits() to increase the limit"
    );
    assert_eq!(call_kw("int", vec![s("ff")], vec![("base", i(16))]), "255");
    // Plain decimal text (the fast path) and its edges, which take the general path.
    for (text, want) in [
        ("0012", "12"),
        ("-0", "0"),
        ("+5", "5"),
        ("-123456789012345678", "-123456789012345678"),
        ("1234567890123456789", "1234567890123456789"),
        ("-9223372036854775808", "-9223372036854775808"),
        ("9223372036854775808", "9223372036854775808"),
        (" 7 ", "7"),
        ("1_000", "1000"),
        ("\u{663}", "3"),
    ] {
        assert_eq!(call("int", vec![s(text)]), want, "int({text:?})");
    }
    assert_eq!(call("int", vec![s("-")]), "!ValueError: invalid literal for int() with base 10: '-'");
    assert_eq!(call("int", vec![s("+")]), "!ValueError: invalid literal for int() with base 10: '+'");
    assert_eq!(call("int", vec![s("1a")]), "!ValueError: invalid literal for int() with base 10: '1a'");
    assert!(call_kw("int", vec![s("010")], vec![("base", i(0))]).starts_with("!ValueError"));
    assert_eq!(call("str", vec![i(-42)]), "'-42'");
    assert_eq!(call("float", vec![s("abc")]), "!ValueError: could not convert string to float: 'abc'");
    assert_eq!(call("float", vec![s(" 1e5 ")]), "100000.0");
    let p400 = Value::from_bigint(num_traits::Pow::pow(BigInt::from(10), 400u32));
    assert_eq!(call("float", vec![p400.clone()]), "!OverflowError: int too large to convert to float");
    assert_eq!(call("str", vec![p400.clone()]), "'1".to_string() + &"0".repeat(400) + "'");
    let huge = Value::from_bigint(num_traits::Pow::pow(BigInt::from(10), 5000u32));
    assert_eq!(
        call("str", vec![huge]),
        "!ValueError: Exceeds the limit (4300 digits) for integer string conversion; use sys.set_int_max_str_digits() to increase the limit"
    );
    assert_eq!(call("bool", vec![l(vec![])]), "False");
    assert_eq!(call("chr", vec![i(233)]), "'é'");
    assert_eq!(call("chr", vec![i(-1)]), "!ValueError: chr() arg not in range(0x110000)");
    assert_eq!(call("ord", vec![s("ab")]), "!TypeError: ord() expected a character, but string of length 2 found");
    assert_eq!(call("ord", vec![i(1)]), "!TypeError: ord() expected string of length 1, but int found");
    assert_eq!(call("hex", vec![i(-255)]), "'-0xff'");
    assert_eq!(call("bin", vec![i(0)]), "'0b0'");
    assert_eq!(call("oct", vec![i(8)]), "'0o10'");
    assert_eq!(call("hex", vec![Value::Float(1.5)]), "!TypeError: 'float' object cannot be interpreted as an integer");
    assert_eq!(call("abs", vec![i(i64::MIN)]), "9223372036854775808");
    assert_eq!(call("abs", vec![s("a")]), "!TypeError: bad operand type for abs(): 'str'");
    assert_eq!(call("round", vec![Value::Float(2.5)]), "2");
    assert_eq!(call("round", vec![Value::Float(0.125), i(2)]), "0.12");
    assert_eq!(call("round", vec![s("a")]), "!TypeError: type str doesn't define __round__ method");
    assert_eq!(call("pow", vec![i(2), i(-1), i(7)]), "4");
    assert_eq!(call("pow", vec![i(2), i(-1), i(4)]), "!ValueError: base is not invertible for the given modulus");
    assert_eq!(call("pow", vec![i(2), i(3), i(0)]), "!ValueError: pow() 3rd argument cannot be 0");
    assert_eq!(call("pow", vec![i(-7), i(3), i(5)]), "2");
    assert_eq!(call("format", vec![Value::Float(2.675), s(".2f")]), "'2.67'");
    assert_eq!(call("repr", vec![s("it's")]), r#"'"it\'s"'"#);
}

#[test]
fn iterables_and_aggregates() {
    let r = call("range", vec![i(5)]);
    assert_eq!(r, "range(0, 5)");
    let range5 = call_builtin(BuiltinId::Range, &[i(5)], &[], &mut Detached(&mut std::io::sink())).unwrap();
    assert_eq!(call("list", vec![range5.clone()]), "[0, 1, 2, 3, 4]");
    assert_eq!(call("sum", vec![range5.clone()]), "10");
    assert_eq!(call_kw("sum", vec![range5.clone()], vec![("start", i(5))]), "15");
    assert_eq!(call("sum", vec![l(vec![Value::Float(0.1); 10])]), "0.9999999999999999");
    assert_eq!(
        call("sum", vec![l(vec![s("a")]), s("")]),
        "!TypeError: sum() can't sum strings [use ''.join(seq) instead]"
    );
    assert_eq!(call("sum", vec![l(vec![s("a")])]), "!TypeError: unsupported operand type(s) for +: 'int' and 'str'");
    assert_eq!(call("max", vec![l(vec![i(1), i(5), i(3)])]), "5");
    assert_eq!(call("max", vec![s("abc")]), "'c'");
    assert_eq!(call("min", vec![i(1), s("a")]), "!TypeError: '<' not supported between instances of 'str' and 'int'");
    assert_eq!(call("max", vec![i(1), s("a")]), "!TypeError: '>' not supported between instances of 'str' and 'int'");
    assert_eq!(call("max", vec![l(vec![])]), "!ValueError: max() arg is an empty sequence");
    assert_eq!(call_kw("max", vec![l(vec![])], vec![("default", i(5))]), "5");
    assert_eq!(
        call_kw("max", vec![i(1), i(2)], vec![("default", i(5))]),
        "!TypeError: Cannot specify a default for max() with multiple positional arguments"
    );
    assert_eq!(call("max", vec![i(1)]), "!TypeError: 'int' object is not iterable");
    assert_eq!(call_kw("sorted", vec![s("bca")], vec![("reverse", Value::Bool(true))]), "['c', 'b', 'a']");
    assert_eq!(
        call_kw("sorted", vec![l(vec![s("bb"), s("a"), s("cc")])], vec![("key", Value::Builtin(BuiltinId::Len))]),
        "['a', 'bb', 'cc']"
    );
    assert_eq!(
        call_kw(
            "sorted",
            vec![l(vec![s("bb"), s("a"), s("cc")])],
            vec![("key", Value::Builtin(BuiltinId::Len)), ("reverse", Value::Bool(true))]
        ),
        "['bb', 'cc', 'a']"
    );
    assert_eq!(
        call("sorted", vec![l(vec![i(1), s("a")])]),
        "!TypeError: '<' not supported between instances of 'str' and 'int'"
    );
    let e = call_builtin(BuiltinId::Enumerate, &[s("ab"), i(5)], &[], &mut Detached(&mut std::io::sink())).unwrap();
    assert_eq!(call("list", vec![e]), "[(5, 'a'), (6, 'b')]");
    let z =
        call_builtin(BuiltinId::Zip, &[l(vec![i(1), i(2), i(3)]), s("ab")], &[], &mut Detached(&mut std::io::sink()))
            .unwrap();
    assert_eq!(call("list", vec![z]), "[(1, 'a'), (2, 'b')]");
    let rv = call_builtin(BuiltinId::Reversed, &[range5], &[], &mut Detached(&mut std::io::sink())).unwrap();
    assert_eq!(call("list", vec![rv]), "[4, 3, 2, 1, 0]");
    assert_eq!(call("reversed", vec![i(5)]), "!TypeError: 'int' object is not reversible");
    let it = call_builtin(BuiltinId::Iter, &[l(vec![i(1)])], &[], &mut Detached(&mut std::io::sink())).unwrap();
    assert_eq!(call("next", vec![it.clone()]), "1");
    assert_eq!(call("next", vec![it.clone(), i(9)]), "9");
    assert_eq!(call("next", vec![it]), "!StopIteration");
    assert_eq!(call("next", vec![l(vec![])]), "!TypeError: 'list' object is not an iterator");
    assert_eq!(call("any", vec![l(vec![i(0), i(1)])]), "True");
    assert_eq!(call("all", vec![l(vec![])]), "True");
    assert_eq!(call("dict", vec![l(vec![Value::tuple(vec![i(1), i(2)]), l(vec![i(3), i(4)])])]), "{1: 2, 3: 4}");
    assert_eq!(
        call("dict", vec![l(vec![i(1)])]),
        "!TypeError: cannot convert dictionary update sequence element #0 to a sequence"
    );
    assert_eq!(
        call("dict", vec![l(vec![Value::tuple(vec![i(1), i(2), i(3)])])]),
        "!ValueError: dictionary update sequence element #0 has length 3; 2 is required"
    );
    assert_eq!(call_kw("dict", vec![], vec![("a", i(1))]), "{'a': 1}");
    assert_eq!(call("divmod", vec![i(7), i(-2)]), "(-4, -1)");
}

#[test]
fn isinstance_and_exceptions() {
    let int = Value::Builtin(BuiltinId::Int);
    let exc = |name: &str| Value::Builtin(BuiltinId::from_global_name(name).unwrap());
    assert_eq!(call("isinstance", vec![Value::Bool(true), int.clone()]), "True");
    assert_eq!(
        call(
            "isinstance",
            vec![i(1), Value::tuple(vec![Value::Builtin(BuiltinId::Str), Value::tuple(vec![int.clone()])])]
        ),
        "True"
    );
    assert_eq!(
        call("isinstance", vec![i(1), i(5)]),
        "!TypeError: isinstance() arg 2 must be a type, a tuple of types, or a union"
    );
    let ve =
        call_builtin(BuiltinId::Exception(ExcKind::ValueError), &[s("x")], &[], &mut Detached(&mut std::io::sink()))
            .unwrap();
    assert_eq!(show(Ok(ve.clone())), "ValueError('x')");
    assert_eq!(call("str", vec![ve.clone()]), "'x'");
    assert_eq!(call("isinstance", vec![ve.clone(), exc("Exception")]), "True");
    assert_eq!(call("isinstance", vec![ve, exc("LookupError")]), "False");
    assert_eq!(call("isinstance", vec![exc("ValueError"), Value::Builtin(BuiltinId::Type)]), "True");
    let ke = call_builtin(BuiltinId::Exception(ExcKind::KeyError), &[s("a")], &[], &mut Detached(&mut std::io::sink()))
        .unwrap();
    assert_eq!(call("str", vec![ke]), "\"'a'\"");
    let two = call_builtin(
        BuiltinId::Exception(ExcKind::ValueError),
        &[s("x"), i(1)],
        &[],
        &mut Detached(&mut std::io::sink()),
    )
    .unwrap();
    assert_eq!(call("str", vec![two.clone()]), "\"('x', 1)\"");
    assert_eq!(show(Ok(two)), "ValueError('x', 1)");
    assert!(exception_matches(ExcKind::KeyError, &exc("LookupError")).unwrap());
}

#[test]
fn math_functions() {
    let m = |name: &str, args: Vec<Value>| {
        show(call_builtin(BuiltinId::from_math_name(name).unwrap(), &args, &[], &mut Detached(&mut std::io::sink())))
    };
    let f = Value::Float;
    assert_eq!(m("sqrt", vec![i(2)]), "1.4142135623730951");
    assert_eq!(m("sqrt", vec![i(-1)]), "!ValueError: math domain error");
    assert_eq!(m("sqrt", vec![s("a")]), "!TypeError: must be real number, not str");
    assert_eq!(m("sqrt", vec![i(1), i(2)]), "!TypeError: math.sqrt() takes exactly one argument (2 given)");
    assert_eq!(m("floor", vec![f(-2.5)]), "-3");
    assert_eq!(m("floor", vec![f(f64::INFINITY)]), "!OverflowError: cannot convert float infinity to integer");
    assert_eq!(m("ceil", vec![f(-0.5)]), "0");
    assert_eq!(m("log", vec![]), "!TypeError: math.log requires 1 to 2 arguments");
    assert_eq!(m("log", vec![i(0)]), "!ValueError: math domain error");
    assert_eq!(m("log", vec![i(8), i(2)]), "3.0");
    assert_eq!(m("log", vec![i(100), i(10)]), "2.0");
    assert_eq!(m("log", vec![i(1), i(1)]), "!ZeroDivisionError: float division by zero");
    let p400 = Value::from_bigint(num_traits::Pow::pow(BigInt::from(10), 400u32));
    assert_eq!(m("log", vec![p400.clone()]), "921.0340371976182");
    assert_eq!(m("log10", vec![p400]), "400.0");
    let p2000 = Value::from_bigint(BigInt::from(1) << 2000u32);
    assert_eq!(m("log", vec![p2000, i(2)]), "2000.0000000000002");
    assert_eq!(m("exp", vec![i(1000)]), "!OverflowError: math range error");
    assert_eq!(m("sin", vec![f(f64::INFINITY)]), "!ValueError: math domain error");
    assert_eq!(m("atan2", vec![i(1)]), "!TypeError: atan2 expected 2 arguments, got 1");
    assert_eq!(m("atan2", vec![i(1), i(2)]), "0.4636476090008061");
    assert_eq!(m("isqrt", vec![i(17)]), "4");
    assert_eq!(m("isqrt", vec![i(-1)]), "!ValueError: isqrt() argument must be nonnegative");
    assert_eq!(m("isqrt", vec![f(1.5)]), "!TypeError: 'float' object cannot be interpreted as an integer");
    assert_eq!(m("gcd", vec![i(12), i(18), i(8)]), "2");
    assert_eq!(m("gcd", vec![]), "0");
    assert_eq!(m("gcd", vec![i(i64::MIN), i(0)]), "9223372036854775808");
    assert_eq!(m("fabs", vec![i(-2)]), "2.0");
    assert_eq!(m("pow", vec![i(10), i(400)]), "!OverflowError: math range error");
    assert_eq!(m("pow", vec![i(0), i(-1)]), "!ValueError: math domain error");
    assert_eq!(m("factorial", vec![i(5)]), "120");
    assert_eq!(m("factorial", vec![i(-1)]), "!ValueError: factorial() not defined for negative values");
    assert_eq!(m("comb", vec![i(5), i(2)]), "10");
    assert_eq!(m("modf", vec![f(1.5)]), "(0.5, 1.0)");
    assert_eq!(m("fmod", vec![i(7), i(-2)]), "1.0");
    assert_eq!(m("degrees", vec![i(1)]), "57.29577951308232");
    assert_eq!(m("radians", vec![i(1)]), "0.017453292519943295");
    assert_eq!(m("trunc", vec![s("a")]), "!TypeError: type str doesn't define __trunc__ method");
    assert_eq!(m("copysign", vec![i(1), f(-0.0)]), "-1.0");
    assert_eq!(m("cos", vec![f(1e308)]), "-0.8913089376870335");
}
