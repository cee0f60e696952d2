//! The builtins: one table ([`BuiltinId`]) of every builtin function, type, hidden type
//! (`NoneType`, `list_iterator`, ... — what `type(x)` returns) and `math` function, plus the
//! exception classes of `error.rs` as `BuiltinId::Exception(kind)`; and [`call_builtin`], which
//! runs them with CPython 3.11's argument checking and messages.
//!
//! Conversions (`int`, `float`, `round`) live in `builtins/convert.rs`, `math` in
//! `builtins/math.rs`, the builtins that consume an iterable or call a function back (`min`,
//! `max`, `sum`, `any`, `all`, `sorted`, `map`, `filter`) in `builtins/consume.rs`; those run
//! Toy code (a `key=`, a generator expression) through the [`Host`].
//! May touch: the host's output (print), lists passed in (never), iterator state (next, zip...).

mod consume;
mod convert;
mod math;

pub(crate) use consume::sort_with_kwargs;

pub use convert::{float_from_str, float_to_int, int_from_str, plain_decimal, round_value};
pub use math::{math_module, module_attr};

use std::rc::Rc;

use crate::interp::objects::error::{ExcKind, RtError, RtResult, type_error, value_error};
use crate::interp::objects::format::{format_spec, repr, str_of};
use crate::interp::objects::host::Host;
use crate::interp::objects::iter::{collect_with, enumerate, iter_value, make_iter, reversed};
use crate::interp::objects::methods::expect_args;
use crate::interp::objects::ops::{self, binary, truthy};
use crate::interp::objects::text;
use crate::interp::objects::value::{ExcObj, IterObj, Value};
use crate::parser::ast::BinOp;

/// What a builtin is: a global function, a global type, a type only reachable through
/// `type(x)`, or a `math` function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Func,
    Type,
    Hidden,
    Math,
}

macro_rules! builtin_table {
    ($( $id:ident = $name:literal : $kind:ident ),* $(,)?) => {
        /// A builtin function, type, or math function (`Exception(kind)` for exception classes).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum BuiltinId { $( $id, )* Exception(ExcKind) }

        const TABLE: &[(BuiltinId, &str, Kind)] = &[ $( (BuiltinId::$id, $name, Kind::$kind) ),* ];

        impl BuiltinId {
            /// The Python name (`len`, `int`, `sqrt`, `ValueError`).
            pub fn name(self) -> &'static str {
                match self { $( BuiltinId::$id => $name, )* BuiltinId::Exception(k) => k.name() }
            }

            fn kind(self) -> Kind {
                match self { $( BuiltinId::$id => Kind::$kind, )* BuiltinId::Exception(_) => Kind::Type }
            }
        }
    };
}

builtin_table! {
    Print = "print": Func, Len = "len": Func, Abs = "abs": Func, Min = "min": Func,
    Max = "max": Func, Sum = "sum": Func, Chr = "chr": Func, Ord = "ord": Func,
    IsInstance = "isinstance": Func, Sorted = "sorted": Func, Round = "round": Func,
    Repr = "repr": Func, Ascii = "ascii": Func, Hex = "hex": Func, Bin = "bin": Func,
    Oct = "oct": Func, Divmod = "divmod": Func, Pow = "pow": Func, Any = "any": Func,
    All = "all": Func, Iter = "iter": Func, Next = "next": Func, Format = "format": Func,
    Map = "map": Type, Filter = "filter": Type, Generator = "generator": Hidden,
    Int = "int": Type, Float = "float": Type, Str = "str": Type, Bool = "bool": Type,
    List = "list": Type, Tuple = "tuple": Type, Dict = "dict": Type, Range = "range": Type,
    Enumerate = "enumerate": Type, Zip = "zip": Type, Reversed = "reversed": Type,
    Type = "type": Type,
    NoneType = "NoneType": Hidden, FunctionType = "function": Hidden,
    BuiltinFunctionType = "builtin_function_or_method": Hidden, ModuleType = "module": Hidden,
    ListIterator = "list_iterator": Hidden, TupleIterator = "tuple_iterator": Hidden,
    RangeIterator = "range_iterator": Hidden, StrAsciiIterator = "str_ascii_iterator": Hidden,
    StrIterator = "str_iterator": Hidden, DictKeyIterator = "dict_keyiterator": Hidden,
    DictValueIterator = "dict_valueiterator": Hidden, DictItemIterator = "dict_itemiterator": Hidden,
    ListReverseIterator = "list_reverseiterator": Hidden, DictKeys = "dict_keys": Hidden,
    DictValues = "dict_values": Hidden, DictItems = "dict_items": Hidden,
    MathSqrt = "sqrt": Math, MathFloor = "floor": Math, MathCeil = "ceil": Math,
    MathTrunc = "trunc": Math, MathSin = "sin": Math, MathCos = "cos": Math, MathTan = "tan": Math,
    MathAsin = "asin": Math, MathAcos = "acos": Math, MathAtan = "atan": Math,
    MathAtan2 = "atan2": Math, MathSinh = "sinh": Math, MathCosh = "cosh": Math,
    MathTanh = "tanh": Math, MathExp = "exp": Math, MathLog = "log": Math, MathLog2 = "log2": Math,
    MathLog10 = "log10": Math, MathFabs = "fabs": Math, MathIsqrt = "isqrt": Math,
    MathGcd = "gcd": Math, MathLcm = "lcm": Math, MathPow = "pow": Math, MathIsnan = "isnan": Math,
    MathIsinf = "isinf": Math, MathIsfinite = "isfinite": Math, MathCopysign = "copysign": Math,
    MathDegrees = "degrees": Math, MathRadians = "radians": Math, MathFactorial = "factorial": Math,
    MathFmod = "fmod": Math, MathModf = "modf": Math, MathComb = "comb": Math,
}

