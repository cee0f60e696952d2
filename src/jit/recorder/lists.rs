//! Lists built in traces beyond displays, slices and `list(x)` (helpers: `list_of`, `[:]`,
//! `list`): `a + b` and `a * n` on lists are the pure helpers `+` and `*` (`str_binary`, for
//! strings and lists: a new list, kept in the garbage; an error such as a repeat too large exits
//! before the instruction and the interpreter raises it). `a += b` and `a *= n` change the list
//! in place: refused here.
//!
//! Touches only the recorder's own state.

use crate::interp::engine::bytecode::Reg;
use crate::interp::objects::value::Value;

use super::{Abort, Recorder, abort};

impl Recorder {
    /// Refuses `x += y` or `x *= y` (`op`) where either operand is a list: it changes the list
    /// in place, which the pure helpers do not.
    pub(super) fn refuse_list_in_place(&self, op: &str, x: Reg, y: Reg, frame: &[Value]) -> Result<(), Abort> {
        let on_list = matches!(frame[x.0 as usize], Value::List(_)) || matches!(frame[y.0 as usize], Value::List(_));
        if on_list {
            return abort(format!("`{op}=` on a list (it changes the list in place)"));
        }
        Ok(())
    }
}
