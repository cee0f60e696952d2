//! Where native code finds things in memory: the frame slot layout of `Value` and the fields
//! of a list, measured at run time from real objects (Rust does not promise `Vec`'s field
//! order, so the JIT asks instead of assuming).
//!
//! May read any value's bytes; writes nothing.

use std::cell::RefCell;
use std::rc::Rc;

use crate::interp::objects::value::{ListObj, Value};

/// Bytes per frame slot / list element.
pub const VALUE_SIZE: i32 = 16;
/// Offset of the one-byte tag in a `Value`.
pub const TAG_OFFSET: i32 = 0;
/// Offset of the 8-byte payload (i64, f64 bits, bool, or object pointer) in a `Value`.
pub const PAYLOAD_OFFSET: i32 = 8;

/// Offsets from a list value's payload pointer to its elements' pointer and its length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ListLayout {
    pub data_pointer_offset: i32,
    pub length_offset: i32,
    /// The capacity's offset (an append with room left is inline: `lower_lists.rs`).
    pub capacity_offset: i32,
    /// The offset of the list's reference count (the `Rc`'s strong count): a list stored into
    /// a frame slot is counted inline (`lower_calls.rs`).
    pub refcount_offset: i32,
}

fn payload_word(value: &Value) -> usize {
    // SAFETY: `Value` is 16 bytes, `repr(C, u8)`, payload at offset 8 (pinned by a unit test).
    unsafe { *((value as *const Value as *const u8).add(PAYLOAD_OFFSET as usize) as *const usize) }
}

/// A value's tag byte and payload word, as machine code finds them in a slot (for a function:
/// its tag and its `Rc`'s pointer, which identify it).
pub fn value_words(value: &Value) -> (u8, u64) {
    value.words()
}

impl ListLayout {
    /// Measures the layout on a sample list with distinct length and capacity.
    pub fn measure() -> Option<ListLayout> {
        let mut items = Vec::with_capacity(7);
        items.extend([Value::Int(1), Value::Int(2), Value::Int(3)]);
        let list: Rc<ListObj> = Rc::new(RefCell::new(items));
        let value = Value::List(list.clone());
        let payload = payload_word(&value);
        let vec_address = list.as_ptr() as usize;
        // SAFETY: the Vec is alive (held by `list`) and not borrowed mutably.
        let (data, len) = unsafe { ((*list.as_ptr()).as_ptr() as usize, (*list.as_ptr()).len()) };
        let words = std::mem::size_of::<Vec<Value>>() / 8;
        let mut data_offset = None;
        let mut length_offset = None;
        let mut capacity_offset = None;
        // Three references (`list`, `value`, `third`), a count no other header word holds.
        let third = list.clone();
        let refcount_offset = (0..(vec_address - payload) / 8).find(|&i| {
            // SAFETY: reads the `Rc`'s header words, inside the allocation, before the Vec.
            let word = unsafe { *((payload + 8 * i) as *const usize) };
            word == Rc::strong_count(&third) && Rc::weak_count(&third) + 1 != word
        });
        drop(third);
        // SAFETY: as above.
        let capacity = unsafe { (*list.as_ptr()).capacity() };
        for i in 0..words {
            // SAFETY: reads the Vec header's words, inside the allocation.
            let word = unsafe { *((vec_address + 8 * i) as *const usize) };
            if word == data {
                data_offset = Some(vec_address + 8 * i - payload);
            } else if word == len {
                length_offset = Some(vec_address + 8 * i - payload);
            } else if word == capacity {
                capacity_offset = Some(vec_address + 8 * i - payload);
            }
        }
        Some(ListLayout {
            data_pointer_offset: data_offset? as i32,
            length_offset: length_offset? as i32,
            capacity_offset: capacity_offset? as i32,
            refcount_offset: 8 * refcount_offset? as i32,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measured_layout_finds_elements_and_length() {
        let layout = ListLayout::measure().expect("layout");
        let list = Value::list(vec![Value::Int(10), Value::Float(2.5), Value::Int(-4), Value::Int(7), Value::Int(8)]);
        let payload = payload_word(&list);
        unsafe {
            let len = *((payload + layout.length_offset as usize) as *const usize);
            assert_eq!(len, 5);
            let Value::List(items) = &list else { unreachable!() };
            let capacity = *((payload + layout.capacity_offset as usize) as *const usize);
            assert_eq!(capacity, (*items.as_ptr()).capacity());
            let data = *((payload + layout.data_pointer_offset as usize) as *const usize);
            let third = data + 2 * VALUE_SIZE as usize;
            assert_eq!(*(third as *const u8), crate::interp::objects::value::tag::INT);
            assert_eq!(*((third + PAYLOAD_OFFSET as usize) as *const i64), -4);
            let count = payload + layout.refcount_offset as usize;
            assert_eq!(*(count as *const usize), 1);
            let another = list.clone();
            assert_eq!(*(count as *const usize), 2);
            drop(another);
            assert_eq!(*(count as *const usize), 1);
        }
    }
}
