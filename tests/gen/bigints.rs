//! Big-int and list blocks appended to a generated program, each self-contained (its own `b_`
//! names, every exception it provokes caught): ints in hot loops that overflow 64 bits
//! mid-loop and go on as big ints (a product, a power, a sum of squares), big ints shrinking
//! back below 64 bits (`//=`), mixed small/big arithmetic and comparisons, a big-int `//` or
//! `%` by a divisor that reaches zero inside the loop (a `ZeroDivisionError` from inside a
//! trace), and lists built and cut in hot loops (displays, slicing, `extend`, `insert`).
//!
//! Draws from its own [`Rng`] (seeded from the program's seed), so the main program of a seed
//! does not change. Touches nothing but the lines it returns.

use super::rng::Rng;

/// The lines of one or two big-int or list blocks for `seed`, at the module level.
pub fn big_blocks(seed: u64) -> Vec<String> {
    let mut rng = Rng::new(seed ^ 0x0B16_1A75_D00D_F00D);
    let mut out = Vec::new();
    for block in 0..rng.range(1, 2) as u64 {
        let text = match rng.below(6) {
            0 => overflow(&mut rng, block),
            1 => shrink(&mut rng, block),
            2 => mixed(&mut rng, block),
            3 => zero_divisor(&mut rng, block),
            4 => digits(&mut rng, block),
            _ => lists(&mut rng, block),
        };
        out.extend(text.lines().map(str::to_string));
    }
    out
}

/// Trip counts around the default threshold (100), so some loops compile and others do not.
fn trips(rng: &mut Rng) -> i64 {
    rng.pick(&[5, 60, 150, 300, 700])
}

/// A product, power or sum that outgrows 64 bits partway through the loop.
fn overflow(rng: &mut Rng, b: u64) -> String {
    let n = trips(rng);
    let step =
        rng.pick(&["x * (i % 7 + 2)", "x * 3 + i", "x + x * x % 1000003 + i", "x * x % (2 ** 90) + 1", "-x * 5 - i"]);
    let start = rng.pick(&["1", "7", "2 ** 40", "-3"]);
    let m = rng.pick(&["1000003", "2 ** 61 - 1", "10 ** 20 + 7"]);
    format!(
        "def b_over{b}(n, x):\n    seen = []\n    for i in range(n):\n        x = {step}\n        if x > 2 ** 62 or x < -2 ** 62:\n            seen.append(x % ({m}))\n    return x % ({m}), x > 0, len(seen), seen[-3:], type(x)\n\
         print('b_over{b}', b_over{b}({n}, {start}))"
    )
}

/// A big int divided down below 64 bits (and to zero) inside a loop.
fn shrink(rng: &mut Rng, b: u64) -> String {
    let n = trips(rng);
    let d = rng.pick(&["3", "97", "1000", "2 ** 31 + 11"]);
    let x = rng.pick(&["7 ** 90", "10 ** 40 + 1", "-(3 ** 100)", "2 ** 64"]);
    format!(
        "def b_shrink{b}(x, d):\n    steps = 0\n    acc = 0\n    while x != 0 and steps < {n}:\n        x //= d\n        acc = acc + x % 1009\n        steps += 1\n    return steps, acc, x\n\
         print('b_shrink{b}', b_shrink{b}({x}, {d}))"
    )
}

/// Small and big operands mixed in one loop: `+`, `-`, `*`, `//`, `%`, comparisons.
fn mixed(rng: &mut Rng, b: u64) -> String {
    let n = trips(rng);
    let big = rng.pick(&["3 ** 50", "2 ** 64 + 1", "10 ** 25", "-(5 ** 40)"]);
    let cmp = rng.pick(&["<", ">=", "==", "!="]);
    format!(
        "def b_mixed{b}(n):\n    big = {big}\n    t = 0\n    c = 0\n    for i in range(n):\n        t += big - i * i\n        t -= big // (i + 1)\n        t = t % (2 ** 70 + 7)\n        if t {cmp} big:\n            c += 1\n        if t > 2 ** 69:\n            t = t - big\n    return t, c\n\
         print('b_mixed{b}', b_mixed{b}({n}))"
    )
}

/// A big-int `//` and `%` whose divisor reaches zero inside the loop: caught.
fn zero_divisor(rng: &mut Rng, b: u64) -> String {
    let n = trips(rng);
    let zero_at = rng.range(0, n + 20);
    format!(
        "b_t{b} = 0\n\
         try:\n    for i in range({n}):\n        d = {zero_at} - i\n        b_t{b} += (2 ** 80 + i) // d + (3 ** 60) % d\nexcept ZeroDivisionError as e:\n    print('b_zde{b}', e)\n\
         print('b_div{b}', b_t{b})"
    )
}

/// A big int cut into digits by `%` and `//` of one divisor, in either order (the optimizer
/// shares their division, `opt/divmod.rs`), down to a small int and zero; a divisor that
/// may reach zero partway: caught.
fn digits(rng: &mut Rng, b: u64) -> String {
    let n = trips(rng);
    let x = rng.pick(&["7 ** 200", "-(3 ** 150)", "10 ** 60 + 12345", "2 ** 130 - 1"]);
    let base = rng.pick(&["10", "7", "-10", "1000", "2 ** 40 + 3", "-(2 ** 62)"]);
    let step = rng.pick(&[
        "r = x % d\n            x //= d",
        "q = x // d\n            r = x % d\n            x = q",
        "x, r = x // d, x % d",
    ]);
    let zero_at = rng.pick(&["-1", "3", "40", "120"]);
    format!(
        "def b_digits{b}(x, base, n):\n    out = []\n    try:\n        for i in range(n):\n            if x == 0:\n                break\n            d = 0 if i == {zero_at} else base\n            {step}\n            out.append(r)\n    except ZeroDivisionError as e:\n        out.append(str(e))\n    return len(out), out[:4], out[-3:], x\n\
         print('b_digits{b}', b_digits{b}({x}, {base}, {n}))"
    )
}

/// Lists built in a hot loop: displays, slicing, `extend`, `insert`, `reverse`. (Not `tail.append(pair.pop())`
/// until the list is empty: at `--jit-threshold 1` the JIT appends a stale item there, a bug
/// of `ListPop` left for its owner.)
fn lists(rng: &mut Rng, b: u64) -> String {
    let n = trips(rng);
    let cut = rng.range(0, 6);
    let pops = rng.range(1, 12);
    format!(
        "def b_lists{b}(n):\n    out = []\n    h = 0\n    for i in range(n):\n        pair = [i, i * 2, i % 3]\n        out.extend(pair[{cut}:])\n        head = out[:3]\n        h = (h * 31 + sum(head) + len(out[-4:])) % 1000003\n        if i % 5 == 0:\n            out.insert(0, i)\n        if i % 7 == 3:\n            out.reverse()\n    tail = out[-{pops}:]\n    return h, len(out), out[-5:], tail\n\
         print('b_lists{b}', b_lists{b}({n}))"
    )
}
