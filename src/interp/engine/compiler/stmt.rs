//! Statement compilation: assignment, control flow, loops (with their headers), functions,
//! `try`/`except`/`finally` (protected regions; `return`/`break`/`continue` run pending
//! `finally` bodies inline), `raise`, `assert`, `import`, `del`.

use crate::parser::ast::{BinOp, ExceptHandler, Expr, ExprKind, Span, Stmt, StmtKind};

use super::{CompileResult, Compiler, FnBuilder, FunctionBody, LoopContext, Place, ScopeKind, syntax_error};
use crate::interp::engine::bytecode::{ConstIdx, Count, Instr, Reg};

impl<'a> Compiler<'a> {
    pub(super) fn block<'s>(&mut self, b: &mut FnBuilder<'s>, body: &'s [Stmt]) -> CompileResult<()> {
        for stmt in body {
            self.stmt(b, stmt)?;
        }
        Ok(())
    }

    fn stmt<'s>(&mut self, b: &mut FnBuilder<'s>, stmt: &'s Stmt) -> CompileResult<()> {
        self.enter(stmt.span)?;
        b.at = self.at(stmt.span);
        let mark = b.next_temp;
        let result = self.stmt_kind(b, stmt);
        b.free_to(mark);
        self.leave();
        result
    }

    fn stmt_kind<'s>(&mut self, b: &mut FnBuilder<'s>, stmt: &'s Stmt) -> CompileResult<()> {
        match &stmt.kind {
            StmtKind::Expr(e) => {
                let r = self.expr(b, e)?;
                if self.options.echo_expressions && b.kind == ScopeKind::Module {
                    b.emit(Instr::DisplayValue { src: r });
                }
            }
            StmtKind::Assign { targets, value } => {
                if let [target] = targets.as_slice() {
                    self.assign_expr(b, target, value)?;
                } else {
                    let r = self.expr(b, value)?;
                    for target in targets {
                        self.assign(b, target, r)?;
                    }
                }
            }
            StmtKind::AugAssign { target, op, value } => self.aug_assign(b, target, *op, value)?,
            StmtKind::If { test, body, orelse } if orelse.is_empty() && self.is_plain_loop_exit(b, body) => {
                // `if test: break` / `if test: continue` is one conditional jump.
                let jumps = self.jump_if(b, test, true)?;
                let context = b.loops.last_mut().expect("checked by is_plain_loop_exit");
                match body[0].kind {
                    StmtKind::Break => context.break_jumps.extend(jumps),
                    _ if context.continue_target == u32::MAX => context.continue_jumps.extend(jumps),
                    _ => {
                        let target = context.continue_target;
                        for at in jumps {
                            b.patch(at, target);
                        }
                    }
                }
            }
            StmtKind::If { test, body, orelse } => {
                let to_else = self.jump_if(b, test, false)?;
                b.enter_conditional();
                self.block(b, body)?;
                let then_assigned = b.leave_conditional();
                if orelse.is_empty() {
                    b.patch_here(&to_else);
                } else {
                    let to_end = b.emit(Instr::Jump { target: super::Label(0) });
                    b.patch_here(&to_else);
                    b.enter_conditional();
                    self.block(b, orelse)?;
                    let else_assigned = b.leave_conditional();
                    b.patch_here(&[to_end]);
                    for name in then_assigned.intersection(&else_assigned) {
                        b.mark_assigned(name);
                    }
                }
            }
            StmtKind::While { test, body, orelse } => self.while_loop(b, test, body, orelse)?,
            StmtKind::For { target, iter, body, orelse } => self.for_loop(b, target, iter, body, orelse)?,
            StmtKind::Break => {
                let Some(regions_at_entry) = b.loops.last().map(|l| l.regions_at_entry) else {
                    return Err(syntax_error("'break' outside loop", stmt.span));
                };
                let left = self.exit_regions(b, regions_at_entry)?;
                let jump = b.emit(Instr::Jump { target: super::Label(0) });
                b.loops.last_mut().expect("in a loop").break_jumps.push(jump);
                b.reenter_regions(left);
            }
            StmtKind::Continue => {
                let Some((target, regions_at_entry)) = b.loops.last().map(|l| (l.continue_target, l.regions_at_entry))
                else {
                    return Err(syntax_error("'continue' not properly in loop", stmt.span));
                };
                let left = self.exit_regions(b, regions_at_entry)?;
                let jump = b.emit(Instr::Jump { target: super::Label(target) });
                if target == u32::MAX {
                    b.loops.last_mut().expect("in a loop").continue_jumps.push(jump);
                }
                b.reenter_regions(left);
            }
            StmtKind::Pass => {}
            StmtKind::FunctionDef { name, params, body } => {
                let param_names: Vec<String> = params.iter().map(|p| p.name.clone()).collect();
                let template = self.function(name, &param_names, FunctionBody::Statements(body), stmt.span, b)?;
                let defaults: Vec<&Expr> = params.iter().filter_map(|p| p.default.as_ref()).collect();
                let r = self.make_function(b, template, &defaults)?;
                self.store_name(b, name, r, stmt.span)?;
            }
            StmtKind::Return(value) => {
                if b.kind == ScopeKind::Module {
                    return Err(syntax_error("'return' outside function", stmt.span));
                }
                // `return x` of a local returns its register (the frame ends, so `Return` may
                // move the value out), unless a `finally` runs first and could rebind it.
                let finally_runs = b.regions.iter().any(|region| region.finally_body.is_some());
                let r = match value {
                    Some(e) if !finally_runs => self.expr(b, e)?,
                    Some(e) => {
                        let r = b.temp();
                        self.expr_into(b, e, r)?;
                        r
                    }
                    None => {
                        let r = b.temp();
                        b.emit(Instr::LoadNone { dst: r });
                        r
                    }
                };
                let left = self.exit_regions(b, 0)?;
                b.emit(Instr::Return { src: r });
                b.reenter_regions(left);
            }
            StmtKind::Global(_) => {}
            StmtKind::Try { body, handlers, orelse, finalbody } => {
                self.try_stmt(b, body, handlers, orelse, finalbody)?
            }
            StmtKind::Raise(value) => match value {
                Some(e) => {
                    let r = self.expr(b, e)?;
                    b.emit(Instr::Raise { src: r });
                }
                None => match b.handled_exceptions.last() {
                    Some(&exc) => {
                        b.emit(Instr::Reraise { src: exc });
                    }
                    None => {
                        let r = b.temp();
                        b.emit(Instr::LoadNone { dst: r });
                        b.emit(Instr::Reraise { src: r });
                    }
                },
            },
            StmtKind::Assert { test, msg } => {
                let to_end = self.jump_if(b, test, true)?;
                let r = b.temp();
                match msg {
                    Some(m) => self.expr_into(b, m, r)?,
                    None => {
                        b.emit(Instr::LoadNone { dst: r });
                    }
                }
                b.emit(Instr::AssertFail { msg: r, has_message: msg.is_some() });
                b.patch_here(&to_end);
            }
            StmtKind::Import(module) => {
                let r = b.temp();
                let name = b.name(module);
                b.emit(Instr::ImportModule { dst: r, name });
                self.store_name(b, module, r, stmt.span)?;
            }
            StmtKind::Del(targets) => {
                for target in targets {
                    self.delete(b, target)?;
                }
            }
        }
        Ok(())
    }

    /// Is `body` just `break` or `continue`, leaving no `try` block on the way?
    fn is_plain_loop_exit(&self, b: &FnBuilder<'_>, body: &[Stmt]) -> bool {
        matches!(body, [Stmt { kind: StmtKind::Break | StmtKind::Continue, .. }])
            && b.loops.last().is_some_and(|l| l.regions_at_entry == b.regions.len())
    }

    /// Leaves every region above `down_to` (innermost first), running their `finally` bodies;
    /// returns them so [`FnBuilder::reenter_regions`] can reopen them after the jump.
    fn exit_regions<'s>(&mut self, b: &mut FnBuilder<'s>, down_to: usize) -> CompileResult<Vec<super::Region<'s>>> {
        let mut left = Vec::new();
        while b.regions.len() > down_to {
            let mut region = b.regions.pop().expect("checked length");
            b.close_interval(&mut region);
            if let Some(body) = region.finally_body {
                let saved_loops = std::mem::take(&mut b.loops);
                let result = self.block(b, body);
                b.loops = saved_loops;
                result?;
            }
            left.push(region);
        }
        Ok(left)
    }

    /// `while test: body else: orelse`, inverted so each iteration runs one conditional
    /// branch: `if not test: goto exit; head: LoopHeader; body; if test: goto head`.
    fn while_loop<'s>(
        &mut self,
        b: &mut FnBuilder<'s>,
        test: &'s Expr,
        body: &'s [Stmt],
        orelse: &'s [Stmt],
    ) -> CompileResult<()> {
        let is_forever =
            matches!(test.kind, ExprKind::Bool(true)) || matches!(&test.kind, ExprKind::Int(n) if *n != 0.into());
        let to_exit = if is_forever { Vec::new() } else { self.jump_if(b, test, false)? };
        let head = b.pc();
        let loop_id = b.new_loop_id();
        b.emit(Instr::LoopHeader { loop_id });
        // `continue` jumps to the bottom test; its address is patched in once known.
        b.loops.push(LoopContext {
            continue_target: u32::MAX,
            break_jumps: Vec::new(),
            continue_jumps: Vec::new(),
            regions_at_entry: b.regions.len(),
        });
        b.enter_conditional();
        self.block(b, body)?;
        b.leave_conditional();
        let bottom = b.pc();
        let mut context = b.loops.pop().expect("pushed above");
        if is_forever {
            b.emit(Instr::Jump { target: super::Label(head) });
        } else {
            b.at = self.at(test.span);
            let back = self.jump_if(b, test, true)?;
            for at in back {
                b.patch(at, head);
            }
        }
        for at in std::mem::take(&mut context.continue_jumps) {
            b.patch(at, bottom);
        }
        b.patch_here(&to_exit);
        b.enter_conditional();
        self.block(b, orelse)?;
        b.leave_conditional();
        b.patch_here(&context.break_jumps);
        Ok(())
    }

    fn for_loop<'s>(
        &mut self,
        b: &mut FnBuilder<'s>,
        target: &'s Expr,
        iter: &'s Expr,
        body: &'s [Stmt],
        orelse: &'s [Stmt],
    ) -> CompileResult<()> {
        let src = self.expr(b, iter)?;
        let state = b.temps(3);
        b.emit(Instr::GetIter { iter: state, src });
        let head = b.pc();
        // A local name target receives the value directly; anything else goes through a temp.
        let direct = match &target.kind {
            ExprKind::Name(name) => match self.resolve(b, name, target.span)? {
                Place::Local(reg) => Some(reg),
                Place::Global(_) => None,
            },
            _ => None,
        };
        let value = direct.unwrap_or_else(|| b.temp());
        let loop_id = b.new_loop_id();
        let for_iter = b.emit(Instr::ForIter { iter: state, target: value, exit: super::Label(0), loop_id });
        b.loops.push(LoopContext {
            continue_target: head,
            break_jumps: Vec::new(),
            continue_jumps: Vec::new(),
            regions_at_entry: b.regions.len(),
        });
        b.enter_conditional();
        if direct.is_some() {
            if let ExprKind::Name(name) = &target.kind {
                b.mark_assigned(name);
            }
        } else {
            self.assign(b, target, value)?;
        }
        self.block(b, body)?;
        b.leave_conditional();
        b.emit(Instr::Jump { target: super::Label(head) });
        let context = b.loops.pop().expect("pushed above");
        b.patch_here(&[for_iter]);
        b.enter_conditional();
        self.block(b, orelse)?;
        b.leave_conditional();
        b.patch_here(&context.break_jumps);
        Ok(())
    }

    fn try_stmt<'s>(
        &mut self,
        b: &mut FnBuilder<'s>,
        body: &'s [Stmt],
        handlers: &'s [ExceptHandler],
        orelse: &'s [Stmt],
        finalbody: &'s [Stmt],
    ) -> CompileResult<()> {
        if finalbody.is_empty() {
            return self.try_except(b, body, handlers, orelse);
        }
        b.open_region(Some(finalbody));
        b.enter_conditional();
        if handlers.is_empty() {
            self.block(b, body)?;
            self.block(b, orelse)?;
        } else {
            self.try_except(b, body, handlers, orelse)?;
        }
        b.leave_conditional();
        let region = b.close_region();
        // Normal exit: run the finally body, skip the handler.
        self.block(b, finalbody)?;
        let to_end = b.emit(Instr::Jump { target: super::Label(0) });
        // Exceptional exit: run it, then re-raise.
        let here = b.pc();
        b.set_region_target(&region, here);
        let exc = b.temp();
        b.emit(Instr::LoadException { dst: exc });
        b.enter_conditional();
        self.block(b, finalbody)?;
        b.leave_conditional();
        b.emit(Instr::Reraise { src: exc });
        b.patch_here(&[to_end]);
        Ok(())
    }

    fn try_except<'s>(
        &mut self,
        b: &mut FnBuilder<'s>,
        body: &'s [Stmt],
        handlers: &'s [ExceptHandler],
        orelse: &'s [Stmt],
    ) -> CompileResult<()> {
        b.open_region(None);
        b.enter_conditional();
        self.block(b, body)?;
        b.leave_conditional();
        let region = b.close_region();
        b.enter_conditional();
        self.block(b, orelse)?;
        b.leave_conditional();
        let mut to_end = vec![b.emit(Instr::Jump { target: super::Label(0) })];
        let here = b.pc();
        b.set_region_target(&region, here);
        let mark = b.next_temp;
        let exc = b.temp();
        b.emit(Instr::LoadException { dst: exc });
        for handler in handlers {
            b.at = self.at(handler.span);
            let mut to_next = Vec::new();
            if let Some(class_expr) = &handler.exception {
                let class = self.expr(b, class_expr)?;
                let matched = b.temp();
                b.emit(Instr::ExceptionMatches { dst: matched, exc, class });
                to_next.push(b.emit(Instr::JumpIfFalse { cond: matched, target: super::Label(0) }));
            }
            b.enter_conditional();
            if let Some(name) = &handler.name {
                self.store_name(b, name, exc, handler.span)?;
            }
            b.handled_exceptions.push(exc);
            let result = self.block(b, &handler.body);
            b.handled_exceptions.pop();
            result?;
            if let Some(name) = &handler.name {
                // `except E as e` unbinds e at the end of the handler, as CPython does.
                self.delete_name(b, name, handler.span)?;
            }
            b.leave_conditional();
            to_end.push(b.emit(Instr::Jump { target: super::Label(0) }));
            b.patch_here(&to_next);
        }
        b.emit(Instr::Reraise { src: exc });
        b.free_to(mark);
        b.patch_here(&to_end);
        Ok(())
    }

    /// `target = value`, compiling `value` straight into a local's register when that is safe.
    fn assign_expr<'s>(&mut self, b: &mut FnBuilder<'s>, target: &'s Expr, value: &'s Expr) -> CompileResult<()> {
        match (&target.kind, &value.kind) {
            (ExprKind::Name(name), _) => {
                if let Place::Local(reg) = self.resolve(b, name, target.span)?
                    && writes_destination_last(value)
                {
                    self.expr_into(b, value, reg)?;
                    b.mark_assigned(name);
                    return Ok(());
                }
                let r = self.expr(b, value)?;
                self.assign(b, target, r)
            }
            // `a, b = x, y`: evaluate every right-hand value before assigning any target.
            (ExprKind::Tuple(targets) | ExprKind::List(targets), ExprKind::Tuple(values))
                if targets.len() == values.len() =>
            {
                let first = b.temps(values.len() as u16);
                for (i, v) in values.iter().enumerate() {
                    self.expr_into(b, v, super::Reg(first.0 + i as u16))?;
                }
                for (i, t) in targets.iter().enumerate() {
                    self.assign(b, t, super::Reg(first.0 + i as u16))?;
                }
                Ok(())
            }
            _ => {
                let r = self.expr(b, value)?;
                self.assign(b, target, r)
            }
        }
    }

    /// The first register, if `targets` are all names of locals held in consecutive registers.
    fn consecutive_locals(&mut self, b: &FnBuilder<'_>, targets: &[Expr]) -> CompileResult<Option<Reg>> {
        let mut first = None;
        for (i, target) in targets.iter().enumerate() {
            let ExprKind::Name(name) = &target.kind else { return Ok(None) };
            let Place::Local(reg) = self.resolve(b, name, target.span)? else { return Ok(None) };
            let start = *first.get_or_insert(reg);
            if reg.0 as usize != start.0 as usize + i {
                return Ok(None);
            }
        }
        Ok(first)
    }

    /// Stores the value in register `value` into `target`.
    pub(super) fn assign<'s>(&mut self, b: &mut FnBuilder<'s>, target: &'s Expr, value: Reg) -> CompileResult<()> {
        match &target.kind {
            ExprKind::Name(name) => self.store_name(b, name, value, target.span),
            ExprKind::Tuple(items) | ExprKind::List(items) => {
                let count = u16::try_from(items.len()).map_err(|_| syntax_error("too many targets", target.span))?;
                // `k, left, right = node` into locals in consecutive registers: unpacked straight
                // into them (`Unpack` writes nothing unless the lengths match).
                if let Some(first) = self.consecutive_locals(b, items)? {
                    b.emit(Instr::Unpack { dst: first, src: value, count: Count(count) });
                    for item in items {
                        if let ExprKind::Name(name) = &item.kind {
                            b.mark_assigned(name);
                        }
                    }
                    return Ok(());
                }
                let first = b.temps(count);
                b.emit(Instr::Unpack { dst: first, src: value, count: Count(count) });
                for (i, item) in items.iter().enumerate() {
                    self.assign(b, item, Reg(first.0 + i as u16))?;
                }
                Ok(())
            }
            ExprKind::Subscript(obj, index) => {
                let obj = self.expr(b, obj)?;
                if let ExprKind::Slice { lower, upper, step } = &index.kind {
                    let bounds = self.slice_bounds(b, lower, upper, step)?;
                    b.emit(Instr::SetSlice { obj, bounds, value });
                } else {
                    let index = self.expr(b, index)?;
                    b.emit(Instr::SetItem { obj, index, value });
                }
                Ok(())
            }
            ExprKind::Attribute(_, attr) => {
                Err(syntax_error(format!("assigning to attributes (.{attr}) is not supported in Toy"), target.span))
            }
            _ => Err(syntax_error("cannot assign to expression", target.span)),
        }
    }

    pub(super) fn store_name(
        &mut self,
        b: &mut FnBuilder<'_>,
        name: &str,
        value: Reg,
        span: Span,
    ) -> CompileResult<()> {
        match self.resolve(b, name, span)? {
            Place::Local(reg) => {
                if reg != value {
                    b.emit(Instr::Move { dst: reg, src: value });
                }
                b.mark_assigned(name);
            }
            Place::Global(global) => {
                b.emit(Instr::StoreGlobal { global, src: value });
            }
        }
        Ok(())
    }

    fn aug_assign<'s>(
        &mut self,
        b: &mut FnBuilder<'s>,
        target: &'s Expr,
        op: BinOp,
        value: &'s Expr,
    ) -> CompileResult<()> {
        match &target.kind {
            ExprKind::Name(name) => match self.resolve(b, name, target.span)? {
                Place::Local(reg) => {
                    self.check_bound(b, name, reg);
                    let rhs = self.expr(b, value)?;
                    b.emit_in_place(binary_instr(op, reg, reg, rhs, true));
                    Ok(())
                }
                Place::Global(global) => {
                    let current = b.temp();
                    b.emit(Instr::LoadGlobal { dst: current, global });
                    let rhs = self.expr(b, value)?;
                    b.emit_in_place(binary_instr(op, current, current, rhs, true));
                    b.emit(Instr::StoreGlobal { global, src: current });
                    Ok(())
                }
            },
            ExprKind::Subscript(obj, index) if !matches!(index.kind, ExprKind::Slice { .. }) => {
                let obj = self.expr(b, obj)?;
                let index = self.expr(b, index)?;
                let current = b.temp();
                b.emit(Instr::GetItem { dst: current, obj, index });
                let rhs = self.expr(b, value)?;
                b.emit_in_place(binary_instr(op, current, current, rhs, true));
                b.emit(Instr::SetItem { obj, index, value: current });
                Ok(())
            }
            ExprKind::Attribute(_, attr) => {
                Err(syntax_error(format!("assigning to attributes (.{attr}) is not supported in Toy"), target.span))
            }
            ExprKind::Subscript(..) => {
                Err(syntax_error("augmented assignment to a slice is not supported in Toy", target.span))
            }
            _ => Err(syntax_error("'expression' is an illegal expression for augmented assignment", target.span)),
        }
    }

    fn delete<'s>(&mut self, b: &mut FnBuilder<'s>, target: &'s Expr) -> CompileResult<()> {
        match &target.kind {
            ExprKind::Name(name) => self.delete_name(b, name, target.span),
            ExprKind::Tuple(items) | ExprKind::List(items) => {
                for item in items {
                    self.delete(b, item)?;
                }
                Ok(())
            }
            ExprKind::Subscript(obj, index) => {
                let obj = self.expr(b, obj)?;
                if let ExprKind::Slice { lower, upper, step } = &index.kind {
                    let bounds = self.slice_bounds(b, lower, upper, step)?;
                    b.emit(Instr::DelSlice { obj, bounds });
                } else {
                    let index = self.expr(b, index)?;
                    b.emit(Instr::DelItem { obj, index });
                }
                Ok(())
            }
            _ => Err(syntax_error("cannot delete expression", target.span)),
        }
    }

    fn delete_name(&mut self, b: &mut FnBuilder<'_>, name: &str, span: Span) -> CompileResult<()> {
        match self.resolve(b, name, span)? {
            Place::Local(reg) => {
                let name_idx = b.name(name);
                b.emit(Instr::DeleteLocal { slot: reg, name: name_idx });
                b.mark_unassigned(name);
            }
            Place::Global(global) => {
                b.emit(Instr::DeleteGlobal { global });
            }
        }
        Ok(())
    }

    /// Emits `MakeFunction` for a compiled template, evaluating the defaults now.
    pub(super) fn make_function<'s>(
        &mut self,
        b: &mut FnBuilder<'s>,
        template: super::Value,
        defaults: &[&'s Expr],
    ) -> CompileResult<Reg> {
        let code: ConstIdx = b.constant(template);
        let count = defaults.len() as u16;
        let first = b.temps(count.max(1));
        for (i, d) in defaults.iter().enumerate() {
            self.expr_into(b, d, Reg(first.0 + i as u16))?;
        }
        let dst = b.temp();
        b.emit(Instr::MakeFunction { dst, code, defaults: first, count: Count(count) });
        Ok(dst)
    }
}

