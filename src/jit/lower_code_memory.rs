//! The executable memory of compiled traces: one region of address space reserved once per
//! process, cut into page-aligned pieces that every trace's `JITModule` takes from and gives
//! back when its trace is freed. A part of `lower.rs` (`lower_module.rs` installs it in each
//! module); touches only that region.
//!
//! Cranelift's default provider maps fresh pages for each module, page-faults them in, and
//! unmaps them when the module is freed: about 18 µs per compile on the interpreter's thread.
//! Here a module's piece is one `mprotect` to writable when it is taken, one to executable when
//! the module is finalized; a freed piece stays mapped (its pages resident) for the next module,
//! so neither `mmap` nor `munmap` nor page faults are paid again. Neighbouring free pieces merge,
//! and a module takes the smallest free piece that fits.
//!
//! Generated code whose only relocations are the runtime's addresses (all of it, today) needs no
//! module at all: [`place`] copies it into a piece of its own, executable when it returns, on the
//! thread that generated it (the compile thread), and the piece goes back when the trace is
//! freed. That keeps the two `mprotect`s (each a TLB shootdown on the other cores running the
//! process) and the module's bookkeeping off the interpreter's thread.
//!
//! Only on x86-64, whose instruction cache needs no flushing after code is written; elsewhere
//! (and if the region cannot be reserved) each module keeps Cranelift's default provider.

use std::collections::BTreeMap;
use std::io;
use std::sync::{Mutex, OnceLock};

use cranelift_jit::{BranchProtection, JITMemoryKind, JITMemoryProvider};
use cranelift_module::{ModuleError, ModuleResult};

/// Address space reserved for code (never committed beyond what live traces use).
const REGION_BYTES: usize = 1 << 30;

/// A module's memory provider when the shared region is available, else `None`.
pub(super) fn provider() -> Option<CodePieces> {
    region().map(|_| CodePieces { pieces: Vec::new(), finalized: 0 })
}

/// The pieces one module took from the shared region.
pub(super) struct CodePieces {
    pieces: Vec<Piece>,
    /// How many of `pieces` (the first ones) have their final protection.
    finalized: usize,
}

struct Piece {
    start: usize,
    len: usize,
    used: usize,
    protection: i32,
}

impl Piece {
    fn place(&mut self, size: usize, align: usize) -> Option<*mut u8> {
        let at = self.used.next_multiple_of(align);
        (at + size <= self.len).then(|| {
            self.used = at + size;
            (self.start + at) as *mut u8
        })
    }
}

impl JITMemoryProvider for CodePieces {
    fn allocate(&mut self, size: usize, align: u64, kind: JITMemoryKind) -> io::Result<*mut u8> {
        let page = page_size();
        let align = usize::try_from(align).ok().filter(|a| a.is_power_of_two() && *a <= page);
        let align = align.ok_or_else(|| io::Error::other("code alignment over a page"))?;
        let protection = match kind {
            JITMemoryKind::Executable => libc::PROT_READ | libc::PROT_EXEC,
            JITMemoryKind::Writable => libc::PROT_READ | libc::PROT_WRITE,
            JITMemoryKind::ReadOnly => libc::PROT_READ,
        };
        let open = &mut self.pieces[self.finalized..];
        if let Some(at) = open.iter_mut().filter(|p| p.protection == protection).find_map(|p| p.place(size, align)) {
            return Ok(at);
        }
        let len = size.max(1).next_multiple_of(page);
        let start = lock_region()?.take(len)?;
        let mut piece = Piece { start, len, used: 0, protection };
        let at = piece.place(size, align).expect("a new piece holds what it was cut for");
        self.pieces.push(piece);
        Ok(at)
    }

    unsafe fn free_memory(&mut self) {
        // A poisoned lock (a panic while it was held) leaves the pieces mapped: leaked, not reused.
        if let Ok(mut region) = lock_region() {
            for piece in self.pieces.drain(..) {
                region.give_back(piece.start, piece.len);
            }
        }
        self.finalized = 0;
    }

