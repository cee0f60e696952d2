//! Method calls and attribute reads: one table ([`MethodId`]) of every method name Toy knows
//! (str, list, dict), [`call_method`] to run `obj.name(args)`, and [`get_attr`] for plain
//! attribute reads (`math.pi`, `e.args`).
//!
//! A method read without a call (`f = lst.append`) has no bound-method value in Toy: `get_attr`
//! raises `AttributeError: ... not supported` for it. String methods live in
//! `methods/strings.rs`. May touch: the list/dict the method is called on.

mod strings;

use std::rc::Rc;

use crate::interp::objects::builtins::{BuiltinId, call_builtin, dict_update, module_attr, sort_with_kwargs};
use crate::interp::objects::error::{ExcKind, RtError, RtResult, index_error, type_error, value_error};
use crate::interp::objects::format::repr;
use crate::interp::objects::host::Host;
use crate::interp::objects::iter::{collect_with, iter_value};
use crate::interp::objects::ops;
use crate::interp::objects::value::{DictViewKind, HashKey, IterObj, Value};

macro_rules! method_table {
    ($( $id:ident = $name:literal ),* $(,)?) => {
        /// A method or attribute name Toy knows (`Unknown` for every other name).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum MethodId { $( $id, )* Unknown }

        impl MethodId {
            /// The id of a method name (resolved once, at compile time, by the compiler).
            pub fn from_name(name: &str) -> MethodId {
                match name { $( $name => MethodId::$id, )* _ => MethodId::Unknown }
            }

            /// The Python name (`"?"` for `Unknown`).
            pub fn name(self) -> &'static str {
                match self { $( MethodId::$id => $name, )* MethodId::Unknown => "?" }
            }
        }
    };
}

method_table! {
    // str
    Join = "join", Split = "split", Rsplit = "rsplit", Strip = "strip", Lstrip = "lstrip",
    Rstrip = "rstrip", Upper = "upper", Lower = "lower", Startswith = "startswith",
    Endswith = "endswith", Find = "find", Rfind = "rfind", Index = "index", Rindex = "rindex",
    Count = "count", Replace = "replace", Isdigit = "isdigit", Isalpha = "isalpha",
    Isspace = "isspace", Isupper = "isupper", Islower = "islower", Isalnum = "isalnum",
    Isnumeric = "isnumeric", Isdecimal = "isdecimal", Title = "title", Capitalize = "capitalize",
    Swapcase = "swapcase", Zfill = "zfill", Center = "center", Ljust = "ljust", Rjust = "rjust",
    Format = "format", Partition = "partition", Rpartition = "rpartition",
    Splitlines = "splitlines", Removeprefix = "removeprefix", Removesuffix = "removesuffix",
    // list
    Append = "append", Pop = "pop", Insert = "insert", Extend = "extend", Remove = "remove",
    Reverse = "reverse", Sort = "sort", Copy = "copy", Clear = "clear",
    // dict
    Get = "get", Keys = "keys", Values = "values", Items = "items", Setdefault = "setdefault",
    Update = "update", Popitem = "popitem",
    // exceptions
    Args = "args",
}

type Kwargs<'a> = &'a [(Rc<str>, Value)];

pub(crate) fn no_attr(obj: &Value, name: &str) -> RtError {
    RtError::new(ExcKind::AttributeError, format!("'{}' object has no attribute '{}'", obj.type_name(), name))
}

pub(crate) fn no_kwargs(qualname: &str, kwargs: Kwargs<'_>) -> RtResult<()> {
    if kwargs.is_empty() { Ok(()) } else { Err(type_error(format!("{qualname}() takes no keyword arguments"))) }
}

/// [`no_kwargs`] for method `name` of type `type_name`, naming it (`list.append`) only when
/// it fails: every method call passes through here.
pub(crate) fn no_kwargs_for(type_name: &str, name: &str, kwargs: Kwargs<'_>) -> RtResult<()> {
    if kwargs.is_empty() { Ok(()) } else { no_kwargs(&format!("{type_name}.{name}"), kwargs) }
}

