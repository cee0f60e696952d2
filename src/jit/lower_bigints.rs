//! The Cranelift code for big ints (a part of `lower.rs`): a helper on two numbers (an
//! arithmetic operator or a comparison where an operand is a big int, `ir/helpers.rs`) calls
//! `runtime_bigints::NUMBER_HELPER` with its operands in registers, instead of the generic
//! `toyjit_call_helper` with an argument buffer: bigpi makes one such call per big-int
//! operation. The result word and the exit on failure are the generic helper's. Touches
//! nothing but the function being built.

use cranelift_codegen::ir::{self, InstBuilder, types};

use super::super::ir::helpers::Helper;
use super::super::ir::{IrRef, Op, Trace, Type};
use super::super::runtime_bigints::number_operator;
use super::Lowerer;

/// Is `inst` of `trace` a helper on two numbers that `NUMBER_HELPER` runs?
pub fn is_number_helper(trace: &Trace, op: &Op) -> bool {
    matches!(*op, Op::Helper2 { fun, a, b, .. } if on_numbers(trace, fun, a, b))
}

/// Does `NUMBER_HELPER` run helper `fun` on `a` and `b` (an operator or comparison on ints,
/// big ints, bools or floats)?
fn on_numbers(trace: &Trace, fun: Helper, a: IrRef, b: IrRef) -> bool {
    let number = |r: IrRef| matches!(trace.ty(r), Type::Int | Type::Big | Type::Bool | Type::Float);
    number_operator(fun).is_some() && number(a) && number(b)
}

impl Lowerer<'_, '_> {
    /// The result word of helper `fun` on `args` through `NUMBER_HELPER`, if it runs it.
    pub(super) fn call_number_helper(
        &mut self,
        fun: Helper,
        args: &[IrRef],
        ty: Type,
    ) -> Result<Option<ir::Value>, String> {
        let &[a, b] = args else { return Ok(None) };
        if !on_numbers(self.t.trace, fun, a, b) {
            return Ok(None);
        }
        let want = ty.heap_tag().or(ty.value_tag()).ok_or("a helper result that is not a value")?;
        let (a_tag, a_word) = self.tag_and_payload(a)?;
        let (b_tag, b_word) = self.tag_and_payload(b)?;
        let number = self.b.ins().iconst(types::I32, i64::from(fun.number()));
        let want = self.b.ins().iconst(types::I32, i64::from(want));
        let function = self.runtime.number_helper.ok_or("a number helper without its runtime function")?;
        let call = self.b.ins().call(function, &[number, want, a_tag, a_word, b_tag, b_word]);
        Ok(Some(self.b.inst_results(call)[0]))
    }
}
