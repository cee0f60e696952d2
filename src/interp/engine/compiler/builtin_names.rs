//! Which names are Python's builtins in this program, for the checks made before anything
//! runs: a builtin name that no statement, parameter or comprehension anywhere in the program
//! binds refers to the builtin. Then a Python builtin Toy does not have (`open`, `set`,
//! `OSError`, ...) is rejected as "not supported", so are the keyword arguments and argument
//! counts Toy does not implement; and a call of a builtin that consumes its argument (`sum`,
//! `any`, `sorted`, ...) may take a generator expression.
//!
//! Reads the syntax tree only.

use std::collections::HashSet;

use crate::interp::objects::builtins::BuiltinId;
use crate::parser::ast::{Expr, ExprKind, Stmt, StmtKind};

use super::{CompileResult, syntax_error};

/// Every public name of CPython 3.11's `builtins` module (`dir(builtins)`), but `True`,
/// `False` and `None`, which are keywords.
const PYTHON_BUILTINS: &[&str] = &[
    "ArithmeticError",
    "AssertionError",
    "AttributeError",
    "BaseException",
    "BaseExceptionGroup",
    "BlockingIOError",
    "BrokenPipeError",
    "BufferError",
    "BytesWarning",
    "ChildProcessError",
    "ConnectionAbortedError",
    "ConnectionError",
    "ConnectionRefusedError",
    "ConnectionResetError",
    "DeprecationWarning",
    "EOFError",
    "Ellipsis",
    "EncodingWarning",
    "EnvironmentError",
    "Exception",
    "ExceptionGroup",
    "FileExistsError",
    "FileNotFoundError",
    "FloatingPointError",
    "FutureWarning",
    "GeneratorExit",
    "IOError",
    "ImportError",
    "ImportWarning",
    "IndentationError",
    "IndexError",
    "InterruptedError",
    "IsADirectoryError",
    "KeyError",
    "KeyboardInterrupt",
    "LookupError",
    "MemoryError",
    "ModuleNotFoundError",
    "NameError",
    "NotADirectoryError",
    "NotImplemented",
    "NotImplementedError",
    "OSError",
    "OverflowError",
    "PendingDeprecationWarning",
    "PermissionError",
    "ProcessLookupError",
    "RecursionError",
    "ReferenceError",
    "ResourceWarning",
    "RuntimeError",
    "RuntimeWarning",
    "StopAsyncIteration",
    "StopIteration",
    "SyntaxError",
    "SyntaxWarning",
    "SystemError",
    "SystemExit",
    "TabError",
    "TimeoutError",
    "TypeError",
    "UnboundLocalError",
    "UnicodeDecodeError",
    "UnicodeEncodeError",
    "UnicodeError",
    "UnicodeTranslateError",
    "UnicodeWarning",
    "UserWarning",
    "ValueError",
    "Warning",
    "ZeroDivisionError",
    "abs",
    "aiter",
    "all",
    "anext",
    "any",
    "ascii",
    "bin",
    "bool",
    "breakpoint",
    "bytearray",
    "bytes",
    "callable",
    "chr",
    "classmethod",
    "compile",
    "complex",
    "copyright",
    "credits",
    "delattr",
    "dict",
    "dir",
    "divmod",
    "enumerate",
    "eval",
    "exec",
    "exit",
    "filter",
    "float",
    "format",
    "frozenset",
    "getattr",
    "globals",
    "hasattr",
    "hash",
    "help",
    "hex",
    "id",
    "input",
    "int",
    "isinstance",
    "issubclass",
    "iter",
    "len",
    "license",
    "list",
    "locals",
    "map",
    "max",
    "memoryview",
    "min",
    "next",
    "object",
    "oct",
    "open",
    "ord",
    "pow",
    "print",
    "property",
    "quit",
    "range",
    "repr",
    "reversed",
    "round",
    "set",
    "setattr",
    "slice",
    "sorted",
    "staticmethod",
    "str",
    "sum",
    "super",
    "tuple",
    "type",
    "vars",
    "zip",
];

/// The builtins that use up a generator expression passed to them before they return.
const CONSUMERS: &[BuiltinId] = &[
    BuiltinId::Sum,
    BuiltinId::Any,
    BuiltinId::All,
    BuiltinId::Min,
    BuiltinId::Max,
    BuiltinId::Sorted,
    BuiltinId::List,
    BuiltinId::Tuple,
    BuiltinId::Dict,
];

