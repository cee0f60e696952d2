//! Parser tests: the lexer (`lexer.rs`), the grammar (`grammar.rs`), error messages (`errors.rs`) and the shared
//! conformance and benchmark programs (`conformance.rs`). Trees are compared in a compact
//! S-expression form printed by [`sexp`] and [`stmt_sexp`].

mod conformance;
mod errors;
mod grammar;
mod lexer;

use super::ast::*;
use super::{SyntaxError, parse};

#[rustfmt::skip]
fn bin(op: BinOp) -> &'static str {
    match op {
        BinOp::Add => "+", BinOp::Sub => "-", BinOp::Mul => "*", BinOp::TrueDiv => "/",
        BinOp::FloorDiv => "//", BinOp::Mod => "%", BinOp::Pow => "**", BinOp::LShift => "<<",
        BinOp::RShift => ">>", BinOp::BitAnd => "&", BinOp::BitOr => "|", BinOp::BitXor => "^",
    }
}

#[rustfmt::skip]
fn cmp(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Eq => "==", CmpOp::NotEq => "!=", CmpOp::Lt => "<", CmpOp::LtE => "<=",
        CmpOp::Gt => ">", CmpOp::GtE => ">=", CmpOp::Is => "is", CmpOp::IsNot => "is-not",
        CmpOp::In => "in", CmpOp::NotIn => "not-in",
    }
}

fn list(items: &[Expr]) -> String {
    items.iter().map(sexp).collect::<Vec<_>>().join(" ")
}

fn opt(e: &Option<Box<Expr>>) -> String {
    e.as_ref().map_or("_".to_string(), |e| sexp(e))
}

fn params(ps: &[Param]) -> String {
    let v: Vec<String> = ps
        .iter()
        .map(|p| match &p.default {
            Some(d) => format!("{}={}", p.name, sexp(d)),
            None => p.name.clone(),
        })
        .collect();
    format!("({})", v.join(" "))
}

/// An expression as an S-expression: `(+ a (* b c))`.
pub(super) fn sexp(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Int(i) => i.to_string(),
        ExprKind::Float(f) => format!("{f:?}"),
        ExprKind::Str(s) => format!("{s:?}"),
        ExprKind::FString(parts) => {
            let v: Vec<String> = parts
                .iter()
                .map(|p| match p {
                    FStringPart::Literal(s) => format!("{s:?}"),
                    FStringPart::Expr { expr, conversion, spec } => format!(
                        "{{{}{}{}}}",
                        sexp(expr),
                        conversion.map_or(String::new(), |c| format!("!{c}")),
                        spec.as_ref().map_or(String::new(), |s| format!(":{s}"))
                    ),
                })
                .collect();
            format!("(f {})", v.join(" "))
        }
        ExprKind::Bool(b) => if *b { "True" } else { "False" }.to_string(),
        ExprKind::None => "None".to_string(),
        ExprKind::Name(n) => n.clone(),
        ExprKind::List(items) => format!("[{}]", list(items)),
        ExprKind::Tuple(items) => format!("(tuple {})", list(items)).replace("(tuple )", "(tuple)"),
        ExprKind::Dict(items) => {
            let v: Vec<String> = items.iter().map(|(k, v)| format!("{}: {}", sexp(k), sexp(v))).collect();
            format!("{{{}}}", v.join(", "))
        }
        ExprKind::BinOp(op, a, b) => format!("({} {} {})", bin(*op), sexp(a), sexp(b)),
        ExprKind::UnaryOp(op, a) => {
            let name = match op {
                UnaryOp::Neg => "neg",
                UnaryOp::Pos => "pos",
                UnaryOp::Invert => "~",
                UnaryOp::Not => "not",
            };
            format!("({name} {})", sexp(a))
        }
        ExprKind::BoolOp(op, a, b) => {
            format!("({} {} {})", if *op == BoolOp::And { "and" } else { "or" }, sexp(a), sexp(b))
        }
        ExprKind::Compare(first, rest) => {
            let mut s = format!("(cmp {}", sexp(first));
            for (op, e) in rest {
                s.push_str(&format!(" {} {}", cmp(*op), sexp(e)));
            }
            s + ")"
        }
        ExprKind::IfExp { test, body, orelse } => {
            format!("(ifexp {} {} {})", sexp(test), sexp(body), sexp(orelse))
        }
        ExprKind::Call { func, args, kwargs } => {
            let mut s = format!("(call {}", sexp(func));
            for a in args {
                s.push_str(&format!(" {}", sexp(a)));
            }
            for (k, v) in kwargs {
                s.push_str(&format!(" {k}={}", sexp(v)));
            }
            s + ")"
        }
        ExprKind::Attribute(v, name) => format!("(. {} {name})", sexp(v)),
        ExprKind::Subscript(v, i) => format!("([] {} {})", sexp(v), sexp(i)),
        ExprKind::Slice { lower, upper, step } => {
            format!("(: {} {} {})", opt(lower), opt(upper), opt(step))
        }
        ExprKind::Lambda { params: ps, body } => format!("(lambda {} {})", params(ps), sexp(body)),
        ExprKind::GenExp { element, generators } => comp_sexp(format!("(genexp {}", sexp(element)), generators),
        ExprKind::DictComp { key, value, generators } => {
            comp_sexp(format!("(dictcomp {} {}", sexp(key), sexp(value)), generators)
        }
        ExprKind::ListComp { element, generators } => comp_sexp(format!("(listcomp {}", sexp(element)), generators),
    }
}

