//! The tuple object: one heap block holding a header (refcount, length) and the items inline,
//! reached through a thin pointer, so `Value::Tuple` stays 16 bytes and making a tuple is one
//! allocation (an `Rc<Vec<Value>>` took two: the `Rc` box and the `Vec` buffer).
//!
//! Layout of the block (documented for native code in docs/ARCHITECTURE.md, "Values"):
//!
//! | offset | field      | type                 |
//! |--------|------------|----------------------|
//! | 0      | `refcount` | `usize`              |
//! | 8      | `len`      | `usize`              |
//! | 16     | items      | `[Value; len]`       |
//!
//! The block is allocated with [`Tuple::allocate`] (the one allocation function) and freed by the
//! last [`Drop`]; the refcount is a plain (non-atomic) count, as `Rc`'s is: values never cross
//! threads. Blocks of small tuples are recycled through per-length free lists (CPython keeps
//! the same): a program that builds and drops pairs in a loop (a particle step, a tree node
//! copied on a path) reuses the same few blocks instead of calling the allocator twice per
//! tuple. Touches nothing but its own block, the items' refcounts and the free lists.

use std::alloc::{self, Layout};
use std::cell::{Cell, UnsafeCell};
use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;
use std::ptr::NonNull;

use crate::interp::objects::value::Value;

/// The fixed part of a tuple's block; the items follow it at [`Tuple::ITEMS_OFFSET`].
#[repr(C)]
pub struct TupleHeader {
    refcount: Cell<usize>,
    len: usize,
}

/// A reference-counted, immutable tuple: a thin pointer to a [`TupleHeader`] and its items.
/// Cloning increments the count; the last drop drops the items and frees the block.
pub struct Tuple {
    header: NonNull<TupleHeader>,
    /// Owns a `TupleHeader` (and `Value`s) for drop-check; `Cell` makes it `!Send`/`!Sync`.
    _owns: PhantomData<TupleHeader>,
}

impl Tuple {
    /// Byte offset of the reference count in the block.
    pub const REFCOUNT_OFFSET: usize = std::mem::offset_of!(TupleHeader, refcount);
    /// Byte offset of the item count in the block.
    pub const LEN_OFFSET: usize = std::mem::offset_of!(TupleHeader, len);
    /// Byte offset of the first item (items are 16-byte `Value`s, one after the other).
    pub const ITEMS_OFFSET: usize = std::mem::size_of::<TupleHeader>();

    /// The layout of a block with `len` items.
    fn layout(len: usize) -> Layout {
        let items = Layout::array::<Value>(len).expect("tuple size overflows");
        let (layout, offset) = Layout::new::<TupleHeader>().extend(items).expect("tuple size overflows");
        debug_assert_eq!(offset, Self::ITEMS_OFFSET);
        layout.pad_to_align()
    }

    /// Allocates a block for `len` items: refcount 1, length `len`, items NOT initialised.
    ///
    /// # Safety
    /// The caller must write all `len` items (see [`Tuple::items_ptr`]) before the tuple is read,
    /// cloned or dropped.
    #[inline]
    pub unsafe fn allocate(len: usize) -> Tuple {
        let header = match free_lists::pop(len) {
            Some(recycled) => recycled,
            None => {
                free_lists::will_keep_blocks();
                let layout = Self::layout(len);
                // SAFETY: the layout is never zero-sized (the header alone is 16 bytes).
                let raw = unsafe { alloc::alloc(layout) } as *mut TupleHeader;
                let Some(header) = NonNull::new(raw) else { alloc::handle_alloc_error(layout) };
                header
            }
        };
        // SAFETY: `header` points to fresh memory big and aligned enough for a `TupleHeader`.
        unsafe { header.as_ptr().write(TupleHeader { refcount: Cell::new(1), len }) };
        Tuple { header, _owns: PhantomData }
    }

    /// A pointer to the first item slot (for initialising a block from [`Tuple::allocate`]).
    pub fn items_ptr(&self) -> *mut Value {
        // SAFETY: the items start `ITEMS_OFFSET` bytes into the block, inside its allocation.
        unsafe { (self.header.as_ptr() as *mut u8).add(Self::ITEMS_OFFSET) as *mut Value }
    }

