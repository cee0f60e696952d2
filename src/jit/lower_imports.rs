//! Which runtime functions and data a trace tree's machine code uses, imported into its
//! Cranelift function: only those some member's instructions (or exits) call, so a tree that
//! calls nothing has a shorter Cranelift IR and module.
//!
//! Touches the function it is given (the target only for its pointer type and calling
//! convention).

use cranelift_codegen::ir::{self, AbiParam, types};
use cranelift_codegen::isa::TargetIsa;

use super::TreeMember;
use super::module::RuntimeImports;
use crate::jit::ir::{Op, Type};

/// The runtime functions (`runtime.rs`) a trace may call, each imported only when the trace
/// has an operation (or an exit write) that calls it, and the Ctrl-C flag it may read.
#[derive(Clone, Copy)]
pub(super) struct RuntimeFunctions {
    /// A symbol, not a constant, so that the dumped Cranelift IR holds no addresses.
    pub(super) interrupt_flag: Option<ir::GlobalValue>,
    /// `native_context`'s cells, read by native calls.
    pub(super) frames_left: Option<ir::GlobalValue>,
    pub(super) stack_end: Option<ir::GlobalValue>,
    pub(super) rebinds: Option<ir::GlobalValue>,
    pub(super) finish_exited_call: Option<ir::FuncRef>,
    pub(super) take_result: Option<ir::FuncRef>,
    pub(super) clear_slot: Option<ir::FuncRef>,
    /// Runs of `ClearSlot`s (`lower_clear_slots.rs`).
    pub(super) clear_slot_if_heap: Option<ir::FuncRef>,
    pub(super) list_append: Option<ir::FuncRef>,
    pub(super) set_value: Option<ir::FuncRef>,
    pub(super) set_list: Option<ir::FuncRef>,
    pub(super) retain_list: Option<ir::FuncRef>,
    pub(super) float_mod: Option<ir::FuncRef>,
    pub(super) float_floordiv: Option<ir::FuncRef>,
    pub(super) int_pow: Option<ir::FuncRef>,
    pub(super) float_pow: Option<ir::FuncRef>,
    pub(super) call_interp: Option<ir::FuncRef>,
    pub(super) list_pop: Option<ir::FuncRef>,
    /// Comprehensions' frames (`interp::engine::native_comprehensions`).
    pub(super) comprehension_enter: Option<ir::FuncRef>,
    pub(super) comprehension_leave: Option<ir::FuncRef>,
    /// Lists (`runtime_lists.rs`).
    pub(super) list_extend: Option<ir::FuncRef>,
    pub(super) list_reverse: Option<ir::FuncRef>,
    pub(super) list_insert: Option<ir::FuncRef>,
    pub(super) native_floor_starts: Option<ir::FuncRef>,
    pub(super) native_floor_ends: Option<ir::FuncRef>,
    /// `native_floor_ends` dropping the callee's garbage (`lower_call_garbage.rs`).
    pub(super) native_floor_ends_dropping: Option<ir::FuncRef>,
    /// The floor around a native call whose caller may use what the callee lets go of.
    pub(super) borrowing_call_starts: Option<ir::FuncRef>,
    pub(super) borrowing_call_ends: Option<ir::FuncRef>,
    /// Tuples (`runtime_tuples.rs`).
    pub(super) tuple_new: Option<ir::FuncRef>,
    pub(super) tuple_alloc: Option<ir::FuncRef>,
    pub(super) tuple_blocks: Option<ir::FuncRef>,
    pub(super) list_store_owned: Option<ir::FuncRef>,
    pub(super) tuple_init: Option<ir::FuncRef>,
    pub(super) set_tuple: Option<ir::FuncRef>,
    pub(super) list_store_any: Option<ir::FuncRef>,
    pub(super) drop_garbage: Option<ir::FuncRef>,
    pub(super) keep_result: Option<ir::FuncRef>,
    pub(super) keep_alive: Option<ir::FuncRef>,
    /// Replaced elements freed inline (`lower_old_tuples.rs`).
    pub(super) frees_at_once: Option<ir::FuncRef>,
    pub(super) tuple_free: Option<ir::FuncRef>,
    pub(super) tuple_recycle: Option<ir::FuncRef>,
    /// Exits that write through an [`crate::jit::exit_plan::ExitPlan`].
    pub(super) write_exit: Option<ir::FuncRef>,
    /// Strings and helpers (`runtime_strings.rs`).
    pub(super) call_helper: Option<ir::FuncRef>,
    pub(super) retain_str: Option<ir::FuncRef>,
    pub(super) set_str: Option<ir::FuncRef>,
    pub(super) retain_dict: Option<ir::FuncRef>,
    pub(super) set_dict: Option<ir::FuncRef>,
    pub(super) retain_big: Option<ir::FuncRef>,
    pub(super) set_big: Option<ir::FuncRef>,
    pub(super) number_helper: Option<ir::FuncRef>,
    /// The common string helpers called directly (`runtime_str_direct.rs`).
    pub(super) str_direct: super::str_direct::DirectFunctions,
    /// Dicts (`runtime_dicts.rs`).
    pub(super) dict_helper: Option<ir::FuncRef>,
    pub(super) dict_next: Option<ir::FuncRef>,
    pub(super) dict_iter_into: Option<ir::FuncRef>,
    pub(super) dict_more: Option<ir::FuncRef>,
    /// The dict helpers on `str` and `int` keys called directly (`runtime_dict_direct.rs`).
    pub(super) dict_direct: super::dicts::DirectFunctions,
    pub(super) carry: Option<ir::FuncRef>,
    pub(super) drop_garbage_carrying: Option<ir::FuncRef>,
}

