//! Runtime values: the 16-byte [`Value`] and the heap objects it points to.
//!
//! Layout (see docs/ARCHITECTURE.md, "Values"): `Value` is `#[repr(C, u8)]`, a one-byte tag at
//! offset 0 and an 8-byte payload at offset 8 — an `i64`, the bits of an `f64`, a `bool`, or a
//! pointer to a reference-counted heap object (an `Rc`, or the one-block `Str` and `Tuple` of
//! `str_obj.rs` and `tuple.rs`). Native code can therefore read a frame slot or
//! a list element with one tag compare and one load. Ints are `i64` until an operation overflows,
//! then `BigInt`; results that fit in an `i64` are always normalised back to `Int` (so an `Int` and a
//! `BigInt` never hold the same number). Lists hold their values inline.
//!
//! This file only defines the data and tiny accessors; operators live in `ops.rs`, printing in
//! `format.rs`, iteration in `iter.rs`.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use num_bigint::BigInt;

use crate::interp::engine::bytecode::CodeObject;
use crate::interp::objects::builtins::BuiltinId;
use crate::interp::objects::error::ExcKind;
pub use crate::interp::objects::str_obj::{Str, StrBuilder, StrObj};
pub use crate::interp::objects::tuple::Tuple;

/// The tag numbers of [`Value`] — stable because the JIT reads them from memory.
pub mod tag {
    pub const UNBOUND: u8 = 0;
    pub const NONE: u8 = 1;
    pub const BOOL: u8 = 2;
    pub const INT: u8 = 3;
    pub const FLOAT: u8 = 4;
    /// `Value::List`: the only heap value a trace holds (as a `ptr`). Stated here, not probed,
    /// because the enum below gives `List` this discriminant explicitly (a variant inserted
    /// before it would clash at compile time instead of silently renumbering).
    pub const LIST: u8 = 7;
    /// `Value::Tuple`: traces hold tuples as `tuple` values (a pointer to the block).
    pub const TUPLE: u8 = 8;
    /// `Value::Str`: traces hold strings as `str` values (a pointer to the block).
    pub const STR: u8 = 6;
    /// `Value::Dict`: traces hold dicts as `dict` values (the `Rc`'s pointer).
    pub const DICT: u8 = 9;
    /// `Value::BigInt`: traces hold big ints as `big` values (the `Rc`'s pointer).
    pub const BIG: u8 = 5;
    /// `Value::Iterator`: a trace reads a dict loop's iterator from its slot (an `iter` value).
    pub const ITERATOR: u8 = 15;
}

#[derive(Clone, Debug, Default)]
#[repr(C, u8)]
pub enum Value {
    /// An unassigned variable slot (never visible to programs: reading one raises
    /// NameError or UnboundLocalError).
    #[default]
    Unbound = tag::UNBOUND,
    None = tag::NONE,
    Bool(bool) = tag::BOOL,
    Int(i64) = tag::INT,
    Float(f64) = tag::FLOAT,
    /// Only for numbers outside the i64 range (invariant kept by [`Value::from_bigint`]).
    BigInt(Rc<BigInt>) = tag::BIG,
    Str(Str) = tag::STR,
    List(Rc<ListObj>) = tag::LIST,
    Tuple(Tuple) = tag::TUPLE,
    Dict(Rc<DictObj>) = tag::DICT,
    Range(Rc<RangeObj>),
    Function(Rc<FunctionObj>),
    /// A builtin function, type (`int`, `list`, ...), exception class, or `math` function.
    Builtin(BuiltinId),
    /// The `math` module object.
    Module(Rc<ModuleObj>),
    /// An exception instance (`ValueError("x")`, or the one bound by `except E as e`).
    Exception(Rc<ExcObj>),
    /// An iterator: what `enumerate`, `zip`, `reversed` return, and a `for` loop's state.
    Iterator(Rc<RefCell<IterObj>>) = tag::ITERATOR,
}

/// A mutable list: values stored inline (no allocation per int or float element).
pub type ListObj = RefCell<Vec<Value>>;

