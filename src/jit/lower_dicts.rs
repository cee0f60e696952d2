//! The Cranelift code for dicts (a part of `lower.rs`): a helper on a dict (`d[k]`, `k in d`,
//! `k not in d`, `d.get(k[, default])`, `d[k] = v`) calls `runtime_dicts::DICT_HELPER` with its
//! operands in registers, instead of the generic `toyjit_call_helper` with an argument buffer:
//! wordfreq's counting loops make two or three such calls per word. The result word and the
//! exit on failure are the generic helper's. A `for` loop over a dict (its keys, values or
//! items) takes each item with `DictNext`, a call of `runtime_dicts::DICT_NEXT`. Touches
//! nothing but the function being built.

use cranelift_codegen::ir::{self, InstBuilder, types};

use super::super::ir::helpers::Helper;
use super::super::ir::{IrRef, Op, SnapId, Trace, Type};
use super::super::runtime_dicts::dict_operands;
use super::Lowerer;
use crate::interp::objects::value::tag;

/// Is `op` of `trace` a helper on a dict that `DICT_HELPER` runs?
pub fn is_dict_helper(trace: &Trace, op: &Op) -> bool {
    match *op {
        Op::Helper2 { fun, a, b, .. } => on_dict(trace, fun, &[a, b]).is_some(),
        Op::Helper3 { fun, a, b, c, .. } => on_dict(trace, fun, &[a, b, c]).is_some(),
        _ => false,
    }
}

/// The dict, the key and the extra operand (a default or the value stored) of helper `fun`
/// on `args`, if `DICT_HELPER` runs it.
fn on_dict(trace: &Trace, fun: Helper, args: &[IrRef]) -> Option<(IrRef, IrRef, Option<IrRef>)> {
    let (dict, key) = dict_operands(fun)?;
    let extra = match (fun, args.len()) {
        (Helper::In | Helper::NotIn | Helper::GetItem | Helper::Get, 2) => None,
        (Helper::Get | Helper::SetItem, 3) => Some(args[2]),
        _ => return None,
    };
    (trace.ty(args[dict]) == Type::Dict).then_some((args[dict], args[key], extra))
}

impl Lowerer<'_, '_> {
    /// The result word of helper `fun` on `args` through `DICT_HELPER`, if it runs it.
    pub(super) fn call_dict_helper(
        &mut self,
        fun: Helper,
        args: &[IrRef],
        ty: Type,
    ) -> Result<Option<ir::Value>, String> {
        let Some((dict, key, extra)) = on_dict(self.t.trace, fun, args) else { return Ok(None) };
        let want = ty.heap_tag().or(ty.value_tag()).ok_or("a helper result that is not a value")?;
        let dict = self.val(dict)?;
        let (key_tag, key_word) = self.tag_and_payload(key)?;
        let (extra_tag, extra_word) = match extra {
            Some(extra) => self.tag_and_payload(extra)?,
            None => (self.b.ins().iconst(types::I32, i64::from(tag::NONE)), self.b.ins().iconst(types::I64, 0)),
        };
        let number = self.b.ins().iconst(types::I32, i64::from(fun.number()));
        let want = self.b.ins().iconst(types::I32, i64::from(want));
        let function = self.runtime.dict_helper.ok_or("a dict helper without its runtime function")?;
        let call = self.b.ins().call(function, &[number, want, dict, key_tag, key_word, extra_tag, extra_word]);
        Ok(Some(self.b.inst_results(call)[0]))
    }

    /// `DictNext`: the next item of dict iterator `iter` through `DICT_NEXT`, exiting through
    /// `snap` when there is none (or the dict changed size, or it has another type).
    pub(super) fn dict_next(&mut self, iter: IrRef, ty: Type, snap: SnapId) -> Result<ir::Value, String> {
        let want = ty.heap_tag().or(ty.value_tag()).ok_or("a dict item that is not a value")?;
        let iter = self.val(iter)?;
        let want = self.b.ins().iconst(types::I32, i64::from(want));
        let function = self.runtime.dict_next.ok_or("a dict loop without its runtime function")?;
        let call = self.b.ins().call(function, &[iter, want]);
        let word = self.b.inst_results(call)[0];
        self.helper_result(word, ty, snap)
    }
}