/// The names a program binds anywhere (so they may not be the builtins of those names).
#[derive(Debug, Default)]
pub(super) struct BuiltinNames {
    rebound: HashSet<String>,
}

impl BuiltinNames {
    /// The names `body` binds, plus `earlier` (what earlier REPL inputs bound).
    pub(super) fn of(body: &[Stmt], earlier: impl Iterator<Item = String>) -> BuiltinNames {
        let mut names = BuiltinNames { rebound: earlier.collect() };
        let mut stmts: Vec<&Stmt> = body.iter().collect();
        let mut exprs: Vec<&Expr> = Vec::new();
        while let Some(stmt) = stmts.pop() {
            names.visit_stmt(stmt, &mut stmts, &mut exprs);
        }
        while let Some(e) = exprs.pop() {
            match &e.kind {
                ExprKind::Lambda { params, .. } => names.rebound.extend(params.iter().map(|p| p.name.clone())),
                ExprKind::ListComp { generators, .. }
                | ExprKind::GenExp { generators, .. }
                | ExprKind::DictComp { generators, .. } => {
                    for g in generators {
                        names.bind_target(&g.target);
                    }
                }
                _ => {}
            }
            exprs.extend(children(e));
        }
        names
    }

    fn visit_stmt<'s>(&mut self, stmt: &'s Stmt, stmts: &mut Vec<&'s Stmt>, exprs: &mut Vec<&'s Expr>) {
        match &stmt.kind {
            StmtKind::Expr(e) | StmtKind::Return(Some(e)) | StmtKind::Raise(Some(e)) => exprs.push(e),
            StmtKind::Assign { targets, value } => {
                targets.iter().for_each(|t| self.bind_target(t));
                exprs.extend(targets);
                exprs.push(value);
            }
            StmtKind::AugAssign { target, value, .. } => {
                self.bind_target(target);
                exprs.extend([target, value]);
            }
            StmtKind::If { test, body, orelse } | StmtKind::While { test, body, orelse } => {
                exprs.push(test);
                stmts.extend(body.iter().chain(orelse));
            }
            StmtKind::For { target, iter, body, orelse } => {
                self.bind_target(target);
                exprs.extend([target, iter]);
                stmts.extend(body.iter().chain(orelse));
            }
            StmtKind::FunctionDef { name, params, body } => {
                self.rebound.insert(name.clone());
                for p in params {
                    self.rebound.insert(p.name.clone());
                    exprs.extend(&p.default);
                }
                stmts.extend(body);
            }
            StmtKind::Global(names) => self.rebound.extend(names.iter().cloned()),
            StmtKind::Try { body, handlers, orelse, finalbody } => {
                stmts.extend(body.iter().chain(orelse).chain(finalbody));
                for h in handlers {
                    self.rebound.extend(h.name.iter().cloned());
                    exprs.extend(&h.exception);
                    stmts.extend(&h.body);
                }
            }
            StmtKind::Assert { test, msg } => {
                exprs.push(test);
                exprs.extend(msg);
            }
            StmtKind::Import(name) => {
                self.rebound.insert(name.clone());
            }
            StmtKind::Del(targets) => {
                targets.iter().for_each(|t| self.bind_target(t));
                exprs.extend(targets);
            }
            StmtKind::Return(None) | StmtKind::Raise(None) | StmtKind::Break | StmtKind::Continue | StmtKind::Pass => {}
        }
    }

    fn bind_target(&mut self, target: &Expr) {
        match &target.kind {
            ExprKind::Name(name) => {
                self.rebound.insert(name.clone());
            }
            ExprKind::Tuple(items) | ExprKind::List(items) => items.iter().for_each(|t| self.bind_target(t)),
            _ => {}
        }
    }

    /// Every name the program binds.
    pub(super) fn rebound(&self) -> impl Iterator<Item = &String> {
        self.rebound.iter()
    }

    /// The Toy builtin `func` names, if it is a name no part of the program binds.
    pub(super) fn builtin(&self, func: &Expr) -> Option<BuiltinId> {
        match &func.kind {
            ExprKind::Name(name) if !self.rebound.contains(name) => BuiltinId::from_global_name(name),
            _ => None,
        }
    }

    /// A read of the global `name`: a Python builtin Toy does not have is rejected.
    pub(super) fn check_name(&self, name: &str, e_span: crate::parser::ast::Span) -> CompileResult<()> {
        if self.rebound.contains(name) || BuiltinId::from_global_name(name).is_some() {
            return Ok(());
        }
        if PYTHON_BUILTINS.contains(&name) {
            return Err(syntax_error(format!("the builtin '{name}' is not supported in Toy"), e_span));
        }
        Ok(())
    }

    /// May `func(args)` take a generator expression: is `func` a consuming builtin, or a
    /// `.join` method (only strings have one)?
    pub(super) fn consumes_generator(&self, func: &Expr) -> bool {
        match &func.kind {
            ExprKind::Attribute(_, attr) => attr == "join",
            _ => self.builtin(func).is_some_and(|id| CONSUMERS.contains(&id)),
        }
    }

    /// The calls of a builtin whose keyword arguments or argument count Toy does not
    /// implement (CPython would accept them).
    pub(super) fn check_call(&self, func: &Expr, argc: usize, kwargs: &[(String, Expr)]) -> CompileResult<()> {
        let Some(id) = self.builtin(func) else { return Ok(()) };
        let refused = |what: String| Err(syntax_error(format!("{what} is not supported in Toy"), func.span));
        for (name, value) in kwargs {
            let unsupported = match id {
                BuiltinId::Print => name == "file" && !matches!(value.kind, ExprKind::None),
                BuiltinId::Zip | BuiltinId::Pow => true,
                BuiltinId::Str => name == "encoding" || name == "errors",
                _ => false,
            };
            if unsupported {
                return refused(format!("the keyword argument {name}= of {}()", id.name()));
            }
        }
        if id == BuiltinId::Type && argc == 3 {
            return refused("type() with 3 arguments".to_string());
        }
        Ok(())
    }
}

