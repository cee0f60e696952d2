//! The string object: one heap block holding a header (refcount, cached hash, byte length, char
//! count, capacity) and the UTF-8 bytes inline, reached through a thin pointer, so `Value::Str`
//! stays 16 bytes and making a string is one allocation (an `Rc<StrObj>` around a `String` took
//! two: the `Rc` box and the text buffer; 64 bytes for a 5-letter word, now 32).
//!
//! Layout of the block (documented for native code in docs/ARCHITECTURE.md, "Values"):
//!
//! | offset | field        | type              |
//! |--------|--------------|-------------------|
//! | 0      | `refcount`   | `u32`             |
//! | 4      | `hash`       | `u32` (0 = not computed yet) |
//! | 8      | `len`        | `u32`, bytes      |
//! | 12     | `char_count` | `u32`             |
//! | 16     | `capacity`   | `u32`, bytes      |
//! | 20     | bytes        | `[u8; capacity]`, the first `len` initialised UTF-8 |
//!
//! Lengths are `u32`: no operation makes a string over `ops::MAX_STR_BYTES` (`u32::MAX`) bytes
//! (they raise MemoryError first); a block that would still exceed it is an allocation failure.
//! A string is ASCII exactly when its char count equals its byte length, so no flag is stored.
//!
//! The API is safe: [`Str`] (the counted handle) derefs to [`StrObj`] (the header), which
//! derefs to `str`. A string is built by [`StrBuilder`] (a block only it holds, grown as pieces
//! are pushed) or by the constructors on [`Str`]; [`Str::try_append`] grows a string in place
//! when its handle is the only one. This is the only file that touches the block's memory.

use std::alloc::{self, Layout};
use std::cell::Cell;
use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;
use std::ptr::NonNull;

mod ascii_case;
mod short_copy;
use ascii_case::map_ascii_case;
use short_copy::copy_short;

/// The fixed part of a string's block; the bytes follow it at [`Str::BYTES_OFFSET`].
#[repr(C)]
struct StrHeader {
    refcount: Cell<u32>,
    hash: Cell<u32>,
    len: u32,
    char_count: u32,
    capacity: u32,
}

/// A string object as code reads it: the header and its `len` bytes of text. Only ever seen
/// behind a [`Str`] handle (there is no way to make one by value); the reference covers the
/// header and the text, so reading the text through it stays inside what it borrows.
#[repr(C)]
pub struct StrObj {
    header: StrHeader,
    bytes: [u8],
}

/// A reference-counted string: a thin pointer to a [`StrObj`] and its bytes. Cloning
/// increments the count; the last drop frees the block. Immutable while shared.
pub struct Str {
    header: NonNull<StrHeader>,
    /// Owns a `StrHeader` (and bytes) for drop-check; `Cell` makes it `!Send`/`!Sync`.
    _owns: PhantomData<StrHeader>,
}

/// The most bytes a block can hold.
const MAX_BYTES: usize = u32::MAX as usize;

impl StrObj {
    /// The text.
    #[inline(always)]
    pub fn as_str(&self) -> &str {
        // SAFETY: the first `len` bytes after the header are UTF-8 (every writer keeps that).
        unsafe { std::str::from_utf8_unchecked(&self.bytes) }
    }

    /// The number of chars (Python's `len`).
    #[inline(always)]
    pub fn char_count(&self) -> usize {
        self.header.char_count as usize
    }

    /// Is every char ASCII (one byte each: then indexing is O(1))?
    #[inline(always)]
    pub fn is_ascii(&self) -> bool {
        self.header.char_count == self.header.len
    }

    /// The cached dict hash (see `hashkey.rs`), 0 when not computed yet.
    #[inline(always)]
    pub fn cached_hash(&self) -> u32 {
        self.header.hash.get()
    }

    /// Caches the dict hash (the text never changes while the hash can be read: an in-place
    /// append resets it).
    #[inline(always)]
    pub fn set_cached_hash(&self, hash: u32) {
        self.header.hash.set(hash);
    }
}

