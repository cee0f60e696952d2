//! Operand kinds: what each column of the opcode table ([`super::ops`]) may hold, and, once
//! per kind, how a field of that kind prints, parses back, type-checks, and whether it is a
//! value operand or the snapshot.
//!
//! A row of the table says `AddInt { a: Int, b: Int, snap: Snap }`: `Int` is a kind, a marker
//! type whose [`Kind::Value`] is the Rust type of the field (an [`IrRef`]) and whose methods
//! say "this field reads a value that must be an int". Everything the table derives per opcode
//! (operands, renaming, the snapshot, the typing rule, the text form both ways) is a loop over
//! the fields calling these methods, so a new opcode needs no new code here unless it brings a
//! new kind of operand.
//!
//! Touches nothing: pure functions of the field, the trace being printed ([`Labels`]), or the
//! parser's state ([`Names`]). Imports only `values.rs` from the IR.

use super::helpers::Helper;
use super::values::{Cond, IrRef, SnapId, Type};
use crate::interp::objects::value::tag;

/// What printing a field may ask of the trace it is in (`Trace` implements it in `print.rs`).
pub trait Labels {
    /// A slot's name: `r3(total)`, `g0(n)`.
    fn slot(&self, slot: u16) -> String;
    /// An object of the trace: `<builtin range>`, `<function f>`.
    fn object(&self, index: u32) -> String;
}

/// What parsing a field may ask of the parser (`text::ParseContext` implements it), which
/// remembers slot names and objects for the trace it builds.
pub trait Names {
    /// `r3(total)` → 3, `g0(n)` → `GLOBAL_SLOTS + 0`.
    fn slot(&mut self, text: &str) -> Result<u16, String>;
    /// `<builtin range>` → its index in the trace's objects.
    fn object(&mut self, text: &str) -> Result<u32, String>;
}

/// One kind of operand. Defaults describe a plain constant field (not a value, not a
/// snapshot, no type constraint, always printed).
pub trait Kind {
    /// The Rust type of a field of this kind.
    type Value: Copy;
    /// The value operand this field is, if it is one: what `Op::operands` lists and
    /// `Op::map_operands` renames.
    fn value_ref(_: &mut Self::Value) -> Option<&mut IrRef> {
        None
    }
    /// The snapshot this field is, if it is one (at most one per opcode).
    fn snapshot(_: &mut Self::Value) -> Option<&mut SnapId> {
        None
    }
    /// The type a type field names (the result of a [`super::ops::ResultRule::TypeField`] row).
    fn type_field(_: Self::Value) -> Option<Type> {
        None
    }
    /// The typing rule's part for this field: `result` is the instruction's result type,
    /// `ty_of` an operand's type (`None`: no such instruction).
    fn check(
        _: Self::Value,
        _field: &str,
        _result: Type,
        _ty_of: &dyn Fn(IrRef) -> Option<Type>,
    ) -> Result<(), String> {
        Ok(())
    }
    /// The field's text in the dump.
    fn print(value: Self::Value, labels: &dyn Labels) -> String;
    /// Reads the text [`Kind::print`] wrote.
    fn parse(text: &str, names: &mut dyn Names) -> Result<Self::Value, String>;
    /// The field's value when the opcode's text form leaves it out (it repeats the line's type
    /// column: a `Phi`'s type).
    fn implied(_declared: Type) -> Option<Self::Value> {
        None
    }
    /// A value for the round-trip test of every opcode (`n`: the field's position).
    fn example(n: u32) -> Self::Value;
}

/// Checks that value operand `r` (field `field`) exists and has a type `ok` accepts.
/// (`expected` says what it must be, for the error only: the verifier checks every operand of
/// every pass's output, so nothing is formatted unless it fails.)
fn check_ref<E: std::fmt::Display>(
    r: IrRef,
    field: &str,
    ty_of: &dyn Fn(IrRef) -> Option<Type>,
    ok: impl Fn(Type) -> bool,
    expected: impl Fn() -> E,
) -> Result<(), String> {
    match ty_of(r) {
        Some(ty) if ok(ty) => Ok(()),
        Some(ty) => Err(format!("{field} value {r} has type {ty:?}, expected {}", expected())),
        None => Err(format!("{field} value {r} does not exist")),
    }
}

