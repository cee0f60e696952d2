//! Lexer tests: layout tokens, line joining, literals, escapes, f-strings, lexical errors.
use crate::parser::ast::FStringPart;
use crate::parser::errors::{SyntaxError, SyntaxErrorKind};
use crate::parser::lexer::{Lexer, Tok};
use crate::parser::line_index::LineIndex;

/// The tokens of `src` in a compact form (`N` NEWLINE, `>` INDENT, `<` DEDENT).
fn toks(src: &str) -> Vec<String> {
    let index = LineIndex::new(src);
    Lexer::new(src, &index)
        .skip(1)
        .map(|t| match t {
            Ok((_, tok, _)) => match tok {
                Tok::Newline => "N".to_string(),
                Tok::Indent => ">".to_string(),
                Tok::Dedent => "<".to_string(),
                Tok::Name(n) => n,
                Tok::Int(i) => i.to_string(),
                Tok::Float(f) => format!("{f:?}"),
                Tok::Str(s) => format!("{s:?}"),
                other => format!("{other:?}"),
            },
            Err(e) => format!("ERR({})", e.message),
        })
        .collect()
}

fn lex_error(src: &str) -> SyntaxError {
    let index = LineIndex::new(src);
    Lexer::new(src, &index).find_map(|t| t.err()).expect("a lexical error")
}

#[test]
fn indentation_produces_indent_dedent() {
    assert_eq!(
        toks("if a:\n    b\n    if c:\n        d\ne\n"),
        ["If", "a", "Colon", "N", ">", "b", "N", "If", "c", "Colon", "N", ">", "d", "N", "<", "<", "e", "N"]
    );
}

#[test]
fn dedents_and_newline_at_end_of_input() {
    assert_eq!(toks("if a:\n  b"), ["If", "a", "Colon", "N", ">", "b", "N", "<"]);
    assert!(toks("").is_empty());
    assert!(toks("\n\n# only a comment\n   \n").is_empty());
}

#[test]
fn blank_and_comment_lines_are_ignored() {
    assert_eq!(toks("a = 1  # c\n\n   # indented comment\n\t\nb\n"), ["a", "Assign", "1", "N", "b", "N"]);
}

#[test]
fn brackets_join_lines() {
    assert_eq!(
        toks("x = (1,\n  2\n) + [3,\n4] + {5:\n6}\n"),
        [
            "x", "Assign", "LPar", "1", "Comma", "2", "RPar", "Plus", "LSqb", "3", "Comma", "4", "RSqb", "Plus",
            "LBrace", "5", "Colon", "6", "RBrace", "N"
        ]
    );
}

#[test]
fn backslash_continuation() {
    assert_eq!(toks("x = 1 + \\\n    2\ny\n"), ["x", "Assign", "1", "Plus", "2", "N", "y", "N"]);
    assert_eq!(toks("x = 1 + \\\r\n2\r\n"), ["x", "Assign", "1", "Plus", "2", "N"]);
    let e = lex_error("x = 1 + \\");
    assert_eq!(e.message, "unexpected EOF while parsing");
    assert!(e.incomplete);
    let e = lex_error("x = 1 \\ 2\n");
    assert_eq!(e.message, "unexpected character after line continuation character");
}

#[test]
fn tabs_outside_indentation_are_fine() {
    assert_eq!(toks("x =\t1\n"), ["x", "Assign", "1", "N"]);
    let e = lex_error("if a:\n\tb\n");
    assert_eq!(e.kind, SyntaxErrorKind::NotSupported);
    assert!(e.message.contains("tab in indentation is not supported"));
    assert_eq!(e.line, 2);
}

#[test]
fn number_literals() {
    assert_eq!(
        toks("1 0x_FF 0o17 0b101 1_000 1.0 .5 1. 1e-3 2.5E+10\n"),
        ["1", "255", "15", "5", "1000", "1.0", "0.5", "1.0", "0.001", "25000000000.0", "N"]
    );
    assert_eq!(toks("x.y 1.5.real\n")[..3], ["x", "Dot", "y"]);
    assert_eq!(toks("100000000000000000000000\n")[0], "100000000000000000000000");
}