    fn finalize(&mut self, _branch_protection: BranchProtection) -> ModuleResult<()> {
        for piece in &self.pieces[self.finalized..] {
            protect(piece.start, piece.len, piece.protection).map_err(|err| ModuleError::Allocation { err })?;
        }
        self.finalized = self.pieces.len();
        Ok(())
    }
}

/// Machine code placed in a piece of its own by [`place`]: executable, and given back to the
/// region when dropped (only once nobody runs it: its owner is the compiled trace).
#[derive(Debug)]
pub(in crate::jit) struct PlacedCode {
    start: usize,
    len: usize,
}

impl PlacedCode {
    /// The address of the code's first byte.
    pub(in crate::jit) fn address(&self) -> *const u8 {
        self.start as *const u8
    }
}

impl Drop for PlacedCode {
    fn drop(&mut self) {
        // A poisoned lock (a panic while it was held) leaves the piece mapped: leaked, not reused.
        if let Ok(mut region) = lock_region() {
            region.give_back(self.start, self.len);
        }
    }
}

/// Copies `bytes` (position-independent machine code: its relocations already written) into a
/// piece of the region of its own and makes it executable; `None` when there is no region
/// (not x86-64, or the reservation failed): then the caller places the code in a module.
pub(in crate::jit) fn place(bytes: &[u8]) -> io::Result<Option<PlacedCode>> {
    if region().is_none() {
        return Ok(None);
    }
    let len = bytes.len().max(1).next_multiple_of(page_size());
    // The lock is held only to cut the piece (and make it writable); the copy and the second
    // `mprotect` are the owner's.
    let start = lock_region()?.take(len)?;
    let placed = PlacedCode { start, len };
    // SAFETY: the piece `start..start + len` is writable and ours alone (just taken), and holds
    // `bytes.len()` bytes; `bytes` is not inside the region's free pieces.
    unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), start as *mut u8, bytes.len()) };
    protect(start, len, libc::PROT_READ | libc::PROT_EXEC)?;
    Ok(Some(placed))
}

/// The region: its reservation, how far it has been cut, and the pieces given back.
struct Region {
    base: usize,
    /// Bytes from `base` cut into pieces so far; above it the region was never used.
    top: usize,
    /// Free pieces below `top`, by start address: their length. Never two adjacent.
    free: BTreeMap<usize, usize>,
}

impl Region {
    /// A writable piece of `len` bytes (a multiple of the page size): the smallest free piece
    /// that fits (its rest stays free), else one cut above `top`.
    fn take(&mut self, len: usize) -> io::Result<usize> {
        let best = self.free.iter().filter(|&(_, &have)| have >= len).min_by_key(|&(&start, &have)| (have, start));
        let start = match best.map(|(&start, &have)| (start, have)) {
            Some((start, have)) => {
                self.free.remove(&start);
                if have > len {
                    self.free.insert(start + len, have - len);
                }
                start
            }
            None if self.top + len <= REGION_BYTES => {
                self.top += len;
                self.base + self.top - len
            }
            None => return Err(io::Error::other("the JIT's code region is full")),
        };
        if let Err(e) = protect(start, len, libc::PROT_READ | libc::PROT_WRITE) {
            self.give_back(start, len);
            return Err(e);
        }
        Ok(start)
    }

    /// Takes back a piece nobody runs any more, merged with its free neighbours; a free piece at
    /// the top lowers `top`.
    fn give_back(&mut self, mut start: usize, mut len: usize) {
        if let Some(next) = self.free.remove(&(start + len)) {
            len += next;
        }
        if let Some((&before, &before_len)) = self.free.range(..start).next_back()
            && before + before_len == start
        {
            self.free.remove(&before);
            start = before;
            len += before_len;
        }
        if start + len == self.base + self.top {
            self.top -= len;
        } else {
            self.free.insert(start, len);
        }
    }
}

