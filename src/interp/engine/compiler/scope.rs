//! Scope analysis for the compiler: which names a function body binds (its locals), which it
//! declares `global`, and the global variable table shared by every compiled unit.
//!
//! Python's rule: a name assigned anywhere in a function body (and not declared `global`) is
//! local to the whole body. Nested `def`/`lambda` bodies and comprehension targets do not bind
//! names in the enclosing function.

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use crate::parser::ast::{Expr, ExprKind, Stmt, StmtKind, UnaryOp};

use crate::interp::engine::bytecode::GlobalIdx;

/// Global variable names, numbered. The VM keeps one value per entry. Persisting across
/// compilations lets the REPL keep globals between inputs.
#[derive(Debug, Default)]
pub struct GlobalTable {
    pub names: Vec<Rc<str>>,
    index: HashMap<Rc<str>, u32>,
    /// The names earlier compilations (REPL inputs) bind somewhere: not builtins any more.
    pub bound: HashSet<String>,
}

impl GlobalTable {
    pub fn intern(&mut self, name: &str) -> GlobalIdx {
        if let Some(&i) = self.index.get(name) {
            return GlobalIdx(i);
        }
        let i = self.names.len() as u32;
        let name: Rc<str> = Rc::from(name);
        self.names.push(name.clone());
        self.index.insert(name, i);
        GlobalIdx(i)
    }

    pub fn lookup(&self, name: &str) -> Option<GlobalIdx> {
        self.index.get(name).map(|&i| GlobalIdx(i))
    }
}

/// The names a function body binds, in order of first appearance, and those it declares global.
#[derive(Debug, Default)]
pub struct BodyNames {
    pub assigned: Vec<String>,
    pub globals: HashSet<String>,
}

impl BodyNames {
    pub fn of(body: &[Stmt]) -> BodyNames {
        let mut names = BodyNames::default();
        let mut seen = HashSet::new();
        for stmt in body {
            names.visit_stmt(stmt, &mut seen);
        }
        names.assigned.retain(|n| !names.globals.contains(n));
        names
    }

    fn bind(&mut self, name: &str, seen: &mut HashSet<String>) {
        if seen.insert(name.to_string()) {
            self.assigned.push(name.to_string());
        }
    }

    fn visit_target(&mut self, target: &Expr, seen: &mut HashSet<String>) {
        match &target.kind {
            ExprKind::Name(name) => self.bind(name, seen),
            ExprKind::Tuple(items) | ExprKind::List(items) => {
                for item in items {
                    self.visit_target(item, seen);
                }
            }
            _ => {}
        }
    }

    fn visit_block(&mut self, body: &[Stmt], seen: &mut HashSet<String>) {
        for stmt in body {
            self.visit_stmt(stmt, seen);
        }
    }

    fn visit_stmt(&mut self, stmt: &Stmt, seen: &mut HashSet<String>) {
        match &stmt.kind {
            StmtKind::Assign { targets, .. } => {
                for target in targets {
                    self.visit_target(target, seen);
                }
            }
            StmtKind::AugAssign { target, .. } => self.visit_target(target, seen),
            StmtKind::If { body, orelse, .. } | StmtKind::While { body, orelse, .. } => {
                self.visit_block(body, seen);
                self.visit_block(orelse, seen);
            }
            StmtKind::For { target, body, orelse, .. } => {
                self.visit_target(target, seen);
                self.visit_block(body, seen);
                self.visit_block(orelse, seen);
            }
            StmtKind::FunctionDef { name, .. } => self.bind(name, seen),
            StmtKind::Global(names) => {
                for name in names {
                    self.globals.insert(name.clone());
                }
            }
            StmtKind::Try { body, handlers, orelse, finalbody } => {
                self.visit_block(body, seen);
                for handler in handlers {
                    if let Some(name) = &handler.name {
                        self.bind(name, seen);
                    }
                    self.visit_block(&handler.body, seen);
                }
                self.visit_block(orelse, seen);
                self.visit_block(finalbody, seen);
            }
            StmtKind::Import(name) => self.bind(name, seen),
            StmtKind::Del(targets) => {
                for target in targets {
                    self.visit_target(target, seen);
                }
            }
            StmtKind::Expr(_)
            | StmtKind::Break
            | StmtKind::Continue
            | StmtKind::Pass
            | StmtKind::Return(_)
            | StmtKind::Raise(_)
            | StmtKind::Assert { .. } => {}
        }
    }
}

