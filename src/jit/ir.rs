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
//! This file is only the data and its text form (`Display`); phases live in their own files.

use std::fmt;

/// An SSA value: the index of the instruction that produced it. Prints as `%N`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IrRef(pub u32);

/// An index into [`Trace::snapshots`]. Prints as `snapN`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SnapId(pub u32);

impl fmt::Display for IrRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "%{}", self.0)
    }
}

impl fmt::Display for SnapId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "snap{}", self.0)
    }
}

/// Slot numbers from here on name the module's globals (`GLOBAL_SLOTS + g` is global `g`), which
/// traces read, guard and write like frame slots.
pub const GLOBAL_SLOTS: u16 = 0xC000;

/// The slot number of global `global`, if it has one.
pub fn global_slot(global: u32) -> Option<u16> {
    u16::try_from(global).ok().filter(|&g| g < u16::MAX - GLOBAL_SLOTS).map(|g| GLOBAL_SLOTS + g)
}

/// The type of an IR value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Type {
    /// No value (guards, stores, markers).
    Void,
    Int,
    Float,
    Bool,
    /// A pointer to a heap object (a list's `RefCell<Vec<Value>>`), kept alive by the frame.
    Ptr,
    /// A function or builtin the trace loaded from a global ([`Op::ConstObj`]): no machine
    /// value, only written into the frame by exits.
    Obj,
}

impl Type {
    pub fn name(self) -> &'static str {
        match self {
            Type::Void => "",
            Type::Int => "int",
            Type::Float => "float",
            Type::Bool => "bool",
            Type::Ptr => "ptr",
            Type::Obj => "obj",
        }
    }

    /// The `Value` tag of a slot holding this type (see `interp::value::tag`).
    pub fn value_tag(self) -> Option<u8> {
        use crate::interp::value::tag;
        match self {
            Type::Int => Some(tag::INT),
            Type::Float => Some(tag::FLOAT),
            Type::Bool => Some(tag::BOOL),
            _ => None,
        }
    }

    /// The type a slot whose `Value` tag is `tag` holds in a trace (numbers and lists).
    pub fn of_tag(tag: u8) -> Option<Type> {
        use crate::interp::value::tag as t;
        match tag {
            t::INT => Some(Type::Int),
            t::FLOAT => Some(Type::Float),
            t::BOOL => Some(Type::Bool),
            _ if tag == super::recorder::list_tag() => Some(Type::Ptr),
            _ => None,
        }
    }
}

/// A comparison condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cond {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

impl Cond {
    /// Does `a cond b` hold? (Python's comparison of two numbers of one type; NaN compares
    /// unequal and unordered, as in Python.)
    pub fn holds<T: PartialOrd>(self, a: T, b: T) -> bool {
        match self {
            Cond::Lt => a < b,
            Cond::Le => a <= b,
            Cond::Gt => a > b,
            Cond::Ge => a >= b,
            Cond::Eq => a == b,
            Cond::Ne => a != b,
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            Cond::Lt => "<",
            Cond::Le => "<=",
            Cond::Gt => ">",
            Cond::Ge => ">=",
            Cond::Eq => "==",
            Cond::Ne => "!=",
        }
    }
}

