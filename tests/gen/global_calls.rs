//! Module-level hot loops calling recursive functions that read and rebind globals (`gl_*`),
//! a part of the calls section (`calls.rs`, whose [`Rng`] it draws from last, so the draws
//! before it are as they were). The loop's trace calls them natively (or, for one with a loop,
//! in the interpreter), writing the globals it changed back before each call and reading them
//! again after it: a global the loop writes and the callee reads, one the callee rebinds with
//! `global` (now and then to a tuple, or to a float), a tree of tuples rebuilt by a recursive
//! insert and searched by a function with a loop, and an exception raised deep down and
//! caught in the loop, and counts the loop writes only after its last call (`gl_hits`, carried
//! into the next iteration's calls in a register). Touches only the lines it returns.

use super::rng::Rng;

/// Appends the lines of the `gl_*` section to `out`.
pub(super) fn section(rng: &mut Rng, out: &mut Vec<String>) {
    let (k, m, every, depth) = (rng.range(2, 9), rng.range(5, 60), rng.range(3, 40), rng.range(3, 25));
    let trips = rng.range(150, 600);
    // What the callee does to `gl_scale` now and then.
    let rebind = match rng.below(3) {
        0 => format!("gl_scale = (gl_scale * {k} + 1) % 1009"),
        1 => "gl_scale = gl_scale + 0.5".to_string(),
        _ => "gl_scale = (gl_scale, 1) if isinstance(gl_scale, int) else gl_scale[0] + gl_scale[1]".to_string(),
    };
    let fail = if rng.chance(40) { rng.range(0, depth) } else { -1 };
    let lines = format!(
        "gl_calls = 0\ngl_scale = {k}\ngl_base = 0\n\
         def gl_walk(n):\n    global gl_calls, gl_scale\n    gl_calls += 1\n    \
         if n == {fail} and gl_calls % {every} == 1:\n        raise KeyError(n)\n    \
         if n <= 0:\n        return gl_base + (gl_scale if isinstance(gl_scale, int) else 1)\n    \
         if gl_calls % {every} == 0:\n        {rebind}\n    return gl_walk(n - 1) + n\n\
         def gl_loopy(n):\n    global gl_calls\n    for j in range(n % 5):\n        gl_calls += j\n    return gl_calls % {m}\n\
         def gl_insert(node, key):\n    if node is None:\n        return (key, None, None)\n    \
         k, left, right = node\n    if key < k:\n        return (k, gl_insert(left, key), right)\n    \
         if key > k:\n        return (k, left, gl_insert(right, key))\n    return node\n\
         def gl_find(node, key):\n    while node is not None:\n        if key == node[0]:\n            \
         return True\n        node = node[1] if key < node[0] else node[2]\n    return False\n\
         gl_total = 0\ngl_errors = 0\ngl_root = None\ngl_hits = 0\ngl_misses = 0\n\
         for i in range({trips}):\n    gl_base = i % {m}\n    try:\n        \
         gl_total = (gl_total + gl_walk(i % {depth})) % 1000003\n    except KeyError:\n        \
         gl_errors += 1\n    gl_total += gl_loopy(i)\n    gl_root = gl_insert(gl_root, i * {k} % {m})\n    \
         if gl_find(gl_root, i % {m}):\n        gl_total += 1\n    \
         if gl_find(gl_root, i % {k}):\n        gl_hits += 1\n    else:\n        gl_misses += 1\n\
         print('globals', gl_total, gl_calls, gl_scale, gl_errors, gl_base, gl_hits, gl_misses)"
    );
    out.extend(lines.lines().map(str::to_string));
}
