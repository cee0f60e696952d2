//! Unit tests of the methods (expected strings come from CPython 3.11).

use super::*;
use crate::interp::objects::format::exc_line;
use crate::interp::objects::host::Detached;
use crate::interp::objects::iter::collect;

fn show(r: RtResult<Value>) -> String {
    match r {
        Ok(v) => repr(&v).unwrap_or_else(|e| format!("!{}", exc_line(&e.0))),
        Err(e) => format!("!{}", exc_line(&e.0)),
    }
}

fn m(obj: &Value, name: &str, args: Vec<Value>) -> String {
    show(call_method(obj, MethodId::from_name(name), name, &args, &[], &mut Detached(&mut std::io::sink())))
}

fn mk(obj: &Value, name: &str, args: Vec<Value>, kw: Vec<(&str, Value)>) -> String {
    let kw: Vec<(Rc<str>, Value)> = kw.into_iter().map(|(k, v)| (Rc::from(k), v)).collect();
    show(call_method(obj, MethodId::from_name(name), name, &args, &kw, &mut Detached(&mut std::io::sink())))
}

fn s(x: &str) -> Value {
    Value::str(x)
}

fn i(n: i64) -> Value {
    Value::Int(n)
}

#[test]
fn str_methods() {
    let cases: Vec<(&str, &str, Vec<Value>, &str)> = vec![
        ("abc", "title", vec![], "'Abc'"),
        ("they're bill's 1st", "title", vec![], "\"They'Re Bill'S 1St\""),
        ("ß", "upper", vec![], "'SS'"),
        ("a\x1cb", "split", vec![], "['a', 'b']"),
        ("a b  c ", "split", vec![s(" ")], "['a', 'b', '', 'c', '']"),
        ("a,b,,c", "split", vec![s(","), i(1)], "['a', 'b,,c']"),
        ("  ", "split", vec![], "[]"),
        ("", "split", vec![s(",")], "['']"),
        ("a b c", "split", vec![Value::None, i(1)], "['a', 'b c']"),
        (" a b c ", "rsplit", vec![Value::None, i(1)], "[' a b', 'c']"),
        ("  a  b  ", "split", vec![Value::None, i(1)], "['a', 'b  ']"),
        ("  a  b  ", "rsplit", vec![Value::None, i(1)], "['  a', 'b']"),
        ("a,b,c", "rsplit", vec![s(","), i(1)], "['a,b', 'c']"),
        ("a", "split", vec![s("")], "!ValueError: empty separator"),
        ("a", "split", vec![i(1)], "!TypeError: must be str or None, not int"),
        ("  x ", "strip", vec![], "'x'"),
        ("xxaxx", "strip", vec![s("x")], "'a'"),
        ("xxaxx", "lstrip", vec![s("x")], "'axx'"),
        ("a", "strip", vec![i(1)], "!TypeError: strip arg must be None or str"),
        ("abc", "center", vec![i(8), s("*")], "'**abc***'"),
        ("abc", "center", vec![i(6), s("*")], "'*abc**'"),
        ("ab", "center", vec![i(5), s("*")], "'**ab*'"),
        ("a", "center", vec![i(5), s("ab")], "!TypeError: The fill character must be exactly one character long"),
        ("a", "rjust", vec![i(3), s("x")], "'xxa'"),
        ("a", "ljust", vec![i(3)], "'a  '"),
        ("-42", "zfill", vec![i(6)], "'-00042'"),
        ("+", "zfill", vec![i(3)], "'+00'"),
        ("abcabc", "replace", vec![s("b"), s("X"), i(1)], "'aXcabc'"),
        ("abc", "replace", vec![s(""), s("-")], "'-a-b-c-'"),
        ("a", "replace", vec![s("a")], "!TypeError: replace expected at least 2 arguments, got 1"),
        ("aaa", "count", vec![s("")], "4"),
        ("aaa", "count", vec![s("aa")], "1"),
        ("abc", "count", vec![s(""), i(1)], "3"),
        ("x", "count", vec![s(""), i(5)], "0"),
        ("éaé", "find", vec![s("é"), i(1)], "2"),
        ("hello", "rfind", vec![s("l")], "3"),
        ("ab", "find", vec![s("")], "0"),
        ("ab", "find", vec![s(""), i(5)], "-1"),
        ("ab", "rfind", vec![s("")], "2"),
        ("abcabc", "rindex", vec![s("c"), i(0), i(3)], "2"),
        ("abc", "index", vec![s("d")], "!ValueError: substring not found"),
        ("a", "find", vec![], "!TypeError: find() takes at least 1 argument (0 given)"),
        ("a", "startswith", vec![Value::tuple(vec![s("b"), s("a")])], "True"),
        ("abc", "startswith", vec![s("b"), i(1)], "True"),
        ("abc", "endswith", vec![s("b"), i(0), i(2)], "True"),
        ("abc", "startswith", vec![s(""), i(5)], "False"),
        ("abc", "startswith", vec![s(""), i(3)], "True"),
        ("a", "startswith", vec![i(1)], "!TypeError: startswith first arg must be str or a tuple of str, not int"),
        ("hello world", "capitalize", vec![], "'Hello world'"),
        ("HELLO", "capitalize", vec![], "'Hello'"),
        ("hello World", "swapcase", vec![], "'HELLO wORLD'"),
        ("²", "isdigit", vec![], "True"),
        ("½", "isdigit", vec![], "False"),
        ("Ⅻ", "isalpha", vec![], "False"),
        ("", "isdigit", vec![], "False"),
        ("abc1", "isalnum", vec![], "True"),
        ("ABC1", "isupper", vec![], "True"),
        ("Abc", "isupper", vec![], "False"),
        ("\x1c", "isspace", vec![], "True"),
        ("a", "isdigit", vec![i(1)], "!TypeError: str.isdigit() takes no arguments (1 given)"),
        ("a", "join", vec![Value::list(vec![s("b"), s("c")])], "'bac'"),
        (",", "join", vec![s("abc")], "'a,b,c'"),
        ("a", "join", vec![Value::list(vec![i(1)])], "!TypeError: sequence item 0: expected str instance, int found"),
        ("a", "join", vec![i(5)], "!TypeError: can only join an iterable"),
        ("abc", "partition", vec![s("b")], "('a', 'b', 'c')"),
        ("abc", "rpartition", vec![s("x")], "('', '', 'abc')"),
        ("a\nb\r\nc", "splitlines", vec![], "['a', 'b', 'c']"),
        ("abc", "removeprefix", vec![s("a")], "'bc'"),
        ("{} {}", "format", vec![i(1), s("a")], "'1 a'"),
        ("{0:>5}|{1!r}", "format", vec![i(1), s("a")], "\"    1|'a'\""),
        ("{", "format", vec![i(1)], "!ValueError: Single '{' encountered in format string"),
        (
            "{0} {}",
            "format",
            vec![i(1), i(2)],
            "!ValueError: cannot switch from manual field specification to automatic field numbering",
        ),
        ("{}", "format", vec![], "!IndexError: Replacement index 0 out of range for positional args tuple"),
        ("{0[0]}", "format", vec![Value::list(vec![i(1)])], "'1'"),
        ("{{}}", "format", vec![], "'{}'"),
        ("a", "foo", vec![], "!AttributeError: 'str' object has no attribute 'foo'"),
    ];
    for (text, name, args, want) in cases {
        assert_eq!(m(&s(text), name, args), want, "{text:?}.{name}");
    }
    assert_eq!(mk(&s("a b"), "split", vec![], vec![("sep", Value::None), ("maxsplit", i(1))]), "['a', 'b']");
    assert_eq!(mk(&s("{x}"), "format", vec![], vec![("x", i(1))]), "'1'");
    assert_eq!(mk(&s("{y}"), "format", vec![], vec![]), "!KeyError: 'y'");
    assert_eq!(mk(&s("a"), "upper", vec![], vec![("x", i(1))]), "!TypeError: str.upper() takes no keyword arguments");
}