/// `list.append() takes exactly one argument (0 given)`.
pub(crate) fn exactly_one<'a>(qualname: &str, args: &'a [Value]) -> RtResult<&'a Value> {
    if args.len() != 1 {
        return Err(type_error(format!("{qualname}() takes exactly one argument ({} given)", args.len())));
    }
    Ok(&args[0])
}

/// [`exactly_one`] for method `name` of type `type_name`, formatting the name only on failure.
pub(crate) fn exactly_one_of<'a>(type_name: &str, name: &str, args: &'a [Value]) -> RtResult<&'a Value> {
    if args.len() == 1 { Ok(&args[0]) } else { exactly_one(&format!("{type_name}.{name}"), args) }
}

/// `list.reverse() takes no arguments (1 given)`.
pub(crate) fn no_args(qualname: &str, args: &[Value]) -> RtResult<()> {
    if !args.is_empty() {
        return Err(type_error(format!("{qualname}() takes no arguments ({} given)", args.len())));
    }
    Ok(())
}

/// `pop expected at most 1 argument, got 2`.
pub(crate) fn expect_args(name: &str, args: &[Value], min: usize, max: usize) -> RtResult<()> {
    let n = args.len();
    let plural = |k: usize| if k == 1 { "" } else { "s" };
    if min == max && n != min {
        return Err(type_error(format!("{name} expected {min} argument{}, got {n}", plural(min))));
    }
    if n < min {
        return Err(type_error(format!("{name} expected at least {min} argument{}, got {n}", plural(min))));
    }
    if n > max {
        return Err(type_error(format!("{name} expected at most {max} argument{}, got {n}", plural(max))));
    }
    Ok(())
}

/// An index-like argument (`'str' object cannot be interpreted as an integer`).
pub(crate) fn int_arg(v: &Value) -> RtResult<i64> {
    match v {
        Value::BigInt(b) => Ok(if num_traits::Signed::is_negative(b.as_ref()) { i64::MIN } else { i64::MAX }),
        _ => ops::index_of(v),
    }
}

/// A method call's name, arguments and host, as the list and dict methods receive them.
struct MethodCall<'a, 'h> {
    name: &'a str,
    args: &'a [Value],
    kwargs: Kwargs<'a>,
    host: &'h mut dyn Host,
}

/// `obj.name(*args, **kwargs)`; `method` is `MethodId::from_name(name)`.
/// `host` runs the Toy code a `key=` or a lazy iterator argument calls.
pub fn call_method(
    obj: &Value,
    method: MethodId,
    name: &str,
    args: &[Value],
    kwargs: Kwargs<'_>,
    host: &mut dyn Host,
) -> RtResult<Value> {
    match obj {
        Value::Str(s) => strings::call_str_method(obj, s.as_str(), method, name, args, kwargs, host),
        Value::List(_) => list_method(obj, method, MethodCall { name, args, kwargs, host }),
        Value::Dict(_) => dict_method(obj, method, MethodCall { name, args, kwargs, host }),
        Value::Module(m) => match BuiltinId::from_math_name(name) {
            Some(id) if m.name == "math" => call_builtin(id, args, kwargs, host),
            _ => {
                let attr = module_attr(m, name)?;
                Err(type_error(format!("'{}' object is not callable", attr.type_name())))
            }
        },
        _ => {
            let attr = get_attr(obj, name)?;
            Err(type_error(format!("'{}' object is not callable", attr.type_name())))
        }
    }
}

/// `obj.name` without a call.
pub fn get_attr(obj: &Value, name: &str) -> RtResult<Value> {
    match obj {
        Value::Module(m) => module_attr(m, name),
        Value::Exception(e) if name == "args" => Ok(Value::tuple(e.args.clone())),
        // `type(e).__name__`, `f.__name__`: the plain name (a nested function's too, as in
        // CPython; `__qualname__` is not in Toy).
        Value::Builtin(id) if name == "__name__" => Ok(Value::str(id.name())),
        Value::Function(f) if name == "__name__" => Ok(Value::str(&f.code.name)),
        _ => {
            let method = MethodId::from_name(name);
            if method != MethodId::Unknown && method != MethodId::Args && has_method(obj, method) {
                return Err(RtError::new(
                    ExcKind::AttributeError,
                    format!(
                        "not supported in Toy: reading the method '{}' of a '{}' object without calling it",
                        name,
                        obj.type_name()
                    ),
                ));
            }
            Err(no_attr(obj, name))
        }
    }
}

