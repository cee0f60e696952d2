//! The opcode table: every trace-IR operation is one row of [`op_table!`], and everything the
//! rest of the JIT asks about an opcode comes from that row.
//!
//! A row reads
//!
//! ```text
//!     /// `a + b` on ints; exits through `snap` if it overflows.
//!     AddInt { a: Int, b: Int, snap: Snap } -> Int, guard, "{a}, {b}";
//! ```
//!
//! its one-line doc; its name as printed; its fields, each with its operand kind
//! ([`super::kinds`]: value operands are named by the type they must have, `Snap` is the snapshot
//! the instruction exits through); its result type ([`ResultRule`]); what it does besides
//! computing its result ([`Effect`]: `pure`, `guard` if it may exit and does nothing else,
//! `effect` if it writes memory, reads changing state or marks the loop); and its text
//! form, `{field}` standing for a field's text (the snapshot, if any, is always printed last, after
//! two spaces). From the table come the enum [`Op`], [`Op::name`], [`Op::operands`],
//! [`Op::map_operands`], [`Op::snapshot`], [`Op::snapshot_mut`], [`Op::effect`], the typing
//! rule [`Op::typing`], the printer's fields ([`Op::print_fields`]) and the parser's constructor
//! ([`Op::parse_fields`]).
//!
//! Touches nothing: the table and the functions derived from it.

use super::kinds::{self, Kind, Labels, Names};
use super::op_key::{KEY_WORDS, KeyWord, OpKey};
use super::values::{IrRef, SnapId, Type};

/// How an opcode's result type is found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResultRule {
    /// No value (guards, stores, markers).
    Void,
    Int,
    Float,
    Bool,
    Ptr,
    Tuple,
    Str,
    Dict,
    Big,
    Iter,
    NoneType,
    Obj,
    /// The declared type, which must be an int or a float (`Select`).
    IntOrFloat,
    /// The type the opcode's type field names (`ListLoad`'s `ty`, a `Phi`'s `ty`).
    TypeField,
}

impl ResultRule {
    /// The result type, given the instruction's declared type and its type field (if any).
    pub fn result(self, declared: Type, type_field: Option<Type>) -> Result<Type, String> {
        Ok(match self {
            ResultRule::Void => Type::Void,
            ResultRule::Int => Type::Int,
            ResultRule::Float => Type::Float,
            ResultRule::Bool => Type::Bool,
            ResultRule::Ptr => Type::Ptr,
            ResultRule::Tuple => Type::Tuple,
            ResultRule::Str => Type::Str,
            ResultRule::Dict => Type::Dict,
            ResultRule::Big => Type::Big,
            ResultRule::Iter => Type::Iter,
            ResultRule::NoneType => Type::NoneType,
            ResultRule::Obj => Type::Obj,
            ResultRule::IntOrFloat if matches!(declared, Type::Int | Type::Float) => declared,
            ResultRule::IntOrFloat => return Err(format!("of type {declared:?}: must be Int or Float")),
            ResultRule::TypeField => type_field.ok_or("has no type field")?,
        })
    }
}

/// What an operation does besides computing its result: the table's effect column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Nothing (`pure`): dead code elimination drops it when unused, and CSE replaces it by an
    /// earlier copy with the same operands.
    Pure,
    /// It may exit through its snapshot, and does nothing else (`guard`): always kept, but a
    /// repeat with the same operands is redundant (the earlier one checked the same thing).
    Guard,
    /// It writes memory, reads state that changes, or marks the trace's structure (`effect`):
    /// always kept, never merged with another.
    Effect,
}