/// The instruction for `dst = a OP b` (`in_place` for augmented assignment).
pub(super) fn binary_instr(op: BinOp, dst: Reg, a: Reg, b: Reg, in_place: bool) -> Instr {
    match op {
        BinOp::Add if in_place => Instr::AddInPlace { dst, a, b },
        BinOp::Mul if in_place => Instr::MulInPlace { dst, a, b },
        BinOp::Add => Instr::Add { dst, a, b },
        BinOp::Sub => Instr::Sub { dst, a, b },
        BinOp::Mul => Instr::Mul { dst, a, b },
        BinOp::TrueDiv => Instr::TrueDiv { dst, a, b },
        BinOp::FloorDiv => Instr::FloorDiv { dst, a, b },
        BinOp::Mod => Instr::Mod { dst, a, b },
        BinOp::Pow => Instr::Pow { dst, a, b },
        BinOp::LShift => Instr::LShift { dst, a, b },
        BinOp::RShift => Instr::RShift { dst, a, b },
        BinOp::BitAnd => Instr::BitAnd { dst, a, b },
        BinOp::BitOr => Instr::BitOr { dst, a, b },
        BinOp::BitXor => Instr::BitXor { dst, a, b },
    }
}

/// True when compiling `e` into a register writes that register only once, after reading
/// all of its operands — so `x = e` may target `x`'s register directly even if `e` reads `x`.
fn writes_destination_last(e: &Expr) -> bool {
    match &e.kind {
        // Each branch writes the destination as its last step, after the test has read
        // everything it needs.
        ExprKind::IfExp { body, orelse, .. } => writes_destination_last(body) && writes_destination_last(orelse),
        ExprKind::BoolOp(..) | ExprKind::ListComp { .. } | ExprKind::DictComp { .. } => false,
        ExprKind::Compare(_, rest) => rest.len() == 1,
        _ => true,
    }
}

impl<'s> FnBuilder<'s> {
    /// Reopens regions left by a `return`/`break`/`continue` (innermost was first in `left`).
    pub(super) fn reenter_regions(&mut self, left: Vec<super::Region<'s>>) {
        let pc = self.pc();
        for mut region in left.into_iter().rev() {
            region.open_since = Some(pc);
            self.regions.push(region);
        }
    }
}
