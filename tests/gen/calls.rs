//! The calls section of a generated program: recursive functions (linear, doubly recursive,
//! with a loop inside, raising deep down and caught higher up), functions containing loops
//! called from hot loops, and functions passed as values (in variables, as arguments, in a
//! list, lambdas, defaults), each called from a loop that the JIT compiles, and recursion the
//! JIT compiles into native calls (`nat_*`, see [`native_calls`]) or calls in the interpreter
//! from a function's loop trace (`ic_*`, see [`interp_calls`]), and module-level loops calling
//! recursive functions that use globals (`gl_*`, `global_calls.rs`).
//!
//! The section has its own [`Rng`] (derived from the seed), so that adding it left every
//! other draw, and so the rest of each seed's program, as it was; it goes first in the
//! program (it ends with prints of its results and raises nothing uncaught, so programs that
//! end with an uncaught exception still run it). Its names (`rec_*`, `loopy_*`, `fv_*`, `nat_*`, `ic_*`, `gl_*`, `abs_diff`) are
//! ones the rest of the generator never makes. Touches only the lines it returns.

use super::rng::Rng;

/// A constant in `lo..=hi`, as text.
fn num(rng: &mut Rng, lo: i64, hi: i64) -> i64 {
    rng.range(lo, hi)
}

/// Appends the lines of `text` (a function's source, one statement a line) to `out`.
fn push_source(out: &mut Vec<String>, text: &str) {
    out.extend(text.lines().map(str::to_string));
}

/// A recursive function `rec_N` of one int parameter, and a call of it with the loop counter
/// `i` (never deeper than 40).
fn recursive(rng: &mut Rng, out: &mut Vec<String>, id: usize) -> String {
    let name = format!("rec_{id}");
    let (k, c) = (num(rng, 2, 9), num(rng, -5, 5));
    let (source, call) = match rng.below(5) {
        // Linear recursion with an accumulator (and a default for it).
        0 => (
            format!(
                "def {name}(n, acc={c}):\n    if n <= 0:\n        return acc\n    \
                 return {name}(n - 1, (acc * {k} + n) % 1000003)"
            ),
            format!("{name}(i % 40)"),
        ),
        // Naive double recursion (fib-like).
        1 => (
            format!(
                "def {name}(n):\n    if n < 2:\n        return n + {c}\n    \
                 return {name}(n - 1) + {name}(n - 2) * {k} % 97"
            ),
            format!("{name}(i % 12)"),
        ),
        // A loop inside each level of the recursion.
        2 => (
            format!(
                "def {name}(n):\n    s = {c}\n    for j in range(n % 7):\n        s += j * {k}\n    \
                 if n <= 0:\n        return s\n    return s + {name}(n - 1)"
            ),
            format!("{name}(i % 30)"),
        ),
        // Floats through the recursion: the result's type changes with the argument.
        3 => (
            format!(
                "def {name}(n):\n    if n <= 0:\n        return {c}\n    if n % 5 == 0:\n        \
                 return {name}(n - 1) * 0.5\n    return {name}(n - 1) + {k}"
            ),
            format!("{name}(i % 25)"),
        ),
        // Raises deep down, caught a few frames up inside the recursion; calls start at most
        // at `catch`, so every raise is caught.
        _ => {
            let fail = num(rng, 8, 20);
            let catch = fail - num(rng, 1, 6);
            (
                format!(
                    "def {name}(n):\n    if n == {fail}:\n        return {k} // (n - n)\n    \
                     if n == {catch}:\n        try:\n            return {name}(n + 1)\n        \
                     except ZeroDivisionError:\n            return {c}\n    if n > {fail}:\n        \
                     return n\n    return {name}(n + 1) + 1"
                ),
                format!("{name}(i % {})", catch + 1),
            )
        }
    };
    push_source(out, &source);
    call
}

