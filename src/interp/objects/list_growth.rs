//! How a list grows when `append` adds to it: the one rule the interpreter's `append` and the
//! JIT's (`jit/runtime.rs`, when the inline append finds the list full) share, so a program
//! holds the same lists with and without the JIT.
//!
//! An empty list's first append makes room for 8 items, not the 4 that `Vec`'s doubling
//! starts from: a list built by appending usually grows past 4 (`out = []` then a loop), and
//! each growth is an allocation, a copy and a free (bench/strings.toy's `caesar` grew its list
//! four times per call; then three). A list of one to four appended items holds 64 bytes more.
//! Past the first growth, `Vec` doubles.
//!
//! The first append takes the spare buffer, if there is one, instead of allocating: the
//! emptied buffer (room for 8 to [`SPARE_MAX`] items) of the last list the runtime freed
//! (`release.rs`, [`recycle`]). A loop that builds a list by appending and drops it each
//! iteration (`caesar`'s `out`) then neither allocates nor grows it after the first: the
//! buffer of the last one comes back, already big enough. One buffer of at most 512 bytes
//! is kept. Touches only the list it is given and the spare buffer.

use std::cell::Cell;
use std::mem::ManuallyDrop;

use crate::interp::objects::value::Value;

/// The room an empty list gets at its first append.
pub const FIRST_ROOM: usize = 8;

/// The most items a spare buffer has room for: a bigger one is freed (a list from the spare
/// buffer that stays short holds at most this much room more than it would).
pub const SPARE_MAX: usize = 32;

/// The spare buffer, as raw parts: empty, with room for `FIRST_ROOM..=SPARE_MAX` items, or
/// none (room 0). Raw parts, not a `Vec`, so that comparing rooms reads one word, and without
/// drop glue, so that reaching it needs no registration check (a thread's last spare buffer is
/// not freed).
struct Spare {
    buffer: Cell<*mut Value>,
    room: Cell<usize>,
}

thread_local! {
    static SPARE: Spare = const { Spare { buffer: Cell::new(std::ptr::null_mut()), room: Cell::new(0) } };
}

impl Spare {
    /// Takes the spare buffer, if any, as an empty `Vec`.
    fn take(&self) -> Option<Vec<Value>> {
        let room = self.room.replace(0);
        // SAFETY: `buffer` and `room` are the pointer and capacity of an empty `Vec<Value>`
        // given up by `recycle` (room 0: none), owned by nobody since.
        (room != 0).then(|| unsafe { Vec::from_raw_parts(self.buffer.get(), 0, room) })
    }

    /// Makes `items`' buffer (empty) the spare one.
    fn keep(&self, items: &mut Vec<Value>) {
        let mut buffer = ManuallyDrop::new(std::mem::take(items));
        self.buffer.set(buffer.as_mut_ptr());
        self.room.set(buffer.capacity());
    }
}

/// Appends `value` to `items`.
#[inline]
pub fn append(items: &mut Vec<Value>, value: Value) {
    if items.capacity() == 0 {
        first_room(items);
    }
    items.push(value);
}

/// Pushes `value` onto `items` as two word stores ([`Value::write_by_words`]): `Vec::push` of a
/// `Value` made just before compiles to a 16-byte read of its two halves, which waits for them.
#[inline(always)]
pub fn push_by_words(items: &mut Vec<Value>, value: Value) {
    items.reserve(1);
    // SAFETY: `reserve` made room for one more, initialised here.
    unsafe {
        value.write_by_words(items.as_mut_ptr().add(items.len()));
        items.set_len(items.len() + 1);
    }
}

/// Gives `items` (no room yet) the spare buffer, or room for [`FIRST_ROOM`] items.
#[inline(never)]
fn first_room(items: &mut Vec<Value>) {
    match SPARE.with(Spare::take) {
        Some(spare) => *items = spare,
        None => items.reserve_exact(FIRST_ROOM),
    }
}

/// Keeps the buffer of `items` (empty: the list is about to be freed) as the spare buffer if
/// it has more room than the spare one, up to [`SPARE_MAX`] items; `items` then has none.
#[inline]
pub fn recycle(items: &mut Vec<Value>) {
    let room = items.capacity();
    if !(FIRST_ROOM..=SPARE_MAX).contains(&room) || !items.is_empty() {
        return;
    }
    SPARE.with(|spare| {
        if spare.room.get() < room {
            drop(spare.take());
            spare.keep(items);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Empties the spare buffer (tests share their thread with nothing else, but may run in
    /// any order on it).
    fn no_spare() {
        drop(SPARE.with(Spare::take));
    }

    #[test]
    fn the_first_append_makes_room_for_eight_then_the_list_doubles() {
        no_spare();
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

    #[test]
    fn a_freed_lists_buffer_is_the_next_lists_first_room() {
        no_spare();
        let mut freed: Vec<Value> = Vec::with_capacity(16);
        let address = freed.as_ptr();
        recycle(&mut freed);
        assert_eq!(freed.capacity(), 0, "the buffer moved to the spare");
        // A smaller one is not kept over it; a too big one, or one with items, never.
        let mut small: Vec<Value> = Vec::with_capacity(FIRST_ROOM);
        recycle(&mut small);
        assert_eq!(small.capacity(), FIRST_ROOM);
        let mut big: Vec<Value> = Vec::with_capacity(SPARE_MAX + 1);
        recycle(&mut big);
        assert_eq!(big.capacity(), SPARE_MAX + 1);
        let mut full = vec![Value::Int(1); FIRST_ROOM];
        recycle(&mut full);
        assert_eq!(full.len(), FIRST_ROOM);
        let mut items = Vec::new();
        append(&mut items, Value::Int(7));
        assert_eq!((items.len(), items.capacity(), items.as_ptr()), (1, 16, address));
        let mut next = Vec::new();
        append(&mut next, Value::Int(8));
        assert_eq!(next.capacity(), FIRST_ROOM, "the spare buffer was taken");
    }
}