/// A field of [`Op::print_fields`]: its name and its text.
pub type PrintedField = (&'static str, String);

macro_rules! op_table {
    (@effect pure) => { Effect::Pure };
    (@effect guard) => { Effect::Guard };
    (@effect effect) => { Effect::Effect };
    ($(
        $(#[doc = $doc:literal])*
        $name:ident $({ $($field:ident : $kind:ident),* })? -> $rule:ident, $effect:ident, $text:literal;
    )*) => {
        /// One trace-IR operation: one row of the opcode table.
        #[derive(Clone, Copy, Debug, PartialEq)]
        pub enum Op {
            $( $(#[doc = $doc])* $name $({ $($field: <kinds::$kind as Kind>::Value),* })?, )*
        }

        // Every row's fields fit in a key (`Op::key`).
        $( const _: () = assert!({ let fields: &[&str] = &[$($(stringify!($field)),*)?]; fields.len() } <= KEY_WORDS); )*

        /// Every opcode: its name, its doc, its text form (the table, for docs and tests).
        pub const OPCODES: &[(&str, &str, &str)] = &[ $( (stringify!($name), concat!($($doc),*), $text) ),* ];

        impl Op {
            /// The opcode's name, as the dump prints it.
            pub fn name(&self) -> &'static str {
                match self { $( Op::$name { .. } => stringify!($name), )* }
            }

            /// The opcode's text form (`"{a}, {b}"`: fields by name; the snapshot comes after).
            pub fn text_form(&self) -> &'static str {
                match self { $( Op::$name { .. } => $text, )* }
            }

            /// How the result type is found.
            pub fn result_rule(&self) -> ResultRule {
                match self { $( Op::$name { .. } => ResultRule::$rule, )* }
            }

            /// What the operation does besides computing its result.
            pub fn effect(&self) -> Effect {
                match self { $( Op::$name { .. } => op_table!(@effect $effect), )* }
            }

            /// Calls `f` on each value operand, in table order, letting it rename them.
            fn for_each_ref(&mut self, mut f: impl FnMut(&mut IrRef)) {
                match self {
                    $( Op::$name { $($($field),*)? } => {
                        $($( if let Some(r) = <kinds::$kind as Kind>::value_ref($field) { f(r) } )*)?
                    } )*
                }
            }

            /// The snapshot field itself, for passes that renumber snapshots.
            pub fn snapshot_mut(&mut self) -> Option<&mut SnapId> {
                match self {
                    $( Op::$name { $($($field),*)? } => {
                        $($( if let Some(s) = <kinds::$kind as Kind>::snapshot($field) { return Some(s) } )*)?
                    } )*
                }
                None
            }

            /// The type the opcode's type field names, if it has one.
            pub fn type_field(&self) -> Option<Type> {
                match *self {
                    $( Op::$name { $($($field),*)? } => {
                        $($( if let Some(ty) = <kinds::$kind as Kind>::type_field($field) { return Some(ty) } )*)?
                    } )*
                }
                None
            }

            /// The typing rule: checks the operands' types (`ty_of` gives an operand's type,
            /// `None` if there is no such instruction) and returns the result type. `declared` is
            /// the instruction's own type, which some rules read (`Select`).
            pub fn typing(&self, declared: Type, ty_of: impl Fn(IrRef) -> Option<Type>) -> Result<Type, String> {
                let result = self.result_rule().result(declared, self.type_field()).map_err(|e| format!("{} {e}", self.name()))?;
                match *self {
                    $( Op::$name { $($($field),*)? } => {
                        $($( <kinds::$kind as Kind>::check($field, stringify!($field), result, &ty_of)?; )*)?
                    } )*
                }
                Ok(result)
            }

            /// The operation as a hashable key: its opcode and every field (the snapshot
            /// too; CSE blanks it first). See `op_key.rs`.
            pub fn key(&self) -> OpKey {
                let fields: &[u64] = match *self {
                    $( Op::$name { $($($field),*)? } => &[ $($( KeyWord::word($field) ),*)? ], )*
                };
                let mut words = [0u64; KEY_WORDS];
                words[..fields.len()].copy_from_slice(fields);
                OpKey::new(self.name(), words)
            }

            /// Each field's name and text (the snapshot's too), for the printer.
            pub fn print_fields(&self, labels: &dyn Labels) -> Vec<PrintedField> {
                let _ = labels;
                match *self {
                    $( Op::$name { $($($field),*)? } => vec![
                        $($( (stringify!($field), <kinds::$kind as Kind>::print($field, labels)) ),*)?
                    ], )*
                }
            }

            /// Builds opcode `name` from its fields' texts (`field` gives a field's text, `None`
            /// if the line left it out); `Ok(None)` if there is no such opcode.
            pub fn parse_fields<'t>(
                name: &str,
                declared: Type,
                field: impl Fn(&str) -> Option<&'t str>,
                cx: &mut dyn Names,
            ) -> Result<Option<Op>, String> {
                let _ = (&field, &cx, declared);
                Ok(Some(match name {
                    $( stringify!($name) => Op::$name $({
                        $( $field: parse_field::<kinds::$kind>(stringify!($field), declared, &field, cx)? ),*
                    })?, )*
                    _ => return Ok(None),
                }))
            }

            /// One example of every opcode, with distinct operands (for round-trip tests).
            pub fn examples() -> Vec<Op> {
                vec![ $( {
                    let mut n = 0u32;
                    let _ = &mut n;
                    Op::$name $({ $( $field: { n += 1; <kinds::$kind as Kind>::example(n - 1) } ),* })?
                } ),* ]
            }
        }
    };
}

/// A field from its text, or implied by the line's type when the text form leaves it out.
fn parse_field<'t, K: Kind>(
    name: &str,
    declared: Type,
    field: &impl Fn(&str) -> Option<&'t str>,
    cx: &mut dyn Names,
) -> Result<K::Value, String> {
    match field(name) {
        Some(text) => K::parse(text, cx),
        None => K::implied(declared).ok_or_else(|| format!("missing field '{name}'")),
    }
}

