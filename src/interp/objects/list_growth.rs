//! How a list grows when `append` adds to it: the one rule the interpreter's `append` and the
//! JIT's (`jit/runtime.rs`, when the inline append finds the list full) share, so a program
//! holds the same lists with and without the JIT.
//!
//! An empty list's first append makes room for 8 items, not the 4 that `Vec`'s doubling
//! starts from: a list built by appending usually grows past 4 (`out = []` then a loop), and
//! each growth is an allocation, a copy and a free (bench/strings.toy's `caesar` grew its list
//! four times per call; now three). A list of one to four appended items holds 64 bytes more.
//! Past the first growth, `Vec` doubles. Touches only the list it is given.

use crate::interp::objects::value::Value;

/// The room an empty list gets at its first append.
pub const FIRST_ROOM: usize = 8;

/// Appends `value` to `items`.
#[inline]
pub fn append(items: &mut Vec<Value>, value: Value) {
    if items.capacity() == 0 {
        items.reserve_exact(FIRST_ROOM);
    }
    items.push(value);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_append_makes_room_for_eight_then_the_list_doubles() {
        let mut items = Vec::new();
        append(&mut items, Value::Int(0));
        assert_eq!((items.len(), items.capacity()), (1, FIRST_ROOM));
        for i in 1..=8 {
            append(&mut items, Value::Int(i));
        }
        assert_eq!((items.len(), items.capacity()), (9, 2 * FIRST_ROOM));
        let mut presized = Vec::with_capacity(2);
        append(&mut presized, Value::None);
        assert_eq!(presized.capacity(), 2, "a list with room keeps it");
    }
}
