//! Tuple blocks appended to a generated program, each self-contained (its own `t_` names, every
//! exception it provokes caught): tuples in hot loops, as the JIT compiles them (with allocation
//! removal): pairs carried by a loop, tuples built and unpacked at once, stored into and
//! replaced in lists, returned from small functions, nested, holding `None`, indexed with
//! constants and variables (an `IndexError` caught), unpacked from a list where one item has
//! the wrong length (a `ValueError` raised from inside a trace, caught), identity (`is`) of
//! tuples that escaped or were built by an exit, and exits taken in the middle of a loop with
//! virtual tuples live.
//!
//! Draws from its own [`Rng`] (seeded from the program's seed), so the main program of a seed
//! does not change. Touches nothing but the lines it returns.

use super::rng::Rng;

/// The lines of one or two tuple blocks for `seed`, at the module level.
pub fn tuple_blocks(seed: u64) -> Vec<String> {
    let mut rng = Rng::new(seed ^ 0x7091_E5B1_0C4D_2A11);
    let mut out = Vec::new();
    for block in 0..rng.range(1, 2) as u64 {
        let text = match rng.below(7) {
            0 => pair_recurrence(&mut rng, block),
            1 => list_of_tuples(&mut rng, block),
            2 => returned_tuples(&mut rng, block),
            3 => identity(&mut rng, block),
            4 => indexing(&mut rng, block),
            5 => shared_tree(&mut rng, block),
            _ => unpack_errors(&mut rng, block),
        };
        out.extend(text.lines().map(str::to_string));
    }
    out
}

/// Trip counts around the default threshold (100), so some loops compile and others do not.
fn trips(rng: &mut Rng) -> i64 {
    rng.pick(&[5, 60, 150, 300, 700])
}

/// A pair (or triple) carried by the loop, updated each iteration, with a rare branch that
/// prints it (an exit with the tuple virtual) and an optional `break`.
fn pair_recurrence(rng: &mut Rng, b: u64) -> String {
    let n = trips(rng);
    let m = rng.pick(&[97, 1000, 65536, 1_000_003]);
    let (k, c) = (rng.range(1, 7), rng.range(0, 9));
    let at = rng.range(0, n.max(1) - 1);
    let stop = if rng.chance(40) {
        format!("\n        if i == {}:\n            break", rng.range(0, n + 3))
    } else {
        String::new()
    };
    let update = match rng.below(3) {
        0 => format!("t_p{b} = (t_p{b}[1], (t_p{b}[0] * {k} + t_p{b}[1] + {c}) % {m})"),
        1 => format!("a, z = t_p{b}\n        t_p{b} = (z, (a + z * {k}) % {m})"),
        _ => format!("t_p{b} = (t_p{b}[1], t_p{b}[0] - t_p{b}[1] + {c})"),
    };
    let triple = rng.chance(30);
    let extra =
        if triple { format!("\n        t_q{b} = (t_p{b}[0], t_q{b}[0] + 1, t_q{b})[:2]") } else { String::new() };
    format!(
        "def t_pairs{b}(n):\n    t_p{b} = ({}, {})\n    t_q{b} = (0, 0)\n    for i in range(n):\n        {update}{extra}\n        if i == {at}:\n            print('t at', i, t_p{b}, t_p{b}[0] == t_p{b}[1]){stop}\n    return t_p{b}, t_q{b}\n\
         print('t_pairs{b}', t_pairs{b}({n}), t_pairs{b}(3))",
        rng.range(0, 5),
        rng.range(1, 5)
    )
}

/// Tuples appended to a list, unpacked in a `for`, replaced (the old tuple freed), nested.
fn list_of_tuples(rng: &mut Rng, b: u64) -> String {
    let n = trips(rng).max(1);
    let (a, m) = (rng.range(2, 31), rng.pick(&[7, 100, 1009]));
    let swap = if rng.chance(50) { "(v, u)" } else { "((u, v), None)[0]" };
    let none = if rng.chance(50) { "None" } else { "i" };
    format!(
        "t_xs{b} = []\n\
         for i in range({n}):\n    t_xs{b}.append((i * {a} % {m}, i - {m}, {none}))\n\
         t_s{b} = 0\n\
         for u, v, w in t_xs{b}:\n    t_s{b} += u * 3 - v + (0 if w is None else w)\n\
         for i in range(len(t_xs{b})):\n    u, v, w = t_xs{b}[i]\n    t_xs{b}[i] = {swap}\n\
         t_ys{b} = [(t, (t[0] + 1, t)) for t in t_xs{b}[:5]]\n\
         print('t_list{b}', t_s{b}, t_xs{b}[0], t_xs{b}[-1], len(t_xs{b}), t_ys{b}[:2])"
    )
}