    /// A tuple of `len` items, item `i` being `item(i)`.
    #[inline(always)]
    pub fn from_fn(len: usize, mut item: impl FnMut(usize) -> Value) -> Tuple {
        // If `item` unwinds, the block (with some slots unwritten) must not be dropped as a
        // tuple: it is leaked instead, which is safe.
        let tuple = std::mem::ManuallyDrop::new(
            // SAFETY: all `len` slots are written below before the tuple is released.
            unsafe { Self::allocate(len) },
        );
        let slots = tuple.items_ptr();
        for i in 0..len {
            // SAFETY: `i < len`: inside the block, each slot written once.
            unsafe { slots.add(i).write(item(i)) };
        }
        std::mem::ManuallyDrop::into_inner(tuple)
    }

    /// A tuple of clones of `items`.
    pub fn from_slice(items: &[Value]) -> Tuple {
        Self::from_fn(items.len(), |i| items[i].clone())
    }

    /// A tuple that takes over the values of `items` (moved, not cloned).
    pub fn from_vec(mut items: Vec<Value>) -> Tuple {
        // SAFETY: the `len` values are moved bitwise into the new block, then the vector forgets
        // them (`set_len(0)`), so each value has exactly one owner.
        unsafe {
            let tuple = Self::allocate(items.len());
            std::ptr::copy_nonoverlapping(items.as_ptr(), tuple.items_ptr(), items.len());
            items.set_len(0);
            tuple
        }
    }

    /// The items.
    #[inline(always)]
    pub fn as_slice(&self) -> &[Value] {
        // SAFETY: a live tuple's block holds `len` initialised items after the header.
        unsafe { std::slice::from_raw_parts(self.items_ptr(), self.header.as_ref().len) }
    }

    /// Are `a` and `b` the same tuple object (Python's `is`)?
    pub fn ptr_eq(a: &Tuple, b: &Tuple) -> bool {
        a.header == b.header
    }

    /// The block's address: identity for cycle checks while printing.
    pub fn addr(&self) -> usize {
        self.header.as_ptr() as usize
    }

    /// How many `Tuple` handles share this block.
    pub fn refcount(&self) -> usize {
        // SAFETY: the header lives as long as any handle.
        unsafe { self.header.as_ref() }.refcount.get()
    }
}

impl Deref for Tuple {
    type Target = [Value];
    #[inline(always)]
    fn deref(&self) -> &[Value] {
        self.as_slice()
    }
}

impl Clone for Tuple {
    #[inline(always)]
    fn clone(&self) -> Tuple {
        // SAFETY: the header lives as long as any handle, and this is one.
        let count = &unsafe { self.header.as_ref() }.refcount;
        let next = count.get().wrapping_add(1);
        if next == 0 {
            // As `Rc` does: a wrapped count would free a live block.
            std::process::abort();
        }
        count.set(next);
        Tuple { header: self.header, _owns: PhantomData }
    }
}

impl Drop for Tuple {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: the header lives as long as any handle, and this is one.
        let count = &unsafe { self.header.as_ref() }.refcount;
        let left = count.get() - 1;
        count.set(left);
        if left == 0 {
            // SAFETY: this was the last handle: nobody else can read the items or the block.
            unsafe { self.free() };
        }
    }
}

impl Tuple {
    /// Drops the items and frees the block (the last handle is going away): onto its length's
    /// free list if there is room, else back to the allocator.
    #[inline(never)]
    unsafe fn free(&mut self) {
        // SAFETY (caller): no other handle exists; the items are initialised.
        unsafe { free_block(self.header) }
    }
}

/// Is a value with this tag one that owns nothing (a number, a bool, `None`)?
#[inline(always)]
fn owns_nothing(item: &Value) -> bool {
    matches!(item, Value::Int(_) | Value::Float(_) | Value::Bool(_) | Value::None)
}

/// Drops the items of the block at `header` and frees it. A tuple item whose last reference
/// this was (a pair of pairs, a tree node's child) is released here, not through the drop
/// glue's match over every variant, and without recursion: such children wait on a stack
/// linked through their refcount words (unused once the count is 0), so freeing a tree costs
/// no call per node and a chain of a million nested tuples cannot overflow the stack.
///
/// # Safety
/// No handle to the block is left; its items are initialised.
#[inline(never)]
unsafe fn free_block(header: NonNull<TupleHeader>) {
    unsafe {
        let mut pending: *mut TupleHeader = std::ptr::null_mut();
        let mut block = header;
        loop {
            let len = block.as_ref().len;
            let items = (block.as_ptr() as *mut u8).add(Tuple::ITEMS_OFFSET) as *mut Value;
            for i in 0..len {
                let item = items.add(i);
                match &*item {
                    item if owns_nothing(item) => {}
                    Value::Tuple(child) => {
                        let count = &child.header.as_ref().refcount;
                        let left = count.get() - 1;
                        if left == 0 {
                            count.set(pending as usize);
                            pending = child.header.as_ptr();
                        } else {
                            count.set(left);
                        }
                    }
                    _ => std::ptr::drop_in_place(item),
                }
            }
            recycle_block(block, len);
            let Some(next) = NonNull::new(pending) else { return };
            // The next waiting child: its refcount word links to the one below it.
            pending = next.as_ref().refcount.get() as *mut TupleHeader;
            block = next;
        }
    }
}

