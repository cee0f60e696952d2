//! The trace IR: a linear, typed SSA form of one hot loop, with guards and snapshots.
//!
//! A [`Trace`] is a list of [`Inst`]s. Each instruction is identified by its index, printed
//! `%N` ([`IrRef`]). Values are unboxed: `int` (i64), `float` (f64), `bool`, or `ptr` (the
//! address of a heap object the frame keeps alive). The layout of a looping trace, after the
//! recorder and loop peeling:
//!
//! ```text
//!   preamble: the first iteration. Slot reads are `Slot*` loads after a `GuardTag`.
//!   Loop
//!   Phi ...    one per frame slot the iteration writes: its value when an iteration starts
//!   body:      the same operations again, reading Phis instead of slots; type guards on
//!              values already known are gone.
//!   (the end of the body jumps back to Loop, passing each Phi its `back` value)
//! ```
//!
//! A side trace (grown from a hot exit of another trace) has no `Loop`: it is a straight line
//! that ends in `Link`, which continues at a loop header.
//!
//! Every instruction that can leave the trace names a [`Snapshot`]: the bytecode pc to resume
//! at and which frame slot (or global, see [`GLOBAL_SLOTS`]) must receive which IR value (all
//! other slots already hold the right value in memory). Exiting writes those slots and returns
//! to the interpreter, which resumes at `pc` exactly as if it had interpreted everything so far;
//! a snapshot inside Toy calls the trace inlined ([`InlinedCall`]) also says which frames the
//! interpreter must re-create.
//!
//! The folder is the IR and nothing else (it imports nothing from the rest of `src/jit`):
//! - `values.rs`: what an operand is ([`IrRef`], [`SnapId`], [`Type`], [`Cond`], global slots);
//! - `helpers.rs`: the runtime helpers the `Helper1`..`Helper4` opcodes name ([`helpers::Helper`]);
//! - `kinds.rs`: the operand kinds the table's columns use (how each prints, parses, checks);
//! - `op_key.rs`: an operation as a hashable key (what CSE compares);
//! - `ops.rs`: the opcode table, one row per [`Op`], from which every per-opcode question is
//!   answered (operands, snapshot, effect, typing rule, text form);
//! - this file: the trace ([`Trace`], [`Inst`], [`Snapshot`], [`InlinedCall`], [`TraceObject`]);
//! - `print.rs`: the text form (`Display for Trace`, what `--trace-dump` shows);
//! - `text.rs`: [`text::print_trace`] and [`text::parse_trace`], the text form both ways (tests);
//! - `verify.rs`: the verifier, run after recording, after every optimizer pass and before
//!   lowering.
//!
//! Each file imports only the ones listed before it (tests aside), so the folder has no import
//! cycle either: kinds print through the [`kinds::Labels`] a trace gives and parse through the
//! [`kinds::Names`] the parser keeps.
//!
//! Touches nothing: data, and pure functions over it.

use std::fmt;

pub mod helpers;
pub mod kinds;
pub mod op_key;
pub mod ops;
mod print;
pub mod text;
mod values;
pub mod verify;

pub use kinds::tag_name;
pub use ops::{Effect, OPCODES, Op, ResultRule};
pub use values::{Cond, GLOBAL_SLOTS, IrRef, SnapId, Type, global_slot};

/// A snapshot: where the interpreter resumes after an exit, and the slots to write first.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Snapshot {
    /// The bytecode instruction to resume at (in the innermost inlined call's code, if any).
    pub pc: u32,
    /// `(slot, value)`: frame slots whose memory is stale, with their current IR values.
    pub slots: Vec<(u16, IrRef)>,
    /// The innermost inlined call running at this point (an index into [`Trace::calls`]): the
    /// interpreter re-creates its frame and its callers' before resuming.
    pub call: Option<u32>,
    /// Slots of inlined frames that the interpreter must find unbound (locals the call has
    /// not assigned yet: the memory may hold anything).
    pub unbound: Vec<u16>,
    /// Tuples the trace never allocated (allocation removal, `opt/virtualize.rs`) that this
    /// exit builds before writing them: `(slot, index into virtuals)`.
    pub virtual_slots: Vec<(u16, u32)>,
    /// The virtual tuples of this exit, each built before any that contains it.
    pub virtuals: Vec<VirtualTuple>,
    /// The frame slots live where it resumes, one bit per slot (`snap::prune_dead_slots`);
    /// `None` (not computed): every slot counts as live. Globals are always live.
    pub live: Option<Vec<u64>>,
}

