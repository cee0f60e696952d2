//! The trace's view of the frame's slots: reading a register (a type guard and a load on first
//! use, the IR value after), writing one (what the exits will write back), and forgetting what
//! the trace knew of a slot a runtime call or the callee wrote in memory. Every opcode the
//! recorder handles reads and writes registers through these.
//!
//! Touches only the recorder's own state.

use super::*;

impl Recorder {
    /// The IR value of register `reg` of the running code (whose frame is `frame`), loading it
    /// (behind a type guard) on first use.
    pub(super) fn read(&mut self, reg: Reg, frame: &[Value], pc: usize) -> Result<(IrRef, Type), Abort> {
        let slot = self.slot(reg);
        if self.held.contains_key(&slot) || self.ranges.contains_key(&slot) {
            return abort("a function, a class or a range used as a value");
        }
        if self.nones.contains(&slot) {
            return abort("the None a call returned used as a value");
        }
        if let Some(&r) = self.slots.get(&slot) {
            return Ok((r, self.trace.ty(r)));
        }
        let local = reg.0 as usize;
        // A hoisted literal's register (`=1`, see `hoist_constants`) is loaded once at entry
        // and never written: it is a constant, which the passes can fold.
        if self.cur.slot_names.get(local).is_some_and(|n| n.starts_with('=')) {
            match frame[local] {
                Value::Int(i) => return Ok((self.const_int(i), Type::Int)),
                Value::Float(f) => return Ok((self.const_float(f), Type::Float)),
                _ => {}
            }
        }
        self.load_slot(slot, &frame[local], pc)
    }

    /// Guards that slot `slot` holds a value of `value`'s type (unless the trace already knows
    /// what the slot holds), without loading it.
    pub(super) fn guard_slot_type(&mut self, slot: u16, value: &Value, pc: usize) -> Result<(), Abort> {
        let known = self.side.as_ref().is_some_and(|side| side.known.contains_key(&slot));
        // A global a call may have changed is guarded again.
        let read_before = self.entry_loads.contains_key(&slot) && self.reread_global(slot).is_none();
        if self.slots.contains_key(&slot) || read_before || known {
            return Ok(());
        }
        let (tag_value, _) = self.slot_type(slot, value)?;
        let snap = self.snapshot(pc);
        self.emit(Op::GuardTag { slot, tag: tag_value, snap }, Type::Void);
        Ok(())
    }

    /// The `Value` tag and IR type of `value`, held in slot `slot`, if traces handle it.
    pub(super) fn slot_type(&self, slot: u16, value: &Value) -> Result<(u8, Type), Abort> {
        match value {
            Value::Int(_) => Ok((tag::INT, Type::Int)),
            Value::Float(_) => Ok((tag::FLOAT, Type::Float)),
            Value::Bool(_) => Ok((tag::BOOL, Type::Bool)),
            Value::None => Ok((tag::NONE, Type::NoneType)),
            Value::List(_) => Ok((tag::LIST, Type::Ptr)),
            Value::Tuple(_) => Ok((tag::TUPLE, Type::Tuple)),
            Value::Str(_) => Ok((tag::STR, Type::Str)),
            Value::Dict(_) => Ok((tag::DICT, Type::Dict)),
            Value::BigInt(_) => Ok((tag::BIG, Type::Big)),
            other => abort(format!(
                "{} holds {} value; the JIT handles ints, floats, bools, None, lists, tuples, strings and dicts",
                self.name_of(slot),
                a(other.type_name())
            )),
        }
    }

    /// The IR value of slot `slot` (a frame slot or a global), which holds `value` now: loaded
    /// from memory behind a type guard (exiting to `pc`) the first time, unless a side trace's
    /// parent established the type.
    pub(super) fn load_slot(&mut self, slot: u16, value: &Value, pc: usize) -> Result<(IrRef, Type), Abort> {
        if let Some(&r) = self.slots.get(&slot) {
            return Ok((r, self.trace.ty(r)));
        }
        let (tag_value, ty) = self.slot_type(slot, value)?;
        let load = match ty {
            // None is its type: nothing to read.
            Type::NoneType => Op::ConstNone,
            // An iterator, like anything else held by reference, is read as a pointer here.
            Type::Iter => Op::SlotPtr { slot },
            _ => Op::slot_load(ty, slot).unwrap_or(Op::SlotPtr { slot }),
        };
        // A side trace needs no guard for a slot whose type its parent established.
        match self.side.as_ref().and_then(|side| side.known.get(&slot)) {
            Some(&known) if known == ty => {}
            Some(&known) => {
                let found = value.type_name();
                return abort(format!(
                    "{} holds {} where the parent trace had {}",
                    self.name_of(slot),
                    a(found),
                    a(known.name())
                ));
            }
            None => {
                let snap = self.snapshot(pc);
                self.emit(Op::GuardTag { slot, tag: tag_value, snap }, Type::Void);
            }
        }
        let r = self.emit(load, ty);
        self.slots.insert(slot, r);
        if self.reread_global(slot).is_some() {
            // Read again after a call: the loop's entry load, if any, stays the first one.
            self.note_reread(slot, ty);
            self.entry_loads.entry(slot).or_insert((r, ty));
        } else {
            self.entry_loads.insert(slot, (r, ty));
        }
        Ok((r, ty))
    }