/// Frees the block at `address` whose count machine code took to 0 (a list store replacing
/// its last holder, `jit/lower_old_tuples.rs`): drops its items, recycles the block.
///
/// # Safety
/// `address` is a tuple block with count 0 and no handle left; its items are initialised.
pub(crate) unsafe fn free_unreferenced(address: usize) {
    // SAFETY (caller): a block address is never null.
    unsafe { free_block(NonNull::new_unchecked(address as *mut TupleHeader)) }
}

/// Recycles the block at `address` whose count machine code took to 0 and whose items it
/// released itself (`jit/lower_old_tuples.rs`, when its length's free list is full).
///
/// # Safety
/// As for [`free_unreferenced`], the items released (they are not read again).
pub(crate) unsafe fn recycle_released(address: usize) {
    // SAFETY (caller): as above; the length word is intact.
    unsafe {
        let header = NonNull::new_unchecked(address as *mut TupleHeader);
        recycle_block(header, header.as_ref().len);
    }
}

/// Puts a block whose items are dropped onto its length's free list, or gives it back to the
/// allocator when the list is full.
///
/// # Safety
/// No handle to the block is left; its items are dropped (or own nothing).
#[inline(always)]
unsafe fn recycle_block(header: NonNull<TupleHeader>, len: usize) {
    if !free_lists::push(header, len) {
        // SAFETY (caller): the block came from `Tuple::layout(len)` and is unused.
        unsafe { alloc::dealloc(header.as_ptr() as *mut u8, Tuple::layout(len)) };
    }
}

/// Per-length lists of freed blocks, linked through their refcount word (a free block has no
/// handle, so the word is unused), at most [`free_lists::KEPT`] blocks each. Per thread, as
/// the tuples are.
///
/// The lists themselves are a thread-local without a destructor, so reaching them is one
/// thread-pointer-relative address (a thread-local with a destructor is checked and registered
/// on every access: a third of a pop). What they hold is given back to the allocator when the
/// thread ends by a second thread-local, [`free_lists::Release`], whose destructor is
/// registered on the allocator's path (every block a list keeps was allocated there first);
/// after it ran, the lists are closed: freed blocks go back to the allocator.
pub(crate) mod free_lists {
    use super::*;

    /// Tuples of 1 to `LENGTHS` items are recycled (pairs, points, tree nodes, records).
    pub(crate) const LENGTHS: usize = 8;
    /// Blocks kept per length (CPython keeps 2000): enough for a loop's churn, and a program
    /// that drops a big structure gives the rest back to the allocator.
    pub(crate) const KEPT: usize = 2000;

    /// The heads and counts of the lists (`repr(C)`: machine code pops and pushes blocks at
    /// [`Lists::HEADS_OFFSET`] and [`Lists::COUNTS_OFFSET`], `jit/lower_tuple_blocks.rs`).
    #[repr(C)]
    pub(crate) struct Lists {
        /// The first free block of each length (item count 1 at index 0), or null.
        heads: [*mut TupleHeader; LENGTHS],
        /// How many blocks each list holds; `usize::MAX` once the thread's lists are closed,
        /// so that no block is kept (a push sees a full list; a pop finds no head).
        counts: [usize; LENGTHS],
    }

    impl Lists {
        pub(crate) const HEADS_OFFSET: usize = std::mem::offset_of!(Lists, heads);
        pub(crate) const COUNTS_OFFSET: usize = std::mem::offset_of!(Lists, counts);
    }

    thread_local! {
        static LISTS: UnsafeCell<Lists> =
            const { UnsafeCell::new(Lists { heads: [std::ptr::null_mut(); LENGTHS], counts: [0; LENGTHS] }) };
        static RELEASE: Release = const { Release };
    }

    /// Gives the blocks of the thread's lists back to the allocator when the thread ends.
    pub(super) struct Release;

