//! Extra blocks appended to a generated program, each self-contained (its own `x_` names,
//! every exception it provokes caught): what the main generator does not reach and CPython
//! decides exactly — special floats (`inf`, `-0.0`; `nan` only with `nan_in_containers`, see
//! below) in containers, identity (`is`) of containers, ints at the ±2**63 boundaries inside
//! lists, tuples and dict keys, non-ASCII text, dicts changed while a loop iterates them
//! (`RuntimeError`), exceptions inside comprehensions and generator expressions, recursion
//! close to the limit (and past it, caught), and the builtins that call back (`key=`, `map`,
//! `filter`, `any`, `all`, `divmod`, generator expressions, dict comprehensions), and
//! comprehensions in hot loops (machine code enters and leaves them: the recursion limit
//! counts them, exceptions leave them).
//!
//! `nan` inside containers is compared by identity first in CPython (`n in [n]` is True); it is
//! kept out of the default programs until the interpreter does the same
//! (`TOYJIT_DIFF_NAN=1` turns it on).
//!
//! Draws from its own [`Rng`] (seeded from the program's seed), so the main program of a seed
//! does not change. Touches nothing but the lines it returns.

use super::rng::Rng;

/// The lines of one to three extra blocks for `seed`, at the module level.
pub fn extras(seed: u64, nan_in_containers: bool) -> Vec<String> {
    let mut rng = Rng::new(seed ^ 0x5EED_E7A5_0BAD_F00D);
    let mut lines = Vec::new();
    for _ in 0..rng.range(1, 3) {
        let block = match rng.below(10) {
            0 => special_floats(&mut rng, nan_in_containers),
            1 => identity(&mut rng),
            2 => boundary_ints(&mut rng),
            3 => non_ascii(&mut rng),
            4 => dict_mutation(&mut rng),
            5 => comprehension_errors(&mut rng),
            6 => recursion(&mut rng),
            7 => key_builtins(&mut rng),
            8 => hot_comprehensions(&mut rng),
            _ => lazy_builtins(&mut rng),
        };
        lines.extend(block);
    }
    lines
}

fn lines(text: &str) -> Vec<String> {
    text.lines().map(str::to_string).collect()
}

fn special_floats(rng: &mut Rng, nan: bool) -> Vec<String> {
    let pool = ["float('inf')", "-float('inf')", "-0.0", "0.0", "1.5", "-2", "3", "2**63", "1e308 * 10"];
    let n = rng.range(3, 6);
    let items: Vec<&str> = (0..n).map(|_| pool[rng.below(pool.len() as u64) as usize]).collect();
    let mut out = lines(&format!(
        "x_f = [{0}]\n\
         x_t = tuple(x_f)\n\
         print(x_f, x_t, sorted(x_f), max(x_f), min(x_f))\n\
         print(-0.0 in x_f, 0.0 in x_t, float('inf') in x_f, x_f.count(0.0), x_f == list(x_t))\n\
         print([abs(v) for v in x_f], {{v: 1 for v in x_f}}, x_t < tuple(x_f + [0]), sum(x_f))",
        items.join(", ")
    ));
    if rng.chance(50) {
        out.extend(lines(
            "x_z = [-0.0, 0.0, 0]\n\
             print(x_z, x_z.index(0), sorted(x_z), max(x_z), min(x_z), (-0.0,) == (0.0,), {0.0: 'a', -0.0: 'b'})",
        ));
    }
    if nan {
        out.extend(lines(
            "x_n = float('nan')\n\
             x_l = [x_n, 1.0]\n\
             print(x_n in x_l, x_l == x_l, [x_n] == [x_n], (x_n,) == (x_n,), x_l.count(x_n), x_l.index(x_n), x_n == x_n)\n\
             x_d = {x_n: 1}\n\
             print(x_n in x_d, x_d.get(x_n), float('nan') in x_d, x_n in (x_n,))",
        ));
    }
    out
}

fn identity(rng: &mut Rng) -> Vec<String> {
    let k = rng.range(1, 4);
    lines(&format!(
        "x_a = list(range({k}))\n\
         x_b = x_a\n\
         x_c = list(x_a)\n\
         x_d = [x_a, x_c]\n\
         print(x_a is x_b, x_a is x_c, x_a == x_c, x_a is not x_c, x_d[0] is x_a, None is None)\n\
         x_b.append({k})\n\
         print(x_a, x_c, x_a is x_d[0], x_d[1] is x_c, x_a == x_c, [x_a] == [x_b], (x_a,) == (x_c,))\n\
         x_e = {{'k': x_a}}\n\
         print(x_e['k'] is x_a, x_e.get('q') is None, x_a in x_d, x_c in [x_a])"
    ))
}

