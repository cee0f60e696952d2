//! The string helpers lowered to direct calls (a part of `lower.rs`): where the trace knows
//! the operands' types, `a + b` of two strings, `str(n)` of an int, `int(s)` of a string and
//! the comparisons of two strings call their own runtime function (`runtime_str_direct.rs`)
//! with payload words in registers, not `call_helper` with (tag, payload) pairs in memory; so
//! do the string methods, indexing and slices of `runtime_str_methods::METHODS` (a slice's
//! `None` bounds as a mask of operand bits).
//! `==` and `!=` test lengths and short constants inline first (`lower_str_eq.rs`).
//! The comparisons of two tuples call `runtime_tuples`'s `TUPLE_COMPARE` the same way (it
//! fails where the interpreter raises: the trace exits before the comparison).
//! The trace IR and the dump are unchanged: this is a choice of the lowering.
//!
//! The first `+` of a chain `a + b + c + ...` that appends in place (`lower_str_append.rs`)
//! allocates room for the pieces that follow: each constant piece's length, a guess for the
//! others; the appends after it then rarely grow the block.
//!
//! Touches nothing but the function being built.

use cranelift_codegen::ir::{self, InstBuilder, types};

use super::super::ir::helpers::Helper;
use super::super::ir::{Effect, IrRef, Op, SnapId, Trace, Type};
use super::Lowerer;
use super::str_append::{SoleReaders, appends_in_place};
use crate::interp::objects::value::Value;
use crate::jit::runtime_str_methods::{METHODS, Operand};

/// `==` and `!=` inline.
#[path = "lower_str_eq.rs"]
mod str_eq;

/// A short constant appended to a fresh string inline.
#[path = "lower_str_append_const.rs"]
mod str_append_const;

/// The runtime functions of `runtime_str_direct.rs` and `runtime_str_methods.rs`, each
/// imported when a trace calls it.
#[derive(Clone, Copy, Default)]
pub(super) struct DirectFunctions {
    concat: Option<ir::FuncRef>,
    append: Option<ir::FuncRef>,
    append_fresh: Option<ir::FuncRef>,
    of_int: Option<ir::FuncRef>,
    case_in_place: Option<ir::FuncRef>,
    plus_int: Option<ir::FuncRef>,
    int_of: Option<ir::FuncRef>,
    compare: Option<ir::FuncRef>,
    tuple_compare: Option<ir::FuncRef>,
    /// By index in `METHODS`.
    methods: [Option<ir::FuncRef>; METHODS.len()],
}

/// Which direct function runs `op` of `trace`, if one does.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Direct {
    Concat,
    Append,
    /// An append to what an earlier `+` of the same iteration made.
    AppendFresh,
    OfInt,
    /// `str(n)` whose digits the `+` that reads it writes into its result (see
    /// [`digits_into_plus`]): no code of its own.
    OfIntInPlus,
    IntOf,
    Compare,
    /// A comparison of two tuples.
    TupleCompare,
    /// `METHODS[i]`.
    Method(usize),
    /// `s.upper()` (true) or `s.lower()` where the trace reads `s` nowhere after: mapped in
    /// place when the runtime finds it a fresh string only the garbage holds.
    CaseInPlace(bool),
}

/// A helper instruction's function and operands (the first `count` of the four).
struct HelperCall {
    fun: Helper,
    operands: [IrRef; 4],
    count: usize,
}

impl HelperCall {
    fn of(op: &Op) -> Option<HelperCall> {
        let none = IrRef(0);
        let (fun, operands, count) = match *op {
            Op::Helper0 { fun, .. } => (fun, [none; 4], 0),
            Op::Helper1 { fun, a, .. } => (fun, [a, none, none, none], 1),
            Op::Helper2 { fun, a, b, .. } => (fun, [a, b, none, none], 2),
            Op::Helper3 { fun, a, b, c, .. } => (fun, [a, b, c, none], 3),
            Op::Helper4 { fun, a, b, c, d, .. } => (fun, [a, b, c, d], 4),
            _ => return None,
        };
        Some(HelperCall { fun, operands, count })
    }