/// A dict: insertion-ordered, keyed by hashable values.
pub type DictObj = RefCell<DictMap>;

/// The map inside a dict: CPython's compact dict (`dict_map.rs`). Hashes are never visible to
/// programs, so they are fast non-keyed ones (`hashkey.rs`), not SipHash.
pub use crate::interp::objects::dict_map::DictMap;

/// `range(start, stop, step)` as a value (i64 bounds; ranges over big ints are
/// `IterObj::BigRange` values).
#[derive(Debug, Clone, Copy)]
pub struct RangeObj {
    pub start: i64,
    pub stop: i64,
    pub step: i64,
}

/// A Toy function: its compiled code plus the default values evaluated at `def` time.
#[derive(Debug)]
pub struct FunctionObj {
    pub code: Rc<CodeObject>,
    pub defaults: Vec<Value>,
    /// Stable identity for the JIT's callee guards and for hot counters.
    pub id: u32,
}

/// A module object (only `math` exists).
#[derive(Debug)]
pub struct ModuleObj {
    pub name: &'static str,
}

/// An exception instance: its class and the arguments it was created with.
#[derive(Debug, Clone)]
pub struct ExcObj {
    pub kind: ExcKind,
    pub args: Vec<Value>,
}

/// A dict key: a value known to be hashable, compared with Python's `==`
/// (so `1`, `1.0` and `True` are the same key). Build one with `HashKey::new`, which raises
/// `TypeError: unhashable type` for lists and dicts.
#[derive(Debug, Clone)]
pub struct HashKey(pub Value);

/// The state of an iteration. `ops`/`iter.rs` implement `next`.
#[derive(Debug)]
pub enum IterObj {
    Range {
        next: i64,
        stop: i64,
        step: i64,
    },
    /// Over a list by index: sees appends made during the loop, as CPython does.
    List {
        list: Rc<ListObj>,
        index: usize,
    },
    Tuple {
        tuple: Tuple,
        index: usize,
    },
    /// Over a string by byte offset of the next char.
    Str {
        text: Str,
        byte_index: usize,
    },
    /// Over a snapshot of a dict's keys or items (the dict is checked for size changes).
    DictKeys {
        dict: Rc<DictObj>,
        /// The position in the dict's entries (holes included) to look from.
        index: usize,
        expected_len: usize,
        /// Items still to give: finding one more is "dictionary keys changed during iteration".
        remaining: usize,
    },
    /// Values already materialised (reversed, dict.values(), dict.items(), ...).
    Values {
        values: Vec<Value>,
        index: usize,
    },
    Enumerate {
        inner: Box<IterObj>,
        count: Cell<i64>,
    },
    Zip {
        inners: Vec<IterObj>,
    },
    /// Iterating an iterator value: advances the shared state (`for x in it` moves `it`).
    Shared(Rc<RefCell<IterObj>>),
    /// `d.keys()`, `d.values()`, `d.items()`: a live, re-iterable view (not itself an
    /// iterator: `make_iter` starts a fresh `DictIter` over it).
    DictView {
        dict: Rc<DictObj>,
        kind: DictViewKind,
    },
    /// Iteration over a dict's keys, values or items by position (size changes are errors).
    DictIter {
        dict: Rc<DictObj>,
        /// As in `DictKeys`.
        index: usize,
        expected_len: usize,
        remaining: usize,
        kind: DictViewKind,
    },
    /// A `range` value with a bound outside i64 (`range(2**64, 2**64 + 10)`): re-iterable like a
    /// view (`make_iter` starts a `BigRangeIter`); `type()` reports `range`.
    BigRange(Rc<BigRangeObj>),
    /// Iteration over a `BigRange` (`next` is the next value to yield).
    BigRangeIter {
        next: BigInt,
        range: Rc<BigRangeObj>,
    },
    /// `map(func, *iterables)`: lazy; each step calls `func` through the `Host`.
    Map {
        func: Value,
        inners: Vec<IterObj>,
    },
    /// `filter(func, iterable)` (`func` None keeps the truthy items): lazy, as `Map`.
    Filter {
        func: Value,
        inner: Box<IterObj>,
    },
    /// A generator expression: its loop runs step by step in its creator's frame.
    Generator(GenState),
}

