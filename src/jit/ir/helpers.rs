//! The runtime helpers a trace calls for operations on strings (and the other objects the
//! interpreter's own functions handle): one table, [`Helper`], naming each operation as the
//! dump prints it (`+`, `in`, `[:]`, `str`, `.split`) and saying which interpreter function
//! runs it ([`HelperKind`]). The `Helper1`..`Helper4` opcodes name a helper; the runtime
//! (`jit/runtime_strings.rs`) runs it.
//!
//! Every helper but `SetItem` is pure: it reads its arguments and builds a new value, never
//! changing one (`SetItem` changes its dict only once it cannot fail), so a trace may exit before it and let the interpreter run the instruction again (which is
//! how an exception a helper meets is raised: by the interpreter, exactly where it would be).
//!
//! Touches nothing: the table and lookups in it.

use crate::interp::objects::builtins::BuiltinId;
use crate::interp::objects::methods::MethodId;

/// Which interpreter function runs a helper.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HelperKind {
    /// An operator or a step of a loop (`+`, `==`, `in`, `[]`, `char_at`): see the runtime.
    Op,
    /// A builtin function called with the arguments (`str(x)`, `ord(c)`).
    Builtin(BuiltinId),
    /// A method of the first argument called with the others (`s.split(sep)`).
    Method(MethodId),
}