/// One row per opcode: its operands, and the doc line the IR table in docs/JIT.md repeats.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Op {
    /// An int constant.
    ConstInt { value: i64 },
    /// A float constant.
    ConstFloat { value: f64 },
    /// A bool constant.
    ConstBool { value: bool },
    /// Exit unless frame slot `slot` holds a value with this `Value` tag (entry type check).
    GuardTag { slot: u16, tag: u8, snap: SnapId },
    /// If frame slot `slot` holds a heap value (a list, a string...), drop it, leaving `None`
    /// (a call into the runtime, rarely taken), so that exits may overwrite the slot with a
    /// number. Emitted where the trace first writes a slot it did not read.
    ClearSlot { slot: u16 },
    /// The int in frame slot `slot` (its tag was guarded).
    SlotInt { slot: u16 },
    /// The float in frame slot `slot`.
    SlotFloat { slot: u16 },
    /// The bool in frame slot `slot`.
    SlotBool { slot: u16 },
    /// The heap object pointer in frame slot `slot` (a list), borrowed from the frame.
    SlotPtr { slot: u16 },
    /// `a + b` on ints; exits through `snap` if it overflows (the interpreter redoes it with big ints).
    AddInt { a: IrRef, b: IrRef, snap: SnapId },
    /// `a - b` on ints; exits on overflow.
    SubInt { a: IrRef, b: IrRef, snap: SnapId },
    /// `a * b` on ints; exits on overflow.
    MulInt { a: IrRef, b: IrRef, snap: SnapId },
    /// `-a` on ints; exits on overflow (`-(-2**63)`).
    NegInt { a: IrRef, snap: SnapId },
    /// Python's `a // b` on ints (floors); exits if `b == 0` or the result overflows.
    FloorDivInt { a: IrRef, b: IrRef, snap: SnapId },
    /// Python's `a % b` on ints (sign of `b`); exits if `b == 0`.
    ModInt { a: IrRef, b: IrRef, snap: SnapId },
    /// `a << b` on ints; exits unless `0 <= b < 64` and no bit is lost (the interpreter raises
    /// or goes on with big ints).
    ShlInt { a: IrRef, b: IrRef, snap: SnapId },
    /// `a >> b` on ints (rounds towards minus infinity; counts of 64 and more give 0 or -1);
    /// exits if `b < 0` (the interpreter raises).
    ShrInt { a: IrRef, b: IrRef, snap: SnapId },
    /// `a ** b` on ints (a runtime call); exits if `b < 0` (a float result) or the result
    /// does not fit 64 bits.
    PowInt { a: IrRef, b: IrRef, snap: SnapId },
    /// `a & b`
    AndInt { a: IrRef, b: IrRef },
    /// `a | b`
    OrInt { a: IrRef, b: IrRef },
    /// `a ^ b`
    XorInt { a: IrRef, b: IrRef },
    /// `a + b` on floats.
    AddFloat { a: IrRef, b: IrRef },
    /// `a - b` on floats.
    SubFloat { a: IrRef, b: IrRef },
    /// `a * b` on floats.
    MulFloat { a: IrRef, b: IrRef },
    /// `a / b` on floats; exits if `b == 0.0` (ZeroDivisionError is the interpreter's job).
    DivFloat { a: IrRef, b: IrRef, snap: SnapId },
    /// Python's `a % b` on floats (the sign of `b`; a runtime call); exits if `b == 0.0`.
    ModFloat { a: IrRef, b: IrRef, snap: SnapId },
    /// Python's `a // b` on floats (a runtime call); exits if `b == 0.0`.
    FloorDivFloat { a: IrRef, b: IrRef, snap: SnapId },
    /// Python's `a ** b` on floats (a runtime call: the interpreter's own); exits where Python
    /// raises (`0.0 ** -1`, a complex result, overflow).
    PowFloat { a: IrRef, b: IrRef, snap: SnapId },
    /// `-a` on floats.
    NegFloat { a: IrRef },
    /// `abs(a)` on floats (clears the sign: `abs(-0.0)` is `0.0`).
    AbsFloat { a: IrRef },
    /// `int(a)` of a float (truncates towards zero); exits for NaN, infinities and results
    /// beyond 64 bits (the interpreter raises or makes a big int).
    FloatToInt { a: IrRef, snap: SnapId },
    /// `float(a)`: the nearest float to an int (what Python does in mixed arithmetic).
    IntToFloat { a: IrRef },
    /// A bool as an int (0 or 1), as Python's arithmetic and comparisons treat bools.
    BoolToInt { a: IrRef },
    /// Exits unless `-2**53 <= a <= 2**53`, where comparing `float(a)` equals comparing `a`.
    GuardExactFloat { a: IrRef, snap: SnapId },
    /// `a cond b` on ints.
    CmpInt { cond: Cond, a: IrRef, b: IrRef },
    /// `a cond b` on floats (IEEE: false when either is NaN, except `!=`).
    CmpFloat { cond: Cond, a: IrRef, b: IrRef },
    /// Exits through `snap` unless the bool `cond` equals `expect`.
    Guard { cond: IrRef, expect: bool, snap: SnapId },
    /// `a` if the bool `cond` is true, else `b` (ints or floats).
    Select { cond: IrRef, a: IrRef, b: IrRef },
    /// Object number `index` of [`Trace::objects`] (a function or builtin loaded from a global,
    /// which the trace calls or inlines). Free: exits write it into the frame where the
    /// interpreter expects it (a runtime call that clones it).
    ConstObj { index: u32 },
    /// `len(list)`.
    ListLen { list: IrRef },
    /// Python's index normalisation: `index + len` if negative; exits unless `0 <= result < len`.
    ListIndex { list: IrRef, index: IrRef, snap: SnapId },
    /// Element `index` (normalised) of `list`, which must carry the `Value` tag of the result
    /// type (`ty`); exits otherwise.
    ListLoad { list: IrRef, index: IrRef, ty: Type, snap: SnapId },
    /// `list[index] = value` (normalised index); exits if the old element is a heap value
    /// (dropping it is the interpreter's job).
    ListStore { list: IrRef, index: IrRef, value: IrRef, snap: SnapId },
    /// `list.append(value)`, then frame slot `result` gets the call's `None` (a call into the
    /// runtime; the list's elements may move).
    ListAppend { list: IrRef, value: IrRef, result: u16 },
    /// Exits through `snap` if the user pressed Ctrl-C (`interp::interrupt`): the last
    /// instruction of the loop body, so that no compiled loop runs forever.
    CheckInterrupt { snap: SnapId },
    /// The end of a side trace: writes `snap`'s slots and goes on at `snap`'s pc, the header of
    /// the loop of trace `trace`: the side trace's root (its machine code re-enters the root's
    /// loop) or another compiled loop (the interpreter enters that loop's trace at once).
    Link { trace: u32, snap: SnapId },
    /// The loop header: the preamble (first iteration) ends here, the body starts.
    Loop,
    /// The value of frame slot `slot` when an iteration of the body starts: `entry` on the first
    /// iteration (a preamble value), `back` (a body value) after that.
    Phi { slot: u16, ty: Type, entry: IrRef, back: IrRef },
}

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
}

