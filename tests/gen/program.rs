//! `impl Gen`: the whole program — its layout (`program`: helpers, work function and kernel,
//! globals, `main()` or module-level code, the final prints), the declaration of its variables
//! (`declare`, `list_init`), the top-level scope (`top_ctx`), and the prints of every variable
//! at the end (`print_vars`).
//!
//! Emits lines and assembles the program's text; sets `uncaught` (once, first) and `cap`.

use super::*;

impl Gen {
    pub(super) fn list_init(&mut self) -> (String, u32) {
        let n = self.rng.range(3, 8) as u32;
        let text = match self.below(6) {
            0 => format!("[0] * {n}"),
            1 => format!("[k * 0.5 - 1 for k in range({n})]"),
            2 if self.strict => format!("[k * k - 5 for k in range({n})]"),
            2 => format!("[k % 3 == 0 for k in range({n})]"),
            3 => format!("list(range(-2, {}))", n as i64 - 2),
            _ => {
                let elems: Vec<String> = (0..n).map(|_| self.num_const_text()).collect();
                format!("[{}]", elems.join(", "))
            }
        };
        (text, n)
    }

    fn top_ctx(&self, vars: Vec<Var>) -> Ctx {
        Ctx {
            vars,
            ctrs: Vec::new(),
            loop_depth: 0,
            max_loop_depth: 3,
            mult: 1,
            print_ctr: None,
            outer_mult: 1,
            risky: 0,
            ret: Ret::Top,
            indent: 0,
            callable: self.helpers.len(),
            can_print: true,
        }
    }

    /// Declares variables at `indent`: the full set (`full`), or one int, one number and one list.
    fn declare(&mut self, indent: usize, full: bool) -> Vec<Var> {
        let mut vars = Vec::new();
        for _ in 0..if full { self.rng.range(1, 2) } else { 1 } {
            let name = self.fresh("a");
            let e = self.int_const();
            self.emit(indent, &format!("{name} = {}", e.s));
            vars.push(Var { name, kind: Kind::Int, mutable: true });
        }
        for _ in 0..if full { self.rng.range(1, 2) } else { 1 } {
            let name = self.fresh("n");
            let e = self.num_const_text();
            self.emit(indent, &format!("{name} = {e}"));
            vars.push(Var { name, kind: Kind::Num, mutable: true });
        }
        if full && self.chance(70) {
            let name = self.fresh("f");
            let e = self.float_const();
            self.emit(indent, &format!("{name} = {}", e.s));
            vars.push(Var { name, kind: Kind::Float, mutable: true });
        }
        for _ in 0..if full { self.rng.range(1, 2) } else { 1 } {
            let name = self.fresh("L");
            let (text, n) = self.list_init();
            self.emit(indent, &format!("{name} = {text}"));
            vars.push(Var { name: name.clone(), kind: Kind::List(n), mutable: true });
            if full && self.chance(15) {
                let alias = self.fresh("M");
                self.emit(indent, &format!("{alias} = {name}"));
                vars.push(Var { name: alias, kind: Kind::List(n), mutable: false });
            }
        }
        if full && self.chance(50) {
            let name = self.fresh("G");
            self.emit(indent, &format!("{name} = []"));
            vars.push(Var { name, kind: Kind::Grow, mutable: true });
        }
        if full && self.chance(50) {
            let name = self.fresh("B");
            let init = self.rng.pick(&["1", "2**64", "-3", "7**20", "-2**63"]);
            self.emit(indent, &format!("{name} = {init}"));
            vars.push(Var { name, kind: Kind::Big, mutable: true });
        }
        vars
    }

    /// Prints every variable of `vars` (lists one per line, scalars together) at `indent`.
    fn print_vars(&mut self, vars: &[Var], indent: usize) {
        let mut scalars = Vec::new();
        for v in vars {
            match v.kind {
                Kind::Int | Kind::Num | Kind::Float | Kind::Big => scalars.push(v.name.clone()),
                Kind::List(_) => self.emit(indent, &format!("print({})", v.name)),
                Kind::Grow => self.emit(indent, &format!("print(len({0}), {0}[:3], {0}[-3:], sum({0}))", v.name)),
            }
        }
        if !scalars.is_empty() {
            self.emit(indent, &format!("print({})", scalars.join(", ")));
        }
    }

    pub(super) fn program(&mut self, seed: u64) -> String {
        self.uncaught = self.chance(8);
        // Most programs keep their variables in `main()` (a choice from when module-level loops
        // aborted on globals; the JIT now compiles them too), but some stay at the module level.
        let in_main = self.chance(85);
        // Globals first (functions may read them), placed after the functions.
        let globals = self.declare(0, !in_main);
        let global_lines = std::mem::take(&mut self.lines);

        let mut out = vec![format!("# toyjit differential test, seed {seed}")];
        for _ in 0..self.below(3) {
            self.helper();
        }
        let mut calls = Vec::new();
        if self.chance(50) {
            calls = self.work(&globals);
        }
        // Kernels do not count against the program's line limit.
        let before_kernel = self.lines.len();
        if self.chance(KERNEL_PERCENT) {
            calls.extend(self.kernel());
        }
        let kernel_lines = self.lines.len() - before_kernel;
        out.append(&mut self.lines);
        out.extend(global_lines);

        if in_main {
            self.emit(0, "def main():");
            let locals = self.declare(1, true);
            let mut vars = self.seen_globals(&globals);
            vars.extend(locals.iter().cloned());
            let c = Ctx { indent: 1, ..self.top_ctx(vars) };
            self.cap = (MAX_LINES + kernel_lines).saturating_sub(out.len() + calls.len() + 6);
            self.loop_stmt(&c, 3);
            self.block(&c, 3, 1, 3);
            if self.lines.len() + 6 < self.cap {
                self.loop_stmt(&c, 2);
            }
            self.print_vars(&locals, 1);
            self.emit(0, "main()");
        } else {
            self.cap = (MAX_LINES + kernel_lines).saturating_sub(out.len() + calls.len() + 3);
            let c = self.top_ctx(globals.clone());
            self.loop_stmt(&c, 3);
            self.block(&c, 3, 1, 4);
        }
        out.append(&mut self.lines);
        out.extend(calls);
        self.print_vars(&globals, 0);
        out.append(&mut self.lines);
        // Recursion, loops in called functions, functions as values, first: drawn from a
        // generator of their own (and added last), so the rest is what this seed always gave.
        out.splice(1..1, calls::section(seed));
        let mut text = out.join("\n");
        text.push('\n');
        text
    }
}