/// Bits of [`receivers`]: which of str, list and dict have a method.
pub const RECEIVER_STR: u8 = 1;
pub const RECEIVER_LIST: u8 = 2;
pub const RECEIVER_DICT: u8 = 4;

/// Which of str, list and dict have the method `m` (bits `RECEIVER_*`): the compiler stores
/// it in `CheckMethod`, so the common check is one bit test.
pub fn receivers(m: MethodId) -> u8 {
    let mut bits = 0;
    for (kind, bit) in [(Receiver::Str, RECEIVER_STR), (Receiver::List, RECEIVER_LIST), (Receiver::Dict, RECEIVER_DICT)]
    {
        if m != MethodId::Unknown && kind.has(m) {
            bits |= bit;
        }
    }
    bits
}

/// The AttributeError `obj.name(...)` raises at its lookup, before its arguments run (`None`:
/// the lookup succeeds; the call may still fail, after the arguments, as in CPython).
pub fn method_lookup_error(obj: &Value, method: MethodId, name: &str) -> Option<RtError> {
    match obj {
        Value::Str(_) | Value::List(_) | Value::Dict(_) => {
            (method == MethodId::Unknown || !has_method(obj, method)).then(|| no_attr(obj, name))
        }
        Value::Module(m) if m.name == "math" && BuiltinId::from_math_name(name).is_some() => None,
        // A module's other attributes, an exception's `args`: found, and not callable.
        _ => get_attr(obj, name).err(),
    }
}

fn has_method(obj: &Value, m: MethodId) -> bool {
    match obj {
        Value::Str(_) => Receiver::Str.has(m),
        Value::List(_) => Receiver::List.has(m),
        Value::Dict(_) => Receiver::Dict.has(m),
        _ => false,
    }
}

/// The types that have methods.
#[derive(Clone, Copy)]
enum Receiver {
    Str,
    List,
    Dict,
}

impl Receiver {
    fn has(self, m: MethodId) -> bool {
        use MethodId as M;
        match self {
            // Every method name the table lists before `append` is a str method; `index` and
            // `count` are list methods too.
            Receiver::Str => {
                matches!(m, M::Index | M::Count)
                    || !(Receiver::List.has(m) || Receiver::Dict.has(m) || matches!(m, M::Args))
            }
            Receiver::List => matches!(
                m,
                M::Append
                    | M::Pop
                    | M::Insert
                    | M::Extend
                    | M::Remove
                    | M::Reverse
                    | M::Sort
                    | M::Copy
                    | M::Clear
                    | M::Index
                    | M::Count
            ),
            Receiver::Dict => matches!(
                m,
                M::Get
                    | M::Keys
                    | M::Values
                    | M::Items
                    | M::Setdefault
                    | M::Update
                    | M::Popitem
                    | M::Pop
                    | M::Copy
                    | M::Clear
            ),
        }
    }
}