/// Number literals that appear inside loops of this body (not inside nested functions), in
/// order of appearance. The compiler loads each into its own register once, at function
/// entry, so loop iterations read them like variables instead of reloading constants.
pub fn loop_literals(body: &[Stmt]) -> Vec<Value> {
    let mut found = Vec::new();
    for stmt in body {
        literals_in_stmt(stmt, false, &mut found);
    }
    found
}

/// Every number literal of this body (not inside nested functions): those inside loops first,
/// then the others, each once. A function's are written into its frame when it is called (see
/// `CodeObject::preloaded`), which costs less than loading even one of them with an instruction.
pub fn body_literals(body: &[Stmt]) -> Vec<Value> {
    let mut found = loop_literals(body);
    for stmt in body {
        literals_in_stmt(stmt, true, &mut found);
    }
    found
}

use crate::interp::objects::value::Value;

fn push_literal(e: &Expr, found: &mut Vec<Value>) {
    let value = match &e.kind {
        ExprKind::Int(n) => Value::from_bigint(n.clone()),
        ExprKind::Float(f) => Value::Float(*f),
        _ => return,
    };
    let duplicate = found.iter().any(|v| match (v, &value) {
        (Value::Int(a), Value::Int(b)) => a == b,
        (Value::Float(a), Value::Float(b)) => a.to_bits() == b.to_bits(),
        _ => false,
    });
    if !duplicate && matches!(value, Value::Int(_) | Value::Float(_)) {
        found.push(value);
    }
}

fn literals_in_block(body: &[Stmt], in_loop: bool, found: &mut Vec<Value>) {
    for stmt in body {
        literals_in_stmt(stmt, in_loop, found);
    }
}

fn literals_in_stmt(stmt: &Stmt, in_loop: bool, found: &mut Vec<Value>) {
    let expr = |e: &Expr, in_loop: bool, found: &mut Vec<Value>| {
        if in_loop {
            literals_in_expr(e, found);
        }
    };
    match &stmt.kind {
        StmtKind::Expr(e) => expr(e, in_loop, found),
        StmtKind::Assign { targets, value } => {
            for t in targets {
                expr(t, in_loop, found);
            }
            expr(value, in_loop, found);
        }
        StmtKind::AugAssign { target, value, .. } => {
            expr(target, in_loop, found);
            expr(value, in_loop, found);
        }
        StmtKind::If { test, body, orelse } => {
            expr(test, in_loop, found);
            literals_in_block(body, in_loop, found);
            literals_in_block(orelse, in_loop, found);
        }
        StmtKind::While { test, body, orelse } => {
            expr(test, true, found);
            literals_in_block(body, true, found);
            literals_in_block(orelse, in_loop, found);
        }
        StmtKind::For { target, iter, body, orelse } => {
            expr(iter, in_loop, found);
            expr(target, true, found);
            literals_in_block(body, true, found);
            literals_in_block(orelse, in_loop, found);
        }
        StmtKind::Return(Some(e)) | StmtKind::Raise(Some(e)) => expr(e, in_loop, found),
        StmtKind::Assert { test, msg } => {
            expr(test, in_loop, found);
            if let Some(m) = msg {
                expr(m, in_loop, found);
            }
        }
        StmtKind::Try { body, handlers, orelse, finalbody } => {
            literals_in_block(body, in_loop, found);
            for h in handlers {
                literals_in_block(&h.body, in_loop, found);
            }
            literals_in_block(orelse, in_loop, found);
            literals_in_block(finalbody, in_loop, found);
        }
        StmtKind::Del(targets) => {
            for t in targets {
                expr(t, in_loop, found);
            }
        }
        StmtKind::FunctionDef { .. }
        | StmtKind::Break
        | StmtKind::Continue
        | StmtKind::Pass
        | StmtKind::Return(None)
        | StmtKind::Raise(None)
        | StmtKind::Global(_)
        | StmtKind::Import(_) => {}
    }
}

