//! `impl Gen`: loops and the ways out of them — trip counts charged to the budget (`trips`),
//! `for`-range, `while` (int and float counters, `while True` with a `break`), `for` over lists
//! and tuples, JIT-friendly or not (`loop_stmt`, `loop_any`, `float_while`), the scope of a loop
//! body (`loop_ctx`), and `break`/`continue`/`return` under a condition (`exit_stmt`,
//! `return_stmt`).
//!
//! Emits lines; changes `budget`, `helper_cost` (in helpers), `jit` (restored after each
//! loop) and `nest` (a kernel's nest is taken by its first loop).

use super::*;

impl Gen {
    /// A trip count for a new loop here, charged to the budget.
    fn trips(&mut self, c: &Ctx, hint: Option<u64>) -> Option<u64> {
        if matches!(c.ret, Ret::Helper) {
            let t = hint.unwrap_or_else(|| self.rng.range(2, 10) as u64);
            self.helper_cost += t * c.mult;
            return Some(t);
        }
        let mut max = (self.budget / c.mult.max(1)).min(MAX_TRIPS);
        if c.loop_depth == 0 && matches!(c.ret, Ret::Top) {
            max = max.min(self.budget * 2 / 3);
        }
        let t = match hint {
            Some(t) => t,
            // Kernels: an outer loop of a nest leaves room for its inner loop; other loops
            // mostly get trip counts that make them hot in both JIT modes.
            None if self.strict && self.nest => self.rng.range(6, 60) as u64,
            None if self.strict => match self.below(10) {
                0 | 1 => self.rng.range(3, 12) as u64,
                2..=6 => self.rng.range(20, 120) as u64,
                _ => self.rng.range(121, 700) as u64,
            },
            None => match self.below(10) {
                0..=2 => self.rng.range(2, 12) as u64,
                3..=5 => self.rng.range(60, 160) as u64,
                _ => self.rng.range(161, MAX_TRIPS as i64) as u64,
            },
        };
        if max < 2 || (hint.is_some() && t > max) {
            return None;
        }
        let t = t.min(max);
        self.budget -= t * c.mult.max(1);
        Some(t)
    }

    /// A loop; most are JIT-friendly (see [`Gen::jit`]), inner loops of friendly ones even more.
    pub(super) fn loop_stmt(&mut self, c: &Ctx, depth: u32) {
        let saved = self.jit;
        self.jit = self.strict || self.chance(if saved { 85 } else { 65 });
        self.loop_any(c, depth);
        self.jit = saved;
    }