fn list_method(obj: &Value, method: MethodId, call: MethodCall<'_, '_>) -> RtResult<Value> {
    use MethodId as M;
    let MethodCall { name, args, kwargs, host } = call;
    let Value::List(list) = obj else { return Err(no_attr(obj, name)) };
    if method != M::Sort {
        no_kwargs_for("list", name, kwargs)?;
    }
    match method {
        M::Append => {
            let v = exactly_one("list.append", args)?.clone();
            let mut items = list.borrow_mut();
            if items.len() as u64 >= ops::MAX_SEQ_ELEMS {
                return Err(crate::interp::objects::error::memory_error());
            }
            crate::interp::objects::list_growth::append(&mut items, v);
            Ok(Value::None)
        }
        M::Extend => {
            let extra = collect_with(exactly_one("list.extend", args)?, host)?;
            let mut items = list.borrow_mut();
            ops::check_seq_size(items.len() as u64 + extra.len() as u64)?;
            items.extend(extra);
            Ok(Value::None)
        }
        M::Insert => {
            expect_args("insert", args, 2, 2)?;
            let i = int_arg(&args[0])?;
            let mut items = list.borrow_mut();
            let len = items.len() as i64;
            let pos = if i < 0 { (i.saturating_add(len)).max(0) } else { i.min(len) };
            items.insert(pos as usize, args[1].clone());
            Ok(Value::None)
        }
        M::Pop => {
            expect_args("pop", args, 0, 1)?;
            let i = match args.first() {
                Some(v) => int_arg(v)?,
                None => -1,
            };
            let mut items = list.borrow_mut();
            if items.is_empty() {
                return Err(index_error("pop from empty list"));
            }
            let len = items.len() as i64;
            let j = if i < 0 { i.saturating_add(len) } else { i };
            if !(0..len).contains(&j) {
                return Err(index_error("pop index out of range"));
            }
            Ok(items.remove(j as usize))
        }
        M::Remove => {
            let x = exactly_one("list.remove", args)?;
            let items = list.borrow().clone();
            for (i, v) in items.iter().enumerate() {
                if ops::same_or_equal(v, x)? {
                    let mut items = list.borrow_mut();
                    if i < items.len() {
                        let removed = items.remove(i);
                        drop(items);
                        drop(removed);
                    }
                    return Ok(Value::None);
                }
            }
            Err(value_error("list.remove(x): x not in list"))
        }
        M::Index => {
            expect_args("index", args, 1, 3)?;
            let items = list.borrow().clone();
            let (start, end) = search_bounds(items.len(), args.get(1), args.get(2))
                .map_err(|_| type_error("slice indices must be integers or have an __index__ method"))?;
            for (i, v) in items.iter().enumerate().take(end).skip(start) {
                if ops::same_or_equal(v, &args[0])? {
                    return Ok(Value::Int(i as i64));
                }
            }
            Err(value_error(format!("{} is not in list", repr(&args[0])?)))
        }
        M::Count => {
            let x = exactly_one("list.count", args)?;
            let items = list.borrow().clone();
            let mut n = 0;
            for v in &items {
                if ops::same_or_equal(v, x)? {
                    n += 1;
                }
            }
            Ok(Value::Int(n))
        }
        M::Reverse => {
            no_args("list.reverse", args)?;
            list.borrow_mut().reverse();
            Ok(Value::None)
        }
        M::Sort => {
            if !args.is_empty() {
                return Err(type_error("sort() takes no positional arguments"));
            }
            let mut kw = vec![None, None];
            for (k, v) in kwargs {
                match &**k {
                    "key" => kw[0] = Some(v.clone()),
                    "reverse" => kw[1] = Some(v.clone()),
                    _ => return Err(type_error(format!("'{k}' is an invalid keyword argument for sort()"))),
                }
            }
            // Like CPython, the list looks empty while it is being sorted.
            let mut items = std::mem::take(&mut *list.borrow_mut());
            let result = sort_with_kwargs(&mut items, &kw, host);
            let mut slot = list.borrow_mut();
            let modified = !slot.is_empty();
            *slot = items;
            drop(slot);
            result?;
            if modified {
                return Err(value_error("list modified during sort"));
            }
            Ok(Value::None)
        }
        M::Copy => {
            no_args("list.copy", args)?;
            Ok(Value::list(list.borrow().clone()))
        }
        M::Clear => {
            no_args("list.clear", args)?;
            let old = std::mem::take(&mut *list.borrow_mut());
            drop(old);
            Ok(Value::None)
        }
        _ => Err(no_attr(obj, name)),
    }
}