    fn args(&self) -> &[IrRef] {
        &self.operands[..self.count]
    }
}

/// The entry of `METHODS` that runs helper instruction `r` (of result type `ty`), if one does.
fn method(trace: &Trace, op: &Op, ty: Type) -> Option<usize> {
    let call = HelperCall::of(op)?;
    let (fun, args) = (call.fun, call.args());
    let fits = |operand: Operand, x: &IrRef| match (operand, trace.ty(*x)) {
        (Operand::Str, Type::Str) | (Operand::List, Type::Ptr) | (Operand::Int, Type::Int) => true,
        (Operand::IntOrNone, found) => matches!(found, Type::Int | Type::NoneType),
        _ => false,
    };
    METHODS.iter().position(|m| {
        m.helper == fun
            && m.result == ty
            && m.operands.len() == args.len()
            && m.operands.iter().zip(args).all(|(&operand, x)| fits(operand, x))
    })
}

/// For each instruction of `trace`: the direct function that runs it, if one does (one pass;
/// the lowering keeps it per trace, `TraceState::direct_kinds`).
pub(super) fn direct_kinds(trace: &Trace) -> Vec<Option<Direct>> {
    if !trace.insts.iter().any(|inst| HelperCall::of(&inst.op).is_some()) {
        return vec![None; trace.insts.len()];
    }
    let sole = SoleReaders::of(trace);
    let appends = appends_in_place(trace, &sole);
    let mut kinds: Vec<Option<Direct>> = Vec::with_capacity(trace.insts.len());
    for (r, inst) in trace.insts.iter().enumerate() {
        let all = |refs: &[IrRef], ty: Type| refs.iter().all(|&x| trace.ty(x) == ty);
        let strs = |refs: &[IrRef]| all(refs, Type::Str);
        let kind = if let Some(index) = method(trace, &inst.op, inst.ty) {
            match (METHODS[index].helper, inst.op) {
                (helper @ (Helper::Upper | Helper::Lower), Op::Helper1 { a, .. }) if sole.only_reader(a, r) => {
                    Some(Direct::CaseInPlace(helper == Helper::Upper))
                }
                _ => Some(Direct::Method(index)),
            }
        } else {
            match inst.op {
                Op::Helper2 { fun: Helper::Add, a, b, .. } if inst.ty == Type::Str && strs(&[a, b]) => {
                    Some(match appends[r] {
                        true if made_by_plus_this_iteration(trace, &kinds, a, r) => Direct::AppendFresh,
                        true => Direct::Append,
                        false => Direct::Concat,
                    })
                }
                Op::Helper2 {
                    fun: Helper::Eq | Helper::Ne | Helper::Lt | Helper::Le | Helper::Gt | Helper::Ge,
                    a,
                    b,
                    ..
                } if inst.ty == Type::Bool && strs(&[a, b]) => Some(Direct::Compare),
                Op::Helper2 {
                    fun: Helper::Eq | Helper::Ne | Helper::Lt | Helper::Le | Helper::Gt | Helper::Ge,
                    a,
                    b,
                    ..
                } if inst.ty == Type::Bool && all(&[a, b], Type::Tuple) => Some(Direct::TupleCompare),
                Op::Helper1 { fun: Helper::Str, a, .. } if inst.ty == Type::Str && trace.ty(a) == Type::Int => {
                    Some(Direct::OfInt)
                }
                Op::Helper1 { fun: Helper::Int, a, .. } if inst.ty == Type::Int && trace.ty(a) == Type::Str => {
                    Some(Direct::IntOf)
                }
                _ => None,
            }
        };
        kinds.push(kind);
    }
    for s in digits_into_plus(trace, &kinds, &sole) {
        kinds[s] = Some(Direct::OfIntInPlus);
    }
    kinds
}