/// A call of a Toy function that the trace inlined. Slot `s` of the callee's frame is trace
/// slot `base + s` (the VM starts a callee's frame at the caller's first argument register, so
/// no value moves at the call).
#[derive(Clone, Debug)]
pub struct InlinedCall {
    pub code: std::rc::Rc<crate::interp::bytecode::CodeObject>,
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
}

/// A function or builtin a trace holds as a constant (its global's value when recorded; the
/// VM drops the trace if such a global is rebound).
#[derive(Clone, Debug)]
pub enum TraceObject {
    Builtin(crate::interp::builtins::BuiltinId),
    Function(std::rc::Rc<crate::interp::value::FunctionObj>),
}

impl TraceObject {
    /// The function or builtin `value` is, if it is one.
    pub fn of(value: &crate::interp::value::Value) -> Option<TraceObject> {
        use crate::interp::value::Value;
        match value {
            Value::Builtin(id) => Some(TraceObject::Builtin(*id)),
            Value::Function(f) => Some(TraceObject::Function(f.clone())),
            _ => None,
        }
    }

    /// The interpreter's value of this object.
    pub fn to_value(&self) -> crate::interp::value::Value {
        use crate::interp::value::Value;
        match self {
            TraceObject::Builtin(id) => Value::Builtin(*id),
            TraceObject::Function(f) => Value::Function(f.clone()),
        }
    }
}

impl PartialEq for TraceObject {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (TraceObject::Builtin(a), TraceObject::Builtin(b)) => a == b,
            (TraceObject::Function(a), TraceObject::Function(b)) => std::rc::Rc::ptr_eq(a, b),
            _ => false,
        }
    }
}

impl fmt::Display for TraceObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TraceObject::Builtin(id) => write!(f, "<builtin {}>", id.name()),
            TraceObject::Function(func) => write!(f, "<function {}>", func.code.name),
        }
    }
}