/// Where a generator expression's loop stands. Its code is a block of its creator's code
/// object and its registers are in the creator's frame (`base`, the frame at `depth`), so it
/// reads the enclosing locals as they are now, as CPython's closure does. The compiler only
/// lets a generator expression be the argument of a builtin that consumes it during the call
/// (`sum`, `any`, `sorted`, `"".join`, ...), so that frame is alive whenever it runs.
#[derive(Debug)]
pub struct GenState {
    pub code: Rc<CodeObject>,
    pub base: usize,
    pub depth: usize,
    /// The instruction to resume at.
    pub pc: usize,
    /// Ran to its end (or raised): every later step is the end.
    pub done: bool,
}

/// `range(start, stop, step)` over big ints (step is never zero).
#[derive(Debug, Clone)]
pub struct BigRangeObj {
    pub start: BigInt,
    pub stop: BigInt,
    pub step: BigInt,
}

/// Which dict view / dict iteration: keys, values or `(key, value)` items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DictViewKind {
    Keys,
    Values,
    Items,
}

thread_local! {
    /// The one-character strings of U+0000..U+00FF, made once per thread (see [`Value::char`]):
    /// iterating over or indexing an ASCII string allocates nothing.
    static LATIN1_CHARS: Vec<Str> =
        (0u8..=255).map(|b| Str::new(char::from(b).encode_utf8(&mut [0; 2]))).collect();
}

/// The address of this thread's one-character strings (256 `Str` handles of one pointer each,
/// by code point): machine code reads a char there without a call (`jit/lower_strings.rs`).
pub fn latin1_chars_address() -> usize {
    LATIN1_CHARS.with(|table| table.as_ptr() as usize)
}

/// The address of this thread's shared one-character string of `code` (U+0000..U+00FF),
/// which lives as long as the thread: a trace holds it without a reference of its own.
pub fn latin1_char_address(code: u8) -> usize {
    LATIN1_CHARS.with(|table| table[usize::from(code)].addr())
}

impl Value {
    /// The tag byte and the payload word (see the module doc's layout), as machine code finds
    /// them in a slot: for a heap value, its block's address.
    #[inline(always)]
    pub fn words(&self) -> (u8, u64) {
        // SAFETY: `Value` is 16 bytes, `repr(C, u8)`: the tag in byte 0, the one-word payload at
        // byte 8 (pinned by the layout tests below).
        unsafe {
            let base = self as *const Value as *const u8;
            (*base, *(base.add(8) as *const u64))
        }
    }

    /// Moves `self` into the uninitialised `slot` as two word stores, its tag's and its
    /// payload's, each read as it was written. A `Value` written as its two halves and read
    /// back at once as one 16-byte word (what a move compiles to) waits for the two writes:
    /// half of `split()`'s time on bench/strings.toy (`list_growth::push_by_words`, the
    /// runtime's garbage).
    ///
    /// # Safety
    /// `slot` must be valid for a write of a `Value` and hold nothing to drop.
    #[inline(always)]
    pub unsafe fn write_by_words(self, slot: *mut Value) {
        let (tag, payload) = std::mem::ManuallyDrop::new(self).words();
        // SAFETY: as `words` (bytes 1 to 7, padding, are written as zeros); the reference moves
        // into the slot (`ManuallyDrop`: not dropped here).
        unsafe {
            let words = slot as *mut u64;
            words.write(u64::from(tag));
            words.add(1).write(payload);
        }
    }

    pub fn str(text: impl AsRef<str>) -> Value {
        Value::Str(Str::new(text.as_ref()))
    }

    /// A string the caller knows to be ASCII (its char count is its length).
    pub fn ascii_str(text: impl AsRef<str>) -> Value {
        let text = text.as_ref();
        debug_assert!(text.is_ascii(), "{text:?} is not ASCII");
        Value::Str(Str::with_char_count(text, text.len()))
    }

