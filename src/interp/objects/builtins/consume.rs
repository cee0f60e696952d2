//! The builtins that consume an iterable or call a function back: `min`, `max` (with `key=`
//! and `default=`), `sum`, `any`, `all`, `sorted` and `list.sort`'s `key=`/`reverse=`, and the
//! lazy `map` and `filter`. Items are pulled one at a time through the [`Host`], so a generator
//! expression's side effects interleave with the consumer's as in CPython (`any` stops at the
//! first true item; `max` calls its key on each item as it arrives).
//!
//! May touch: iterator state; the lists it is given to sort (`sort_with_kwargs`).

use crate::interp::objects::builtins::{BuiltinId, Kwargs, no_kwargs, take_kwargs};
use crate::interp::objects::error::{RtResult, type_error, value_error};
use crate::interp::objects::host::Host;
use crate::interp::objects::iter::{collect_with, iter_value, make_iter};
use crate::interp::objects::methods::expect_args;
use crate::interp::objects::ops::{self, binary, compare, truthy};
use crate::interp::objects::value::{IterObj, Value};
use crate::parser::ast::{BinOp, CmpOp};

/// The `key=` argument: `None` (absent or `key=None`) or the function to call.
fn key_function(key: &Option<Value>) -> Option<&Value> {
    key.as_ref().filter(|k| !matches!(k, Value::None))
}

/// `reverse=` as CPython reads it: an integer (bools are ints), else a TypeError.
fn reverse_flag(reverse: &Option<Value>) -> RtResult<bool> {
    match reverse {
        None => Ok(false),
        Some(v @ (Value::Bool(_) | Value::Int(_) | Value::BigInt(_))) => Ok(truthy(v)),
        Some(v) => Err(type_error(format!("'{}' object cannot be interpreted as an integer", v.type_name()))),
    }
}

/// `sorted(iterable, key=None, reverse=False)`.
pub(super) fn sorted(args: &[Value], kwargs: Kwargs<'_>, host: &mut dyn Host) -> RtResult<Value> {
    let kw = take_kwargs("sort", kwargs, &["key", "reverse"])?;
    expect_args("sorted", args, 1, 1)?;
    let mut items = collect_with(&args[0], host)?;
    sort_with_kwargs(&mut items, &kw, host)?;
    Ok(Value::list(items))
}

/// Applies `key=` and `reverse=` of `sorted` / `list.sort`: every key is computed first, in
/// order (as CPython does; a key that raises leaves `items` untouched), then the items are
/// sorted stably by their keys.
pub(crate) fn sort_with_kwargs(items: &mut Vec<Value>, kw: &[Option<Value>], host: &mut dyn Host) -> RtResult<()> {
    let reverse = reverse_flag(kw.get(1).unwrap_or(&None))?;
    let Some(key) = key_function(kw.first().unwrap_or(&None)) else {
        return ops::sort_values(items, reverse);
    };
    // Decorate with (key, tie-breaker, position): the tie-breaker keeps the sort stable
    // (and, reversed, keeps equal keys in their original order as CPython does).
    let mut decorated = Vec::with_capacity(items.len());
    for (i, v) in items.iter().enumerate() {
        let k = host.call(key, std::slice::from_ref(v))?;
        let tie = if reverse { -(i as i64) } else { i as i64 };
        decorated.push(Value::tuple(vec![k, Value::Int(tie), Value::Int(i as i64)]));
    }
    ops::sort_values(&mut decorated, false)?;
    if reverse {
        decorated.reverse();
    }
    let original = std::mem::take(items);
    for d in decorated {
        if let Value::Tuple(t) = d
            && let Value::Int(i) = t[2]
        {
            items.push(original[i as usize].clone());
        }
    }
    Ok(())
}

/// `min(...)` / `max(...)`: one iterable or several arguments, `key=`, `default=`. CPython's
/// order: each item's key is computed as the item arrives, then compared with the best so far
/// (`<` for min, `>` for max; the first of equal items wins).
pub(super) fn min_max(id: BuiltinId, args: &[Value], kwargs: Kwargs<'_>, host: &mut dyn Host) -> RtResult<Value> {
    let name = id.name();
    let kw = take_kwargs(name, kwargs, &["key", "default"])?;
    if args.is_empty() {
        return Err(type_error(format!("{name} expected at least 1 argument, got 0")));
    }
    let key = key_function(&kw[0]);
    let op = if id == BuiltinId::Max { CmpOp::Gt } else { CmpOp::Lt };
    if key.is_none() {
        // The common cases, without an iterator object: several arguments, or one list or tuple
        // (comparisons run no Toy code, so the list may stay borrowed).
        let best = match args {
            [Value::List(items)] => Some(best_of(&items.borrow(), op)?),
            [Value::Tuple(items)] => Some(best_of(items, op)?),
            [_] => None,
            _ if kw[1].is_none() => Some(best_of(args, op)?),
            _ => None,
        };
        match best {
            Some(Some(item)) => return Ok(item),
            Some(None) if args.len() == 1 => return empty_min_max(name, &kw[1]),
            _ => {}
        }
    }
    let mut items = if args.len() == 1 {
        make_iter(&args[0])?
    } else {
        if kw[1].is_some() {
            return Err(type_error(format!(
                "Cannot specify a default for {name}() with multiple positional arguments"
            )));
        }
        IterObj::Values { values: args.to_vec(), index: 0 }
    };
    let mut best: Option<(Value, Value)> = None;
    let mut count: u32 = 0;
    while let Some(item) = items.next_with(host)? {
        poll_now_and_then(&mut count, host)?;
        let item_key = match key {
            Some(f) => host.call(f, std::slice::from_ref(&item))?,
            None => item.clone(),
        };
        let better = match &best {
            None => true,
            Some((best_key, _)) => compare(op, &item_key, best_key)?,
        };
        if better {
            best = Some((item_key, item));
        }
    }
    match best {
        Some((_, item)) => Ok(item),
        None => empty_min_max(name, &kw[1]),
    }
}

