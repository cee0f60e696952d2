//! A panic while compiling a trace becomes a compile error, not a crash. Cranelift checks its
//! input with assertions (its verifier is off in release builds, `lower_module.rs`'s `host_isa`), and
//! the lowering builds Cranelift functions through `FunctionBuilder`, which asserts too: an
//! invalid function would panic, and with nothing to catch it the process would die in the
//! middle of a user's program. Under [`guarded`] the panic unwinds to the compile's caller,
//! which gets `Err` and leaves the loop to the interpreter, as for any trace it cannot compile
//! (the reason shows in `--trace-dump`). The default panic message is not printed for a panic
//! caught here (the program's stderr stays the program's); any other panic prints as before.
//!
//! Touches: the process's panic hook (installed once, delegating to the previous one) and a
//! thread-local flag.

use std::any::Any;
use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

thread_local! {
    /// Is this thread inside [`guarded`]? Then the hook stays quiet.
    static COMPILING: Cell<bool> = const { Cell::new(false) };
}

/// Runs `compile`; a panic inside it becomes `Err("the compiler panicked: ...")`.
pub fn guarded<T>(compile: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    install_quiet_hook();
    let outer = COMPILING.with(|c| c.replace(true));
    // Unwind safety: whatever `compile` leaves half-built (a Cranelift context, a module) is
    // owned by it and dropped during the unwind; the caller sees only `Err`.
    let outcome = panic::catch_unwind(AssertUnwindSafe(compile));
    COMPILING.with(|c| c.set(outer));
    outcome.unwrap_or_else(|payload| Err(format!("the compiler panicked: {}", panic_message(&*payload))))
}

/// Wraps the current panic hook once: silent while compiling, the previous hook otherwise.
fn install_quiet_hook() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !COMPILING.with(Cell::get) {
                previous(info);
            }
        }));
    });
}

/// The text a panic was raised with (`panic!("...")` gives a `&str` or a `String`).
fn panic_message(payload: &(dyn Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a panic without a message")
}

#[cfg(test)]
mod tests {
    use super::guarded;

    #[test]
    fn a_panic_becomes_an_error_and_a_result_passes_through() {
        let failed: Result<(), String> = guarded(|| panic!("block0 already filled"));
        assert_eq!(failed, Err("the compiler panicked: block0 already filled".to_string()));
        let formatted: Result<(), String> = guarded(|| panic!("value {} undefined", 7));
        assert_eq!(formatted, Err("the compiler panicked: value 7 undefined".to_string()));
        assert_eq!(guarded(|| Ok::<u8, String>(3)), Ok(3));
        assert_eq!(guarded(|| Err::<u8, String>("not supported".into())), Err("not supported".to_string()));
    }

    #[test]
    fn guards_nest() {
        let inner: Result<(), String> = guarded(|| guarded(|| panic!("inner")));
        assert_eq!(inner, Err("the compiler panicked: inner".to_string()));
    }
}
