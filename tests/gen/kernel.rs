//! `impl Gen`: the kernel (see [`Gen::kernel`] and the module doc): a function over int, float
//! and list locals whose loops the recorder compiles, built to grow side traces, with the small
//! numeric functions it calls (`kernel_callee`) and the statements typical of its loops
//! (`kernel_stmt`).
//!
//! Emits the kernel's lines; sets `jit` and `strict` while generating it (restored after), gives
//! it a budget of its own (`KERNEL_BUDGET`, the program's budget restored after), sets `nest`
//! for its first loop, and registers callees in `callees`.

use super::*;

impl Gen {
    /// A small numeric function for kernels to call (the JIT inlines it): a branch on its
    /// arguments (both directions hot), a local assigned on each path, in some an int turning
    /// into a float, a default argument, or a call of the previous one (nested inlining).
    fn kernel_callee(&mut self) {
        let name = self.fresh("q");
        let (x, y, t) = (self.fresh("x"), self.fresh("y"), self.fresh("t"));
        let has_default = self.chance(40);
        let takes_list = self.chance(30);
        let xs = self.fresh("xs");
        let mut sig = if has_default { format!("{x}, {y}={}", self.rng.range(1, 9)) } else { format!("{x}, {y}") };
        if takes_list {
            sig = format!("{xs}, {sig}");
        }
        self.emit(0, &format!("def {name}({sig}):"));
        if takes_list {
            // A list passed along: read (its ends exist: kernel lists are never empty).
            let end = self.rng.pick(&["0", "-1"]);
            self.emit(1, &format!("{x} = {x} + {xs}[{end}]"));
        }
        let (k1, k2) = (self.rng.range(2, 9), self.rng.range(1, 4));
        let op = self.rng.pick(&["<", ">", "<=", ">="]);
        self.emit(1, &format!("if {x} {op} {y} * {k2}:"));
        self.emit(2, &format!("{t} = {x} * {k1} + {y}"));
        self.emit(1, "else:");
        self.emit(2, &format!("{t} = {x} - {y} * {k2}"));
        if self.chance(50) {
            self.emit(1, &format!("if {t} > 100000 or {t} < -100000:"));
            self.emit(2, &format!("{t} = {t} / 1000"));
        }
        match self.callees.last().cloned() {
            Some((previous, _, previous_takes_list)) if self.chance(50) && (takes_list || !previous_takes_list) => {
                let list = if previous_takes_list { format!("{xs}, ") } else { String::new() };
                self.emit(1, &format!("return {previous}({list}{t}, {x})"))
            }
            _ => self.emit(1, &format!("return {t}")),
        }
        self.callees.push((name, has_default, takes_list));
    }

    /// A kernel: a function over int, float and list locals only, whose loops (nested, with
    /// data-dependent branches and breaks, type changes and int overflow) the recorder compiles
    /// without aborting, so that hot exits grow side traces. Called once or twice from the top
    /// level (the second time often with a float where the first passed an int).
    pub(super) fn kernel(&mut self) -> Vec<String> {
        if self.chance(60) {
            for _ in 0..self.rng.range(1, 2) {
                self.kernel_callee();
            }
        }
        let name = self.fresh("k");
        let calls = self.rng.range(1, 2) as u64;
        let (saved_jit, saved_strict) = (self.jit, self.strict);
        self.jit = true;
        self.strict = true;
        let pa = self.fresh("p");
        let pn = self.fresh("p");
        self.emit(0, &format!("def {name}({pa}, {pn}):"));
        let mut vars = Vec::new();
        let mut locals = Vec::new();
        self.declare_local(&mut vars, &mut locals, "a", |_| (pa.clone(), Kind::Int));
        if self.chance(50) {
            self.declare_local(&mut vars, &mut locals, "a", |g| (g.int_const().s, Kind::Int));
        }
        self.declare_local(&mut vars, &mut locals, "n", |_| (pn.clone(), Kind::Num));
        if self.chance(75) {
            self.declare_local(&mut vars, &mut locals, "f", |g| (g.float_const().s, Kind::Float));
        }
        if self.chance(80) {
            self.declare_local(&mut vars, &mut locals, "xs", Gen::list_local);
        }
        let tuple = format!("({})", locals.join(", "));
        let c = function_ctx(vars, calls, &tuple, 0, false);
        self.cap = self.lines.len() + 22;
        // Kernels have a budget of their own (they run fast: compiled).
        let budget_before = self.budget;
        self.budget = KERNEL_BUDGET;
        self.nest = self.chance(80);
        self.loop_stmt(&c, 3);
        self.nest = false;
        if self.chance(40) && self.lines.len() + 6 < self.cap {
            self.loop_stmt(&c, 2);
        }
        self.budget = budget_before;
        self.emit(1, &format!("return {tuple}"));
        self.jit = saved_jit;
        self.strict = saved_strict;
        (0..calls)
            .map(|k| {
                let x = self.int_const();
                let y = if k == 1 && self.chance(60) { self.float_const() } else { self.int_const() };
                format!("print('{name}', {name}({}, {}))", x.s, y.s)
            })
            .collect()
    }