/// The `str(n)` instructions (direct, `OfInt`) whose only reader is the direct `+` right after
/// them, as its right operand (`"user" + str(k)`): that `+` writes the digits into its result
/// itself, and the string is never made. Safe when nothing but that `+` can see the string:
/// no other instruction reads it and no snapshot but the `+`'s holds it (`sole`, with nothing
/// between them that exits); the `+`, were it to
/// fail (past the size cap, before changing anything), exits through `str(n)`'s snapshot
/// instead, which the instructions in between (clearing slots, constants) leave valid: the
/// interpreter makes the string again and raises at the `+`.
fn digits_into_plus(trace: &Trace, kinds: &[Option<Direct>], sole: &SoleReaders) -> Vec<usize> {
    // Nothing between them exits (so no snapshot there holds the string); after the `+`, no
    // instruction reads it and no exit writes it.
    let quiet_between = |s: usize, r: usize| {
        trace.insts[s + 1..r].iter().all(|i| {
            matches!(i.op, Op::ClearSlot { .. }) || (i.op.snapshot().is_none() && i.op.effect() == Effect::Pure)
        })
    };
    trace
        .insts
        .iter()
        .enumerate()
        .filter_map(|(r, inst)| match inst.op {
            Op::Helper2 { fun: Helper::Add, a, b, .. }
                if a != b
                    && matches!(kinds[r], Some(Direct::Concat | Direct::Append | Direct::AppendFresh))
                    && kinds.get(b.0 as usize) == Some(&Some(Direct::OfInt))
                    && quiet_between(b.0 as usize, r)
                    && sole.only_reader(b, r) =>
            {
                Some(b.0 as usize)
            }
            _ => None,
        })
        .collect()
}

/// Is `a`, the left operand of the `+` at `r`, a string a direct `+` made earlier in the same
/// iteration (no loop head between them)? Then only the garbage holds it: nothing that runs in
/// between can take a reference to a value no other instruction reads, and no back edge has
/// dropped the garbage since. (`kinds`: those of the instructions before `r`.)
fn made_by_plus_this_iteration(trace: &Trace, kinds: &[Option<Direct>], a: IrRef, r: usize) -> bool {
    let between = trace.insts.get(a.0 as usize..r).unwrap_or(&[]);
    matches!(trace.insts.get(a.0 as usize).map(|i| i.op), Some(Op::Helper2 { fun: Helper::Add, .. }))
        && matches!(kinds.get(a.0 as usize), Some(Some(Direct::Concat | Direct::Append | Direct::AppendFresh)))
        && !between.iter().any(|i| matches!(i.op, Op::Loop))
}

/// Imports the direct functions `traces` call, through `import` (`lower_imports.rs`'s: used,
/// name, parameters, results).
pub(super) fn import<'t>(
    traces: impl Iterator<Item = &'t Trace>,
    mut import: impl FnMut(bool, &str, &[ir::Type], &[ir::Type]) -> Result<Option<ir::FuncRef>, String>,
) -> Result<DirectFunctions, String> {
    use crate::jit::runtime_str_direct as rt;
    // One pass over the traces: the kinds they call.
    let mut called: Vec<Direct> = Vec::new();
    for t in traces {
        for kind in direct_kinds(t).into_iter().flatten() {
            if !called.contains(&kind) {
                called.push(kind);
            }
        }
    }
    let uses = |kind: Direct| called.contains(&kind);
    let word = types::I64;
    Ok(DirectFunctions {
        concat: import(
            uses(Direct::Concat) || uses(Direct::Append),
            rt::STR_CONCAT,
            &[word, word, types::I32],
            &[word],
        )?,
        append: import(
            uses(Direct::Append) || uses(Direct::AppendFresh),
            rt::STR_APPEND,
            &[word, word, types::I32],
            &[word],
        )?,
        append_fresh: import(uses(Direct::AppendFresh), rt::STR_APPEND_FRESH, &[word, word, types::I32], &[word])?,
        of_int: import(uses(Direct::OfInt), rt::STR_OF_INT, &[word], &[word])?,
        case_in_place: import(
            uses(Direct::CaseInPlace(true)) || uses(Direct::CaseInPlace(false)),
            rt::STR_CASE_IN_PLACE,
            &[word, types::I32],
            &[word],
        )?,
        plus_int: import(uses(Direct::OfIntInPlus), rt::STR_PLUS_INT, &[word, word, types::I32, types::I32], &[word])?,
        int_of: import(uses(Direct::IntOf), rt::INT_OF_STR, &[word], &[word])?,
        compare: import(uses(Direct::Compare), rt::STR_COMPARE, &[types::I32, word, word], &[word])?,
        tuple_compare: import(
            uses(Direct::TupleCompare),
            crate::jit::runtime_tuples::TUPLE_COMPARE,
            &[types::I32, word, word],
            &[word],
        )?,
        methods: {
            let mut methods = [None; METHODS.len()];
            for (index, m) in METHODS.iter().enumerate() {
                let mut params = vec![word; m.operands.len()];
                if m.takes_none_mask() {
                    params.push(types::I32);
                }
                methods[index] = import(uses(Direct::Method(index)), m.symbol, &params, &[word])?;
            }
            methods
        },
    })
}

