//! String blocks appended to a generated program, each self-contained (its own `s_` names,
//! every exception it provokes caught): strings in hot loops, as the JIT compiles them (inline
//! `len`, `ord`, `chr` and `for ch in s`; every other operation a runtime helper): a char loop
//! over ASCII or non-ASCII text, a parse loop (`split`, `strip`, `replace`, `upper`, `find`,
//! `startswith`, `in`, slicing, comparisons) where one item makes `int()` raise a `ValueError`
//! from inside a trace, string building with `+=` and a string carried by the loop, and
//! indexing past the end (an `IndexError` from inside a trace), and a function's loop passing
//! strings and a dict to a callee with loops (a call run in the interpreter) that iterates the
//! dict's keys, values or items and returns a string, or raises a `KeyError`; and a loop of
//! the helpers' common cases next to their general ones (text beyond ASCII, separators of
//! several bytes, negative indices and steps, `int()` of spaced, signed or big numbers, a
//! `join` of a tuple or of a list with a non-string in it).
//!
//! Draws from its own [`Rng`] (seeded from the program's seed), so the main program of a seed
//! does not change. Touches nothing but the lines it returns.

use super::rng::Rng;

/// The lines of one or two string blocks for `seed`, at the module level.
pub fn string_blocks(seed: u64) -> Vec<String> {
    let mut rng = Rng::new(seed ^ 0x5171_26C3_9EA0_44B7);
    let mut out = Vec::new();
    for block in 0..rng.range(1, 2) as u64 {
        let text = match rng.below(6) {
            0 => char_loop(&mut rng, block),
            1 => parse_loop(&mut rng, block),
            2 => building(&mut rng, block),
            3 => calls(&mut rng, block),
            4 => helpers(&mut rng, block),
            _ => indexing(&mut rng, block),
        };
        out.extend(text.lines().map(str::to_string));
    }
    out
}

/// Trip counts around the default threshold (100), so some loops compile and others do not.
fn trips(rng: &mut Rng) -> i64 {
    rng.pick(&[5, 60, 150, 300, 700])
}

/// Text to loop over: ASCII, or with chars beyond ASCII and beyond Latin-1.
fn text(rng: &mut Rng) -> &'static str {
    rng.pick(&["the quick brown fox", "Zebra-42 yak!", "naïve café ÿ", "Ā日本 ok", ""])
}

/// `for ch in s` with `ord`/`chr` (codes past 255 too) and a char list joined.
fn char_loop(rng: &mut Rng, b: u64) -> String {
    let n = trips(rng) / 20 + 1;
    let k = rng.range(1, 25);
    let s = text(rng);
    let hi = rng.pick(&[127, 255, 300]);
    format!(
        "def s_shift{b}(s, k):\n    out = []\n    for ch in s:\n        c = ord(ch)\n        if 97 <= c <= 122:\n            out.append(chr((c - 97 + k) % 26 + 97))\n        elif c > {hi}:\n            out.append(chr(c + 1))\n        else:\n            out.append(ch)\n    return ''.join(out)\n\
         s_acc{b} = ''\n\
         for i in range({n}):\n    s_acc{b} = s_shift{b}({s:?} * {reps}, i + {k})\n\
         print('s_chars{b}', s_acc{b}, len(s_acc{b}))",
        reps = rng.range(1, 12)
    )
}

/// Lines split and taken apart; one bad number makes `int()` raise inside the loop.
fn parse_loop(rng: &mut Rng, b: u64) -> String {
    let n = trips(rng).max(1);
    let bad = rng.range(0, n + 5);
    let sep = rng.pick(&["' '", "','", "'-'"]);
    let sep_text = &sep[1..2];
    let word = rng.pick(&["GET", "put", "Post"]);
    format!(
        "s_lines{b} = ['  ' + {word:?} + {sep} + str(i * 7) + {sep} + 'x' * (i % 4) + 'é' * (i % 2) for i in range({n})]\n\
         s_lines{b}[{bad} % len(s_lines{b})] = s_lines{b}[{bad} % len(s_lines{b})].replace('0', 'o')\n\
         s_t{b} = 0\n\
         s_best{b} = ''\n\
         try:\n    for s_l in s_lines{b}:\n        p = s_l.strip().split({sep})\n        key = p[0].upper() + p[-1][:2]\n        if key.startswith('G') or 'T' in key or p[-1].endswith('x'):\n            s_t{b} += 1\n        if key > s_best{b}:\n            s_best{b} = key\n        s_t{b} += int(p[1]) + s_l.find({sep_text:?}) + len(key) + (key == s_best{b})\n\
         except ValueError as e:\n    print('s_ve{b}', e)\n\
         print('s_parse{b}', s_t{b}, s_best{b})"
    )
}