#[test]
fn list_methods() {
    let l = Value::list(vec![i(3), i(1), i(2)]);
    assert_eq!(m(&l, "append", vec![i(4)]), "None");
    assert_eq!(m(&l, "append", vec![]), "!TypeError: list.append() takes exactly one argument (0 given)");
    assert_eq!(m(&l, "insert", vec![i(-100), i(0)]), "None");
    assert_eq!(m(&l, "insert", vec![i(1)]), "!TypeError: insert expected 2 arguments, got 1");
    assert_eq!(show(Ok(l.clone())), "[0, 3, 1, 2, 4]");
    assert_eq!(m(&l, "pop", vec![]), "4");
    assert_eq!(m(&l, "pop", vec![i(0)]), "0");
    assert_eq!(m(&l, "pop", vec![i(9)]), "!IndexError: pop index out of range");
    assert_eq!(m(&l, "pop", vec![i(1), i(2)]), "!TypeError: pop expected at most 1 argument, got 2");
    assert_eq!(m(&l, "index", vec![i(2)]), "2");
    assert_eq!(m(&l, "index", vec![i(2), i(3)]), "!ValueError: 2 is not in list");
    assert_eq!(m(&l, "index", vec![s("a")]), "!ValueError: 'a' is not in list");
    assert_eq!(m(&l, "count", vec![Value::Float(1.0)]), "1");
    assert_eq!(m(&l, "remove", vec![i(5)]), "!ValueError: list.remove(x): x not in list");
    assert_eq!(m(&l, "extend", vec![l.clone()]), "None");
    assert_eq!(show(Ok(l.clone())), "[3, 1, 2, 3, 1, 2]");
    assert_eq!(m(&l, "remove", vec![i(1)]), "None");
    assert_eq!(m(&l, "sort", vec![]), "None");
    assert_eq!(show(Ok(l.clone())), "[1, 2, 2, 3, 3]");
    assert_eq!(mk(&l, "sort", vec![], vec![("reverse", Value::Bool(true))]), "None");
    assert_eq!(show(Ok(l.clone())), "[3, 3, 2, 2, 1]");
    assert_eq!(m(&l, "sort", vec![i(1)]), "!TypeError: sort() takes no positional arguments");
    assert_eq!(
        mk(&l, "sort", vec![], vec![("foo", i(1))]),
        "!TypeError: 'foo' is an invalid keyword argument for sort()"
    );
    assert_eq!(m(&l, "reverse", vec![]), "None");
    assert_eq!(m(&l, "reverse", vec![i(1)]), "!TypeError: list.reverse() takes no arguments (1 given)");
    let c = call_method(&l, MethodId::Copy, "copy", &[], &[], &mut Detached(&mut std::io::sink())).unwrap();
    assert_eq!(m(&l, "clear", vec![]), "None");
    assert_eq!(show(Ok(l.clone())), "[]");
    assert_eq!(show(Ok(c)), "[1, 2, 2, 3, 3]");
    assert_eq!(m(&l, "pop", vec![]), "!IndexError: pop from empty list");
    let mixed = Value::list(vec![i(1), s("a")]);
    assert_eq!(m(&mixed, "sort", vec![]), "!TypeError: '<' not supported between instances of 'str' and 'int'");
    assert_eq!(show(Ok(mixed.clone())), "[1, 'a']");
    // A list containing itself can be sorted (it is empty while sorting) and compared.
    let selfref = Value::list(vec![]);
    if let Value::List(x) = &selfref {
        x.borrow_mut().push(selfref.clone());
    }
    assert_eq!(m(&selfref, "sort", vec![]), "None");
    assert_eq!(m(&selfref, "count", vec![selfref.clone()]), "1");
    assert_eq!(m(&selfref, "clear", vec![]), "None");
    assert_eq!(m(&l, "foo", vec![]), "!AttributeError: 'list' object has no attribute 'foo'");
    assert!(show(get_attr(&l, "append")).starts_with("!AttributeError: not supported"));
}

