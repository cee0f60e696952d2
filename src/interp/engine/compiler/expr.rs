//! Expression compilation: constants, names, operators, short-circuit conditions, calls
//! (plain, method, keyword), displays, subscripts and slices, f-strings, lambdas; the
//! comprehensions are `comprehension.rs`.

use std::rc::Rc;

use crate::parser::ast::{BoolOp, CmpOp, Expr, ExprKind, FStringPart, UnaryOp};

use super::comprehension::CompAction;
use super::{CompileResult, Compiler, FnBuilder, FunctionBody, Place, syntax_error};
use crate::interp::engine::bytecode::{CallSite, Count, Instr, Label, Reg, SiteIdx};
use crate::interp::engine::compiler::large::DISPLAY_CHUNK;
use crate::interp::engine::compiler::stmt::binary_instr;
use crate::interp::engine::locations::Anchor;
use crate::interp::objects::methods::{self, MethodId};
use crate::interp::objects::value::Value;

impl<'a> Compiler<'a> {
    /// Compiles `e` and returns a register holding its value: a local's own register when `e`
    /// is a local name, otherwise a new temporary.
    pub(super) fn expr<'s>(&mut self, b: &mut FnBuilder<'s>, e: &'s Expr) -> CompileResult<Reg> {
        let literal = match &e.kind {
            ExprKind::Int(n) => Some(Value::from_bigint(n.clone())),
            ExprKind::Float(f) => Some(Value::Float(*f)),
            _ => None,
        };
        if let Some(reg) = literal.and_then(|v| b.constant_register(&v)) {
            return Ok(reg);
        }
        if let ExprKind::Name(name) = &e.kind
            && let Place::Local(reg) = self.resolve(b, name, e.span)?
        {
            self.check_bound(b, name, reg);
            return Ok(reg);
        }
        let r = b.temp();
        self.expr_into(b, e, r)?;
        Ok(r)
    }

    /// May evaluating `e` raise or have an effect? Not for a literal or a local certainly
    /// assigned here; anything else may.
    fn may_act(&mut self, b: &FnBuilder<'_>, e: &Expr) -> CompileResult<bool> {
        Ok(match &e.kind {
            ExprKind::Int(_) | ExprKind::Float(_) | ExprKind::Str(_) | ExprKind::Bool(_) | ExprKind::None => false,
            ExprKind::Name(name) => match self.resolve(b, name, e.span)? {
                Place::Local(reg) => !(b.comprehension_vars.iter().any(|(_, r)| *r == reg) || b.is_assigned(name)),
                Place::Global(_) => true,
            },
            _ => true,
        })
    }

    /// Emits `CheckBound` unless the local is certainly assigned here.
    pub(super) fn check_bound(&mut self, b: &mut FnBuilder<'_>, name: &str, reg: Reg) {
        let is_comprehension_var = b.comprehension_vars.iter().any(|(_, r)| *r == reg);
        if !is_comprehension_var && !b.is_assigned(name) {
            let name_idx = b.name(name);
            b.emit(Instr::CheckBound { slot: reg, name: name_idx });
            // After a successful check it is assigned for the rest of this block.
            b.mark_assigned(name);
        }
    }

    /// Compiles `e` so that its value ends up in `dst`.
    pub(super) fn expr_into<'s>(&mut self, b: &mut FnBuilder<'s>, e: &'s Expr, dst: Reg) -> CompileResult<()> {
        self.enter(e.span)?;
        let saved_at = b.at;
        b.at = self.at(e.span);
        let mark = b.next_temp;
        let result = self.expr_kind(b, e, dst);
        b.free_to(mark);
        b.at = saved_at;
        self.leave();
        result
    }

    fn expr_kind<'s>(&mut self, b: &mut FnBuilder<'s>, e: &'s Expr, dst: Reg) -> CompileResult<()> {
        let at = b.at;
        match &e.kind {
            ExprKind::Int(n) => {
                let k = b.constant(Value::from_bigint(n.clone()));
                b.emit(Instr::LoadConst { dst, constant: k });
            }
            ExprKind::Float(f) => {
                let k = b.constant(Value::Float(*f));
                b.emit(Instr::LoadConst { dst, constant: k });
            }
            ExprKind::Str(s) => {
                let k = b.constant(Value::str(s.clone()));
                b.emit(Instr::LoadConst { dst, constant: k });
            }
            ExprKind::Bool(v) => {
                b.emit(Instr::LoadBool { dst, value: *v });
            }
            ExprKind::None => {
                b.emit(Instr::LoadNone { dst });
            }
            ExprKind::Name(name) => match self.resolve(b, name, e.span)? {
                Place::Local(reg) => {
                    self.check_bound(b, name, reg);
                    if reg != dst {
                        b.emit(Instr::Move { dst, src: reg });
                    }
                }
                Place::Global(global) => {
                    b.emit(Instr::LoadGlobal { dst, global });
                }
            },
            ExprKind::List(items) | ExprKind::Tuple(items) if items.len() > DISPLAY_CHUNK => {
                let tuple = matches!(e.kind, ExprKind::Tuple(_));
                self.long_sequence_display(b, items, tuple, dst)?;
            }
            ExprKind::Dict(pairs) if pairs.len() > DISPLAY_CHUNK => self.long_dict_display(b, pairs, dst)?,
            // Pairs and triples are read from the items' registers where they are (a local's
            // own, a preloaded literal's) instead of being copied next to each other first.
            ExprKind::Tuple(items) if matches!(items.len(), 2 | 3) => {
                let regs = items.iter().map(|item| self.expr(b, item)).collect::<CompileResult<Vec<Reg>>>()?;
                b.at = at;
                b.emit(match regs[..] {
                    [a, second] => Instr::BuildTuple2 { dst, a, b: second },
                    [a, second, c] => Instr::BuildTuple3 { dst, a, b: second, c },
                    _ => unreachable!("two or three items"),
                });
            }
            ExprKind::List(items) | ExprKind::Tuple(items) => {
                let count =
                    u16::try_from(items.len()).map_err(|_| syntax_error("too many elements in a display", e.span))?;
                let start = self.exprs_to_temps(b, items.iter())?;
                b.at = at;
                if matches!(e.kind, ExprKind::List(_)) {
                    b.emit(Instr::BuildList { dst, start, count: Count(count) });
                } else {
                    b.emit(Instr::BuildTuple { dst, start, count: Count(count) });
                }
            }
            ExprKind::Dict(pairs) => {
                let count =
                    u16::try_from(pairs.len()).map_err(|_| syntax_error("too many elements in a display", e.span))?;
                let start = self.exprs_to_temps(b, pairs.iter().flat_map(|(k, v)| [k, v]))?;
                b.at = at;
                b.emit(Instr::BuildDict { dst, start, count: Count(count) });
            }
            ExprKind::BinOp(op, left, right) => {
                let l = self.expr(b, left)?;
                let r = self.expr(b, right)?;
                b.at = at;
                b.at.location.anchor = Anchor::BinOp { left_end: left.span.end, right_start: right.span.start };
                b.emit(binary_instr(*op, dst, l, r, false));
            }
            ExprKind::UnaryOp(op, operand) => {
                // Fold `-<number literal>` so `-9223372036854775808` is one constant.
                if *op == UnaryOp::Neg {
                    if let ExprKind::Int(n) = &operand.kind {
                        let k = b.constant(Value::from_bigint(-n.clone()));
                        b.emit(Instr::LoadConst { dst, constant: k });
                        return Ok(());
                    }
                    if let ExprKind::Float(f) = &operand.kind {
                        let k = b.constant(Value::Float(-*f));
                        b.emit(Instr::LoadConst { dst, constant: k });
                        return Ok(());
                    }
                }
                let src = self.expr(b, operand)?;
                b.at = at;
                b.emit(match op {
                    UnaryOp::Neg => Instr::Neg { dst, src },
                    UnaryOp::Pos => Instr::Pos { dst, src },
                    UnaryOp::Invert => Instr::Invert { dst, src },
                    UnaryOp::Not => Instr::Not { dst, src },
                });
            }
            ExprKind::BoolOp(op, left, right) => {
                self.expr_into(b, left, dst)?;
                let jump = match op {
                    BoolOp::And => b.emit(Instr::JumpIfFalse { cond: dst, target: Label(0) }),
                    BoolOp::Or => b.emit(Instr::JumpIfTrue { cond: dst, target: Label(0) }),
                };
                b.enter_conditional();
                self.expr_into(b, right, dst)?;
                b.leave_conditional();
                b.patch_here(&[jump]);
            }
            ExprKind::Compare(first, rest) => self.compare_chain(b, first, rest, dst)?,
            ExprKind::IfExp { test, body, orelse } => {
                let to_else = self.jump_if(b, test, false)?;
                b.enter_conditional();
                self.expr_into(b, body, dst)?;
                b.leave_conditional();
                let to_end = b.emit(Instr::Jump { target: Label(0) });
                b.patch_here(&to_else);
                b.enter_conditional();
                self.expr_into(b, orelse, dst)?;
                b.leave_conditional();
                b.patch_here(&[to_end]);
            }
            ExprKind::Call { func, args, kwargs } => self.call(b, func, args, kwargs, dst)?,
            ExprKind::Attribute(obj, attr) => {
                let obj = self.expr(b, obj)?;
                let name = b.name(attr);
                b.at = at;
                b.emit(Instr::GetAttr { dst, obj, name });
            }
            ExprKind::Subscript(obj, index) => {
                let obj_end = obj.span.end;
                let obj = self.expr(b, obj)?;
                if let ExprKind::Slice { lower, upper, step } = &index.kind {
                    let bounds = self.slice_bounds(b, lower, upper, step)?;
                    b.at = at;
                    b.emit(Instr::GetSlice { dst, obj, bounds });
                } else {
                    let index = self.expr(b, index)?;
                    b.at = at;
                    b.at.location.anchor = Anchor::Subscript { value_end: obj_end };
                    b.emit(Instr::GetItem { dst, obj, index });
                }
            }
            ExprKind::Slice { .. } => return Err(syntax_error("invalid syntax: a slice outside brackets", e.span)),
            ExprKind::Lambda { params, body } => {
                let names: Vec<String> = params.iter().map(|p| p.name.clone()).collect();
                let template = self.function("<lambda>", &names, FunctionBody::Expression(body), e.span, b)?;
                let defaults: Vec<&Expr> = params.iter().filter_map(|p| p.default.as_ref()).collect();
                let r = self.make_function(b, template, &defaults)?;
                b.emit(Instr::Move { dst, src: r });
            }
            ExprKind::ListComp { element, generators } => {
                b.emit(Instr::BuildList { dst, start: dst, count: Count(0) });
                self.counted_comprehension(b, &CompAction::Append { element, list: dst }, generators)?;
            }
            ExprKind::DictComp { key, value, generators } => {
                b.emit(Instr::BuildDict { dst, start: dst, count: Count(0) });
                self.counted_comprehension(b, &CompAction::Insert { key, value, dict: dst }, generators)?;
            }
            ExprKind::GenExp { .. } => {
                return Err(syntax_error(
                    "generator expressions are not supported in Toy here (only as the argument of sum, any, \
                     all, min, max, sorted, list, tuple, dict or str.join)",
                    e.span,
                ));
            }
            ExprKind::FString(parts) => {
                let count = u16::try_from(parts.len()).map_err(|_| syntax_error("f-string too long", e.span))?;
                let start = b.temps(count);
                for (i, part) in parts.iter().enumerate() {
                    let piece = Reg(start.0 + i as u16);
                    match part {
                        FStringPart::Literal(text) => {
                            let k = b.constant(Value::str(text.clone()));
                            b.emit(Instr::LoadConst { dst: piece, constant: k });
                        }
                        FStringPart::Expr { expr, conversion, spec } => {
                            let src = self.expr(b, expr)?;
                            let spec = b.constant(Value::str(spec.clone().unwrap_or_default()));
                            let conversion = conversion.map(|c| c as u8).unwrap_or(0);
                            b.emit(Instr::FormatValue { dst: piece, src, spec, conversion });
                        }
                    }
                }
                b.at = at;
                b.emit(Instr::BuildString { dst, start, count: Count(count) });
            }
        }
        Ok(())
    }

    /// Evaluates expressions into consecutive fresh temporaries; returns the first.
    pub(super) fn exprs_to_temps<'s>(
        &mut self,
        b: &mut FnBuilder<'s>,
        items: impl Iterator<Item = &'s Expr>,
    ) -> CompileResult<Reg> {
        let items: Vec<&'s Expr> = items.collect();
        let count = items.len() as u16;
        // At least one register, so that `start` names a slot inside the frame even when empty.
        let start = b.temps(count.max(1));
        for (i, item) in items.into_iter().enumerate() {
            self.expr_into(b, item, Reg(start.0 + i as u16))?;
        }
        Ok(start)
    }

    /// Three consecutive registers: lower, upper, step (None where absent).
    pub(super) fn slice_bounds<'s>(
        &mut self,
        b: &mut FnBuilder<'s>,
        lower: &'s Option<Box<Expr>>,
        upper: &'s Option<Box<Expr>>,
        step: &'s Option<Box<Expr>>,
    ) -> CompileResult<Reg> {
        let bounds = b.temps(3);
        for (i, bound) in [lower, upper, step].into_iter().enumerate() {
            let r = Reg(bounds.0 + i as u16);
            match bound {
                Some(e) => self.expr_into(b, e, r)?,
                None => {
                    b.emit(Instr::LoadNone { dst: r });
                }
            }
        }
        Ok(bounds)
    }

    /// `a < b <= c`: each middle operand is evaluated once; stops at the first false.
    fn compare_chain<'s>(
        &mut self,
        b: &mut FnBuilder<'s>,
        first: &'s Expr,
        rest: &'s [(CmpOp, Expr)],
        dst: Reg,
    ) -> CompileResult<()> {
        let at = b.at;
        let mut left = self.expr(b, first)?;
        let mut to_end = Vec::new();
        for (i, (op, operand)) in rest.iter().enumerate() {
            let right = self.expr(b, operand)?;
            b.at = at;
            b.emit(compare_instr(*op, dst, left, right));
            if i + 1 < rest.len() {
                to_end.push(b.emit(Instr::JumpIfFalse { cond: dst, target: Label(0) }));
            }
            left = right;
        }
        b.patch_here(&to_end);
        Ok(())
    }

    /// Emits jumps taken when `e` is truthy (`when == true`) or falsy; returns them to patch.
    pub(super) fn jump_if<'s>(&mut self, b: &mut FnBuilder<'s>, e: &'s Expr, when: bool) -> CompileResult<Vec<usize>> {
        match &e.kind {
            ExprKind::UnaryOp(UnaryOp::Not, operand) => self.jump_if(b, operand, !when),
            ExprKind::BoolOp(op, left, right) => {
                // `a and b` jumps when false if either is false; jumps when true only if both are.
                let short_circuits_on = matches!(op, BoolOp::Or);
                if when == short_circuits_on {
                    let mut jumps = self.jump_if(b, left, when)?;
                    b.enter_conditional();
                    jumps.extend(self.jump_if(b, right, when)?);
                    b.leave_conditional();
                    Ok(jumps)
                } else {
                    let skip = self.jump_if(b, left, !when)?;
                    b.enter_conditional();
                    let jumps = self.jump_if(b, right, when)?;
                    b.leave_conditional();
                    b.patch_here(&skip);
                    Ok(jumps)
                }
            }
            // `x is None` / `x is not None`: one jump on the value's tag.
            ExprKind::Compare(left, rest)
                if rest.len() == 1
                    && matches!(rest[0].0, CmpOp::Is | CmpOp::IsNot)
                    && matches!(rest[0].1.kind, ExprKind::None) =>
            {
                let mark = b.next_temp;
                let a = self.expr(b, left)?;
                b.free_to(mark);
                b.at = self.at(e.span);
                let jump = if (rest[0].0 == CmpOp::Is) == when {
                    Instr::JumpIfNone { a, target: Label(0) }
                } else {
                    Instr::JumpIfNotNone { a, target: Label(0) }
                };
                Ok(vec![b.emit(jump)])
            }
            ExprKind::Compare(left, rest) if rest.len() == 1 && fused_jump(rest[0].0, when).is_some() => {
                let (op, right) = (&rest[0].0, &rest[0].1);
                let mark = b.next_temp;
                let a = self.expr(b, left)?;
                let c = self.expr(b, right)?;
                b.free_to(mark);
                b.at = self.at(e.span);
                let make = fused_jump(*op, when).expect("checked in the guard");
                Ok(vec![b.emit(make(a, c))])
            }
            // `lo <= x <= hi` in a condition: one compare-and-branch per link, no Bool made.
            ExprKind::Compare(first, rest)
                if rest.len() > 1
                    && rest
                        .iter()
                        .all(|(op, _)| fused_jump(*op, false).is_some() && fused_jump(*op, true).is_some()) =>
            {
                let mark = b.next_temp;
                let mut left = self.expr(b, first)?;
                let mut jumps = Vec::new();
                // When jumping on true, a false link skips past the last link's jump.
                let mut skip = Vec::new();
                for (i, (op, operand)) in rest.iter().enumerate() {
                    if i > 0 {
                        // Later operands run only if the links before them held.
                        b.enter_conditional();
                    }
                    let right = self.expr(b, operand)?;
                    if i > 0 {
                        b.leave_conditional();
                    }
                    b.at = self.at(e.span);
                    let last = i + 1 == rest.len();
                    let make = fused_jump(*op, if last { when } else { false }).expect("checked in the guard");
                    let jump = b.emit(make(left, right));
                    if last || !when {
                        jumps.push(jump);
                    } else {
                        skip.push(jump);
                    }
                    left = right;
                }
                b.free_to(mark);
                b.patch_here(&skip);
                Ok(jumps)
            }
            _ => {
                let mark = b.next_temp;
                let cond = self.expr(b, e)?;
                b.free_to(mark);
                let jump = if when {
                    b.emit(Instr::JumpIfTrue { cond, target: Label(0) })
                } else {
                    b.emit(Instr::JumpIfFalse { cond, target: Label(0) })
                };
                Ok(vec![jump])
            }
        }
    }

    fn call<'s>(
        &mut self,
        b: &mut FnBuilder<'s>,
        func: &'s Expr,
        args: &'s [Expr],
        kwargs: &'s [(String, Expr)],
        dst: Reg,
    ) -> CompileResult<()> {
        let at = b.at;
        let argc = u16::try_from(args.len() + kwargs.len())
            .map_err(|_| syntax_error("a call with more than 65,535 arguments is not supported in Toy", func.span))?;
        let (callee, method) = match &func.kind {
            ExprKind::Attribute(obj, attr) => {
                let obj = self.expr(b, obj)?;
                let method = b.name(attr);
                // CPython looks the method up before the arguments run: where one could
                // raise or print, an AttributeError must come first.
                let mut arguments = args.iter().chain(kwargs.iter().map(|(_, v)| v));
                if arguments.try_fold(false, |acts, e| Ok(acts || self.may_act(b, e)?))? {
                    b.at = at;
                    b.at.location.anchor = Anchor::MethodCall { name_end: func.span.end };
                    let receivers = methods::receivers(MethodId::from_name(attr));
                    b.emit(Instr::CheckMethod { obj, method, receivers });
                }
                (obj, Some(method))
            }
            _ => (self.expr(b, func)?, None),
        };
        self.builtin_names.check_call(func, args.len(), kwargs)?;
        let start = if args.iter().any(|a| matches!(a.kind, ExprKind::GenExp { .. }))
            && self.builtin_names.consumes_generator(func)
        {
            self.arguments_with_generators(b, args, kwargs)?
        } else {
            self.exprs_to_temps(b, args.iter().chain(kwargs.iter().map(|(_, v)| v)))?
        };
        b.at = at;
        if method.is_some() {
            b.at.location.anchor = Anchor::MethodCall { name_end: func.span.end };
        }
        if kwargs.is_empty() {
            match method {
                Some(method) => b.emit(Instr::CallMethod { dst, obj: callee, method, args: start, argc: Count(argc) }),
                None => b.emit(Instr::Call { dst, func: callee, args: start, argc: Count(argc) }),
            };
        } else {
            let site = SiteIdx(b.code.call_sites.len() as u32);
            b.code.call_sites.push(CallSite {
                method,
                args: start,
                argc: args.len() as u16,
                kwnames: kwargs.iter().map(|(name, _)| Rc::from(name.as_str())).collect(),
            });
            b.emit(Instr::CallKw { dst, func: callee, site });
        }
        Ok(())
    }
}

