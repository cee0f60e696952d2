//! `impl Gen`: the leaves of expressions — int, float and number constants (`int_const`,
//! `float_const`, `num_const_text`), reductions of an int under a bound (`modulus`, `fit`),
//! reads of variables, loop counters and list elements (`int_leaf`, `float_leaf`, `num_leaf`,
//! `list_read`), list indices, safe and risky (`index`, `risky_index`), and calls of helper
//! functions (`call`).
//!
//! Reads the scope (`Ctx`) and the generator's flags (`jit`, `strict`, `uncaught`), draws from
//! `rng`; the only state it changes is the budget (charged by `call`). Emits no lines.

use super::*;

impl Gen {
    pub(super) fn int_const(&mut self) -> Ex {
        match self.below(14) {
            0..=5 => {
                let v = self.rng.range(-9, 20);
                lit(v)
            }
            6 if self.jit => Ex::new("4611686018427387904", Ty::Int, 63, 14),
            6 => Ex::new("2**62", Ty::Int, 63, 13),
            7 if self.jit => Ex::new("9223372036854775807", Ty::Int, 63, 14),
            7 => Ex::new("(2**63 - 1)", Ty::Int, 63, 14),
            8 if self.jit => Ex::new("(-9223372036854775807 - 1)", Ty::Int, 64, 14),
            8 => Ex::new("-2**63", Ty::Int, 64, 12),
            9 => Ex::new("0x7fffffffffffffff", Ty::Int, 63, 14),
            10 => Ex::new("1_000_003", Ty::Int, 20, 14),
            11 => Ex::new("4611686018427387904", Ty::Int, 63, 14),
            12 => Ex::new("0b1011", Ty::Int, 4, 14),
            _ => {
                let v = self.rng.range(-300, 300);
                lit(v)
            }
        }
    }

    pub(super) fn float_const(&mut self) -> Ex {
        let s = self.rng.pick(FLOATS);
        float_const_ex(s)
    }

    pub(super) fn num_const_text(&mut self) -> String {
        match self.below(4) {
            0 => self.float_const().s,
            1 if self.strict => self.float_const().s,
            1 => (if self.chance(50) { "True" } else { "False" }).to_string(),
            _ => self.int_const().s,
        }
    }

    pub(super) fn modulus(&mut self, limit: u32) -> Ex {
        let jit = self.jit;
        // In friendly loops: nothing beyond 64 bits (big ints abort recordings), and no `**` (a
        // choice from before the recorder compiled `**`).
        let ok: Vec<_> = MODULI.iter().filter(|m| m.1 <= limit && !(jit && (m.0.contains('*') || m.1 > 63))).collect();
        let (s, bits, prec) = *self.rng.pick(&ok);
        Ex::new(s, Ty::Int, bits, prec)
    }

    /// `e`, reduced with `% M` if its int value may exceed `limit` bits.
    pub(super) fn fit(&mut self, e: Ex, limit: u32) -> Ex {
        // Kernels keep ints within 64 bits (big ints in lists or variables abort recordings;
        // kernels overflow on purpose elsewhere), and increments small.
        let limit = if self.strict { limit.min(if limit == ACC_BITS { 40 } else { 63 }) } else { limit };
        if e.ty == Ty::Float || e.bits <= limit {
            return e;
        }
        if self.strict && e.ty != Ty::Int {
            // A number of unknown type is clamped rather than reduced with a float `%` (which
            // aborted recordings before the recorder compiled `ModFloat`).
            let k = self.rng.range(-3, 3);
            let m = "1000000000000000";
            return Ex::new(format!("{0} if -{m} < {0} < {m} else {k}", e.at(6)), Ty::Num, 50, 1);
        }
        let m = self.modulus(limit);
        Ex::new(format!("{} % {}", e.at(11), m.at(12)), arith(e.ty, Ty::Int), m.bits, 11)
    }

    pub(super) fn vars_where(&self, c: &Ctx, f: impl Fn(&Var) -> bool) -> Vec<Var> {
        c.vars.iter().filter(|v| f(v)).cloned().collect()
    }