impl Op {
    /// The typing rule of each opcode, shared by the optimizer's verifier (`opt/verify.rs`) and
    /// the lowering's validation (`lower_validate.rs`): checks the operands' types (`ty_of` gives
    /// an operand's type, `None` if there is no such instruction) and returns the result type.
    /// `declared` is the instruction's own type, which `Select` and `Phi` must agree with.
    pub fn typing(&self, declared: Type, ty_of: impl Fn(IrRef) -> Option<Type>) -> Result<Type, String> {
        let want = |r: IrRef, want: Type| match ty_of(r) {
            Some(ty) if ty == want => Ok(()),
            Some(ty) => Err(format!("{r} has type {ty:?}, expected {want:?}")),
            None => Err(format!("{r} does not exist")),
        };
        let both = |a: IrRef, b: IrRef, ty: Type| want(a, ty).and_then(|()| want(b, ty));
        Ok(match *self {
            Op::ConstInt { .. } | Op::SlotInt { .. } => Type::Int,
            Op::ConstFloat { .. } | Op::SlotFloat { .. } => Type::Float,
            Op::ConstBool { .. } | Op::SlotBool { .. } => Type::Bool,
            Op::SlotPtr { .. } => Type::Ptr,
            Op::ConstObj { .. } => Type::Obj,
            Op::GuardTag { .. } | Op::ClearSlot { .. } | Op::CheckInterrupt { .. } | Op::Link { .. } | Op::Loop => {
                Type::Void
            }
            Op::AddInt { a, b, .. }
            | Op::SubInt { a, b, .. }
            | Op::MulInt { a, b, .. }
            | Op::FloorDivInt { a, b, .. }
            | Op::ModInt { a, b, .. }
            | Op::ShlInt { a, b, .. }
            | Op::ShrInt { a, b, .. }
            | Op::PowInt { a, b, .. }
            | Op::AndInt { a, b }
            | Op::OrInt { a, b }
            | Op::XorInt { a, b } => {
                both(a, b, Type::Int)?;
                Type::Int
            }
            Op::AddFloat { a, b }
            | Op::SubFloat { a, b }
            | Op::MulFloat { a, b }
            | Op::DivFloat { a, b, .. }
            | Op::ModFloat { a, b, .. }
            | Op::FloorDivFloat { a, b, .. }
            | Op::PowFloat { a, b, .. } => {
                both(a, b, Type::Float)?;
                Type::Float
            }
            Op::CmpInt { a, b, .. } => {
                both(a, b, Type::Int)?;
                Type::Bool
            }
            Op::CmpFloat { a, b, .. } => {
                both(a, b, Type::Float)?;
                Type::Bool
            }
            Op::NegInt { a, .. } => want(a, Type::Int).map(|()| Type::Int)?,
            Op::NegFloat { a } | Op::AbsFloat { a } => want(a, Type::Float).map(|()| Type::Float)?,
            Op::FloatToInt { a, .. } => want(a, Type::Float).map(|()| Type::Int)?,
            Op::IntToFloat { a } => want(a, Type::Int).map(|()| Type::Float)?,
            Op::BoolToInt { a } => want(a, Type::Bool).map(|()| Type::Int)?,
            Op::GuardExactFloat { a, .. } => want(a, Type::Int).map(|()| Type::Void)?,
            Op::Guard { cond, .. } => want(cond, Type::Bool).map(|()| Type::Void)?,
            Op::Select { cond, a, b } => {
                want(cond, Type::Bool)?;
                if !matches!(declared, Type::Int | Type::Float) {
                    return Err(format!("Select of type {declared:?}"));
                }
                both(a, b, declared)?;
                declared
            }
            Op::ListLen { list } => want(list, Type::Ptr).map(|()| Type::Int)?,
            Op::ListIndex { list, index, .. } => {
                want(list, Type::Ptr)?;
                want(index, Type::Int)?;
                Type::Int
            }
            Op::ListLoad { list, index, ty, .. } => {
                want(list, Type::Ptr)?;
                want(index, Type::Int)?;
                if ty.value_tag().is_none() && ty != Type::Ptr {
                    return Err(format!("cannot load a list element as {ty:?}"));
                }
                ty
            }
            Op::ListAppend { list, value, .. } => {
                want(list, Type::Ptr)?;
                let ty = ty_of(value).unwrap_or(Type::Void);
                if ty.value_tag().is_none() && ty != Type::Ptr {
                    return Err(format!("cannot append a {ty:?} value to a list"));
                }
                Type::Void
            }
            Op::ListStore { list, index, value, .. } => {
                want(list, Type::Ptr)?;
                want(index, Type::Int)?;
                let ty = ty_of(value).unwrap_or(Type::Void);
                if ty.value_tag().is_none() {
                    return Err(format!("cannot store a {ty:?} value into a list"));
                }
                Type::Void
            }
            Op::Phi { ty, entry, back, .. } => {
                if ty == Type::Void || ty != declared {
                    return Err(format!("Phi of type {ty:?} declared as {declared:?}"));
                }
                if ty_of(entry) != Some(ty) {
                    return Err(format!("Phi entry {entry} must be a value of type {ty:?}"));
                }
                if ty_of(back) != Some(ty) {
                    return Err(format!("Phi back value {back} must be a value of type {ty:?}"));
                }
                ty
            }
        })
    }