fn boundary_ints(rng: &mut Rng) -> Vec<String> {
    let pool = ["2**63 - 1", "2**63", "-2**63", "-2**63 - 1", "2**64", "-2**64 + 1", "2**62", "-1", "0"];
    let n = rng.range(3, 6);
    let items: Vec<&str> = (0..n).map(|_| pool[rng.below(pool.len() as u64) as usize]).collect();
    let d = rng.pick(&["3", "7", "-5", "2**32"]);
    lines(&format!(
        "x_b = [{0}]\n\
         print(x_b, sorted(x_b), max(x_b), min(x_b), sum(x_b), x_b.index(x_b[-1]))\n\
         print([v + 1 for v in x_b], [v - 1 for v in x_b], [v * 2 for v in x_b], [v // {d} for v in x_b], [v % {d} for v in x_b])\n\
         print(tuple(x_b) < tuple(x_b[::-1]), 2**63 in x_b, -2**63 in tuple(x_b), {{v: i for i, v in enumerate(x_b)}})\n\
         print([-v for v in x_b], [abs(v) for v in x_b], [v >> 1 for v in x_b], [float(v) for v in x_b], list(map(divmod, x_b, [{d}] * len(x_b))))",
        items.join(", ")
    ))
}

fn non_ascii(rng: &mut Rng) -> Vec<String> {
    let pool = ["héllo", "naïve", "日本語", "€uro", "straße", "Ωmega", "ñ", "ASCII", "çà", "Ünïcödé"];
    let n = rng.range(2, 4);
    let words: Vec<String> = (0..n).map(|_| format!("\"{}\"", pool[rng.below(pool.len() as u64) as usize])).collect();
    lines(&format!(
        "x_w = [{0}]\n\
         print(x_w, sorted(x_w), max(x_w), [len(w) for w in x_w], [w[::-1] for w in x_w], [w[1:3] for w in x_w])\n\
         print([w.upper() for w in x_w], [w.lower() for w in x_w], '|'.join(x_w), [w.find('é') for w in x_w])\n\
         print([ord(w[0]) for w in x_w], [chr(ord(w[-1])) for w in x_w], sorted(x_w, key=len), {{w: len(w) for w in x_w}})\n\
         print(''.join(w[0] for w in x_w), [w.replace('a', 'ä') for w in x_w], [w * 2 for w in x_w][:1], f'{{x_w[0]!r:>12}}')",
        words.join(", ")
    ))
}

fn dict_mutation(rng: &mut Rng) -> Vec<String> {
    let n = rng.range(2, 5);
    let change = rng.pick(&["x_d[k * 100 + 1] = k", "del x_d[k]", "x_d.pop(k)", "x_d[k] = -k"]);
    lines(&format!(
        "x_d = {{k: k * k for k in range({n})}}\n\
         try:\n\
         \x20   for k in x_d:\n\
         \x20       {change}\n\
         \x20   print('loop done', x_d)\n\
         except RuntimeError as x_e:\n\
         \x20   print('RuntimeError:', x_e, len(x_d))\n\
         try:\n\
         \x20   for k in x_d.keys():\n\
         \x20       x_d[k + 1000] = 0\n\
         except RuntimeError as x_e:\n\
         \x20   print('RuntimeError:', x_e)\n\
         print(sorted(x_d.items())[:4])"
    ))
}

fn comprehension_errors(rng: &mut Rng) -> Vec<String> {
    let k = rng.range(0, 4);
    lines(&format!(
        "try:\n\
         \x20   print([10 // (v - {k}) for v in range(5)])\n\
         except ZeroDivisionError as x_e:\n\
         \x20   print('ZeroDivisionError:', x_e)\n\
         try:\n\
         \x20   print({{v: [1, 2, 3][v] for v in range({k}, {k} + 3)}})\n\
         except IndexError as x_e:\n\
         \x20   print('IndexError:', x_e)\n\
         try:\n\
         \x20   print(sum(100 // (v - {k}) for v in range(6)))\n\
         except ZeroDivisionError as x_e:\n\
         \x20   print('ZeroDivisionError:', x_e)\n\
         try:\n\
         \x20   print(sorted([int(s) for s in ['1', '{k}', 'x{k}']]))\n\
         except ValueError as x_e:\n\
         \x20   print('ValueError:', x_e)"
    ))
}

