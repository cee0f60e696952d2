//! f-strings in traces: `FormatValue` (one `{expr:spec}` piece) and `BuildString` (the pieces
//! joined), as runtime helpers (`ir/helpers.rs`: `format`, `concat`), run by the interpreter's
//! own functions (`format::format_spec`, `text::concat_all`). A piece without a spec or
//! conversion is `str(x)` (the `str` helper), or the string itself; pieces are joined four at a
//! time. The recorder runs each helper on the values it sees to learn that it gives a string;
//! the trace exits before the instruction if a helper fails, so the interpreter raises what it
//! raises (`f"{x:d}"` of a float).
//!
//! Touches only the recorder's own state.

use crate::interp::engine::bytecode::{ConstIdx, Reg};
use crate::interp::objects::value::Value;
use crate::jit::ir::helpers::Helper;
use crate::jit::ir::{IrRef, Op, TraceObject, Type};

use super::strings::MAX_HELPER_ARGS;
use super::{Abort, Recorder, abort};

impl Recorder {
    /// `dst = format(src!conversion, spec)`: one piece of an f-string.
    pub(super) fn record_format_value(
        &mut self,
        dst: Reg,
        src: Reg,
        (spec, conversion): (ConstIdx, u8),
        pc: usize,
        frame: &[Value],
    ) -> Result<(), Abort> {
        let Some(Value::Str(spec_text)) = self.cur.consts.get(spec.0 as usize).cloned() else {
            return abort("a format spec that is not a string constant");
        };
        if spec_text.is_empty() && conversion == 0 {
            // `f"{x}"` is `str(x)`: the string itself, or the `str` helper.
            let (value, ty) = self.read(src, frame, pc)?;
            if ty == Type::Str {
                return self.write(dst, value);
            }
            return self.record_helper(Helper::Str, dst, &[src], pc, frame);
        }
        let (value, ty) = self.read(src, frame, pc)?;
        if ty.value_tag().is_none() && !ty.is_heap() {
            return abort(format!("formatting a value of type {}", ty.name()));
        }
        let index = self.object_index(&TraceObject::Str(spec_text.clone()));
        let spec_ref = self.emit(Op::ConstStr { index }, Type::Str);
        let conversion_ref = self.const_int(i64::from(conversion));
        let values = [frame[src.0 as usize].clone(), Value::Str(spec_text), Value::Int(i64::from(conversion))];
        let (r, _) = self.emit_helper_on(Helper::Format, &[value, spec_ref, conversion_ref], &values, pc)?;
        self.write(dst, r)
    }

    /// `dst = start + ... + start+count-1`, the strings an f-string's pieces made: joined with
    /// the `concat` helper, at most four at a time.
    pub(super) fn record_build_string(
        &mut self,
        dst: Reg,
        (start, count): (Reg, u16),
        pc: usize,
        frame: &[Value],
    ) -> Result<(), Abort> {
        let mut pieces: Vec<(IrRef, Value)> = Vec::with_capacity(count as usize);
        for i in 0..count {
            let reg = Reg(start.0 + i);
            let (piece, ty) = self.read(reg, frame, pc)?;
            if ty != Type::Str {
                return abort("an f-string piece that is not a string");
            }
            pieces.push((piece, frame[reg.0 as usize].clone()));
        }
        let Some(mut joined) = pieces.first().cloned() else { return abort("an empty f-string") };
        let mut rest = &pieces[1..];
        while !rest.is_empty() {
            let take = rest.len().min(MAX_HELPER_ARGS - 1);
            let (refs, values): (Vec<IrRef>, Vec<Value>) =
                std::iter::once(&joined).chain(&rest[..take]).cloned().unzip();
            joined = self.emit_helper_on(Helper::Concat, &refs, &values, pc)?;
            rest = &rest[take..];
        }
        self.write(dst, joined.0)
    }
}