    fn loop_any(&mut self, c: &Ctx, depth: u32) {
        let lists: Vec<Var> = self.lists(c).into_iter().filter(|l| l.kind != Kind::List(0)).collect();
        let mut form = self.below(11);
        if self.jit && matches!(form, 8 | 9) {
            // Friendly loops do not iterate lists or tuples (`for` over a tuple aborts; over a
            // list the recorder now compiles it: a choice from before it did).
            form = self.below(8);
        }
        if self.strict && c.loop_depth > 0 && form < 5 && self.chance(60) {
            // Inner `while` loops: a side trace from the inner loop's exit runs the outer
            // loop's step and links back to the inner trace (a choice from before side traces
            // recorded `range()` calls; they do now, as Mandelbrot's `for x` shows).
            form = self.rng.range(5, 7) as u64;
        }
        let (trips, ctr, header, pre, step_line, print_ok) = match form {
            8 if !lists.is_empty() => {
                let l = self.rng.pick(&lists);
                let Kind::List(n) = l.kind else { unreachable!() };
                let Some(t) = self.trips(c, Some(n as u64)) else { return self.assign(c) };
                let e = self.fresh("e");
                let hdr = format!("for {e} in {}:", l.name);
                (t, Ctr { name: e, ty: Ty::Num, bits: READ_BITS }, hdr, None, None, false)
            }
            9 => {
                let elems: Vec<String> = (0..self.rng.range(2, 5)).map(|_| self.num_const_text()).collect();
                let Some(t) = self.trips(c, Some(elems.len() as u64)) else { return self.assign(c) };
                let e = self.fresh("e");
                let hdr = format!("for {e} in ({},):", elems.join(", "));
                (t, Ctr { name: e, ty: Ty::Num, bits: 65 }, hdr, None, None, false)
            }
            5..=7 => {
                let Some(t) = self.trips(c, None) else { return self.assign(c) };
                let w = self.fresh("w");
                let mut form = self.below(4);
                if self.strict && form == 1 && self.chance(70) {
                    // `while w > 0 and C` often never starts: kernels want hot loops.
                    form = 0;
                }
                let (pre, hdr, step) = match form {
                    0 => (format!("{w} = 0"), format!("while {w} < {t}:"), format!("{w} += 1")),
                    1 => {
                        let cond = self.cond(c, 1);
                        (format!("{w} = {t}"), format!("while {w} > 0 and {}:", cond.at(4)), format!("{w} -= 1"))
                    }
                    2 => (format!("{w} = 0"), "while True:".to_string(), format!("{w} += 1\nif {w} > {t}:\n    break")),
                    _ => {
                        let step = self.rng.pick(&["0.25", "0.5", "0.1"]);
                        let per: f64 = step.parse().unwrap_or(0.5);
                        let limit = (t as f64 - 1.0) * per;
                        return self.float_while(c, depth, t, &w, step, limit);
                    }
                };
                (t, Ctr { name: w, ty: Ty::Int, bits: 16 }, hdr, Some(pre), Some(step), true)
            }
            _ => {
                let Some(t) = self.trips(c, None) else { return self.assign(c) };
                let i = self.fresh("i");
                let (args, unit) = match self.below(6) {
                    0..=2 => (format!("{t}"), true),
                    3 => {
                        let a = self.rng.range(-50, 50);
                        (format!("{a}, {}", a + t as i64), true)
                    }
                    4 => {
                        let a = self.rng.range(-50, 50);
                        (format!("{a}, {}, -1", a - t as i64), true)
                    }
                    _ => {
                        let a = self.rng.range(-50, 50);
                        let s = self.rng.range(2, 5) * if self.chance(50) { 1 } else { -1 };
                        (format!("{a}, {}, {s}", a + s * t as i64), false)
                    }
                };
                let hdr = format!("for {i} in range({args}):");
                (t, Ctr { name: i, ty: Ty::Int, bits: 16 }, hdr, None, None, unit)
            }
        };
        if let Some(pre) = pre {
            self.emit(c.indent, &pre);
        }
        self.emit(c.indent, &header);
        if let Some(step) = step_line {
            for line in step.lines() {
                self.emit(c.indent + 1, line);
            }
        }
        let body = self.loop_ctx(c, ctr, trips, print_ok);
        if std::mem::take(&mut self.nest) && depth >= 2 {
            // A kernel's nest: the inner loop right in the outer loop's body.
            if self.chance(50) {
                self.stmt(&body, depth - 1);
            }
            self.loop_stmt(&body, depth - 1);
            self.block(&body, depth - 1, 1, 2);
        } else {
            self.block(&body, depth - 1, 2, 5);
        }
    }

    fn loop_ctx(&self, c: &Ctx, ctr: Ctr, trips: u64, print_ok: bool) -> Ctx {
        let mut body = c.clone();
        body.indent += 1;
        body.loop_depth += 1;
        body.outer_mult = c.mult;
        body.mult = c.mult * trips;
        body.print_ctr = if print_ok { Some((ctr.name.clone(), trips)) } else { None };
        body.ctrs.push(ctr);
        body
    }

    fn float_while(&mut self, c: &Ctx, depth: u32, trips: u64, w: &str, step: &str, limit: f64) {
        self.emit(c.indent, &format!("{w} = 0.0"));
        self.emit(c.indent, &format!("while {w} < {limit:?}:"));
        self.emit(c.indent + 1, &format!("{w} += {step}"));
        // One more trip than planned, for rounding with step 0.1.
        self.budget = self.budget.saturating_sub(c.mult);
        let body = self.loop_ctx(c, Ctr { name: w.to_string(), ty: Ty::Float, bits: 0 }, trips + 1, false);
        self.block(&body, depth - 1, 2, 4);
    }

    pub(super) fn exit_stmt(&mut self, c: &Ctx) {
        let cond = if self.chance(40) {
            match c.ctrs.last() {
                Some(ct) if ct.ty == Ty::Int => Ex::new(
                    format!("{} {} {}", ct.name, self.rng.pick(&["==", ">", "<"]), self.rng.range(-20, 200)),
                    Ty::Bool,
                    1,
                    5,
                ),
                _ => self.cond(c, 1),
            }
        } else {
            self.cond(c, 1)
        };
        self.emit(c.indent, &format!("if {}:", cond.s));
        let exit = if self.chance(50) { "break" } else { "continue" };
        self.emit(c.indent + 1, exit);
    }

    pub(super) fn return_stmt(&mut self, c: &Ctx) {
        let cond = self.cond(c, 1);
        self.emit(c.indent, &format!("if {}:", cond.s));
        let value = match &c.ret {
            Ret::Work(tuple) => tuple.clone(),
            _ => {
                let e = self.num_expr(c, 2);
                self.fit(e, STORE_BITS).s
            }
        };
        self.emit(c.indent + 1, &format!("return {value}"));
    }
}