op_table! {
    /// An int constant.
    ConstInt { value: I64 } -> Int, pure, "{value}";
    /// A float constant.
    ConstFloat { value: F64 } -> Float, pure, "{value}";
    /// A bool constant.
    ConstBool { value: Flag } -> Bool, pure, "{value}";
    /// `None` (also what a slot or item guarded to hold `None` reads as: its type says it all).
    ConstNone -> NoneType, pure, "";
    /// Exit unless frame slot `slot` holds a value with this `Value` tag (entry type check).
    GuardTag { slot: Slot, tag: ValueTag, snap: Snap } -> Void, guard, "{slot} is {tag}";
    /// If frame slot `slot` holds a heap value (a list, a string...), drop it, leaving `None`
    /// (a call into the runtime, rarely taken), so that exits may overwrite the slot with a
    /// number. Emitted where the trace first writes a slot it did not read.
    ClearSlot { slot: Slot } -> Void, effect, "{slot}";
    /// The int in frame slot `slot` (its tag was guarded).
    SlotInt { slot: Slot } -> Int, pure, "{slot}";
    /// The float in frame slot `slot`.
    SlotFloat { slot: Slot } -> Float, pure, "{slot}";
    /// The bool in frame slot `slot`.
    SlotBool { slot: Slot } -> Bool, pure, "{slot}";
    /// The heap object pointer in frame slot `slot` (a list), borrowed from the frame.
    SlotPtr { slot: Slot } -> Ptr, pure, "{slot}";
    /// The tuple in frame slot `slot` (its tag was guarded), borrowed from the frame.
    SlotTuple { slot: Slot } -> Tuple, pure, "{slot}";
    /// The string in frame slot `slot` (its tag was guarded), borrowed from the frame.
    SlotStr { slot: Slot } -> Str, pure, "{slot}";
    /// The dict in frame slot `slot` (its tag was guarded), borrowed from the frame.
    SlotDict { slot: Slot } -> Dict, pure, "{slot}";
    /// The int beyond 64 bits in frame slot `slot` (its tag was guarded `is big`), borrowed from
    /// the frame; big ints are read and computed only through helpers.
    SlotBig { slot: Slot } -> Big, pure, "{slot}";
    /// The dict iterator in a `for` loop's own slot (its tag was guarded), borrowed from the
    /// frame; only `DictNext` reads it.
    SlotIter { slot: Slot } -> Iter, pure, "{slot}";
    /// The next key, value or `(key, value)` tuple of dict iterator `iter`, of type `ty`,
    /// advancing it; exits (the iterator unchanged) at the end, when the dict changed size, or
    /// for another type, so the interpreter ends the loop or raises the `RuntimeError`.
    DictNext { iter: DictIt, ty: ElementType, snap: Snap } -> TypeField, effect, "{iter} as {ty}";
    /// A `for` loop over dict `dict` (`kind` 0), its `keys()`, `values()` or `items()` (1, 2,
    /// 3) started in the trace: a new dict iterator, as the interpreter's `GetIter` makes it (a
    /// call into the runtime), stored at once into the loop's slot `result` (what the slot held
    /// goes to the garbage); the loop's `DictNext` takes it.
    DictIterInto { dict: DictVal, kind: I64, result: Slot } -> Iter, effect, "{dict} {kind} {result}";
    /// Has dict iterator `iter` an item left (or did its dict change size: the interpreter's
    /// `ForIter` then raises)? What a side trace that records a dict loop's end guards (a call
    /// into the runtime; read where it stands, since `DictNext` advances the iterator).
    DictMore { iter: DictIt } -> Bool, effect, "{iter}";
    /// String constant number `index` of `Trace::objects` (the trace keeps it alive).
    ConstStr { index: Object } -> Str, pure, "{index}";
    /// `len(s)`: the string's char count (read from its header).
    StrLen { s: Text } -> Int, pure, "{s}";
    /// The string's length in bytes of UTF-8 (a `for` loop over it steps by byte offsets).
    StrBytes { s: Text } -> Int, pure, "{s}";
    /// `ord(s)`: inline for a one-byte string, else the `ord` helper; exits if it fails (`s` is
    /// not one char: the interpreter raises).
    StrOrd { s: Text, snap: Snap } -> Int, guard, "{s}";
    /// `chr(code)`: the cached one-char string below 256, else the `chr` helper; exits if it
    /// fails (the interpreter raises).
    StrChr { code: Int, snap: Snap } -> Str, effect, "{code}";
    /// The char of `s` at byte `offset` (`for ch in s`): the cached one-char string for an
    /// ASCII string, else the `char_at` helper; exits if it fails.
    StrCharAt { s: Text, offset: Int, snap: Snap } -> Str, effect, "{s}, {offset}";
    /// Exit unless string `s` is ASCII (one byte per char): the recorder puts it before a
    /// `for ch in s` loop's `StrCharAt` when the string it sees is ASCII. The loop's string is
    /// an invariant, so CSE keeps the preamble's guard only, and `opt/ascii.rs` turns the
    /// loop's `StrCharAt`s into `StrByteAt` and `StrChrLatin1`.
    GuardStrAscii { s: Text, snap: Snap } -> Void, guard, "{s}";
    /// The byte at byte `offset` of `s`, a string an earlier `GuardStrAscii` proved ASCII (so
    /// the byte is the char's code, 0..=127); exits unless `0 <= offset < ` its byte length.
    StrByteAt { s: Text, offset: Int, snap: Snap } -> Int, guard, "{s}, {offset}";
    /// `chr(code)` of a code the optimizer proved in 0..=255: the thread's cached one-char
    /// string, a load (no exit, no garbage).
    StrChrLatin1 { code: Int } -> Str, pure, "{code}";
    /// Runtime helper `fun` (`ir/helpers.rs`) on no value (`[]`: a new empty list), as `Helper1`.
    Helper0 { fun: HelperFn, ty: ElementType, snap: Snap } -> TypeField, effect, "{fun}() as {ty}";
    /// Runtime helper `fun` (`ir/helpers.rs`) on one value; its result has type `ty` (a new
    /// string or list goes to the runtime's garbage list). Exits through `snap` (before the
    /// instruction, which the interpreter then runs again, raising what it raises) if the
    /// helper fails or its result has another type.
    Helper1 { fun: HelperFn, a: Element, ty: ElementType, snap: Snap } -> TypeField, effect, "{fun}({a}) as {ty}";
    /// Runtime helper `fun` on two values (`Helper1`).
    Helper2 { fun: HelperFn, a: Element, b: Element, ty: ElementType, snap: Snap } -> TypeField, effect, "{fun}({a}, {b}) as {ty}";
    /// Runtime helper `fun` on three values (`Helper1`).
    Helper3 { fun: HelperFn, a: Element, b: Element, c: Element, ty: ElementType, snap: Snap } -> TypeField, effect, "{fun}({a}, {b}, {c}) as {ty}";
    /// Runtime helper `fun` on four values (`Helper1`).
    Helper4 { fun: HelperFn, a: Element, b: Element, c: Element, d: Element, ty: ElementType, snap: Snap } -> TypeField, effect, "{fun}({a}, {b}, {c}, {d}) as {ty}";
    /// `a + b` on ints; exits through `snap` if it overflows (the interpreter redoes it with big ints).
    AddInt { a: Int, b: Int, snap: Snap } -> Int, guard, "{a}, {b}";
    /// `a - b` on ints; exits on overflow.
    SubInt { a: Int, b: Int, snap: Snap } -> Int, guard, "{a}, {b}";
    /// `a * b` on ints; exits on overflow.
    MulInt { a: Int, b: Int, snap: Snap } -> Int, guard, "{a}, {b}";
    /// `-a` on ints; exits on overflow (`-(-2**63)`).
    NegInt { a: Int, snap: Snap } -> Int, guard, "{a}";
    /// Python's `a // b` on ints (floors); exits if `b == 0` or the result overflows.
    FloorDivInt { a: Int, b: Int, snap: Snap } -> Int, guard, "{a}, {b}";
    /// Python's `a % b` on ints (sign of `b`); exits if `b == 0`.
    ModInt { a: Int, b: Int, snap: Snap } -> Int, guard, "{a}, {b}";
    /// `a << b` on ints; exits unless `0 <= b < 64` and no bit is lost (the interpreter raises
    /// or goes on with big ints).
    ShlInt { a: Int, b: Int, snap: Snap } -> Int, guard, "{a}, {b}";
    /// `a >> b` on ints (rounds towards minus infinity; counts of 64 and more give 0 or -1);
    /// exits if `b < 0` (the interpreter raises).
    ShrInt { a: Int, b: Int, snap: Snap } -> Int, guard, "{a}, {b}";
    /// `a ** b` on ints (a runtime call); exits if `b < 0` (a float result) or the result
    /// does not fit 64 bits.
    PowInt { a: Int, b: Int, snap: Snap } -> Int, guard, "{a}, {b}";
    /// `a + b` on ints proven to fit 64 bits (a range counter below its stop, an index a
    /// bounds check limited: `opt/overflow.rs`), so nothing to check.
    AddIntUnchecked { a: Int, b: Int } -> Int, pure, "{a}, {b}";
    /// `a - b` on ints proven to fit 64 bits (`AddIntUnchecked`).
    SubIntUnchecked { a: Int, b: Int } -> Int, pure, "{a}, {b}";
    /// `a & b`
    AndInt { a: Int, b: Int } -> Int, pure, "{a}, {b}";
    /// `a | b`
    OrInt { a: Int, b: Int } -> Int, pure, "{a}, {b}";
    /// `a ^ b`
    XorInt { a: Int, b: Int } -> Int, pure, "{a}, {b}";
    /// `a + b` on floats.
    AddFloat { a: Float, b: Float } -> Float, pure, "{a}, {b}";
    /// `a - b` on floats.
    SubFloat { a: Float, b: Float } -> Float, pure, "{a}, {b}";
    /// `a * b` on floats.
    MulFloat { a: Float, b: Float } -> Float, pure, "{a}, {b}";
    /// `a / b` on floats; exits if `b == 0.0` (ZeroDivisionError is the interpreter's job).
    DivFloat { a: Float, b: Float, snap: Snap } -> Float, guard, "{a}, {b}";
    /// Python's `a % b` on floats (the sign of `b`; a runtime call); exits if `b == 0.0`.
    ModFloat { a: Float, b: Float, snap: Snap } -> Float, guard, "{a}, {b}";
    /// Python's `a // b` on floats (a runtime call); exits if `b == 0.0`.
    FloorDivFloat { a: Float, b: Float, snap: Snap } -> Float, guard, "{a}, {b}";
    /// Python's `a ** b` on floats (a runtime call: the interpreter's own); exits where Python
    /// raises (`0.0 ** -1`, a complex result, overflow).
    PowFloat { a: Float, b: Float, snap: Snap } -> Float, guard, "{a}, {b}";
    /// `-a` on floats.
    NegFloat { a: Float } -> Float, pure, "{a}";
    /// `abs(a)` on floats (clears the sign: `abs(-0.0)` is `0.0`).
    AbsFloat { a: Float } -> Float, pure, "{a}";
    /// `int(a)` of a float (truncates towards zero); exits for NaN, infinities and results
    /// beyond 64 bits (the interpreter raises or makes a big int).
    FloatToInt { a: Float, snap: Snap } -> Int, guard, "{a}";
    /// `float(a)`: the nearest float to an int (what Python does in mixed arithmetic).
    IntToFloat { a: Int } -> Float, pure, "{a}";
    /// A bool as an int (0 or 1), as Python's arithmetic and comparisons treat bools.
    BoolToInt { a: Bool } -> Int, pure, "{a}";
    /// Exits unless `-2**53 <= a <= 2**53`, where comparing `float(a)` equals comparing `a`.
    GuardExactFloat { a: Int, snap: Snap } -> Void, guard, "{a}";
    /// `a cond b` on ints.
    CmpInt { cond: Compare, a: Int, b: Int } -> Bool, pure, "{a} {cond} {b}";
    /// `a cond b` on floats (IEEE: false when either is NaN, except `!=`).
    CmpFloat { cond: Compare, a: Float, b: Float } -> Bool, pure, "{a} {cond} {b}";
    /// Exits through `snap` unless the bool `cond` equals `expect`.
    Guard { cond: Bool, expect: Flag, snap: Snap } -> Void, guard, "{cond} is {expect}";
    /// `a` if the bool `cond` is true, else `b` (ints or floats).
    Select { cond: Bool, a: Same, b: Same } -> IntOrFloat, pure, "{cond}, {a}, {b}";
    /// Object number `index` of `Trace::objects` (a function or builtin loaded from a global,
    /// which the trace calls or inlines). Free: exits write it into the frame where the
    /// interpreter expects it (a runtime call that clones it).
    ConstObj { index: Object } -> Obj, pure, "{index}";
    /// Exits through `snap` unless frame slot `slot` holds object number `index` of
    /// `Trace::objects` itself (the same function: a call of a function held in a variable or
    /// passed as an argument, inlined behind this guard on its identity).
    GuardObj { slot: Slot, index: Object, snap: Snap } -> Void, guard, "{slot} is {index}";
    /// `len(list)`.
    ListLen { list: Ptr } -> Int, pure, "{list}";
    /// Python's index normalisation: `index + len` if negative; exits unless `0 <= result < len`.
    ListIndex { list: Ptr, index: Int, snap: Snap } -> Int, guard, "{list}, {index}";
    /// `index` itself; exits unless `0 <= index < len` (recorded where the index was not
    /// negative: no normalising path; a negative index exits, and its side trace normalises).
    ListIndexInRange { list: Ptr, index: Int, snap: Snap } -> Int, guard, "{list}, {index}";
    /// Element `index` (normalised) of `list`, which must carry the `Value` tag of the result
    /// type (`ty`); exits otherwise.
    ListLoad { list: Ptr, index: Int, ty: ElementType, snap: Snap } -> TypeField, guard, "{list}[{index}] as {ty}";
    /// `list[index] = value` (normalised index); exits if the old element is a heap value
    /// (dropping it is the interpreter's job).
    ListStore { list: Ptr, index: Int, value: Number, snap: Snap } -> Void, effect, "{list}, {index}, {value}";
    /// `list.append(value)`, then frame slot `result` gets the call's `None` (inline for a
    /// number into a list with room left, else a call into the runtime; the list's elements
    /// may move).
    ListAppend { list: Ptr, value: Element, result: ResultSlot } -> Void, effect, "{list} {value} {result}";
    /// `list[index] = value` (normalised index) for any value, a tuple or list too (a runtime
    /// call: the list counts a reference to `value`; the old element goes to the runtime's
    /// garbage list, freed when no trace value can point to it any more).
    ListStoreAny { list: Ptr, index: Int, value: Element } -> Void, effect, "{list}, {index}, {value}";
    /// `len(tuple)`.
    TupleLen { tuple: Tup } -> Int, pure, "{tuple}";
    /// Python's index normalisation for a tuple: `index + len` if negative; exits unless
    /// `0 <= result < len`.
    TupleIndex { tuple: Tup, index: Int, snap: Snap } -> Int, guard, "{tuple}, {index}";
    /// Item `index` (normalised) of `tuple`, which must carry the `Value` tag of the result
    /// type (`ty`); exits otherwise.
    TupleLoad { tuple: Tup, index: Int, ty: ElementType, snap: Snap } -> TypeField, guard, "{tuple}[{index}] as {ty}";
    /// A new tuple of `len` items (a runtime call; the items are filled by `TupleInit`). The
    /// trace's own reference goes to the runtime's garbage list. Allocation removal
    /// (`opt/virtualize.rs`) drops the tuples that do not escape the trace.
    NewTuple { len: I64 } -> Tuple, effect, "{len}";
    /// Item `index` of the new `tuple` is `value` (a counted reference for a list or tuple).
    TupleInit { tuple: Tup, index: I64, value: Element } -> Void, effect, "{tuple}[{index}] = {value}";
    /// Counts a reference to the tuple, string or dict `value` into the runtime's garbage list
    /// (a runtime call), so that it stays alive until the garbage is next dropped (the back
    /// edge, or the return to the VM): emitted before a call in the interpreter for each such
    /// value the trace holds that the callee could free (read from a list, a tuple, a global:
    /// the callee may drop every other reference to it).
    KeepAlive { value: Element } -> Void, effect, "{value}";
    /// `EnterComprehension`: a comprehension counts as a frame towards the recursion limit, as
    /// in the interpreter. Exits through `snap` (before the instruction, where the interpreter
    /// raises `RecursionError`) when the frame and the `depth` calls inlined around it leave no
    /// frame free; else takes one from `FRAMES_LEFT` and from the VM's limit (a runtime call,
    /// `toyjit_comprehension_enter`).
    ComprehensionEnter { depth: I64, snap: Snap } -> Void, effect, "depth {depth}";
    /// `LeaveComprehension`: gives the frame back (`toyjit_comprehension_leave`).
    ComprehensionLeave -> Void, effect, "";
    /// Exits through `snap` if the user pressed Ctrl-C (`interp::interrupt`): the last
    /// instruction of the loop body, so that no compiled loop runs forever.
    CheckInterrupt { snap: Snap } -> Void, effect, "";
    /// The end of a side trace: writes `snap`'s slots and goes on at `snap`'s pc, the header of
    /// the loop of trace `trace`: the side trace's root (its machine code re-enters the root's
    /// loop) or another compiled loop (the interpreter enters that loop's trace at once).
    Link { trace: TraceNumber, snap: Snap } -> Void, effect, "to T{trace}";
    /// The end of a side trace that reached the `Return` of the function its tree's loop is in:
    /// writes `snap`'s slots and returns to the VM at `snap`'s pc (the `Return`), which the
    /// interpreter executes.
    Leave { snap: Snap } -> Void, effect, "";
    /// The end of a function-entry trace (or of one of its side traces) at its function's
    /// `Return`: writes `snap`'s slots (the globals it changed), puts `value` into the frame's
    /// slot 0 and returns `RETURNED` to its caller (the VM, or a `CallNative`), which moves it
    /// where the interpreter's `Return` would.
    Ret { value: Element, snap: Snap } -> Void, effect, "{value}";
    /// Before a native call of object `callee` (a function with an entry trace) whose frame
    /// starts at slot `frame`, from `depth` calls deep (the calls inlined around it, plus one):
    /// exits through `snap` (before the `Call`, which the interpreter then makes) if Ctrl-C was
    /// pressed, the recursion limit or the stack's end is near, or the callee's entry trace is
    /// gone or out of date.
    EnterCheck { callee: Object, frame: Slot, depth: I64, snap: Snap } -> Void, effect, "{callee} at {frame}, depth {depth}";
    /// Writes `value` into frame slot `slot` in memory (an argument of a native call, where the
    /// callee's trace reads it), dropping what the slot held.
    StoreSlot { slot: Slot, value: Element } -> Void, effect, "{slot} = {value}";
    /// A native call: runs the entry trace of object `callee` on the frame starting at slot
    /// `frame` (its arguments stored there) with `depth` frames fewer left before the recursion
    /// limit; the callee's result, of type `ty`, is the value (a tuple, list, string or dict
    /// moves to the runtime's garbage, which keeps it alive). If the callee exits instead of
    /// returning (the VM re-creates its frame above this trace's), or returns another type
    /// (moved into slot `dst`), exits through `snap` (after the `Call`).
    CallNative { callee: Object, frame: Slot, depth: I64, dst: Slot, ty: ElementType, snap: Snap } -> TypeField, effect, "{callee} at {frame}, depth {depth}, as {ty} into {dst}";
    /// A call the trace cannot inline or call natively (a recursive function with loops, a
    /// function whose loops have traces): runs object `callee` in the interpreter (a nested run
    /// of the dispatch loop, with the JIT on, so the callee's loops run their traces) on the
    /// frame starting at slot `frame`, where `argc` arguments were stored, `depth` calls deep
    /// (the calls inlined around it, plus one). Its result, of type `ty` (`none`: the result,
    /// of any type, left in slot `dst`, where the trace reads it behind a type guard), is the
    /// value. Exits through `snap` (after the `Call`) if the callee raised (the interpreter
    /// raises it there), returned another type (moved into `dst`; never for `none`), or rebound
    /// a global holding a function.
    CallInterp { callee: Object, frame: Slot, argc: I64, depth: I64, dst: Slot, ty: CallResult, snap: Snap } -> TypeField, effect, "{callee} at {frame}, {argc} args, depth {depth}, as {ty} into {dst}";
    /// `list.pop()` (a call into the runtime): the last element goes into frame slot `result`
    /// in memory; exits through `snap` (before the call) if the list is empty.
    ListPop { list: Ptr, result: Slot, snap: Snap } -> Void, effect, "{list} {result}";
    /// `list.extend(value)` (a call into the runtime, the interpreter's own `extend`: a list
    /// extended with itself doubles), then frame slot `result` gets the call's `None`; exits
    /// through `snap` (before the call, nothing changed) if it fails.
    ListExtend { list: Ptr, value: Element, result: Slot, snap: Snap } -> Void, effect, "{list} {value} {result}";
    /// `list.reverse()` (a call into the runtime, the interpreter's own `reverse`), then frame
    /// slot `result` gets the call's `None`; it never fails (`snap`, before the call, is there
    /// as for the other list methods the runtime runs).
    ListReverse { list: Ptr, result: Slot, snap: Snap } -> Void, effect, "{list} {result}";
    /// `list.insert(index, value)` (a call into the runtime; any index, clamped as Python's),
    /// then frame slot `result` gets the call's `None`; exits through `snap` (before the call)
    /// if it fails.
    ListInsert { list: Ptr, index: Int, value: Element, result: Slot, snap: Snap } -> Void, effect, "{list} {index} {value} {result}";
    /// The loop header: the preamble (first iteration) ends here, the body starts. Printed as a
    /// rule line of its own (`---- loop`), without type or name.
    Loop -> Void, effect, "";
    /// The value of frame slot `slot` when an iteration of the body starts: `entry` on the first
    /// iteration (a preamble value), `back` (a body value) after that.
    Phi { slot: Slot, ty: PhiType, entry: Same, back: Same } -> TypeField, effect, "{slot} [{entry}, {back}]";
}

