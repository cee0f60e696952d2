//! A per-thread cache of freed small blocks in front of mimalloc (`allocator.rs`): a block of
//! up to [`CACHED_MAX`] bytes that is freed goes to a short free list of its size class, and
//! the next request of that class takes it back, each in a handful of instructions (mimalloc's
//! own `mi_malloc` and `mi_free` cost about 16 and 26). A loop that makes and drops short-lived
//! strings, lists and tuples each iteration (bench/strings.toy: about 20 blocks an iteration)
//! then mostly reuses the blocks it freed the iteration before.
//!
//! A class holds blocks for sizes `8k+1..=8k+8` (mimalloc rounds small requests up to whole
//! words, so every block of a class has room for its largest size). Each list holds at most
//! [`DEPTH`] blocks; a free beyond that goes to mimalloc. So a thread keeps at most
//! `CLASSES * DEPTH` blocks (16 KB) that mimalloc counts as used, and leaves them so at its
//! end (no destructor: the allocator must not allocate to register one).
//!
//! Touches nothing but the blocks given to it and its thread's lists.

use std::cell::Cell;

/// The largest request the cache serves.
pub const CACHED_MAX: usize = 64;
/// Size classes: `8k+1..=8k+8` bytes for `k` in `0..CLASSES`.
const CLASSES: usize = CACHED_MAX / 8;
/// The most blocks a class keeps.
const DEPTH: u32 = 32;

/// A cached block's first word: the next block of its class, or null.
struct FreeBlock {
    next: *mut FreeBlock,
}

struct Lists {
    heads: [Cell<*mut FreeBlock>; CLASSES],
    counts: [Cell<u32>; CLASSES],
}

thread_local! {
    static LISTS: Lists = const {
        Lists {
            heads: [const { Cell::new(std::ptr::null_mut()) }; CLASSES],
            counts: [const { Cell::new(0) }; CLASSES],
        }
    };
}

/// The class of a request of `size` bytes (1 to [`CACHED_MAX`]).
#[inline(always)]
fn class_of(size: usize) -> usize {
    (size - 1) >> 3
}

/// A cached block for `size` bytes (1 to [`CACHED_MAX`]), or null when its class has none.
#[inline(always)]
pub fn take(size: usize) -> *mut u8 {
    let class = class_of(size);
    LISTS
        .try_with(|lists| {
            let head = lists.heads[class].get();
            if !head.is_null() {
                // SAFETY: a block on the list was given by `give` (a free block of this class,
                // at least a word long, owned by the list); its first word is the next one.
                lists.heads[class].set(unsafe { (*head).next });
                lists.counts[class].set(lists.counts[class].get() - 1);
            }
            head as *mut u8
        })
        .unwrap_or(std::ptr::null_mut())
}

/// Keeps `block`, a freed mimalloc block requested with `size` bytes (1 to [`CACHED_MAX`]);
/// false when its class is full (the caller frees it).
///
/// # Safety
/// `block` must be a live mimalloc block of a request of `size` bytes, word-aligned, that
/// nothing uses any more.
#[inline(always)]
pub unsafe fn give(block: *mut u8, size: usize) -> bool {
    let class = class_of(size);
    LISTS
        .try_with(|lists| {
            let count = lists.counts[class].get();
            if count >= DEPTH {
                return false;
            }
            let block = block as *mut FreeBlock;
            // SAFETY: the caller's promise: the block is ours now, and at least a word long
            // (mimalloc's smallest block).
            unsafe { block.write(FreeBlock { next: lists.heads[class].get() }) };
            lists.heads[class].set(block);
            lists.counts[class].set(count + 1);
            true
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_freed_block_comes_back_for_its_class_only_and_a_class_keeps_at_most_depth() {
        let mut blocks = Vec::new();
        for _ in 0..DEPTH + 1 {
            let block = Box::into_raw(Box::new([0u64; 3])) as *mut u8;
            blocks.push(block);
        }
        // Drain whatever the test thread's class 2 (17..=24 bytes) held.
        while !take(24).is_null() {}
        for (i, &block) in blocks.iter().enumerate() {
            // SAFETY: our own 24-byte blocks, unused from here on.
            let kept = unsafe { give(block, 24) };
            assert_eq!(kept, i < DEPTH as usize, "block {i}");
        }
        assert!(take(40).is_null(), "another class (33..=40 bytes) got none of them");
        let back = take(17);
        assert_eq!(back, blocks[DEPTH as usize - 1], "last in, first out, for any size of the class");
        let mut left = 1;
        while !take(20).is_null() {
            left += 1;
        }
        assert_eq!(left, DEPTH as usize);
        // The blocks are the test's again: free them as allocated.
        for block in blocks {
            // SAFETY: each was made by `Box::into_raw` above and is no longer on a list.
            drop(unsafe { Box::from_raw(block as *mut [u64; 3]) });
        }
    }
}