/// A loop hot enough to compile that builds comprehensions of every kind each iteration (over
/// ranges, lists and strings, filtered, nested, dict comprehensions; one that raises now and
/// then), and recursion through a comprehension up to the limit (its message is left out:
/// where CPython trips its limit inside a comparison, it says "in comparison", which the
/// interpreter does not model).
fn hot_comprehensions(rng: &mut Rng) -> Vec<String> {
    let n = rng.range(150, 600);
    let (m, k, z) = (rng.range(2, 9), rng.range(2, 6), rng.range(0, 5));
    let element = ["v * 2", "v - i", "(v, i % 3)", "str(v)", "v % 3 == 0", "[v]"][rng.below(6) as usize];
    let filter = ["", " if v % 2 == 0", " if v != i % 5", " if v > 1"][rng.below(4) as usize];
    let deep = rng.range(440, 490);
    lines(&format!(
        "def x_comp(n):\n\
         \x20   acc = 0\n\
         \x20   keep = []\n\
         \x20   words = ['ab', 'cde', 'f', 'ghij']\n\
         \x20   for i in range(n):\n\
         \x20       xs = [{element} for v in range(i % {m}){filter}]\n\
         \x20       acc += len(xs)\n\
         \x20       ys = [w[0] + str(len(w)) for w in words if len(w) != i % {k}]\n\
         \x20       acc += len(''.join(ys))\n\
         \x20       d = {{w: len(w) * i for w in words[: i % {k}]}}\n\
         \x20       acc += sum(d.values()) % 97\n\
         \x20       grid = [[r * c for c in range(i % 3)] for r in range(i % {k})]\n\
         \x20       acc += len(grid)\n\
         \x20       try:\n\
         \x20           acc += sum([10 // (v - {z}) for v in range(i % 7)])\n\
         \x20       except ZeroDivisionError:\n\
         \x20           acc += 1\n\
         \x20       if i % 50 == 0:\n\
         \x20           keep.append(xs)\n\
         \x20   return acc, keep[-2:], xs\n\
         print(x_comp({n}))\n\
         def x_cdeep(n):\n\
         \x20   if n == 0:\n\
         \x20       return [0]\n\
         \x20   return [x_cdeep(n - 1)[0] + 1 for _ in range(1)]\n\
         for x_i in range(30):\n\
         \x20   try:\n\
         \x20       x_r = x_cdeep({deep} + x_i)\n\
         \x20   except RecursionError:\n\
         \x20       print('RecursionError at', {deep} + x_i)\n\
         \x20       break\n\
         print(x_r)"
    ))
}

fn recursion(rng: &mut Rng) -> Vec<String> {
    let deep = rng.range(850, 980);
    let through = rng.range(50, 300);
    lines(&format!(
        "def x_depth(n):\n\
         \x20   if n == 0:\n\
         \x20       return 0\n\
         \x20   return 1 + x_depth(n - 1)\n\
         print(x_depth({deep}))\n\
         try:\n\
         \x20   print(x_depth({}))\n\
         except RecursionError as x_e:\n\
         \x20   print('RecursionError:', x_e)\n\
         def x_nest(n):\n\
         \x20   if n == 0:\n\
         \x20       return 0\n\
         \x20   return max(x_nest(n - 1) + v for v in [1])\n\
         print(x_nest({through}), x_depth({deep}) - {deep})",
        rng.range(1000, 5000)
    ))
}

fn key_builtins(rng: &mut Rng) -> Vec<String> {
    let n = rng.range(3, 7);
    let items: Vec<String> = (0..n).map(|_| rng.range(-20, 20).to_string()).collect();
    let key = rng.pick(&["abs", "str", "lambda v: v % 3", "lambda v: -v", "lambda v: (v > 0, v)", "x_key"]);
    let reverse = rng.pick(&["False", "True"]);
    lines(&format!(
        "def x_key(v):\n\
         \x20   return (v * 7) % 5\n\
         x_v = [{0}]\n\
         print(sorted(x_v, key={key}), sorted(x_v, key={key}, reverse={reverse}))\n\
         print(max(x_v, key={key}), min(x_v, key={key}), max([], key={key}, default='none'))\n\
         x_s = list(x_v)\n\
         x_s.sort(key={key}, reverse={reverse})\n\
         print(x_s, min(x_v, default=0), max(x_v[0], x_v[-1], key={key}))\n\
         try:\n\
         \x20   print(sorted(x_v, key=lambda v: 10 // v))\n\
         except ZeroDivisionError as x_e:\n\
         \x20   print('ZeroDivisionError:', x_e)",
        items.join(", ")
    ))
}

fn lazy_builtins(rng: &mut Rng) -> Vec<String> {
    let n = rng.range(2, 6);
    let items: Vec<String> = (0..n).map(|_| rng.range(-9, 9).to_string()).collect();
    let d = rng.pick(&["3", "-4", "2.5", "2**64"]);
    lines(&format!(
        "x_log = []\n\
         def x_f(v):\n\
         \x20   x_log.append(v)\n\
         \x20   return v * 2\n\
         x_v = [{0}]\n\
         print(any(x_f(v) > 4 for v in x_v), all(x_f(v) for v in x_v), x_log)\n\
         print(list(map(x_f, x_v)), list(filter(None, x_v)), list(filter(lambda v: v % 2, x_v)))\n\
         print(sum(v * v for v in x_v), ''.join(str(v) for v in x_v), tuple(map(abs, x_v)), list(map(max, x_v, x_v[::-1])))\n\
         print([divmod(v, {d}) for v in x_v], {{v: divmod(v, 7) for v in x_v}}, dict((v, v) for v in x_v))\n\
         x_m = map(x_f, x_v)\n\
         print(next(x_m), list(x_m), next(x_m, 'end'), x_log[-3:])",
        items.join(", ")
    ))
}
