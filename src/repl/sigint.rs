//! Ctrl-C for the whole process: the SIGINT handler that turns a Ctrl-C into the interrupt flag
//! the VM and compiled loops poll (`KeyboardInterrupt`), used by the prompt and by `toyjit run`,
//! and dying by SIGINT afterwards as python3 does.
//!
//! Touches: the process's SIGINT disposition and the interrupt flag (`interp::interrupt`).

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use crate::interp::engine::interrupt::{self, INTERRUPT_REQUESTED};

/// SIGINTs received since the process started (`toyjit run` reads it to tell an interrupted
/// program from a failed one).
static SIGINTS: AtomicU32 = AtomicU32::new(0);
static HANDLER_INSTALLED: AtomicBool = AtomicBool::new(false);

/// The SIGINT action: asks the running program to stop with `KeyboardInterrupt`. A second
/// Ctrl-C while the first is still unanswered (the program is in a long builtin, or in code
/// that does not poll the flag) ends the process as the default action would.
fn on_sigint() {
    SIGINTS.fetch_add(1, Ordering::Relaxed);
    if INTERRUPT_REQUESTED.load(Ordering::Relaxed) {
        // Async-signal-safe: resets the disposition and re-raises (or aborts).
        let _ = signal_hook::low_level::emulate_default_handler(signal_hook::consts::SIGINT);
    }
    interrupt::request_interrupt();
}

/// Installs the process's SIGINT handler (once; later calls do nothing): Ctrl-C sets the
/// interrupt flag the VM and compiled loops poll, instead of killing the process. Like
/// python3, leaves SIGINT alone if it was ignored when the process started (`nohup`, a
/// background job of a script).
pub fn install_sigint_handler() -> std::io::Result<()> {
    if HANDLER_INSTALLED.swap(true, Ordering::SeqCst) {
        return Ok(());
    }
    if sigint_ignored() {
        return Ok(());
    }
    // SAFETY: `on_sigint` only touches atomics and calls `emulate_default_handler`, which is
    // documented as async-signal-safe.
    let result = unsafe { signal_hook::low_level::register(signal_hook::consts::SIGINT, on_sigint) };
    if result.is_err() {
        HANDLER_INSTALLED.store(false, Ordering::SeqCst);
    }
    result.map(|_| ())
}

fn sigint_ignored() -> bool {
    // SAFETY: queries the current action only (a null new action changes nothing); `old` is a
    // plain C struct that sigaction fills.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        libc::sigaction(libc::SIGINT, std::ptr::null(), &mut old) == 0 && old.sa_sigaction == libc::SIG_IGN
    }
}

/// True if a SIGINT has arrived since the handler was installed.
pub fn sigint_received() -> bool {
    SIGINTS.load(Ordering::Relaxed) > 0
}

/// Ends the process the way an unhandled SIGINT does (python3 after printing
/// `KeyboardInterrupt`: the shell sees status 130); exits with 130 if the signal cannot be
/// re-raised.
pub fn die_by_sigint() -> ! {
    let _ = std::io::stdout().flush();
    // SAFETY: restoring the default action and raising a signal have no memory-safety
    // preconditions.
    unsafe {
        libc::signal(libc::SIGINT, libc::SIG_DFL);
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGINT);
        libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
        libc::raise(libc::SIGINT);
    }
    std::process::exit(130)
}