    /// The IR values this operation reads.
    pub fn operands(&self) -> Vec<IrRef> {
        match *self {
            Op::ConstInt { .. }
            | Op::ConstFloat { .. }
            | Op::ConstBool { .. }
            | Op::GuardTag { .. }
            | Op::ClearSlot { .. }
            | Op::CheckInterrupt { .. }
            | Op::Link { .. }
            | Op::ConstObj { .. } => vec![],
            Op::SlotInt { .. } | Op::SlotFloat { .. } | Op::SlotBool { .. } | Op::SlotPtr { .. } | Op::Loop => vec![],
            Op::AddInt { a, b, .. }
            | Op::SubInt { a, b, .. }
            | Op::MulInt { a, b, .. }
            | Op::FloorDivInt { a, b, .. }
            | Op::ModInt { a, b, .. }
            | Op::ShlInt { a, b, .. }
            | Op::ShrInt { a, b, .. }
            | Op::PowInt { a, b, .. }
            | Op::PowFloat { a, b, .. }
            | Op::AndInt { a, b }
            | Op::OrInt { a, b }
            | Op::XorInt { a, b }
            | Op::AddFloat { a, b }
            | Op::SubFloat { a, b }
            | Op::MulFloat { a, b }
            | Op::DivFloat { a, b, .. }
            | Op::ModFloat { a, b, .. }
            | Op::FloorDivFloat { a, b, .. }
            | Op::CmpInt { a, b, .. }
            | Op::CmpFloat { a, b, .. } => vec![a, b],
            Op::NegInt { a, .. }
            | Op::NegFloat { a }
            | Op::AbsFloat { a }
            | Op::FloatToInt { a, .. }
            | Op::IntToFloat { a }
            | Op::BoolToInt { a }
            | Op::GuardExactFloat { a, .. } => vec![a],
            Op::Guard { cond, .. } => vec![cond],
            Op::Select { cond, a, b } => vec![cond, a, b],
            Op::ListLen { list } => vec![list],
            Op::ListIndex { list, index, .. } | Op::ListLoad { list, index, .. } => vec![list, index],
            Op::ListStore { list, index, value, .. } => vec![list, index, value],
            Op::ListAppend { list, value, .. } => vec![list, value],
            Op::Phi { entry, back, .. } => vec![entry, back],
        }
    }

    /// The snapshot used if this operation exits the trace.
    pub fn snapshot(&self) -> Option<SnapId> {
        let mut op = *self;
        op.snapshot_mut().copied()
    }

    /// The snapshot field itself, for passes that renumber snapshots (one list of the ops
    /// that can exit, shared by the getter and the setter).
    pub fn snapshot_mut(&mut self) -> Option<&mut SnapId> {
        match self {
            Op::GuardTag { snap, .. }
            | Op::AddInt { snap, .. }
            | Op::SubInt { snap, .. }
            | Op::MulInt { snap, .. }
            | Op::NegInt { snap, .. }
            | Op::FloorDivInt { snap, .. }
            | Op::ModInt { snap, .. }
            | Op::ShlInt { snap, .. }
            | Op::ShrInt { snap, .. }
            | Op::PowInt { snap, .. }
            | Op::FloatToInt { snap, .. }
            | Op::PowFloat { snap, .. }
            | Op::DivFloat { snap, .. }
            | Op::ModFloat { snap, .. }
            | Op::FloorDivFloat { snap, .. }
            | Op::GuardExactFloat { snap, .. }
            | Op::Guard { snap, .. }
            | Op::ListIndex { snap, .. }
            | Op::ListLoad { snap, .. }
            | Op::ListStore { snap, .. }
            | Op::CheckInterrupt { snap }
            | Op::Link { snap, .. } => Some(snap),
            _ => None,
        }
    }