/// A function `loopy_N(n, k)` containing a loop (a `for` over a range, a `while`, a `for`
/// over a list, or short loops: a `while` that mostly breaks in its first iteration and a
/// `for` of none or one), for calling from a hot loop.
fn with_loop(rng: &mut Rng, out: &mut Vec<String>, id: usize) -> String {
    let name = format!("loopy_{id}");
    let m = num(rng, 3, 50);
    let body = match rng.below(4) {
        0 => format!("    t = 0\n    for j in range(n):\n        t = (t + j * k) % {m}\n    return t"),
        1 => format!("    steps = 0\n    while n > 0:\n        n = n - 2\n        steps += k\n    return steps % {m}"),
        // Short loops (mostly one iteration, then a break; none or one): the entry trace
        // records through them.
        2 => format!(
            "    found = -1\n    i = n % 3\n    while i >= 0:\n        if (k + i) % 4 != 1:\n            \
             found = i\n            break\n        i -= 1\n    for x in [n, k][: n % 2]:\n        \
             found += x\n    return found % {m}"
        ),
        _ => format!("    acc = 0\n    for x in [n, k, n - k, 3]:\n        acc += x\n    return acc % {m}"),
    };
    push_source(out, &format!("def {name}(n, k):\n{body}"));
    name
}

/// The lines of the calls section for `seed` (see the module doc).
pub fn section(seed: u64) -> Vec<String> {
    let mut rng = Rng::new(seed ^ 0x5EC7_10C5_CA11_5EED);
    let mut out = Vec::new();
    let mut calls = Vec::new();
    for id in 0..rng.range(1, 2) as usize {
        calls.push(recursive(&mut rng, &mut out, id));
    }
    let loopy = with_loop(&mut rng, &mut out, 0);
    let (k, scale) = (num(&mut rng, 1, 9), num(&mut rng, 2, 7));
    // Functions as values: an argument, a lambda, a list of functions, a default argument.
    push_source(
        &mut out,
        &format!("def fv_apply(f, x):\n    return f(x)\ndef fv_scaled(x, by={scale}):\n    return x * by - {k}"),
    );
    out.push(format!("fv_lam = lambda x: x % {} + {k}", num(&mut rng, 5, 30)));
    let trips = num(&mut rng, 150, 400);
    out.push("fv_total = 0".into());
    out.push(format!("for i in range({trips}):"));
    for call in &calls {
        out.push(format!("    fv_total = (fv_total + {call}) % 1000000007"));
    }
    // Floats now and then: the callee's loop changes type in the middle of the run.
    let second = if rng.chance(30) { "i % 3 + 0.5".to_string() } else { format!("i % {k}") };
    out.push(format!("    fv_total += {loopy}(i % {}, {second})", num(&mut rng, 1, 20)));
    match rng.below(3) {
        0 => out.push("    fv_total += fv_apply(fv_lam, i) + fv_apply(fv_scaled, i % 7)".into()),
        1 => {
            out.push("    fv_g = fv_scaled if i % 3 else fv_lam".into());
            out.push("    fv_total += fv_g(i)".into());
        }
        _ => {
            out.push("    for fv_f in [fv_lam, fv_scaled]:".into());
            out.push("        fv_total += fv_f(i % 11)".into());
        }
    }
    out.push("print('calls', fv_total)".into());
    native_calls(&mut rng, &mut out);
    interp_calls(&mut rng, &mut out);
    super::global_calls::section(&mut rng, &mut out);
    out
}