impl Op {
    /// Does this operation do anything besides computing its result (exit, write, mark)? Dead
    /// code elimination keeps these.
    pub fn has_effect(&self) -> bool {
        self.effect() != Effect::Pure
    }

    /// The IR values this operation reads, in table order.
    pub fn operands(&self) -> Vec<IrRef> {
        let mut refs = Vec::new();
        self.for_each_operand(|r| refs.push(r));
        refs
    }

    /// Calls `f` on each IR value this operation reads, in table order (without allocating).
    pub fn for_each_operand(&self, mut f: impl FnMut(IrRef)) {
        let mut op = *self;
        op.for_each_ref(|r| f(*r));
    }

    /// This operation with each operand passed through `f`.
    pub fn map_operands(mut self, mut f: impl FnMut(IrRef) -> IrRef) -> Op {
        self.for_each_ref(|r| *r = f(*r));
        self
    }

    /// The load of frame slot `slot` as a value of type `ty` (`SlotInt` ... `SlotIter`), if
    /// such a load exists (not for `None`, `Obj` or `Void`).
    pub fn slot_load(ty: Type, slot: u16) -> Option<Op> {
        Some(match ty {
            Type::Int => Op::SlotInt { slot },
            Type::Float => Op::SlotFloat { slot },
            Type::Bool => Op::SlotBool { slot },
            Type::Ptr => Op::SlotPtr { slot },
            Type::Tuple => Op::SlotTuple { slot },
            Type::Str => Op::SlotStr { slot },
            Type::Dict => Op::SlotDict { slot },
            Type::Big => Op::SlotBig { slot },
            Type::Iter => Op::SlotIter { slot },
            Type::NoneType | Type::Obj | Type::Void => return None,
        })
    }

