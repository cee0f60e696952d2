//! `impl Gen`: the functions a program defines besides its kernel — small helpers `h0`, `h1`,
//! ... called from loops, some of which raise (`helper`: a division by zero, or first the same
//! error raised by hand), and a "work" function with its own
//! locals and loops that returns them as a tuple (`work`, `declare_local`, `list_local`), with
//! the globals a function may read (`seen_globals`).
//!
//! Emits the functions' lines; registers helpers in `helpers`, sets `cap` for each function
//! body, and gives a work function a share of the budget (charging what it spends).

use std::fmt::Write as _;

use super::*;

impl Gen {
    pub(super) fn helper(&mut self) {
        let idx = self.helpers.len();
        let name = format!("h{idx}");
        let mut params = Vec::new();
        let mut vars = Vec::new();
        let mut names = Vec::new();
        if self.chance(30) {
            params.push(PKind::List);
            names.push("xs".to_string());
            vars.push(Var { name: "xs".into(), kind: Kind::List(0), mutable: true });
        }
        for _ in 0..self.rng.range(1, 2) {
            let p = self.fresh("p");
            let kind = if self.chance(50) { PKind::Int } else { PKind::Num };
            params.push(kind);
            names.push(p.clone());
            vars.push(Var { name: p, kind: if kind == PKind::Int { Kind::Int } else { Kind::Num }, mutable: true });
        }
        let required = if self.chance(30) { params.len() - 1 } else { params.len() };
        let mut sig = names.clone();
        if required < params.len() {
            let last = sig.last_mut().expect("a helper has a parameter");
            let _ = write!(last, "={}", self.rng.range(-3, 9));
        }
        let risky = self.chance(20);
        self.emit(0, &format!("def {name}({}):", sig.join(", ")));
        let t = self.fresh("t");
        let mut c = Ctx {
            vars,
            ctrs: Vec::new(),
            loop_depth: 0,
            max_loop_depth: 1,
            mult: 1,
            print_ctr: None,
            outer_mult: 1,
            risky: if risky { ZDE } else { 0 },
            ret: Ret::Helper,
            indent: 1,
            callable: 0,
            can_print: false,
        };
        let init = self.num_expr(&c, 1);
        let init = self.fit(init, STORE_BITS);
        self.emit(1, &format!("{t} = {}", init.s));
        c.vars.push(Var { name: t, kind: Kind::Num, mutable: true });
        self.helper_cost = 0;
        self.cap = self.lines.len() + 5;
        self.block(&c, 2, 1, 2);
        let e = if risky {
            let a = self.num_expr(&c, 1);
            let dv = self.risky_num_divisor(&c);
            if self.chance(40) {
                // The same error raised by hand first: a side trace ends at the raise.
                self.emit(1, &format!("if {} == 0:", dv.at(11)));
                self.emit(2, &format!("raise ZeroDivisionError('{name} gave up on ' + str({}))", a.s));
            }
            Ex::new(format!("{} // {}", a.at(11), dv.at(12)), arith(a.ty, dv.ty), a.bits, 11)
        } else {
            self.num_expr(&c, 2)
        };
        let e = self.fit(e, STORE_BITS);
        self.emit(1, &format!("return {}", e.s));
        let cost = 1 + self.helper_cost;
        self.helpers.push(Helper { name, params, required, cost, risky });
    }

    /// Declares a function local (`prefix` plus a fresh number) as `make` says: its initial
    /// value's text and its kind.
    pub(super) fn declare_local(
        &mut self,
        vars: &mut Vec<Var>,
        locals: &mut Vec<String>,
        prefix: &str,
        make: impl FnOnce(&mut Gen) -> (String, Kind),
    ) {
        let name = self.fresh(prefix);
        let (text, kind) = make(self);
        self.emit(1, &format!("{name} = {text}"));
        vars.push(Var { name: name.clone(), kind, mutable: true });
        locals.push(name);
    }

    /// A list local's initial value and kind.
    pub(super) fn list_local(&mut self) -> (String, Kind) {
        let (text, len) = self.list_init();
        (text, Kind::List(len))
    }

    /// A function with its own locals and loops, called from the top level; returns a tuple.
    pub(super) fn work(&mut self, globals: &[Var]) -> Vec<String> {
        let name = self.fresh("run");
        let calls = self.rng.range(1, 2) as u64;
        let pa = self.fresh("p");
        let pn = self.fresh("p");
        self.emit(0, &format!("def {name}({pa}, {pn}):"));
        let mut vars = self.seen_globals(globals);
        let mut locals = Vec::new();
        self.declare_local(&mut vars, &mut locals, "a", |_| (pa.clone(), Kind::Int));
        self.declare_local(&mut vars, &mut locals, "n", |_| (pn.clone(), Kind::Num));
        if self.chance(60) {
            self.declare_local(&mut vars, &mut locals, "f", |g| (g.float_const().s, Kind::Float));
        }
        if self.chance(50) {
            self.declare_local(&mut vars, &mut locals, "xs", Gen::list_local);
        }
        let tuple = format!("({})", locals.join(", "));
        let c = function_ctx(vars, calls, &tuple, self.helpers.len(), true);
        self.cap = self.lines.len() + 14;
        let budget_before = self.budget;
        self.budget = self.budget * 2 / 5;
        let spent_limit = self.budget;
        self.loop_stmt(&c, 3);
        self.block(&c, 3, 0, 2);
        let spent = spent_limit - self.budget;
        self.budget = budget_before - spent;
        self.emit(1, &format!("return {tuple}"));
        (0..calls)
            .map(|_| {
                let x = self.int_const();
                let y = self.num_const_text();
                format!("print('{name}', {name}({}, {y}))", x.s)
            })
            .collect()
    }

    /// The globals a function reads (in a fifth of the functions: a choice from when the JIT
    /// aborted on globals; it now compiles number and list globals).
    pub(super) fn seen_globals(&mut self, globals: &[Var]) -> Vec<Var> {
        if self.chance(80) {
            return Vec::new();
        }
        globals.iter().map(|v| Var { mutable: matches!(v.kind, Kind::List(_) | Kind::Grow), ..v.clone() }).collect()
    }
}
