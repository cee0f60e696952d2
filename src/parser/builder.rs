//! Expression construction helpers called from the grammar's actions (statement helpers are
//! in `builder_stmt.rs`).
//!
//! Every expression and statement is built together with its nesting depth ([`E`], [`St`]);
//! a node deeper than [`MAX_DEPTH`] is a syntax error. This bounds the recursion of every
//! later phase that walks the tree (and of the tree's own `Drop`), whatever the input.
//! The helpers also validate what the grammar cannot express: assignment and deletion
//! targets, parameter and argument order, and the features outside Toy that only show up
//! after a whole construct is read (a slice inside a tuple index, ...).

use super::ast::*;
use super::errors::{SyntaxError, SyntaxErrorKind};
use super::lexer::{FStringTok, Tok};
use super::line_index::LineIndex;
use lalrpop_util::ParseError;

/// The deepest an expression or statement tree may be, counted as CPython's compiler counts:
/// `x = 1 + 1 + ...` with 2,998 `+` is 3,000 levels and compiles; one more is CPython's
/// `RecursionError` "maximum recursion depth exceeded during compilation", and ours.
pub const MAX_DEPTH: u32 = 3000;

/// The error type of fallible grammar actions.
pub type PErr = ParseError<usize, Tok, SyntaxError>;
pub type R<T> = Result<T, PErr>;

/// An expression and its depth (a leaf has depth 1).
#[derive(Clone, Debug)]
pub struct E {
    pub e: Expr,
    pub d: u32,
}

/// A statement and its depth.
#[derive(Clone, Debug)]
pub struct St {
    pub s: Stmt,
    pub d: u32,
}

/// What the start symbol produced.
pub enum Top {
    Module(Vec<St>),
    Expr(E),
}

/// A parameter before validation.
pub struct ParamE {
    pub name: String,
    pub default: Option<E>,
    pub start: usize,
    pub end: usize,
}

/// A call argument before validation.
pub enum Arg {
    Pos(E),
    Kw(String, E, usize),
}

/// A piece of an implicitly concatenated string literal.
pub enum StrPiece {
    Plain(String),
    F(FStringTok),
}

pub fn error(ix: &LineIndex, kind: SyntaxErrorKind, msg: impl Into<String>, start: usize, end: usize) -> PErr {
    ParseError::User { error: SyntaxError::at(kind, msg, ix, start, end) }
}

/// A tree deeper than [`MAX_DEPTH`]: CPython's RecursionError.
pub fn too_deep(ix: &LineIndex, start: usize, end: usize) -> PErr {
    error(ix, SyntaxErrorKind::RecursionError, "maximum recursion depth exceeded during compilation", start, end)
}

pub fn syntax(ix: &LineIndex, msg: impl Into<String>, start: usize, end: usize) -> PErr {
    error(ix, SyntaxErrorKind::SyntaxError, msg, start, end)
}

/// Fails with a "not supported" error; `msg` is the whole message.
pub fn unsupported<T>(ix: &LineIndex, msg: &str, start: usize, end: usize) -> R<T> {
    Err(error(ix, SyntaxErrorKind::NotSupported, msg, start, end))
}

pub(super) fn span(start: usize, end: usize) -> Span {
    Span::new(start, end)
}

/// A node with children of depth `d`; fails past [`MAX_DEPTH`].
pub fn node(ix: &LineIndex, kind: ExprKind, start: usize, end: usize, d: u32) -> R<E> {
    if d >= MAX_DEPTH {
        return Err(too_deep(ix, start, end));
    }
    Ok(E { e: Expr { kind, span: span(start, end) }, d: d + 1 })
}

pub fn leaf(kind: ExprKind, start: usize, end: usize) -> E {
    E { e: Expr { kind, span: span(start, end) }, d: 1 }
}

pub(super) fn max_depth<'a>(items: impl IntoIterator<Item = &'a E>) -> u32 {
    items.into_iter().map(|e| e.d).max().unwrap_or(0)
}

pub(super) fn start_of(e: &E) -> usize {
    e.e.span.start as usize
}

pub(super) fn end_of(e: &E) -> usize {
    e.e.span.end as usize
}