/// `start`/`end` arguments of `index`/`find`-style searches, clamped like slice bounds.
pub(crate) fn search_bounds(len: usize, start: Option<&Value>, end: Option<&Value>) -> RtResult<(usize, usize)> {
    let bound = |v: Option<&Value>, default: i64| -> RtResult<i64> {
        match v {
            None | Some(Value::None) => Ok(default),
            Some(Value::Int(i)) => Ok(*i),
            Some(Value::Bool(b)) => Ok(*b as i64),
            Some(Value::BigInt(b)) => Ok(if num_traits::Signed::is_negative(b.as_ref()) { i64::MIN } else { i64::MAX }),
            Some(_) => Err(type_error("slice indices must be integers or None or have an __index__ method")),
        }
    };
    let len_i = len as i64;
    let clamp = |i: i64| -> usize {
        let j = if i < 0 { i.saturating_add(len_i).max(0) } else { i.min(len_i) };
        j as usize
    };
    Ok((clamp(bound(start, 0)?), clamp(bound(end, len_i)?)))
}

fn key_error(k: &Value) -> RtError {
    RtError::with_args(ExcKind::KeyError, vec![k.clone()])
}

fn dict_method(obj: &Value, method: MethodId, call: MethodCall<'_, '_>) -> RtResult<Value> {
    use MethodId as M;
    let MethodCall { name, args, kwargs, host } = call;
    let Value::Dict(dict) = obj else { return Err(no_attr(obj, name)) };
    if method != M::Update {
        no_kwargs_for("dict", name, kwargs)?;
    }
    let view = |kind: DictViewKind| iter_value(IterObj::DictView { dict: dict.clone(), kind });
    match method {
        M::Get => {
            expect_args("get", args, 1, 2)?;
            let key = HashKey::borrowed(&args[0])?;
            let found = dict.borrow().get(&key).cloned();
            Ok(found.unwrap_or_else(|| args.get(1).cloned().unwrap_or(Value::None)))
        }
        M::Keys => no_args("dict.keys", args).map(|_| view(DictViewKind::Keys)),
        M::Values => no_args("dict.values", args).map(|_| view(DictViewKind::Values)),
        M::Items => no_args("dict.items", args).map(|_| view(DictViewKind::Items)),
        M::Pop => {
            expect_args("pop", args, 1, 2)?;
            let key = HashKey::borrowed(&args[0])?;
            let removed = dict.borrow_mut().remove(&key);
            match (removed, args.get(1)) {
                (Some(v), _) => Ok(v),
                (None, Some(d)) => Ok(d.clone()),
                (None, None) => Err(key_error(&args[0])),
            }
        }
        M::Setdefault => {
            expect_args("setdefault", args, 1, 2)?;
            let existing = dict.borrow().get(&HashKey::borrowed(&args[0])?).cloned();
            match existing {
                Some(v) => Ok(v),
                None => {
                    let d = args.get(1).cloned().unwrap_or(Value::None);
                    dict.borrow_mut().insert(HashKey(args[0].clone()), d.clone());
                    Ok(d)
                }
            }
        }
        M::Update => {
            expect_args("update", args, 0, 1)?;
            if let Some(src) = args.first() {
                dict_update(obj, src, host)?;
            }
            for (k, v) in kwargs {
                ops::set_item(obj, &Value::str(&**k), v.clone())?;
            }
            Ok(Value::None)
        }
        M::Popitem => {
            no_args("dict.popitem", args)?;
            let last = dict.borrow_mut().pop();
            match last {
                Some((k, v)) => Ok(Value::tuple(vec![k.0, v])),
                None => Err(RtError::with_args(ExcKind::KeyError, vec![Value::str("popitem(): dictionary is empty")])),
            }
        }
        M::Copy => {
            no_args("dict.copy", args)?;
            Ok(Value::Dict(Rc::new(std::cell::RefCell::new(dict.borrow().copy()))))
        }
        M::Clear => {
            no_args("dict.clear", args)?;
            let old = std::mem::take(&mut *dict.borrow_mut());
            drop(old);
            Ok(Value::None)
        }
        _ => Err(no_attr(obj, name)),
    }
}

#[cfg(test)]
mod tests;
