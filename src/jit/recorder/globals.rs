//! Module globals holding numbers and lists, read and written by traces (a module-level loop's
//! variables are all globals). Global `g` is trace slot `GLOBAL_SLOTS + g`: the recorder reads,
//! guards and writes it like a frame slot, and machine code finds it in the VM's globals array
//! instead of the frame. Globals holding functions and builtins are constants instead
//! (`builtins.rs`).
//!
//! Around a call the trace does not follow (a native call, a call in the interpreter) the
//! callee reads and writes globals in memory: [`Recorder::globals_to_memory`] writes back the
//! globals the trace changed and forgets what it knew of all of them; after the call they are
//! read again behind type guards (`reread_globals`), and the loop's peeled body reads them
//! again too (`loops.rs`).
//!
//! Touches only the recorder's own state.

use crate::interp::engine::bytecode::Reg;
use crate::interp::engine::native::Running;
use crate::interp::objects::value::Value;

use super::{Abort, Recorder, a, abort};
use crate::jit::ir::{GLOBAL_SLOTS, IrRef, Op, Type, global_slot};

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

    /// Before a call of `name` the trace does not follow: `StoreSlot` for each global the trace
    /// changed, then every global is forgotten (read again, guarded, after the call), so no
    /// later exit writes back a value the callee may have rebound.
    pub(super) fn globals_to_memory(&mut self, name: &str) -> Result<(), Abort> {
        let changed: Vec<(u16, IrRef)> =
            self.written.iter().filter(|&&slot| slot >= GLOBAL_SLOTS).map(|&slot| (slot, self.slots[&slot])).collect();
        // Each heap value's store drops what the global held, which may be what a second one
        // borrows (`a, b = b, a`); exits count all references first, single stores cannot.
        if changed.iter().filter(|&&(_, value)| self.trace.ty(value).is_heap()).count() > 1 {
            return abort(format!("two globals changed to lists or tuples before a call of {name}()"));
        }
        for (slot, value) in changed {
            self.emit(Op::StoreSlot { slot, value }, Type::Void);
        }
        let known: Vec<u16> = self
            .slots
            .keys()
            .chain(self.entry_loads.keys())
            .chain(self.reread_globals.keys())
            .copied()
            .filter(|&slot| slot >= GLOBAL_SLOTS)
            .collect();
        for slot in known {
            self.forget(slot);
            self.reread_globals.insert(slot, None);
        }
        Ok(())
    }

    /// After the arguments of a call of `name` are handed over (and the globals forgotten): the
    /// callee may rebind a global and drop the object it held, so the trace must not keep, in a
    /// frame slot, a list or tuple it reached from a global (it borrows them from the global).
    pub(super) fn check_nothing_borrowed_from_globals(&self, name: &str) -> Result<(), Abort> {
        let mut memo: Vec<Option<bool>> = vec![None; self.trace.insts.len()];
        for (&slot, &value) in &self.slots {
            let ty = self.trace.ty(value);
            if ty.is_heap() && borrows_from_global(&self.trace, value, &mut memo) {
                return abort(format!(
                    "{} holds {} from a global across a call of {name}()",
                    self.name_of(slot),
                    a(ty.name())
                ));
            }
        }
        Ok(())
    }

    /// Has the trace read or written a global?
    pub(super) fn uses_globals(&self) -> bool {
        let mut slots = self.slots.keys().chain(self.entry_loads.keys()).chain(self.reread_globals.keys());
        slots.any(|&slot| slot >= GLOBAL_SLOTS)
    }

    /// The globals a call may have changed, and how `slot` was read again since: `None` when
    /// `slot` is not such a global, `Some(None)` when it was not read again yet.
    pub(super) fn reread_global(&self, slot: u16) -> Option<Option<Type>> {
        self.reread_globals.get(&slot).copied()
    }

    /// `slot` (a global a call may have changed) was read again with type `ty`.
    pub(super) fn note_reread(&mut self, slot: u16, ty: Type) {
        if let Some(read) = self.reread_globals.get_mut(&slot) {
            *read = Some(ty);
        }
    }
}

/// Does IR value `value` come, through its operands, from a load of a global, and not through
/// a helper or call that returned its own counted reference? (`memo` caches
/// the answer per instruction; an explicit stack keeps long traces off the Rust stack.)
fn borrows_from_global(trace: &crate::jit::ir::Trace, value: IrRef, memo: &mut [Option<bool>]) -> bool {
    let mut stack = vec![value];
    let mut seen = vec![false; memo.len()];
    while let Some(r) = stack.pop() {
        let at = r.0 as usize;
        match memo[at] {
            Some(true) => return true,
            Some(false) => continue,
            None => {}
        }
        if seen[at] {
            continue;
        }
        seen[at] = true;
        let op = trace.insts[at].op;
        let global_load = matches!(
            op,
            Op::SlotPtr { slot } | Op::SlotTuple { slot } | Op::SlotStr { slot } | Op::SlotDict { slot }
                if slot >= GLOBAL_SLOTS
        );
        if global_load {
            memo[at] = Some(true);
            return true;
        }
        // What a helper or a call returned is counted in the garbage (even when it is an
        // object it was given, `"" + s`): the trace owns it, whatever its operands were.
        let owned = crate::jit::lower::is_helper(&op) || matches!(op, Op::CallInterp { .. } | Op::CallNative { .. });
        if !owned {
            stack.extend(op.operands());
        }
    }
    // Nothing reachable from `value` reads a global (answers for the rest are not cached).
    memo[value.0 as usize] = Some(false);
    false
}
