//! Module globals holding numbers and lists, read and written by traces (a module-level loop's
//! variables are all globals). Global `g` is trace slot `GLOBAL_SLOTS + g`: the recorder reads,
//! guards and writes it like a frame slot, and machine code finds it in the VM's globals array
//! instead of the frame. Globals holding functions and builtins are constants instead
//! (`builtins.rs`).
//!
//! Touches only the recorder's own state.

use crate::interp::engine::bytecode::Reg;
use crate::interp::engine::native::Running;
use crate::interp::objects::value::Value;

use super::{Abort, Recorder, abort};
use crate::jit::ir::global_slot;

impl Recorder {
    /// The trace slot of global `global`, named in the dump after the global.
    fn slot_of_global(&mut self, global: u32, now: &Running<'_>) -> Result<u16, Abort> {
        let Some(slot) = global_slot(global) else { return abort("too many globals for the JIT") };
        if let Some(name) = now.global_names.get(global as usize) {
            self.trace.global_names.entry(slot).or_insert_with(|| name.to_string());
        }
        Ok(slot)
    }

    /// After `LoadGlobal` (at `pc`) loaded a number or a list into `dst`: the global's slot,
    /// guarded on first use (an exit re-executes the load).
    pub(super) fn loaded_global_value(
        &mut self,
        dst: Reg,
        global: u32,
        pc: usize,
        now: &Running<'_>,
    ) -> Result<(), Abort> {
        let slot = self.slot_of_global(global, now)?;
        let (value, _) = self.load_slot(slot, &now.frame[dst.0 as usize], pc)?;
        self.write(dst, value)
    }

    /// `StoreGlobal`: the global's slot gets the value. The trace first checks the global's
    /// type (without loading it: a list it held may then be replaced), so that a function
    /// stored there meanwhile (which other traces may call as a constant) is never overwritten
    /// behind the VM's back.
    pub(super) fn store_global(&mut self, global: u32, src: Reg, pc: usize, now: &Running<'_>) -> Result<(), Abort> {
        let slot = self.slot_of_global(global, now)?;
        let name = now.global_names.get(global as usize).map_or("?", |n| &**n);
        match now.globals.get(global as usize) {
            Some(Value::Builtin(_) | Value::Function(_)) => {
                return abort(format!("rebinding the global '{name}', which holds a function"));
            }
            Some(Value::Unbound) | None => {
                return abort(format!("the global '{name}' is first assigned inside the loop"));
            }
            Some(old) => self.guard_slot_type(slot, old, pc)?,
        }
        let (value, _) = self.read(src, now.frame, pc)?;
        self.write_slot(slot, value)
    }
}