/// Bytes guessed for a piece of a chain whose length the trace does not know (a word, a
/// number): a guess too small costs a reallocation, one too large a few bytes of the block.
const GUESSED_PIECE: usize = 8;
/// The most room a chain's first `+` asks for.
const MAX_ROOM: usize = 1024;

impl Lowerer<'_, '_> {
    /// Lowers instruction `r` (a helper call) to a direct call, if one runs it: its value, of
    /// type `ty`, exiting through `snap` where the helper fails.
    pub(super) fn lower_direct_helper(
        &mut self,
        r: IrRef,
        ty: Type,
        snap: SnapId,
    ) -> Result<Option<ir::Value>, String> {
        let trace = self.t.trace;
        let Some(kind) = self.t.direct_kinds.get(r.0 as usize).copied().flatten() else { return Ok(None) };
        let missing = || format!("a direct string helper ({kind:?}) without its runtime function");
        let functions = self.runtime.str_direct;
        let mut snap = snap;
        let word = match (kind, trace.insts[r.0 as usize].op) {
            (Direct::OfIntInPlus, _) => {
                // Never read: the `+` after it writes the digits (see `digits_into_plus`).
                return Ok(Some(self.b.ins().iconst(types::I64, 0)));
            }
            (Direct::Concat | Direct::Append | Direct::AppendFresh, Op::Helper2 { a, b, .. })
                if self.t.direct_kinds.get(b.0 as usize) == Some(&Some(Direct::OfIntInPlus)) =>
            {
                use crate::jit::runtime_str_direct as rt;
                let Op::Helper1 { a: number, snap: before_digits, .. } = trace.insts[b.0 as usize].op else {
                    return Err(format!("{b} is not the str() its kind says"));
                };
                snap = before_digits;
                let how = match kind {
                    Direct::Append => rt::PLUS_APPEND,
                    Direct::AppendFresh => rt::PLUS_APPEND_FRESH,
                    _ => rt::PLUS_NEW,
                };
                let room = self.chain_room(r, a);
                let (x, number) = (self.val(a)?, self.val(number)?);
                let room = self.b.ins().iconst(types::I32, room as i64);
                let how = self.b.ins().iconst(types::I32, i64::from(how));
                let call = self.b.ins().call(functions.plus_int.ok_or_else(missing)?, &[x, number, room, how]);
                self.b.inst_results(call)[0]
            }
            (Direct::Concat | Direct::Append | Direct::AppendFresh, Op::Helper2 { a, b, .. }) => {
                let function = match kind {
                    Direct::Append => functions.append,
                    Direct::AppendFresh => functions.append_fresh,
                    _ => functions.concat,
                };
                let function = function.ok_or_else(missing)?;
                let room = self.chain_room(r, a);
                let (x, y) = (self.val(a)?, self.val(b)?);
                let call_append = move |this: &mut Self| {
                    let room = this.b.ins().iconst(types::I32, room as i64);
                    let call = this.b.ins().call(function, &[x, y, room]);
                    this.b.inst_results(call)[0]
                };
                match self.constant_str(b) {
                    Some(piece)
                        if kind == Direct::AppendFresh
                            && (1..=str_append_const::MAX_INLINE_BYTES).contains(&piece.len()) =>
                    {
                        let chars = piece.char_count();
                        self.append_constant_inline(x, piece.as_bytes(), chars, call_append)
                    }
                    _ => call_append(self),
                }
            }
            (Direct::Compare, Op::Helper2 { fun: fun @ (Helper::Eq | Helper::Ne), a, b, .. }) => {
                let compare = functions.compare.ok_or_else(missing)?;
                let value = self.str_equality((a, b), fun == Helper::Ne, |this, x, y| {
                    let number = this.b.ins().iconst(types::I32, i64::from(fun.number()));
                    let call = this.b.ins().call(compare, &[number, x, y]);
                    let word = this.b.inst_results(call)[0];
                    this.b.ins().ireduce(types::I8, word)
                })?;
                return Ok(Some(value));
            }
            (Direct::Compare, Op::Helper2 { fun, a, b, .. }) => {
                let (x, y) = (self.val(a)?, self.val(b)?);
                let number = self.b.ins().iconst(types::I32, i64::from(fun.number()));
                let call = self.b.ins().call(functions.compare.ok_or_else(missing)?, &[number, x, y]);
                // Comparing two strings never fails.
                let word = self.b.inst_results(call)[0];
                return Ok(Some(self.b.ins().ireduce(types::I8, word)));
            }
            (Direct::TupleCompare, Op::Helper2 { fun, a, b, .. }) => {
                let (x, y) = (self.val(a)?, self.val(b)?);
                let number = self.b.ins().iconst(types::I32, i64::from(fun.number()));
                let call = self.b.ins().call(functions.tuple_compare.ok_or_else(missing)?, &[number, x, y]);
                self.b.inst_results(call)[0]
            }
            (Direct::OfInt | Direct::IntOf, Op::Helper1 { a, .. }) => {
                let function = if kind == Direct::OfInt { functions.of_int } else { functions.int_of };
                let x = self.val(a)?;
                let call = self.b.ins().call(function.ok_or_else(missing)?, &[x]);
                self.b.inst_results(call)[0]
            }
            (Direct::CaseInPlace(upper), Op::Helper1 { a, .. }) => {
                let s = self.val(a)?;
                let upper = self.b.ins().iconst(types::I32, i64::from(upper));
                let call = self.b.ins().call(functions.case_in_place.ok_or_else(missing)?, &[s, upper]);
                self.b.inst_results(call)[0]
            }
            (Direct::Method(index), op) => {
                let call = HelperCall::of(&op).ok_or_else(missing)?;
                let args = call.args();
                let mut words = Vec::with_capacity(args.len() + 1);
                let mut nones = 0;
                for (i, &arg) in args.iter().enumerate() {
                    words.push(if trace.ty(arg) == Type::NoneType {
                        nones |= 1 << i;
                        self.b.ins().iconst(types::I64, 0)
                    } else {
                        self.val(arg)?
                    });
                }
                if METHODS[index].takes_none_mask() {
                    words.push(self.b.ins().iconst(types::I32, nones));
                }
                let function = functions.methods[index].ok_or_else(missing)?;
                let call = self.b.ins().call(function, &words);
                self.b.inst_results(call)[0]
            }
            _ => return Err(format!("a direct string helper ({kind:?}) of another shape")),
        };
        self.helper_result(word, ty, snap).map(Some)
    }

