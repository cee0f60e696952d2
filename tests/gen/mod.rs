//! A seeded generator of random Toy programs for the differential test (`tests/differential.rs`).
//!
//! [`generate`]`(seed)` returns the text of one program (at most ~95 lines) that is valid Toy and
//! valid Python 3.11, deterministic, and quick (well under a second in CPython). The same seed
//! always gives the same program (a splitmix64 [`Rng`], no external crates).
//!
//! The programs aim at what a tracing JIT gets wrong:
//! - `for i in range(...)` (all step signs), `while` loops (int and float counters, `while True`
//!   with a `break`), `for e in LIST` and over tuples, nested up to three deep, with trip counts
//!   from a few to a few thousand, so the default threshold (100) compiles some loops and not others;
//! - variables whose type changes mid-loop (int → float → bool → int), bools in arithmetic,
//!   lists whose elements change type, `isinstance` tests;
//! - int arithmetic crossing 2**63 in both directions (`x = (x * K + c) % (2**64 + 13)`,
//!   `x += 2**62`, a few "big" ints that grow to hundreds of digits and come back);
//! - `//` and `%` with negative and float operands, true division, `**` with negative exponents,
//!   bitwise ops and shifts, chained comparisons mixing ints, floats and big ints;
//! - list reads and writes with negative indices, length-preserving `append`/`pop`/`insert`,
//!   list aliasing, lists passed to helpers that mutate them;
//! - `break`, `continue`, `return` from inside loops, `if`/`elif`/`else` whose direction alternates;
//! - calls to small helper functions from inside loops (some of which raise);
//! - `try`/`except` around statements and around whole loops: `ZeroDivisionError`, `IndexError`,
//!   `ValueError`/`OverflowError` raised inside loops and caught;
//! - printing intermediate values (rate-limited so output stays small) and, at the end, every
//!   variable;
//! - in most programs (see `KERNEL_PERCENT`), a *kernel* ([`Gen::kernel`]): a function over int,
//!   float and list locals whose loops the recorder compiles without aborting, built to grow side
//!   traces: a nest (an outer loop with an inner `while` or `for`-range right in its body), `if`/
//!   `else` alternating with the loop counters, breaks and continues on list data, a number
//!   variable turning from int to float (or back) once the loop is hot, a hash multiplied past
//!   2**63 and reduced again, float accumulations; called once or twice (the second call often
//!   passes a float where the first passed an int).
//!
//! Most programs keep their variables as locals of `def main():` (the others at the module
//! level, where loops run over globals, which the JIT also compiles), and about two loops in
//! three are *JIT-friendly*: their bodies use only what the recorder compiles (int, float, bool
//! and list variables, arithmetic, comparisons, branches, list indexing), with rare exceptions,
//! so traces really are compiled, entered and exited. Kernels have no exceptions, keep ints
//! within 64 bits, keep bools out of number variables and lists, and clamp numbers of unknown
//! type rather than reduce them with a float `%`. (Some of these choices date from when the
//! recorder aborted on globals, bool arithmetic, float `%` and `//` and `**`, which it now
//! compiles; they stay so that each seed keeps generating the same program.) The other loops
//! use everything, which exercises aborted recordings. The recorder (`src/jit/recorder/`)
//! aborts on: ints beyond 64 bits; values other than ints, floats, bools and lists (str,
//! tuple, dict, None), and `for` over anything but a range or a list; builtins other than
//! `range`, `len`, `abs`, `min`, `max`, `float`, `int` and `isinstance` (so `print`); methods
//! other than `list.append` of a number; an inner loop that has no trace of its own yet (once it
//! has one, the outer loop's trace links to it); a loop, a recursive call or a keyword call in
//! an inlined function; rebinding a global that holds a function; a division by zero or an int
//! overflow met while recording; a loop whose variables change type; an iteration longer than
//! 2000 bytecode instructions.
//!
//! Validity is by construction: every expression carries its static type (int, bool, float, or
//! "some number") and a bound on the bits of its int value; assignments that could exceed a
//! variable's bound are reduced with `% M`, so ints never explode, float conversions never
//! overflow, and divisors and indices are provably safe except in the deliberately risky spots:
//! inside a `try` that catches the error, or (in a few programs, see [`Gen::uncaught`]) anywhere,
//! which makes those programs end with an uncaught `ZeroDivisionError` or `IndexError` (status 1).
//! A budget on the total number of loop-body executions bounds the running time.

use std::fmt::Write as _;

/// splitmix64: tiny, fast and good enough for choosing program shapes.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0xA076_1D64_78BD_642F) ^ 0xE703_7ED1_A0B4_28DB)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    pub fn pick<T: Clone>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len() as u64) as usize].clone()
    }
}

/// Generates the program for `seed`.
pub fn generate(seed: u64) -> String {
    Gen::new(seed).program(seed)
}

// ---------------------------------------------------------------------------------------------
// Limits
// ---------------------------------------------------------------------------------------------

/// Int bound (in bits) of a value stored by `v = e` into a variable or a list element.
const STORE_BITS: u32 = 80;
/// Int bound of what `v += e` may add: the budget (< 2**16 executions) keeps drift below 2**86.
const ACC_BITS: u32 = 70;
/// Int bound of a variable or list element when read.
const READ_BITS: u32 = 90;
/// No int expression goes beyond this: far from the 2**1024 where float conversion fails.
const MAX_BITS: u32 = 400;
/// Loop-body executions per program (all loops, nested ones multiplied out, helper calls too).
const BUDGET: u64 = 16_000;
const MAX_TRIPS: u64 = 3000;
/// Lines of a program, final prints excluded.
const MAX_LINES: usize = 50;
/// Programs (in percent) with a kernel function (see [`Gen::kernel`]).
const KERNEL_PERCENT: u64 = 70;
/// Loop-body executions of a kernel's calls (all of them together).
const KERNEL_BUDGET: u64 = 8000;
/// Decimal digits a "big" int may gain in total (prints stay far below CPython's 4300).
const BIG_DIGITS: f64 = 2000.0;

/// Exceptions a `try` catches (bit set); risky operations appear only where they are caught.
const ZDE: u8 = 1;
const IE: u8 = 2;
const VE: u8 = 4;

// ---------------------------------------------------------------------------------------------
// Types, variables, expressions
// ---------------------------------------------------------------------------------------------

/// Static type of an expression. `Num` is "an int, a float or a bool, unknown which".
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Ty {
    Int,
    Bool,
    Float,
    Num,
}

/// Type of `a + b`, `a * b`, ... (Python's numeric tower: bool + bool is an int).
fn arith(a: Ty, b: Ty) -> Ty {
    match (a, b) {
        (Ty::Float, _) | (_, Ty::Float) => Ty::Float,
        (Ty::Int | Ty::Bool, Ty::Int | Ty::Bool) => Ty::Int,
        _ => Ty::Num,
    }
}

/// Type of a value that is one of two operands (`a if c else b`, `min`, `and`).
fn join(a: Ty, b: Ty) -> Ty {
    if a == b { a } else { Ty::Num }
}

/// Type of `-a`, `abs(a)`: a bool becomes an int.
fn unary(a: Ty) -> Ty {
    if a == Ty::Bool { Ty::Int } else { a }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    /// Always an int.
    Int,
    /// Any number, changing type as the program runs.
    Num,
    /// Always a float.
    Float,
    /// A list of numbers of fixed length (0: a helper's parameter, length unknown but > 0).
    List(u32),
    /// A list that only grows (`append`); never indexed blindly, never iterated.
    Grow,
    /// An int allowed to grow to hundreds of digits; kept away from floats.
    Big,
}

#[derive(Clone, Debug)]
struct Var {
    name: String,
    kind: Kind,
    /// May be assigned (`false` for globals seen from a function, and for aliases).
    mutable: bool,
}

/// A read-only loop variable.
#[derive(Clone, Debug)]
struct Ctr {
    name: String,
    ty: Ty,
    bits: u32,
}

#[derive(Clone, Debug)]
enum Ret {
    Top,
    Helper,
    /// A "work" function: returns this tuple of its locals.
    Work(String),
}

/// Where a statement is generated.
#[derive(Clone, Debug)]
struct Ctx {
    vars: Vec<Var>,
    ctrs: Vec<Ctr>,
    loop_depth: u32,
    max_loop_depth: u32,
    /// How many times a statement here runs (product of the enclosing trip counts).
    mult: u64,
    /// The innermost loop's step-±1 counter and trip count, for rate-limited prints.
    print_ctr: Option<(String, u64)>,
    /// `mult` outside the innermost loop.
    outer_mult: u64,
    /// Exceptions caught around here (risky operations allowed).
    risky: u8,
    ret: Ret,
    indent: usize,
    /// Helpers `h0 .. h{callable-1}` may be called.
    callable: usize,
    can_print: bool,
}