    /// Does this operation have an effect beyond its result (a guard, a store, a marker)?
    /// Dead code elimination keeps these.
    pub fn has_effect(&self) -> bool {
        self.snapshot().is_some()
            || matches!(self, Op::Loop | Op::Phi { .. } | Op::ClearSlot { .. } | Op::ListAppend { .. })
    }

    /// The opcode's name, as the dump prints it.
    pub fn name(&self) -> &'static str {
        match self {
            Op::ConstInt { .. } => "ConstInt",
            Op::ConstFloat { .. } => "ConstFloat",
            Op::ConstBool { .. } => "ConstBool",
            Op::GuardTag { .. } => "GuardTag",
            Op::ClearSlot { .. } => "ClearSlot",
            Op::SlotInt { .. } => "SlotInt",
            Op::SlotFloat { .. } => "SlotFloat",
            Op::SlotBool { .. } => "SlotBool",
            Op::SlotPtr { .. } => "SlotPtr",
            Op::AddInt { .. } => "AddInt",
            Op::SubInt { .. } => "SubInt",
            Op::MulInt { .. } => "MulInt",
            Op::NegInt { .. } => "NegInt",
            Op::FloorDivInt { .. } => "FloorDivInt",
            Op::ModInt { .. } => "ModInt",
            Op::ShlInt { .. } => "ShlInt",
            Op::PowInt { .. } => "PowInt",
            Op::PowFloat { .. } => "PowFloat",
            Op::ShrInt { .. } => "ShrInt",
            Op::AndInt { .. } => "AndInt",
            Op::OrInt { .. } => "OrInt",
            Op::XorInt { .. } => "XorInt",
            Op::AddFloat { .. } => "AddFloat",
            Op::SubFloat { .. } => "SubFloat",
            Op::MulFloat { .. } => "MulFloat",
            Op::DivFloat { .. } => "DivFloat",
            Op::ModFloat { .. } => "ModFloat",
            Op::FloorDivFloat { .. } => "FloorDivFloat",
            Op::NegFloat { .. } => "NegFloat",
            Op::AbsFloat { .. } => "AbsFloat",
            Op::FloatToInt { .. } => "FloatToInt",
            Op::IntToFloat { .. } => "IntToFloat",
            Op::BoolToInt { .. } => "BoolToInt",
            Op::GuardExactFloat { .. } => "GuardExactFloat",
            Op::CmpInt { .. } => "CmpInt",
            Op::CmpFloat { .. } => "CmpFloat",
            Op::Guard { .. } => "Guard",
            Op::ListLen { .. } => "ListLen",
            Op::Select { .. } => "Select",
            Op::ConstObj { .. } => "ConstObj",
            Op::ListIndex { .. } => "ListIndex",
            Op::ListLoad { .. } => "ListLoad",
            Op::ListStore { .. } => "ListStore",
            Op::ListAppend { .. } => "ListAppend",
            Op::CheckInterrupt { .. } => "CheckInterrupt",
            Op::Link { .. } => "Link",
            Op::Loop => "Loop",
            Op::Phi { .. } => "Phi",
        }
    }
}

