//! `impl Gen`: typed expressions built from the leaves — int, number and float expressions
//! (`int_expr`, `num_expr`, `float_expr`), conditions (`cond`), and divisors, safe and risky
//! (`int_divisor`, `num_divisor`, `risky_int_divisor`, `risky_num_divisor`, `risky_int_conv`).
//!
//! Every expression keeps a bound on the bits of its int value; risky operations appear only
//! where the scope catches their error (`Ctx::risky`) or the program may raise (`uncaught`).
//! Reads the scope and the generator's flags, draws from `rng`; emits no lines.

use super::*;

impl Gen {
    pub(super) fn int_divisor(&mut self, c: &Ctx) -> Ex {
        if (c.risky & ZDE != 0 && self.chance(40)) || self.stray_risk() {
            return self.risky_int_divisor(c);
        }
        match self.below(5) {
            0 | 1 => {
                let v = self.rng.pick(&[-7, -3, -2, -1, 1, 2, 3, 4, 5, 7, 10, 16]);
                lit(v)
            }
            2 => {
                let e = self.int_leaf(c);
                let k = self.rng.range(2, 9);
                Ex::new(format!("({} % {k} + 1)", e.at(11)), Ty::Int, 4, 14)
            }
            3 => {
                let e = self.int_leaf(c);
                let k = self.rng.range(2, 9);
                Ex::new(format!("-({} % {k} + 1)", e.at(11)), Ty::Int, 4, 12)
            }
            _ => {
                let (s, b, p) = self.rng.pick(&[
                    (if self.jit { "4294967296" } else { "2**32" }, 33, 13),
                    ("-1000003", 20, 12),
                    ("9223372036854775783", 63, 14),
                    (if self.jit { "(-9223372036854775807 - 1)" } else { "-2**63" }, 64, 12),
                ]);
                Ex::new(s, Ty::Int, b, p)
            }
        }
    }

    pub(super) fn risky_int_divisor(&mut self, c: &Ctx) -> Ex {
        let e = self.int_leaf(c);
        match self.below(3) {
            0 => {
                let k = self.rng.range(2, 5);
                let r = self.rng.range(0, k - 1);
                Ex::new(format!("({} % {k} - {r})", e.at(11)), Ty::Int, 4, 14)
            }
            1 => Ex::new(format!("({} & 3)", e.at(9)), Ty::Int, 2, 14),
            _ => e,
        }
    }

    pub(super) fn num_divisor(&mut self, c: &Ctx) -> Ex {
        if (c.risky & ZDE != 0 && self.chance(40)) || self.stray_risk() {
            return self.risky_num_divisor(c);
        }
        match self.below(5) {
            0 | 1 => self.int_divisor(c),
            2 => float_const_ex(self.rng.pick(FLOAT_DIVS)),
            3 if self.strict => self.int_divisor(c),
            3 => {
                let e = self.num_leaf(c);
                let k = self.rng.range(2, 9);
                let neg = if self.chance(30) { "-" } else { "" };
                Ex::new(
                    format!("{neg}({} % {k} + 1)", e.at(11)),
                    arith(e.ty, Ty::Int),
                    4,
                    if neg.is_empty() { 14 } else { 12 },
                )
            }
            _ if self.jit => float_const_ex(self.rng.pick(FLOAT_DIVS)),
            _ => {
                let e = self.float_leaf(c);
                Ex::new(format!("({} % 4.0 + 0.5)", e.at(11)), Ty::Float, 0, 14)
            }
        }
    }

    pub(super) fn risky_num_divisor(&mut self, c: &Ctx) -> Ex {
        match self.below(4) {
            0 => self.risky_int_divisor(c),
            1 => {
                let e = self.int_leaf(c);
                let k = self.rng.range(2, 4);
                let r = self.rng.range(0, k - 1);
                Ex::new(format!("({} % {k} - {r}) * 0.5", e.at(11)), Ty::Float, 0, 11)
            }
            _ => {
                let vs = self.vars_where(c, |v| matches!(v.kind, Kind::Num | Kind::Float | Kind::Int));
                if vs.is_empty() {
                    return self.risky_int_divisor(c);
                }
                let v = self.rng.pick(&vs);
                let ty = match v.kind {
                    Kind::Int => Ty::Int,
                    Kind::Float => Ty::Float,
                    _ => Ty::Num,
                };
                Ex::new(v.name, ty, READ_BITS, 14)
            }
        }
    }

