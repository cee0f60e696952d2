//! The vocabulary of expressions: the static type [`Ty`] of an expression and how types combine
//! (`arith`, `join`, `unary`), the expression [`Ex`] (text, type, int bound in bits, precedence)
//! with its literal builders (`lit`, `as_bool`, `float_const_ex`, `bits_of`), and the constant
//! tables (`MODULI`, `FLOATS`, `FLOAT_DIVS`).
//!
//! Pure data and pure functions: no randomness, no generator state. Items and fields are
//! `pub(super)` so that the `impl Gen` modules beside this one can use them.

/// Static type of an expression. `Num` is "an int, a float or a bool, unknown which".
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Ty {
    Int,
    Bool,
    Float,
    Num,
}

/// Type of `a + b`, `a * b`, ... (Python's numeric tower: bool + bool is an int).
pub(super) fn arith(a: Ty, b: Ty) -> Ty {
    match (a, b) {
        (Ty::Float, _) | (_, Ty::Float) => Ty::Float,
        (Ty::Int | Ty::Bool, Ty::Int | Ty::Bool) => Ty::Int,
        _ => Ty::Num,
    }
}

/// Type of a value that is one of two operands (`a if c else b`, `min`, `and`).
pub(super) fn join(a: Ty, b: Ty) -> Ty {
    if a == b { a } else { Ty::Num }
}

/// Type of `-a`, `abs(a)`: a bool becomes an int.
pub(super) fn unary(a: Ty) -> Ty {
    if a == Ty::Bool { Ty::Int } else { a }
}

/// An expression: its text, static type, int bound in bits, and precedence (for parentheses):
/// 1 `if`-`else`, 2 `or`, 3 `and`, 4 `not`, 5 comparisons, 6 `|`, 7 `^`, 8 `&`, 9 shifts,
/// 10 `+ -`, 11 `* / // %`, 12 unary, 13 `**`, 14 atoms.
#[derive(Clone, Debug)]
pub(super) struct Ex {
    pub(super) s: String,
    pub(super) ty: Ty,
    pub(super) bits: u32,
    pub(super) prec: u8,
}

impl Ex {
    pub(super) fn new(s: impl Into<String>, ty: Ty, bits: u32, prec: u8) -> Ex {
        Ex { s: s.into(), ty, bits, prec }
    }

    /// The text, parenthesised unless its precedence is at least `min`.
    pub(super) fn at(&self, min: u8) -> String {
        if self.prec >= min { self.s.clone() } else { format!("({})", self.s) }
    }
}

/// `e` as a real bool (`and`, `or` and truthiness tests give one of their operands).
pub(super) fn as_bool(e: Ex) -> Ex {
    if e.ty == Ty::Bool { e } else { Ex::new(format!("bool({})", e.s), Ty::Bool, 1, 14) }
}

pub(super) fn bits_of(v: i128) -> u32 {
    128 - v.unsigned_abs().leading_zeros()
}

pub(super) fn lit(v: i64) -> Ex {
    Ex::new(v.to_string(), Ty::Int, bits_of(v as i128), if v < 0 { 12 } else { 14 })
}

/// Moduli used to bring an int back under a bound: (text, bits, precedence).
pub(super) const MODULI: &[(&str, u32, u8)] = &[
    ("7", 3, 14),
    ("-9", 4, 12),
    ("1000", 10, 14),
    ("-1000", 10, 12),
    ("1000003", 20, 14),
    ("2147483647", 31, 14),
    ("2**32", 33, 13),
    ("9223372036854775783", 63, 14),
    ("2**63", 64, 13),
    ("18446744073709551629", 65, 14),
    ("-18446744073709551557", 65, 12),
    ("(2**70 - 3)", 70, 14),
];

pub(super) const FLOATS: &[&str] = &[
    "0.5",
    "1.5",
    "-2.25",
    "0.1",
    "3.0",
    "1e-3",
    "2.5e10",
    "1e18",
    "-0.0",
    "1.",
    ".25",
    "7.75",
    "-1e300",
    "1e308",
    "0.3",
    "-4.0",
    "9007199254740993.0",
];

/// Nonzero float divisors.
pub(super) const FLOAT_DIVS: &[&str] = &["0.5", "-2.5", "3.0", "0.1", "1e-3", "7.75", "-1.0", "1e10"];

pub(super) fn float_const_ex(s: &str) -> Ex {
    Ex::new(s, Ty::Float, 0, if s.starts_with('-') { 12 } else { 14 })
}
