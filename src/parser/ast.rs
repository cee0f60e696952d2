//! The abstract syntax tree: what the parser produces and the bytecode compiler consumes.
//!
//! Every expression and statement carries a [`Span`] (byte offsets into the source), so later
//! phases can name a line and column in errors, tracebacks and the trace dump. The tree only
//! contains Toy: features outside the language are rejected by the parser with a
//! "not supported" error, never represented here.

use num_bigint::BigInt;

/// A half-open byte range `start..end` in the source text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span { start: start as u32, end: end as u32 }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    TrueDiv,
    FloorDiv,
    Mod,
    Pow,
    LShift,
    RShift,
    BitAnd,
    BitOr,
    BitXor,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    Neg,
    Pos,
    Invert,
    Not,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BoolOp {
    And,
    Or,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    NotEq,
    Lt,
    LtE,
    Gt,
    GtE,
    Is,
    IsNot,
    In,
    NotIn,
}

/// One piece of an f-string: literal text, or `{expr}` / `{expr:spec}`.
#[derive(Clone, Debug, PartialEq)]
pub enum FStringPart {
    Literal(String),
    /// `spec` is the text after `:` (already a plain string: nested `{}` in specs is not Toy).
    /// `conversion` is `Some('r')`, `Some('s')` or `Some('a')` for `{x!r}` and friends.
    Expr {
        expr: Box<Expr>,
        conversion: Option<char>,
        spec: Option<String>,
    },
}

/// A function or lambda parameter: `name` or `name=default`.
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    pub name: String,
    pub default: Option<Expr>,
    pub span: Span,
}

/// `for target in iter if cond1 if cond2` inside a list comprehension.
#[derive(Clone, Debug, PartialEq)]
pub struct Comprehension {
    pub target: Expr,
    pub iter: Expr,
    pub ifs: Vec<Expr>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// Integer literal (any size; the compiler picks the i64 fast path when it fits).
    Int(BigInt),
    Float(f64),
    /// String literal after escape processing; adjacent literals are already concatenated.
    Str(String),
    FString(Vec<FStringPart>),
    Bool(bool),
    None,
    Name(String),
    List(Vec<Expr>),
    Tuple(Vec<Expr>),
    Dict(Vec<(Expr, Expr)>),
    BinOp(BinOp, Box<Expr>, Box<Expr>),
    UnaryOp(UnaryOp, Box<Expr>),
    /// `a and b` / `a or b` (a chain `a and b and c` nests to the left).
    BoolOp(BoolOp, Box<Expr>, Box<Expr>),
    /// `a < b <= c`: the first operand and then each (operator, operand) pair.
    Compare(Box<Expr>, Vec<(CmpOp, Expr)>),
    /// `body if test else orelse`
    IfExp {
        test: Box<Expr>,
        body: Box<Expr>,
        orelse: Box<Expr>,
    },
    /// `func(args, kw=value)`; keyword arguments keep their source order.
    Call {
        func: Box<Expr>,
        args: Vec<Expr>,
        kwargs: Vec<(String, Expr)>,
    },
    /// `value.attr` (method calls are `Call` whose `func` is an `Attribute`).
    Attribute(Box<Expr>, String),
    /// `value[index]`; `index` may be a `Slice`.
    Subscript(Box<Expr>, Box<Expr>),
    /// `lower:upper:step` — only ever the index of a `Subscript`.
    Slice {
        lower: Option<Box<Expr>>,
        upper: Option<Box<Expr>>,
        step: Option<Box<Expr>>,
    },
    Lambda {
        params: Vec<Param>,
        body: Box<Expr>,
    },
    ListComp {
        element: Box<Expr>,
        generators: Vec<Comprehension>,
    },
    /// `(element for ...)`: only as the argument of a builtin that consumes it (the compiler
    /// checks).
    GenExp {
        element: Box<Expr>,
        generators: Vec<Comprehension>,
    },
    /// `{key: value for ...}`
    DictComp {
        key: Box<Expr>,
        value: Box<Expr>,
        generators: Vec<Comprehension>,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Stmt {
    pub kind: StmtKind,
    pub span: Span,
}

/// `except`, `except ValueError`, `except (A, B) as e`.
#[derive(Clone, Debug, PartialEq)]
pub struct ExceptHandler {
    pub exception: Option<Expr>,
    pub name: Option<String>,
    pub body: Vec<Stmt>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum StmtKind {
    Expr(Expr),
    /// `t1 = t2 = value`: targets in source order. A target is a Name, Subscript,
    /// Attribute, or a Tuple/List of targets (unpacking).
    Assign {
        targets: Vec<Expr>,
        value: Expr,
    },
    AugAssign {
        target: Expr,
        op: BinOp,
        value: Expr,
    },
    If {
        test: Expr,
        body: Vec<Stmt>,
        orelse: Vec<Stmt>,
    },
    While {
        test: Expr,
        body: Vec<Stmt>,
        orelse: Vec<Stmt>,
    },
    For {
        target: Expr,
        iter: Expr,
        body: Vec<Stmt>,
        orelse: Vec<Stmt>,
    },
    Break,
    Continue,
    Pass,
    FunctionDef {
        name: String,
        params: Vec<Param>,
        body: Vec<Stmt>,
    },
    Return(Option<Expr>),
    Global(Vec<String>),
    /// `try` with handlers, optional `else` and optional `finally`.
    Try {
        body: Vec<Stmt>,
        handlers: Vec<ExceptHandler>,
        orelse: Vec<Stmt>,
        finalbody: Vec<Stmt>,
    },
    /// `raise`, `raise E`, `raise E("msg")`.
    Raise(Option<Expr>),
    Assert {
        test: Expr,
        msg: Option<Expr>,
    },
    /// `import math` (the only module Toy has); the name is the module's.
    Import(String),
    /// `del a[i]`, `del d[k]`, `del x`.
    Del(Vec<Expr>),
}

/// A whole program (or one REPL input).
#[derive(Clone, Debug, PartialEq)]
pub struct Module {
    pub body: Vec<Stmt>,
}