    pub(super) fn int_expr(&mut self, c: &Ctx, depth: u32) -> Ex {
        if depth == 0 || self.chance(25) {
            return self.int_leaf(c);
        }
        let d = depth - 1;
        let mut pick = self.below(21);
        if self.jit && matches!(pick, 13 | 15 | 17..=20) && !self.rare_ok() {
            pick = self.below(13);
        }
        match pick {
            0..=4 => self.int_addsub(c, d),
            5..=7 => {
                let a = self.int_expr(c, d);
                let b = self.int_expr(c, d);
                if a.bits + b.bits > MAX_BITS {
                    return self.int_addsub(c, d);
                }
                Ex::new(format!("{} * {}", a.at(11), b.at(12)), Ty::Int, a.bits + b.bits, 11)
            }
            8..=10 => {
                let a = self.int_expr(c, d);
                let dv = self.int_divisor(c);
                if self.chance(50) {
                    Ex::new(format!("{} // {}", a.at(11), dv.at(12)), Ty::Int, a.bits, 11)
                } else {
                    Ex::new(format!("{} % {}", a.at(11), dv.at(12)), Ty::Int, dv.bits, 11)
                }
            }
            11 | 12 => {
                let a = self.int_expr(c, d);
                let b = self.int_expr(c, d);
                let (op, p) = self.rng.pick(&[("&", 8), ("|", 6), ("^", 7)]);
                Ex::new(format!("{} {op} {}", a.at(p), b.at(p + 1)), Ty::Int, a.bits.max(b.bits) + 1, p)
            }
            13 => {
                let a = self.int_expr(c, d);
                let k = self.rng.range(1, 8) as u32;
                if self.chance(50) && a.bits + k <= MAX_BITS {
                    Ex::new(format!("{} << {k}", a.at(9)), Ty::Int, a.bits + k, 9)
                } else {
                    Ex::new(format!("{} >> {k}", a.at(9)), Ty::Int, a.bits, 9)
                }
            }
            14 => {
                let a = self.int_expr(c, d);
                let op = if self.jit || self.chance(60) { "-" } else { "~" };
                Ex::new(format!("{op}{}", a.at(12)), Ty::Int, a.bits + 1, 12)
            }
            15 => {
                let a = self.int_expr(c, d);
                match self.below(3) {
                    0 => Ex::new(format!("abs({})", a.s), Ty::Int, a.bits, 14),
                    1 => {
                        let b = self.int_expr(c, d);
                        Ex::new(format!("min({}, {})", a.s, b.s), Ty::Int, a.bits.max(b.bits), 14)
                    }
                    _ => {
                        let b = self.int_expr(c, d);
                        let e = self.int_leaf(c);
                        let bits = a.bits.max(b.bits).max(e.bits);
                        Ex::new(format!("max({}, {}, {})", a.s, b.s, e.s), Ty::Int, bits, 14)
                    }
                }
            }
            16 => {
                let a = self.int_expr(c, d);
                let cond = self.cond(c, d);
                let b = self.int_expr(c, d);
                Ex::new(format!("{} if {} else {}", a.at(2), cond.at(2), b.at(1)), Ty::Int, a.bits.max(b.bits), 1)
            }
            17 => {
                // A guarded float-to-int conversion: never raises, result below 2**30.
                let f = if self.chance(50) { self.float_leaf(c) } else { self.num_leaf(c) };
                let k = self.rng.range(-5, 5);
                Ex::new(format!("int({}) if -1e9 < {} < 1e9 else {k}", f.s, f.at(6)), Ty::Int, 30, 1)
            }
            18 => {
                let a = self.int_leaf(c);
                let a = if a.bits > 60 { self.fit(a, 33) } else { a };
                let p = self.rng.range(2, 3) as u32;
                Ex::new(format!("{} ** {p}", a.at(14)), Ty::Int, a.bits * p, 13)
            }
            19 if c.risky & VE != 0 => self.risky_int_conv(c),
            _ => {
                // An int from a comparison chain or a boolean sum: True + True is 2.
                let a = self.cond(c, d);
                let a = as_bool(a);
                let b = self.int_leaf(c);
                Ex::new(format!("{} + {}", a.at(11), b.at(11)), Ty::Int, b.bits.max(1) + 1, 10)
            }
        }
    }

