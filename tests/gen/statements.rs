//! `impl Gen`: blocks and simple statements — `block` and `stmt` (which picks a statement kind
//! and dispatches to loops, `if`, `try`, ... in the modules beside this one), assignments and
//! type changes (`assign`, `type_flip`), list stores and shuffles, `append` to growing lists,
//! big-int statements, `if`/`elif`/`else`, rate-limited prints, helper calls and swaps.
//!
//! Emits lines at the scope's indentation; changes the generator's state only through what it
//! calls (and `big_digits`, which `big_stmt` spends).

use super::*;

impl Gen {
    /// A block of `lo..=hi` statements (at least one, fewer when the program is long already).
    pub(super) fn block(&mut self, c: &Ctx, depth: u32, lo: u64, hi: u64) {
        let n = lo + self.below(hi - lo + 1);
        for k in 0..n.max(1) {
            if k > 0 && self.lines.len() >= self.cap {
                break;
            }
            self.stmt(c, depth);
        }
    }

    pub(super) fn stmt(&mut self, c: &Ctx, depth: u32) {
        let in_loop = c.loop_depth > 0;
        let has_lists = !self.lists(c).is_empty();
        let has_grow = c.vars.iter().any(|v| v.kind == Kind::Grow);
        let has_big = c.vars.iter().any(|v| v.kind == Kind::Big && v.mutable);
        let room = self.lines.len() + 4 < self.cap;
        let can_loop = depth > 0 && room && c.loop_depth < c.max_loop_depth && self.budget / c.mult.max(1) >= 2;
        let list_helper = (0..c.callable).any(|k| self.helpers[k].params.contains(&PKind::List));
        // In JIT-friendly loops, what the recorder rejects stays rare.
        let rare = |w: u64| {
            if self.strict {
                0
            } else if self.jit {
                w.min(1)
            } else {
                w
            }
        };
        let strict = self.strict;
        let weights: [(u32, u64); 15] = [
            (0, 30),
            (1, if has_lists { if self.jit { 20 } else { 10 } } else { 0 }),
            (2, if has_lists { rare(3) } else { 0 }),
            (3, if has_grow { rare(4) } else { 0 }),
            (4, if has_big { rare(5) } else { 0 }),
            (5, if depth > 0 && room { if strict { 20 } else { 12 } } else { 0 }),
            // A loop inside a loop: the inner one is traced first (the outer one aborts until
            // then), then the outer one's trace links to it.
            (
                6,
                if can_loop {
                    if strict {
                        30
                    } else if self.jit {
                        6
                    } else {
                        12
                    }
                } else {
                    0
                },
            ),
            (7, if in_loop { if strict { 12 } else { 7 } } else { 0 }),
            (8, if in_loop && !matches!(c.ret, Ret::Top) { rare(4) } else { 0 }),
            (9, if depth > 0 && room { if strict { 2 } else { 6 } } else { 0 }),
            (10, if c.can_print { rare(4) } else { 0 }),
            (11, if list_helper && has_lists { rare(3) } else { 0 }),
            (12, 2),
            (13, if has_lists && self.jit { 6 } else { 0 }),
            (14, if strict && in_loop { if self.callees.is_empty() { 8 } else { 20 } } else { 0 }),
        ];
        let total: u64 = weights.iter().map(|w| w.1).sum();
        let mut r = self.below(total);
        let mut which = 0;
        for (k, w) in weights {
            if r < w {
                which = k;
                break;
            }
            r -= w;
        }
        match which {
            1 => self.list_store(c),
            2 => self.list_shuffle(c),
            3 => self.grow_append(c),
            4 => self.big_stmt(c),
            5 => self.if_stmt(c, depth),
            6 => self.loop_stmt(c, depth),
            7 => self.exit_stmt(c),
            8 => self.return_stmt(c),
            9 => self.try_stmt(c, depth),
            10 => self.print_stmt(c),
            11 => self.call_stmt(c),
            12 => self.swap(c),
            13 => self.list_update_reload(c),
            14 => self.kernel_stmt(c),
            _ => self.assign(c),
        }
    }

