//! Statement construction helpers called from the grammar's actions (the expression
//! helpers and the depth bookkeeping they share are in `builder.rs`).
//!
//! Each helper computes the statement's span (from its first token to the end of its last
//! nested statement) and depth, and validates what the grammar cannot: assignment targets,
//! `import` of anything but `math`, the position of a bare `except:`.

use super::ast::*;
use super::builder::{
    E, MAX_DEPTH, ParamE, R, St, TargetUse, check_target, end_of, expr_name, max_depth, params, span, start_of, syntax,
    too_deep, unsupported,
};
use super::line_index::LineIndex;

pub fn stmt(ix: &LineIndex, kind: StmtKind, start: usize, end: usize, d: u32) -> R<St> {
    if d >= MAX_DEPTH {
        return Err(too_deep(ix, start, end));
    }
    Ok(St { s: Stmt { kind, span: span(start, end) }, d: d + 1 })
}

pub fn simple(kind: StmtKind, start: usize, end: usize) -> St {
    St { s: Stmt { kind, span: span(start, end) }, d: 1 }
}

/// Statements of a block and their depth.
pub fn block(v: Vec<St>) -> (Vec<Stmt>, u32) {
    let d = v.iter().map(|s| s.d).max().unwrap_or(0);
    (v.into_iter().map(|s| s.s).collect(), d)
}

fn block_end(v: &[St], fallback: usize) -> usize {
    v.last().map_or(fallback, |s| s.s.span.end as usize)
}

pub fn expr_stmt(ix: &LineIndex, e: E, start: usize, end: usize) -> R<St> {
    let d = e.d;
    stmt(ix, StmtKind::Expr(e.e), start, end, d)
}

pub fn assign(ix: &LineIndex, first: E, mut rest: Vec<E>, start: usize, end: usize) -> R<St> {
    let Some(value) = rest.pop() else {
        return expr_stmt(ix, first, start, end);
    };
    let mut targets = Vec::with_capacity(rest.len() + 1);
    let mut d = value.d;
    for t in std::iter::once(first).chain(rest) {
        check_target(ix, &t.e, TargetUse::Assign, true)?;
        d = d.max(t.d);
        targets.push(t.e);
    }
    stmt(ix, StmtKind::Assign { targets, value: value.e }, start, end, d)
}

pub fn aug_assign(ix: &LineIndex, target: E, op: BinOp, value: E, start: usize, end: usize) -> R<St> {
    match target.e.kind {
        ExprKind::Name(_) | ExprKind::Attribute(..) | ExprKind::Subscript(..) => {}
        _ => {
            let msg = format!("'{}' is an illegal expression for augmented assignment", expr_name(&target.e));
            return Err(syntax(ix, msg, start_of(&target), end_of(&target)));
        }
    }
    let d = target.d.max(value.d);
    stmt(ix, StmtKind::AugAssign { target: target.e, op, value: value.e }, start, end, d)
}

pub fn del(ix: &LineIndex, targets: Vec<E>, start: usize, end: usize) -> R<St> {
    for t in &targets {
        check_target(ix, &t.e, TargetUse::Del, false)?;
    }
    let d = max_depth(&targets);
    stmt(ix, StmtKind::Del(targets.into_iter().map(|e| e.e).collect()), start, end, d)
}

pub fn opt_stmt(ix: &LineIndex, make: fn(Option<Expr>) -> StmtKind, e: Option<E>, start: usize, end: usize) -> R<St> {
    let d = e.as_ref().map_or(0, |e| e.d);
    stmt(ix, make(e.map(|e| e.e)), start, end, d)
}

pub fn assert(ix: &LineIndex, test: E, msg: Option<E>, start: usize, end: usize) -> R<St> {
    let d = test.d.max(msg.as_ref().map_or(0, |e| e.d));
    stmt(ix, StmtKind::Assert { test: test.e, msg: msg.map(|e| e.e) }, start, end, d)
}

