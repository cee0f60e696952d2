//! The interrupt flag: Ctrl-C sets it (from a signal handler), the VM polls it at loop
//! headers and calls, compiled traces poll it at their back edge, and the one that sees it
//! raises `KeyboardInterrupt` at that point — so even an infinite loop in native code stops.
//!
//! Touches only the flag; installing the signal handler is the front end's job.

use std::sync::atomic::{AtomicBool, Ordering};

/// Set asynchronously when the user presses Ctrl-C.
pub static INTERRUPT_REQUESTED: AtomicBool = AtomicBool::new(false);

/// Asks the running program to stop with `KeyboardInterrupt` (safe to call from a signal handler).
pub fn request_interrupt() {
    INTERRUPT_REQUESTED.store(true, Ordering::Relaxed);
}

/// Consumes a pending request: true once per Ctrl-C.
#[inline(always)]
pub fn take_interrupt() -> bool {
    INTERRUPT_REQUESTED.load(Ordering::Relaxed) && INTERRUPT_REQUESTED.swap(false, Ordering::Relaxed)
}

/// Is a request pending? (Does not consume it.)
#[inline(always)]
pub fn interrupt_pending() -> bool {
    INTERRUPT_REQUESTED.load(Ordering::Relaxed)
}

/// Forgets a pending request (the REPL does this when a new input starts).
pub fn clear_interrupt() {
    INTERRUPT_REQUESTED.store(false, Ordering::Relaxed);
}

/// The address native code loads to poll the flag.
pub fn flag_address() -> *const AtomicBool {
    &INTERRUPT_REQUESTED
}