impl BuiltinId {
    /// The builtin a global name refers to (functions, types, exception classes; not `math`'s).
    pub fn from_global_name(name: &str) -> Option<BuiltinId> {
        if let Some(kind) = ExcKind::from_name(name) {
            return Some(BuiltinId::Exception(kind));
        }
        TABLE.iter().find(|(_, n, k)| *n == name && matches!(k, Kind::Func | Kind::Type)).map(|(id, _, _)| *id)
    }

    /// The names of the builtins a program can use (functions, types, exception classes).
    pub fn global_names() -> impl Iterator<Item = &'static str> {
        let table = TABLE.iter().filter(|(_, _, k)| matches!(k, Kind::Func | Kind::Type)).map(|(_, n, _)| *n);
        table.chain(ExcKind::ALL.iter().map(|k| k.name()))
    }

    /// The `math` function called `name`.
    pub fn from_math_name(name: &str) -> Option<BuiltinId> {
        TABLE.iter().find(|(_, n, k)| *n == name && *k == Kind::Math).map(|(id, _, _)| *id)
    }

    /// `type(builtin).__name__`.
    pub fn type_name(self) -> &'static str {
        match self.kind() {
            Kind::Func | Kind::Math => "builtin_function_or_method",
            Kind::Type | Kind::Hidden => "type",
        }
    }

    /// Is this a class (usable with `isinstance`, printed `<class '...'>`)?
    pub fn is_type(self) -> bool {
        matches!(self.kind(), Kind::Type | Kind::Hidden)
    }

    /// `repr(builtin)`.
    pub fn repr(self) -> String {
        if self.is_type() {
            format!("<class '{}'>", self.name())
        } else {
            format!("<built-in function {}>", self.name())
        }
    }
}

/// `type(v)` as a value.
pub fn type_of(v: &Value) -> Value {
    if let Value::Exception(e) = v {
        return Value::Builtin(BuiltinId::Exception(e.kind));
    }
    let name = v.type_name();
    if name == "type" {
        return Value::Builtin(BuiltinId::Type);
    }
    if let Some(kind) = ExcKind::from_name(name) {
        return Value::Builtin(BuiltinId::Exception(kind));
    }
    TABLE
        .iter()
        .find(|(_, n, k)| *n == name && matches!(k, Kind::Type | Kind::Hidden))
        .map(|(id, _, _)| Value::Builtin(*id))
        .unwrap_or(Value::Builtin(BuiltinId::NoneType))
}