    fn int_addsub(&mut self, c: &Ctx, d: u32) -> Ex {
        let a = self.int_expr(c, d);
        let b = self.int_expr(c, d);
        let op = if self.chance(50) { "+" } else { "-" };
        Ex::new(format!("{} {op} {}", a.at(10), b.at(11)), Ty::Int, a.bits.max(b.bits) + 1, 10)
    }

    /// `int(F) % M`: ValueError for nan, OverflowError for inf.
    pub(super) fn risky_int_conv(&mut self, c: &Ctx) -> Ex {
        let f = self.float_expr(c, 1);
        let f = if self.chance(50) { Ex::new(format!("{} * 1e300", f.at(11)), Ty::Float, 0, 11) } else { f };
        let m = self.modulus(STORE_BITS);
        Ex::new(format!("int({}) % {}", f.s, m.at(12)), Ty::Int, m.bits, 11)
    }

    pub(super) fn num_expr(&mut self, c: &Ctx, depth: u32) -> Ex {
        if depth == 0 || self.chance(25) {
            return self.num_leaf(c);
        }
        let d = depth - 1;
        let mut pick = self.below(20);
        if self.jit && (pick == 10 || (self.strict && pick == 12)) && !self.rare_ok() {
            pick = self.below(6);
        }
        match pick {
            0..=5 => {
                let a = self.num_expr(c, d);
                let b = if self.chance(30) { self.int_expr(c, d) } else { self.num_expr(c, d) };
                let (a, b) = if self.chance(50) { (a, b) } else { (b, a) };
                let ty = arith(a.ty, b.ty);
                match self.below(3) {
                    0 if a.bits + b.bits <= MAX_BITS => {
                        Ex::new(format!("{} * {}", a.at(11), b.at(12)), ty, a.bits + b.bits, 11)
                    }
                    1 => Ex::new(format!("{} - {}", a.at(10), b.at(11)), ty, a.bits.max(b.bits) + 1, 10),
                    _ => Ex::new(format!("{} + {}", a.at(10), b.at(11)), ty, a.bits.max(b.bits) + 1, 10),
                }
            }
            6 | 7 if self.strict => {
                // Int operands only (float `//` and `%` aborted recordings before the recorder
                // compiled them).
                let a = self.int_expr(c, d);
                let dv = self.int_divisor(c);
                if self.chance(50) {
                    Ex::new(format!("{} // {}", a.at(11), dv.at(12)), Ty::Int, a.bits, 11)
                } else {
                    Ex::new(format!("{} % {}", a.at(11), dv.at(12)), Ty::Int, dv.bits, 11)
                }
            }
            6 | 7 => {
                let a = self.num_expr(c, d);
                // Mostly int divisors in friendly loops (a choice from before the recorder
                // compiled float `%` and `//`).
                let dv = if self.jit && self.chance(70) { self.int_divisor(c) } else { self.num_divisor(c) };
                let ty = arith(a.ty, dv.ty);
                if self.chance(50) {
                    Ex::new(format!("{} // {}", a.at(11), dv.at(12)), ty, a.bits, 11)
                } else {
                    Ex::new(format!("{} % {}", a.at(11), dv.at(12)), ty, dv.bits, 11)
                }
            }
            8 => {
                let a = self.num_expr(c, d);
                let dv = self.num_divisor(c);
                Ex::new(format!("{} / {}", a.at(11), dv.at(12)), Ty::Float, 0, 11)
            }
            9 => {
                let a = self.num_expr(c, d);
                if self.jit || self.chance(60) {
                    Ex::new(format!("-{}", a.at(12)), unary(a.ty), a.bits, 12)
                } else {
                    Ex::new(format!("abs({})", a.s), unary(a.ty), a.bits, 14)
                }
            }
            10 => {
                let a = self.num_expr(c, d);
                let b = self.num_expr(c, d);
                let f = if self.chance(50) { "min" } else { "max" };
                Ex::new(format!("{f}({}, {})", a.s, b.s), join(a.ty, b.ty), a.bits.max(b.bits), 14)
            }
            11 => {
                let a = self.num_expr(c, d);
                let cond = self.cond(c, d);
                let b = self.num_expr(c, d);
                Ex::new(
                    format!("{} if {} else {}", a.at(2), cond.at(2), b.at(1)),
                    join(a.ty, b.ty),
                    a.bits.max(b.bits),
                    1,
                )
            }
            12 => self.cond(c, d),
            13..=15 => self.int_expr(c, depth),
            _ => self.float_expr(c, depth),
        }
    }

