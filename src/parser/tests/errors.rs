//! Error tests: CPython's messages and positions, "not supported" features, the
//! `incomplete` flag, resource limits, and no panic on arbitrary input.

use super::parse_err;
use crate::parser::{SyntaxErrorKind, parse};

/// (kind, message, line, column) of the error `src` fails with.
fn err(src: &str) -> (SyntaxErrorKind, String, u32, u32) {
    let e = parse_err(src);
    (e.kind, e.message, e.line, e.column)
}

fn syntax(msg: &str, line: u32, col: u32) -> (SyntaxErrorKind, String, u32, u32) {
    (SyntaxErrorKind::SyntaxError, msg.to_string(), line, col)
}

fn indentation(msg: &str, line: u32, col: u32) -> (SyntaxErrorKind, String, u32, u32) {
    (SyntaxErrorKind::IndentationError, msg.to_string(), line, col)
}

#[test]
fn cpython_messages_and_positions() {
    let cases = [
        ("x = 3\nif x > 1\n    print('big')\n", syntax("expected ':'", 2, 9)),
        ("while x\n  pass\n", syntax("expected ':'", 1, 8)),
        ("def f()\n  pass\n", syntax("expected ':'", 1, 8)),
        ("if x:\n  pass\nelse\n  pass\n", syntax("expected ':'", 3, 5)),
        ("def f:\n  pass\n", syntax("expected '('", 1, 6)),
        ("x = 1\n    y = 2\n", indentation("unexpected indent", 2, 4)),
        ("if x:\n    a = 1\n  b = 2\n", indentation("unindent does not match any outer indentation level", 3, 8)),
        ("if x:\nprint(1)\n", indentation("expected an indented block after 'if' statement on line 1", 2, 1)),
        ("def f():\nreturn 1\n", indentation("expected an indented block after function definition on line 1", 2, 1)),
        ("for i in x:\n", indentation("expected an indented block after 'for' statement on line 1", 1, 12)),
        ("while x:\n", indentation("expected an indented block after 'while' statement on line 1", 1, 9)),
        ("if x:\n  pass\nelif y:\n", indentation("expected an indented block after 'elif' statement on line 3", 3, 8)),
        ("if x:\n  pass\nelse:\n", indentation("expected an indented block after 'else' statement on line 3", 3, 6)),
        ("try:\n", indentation("expected an indented block after 'try' statement on line 1", 1, 5)),
        (
            "try:\n  pass\nexcept E:\n",
            indentation("expected an indented block after 'except' statement on line 3", 3, 10),
        ),
        (
            "try:\n  pass\nfinally:\n",
            indentation("expected an indented block after 'finally' statement on line 3", 3, 9),
        ),
        ("values = [1]\ntotal = max(values,\n            0\n", syntax("'(' was never closed", 2, 12)),
        ("x = 5\ny = x $ 2\n", syntax("invalid syntax", 2, 7)),
        ("x = 1 ? 2\n", syntax("invalid syntax", 1, 7)),
        ("x = = 1\n", syntax("invalid syntax", 1, 5)),
        ("x = \n", syntax("invalid syntax", 1, 5)),
        ("else:\n  pass\n", syntax("invalid syntax", 1, 1)),
        ("x = 1;; y = 2\n", syntax("invalid syntax", 1, 7)),
        ("print(1 2)\n", syntax("invalid syntax. Perhaps you forgot a comma?", 1, 7)),
        ("print 'hi'\n", syntax("Missing parentheses in call to 'print'. Did you mean print(...)?", 1, 1)),
        ("if x = 1:\n  pass\n", syntax("invalid syntax. Maybe you meant '==' or ':=' instead of '='?", 1, 4)),
        ("x = 'abc\n", syntax("unterminated string literal (detected at line 1)", 1, 5)),
        ("x = '''abc\n\n", syntax("unterminated triple-quoted string literal (detected at line 2)", 1, 5)),
        ("x = 1abc\n", syntax("invalid decimal literal", 1, 5)),
        ("x = 0x\n", syntax("invalid hexadecimal literal", 1, 6)),
        ("x = 0o8\n", syntax("invalid digit '8' in octal literal", 1, 7)),
        ("x = 1 + \\", syntax("unexpected EOF while parsing", 1, 10)),
        ("x = 1)\n", syntax("unmatched ')'", 1, 6)),
        ("x = (1]\n", syntax("closing parenthesis ']' does not match opening parenthesis '('", 1, 7)),
        ("1 = x\n", syntax("cannot assign to literal here. Maybe you meant '==' instead of '='?", 1, 1)),
        ("f() = 1\n", syntax("cannot assign to function call here. Maybe you meant '==' instead of '='?", 1, 1)),
        ("a, b += 1\n", syntax("'tuple' is an illegal expression for augmented assignment", 1, 1)),
        ("(a, 1) = x\n", syntax("cannot assign to literal", 1, 5)),
        ("for 1 in x:\n  pass\n", syntax("cannot assign to literal", 1, 5)),
        ("del 1\n", syntax("cannot delete literal", 1, 5)),
        ("f(a=1, 2)\n", syntax("positional argument follows keyword argument", 1, 8)),
        ("f(a=1, a=2)\n", syntax("keyword argument repeated: a", 1, 8)),
        ("def f(a, a):\n  pass\n", syntax("duplicate argument 'a' in function definition", 1, 10)),
        ("def f(a=1, b):\n  pass\n", syntax("non-default argument follows default argument", 1, 12)),
        ("try:\n  a\nexcept:\n  b\nexcept E:\n  c\n", syntax("default 'except:' must be last", 3, 1)),
        ("x = f'{'\n", syntax("f-string: expecting '}'", 1, 7)),
        ("x = f'{}'\n", syntax("f-string: empty expression not allowed", 1, 8)),
        ("x = f'}'\n", syntax("f-string: single '}' is not allowed", 1, 7)),
        ("x = f'{a b}'\n", syntax("f-string: invalid syntax. Perhaps you forgot a comma?", 1, 8)),
        ("x = 1 € 2\n", syntax("invalid character '€' (U+20AC)", 1, 7)),
        ("x = 1\0\n", syntax("source code cannot contain null bytes", 1, 6)),
        ("import math,\n", syntax("invalid syntax", 1, 13)),
        ("x = a if b\n", syntax("expected 'else' after 'if' expression", 1, 5)),
        ("x = [a if b]\n", syntax("expected 'else' after 'if' expression", 1, 6)),
    ];
    for (src, want) in cases {
        assert_eq!(err(src), want, "{src:?}");
    }
}

