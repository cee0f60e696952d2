//! The process's memory allocator: mimalloc, called the cheapest way a request allows.
//!
//! Toy programs allocate many small short-lived objects (strings, tuples, dict entries,
//! `Rc` boxes); mimalloc is markedly faster than the system allocator at that. Every block
//! mimalloc hands out is aligned to at least a machine word, so a request aligned to 8 bytes
//! or less (every object of this interpreter) goes to plain `mi_malloc`; only a larger
//! alignment takes `mi_malloc_aligned`, whose entry path costs about three times as many
//! instructions (the `mimalloc` crate's wrapper sends every request there: a tuple-building
//! run spent 8% of its instructions in it).
//!
//! Small blocks go through a per-thread cache of freed blocks first (`block_cache.rs`).
//!
//! Touches nothing but the heap. Installed by `main.rs` as the `#[global_allocator]`.

use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

use crate::block_cache::{self, CACHED_MAX};

use libmimalloc_sys::{
    mi_free, mi_malloc, mi_malloc_aligned, mi_realloc, mi_realloc_aligned, mi_zalloc, mi_zalloc_aligned,
};

/// The alignment every mimalloc block has (its blocks are whole machine words).
const WORD_ALIGN: usize = std::mem::size_of::<usize>();

/// Hands the pages no live block uses back to the system at once, instead of after mimalloc's
/// usual delay: called after a burst of short-lived allocations (a JIT compile), so that the
/// next burst does not add to the process's peak memory. Costs a walk over the heap's pages.
pub fn return_free_pages() {
    // SAFETY: `mi_collect` takes no pointers and may be called at any time on any thread.
    unsafe { mi_collect(true) }
}

// Declared here: `libmimalloc-sys` exports it only with its `extended` feature, which pulls in
// a crate for nothing else.
unsafe extern "C" {
    fn mi_collect(force: bool);
}

/// mimalloc as a Rust global allocator.
pub struct Mimalloc;

// SAFETY: each method forwards to the mimalloc function with the same contract; a block from
// `mi_malloc`/`mi_zalloc`/`mi_realloc` is word-aligned, which satisfies any layout with
// `align <= WORD_ALIGN`; larger alignments use the `_aligned` variants. `mi_free` takes any
// block either kind returned.
unsafe impl GlobalAlloc for Mimalloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        unsafe {
            let size = layout.size();
            if layout.align() <= WORD_ALIGN {
                if size.wrapping_sub(1) < CACHED_MAX {
                    let block = block_cache::take(size);
                    if !block.is_null() {
                        return block;
                    }
                }
                mi_malloc(size) as *mut u8
            } else {
                mi_malloc_aligned(size, layout.align()) as *mut u8
            }
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        unsafe {
            if layout.align() <= WORD_ALIGN {
                mi_zalloc(layout.size()) as *mut u8
            } else {
                mi_zalloc_aligned(layout.size(), layout.align()) as *mut u8
            }
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let size = layout.size();
        // SAFETY: a block this allocator gave for `layout`, freed: a word-aligned mimalloc
        // block of a request of `size` bytes when the alignment is at most a word.
        unsafe {
            if size.wrapping_sub(1) < CACHED_MAX && layout.align() <= WORD_ALIGN && block_cache::give(ptr, size) {
                return;
            }
            mi_free(ptr as *mut c_void)
        }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        unsafe {
            if layout.align() <= WORD_ALIGN {
                mi_realloc(ptr as *mut c_void, new_size) as *mut u8
            } else {
                mi_realloc_aligned(ptr as *mut c_void, new_size, layout.align()) as *mut u8
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Blocks of every size and alignment class come back aligned, writable, and reallocate
    /// with their contents kept.
    #[test]
    fn blocks_are_aligned_and_keep_their_contents() {
        let allocator = Mimalloc;
        for align in [1usize, 2, 4, 8, 16, 32, 64, 4096] {
            for size in [1usize, 7, 8, 15, 16, 24, 40, 100, 1000, 70_000] {
                let layout = Layout::from_size_align(size, align).unwrap();
                unsafe {
                    let p = allocator.alloc(layout);
                    assert!(!p.is_null());
                    assert_eq!(p as usize % align, 0, "size {size} align {align}");
                    std::ptr::write_bytes(p, 0xAB, size);
                    let q = allocator.realloc(p, layout, size * 3);
                    assert_eq!(q as usize % align, 0, "realloc size {size} align {align}");
                    assert!(std::slice::from_raw_parts(q, size).iter().all(|&b| b == 0xAB));
                    allocator.dealloc(q, Layout::from_size_align(size * 3, align).unwrap());
                    let z = allocator.alloc_zeroed(layout);
                    assert_eq!(z as usize % align, 0);
                    assert!(std::slice::from_raw_parts(z, size).iter().all(|&b| b == 0));
                    allocator.dealloc(z, layout);
                }
            }
        }
    }
}
