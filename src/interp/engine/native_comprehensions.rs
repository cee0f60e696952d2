//! Comprehensions in machine code. A comprehension counts as a frame towards the recursion
//! limit (`EnterComprehension` and `LeaveComprehension` lower and raise the VM's limit:
//! `calls.rs`), as in CPython. A trace that enters or leaves one (`ComprehensionEnter`,
//! `ComprehensionLeave`) calls these runtime functions, which do the same to the VM's limit
//! and to the frames native code may still take (`native_context::FRAMES_LEFT`): an exit then
//! finds the VM's limit where the interpreter would have left it, and native calls inside the
//! comprehension have one frame fewer, as the interpreter's calls would.
//!
//! Touches: the VM's frame limit (through the context of the machine code running now),
//! `FRAMES_LEFT`.

use std::sync::atomic::Ordering;

use crate::interp::engine::interp_call::running_vm;
use crate::interp::engine::native::native_context::FRAMES_LEFT;

/// `ComprehensionEnter`, with `inlined` calls inlined around the instruction: 0 when no frame
/// is left for the comprehension (the trace exits before the instruction and the interpreter
/// raises `RecursionError` there), else 1 after taking the frame.
pub extern "C" fn comprehension_enter(inlined: i64) -> u32 {
    // The interpreter raises when `frames.len() >= frame_limit`; `FRAMES_LEFT` is the limit
    // minus the frames running up to the machine code's own frame, so the inlined calls must
    // leave one free.
    let left = FRAMES_LEFT.load(Ordering::Relaxed);
    if left <= inlined {
        return 0;
    }
    let Some(vm) = running_vm() else { return 0 };
    FRAMES_LEFT.store(left - 1, Ordering::Relaxed);
    // SAFETY: the VM that called the machine code running now, which reaches it only through
    // this pointer while it runs (as `call_in_interpreter` does). Above the limit's floor:
    // `left > inlined >= 0` frames are free.
    unsafe { (*vm).frame_limit -= 1 };
    1
}

/// `ComprehensionLeave`: gives the comprehension's frame back.
pub extern "C" fn comprehension_leave() {
    let Some(vm) = running_vm() else { return };
    FRAMES_LEFT.fetch_add(1, Ordering::Relaxed);
    // SAFETY: as in `comprehension_enter`.
    unsafe { (*vm).leave_comprehension() };
}