#[test]
fn rendered_like_cpython() {
    let src = "print(1)\nx = 3\nif x > 1\n    print('big')\n";
    assert_eq!(
        parse_err(src).render("prog.toy", src),
        "  File \"prog.toy\", line 3\n    if x > 1\n            ^\nSyntaxError: expected ':'\n"
    );
    let src = "x = 1\n    y = 2\n";
    assert_eq!(
        parse_err(src).render("t.toy", src),
        "  File \"t.toy\", line 2\n    y = 2\nIndentationError: unexpected indent\n"
    );
    let src = "class A:\n    pass\n";
    let text = parse_err(src).render("t.toy", src);
    assert!(text.starts_with("  File \"t.toy\", line 1\n    class A:\n    ^^^^^\nSyntaxError: "), "{text}");
    assert!(text.contains("not supported"));
}

#[test]
fn unsupported_features_are_named() {
    let cases = [
        ("class A:\n  pass\n", "class", 1),
        ("def g():\n  yield 1\n", "yield", 2),
        ("x = (yield)\n", "yield", 1),
        ("@deco\ndef f(): pass\n", "decorators ('@deco')", 1),
        ("with open(f) as g:\n  pass\n", "with", 1),
        ("import os\n", "'os'", 1),
        ("import os.path\n", "'os.path'", 1),
        ("import math, sys\n", "'sys'", 1),
        ("import math as m\n", "'import math as m'", 1),
        ("from math import sqrt\n", "from", 1),
        ("def f():\n  nonlocal x\n", "nonlocal", 2),
        ("def f(*args): pass\n", "*args", 1),
        ("def f(**kw): pass\n", "**kw", 1),
        ("def f(a, *, b): pass\n", "keyword-only", 1),
        ("def f(a, /, b): pass\n", "positional-only", 1),
        ("f = lambda *a: a\n", "*a", 1),
        ("f(*x)\n", "'*' argument unpacking", 1),
        ("f(**x)\n", "'**' argument unpacking", 1),
        ("a, *b = c\n", "starred", 1),
        ("x = [*a, 1]\n", "starred", 1),
        ("d = {**a}\n", "'**' unpacking", 1),
        ("async def f(): pass\n", "async", 1),
        ("x = await y\n", "await", 1),
        ("(y := 1)\n", "':='", 1),
        ("s = {1, 2}\n", "set displays", 1),
        ("s = {x for x in y}\n", "set comprehensions", 1),
        ("match x:\n  case 1:\n    pass\n", "'match'", 1),
        ("x = a @ b\n", "'@'", 1),
        ("x = 1j\n", "imaginary", 1),
        ("x = 2.5J\n", "imaginary", 1),
        ("x = b'abc'\n", "bytes", 1),
        ("def f(x: int): pass\n", "annotations", 1),
        ("def f(x: int = 1): pass\n", "annotations", 1),
        ("def f(x) -> int: pass\n", "'->'", 1),
        ("x: int = 1\n", "annotations", 1),
        ("x = ...\n", "Ellipsis", 1),
        ("raise E from e\n", "from", 1),
        ("if True:\n\tprint(1)\n", "tab in indentation", 2),
        ("x = f'{a:{w}}'\n", "nested replacement fields", 1),
        ("x = a[1:2, 3]\n", "multi-dimensional slicing", 1),
        ("def f(): pass\nprint(f.__qualname__)\n", "'__qualname__'", 2),
        ("n = [1].__len__()\n", "'__len__'", 1),
        ("print('this runs in CPython')\nclass A: pass\n", "class", 2),
    ];
    for (src, feature, line) in cases {
        let e = parse_err(src);
        assert_eq!(e.kind, SyntaxErrorKind::NotSupported, "{src:?}: {e}");
        assert!(e.message.contains("not supported"), "{src:?}: {}", e.message);
        assert!(e.message.contains(feature), "{src:?}: {}", e.message);
        assert_eq!(e.line, line, "{src:?}");
    }
}