    /// Statements typical of numeric kernels (only in kernel loops): a hash that overflows 64
    /// bits and is brought back, a number variable turning from int to float (and back) after
    /// some iterations, a break on list data, a float accumulation, an alternating `if`/`else`.
    pub(super) fn kernel_stmt(&mut self, c: &Ctx) {
        let ints = self.vars_where(c, |v| v.mutable && v.kind == Kind::Int);
        let nums = self.vars_where(c, |v| v.mutable && v.kind == Kind::Num);
        let floats = self.vars_where(c, |v| v.mutable && v.kind == Kind::Float);
        let lists: Vec<Var> = self.lists(c).into_iter().filter(|l| l.kind != Kind::List(0)).collect();
        let ctr = c.ctrs.iter().rev().find(|ct| ct.ty == Ty::Int).map(|ct| ct.name.clone());
        let ind = c.indent;
        let callable: Vec<(String, bool, bool)> =
            self.callees.iter().filter(|callee| !callee.2 || !lists.is_empty()).cloned().collect();
        if !nums.is_empty() && !callable.is_empty() && self.chance(40) {
            // A call the JIT inlines; the result is clamped (it may grow past 64 bits).
            let v = self.rng.pick(&nums).name;
            let (callee, has_default, takes_list) = self.rng.pick(&callable);
            let a = self.num_leaf(c);
            let mut args = if has_default && self.chance(50) {
                a.s
            } else {
                let b = self.int_leaf(c);
                format!("{}, {}", a.s, b.s)
            };
            if takes_list {
                args = format!("{}, {args}", self.rng.pick(&lists).name);
            }
            let k = self.rng.range(-3, 3);
            self.emit(ind, &format!("{v} = {callee}({args})"));
            self.emit(ind, &format!("if {v} > 1000000000000000 or {v} < -1000000000000000:"));
            self.emit(ind + 1, &format!("{v} = {k}"));
            return;
        }
        match self.below(6) {
            0 if !ints.is_empty() => {
                // Crosses 2**63 for large multipliers (the trace exits, the interpreter goes on
                // with a big int until the reduction); stays small and branches otherwise.
                let v = self.rng.pick(&ints).name;
                let k = self.rng.pick(&["3", "31", "-7", "1103515245", "6364136223846793005"]);
                let e = self.int_leaf(c);
                let limit = self.rng.pick(&["4611686018427387904", "9223372036854775807", "1000000007", "65536"]);
                let m = self.modulus(63);
                self.emit(ind, &format!("{v} = {v} * {k} + {}", e.at(11)));
                self.emit(ind, &format!("if {v} > {limit} or {v} < -{limit}:"));
                self.emit(ind + 1, &format!("{v} = {v} % {}", m.at(12)));
            }
            1 if !nums.is_empty() => {
                // Int to float once the loop is hot (a type guard fails), or back to an int.
                let v = self.rng.pick(&nums).name;
                let cond = match (&c.print_ctr, self.below(3)) {
                    (Some((name, trips)), 0 | 1) => {
                        let k = self.rng.range(0, (*trips as i64 - 1).max(0));
                        format!("{name} == {k}")
                    }
                    _ => {
                        let e = self.int_leaf(c);
                        let k = self.rng.range(3, 40);
                        let r = self.rng.range(0, k - 1);
                        format!("{} % {k} == {r}", e.at(11))
                    }
                };
                self.emit(ind, &format!("if {cond}:"));
                let text = match self.below(5) {
                    0 => format!("{v} = {v} + 0.5"),
                    1 => format!("{v} = {v} * 1.5"),
                    2 => format!("{v} = {v} / 4"),
                    _ => {
                        let e = self.int_expr(c, 1);
                        format!("{v} = {}", self.fit(e, STORE_BITS).s)
                    }
                };
                self.emit(ind + 1, &text);
            }
            2 if !lists.is_empty() && c.loop_depth > 0 => {
                // A data-dependent exit: when it is taken depends on what the loop stored.
                let l = self.rng.pick(&lists);
                let Kind::List(n) = l.kind else { unreachable!() };
                let idx = self.index(c, &l.name, n);
                let e = self.num_expr(c, 1);
                let op = self.rng.pick(&["<", ">", ">=", "=="]);
                self.emit(ind, &format!("if {}[{idx}] {op} {}:", l.name, e.at(6)));
                let exit = if self.chance(70) { "break" } else { "continue" };
                self.emit(ind + 1, exit);
            }
            3 if !floats.is_empty() => {
                let f = self.rng.pick(&floats).name;
                let e = self.num_leaf(c);
                let k = self.rng.pick(&["0.5", "0.25", "0.999", "-0.5"]);
                self.emit(ind, &format!("{f} = {f} * {k} + {}", e.at(11)));
            }
            _ => {
                // Alternates with the data: each direction is hot.
                let e = match &ctr {
                    Some(ctr) if self.chance(60) => {
                        let x = self.int_leaf(c);
                        Ex::new(format!("{ctr} + {}", x.at(11)), Ty::Int, READ_BITS + 1, 10)
                    }
                    _ => self.int_leaf(c),
                };
                let k = self.rng.range(2, 5);
                let r = self.rng.range(0, k - 1);
                self.emit(ind, &format!("if {} % {k} == {r}:", e.at(11)));
                let inner = Ctx { indent: ind + 1, ..c.clone() };
                self.assign(&inner);
                self.emit(ind, "else:");
                self.assign(&inner);
            }
        }
    }
}