/// Literals in an expression that runs on every iteration (comprehension bodies included,
/// lambda bodies not: they run in their own frame).
fn literals_in_expr(e: &Expr, found: &mut Vec<Value>) {
    // An explicit stack: expressions can be deep.
    let mut pending = vec![e];
    while let Some(e) = pending.pop() {
        push_literal(e, found);
        match &e.kind {
            ExprKind::List(items) | ExprKind::Tuple(items) => pending.extend(items.iter().rev()),
            ExprKind::Dict(pairs) => {
                for (k, v) in pairs.iter().rev() {
                    pending.push(v);
                    pending.push(k);
                }
            }
            ExprKind::BinOp(_, l, r) | ExprKind::BoolOp(_, l, r) => {
                pending.push(r);
                pending.push(l);
            }
            ExprKind::UnaryOp(UnaryOp::Neg, operand)
                if matches!(operand.kind, ExprKind::Int(_) | ExprKind::Float(_)) => {}
            ExprKind::UnaryOp(_, operand) => pending.push(operand),
            ExprKind::Compare(first, rest) => {
                pending.extend(rest.iter().rev().map(|(_, e)| e));
                pending.push(first);
            }
            ExprKind::IfExp { test, body, orelse } => {
                pending.push(orelse);
                pending.push(body);
                pending.push(test);
            }
            ExprKind::Call { func, args, kwargs } => {
                pending.extend(kwargs.iter().rev().map(|(_, e)| e));
                pending.extend(args.iter().rev());
                pending.push(func);
            }
            ExprKind::Attribute(obj, _) => pending.push(obj),
            ExprKind::Subscript(obj, index) => {
                pending.push(index);
                pending.push(obj);
            }
            ExprKind::Slice { lower, upper, step } => {
                for part in [step, upper, lower].into_iter().flatten() {
                    pending.push(part);
                }
            }
            ExprKind::ListComp { element, generators } | ExprKind::GenExp { element, generators } => {
                pending.push(element);
                for g in generators.iter().rev() {
                    pending.extend(g.ifs.iter().rev());
                    pending.push(&g.iter);
                }
            }
            ExprKind::DictComp { key, value, generators } => {
                pending.push(value);
                pending.push(key);
                for g in generators.iter().rev() {
                    pending.extend(g.ifs.iter().rev());
                    pending.push(&g.iter);
                }
            }
            ExprKind::FString(parts) => {
                for part in parts.iter().rev() {
                    if let crate::parser::ast::FStringPart::Expr { expr, .. } = part {
                        pending.push(expr);
                    }
                }
            }
            ExprKind::Lambda { .. }
            | ExprKind::Int(_)
            | ExprKind::Float(_)
            | ExprKind::Str(_)
            | ExprKind::Bool(_)
            | ExprKind::None
            | ExprKind::Name(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::parse;

    fn locals_of(src: &str) -> (Vec<String>, Vec<String>) {
        let module = parse(src).expect("parses");
        let StmtKind::FunctionDef { body, .. } = &module.body[0].kind else { panic!("not a def") };
        let names = BodyNames::of(body);
        let mut globals: Vec<String> = names.globals.into_iter().collect();
        globals.sort();
        (names.assigned, globals)
    }

    #[test]
    fn assignments_anywhere_make_locals_in_order() {
        let (locals, _) = locals_of(
            "def f(a):\n    x = 1\n    if a:\n        y, (z, w) = 1, (2, 3)\n    for i in a:\n        q += 1\n    return [k for k in a]\n",
        );
        assert_eq!(locals, vec!["x", "y", "z", "w", "i", "q"]);
    }

    #[test]
    fn global_declarations_are_not_locals() {
        let (locals, globals) = locals_of("def f():\n    global n\n    n = 1\n    m = 2\n");
        assert_eq!(locals, vec!["m"]);
        assert_eq!(globals, vec!["n"]);
    }

    #[test]
    fn nested_defs_bind_their_name_only() {
        let (locals, _) = locals_of("def f():\n    def g():\n        inner = 1\n    h = lambda t: t\n");
        assert_eq!(locals, vec!["g", "h"]);
    }
}