    impl Drop for Release {
        fn drop(&mut self) {
            let lists = this_thread();
            for (len, index) in (1..=LENGTHS).zip(0..LENGTHS) {
                // SAFETY: only this thread reaches its lists; closing them first means a
                // tuple freed by a later destructor goes back to the allocator.
                let mut block = unsafe {
                    (*lists).counts[index] = usize::MAX;
                    std::mem::replace(&mut (*lists).heads[index], std::ptr::null_mut())
                };
                while !block.is_null() {
                    // SAFETY: every block on list `len` came from `Tuple::layout(len)` and is
                    // owned by the list alone; its refcount word holds the next block.
                    unsafe {
                        let next = (*block).refcount.get() as *mut TupleHeader;
                        alloc::dealloc(block as *mut u8, Tuple::layout(len));
                        block = next;
                    }
                }
            }
        }
    }

    /// This thread's lists (machine code that pops blocks reads them through this address).
    #[inline(always)]
    pub(crate) fn this_thread() -> *mut Lists {
        LISTS.with(|lists| lists.get())
    }

    /// A block is about to come from the allocator: make sure the thread gives its kept blocks
    /// back when it ends (registers [`Release`] once; nothing if the thread is ending).
    #[inline]
    pub(super) fn will_keep_blocks() {
        let _ = RELEASE.try_with(|_| ());
    }

    /// How many blocks of `len` items the thread keeps (`usize::MAX` once its lists closed).
    #[cfg(test)]
    pub(super) fn kept(len: usize) -> usize {
        // SAFETY: only this thread reaches its lists.
        unsafe { (*this_thread()).counts[len - 1] }
    }

    /// A recycled block for `len` items (its header still to be written), if one is kept.
    #[inline(always)]
    pub(super) fn pop(len: usize) -> Option<NonNull<TupleHeader>> {
        if len.wrapping_sub(1) >= LENGTHS {
            return None;
        }
        // SAFETY: only this thread reaches its lists, and nothing below re-enters them.
        let lists = unsafe { &mut *this_thread() };
        let head = NonNull::new(lists.heads[len - 1])?;
        // SAFETY: a kept block's refcount word holds the next block (or null).
        lists.heads[len - 1] = unsafe { head.as_ref() }.refcount.get() as *mut TupleHeader;
        lists.counts[len - 1] -= 1;
        Some(head)
    }

    /// Keeps the block of a freed tuple of `len` items (its items already dropped); false if
    /// its list is full or closed (or the length is not recycled): the caller frees it.
    #[inline(always)]
    pub(super) fn push(block: NonNull<TupleHeader>, len: usize) -> bool {
        if len.wrapping_sub(1) >= LENGTHS {
            return false;
        }
        // SAFETY: as in `pop`; the block has no handle left, so its refcount word is free.
        let lists = unsafe { &mut *this_thread() };
        if lists.counts[len - 1] >= KEPT {
            return false;
        }
        unsafe { block.as_ref() }.refcount.set(lists.heads[len - 1] as usize);
        lists.heads[len - 1] = block.as_ptr();
        lists.counts[len - 1] += 1;
        true
    }
}

impl fmt::Debug for Tuple {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The items as a list, as `Rc<Vec<Value>>` printed: `Value::Tuple` shows as `Tuple([..])`.
        f.debug_list().entries(self.iter()).finish()
    }
}