/// `a op b` from byte `start` to `end`: as in CPython, the span includes the parentheses
/// around an operand (`(x + 1) / y` starts at the `(`), while each operand's own span does not.
pub fn binop(ix: &LineIndex, op: BinOp, a: E, b: E, start: usize, end: usize) -> R<E> {
    let d = a.d.max(b.d);
    node(ix, ExprKind::BinOp(op, Box::new(a.e), Box::new(b.e)), start, end, d)
}

pub fn unary(ix: &LineIndex, op: UnaryOp, start: usize, a: E) -> R<E> {
    let (t, d) = (end_of(&a), a.d);
    node(ix, ExprKind::UnaryOp(op, Box::new(a.e)), start, t, d)
}

pub fn boolop(ix: &LineIndex, op: BoolOp, a: E, b: E) -> R<E> {
    let (s, t, d) = (start_of(&a), end_of(&b), a.d.max(b.d));
    node(ix, ExprKind::BoolOp(op, Box::new(a.e), Box::new(b.e)), s, t, d)
}

pub fn compare(ix: &LineIndex, first: E, rest: Vec<(CmpOp, E)>) -> R<E> {
    let d = first.d.max(rest.iter().map(|(_, e)| e.d).max().unwrap_or(0));
    let s = start_of(&first);
    let t = rest.last().map_or(end_of(&first), |(_, e)| end_of(e));
    let rest = rest.into_iter().map(|(op, e)| (op, e.e)).collect();
    node(ix, ExprKind::Compare(Box::new(first.e), rest), s, t, d)
}

pub fn if_exp(ix: &LineIndex, body: E, test: E, orelse: E) -> R<E> {
    let (s, t) = (start_of(&body), end_of(&orelse));
    let d = body.d.max(test.d).max(orelse.d);
    let kind = ExprKind::IfExp { test: Box::new(test.e), body: Box::new(body.e), orelse: Box::new(orelse.e) };
    node(ix, kind, s, t, d)
}

/// `value.name` spanning `start..end`: `start` is where the primary's text begins, before any
/// parentheses around `value` (CPython's node starts there too: its caret lines do).
pub fn attribute(ix: &LineIndex, value: E, name: String, start: usize, end: usize) -> R<E> {
    // Every Python object has dunder attributes (`__class__`, `__qualname__`, `__len__`...);
    // Toy has only `__name__` (of types, builtins and functions): the others would be a wrong
    // AttributeError at run time, so they are refused before the program runs.
    if name.starts_with("__") && name.ends_with("__") && name != "__name__" {
        return unsupported(ix, &format!("the attribute '{name}' is not supported in Toy"), start, end);
    }
    let (s, d) = (start, value.d);
    node(ix, ExprKind::Attribute(Box::new(value.e), name), s, end, d)
}

/// `value[index]` spanning `start..end` (`start` as for [`attribute`]).
pub fn subscript(ix: &LineIndex, value: E, index: E, start: usize, end: usize) -> R<E> {
    if let ExprKind::Tuple(items) = &index.e.kind
        && let Some(slice) = items.iter().find(|e| matches!(e.kind, ExprKind::Slice { .. }))
    {
        let (s, t) = (slice.span.start as usize, slice.span.end as usize);
        return unsupported(
            ix,
            "multi-dimensional slicing (a slice inside a tuple index) is not supported in Toy",
            s,
            t,
        );
    }
    let (s, d) = (start, value.d.max(index.d));
    node(ix, ExprKind::Subscript(Box::new(value.e), Box::new(index.e)), s, end, d)
}

pub fn slice(
    ix: &LineIndex,
    lower: Option<E>,
    upper: Option<E>,
    step: Option<Option<E>>,
    start: usize,
    end: usize,
) -> R<E> {
    let step = step.flatten();
    let d = [&lower, &upper, &step].iter().filter_map(|e| e.as_ref().map(|e| e.d)).max().unwrap_or(0);
    let bx = |e: Option<E>| e.map(|e| Box::new(e.e));
    node(ix, ExprKind::Slice { lower: bx(lower), upper: bx(upper), step: bx(step) }, start, end, d)
}