    /// The one-character string `c`, as indexing, iterating and `chr()` make it: shared for
    /// U+0000..U+00FF, as CPython shares them (so `s[0] is s[0]`; a literal `"a"` is a string
    /// of its own, in CPython too).
    #[inline]
    pub fn char(c: char) -> Value {
        if (c as u32) < 256 {
            Value::Str(LATIN1_CHARS.with(|table| table[c as usize].clone()))
        } else {
            Value::Str(Str::new(c.encode_utf8(&mut [0; 4])))
        }
    }

    pub fn list(items: Vec<Value>) -> Value {
        Value::List(Rc::new(RefCell::new(items)))
    }

    pub fn tuple(items: Vec<Value>) -> Value {
        Value::Tuple(Tuple::from_vec(items))
    }

    /// The canonical int value of `n`: `Int` when it fits in an i64, else `BigInt`.
    pub fn from_bigint(n: BigInt) -> Value {
        use num_traits::ToPrimitive;
        match n.to_i64() {
            Some(small) => Value::Int(small),
            None => Value::BigInt(Rc::new(n)),
        }
    }

    /// Python's `type(x).__name__`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Unbound => "unbound",
            Value::None => "NoneType",
            Value::Bool(_) => "bool",
            Value::Int(_) | Value::BigInt(_) => "int",
            Value::Float(_) => "float",
            Value::Str(_) => "str",
            Value::List(_) => "list",
            Value::Tuple(_) => "tuple",
            Value::Dict(_) => "dict",
            Value::Range(_) => "range",
            Value::Function(_) => "function",
            Value::Builtin(id) => id.type_name(),
            Value::Module(_) => "module",
            Value::Exception(e) => e.kind.name(),
            Value::Iterator(it) => match it.try_borrow() {
                Ok(it) => it.type_name(),
                Err(_) => "iterator",
            },
        }
    }
}

impl IterObj {
    pub fn type_name(&self) -> &'static str {
        match self {
            IterObj::Range { .. } => "range_iterator",
            IterObj::List { .. } => "list_iterator",
            IterObj::Tuple { .. } => "tuple_iterator",
            IterObj::Str { text, .. } if text.is_ascii() => "str_ascii_iterator",
            IterObj::Str { .. } => "str_iterator",
            IterObj::DictKeys { .. } => "dict_keyiterator",
            IterObj::Values { .. } => "list_reverseiterator",
            IterObj::Enumerate { .. } => "enumerate",
            IterObj::Zip { .. } => "zip",
            IterObj::Shared(inner) => match inner.try_borrow() {
                Ok(inner) => inner.type_name(),
                Err(_) => "iterator",
            },
            IterObj::DictView { kind: DictViewKind::Keys, .. } => "dict_keys",
            IterObj::DictView { kind: DictViewKind::Values, .. } => "dict_values",
            IterObj::DictView { kind: DictViewKind::Items, .. } => "dict_items",
            IterObj::DictIter { kind: DictViewKind::Keys, .. } => "dict_keyiterator",
            IterObj::DictIter { kind: DictViewKind::Values, .. } => "dict_valueiterator",
            IterObj::DictIter { kind: DictViewKind::Items, .. } => "dict_itemiterator",
            IterObj::BigRange(_) => "range",
            IterObj::BigRangeIter { .. } => "longrange_iterator",
            IterObj::Map { .. } => "map",
            IterObj::Filter { .. } => "filter",
            IterObj::Generator(_) => "generator",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_is_sixteen_bytes_with_tag_first() {
        assert_eq!(std::mem::size_of::<Value>(), 16);
        let v = Value::Int(0x1234_5678);
        let bytes: [u8; 16] = unsafe { std::mem::transmute(v) };
        assert_eq!(bytes[0], tag::INT);
        assert_eq!(i64::from_ne_bytes(bytes[8..16].try_into().unwrap()), 0x1234_5678);
    }

    #[test]
    fn a_list_carries_the_list_tag_in_its_first_byte() {
        let list = Value::list(vec![]);
        // SAFETY: `Value` is `repr(C, u8)`: byte 0 is the tag.
        assert_eq!(unsafe { *(&list as *const Value as *const u8) }, tag::LIST);
    }
}