/// A tuple that exists only as its items' values (allocation removal): an exit that must
/// write it builds it (LuaJIT's sunk allocations, PyPy's virtuals).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct VirtualTuple {
    pub items: Vec<SnapValue>,
}

/// An item of a [`VirtualTuple`]: an IR value, or another virtual tuple of the same snapshot
/// (by index, always a smaller one).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SnapValue {
    Value(IrRef),
    Virtual(u32),
}

impl Snapshot {
    /// Every IR value this snapshot reads: its slots' and its virtual tuples' items.
    pub fn values(&self) -> impl Iterator<Item = IrRef> + '_ {
        let items = self.virtuals.iter().flat_map(|v| v.items.iter()).filter_map(|item| match item {
            SnapValue::Value(r) => Some(*r),
            SnapValue::Virtual(_) => None,
        });
        self.slots.iter().map(|&(_, r)| r).chain(items)
    }

    /// The text of virtual tuple `v`: `(%4, (%7, %8))`.
    pub fn virtual_text(&self, v: u32) -> String {
        let Some(tuple) = self.virtuals.get(v as usize) else { return "(?)".into() };
        let items: Vec<String> = tuple
            .items
            .iter()
            .map(|item| match *item {
                SnapValue::Value(r) => r.to_string(),
                // Items are always smaller indexes: the recursion ends.
                SnapValue::Virtual(inner) if inner < v => self.virtual_text(inner),
                SnapValue::Virtual(_) => "(?)".into(),
            })
            .collect();
        if items.len() == 1 { format!("({},)", items[0]) } else { format!("({})", items.join(", ")) }
    }

    /// Is `slot` live where this snapshot resumes (some path may read it before writing it)?
    pub fn is_live(&self, slot: u16) -> bool {
        match &self.live {
            _ if slot >= GLOBAL_SLOTS => true,
            None => true,
            Some(bits) => bits.get(usize::from(slot / 64)).is_some_and(|word| word >> (slot % 64) & 1 == 1),
        }
    }

    /// Renames every IR value this snapshot reads.
    pub fn rename(&mut self, mut f: impl FnMut(IrRef) -> IrRef) {
        for (_, r) in &mut self.slots {
            *r = f(*r);
        }
        for item in self.virtuals.iter_mut().flat_map(|v| v.items.iter_mut()) {
            if let SnapValue::Value(r) = item {
                *r = f(*r);
            }
        }
    }
}

/// A call of a Toy function that the trace inlined. Slot `s` of the callee's frame is trace
/// slot `base + s` (the VM starts a callee's frame at the caller's first argument register, so
/// no value moves at the call).
#[derive(Clone, Debug)]
pub struct InlinedCall {
    pub code: std::rc::Rc<crate::interp::engine::bytecode::CodeObject>,
    /// The trace slot of the callee's slot 0.
    pub base: u16,
    /// The caller's register (its own slot number) that receives the return value.
    pub return_to: u16,
    /// Where the caller resumes when the call returns (the pc after its `Call`).
    pub caller_resume: u32,
    /// The inlined call this one was made from (`None`: from the trace's own code).
    pub parent: Option<u32>,
}

impl PartialEq for InlinedCall {
    fn eq(&self, other: &Self) -> bool {
        std::rc::Rc::ptr_eq(&self.code, &other.code)
            && (self.base, self.return_to, self.caller_resume, self.parent)
                == (other.base, other.return_to, other.caller_resume, other.parent)
    }
}

/// One instruction: its operation and result type.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Inst {
    pub op: Op,
    pub ty: Type,
}

/// A recorded (and later optimized) trace.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Trace {
    pub insts: Vec<Inst>,
    pub snapshots: Vec<Snapshot>,
    /// Names for frame slots in the dump (`r3(total)`), from the code object (and
    /// `function.name` for slots of inlined calls).
    pub slot_names: Vec<String>,
    /// The Toy function calls inlined into the trace, in the order they were entered.
    pub calls: Vec<InlinedCall>,
    /// The functions and builtins `ConstObj` names.
    pub objects: Vec<TraceObject>,
    /// Names of the globals the trace uses, by slot (`GLOBAL_SLOTS + g`), for the dump.
    pub global_names: std::collections::BTreeMap<u16, String>,
    /// Where each instruction came from, for the dump and the explorer.
    pub origins: Origins,
}