    pub(super) fn lists(&self, c: &Ctx) -> Vec<Var> {
        self.vars_where(c, |v| matches!(v.kind, Kind::List(_)))
    }

    pub(super) fn int_leaf(&mut self, c: &Ctx) -> Ex {
        let mut opts: Vec<Ex> = Vec::new();
        for v in &c.vars {
            match v.kind {
                Kind::Int => {
                    opts.push(Ex::new(&v.name, Ty::Int, READ_BITS, 14));
                    opts.push(Ex::new(&v.name, Ty::Int, READ_BITS, 14));
                }
                _ if self.jit && !self.rare_ok() => {}
                Kind::List(_) => opts.push(Ex::new(format!("len({})", v.name), Ty::Int, 8, 14)),
                Kind::Grow => opts.push(Ex::new(format!("len({})", v.name), Ty::Int, 17, 14)),
                Kind::Big => {
                    let m = self.modulus(65);
                    opts.push(Ex::new(format!("{} % {}", v.name, m.at(12)), Ty::Int, m.bits, 11));
                }
                _ => {}
            }
        }
        for ct in &c.ctrs {
            if ct.ty == Ty::Int {
                for _ in 0..3 {
                    opts.push(Ex::new(&ct.name, Ty::Int, ct.bits, 14));
                }
            }
        }
        if opts.is_empty() || self.chance(25) {
            return self.int_const();
        }
        self.rng.pick(&opts)
    }

    pub(super) fn float_leaf(&mut self, c: &Ctx) -> Ex {
        let mut opts: Vec<Ex> = Vec::new();
        for v in &c.vars {
            if v.kind == Kind::Float {
                opts.push(Ex::new(&v.name, Ty::Float, 0, 14));
            }
        }
        for ct in &c.ctrs {
            if ct.ty == Ty::Float {
                opts.push(Ex::new(&ct.name, Ty::Float, 0, 14));
            }
        }
        if opts.is_empty() || self.chance(30) {
            return self.float_const();
        }
        self.rng.pick(&opts)
    }

    pub(super) fn num_leaf(&mut self, c: &Ctx) -> Ex {
        match self.below(12) {
            0..=2 => return self.int_leaf(c),
            3 => {
                return if self.strict || self.chance(70) {
                    self.float_const()
                } else {
                    Ex::new(if self.chance(50) { "True" } else { "False" }, Ty::Bool, 1, 14)
                };
            }
            4 => return self.float_leaf(c),
            5 if !self.jit || self.rare_ok() => {
                if let Some(call) = self.call(c) {
                    return call;
                }
            }
            _ => {}
        }
        // Variables, loop elements, list elements.
        let mut opts: Vec<Ex> = Vec::new();
        for v in &c.vars {
            match v.kind {
                Kind::Num => {
                    for _ in 0..3 {
                        opts.push(Ex::new(&v.name, Ty::Num, READ_BITS, 14));
                    }
                }
                Kind::Float => opts.push(Ex::new(&v.name, Ty::Float, 0, 14)),
                Kind::Int => opts.push(Ex::new(&v.name, Ty::Int, READ_BITS, 14)),
                Kind::Grow if !self.jit => {
                    opts.push(Ex::new(format!("({}[-1] if {} else 0)", v.name, v.name), Ty::Num, READ_BITS, 14))
                }
                _ => {}
            }
        }
        for ct in &c.ctrs {
            opts.push(Ex::new(&ct.name, ct.ty, ct.bits, 14));
        }
        let lists = self.lists(c);
        if !lists.is_empty() && (opts.is_empty() || self.chance(if self.jit { 50 } else { 35 })) {
            let l = self.rng.pick(&lists);
            return self.list_read(c, &l);
        }
        if opts.is_empty() {
            return self.int_const();
        }
        self.rng.pick(&opts)
    }

    fn list_read(&mut self, c: &Ctx, l: &Var) -> Ex {
        let n = if let Kind::List(n) = l.kind { n } else { 0 };
        let idx = self.index(c, &l.name, n);
        Ex::new(format!("{}[{idx}]", l.name), Ty::Num, READ_BITS, 14)
    }