/// `func(args)` spanning `start..end` (`start` as for [`attribute`]).
pub fn call(ix: &LineIndex, func: E, args: Vec<Arg>, start: usize, end: usize) -> R<E> {
    let mut positional = Vec::new();
    let mut keywords: Vec<(String, Expr)> = Vec::new();
    let mut d = func.d;
    for arg in args {
        match arg {
            Arg::Pos(e) => {
                if !keywords.is_empty() {
                    return Err(syntax(ix, "positional argument follows keyword argument", start_of(&e), end_of(&e)));
                }
                d = d.max(e.d);
                positional.push(e.e);
            }
            Arg::Kw(name, e, start) => {
                if keywords.iter().any(|(k, _)| *k == name) {
                    return Err(syntax(ix, format!("keyword argument repeated: {name}"), start, start + name.len()));
                }
                d = d.max(e.d);
                keywords.push((name, e.e));
            }
        }
    }
    let s = start;
    node(ix, ExprKind::Call { func: Box::new(func.e), args: positional, kwargs: keywords }, s, end, d)
}

pub fn tuple(ix: &LineIndex, items: Vec<E>, start: usize, end: usize) -> R<E> {
    let d = max_depth(&items);
    node(ix, ExprKind::Tuple(items.into_iter().map(|e| e.e).collect()), start, end, d)
}

/// `(items, trailing_comma)` as a tuple, or the single item itself.
pub fn tuple_or_single(ix: &LineIndex, (mut items, trailing): (Vec<E>, bool), start: usize, end: usize) -> R<E> {
    if items.len() == 1
        && !trailing
        && let Some(e) = items.pop()
    {
        return Ok(e);
    }
    tuple(ix, items, start, end)
}

pub fn list(ix: &LineIndex, items: Vec<E>, start: usize, end: usize) -> R<E> {
    let d = max_depth(&items);
    node(ix, ExprKind::List(items.into_iter().map(|e| e.e).collect()), start, end, d)
}

pub fn dict(ix: &LineIndex, items: Vec<(E, E)>, start: usize, end: usize) -> R<E> {
    let d = items.iter().map(|(k, v)| k.d.max(v.d)).max().unwrap_or(0);
    node(ix, ExprKind::Dict(items.into_iter().map(|(k, v)| (k.e, v.e)).collect()), start, end, d)
}

/// One `for target in iter if ...` clause, before depth bookkeeping.
pub struct CompE {
    pub target: E,
    pub iter: E,
    pub ifs: Vec<E>,
}

pub fn comp_for(ix: &LineIndex, target: E, iter: E, ifs: Vec<E>) -> R<CompE> {
    check_target(ix, &target.e, TargetUse::Assign, false)?;
    Ok(CompE { target, iter, ifs })
}

/// The `for` clauses of a comprehension, and their nesting depth.
fn comp_clauses(generators: Vec<CompE>) -> (Vec<Comprehension>, u32) {
    let mut d = 0;
    let mut gens = Vec::with_capacity(generators.len());
    for g in generators {
        d = d.max(g.target.d).max(g.iter.d).max(max_depth(&g.ifs));
        gens.push(Comprehension { target: g.target.e, iter: g.iter.e, ifs: g.ifs.into_iter().map(|e| e.e).collect() });
    }
    (gens, d)
}

pub fn list_comp(ix: &LineIndex, element: E, generators: Vec<CompE>, start: usize, end: usize) -> R<E> {
    let (generators, d) = comp_clauses(generators);
    node(ix, ExprKind::ListComp { element: Box::new(element.e), generators }, start, end, d.max(element.d))
}

pub fn gen_exp(ix: &LineIndex, element: E, generators: Vec<CompE>, start: usize, end: usize) -> R<E> {
    let (generators, d) = comp_clauses(generators);
    node(ix, ExprKind::GenExp { element: Box::new(element.e), generators }, start, end, d.max(element.d))
}

pub fn dict_comp(ix: &LineIndex, key: E, value: E, generators: Vec<CompE>, start: usize, end: usize) -> R<E> {
    let (generators, d) = comp_clauses(generators);
    let d = d.max(key.d).max(value.d);
    node(ix, ExprKind::DictComp { key: Box::new(key.e), value: Box::new(value.e), generators }, start, end, d)
}

