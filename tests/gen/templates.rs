//! Template-engine blocks appended to a generated program (`programs/template.toy`'s shapes),
//! each self-contained (its own `tp_` names, every exception it provokes caught): a hot loop
//! over a list of mixed values (ints, floats, bools, `None`, strings, lists, tuples, dicts)
//! that tests them with `is True` / `is False` / `is None` / `is` between two of them,
//! `isinstance` with `str`, `dict`, `list`, `tuple`, `==` and `!=` across kinds and between
//! containers, formats them with f-strings (specs that fit the value's type, `!r`, `!s`, and a
//! `:d` spec that raises for a float, caught), and walks a list of node tuples calling a
//! function with a loop (run in the interpreter by the trace) that replaces the nodes while the
//! caller still reads the tuple it holds, and returns the last node, name and parts it held
//! (live after the loop: carried by its trace, as a template's last row is).
//!
//! Draws from its own [`Rng`] (seeded from the program's seed), so the main program of a seed
//! does not change. Touches nothing but the lines it returns.

use super::rng::Rng;

/// The lines of one template block for `seed`, at the module level.
pub fn template_blocks(seed: u64) -> Vec<String> {
    let mut rng = Rng::new(seed ^ 0x7E3A_1A7E_5EED_0017);
    let n = rng.pick(&[5, 40, 150, 400, 900]);
    let m = rng.range(3, 11);
    // A test of `v` (the item) and `w` (another item) the loop counts when it holds.
    let test = rng.pick(&[
        "v is True",
        "v is False",
        "v is not None",
        "v is w",
        "v is not w",
        "isinstance(v, str)",
        "isinstance(v, dict) or isinstance(w, list)",
        "isinstance(v, tuple) and not isinstance(w, str)",
        "v == w",
        "v != w",
        "v == ''",
        "v != 0",
        "w == None",
    ]);
    // An f-string of the item: its spec fits the item's type (ints, floats, bools, others).
    let text = rng.pick(&[
        "f'{v}|{w!r}'",
        "f'<{v!s:>9}>{i:04d}'",
        "f'{tp_num(v):.3f}/{tp_num(w):+8.1f}'",
        "f'{i:x}{v}{w}{i % 7:3d}{str(v)[:2]!r}'",
        "f'{v}'",
    ]);
    // The parts the walk holds: the node's own list, or a copy the trace makes.
    let parts = rng.pick(&["node[1]", "list(node[1])"]);
    let change = rng.pick(&["nodes[j] = ('n' + str(i), [j, i], j)", "nodes[j] = (str(j), [], 0)"]);
    // The hot loops, in a function (their variables are locals, as a template's render loop's):
    // the values' tests and formatting, then the nodes' walk (a list held across a call in the
    // interpreter would keep the first from being compiled).
    let hot_loop = format!(
        "for i in range({n}):\n    v = tp_vals[i % len(tp_vals)]\n    w = tp_vals[(i * 5 + i // {m}) % len(tp_vals)]\n    if {test}:\n        tp_hits += 1\n    s = {text}\n    tp_chars += len(s)\n    if i % {m} == 1:\n        try:\n            s = f'{{v:d}}'\n        except (ValueError, TypeError):\n            tp_errors += 1\n    if i % 97 == 3:\n        print('tp_line', s)\n\
         for i in range({n}):\n    node = tp_nodes[i % len(tp_nodes)]\n    name = node[0]\n    parts = {parts}\n    tp_sum += tp_total(parts, tp_nodes, i) + node[2] + len(name) + len(parts)\n    if i % 97 == 3:\n        print('tp_node', node[0], name)"
    );
    let lines = format!(
        "tp_d = {{'k': 1}}\n\
         tp_l = [1, 2]\n\
         tp_vals = [0, 1.5, True, False, None, 'x', '', tp_l, [1, 2], (1,), tp_d, {{'k': 1}}, 7]\n\
         def tp_num(x):\n    return x if isinstance(x, (int, float)) else len(str(x))\n\
         def tp_total(parts, nodes, i):\n    t = 0\n    for p in parts:\n        t += p\n    if i % {m} == 0:\n        for j in range(len(nodes)):\n            {change}\n    return t\n\
         tp_nodes = [('t' + str(k), [k, k + 1], k) for k in range({m})]\n\
         def tp_run(tp_vals, tp_nodes):\n    tp_hits = 0\n    tp_chars = 0\n    tp_sum = 0\n    tp_errors = 0\n    {hot_loop}\n    \
         return tp_hits, tp_chars, tp_sum, tp_errors, node, name, parts\n\
         print('tp_end', tp_run(tp_vals, tp_nodes))",
        hot_loop = hot_loop.replace('\n', "\n    "),
    );
    lines.lines().map(str::to_string).collect()
}
