//! The trace IR's text form, as `--trace-dump` prints it: one line per instruction
//! (`int   %3 = AddInt %1, %2  snap0`), then the snapshots (`snap0 @pc 3: r2(i)=%3`).
//!
//! Each opcode's line comes from its row in the opcode table ([`super::ops`]): the type column,
//! `%N = ` if it has a value, the name, its text form with each field's text
//! ([`super::kinds::Kind::print`]), and `  snapN` if it can exit. `Loop` alone is a rule line.
//! [`super::text::parse_trace`] reads all of it back.
//!
//! Touches nothing: formats a trace.

use std::fmt;

use super::kinds::Labels;
use super::ops::{Piece, pieces};
use super::{GLOBAL_SLOTS, IrRef, Op, Trace, TraceObject, Type};

/// How `Loop` prints: a rule between the preamble and the body.
pub const LOOP_LINE: &str = "------------------------------ loop";

impl Trace {
    /// A slot's name in the dump: `r3(total)` for a frame slot, `g0(n)` for a global.
    pub fn slot_label(&self, slot: u16) -> String {
        if let Some(global) = slot.checked_sub(GLOBAL_SLOTS) {
            return match self.global_names.get(&slot) {
                Some(name) => format!("g{global}({name})"),
                None => format!("g{global}"),
            };
        }
        match self.slot_names.get(slot as usize) {
            Some(name) if !name.is_empty() => format!("r{slot}({name})"),
            _ => format!("r{slot}"),
        }
    }

    /// The text form of one instruction (without its number).
    pub fn format_inst(&self, r: IrRef) -> String {
        let inst = &self.insts[r.0 as usize];
        if matches!(inst.op, Op::Loop) {
            return LOOP_LINE.into();
        }
        let lhs = if inst.ty == Type::Void { String::new() } else { format!("{r} = ") };
        let fields = inst.op.print_fields(self);
        let mut args = String::new();
        for piece in pieces(inst.op.text_form()) {
            match piece {
                Piece::Literal(text) => args.push_str(text),
                Piece::Field(name) => {
                    args.push_str(fields.iter().find(|(field, _)| *field == name).map_or("?", |(_, text)| text))
                }
            }
        }
        if let Some(snap) = inst.op.snapshot() {
            args.push_str(&format!("  {snap}"));
        }
        format!("{:<5} {lhs}{} {args}", inst.ty.name(), inst.op.name())
    }

    /// The text form of a snapshot: `snap3 @pc 27: r10(i)=%14 r8(zr)=%20`, with `in f` (and
    /// `in g < f` for nested calls) when it resumes inside inlined calls.
    pub fn format_snapshot(&self, id: usize) -> String {
        let snap = &self.snapshots[id];
        let mut slots: Vec<String> =
            snap.slots.iter().map(|(slot, r)| format!("{}={r}", self.slot_label(*slot))).collect();
        // A virtual tuple: `r5(t)=(%4, (%7, %8))`, built by the exit.
        slots.extend(
            snap.virtual_slots.iter().map(|&(slot, v)| format!("{}={}", self.slot_label(slot), snap.virtual_text(v))),
        );
        let mut place = String::new();
        let mut call = snap.call;
        while let Some(c) = call.and_then(|c| self.calls.get(c as usize)) {
            place.push_str(if place.is_empty() { " in " } else { " < " });
            place.push_str(&c.code.name);
            call = c.parent;
        }
        let mut text = format!("snap{id} @pc {}{place}: {}", snap.pc, slots.join(" "));
        if !snap.unbound.is_empty() {
            let names: Vec<String> = snap.unbound.iter().map(|&s| self.slot_label(s)).collect();
            text.push_str(&format!("  unbound: {}", names.join(" ")));
        }
        text
    }
}

/// How the fields of an instruction name slots and objects: by this trace's names.
impl Labels for Trace {
    fn slot(&self, slot: u16) -> String {
        self.slot_label(slot)
    }
    fn object(&self, index: u32) -> String {
        self.objects.get(index as usize).map_or("?".into(), TraceObject::to_string)
    }
}

impl fmt::Display for Trace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for i in 0..self.insts.len() {
            writeln!(f, "{:04}  {}", i, self.format_inst(IrRef(i as u32)))?;
        }
        for i in 0..self.snapshots.len() {
            writeln!(f, "  {}", self.format_snapshot(i))?;
        }
        Ok(())
    }
}