    pub(super) fn assign(&mut self, c: &Ctx) {
        let targets = self.vars_where(c, |v| v.mutable && matches!(v.kind, Kind::Int | Kind::Num | Kind::Float));
        if targets.is_empty() {
            return self.emit(c.indent, "pass");
        }
        let v = self.rng.pick(&targets);
        let n = &v.name;
        let text = match v.kind {
            Kind::Int => match self.below(7) {
                0 | 1 => {
                    let e = self.int_expr(c, 2);
                    format!("{n} = {}", self.fit(e, STORE_BITS).s)
                }
                2 => {
                    let e = self.int_expr(c, 2);
                    let op = if self.chance(60) { "+=" } else { "-=" };
                    format!("{n} {op} {}", self.fit(e, ACC_BITS).s)
                }
                3 => {
                    // The overflow pattern of hashes and LCGs: crosses 2**63 and comes back.
                    let big = if self.jit { "4294967311" } else { "2**32 + 15" };
                    let k = self.rng.pick(&["3", "31", "-7", big, "6364136223846793005", "1103515245"]);
                    let e = self.int_leaf(c);
                    let m = self.modulus(STORE_BITS);
                    format!("{n} = ({n} * {k} + {}) % {}", e.at(11), m.at(12))
                }
                4 => {
                    let dv = self.int_divisor(c);
                    let op = if self.chance(50) { "//=" } else { "%=" };
                    format!("{n} {op} {}", dv.s)
                }
                5 => {
                    let e = self.int_expr(c, 1);
                    let e = self.fit(e, STORE_BITS);
                    match self.below(4) {
                        0 => format!("{n} ^= {}", e.s),
                        1 => format!("{n} &= {}", e.s),
                        2 => format!("{n} |= {}", e.s),
                        _ if self.jit => format!("{n} ^= {}", self.rng.range(1, 5)),
                        _ => format!("{n} >>= {}", self.rng.range(1, 5)),
                    }
                }
                _ => {
                    let e = self.int_expr(c, 3);
                    format!("{n} = {}", self.fit(e, STORE_BITS).s)
                }
            },
            Kind::Num => match self.below(9) {
                0 | 1 => {
                    let e = self.num_expr(c, 2);
                    format!("{n} = {}", self.fit(e, STORE_BITS).s)
                }
                2 => {
                    let e = self.num_expr(c, 2);
                    let op = if self.chance(60) { "+=" } else { "-=" };
                    format!("{n} {op} {}", self.fit(e, ACC_BITS).s)
                }
                3 | 4 => self.type_flip(c, n),
                5 => {
                    // A bool in a number variable (bool arithmetic: `BoolToInt` in traces).
                    let e = if self.strict { self.num_expr(c, 1) } else { self.cond(c, 1) };
                    format!("{n} = {}", self.fit(e, STORE_BITS).s)
                }
                6 => {
                    let dv = self.num_divisor(c);
                    let op = if self.strict { "/=" } else { self.rng.pick(&["/=", "//=", "%="]) };
                    format!("{n} {op} {}", dv.s)
                }
                7 => {
                    let k = self.rng.pick(&["0.5", "-1", "1.5", "-0.75", "True", "1"]);
                    let k = if self.strict && k == "True" { "2" } else { k };
                    format!("{n} *= {k}")
                }
                _ => {
                    let e = self.num_expr(c, 3);
                    format!("{n} = {}", self.fit(e, STORE_BITS).s)
                }
            },
            _ => match self.below(6) {
                0 | 1 => format!("{n} = {}", self.float_expr(c, 2).s),
                2 => {
                    let e = self.num_expr(c, 2);
                    let op = if self.chance(60) { "+=" } else { "-=" };
                    format!("{n} {op} {}", e.s)
                }
                3 => {
                    let k = self.rng.pick(&["0.5", "1.5", "-1.25", "0.999", "1.0001", "-0.5", "2"]);
                    format!("{n} *= {k}")
                }
                4 => {
                    let dv = self.num_divisor(c);
                    let op = if self.strict { "/=" } else { self.rng.pick(&["/=", "//=", "%="]) };
                    format!("{n} {op} {}", dv.s)
                }
                _ => {
                    let e = self.num_expr(c, 1);
                    format!("{n} = {n} * 0.5 + {}", e.at(11))
                }
            },
        };
        self.emit(c.indent, &text);
    }

    /// An assignment that changes the type of a `Num` variable.
    fn type_flip(&mut self, c: &Ctx, n: &str) -> String {
        let mut pick = self.below(9);
        if self.jit && (matches!(pick, 1 | 2 | 4) || (self.strict && matches!(pick, 3 | 6))) && !self.rare_ok() {
            pick = if self.strict { self.rng.pick(&[0, 5, 7, 8]) } else { self.rng.pick(&[0, 3, 5, 6, 7, 8]) };
        }
        match pick {
            0 => format!("{n} = {n} + 0.5"),
            1 => format!("{n} = float({n})"),
            2 => format!("{n} = int({n}) if -1e9 < {n} < 1e9 else {}", self.rng.range(-3, 3)),
            3 => {
                let e = self.int_leaf(c);
                format!("{n} = {} % {} == 0", e.at(11), self.rng.range(2, 4))
            }
            4 => format!("{n} = not {n}"),
            5 => format!("{n} = {n} * 1.5"),
            6 => format!("{n} = {n} // 1"),
            7 => format!("{n} = -{n}"),
            _ => {
                let e = self.int_leaf(c);
                format!("{n} = {}", self.fit(e, STORE_BITS).s)
            }
        }
    }