    /// The frame slot this operation loads, if it is a slot load (`SlotInt` ... `SlotIter`).
    pub fn slot_loaded(&self) -> Option<u16> {
        match *self {
            Op::SlotInt { slot }
            | Op::SlotFloat { slot }
            | Op::SlotBool { slot }
            | Op::SlotPtr { slot }
            | Op::SlotTuple { slot }
            | Op::SlotStr { slot }
            | Op::SlotDict { slot }
            | Op::SlotBig { slot }
            | Op::SlotIter { slot } => Some(slot),
            _ => None,
        }
    }

    /// The frame slot this operation writes in memory besides its IR result, if any (a popped
    /// element, `append`'s None, a call's result in its register): a later read of that slot
    /// must read memory again (CSE and the loop body's peeling rely on this).
    pub fn slot_written_in_memory(&self) -> Option<u16> {
        match *self {
            Op::ListPop { result, .. } => Some(result),
            Op::ListAppend { result, .. } => result,
            Op::ListExtend { result, .. } | Op::ListInsert { result, .. } | Op::ListReverse { result, .. } => {
                Some(result)
            }
            Op::DictIterInto { result, .. } => Some(result),
            Op::CallNative { dst, .. } | Op::CallInterp { dst, .. } => Some(dst),
            _ => None,
        }
    }