/// Adjacent string literals concatenated into one `Str` or `FString`.
pub fn strings(ix: &LineIndex, pieces: Vec<StrPiece>, start: usize, end: usize) -> R<E> {
    if pieces.iter().all(|p| matches!(p, StrPiece::Plain(_))) {
        let mut s = String::new();
        for p in pieces {
            if let StrPiece::Plain(text) = p {
                s.push_str(&text);
            }
        }
        return Ok(leaf(ExprKind::Str(s), start, end));
    }
    let mut parts: Vec<FStringPart> = Vec::new();
    let mut d = 0;
    let push_text = |parts: &mut Vec<FStringPart>, text: String| {
        if let Some(FStringPart::Literal(prev)) = parts.last_mut() {
            prev.push_str(&text);
        } else if !text.is_empty() {
            parts.push(FStringPart::Literal(text));
        }
    };
    for p in pieces {
        match p {
            StrPiece::Plain(text) => push_text(&mut parts, text),
            StrPiece::F(f) => {
                d = d.max(f.depth);
                for part in f.parts {
                    match part {
                        FStringPart::Literal(text) => push_text(&mut parts, text),
                        field => parts.push(field),
                    }
                }
            }
        }
    }
    node(ix, ExprKind::FString(parts), start, end, d)
}

/// Validated parameters: no duplicates, no non-default after a default.
pub fn params(ix: &LineIndex, raw: Vec<ParamE>) -> R<(Vec<Param>, u32)> {
    let mut out: Vec<Param> = Vec::with_capacity(raw.len());
    let mut d = 0;
    for p in raw {
        if out.iter().any(|q| q.name == p.name) {
            return Err(syntax(ix, format!("duplicate argument '{}' in function definition", p.name), p.start, p.end));
        }
        if p.default.is_none() && out.last().is_some_and(|q| q.default.is_some()) {
            return Err(syntax(ix, "non-default argument follows default argument", p.start, p.end));
        }
        d = d.max(p.default.as_ref().map_or(0, |e| e.d));
        out.push(Param { name: p.name, default: p.default.map(|e| e.e), span: span(p.start, p.end) });
    }
    Ok((out, d))
}

pub fn lambda(ix: &LineIndex, raw: Vec<ParamE>, body: E, start: usize) -> R<E> {
    let (params, d) = params(ix, raw)?;
    let (t, d) = (end_of(&body), d.max(body.d));
    node(ix, ExprKind::Lambda { params, body: Box::new(body.e) }, start, t, d)
}

/// Where a target appears; decides the error message.
#[derive(Clone, Copy, PartialEq)]
pub enum TargetUse {
    Assign,
    Del,
}

/// CPython's name for an expression that cannot be a target.
pub(super) fn expr_name(e: &Expr) -> &'static str {
    match &e.kind {
        ExprKind::Bool(true) => "True",
        ExprKind::Bool(false) => "False",
        ExprKind::None => "None",
        ExprKind::Int(_) | ExprKind::Float(_) | ExprKind::Str(_) => "literal",
        ExprKind::FString(_) => "f-string expression",
        ExprKind::Call { .. } => "function call",
        ExprKind::BinOp(..) | ExprKind::UnaryOp(..) | ExprKind::BoolOp(..) => "expression",
        ExprKind::Compare(..) => "comparison",
        ExprKind::IfExp { .. } => "conditional expression",
        ExprKind::Lambda { .. } => "lambda",
        ExprKind::ListComp { .. } => "list comprehension",
        ExprKind::GenExp { .. } => "generator expression",
        ExprKind::DictComp { .. } => "dict comprehension",
        ExprKind::Dict(_) => "dict literal",
        ExprKind::Tuple(_) => "tuple",
        ExprKind::List(_) => "list",
        ExprKind::Name(_) => "name",
        ExprKind::Attribute(..) => "attribute",
        ExprKind::Subscript(..) => "subscript",
        ExprKind::Slice { .. } => "slice",
    }
}

/// Checks that `e` can be assigned to (or deleted); `top` adds CPython's "Maybe you meant '=='" hint.
pub fn check_target(ix: &LineIndex, e: &Expr, usage: TargetUse, top: bool) -> R<()> {
    match &e.kind {
        ExprKind::Name(_) | ExprKind::Attribute(..) | ExprKind::Subscript(..) => Ok(()),
        ExprKind::Tuple(items) | ExprKind::List(items) => {
            items.iter().try_for_each(|item| check_target(ix, item, usage, false))
        }
        _ => {
            let name = expr_name(e);
            let msg = match usage {
                TargetUse::Del => format!("cannot delete {name}"),
                TargetUse::Assign if top => {
                    format!("cannot assign to {name} here. Maybe you meant '==' instead of '='?")
                }
                TargetUse::Assign => format!("cannot assign to {name}"),
            };
            Err(syntax(ix, msg, e.span.start as usize, e.span.end as usize))
        }
    }
}