/// Calls a function's loop trace makes in the interpreter (`ic_*`): a recursive function with a
/// loop (backtracking over a list with append/pop, as queens does), a function with a loop
/// called from a loop (its result a float now and then, or `None`), one passed as a value, one
/// that raises now and then (caught in the calling loop), a recursive function with a loop that
/// returns from inside its loop and raises some frames deep (caught in the calling loop), and,
/// now and then, recursion past the limit through such calls (a RecursionError caught).
fn interp_calls(rng: &mut Rng, out: &mut Vec<String>) {
    let (n, m, k, fail) = (num(rng, 3, 6), num(rng, 5, 50), num(rng, 1, 9), num(rng, 3, 40));
    let float_every = num(rng, 2, 9);
    // A recursive function with a loop that returns from inside it, and raises `boom` deep.
    let (stop, boom) = (num(rng, 3, 30), num(rng, 2, 40));
    push_source(
        out,
        &format!(
            "def ic_search(row, n, used, path):\n    if row == n:\n        return 1\n    count = 0\n    \
             for c in range(n):\n        if used[c] or (row > 0 and path[-1] == c + 1):\n            continue\n        \
             used[c] = True\n        path.append(c)\n        count += ic_search(row + 1, n, used, path)\n        \
             path.pop()\n        used[c] = False\n    return count\n\
             def ic_sum(a, b):\n    t = 0\n    for j in range(a % 9):\n        t += j * b\n    \
             if a % {float_every} == 0:\n        return t / 2\n    return t % {m}\n\
             def ic_note(out, a):\n    i = 0\n    while i < a % 4:\n        out.append(i + a)\n        i += 1\n\
             def ic_risky(a):\n    s = 0\n    for j in range(3):\n        s += j\n    if a % {fail} == {k}:\n        \
             raise ValueError('ic ' + str(a))\n    return s + a\n\
             def ic_down(n, limit):\n    s = 0\n    j = 0\n    while j < 2:\n        s += j\n        \
             if j == 1 and n < limit:\n            s += ic_down(n + 1, limit)\n        j += 1\n    return s\n\
             def ic_dive(n, stop, boom):\n    t = 0\n    for j in range(2):\n        if j == 1:\n            \
             if n == boom:\n                raise ValueError('dive ' + str(n))\n            if n >= stop:\n                \
             return t + n\n            t += ic_dive(n + 1, stop, boom)\n        t += j\n    return t\n\
             def ic_driver(trips, f):\n    t = 0\n    seen = []\n    errors = 0\n    \
             for i in range(trips):\n        t += ic_sum(i, {k}) + f(i, 2)\n        ic_note(seen, i)\n        \
             t += ic_down(0, i % 7)\n        try:\n            t += ic_risky(i)\n        except ValueError:\n            \
             errors += 1\n        try:\n            t += ic_dive(0, i % {stop}, {boom})\n        except ValueError:\n            \
             errors += 1\n    return t, len(seen), errors, ic_search(0, {n}, [False] * {n}, [])"
        ),
    );
    out.push(format!("print('interp', ic_driver({}, ic_sum))", num(rng, 50, 250)));
    if rng.chance(25) {
        push_source(out, "try:\n    ic_down(0, 10 ** 6)\nexcept RecursionError as e:\n    print('too deep', e)");
    }
}

/// Functions the JIT calls natively from their own traces (`nat_*`): mutual recursion, recursion
/// through a function passed as a value, recursion a few hundred frames deep whose ints may
/// outgrow 64 bits deep down, and, now and then, recursion past the limit (a RecursionError
/// caught); all called from a function's loop (locals: its loop trace calls them natively).
fn native_calls(rng: &mut Rng, out: &mut Vec<String>) {
    let (a, b, c, k, m) = (num(rng, -3, 3), num(rng, 1, 9), num(rng, -3, 3), num(rng, 2, 7), num(rng, 5, 50));
    let start = if rng.chance(30) { "2 ** 62 - 7".to_string() } else { num(rng, 0, 1000).to_string() };
    let (deep, step) = (num(rng, 100, 950), num(rng, 1, 1 << 20));
    let f = rng.pick(&["fv_lam", "fv_scaled", "abs_diff"]).to_string();
    push_source(
        out,
        &format!(
            "def nat_even(n):\n    if n == 0:\n        return {a}\n    return nat_odd(n - 1) + {b}\n\
             def nat_odd(n):\n    if n == 0:\n        return {c}\n    return nat_even(n - 1) * {k} % 1009\n\
             def abs_diff(x):\n    return x - {m} if x > {m} else {m} - x\n\
             def nat_apply(f, n):\n    if n <= 0:\n        return f(n)\n    return nat_apply(f, n - 1) + f(n) % {m}\n\
             def nat_deep(n):\n    if n <= 0:\n        return {start}\n    return nat_deep(n - 1) + {step}\n\
             def nat_driver(n):\n    t = 0\n    for j in range(n):\n        \
             t = (t + nat_even(j % 30) + nat_apply({f}, j % 9)) % 1000000007\n        \
             if j % 50 == 0:\n            t = (t + nat_deep({deep} - j % 7)) % 1000000007\n    return t"
        ),
    );
    out.push(format!("print('native', nat_driver({}))", num(rng, 100, 300)));
    if rng.chance(30) {
        push_source(out, "try:\n    nat_deep(5000)\nexcept RecursionError:\n    print('too deep')");
    }
}