/// The first of the best items of `items` (`op` is `<` for min, `>` for max).
fn best_of(items: &[Value], op: CmpOp) -> RtResult<Option<Value>> {
    let Some((first, rest)) = items.split_first() else { return Ok(None) };
    let mut best = first;
    for item in rest {
        if compare(op, item, best)? {
            best = item;
        }
    }
    Ok(Some(best.clone()))
}

/// `min`/`max` of nothing: the default, else CPython's ValueError.
fn empty_min_max(name: &str, default: &Option<Value>) -> RtResult<Value> {
    match default {
        Some(default) => Ok(default.clone()),
        None => Err(value_error(format!("{name}() arg is an empty sequence"))),
    }
}

/// Counts an item consumed, and every 65,536 asks the host whether Ctrl-C was pressed.
fn poll_now_and_then(count: &mut u32, host: &mut dyn Host) -> RtResult<()> {
    *count = count.wrapping_add(1);
    if *count % (1 << 16) == 0 {
        host.poll_interrupt()?;
    }
    Ok(())
}

/// `sum(iterable, start=0)`, adding left to right.
pub(super) fn sum(args: &[Value], kwargs: Kwargs<'_>, host: &mut dyn Host) -> RtResult<Value> {
    let kw = take_kwargs("sum", kwargs, &["start"])?;
    if args.is_empty() {
        return Err(type_error("sum() takes at least 1 positional argument (0 given)"));
    }
    super::at_most("sum", args, 2)?;
    let start = args.get(1).cloned().or_else(|| kw[0].clone()).unwrap_or(Value::Int(0));
    if matches!(start, Value::Str(_)) {
        return Err(type_error("sum() can't sum strings [use ''.join(seq) instead]"));
    }
    let mut it = make_iter(&args[0])?;
    let mut total = start;
    let mut count: u32 = 0;
    while let Some(v) = it.next_with(host)? {
        poll_now_and_then(&mut count, host)?;
        total = match (&total, &v) {
            (Value::Int(a), Value::Int(b)) if a.checked_add(*b).is_some() => Value::Int(a + b),
            (Value::Float(a), Value::Float(b)) => Value::Float(a + b),
            _ => binary(BinOp::Add, &total, &v)?,
        };
    }
    Ok(total)
}

/// `any(iterable)` (`want_true`) / `all(iterable)`: stops at the first deciding item.
pub(super) fn any_all(want_true: bool, iterable: &Value, host: &mut dyn Host) -> RtResult<Value> {
    let mut it = make_iter(iterable)?;
    let mut count: u32 = 0;
    while let Some(x) = it.next_with(host)? {
        poll_now_and_then(&mut count, host)?;
        if truthy(&x) == want_true {
            return Ok(Value::Bool(want_true));
        }
    }
    Ok(Value::Bool(!want_true))
}

/// `map(func, *iterables)`: the iterators are made now (a non-iterable fails here), `func` is
/// called only as items are asked for.
pub(super) fn map(args: &[Value], kwargs: Kwargs<'_>) -> RtResult<Value> {
    no_kwargs(BuiltinId::Map, kwargs)?;
    if args.len() < 2 {
        return Err(type_error("map() must have at least two arguments."));
    }
    let inners = args[1..].iter().map(make_iter).collect::<RtResult<Vec<_>>>()?;
    Ok(iter_value(IterObj::Map { func: args[0].clone(), inners }))
}

/// `filter(func, iterable)`; `func` None keeps the truthy items.
pub(super) fn filter(args: &[Value], kwargs: Kwargs<'_>) -> RtResult<Value> {
    no_kwargs(BuiltinId::Filter, kwargs)?;
    if args.len() != 2 {
        return Err(type_error(format!("filter expected 2 arguments, got {}", args.len())));
    }
    let inner = Box::new(make_iter(&args[1])?);
    Ok(iter_value(IterObj::Filter { func: args[0].clone(), inner }))
}