    /// An index into list `name` of length `n` (0: unknown): safe, unless risky here.
    pub(super) fn index(&mut self, c: &Ctx, name: &str, n: u32) -> String {
        if (c.risky & IE != 0 && self.chance(35)) || self.stray_risk() {
            return self.risky_index(c, n);
        }
        let len = if n == 0 { format!("len({name})") } else { n.to_string() };
        if self.jit && n > 0 && self.chance(50) {
            // A few hot elements, reached by different spellings (`0` and `-n`, `-1` and `n-1`,
            // `i % n`): stores and reloads of one element in one iteration, for load/store
            // forwarding and CSE across the loop edge.
            let ctr = c.ctrs.iter().rev().find(|ct| ct.ty == Ty::Int).map(|ct| ct.name.clone());
            return match (self.below(6), ctr) {
                (0 | 1, _) => "0".to_string(),
                (2, _) => format!("-{n}"),
                (3, _) => "-1".to_string(),
                (4, _) => (n - 1).to_string(),
                (_, Some(ctr)) => format!("{ctr} % {n}"),
                (_, None) => "0".to_string(),
            };
        }
        match self.below(7) {
            0 if n > 0 => self.rng.range(-(n as i64), n as i64 - 1).to_string(),
            1 => (if self.chance(50) { "-1" } else { "0" }).to_string(),
            2 | 3 => {
                let e = self.int_leaf(c);
                format!("{} % {len}", e.at(11))
            }
            4 => {
                let e = self.int_leaf(c);
                format!("-1 - {} % {len}", e.at(11))
            }
            5 => {
                let e = self.int_leaf(c);
                format!("{} % {len} - {len}", e.at(11))
            }
            _ => {
                let e = self.int_expr(c, 1);
                format!("{} % {len}", e.at(11))
            }
        }
    }

    /// An index that is sometimes out of range (IndexError).
    pub(super) fn risky_index(&mut self, c: &Ctx, n: u32) -> String {
        let e = self.int_leaf(c);
        match self.below(4) {
            0 => format!("{} % {}", e.at(11), n.max(1) + 2),
            1 => format!("{} - {}", e.at(10), self.rng.range(0, 12)),
            2 => format!("-{}", e.at(12)),
            _ => e.s,
        }
    }

    /// A call of a helper, if one may be called here (budget, risk).
    pub(super) fn call(&mut self, c: &Ctx) -> Option<Ex> {
        let has_list = !self.lists(c).iter().all(|l| l.kind == Kind::List(0));
        let budget = self.budget;
        let cands: Vec<usize> = (0..c.callable)
            .filter(|&k| {
                let h = &self.helpers[k];
                (!h.risky || c.risky & ZDE != 0 || self.uncaught)
                    && h.cost * c.mult <= budget / 3
                    && (has_list || !h.params.contains(&PKind::List))
            })
            .collect();
        if cands.is_empty() {
            return None;
        }
        let k = self.rng.pick(&cands);
        let (name, params, required, cost) = {
            let h = &self.helpers[k];
            (h.name.clone(), h.params.clone(), h.required, h.cost)
        };
        if !matches!(c.ret, Ret::Helper) {
            self.budget -= cost * c.mult;
        }
        let nargs = self.rng.range(required as i64, params.len() as i64) as usize;
        let mut args = Vec::new();
        for p in &params[..nargs] {
            let a = match p {
                PKind::Int => {
                    let e = self.int_expr(c, 1);
                    self.fit(e, READ_BITS).s
                }
                PKind::Num => {
                    let e = self.num_expr(c, 1);
                    self.fit(e, READ_BITS).s
                }
                PKind::List => {
                    let ls: Vec<Var> = self.lists(c).into_iter().filter(|l| l.kind != Kind::List(0)).collect();
                    self.rng.pick(&ls).name
                }
            };
            args.push(a);
        }
        Some(Ex::new(format!("{name}({})", args.join(", ")), Ty::Num, STORE_BITS, 14))
    }
}
