//! Allocation removal (PyPy's virtuals, LuaJIT's allocation sinking): a tuple the trace builds
//! (`NewTuple` and its `TupleInit`s) that never escapes is never allocated. Its items stay IR
//! values: `TupleLen` becomes a constant, `TupleIndex`/`TupleLoad` with a constant index the
//! item's value, and a snapshot that names it describes it instead
//! ([`crate::jit::ir::VirtualTuple`]), so that the exit builds it. A tuple a loop carries (a
//! `Phi` whose entry and back values are both such tuples: `lo, hi = hi, lo + hi`, a pair
//! updated each iteration) becomes one `Phi` per item.
//!
//! Guarantees: a tuple stays virtual only if no operation but those above (and snapshots, and
//! the Phis of such tuples) uses it, and the same holds for every tuple it is carried with
//! through Phis and every tuple that holds it as an item; anything else (stored into a list or a
//! tuple that escapes, returned, passed to a native call, indexed by a variable) makes it escape,
//! and an escaping tuple is built where it was built before, as recorded. So the program can
//! never see two copies of one tuple: a virtual one is built at most once per exit, and two
//! slots an exit writes with the same virtual tuple get the same object.
//!
//! Touches only the trace it is given (returned rewritten; unchanged if anything unexpected
//! turns up).

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use super::super::ir::{IrRef, Op, SnapValue, Snapshot, Trace, Type, VirtualTuple};

/// How many tuples `trace` builds (`NewTuple`s).
pub fn tuples_built(trace: &Trace) -> usize {
    trace.insts.iter().filter(|i| matches!(i.op, Op::NewTuple { .. })).count()
}

/// The line the optimizer's report prints for this pass: how many tuples were removed (of the
/// `was` built before it) and how many are still built.
pub fn summary(was: usize, after: &Trace) -> String {
    let left = tuples_built(after);
    format!("{} tuples virtual, {left} escape", was.saturating_sub(left))
}

pub fn run(trace: Trace) -> Trace {
    if !trace.insts.iter().any(|i| matches!(i.op, Op::NewTuple { .. })) {
        return trace;
    }
    let analysis = Analysis::of(&trace);
    if analysis.virtual_tuples.is_empty() {
        return trace;
    }
    Rewrite::new(&trace, &analysis).run().unwrap_or(trace)
}

/// Which tuples stay virtual.
struct Analysis {
    /// `NewTuple`s and tuple `Phi`s that stay virtual.
    virtual_tuples: HashSet<IrRef>,
    /// Int constants (and the constant results of `TupleIndex` on a candidate).
    constants: HashMap<IrRef, i64>,
}

