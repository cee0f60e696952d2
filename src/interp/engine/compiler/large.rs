//! Displays too long for one build instruction: `[...]`, `(...)` and `{...}` of more than
//! [`DISPLAY_CHUNK`] elements (CPython takes any length; a build instruction's elements sit in
//! consecutive registers, of which a frame has at most 65,535). A list or tuple is built in
//! chunks joined with `+` (a new object each time, as the display makes one), a dict's first
//! chunk by `BuildDict` and the rest pair by pair with `SetItem` (later keys win, the first
//! key object stays: what a display does). Elements are still evaluated left to right.
//!
//! Touches only the function being compiled (`FnBuilder`); called from `expr.rs`.

use crate::interp::engine::bytecode::{Count, Instr, Reg};
use crate::interp::engine::compiler::{CompileResult, Compiler, FnBuilder};
use crate::parser::ast::Expr;

/// Displays longer than this are built in chunks of this many elements.
pub(super) const DISPLAY_CHUNK: usize = 4096;

impl<'a> Compiler<'a> {
    /// `[items]` (`tuple`: `(items)`) into `dst`, built chunk by chunk.
    pub(super) fn long_sequence_display<'s>(
        &mut self,
        b: &mut FnBuilder<'s>,
        items: &'s [Expr],
        tuple: bool,
        dst: Reg,
    ) -> CompileResult<()> {
        let at = b.at;
        let part = b.temp();
        for (i, chunk) in items.chunks(DISPLAY_CHUNK).enumerate() {
            let mark = b.next_temp;
            let start = self.exprs_to_temps(b, chunk.iter())?;
            b.at = at;
            let into = if i == 0 { dst } else { part };
            let count = Count(chunk.len() as u16);
            b.emit(if tuple {
                Instr::BuildTuple { dst: into, start, count }
            } else {
                Instr::BuildList { dst: into, start, count }
            });
            if i > 0 {
                b.emit(Instr::Add { dst, a: dst, b: part });
            }
            b.free_to(mark);
        }
        Ok(())
    }

    /// `{k: v, ...}` into `dst`, the pairs after the first chunk stored one by one.
    pub(super) fn long_dict_display<'s>(
        &mut self,
        b: &mut FnBuilder<'s>,
        pairs: &'s [(Expr, Expr)],
        dst: Reg,
    ) -> CompileResult<()> {
        let at = b.at;
        let (first, rest) = pairs.split_at(DISPLAY_CHUNK.min(pairs.len()));
        let start = self.exprs_to_temps(b, first.iter().flat_map(|(k, v)| [k, v]))?;
        b.at = at;
        b.emit(Instr::BuildDict { dst, start, count: Count(first.len() as u16) });
        for (key, value) in rest {
            let mark = b.next_temp;
            let pair = self.exprs_to_temps(b, [key, value].into_iter())?;
            b.at = at;
            b.emit(Instr::SetItem { obj: dst, index: pair, value: Reg(pair.0 + 1) });
            b.free_to(mark);
        }
        Ok(())
    }
}