impl Deref for StrObj {
    type Target = str;
    #[inline(always)]
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Debug for StrObj {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl Str {
    /// Byte offset of the reference count in the block.
    pub const REFCOUNT_OFFSET: usize = std::mem::offset_of!(StrHeader, refcount);
    /// Byte offset of the cached hash.
    pub const HASH_OFFSET: usize = std::mem::offset_of!(StrHeader, hash);
    /// Byte offset of the byte length.
    pub const LEN_OFFSET: usize = std::mem::offset_of!(StrHeader, len);
    /// Byte offset of the char count.
    pub const CHAR_COUNT_OFFSET: usize = std::mem::offset_of!(StrHeader, char_count);
    /// Byte offset of the capacity.
    pub const CAPACITY_OFFSET: usize = std::mem::offset_of!(StrHeader, capacity);
    /// Byte offset of the first byte of text.
    pub const BYTES_OFFSET: usize = std::mem::size_of::<StrHeader>();

    /// The layout of a block with room for `capacity` bytes, padded to the header's alignment:
    /// a `&StrObj` covers its header and text rounded up to that alignment, which must lie
    /// inside the block.
    fn layout(capacity: usize) -> Layout {
        match Layout::from_size_align(Self::BYTES_OFFSET + capacity, std::mem::align_of::<StrHeader>()) {
            Ok(layout) if capacity <= MAX_BYTES => layout.pad_to_align(),
            // Past what a header can describe: as if the allocator had no memory for it.
            _ => alloc::handle_alloc_error(Layout::new::<StrHeader>()),
        }
    }

    /// An empty string with room for `capacity` bytes: refcount 1.
    fn allocate(capacity: usize) -> Str {
        let layout = Self::layout(capacity);
        // SAFETY: the layout is never zero-sized (the header alone is 20 bytes).
        let raw = unsafe { alloc::alloc(layout) } as *mut StrHeader;
        let Some(header) = NonNull::new(raw) else { alloc::handle_alloc_error(layout) };
        let header_value =
            StrHeader { refcount: Cell::new(1), hash: Cell::new(0), len: 0, char_count: 0, capacity: capacity as u32 };
        // SAFETY: `header` points to fresh memory big and aligned enough for a `StrHeader`.
        unsafe { header.as_ptr().write(header_value) };
        Str { header, _owns: PhantomData }
    }

    /// The string `text` (its char count is counted).
    pub fn new(text: &str) -> Str {
        let chars = if text.is_ascii() { text.len() } else { text.chars().count() };
        Self::with_char_count(text, chars)
    }

    /// The string `text`, whose char count the caller knows (a piece of ASCII text, a
    /// concatenation): no rescan. The count must be the text's own.
    pub fn with_char_count(text: &str, char_count: usize) -> Str {
        let mut builder = StrBuilder::with_capacity(text.len());
        builder.push_counted(text, char_count);
        builder.finish()
    }

    /// ASCII text as a new string (its char count is its length): one block of its size,
    /// one copy.
    #[inline]
    pub fn from_ascii(text: &str) -> Str {
        debug_assert!(text.is_ascii(), "{text:?} is not ASCII");
        let mut block = Self::allocate(text.len());
        // SAFETY: the block has room for the text, is this function's alone, and cannot
        // overlap it; ASCII text is UTF-8 of one char per byte.
        unsafe {
            copy_short(text.as_ptr(), block.text_start(), text.len());
            block.set_len_and_chars(text.len(), text.len());
        }
        block
    }

    /// ASCII text with its letters mapped to upper case (`upper`) or lower case, as a new
    /// string: copied and mapped in one pass, eight bytes at a time.
    pub fn from_ascii_case_mapped(text: &str, upper: bool) -> Str {
        debug_assert!(text.is_ascii(), "{text:?} is not ASCII");
        let mut block = Self::allocate(text.len());
        // SAFETY: the block has room for the text, is this function's alone, and cannot
        // overlap it; ASCII letters map to ASCII letters, one char per byte.
        unsafe {
            map_ascii_case(text.as_ptr(), block.text_start(), text.len(), upper);
            block.set_len_and_chars(text.len(), text.len());
        }
        block
    }

    /// The string of the bytes `byte_of` gives for each of `items`, one char each: `None` (the
    /// block freed) when it gives `None` for one, or a byte that is not ASCII. One pass, a
    /// store per item and no other test (`"".join` of one-char strings).
    #[inline]
    pub fn from_ascii_bytes<T>(items: &[T], byte_of: impl Fn(&T) -> Option<u8>) -> Option<Str> {
        let count = items.len();
        let mut block = Self::allocate(count);
        let text = block.text_start();
        // The bits of every byte: a high one means some byte is not ASCII.
        let mut bits = 0;
        for (i, item) in items.iter().enumerate() {
            let byte = byte_of(item)?;
            bits |= byte;
            // SAFETY: `i < count`, the block's capacity, and the block is this function's alone.
            unsafe { text.add(i).write(byte) };
        }
        if !bits.is_ascii() {
            return None;
        }
        // SAFETY: the first `count` bytes were written above, each an ASCII char.
        unsafe { block.set_len_and_chars(count, count) };
        Some(block)
    }

    /// The header.
    #[inline(always)]
    fn head(&self) -> &StrHeader {
        // SAFETY: the block lives as long as any handle, and this is one.
        unsafe { self.header.as_ref() }
    }

    /// Are `a` and `b` the same string object (Python's `is`)?
    #[inline]
    pub fn ptr_eq(a: &Str, b: &Str) -> bool {
        a.header == b.header
    }

    /// The block's address (identity, as `Rc::as_ptr` gave).
    pub fn addr(&self) -> usize {
        self.header.as_ptr() as usize
    }

    /// The text of the string whose block is at `addr`, for a table that keeps strings'
    /// addresses beside the strings themselves (`dict_map.rs`).
    ///
    /// # Safety
    /// `addr` is [`Str::addr`] of a string that stays alive and unchanged for `'a`.
    #[inline(always)]
    pub unsafe fn text_at<'a>(addr: usize) -> &'a str {
        // SAFETY: the caller's string is alive for 'a, so its block holds the header and `len`
        // bytes of UTF-8 text after it.
        unsafe {
            let header = &*(addr as *const StrHeader);
            let bytes = std::slice::from_raw_parts((addr as *const u8).add(Self::BYTES_OFFSET), header.len as usize);
            std::str::from_utf8_unchecked(bytes)
        }
    }

    /// How many handles share this block.
    pub fn refcount(&self) -> usize {
        self.head().refcount.get() as usize
    }

    /// Appends `piece` (of `chars` chars) in place when this handle is the only one (nobody
    /// can see the string change), growing the block by doubling so a string built piece by
    /// piece is linear. Returns false, changing nothing, when the string is shared.
    pub fn try_append(&mut self, piece: &str, chars: usize) -> bool {
        if self.head().refcount.get() != 1 {
            return false;
        }
        self.push_unique(piece, chars);
        // The text changed: the cached hash no longer belongs to it.
        self.head().hash.set(0);
        true
    }

    /// [`Str::try_append`] only where the block need not grow: it stays where it is, so every
    /// copy of its address stays valid (a trace's, the garbage list's). False, changing
    /// nothing, when the string is shared or `piece` does not fit its capacity.
    pub fn try_append_in_place(&mut self, piece: &str, chars: usize) -> bool {
        let head = self.head();
        if head.refcount.get() != 1 || head.len as usize + piece.len() > head.capacity as usize {
            return false;
        }
        self.try_append(piece, chars)
    }

    /// [`Str::try_append`], first growing the block (when it must grow) to hold `room` more
    /// bytes after `piece`: the appends a trace knows will follow then fit without reallocating.
    #[inline]
    pub fn try_append_with_room(&mut self, piece: &str, chars: usize, room: usize) -> bool {
        if self.head().refcount.get() != 1 {
            return false;
        }
        let needed = self.head().len as usize + piece.len();
        if needed > self.head().capacity as usize {
            self.grow(needed.saturating_add(room).min(MAX_BYTES.max(needed)));
        }
        self.try_append(piece, chars)
    }

    /// Maps the ASCII letters to upper or lower case in place when this handle is the only
    /// one (nobody can see the string change) and the text is ASCII; false, changing nothing,
    /// otherwise. The block stays where it is.
    pub fn try_map_ascii_case(&mut self, upper: bool) -> bool {
        if self.head().refcount.get() != 1 || !self.is_ascii() {
            return false;
        }
        let len = self.head().len as usize;
        let bytes = self.text_start();
        // SAFETY: the block is this handle's alone (refcount 1, `&mut self`), and its first
        // `len` bytes are its text, ASCII; ASCII stays ASCII.
        unsafe { map_ascii_case(bytes, bytes, len, upper) };
        // The text changed: the cached hash no longer belongs to it.
        self.head().hash.set(0);
        true
    }

    /// Appends to a block only this handle holds (refcount 1, no `&StrObj` alive: the caller
    /// has `&mut self`), growing it when needed.
    #[inline]
    fn push_unique(&mut self, piece: &str, chars: usize) {
        debug_assert_eq!(self.head().refcount.get(), 1);
        debug_assert_eq!(chars, piece.chars().count(), "char count of {piece:?}");
        let len = self.head().len as usize;
        let needed = len + piece.len();
        if needed > self.head().capacity as usize {
            self.grow(needed);
        }
        // SAFETY: the block is this handle's alone (refcount 1, `&mut self`); `needed` bytes fit
        // in its capacity, and `piece` is another object's text or a Rust `&str`: it cannot lie
        // in this block's unused tail, so the copy does not overlap. The bytes after `len` stay
        // UTF-8 because `piece` is a whole `&str`.
        unsafe {
            let header = self.header.as_ptr();
            let bytes = (header as *mut u8).add(Self::BYTES_OFFSET);
            // A short piece (a char, a word, a number's digits) without a call to memcpy.
            copy_short(piece.as_ptr(), bytes.add(len), piece.len());
            (*header).len = needed as u32;
            (*header).char_count += chars as u32;
        }
    }

    /// Where the text starts in the block.
    fn text_start(&mut self) -> *mut u8 {
        // SAFETY: the bytes follow the header inside the block.
        unsafe { (self.header.as_ptr() as *mut u8).add(Self::BYTES_OFFSET) }
    }

    /// Sets the header's byte length and char count after bytes were written past the old
    /// length.
    ///
    /// # Safety
    /// The block is this handle's alone, and its first `len` bytes are UTF-8 text of `chars`
    /// chars, within its capacity.
    unsafe fn set_len_and_chars(&mut self, len: usize, chars: usize) {
        let header = self.header.as_ptr();
        // SAFETY: the caller's promise; the header is this handle's to write.
        unsafe {
            (*header).len = len as u32;
            (*header).char_count = chars as u32;
        }
    }

    /// Reallocates the block for at least `needed` bytes (doubling, so appends amortise).
    #[cold]
    fn grow(&mut self, needed: usize) {
        /// From this many bytes on, a string grown in place doubles its block.
        const DOUBLING_FROM: usize = 256;
        let old = self.head().capacity as usize;
        // Short strings grow to what they need (the allocator's size classes leave some
        // room, and reallocating in place is cheap): a string built by a few `+` and then kept
        // (a dict key) holds no spare half. Longer ones double, so a string built piece by
        // piece stays linear.
        let capacity = if needed < DOUBLING_FROM { needed } else { needed.max(old.saturating_mul(2)) };
        let capacity = capacity.max(16).min(MAX_BYTES.max(needed));
        let new_layout = Self::layout(capacity);
        // SAFETY: the block is this handle's alone; it was allocated with `layout(old)` and is
        // reallocated to a non-zero size with the same alignment. The header and the first
        // `len` bytes move with it.
        unsafe {
            let raw = alloc::realloc(self.header.as_ptr() as *mut u8, Self::layout(old), new_layout.size());
            let Some(header) = NonNull::new(raw as *mut StrHeader) else { alloc::handle_alloc_error(new_layout) };
            (*header.as_ptr()).capacity = capacity as u32;
            self.header = header;
        }
    }
}

impl Deref for Str {
    type Target = StrObj;
    #[inline(always)]
    fn deref(&self) -> &StrObj {
        let len = self.head().len as usize;
        // SAFETY: the block lives as long as any handle, and this is one; it holds the header
        // and at least `len` initialised bytes after it, which is what the `StrObj` (header,
        // then `[u8]` of length `len`, `repr(C)`) covers.
        unsafe { &*(std::ptr::slice_from_raw_parts(self.header.as_ptr() as *const u8, len) as *const StrObj) }
    }
}

impl Clone for Str {
    #[inline(always)]
    fn clone(&self) -> Str {
        let count = &self.head().refcount;
        // As `Rc` does, abort rather than wrap: a wrapped count would free a live block.
        count.set(count.get().checked_add(1).unwrap_or_else(|| std::process::abort()));
        Str { header: self.header, _owns: PhantomData }
    }
}

impl Drop for Str {
    #[inline]
    fn drop(&mut self) {
        let count = &self.head().refcount;
        let left = count.get() - 1;
        count.set(left);
        if left == 0 {
            let layout = Self::layout(self.head().capacity as usize);
            // SAFETY: this was the last handle: nobody can read the block any more; it was
            // allocated (or last reallocated) with this layout.
            unsafe { alloc::dealloc(self.header.as_ptr() as *mut u8, layout) };
        }
    }
}

impl fmt::Debug for Str {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

/// Copies `part` to `bytes + at`; the offset after it. A short part (an ASCII char, the
/// common piece of a join, or a word) is stored without a call to memcpy.
///
/// # Safety
/// `bytes + at` has room for `part`, which does not overlap it.
#[inline(always)]
unsafe fn copy_bytes(part: &[u8], bytes: *mut u8, at: usize) -> usize {
    // SAFETY: the caller's promise.
    unsafe { copy_short(part.as_ptr(), bytes.add(at), part.len()) };
    at + part.len()
}

/// A string being built: a block only the builder holds, grown as pieces are pushed, its char
/// count summed from what each push says. `finish` hands it out as a [`Str`].
pub struct StrBuilder {
    block: Str,
}

impl StrBuilder {
    /// An empty builder with room for `bytes` bytes (pushing more grows it).
    pub fn with_capacity(bytes: usize) -> StrBuilder {
        StrBuilder { block: Str::allocate(bytes) }
    }

    /// Appends `piece`, which has `chars` chars (the caller knows: a string object's count,
    /// or the length of ASCII text).
    #[inline]
    pub fn push_counted(&mut self, piece: &str, chars: usize) {
        self.block.push_unique(piece, chars);
    }

    /// Appends a string object's text.
    #[inline]
    pub fn push_obj(&mut self, piece: &StrObj) {
        self.block.push_unique(piece.as_str(), piece.char_count());
    }

    /// Appends ASCII text (its char count is its length).
    #[inline]
    pub fn push_ascii(&mut self, piece: &str) {
        debug_assert!(piece.is_ascii(), "{piece:?} is not ASCII");
        self.block.push_unique(piece, piece.len());
    }

    /// Appends text whose char count is not known (it is counted).
    pub fn push_str(&mut self, piece: &str) {
        let chars = if piece.is_ascii() { piece.len() } else { piece.chars().count() };
        self.block.push_unique(piece, chars);
    }

    /// Appends each of `pieces` with `sep` between them (`sep.join(pieces)`), `chars` chars in
    /// all: one pass that keeps the length in a register and writes each piece where it goes
    /// (a one-byte piece, the common char of a `"".join`, without a call to memcpy), with no
    /// capacity check per piece.
    ///
    /// # Safety
    /// The builder has room for all of it: the pieces' bytes and the separators' (the caller
    /// summed them and sized the builder), and `chars` is their char count.
    pub unsafe fn push_joined<'a>(&mut self, sep: &StrObj, pieces: impl Iterator<Item = &'a StrObj>, chars: usize) {
        let block = &mut self.block;
        let start = block.head().len as usize;
        let bytes = block.text_start();
        let mut at = start;
        // SAFETY: the caller's promise: every copy lands inside the block, which is the
        // builder's alone; the pieces are other objects' text (or the separator's), which
        // cannot lie in this block's unused tail, so the copies do not overlap. Whole pieces
        // of UTF-8 keep the text UTF-8.
        unsafe {
            if sep.is_empty() {
                for piece in pieces {
                    at = copy_bytes(piece.as_bytes(), bytes, at);
                }
            } else {
                for (i, piece) in pieces.enumerate() {
                    if i > 0 {
                        at = copy_bytes(sep.as_bytes(), bytes, at);
                    }
                    at = copy_bytes(piece.as_bytes(), bytes, at);
                }
            }
            debug_assert!(at <= block.head().capacity as usize);
            let chars = block.head().char_count as usize + chars;
            block.set_len_and_chars(at, chars);
        }
    }

    /// Appends `text` with the `cut` bytes at each of `offsets` replaced by `with`
    /// (`text.replace(old, with)`, the matches of `old` found): one pass that writes each kept
    /// piece and each replacement where it goes, with no capacity check per piece.
    ///
    /// # Safety
    /// The offsets are in order, `cut` bytes apart at least, each range `at..at + cut` inside
    /// `text` and at char boundaries; the builder has room for the result (`text`'s bytes less
    /// the cut ones plus the replacements'), and `chars` is the result's char count.
    pub unsafe fn push_replaced(&mut self, text: &str, offsets: &[u32], cut: usize, with: &StrObj, chars: usize) {
        let block = &mut self.block;
        let bytes = block.text_start();
        let source = text.as_bytes();
        let mut at = block.head().len as usize;
        let mut kept_from = 0;
        // SAFETY: the caller's promise: every copy lands inside the block, which is the
        // builder's alone, from `text` or `with` (other objects' text, not in this block's
        // unused tail); every piece is whole UTF-8, cut at char boundaries.
        unsafe {
            for &found in offsets {
                let found = found as usize;
                at = copy_bytes(source.get_unchecked(kept_from..found), bytes, at);
                at = copy_bytes(with.as_bytes(), bytes, at);
                kept_from = found + cut;
            }
            at = copy_bytes(source.get_unchecked(kept_from..), bytes, at);
            debug_assert!(at <= block.head().capacity as usize);
            let chars = block.head().char_count as usize + chars;
            block.set_len_and_chars(at, chars);
        }
    }

    /// Maps the ASCII letters written so far to upper or lower case, in place (other bytes stay
    /// as they are, so the text stays UTF-8 with the same char count).
    pub fn map_ascii_case(&mut self, upper: bool) {
        let len = self.block.head().len as usize;
        let bytes = self.block.text_start();
        // SAFETY: the block is the builder's alone, and its first `len` bytes are written text.
        let text = unsafe { std::slice::from_raw_parts_mut(bytes, len) };
        if upper { text.make_ascii_uppercase() } else { text.make_ascii_lowercase() }
    }

    /// The text so far.
    pub fn as_str(&self) -> &str {
        self.block.as_str()
    }

    /// The finished string.
    pub fn finish(self) -> Str {
        self.block
    }
}

#[cfg(test)]
mod tests;