impl Analysis {
    fn of(trace: &Trace) -> Analysis {
        let insts = &trace.insts;
        let mut len: HashMap<IrRef, i64> = HashMap::default();
        // The item types and values of each NewTuple (`None` until its TupleInit).
        let mut item_types: HashMap<IrRef, Vec<Option<Type>>> = HashMap::default();
        let mut item_values: HashMap<IrRef, Vec<Option<IrRef>>> = HashMap::default();
        let mut constants: HashMap<IrRef, i64> = HashMap::default();
        for (at, inst) in insts.iter().enumerate() {
            let r = IrRef(at as u32);
            match inst.op {
                Op::NewTuple { len: n } => {
                    len.insert(r, n);
                    item_types.insert(r, vec![None; n.max(0) as usize]);
                    item_values.insert(r, vec![None; n.max(0) as usize]);
                }
                Op::TupleInit { tuple, index, value } => {
                    if let Some(slot) = item_types.get_mut(&tuple).and_then(|items| items.get_mut(index as usize)) {
                        *slot = Some(trace.ty(value));
                    }
                    if let Some(slot) = item_values.get_mut(&tuple).and_then(|items| items.get_mut(index as usize)) {
                        *slot = Some(value);
                    }
                }
                Op::ConstInt { value } => {
                    constants.insert(r, value);
                }
                _ => {}
            }
        }
        // Tuple Phis whose entry and back are both NewTuples of one shape are candidates.
        for (at, inst) in insts.iter().enumerate() {
            if let Op::Phi { ty: Type::Tuple, entry, back, .. } = inst.op
                && let (Some(a), Some(b)) = (item_types.get(&entry), item_types.get(&back))
                && a == b
            {
                len.insert(IrRef(at as u32), a.len() as i64);
                item_types.insert(IrRef(at as u32), a.clone());
            }
        }
        let mut escapes: HashSet<IrRef> = HashSet::default();
        // Phi groups: a candidate Phi and its entry and back stand or fall together.
        let mut joined: Vec<(IrRef, IrRef)> = Vec::new();
        // Items: (tuple, item): if the tuple escapes, so does the item.
        let mut held_by: Vec<(IrRef, IrRef)> = Vec::new();
        let constant_index = |index: IrRef, tuple: IrRef, constants: &HashMap<IrRef, i64>| {
            let n = *len.get(&tuple)?;
            let i = *constants.get(&index)?;
            let i = if i < 0 { i + n } else { i };
            (0..n).contains(&i).then_some(i)
        };
        // A load of an item that is itself a candidate tuple is that tuple (nested tuples).
        let mut alias: HashMap<IrRef, IrRef> = HashMap::default();
        for (at, inst) in insts.iter().enumerate() {
            let r = IrRef(at as u32);
            let op = inst.op.map_operands(|operand| alias.get(&operand).copied().unwrap_or(operand));
            match op {
                Op::TupleInit { tuple, value, .. } => {
                    if len.contains_key(&value) {
                        held_by.push((tuple, value));
                    }
                }
                Op::TupleLen { .. } => {}
                Op::TupleIndex { tuple, index, .. } => match constant_index(index, tuple, &constants) {
                    Some(i) => {
                        constants.insert(r, i);
                    }
                    None => {
                        escapes.insert(tuple);
                    }
                },
                Op::TupleLoad { tuple, index, ty, .. } => {
                    let item = constant_index(index, tuple, &constants).and_then(|i| {
                        item_types.get(&tuple).and_then(|items| items.get(i as usize).copied().flatten())
                    });
                    if len.contains_key(&tuple) && item != Some(ty) {
                        escapes.insert(tuple);
                    }
                    let item_value = constant_index(index, tuple, &constants).and_then(|i| {
                        item_values.get(&tuple).and_then(|items| items.get(i as usize).copied().flatten())
                    });
                    if let Some(item) = item_value.filter(|item| len.contains_key(item)) {
                        alias.insert(r, item);
                    }
                }
                Op::Phi { entry, back, .. } => {
                    if len.contains_key(&r) {
                        joined.push((r, entry));
                        joined.push((r, back));
                    } else {
                        for operand in [entry, back] {
                            if len.contains_key(&operand) {
                                escapes.insert(operand);
                            }
                        }
                    }
                }
                op => op.for_each_operand(|operand| {
                    if len.contains_key(&operand) {
                        escapes.insert(operand);
                    }
                }),
            }
        }
        // A tuple a loop carries is split into one Phi per item: its items must be plain values.
        for &(phi, _) in &joined {
            let carried = joined.iter().filter(|(p, _)| *p == phi).map(|&(_, t)| t);
            for tuple in carried.collect::<Vec<_>>() {
                for &(holder, item) in &held_by {
                    if holder == tuple {
                        escapes.insert(item);
                    }
                }
            }
        }
        // One tuple carried by two Phis (`b = a` in the loop) would become two sets of item
        // Phis and, at an exit, two objects where the program has one: it escapes.
        for &(phi, member) in &joined {
            if joined.iter().any(|&(other, m)| m == member && other != phi) {
                escapes.insert(member);
            }
        }
        // Until nothing changes: escaping spreads through Phi groups and to items.
        loop {
            let before = escapes.len();
            for &(phi, member) in &joined {
                if escapes.contains(&phi) || escapes.contains(&member) {
                    escapes.insert(phi);
                    escapes.insert(member);
                }
            }
            for &(holder, item) in &held_by {
                if escapes.contains(&holder) {
                    escapes.insert(item);
                }
            }
            if escapes.len() == before {
                break;
            }
        }
        let virtual_tuples = len.keys().copied().filter(|r| !escapes.contains(r)).collect();
        Analysis { virtual_tuples, constants }
    }
}

