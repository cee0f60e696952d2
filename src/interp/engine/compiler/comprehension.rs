//! Comprehensions, compiled inline in the enclosing function, their loop variables in fresh
//! registers visible only inside: a list or dict comprehension fills its result in a loop; a
//! generator expression (only as the argument of a builtin that consumes it, see
//! `builtin_names.rs`) is a block of the enclosing code that `MakeGen` points to and the VM
//! runs step by step (`engine/reentry.rs`), each element handed out by `Yield`. Its first
//! iterable is evaluated and iterated at once, as CPython does; its registers stay reserved
//! until the call that consumes it is done.
//!
//! Touches only the function being built.

use crate::interp::engine::bytecode::{Count, Instr, Label, Reg};
use crate::parser::ast::{Comprehension, Expr, ExprKind};

use super::{CompileResult, Compiler, FnBuilder, syntax_error};

/// What the innermost loop of a comprehension does with each element.
pub(super) enum CompAction<'s> {
    /// `[element for ...]` into the list in `list`.
    Append { element: &'s Expr, list: Reg },
    /// `{key: value for ...}` into the dict in `dict` (the key evaluated first, as CPython).
    Insert { key: &'s Expr, value: &'s Expr, dict: Reg },
    /// `(element for ...)`: hand it to the consumer.
    Yield { element: &'s Expr },
}

impl<'a> Compiler<'a> {
    /// The loops of a comprehension; `ready` is the outermost loop's iterator state when it
    /// was made already (a generator expression's). Each loop's variables are forgotten after it.
    pub(super) fn comprehension<'s>(
        &mut self,
        b: &mut FnBuilder<'s>,
        action: &CompAction<'s>,
        generators: &'s [Comprehension],
        ready: Option<Reg>,
    ) -> CompileResult<()> {
        let Some((generator, inner)) = generators.split_first() else {
            match *action {
                CompAction::Append { element, list } => {
                    let value = self.expr(b, element)?;
                    b.emit(Instr::ListAppend { list, value });
                }
                CompAction::Insert { key, value, dict } => {
                    let index = self.expr(b, key)?;
                    let value = self.expr(b, value)?;
                    b.emit(Instr::SetItem { obj: dict, index, value });
                }
                CompAction::Yield { element } => {
                    let src = self.expr(b, element)?;
                    b.emit(Instr::Yield { src });
                }
            }
            return Ok(());
        };
        let vars_before = b.comprehension_vars.len();
        let result = self.comprehension_loop(b, action, (generator, inner), ready);
        b.comprehension_vars.truncate(vars_before);
        result
    }

    /// A list or dict comprehension, counted as a call toward the recursion limit as CPython
    /// counts its frame: the first iterable is evaluated and its iterator taken (in the
    /// enclosing frame, as CPython's `GET_ITER` before it calls the comprehension's function),
    /// then `EnterComprehension`, the loops, `LeaveComprehension` (the span is kept in
    /// `CodeObject::comprehensions` for an exception that leaves it early). The iterator taken
    /// first also lets a trace exit at `EnterComprehension` with `range(...)` already an
    /// iterator, which its snapshot can write.
    pub(super) fn counted_comprehension<'s>(
        &mut self,
        b: &mut FnBuilder<'s>,
        action: &CompAction<'s>,
        generators: &'s [Comprehension],
    ) -> CompileResult<()> {
        let Some(first) = generators.first() else {
            return self.comprehension(b, action, generators, None);
        };
        let src = self.expr(b, &first.iter)?;
        let state = b.temps(3);
        b.emit(Instr::GetIter { iter: state, src });
        let enter = b.emit(Instr::EnterComprehension {});
        b.code.comprehensions.push((enter as u32, 0));
        self.comprehension(b, action, generators, Some(state))?;
        let leave = b.emit(Instr::LeaveComprehension {});
        if let Some(span) = b.code.comprehensions.iter_mut().rev().find(|(_, end)| *end == 0) {
            span.1 = leave as u32;
        }
        Ok(())
    }

    /// One `for` clause of a comprehension, the ones inside it in its body.
    fn comprehension_loop<'s>(
        &mut self,
        b: &mut FnBuilder<'s>,
        action: &CompAction<'s>,
        (generator, inner): (&'s Comprehension, &'s [Comprehension]),
        ready: Option<Reg>,
    ) -> CompileResult<()> {
        let state = match ready {
            Some(state) => state,
            None => {
                let src = self.expr(b, &generator.iter)?;
                let state = b.temps(3);
                b.emit(Instr::GetIter { iter: state, src });
                state
            }
        };
        let head = b.pc();
        let value = b.temp();
        let loop_id = b.new_loop_id();
        let for_iter = b.emit(Instr::ForIter { iter: state, target: value, exit: Label(0), loop_id });
        self.bind_comprehension_target(b, &generator.target, value)?;
        // What the loop body assigns is not certain after it (it may run zero times).
        b.enter_conditional();
        let mut to_next = Vec::new();
        for condition in &generator.ifs {
            to_next.extend(self.jump_if(b, condition, false)?);
        }
        let body = self.comprehension(b, action, inner, None);
        b.leave_conditional();
        body?;
        for at in to_next {
            b.patch(at, head);
        }
        b.emit(Instr::Jump { target: Label(head) });
        b.patch_here(&[for_iter]);
        Ok(())
    }

    /// Comprehension targets live in fresh registers, visible only inside the comprehension.
    fn bind_comprehension_target(&mut self, b: &mut FnBuilder<'_>, target: &Expr, value: Reg) -> CompileResult<()> {
        match &target.kind {
            ExprKind::Name(name) => {
                let reg = b.temp();
                b.code.slot_names[reg.0 as usize] = name.clone();
                b.emit(Instr::Move { dst: reg, src: value });
                b.comprehension_vars.push((name.clone(), reg));
                Ok(())
            }
            ExprKind::Tuple(items) | ExprKind::List(items) => {
                let count = items.len() as u16;
                let first = b.temps(count);
                b.emit(Instr::Unpack { dst: first, src: value, count: Count(count) });
                for (i, item) in items.iter().enumerate() {
                    self.bind_comprehension_target(b, item, Reg(first.0 + i as u16))?;
                }
                Ok(())
            }
            _ => Err(syntax_error("this comprehension target is not supported in Toy", target.span)),
        }
    }

    /// The arguments of a call of a consuming builtin, some of them generator expressions,
    /// into consecutive registers (returns the first). A generator's registers are not freed
    /// here: they must outlive the call.
    pub(super) fn arguments_with_generators<'s>(
        &mut self,
        b: &mut FnBuilder<'s>,
        args: &'s [Expr],
        kwargs: &'s [(String, Expr)],
    ) -> CompileResult<Reg> {
        let count = (args.len() + kwargs.len()) as u16;
        let start = b.temps(count.max(1));
        for (i, arg) in args.iter().chain(kwargs.iter().map(|(_, v)| v)).enumerate() {
            let dst = Reg(start.0 + i as u16);
            match &arg.kind {
                ExprKind::GenExp { element, generators } => {
                    self.enter(arg.span)?;
                    let saved_at = b.at;
                    b.at = self.at(arg.span);
                    let result = self.generator_expression(b, element, generators, dst);
                    b.at = saved_at;
                    self.leave();
                    result?;
                }
                _ => self.expr_into(b, arg, dst)?,
            }
        }
        Ok(start)
    }

    /// `dst = (element for ...)`: the first iterable's iterator now, then the generator, then
    /// (jumped over) its body.
    fn generator_expression<'s>(
        &mut self,
        b: &mut FnBuilder<'s>,
        element: &'s Expr,
        generators: &'s [Comprehension],
        dst: Reg,
    ) -> CompileResult<()> {
        let first = generators.first().expect("a generator expression has a for clause");
        let src = self.expr(b, &first.iter)?;
        let state = b.temps(3);
        b.emit(Instr::GetIter { iter: state, src });
        let body = b.pc() as u32 + 2;
        b.emit(Instr::MakeGen { dst, body: Label(body) });
        let skip = b.emit(Instr::Jump { target: Label(0) });
        self.comprehension(b, &CompAction::Yield { element }, generators, Some(state))?;
        b.emit(Instr::GenEnd {});
        b.patch_here(&[skip]);
        Ok(())
    }
}