    fn list_store(&mut self, c: &Ctx) {
        let lists = self.lists(c);
        let l = self.rng.pick(&lists);
        let n = if let Kind::List(n) = l.kind { n } else { 0 };
        let idx = self.index(c, &l.name, n);
        let text = match self.below(6) {
            0 | 1 => {
                let e = self.num_expr(c, 2);
                format!("{}[{idx}] = {}", l.name, self.fit(e, STORE_BITS).s)
            }
            2 => {
                let e = self.num_expr(c, 2);
                let op = if self.chance(60) { "+=" } else { "-=" };
                format!("{}[{idx}] {op} {}", l.name, self.fit(e, ACC_BITS).s)
            }
            3 => {
                let k = self.rng.pick(&["0.5", "-1", "1.5", if self.strict { "3" } else { "True" }]);
                format!("{}[{idx}] *= {k}", l.name)
            }
            4 => {
                let e = if self.strict { self.num_expr(c, 1) } else { self.cond(c, 1) };
                format!("{}[{idx}] = {}", l.name, self.fit(e, STORE_BITS).s)
            }
            _ => {
                let j = self.index(c, &l.name, n);
                format!("{0}[{idx}], {0}[{j}] = {0}[{j}], {0}[{idx}]", l.name)
            }
        };
        self.emit(c.indent, &text);
    }

    /// An element updated in place, then read again (by the same or an aliasing index) in the
    /// same iteration: what load/store forwarding and CSE across the loop edge get wrong.
    fn list_update_reload(&mut self, c: &Ctx) {
        let lists: Vec<Var> = self.lists(c).into_iter().filter(|l| l.kind != Kind::List(0)).collect();
        let nums = self.vars_where(c, |v| v.mutable && v.kind == Kind::Num);
        if lists.is_empty() || nums.is_empty() {
            return self.list_store(c);
        }
        let l = self.rng.pick(&lists);
        let Kind::List(n) = l.kind else { unreachable!() };
        let k = self.rng.range(0, n as i64 - 1);
        let spell = |g: &mut Gen, k: i64| if g.chance(50) { k.to_string() } else { (k - n as i64).to_string() };
        let (i1, i2) = (spell(self, k), spell(self, k));
        let e = self.num_expr(c, 1);
        let op = self.rng.pick(&["+=", "-=", "*="]);
        let e = if op == "*=" { float_const_ex(self.rng.pick(&["0.5", "-1.0", "1.5"])) } else { self.fit(e, ACC_BITS) };
        self.emit(c.indent, &format!("{}[{i1}] {op} {}", l.name, e.s));
        let v = self.rng.pick(&nums);
        let e2 = self.num_leaf(c);
        let sum = Ex::new(format!("{}[{i2}] + {}", l.name, e2.at(11)), Ty::Num, READ_BITS + 1, 10);
        let sum = self.fit(sum, STORE_BITS);
        self.emit(c.indent, &format!("{} = {}", v.name, sum.s));
    }

    /// Length-preserving list operations.
    fn list_shuffle(&mut self, c: &Ctx) {
        let lists = self.lists(c);
        let l = self.rng.pick(&lists);
        let name = &l.name;
        let n = if let Kind::List(n) = l.kind { n as i64 } else { 1 };
        match self.below(5) {
            0 => self.emit(c.indent, &format!("{name}.append({name}.pop(0))")),
            1 => self.emit(c.indent, &format!("{name}.insert(0, {name}.pop())")),
            2 => self.emit(c.indent, &format!("{name}.reverse()")),
            3 => {
                let e = self.num_expr(c, 1);
                let e = self.fit(e, STORE_BITS);
                self.emit(c.indent, &format!("{name}.append({})", e.s));
                let k = self.rng.range(-n - 1, n);
                self.emit(c.indent, &format!("{name}.pop({k})"));
            }
            _ => {
                let e = self.num_expr(c, 1);
                let e = self.fit(e, STORE_BITS);
                let k = self.rng.range(-n, n);
                self.emit(c.indent, &format!("{name}.insert({k}, {})", e.s));
                self.emit(c.indent, &format!("{name}.pop()"));
            }
        }
    }