#[test]
fn dict_methods() {
    let d = Value::Dict(Default::default());
    ops::set_item(&d, &s("a"), i(1)).unwrap();
    ops::set_item(&d, &s("b"), i(2)).unwrap();
    assert_eq!(m(&d, "get", vec![s("a")]), "1");
    assert_eq!(m(&d, "get", vec![s("z")]), "None");
    assert_eq!(m(&d, "get", vec![s("z"), i(0)]), "0");
    assert_eq!(m(&d, "get", vec![]), "!TypeError: get expected at least 1 argument, got 0");
    assert_eq!(m(&d, "get", vec![Value::list(vec![])]), "!TypeError: unhashable type: 'list'");
    assert_eq!(m(&d, "keys", vec![]), "dict_keys(['a', 'b'])");
    assert_eq!(m(&d, "values", vec![]), "dict_values([1, 2])");
    assert_eq!(m(&d, "items", vec![]), "dict_items([('a', 1), ('b', 2)])");
    assert_eq!(m(&d, "keys", vec![i(1)]), "!TypeError: dict.keys() takes no arguments (1 given)");
    let keys = call_method(&d, MethodId::Keys, "keys", &[], &[], &mut Detached(&mut std::io::sink())).unwrap();
    assert_eq!(ops::len(&keys).unwrap(), 2);
    assert!(ops::contains(&keys, &s("a")).unwrap());
    let items = call_method(&d, MethodId::Items, "items", &[], &[], &mut Detached(&mut std::io::sink())).unwrap();
    assert!(ops::contains(&items, &Value::tuple(vec![s("b"), i(2)])).unwrap());
    assert_eq!(show(Ok(Value::list(collect(&items).unwrap()))), "[('a', 1), ('b', 2)]");
    assert_eq!(m(&d, "setdefault", vec![s("c"), i(3)]), "3");
    assert_eq!(m(&d, "setdefault", vec![s("c"), i(4)]), "3");
    // The view is live.
    assert_eq!(show(Ok(keys.clone())), "dict_keys(['a', 'b', 'c'])");
    assert_eq!(m(&d, "pop", vec![s("a")]), "1");
    assert_eq!(m(&d, "pop", vec![s("a")]), "!KeyError: 'a'");
    assert_eq!(m(&d, "pop", vec![s("a"), i(0)]), "0");
    assert_eq!(mk(&d, "update", vec![Value::list(vec![Value::tuple(vec![s("x"), i(9)])])], vec![("y", i(8))]), "None");
    assert_eq!(show(Ok(d.clone())), "{'b': 2, 'c': 3, 'x': 9, 'y': 8}");
    assert_eq!(m(&d, "popitem", vec![]), "('y', 8)");
    let c = call_method(&d, MethodId::Copy, "copy", &[], &[], &mut Detached(&mut std::io::sink())).unwrap();
    assert_eq!(m(&d, "clear", vec![]), "None");
    assert_eq!(m(&d, "popitem", vec![]), "!KeyError: 'popitem(): dictionary is empty'");
    assert_eq!(show(Ok(c)), "{'b': 2, 'c': 3, 'x': 9}");
    assert_eq!(mk(&d, "get", vec![], vec![("x", i(1))]), "!TypeError: dict.get() takes no keyword arguments");
}

#[test]
fn module_and_exception_attributes() {
    let math = crate::interp::objects::builtins::math_module();
    assert_eq!(m(&math, "sqrt", vec![i(16)]), "4.0");
    assert_eq!(m(&math, "pi", vec![]), "!TypeError: 'float' object is not callable");
    assert_eq!(m(&math, "nope", vec![]), "!AttributeError: module 'math' has no attribute 'nope'");
    assert_eq!(show(get_attr(&math, "e")), "2.718281828459045");
    let e = Value::Exception(Rc::new(crate::interp::objects::value::ExcObj {
        kind: ExcKind::ValueError,
        args: vec![s("x")],
    }));
    assert_eq!(show(get_attr(&e, "args")), "('x',)");
    assert_eq!(show(get_attr(&i(1), "foo")), "!AttributeError: 'int' object has no attribute 'foo'");
    // `__name__` of a type or builtin; of an int it is still an AttributeError.
    let int_type = crate::interp::objects::builtins::type_of(&i(1));
    assert_eq!(show(get_attr(&int_type, "__name__")), "'int'");
    assert_eq!(show(get_attr(&i(1), "__name__")), "!AttributeError: 'int' object has no attribute '__name__'");
}
