//! The values an IR instruction works with: [`IrRef`] (`%N`), [`SnapId`] (`snapN`), the value
//! [`Type`]s, the comparison [`Cond`]itions, and the slot numbers of globals ([`GLOBAL_SLOTS`]).
//!
//! Touches nothing; imports nothing from the rest of the IR.

use std::fmt;

/// An SSA value: the index of the instruction that produced it. Prints as `%N`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IrRef(pub u32);

/// An index into `Trace::snapshots`. Prints as `snapN`.
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
    /// `None`: the value is its type (a trace never reads a payload for it).
    NoneType,
    /// A pointer to a tuple's block (`interp::objects::tuple`), kept alive by the frame, a
    /// list or tuple holding it, or (if the trace built it) the runtime's garbage list.
    Tuple,
    /// A pointer to a string's block (`interp::objects::str_obj`), kept alive by the frame, a
    /// list or tuple holding it, the trace's constants, or (if a helper made it) the
    /// runtime's garbage list.
    Str,
    /// A dict (the `Rc`'s pointer), kept alive like a list.
    Dict,
    /// An int beyond 64 bits (the `Rc<BigInt>`'s pointer), kept alive like a string: by the
    /// frame, or (if a helper made it) the runtime's garbage list.
    Big,
    /// A dict's iterator (`for k in d`, `d.keys()`, `.values()`, `.items()`: the `Rc`'s pointer),
    /// read from the loop's own slot, which no trace writes; only `DictNext` takes it.
    Iter,
    /// A function or builtin the trace loaded from a global (`Op::ConstObj`): no machine
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
            Type::Tuple => "tuple",
            Type::Str => "str",
            Type::Dict => "dict",
            Type::Big => "big",
            Type::Iter => "iter",
            Type::NoneType => "None",
            Type::Obj => "obj",
        }
    }

    /// The type a name in the dump's type column stands for (`int`, `ptr`...; not `Void`).
    pub fn named(name: &str) -> Option<Type> {
        [
            Type::Int,
            Type::Float,
            Type::Bool,
            Type::NoneType,
            Type::Ptr,
            Type::Tuple,
            Type::Str,
            Type::Dict,
            Type::Big,
            Type::Iter,
            Type::Obj,
        ]
        .into_iter()
        .find(|t| t.name() == name)
    }

    /// Is this a heap object (a list, a tuple or a string): a pointer whose exits count
    /// references?
    pub fn is_heap(self) -> bool {
        matches!(self, Type::Ptr | Type::Tuple | Type::Str | Type::Dict | Type::Big)
    }

    /// The `Value` tag of a heap object of this type.
    pub fn heap_tag(self) -> Option<u8> {
        use crate::interp::objects::value::tag;
        match self {
            Type::Ptr => Some(tag::LIST),
            Type::Tuple => Some(tag::TUPLE),
            Type::Str => Some(tag::STR),
            Type::Dict => Some(tag::DICT),
            Type::Big => Some(tag::BIG),
            _ => None,
        }
    }

    /// The `Value` tag of a slot holding this type (see `interp::objects::value::tag`).
    pub fn value_tag(self) -> Option<u8> {
        use crate::interp::objects::value::tag;
        match self {
            Type::Int => Some(tag::INT),
            Type::Float => Some(tag::FLOAT),
            Type::Bool => Some(tag::BOOL),
            Type::NoneType => Some(tag::NONE),
            _ => None,
        }
    }

    /// The type a slot whose `Value` tag is `tag` holds in a trace (numbers and lists).
    pub fn of_tag(tag: u8) -> Option<Type> {
        use crate::interp::objects::value::tag as t;
        match tag {
            t::INT => Some(Type::Int),
            t::FLOAT => Some(Type::Float),
            t::BOOL => Some(Type::Bool),
            t::NONE => Some(Type::NoneType),
            t::LIST => Some(Type::Ptr),
            t::TUPLE => Some(Type::Tuple),
            t::STR => Some(Type::Str),
            t::DICT => Some(Type::Dict),
            t::BIG => Some(Type::Big),
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
    /// Every condition (the parser looks symbols up here).
    pub const ALL: [Cond; 6] = [Cond::Lt, Cond::Le, Cond::Gt, Cond::Ge, Cond::Eq, Cond::Ne];

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