    /// The room the `+` at `r` (left operand `a`) leaves for the appends that follow it in
    /// place: nothing unless it starts a chain (makes a new string, or appends to one no `+`
    /// of this trace made).
    fn chain_room(&self, r: IrRef, a: IrRef) -> usize {
        let trace = self.t.trace;
        let kinds = &self.t.direct_kinds;
        // (A `+` of two strings appends in place exactly when its kind is an append.)
        let appends = matches!(kinds.get(r.0 as usize), Some(Some(Direct::Append | Direct::AppendFresh)));
        let continues_chain = appends && matches!(trace.insts[a.0 as usize].op, Op::Helper2 { fun: Helper::Add, .. });
        if continues_chain {
            return 0;
        }
        let mut room = 0;
        let mut at = r;
        while let Some((next, piece)) = next_append(trace, kinds, at) {
            room += match trace.insts[piece.0 as usize].op {
                Op::ConstStr { index } => match self.t.objects.get(index as usize) {
                    Some(Value::Str(s)) => s.len(),
                    _ => GUESSED_PIECE,
                },
                _ => GUESSED_PIECE,
            };
            if room >= MAX_ROOM {
                return MAX_ROOM;
            }
            at = next;
        }
        room
    }
}

/// The `+` that appends in place to the string `r` makes, and the piece it appends.
fn next_append(trace: &Trace, kinds: &[Option<Direct>], r: IrRef) -> Option<(IrRef, IrRef)> {
    let (next, piece) = trace.insts.iter().enumerate().skip(r.0 as usize + 1).find_map(|(i, inst)| match inst.op {
        Op::Helper2 { fun: Helper::Add, a, b, .. } if a == r => Some((IrRef(i as u32), b)),
        _ => None,
    })?;
    matches!(kinds.get(next.0 as usize), Some(Some(Direct::Append | Direct::AppendFresh))).then_some((next, piece))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jit::ir::Snapshot;

    /// `x + "ab" + y + "c"`, each `+` with its own exit, the last returned.
    fn chain() -> Trace {
        let mut t = Trace::default();
        let snap = |t: &mut Trace| t.add_snapshot(Snapshot::default());
        let x = t.push(Op::SlotStr { slot: 0 }, Type::Str);
        let y = t.push(Op::SlotStr { slot: 1 }, Type::Str);
        let n = t.push(Op::SlotInt { slot: 2 }, Type::Int);
        let ab = t.push(Op::ConstStr { index: 0 }, Type::Str);
        let s = snap(&mut t);
        let first = t.push(Op::Helper2 { fun: Helper::Add, a: x, b: ab, ty: Type::Str, snap: s }, Type::Str);
        let s = snap(&mut t);
        let second = t.push(Op::Helper2 { fun: Helper::Add, a: first, b: y, ty: Type::Str, snap: s }, Type::Str);
        let s = snap(&mut t);
        let digits = t.push(Op::Helper1 { fun: Helper::Str, a: n, ty: Type::Str, snap: s }, Type::Str);
        let s = snap(&mut t);
        let third = t.push(Op::Helper2 { fun: Helper::Add, a: second, b: digits, ty: Type::Str, snap: s }, Type::Str);
        let s = snap(&mut t);
        t.push(Op::Ret { value: third, snap: s }, Type::Void);
        t
    }

    #[test]
    fn string_helpers_of_known_types_are_direct() {
        let t = chain();
        let kinds = direct_kinds(&t);
        use Direct::*;
        // `x` is a slot's string (read by its `+` only: the runtime decides); the others append
        // to what the `+` before made.
        // `str(n)`, read by the last `+` only, is written into its result.
        assert_eq!(kinds[4..9], [Some(Append), Some(AppendFresh), Some(OfIntInPlus), Some(AppendFresh), None]);
        assert_eq!(next_append(&t, &kinds, IrRef(4)), Some((IrRef(5), IrRef(1))));
        assert_eq!(next_append(&t, &kinds, IrRef(5)), Some((IrRef(7), IrRef(6))));
        assert_eq!(next_append(&t, &kinds, IrRef(7)), None);
    }

    #[test]
    fn digits_seen_by_an_exit_or_another_reader_get_a_string_of_their_own() {
        // An exit after the `+` that writes `str(n)`.
        let mut t = chain();
        let seen = t.add_snapshot(Snapshot { slots: vec![(3, IrRef(6))], ..Snapshot::default() });
        if let Op::Ret { snap, .. } = &mut t.insts[8].op {
            *snap = seen;
        }
        assert_eq!(direct_kinds(&t)[6], Some(Direct::OfInt));
        // Another reader (the string returned too).
        let mut t = chain();
        let s = t.add_snapshot(Snapshot::default());
        let twice =
            t.push(Op::Helper2 { fun: Helper::Add, a: IrRef(6), b: IrRef(6), ty: Type::Str, snap: s }, Type::Str);
        t.push(Op::Ret { value: twice, snap: s }, Type::Void);
        assert_eq!(direct_kinds(&t)[6], Some(Direct::OfInt));
    }
}