impl Trace {
    /// Appends an instruction; returns its reference.
    pub fn push(&mut self, op: Op, ty: Type) -> IrRef {
        self.insts.push(Inst { op, ty });
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

    pub fn ty(&self, r: IrRef) -> Type {
        self.insts[r.0 as usize].ty
    }

    /// Index of the `Loop` marker, if the trace loops.
    pub fn loop_start(&self) -> Option<usize> {
        self.insts.iter().position(|i| matches!(i.op, Op::Loop))
    }

    fn slot_label(&self, slot: u16) -> String {
        if let Some(global) = slot.checked_sub(GLOBAL_SLOTS) {
            return match self.global_names.get(&slot) {
                Some(name) => format!("g{global}({name})"),
                None => format!("g{global}"),
            };
        }
        match self.slot_names.get(slot as usize) {
            Some(name) if !name.is_empty() => format!("r{slot}({name})"),
            _ => format!("r{slot}"),
        }
    }

    /// The text form of one instruction (without its number).
    pub fn format_inst(&self, r: IrRef) -> String {
        let inst = &self.insts[r.0 as usize];
        let lhs = if inst.ty == Type::Void { String::new() } else { format!("{r} = ") };
        let args = match inst.op {
            Op::ConstInt { value } => value.to_string(),
            Op::ConstFloat { value } => format!("{value:?}"),
            Op::ConstBool { value } => {
                if value {
                    "True".into()
                } else {
                    "False".into()
                }
            }
            Op::GuardTag { slot, tag, snap } => format!("{} is {}  {snap}", self.slot_label(slot), tag_name(tag)),
            Op::ClearSlot { slot } => self.slot_label(slot),
            Op::ConstObj { index } => self.objects.get(index as usize).map_or("?".into(), |o| o.to_string()),
            Op::ListAppend { list, value, result } => format!("{list} {value} {}", self.slot_label(result)),
            Op::SlotInt { slot } | Op::SlotFloat { slot } | Op::SlotBool { slot } | Op::SlotPtr { slot } => {
                self.slot_label(slot)
            }
            Op::CmpInt { cond, a, b } | Op::CmpFloat { cond, a, b } => format!("{a} {} {b}", cond.symbol()),
            Op::Guard { cond, expect, snap } => format!("{cond} is {}  {snap}", if expect { "True" } else { "False" }),
            Op::ListLoad { list, index, ty, snap } => format!("{list}[{index}] as {}  {snap}", ty.name()),
            Op::Phi { slot, entry, back, .. } => format!("{} [{entry}, {back}]", self.slot_label(slot)),
            Op::Loop => "------------------------------ loop".into(),
            Op::Link { trace, snap } => format!("to T{trace}  {snap}"),
            op => {
                let operands: Vec<String> = op.operands().iter().map(|r| r.to_string()).collect();
                match op.snapshot() {
                    Some(snap) => format!("{}  {snap}", operands.join(", ")),
                    None => operands.join(", "),
                }
            }
        };
        if matches!(inst.op, Op::Loop) {
            return args;
        }
        format!("{:<5} {lhs}{} {args}", inst.ty.name(), inst.op.name())
    }

    /// The text form of a snapshot: `snap3 @pc 27: r10(i)=%14 r8(zr)=%20`, with `in f` (and
    /// `in g < f` for nested calls) when it resumes inside inlined calls.
    pub fn format_snapshot(&self, id: usize) -> String {
        let snap = &self.snapshots[id];
        let slots: Vec<String> = snap.slots.iter().map(|(slot, r)| format!("{}={r}", self.slot_label(*slot))).collect();
        let mut place = String::new();
        let mut call = snap.call;
        while let Some(c) = call.and_then(|c| self.calls.get(c as usize)) {
            place.push_str(if place.is_empty() { " in " } else { " < " });
            place.push_str(&c.code.name);
            call = c.parent;
        }
        let mut text = format!("snap{id} @pc {}{place}: {}", snap.pc, slots.join(" "));
        if !snap.unbound.is_empty() {
            let names: Vec<String> = snap.unbound.iter().map(|&s| self.slot_label(s)).collect();
            text.push_str(&format!("  unbound: {}", names.join(" ")));
        }
        text
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

/// The name of a `Value` tag in the dump.
pub fn tag_name(tag: u8) -> &'static str {
    use crate::interp::value::tag as t;
    match tag {
        t::INT => "int",
        t::FLOAT => "float",
        t::BOOL => "bool",
        t::NONE => "None",
        _ => "list",
    }
}

impl fmt::Display for Trace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for i in 0..self.insts.len() {
            writeln!(f, "{:04}  {}", i, self.format_inst(IrRef(i as u32)))?;
        }
        for i in 0..self.snapshots.len() {
            writeln!(f, "  {}", self.format_snapshot(i))?;
        }
        Ok(())
    }
}