impl From<Vec<Value>> for Tuple {
    fn from(items: Vec<Value>) -> Tuple {
        Tuple::from_vec(items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ints(t: &Tuple) -> Vec<i64> {
        t.iter().map(|v| if let Value::Int(n) = v { *n } else { panic!("not an int: {v:?}") }).collect()
    }

    #[test]
    fn layout_is_header_then_items() {
        assert_eq!(Tuple::REFCOUNT_OFFSET, 0);
        assert_eq!(Tuple::LEN_OFFSET, 8);
        assert_eq!(Tuple::ITEMS_OFFSET, 16);
        assert_eq!(std::mem::size_of::<Tuple>(), 8);
        let t = Tuple::from_vec(vec![Value::Int(7), Value::Int(9)]);
        // SAFETY: reading the documented header fields of a live tuple.
        unsafe {
            let base = t.header.as_ptr() as *const u8;
            assert_eq!(*(base.add(Tuple::REFCOUNT_OFFSET) as *const usize), 1);
            assert_eq!(*(base.add(Tuple::LEN_OFFSET) as *const usize), 2);
            let second = &*(base.add(Tuple::ITEMS_OFFSET + 16) as *const Value);
            assert!(matches!(second, Value::Int(9)));
        }
    }

    #[test]
    fn from_vec_and_from_slice_hold_the_items() {
        let moved = Tuple::from_vec(vec![Value::Int(1), Value::Int(2), Value::Int(3)]);
        assert_eq!(ints(&moved), [1, 2, 3]);
        let copied = Tuple::from_slice(&moved);
        assert_eq!(ints(&copied), [1, 2, 3]);
        assert!(!Tuple::ptr_eq(&moved, &copied));
        let empty = Tuple::from_vec(Vec::new());
        assert!(empty.is_empty());
        assert_eq!(format!("{empty:?}"), "[]");
        assert_eq!(format!("{:?}", Value::Tuple(moved)), "Tuple([Int(1), Int(2), Int(3)])");
    }

    #[test]
    fn clone_shares_and_drop_releases_items() {
        let inner = Value::str("shared");
        let Value::Str(rc) = &inner else { unreachable!() };
        let t = Tuple::from_slice(&[inner.clone(), Value::None]);
        assert_eq!(rc.refcount(), 2);
        let u = t.clone();
        assert!(Tuple::ptr_eq(&t, &u));
        assert_eq!(t.refcount(), 2);
        drop(t);
        assert_eq!(u.refcount(), 1);
        assert_eq!(rc.refcount(), 2, "the items live while one handle does");
        drop(u);
        assert_eq!(rc.refcount(), 1, "the last drop releases the items");
    }

    #[test]
    fn a_freed_small_tuple_block_is_reused_with_a_fresh_header() {
        let leaf = Value::str("item");
        let Value::Str(rc) = &leaf else { unreachable!() };
        let first = Tuple::from_vec(vec![leaf.clone(), Value::Int(1)]);
        let address = first.addr();
        drop(first);
        assert_eq!(rc.refcount(), 1, "the freed tuple released its items");
        let second = Tuple::from_vec(vec![Value::Int(2), Value::Int(3)]);
        assert_eq!(second.addr(), address, "the block went back to the free list for pairs");
        assert_eq!(second.refcount(), 1);
        assert_eq!(ints(&second), [2, 3]);
        let triple = Tuple::from_vec(vec![Value::Int(4), Value::Int(5), Value::Int(6)]);
        assert_ne!(triple.addr(), address, "a block is reused only for its own length");
    }

    #[test]
    fn free_lists_keep_a_bounded_number_of_blocks() {
        // More pairs than a list keeps, all freed: the rest go back to the allocator.
        let pairs: Vec<Tuple> =
            (0..free_lists::KEPT + 100).map(|i| Tuple::from_vec(vec![Value::Int(i as i64); 2])).collect();
        drop(pairs);
        let again: Vec<Tuple> =
            (0..free_lists::KEPT + 100).map(|i| Tuple::from_vec(vec![Value::Int(i as i64); 2])).collect();
        assert!(again.iter().enumerate().all(|(i, t)| ints(t) == [i as i64, i as i64] && t.refcount() == 1));
    }

    #[test]
    fn a_thread_gives_its_kept_blocks_back_when_it_ends() {
        std::thread::spawn(|| {
            let pairs: Vec<Tuple> = (0..100).map(|i| Tuple::from_vec(vec![Value::Int(i); 2])).collect();
            drop(pairs);
            assert_eq!(free_lists::kept(2), 100, "the pairs' blocks are kept for reuse");
            // What the thread's end runs (its registered `Release`): the lists close.
            drop(free_lists::Release);
            assert_eq!(free_lists::kept(2), usize::MAX);
            let late = Tuple::from_vec(vec![Value::Int(1), Value::Int(2)]);
            assert_eq!(ints(&late), [1, 2], "a closed list gives no block: the allocator does");
            drop(late);
            assert_eq!(free_lists::kept(2), usize::MAX, "a closed list keeps nothing");
        })
        .join()
        .expect("the thread's tuples were freed");
    }

    #[test]
    fn a_deep_chain_of_nested_tuples_is_freed_without_recursion() {
        let mut chain = Tuple::from_vec(vec![Value::Int(0)]);
        for i in 1..1_000_000 {
            chain = Tuple::from_vec(vec![Value::Tuple(chain), Value::Int(i)]);
        }
        let shared = match &chain[0] {
            Value::Tuple(inner) => inner.clone(),
            _ => unreachable!(),
        };
        drop(chain);
        assert_eq!(shared.refcount(), 1, "the child still held elsewhere survives");
        assert!(matches!(shared[1], Value::Int(999_998)));
    }

    #[test]
    fn nested_tuples_free_their_children() {
        let leaf = Value::str("leaf");
        let Value::Str(rc) = &leaf else { unreachable!() };
        let mut node = Value::None;
        for _ in 0..1000 {
            node = Value::Tuple(Tuple::from_vec(vec![leaf.clone(), node]));
        }
        assert_eq!(rc.refcount(), 1001);
        drop(node);
        assert_eq!(rc.refcount(), 1);
    }
}