/// The context of a function body (`work` or a kernel) that returns the tuple of its locals,
/// called `calls` times from the top level.
fn function_ctx(vars: Vec<Var>, calls: u64, tuple: &str, callable: usize, can_print: bool) -> Ctx {
    Ctx {
        vars,
        ctrs: Vec::new(),
        loop_depth: 0,
        max_loop_depth: 3,
        mult: calls,
        print_ctr: None,
        outer_mult: calls,
        risky: 0,
        ret: Ret::Work(tuple.to_string()),
        indent: 1,
        callable,
        can_print,
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum PKind {
    Int,
    Num,
    List,
}

struct Helper {
    name: String,
    params: Vec<PKind>,
    /// Parameters without a default.
    required: usize,
    /// Loop-body executions per call.
    cost: u64,
    /// May raise ZeroDivisionError.
    risky: bool,
}

/// An expression: its text, static type, int bound in bits, and precedence (for parentheses):
/// 1 `if`-`else`, 2 `or`, 3 `and`, 4 `not`, 5 comparisons, 6 `|`, 7 `^`, 8 `&`, 9 shifts,
/// 10 `+ -`, 11 `* / // %`, 12 unary, 13 `**`, 14 atoms.
#[derive(Clone, Debug)]
struct Ex {
    s: String,
    ty: Ty,
    bits: u32,
    prec: u8,
}

impl Ex {
    fn new(s: impl Into<String>, ty: Ty, bits: u32, prec: u8) -> Ex {
        Ex { s: s.into(), ty, bits, prec }
    }

    /// The text, parenthesised unless its precedence is at least `min`.
    fn at(&self, min: u8) -> String {
        if self.prec >= min { self.s.clone() } else { format!("({})", self.s) }
    }
}

/// `e` as a real bool (`and`, `or` and truthiness tests give one of their operands).
fn as_bool(e: Ex) -> Ex {
    if e.ty == Ty::Bool { e } else { Ex::new(format!("bool({})", e.s), Ty::Bool, 1, 14) }
}

fn bits_of(v: i128) -> u32 {
    128 - v.unsigned_abs().leading_zeros()
}

fn lit(v: i64) -> Ex {
    Ex::new(v.to_string(), Ty::Int, bits_of(v as i128), if v < 0 { 12 } else { 14 })
}

/// Moduli used to bring an int back under a bound: (text, bits, precedence).
const MODULI: &[(&str, u32, u8)] = &[
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

const FLOATS: &[&str] = &[
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
const FLOAT_DIVS: &[&str] = &["0.5", "-2.5", "3.0", "0.1", "1e-3", "7.75", "-1.0", "1e10"];

fn float_const_ex(s: &str) -> Ex {
    Ex::new(s, Ty::Float, 0, if s.starts_with('-') { 12 } else { 14 })
}

// ---------------------------------------------------------------------------------------------
// The generator
// ---------------------------------------------------------------------------------------------

struct Gen {
    rng: Rng,
    lines: Vec<String>,
    /// Loop-body executions left.
    budget: u64,
    helpers: Vec<Helper>,
    /// Loop-body executions per call of the helper being generated.
    helper_cost: u64,
    next_id: u32,
    /// Digits the big ints may still gain.
    big_digits: f64,
    /// This program may raise uncaught errors anywhere (it then ends with status 1).
    uncaught: bool,
    /// Stop adding statements to blocks once this many lines exist.
    cap: usize,
    /// Generating the body of a JIT-friendly loop: only what the recorder compiles (locals,
    /// ints, floats, lists, arithmetic, comparisons, branches), with rare exceptions, so traces
    /// are compiled, run and exited rather than aborted.
    jit: bool,
    /// Generating a kernel (see [`Gen::kernel`]): JIT-friendly without exceptions, and no
    /// bools in number variables or lists (once because the recorder aborted on bool
    /// arithmetic; it now compiles it, and the choice stays so that seeds keep their programs).
    strict: bool,
    /// The next loop is a kernel's nest: trip counts for an outer loop, and an inner loop
    /// directly in its body.
    nest: bool,
    /// Small numeric functions kernels call (see [`Gen::kernel_callee`]): name, whether the
    /// second parameter has a default, and whether a list comes first.
    callees: Vec<(String, bool, bool)>,
}

impl Gen {
    fn new(seed: u64) -> Gen {
        Gen {
            rng: Rng::new(seed),
            lines: Vec::new(),
            budget: BUDGET,
            helpers: Vec::new(),
            helper_cost: 0,
            next_id: 0,
            big_digits: BIG_DIGITS,
            uncaught: false,
            cap: MAX_LINES,
            jit: false,
            strict: false,
            nest: false,
            callees: Vec::new(),
        }
    }

    /// Whether a JIT-friendly loop gets one of its rare unfriendly operations here (never in
    /// kernels).
    fn rare_ok(&mut self) -> bool {
        !self.strict && self.chance(5)
    }

    fn fresh(&mut self, prefix: &str) -> String {
        let name = format!("{prefix}{}", self.next_id);
        self.next_id += 1;
        name
    }

    fn emit(&mut self, indent: usize, text: &str) {
        self.lines.push(format!("{}{text}", "    ".repeat(indent)));
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.rng.chance(percent)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.rng.below(n)
    }

    /// A risky operation outside any `try` (only in `uncaught` programs, rarely).
    fn stray_risk(&mut self) -> bool {
        self.uncaught && self.chance(2)
    }

    // -----------------------------------------------------------------------------------------
    // Leaves
    // -----------------------------------------------------------------------------------------

    fn int_const(&mut self) -> Ex {
        match self.below(14) {
            0..=5 => {
                let v = self.rng.range(-9, 20);
                lit(v)
            }
            6 if self.jit => Ex::new("4611686018427387904", Ty::Int, 63, 14),
            6 => Ex::new("2**62", Ty::Int, 63, 13),
            7 if self.jit => Ex::new("9223372036854775807", Ty::Int, 63, 14),
            7 => Ex::new("(2**63 - 1)", Ty::Int, 63, 14),
            8 if self.jit => Ex::new("(-9223372036854775807 - 1)", Ty::Int, 64, 14),
            8 => Ex::new("-2**63", Ty::Int, 64, 12),
            9 => Ex::new("0x7fffffffffffffff", Ty::Int, 63, 14),
            10 => Ex::new("1_000_003", Ty::Int, 20, 14),
            11 => Ex::new("4611686018427387904", Ty::Int, 63, 14),
            12 => Ex::new("0b1011", Ty::Int, 4, 14),
            _ => {
                let v = self.rng.range(-300, 300);
                lit(v)
            }
        }
    }

    fn float_const(&mut self) -> Ex {
        let s = self.rng.pick(FLOATS);
        float_const_ex(s)
    }

    fn modulus(&mut self, limit: u32) -> Ex {
        let jit = self.jit;
        // In friendly loops: nothing beyond 64 bits (big ints abort recordings), and no `**` (a
        // choice from before the recorder compiled `**`).
        let ok: Vec<_> = MODULI.iter().filter(|m| m.1 <= limit && !(jit && (m.0.contains('*') || m.1 > 63))).collect();
        let (s, bits, prec) = *self.rng.pick(&ok);
        Ex::new(s, Ty::Int, bits, prec)
    }

    /// `e`, reduced with `% M` if its int value may exceed `limit` bits.
    fn fit(&mut self, e: Ex, limit: u32) -> Ex {
        // Kernels keep ints within 64 bits (big ints in lists or variables abort recordings;
        // kernels overflow on purpose elsewhere), and increments small.
        let limit = if self.strict { limit.min(if limit == ACC_BITS { 40 } else { 63 }) } else { limit };
        if e.ty == Ty::Float || e.bits <= limit {
            return e;
        }
        if self.strict && e.ty != Ty::Int {
            // A number of unknown type is clamped rather than reduced with a float `%` (which
            // aborted recordings before the recorder compiled `ModFloat`).
            let k = self.rng.range(-3, 3);
            let m = "1000000000000000";
            return Ex::new(format!("{0} if -{m} < {0} < {m} else {k}", e.at(6)), Ty::Num, 50, 1);
        }
        let m = self.modulus(limit);
        Ex::new(format!("{} % {}", e.at(11), m.at(12)), arith(e.ty, Ty::Int), m.bits, 11)
    }

    fn vars_where(&self, c: &Ctx, f: impl Fn(&Var) -> bool) -> Vec<Var> {
        c.vars.iter().filter(|v| f(v)).cloned().collect()
    }

    fn lists(&self, c: &Ctx) -> Vec<Var> {
        self.vars_where(c, |v| matches!(v.kind, Kind::List(_)))
    }

    fn int_leaf(&mut self, c: &Ctx) -> Ex {
        let mut opts: Vec<Ex> = Vec::new();
        for v in &c.vars {
            match v.kind {
                Kind::Int => {
                    opts.push(Ex::new(&v.name, Ty::Int, READ_BITS, 14));
                    opts.push(Ex::new(&v.name, Ty::Int, READ_BITS, 14));
                }
                _ if self.jit && !self.rare_ok() => {}
                Kind::List(_) => opts.push(Ex::new(format!("len({})", v.name), Ty::Int, 8, 14)),
                Kind::Grow => opts.push(Ex::new(format!("len({})", v.name), Ty::Int, 17, 14)),
                Kind::Big => {
                    let m = self.modulus(65);
                    opts.push(Ex::new(format!("{} % {}", v.name, m.at(12)), Ty::Int, m.bits, 11));
                }
                _ => {}
            }
        }
        for ct in &c.ctrs {
            if ct.ty == Ty::Int {
                for _ in 0..3 {
                    opts.push(Ex::new(&ct.name, Ty::Int, ct.bits, 14));
                }
            }
        }
        if opts.is_empty() || self.chance(25) {
            return self.int_const();
        }
        self.rng.pick(&opts)
    }

    fn float_leaf(&mut self, c: &Ctx) -> Ex {
        let mut opts: Vec<Ex> = Vec::new();
        for v in &c.vars {
            if v.kind == Kind::Float {
                opts.push(Ex::new(&v.name, Ty::Float, 0, 14));
            }
        }
        for ct in &c.ctrs {
            if ct.ty == Ty::Float {
                opts.push(Ex::new(&ct.name, Ty::Float, 0, 14));
            }
        }
        if opts.is_empty() || self.chance(30) {
            return self.float_const();
        }
        self.rng.pick(&opts)
    }

    fn num_leaf(&mut self, c: &Ctx) -> Ex {
        match self.below(12) {
            0..=2 => return self.int_leaf(c),
            3 => {
                return if self.strict || self.chance(70) {
                    self.float_const()
                } else {
                    Ex::new(if self.chance(50) { "True" } else { "False" }, Ty::Bool, 1, 14)
                };
            }
            4 => return self.float_leaf(c),
            5 if !self.jit || self.rare_ok() => {
                if let Some(call) = self.call(c) {
                    return call;
                }
            }
            _ => {}
        }
        // Variables, loop elements, list elements.
        let mut opts: Vec<Ex> = Vec::new();
        for v in &c.vars {
            match v.kind {
                Kind::Num => {
                    for _ in 0..3 {
                        opts.push(Ex::new(&v.name, Ty::Num, READ_BITS, 14));
                    }
                }
                Kind::Float => opts.push(Ex::new(&v.name, Ty::Float, 0, 14)),
                Kind::Int => opts.push(Ex::new(&v.name, Ty::Int, READ_BITS, 14)),
                Kind::Grow if !self.jit => {
                    opts.push(Ex::new(format!("({}[-1] if {} else 0)", v.name, v.name), Ty::Num, READ_BITS, 14))
                }
                _ => {}
            }
        }
        for ct in &c.ctrs {
            opts.push(Ex::new(&ct.name, ct.ty, ct.bits, 14));
        }
        let lists = self.lists(c);
        if !lists.is_empty() && (opts.is_empty() || self.chance(if self.jit { 50 } else { 35 })) {
            let l = self.rng.pick(&lists);
            return self.list_read(c, &l);
        }
        if opts.is_empty() {
            return self.int_const();
        }
        self.rng.pick(&opts)
    }

    fn list_read(&mut self, c: &Ctx, l: &Var) -> Ex {
        let n = if let Kind::List(n) = l.kind { n } else { 0 };
        let idx = self.index(c, &l.name, n);
        Ex::new(format!("{}[{idx}]", l.name), Ty::Num, READ_BITS, 14)
    }

    /// An index into list `name` of length `n` (0: unknown): safe, unless risky here.
    fn index(&mut self, c: &Ctx, name: &str, n: u32) -> String {
        if (c.risky & IE != 0 && self.chance(35)) || self.stray_risk() {
            return self.risky_index(c, n);
        }
        let len = if n == 0 { format!("len({name})") } else { n.to_string() };
        if self.jit && n > 0 && self.chance(50) {
            // A few hot elements, reached by different spellings (`0` and `-n`, `-1` and `n-1`,
            // `i % n`): stores and reloads of one element in one iteration, for load/store
            // forwarding and CSE across the loop edge.
            let ctr = c.ctrs.iter().rev().find(|ct| ct.ty == Ty::Int).map(|ct| ct.name.clone());
            return match (self.below(6), ctr) {
                (0 | 1, _) => "0".to_string(),
                (2, _) => format!("-{n}"),
                (3, _) => "-1".to_string(),
                (4, _) => (n - 1).to_string(),
                (_, Some(ctr)) => format!("{ctr} % {n}"),
                (_, None) => "0".to_string(),
            };
        }
        match self.below(7) {
            0 if n > 0 => self.rng.range(-(n as i64), n as i64 - 1).to_string(),
            1 => (if self.chance(50) { "-1" } else { "0" }).to_string(),
            2 | 3 => {
                let e = self.int_leaf(c);
                format!("{} % {len}", e.at(11))
            }
            4 => {
                let e = self.int_leaf(c);
                format!("-1 - {} % {len}", e.at(11))
            }
            5 => {
                let e = self.int_leaf(c);
                format!("{} % {len} - {len}", e.at(11))
            }
            _ => {
                let e = self.int_expr(c, 1);
                format!("{} % {len}", e.at(11))
            }
        }
    }

    /// An index that is sometimes out of range (IndexError).
    fn risky_index(&mut self, c: &Ctx, n: u32) -> String {
        let e = self.int_leaf(c);
        match self.below(4) {
            0 => format!("{} % {}", e.at(11), n.max(1) + 2),
            1 => format!("{} - {}", e.at(10), self.rng.range(0, 12)),
            2 => format!("-{}", e.at(12)),
            _ => e.s,
        }
    }

    /// A call of a helper, if one may be called here (budget, risk).
    fn call(&mut self, c: &Ctx) -> Option<Ex> {
        let has_list = !self.lists(c).iter().all(|l| l.kind == Kind::List(0));
        let budget = self.budget;
        let cands: Vec<usize> = (0..c.callable)
            .filter(|&k| {
                let h = &self.helpers[k];
                (!h.risky || c.risky & ZDE != 0 || self.uncaught)
                    && h.cost * c.mult <= budget / 3
                    && (has_list || !h.params.contains(&PKind::List))
            })
            .collect();
        if cands.is_empty() {
            return None;
        }
        let k = self.rng.pick(&cands);
        let (name, params, required, cost) = {
            let h = &self.helpers[k];
            (h.name.clone(), h.params.clone(), h.required, h.cost)
        };
        if !matches!(c.ret, Ret::Helper) {
            self.budget -= cost * c.mult;
        }
        let nargs = self.rng.range(required as i64, params.len() as i64) as usize;
        let mut args = Vec::new();
        for p in &params[..nargs] {
            let a = match p {
                PKind::Int => {
                    let e = self.int_expr(c, 1);
                    self.fit(e, READ_BITS).s
                }
                PKind::Num => {
                    let e = self.num_expr(c, 1);
                    self.fit(e, READ_BITS).s
                }
                PKind::List => {
                    let ls: Vec<Var> = self.lists(c).into_iter().filter(|l| l.kind != Kind::List(0)).collect();
                    self.rng.pick(&ls).name
                }
            };
            args.push(a);
        }
        Some(Ex::new(format!("{name}({})", args.join(", ")), Ty::Num, STORE_BITS, 14))
    }

    // -----------------------------------------------------------------------------------------
    // Expressions
    // -----------------------------------------------------------------------------------------

    fn int_divisor(&mut self, c: &Ctx) -> Ex {
        if (c.risky & ZDE != 0 && self.chance(40)) || self.stray_risk() {
            return self.risky_int_divisor(c);
        }
        match self.below(5) {
            0 | 1 => {
                let v = self.rng.pick(&[-7, -3, -2, -1, 1, 2, 3, 4, 5, 7, 10, 16]);
                lit(v)
            }
            2 => {
                let e = self.int_leaf(c);
                let k = self.rng.range(2, 9);
                Ex::new(format!("({} % {k} + 1)", e.at(11)), Ty::Int, 4, 14)
            }
            3 => {
                let e = self.int_leaf(c);
                let k = self.rng.range(2, 9);
                Ex::new(format!("-({} % {k} + 1)", e.at(11)), Ty::Int, 4, 12)
            }
            _ => {
                let (s, b, p) = self.rng.pick(&[
                    (if self.jit { "4294967296" } else { "2**32" }, 33, 13),
                    ("-1000003", 20, 12),
                    ("9223372036854775783", 63, 14),
                    (if self.jit { "(-9223372036854775807 - 1)" } else { "-2**63" }, 64, 12),
                ]);
                Ex::new(s, Ty::Int, b, p)
            }
        }
    }

    fn risky_int_divisor(&mut self, c: &Ctx) -> Ex {
        let e = self.int_leaf(c);
        match self.below(3) {
            0 => {
                let k = self.rng.range(2, 5);
                let r = self.rng.range(0, k - 1);
                Ex::new(format!("({} % {k} - {r})", e.at(11)), Ty::Int, 4, 14)
            }
            1 => Ex::new(format!("({} & 3)", e.at(9)), Ty::Int, 2, 14),
            _ => e,
        }
    }

    fn num_divisor(&mut self, c: &Ctx) -> Ex {
        if (c.risky & ZDE != 0 && self.chance(40)) || self.stray_risk() {
            return self.risky_num_divisor(c);
        }
        match self.below(5) {
            0 | 1 => self.int_divisor(c),
            2 => float_const_ex(self.rng.pick(FLOAT_DIVS)),
            3 if self.strict => self.int_divisor(c),
            3 => {
                let e = self.num_leaf(c);
                let k = self.rng.range(2, 9);
                let neg = if self.chance(30) { "-" } else { "" };
                Ex::new(
                    format!("{neg}({} % {k} + 1)", e.at(11)),
                    arith(e.ty, Ty::Int),
                    4,
                    if neg.is_empty() { 14 } else { 12 },
                )
            }
            _ if self.jit => float_const_ex(self.rng.pick(FLOAT_DIVS)),
            _ => {
                let e = self.float_leaf(c);
                Ex::new(format!("({} % 4.0 + 0.5)", e.at(11)), Ty::Float, 0, 14)
            }
        }
    }

    fn risky_num_divisor(&mut self, c: &Ctx) -> Ex {
        match self.below(4) {
            0 => self.risky_int_divisor(c),
            1 => {
                let e = self.int_leaf(c);
                let k = self.rng.range(2, 4);
                let r = self.rng.range(0, k - 1);
                Ex::new(format!("({} % {k} - {r}) * 0.5", e.at(11)), Ty::Float, 0, 11)
            }
            _ => {
                let vs = self.vars_where(c, |v| matches!(v.kind, Kind::Num | Kind::Float | Kind::Int));
                if vs.is_empty() {
                    return self.risky_int_divisor(c);
                }
                let v = self.rng.pick(&vs);
                let ty = match v.kind {
                    Kind::Int => Ty::Int,
                    Kind::Float => Ty::Float,
                    _ => Ty::Num,
                };
                Ex::new(v.name, ty, READ_BITS, 14)
            }
        }
    }

    fn int_expr(&mut self, c: &Ctx, depth: u32) -> Ex {
        if depth == 0 || self.chance(25) {
            return self.int_leaf(c);
        }
        let d = depth - 1;
        let mut pick = self.below(21);
        if self.jit && matches!(pick, 13 | 15 | 17..=20) && !self.rare_ok() {
            pick = self.below(13);
        }
        match pick {
            0..=4 => self.int_addsub(c, d),
            5..=7 => {
                let a = self.int_expr(c, d);
                let b = self.int_expr(c, d);
                if a.bits + b.bits > MAX_BITS {
                    return self.int_addsub(c, d);
                }
                Ex::new(format!("{} * {}", a.at(11), b.at(12)), Ty::Int, a.bits + b.bits, 11)
            }
            8..=10 => {
                let a = self.int_expr(c, d);
                let dv = self.int_divisor(c);
                if self.chance(50) {
                    Ex::new(format!("{} // {}", a.at(11), dv.at(12)), Ty::Int, a.bits, 11)
                } else {
                    Ex::new(format!("{} % {}", a.at(11), dv.at(12)), Ty::Int, dv.bits, 11)
                }
            }
            11 | 12 => {
                let a = self.int_expr(c, d);
                let b = self.int_expr(c, d);
                let (op, p) = self.rng.pick(&[("&", 8), ("|", 6), ("^", 7)]);
                Ex::new(format!("{} {op} {}", a.at(p), b.at(p + 1)), Ty::Int, a.bits.max(b.bits) + 1, p)
            }
            13 => {
                let a = self.int_expr(c, d);
                let k = self.rng.range(1, 8) as u32;
                if self.chance(50) && a.bits + k <= MAX_BITS {
                    Ex::new(format!("{} << {k}", a.at(9)), Ty::Int, a.bits + k, 9)
                } else {
                    Ex::new(format!("{} >> {k}", a.at(9)), Ty::Int, a.bits, 9)
                }
            }
            14 => {
                let a = self.int_expr(c, d);
                let op = if self.jit || self.chance(60) { "-" } else { "~" };
                Ex::new(format!("{op}{}", a.at(12)), Ty::Int, a.bits + 1, 12)
            }
            15 => {
                let a = self.int_expr(c, d);
                match self.below(3) {
                    0 => Ex::new(format!("abs({})", a.s), Ty::Int, a.bits, 14),
                    1 => {
                        let b = self.int_expr(c, d);
                        Ex::new(format!("min({}, {})", a.s, b.s), Ty::Int, a.bits.max(b.bits), 14)
                    }
                    _ => {
                        let b = self.int_expr(c, d);
                        let e = self.int_leaf(c);
                        let bits = a.bits.max(b.bits).max(e.bits);
                        Ex::new(format!("max({}, {}, {})", a.s, b.s, e.s), Ty::Int, bits, 14)
                    }
                }
            }
            16 => {
                let a = self.int_expr(c, d);
                let cond = self.cond(c, d);
                let b = self.int_expr(c, d);
                Ex::new(format!("{} if {} else {}", a.at(2), cond.at(2), b.at(1)), Ty::Int, a.bits.max(b.bits), 1)
            }
            17 => {
                // A guarded float-to-int conversion: never raises, result below 2**30.
                let f = if self.chance(50) { self.float_leaf(c) } else { self.num_leaf(c) };
                let k = self.rng.range(-5, 5);
                Ex::new(format!("int({}) if -1e9 < {} < 1e9 else {k}", f.s, f.at(6)), Ty::Int, 30, 1)
            }
            18 => {
                let a = self.int_leaf(c);
                let a = if a.bits > 60 { self.fit(a, 33) } else { a };
                let p = self.rng.range(2, 3) as u32;
                Ex::new(format!("{} ** {p}", a.at(14)), Ty::Int, a.bits * p, 13)
            }
            19 if c.risky & VE != 0 => self.risky_int_conv(c),
            _ => {
                // An int from a comparison chain or a boolean sum: True + True is 2.
                let a = self.cond(c, d);
                let a = as_bool(a);
                let b = self.int_leaf(c);
                Ex::new(format!("{} + {}", a.at(11), b.at(11)), Ty::Int, b.bits.max(1) + 1, 10)
            }
        }
    }

    fn int_addsub(&mut self, c: &Ctx, d: u32) -> Ex {
        let a = self.int_expr(c, d);
        let b = self.int_expr(c, d);
        let op = if self.chance(50) { "+" } else { "-" };
        Ex::new(format!("{} {op} {}", a.at(10), b.at(11)), Ty::Int, a.bits.max(b.bits) + 1, 10)
    }

    /// `int(F) % M`: ValueError for nan, OverflowError for inf.
    fn risky_int_conv(&mut self, c: &Ctx) -> Ex {
        let f = self.float_expr(c, 1);
        let f = if self.chance(50) { Ex::new(format!("{} * 1e300", f.at(11)), Ty::Float, 0, 11) } else { f };
        let m = self.modulus(STORE_BITS);
        Ex::new(format!("int({}) % {}", f.s, m.at(12)), Ty::Int, m.bits, 11)
    }

    fn num_expr(&mut self, c: &Ctx, depth: u32) -> Ex {
        if depth == 0 || self.chance(25) {
            return self.num_leaf(c);
        }
        let d = depth - 1;
        let mut pick = self.below(20);
        if self.jit && (pick == 10 || (self.strict && pick == 12)) && !self.rare_ok() {
            pick = self.below(6);
        }
        match pick {
            0..=5 => {
                let a = self.num_expr(c, d);
                let b = if self.chance(30) { self.int_expr(c, d) } else { self.num_expr(c, d) };
                let (a, b) = if self.chance(50) { (a, b) } else { (b, a) };
                let ty = arith(a.ty, b.ty);
                match self.below(3) {
                    0 if a.bits + b.bits <= MAX_BITS => {
                        Ex::new(format!("{} * {}", a.at(11), b.at(12)), ty, a.bits + b.bits, 11)
                    }
                    1 => Ex::new(format!("{} - {}", a.at(10), b.at(11)), ty, a.bits.max(b.bits) + 1, 10),
                    _ => Ex::new(format!("{} + {}", a.at(10), b.at(11)), ty, a.bits.max(b.bits) + 1, 10),
                }
            }
            6 | 7 if self.strict => {
                // Int operands only (float `//` and `%` aborted recordings before the recorder
                // compiled them).
                let a = self.int_expr(c, d);
                let dv = self.int_divisor(c);
                if self.chance(50) {
                    Ex::new(format!("{} // {}", a.at(11), dv.at(12)), Ty::Int, a.bits, 11)
                } else {
                    Ex::new(format!("{} % {}", a.at(11), dv.at(12)), Ty::Int, dv.bits, 11)
                }
            }
            6 | 7 => {
                let a = self.num_expr(c, d);
                // Mostly int divisors in friendly loops (a choice from before the recorder
                // compiled float `%` and `//`).
                let dv = if self.jit && self.chance(70) { self.int_divisor(c) } else { self.num_divisor(c) };
                let ty = arith(a.ty, dv.ty);
                if self.chance(50) {
                    Ex::new(format!("{} // {}", a.at(11), dv.at(12)), ty, a.bits, 11)
                } else {
                    Ex::new(format!("{} % {}", a.at(11), dv.at(12)), ty, dv.bits, 11)
                }
            }
            8 => {
                let a = self.num_expr(c, d);
                let dv = self.num_divisor(c);
                Ex::new(format!("{} / {}", a.at(11), dv.at(12)), Ty::Float, 0, 11)
            }
            9 => {
                let a = self.num_expr(c, d);
                if self.jit || self.chance(60) {
                    Ex::new(format!("-{}", a.at(12)), unary(a.ty), a.bits, 12)
                } else {
                    Ex::new(format!("abs({})", a.s), unary(a.ty), a.bits, 14)
                }
            }
            10 => {
                let a = self.num_expr(c, d);
                let b = self.num_expr(c, d);
                let f = if self.chance(50) { "min" } else { "max" };
                Ex::new(format!("{f}({}, {})", a.s, b.s), join(a.ty, b.ty), a.bits.max(b.bits), 14)
            }
            11 => {
                let a = self.num_expr(c, d);
                let cond = self.cond(c, d);
                let b = self.num_expr(c, d);
                Ex::new(
                    format!("{} if {} else {}", a.at(2), cond.at(2), b.at(1)),
                    join(a.ty, b.ty),
                    a.bits.max(b.bits),
                    1,
                )
            }
            12 => self.cond(c, d),
            13..=15 => self.int_expr(c, depth),
            _ => self.float_expr(c, depth),
        }
    }

    fn float_expr(&mut self, c: &Ctx, depth: u32) -> Ex {
        if depth == 0 || self.chance(30) {
            return self.float_leaf(c);
        }
        let d = depth - 1;
        let mut pick = self.below(10);
        if self.jit && matches!(pick, 5..=8) && !self.rare_ok() {
            pick = if self.chance(50) { 3 } else { 9 };
        }
        match pick {
            0..=2 => {
                let a = self.float_expr(c, d);
                let b = self.num_expr(c, d);
                let (a, b) = if self.chance(50) { (a, b) } else { (b, a) };
                let (op, p) = self.rng.pick(&[("+", 10), ("-", 10), ("*", 11)]);
                Ex::new(format!("{} {op} {}", a.at(p), b.at(p + 1)), Ty::Float, 0, p)
            }
            3 | 4 => {
                let a = self.num_expr(c, d);
                let dv = self.num_divisor(c);
                Ex::new(format!("{} / {}", a.at(11), dv.at(12)), Ty::Float, 0, 11)
            }
            5 => {
                let a = self.num_expr(c, d);
                Ex::new(format!("float({})", a.s), Ty::Float, 0, 14)
            }
            6 => {
                let a = self.float_expr(c, d);
                let dv = self.num_divisor(c);
                let op = if self.chance(50) { "//" } else { "%" };
                Ex::new(format!("{} {op} {}", a.at(11), dv.at(12)), Ty::Float, 0, 11)
            }
            7 => {
                let a = self.float_expr(c, d);
                if self.chance(50) {
                    Ex::new(format!("-{}", a.at(12)), Ty::Float, 0, 12)
                } else {
                    Ex::new(format!("abs({})", a.s), Ty::Float, 0, 14)
                }
            }
            8 => {
                let k = self.int_expr(c, d);
                let p = self.rng.range(1, 3);
                Ex::new(format!("({} % 5 + 1) ** -{p}", k.at(11)), Ty::Float, 0, 13)
            }
            _ => {
                let a = self.float_expr(c, d);
                let b = self.float_expr(c, d);
                let (op, p) = self.rng.pick(&[("+", 10), ("-", 10), ("*", 11)]);
                Ex::new(format!("{} {op} {}", a.at(p), b.at(p + 1)), Ty::Float, 0, p)
            }
        }
    }

    /// A condition (usually a bool; `and`/`or` and truthiness give one of the operands).
    fn cond(&mut self, c: &Ctx, depth: u32) -> Ex {
        let d = depth.saturating_sub(1);
        let cmp = ["<", "<=", ">", ">=", "==", "!="];
        let mut pick = self.below(17);
        if self.jit && (matches!(pick, 8 | 11..=13) || (self.strict && pick == 10)) && !self.rare_ok() {
            pick = self.below(8);
        }
        match pick {
            0..=3 => {
                let ctr = c.ctrs.iter().rev().find(|ct| ct.ty == Ty::Int).map(|ct| ct.name.clone());
                let e = match ctr {
                    // Kernels: a branch that alternates as the loop runs.
                    Some(ctr) if self.strict && self.chance(70) => {
                        let x = self.int_leaf(c);
                        if self.chance(50) {
                            Ex::new(ctr, Ty::Int, 16, 14)
                        } else {
                            Ex::new(format!("{ctr} + {}", x.at(11)), Ty::Int, READ_BITS + 1, 10)
                        }
                    }
                    _ => self.int_leaf(c),
                };
                let k = self.rng.range(2, 7);
                let r = self.rng.range(0, k - 1);
                let op = if self.chance(75) { "==" } else { "!=" };
                Ex::new(format!("{} % {k} {op} {r}", e.at(11)), Ty::Bool, 1, 5)
            }
            4..=6 => {
                let a = self.num_expr(c, d);
                let b = self.num_expr(c, d);
                let op = self.rng.pick(&cmp);
                Ex::new(format!("{} {op} {}", a.at(6), b.at(6)), Ty::Bool, 1, 5)
            }
            7 => {
                let a = self.num_leaf(c);
                let b = self.num_expr(c, d);
                let e = self.num_leaf(c);
                let op1 = self.rng.pick(&cmp[..4]);
                let op2 = self.rng.pick(&cmp);
                Ex::new(format!("{} {op1} {} {op2} {}", a.at(6), b.at(6), e.at(6)), Ty::Bool, 1, 5)
            }
            8 if depth > 0 => {
                let a = self.cond(c, d);
                Ex::new(format!("not {}", a.at(4)), Ty::Bool, 1, 4)
            }
            9 if depth > 0 => {
                let a = self.cond(c, d);
                let b = self.cond(c, d);
                let ty = join(a.ty, b.ty);
                let bits = a.bits.max(b.bits);
                if self.chance(50) {
                    Ex::new(format!("{} and {}", a.at(4), b.at(4)), ty, bits, 3)
                } else {
                    Ex::new(format!("{} or {}", a.at(3), b.at(3)), ty, bits, 2)
                }
            }
            10 => {
                let vs = self.vars_where(c, |v| matches!(v.kind, Kind::Num | Kind::Float | Kind::Int));
                if vs.is_empty() {
                    return self.cond(c, 0);
                }
                let v = self.rng.pick(&vs);
                let ty = match v.kind {
                    Kind::Int => Ty::Int,
                    Kind::Float => Ty::Float,
                    _ => Ty::Num,
                };
                Ex::new(v.name, ty, READ_BITS, 14)
            }
            11 => {
                let a = self.num_leaf(c);
                let t = self.rng.pick(&["int", "float", "bool", "(int, bool)", "(float, bool)"]);
                Ex::new(format!("isinstance({}, {t})", a.s), Ty::Bool, 1, 14)
            }
            12 => {
                let lists: Vec<Var> = self.lists(c);
                if lists.is_empty() {
                    return self.cond(c, 0);
                }
                let l = self.rng.pick(&lists);
                let e = self.int_leaf(c);
                let op = if self.chance(70) { "in" } else { "not in" };
                Ex::new(format!("{} {op} {}", e.at(6), l.name), Ty::Bool, 1, 5)
            }
            13 => {
                let bigs = self.vars_where(c, |v| v.kind == Kind::Big);
                if bigs.is_empty() {
                    return self.cond(c, 0);
                }
                let b = self.rng.pick(&bigs);
                let e = self.num_expr(c, d);
                let op = self.rng.pick(&cmp);
                Ex::new(format!("{} {op} {}", b.name, e.at(6)), Ty::Bool, 1, 5)
            }
            _ => {
                let a = self.int_leaf(c);
                let b = self.float_leaf(c);
                let (a, b) = if self.chance(50) { (a, b) } else { (b, a) };
                let op = self.rng.pick(&cmp);
                Ex::new(format!("{} {op} {}", a.at(6), b.at(6)), Ty::Bool, 1, 5)
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // Statements
    // -----------------------------------------------------------------------------------------

    /// A block of `lo..=hi` statements (at least one, fewer when the program is long already).
    fn block(&mut self, c: &Ctx, depth: u32, lo: u64, hi: u64) {
        let n = lo + self.below(hi - lo + 1);
        for k in 0..n.max(1) {
            if k > 0 && self.lines.len() >= self.cap {
                break;
            }
            self.stmt(c, depth);
        }
    }

    fn stmt(&mut self, c: &Ctx, depth: u32) {
        let in_loop = c.loop_depth > 0;
        let has_lists = !self.lists(c).is_empty();
        let has_grow = c.vars.iter().any(|v| v.kind == Kind::Grow);
        let has_big = c.vars.iter().any(|v| v.kind == Kind::Big && v.mutable);
        let room = self.lines.len() + 4 < self.cap;
        let can_loop = depth > 0 && room && c.loop_depth < c.max_loop_depth && self.budget / c.mult.max(1) >= 2;
        let list_helper = (0..c.callable).any(|k| self.helpers[k].params.contains(&PKind::List));
        // In JIT-friendly loops, what the recorder rejects stays rare.
        let rare = |w: u64| {
            if self.strict {
                0
            } else if self.jit {
                w.min(1)
            } else {
                w
            }
        };
        let strict = self.strict;
        let weights: [(u32, u64); 15] = [
            (0, 30),
            (1, if has_lists { if self.jit { 20 } else { 10 } } else { 0 }),
            (2, if has_lists { rare(3) } else { 0 }),
            (3, if has_grow { rare(4) } else { 0 }),
            (4, if has_big { rare(5) } else { 0 }),
            (5, if depth > 0 && room { if strict { 20 } else { 12 } } else { 0 }),
            // A loop inside a loop: the inner one is traced first (the outer one aborts until
            // then), then the outer one's trace links to it.
            (
                6,
                if can_loop {
                    if strict {
                        30
                    } else if self.jit {
                        6
                    } else {
                        12
                    }
                } else {
                    0
                },
            ),
            (7, if in_loop { if strict { 12 } else { 7 } } else { 0 }),
            (8, if in_loop && !matches!(c.ret, Ret::Top) { rare(4) } else { 0 }),
            (9, if depth > 0 && room { if strict { 2 } else { 6 } } else { 0 }),
            (10, if c.can_print { rare(4) } else { 0 }),
            (11, if list_helper && has_lists { rare(3) } else { 0 }),
            (12, 2),
            (13, if has_lists && self.jit { 6 } else { 0 }),
            (14, if strict && in_loop { if self.callees.is_empty() { 8 } else { 20 } } else { 0 }),
        ];
        let total: u64 = weights.iter().map(|w| w.1).sum();
        let mut r = self.below(total);
        let mut which = 0;
        for (k, w) in weights {
            if r < w {
                which = k;
                break;
            }
            r -= w;
        }
        match which {
            1 => self.list_store(c),
            2 => self.list_shuffle(c),
            3 => self.grow_append(c),
            4 => self.big_stmt(c),
            5 => self.if_stmt(c, depth),
            6 => self.loop_stmt(c, depth),
            7 => self.exit_stmt(c),
            8 => self.return_stmt(c),
            9 => self.try_stmt(c, depth),
            10 => self.print_stmt(c),
            11 => self.call_stmt(c),
            12 => self.swap(c),
            13 => self.list_update_reload(c),
            14 => self.kernel_stmt(c),
            _ => self.assign(c),
        }
    }

    fn assign(&mut self, c: &Ctx) {
        let targets = self.vars_where(c, |v| v.mutable && matches!(v.kind, Kind::Int | Kind::Num | Kind::Float));
        if targets.is_empty() {
            return self.emit(c.indent, "pass");
        }
        let v = self.rng.pick(&targets);
        let n = &v.name;
        let text = match v.kind {
            Kind::Int => match self.below(7) {
                0 | 1 => {
                    let e = self.int_expr(c, 2);
                    format!("{n} = {}", self.fit(e, STORE_BITS).s)
                }
                2 => {
                    let e = self.int_expr(c, 2);
                    let op = if self.chance(60) { "+=" } else { "-=" };
                    format!("{n} {op} {}", self.fit(e, ACC_BITS).s)
                }
                3 => {
                    // The overflow pattern of hashes and LCGs: crosses 2**63 and comes back.
                    let big = if self.jit { "4294967311" } else { "2**32 + 15" };
                    let k = self.rng.pick(&["3", "31", "-7", big, "6364136223846793005", "1103515245"]);
                    let e = self.int_leaf(c);
                    let m = self.modulus(STORE_BITS);
                    format!("{n} = ({n} * {k} + {}) % {}", e.at(11), m.at(12))
                }
                4 => {
                    let dv = self.int_divisor(c);
                    let op = if self.chance(50) { "//=" } else { "%=" };
                    format!("{n} {op} {}", dv.s)
                }
                5 => {
                    let e = self.int_expr(c, 1);
                    let e = self.fit(e, STORE_BITS);
                    match self.below(4) {
                        0 => format!("{n} ^= {}", e.s),
                        1 => format!("{n} &= {}", e.s),
                        2 => format!("{n} |= {}", e.s),
                        _ if self.jit => format!("{n} ^= {}", self.rng.range(1, 5)),
                        _ => format!("{n} >>= {}", self.rng.range(1, 5)),
                    }
                }
                _ => {
                    let e = self.int_expr(c, 3);
                    format!("{n} = {}", self.fit(e, STORE_BITS).s)
                }
            },
            Kind::Num => match self.below(9) {
                0 | 1 => {
                    let e = self.num_expr(c, 2);
                    format!("{n} = {}", self.fit(e, STORE_BITS).s)
                }
                2 => {
                    let e = self.num_expr(c, 2);
                    let op = if self.chance(60) { "+=" } else { "-=" };
                    format!("{n} {op} {}", self.fit(e, ACC_BITS).s)
                }
                3 | 4 => self.type_flip(c, n),
                5 => {
                    // A bool in a number variable (bool arithmetic: `BoolToInt` in traces).
                    let e = if self.strict { self.num_expr(c, 1) } else { self.cond(c, 1) };
                    format!("{n} = {}", self.fit(e, STORE_BITS).s)
                }
                6 => {
                    let dv = self.num_divisor(c);
                    let op = if self.strict { "/=" } else { self.rng.pick(&["/=", "//=", "%="]) };
                    format!("{n} {op} {}", dv.s)
                }
                7 => {
                    let k = self.rng.pick(&["0.5", "-1", "1.5", "-0.75", "True", "1"]);
                    let k = if self.strict && k == "True" { "2" } else { k };
                    format!("{n} *= {k}")
                }
                _ => {
                    let e = self.num_expr(c, 3);
                    format!("{n} = {}", self.fit(e, STORE_BITS).s)
                }
            },
            _ => match self.below(6) {
                0 | 1 => format!("{n} = {}", self.float_expr(c, 2).s),
                2 => {
                    let e = self.num_expr(c, 2);
                    let op = if self.chance(60) { "+=" } else { "-=" };
                    format!("{n} {op} {}", e.s)
                }
                3 => {
                    let k = self.rng.pick(&["0.5", "1.5", "-1.25", "0.999", "1.0001", "-0.5", "2"]);
                    format!("{n} *= {k}")
                }
                4 => {
                    let dv = self.num_divisor(c);
                    let op = if self.strict { "/=" } else { self.rng.pick(&["/=", "//=", "%="]) };
                    format!("{n} {op} {}", dv.s)
                }
                _ => {
                    let e = self.num_expr(c, 1);
                    format!("{n} = {n} * 0.5 + {}", e.at(11))
                }
            },
        };
        self.emit(c.indent, &text);
    }

    /// An assignment that changes the type of a `Num` variable.
    fn type_flip(&mut self, c: &Ctx, n: &str) -> String {
        let mut pick = self.below(9);
        if self.jit && (matches!(pick, 1 | 2 | 4) || (self.strict && matches!(pick, 3 | 6))) && !self.rare_ok() {
            pick = if self.strict { self.rng.pick(&[0, 5, 7, 8]) } else { self.rng.pick(&[0, 3, 5, 6, 7, 8]) };
        }
        match pick {
            0 => format!("{n} = {n} + 0.5"),
            1 => format!("{n} = float({n})"),
            2 => format!("{n} = int({n}) if -1e9 < {n} < 1e9 else {}", self.rng.range(-3, 3)),
            3 => {
                let e = self.int_leaf(c);
                format!("{n} = {} % {} == 0", e.at(11), self.rng.range(2, 4))
            }
            4 => format!("{n} = not {n}"),
            5 => format!("{n} = {n} * 1.5"),
            6 => format!("{n} = {n} // 1"),
            7 => format!("{n} = -{n}"),
            _ => {
                let e = self.int_leaf(c);
                format!("{n} = {}", self.fit(e, STORE_BITS).s)
            }
        }
    }

    fn list_store(&mut self, c: &Ctx) {
        let lists = self.lists(c);
        let l = self.rng.pick(&lists);
        let n = if let Kind::List(n) = l.kind { n } else { 0 };
        let idx = self.index(c, &l.name, n);
        let text = match self.below(6) {
            0 | 1 => {
                let e = self.num_expr(c, 2);
                format!("{}[{idx}] = {}", l.name, self.fit(e, STORE_BITS).s)
            }
            2 => {
                let e = self.num_expr(c, 2);
                let op = if self.chance(60) { "+=" } else { "-=" };
                format!("{}[{idx}] {op} {}", l.name, self.fit(e, ACC_BITS).s)
            }
            3 => {
                let k = self.rng.pick(&["0.5", "-1", "1.5", if self.strict { "3" } else { "True" }]);
                format!("{}[{idx}] *= {k}", l.name)
            }
            4 => {
                let e = if self.strict { self.num_expr(c, 1) } else { self.cond(c, 1) };
                format!("{}[{idx}] = {}", l.name, self.fit(e, STORE_BITS).s)
            }
            _ => {
                let j = self.index(c, &l.name, n);
                format!("{0}[{idx}], {0}[{j}] = {0}[{j}], {0}[{idx}]", l.name)
            }
        };
        self.emit(c.indent, &text);
    }

    /// An element updated in place, then read again (by the same or an aliasing index) in the
    /// same iteration: what load/store forwarding and CSE across the loop edge get wrong.
    fn list_update_reload(&mut self, c: &Ctx) {
        let lists: Vec<Var> = self.lists(c).into_iter().filter(|l| l.kind != Kind::List(0)).collect();
        let nums = self.vars_where(c, |v| v.mutable && v.kind == Kind::Num);
        if lists.is_empty() || nums.is_empty() {
            return self.list_store(c);
        }
        let l = self.rng.pick(&lists);
        let Kind::List(n) = l.kind else { unreachable!() };
        let k = self.rng.range(0, n as i64 - 1);
        let spell = |g: &mut Gen, k: i64| if g.chance(50) { k.to_string() } else { (k - n as i64).to_string() };
        let (i1, i2) = (spell(self, k), spell(self, k));
        let e = self.num_expr(c, 1);
        let op = self.rng.pick(&["+=", "-=", "*="]);
        let e = if op == "*=" { float_const_ex(self.rng.pick(&["0.5", "-1.0", "1.5"])) } else { self.fit(e, ACC_BITS) };
        self.emit(c.indent, &format!("{}[{i1}] {op} {}", l.name, e.s));
        let v = self.rng.pick(&nums);
        let e2 = self.num_leaf(c);
        let sum = Ex::new(format!("{}[{i2}] + {}", l.name, e2.at(11)), Ty::Num, READ_BITS + 1, 10);
        let sum = self.fit(sum, STORE_BITS);
        self.emit(c.indent, &format!("{} = {}", v.name, sum.s));
    }

    /// Length-preserving list operations.
    fn list_shuffle(&mut self, c: &Ctx) {
        let lists = self.lists(c);
        let l = self.rng.pick(&lists);
        let name = &l.name;
        let n = if let Kind::List(n) = l.kind { n as i64 } else { 1 };
        match self.below(5) {
            0 => self.emit(c.indent, &format!("{name}.append({name}.pop(0))")),
            1 => self.emit(c.indent, &format!("{name}.insert(0, {name}.pop())")),
            2 => self.emit(c.indent, &format!("{name}.reverse()")),
            3 => {
                let e = self.num_expr(c, 1);
                let e = self.fit(e, STORE_BITS);
                self.emit(c.indent, &format!("{name}.append({})", e.s));
                let k = self.rng.range(-n - 1, n);
                self.emit(c.indent, &format!("{name}.pop({k})"));
            }
            _ => {
                let e = self.num_expr(c, 1);
                let e = self.fit(e, STORE_BITS);
                let k = self.rng.range(-n, n);
                self.emit(c.indent, &format!("{name}.insert({k}, {})", e.s));
                self.emit(c.indent, &format!("{name}.pop()"));
            }
        }
    }

    fn grow_append(&mut self, c: &Ctx) {
        let gs = self.vars_where(c, |v| v.kind == Kind::Grow);
        let g = self.rng.pick(&gs);
        let e = self.num_expr(c, 2);
        let e = self.fit(e, STORE_BITS);
        self.emit(c.indent, &format!("{}.append({})", g.name, e.s));
    }

    fn big_stmt(&mut self, c: &Ctx) {
        let bs = self.vars_where(c, |v| v.kind == Kind::Big && v.mutable);
        let b = self.rng.pick(&bs).name;
        let mult = c.mult as f64;
        match self.below(6) {
            0 | 1 => {
                let k = self.rng.pick(&[3i64, 5, 7, -3, 10, 1 << 20]);
                let gain = mult * (k.unsigned_abs() as f64).log10() + 1.0;
                if gain <= self.big_digits {
                    self.big_digits -= gain;
                    let e = self.int_leaf(c);
                    self.emit(c.indent, &format!("{b} = {b} * {k} + {}", e.at(11)));
                } else {
                    self.emit(c.indent, &format!("{b} += 2**62"));
                }
            }
            2 => {
                let e = self.int_expr(c, 1);
                let e = self.fit(e, ACC_BITS);
                let op = if self.chance(60) { "+=" } else { "-=" };
                self.emit(c.indent, &format!("{b} {op} {}", e.s));
            }
            3 => {
                let m = self.modulus(STORE_BITS);
                let k = self.rng.range(64, 200);
                self.emit(c.indent, &format!("if {b} > 2**{k}:"));
                self.emit(c.indent + 1, &format!("{b} = {b} % {}", m.at(12)));
            }
            4 => {
                let k = self.rng.pick(&["3", "-7", "2**40", "1000003"]);
                self.emit(c.indent, &format!("{b} //= {k}"));
            }
            _ => self.emit(c.indent, &format!("{b} += 2**62")),
        }
    }

    fn if_stmt(&mut self, c: &Ctx, depth: u32) {
        let inner = Ctx { indent: c.indent + 1, ..c.clone() };
        let cond = self.cond(c, 2);
        self.emit(c.indent, &format!("if {}:", cond.s));
        self.block(&inner, depth - 1, 1, 3);
        for _ in 0..self.below(3) {
            if self.lines.len() >= self.cap {
                break;
            }
            let cond = self.cond(c, 1);
            self.emit(c.indent, &format!("elif {}:", cond.s));
            self.block(&inner, depth - 1, 1, 2);
        }
        if self.chance(50) {
            self.emit(c.indent, "else:");
            self.block(&inner, depth - 1, 1, 2);
        }
    }

    /// A trip count for a new loop here, charged to the budget.
    fn trips(&mut self, c: &Ctx, hint: Option<u64>) -> Option<u64> {
        if matches!(c.ret, Ret::Helper) {
            let t = hint.unwrap_or_else(|| self.rng.range(2, 10) as u64);
            self.helper_cost += t * c.mult;
            return Some(t);
        }
        let mut max = (self.budget / c.mult.max(1)).min(MAX_TRIPS);
        if c.loop_depth == 0 && matches!(c.ret, Ret::Top) {
            max = max.min(self.budget * 2 / 3);
        }
        let t = match hint {
            Some(t) => t,
            // Kernels: an outer loop of a nest leaves room for its inner loop; other loops
            // mostly get trip counts that make them hot in both JIT modes.
            None if self.strict && self.nest => self.rng.range(6, 60) as u64,
            None if self.strict => match self.below(10) {
                0 | 1 => self.rng.range(3, 12) as u64,
                2..=6 => self.rng.range(20, 120) as u64,
                _ => self.rng.range(121, 700) as u64,
            },
            None => match self.below(10) {
                0..=2 => self.rng.range(2, 12) as u64,
                3..=5 => self.rng.range(60, 160) as u64,
                _ => self.rng.range(161, MAX_TRIPS as i64) as u64,
            },
        };
        if max < 2 || (hint.is_some() && t > max) {
            return None;
        }
        let t = t.min(max);
        self.budget -= t * c.mult.max(1);
        Some(t)
    }

    /// A loop; most are JIT-friendly (see [`Gen::jit`]), inner loops of friendly ones even more.
    fn loop_stmt(&mut self, c: &Ctx, depth: u32) {
        let saved = self.jit;
        self.jit = self.strict || self.chance(if saved { 85 } else { 65 });
        self.loop_any(c, depth);
        self.jit = saved;
    }

    fn loop_any(&mut self, c: &Ctx, depth: u32) {
        let lists: Vec<Var> = self.lists(c).into_iter().filter(|l| l.kind != Kind::List(0)).collect();
        let mut form = self.below(11);
        if self.jit && matches!(form, 8 | 9) {
            // Friendly loops do not iterate lists or tuples (`for` over a tuple aborts; over a
            // list the recorder now compiles it: a choice from before it did).
            form = self.below(8);
        }
        if self.strict && c.loop_depth > 0 && form < 5 && self.chance(60) {
            // Inner `while` loops: a side trace from the inner loop's exit runs the outer
            // loop's step and links back to the inner trace (a choice from before side traces
            // recorded `range()` calls; they do now, as Mandelbrot's `for x` shows).
            form = self.rng.range(5, 7) as u64;
        }
        let (trips, ctr, header, pre, step_line, print_ok) = match form {
            8 if !lists.is_empty() => {
                let l = self.rng.pick(&lists);
                let Kind::List(n) = l.kind else { unreachable!() };
                let Some(t) = self.trips(c, Some(n as u64)) else { return self.assign(c) };
                let e = self.fresh("e");
                let hdr = format!("for {e} in {}:", l.name);
                (t, Ctr { name: e, ty: Ty::Num, bits: READ_BITS }, hdr, None, None, false)
            }
            9 => {
                let elems: Vec<String> = (0..self.rng.range(2, 5)).map(|_| self.num_const_text()).collect();
                let Some(t) = self.trips(c, Some(elems.len() as u64)) else { return self.assign(c) };
                let e = self.fresh("e");
                let hdr = format!("for {e} in ({},):", elems.join(", "));
                (t, Ctr { name: e, ty: Ty::Num, bits: 65 }, hdr, None, None, false)
            }
            5..=7 => {
                let Some(t) = self.trips(c, None) else { return self.assign(c) };
                let w = self.fresh("w");
                let mut form = self.below(4);
                if self.strict && form == 1 && self.chance(70) {
                    // `while w > 0 and C` often never starts: kernels want hot loops.
                    form = 0;
                }
                let (pre, hdr, step) = match form {
                    0 => (format!("{w} = 0"), format!("while {w} < {t}:"), format!("{w} += 1")),
                    1 => {
                        let cond = self.cond(c, 1);
                        (format!("{w} = {t}"), format!("while {w} > 0 and {}:", cond.at(4)), format!("{w} -= 1"))
                    }
                    2 => (format!("{w} = 0"), "while True:".to_string(), format!("{w} += 1\nif {w} > {t}:\n    break")),
                    _ => {
                        let step = self.rng.pick(&["0.25", "0.5", "0.1"]);
                        let per: f64 = step.parse().unwrap_or(0.5);
                        let limit = (t as f64 - 1.0) * per;
                        return self.float_while(c, depth, t, &w, step, limit);
                    }
                };
                (t, Ctr { name: w, ty: Ty::Int, bits: 16 }, hdr, Some(pre), Some(step), true)
            }
            _ => {
                let Some(t) = self.trips(c, None) else { return self.assign(c) };
                let i = self.fresh("i");
                let (args, unit) = match self.below(6) {
                    0..=2 => (format!("{t}"), true),
                    3 => {
                        let a = self.rng.range(-50, 50);
                        (format!("{a}, {}", a + t as i64), true)
                    }
                    4 => {
                        let a = self.rng.range(-50, 50);
                        (format!("{a}, {}, -1", a - t as i64), true)
                    }
                    _ => {
                        let a = self.rng.range(-50, 50);
                        let s = self.rng.range(2, 5) * if self.chance(50) { 1 } else { -1 };
                        (format!("{a}, {}, {s}", a + s * t as i64), false)
                    }
                };
                let hdr = format!("for {i} in range({args}):");
                (t, Ctr { name: i, ty: Ty::Int, bits: 16 }, hdr, None, None, unit)
            }
        };
        if let Some(pre) = pre {
            self.emit(c.indent, &pre);
        }
        self.emit(c.indent, &header);
        if let Some(step) = step_line {
            for line in step.lines() {
                self.emit(c.indent + 1, line);
            }
        }
        let body = self.loop_ctx(c, ctr, trips, print_ok);
        if std::mem::take(&mut self.nest) && depth >= 2 {
            // A kernel's nest: the inner loop right in the outer loop's body.
            if self.chance(50) {
                self.stmt(&body, depth - 1);
            }
            self.loop_stmt(&body, depth - 1);
            self.block(&body, depth - 1, 1, 2);
        } else {
            self.block(&body, depth - 1, 2, 5);
        }
    }

    fn loop_ctx(&self, c: &Ctx, ctr: Ctr, trips: u64, print_ok: bool) -> Ctx {
        let mut body = c.clone();
        body.indent += 1;
        body.loop_depth += 1;
        body.outer_mult = c.mult;
        body.mult = c.mult * trips;
        body.print_ctr = if print_ok { Some((ctr.name.clone(), trips)) } else { None };
        body.ctrs.push(ctr);
        body
    }

    fn float_while(&mut self, c: &Ctx, depth: u32, trips: u64, w: &str, step: &str, limit: f64) {
        self.emit(c.indent, &format!("{w} = 0.0"));
        self.emit(c.indent, &format!("while {w} < {limit:?}:"));
        self.emit(c.indent + 1, &format!("{w} += {step}"));
        // One more trip than planned, for rounding with step 0.1.
        self.budget = self.budget.saturating_sub(c.mult);
        let body = self.loop_ctx(c, Ctr { name: w.to_string(), ty: Ty::Float, bits: 0 }, trips + 1, false);
        self.block(&body, depth - 1, 2, 4);
    }

    fn num_const_text(&mut self) -> String {
        match self.below(4) {
            0 => self.float_const().s,
            1 if self.strict => self.float_const().s,
            1 => (if self.chance(50) { "True" } else { "False" }).to_string(),
            _ => self.int_const().s,
        }
    }

    fn exit_stmt(&mut self, c: &Ctx) {
        let cond = if self.chance(40) {
            match c.ctrs.last() {
                Some(ct) if ct.ty == Ty::Int => Ex::new(
                    format!("{} {} {}", ct.name, self.rng.pick(&["==", ">", "<"]), self.rng.range(-20, 200)),
                    Ty::Bool,
                    1,
                    5,
                ),
                _ => self.cond(c, 1),
            }
        } else {
            self.cond(c, 1)
        };
        self.emit(c.indent, &format!("if {}:", cond.s));
        let exit = if self.chance(50) { "break" } else { "continue" };
        self.emit(c.indent + 1, exit);
    }

    fn return_stmt(&mut self, c: &Ctx) {
        let cond = self.cond(c, 1);
        self.emit(c.indent, &format!("if {}:", cond.s));
        let value = match &c.ret {
            Ret::Work(tuple) => tuple.clone(),
            _ => {
                let e = self.num_expr(c, 2);
                self.fit(e, STORE_BITS).s
            }
        };
        self.emit(c.indent + 1, &format!("return {value}"));
    }

    fn try_stmt(&mut self, c: &Ctx, depth: u32) {
        let mut mask = 0;
        if self.chance(60) {
            mask |= ZDE;
        }
        if self.chance(40) && !self.lists(c).is_empty() {
            mask |= IE;
        }
        // `int()` is a call of a global: rare in friendly loops.
        if !self.strict && self.chance(if self.jit { 3 } else { 20 }) {
            mask |= VE;
        }
        if mask == 0 {
            mask = if self.jit { ZDE } else { VE };
        }
        self.emit(c.indent, "try:");
        let body = Ctx { indent: c.indent + 1, risky: c.risky | mask, ..c.clone() };
        let n = self.rng.range(1, 3);
        let forced = self.rng.range(0, n - 1);
        for k in 0..n {
            if k == forced {
                self.risky_stmt(&body, mask);
            } else if self.lines.len() < self.cap {
                self.stmt(&body, depth - 1);
            }
        }
        let handler = Ctx { indent: c.indent + 1, ..c.clone() };
        let mut names: Vec<&str> = Vec::new();
        if mask & ZDE != 0 {
            names.push("ZeroDivisionError");
        }
        if mask & IE != 0 {
            names.push("IndexError");
        }
        if mask & VE != 0 {
            names.push("(ValueError, OverflowError)");
        }
        if names.len() > 1 && self.chance(30) {
            let all: Vec<&str> = names.iter().map(|s| s.trim_matches(|ch| ch == '(' || ch == ')')).collect();
            self.emit(c.indent, &format!("except ({}):", all.join(", ")));
            self.handler_stmt(&handler);
        } else {
            for name in names {
                self.emit(c.indent, &format!("except {name}:"));
                self.handler_stmt(&handler);
            }
        }
    }

    fn handler_stmt(&mut self, c: &Ctx) {
        match self.below(6) {
            0 => self.emit(c.indent, "pass"),
            1 if c.loop_depth > 0 => {
                let s = if self.chance(60) { "continue" } else { "break" };
                self.emit(c.indent, s);
            }
            2 if c.can_print && c.mult <= 16 => {
                let e = self.num_leaf(c);
                self.emit(c.indent, &format!("print('caught', {})", e.s));
            }
            3 => {
                let vs = self.vars_where(c, |v| v.mutable && v.kind == Kind::Num);
                if vs.is_empty() {
                    return self.emit(c.indent, "pass");
                }
                let v = self.rng.pick(&vs);
                let k = self.num_const_text();
                self.emit(c.indent, &format!("{} = {k}", v.name));
            }
            _ => self.assign(c),
        }
    }

    /// A statement that may raise one of the exceptions in `mask`.
    fn risky_stmt(&mut self, c: &Ctx, mask: u8) {
        let bits: Vec<u8> = [ZDE, IE, VE].into_iter().filter(|b| mask & b != 0).collect();
        let which = self.rng.pick(&bits);
        let nums = self.vars_where(c, |v| v.mutable && v.kind == Kind::Num);
        let ints = self.vars_where(c, |v| v.mutable && v.kind == Kind::Int);
        let text = match which {
            ZDE => {
                if let Some(call) = self.risky_call(c) {
                    let target = self.num_target(c, &nums);
                    format!("{target} = {}", call.s)
                } else if !ints.is_empty() && self.chance(40) {
                    let v = self.rng.pick(&ints);
                    let a = self.int_expr(c, 1);
                    let dv = self.risky_int_divisor(c);
                    let op = if self.chance(50) { "//" } else { "%" };
                    let e = Ex::new(format!("{} {op} {}", a.at(11), dv.at(12)), Ty::Int, a.bits, 11);
                    format!("{} = {}", v.name, self.fit(e, STORE_BITS).s)
                } else {
                    let target = self.num_target(c, &nums);
                    let a = self.num_expr(c, 1);
                    let dv = self.risky_num_divisor(c);
                    let op = self.rng.pick(&["/", "//", "%"]);
                    let bits = a.bits.max(dv.bits);
                    let e = Ex::new(format!("{} {op} {}", a.at(11), dv.at(12)), arith(a.ty, dv.ty), bits, 11);
                    format!("{target} = {}", self.fit(e, STORE_BITS).s)
                }
            }
            IE => {
                let lists = self.lists(c);
                let l = self.rng.pick(&lists);
                let n = if let Kind::List(n) = l.kind { n } else { 0 };
                let idx = self.risky_index(c, n);
                if self.chance(40) {
                    let e = self.num_expr(c, 1);
                    format!("{}[{idx}] = {}", l.name, self.fit(e, STORE_BITS).s)
                } else {
                    let target = self.num_target(c, &nums);
                    let e = self.num_expr(c, 1);
                    let sum =
                        Ex::new(format!("{}[{idx}] + {}", l.name, e.at(11)), Ty::Num, READ_BITS.max(e.bits) + 1, 10);
                    format!("{target} = {}", self.fit(sum, STORE_BITS).s)
                }
            }
            _ => {
                let e = self.risky_int_conv(c);
                if !ints.is_empty() && self.chance(50) {
                    format!("{} = {}", self.rng.pick(&ints).name, e.s)
                } else {
                    let target = self.num_target(c, &nums);
                    format!("{target} = {}", e.s)
                }
            }
        };
        self.emit(c.indent, &text);
    }

    /// Where a risky Num result goes: a Num variable, or an element of a list.
    fn num_target(&mut self, c: &Ctx, nums: &[Var]) -> String {
        let lists = self.lists(c);
        if !nums.is_empty() && (lists.is_empty() || self.chance(70)) {
            return self.rng.pick(nums).name;
        }
        if lists.is_empty() {
            // Every scope has a Num variable or a list; a print is a harmless fallback.
            return "_".to_string();
        }
        let l = self.rng.pick(&lists);
        let n = if let Kind::List(n) = l.kind { n } else { 0 };
        let idx = self.index(c, &l.name, n);
        format!("{}[{idx}]", l.name)
    }

    fn risky_call(&mut self, c: &Ctx) -> Option<Ex> {
        let any = (0..c.callable).any(|k| self.helpers[k].risky);
        if !any || self.chance(50) {
            return None;
        }
        // `call` may pick a safe helper too: fine.
        self.call(c)
    }

    fn print_stmt(&mut self, c: &Ctx) {
        let mut args: Vec<String> = Vec::new();
        for _ in 0..self.rng.range(1, 3) {
            let printable: Vec<Var> = c.vars.iter().filter(|v| v.kind != Kind::Grow).cloned().collect();
            let a = if !printable.is_empty() && self.chance(50) {
                let v = self.rng.pick(&printable);
                if v.kind == Kind::Big { format!("{} % 10**12", v.name) } else { v.name }
            } else if !c.ctrs.is_empty() && self.chance(30) {
                self.rng.pick(&c.ctrs).name
            } else {
                self.num_expr(c, 1).s
            };
            args.push(a);
        }
        let tail = match self.below(6) {
            0 => ", sep=', '",
            1 => ", end=' |\\n'",
            _ => "",
        };
        let call = format!("print({}{tail})", args.join(", "));
        if c.mult <= 16 {
            self.emit(c.indent, &call);
        } else if let (Some((ctr, trips)), true) = (&c.print_ctr, c.outer_mult <= 16) {
            let p = (c.outer_mult * trips).div_ceil(16).max(1);
            let r = self.below(p);
            self.emit(c.indent, &format!("if {ctr} % {p} == {r}:"));
            self.emit(c.indent + 1, &call);
        } else {
            self.assign(c);
        }
    }

    fn call_stmt(&mut self, c: &Ctx) {
        match self.call(c) {
            Some(e) => self.emit(c.indent, &e.s),
            None => self.assign(c),
        }
    }

    fn swap(&mut self, c: &Ctx) {
        for kind in [Kind::Num, Kind::Int, Kind::Float] {
            let vs = self.vars_where(c, |v| v.mutable && v.kind == kind);
            if vs.len() >= 2 {
                let a = self.rng.pick(&vs).name;
                let b = self.rng.pick(&vs).name;
                if a != b {
                    return self.emit(c.indent, &format!("{a}, {b} = {b}, {a}"));
                }
            }
        }
        self.assign(c)
    }

    // -----------------------------------------------------------------------------------------
    // Program structure
    // -----------------------------------------------------------------------------------------

    fn list_init(&mut self) -> (String, u32) {
        let n = self.rng.range(3, 8) as u32;
        let text = match self.below(6) {
            0 => format!("[0] * {n}"),
            1 => format!("[k * 0.5 - 1 for k in range({n})]"),
            2 if self.strict => format!("[k * k - 5 for k in range({n})]"),
            2 => format!("[k % 3 == 0 for k in range({n})]"),
            3 => format!("list(range(-2, {}))", n as i64 - 2),
            _ => {
                let elems: Vec<String> = (0..n).map(|_| self.num_const_text()).collect();
                format!("[{}]", elems.join(", "))
            }
        };
        (text, n)
    }

    fn top_ctx(&self, vars: Vec<Var>) -> Ctx {
        Ctx {
            vars,
            ctrs: Vec::new(),
            loop_depth: 0,
            max_loop_depth: 3,
            mult: 1,
            print_ctr: None,
            outer_mult: 1,
            risky: 0,
            ret: Ret::Top,
            indent: 0,
            callable: self.helpers.len(),
            can_print: true,
        }
    }

    /// Declares variables at `indent`: the full set (`full`), or one int, one number and one list.
    fn declare(&mut self, indent: usize, full: bool) -> Vec<Var> {
        let mut vars = Vec::new();
        for _ in 0..if full { self.rng.range(1, 2) } else { 1 } {
            let name = self.fresh("a");
            let e = self.int_const();
            self.emit(indent, &format!("{name} = {}", e.s));
            vars.push(Var { name, kind: Kind::Int, mutable: true });
        }
        for _ in 0..if full { self.rng.range(1, 2) } else { 1 } {
            let name = self.fresh("n");
            let e = self.num_const_text();
            self.emit(indent, &format!("{name} = {e}"));
            vars.push(Var { name, kind: Kind::Num, mutable: true });
        }
        if full && self.chance(70) {
            let name = self.fresh("f");
            let e = self.float_const();
            self.emit(indent, &format!("{name} = {}", e.s));
            vars.push(Var { name, kind: Kind::Float, mutable: true });
        }
        for _ in 0..if full { self.rng.range(1, 2) } else { 1 } {
            let name = self.fresh("L");
            let (text, n) = self.list_init();
            self.emit(indent, &format!("{name} = {text}"));
            vars.push(Var { name: name.clone(), kind: Kind::List(n), mutable: true });
            if full && self.chance(15) {
                let alias = self.fresh("M");
                self.emit(indent, &format!("{alias} = {name}"));
                vars.push(Var { name: alias, kind: Kind::List(n), mutable: false });
            }
        }
        if full && self.chance(50) {
            let name = self.fresh("G");
            self.emit(indent, &format!("{name} = []"));
            vars.push(Var { name, kind: Kind::Grow, mutable: true });
        }
        if full && self.chance(50) {
            let name = self.fresh("B");
            let init = self.rng.pick(&["1", "2**64", "-3", "7**20", "-2**63"]);
            self.emit(indent, &format!("{name} = {init}"));
            vars.push(Var { name, kind: Kind::Big, mutable: true });
        }
        vars
    }

    /// Prints every variable of `vars` (lists one per line, scalars together) at `indent`.
    fn print_vars(&mut self, vars: &[Var], indent: usize) {
        let mut scalars = Vec::new();
        for v in vars {
            match v.kind {
                Kind::Int | Kind::Num | Kind::Float | Kind::Big => scalars.push(v.name.clone()),
                Kind::List(_) => self.emit(indent, &format!("print({})", v.name)),
                Kind::Grow => self.emit(indent, &format!("print(len({0}), {0}[:3], {0}[-3:], sum({0}))", v.name)),
            }
        }
        if !scalars.is_empty() {
            self.emit(indent, &format!("print({})", scalars.join(", ")));
        }
    }

    fn helper(&mut self) {
        let idx = self.helpers.len();
        let name = format!("h{idx}");
        let mut params = Vec::new();
        let mut vars = Vec::new();
        let mut names = Vec::new();
        if self.chance(30) {
            params.push(PKind::List);
            names.push("xs".to_string());
            vars.push(Var { name: "xs".into(), kind: Kind::List(0), mutable: true });
        }
        for _ in 0..self.rng.range(1, 2) {
            let p = self.fresh("p");
            let kind = if self.chance(50) { PKind::Int } else { PKind::Num };
            params.push(kind);
            names.push(p.clone());
            vars.push(Var { name: p, kind: if kind == PKind::Int { Kind::Int } else { Kind::Num }, mutable: true });
        }
        let required = if self.chance(30) { params.len() - 1 } else { params.len() };
        let mut sig = names.clone();
        if required < params.len() {
            let last = sig.last_mut().expect("a helper has a parameter");
            let _ = write!(last, "={}", self.rng.range(-3, 9));
        }
        let risky = self.chance(20);
        self.emit(0, &format!("def {name}({}):", sig.join(", ")));
        let t = self.fresh("t");
        let mut c = Ctx {
            vars,
            ctrs: Vec::new(),
            loop_depth: 0,
            max_loop_depth: 1,
            mult: 1,
            print_ctr: None,
            outer_mult: 1,
            risky: if risky { ZDE } else { 0 },
            ret: Ret::Helper,
            indent: 1,
            callable: 0,
            can_print: false,
        };
        let init = self.num_expr(&c, 1);
        let init = self.fit(init, STORE_BITS);
        self.emit(1, &format!("{t} = {}", init.s));
        c.vars.push(Var { name: t, kind: Kind::Num, mutable: true });
        self.helper_cost = 0;
        self.cap = self.lines.len() + 5;
        self.block(&c, 2, 1, 2);
        let e = if risky {
            let a = self.num_expr(&c, 1);
            let dv = self.risky_num_divisor(&c);
            Ex::new(format!("{} // {}", a.at(11), dv.at(12)), arith(a.ty, dv.ty), a.bits, 11)
        } else {
            self.num_expr(&c, 2)
        };
        let e = self.fit(e, STORE_BITS);
        self.emit(1, &format!("return {}", e.s));
        let cost = 1 + self.helper_cost;
        self.helpers.push(Helper { name, params, required, cost, risky });
    }

    /// Declares a function local (`prefix` plus a fresh number) as `make` says: its initial
    /// value's text and its kind.
    fn declare_local(
        &mut self,
        vars: &mut Vec<Var>,
        locals: &mut Vec<String>,
        prefix: &str,
        make: impl FnOnce(&mut Gen) -> (String, Kind),
    ) {
        let name = self.fresh(prefix);
        let (text, kind) = make(self);
        self.emit(1, &format!("{name} = {text}"));
        vars.push(Var { name: name.clone(), kind, mutable: true });
        locals.push(name);
    }

    /// A list local's initial value and kind.
    fn list_local(&mut self) -> (String, Kind) {
        let (text, len) = self.list_init();
        (text, Kind::List(len))
    }

    /// A function with its own locals and loops, called from the top level; returns a tuple.
    fn work(&mut self, globals: &[Var]) -> Vec<String> {
        let name = self.fresh("run");
        let calls = self.rng.range(1, 2) as u64;
        let pa = self.fresh("p");
        let pn = self.fresh("p");
        self.emit(0, &format!("def {name}({pa}, {pn}):"));
        let mut vars = self.seen_globals(globals);
        let mut locals = Vec::new();
        self.declare_local(&mut vars, &mut locals, "a", |_| (pa.clone(), Kind::Int));
        self.declare_local(&mut vars, &mut locals, "n", |_| (pn.clone(), Kind::Num));
        if self.chance(60) {
            self.declare_local(&mut vars, &mut locals, "f", |g| (g.float_const().s, Kind::Float));
        }
        if self.chance(50) {
            self.declare_local(&mut vars, &mut locals, "xs", Gen::list_local);
        }
        let tuple = format!("({})", locals.join(", "));
        let c = function_ctx(vars, calls, &tuple, self.helpers.len(), true);
        self.cap = self.lines.len() + 14;
        let budget_before = self.budget;
        self.budget = self.budget * 2 / 5;
        let spent_limit = self.budget;
        self.loop_stmt(&c, 3);
        self.block(&c, 3, 0, 2);
        let spent = spent_limit - self.budget;
        self.budget = budget_before - spent;
        self.emit(1, &format!("return {tuple}"));
        (0..calls)
            .map(|_| {
                let x = self.int_const();
                let y = self.num_const_text();
                format!("print('{name}', {name}({}, {y}))", x.s)
            })
            .collect()
    }

    /// A kernel: a function over int, float and list locals only, whose loops (nested, with
    /// data-dependent branches and breaks, type changes and int overflow) the recorder compiles
    /// without aborting, so that hot exits grow side traces. Called once or twice from the top
    /// level (the second time often with a float where the first passed an int).
    /// A small numeric function for kernels to call (the JIT inlines it): a branch on its
    /// arguments (both directions hot), a local assigned on each path, in some an int turning
    /// into a float, a default argument, or a call of the previous one (nested inlining).
    fn kernel_callee(&mut self) {
        let name = self.fresh("q");
        let (x, y, t) = (self.fresh("x"), self.fresh("y"), self.fresh("t"));
        let has_default = self.chance(40);
        let takes_list = self.chance(30);
        let xs = self.fresh("xs");
        let mut sig = if has_default { format!("{x}, {y}={}", self.rng.range(1, 9)) } else { format!("{x}, {y}") };
        if takes_list {
            sig = format!("{xs}, {sig}");
        }
        self.emit(0, &format!("def {name}({sig}):"));
        if takes_list {
            // A list passed along: read (its ends exist: kernel lists are never empty).
            let end = self.rng.pick(&["0", "-1"]);
            self.emit(1, &format!("{x} = {x} + {xs}[{end}]"));
        }
        let (k1, k2) = (self.rng.range(2, 9), self.rng.range(1, 4));
        let op = self.rng.pick(&["<", ">", "<=", ">="]);
        self.emit(1, &format!("if {x} {op} {y} * {k2}:"));
        self.emit(2, &format!("{t} = {x} * {k1} + {y}"));
        self.emit(1, "else:");
        self.emit(2, &format!("{t} = {x} - {y} * {k2}"));
        if self.chance(50) {
            self.emit(1, &format!("if {t} > 100000 or {t} < -100000:"));
            self.emit(2, &format!("{t} = {t} / 1000"));
        }
        match self.callees.last().cloned() {
            Some((previous, _, previous_takes_list)) if self.chance(50) && (takes_list || !previous_takes_list) => {
                let list = if previous_takes_list { format!("{xs}, ") } else { String::new() };
                self.emit(1, &format!("return {previous}({list}{t}, {x})"))
            }
            _ => self.emit(1, &format!("return {t}")),
        }
        self.callees.push((name, has_default, takes_list));
    }

    fn kernel(&mut self) -> Vec<String> {
        if self.chance(60) {
            for _ in 0..self.rng.range(1, 2) {
                self.kernel_callee();
            }
        }
        let name = self.fresh("k");
        let calls = self.rng.range(1, 2) as u64;
        let (saved_jit, saved_strict) = (self.jit, self.strict);
        self.jit = true;
        self.strict = true;
        let pa = self.fresh("p");
        let pn = self.fresh("p");
        self.emit(0, &format!("def {name}({pa}, {pn}):"));
        let mut vars = Vec::new();
        let mut locals = Vec::new();
        self.declare_local(&mut vars, &mut locals, "a", |_| (pa.clone(), Kind::Int));
        if self.chance(50) {
            self.declare_local(&mut vars, &mut locals, "a", |g| (g.int_const().s, Kind::Int));
        }
        self.declare_local(&mut vars, &mut locals, "n", |_| (pn.clone(), Kind::Num));
        if self.chance(75) {
            self.declare_local(&mut vars, &mut locals, "f", |g| (g.float_const().s, Kind::Float));
        }
        if self.chance(80) {
            self.declare_local(&mut vars, &mut locals, "xs", Gen::list_local);
        }
        let tuple = format!("({})", locals.join(", "));
        let c = function_ctx(vars, calls, &tuple, 0, false);
        self.cap = self.lines.len() + 22;
        // Kernels have a budget of their own (they run fast: compiled).
        let budget_before = self.budget;
        self.budget = KERNEL_BUDGET;
        self.nest = self.chance(80);
        self.loop_stmt(&c, 3);
        self.nest = false;
        if self.chance(40) && self.lines.len() + 6 < self.cap {
            self.loop_stmt(&c, 2);
        }
        self.budget = budget_before;
        self.emit(1, &format!("return {tuple}"));
        self.jit = saved_jit;
        self.strict = saved_strict;
        (0..calls)
            .map(|k| {
                let x = self.int_const();
                let y = if k == 1 && self.chance(60) { self.float_const() } else { self.int_const() };
                format!("print('{name}', {name}({}, {}))", x.s, y.s)
            })
            .collect()
    }

    /// Statements typical of numeric kernels (only in kernel loops): a hash that overflows 64
    /// bits and is brought back, a number variable turning from int to float (and back) after
    /// some iterations, a break on list data, a float accumulation, an alternating `if`/`else`.
    fn kernel_stmt(&mut self, c: &Ctx) {
        let ints = self.vars_where(c, |v| v.mutable && v.kind == Kind::Int);
        let nums = self.vars_where(c, |v| v.mutable && v.kind == Kind::Num);
        let floats = self.vars_where(c, |v| v.mutable && v.kind == Kind::Float);
        let lists: Vec<Var> = self.lists(c).into_iter().filter(|l| l.kind != Kind::List(0)).collect();
        let ctr = c.ctrs.iter().rev().find(|ct| ct.ty == Ty::Int).map(|ct| ct.name.clone());
        let ind = c.indent;
        let callable: Vec<(String, bool, bool)> =
            self.callees.iter().filter(|callee| !callee.2 || !lists.is_empty()).cloned().collect();
        if !nums.is_empty() && !callable.is_empty() && self.chance(40) {
            // A call the JIT inlines; the result is clamped (it may grow past 64 bits).
            let v = self.rng.pick(&nums).name;
            let (callee, has_default, takes_list) = self.rng.pick(&callable);
            let a = self.num_leaf(c);
            let mut args = if has_default && self.chance(50) {
                a.s
            } else {
                let b = self.int_leaf(c);
                format!("{}, {}", a.s, b.s)
            };
            if takes_list {
                args = format!("{}, {args}", self.rng.pick(&lists).name);
            }
            let k = self.rng.range(-3, 3);
            self.emit(ind, &format!("{v} = {callee}({args})"));
            self.emit(ind, &format!("if {v} > 1000000000000000 or {v} < -1000000000000000:"));
            self.emit(ind + 1, &format!("{v} = {k}"));
            return;
        }
        match self.below(6) {
            0 if !ints.is_empty() => {
                // Crosses 2**63 for large multipliers (the trace exits, the interpreter goes on
                // with a big int until the reduction); stays small and branches otherwise.
                let v = self.rng.pick(&ints).name;
                let k = self.rng.pick(&["3", "31", "-7", "1103515245", "6364136223846793005"]);
                let e = self.int_leaf(c);
                let limit = self.rng.pick(&["4611686018427387904", "9223372036854775807", "1000000007", "65536"]);
                let m = self.modulus(63);
                self.emit(ind, &format!("{v} = {v} * {k} + {}", e.at(11)));
                self.emit(ind, &format!("if {v} > {limit} or {v} < -{limit}:"));
                self.emit(ind + 1, &format!("{v} = {v} % {}", m.at(12)));
            }
            1 if !nums.is_empty() => {
                // Int to float once the loop is hot (a type guard fails), or back to an int.
                let v = self.rng.pick(&nums).name;
                let cond = match (&c.print_ctr, self.below(3)) {
                    (Some((name, trips)), 0 | 1) => {
                        let k = self.rng.range(0, (*trips as i64 - 1).max(0));
                        format!("{name} == {k}")
                    }
                    _ => {
                        let e = self.int_leaf(c);
                        let k = self.rng.range(3, 40);
                        let r = self.rng.range(0, k - 1);
                        format!("{} % {k} == {r}", e.at(11))
                    }
                };
                self.emit(ind, &format!("if {cond}:"));
                let text = match self.below(5) {
                    0 => format!("{v} = {v} + 0.5"),
                    1 => format!("{v} = {v} * 1.5"),
                    2 => format!("{v} = {v} / 4"),
                    _ => {
                        let e = self.int_expr(c, 1);
                        format!("{v} = {}", self.fit(e, STORE_BITS).s)
                    }
                };
                self.emit(ind + 1, &text);
            }
            2 if !lists.is_empty() && c.loop_depth > 0 => {
                // A data-dependent exit: when it is taken depends on what the loop stored.
                let l = self.rng.pick(&lists);
                let Kind::List(n) = l.kind else { unreachable!() };
                let idx = self.index(c, &l.name, n);
                let e = self.num_expr(c, 1);
                let op = self.rng.pick(&["<", ">", ">=", "=="]);
                self.emit(ind, &format!("if {}[{idx}] {op} {}:", l.name, e.at(6)));
                let exit = if self.chance(70) { "break" } else { "continue" };
                self.emit(ind + 1, exit);
            }
            3 if !floats.is_empty() => {
                let f = self.rng.pick(&floats).name;
                let e = self.num_leaf(c);
                let k = self.rng.pick(&["0.5", "0.25", "0.999", "-0.5"]);
                self.emit(ind, &format!("{f} = {f} * {k} + {}", e.at(11)));
            }
            _ => {
                // Alternates with the data: each direction is hot.
                let e = match &ctr {
                    Some(ctr) if self.chance(60) => {
                        let x = self.int_leaf(c);
                        Ex::new(format!("{ctr} + {}", x.at(11)), Ty::Int, READ_BITS + 1, 10)
                    }
                    _ => self.int_leaf(c),
                };
                let k = self.rng.range(2, 5);
                let r = self.rng.range(0, k - 1);
                self.emit(ind, &format!("if {} % {k} == {r}:", e.at(11)));
                let inner = Ctx { indent: ind + 1, ..c.clone() };
                self.assign(&inner);
                self.emit(ind, "else:");
                self.assign(&inner);
            }
        }
    }

    /// The globals a function reads (in a fifth of the functions: a choice from when the JIT
    /// aborted on globals; it now compiles number and list globals).
    fn seen_globals(&mut self, globals: &[Var]) -> Vec<Var> {
        if self.chance(80) {
            return Vec::new();
        }
        globals.iter().map(|v| Var { mutable: matches!(v.kind, Kind::List(_) | Kind::Grow), ..v.clone() }).collect()
    }

    fn program(&mut self, seed: u64) -> String {
        self.uncaught = self.chance(8);
        // Most programs keep their variables in `main()` (a choice from when module-level loops
        // aborted on globals; the JIT now compiles them too), but some stay at the module level.
        let in_main = self.chance(85);
        // Globals first (functions may read them), placed after the functions.
        let globals = self.declare(0, !in_main);
        let global_lines = std::mem::take(&mut self.lines);

        let mut out = vec![format!("# toyjit differential test, seed {seed}")];
        for _ in 0..self.below(3) {
            self.helper();
        }
        let mut calls = Vec::new();
        if self.chance(50) {
            calls = self.work(&globals);
        }
        // Kernels do not count against the program's line limit.
        let before_kernel = self.lines.len();
        if self.chance(KERNEL_PERCENT) {
            calls.extend(self.kernel());
        }
        let kernel_lines = self.lines.len() - before_kernel;
        out.append(&mut self.lines);
        out.extend(global_lines);

        if in_main {
            self.emit(0, "def main():");
            let locals = self.declare(1, true);
            let mut vars = self.seen_globals(&globals);
            vars.extend(locals.iter().cloned());
            let c = Ctx { indent: 1, ..self.top_ctx(vars) };
            self.cap = (MAX_LINES + kernel_lines).saturating_sub(out.len() + calls.len() + 6);
            self.loop_stmt(&c, 3);
            self.block(&c, 3, 1, 3);
            if self.lines.len() + 6 < self.cap {
                self.loop_stmt(&c, 2);
            }
            self.print_vars(&locals, 1);
            self.emit(0, "main()");
        } else {
            self.cap = (MAX_LINES + kernel_lines).saturating_sub(out.len() + calls.len() + 3);
            let c = self.top_ctx(globals.clone());
            self.loop_stmt(&c, 3);
            self.block(&c, 3, 1, 4);
        }
        out.append(&mut self.lines);
        out.extend(calls);
        self.print_vars(&globals, 0);
        out.append(&mut self.lines);
        let mut text = out.join("\n");
        text.push('\n');
        text
    }
}