macro_rules! helper_table {
    ($( $(#[doc = $doc:literal])* $id:ident = $name:literal => $kind:ident $(($path:expr))? ),* $(,)?) => {
        /// A runtime helper (see the module doc).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Helper { $( $(#[doc = $doc])* $id, )* }

        impl Helper {
            /// Every helper, in table order (a helper's number is its position here).
            pub const ALL: &'static [Helper] = &[ $( Helper::$id ),* ];

            /// The name the dump prints.
            pub fn name(self) -> &'static str {
                match self { $( Helper::$id => $name, )* }
            }

            /// Which interpreter function runs it.
            pub fn kind(self) -> HelperKind {
                match self { $( Helper::$id => HelperKind::$kind $(($path))?, )* }
            }
        }
    };
}

helper_table! {
    /// `a + b` (strings, lists, tuples: concatenation).
    Add = "+" => Op,
    /// `a * b` (a string or list repeated).
    Mul = "*" => Op,
    /// `a % b` (printf-style formatting of a string).
    Mod = "%" => Op,
    /// `a < b` and the other comparisons (strings: by code point).
    Lt = "<" => Op,
    Le = "<=" => Op,
    Gt = ">" => Op,
    Ge = ">=" => Op,
    Eq = "==" => Op,
    Ne = "!=" => Op,
    /// `a is b`, `a is not b` (strings, lists, tuples, dicts, big ints, floats: the same
    /// object, `ops::is_same`; `recorder/identity.rs` decides the other cases inline).
    Is = "is" => Op,
    IsNot = "is_not" => Op,
    /// `a in b`.
    In = "in" => Op,
    /// `format(a, b)` after conversion `c` (0: none, else `ord('r')`, `ord('s')`, `ord('a')`):
    /// an f-string's `{a!c:b}`.
    Format = "format" => Op,
    /// `a + b + ...` of 1 to 4 strings: an f-string's pieces joined.
    Concat = "concat" => Op,
    /// `a not in b`.
    NotIn = "not_in" => Op,
    /// `a[b]`.
    GetItem = "[]" => Op,
    /// `a[b:c:d]`.
    Slice = "[:]" => Op,
    /// `a[b] = c` on a dict (the one helper that writes: it fails, for an unhashable key,
    /// before changing anything).
    SetItem = "[]=" => Op,
    /// `[a, b, ...]`: a new list of the arguments.
    BuildList = "list_of" => Op,
    /// `{a: b, c: d}`: a new dict of keys and values in turn (up to two pairs).
    BuildDict = "dict_of" => Op,
    /// The char of string `a` at byte offset `b` (a `for` loop over a string; fails at the end).
    CharAt = "char_at" => Op,
    Str = "str" => Builtin(BuiltinId::Str),
    Int = "int" => Builtin(BuiltinId::Int),
    Ord = "ord" => Builtin(BuiltinId::Ord),
    Chr = "chr" => Builtin(BuiltinId::Chr),
    /// `round(x)`, `round(x, n)` (of numbers: the interpreter's own rounding).
    Round = "round" => Builtin(BuiltinId::Round),
    Repr = "repr" => Builtin(BuiltinId::Repr),
    Len = "len" => Builtin(BuiltinId::Len),
    /// `list(x)`: a new list of a list's, tuple's or string's items, a dict's keys.
    List = "list" => Builtin(BuiltinId::List),
    Join = ".join" => Method(MethodId::Join),
    Split = ".split" => Method(MethodId::Split),
    Rsplit = ".rsplit" => Method(MethodId::Rsplit),
    Strip = ".strip" => Method(MethodId::Strip),
    Lstrip = ".lstrip" => Method(MethodId::Lstrip),
    Rstrip = ".rstrip" => Method(MethodId::Rstrip),
    Upper = ".upper" => Method(MethodId::Upper),
    Lower = ".lower" => Method(MethodId::Lower),
    Startswith = ".startswith" => Method(MethodId::Startswith),
    Endswith = ".endswith" => Method(MethodId::Endswith),
    Find = ".find" => Method(MethodId::Find),
    Rfind = ".rfind" => Method(MethodId::Rfind),
    Count = ".count" => Method(MethodId::Count),
    Replace = ".replace" => Method(MethodId::Replace),
    Isdigit = ".isdigit" => Method(MethodId::Isdigit),
    Isalpha = ".isalpha" => Method(MethodId::Isalpha),
    Isspace = ".isspace" => Method(MethodId::Isspace),
    Isupper = ".isupper" => Method(MethodId::Isupper),
    Islower = ".islower" => Method(MethodId::Islower),
    Isalnum = ".isalnum" => Method(MethodId::Isalnum),
    Title = ".title" => Method(MethodId::Title),
    Capitalize = ".capitalize" => Method(MethodId::Capitalize),
    Zfill = ".zfill" => Method(MethodId::Zfill),
    Center = ".center" => Method(MethodId::Center),
    Ljust = ".ljust" => Method(MethodId::Ljust),
    Rjust = ".rjust" => Method(MethodId::Rjust),
    Removeprefix = ".removeprefix" => Method(MethodId::Removeprefix),
    Removesuffix = ".removesuffix" => Method(MethodId::Removesuffix),
    Get = ".get" => Method(MethodId::Get),
    /// `a - b`, `a // b`, `a / b`, `a ** b`, `a << b`, `a >> b`, `a & b`, `a | b`, `a ^ b`
    /// (with `+`, `*` and `%` above: the arithmetic of big ints, and of small ints whose
    /// result needs a big int).
    Sub = "-" => Op,
    FloorDiv = "//" => Op,
    TrueDiv = "/" => Op,
    Pow = "**" => Op,
    LShift = "<<" => Op,
    RShift = ">>" => Op,
    BitAnd = "&" => Op,
    BitOr = "|" => Op,
    BitXor = "^" => Op,
    /// `-a` (of a big int).
    Neg = "neg" => Op,
    /// `a % c` given `b == a // c`, for a small int `c`: the remainder `a - b * c`, found from
    /// the operands' lowest 64 bits alone (the optimizer's `opt/divmod.rs` pairs a remainder
    /// with the quotient of the same division, so a big int is divided once).
    ModOfQuotient = "mod_of_quotient" => Op,
}

impl Helper {
    /// The helper printed as `name`.
    pub fn from_name(name: &str) -> Option<Helper> {
        Helper::ALL.iter().copied().find(|h| h.name() == name)
    }

    /// The helper's number (passed to the runtime).
    pub fn number(self) -> u32 {
        Helper::ALL.iter().position(|&h| h == self).unwrap_or(0) as u32
    }

    /// The helper numbered `number`.
    pub fn numbered(number: u32) -> Option<Helper> {
        Helper::ALL.get(number as usize).copied()
    }

    /// The helper running string method `method`, if traces call it.
    pub fn of_method(method: MethodId) -> Option<Helper> {
        Helper::ALL.iter().copied().find(|h| h.kind() == HelperKind::Method(method))
    }

    /// The helper running builtin `builtin`, if traces call it.
    pub fn of_builtin(builtin: BuiltinId) -> Option<Helper> {
        Helper::ALL.iter().copied().find(|h| h.kind() == HelperKind::Builtin(builtin))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers_round_trip() {
        for &helper in Helper::ALL {
            assert_eq!(Helper::from_name(helper.name()), Some(helper));
            assert_eq!(Helper::numbered(helper.number()), Some(helper));
        }
        assert_eq!(Helper::of_method(MethodId::Split), Some(Helper::Split));
        assert_eq!(Helper::of_method(MethodId::Append), None);
        assert_eq!(Helper::of_builtin(BuiltinId::Ord), Some(Helper::Ord));
    }
}
