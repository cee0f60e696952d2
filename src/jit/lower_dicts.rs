//! The Cranelift code for dicts (a part of `lower.rs`): a helper on a dict (`d[k]`, `k in d`,
//! `k not in d`, `d.get(k[, default])`, `d[k] = v`) calls `runtime_dicts::DICT_HELPER` with its
//! operands in registers, instead of the generic `toyjit_call_helper` with an argument buffer:
//! wordfreq's counting loops make two or three such calls per word. The result word and the
//! exit on failure are the generic helper's. A `for` loop over a dict (its keys, values or
//! items) takes each item with `DictNext`, a call of `runtime_dicts::DICT_NEXT`.
//!
//! Where the key is a `str` or an `int`, each of those helpers calls its own function of
//! `runtime_dict_direct.rs` instead (no helper number, no key tag, no absent operand). The
//! trace IR and the dump are unchanged: this is a choice of the lowering. Touches nothing but
//! the function being built.

use cranelift_codegen::ir::{self, InstBuilder, types};

use super::super::ir::helpers::Helper;
use super::super::ir::{IrRef, Op, SnapId, Trace, Type};
use super::super::runtime_dict_direct as direct;
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

/// The operations with direct functions (`runtime_dict_direct.rs`), in the order of
/// [`DirectFunctions`]' rows.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum DirectOp {
    GetItem,
    Contains,
    NotContains,
    GetOr,
    SetItem,
}

impl DirectOp {
    const ALL: [DirectOp; 5] =
        [DirectOp::GetItem, DirectOp::Contains, DirectOp::NotContains, DirectOp::GetOr, DirectOp::SetItem];

    /// The functions' names, by key type.
    fn names(self) -> [&'static str; 2] {
        match self {
            DirectOp::GetItem => direct::GET_ITEM,
            DirectOp::Contains => direct::CONTAINS,
            DirectOp::NotContains => direct::NOT_CONTAINS,
            DirectOp::GetOr => direct::GET_OR,
            DirectOp::SetItem => direct::SET_ITEM,
        }
    }

    /// The functions' parameters after the dict and the key.
    fn extra_params(self) -> &'static [ir::Type] {
        match self {
            DirectOp::GetItem => &[types::I32],
            DirectOp::Contains | DirectOp::NotContains => &[],
            DirectOp::GetOr => &[types::I32, types::I32, types::I64],
            DirectOp::SetItem => &[types::I32, types::I64],
        }
    }
}

/// The direct function that runs helper `fun` with key `key` (and `extra`) of `trace`, if one
/// does: the operation and the key's type (0 for `str`, 1 for `int`, as the functions' names).
fn direct_op(trace: &Trace, fun: Helper, key: IrRef, extra: Option<IrRef>) -> Option<(DirectOp, usize)> {
    let key_type = match trace.ty(key) {
        Type::Str => 0,
        Type::Int => 1,
        _ => return None,
    };
    let op = match (fun, extra) {
        (Helper::GetItem, None) => DirectOp::GetItem,
        (Helper::In, None) => DirectOp::Contains,
        (Helper::NotIn, None) => DirectOp::NotContains,
        (Helper::Get, Some(_)) => DirectOp::GetOr,
        (Helper::SetItem, Some(_)) => DirectOp::SetItem,
        _ => return None,
    };
    Some((op, key_type))
}

/// The direct functions the traces call, by operation and key type.
#[derive(Clone, Copy, Default)]
pub(super) struct DirectFunctions([[Option<ir::FuncRef>; 2]; 5]);

/// Imports the direct functions `traces` call, through `import` (`lower_imports.rs`'s: used,
/// name, parameters, results).
pub(super) fn import<'t>(
    traces: impl Iterator<Item = &'t Trace> + Clone,
    mut import: impl FnMut(bool, &str, &[ir::Type], &[ir::Type]) -> Result<Option<ir::FuncRef>, String>,
) -> Result<DirectFunctions, String> {
    let mut used = [[false; 2]; 5];
    for trace in traces {
        for inst in &trace.insts {
            let (fun, args): (Helper, &[IrRef]) = match &inst.op {
                Op::Helper2 { fun, a, b, .. } => (*fun, &[*a, *b]),
                Op::Helper3 { fun, a, b, c, .. } => (*fun, &[*a, *b, *c]),
                _ => continue,
            };
            if let Some((_, key, extra)) = on_dict(trace, fun, args)
                && let Some((op, key_type)) = direct_op(trace, fun, key, extra)
            {
                used[op as usize][key_type] = true;
            }
        }
    }
    let mut functions = DirectFunctions::default();
    for op in DirectOp::ALL {
        let mut params = vec![types::I64, types::I64];
        params.extend_from_slice(op.extra_params());
        for (key_type, name) in op.names().into_iter().enumerate() {
            functions.0[op as usize][key_type] = import(used[op as usize][key_type], name, &params, &[types::I64])?;
        }
    }
    Ok(functions)
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
        if let Some((op, key_type)) = direct_op(self.t.trace, fun, key, extra) {
            let function = self.runtime.dict_direct.0[op as usize][key_type]
                .ok_or_else(|| format!("a direct dict helper ({op:?}) without its runtime function"))?;
            let mut operands = vec![dict, self.val(key)?];
            if matches!(op, DirectOp::GetItem | DirectOp::GetOr) {
                operands.push(self.b.ins().iconst(types::I32, i64::from(want)));
            }
            if let Some(extra) = extra {
                let (extra_tag, extra_word) = self.tag_and_payload(extra)?;
                operands.extend([extra_tag, extra_word]);
            }
            let call = self.b.ins().call(function, &operands);
            return Ok(Some(self.b.inst_results(call)[0]));
        }
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

    /// `DictIterInto`: a new iterator over `dict` (of `kind`, see the opcode) through
    /// `DICT_ITER_INTO`, which stores it into frame slot `slot`; its address.
    pub(super) fn dict_iter_into(&mut self, dict: IrRef, kind: i64, slot: u16) -> Result<ir::Value, String> {
        let dict = self.val(dict)?;
        let address = self.slot_address(slot);
        let kind = self.b.ins().iconst(types::I32, kind);
        let function = self.runtime.dict_iter_into.ok_or("a dict loop started without its runtime function")?;
        let call = self.b.ins().call(function, &[address, dict, kind]);
        Ok(self.b.inst_results(call)[0])
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