/// The shared region, reserved (inaccessible) the first time it is asked for.
fn region() -> Option<&'static Mutex<Region>> {
    static REGION: OnceLock<Option<Mutex<Region>>> = OnceLock::new();
    REGION.get_or_init(reserve).as_ref()
}

fn lock_region() -> io::Result<std::sync::MutexGuard<'static, Region>> {
    region().and_then(|r| r.lock().ok()).ok_or_else(|| io::Error::other("the JIT's code region is unavailable"))
}

#[cfg(target_arch = "x86_64")]
fn reserve() -> Option<Mutex<Region>> {
    // SAFETY: a new private anonymous mapping at an address of the kernel's choice: it
    // overlaps nothing; inaccessible until pieces of it are made writable.
    let base = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            REGION_BYTES,
            libc::PROT_NONE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        )
    };
    (base != libc::MAP_FAILED).then(|| Mutex::new(Region { base: base as usize, top: 0, free: BTreeMap::new() }))
}

#[cfg(not(target_arch = "x86_64"))]
fn reserve() -> Option<Mutex<Region>> {
    None
}

fn protect(start: usize, len: usize, protection: i32) -> io::Result<()> {
    // SAFETY: `start..start + len` is a page-aligned part of the reserved region that no other
    // module holds (its owner is the caller).
    match unsafe { libc::mprotect(start as *mut libc::c_void, len, protection) } {
        0 => Ok(()),
        _ => Err(io::Error::last_os_error()),
    }
}

fn page_size() -> usize {
    static PAGE: OnceLock<usize> = OnceLock::new();
    // SAFETY: sysconf has no preconditions.
    *PAGE.get_or_init(|| usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).unwrap_or(4096))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_back_pieces_merge_and_lower_the_top() {
        let mut region = Region { base: 0x1000_0000, top: 0x5000, free: BTreeMap::new() };
        region.give_back(0x1000_1000, 0x1000);
        region.give_back(0x1000_3000, 0x1000);
        assert_eq!(region.free.len(), 2);
        region.give_back(0x1000_2000, 0x1000);
        assert_eq!(region.free.iter().collect::<Vec<_>>(), [(&0x1000_1000, &0x3000)]);
        region.give_back(0x1000_4000, 0x1000);
        assert!(region.free.is_empty(), "the merged piece reached the top");
        assert_eq!(region.top, 0x1000);
    }

    #[test]
    #[cfg(target_arch = "x86_64")]
    fn placed_code_runs_and_its_piece_is_taken_again() {
        // mov eax, 42; ret
        let code = [0xb8, 42, 0, 0, 0, 0xc3];
        let placed = place(&code).unwrap().expect("the region is reserved");
        // SAFETY: the bytes above are a complete function of this signature.
        let run: extern "C" fn() -> i32 = unsafe { std::mem::transmute(placed.address()) };
        assert_eq!(run(), 42);
        drop(placed);
        let again = place(&[0xc3]).unwrap().unwrap();
        let run: extern "C" fn() = unsafe { std::mem::transmute(again.address()) };
        run();
    }

    #[test]
    #[cfg(target_arch = "x86_64")]
    fn a_freed_piece_is_taken_again_and_runs() {
        let mut first = provider().expect("the region is reserved");
        let code = first.allocate(1, 16, JITMemoryKind::Executable).unwrap();
        // SAFETY: `ret`, written to a writable piece, run once it is executable.
        unsafe { code.write(0xc3) };
        first.finalize(BranchProtection::None).unwrap();
        let run: extern "C" fn() = unsafe { std::mem::transmute(code) };
        run();
        unsafe { first.free_memory() };
        let mut second = provider().unwrap();
        let again = second.allocate(1, 16, JITMemoryKind::Executable).unwrap();
        // Other tests may take pieces meanwhile; the freed one must at least be writable again.
        unsafe { again.write(0xc3) };
        unsafe { second.free_memory() };
    }
}