    /// Does this operation change list lengths (and move elements): the list methods the
    /// runtime runs, and calls, whose code may run them? Nothing read from a list before it
    /// holds after it.
    pub fn resizes_lists(&self) -> bool {
        matches!(
            self,
            Op::ListAppend { .. }
                | Op::ListPop { .. }
                | Op::ListExtend { .. }
                | Op::ListInsert { .. }
                | Op::ListReverse { .. }
                | Op::CallNative { .. }
                | Op::CallInterp { .. }
        )
    }

    /// The snapshot used if this operation exits the trace.
    pub fn snapshot(&self) -> Option<SnapId> {
        let mut op = *self;
        op.snapshot_mut().copied()
    }

    /// Replaces the snapshot this operation exits through (nothing if it cannot exit).
    pub fn set_snapshot(&mut self, new: SnapId) {
        if let Some(snap) = self.snapshot_mut() {
            *snap = new;
        }
    }
}

/// A piece of an opcode's text form: literal text, or a field's place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Piece<'a> {
    Literal(&'a str),
    Field(&'a str),
}

/// Splits a text form (`"{a}[{b}] as {ty}"`) into its pieces.
pub fn pieces(text_form: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = text_form;
    while let Some(open) = rest.find('{') {
        if open > 0 {
            out.push(Piece::Literal(&rest[..open]));
        }
        let close = rest[open..].find('}').map_or(rest.len(), |c| open + c);
        out.push(Piece::Field(&rest[open + 1..close]));
        rest = rest.get(close + 1..).unwrap_or("");
    }
    if !rest.is_empty() {
        out.push(Piece::Literal(rest));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_is_consistent() {
        for op in Op::examples() {
            let (name, doc, text) = OPCODES.iter().find(|(n, ..)| *n == op.name()).copied().expect("listed");
            assert!(!doc.trim().is_empty(), "{name} has no doc");
            // Every field prints somewhere, except the snapshot (appended) and implied fields.
            let printed: Vec<&str> =
                pieces(text).into_iter().filter_map(|p| if let Piece::Field(f) = p { Some(f) } else { None }).collect();
            let trace = crate::jit::ir::Trace::default();
            for (field, _) in op.print_fields(&trace) {
                let implied = matches!(op, Op::Phi { .. }) && field == "ty";
                assert!(printed.contains(&field) || field == "snap" || implied, "{name}: {field} is not printed");
            }
            // An opcode that can exit is kept by dead code elimination; a guard can exit.
            assert!(op.snapshot().is_none() || op.has_effect(), "{name} exits but is pure");
            assert!(op.effect() != Effect::Guard || op.snapshot().is_some(), "{name}: a guard without snapshot");
        }
        assert_eq!(Op::examples().len(), OPCODES.len());
    }

    /// docs/JIT.md's opcode table (and "Adding a trace-IR opcode") keeps up with this one.
    #[test]
    fn the_docs_name_every_opcode() {
        let docs = include_str!("../../../docs/JIT.md");
        for (name, ..) in OPCODES {
            assert!(docs.contains(&format!("`{name}")) || docs.contains(&format!(" {name}`")), "docs/JIT.md: {name}");
        }
    }

    #[test]
    fn operands_and_renaming_follow_the_table() {
        let op = Op::ListStore { list: IrRef(1), index: IrRef(2), value: IrRef(3), snap: SnapId(4) };
        assert_eq!(op.operands(), vec![IrRef(1), IrRef(2), IrRef(3)]);
        let renamed = op.map_operands(|r| IrRef(r.0 * 10));
        assert_eq!(renamed, Op::ListStore { list: IrRef(10), index: IrRef(20), value: IrRef(30), snap: SnapId(4) });
        let mut guard = Op::Guard { cond: IrRef(5), expect: true, snap: SnapId(1) };
        guard.set_snapshot(SnapId(9));
        assert_eq!(guard.snapshot(), Some(SnapId(9)));
        assert_eq!(Op::Loop.snapshot(), None);
        assert!(Op::Loop.has_effect() && !Op::AddFloat { a: IrRef(0), b: IrRef(0) }.has_effect());
    }
}
