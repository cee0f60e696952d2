//! Grammar tests: precedence, associativity, displays, comprehensions, every statement, spans.

use super::{parse_sexp, sexp};
use crate::parser::ast::{ExprKind, StmtKind};
use crate::parser::parse;

/// The single expression statement in `src`.
fn expr(src: &str) -> String {
    parse_sexp(&format!("{src}\n"))
}

#[test]
fn arithmetic_precedence() {
    assert_eq!(expr("1 + 2 * 3"), "(+ 1 (* 2 3))");
    assert_eq!(expr("1 - 2 - 3"), "(- (- 1 2) 3)");
    assert_eq!(expr("a / b // c % d"), "(% (// (/ a b) c) d)");
    assert_eq!(expr("a << 1 + 2"), "(<< a (+ 1 2))");
    assert_eq!(expr("a | b ^ c & d"), "(| a (^ b (& c d)))");
    assert_eq!(expr("a & b >> c"), "(& a (>> b c))");
    assert_eq!(expr("(1 + 2) * 3"), "(* (+ 1 2) 3)");
}

#[test]
fn power_binds_tighter_than_unary_and_is_right_associative() {
    assert_eq!(expr("-2 ** 2"), "(neg (** 2 2))");
    assert_eq!(expr("2 ** -1"), "(** 2 (neg 1))");
    assert_eq!(expr("2 ** 3 ** 2"), "(** 2 (** 3 2))");
    assert_eq!(expr("-x ** -y"), "(neg (** x (neg y)))");
    assert_eq!(expr("~-+x"), "(~ (neg (pos x)))");
    assert_eq!(expr("a.b ** c[1]"), "(** (. a b) ([] c 1))");
}

#[test]
fn boolean_and_comparison_precedence() {
    assert_eq!(expr("not a == b"), "(not (cmp a == b))");
    assert_eq!(expr("a or b and not c"), "(or a (and b (not c)))");
    assert_eq!(expr("a and b and c"), "(and (and a b) c)");
    assert_eq!(expr("a or b or c"), "(or (or a b) c)");
    assert_eq!(expr("a + 1 < b | c"), "(cmp (+ a 1) < (| b c))");
}

#[test]
fn chained_comparisons() {
    assert_eq!(expr("0 <= i < n"), "(cmp 0 <= i < n)");
    assert_eq!(expr("a == b != c > d >= e"), "(cmp a == b != c > d >= e)");
    assert_eq!(expr("a is not None"), "(cmp a is-not None)");
    assert_eq!(expr("a is b"), "(cmp a is b)");
    assert_eq!(expr("x not in y in z"), "(cmp x not-in y in z)");
}

#[test]
fn conditional_and_lambda() {
    assert_eq!(expr("a if c else b"), "(ifexp c a b)");
    assert_eq!(expr("a if c else b if d else e"), "(ifexp c a (ifexp d b e))");
    assert_eq!(expr("x or y if c else z"), "(ifexp c (or x y) z)");
    assert_eq!(expr("lambda: 0"), "(lambda () 0)");
    assert_eq!(expr("lambda x, y=2: x + y"), "(lambda (x y=2) (+ x y))");
    assert_eq!(expr("lambda x: a if x else b"), "(lambda (x) (ifexp x a b))");
    assert_eq!(expr("f(lambda a: a * 2)"), "(call f (lambda (a) (* a 2)))");
}

#[test]
fn primaries() {
    assert_eq!(expr("a.b.c(1)(2)[3]"), "([] (call (call (. (. a b) c) 1) 2) 3)");
    assert_eq!(expr("print(a, b, sep='', end='\\n')"), "(call print a b sep=\"\" end=\"\\n\")");
    assert_eq!(expr("f(a,)"), "(call f a)");
    assert_eq!(expr("f()"), "(call f)");
    assert_eq!(expr("s.join(x)"), "(call (. s join) x)");
}

#[test]
fn slices() {
    assert_eq!(expr("a[1:2]"), "([] a (: 1 2 _))");
    assert_eq!(expr("a[::2]"), "([] a (: _ _ 2))");
    assert_eq!(expr("a[:]"), "([] a (: _ _ _))");
    assert_eq!(expr("a[i:j:k]"), "([] a (: i j k))");
    assert_eq!(expr("a[::-1]"), "([] a (: _ _ (neg 1)))");
    assert_eq!(expr("a[-1]"), "([] a (neg 1))");
    assert_eq!(expr("d[1, 2]"), "([] d (tuple 1 2))");
}