/// `+=` building, a string carried from one iteration to the next, comparisons.
fn building(rng: &mut Rng, b: u64) -> String {
    let n = trips(rng);
    let m = rng.range(2, 9);
    let piece = rng.pick(&["'ab'", "'é'", "str(i % 10)", "chr(65 + i % 26)"]);
    format!(
        "def s_build{b}(n):\n    s_out = ''\n    s_prev = 'm'\n    s_n = 0\n    for i in range(n):\n        s_cur = {piece} * (1 + i % {m})\n        if s_cur < s_prev or s_cur == s_prev:\n            s_n += 1\n        s_prev = s_cur\n        if i % {m} == 0:\n            s_out += s_cur[-1:] + str(s_n)\n    return s_out[-30:], len(s_out), s_prev, s_n\n\
         print('s_build{b}', s_build{b}({n}), s_build{b}(2))"
    )
}

/// The string helpers on ASCII and non-ASCII text, each one's error raised once in the loop.
fn helpers(rng: &mut Rng, b: u64) -> String {
    let n = trips(rng);
    let bad = rng.range(0, n + 5);
    let s = text(rng);
    let sep = rng.pick(&["' '", "'o'", "'é'", "'ab'", "', '"]);
    let number = rng.pick(&["' -7'", "'+12'", "'1_000'", "'123456789012345678901234'", "str(i)"]);
    let items = rng.pick(&["(s_w, 'z')", "[s_w, s_w[::-1]]", "(s_w,)", "[s_w, i]"]);
    format!(
        "s_text{b} = {s:?} + ' Tail, ab'\n\
         s_acc{b} = 0\n\
         try:\n    for i in range({n}):\n        s_w = s_text{b}[i % 5:i % 5 + 3 + i % 7]\n\
         \x20       s_parts = s_text{b}.split({sep})\n        s_j = '|'.join({items}) if i != {bad} else '|'.join([s_w, i])\n\
         \x20       s_acc{b} += len(s_parts) + len(s_j) + s_text{b}.find(s_w) + (s_w in s_text{b}) + (s_w < s_j)\n\
         \x20       s_acc{b} += int({number}) % 1000 + ord(s_text{b}[-1 - i % 9]) + len(s_w.replace('a', 'AA').upper())\n\
         \x20       s_acc{b} += s_text{b}.startswith(s_w) + s_j.endswith('z') + len(s_text{b}[::-2])\n\
         except TypeError as e:\n    print('s_te{b}', e)\n\
         print('s_helpers{b}', s_acc{b})"
    )
}

/// Indexing a string with variables, past its end once: an `IndexError` caught.
fn indexing(rng: &mut Rng, b: u64) -> String {
    let n = trips(rng);
    let s = text(rng);
    let bad = rng.range(0, n + 5);
    format!(
        "s_s{b} = {s:?} + 'tail'\n\
         s_sum{b} = 0\n\
         try:\n    for i in range({n}):\n        j = i % len(s_s{b})\n        if i == {bad}:\n            j = len(s_s{b}) + 2\n        s_sum{b} += ord(s_s{b}[j]) + ord(s_s{b}[-1 - j]) + len(s_s{b}[j:j + 2])\n\
         except IndexError as e:\n    print('s_ie{b}', e)\n\
         print('s_idx{b}', s_sum{b})"
    )
}

/// A function's loop calling a callee with loops: strings (built, constant, from a list) and a
/// dict in, a string out; the callee walks the dict's keys, values or items and raises a
/// `KeyError` for one missing key.
fn calls(rng: &mut Rng, b: u64) -> String {
    let n = trips(rng).max(1);
    let bad = rng.range(0, n + 5);
    let walk = rng.pick(&[
        "for k in d:\n        acc += k",
        "for v in d.values():\n        acc += str(v)",
        "for k, v in d.items():\n        acc += k + str(v)",
        "for k in d.keys():\n        acc = acc + k[:1]",
    ]);
    let word = rng.pick(&["'ab'", "words[i % 3]", "str(i % 5) + 'x'", "prev[-2:]"]);
    format!(
        "def s_walk{b}(d, key, word):\n    acc = word\n    {walk}\n    return acc[-6:] + str(d[key])\n\
         def s_main{b}():\n    d = {{'a': 1, 'b': 2, 'c': 3}}\n    words = ['x', 'yy', 'zzz']\n    prev = 'start'\n    missing = 0\n\
         \x20   for i in range({n}):\n        key = 'q' if i == {bad} else words[i % 3][:0] + 'abc'[i % 3]\n\
         \x20       try:\n            prev = s_walk{b}(d, key, {word})\n        except KeyError as e:\n            missing += 1\n            prev = repr(e)\n\
         \x20       d[prev[:2]] = i\n    print('s_calls{b}', prev, missing, len(d))\n\
         s_main{b}()"
    )
}
