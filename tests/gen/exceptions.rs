//! `impl Gen`: exceptions — `try`/`except` around statements and loops (`try_stmt`), what a
//! handler does (`handler_stmt`), and the risky statements a `try` catches: `ZeroDivisionError`,
//! `IndexError`, `ValueError`/`OverflowError` (`risky_stmt`, `num_target`, `risky_call`), the
//! first also raised by hand (`raise ZeroDivisionError(...)`).
//!
//! Emits lines; changes no generator state of its own beyond what the statements it calls do.

use super::*;

impl Gen {
    pub(super) fn try_stmt(&mut self, c: &Ctx, depth: u32) {
        let mut mask = 0;
        if self.chance(60) {
            mask |= ZDE;
        }
        if self.chance(40) && !self.lists(c).is_empty() {
            mask |= IE;
        }
        // `int()` is a call of a global: rare in friendly loops.
        if !self.strict && self.chance(if self.jit { 3 } else { 20 }) {
            mask |= VE;
        }
        if mask == 0 {
            mask = if self.jit { ZDE } else { VE };
        }
        self.emit(c.indent, "try:");
        let body = Ctx { indent: c.indent + 1, risky: c.risky | mask, ..c.clone() };
        let n = self.rng.range(1, 3);
        let forced = self.rng.range(0, n - 1);
        for k in 0..n {
            if k == forced {
                self.risky_stmt(&body, mask);
            } else if self.lines.len() < self.cap {
                self.stmt(&body, depth - 1);
            }
        }
        let handler = Ctx { indent: c.indent + 1, ..c.clone() };
        let mut names: Vec<&str> = Vec::new();
        if mask & ZDE != 0 {
            names.push("ZeroDivisionError");
        }
        if mask & IE != 0 {
            names.push("IndexError");
        }
        if mask & VE != 0 {
            names.push("(ValueError, OverflowError)");
        }
        if names.len() > 1 && self.chance(30) {
            let all: Vec<&str> = names.iter().map(|s| s.trim_matches(|ch| ch == '(' || ch == ')')).collect();
            self.emit(c.indent, &format!("except ({}):", all.join(", ")));
            self.handler_stmt(&handler);
        } else {
            for name in names {
                self.emit(c.indent, &format!("except {name}:"));
                self.handler_stmt(&handler);
            }
        }
    }

    fn handler_stmt(&mut self, c: &Ctx) {
        match self.below(6) {
            0 => self.emit(c.indent, "pass"),
            1 if c.loop_depth > 0 => {
                let s = if self.chance(60) { "continue" } else { "break" };
                self.emit(c.indent, s);
            }
            2 if c.can_print && c.mult <= 16 => {
                let e = self.num_leaf(c);
                self.emit(c.indent, &format!("print('caught', {})", e.s));
            }
            3 => {
                let vs = self.vars_where(c, |v| v.mutable && v.kind == Kind::Num);
                if vs.is_empty() {
                    return self.emit(c.indent, "pass");
                }
                let v = self.rng.pick(&vs);
                let k = self.num_const_text();
                self.emit(c.indent, &format!("{} = {k}", v.name));
            }
            _ => self.assign(c),
        }
    }

    /// A statement that may raise one of the exceptions in `mask`.
    fn risky_stmt(&mut self, c: &Ctx, mask: u8) {
        let bits: Vec<u8> = [ZDE, IE, VE].into_iter().filter(|b| mask & b != 0).collect();
        let which = self.rng.pick(&bits);
        let nums = self.vars_where(c, |v| v.mutable && v.kind == Kind::Num);
        let ints = self.vars_where(c, |v| v.mutable && v.kind == Kind::Int);
        if which == ZDE && self.chance(35) {
            // Raised by hand in a hot loop's body (a side trace ends at the raise).
            let dv = self.risky_int_divisor(c);
            let shown = self.num_leaf(c);
            self.emit(c.indent, &format!("if {} == 0:", dv.at(11)));
            self.emit(c.indent + 1, &format!("raise ZeroDivisionError('raised at ' + str({}))", shown.s));
            return;
        }
        let text = match which {
            ZDE => {
                if let Some(call) = self.risky_call(c) {
                    let target = self.num_target(c, &nums);
                    format!("{target} = {}", call.s)
                } else if !ints.is_empty() && self.chance(40) {
                    let v = self.rng.pick(&ints);
                    let a = self.int_expr(c, 1);
                    let dv = self.risky_int_divisor(c);
                    let op = if self.chance(50) { "//" } else { "%" };
                    let e = Ex::new(format!("{} {op} {}", a.at(11), dv.at(12)), Ty::Int, a.bits, 11);
                    format!("{} = {}", v.name, self.fit(e, STORE_BITS).s)
                } else {
                    let target = self.num_target(c, &nums);
                    let a = self.num_expr(c, 1);
                    let dv = self.risky_num_divisor(c);
                    let op = self.rng.pick(&["/", "//", "%"]);
                    let bits = a.bits.max(dv.bits);
                    let e = Ex::new(format!("{} {op} {}", a.at(11), dv.at(12)), arith(a.ty, dv.ty), bits, 11);
                    format!("{target} = {}", self.fit(e, STORE_BITS).s)
                }
            }
            IE => {
                let lists = self.lists(c);
                let l = self.rng.pick(&lists);
                let n = if let Kind::List(n) = l.kind { n } else { 0 };
                let idx = self.risky_index(c, n);
                if self.chance(40) {
                    let e = self.num_expr(c, 1);
                    format!("{}[{idx}] = {}", l.name, self.fit(e, STORE_BITS).s)
                } else {
                    let target = self.num_target(c, &nums);
                    let e = self.num_expr(c, 1);
                    let sum =
                        Ex::new(format!("{}[{idx}] + {}", l.name, e.at(11)), Ty::Num, READ_BITS.max(e.bits) + 1, 10);
                    format!("{target} = {}", self.fit(sum, STORE_BITS).s)
                }
            }
            _ => {
                let e = self.risky_int_conv(c);
                if !ints.is_empty() && self.chance(50) {
                    format!("{} = {}", self.rng.pick(&ints).name, e.s)
                } else {
                    let target = self.num_target(c, &nums);
                    format!("{target} = {}", e.s)
                }
            }
        };
        self.emit(c.indent, &text);
    }

    /// Where a risky Num result goes: a Num variable, or an element of a list.
    fn num_target(&mut self, c: &Ctx, nums: &[Var]) -> String {
        let lists = self.lists(c);
        if !nums.is_empty() && (lists.is_empty() || self.chance(70)) {
            return self.rng.pick(nums).name;
        }
        if lists.is_empty() {
            // Every scope has a Num variable or a list; a print is a harmless fallback.
            return "_".to_string();
        }
        let l = self.rng.pick(&lists);
        let n = if let Kind::List(n) = l.kind { n } else { 0 };
        let idx = self.index(c, &l.name, n);
        format!("{}[{idx}]", l.name)
    }

    fn risky_call(&mut self, c: &Ctx) -> Option<Ex> {
        let any = (0..c.callable).any(|k| self.helpers[k].risky);
        if !any || self.chance(50) {
            return None;
        }
        // `call` may pick a safe helper too: fine.
        self.call(c)
    }
}