/// The targets, iterables and conditions of a comprehension's `for` clauses.
fn comp(generators: &[crate::parser::ast::Comprehension]) -> Vec<&Expr> {
    generators.iter().flat_map(|g| std::iter::once(&g.target).chain([&g.iter]).chain(&g.ifs)).collect()
}

/// The sub-expressions of `e`, in no particular order.
fn children(e: &Expr) -> Vec<&Expr> {
    match &e.kind {
        ExprKind::Int(_)
        | ExprKind::Float(_)
        | ExprKind::Str(_)
        | ExprKind::Bool(_)
        | ExprKind::None
        | ExprKind::Name(_) => Vec::new(),
        ExprKind::FString(parts) => parts
            .iter()
            .filter_map(|p| match p {
                crate::parser::ast::FStringPart::Expr { expr, .. } => Some(&**expr),
                _ => None,
            })
            .collect(),
        ExprKind::List(items) | ExprKind::Tuple(items) => items.iter().collect(),
        ExprKind::Dict(pairs) => pairs.iter().flat_map(|(k, v)| [k, v]).collect(),
        ExprKind::BinOp(_, l, r) | ExprKind::BoolOp(_, l, r) => vec![l, r],
        ExprKind::UnaryOp(_, operand) | ExprKind::Attribute(operand, _) => vec![operand],
        ExprKind::Compare(first, rest) => std::iter::once(&**first).chain(rest.iter().map(|(_, e)| e)).collect(),
        ExprKind::IfExp { test, body, orelse } => vec![test, body, orelse],
        ExprKind::Call { func, args, kwargs } => {
            std::iter::once(&**func).chain(args).chain(kwargs.iter().map(|(_, e)| e)).collect()
        }
        ExprKind::Subscript(obj, index) => vec![obj, index],
        ExprKind::Slice { lower, upper, step } => [lower, upper, step].into_iter().flatten().map(|b| &**b).collect(),
        ExprKind::Lambda { params, body } => {
            params.iter().filter_map(|p| p.default.as_ref()).chain([&**body]).collect()
        }
        ExprKind::ListComp { element, generators } | ExprKind::GenExp { element, generators } => {
            let mut all = comp(generators);
            all.push(element);
            all
        }
        ExprKind::DictComp { key, value, generators } => {
            let mut all = comp(generators);
            all.extend([&**key, &**value]);
            all
        }
    }
}