    /// Register `reg` of the running code now holds IR value `value`.
    /// `dst = src`: the register now names the same IR value (no IR emitted).
    pub(super) fn copy(&mut self, dst: Reg, src: Reg, frame: &[Value], pc: usize) -> Result<(), Abort> {
        let (value, _) = self.read(src, frame, pc)?;
        self.write(dst, value)
    }

    pub(super) fn write(&mut self, reg: Reg, value: IrRef) -> Result<(), Abort> {
        let slot = self.slot(reg);
        self.write_slot(slot, value)
    }

    /// Trace slot `slot` now holds IR value `value`.
    pub(super) fn write_slot(&mut self, slot: u16, value: IrRef) -> Result<(), Abort> {
        if self.trace.ty(value) == Type::Iter {
            // Only its own loop's `DictNext` reads an iterator: no exit can write one back.
            return abort("an iterator assigned in a trace");
        }
        if self.guarded_functions.contains(&slot) && !self.straight() {
            // Its guard reads the slot's memory, which the loop's next iteration would find
            // stale. A side trace (or an entry) never comes back to its guard: it may assign
            // the slot (the next iteration of a short loop it unrolls loads the function again).
            return abort(format!("{} holds a function the trace calls and is assigned", self.name_of(slot)));
        }
        self.release(slot);
        self.mark_assigned(slot);
        if !self.written.contains(&slot) {
            let known = self.side.as_ref().and_then(|side| side.known.get(&slot)).copied();
            // (For a global a call may have changed: what the trace read since the call.)
            let read = match self.reread_global(slot) {
                Some(reread) => reread,
                None => self.entry_loads.get(&slot).map(|&(_, ty)| ty),
            };
            // A list the trace read from a slot stays alive because the slot keeps it until an
            // exit writes the slot (lists written are counted references, see
            // `runtime::RETAIN_LIST`); a number written over it would leak it.
            // (None is fine: exits writing None drop what the slot held, see `store_value`.)
            let new_ty = self.trace.ty(value);
            let heap_replaced = read.is_some_and(Type::is_heap) && !new_ty.is_heap() && new_ty != Type::NoneType;
            // A side trace never comes back to its start, so the value it read may move to the
            // garbage now (`ClearSlot`: kept alive while the trace runs); a loop would read
            // it again in its next iteration, after the garbage is dropped.
            if heap_replaced && self.side.is_none() {
                return abort(format!("{} changes from a list or tuple to a number", self.name_of(slot)));
            }
            // (A global a call may have changed and that gets a list or tuple needs none: the
            // stores of those drop what the slot held, and `clear_slot` would keep it until the
            // trace exits.)
            let reread_gets_heap = self.reread_global(slot).is_some() && new_ty.is_heap();
            if heap_replaced
                || read.is_none()
                    && !reread_gets_heap
                    && matches!(known, None | Some(Type::Ptr | Type::Tuple | Type::Str | Type::Dict | Type::Big))
            {
                // An exit may overwrite this slot with a number: drop what it holds now (the
                // instruction writing it would have dropped it too).
                self.emit(Op::ClearSlot { slot }, Type::Void);
            }
            self.written.push(slot);
        }
        self.slots.insert(slot, value);
        self.events.push(Event::Write(slot, value));
        Ok(())
    }

    /// Slot `slot` no longer holds a function, an unbuilt range or a call's `None`.
    pub(super) fn release(&mut self, slot: u16) {
        self.held.remove(&slot);
        self.ranges.remove(&slot);
        self.dict_views.remove(&slot);
        self.nones.retain(|&s| s != slot);
    }

    /// Slot `slot` was written in memory by a runtime call (or is dead): it is no longer the
    /// trace's to write.
    pub(super) fn forget(&mut self, slot: u16) {
        self.mark_assigned(slot);
        self.nones.retain(|&s| s != slot);
        self.slots.remove(&slot);
        self.written.retain(|&s| s != slot);
        if let Some(side) = self.side.as_mut() {
            side.known.remove(&slot);
        }
        self.events.push(Event::Forget(slot));
    }
}
