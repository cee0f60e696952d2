//! Dict blocks appended to a generated program, each self-contained (its own `d_` names, every
//! exception it provokes caught): dicts in hot loops as the JIT compiles them: counting with
//! `in`, `d[k] += 1` and `d.get(k, 0) + 1` (the lookup the runtime remembers), keys of mixed
//! types (`1`, `1.0`, `True`, tuples, strings), `for` loops over a dict, its `keys()`,
//! `values()` or `items()` (and the loop's key or another looked up in it), a dict changed during its loop (`RuntimeError`, caught) and a
//! missing key (`KeyError`, caught), and an entry deleted between two hot loops (the remembered
//! index moves).
//!
//! Draws from its own [`Rng`] (seeded from the program's seed), so the main program of a seed
//! does not change. Touches nothing but the lines it returns.

use super::rng::Rng;

/// The lines of one dict block for `seed`, at the module level.
pub fn dict_blocks(seed: u64) -> Vec<String> {
    let mut rng = Rng::new(seed ^ 0x0D1C_7A5E_B10C_4E11);
    let b = 0;
    let n = rng.pick(&[5, 60, 150, 300, 700]);
    let m = rng.range(2, 23);
    let key = rng
        .pick(&[
            "i % {m}".to_string(),
            "'w' + str(i % {m})".to_string(),
            "(i % {m}, i % 2)".to_string(),
            "(i % {m}) * 1.0 if i % 3 == 0 else i % {m}".to_string(),
            "True if i % {m} == 1 else i % {m}".to_string(),
        ])
        .replace("{m}", &m.to_string());
    let count = rng.pick(&[
        "    if k in d_c{b}:\n        d_c{b}[k] += 1\n    else:\n        d_c{b}[k] = 1\n",
        "    d_c{b}[k] = d_c{b}.get(k, 0) + 1\n",
        "    d_c{b}[k] = d_c{b}.get(k, i) * 3 % 1000\n",
    ]);
    // A loop header and the term it adds for each item.
    let (header, term) = rng.pick(&[
        ("k in d_c{b}", "d_c{b}[k]"),
        ("k in d_c{b}.keys()", "d_c{b}[k]"),
        ("v in d_c{b}.values()", "v"),
        ("k, v in d_c{b}.items()", "v + len(str(k))"),
        // The loop's key looked up again, and another key (the entry the loop gives is
        // remembered: the other key's lookup must not take it).
        ("k, v in d_c{b}.items()", "v * 2 - d_c{b}[k] + d_c{b}.get(1, 5)"),
        ("k in d_c{b}", "d_c{b}.get(k, 0) + (k in d_c{b}) + d_c{b}.get('w1', 3)"),
    ]);
    let walk = format!("for {header}:\n    d_s{{b}} = (d_s{{b}} * 7 + {term}) % 100003\n");
    let change = rng.pick(&["d_c{b}['new'] = 1", "del d_c{b}[k]", "d_c{b}.pop(k)", "d_c{b}[k] = 0"]);
    let at = rng.range(0, m);
    let text = format!(
        "d_c{b} = {{}}\n\
         for i in range({n}):\n    k = {key}\n{count}\
         d_s{b} = 0\n\
         for d_r{b} in range({rounds}):\n    {walk_indented}\
         print('d_count{b}', len(d_c{b}), d_s{b}, list(d_c{b}.items())[:4])\n\
         try:\n    d_i{b} = 0\n    for k in d_c{b}:\n        d_i{b} += 1\n        if d_i{b} == {at} + 1:\n            {change}\n    print('d_walked{b}', d_i{b})\n\
         except RuntimeError as e:\n    print('d_changed{b}', e, d_i{b})\n\
         try:\n    d_t{b} = 0\n    for i in range({n}):\n        d_t{b} += d_c{b}[{key}]\n    print('d_sum{b}', d_t{b})\n\
         except KeyError as e:\n    print('d_missing{b}', e)\n\
         print('d_end{b}', sorted(str(x) for x in d_c{b}.values())[:5])",
        rounds = rng.range(1, 40),
        walk_indented = walk.replace('\n', "\n    ").trim_end().to_string() + "\n",
    );
    text.replace("{b}", &b.to_string()).lines().map(str::to_string).collect()
}
