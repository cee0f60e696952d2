//! Dropping values where machine code's memory model drops many of them (the runtime's
//! garbage, the frame slots an exit or a `ClearSlot` overwrites): the common kinds are tested
//! with two compares instead of the enum's drop glue, whose jump table on the tag is an
//! indirect branch that mispredicts when a loop's garbage mixes strings, lists and numbers.
//!
//! Touches nothing but the values it is given: what is dropped, and when, is what `drop`
//! would do; only the order of the tests differs.

use std::rc::Rc;

use crate::interp::objects::value::{ListObj, Value, tag};

/// The tag byte of `value` (`Value` is `repr(C, u8)`: the tag is its first byte).
#[inline(always)]
fn tag_of(value: &Value) -> u8 {
    // SAFETY: a `repr(C, u8)` enum starts with its `u8` discriminant.
    unsafe { *(value as *const Value as *const u8) }
}

/// Drops `value` as `drop` would: numbers, bools and `None` have nothing to release; a string
/// or a list loses a reference (freed when it was the last); the rest go through the drop glue.
#[inline(always)]
pub fn release(value: Value) {
    let kind = tag_of(&value);
    if kind <= tag::FLOAT {
        // Unbound, None, bool, int, float: no drop glue.
        std::mem::forget(value);
    } else if kind == tag::STR {
        if let Value::Str(text) = value {
            drop(text);
        }
    } else if kind == tag::LIST {
        if let Value::List(list) = value {
            release_list(list);
        }
    } else {
        drop(value);
    }
}

/// Drops a reference to `list`; when it is the last, its items go first through [`release`]
/// (a loop's garbage holds lists of strings: `split()`'s, a comprehension's), its buffer to
/// the spare one if it fits, then the block.
#[inline]
fn release_list(mut list: Rc<ListObj>) {
    // The last reference: the list is emptied in its block, and its buffer recycled or freed.
    // Nothing else can reach it: emptying it first is not observable. (Taking the list out of
    // its block, `Rc::try_unwrap`, copied it through the stack, and reading the copy back
    // stalled: 17% of this function's time on bench/strings.toy.)
    if let Some(items) = Rc::get_mut(&mut list) {
        let items = items.get_mut();
        release_from(items, 0);
        // Its buffer may be the next list's (`list_growth.rs`).
        crate::interp::objects::list_growth::recycle(items);
    }
    drop(list);
}

/// Drops the values of `values` from index `keep` on, first to last (as `Vec::truncate`),
/// keeping the buffer's capacity.
#[inline]
pub fn release_from(values: &mut Vec<Value>, keep: usize) {
    let len = values.len();
    if keep >= len {
        return;
    }
    // SAFETY: the values at `keep..len` are initialised; the length is cut first, so each is
    // read out (and dropped) exactly once, and a drop that panicked would leak the rest
    // rather than drop one twice.
    unsafe {
        values.set_len(keep);
        let tail = values.as_ptr().add(keep);
        for i in 0..len - keep {
            release(std::ptr::read(tail.add(i)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interp::objects::str_obj::Str;
    use std::cell::RefCell;

    #[test]
    fn release_drops_one_reference_of_each_kind() {
        let text = Str::new("shared");
        let list = Rc::new(RefCell::new(vec![Value::Int(1)]));
        let tuple = Value::Tuple(crate::interp::objects::tuple::Tuple::from_vec(vec![Value::Str(text.clone())]));
        release(Value::Str(text.clone()));
        assert_eq!(text.refcount(), 2, "the tuple's and ours");
        release(Value::List(list.clone()));
        assert_eq!(Rc::strong_count(&list), 1);
        // The last reference to a list releases its items too.
        let inner = Rc::new(RefCell::new(vec![Value::Str(text.clone()), Value::Int(2)]));
        release(Value::List(Rc::new(RefCell::new(vec![Value::List(inner.clone()), Value::Str(text.clone())]))));
        assert_eq!(Rc::strong_count(&inner), 1);
        assert_eq!(inner.borrow().len(), 2, "still held: untouched");
        assert_eq!(text.refcount(), 3, "ours, the tuple's, the inner list's");
        drop(inner);
        release(tuple);
        assert_eq!(text.refcount(), 1);
        release(Value::Int(7));
        release(Value::None);
    }

    #[test]
    fn release_from_drops_the_tail_and_keeps_the_rest() {
        let text = Str::new("kept");
        let mut values = vec![Value::Str(text.clone()), Value::Int(3), Value::Str(text.clone()), Value::Float(1.5)];
        let capacity = values.capacity();
        release_from(&mut values, 1);
        assert_eq!(values.len(), 1);
        assert_eq!(values.capacity(), capacity);
        assert_eq!(text.refcount(), 2);
        release_from(&mut values, 5);
        assert_eq!(values.len(), 1);
        release_from(&mut values, 0);
        assert!(values.is_empty());
        assert_eq!(text.refcount(), 1);
    }
}