/// Imports into `func` the runtime functions and data `members` use (named for `imported`:
/// `lower_module.rs`).
pub(super) fn import_runtime(
    isa: &dyn TargetIsa,
    func: &mut ir::Function,
    members: &[TreeMember<'_>],
    imported: &mut RuntimeImports,
) -> Result<RuntimeFunctions, String> {
    let pointer = isa.frontend_config().pointer_type();
    // Runtime functions are imported only by traces that call them (a shorter Cranelift IR).
    let uses = |op: fn(&Op) -> bool| members.iter().any(|m| m.trace.insts.iter().any(|i| op(&i.op)));
    let exits_write = |ty: Type| {
        members.iter().any(|m| m.trace.snapshots.iter().any(|s| s.slots.iter().any(|&(_, r)| m.trace.ty(r) == ty)))
    };
    let mut import_data =
        |used: bool, name: &str| if used { imported.static_value(func, name).map(Some) } else { Ok(None) };
    // A call in the interpreter calls the callee's entry code natively when it has some.
    let native_calls = uses(|op| matches!(op, Op::EnterCheck { .. } | Op::CallNative { .. } | Op::CallInterp { .. }));
    let interrupt_flag = import_data(
        uses(|op| matches!(op, Op::CheckInterrupt { .. } | Op::EnterCheck { .. } | Op::CallInterp { .. })),
        crate::jit::runtime::INTERRUPT_FLAG,
    )?;
    let frames_left = import_data(native_calls, crate::jit::runtime::FRAMES_LEFT)?;
    let stack_end = import_data(native_calls, crate::jit::runtime::STACK_END)?;
    let rebinds = import_data(native_calls, crate::jit::runtime::REBINDS)?;
    // Stores into frame slots (native calls' arguments, an entry trace's result) may drop what
    // the slot held, or store a list.
    let stores = uses(|op| matches!(op, Op::StoreSlot { .. } | Op::Ret { .. }));
    let mut import = |used: bool, name: &str, params: &[ir::Type], returns: &[ir::Type]| {
        if !used {
            return Ok(None);
        }
        let mut signature = ir::Signature::new(isa.default_call_conv());
        signature.params.extend(params.iter().map(|&ty| AbiParam::new(ty)));
        signature.returns.extend(returns.iter().map(|&ty| AbiParam::new(ty)));
        Ok::<_, String>(Some(imported.function(func, name, signature)?))
    };
    use crate::jit::runtime as rt;
    use crate::jit::runtime_lists as rtl;
    use crate::jit::runtime_strings as rts;
    use crate::jit::runtime_tuples as rtt;
    // Tuples: built (by the trace or an exit), written by exits, or stored into lists.
    let tuples = members.iter().any(|m| {
        m.trace.insts.iter().any(|i| i.ty == Type::Tuple || matches!(i.op, Op::ListStoreAny { .. }))
            || m.trace.snapshots.iter().any(|s| !s.virtuals.is_empty())
    });
    // Strings: held, written by exits, or made by helpers (whose results may be carried).
    let strings =
        members.iter().any(|m| m.trace.insts.iter().any(|i| i.ty == Type::Str || super::strings::is_helper(&i.op)));
    let dicts = members.iter().any(|m| m.trace.insts.iter().any(|i| i.ty == Type::Dict));
    let bigs = members.iter().any(|m| m.trace.insts.iter().any(|i| i.ty == Type::Big));
    let garbage = members.iter().any(|m| super::tuples::makes_garbage(m.trace));
    let garbage_values = members.iter().any(|m| super::lists::holds_garbage_values(m.trace));
    // The garbage floor around native calls: for traces that call natively while holding
    // garbage, and always around `CallInterp`'s native path.
    let garbage_floor = (native_calls && garbage_values) || uses(|op| matches!(op, Op::CallInterp { .. }));
    // What each call keeps alive for its caller (`lower_call_garbage.rs`): native calls with
    // such values raise the floor for a borrowing caller; any call with them keeps them alive.
    let borrowed: Vec<_> = members.iter().map(|m| super::call_garbage::borrowed_across_calls(m.trace)).collect();
    let borrowing_calls = members.iter().zip(&borrowed).any(|(m, borrowed)| {
        m.trace.insts.iter().zip(borrowed).any(|(i, b)| matches!(i.op, Op::CallNative { .. }) && !b.is_empty())
    });
    let keeps_borrowed = borrowed.iter().flatten().any(|b| !b.is_empty());
    let stores_any = uses(|op| matches!(op, Op::ListStoreAny { .. }));
    let word = types::I64;
    let (f64s, i64s) = ([types::F64, types::F64], [types::I64, types::I64, pointer]);
    Ok(RuntimeFunctions {
        interrupt_flag,
        frames_left,
        stack_end,
        rebinds,
        finish_exited_call: import(
            native_calls,
            rt::FINISH_EXITED_CALL,
            &[pointer, pointer, pointer, types::I32, types::I32],
            &[types::I32],
        )?,
        take_result: import(native_calls, rt::TAKE_RESULT, &[pointer, pointer], &[])?,
        clear_slot: import(
            stores
                || native_calls
                || exits_write(Type::NoneType)
                || uses(|op| matches!(op, Op::ClearSlot { .. } | Op::ListStore { .. } | Op::ListAppend { .. })),
            rt::CLEAR_SLOT,
            &[pointer],
            &[],
        )?,
        clear_slot_if_heap: import(
            members.iter().any(|m| super::clear_slots::has_run(m.trace)),
            rt::CLEAR_SLOT_IF_HEAP,
            &[pointer],
            &[],
        )?,
        list_append: import(
            uses(|op| matches!(op, Op::ListAppend { .. })),
            rt::LIST_APPEND,
            &[pointer, types::I32, types::I64, pointer],
            &[],
        )?,
        set_value: import(exits_write(Type::Obj), rt::SET_VALUE, &[pointer, pointer], &[])?,
        set_list: import(stores || exits_write(Type::Ptr), rt::SET_LIST, &[pointer, pointer], &[])?,
        retain_list: import(stores || exits_write(Type::Ptr), rt::RETAIN_LIST, &[pointer], &[])?,
        float_mod: import(uses(|op| matches!(op, Op::ModFloat { .. })), rt::FLOAT_MOD, &f64s, &[types::F64])?,
        float_floordiv: import(
            uses(|op| matches!(op, Op::FloorDivFloat { .. })),
            rt::FLOAT_FLOORDIV,
            &f64s,
            &[types::F64],
        )?,
        int_pow: import(uses(|op| matches!(op, Op::PowInt { .. })), rt::INT_POW, &i64s, &[types::I64])?,
        float_pow: import(
            uses(|op| matches!(op, Op::PowFloat { .. })),
            rt::FLOAT_POW,
            &[types::F64, types::F64, pointer],
            &[types::F64],
        )?,
        call_interp: import(
            uses(|op| matches!(op, Op::CallInterp { .. })),
            rt::CALL_INTERP,
            &[pointer, pointer, pointer, types::I32, types::I32, types::I32],
            &[types::I32],
        )?,
        list_pop: import(
            uses(|op| matches!(op, Op::ListPop { .. })),
            rt::LIST_POP,
            &[pointer, pointer],
            &[types::I32],
        )?,
        comprehension_enter: import(
            uses(|op| matches!(op, Op::ComprehensionEnter { .. })),
            rt::COMPREHENSION_ENTER,
            &[types::I64],
            &[types::I32],
        )?,
        comprehension_leave: import(
            uses(|op| matches!(op, Op::ComprehensionLeave)),
            rt::COMPREHENSION_LEAVE,
            &[],
            &[],
        )?,
        list_extend: import(
            uses(|op| matches!(op, Op::ListExtend { .. })),
            rtl::LIST_EXTEND,
            &[pointer, types::I32, types::I64, pointer],
            &[types::I32],
        )?,
        list_reverse: import(
            uses(|op| matches!(op, Op::ListReverse { .. })),
            rtl::LIST_REVERSE,
            &[pointer, pointer],
            &[types::I32],
        )?,
        list_insert: import(
            uses(|op| matches!(op, Op::ListInsert { .. })),
            rtl::LIST_INSERT,
            &[pointer, types::I64, types::I32, types::I64, pointer],
            &[types::I32],
        )?,
        native_floor_starts: import(garbage_floor, rtl::FLOOR_STARTS, &[], &[types::I64])?,
        native_floor_ends: import(garbage_floor, rtl::FLOOR_ENDS, &[types::I64], &[])?,
        native_floor_ends_dropping: import(
            garbage_floor && uses(|op| matches!(op, Op::CallNative { .. })),
            rtl::FLOOR_ENDS_DROPPING,
            &[types::I64],
            &[],
        )?,
        borrowing_call_starts: import(borrowing_calls, rtl::BORROWING_CALL_STARTS, &[], &[types::I64])?,
        borrowing_call_ends: import(borrowing_calls, rtl::BORROWING_CALL_ENDS, &[types::I64], &[])?,
        tuple_new: import(tuples, rtt::TUPLE_NEW, &[word], &[pointer])?,
        tuple_alloc: import(tuples, rtt::TUPLE_ALLOC, &[word], &[pointer])?,
        tuple_blocks: import(tuples, rtt::TUPLE_BLOCKS, &[], &[pointer])?,
        list_store_owned: import(tuples, rtt::LIST_STORE_OWNED, &[pointer, word, pointer, word], &[])?,
        tuple_init: import(tuples, rtt::TUPLE_INIT, &[pointer, word, types::I32, word], &[])?,
        keep_alive: import(
            uses(|op| matches!(op, Op::KeepAlive { .. })) || keeps_borrowed,
            rtt::KEEP_ALIVE,
            &[types::I32, word],
            &[],
        )?,
        set_tuple: import(tuples, rtt::SET_TUPLE, &[pointer, pointer], &[])?,
        list_store_any: import(tuples, rtt::LIST_STORE_ANY, &[pointer, word, types::I32, word, word], &[])?,
        frees_at_once: import(stores_any, rtt::FREES_AT_ONCE, &[], &[word])?,
        tuple_free: import(stores_any, rtt::TUPLE_FREE, &[pointer], &[])?,
        tuple_recycle: import(stores_any, rtt::TUPLE_RECYCLE, &[pointer], &[])?,
        drop_garbage: import(tuples || garbage || uses(super::strings::is_helper), rtt::DROP_GARBAGE, &[], &[])?,
        keep_result: import(
            tuples || uses(|op| matches!(op, Op::CallInterp { ty, .. } | Op::CallNative { ty, .. } if ty.is_heap())),
            rtt::KEEP_RESULT,
            &[pointer],
            &[],
        )?,
        write_exit: import(
            tuples
                || [Type::Ptr, Type::Obj, Type::NoneType, Type::Str, Type::Dict, Type::Big]
                    .into_iter()
                    .any(&exits_write),
            crate::jit::exit_plan::WRITE_EXIT,
            &[pointer; 4],
            &[],
        )?,
        call_helper: import(
            uses(super::strings::is_helper),
            rts::CALL_HELPER,
            &[types::I32, types::I32, types::I32, pointer],
            &[word],
        )?,
        retain_str: import(strings, rts::RETAIN_STR, &[pointer], &[])?,
        set_str: import(strings, rts::SET_STR, &[pointer, pointer], &[])?,
        retain_dict: import(dicts, rts::RETAIN_DICT, &[pointer], &[])?,
        set_dict: import(dicts, rts::SET_DICT, &[pointer, pointer], &[])?,
        retain_big: import(bigs, crate::jit::runtime_bigints::RETAIN_BIG, &[pointer], &[])?,
        set_big: import(bigs, crate::jit::runtime_bigints::SET_BIG, &[pointer, pointer], &[])?,
        number_helper: import(
            members.iter().any(|m| m.trace.insts.iter().any(|i| super::bigints::is_number_helper(m.trace, &i.op))),
            crate::jit::runtime_bigints::NUMBER_HELPER,
            &[types::I32, types::I32, types::I32, word, types::I32, word],
            &[word],
        )?,
        dict_helper: import(
            members.iter().any(|m| m.trace.insts.iter().any(|i| super::dicts::is_dict_helper(m.trace, &i.op))),
            crate::jit::runtime_dicts::DICT_HELPER,
            &[types::I32, types::I32, pointer, types::I32, word, types::I32, word],
            &[word],
        )?,
        dict_next: import(
            uses(|op| matches!(op, Op::DictNext { .. })),
            crate::jit::runtime_dicts::DICT_NEXT,
            &[pointer, types::I32],
            &[word],
        )?,
        dict_iter_into: import(
            uses(|op| matches!(op, Op::DictIterInto { .. })),
            crate::jit::runtime_dicts::DICT_ITER_INTO,
            &[pointer, pointer, types::I32],
            &[word],
        )?,
        dict_more: import(
            uses(|op| matches!(op, Op::DictMore { .. })),
            crate::jit::runtime_dicts::DICT_MORE,
            &[pointer],
            &[types::I8],
        )?,
        str_direct: super::str_direct::import(members.iter().map(|m| m.trace), &mut import)?,
        dict_direct: super::dicts::import(members.iter().map(|m| m.trace), &mut import)?,
        carry: import(strings || tuples || garbage, rts::CARRY, &[types::I32, word], &[])?,
        drop_garbage_carrying: import(strings || tuples || garbage, rts::DROP_GARBAGE_CARRYING, &[types::I32], &[])?,
    })
}