#[test]
fn displays() {
    assert_eq!(expr("()"), "(tuple)");
    assert_eq!(expr("(1,)"), "(tuple 1)");
    assert_eq!(expr("(1, 2,)"), "(tuple 1 2)");
    assert_eq!(expr("(1)"), "1");
    assert_eq!(expr("[]"), "[]");
    assert_eq!(expr("[1, [2, 3],]"), "[1 [2 3]]");
    assert_eq!(expr("{}"), "{}");
    assert_eq!(expr("{'a': 1, 2: [3],}"), "{\"a\": 1, 2: [3]}");
    assert_eq!(expr("1, 2"), "(tuple 1 2)");
    assert_eq!(expr("1,"), "(tuple 1)");
}

#[test]
fn literals() {
    assert_eq!(expr("True, False, None"), "(tuple True False None)");
    assert_eq!(expr("1.5e3, .5, 0xff"), "(tuple 1500.0 0.5 255)");
    assert_eq!(expr("2 ** 100"), "(** 2 100)");
    assert_eq!(expr("123456789012345678901234567890"), "123456789012345678901234567890");
}

#[test]
fn string_concatenation() {
    assert_eq!(expr("'a' \"b\" '''c'''"), "\"abc\"");
    assert_eq!(expr("('a'\n 'b')"), "\"ab\"");
    assert_eq!(expr("'a' f'{x}' 'b'"), "(f \"a\" {x} \"b\")");
    assert_eq!(expr("f'{x!r:>10} and {y:.3f}'"), "(f {x!r:>10} \" and \" {y:.3f})");
    assert_eq!(expr("f\"{d['k']} {{lit}}\""), "(f {([] d \"k\")} \" {lit}\")");
    assert_eq!(expr("f'{a + b * 2}'"), "(f {(+ a (* b 2))})");
    assert_eq!(expr("f'{x=}'"), "(f \"x=\" {x!r})");
    assert_eq!(expr("f'{f\"{1}\"}'"), "(f {(f {1})})");
    assert_eq!(expr("f''"), "(f )");
}

#[test]
fn list_comprehensions() {
    assert_eq!(expr("[x for x in y]"), "(listcomp x (for x y))");
    assert_eq!(
        expr("[x * y for x in a if x if x > 1 for y in b if y]"),
        "(listcomp (* x y) (for x a (if x) (if (cmp x > 1))) (for y b (if y)))"
    );
    assert_eq!(expr("[(a, b) for a, b in pairs]"), "(listcomp (tuple a b) (for (tuple a b) pairs))");
    assert_eq!(expr("[[y for y in x] for x in m]"), "(listcomp (listcomp y (for y x)) (for x m))");
    assert_eq!(expr("[a if c else b for a in l]"), "(listcomp (ifexp c a b) (for a l))");
}

#[test]
fn assignments() {
    assert_eq!(parse_sexp("x = 1\n"), "(= x 1)");
    assert_eq!(parse_sexp("a = b = 0\n"), "(= a b 0)");
    assert_eq!(parse_sexp("a, b = b, a + b\n"), "(= (tuple a b) (tuple b (+ a b)))");
    assert_eq!(parse_sexp("x, = t\n"), "(= (tuple x) t)");
    assert_eq!(parse_sexp("[a, b] = c\n"), "(= [a b] c)");
    assert_eq!(parse_sexp("(a, b), c = d\n"), "(= (tuple (tuple a b) c) d)");
    assert_eq!(parse_sexp("a[i] = o.x = 2\n"), "(= ([] a i) (. o x) 2)");
    assert_eq!(parse_sexp("a[1:2] = []\n"), "(= ([] a (: 1 2 _)) [])");
}

#[test]
fn augmented_assignments() {
    let ops = ["+", "-", "*", "/", "//", "%", "**", "&", "|", "^", "<<", ">>"];
    for op in ops {
        assert_eq!(parse_sexp(&format!("x {op}= 2\n")), format!("({op}= x 2)"));
    }
    assert_eq!(parse_sexp("a[i] += 1\n"), "(+= ([] a i) 1)");
    assert_eq!(parse_sexp("o.n -= 1, 2\n"), "(-= (. o n) (tuple 1 2))");
}

#[test]
fn simple_statements() {
    assert_eq!(parse_sexp("pass; x = 1; f(x);\n"), "pass; (= x 1); (call f x)");
    assert_eq!(parse_sexp("del a[0], b\n"), "(del ([] a 0) b)");
    assert_eq!(parse_sexp("assert x > 0, 'neg'\n"), "(assert (cmp x > 0) \"neg\")");
    assert_eq!(parse_sexp("assert x\n"), "(assert x)");
    assert_eq!(parse_sexp("import math\n"), "(import math)");
    assert_eq!(parse_sexp("raise\n"), "(raise)");
    assert_eq!(parse_sexp("raise ValueError('x')\n"), "(raise (call ValueError \"x\"))");
    assert_eq!(parse_sexp("global a, b\n"), "(global a b)");
}