#[test]
fn string_literals_and_escapes() {
    assert_eq!(
        toks(r#"'a\n' "b\t\"" 'c\\\'' '\x41\0' r'\n' u'x' '\101\u00e9'"#),
        ["\"a\\n\"", "\"b\\t\\\"\"", "\"c\\\\'\"", "\"A\\0\"", "\"\\\\n\"", "\"x\"", "\"Aé\"", "N"]
    );
    assert_eq!(toks("'''a\n'b'\"\"\"\n'''\n"), ["\"a\\n'b'\\\"\\\"\\\"\\n\"", "N"]);
    assert_eq!(toks("\"\"\"x\r\ny\"\"\"\n"), ["\"x\\ny\"", "N"]);
}

#[test]
fn string_errors() {
    let e = lex_error("x = 'abc\n");
    assert_eq!(e.message, "unterminated string literal (detected at line 1)");
    assert_eq!((e.line, e.column, e.incomplete), (1, 5, false));
    let e = lex_error("x = '''abc\n\n");
    assert_eq!(e.message, "unterminated triple-quoted string literal (detected at line 2)");
    assert!(e.incomplete);
    assert_eq!(lex_error("b'x'\n").kind, SyntaxErrorKind::NotSupported);
}

#[test]
fn fstrings() {
    let src = "f'a{x!r}{y:.3f}{{}}' f\"{d['k']:>10}\"\n";
    let index = LineIndex::new(src);
    let tokens: Vec<Tok> = Lexer::new(src, &index).filter_map(|t| t.ok().map(|t| t.1)).collect();
    let Tok::FStr(f) = &tokens[1] else { panic!("not an f-string: {tokens:?}") };
    assert_eq!(f.parts.len(), 4);
    assert_eq!(f.parts[0], FStringPart::Literal("a".into()));
    assert!(matches!(&f.parts[1], FStringPart::Expr { conversion: Some('r'), spec: None, .. }));
    assert!(matches!(&f.parts[2], FStringPart::Expr { conversion: None, spec: Some(s), .. } if s == ".3f"));
    assert_eq!(f.parts[3], FStringPart::Literal("{}".into()));
    let Tok::FStr(g) = &tokens[2] else { panic!("not an f-string") };
    let FStringPart::Expr { expr, .. } = &g.parts[0] else { panic!("no field") };
    // Spans of field expressions point into the whole source.
    assert_eq!(&src[expr.span.start as usize..expr.span.end as usize], "d['k']");
}

#[test]
fn unsupported_tokens() {
    for (src, word) in [
        ("class A: pass\n", "class"),
        ("yield 1\n", "yield"),
        ("with a: pass\n", "with"),
        ("nonlocal x\n", "nonlocal"),
        ("async def f(): pass\n", "async"),
        ("await x\n", "await"),
        ("from os import path\n", "from"),
        ("@deco\n", "decorator"),
        ("x = a @ b\n", "'@'"),
        ("x @= b\n", "'@='"),
        ("(y := 1)\n", "':='"),
        ("def f() -> int: pass\n", "'->'"),
        ("x = ...\n", "Ellipsis"),
        ("x = 1j\n", "imaginary"),
        ("x = b'a'\n", "bytes"),
    ] {
        let e = lex_error(src);
        assert_eq!(e.kind, SyntaxErrorKind::NotSupported, "{src}");
        assert!(e.message.contains("not supported") && e.message.contains(word), "{src}: {}", e.message);
    }
}

#[test]
fn bracket_errors() {
    assert_eq!(lex_error("x = (1]\n").message, "closing parenthesis ']' does not match opening parenthesis '('");
    assert_eq!(lex_error("x = 1)\n").message, "unmatched ')'");
    let e = lex_error("x = [1,\n");
    assert_eq!((e.message.as_str(), e.incomplete, e.column), ("'[' was never closed", true, 5));
    let deep = format!("x = {}{}\n", "(".repeat(100_000), ")".repeat(100_000));
    assert_eq!(lex_error(&deep).message, "too many nested parentheses");
}

#[test]
fn bad_characters() {
    assert_eq!(lex_error("x $ 2\n").message, "invalid syntax");
    assert_eq!(lex_error("x = 1 € 2\n").message, "invalid character '€' (U+20AC)");
    assert_eq!(lex_error("x = 1\0\n").message, "source code string cannot contain null bytes");
    assert_eq!(toks("héllo = 1\n"), ["héllo", "Assign", "1", "N"]);
}

#[test]
fn indentation_errors() {
    let e = lex_error("if a:\n    b\n  c\n");
    assert_eq!(e.kind, SyntaxErrorKind::IndentationError);
    assert_eq!(e.message, "unindent does not match any outer indentation level");
    let mut src = String::new();
    for i in 0..101 {
        src.push_str(&format!("{}if x:\n", " ".repeat(i)));
    }
    let e = lex_error(&src);
    assert_eq!((e.message.as_str(), e.line), ("too many levels of indentation", 101));
}