/// What an old instruction's value became.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Val {
    Real(IrRef),
    /// A virtual tuple (an index into `Rewrite::tuples`).
    Virtual(usize),
}

struct Rewrite<'a> {
    trace: &'a Trace,
    analysis: &'a Analysis,
    out: Trace,
    map: Vec<Option<Val>>,
    /// The items of each virtual tuple.
    tuples: Vec<Vec<Option<Val>>>,
    /// Item Phis whose back value is set at the end: (the new Phi, the old back value, item).
    pending_backs: Vec<(IrRef, IrRef, usize)>,
    /// Constants emitted for `TupleLen`/`TupleIndex` on virtual tuples.
    constants: HashMap<i64, IrRef>,
}

impl<'a> Rewrite<'a> {
    fn new(trace: &'a Trace, analysis: &'a Analysis) -> Rewrite<'a> {
        Rewrite {
            trace,
            analysis,
            out: Trace { insts: Vec::new(), origins: Default::default(), ..trace.clone() },
            map: vec![None; trace.insts.len()],
            tuples: Vec::new(),
            pending_backs: Vec::new(),
            constants: HashMap::default(),
        }
    }

    /// The new trace, or `None` if a virtual tuple turned up where the analysis said it could
    /// not (then the pass leaves the trace alone).
    fn run(mut self) -> Option<Trace> {
        for (at, inst) in self.trace.insts.iter().enumerate() {
            let r = IrRef(at as u32);
            self.out.origins.current = self.trace.origin(r);
            let virtual_here = self.analysis.virtual_tuples.contains(&r);
            let val = match inst.op {
                Op::NewTuple { len } if virtual_here => {
                    self.tuples.push(vec![None; len as usize]);
                    Some(Val::Virtual(self.tuples.len() - 1))
                }
                Op::TupleInit { tuple, index, value } if self.is_virtual(tuple) => {
                    let item = self.val(value)?;
                    let Some(Val::Virtual(t)) = self.map[tuple.0 as usize] else { return None };
                    *self.tuples[t].get_mut(index as usize)? = Some(item);
                    None
                }
                Op::TupleLen { tuple } if self.is_virtual(tuple) => {
                    let Some(Val::Virtual(t)) = self.map[tuple.0 as usize] else { return None };
                    let n = self.tuples[t].len() as i64;
                    Some(Val::Real(self.constant(n)))
                }
                Op::TupleIndex { tuple, .. } if self.is_virtual(tuple) => {
                    let i = *self.analysis.constants.get(&r)?;
                    Some(Val::Real(self.constant(i)))
                }
                Op::TupleLoad { tuple, index, .. } if self.is_virtual(tuple) => {
                    let Some(Val::Virtual(t)) = self.map[tuple.0 as usize] else { return None };
                    let n = self.tuples[t].len() as i64;
                    let i = *self.analysis.constants.get(&index)?;
                    let i = if i < 0 { i + n } else { i };
                    Some((*self.tuples[t].get(usize::try_from(i).ok()?)?)?)
                }
                Op::Phi { slot, entry, back, .. } if virtual_here => {
                    let Some(Val::Virtual(from)) = self.map[entry.0 as usize] else { return None };
                    let items: Vec<Option<Val>> = self.tuples[from].clone();
                    let mut phis = Vec::with_capacity(items.len());
                    for (k, item) in items.into_iter().enumerate() {
                        let Some(Val::Real(item)) = item else { return None };
                        let ty = self.out.ty(item);
                        let phi = self.out.push(Op::Phi { slot, ty, entry: item, back: item }, ty);
                        self.pending_backs.push((phi, back, k));
                        phis.push(Some(Val::Real(phi)));
                    }
                    self.tuples.push(phis);
                    Some(Val::Virtual(self.tuples.len() - 1))
                }
                Op::Phi { slot, ty, entry, back } => {
                    let entry = self.real(entry)?;
                    // Renamed at the end (it names a later instruction).
                    Some(Val::Real(self.out.push(Op::Phi { slot, ty, entry, back }, inst.ty)))
                }
                op => {
                    let mut ok = true;
                    let renamed = op.map_operands(|operand| match self.map[operand.0 as usize] {
                        Some(Val::Real(new)) => new,
                        _ => {
                            ok = false;
                            operand
                        }
                    });
                    if !ok {
                        return None;
                    }
                    Some(Val::Real(self.out.push(renamed, inst.ty)))
                }
            };
            self.map[at] = val;
        }
        self.finish_phis()?;
        self.rewrite_snapshots()?;
        Some(self.out)
    }

    fn is_virtual(&self, r: IrRef) -> bool {
        matches!(self.map[r.0 as usize], Some(Val::Virtual(_)))
    }

    fn val(&self, r: IrRef) -> Option<Val> {
        self.map[r.0 as usize]
    }

    fn real(&self, r: IrRef) -> Option<IrRef> {
        match self.map[r.0 as usize]? {
            Val::Real(new) => Some(new),
            Val::Virtual(_) => None,
        }
    }

    fn constant(&mut self, value: i64) -> IrRef {
        if let Some(&r) = self.constants.get(&value) {
            return r;
        }
        let r = self.out.push(Op::ConstInt { value }, Type::Int);
        self.constants.insert(value, r);
        r
    }

    /// Sets the back values of the Phis: renamed, and the item Phis' from their back tuple.
    fn finish_phis(&mut self) -> Option<()> {
        for i in 0..self.out.insts.len() {
            if let Op::Phi { slot, ty, entry, back } = self.out.insts[i].op {
                let pending = self.pending_backs.iter().find(|(phi, ..)| phi.0 as usize == i).copied();
                let new_back = match pending {
                    Some((_, old_back, k)) => {
                        let Some(Val::Virtual(t)) = self.map[old_back.0 as usize] else { return None };
                        match (*self.tuples[t].get(k)?)? {
                            Val::Real(item) => item,
                            Val::Virtual(_) => return None,
                        }
                    }
                    None => self.real(back)?,
                };
                self.out.insts[i].op = Op::Phi { slot, ty, entry, back: new_back };
            }
        }
        Some(())
    }

    /// Renames each snapshot; a slot holding a virtual tuple becomes a virtual slot.
    fn rewrite_snapshots(&mut self) -> Option<()> {
        let mut snapshots = Vec::with_capacity(self.out.snapshots.len());
        for snap in &self.out.snapshots {
            let mut new =
                Snapshot { slots: Vec::new(), virtual_slots: Vec::new(), virtuals: Vec::new(), ..snap.clone() };
            // The virtual tuples of this snapshot, by their index in `self.tuples`.
            let mut described: HashMap<usize, u32> = HashMap::default();
            for &(slot, r) in &snap.slots {
                match self.map[r.0 as usize]? {
                    Val::Real(new_r) => new.slots.push((slot, new_r)),
                    Val::Virtual(t) => {
                        let v = self.describe(t, &mut new, &mut described, 0)?;
                        new.virtual_slots.push((slot, v));
                    }
                }
            }
            snapshots.push(new);
        }
        self.out.snapshots = snapshots;
        Some(())
    }

    /// Adds virtual tuple `t` (its items first) to snapshot `snap`; returns its index there.
    fn describe(
        &self,
        t: usize,
        snap: &mut Snapshot,
        described: &mut HashMap<usize, u32>,
        depth: usize,
    ) -> Option<u32> {
        if let Some(&v) = described.get(&t) {
            return Some(v);
        }
        // Items are built by earlier instructions, so nesting is finite; bound it anyway.
        if depth > 64 {
            return None;
        }
        let mut items = Vec::with_capacity(self.tuples[t].len());
        for item in &self.tuples[t] {
            items.push(match (*item)? {
                Val::Real(r) => SnapValue::Value(r),
                Val::Virtual(inner) => SnapValue::Virtual(self.describe(inner, snap, described, depth + 1)?),
            });
        }
        snap.virtuals.push(VirtualTuple { items });
        let v = snap.virtuals.len() as u32 - 1;
        described.insert(t, v);
        Some(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jit::ir::{SnapId, Snapshot};

    /// `t = (a, a + 1)`; `x, y = t` in a loop: no allocation left; the exit describes `t`.
    #[test]
    fn a_tuple_unpacked_at_once_is_never_built() {
        let mut t = Trace::default();
        let a = t.push(Op::SlotInt { slot: 0 }, Type::Int);
        let one = t.push(Op::ConstInt { value: 1 }, Type::Int);
        let snap0 = t.add_snapshot(Snapshot::default());
        let b = t.push(Op::AddInt { a, b: one, snap: snap0 }, Type::Int);
        let tuple = t.push(Op::NewTuple { len: 2 }, Type::Tuple);
        t.push(Op::TupleInit { tuple, index: 0, value: a }, Type::Void);
        t.push(Op::TupleInit { tuple, index: 1, value: b }, Type::Void);
        let snap1 = t.add_snapshot(Snapshot { pc: 4, slots: vec![(3, tuple)], ..Snapshot::default() });
        let len = t.push(Op::TupleLen { tuple }, Type::Int);
        let two = t.push(Op::ConstInt { value: 2 }, Type::Int);
        let same = t.push(Op::CmpInt { cond: crate::jit::ir::Cond::Eq, a: len, b: two }, Type::Bool);
        t.push(Op::Guard { cond: same, expect: true, snap: snap1 }, Type::Void);
        let zero = t.push(Op::ConstInt { value: 0 }, Type::Int);
        let x = t.push(Op::TupleLoad { tuple, index: zero, ty: Type::Int, snap: snap1 }, Type::Int);
        t.push(Op::Ret { value: x, snap: SnapId(0) }, Type::Void);
        let out = run(t.clone());
        crate::jit::ir::verify::verify(&out).unwrap_or_else(|e| panic!("{e}\n{out}"));
        assert!(!out.insts.iter().any(|i| matches!(i.op, Op::NewTuple { .. } | Op::TupleInit { .. })), "{out}");
        assert!(matches!(out.insts.last().map(|i| i.op), Some(Op::Ret { value, .. }) if value == IrRef(0)), "{out}");
        let exit = &out.snapshots[1];
        assert_eq!(exit.virtual_slots, vec![(3, 0)]);
        assert_eq!(exit.virtuals[0].items, vec![SnapValue::Value(IrRef(0)), SnapValue::Value(IrRef(2))]);
        assert_eq!(summary(tuples_built(&t), &out), "1 tuples virtual, 0 escape");
    }

    /// A tuple returned out of the trace escapes: built as recorded.
    #[test]
    fn a_returned_tuple_escapes() {
        let mut t = Trace::default();
        let a = t.push(Op::SlotInt { slot: 0 }, Type::Int);
        let tuple = t.push(Op::NewTuple { len: 1 }, Type::Tuple);
        t.push(Op::TupleInit { tuple, index: 0, value: a }, Type::Void);
        let snap = t.add_snapshot(Snapshot::default());
        t.push(Op::Ret { value: tuple, snap }, Type::Void);
        let out = run(t.clone());
        assert_eq!(out, t);
        assert_eq!(summary(tuples_built(&t), &out), "0 tuples virtual, 1 escape");
    }
}
