//! A side trace that reaches a `raise` ends there: `Leave` at the `Raise` (or at the call that
//! builds the exception it raises, `raise ValueError(...)`), and the interpreter, resuming at
//! that pc with the frames the exit re-creates, builds the exception, raises it and unwinds
//! exactly as it would have. The exit is closed (no more recording attempts): a raise on a hot
//! path (an order rejected by a function the loop calls, the handler around the call) costs the
//! interpreter's raise, not an aborted recording every time the exit gets hot again.
//!
//! Reads the code object only.

use crate::interp::engine::bytecode::{CodeObject, Instr};

/// Does the instruction at `pc` of `code` raise: a `Raise`, or a call whose result the next
/// instruction raises (nothing else reads it: the interpreter may as well make the call)?
pub(super) fn raises_at(code: &CodeObject, pc: usize) -> bool {
    match code.instrs.get(pc) {
        Some(Instr::Raise { .. }) => true,
        Some(Instr::Call { dst, .. }) => matches!(code.instrs.get(pc + 1), Some(Instr::Raise { src }) if src == dst),
        _ => false,
    }
}