/// The compare-and-branch instruction that jumps when `a op b` is `when`.
fn fused_jump(op: CmpOp, when: bool) -> Option<fn(Reg, Reg) -> Instr> {
    Some(match (op, when) {
        (CmpOp::Lt, true) => |a, b| Instr::JumpIfLt { a, b, target: Label(0) },
        (CmpOp::LtE, true) => |a, b| Instr::JumpIfLtE { a, b, target: Label(0) },
        (CmpOp::Gt, true) => |a, b| Instr::JumpIfGt { a, b, target: Label(0) },
        (CmpOp::GtE, true) => |a, b| Instr::JumpIfGtE { a, b, target: Label(0) },
        (CmpOp::Lt, false) => |a, b| Instr::JumpIfNotLt { a, b, target: Label(0) },
        (CmpOp::LtE, false) => |a, b| Instr::JumpIfNotLtE { a, b, target: Label(0) },
        (CmpOp::Gt, false) => |a, b| Instr::JumpIfNotGt { a, b, target: Label(0) },
        (CmpOp::GtE, false) => |a, b| Instr::JumpIfNotGtE { a, b, target: Label(0) },
        (CmpOp::Eq, true) | (CmpOp::NotEq, false) => |a, b| Instr::JumpIfEq { a, b, target: Label(0) },
        (CmpOp::NotEq, true) | (CmpOp::Eq, false) => |a, b| Instr::JumpIfNotEq { a, b, target: Label(0) },
        _ => return None,
    })
}

fn compare_instr(op: CmpOp, dst: Reg, a: Reg, b: Reg) -> Instr {
    match op {
        CmpOp::Eq => Instr::Eq { dst, a, b },
        CmpOp::NotEq => Instr::NotEq { dst, a, b },
        CmpOp::Lt => Instr::Lt { dst, a, b },
        CmpOp::LtE => Instr::LtE { dst, a, b },
        CmpOp::Gt => Instr::Gt { dst, a, b },
        CmpOp::GtE => Instr::GtE { dst, a, b },
        CmpOp::Is => Instr::Is { dst, a, b },
        CmpOp::IsNot => Instr::IsNot { dst, a, b },
        CmpOp::In => Instr::In { dst, a, b },
        CmpOp::NotIn => Instr::NotIn { dst, a, b },
    }
}