    pub(super) fn float_expr(&mut self, c: &Ctx, depth: u32) -> Ex {
        if depth == 0 || self.chance(30) {
            return self.float_leaf(c);
        }
        let d = depth - 1;
        let mut pick = self.below(10);
        if self.jit && matches!(pick, 5..=8) && !self.rare_ok() {
            pick = if self.chance(50) { 3 } else { 9 };
        }
        match pick {
            0..=2 => {
                let a = self.float_expr(c, d);
                let b = self.num_expr(c, d);
                let (a, b) = if self.chance(50) { (a, b) } else { (b, a) };
                let (op, p) = self.rng.pick(&[("+", 10), ("-", 10), ("*", 11)]);
                Ex::new(format!("{} {op} {}", a.at(p), b.at(p + 1)), Ty::Float, 0, p)
            }
            3 | 4 => {
                let a = self.num_expr(c, d);
                let dv = self.num_divisor(c);
                Ex::new(format!("{} / {}", a.at(11), dv.at(12)), Ty::Float, 0, 11)
            }
            5 => {
                let a = self.num_expr(c, d);
                Ex::new(format!("float({})", a.s), Ty::Float, 0, 14)
            }
            6 => {
                let a = self.float_expr(c, d);
                let dv = self.num_divisor(c);
                let op = if self.chance(50) { "//" } else { "%" };
                Ex::new(format!("{} {op} {}", a.at(11), dv.at(12)), Ty::Float, 0, 11)
            }
            7 => {
                let a = self.float_expr(c, d);
                if self.chance(50) {
                    Ex::new(format!("-{}", a.at(12)), Ty::Float, 0, 12)
                } else {
                    Ex::new(format!("abs({})", a.s), Ty::Float, 0, 14)
                }
            }
            8 => {
                let k = self.int_expr(c, d);
                let p = self.rng.range(1, 3);
                Ex::new(format!("({} % 5 + 1) ** -{p}", k.at(11)), Ty::Float, 0, 13)
            }
            _ => {
                let a = self.float_expr(c, d);
                let b = self.float_expr(c, d);
                let (op, p) = self.rng.pick(&[("+", 10), ("-", 10), ("*", 11)]);
                Ex::new(format!("{} {op} {}", a.at(p), b.at(p + 1)), Ty::Float, 0, p)
            }
        }
    }