/// Where each instruction of a trace came from: the index, in the recording's list of bytecode
/// instructions, of the one whose recording emitted it ([`NO_ORIGIN`] for the loop's own
/// structure and for traces parsed from text). [`Trace::push`] stamps `current`. Not part of a
/// trace's meaning: two traces that differ only here are equal.
#[derive(Clone, Debug, Default)]
pub struct Origins {
    pub of: Vec<u32>,
    /// The origin of the instructions pushed from now on.
    pub current: u32,
}

/// The origin of an instruction no bytecode instruction emitted.
pub const NO_ORIGIN: u32 = u32::MAX;

impl PartialEq for Origins {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// A function or builtin a trace holds as a constant (its global's value when recorded; the
/// VM drops the trace if such a global is rebound).
#[derive(Clone, Debug)]
pub enum TraceObject {
    Builtin(crate::interp::objects::builtins::BuiltinId),
    Function(std::rc::Rc<crate::interp::objects::value::FunctionObj>),
    /// A string constant (`ConstStr`), printed as Rust writes a string literal.
    Str(crate::interp::objects::value::Str),
}

impl TraceObject {
    /// The function or builtin `value` is, if it is one.
    pub fn of(value: &crate::interp::objects::value::Value) -> Option<TraceObject> {
        use crate::interp::objects::value::Value;
        match value {
            Value::Builtin(id) => Some(TraceObject::Builtin(*id)),
            Value::Function(f) => Some(TraceObject::Function(f.clone())),
            _ => None,
        }
    }

    /// The interpreter's value of this object.
    pub fn to_value(&self) -> crate::interp::objects::value::Value {
        use crate::interp::objects::value::Value;
        match self {
            TraceObject::Builtin(id) => Value::Builtin(*id),
            TraceObject::Function(f) => Value::Function(f.clone()),
            TraceObject::Str(s) => Value::Str(s.clone()),
        }
    }
}

impl PartialEq for TraceObject {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (TraceObject::Builtin(a), TraceObject::Builtin(b)) => a == b,
            (TraceObject::Function(a), TraceObject::Function(b)) => std::rc::Rc::ptr_eq(a, b),
            (TraceObject::Str(a), TraceObject::Str(b)) => a.as_str() == b.as_str(),
            _ => false,
        }
    }
}

impl fmt::Display for TraceObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TraceObject::Builtin(id) => write!(f, "<builtin {}>", id.name()),
            TraceObject::Function(func) => write!(f, "<function {}>", func.code.name),
            TraceObject::Str(s) => write!(f, "{:?}", s.as_str()),
        }
    }
}

impl Trace {
    /// Appends an instruction; returns its reference.
    pub fn push(&mut self, op: Op, ty: Type) -> IrRef {
        self.insts.push(Inst { op, ty });
        // Traces built by hand or parsed start with no origins: pad them.
        self.origins.of.resize(self.insts.len() - 1, NO_ORIGIN);
        self.origins.of.push(self.origins.current);
        IrRef(self.insts.len() as u32 - 1)
    }

    pub fn add_snapshot(&mut self, snapshot: Snapshot) -> SnapId {
        // Consecutive guards often share a snapshot.
        if let Some(last) = self.snapshots.last()
            && *last == snapshot
        {
            return SnapId(self.snapshots.len() as u32 - 1);
        }
        self.snapshots.push(snapshot);
        SnapId(self.snapshots.len() as u32 - 1)
    }

    /// The recorded bytecode instruction that emitted instruction `r` ([`NO_ORIGIN`]: none).
    pub fn origin(&self, r: IrRef) -> u32 {
        self.origins.of.get(r.0 as usize).copied().unwrap_or(NO_ORIGIN)
    }

    pub fn ty(&self, r: IrRef) -> Type {
        self.insts[r.0 as usize].ty
    }

    /// Index of the `Loop` marker, if the trace loops.
    pub fn loop_start(&self) -> Option<usize> {
        self.insts.iter().position(|i| matches!(i.op, Op::Loop))
    }

    /// The inlined calls active at snapshot `snap`, outermost first.
    pub fn call_chain(&self, snap: &Snapshot) -> Vec<&InlinedCall> {
        let mut chain = Vec::new();
        let mut call = snap.call;
        while let Some(c) = call.and_then(|c| self.calls.get(c as usize)) {
            chain.push(c);
            call = c.parent;
        }
        chain.reverse();
        chain
    }
}
