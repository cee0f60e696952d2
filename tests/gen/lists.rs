//! List blocks appended to a generated program, each self-contained (its own `l_` names, every
//! exception it provokes caught): lists built and changed in hot loops through the runtime's
//! list methods (`extend` with a slice, a tuple, a string or the list itself; `insert` at
//! negative and out-of-range indexes; `pop` until `IndexError`; `extend` of an int raising
//! `TypeError`), slices with negative and out-of-range bounds and steps taken before the list
//! changes, `a + b`, `[x] * k`, `list(x)`, and a recursive merge sort whose base case returns
//! before its loop (lists returned from compiled calls, held across the next call), and a
//! worklist drained with `while stack:` and `item = stack.pop()` into a variable the loop
//! read before (items of mixed types: the pop's type guard exits), with dict displays.
//!
//! Draws from its own [`Rng`] (seeded from the program's seed), so the main program of a seed
//! does not change. Touches nothing but the lines it returns.

use super::rng::Rng;

/// The lines of one or two list blocks for `seed`, at the module level.
pub fn list_blocks(seed: u64) -> Vec<String> {
    let mut rng = Rng::new(seed ^ 0x0715_7B10_C5ED_BEEF);
    let mut out = Vec::new();
    for block in 0..rng.range(1, 2) as u64 {
        let text = match rng.below(4) {
            0 => methods(&mut rng, block),
            1 => slices(&mut rng, block),
            2 => work_stack(&mut rng, block),
            _ => merge_sort(&mut rng, block),
        };
        out.extend(text.lines().map(str::to_string));
    }
    out
}

/// Trip counts around the default threshold (100), so some loops compile and others do not.
fn trips(rng: &mut Rng) -> i64 {
    rng.pick(&[5, 60, 150, 300, 700])
}

/// `extend`, `insert` and `pop` in a hot loop, with their errors caught inside the loop.
fn methods(rng: &mut Rng, b: u64) -> String {
    let n = trips(rng);
    let arg = rng.pick(&["a[-2:]", "(i, -i)", "'xy'", "a if len(a) < 40 else [i]", "[i] * (i % 3)", "list(a[:2])"]);
    let at = rng.pick(&["0", "-1", "-100", "100", "i % 7 - 3", "len(a) // 2"]);
    let every = rng.range(2, 9);
    let bad = rng.range(20, 90);
    format!(
        "def l_methods{b}(n):\n    a = [1, 2]\n    h = 0\n    errors = 0\n    for i in range(n):\n        \
         a.extend({arg})\n        a.insert({at}, i)\n        if i % {every} == 0:\n            \
         try:\n                while True:\n                    h = (h * 7 + len(a) + len(str(a.pop()))) % 1000003 if len(a) > 30 else h\n                    if len(a) <= 30:\n                        a.pop()\n                        a.pop()\n                        break\n            \
         except IndexError:\n                errors += 1\n                a = [i]\n        \
         try:\n            a.extend(i if i % {bad} == 0 else [])\n        except TypeError:\n            errors += 100\n        \
         h = (h * 31 + len(a) + len(str(a[0])) + len(str(a[-1]))) % 1000003\n    \
         return h, errors, len(a), a[-4:]\n\
         print('l_methods{b}', l_methods{b}({n}))"
    )
}

/// Slices with negative and out-of-range bounds and steps, taken before the list changes,
/// concatenated and repeated.
fn slices(rng: &mut Rng, b: u64) -> String {
    let n = trips(rng);
    let lo = rng.pick(&["", "0", "-3", "-100", "2", "i % 5"]);
    let hi = rng.pick(&["", "-1", "100", "3", "-i % 7"]);
    let step = rng.pick(&["", "1", "-1", "2", "-2", "3"]);
    let k = rng.range(0, 3);
    format!(
        "def l_slices{b}(n):\n    base = [3, 1, 4, 1, 5, 9, 2, 6]\n    h = 0\n    for i in range(n):\n        \
         part = base[{lo}:{hi}:{step}]\n        base[i % len(base)] = i\n        rev = base[::-1]\n        \
         both = part + rev[:2]\n        rep = [i % 4] * {k}\n        h = (h * 31 + len(part) + sum(both) + len(rep) + sum(list(part))) % 1000003\n    \
         return h, part, base[:3]\n\
         print('l_slices{b}', l_slices{b}({n}))"
    )
}

/// A merge sort: lists returned from recursive (compiled) calls, the base case before the
/// loop, slices as arguments, `extend` of the rests.
fn merge_sort(rng: &mut Rng, b: u64) -> String {
    let n = rng.pick(&[3, 40, 300, 900]);
    let m = rng.pick(&[7, 100, 1000003]);
    let floats = rng.pick(&["", " / 4.0"]);
    format!(
        "def l_msort{b}(a):\n    if len(a) <= 1:\n        return a\n    mid = len(a) // 2\n    left = l_msort{b}(a[:mid])\n    \
         right = l_msort{b}(a[mid:])\n    out = []\n    i = 0\n    j = 0\n    while i < len(left) and j < len(right):\n        \
         if right[j] < left[i]:\n            out.append(right[j])\n            j += 1\n        else:\n            out.append(left[i])\n            i += 1\n    \
         out.extend(left[i:])\n    out.extend(right[j:])\n    return out\n\
         l_data{b} = []\n\
         for i in range({n}):\n    l_data{b}.append((i * 7919 + 13) % {m}{floats})\n\
         l_sorted{b} = l_msort{b}(l_data{b})\n\
         print('l_msort{b}', l_sorted{b} == sorted(l_data{b}), l_sorted{b}[:4], len(l_sorted{b}))"
    )
}

/// A worklist in the style of an interpreter or a graph walk: `while stack:` (the truth of a
/// list), `item = stack.pop()` into a variable the loop read at its top, items of several
/// types (ints, strings, tuples, None, lists) dispatched with `isinstance`, the truth of a
/// tuple and a list, and dict displays (`{}`, `{k: v, k2: v2}`) made in the loop.
fn work_stack(rng: &mut Rng, b: u64) -> String {
    let n = trips(rng);
    let seed = rng.pick(&["[9]", "[40, 'ab', (3, 'c')]", "[None, 7, [1, 2, 3]]", "[(5, 6), '', 0]", "[2.5, 12]"]);
    let split = rng.pick(&["item // 2", "item - 3", "item % 5"]);
    let every = rng.range(2, 9);
    format!(
        "def l_work{b}(n):\n    stack = {seed}\n    item = None\n    seen = {{}}\n    h = 0\n    steps = 0\n    \
         while stack:\n        h = (h * 31 + len(str(item))) % 1000003\n        item = stack.pop()\n        steps += 1\n        \
         if steps > n:\n            break\n        \
         if isinstance(item, int) and item > 1:\n            stack.append({split})\n            stack.append(str(item))\n        \
         elif isinstance(item, str):\n            if item:\n                stack.append(item[1:])\n            else:\n                stack.append(None)\n        \
         elif isinstance(item, tuple):\n            if item:\n                stack.append(item[1:])\n                stack.append(item[0])\n        \
         elif isinstance(item, list):\n            if item:\n                stack.append(item[:-1])\n        \
         elif item is None:\n            stack.append((steps % 7, 'x' * (steps % 3)))\n        \
         rec = {{}} if steps % {every} else {{'s': steps, 'k': len(stack)}}\n        \
         key = str(item)[:6]\n        seen[key] = seen.get(key, 0) + len(rec)\n    \
         return h, steps, len(seen), stack[-3:]\n\
         print('l_work{b}', l_work{b}({n}))"
    )
}