#[test]
fn if_elif_else() {
    assert_eq!(parse_sexp("if a:\n    x\nelif b:\n    y\nelse:\n    z\n"), "(if a [x] [(if b [y] [z])])");
    assert_eq!(parse_sexp("if x: y = 1\n"), "(if x [(= y 1)] [])");
    assert_eq!(parse_sexp("if x: a; b\nelse: c\n"), "(if x [a b] [c])");
    assert_eq!(parse_sexp("if a:\n  if b:\n    x\n  else:\n    y\nz\n"), "(if a [(if b [x] [y])] []); z");
}

#[test]
fn loops() {
    assert_eq!(parse_sexp("while x:\n  x -= 1\nelse:\n  pass\n"), "(while x [(-= x 1)] [pass])");
    assert_eq!(parse_sexp("while True:\n  break\n"), "(while True [break] [])");
    assert_eq!(parse_sexp("for i in range(3):\n  continue\n"), "(for i (call range 3) [continue] [])");
    assert_eq!(parse_sexp("for a, b in x: pass\n"), "(for (tuple a b) x [pass] [])");
    assert_eq!(parse_sexp("for x in 1, 2:\n  pass\nelse:\n  y\n"), "(for x (tuple 1 2) [pass] [y])");
    assert_eq!(parse_sexp("for (i, x) in e: pass\n"), "(for (tuple i x) e [pass] [])");
}

#[test]
fn function_definitions() {
    assert_eq!(parse_sexp("def f(a, b, c=1):\n    return a, b\n"), "(def f (a b c=1) [(return (tuple a b))])");
    assert_eq!(parse_sexp("def g(): return\n"), "(def g () [(return)])");
    assert_eq!(parse_sexp("def h(x,):\n  def k(): pass\n  return k\n"), "(def h (x) [(def k () [pass]) (return k)])");
}

#[test]
fn try_statements() {
    let src = "try:\n  a\nexcept ValueError as e:\n  b\nexcept (A, B):\n  c\nexcept:\n  d\nelse:\n  e\nfinally:\n  f\n";
    assert_eq!(
        parse_sexp(src),
        "(try [a] (except ValueError e [b]) (except (tuple A B) _ [c]) (except _ _ [d]) [e] [f])"
    );
    assert_eq!(parse_sexp("try:\n  a\nfinally:\n  b\n"), "(try [a]  [] [b])");
}

#[test]
fn layout_variants() {
    assert_eq!(parse_sexp(""), "");
    assert_eq!(parse_sexp("x = 1"), "(= x 1)");
    assert_eq!(parse_sexp("\n\n# c\nx = [1,\n  2]  # c\n\n"), "(= x [1 2])");
    assert_eq!(parse_sexp("x = 1 + \\\n  2\n"), "(= x (+ 1 2))");
    assert_eq!(parse_sexp("if a:\r\n    b\r\n"), "(if a [b] [])");
    assert_eq!(parse_sexp("\u{feff}x = 1\n"), "(= x 1)");
    assert_eq!(parse_sexp("def f():\n    x = 1\n\n    return x\n"), "(def f () [(= x 1) (return x)])");
}

#[test]
fn spans() {
    let src = "x = 1\nif y:\n    z = foo(1, 2) + 3\n";
    let m = parse(src).expect("parses");
    assert_eq!((m.body[0].span.start, m.body[0].span.end), (0, 5));
    let text = |s: crate::parser::ast::Span| &src[s.start as usize..s.end as usize];
    assert_eq!(text(m.body[1].span), "if y:\n    z = foo(1, 2) + 3");
    let StmtKind::If { body, .. } = &m.body[1].kind else { panic!("not an if") };
    let StmtKind::Assign { value, .. } = &body[0].kind else { panic!("not an assignment") };
    assert_eq!(text(value.span), "foo(1, 2) + 3");
    let ExprKind::BinOp(_, call, _) = &value.kind else { panic!("not a binop") };
    assert_eq!(text(call.span), "foo(1, 2)");
    assert_eq!(sexp(call), "(call foo 1 2)");
}

#[test]
fn soft_keywords_are_names() {
    assert_eq!(parse_sexp("match = 1\ncase = match\n"), "(= match 1); (= case match)");
    assert_eq!(parse_sexp("print(match)\n"), "(call print match)");
}

#[test]
fn deep_but_legal_nesting() {
    let src = format!("x = {}1{}\n", "(".repeat(199), ")".repeat(199));
    assert_eq!(parse_sexp(&src), "(= x 1)");
    let sum = vec!["1"; 900].join(" + ");
    assert!(parse(&format!("x = {sum}\n")).is_ok());
    let wide = vec!["1"; 20_000].join(", ");
    assert!(parse(&format!("x = [{wide}]\n")).is_ok());
}