#[test]
fn an_earlier_syntax_error_wins_over_a_later_unsupported_feature() {
    let e = parse_err("x = (\ny = 1 +\nclass A: pass\n");
    assert_eq!(e.kind, SyntaxErrorKind::SyntaxError);
}

#[test]
fn incomplete_input() {
    for src in [
        "if x:\n",
        "if x:",
        "for i in range(3):\n",
        "def f():\n",
        "if x:\n  pass\nelse:\n",
        "x = (1,\n",
        "f(a,\n  b\n",
        "x = [\n",
        "d = {1: 2,\n",
        "s = '''abc\n",
        "s = \"\"\"abc\n\ndef\n",
        "x = 1 + \\",
        "x = 1 + \\\n",
    ] {
        let e = parse_err(src);
        assert!(e.incomplete, "{src:?} should be incomplete: {e}");
    }
    for src in ["x = \n", "x = 'abc\n", "if x\n", "x = 1)\n", "if x:\nprint(1)\n", "x = $\n", "class A:\n"] {
        let e = parse_err(src);
        assert!(!e.incomplete, "{src:?} should be complete: {e}");
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    for src in [
        format!("x = {}", "(".repeat(100_000)),
        format!("x = {}1{}\n", "(".repeat(100_000), ")".repeat(100_000)),
        format!("x = {}1{}\n", "[".repeat(100_000), "]".repeat(100_000)),
        format!("x = {}\n", "{".repeat(300)),
    ] {
        let e = parse_err(&src);
        assert_eq!(e.message, "too many nested parentheses");
        assert_eq!(e.kind, SyntaxErrorKind::SyntaxError);
    }
    for src in [
        format!("x = {}\n", vec!["1"; 100_000].join(" + ")),
        format!("x = {}1\n", "-".repeat(100_000)),
        format!("x = {}1\n", "not ".repeat(100_000)),
        format!("x = 2{}\n", " ** 2".repeat(100_000)),
        format!("x = a{}\n", ".b".repeat(100_000)),
        format!("x = f{}\n", "()".repeat(100_000)),
        format!("x = a{}\n", "[0]".repeat(100_000)),
        format!("x = {}0\n", "lambda: ".repeat(100_000)),
        format!("x = 1{}\n", " if c else 1".repeat(100_000)),
        format!("x = {}\n", vec!["a"; 100_000].join(" or ")),
        format!("if a:\n  pass\n{}", "elif b:\n  pass\n".repeat(100_000)),
    ] {
        let e = parse_err(&src);
        assert_eq!(e.kind, SyntaxErrorKind::RecursionError, "{}: {}", &src[..20], e.message);
        assert_eq!(e.message, "maximum recursion depth exceeded during compilation");
    }
    let mut src = String::new();
    for i in 0..150 {
        src.push_str(&format!("{}while x:\n", " ".repeat(i)));
    }
    let e = parse_err(&src);
    assert_eq!((e.kind, e.message.as_str()), (SyntaxErrorKind::IndentationError, "too many levels of indentation"));
}

#[test]
fn no_panic_on_mangled_programs() {
    let program = "import math\ndef f(a, b=2):\n    if a < b and not a:\n        return [x * 2 for x in range(a) if x]\n    \
                   elif a:\n        s = f'{a!r:>3} {b}'\n    else:\n        try:\n            d = {1: (2,), 'k': a[1:2]}\n        \
                   except (ValueError, E) as e:\n            raise\n    while a: a -= 1; break\n    return a, -b ** 2\n\
                   print(f(1), sep='', end=\"\\n\")  # done\n";
    assert!(parse(program).is_ok());
    let chars: Vec<char> = program.chars().collect();
    let extra =
        ['(', ')', '[', ']', '{', '}', ':', '\'', '"', '\\', '\n', '\t', ' ', '#', ',', '*', '@', 'f', '\0', 'é'];
    for i in 0..chars.len() {
        // Truncation, deletion, and insertion of a troublesome character at every position.
        let _ = parse(&chars[..i].iter().collect::<String>());
        let deleted: String = chars[..i].iter().chain(&chars[i + 1..]).collect();
        let _ = parse(&deleted);
        let c = extra[i % extra.len()];
        let inserted: String = chars[..i].iter().chain(std::iter::once(&c)).chain(&chars[i..]).collect();
        let _ = parse(&inserted);
    }
}

#[test]
fn long_lines_are_fine() {
    // 4,300 digits: the most CPython takes in a decimal int literal.
    let src = format!("x = '{}'\ny = {}\n", "a".repeat(1_000_000), "1".repeat(4_300));
    assert!(parse(&src).is_ok());
}