/// The `for` clauses of a comprehension appended to its head, closed.
fn comp_sexp(mut s: String, generators: &[crate::parser::ast::Comprehension]) -> String {
    for g in generators {
        s.push_str(&format!(" (for {} {}", sexp(&g.target), sexp(&g.iter)));
        for c in &g.ifs {
            s.push_str(&format!(" (if {})", sexp(c)));
        }
        s.push(')');
    }
    s + ")"
}

fn block(stmts: &[Stmt]) -> String {
    format!("[{}]", stmts.iter().map(stmt_sexp).collect::<Vec<_>>().join(" "))
}

/// A statement as an S-expression: `(= x 1)`, `(if c [..] [..])`.
pub(super) fn stmt_sexp(s: &Stmt) -> String {
    match &s.kind {
        StmtKind::Expr(e) => sexp(e),
        StmtKind::Assign { targets, value } => format!("(= {} {})", list(targets), sexp(value)),
        StmtKind::AugAssign { target, op, value } => {
            format!("({}= {} {})", bin(*op), sexp(target), sexp(value))
        }
        StmtKind::If { test, body, orelse } => {
            format!("(if {} {} {})", sexp(test), block(body), block(orelse))
        }
        StmtKind::While { test, body, orelse } => {
            format!("(while {} {} {})", sexp(test), block(body), block(orelse))
        }
        StmtKind::For { target, iter, body, orelse } => {
            format!("(for {} {} {} {})", sexp(target), sexp(iter), block(body), block(orelse))
        }
        StmtKind::Break => "break".into(),
        StmtKind::Continue => "continue".into(),
        StmtKind::Pass => "pass".into(),
        StmtKind::FunctionDef { name, params: ps, body } => format!("(def {name} {} {})", params(ps), block(body)),
        StmtKind::Return(v) => v.as_ref().map_or("(return)".into(), |v| format!("(return {})", sexp(v))),
        StmtKind::Global(names) => format!("(global {})", names.join(" ")),
        StmtKind::Try { body, handlers, orelse, finalbody } => {
            let hs: Vec<String> = handlers
                .iter()
                .map(|h| {
                    format!(
                        "(except {} {} {})",
                        h.exception.as_ref().map_or("_".into(), sexp),
                        h.name.clone().unwrap_or("_".into()),
                        block(&h.body)
                    )
                })
                .collect();
            format!("(try {} {} {} {})", block(body), hs.join(" "), block(orelse), block(finalbody))
        }
        StmtKind::Raise(v) => v.as_ref().map_or("(raise)".into(), |v| format!("(raise {})", sexp(v))),
        StmtKind::Assert { test, msg } => match msg {
            Some(m) => format!("(assert {} {})", sexp(test), sexp(m)),
            None => format!("(assert {})", sexp(test)),
        },
        StmtKind::Import(m) => format!("(import {m})"),
        StmtKind::Del(targets) => format!("(del {})", list(targets)),
    }
}

/// The statements of `src`, one S-expression per statement, joined by "; ".
pub(super) fn parse_sexp(src: &str) -> String {
    match parse(src) {
        Ok(m) => m.body.iter().map(stmt_sexp).collect::<Vec<_>>().join("; "),
        Err(e) => panic!("{src:?} failed to parse: {e}"),
    }
}

/// The error `src` fails with.
pub(super) fn parse_err(src: &str) -> SyntaxError {
    match parse(src) {
        Ok(m) => panic!("{src:?} parsed: {m:?}"),
        Err(e) => e,
    }
}