/// `import a.b as c, d`: only a plain `import math` is Toy.
pub fn import(
    ix: &LineIndex,
    names: Vec<(Vec<String>, Option<String>, usize, usize)>,
    start: usize,
    end: usize,
) -> R<St> {
    for (path, alias, s, e) in &names {
        let module = path.join(".");
        if module != "math" {
            let msg = format!("importing module '{module}' is not supported in Toy (only 'import math' is)");
            return unsupported(ix, &msg, *s, *e);
        }
        if let Some(alias) = alias {
            return unsupported(
                ix,
                &format!("'import math as {alias}' is not supported in Toy (write 'import math')"),
                *s,
                *e,
            );
        }
    }
    if names.len() > 1 {
        return unsupported(ix, "importing several modules in one statement is not supported in Toy", start, end);
    }
    Ok(simple(StmtKind::Import("math".into()), start, end))
}

pub fn if_stmt(ix: &LineIndex, test: E, body: Vec<St>, orelse: Vec<St>, start: usize) -> R<St> {
    let end = block_end(&orelse, block_end(&body, end_of(&test)));
    let (body, bd) = block(body);
    let (orelse, od) = block(orelse);
    let d = test.d.max(bd).max(od);
    stmt(ix, StmtKind::If { test: test.e, body, orelse }, start, end, d)
}

pub fn while_stmt(ix: &LineIndex, test: E, body: Vec<St>, orelse: Option<Vec<St>>, start: usize) -> R<St> {
    let orelse = orelse.unwrap_or_default();
    let end = block_end(&orelse, block_end(&body, end_of(&test)));
    let (body, bd) = block(body);
    let (orelse, od) = block(orelse);
    let d = test.d.max(bd).max(od);
    stmt(ix, StmtKind::While { test: test.e, body, orelse }, start, end, d)
}

pub fn for_stmt(ix: &LineIndex, target: E, iter: E, body: Vec<St>, orelse: Option<Vec<St>>, start: usize) -> R<St> {
    check_target(ix, &target.e, TargetUse::Assign, false)?;
    let orelse = orelse.unwrap_or_default();
    let end = block_end(&orelse, block_end(&body, end_of(&iter)));
    let (body, bd) = block(body);
    let (orelse, od) = block(orelse);
    let d = target.d.max(iter.d).max(bd).max(od);
    stmt(ix, StmtKind::For { target: target.e, iter: iter.e, body, orelse }, start, end, d)
}

pub fn func_def(
    ix: &LineIndex,
    name: String,
    raw: Vec<ParamE>,
    body: Vec<St>,
    start: usize,
    header_end: usize,
) -> R<St> {
    let (params, pd) = params(ix, raw)?;
    let end = block_end(&body, header_end);
    let (body, bd) = block(body);
    stmt(ix, StmtKind::FunctionDef { name, params, body }, start, end, pd.max(bd))
}

/// An `except` clause before depth bookkeeping.
pub struct HandlerE {
    pub exception: Option<E>,
    pub name: Option<String>,
    pub body: Vec<St>,
    pub start: usize,
    pub header_end: usize,
}

pub fn try_stmt(
    ix: &LineIndex,
    body: Vec<St>,
    handlers: Vec<HandlerE>,
    orelse: Option<Vec<St>>,
    finalbody: Option<Vec<St>>,
    start: usize,
) -> R<St> {
    let count = handlers.len();
    for (i, h) in handlers.iter().enumerate() {
        if h.exception.is_none() && i + 1 < count {
            return Err(syntax(ix, "default 'except:' must be last", h.start, h.header_end));
        }
    }
    let (orelse, finalbody) = (orelse.unwrap_or_default(), finalbody.unwrap_or_default());
    let mut end = block_end(&body, start);
    if let Some(h) = handlers.last() {
        end = block_end(&h.body, h.header_end);
    }
    end = block_end(&finalbody, block_end(&orelse, end));
    let (body, mut d) = block(body);
    let mut hs = Vec::with_capacity(count);
    for h in handlers {
        let hend = block_end(&h.body, h.header_end);
        let (hbody, hd) = block(h.body);
        d = d.max(hd).max(h.exception.as_ref().map_or(0, |e| e.d));
        hs.push(ExceptHandler {
            exception: h.exception.map(|e| e.e),
            name: h.name,
            body: hbody,
            span: span(h.start, hend),
        });
    }
    let (orelse, od) = block(orelse);
    let (finalbody, fd) = block(finalbody);
    stmt(ix, StmtKind::Try { body, handlers: hs, orelse, finalbody }, start, end, d.max(od).max(fd))
}