fn instance_of(v: &Value, class: BuiltinId) -> bool {
    match class {
        BuiltinId::Exception(k) => matches!(v, Value::Exception(e) if e.kind.is_subclass_of(k)),
        BuiltinId::Int => matches!(v, Value::Int(_) | Value::BigInt(_) | Value::Bool(_)),
        BuiltinId::Type => matches!(v, Value::Builtin(id) if id.is_type()),
        // The common classes by variant; the rest by name (iterators, functions, modules).
        BuiltinId::Float => matches!(v, Value::Float(_)),
        BuiltinId::Bool => matches!(v, Value::Bool(_)),
        BuiltinId::Str => matches!(v, Value::Str(_)),
        BuiltinId::List => matches!(v, Value::List(_)),
        BuiltinId::Tuple => matches!(v, Value::Tuple(_)),
        BuiltinId::Dict => matches!(v, Value::Dict(_)),
        _ => v.type_name() == class.name(),
    }
}

/// `isinstance(v, classinfo)` (a class or a tuple of classes, nested tuples allowed).
pub fn isinstance(v: &Value, classinfo: &Value) -> RtResult<bool> {
    match classinfo {
        Value::Builtin(id) if id.is_type() => Ok(instance_of(v, *id)),
        Value::Tuple(items) => {
            for item in items.iter() {
                if isinstance(v, item)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        _ => Err(type_error("isinstance() arg 2 must be a type, a tuple of types, or a union")),
    }
}

/// Does exception class `class` (or a tuple of classes) match an exception of kind `kind`?
/// What `except` uses.
pub fn exception_matches(kind: ExcKind, class: &Value) -> RtResult<bool> {
    match class {
        Value::Builtin(BuiltinId::Exception(k)) => Ok(kind.is_subclass_of(*k)),
        Value::Tuple(items) => {
            for item in items.iter() {
                if exception_matches(kind, item)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        _ => Err(type_error("catching classes that do not inherit from BaseException is not allowed")),
    }
}

pub(crate) type Kwargs<'a> = &'a [(Rc<str>, Value)];

fn display_name(id: BuiltinId) -> String {
    match id.kind() {
        Kind::Math => format!("math.{}", id.name()),
        _ => id.name().to_string(),
    }
}

pub(crate) fn no_kwargs(id: BuiltinId, kwargs: Kwargs<'_>) -> RtResult<()> {
    if kwargs.is_empty() {
        Ok(())
    } else {
        Err(type_error(format!("{}() takes no keyword arguments", display_name(id))))
    }
}

/// Picks the allowed keyword arguments (in `allowed` order); others are TypeErrors.
/// A fixed-size array: a call without keywords allocates nothing for them.
pub(crate) fn take_kwargs<const N: usize>(
    fname: &str,
    kwargs: Kwargs<'_>,
    allowed: &[&str; N],
) -> RtResult<[Option<Value>; N]> {
    let mut out = std::array::from_fn(|_| None);
    for (k, v) in kwargs {
        match allowed.iter().position(|a| **a == **k) {
            Some(i) => out[i] = Some(v.clone()),
            None => {
                return Err(type_error(format!("'{k}' is an invalid keyword argument for {fname}()")));
            }
        }
    }
    Ok(out)
}

pub(crate) fn exactly_one(id: BuiltinId, args: &[Value]) -> RtResult<&Value> {
    if args.len() != 1 {
        return Err(type_error(format!("{}() takes exactly one argument ({} given)", display_name(id), args.len())));
    }
    Ok(&args[0])
}

pub(crate) fn at_most(name: &str, args: &[Value], max: usize) -> RtResult<()> {
    if args.len() > max {
        return Err(type_error(format!(
            "{name}() takes at most {max} argument{} ({} given)",
            if max == 1 { "" } else { "s" },
            args.len()
        )));
    }
    Ok(())
}

pub(crate) fn not_supported(what: &str) -> RtError {
    type_error(format!("not supported in Toy: {what}"))
}

/// Calls a builtin. `host` receives `print`'s output (write errors are ignored) and runs the
/// Toy code a `key=` or a lazy iterator calls.
#[inline]
pub fn call_builtin(id: BuiltinId, args: &[Value], kwargs: Kwargs<'_>, host: &mut dyn Host) -> RtResult<Value> {
    if let [arg] = args
        && kwargs.is_empty()
        && let Some(result) = call_one_common(id, arg)
    {
        return Ok(result);
    }
    // `isinstance(x, int)` and the like: the type test alone.
    if let (BuiltinId::IsInstance, [value, Value::Builtin(class)], true) = (id, args, kwargs.is_empty())
        && class.is_type()
    {
        return Ok(Value::Bool(instance_of(value, *class)));
    }
    call_general(id, args, kwargs, host)
}

/// The commonest one-argument calls (`len`, `ord`, `chr`, `str`, `int`, `range` on the usual types),
/// answered without the general argument checking; `None` for every other case (including
/// all errors), which `call_general` then handles.
#[inline]
fn call_one_common(id: BuiltinId, arg: &Value) -> Option<Value> {
    use BuiltinId as B;
    match (id, arg) {
        (B::Len, Value::Str(s)) => Some(Value::Int(s.char_count() as i64)),
        (B::Len, Value::List(items)) => Some(Value::Int(items.borrow().len() as i64)),
        (B::Len, Value::Tuple(items)) => Some(Value::Int(items.len() as i64)),
        (B::Ord, Value::Str(s)) if s.char_count() == 1 => s.as_str().chars().next().map(|c| Value::Int(c as i64)),
        (B::Chr, Value::Int(n)) if (0..256).contains(n) => Some(Value::char(char::from(*n as u8))),
        (B::Str, Value::Int(n)) => Some(text::int_str(*n)),
        (B::Str, Value::Str(_)) => Some(arg.clone()),
        (B::Int, Value::Str(s)) => convert::plain_decimal(s.as_str()).map(Value::Int),
        (B::Int, Value::Int(_)) => Some(arg.clone()),
        (B::Range, Value::Int(n)) => {
            Some(Value::Range(Rc::new(crate::interp::objects::value::RangeObj { start: 0, stop: *n, step: 1 })))
        }
        _ => None,
    }
}

#[inline(never)]
fn call_general(id: BuiltinId, args: &[Value], kwargs: Kwargs<'_>, host: &mut dyn Host) -> RtResult<Value> {
    use BuiltinId as B;
    match id {
        B::Print => print(args, kwargs, host.out()),
        B::Exception(kind) => {
            if !kwargs.is_empty() {
                return Err(type_error(format!("{}() takes no keyword arguments", kind.name())));
            }
            Ok(Value::Exception(Rc::new(ExcObj { kind, args: args.to_vec() })))
        }
        _ if id.kind() == Kind::Math => math::call_math(id, args, kwargs),
        _ if id.kind() == Kind::Hidden => Err(type_error(format!("cannot create '{}' instances", id.name()))),
        B::Min | B::Max => consume::min_max(id, args, kwargs, host),
        B::Sum => consume::sum(args, kwargs, host),
        B::Sorted => consume::sorted(args, kwargs, host),
        B::Map => consume::map(args, kwargs),
        B::Filter => consume::filter(args, kwargs),
        B::Any | B::All => {
            no_kwargs(id, kwargs)?;
            consume::any_all(id == B::Any, exactly_one(id, args)?, host)
        }
        B::List => {
            no_kwargs(id, kwargs)?;
            expect_args("list", args, 0, 1)?;
            Ok(Value::list(match args.first() {
                None => Vec::new(),
                Some(v) => collect_with(v, host)?,
            }))
        }
        B::Tuple => {
            no_kwargs(id, kwargs)?;
            expect_args("tuple", args, 0, 1)?;
            match args.first() {
                None => Ok(Value::tuple(Vec::new())),
                Some(v @ Value::Tuple(_)) => Ok(v.clone()),
                Some(v) => Ok(Value::tuple(collect_with(v, host)?)),
            }
        }
        B::Next => {
            no_kwargs(id, kwargs)?;
            next(args, host)
        }
        B::Int => {
            let kw = take_kwargs("int", kwargs, &["base"])?;
            at_most("int", args, 2)?;
            let base = args.get(1).cloned().or_else(|| kw[0].clone());
            match (args.first(), base) {
                (None, None) => Ok(Value::Int(0)),
                (None, Some(_)) => Err(type_error("int() missing string argument")),
                (Some(v), base) => convert::int_call(v, base.as_ref()),
            }
        }
        B::Enumerate => {
            let kw = take_kwargs("enumerate", kwargs, &["iterable", "start"])?;
            at_most("enumerate", args, 2)?;
            let iterable = args.first().cloned().or_else(|| kw[0].clone());
            let Some(iterable) = iterable else {
                return Err(type_error("enumerate() missing required argument 'iterable'"));
            };
            let start = match args.get(1).cloned().or_else(|| kw[1].clone()) {
                None => 0,
                Some(Value::Int(i)) => i,
                Some(Value::Bool(b)) => b as i64,
                Some(Value::BigInt(_)) => return Err(not_supported("enumerate() with a start beyond 64 bits")),
                Some(v) => {
                    return Err(type_error(format!("'{}' object cannot be interpreted as an integer", v.type_name())));
                }
            };
            Ok(iter_value(enumerate(&iterable, start)?))
        }
        B::Zip => {
            if !kwargs.is_empty() {
                return Err(not_supported("keyword arguments to zip()"));
            }
            let inners = args.iter().map(make_iter).collect::<RtResult<Vec<_>>>()?;
            Ok(iter_value(IterObj::Zip { inners }))
        }
        B::Round => {
            let kw = take_kwargs("round", kwargs, &["number", "ndigits"])?;
            at_most("round", args, 2)?;
            let number = args.first().cloned().or_else(|| kw[0].clone());
            let Some(number) = number else {
                return Err(type_error("round() missing required argument 'number' (pos 1)"));
            };
            let ndigits = args.get(1).cloned().or_else(|| kw[1].clone());
            round_value(&number, ndigits.as_ref())
        }
        B::Pow => {
            if !kwargs.is_empty() {
                return Err(not_supported("keyword arguments to pow()"));
            }
            at_most("pow", args, 3)?;
            match args.len() {
                0 => Err(type_error("pow() missing required argument 'base' (pos 1)")),
                1 => Err(type_error("pow() missing required argument 'exp' (pos 2)")),
                2 => binary(BinOp::Pow, &args[0], &args[1]),
                _ if matches!(args[2], Value::None) => binary(BinOp::Pow, &args[0], &args[1]),
                _ => {
                    let ints = args.iter().map(ops::int_to_bigint).collect::<Option<Vec<_>>>();
                    match ints {
                        Some(v) => ops::int_pow_mod(&v[0], &v[1], &v[2]),
                        None => Err(type_error("pow() 3rd argument not allowed unless all arguments are integers")),
                    }
                }
            }
        }
        B::Str => {
            let kw = take_kwargs("str", kwargs, &["object"])?;
            at_most("str", args, 3)?;
            if args.len() > 1 {
                return Err(type_error(format!("str() argument 'encoding' must be str, not {}", args[1].type_name())));
            }
            match args.first().or(kw[0].as_ref()) {
                None => Ok(Value::str("")),
                Some(v @ Value::Str(_)) => Ok(v.clone()),
                Some(Value::Int(n)) => Ok(text::int_str(*n)),
                Some(v) => Ok(Value::str(str_of(v)?)),
            }
        }
        B::Dict => dict_call(args, kwargs, host),
        _ => {
            no_kwargs(id, kwargs)?;
            call_positional(id, args)
        }
    }
}

fn print(args: &[Value], kwargs: Kwargs<'_>, out: &mut dyn std::io::Write) -> RtResult<Value> {
    let kw = take_kwargs("print", kwargs, &["sep", "end", "file", "flush"])?;
    let text_arg = |v: &Option<Value>, name: &str, default: &str| -> RtResult<String> {
        match v {
            None | Some(Value::None) => Ok(default.to_string()),
            Some(Value::Str(s)) => Ok(s.to_string()),
            Some(other) => Err(type_error(format!("{name} must be None or a string, not {}", other.type_name()))),
        }
    };
    let sep = text_arg(&kw[0], "sep", " ")?;
    let end = text_arg(&kw[1], "end", "\n")?;
    if !matches!(kw[2], None | Some(Value::None)) {
        return Err(not_supported("print(file=...)"));
    }
    let mut text = String::new();
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            text.push_str(&sep);
        }
        text.push_str(&str_of(a)?);
    }
    text.push_str(&end);
    let written = out.write_all(text.as_bytes());
    written.map_err(|e| crate::interp::objects::output::output_error(&e))?;
    if kw[3].as_ref().is_some_and(truthy) {
        out.flush().map_err(|e| crate::interp::objects::output::output_error(&e))?;
    }
    Ok(Value::None)
}

fn dict_call(args: &[Value], kwargs: Kwargs<'_>, host: &mut dyn Host) -> RtResult<Value> {
    expect_args("dict", args, 0, 1)?;
    let result = Value::Dict(Rc::new(std::cell::RefCell::new(crate::interp::objects::value::DictMap::default())));
    if let Some(src) = args.first() {
        dict_update(&result, src, host)?;
    }
    for (k, v) in kwargs {
        ops::set_item(&result, &Value::str(&**k), v.clone())?;
    }
    Ok(result)
}

/// `d.update(src)` / `dict(src)`: a dict, or an iterable of key/value pairs.
pub(crate) fn dict_update(target: &Value, src: &Value, host: &mut dyn Host) -> RtResult<()> {
    if let Value::Dict(d) = src {
        let entries: Vec<(Value, Value)> = d.borrow().iter().map(|(k, v)| (k.0.clone(), v.clone())).collect();
        if let Value::Dict(target) = target {
            target.borrow_mut().reserve_for_merge(entries.len());
        }
        for (k, v) in entries {
            ops::set_item(target, &k, v)?;
        }
        return Ok(());
    }
    let mut it = make_iter(src)?;
    let mut n = 0usize;
    while let Some(item) = it.next_with(host)? {
        let pair = match &item {
            Value::List(_)
            | Value::Tuple(_)
            | Value::Str(_)
            | Value::Range(_)
            | Value::Dict(_)
            | Value::Iterator(_) => collect_with(&item, host)?,
            _ => {
                return Err(type_error(format!(
                    "cannot convert dictionary update sequence element #{n} to a sequence"
                )));
            }
        };
        if pair.len() != 2 {
            return Err(value_error(format!(
                "dictionary update sequence element #{n} has length {}; 2 is required",
                pair.len()
            )));
        }
        ops::set_item(target, &pair[0], pair[1].clone())?;
        n += 1;
    }
    Ok(())
}

fn radix_str(v: &Value, radix: u32, prefix: &str) -> RtResult<Value> {
    let Some(n) = ops::int_to_bigint(v) else {
        return Err(type_error(format!("'{}' object cannot be interpreted as an integer", v.type_name())));
    };
    let digits = n.magnitude().to_str_radix(radix);
    let sign = if n.sign() == num_bigint::Sign::Minus { "-" } else { "" };
    Ok(Value::str(format!("{sign}{prefix}{digits}")))
}

fn call_positional(id: BuiltinId, args: &[Value]) -> RtResult<Value> {
    use BuiltinId as B;
    match id {
        B::Len => Ok(Value::Int(ops::len(exactly_one(id, args)?)? as i64)),
        B::Abs => {
            let v = exactly_one(id, args)?;
            match v {
                Value::Int(i) => Ok(i
                    .checked_abs()
                    .map(Value::Int)
                    .unwrap_or_else(|| Value::from_bigint(-num_bigint::BigInt::from(*i)))),
                Value::Bool(b) => Ok(Value::Int(*b as i64)),
                Value::BigInt(b) => Ok(Value::from_bigint(num_traits::Signed::abs(b.as_ref()))),
                Value::Float(f) => Ok(Value::Float(f.abs())),
                _ => Err(type_error(format!("bad operand type for abs(): '{}'", v.type_name()))),
            }
        }
        B::Chr => {
            let v = exactly_one(id, args)?;
            let n = match v {
                Value::BigInt(_) => return Err(ops_overflow("Python int too large to convert to C int")),
                _ => ops::index_of(v)?,
            };
            let code = u32::try_from(n).ok().filter(|c| *c < 0x110000);
            match code {
                None => Err(value_error("chr() arg not in range(0x110000)")),
                Some(c) => match char::from_u32(c) {
                    Some(ch) => Ok(Value::char(ch)),
                    None => Err(value_error("not supported in Toy: lone surrogate code points in str")),
                },
            }
        }
        B::Ord => {
            let v = exactly_one(id, args)?;
            match v {
                Value::Str(s) if s.char_count() == 1 => {
                    Ok(Value::Int(s.as_str().chars().next().map_or(0, |c| c as i64)))
                }
                Value::Str(s) => Err(type_error(format!(
                    "ord() expected a character, but string of length {} found",
                    s.char_count()
                ))),
                _ => Err(type_error(format!("ord() expected string of length 1, but {} found", v.type_name()))),
            }
        }
        B::IsInstance => {
            expect_args("isinstance", args, 2, 2)?;
            Ok(Value::Bool(isinstance(&args[0], &args[1])?))
        }
        B::Repr => Ok(Value::str(repr(exactly_one(id, args)?)?)),
        B::Ascii => Ok(Value::str(crate::interp::objects::format::conversion(exactly_one(id, args)?, 'a')?)),
        B::Hex => radix_str(exactly_one(id, args)?, 16, "0x"),
        B::Bin => radix_str(exactly_one(id, args)?, 2, "0b"),
        B::Oct => radix_str(exactly_one(id, args)?, 8, "0o"),
        B::Divmod => {
            expect_args("divmod", args, 2, 2)?;
            ops::divmod(&args[0], &args[1])
        }
        B::Iter => {
            expect_args("iter", args, 1, 1)?;
            match &args[0] {
                Value::Iterator(it) if !it.borrow().is_view() => Ok(args[0].clone()),
                v => Ok(iter_value(make_iter(v)?)),
            }
        }
        B::Format => {
            expect_args("format", args, 1, 2)?;
            let spec = match args.get(1) {
                None => String::new(),
                Some(Value::Str(s)) => s.to_string(),
                Some(v) => {
                    return Err(type_error(format!("format() argument 2 must be str, not {}", v.type_name())));
                }
            };
            Ok(Value::str(format_spec(&args[0], &spec)?))
        }
        B::Float => {
            expect_args("float", args, 0, 1)?;
            match args.first() {
                None => Ok(Value::Float(0.0)),
                Some(v @ Value::Float(_)) => Ok(v.clone()),
                Some(Value::Str(s)) => Ok(Value::Float(float_from_str(s.as_str())?)),
                Some(v) => match ops::num_to_f64(v) {
                    Some(f) => Ok(Value::Float(f?)),
                    None => Err(type_error(format!(
                        "float() argument must be a string or a real number, not '{}'",
                        v.type_name()
                    ))),
                },
            }
        }
        B::Bool => {
            expect_args("bool", args, 0, 1)?;
            Ok(Value::Bool(args.first().is_some_and(truthy)))
        }
        B::Range => range_call(args),
        B::Reversed => {
            expect_args("reversed", args, 1, 1)?;
            Ok(iter_value(reversed(&args[0])?))
        }
        B::Type => {
            if args.len() != 1 {
                return Err(if args.len() == 3 {
                    not_supported("type() with 3 arguments")
                } else {
                    type_error("type() takes 1 or 3 arguments")
                });
            }
            Ok(type_of(&args[0]))
        }
        _ => Err(not_supported(&format!("calling {}()", id.name()))),
    }
}

/// `next(iterator[, default])`.
fn next(args: &[Value], host: &mut dyn Host) -> RtResult<Value> {
    expect_args("next", args, 1, 2)?;
    match &args[0] {
        Value::Iterator(it) if it.try_borrow().map_or(true, |it| !it.is_view()) => {
            let next = it
                .try_borrow_mut()
                .map_err(|_| RtError::new(ExcKind::RuntimeError, "iterator already executing"))?
                .next_with(host)?;
            match (next, args.get(1)) {
                (Some(v), _) => Ok(v),
                (None, Some(d)) => Ok(d.clone()),
                (None, None) => Err(RtError::with_args(ExcKind::StopIteration, vec![])),
            }
        }
        v => Err(type_error(format!("'{}' object is not an iterator", v.type_name()))),
    }
}

fn ops_overflow(msg: &str) -> RtError {
    RtError::new(ExcKind::OverflowError, msg)
}

fn range_call(args: &[Value]) -> RtResult<Value> {
    expect_args("range", args, 1, 3)?;
    let mut n: Vec<num_bigint::BigInt> = Vec::with_capacity(3);
    for a in args {
        match ops::int_to_bigint(a) {
            Some(b) => n.push(b),
            None => {
                return Err(type_error(format!("'{}' object cannot be interpreted as an integer", a.type_name())));
            }
        }
    }
    let one = num_bigint::BigInt::from(1);
    let (start, stop, step) = match n.len() {
        1 => (num_bigint::BigInt::from(0), n[0].clone(), one),
        2 => (n[0].clone(), n[1].clone(), one),
        _ => (n[0].clone(), n[1].clone(), n[2].clone()),
    };
    if num_traits::Zero::is_zero(&step) {
        return Err(value_error("range() arg 3 must not be zero"));
    }
    Ok(crate::interp::objects::iter::make_range(start, stop, step))
}

#[cfg(test)]
mod tests;