/// Small functions returning tuples (the JIT inlines them), nested tuples unpacked.
fn returned_tuples(rng: &mut Rng, b: u64) -> String {
    let n = trips(rng);
    let (k, d) = (rng.range(2, 9), rng.range(1, 13));
    let op = rng.pick(&["<", ">", "=="]);
    format!(
        "def t_split{b}(x, y):\n    if x % {k} {op} y % {k}:\n        return x // {d}, x % {d}\n    return (y, x), -1\n\
         def t_walk{b}(n):\n    t_acc = (0, 0)\n    t_n = 0\n    for i in range(n):\n        r, s = t_split{b}(i * 7, i + 3)\n        if s == -1:\n            (p, q), s = r, 0\n            r = p - q\n        t_acc = (t_acc[0] + r, t_acc[1] ^ s)\n        t_n += len(t_acc)\n    return t_acc, t_n\n\
         print('t_ret{b}', t_walk{b}({n}))"
    )
}

/// `is` between tuples: one tuple in two variables at an exit, appended twice, kept.
fn identity(rng: &mut Rng, b: u64) -> String {
    let n = trips(rng).max(2);
    let at = rng.range(0, n - 1);
    format!(
        "def t_same{b}(n):\n    t_keep = []\n    t_a = (0,)\n    t_b = t_a\n    for i in range(n):\n        t_a = (i, i % 3)\n        t_b = t_a\n        if i % 4 == 1:\n            t_keep.append(t_a)\n            t_keep.append(t_b)\n        if i == {at}:\n            break\n    print('t_is{b}', t_a is t_b, t_a == t_b, len(t_keep) > 1 and t_keep[0] is t_keep[1], t_a)\n    return t_a\n\
         t_r{b} = t_same{b}({n})\n\
         print(t_r{b} is t_r{b}, t_r{b})"
    )
}

/// A tree of `(key, left, right)` tuples built by a recursive function (native calls of its
/// entry trace) and searched by a loop whose direction changes (side traces linking back to the
/// root, clearing slots that hold tuples the tree shares), a variable going from a shared tuple
/// to a number, and a key of another type raising `TypeError` deep in the recursion.
fn shared_tree(rng: &mut Rng, b: u64) -> String {
    let n = trips(rng);
    let (m, k) = (rng.pick(&[50, 1000, 65536]), rng.range(3, 40));
    // From 1: the tree has a root (an int key) for the other key to be compared with.
    let bad = rng.range(1, n + 5);
    format!(
        "def t_ins{b}(node, key):\n    if node is None:\n        return (key, None, None)\n    k, l, r = node\n    if key < k:\n        return (k, t_ins{b}(l, key), r)\n    if key > k:\n        return (k, l, t_ins{b}(r, key))\n    return node\n\
         def t_find{b}(node, key):\n    d = 0\n    last = node\n    while node is not None:\n        k, l, r = node\n        last = node\n        if key == k:\n            last = d\n            return d, last\n        node = l if key < k else r\n        d += 1\n    return -d, last is None\n\
         t_root{b} = None\n\
         t_err{b} = 0\n\
         for i in range({n}):\n    try:\n        t_root{b} = t_ins{b}(t_root{b}, 'x' if i == {bad} else i * {k} % {m})\n    except TypeError:\n        t_err{b} += 1\n\
         t_hits{b} = [t_find{b}(t_root{b}, q) for q in range(0, {m}, {m} // 25 + 1)]\n\
         print('t_tree{b}', t_err{b}, t_hits{b}[:6], t_root{b} is not None and t_root{b}[0])"
    )
}

/// Indexing with constants, negative constants and variables; an `IndexError` caught.
fn indexing(rng: &mut Rng, b: u64) -> String {
    let n = trips(rng);
    let width = rng.range(2, 4);
    let items: Vec<String> = (0..width).map(|w| format!("i + {w}")).collect();
    let bad = rng.range(0, n + 5);
    format!(
        "t_s{b} = 0\n\
         try:\n    for i in range({n}):\n        t_t = ({},)\n        j = i % {width}\n        if i == {bad}:\n            j = {width} + 1\n        t_s{b} += t_t[j] * 2 + t_t[-1] - t_t[0] + len(t_t)\n\
         except IndexError as e:\n    print('t_ie{b}', e)\n\
         print('t_idx{b}', t_s{b})",
        items.join(", ")
    )
}

/// Unpacking in a hot loop where one item has the wrong length: the ValueError comes from the
/// trace's exit, raised by the interpreter, caught.
fn unpack_errors(rng: &mut Rng, b: u64) -> String {
    let n = trips(rng).max(1);
    let at = rng.range(0, n - 1);
    let wrong = rng.pick(&["(1, 2, 3)", "(1,)", "()"]);
    format!(
        "t_xs{b} = [(i, i * 2) for i in range({n})]\n\
         t_xs{b}[{at}] = {wrong}\n\
         t_s{b} = 0\n\
         try:\n    for t_it in t_xs{b}:\n        u, v = t_it\n        t_s{b} += u - v\n\
         except ValueError as e:\n    print('t_ve{b}', e)\n\
         print('t_unpack{b}', t_s{b})"
    )
}
