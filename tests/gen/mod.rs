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
//!   list aliasing, lists passed to helpers that mutate them; and, appended (`lists.rs`), lists
//!   built in hot loops: `extend` (itself, slices, tuples, strings, an int raising `TypeError`),
//!   `insert` at out-of-range indexes, `pop` until `IndexError`, slices with any bounds and steps,
//!   `+`/`*` on lists, `list(x)`, a merge sort returning lists from compiled recursive calls;
//! - `break`, `continue`, `return` from inside loops, `if`/`elif`/`else` whose direction alternates;
//! - calls to small helper functions from inside loops (some of which raise);
//! - first in every program, a calls section of its own (`calls.rs`): recursive functions
//!   (linear, doubly recursive, with a loop at each level, raising deep down and caught higher
//!   up), a function containing a loop called from a hot loop, and functions passed as values
//!   (arguments, variables, lambdas, defaults, a list of functions), and module-level loops
//!   calling recursive functions that read and rebind globals (`global_calls.rs`);
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
//! - at the end, one to three self-contained extra blocks ([`extras`]): special floats and
//!   ints at ±2**63 in containers, identity, non-ASCII text, dicts changed while iterated,
//!   exceptions inside comprehensions, recursion near the limit, and the builtins that call back
//!   (`key=`, `map`, `filter`, generator expressions, dict comprehensions), each exception caught.
//! - then one or two self-contained tuple blocks ([`tuples`]): tuples in hot loops as the JIT
//!   compiles them (pairs carried by a loop, tuples in lists, returned, nested, holding `None`,
//!   indexed, identity), with `ValueError`/`IndexError` raised from inside traces and caught.
//! - then one or two self-contained string blocks ([`strings`]): strings in hot loops (`for ch
//!   in s` over ASCII and non-ASCII text, `ord`/`chr`, split/strip/replace/find, slicing,
//!   comparisons, `+=` building, a string carried by a loop), with `ValueError` from `int()` and
//!   `IndexError` from `s[i]` raised from inside traces and caught; and a function's loop
//!   passing strings and a dict to a callee with loops (run in the interpreter) that iterates
//!   the dict and returns a string or raises a caught `KeyError`.
//! - then one dict block ([`dicts`]): counting with `in`/`+=`/`.get` over keys of mixed types
//!   (`1`, `1.0`, `True`, tuples, strings), hot `for` loops over a dict, its `keys()`,
//!   `values()` or `items()`, a dict changed during its loop (`RuntimeError`, caught) and a
//!   missing key (`KeyError`, caught).
//! - then one template block ([`templates`]): a loop over values of every kind testing them
//!   with `is True`/`is None`/`is`, `isinstance(v, str|dict|...)`, `==`/`!=` across kinds, and
//!   formatting them with f-strings (a `:d` spec raising for a float, caught); and a loop over
//!   node tuples calling a function with a loop (run in the interpreter) that replaces the
//!   nodes while the caller holds one.
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
//! has one, the outer loop's trace links to it, also one inside a called function); a recursive
//! call or a keyword call in an inlined function; a function taken from a list or returned by
//! a call; rebinding a global that holds a function; a division by zero or an int
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

// Shared state and vocabulary are here; `impl Gen` is split by what it generates (each module
// says what it may touch).
mod bigints;
mod calls;
mod dicts;
mod exceptions;
mod expressions;
mod extras;
mod functions;
mod global_calls;
mod kernel;
mod leaves;
mod lists;
mod loops;
mod program;
mod rng;
mod statements;
mod strings;
mod templates;
mod tuples;
mod types;

use rng::Rng;
use types::*;

/// Generates the program for `seed`; `nan_in_containers` lets the extra blocks put `nan`
/// in containers (see `extras.rs`).
pub fn generate(seed: u64, nan_in_containers: bool) -> String {
    let mut text = Gen::new(seed).program(seed);
    for line in extras::extras(seed, nan_in_containers) {
        text.push_str(&line);
        text.push('\n');
    }
    for line in tuples::tuple_blocks(seed) {
        text.push_str(&line);
        text.push('\n');
    }
    for line in strings::string_blocks(seed) {
        text.push_str(&line);
        text.push('\n');
    }
    for line in dicts::dict_blocks(seed) {
        text.push_str(&line);
        text.push('\n');
    }
    for line in bigints::big_blocks(seed) {
        text.push_str(&line);
        text.push('\n');
    }
    for line in lists::list_blocks(seed) {
        text.push_str(&line);
        text.push('\n');
    }
    for line in templates::template_blocks(seed) {
        text.push_str(&line);
        text.push('\n');
    }
    text
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
// Variables, scopes, helpers
// ---------------------------------------------------------------------------------------------

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
}