    fn grow_append(&mut self, c: &Ctx) {
        let gs = self.vars_where(c, |v| v.kind == Kind::Grow);
        let g = self.rng.pick(&gs);
        let e = self.num_expr(c, 2);
        let e = self.fit(e, STORE_BITS);
        self.emit(c.indent, &format!("{}.append({})", g.name, e.s));
    }

    fn big_stmt(&mut self, c: &Ctx) {
        let bs = self.vars_where(c, |v| v.kind == Kind::Big && v.mutable);
        let b = self.rng.pick(&bs).name;
        let mult = c.mult as f64;
        match self.below(6) {
            0 | 1 => {
                let k = self.rng.pick(&[3i64, 5, 7, -3, 10, 1 << 20]);
                let gain = mult * (k.unsigned_abs() as f64).log10() + 1.0;
                if gain <= self.big_digits {
                    self.big_digits -= gain;
                    let e = self.int_leaf(c);
                    self.emit(c.indent, &format!("{b} = {b} * {k} + {}", e.at(11)));
                } else {
                    self.emit(c.indent, &format!("{b} += 2**62"));
                }
            }
            2 => {
                let e = self.int_expr(c, 1);
                let e = self.fit(e, ACC_BITS);
                let op = if self.chance(60) { "+=" } else { "-=" };
                self.emit(c.indent, &format!("{b} {op} {}", e.s));
            }
            3 => {
                let m = self.modulus(STORE_BITS);
                let k = self.rng.range(64, 200);
                self.emit(c.indent, &format!("if {b} > 2**{k}:"));
                self.emit(c.indent + 1, &format!("{b} = {b} % {}", m.at(12)));
            }
            4 => {
                let k = self.rng.pick(&["3", "-7", "2**40", "1000003"]);
                self.emit(c.indent, &format!("{b} //= {k}"));
            }
            _ => self.emit(c.indent, &format!("{b} += 2**62")),
        }
    }

    fn if_stmt(&mut self, c: &Ctx, depth: u32) {
        let inner = Ctx { indent: c.indent + 1, ..c.clone() };
        let cond = self.cond(c, 2);
        self.emit(c.indent, &format!("if {}:", cond.s));
        self.block(&inner, depth - 1, 1, 3);
        for _ in 0..self.below(3) {
            if self.lines.len() >= self.cap {
                break;
            }
            let cond = self.cond(c, 1);
            self.emit(c.indent, &format!("elif {}:", cond.s));
            self.block(&inner, depth - 1, 1, 2);
        }
        if self.chance(50) {
            self.emit(c.indent, "else:");
            self.block(&inner, depth - 1, 1, 2);
        }
    }

    fn print_stmt(&mut self, c: &Ctx) {
        let mut args: Vec<String> = Vec::new();
        for _ in 0..self.rng.range(1, 3) {
            let printable: Vec<Var> = c.vars.iter().filter(|v| v.kind != Kind::Grow).cloned().collect();
            let a = if !printable.is_empty() && self.chance(50) {
                let v = self.rng.pick(&printable);
                if v.kind == Kind::Big { format!("{} % 10**12", v.name) } else { v.name }
            } else if !c.ctrs.is_empty() && self.chance(30) {
                self.rng.pick(&c.ctrs).name
            } else {
                self.num_expr(c, 1).s
            };
            args.push(a);
        }
        let tail = match self.below(6) {
            0 => ", sep=', '",
            1 => ", end=' |\\n'",
            _ => "",
        };
        let call = format!("print({}{tail})", args.join(", "));
        if c.mult <= 16 {
            self.emit(c.indent, &call);
        } else if let (Some((ctr, trips)), true) = (&c.print_ctr, c.outer_mult <= 16) {
            let p = (c.outer_mult * trips).div_ceil(16).max(1);
            let r = self.below(p);
            self.emit(c.indent, &format!("if {ctr} % {p} == {r}:"));
            self.emit(c.indent + 1, &call);
        } else {
            self.assign(c);
        }
    }

    fn call_stmt(&mut self, c: &Ctx) {
        match self.call(c) {
            Some(e) => self.emit(c.indent, &e.s),
            None => self.assign(c),
        }
    }

    fn swap(&mut self, c: &Ctx) {
        for kind in [Kind::Num, Kind::Int, Kind::Float] {
            let vs = self.vars_where(c, |v| v.mutable && v.kind == kind);
            if vs.len() >= 2 {
                let a = self.rng.pick(&vs).name;
                let b = self.rng.pick(&vs).name;
                if a != b {
                    return self.emit(c.indent, &format!("{a}, {b} = {b}, {a}"));
                }
            }
        }
        self.assign(c)
    }
}