fn parse_ref(text: &str) -> Result<IrRef, String> {
    text.strip_prefix('%')
        .and_then(|digits| digits.parse::<u32>().ok())
        .map(IrRef)
        .ok_or_else(|| format!("bad value reference '{text}'"))
}

/// Value operands, named by the type the value must have.
macro_rules! value_kinds {
    ($( $(#[doc = $doc:literal])* $kind:ident: |$ty:ident, $result:ident| $ok:expr, $expected:expr; )*) => {$(
        $(#[doc = $doc])*
        pub struct $kind;

        impl Kind for $kind {
            type Value = IrRef;
            fn value_ref(r: &mut IrRef) -> Option<&mut IrRef> {
                Some(r)
            }
            fn check(r: IrRef, field: &str, $result: Type, ty_of: &dyn Fn(IrRef) -> Option<Type>) -> Result<(), String> {
                let _ = $result;
                check_ref(r, field, ty_of, |$ty: Type| $ok, || $expected)
            }
            fn print(r: IrRef, _: &dyn Labels) -> String {
                r.to_string()
            }
            fn parse(text: &str, _: &mut dyn Names) -> Result<IrRef, String> {
                parse_ref(text)
            }
            fn example(n: u32) -> IrRef {
                IrRef(n + 1)
            }
        }
    )*};
}

value_kinds! {
    /// An int value.
    Int: |ty, result| ty == Type::Int, "Int";
    /// A float value.
    Float: |ty, result| ty == Type::Float, "Float";
    /// A bool value.
    Bool: |ty, result| ty == Type::Bool, "Bool";
    /// A list (a heap pointer the frame keeps alive).
    Ptr: |ty, result| ty == Type::Ptr, "Ptr";
    /// A tuple (a pointer to its block).
    Tup: |ty, result| ty == Type::Tuple, "Tuple";
    /// A string (a pointer to its block).
    Text: |ty, result| ty == Type::Str, "Str";
    /// A dict.
    DictVal: |ty, result| ty == Type::Dict, "Dict";
    /// A dict's iterator (`SlotIter`).
    DictIt: |ty, result| ty == Type::Iter, "Iter";
    /// A value of the instruction's own result type (`Select`'s arms, a `Phi`'s inputs).
    Same: |ty, result| ty == result, format!("{result:?}");
    /// A value a list element can hold unboxed: an int, a float, a bool or None.
    Number: |ty, result| ty.value_tag().is_some(), "a number (Int, Float or Bool) or None";
    /// Anything a list element can be: a number, a list, a tuple or a string.
    Element: |ty, result| ty.value_tag().is_some() || ty.is_heap(), "a number, a list, a tuple or a string";
}

/// The snapshot an instruction exits through (printed last on the line: `  snap3`).
pub struct Snap;

impl Kind for Snap {
    type Value = SnapId;
    fn snapshot(s: &mut SnapId) -> Option<&mut SnapId> {
        Some(s)
    }
    fn print(s: SnapId, _: &dyn Labels) -> String {
        s.to_string()
    }
    fn parse(text: &str, _: &mut dyn Names) -> Result<SnapId, String> {
        text.strip_prefix("snap")
            .and_then(|n| n.parse::<u32>().ok())
            .map(SnapId)
            .ok_or_else(|| format!("bad snapshot '{text}'"))
    }
    fn example(_: u32) -> SnapId {
        SnapId(0)
    }
}

/// A frame slot (`r3(total)`) or a global (`g0(n)`, slot `GLOBAL_SLOTS + 0`).
pub struct Slot;

impl Kind for Slot {
    type Value = u16;
    fn print(slot: u16, labels: &dyn Labels) -> String {
        labels.slot(slot)
    }
    fn parse(text: &str, names: &mut dyn Names) -> Result<u16, String> {
        names.slot(text)
    }
    fn example(n: u32) -> u16 {
        n as u16 + 2
    }
}

/// The frame slot a method call's result goes into, or none (`-`): `ListAppend` of a
/// `list.append(x)` call writes its `None` there, a comprehension's append has no result.
pub struct ResultSlot;

impl Kind for ResultSlot {
    type Value = Option<u16>;
    fn print(slot: Option<u16>, labels: &dyn Labels) -> String {
        slot.map_or_else(|| "-".into(), |slot| labels.slot(slot))
    }
    fn parse(text: &str, names: &mut dyn Names) -> Result<Option<u16>, String> {
        if text == "-" { Ok(None) } else { names.slot(text).map(Some) }
    }
    fn example(n: u32) -> Option<u16> {
        Some(n as u16 + 2)
    }
}

/// An int constant.
pub struct I64;

impl Kind for I64 {
    type Value = i64;
    fn print(value: i64, _: &dyn Labels) -> String {
        value.to_string()
    }
    fn parse(text: &str, _: &mut dyn Names) -> Result<i64, String> {
        text.parse().map_err(|_| format!("bad int '{text}'"))
    }
    fn example(_: u32) -> i64 {
        -42
    }
}

/// A float constant, printed so that it reads back exactly (`1.0`, `-0.0`, `inf`, `NaN`).
pub struct F64;

impl Kind for F64 {
    type Value = f64;
    fn print(value: f64, _: &dyn Labels) -> String {
        format!("{value:?}")
    }
    fn parse(text: &str, _: &mut dyn Names) -> Result<f64, String> {
        text.parse().map_err(|_| format!("bad float '{text}'"))
    }
    fn example(_: u32) -> f64 {
        2.5
    }
}

/// A bool constant, `True` or `False`.
pub struct Flag;

impl Kind for Flag {
    type Value = bool;
    fn print(value: bool, _: &dyn Labels) -> String {
        if value { "True" } else { "False" }.into()
    }
    fn parse(text: &str, _: &mut dyn Names) -> Result<bool, String> {
        match text {
            "True" => Ok(true),
            "False" => Ok(false),
            _ => Err(format!("bad bool '{text}' (True or False)")),
        }
    }
    fn example(_: u32) -> bool {
        true
    }
}

/// A comparison (`<`, `==`...).
pub struct Compare;

impl Kind for Compare {
    type Value = Cond;
    fn print(cond: Cond, _: &dyn Labels) -> String {
        cond.symbol().into()
    }
    fn parse(text: &str, _: &mut dyn Names) -> Result<Cond, String> {
        Cond::ALL.into_iter().find(|c| c.symbol() == text).ok_or_else(|| format!("bad condition '{text}'"))
    }
    fn example(_: u32) -> Cond {
        Cond::Le
    }
}

/// A `Value` tag byte, printed as the type's name (`int`, `list`).
pub struct ValueTag;

/// The tags a trace guards, with their names in the dump.
const TAG_NAMES: [(u8, &str); 10] = [
    (tag::INT, "int"),
    (tag::FLOAT, "float"),
    (tag::BOOL, "bool"),
    (tag::NONE, "None"),
    (tag::LIST, "list"),
    (tag::TUPLE, "tuple"),
    (tag::STR, "str"),
    (tag::DICT, "dict"),
    (tag::BIG, "big"),
    (tag::ITERATOR, "iter"),
];

impl Kind for ValueTag {
    type Value = u8;
    fn print(value: u8, _: &dyn Labels) -> String {
        tag_name(value).into()
    }
    fn parse(text: &str, _: &mut dyn Names) -> Result<u8, String> {
        TAG_NAMES.iter().find(|(_, name)| *name == text).map(|(t, _)| *t).ok_or_else(|| format!("bad tag '{text}'"))
    }
    fn example(_: u32) -> u8 {
        tag::LIST
    }
}

/// The name of a `Value` tag in the dump.
pub fn tag_name(value: u8) -> &'static str {
    TAG_NAMES.iter().find(|(t, _)| *t == value).map_or("?", |(_, name)| name)
}

/// The type a list element is loaded as (`as int`): a number, or `ptr` for a list.
pub struct ElementType;

impl Kind for ElementType {
    type Value = Type;
    fn type_field(ty: Type) -> Option<Type> {
        Some(ty)
    }
    fn check(ty: Type, _: &str, _: Type, _: &dyn Fn(IrRef) -> Option<Type>) -> Result<(), String> {
        if ty.value_tag().is_none() && !ty.is_heap() {
            return Err(format!("cannot load a list element as {ty:?}"));
        }
        Ok(())
    }
    fn print(ty: Type, _: &dyn Labels) -> String {
        ty.name().into()
    }
    fn parse(text: &str, _: &mut dyn Names) -> Result<Type, String> {
        Type::named(text).ok_or_else(|| format!("bad type '{text}'"))
    }
    fn example(_: u32) -> Type {
        Type::Float
    }
}

/// What a `CallInterp` gives the trace: a number (`int`, `float`, `bool`: its value), a
/// string, dict, tuple or list (its address, kept alive by the garbage list), or `none` (the call returns
/// `None`, which stays in the frame: no value).
pub struct CallResult;

impl Kind for CallResult {
    type Value = Type;
    fn type_field(ty: Type) -> Option<Type> {
        Some(ty)
    }
    fn check(ty: Type, _: &str, _: Type, _: &dyn Fn(IrRef) -> Option<Type>) -> Result<(), String> {
        if ty.value_tag().is_none() && !matches!(ty, Type::Void | Type::Str | Type::Dict | Type::Tuple | Type::Ptr) {
            return Err(format!("a call in the interpreter cannot give the trace {ty:?}"));
        }
        Ok(())
    }
    fn print(ty: Type, _: &dyn Labels) -> String {
        if ty == Type::Void { "none".into() } else { ty.name().into() }
    }
    fn parse(text: &str, _: &mut dyn Names) -> Result<Type, String> {
        if text == "none" {
            return Ok(Type::Void);
        }
        Type::named(text).ok_or_else(|| format!("bad type '{text}'"))
    }
    fn example(_: u32) -> Type {
        Type::Int
    }
}

/// A `Phi`'s type: any value type, not printed (the line's type column says it).
pub struct PhiType;

impl Kind for PhiType {
    type Value = Type;
    fn type_field(ty: Type) -> Option<Type> {
        Some(ty)
    }
    fn check(ty: Type, _: &str, _: Type, _: &dyn Fn(IrRef) -> Option<Type>) -> Result<(), String> {
        if ty == Type::Void {
            return Err("a Phi of type Void".into());
        }
        Ok(())
    }
    fn print(ty: Type, _: &dyn Labels) -> String {
        ty.name().into()
    }
    fn parse(text: &str, _: &mut dyn Names) -> Result<Type, String> {
        Type::named(text).ok_or_else(|| format!("bad type '{text}'"))
    }
    fn implied(declared: Type) -> Option<Type> {
        Some(declared)
    }
    fn example(_: u32) -> Type {
        Type::Int
    }
}

/// A trace number (`Link`'s target), printed after `T` by the opcode's text form.
pub struct TraceNumber;

impl Kind for TraceNumber {
    type Value = u32;
    fn print(value: u32, _: &dyn Labels) -> String {
        value.to_string()
    }
    fn parse(text: &str, _: &mut dyn Names) -> Result<u32, String> {
        text.parse().map_err(|_| format!("bad trace number '{text}'"))
    }
    fn example(_: u32) -> u32 {
        3
    }
}

/// An index into `Trace::objects`, printed as the object (`<builtin range>`, `<function f>`).
pub struct Object;

impl Kind for Object {
    type Value = u32;
    fn print(index: u32, labels: &dyn Labels) -> String {
        labels.object(index)
    }
    fn parse(text: &str, names: &mut dyn Names) -> Result<u32, String> {
        names.object(text)
    }
    fn example(_: u32) -> u32 {
        0
    }
}

/// A runtime helper ([`Helper`]), printed by name (`.split`, `str`, `+`).
pub struct HelperFn;

impl Kind for HelperFn {
    type Value = Helper;
    fn print(helper: Helper, _: &dyn Labels) -> String {
        helper.name().into()
    }
    fn parse(text: &str, _: &mut dyn Names) -> Result<Helper, String> {
        Helper::from_name(text).ok_or_else(|| format!("no helper named '{text}'"))
    }
    fn example(_: u32) -> Helper {
        Helper::Split
    }
}