    /// A condition (usually a bool; `and`/`or` and truthiness give one of the operands).
    pub(super) fn cond(&mut self, c: &Ctx, depth: u32) -> Ex {
        let d = depth.saturating_sub(1);
        let cmp = ["<", "<=", ">", ">=", "==", "!="];
        let mut pick = self.below(17);
        if self.jit && (matches!(pick, 8 | 11..=13) || (self.strict && pick == 10)) && !self.rare_ok() {
            pick = self.below(8);
        }
        match pick {
            0..=3 => {
                let ctr = c.ctrs.iter().rev().find(|ct| ct.ty == Ty::Int).map(|ct| ct.name.clone());
                let e = match ctr {
                    // Kernels: a branch that alternates as the loop runs.
                    Some(ctr) if self.strict && self.chance(70) => {
                        let x = self.int_leaf(c);
                        if self.chance(50) {
                            Ex::new(ctr, Ty::Int, 16, 14)
                        } else {
                            Ex::new(format!("{ctr} + {}", x.at(11)), Ty::Int, READ_BITS + 1, 10)
                        }
                    }
                    _ => self.int_leaf(c),
                };
                let k = self.rng.range(2, 7);
                let r = self.rng.range(0, k - 1);
                let op = if self.chance(75) { "==" } else { "!=" };
                Ex::new(format!("{} % {k} {op} {r}", e.at(11)), Ty::Bool, 1, 5)
            }
            4..=6 => {
                let a = self.num_expr(c, d);
                let b = self.num_expr(c, d);
                let op = self.rng.pick(&cmp);
                Ex::new(format!("{} {op} {}", a.at(6), b.at(6)), Ty::Bool, 1, 5)
            }
            7 => {
                let a = self.num_leaf(c);
                let b = self.num_expr(c, d);
                let e = self.num_leaf(c);
                let op1 = self.rng.pick(&cmp[..4]);
                let op2 = self.rng.pick(&cmp);
                Ex::new(format!("{} {op1} {} {op2} {}", a.at(6), b.at(6), e.at(6)), Ty::Bool, 1, 5)
            }
            8 if depth > 0 => {
                let a = self.cond(c, d);
                Ex::new(format!("not {}", a.at(4)), Ty::Bool, 1, 4)
            }
            9 if depth > 0 => {
                let a = self.cond(c, d);
                let b = self.cond(c, d);
                let ty = join(a.ty, b.ty);
                let bits = a.bits.max(b.bits);
                if self.chance(50) {
                    Ex::new(format!("{} and {}", a.at(4), b.at(4)), ty, bits, 3)
                } else {
                    Ex::new(format!("{} or {}", a.at(3), b.at(3)), ty, bits, 2)
                }
            }
            10 => {
                let vs = self.vars_where(c, |v| matches!(v.kind, Kind::Num | Kind::Float | Kind::Int));
                if vs.is_empty() {
                    return self.cond(c, 0);
                }
                let v = self.rng.pick(&vs);
                let ty = match v.kind {
                    Kind::Int => Ty::Int,
                    Kind::Float => Ty::Float,
                    _ => Ty::Num,
                };
                Ex::new(v.name, ty, READ_BITS, 14)
            }
            11 => {
                let a = self.num_leaf(c);
                let t = self.rng.pick(&["int", "float", "bool", "(int, bool)", "(float, bool)"]);
                Ex::new(format!("isinstance({}, {t})", a.s), Ty::Bool, 1, 14)
            }
            12 => {
                let lists: Vec<Var> = self.lists(c);
                if lists.is_empty() {
                    return self.cond(c, 0);
                }
                let l = self.rng.pick(&lists);
                let e = self.int_leaf(c);
                let op = if self.chance(70) { "in" } else { "not in" };
                Ex::new(format!("{} {op} {}", e.at(6), l.name), Ty::Bool, 1, 5)
            }
            13 => {
                let bigs = self.vars_where(c, |v| v.kind == Kind::Big);
                if bigs.is_empty() {
                    return self.cond(c, 0);
                }
                let b = self.rng.pick(&bigs);
                let e = self.num_expr(c, d);
                let op = self.rng.pick(&cmp);
                Ex::new(format!("{} {op} {}", b.name, e.at(6)), Ty::Bool, 1, 5)
            }
            _ => {
                let a = self.int_leaf(c);
                let b = self.float_leaf(c);
                let (a, b) = if self.chance(50) { (a, b) } else { (b, a) };
                let op = self.rng.pick(&cmp);
                Ex::new(format!("{} {op} {}", a.at(6), b.at(6)), Ty::Bool, 1, 5)
            }
        }
    }
}
