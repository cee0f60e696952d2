//! The lowering's loads and stores: Cranelift's `load` and `store` with the memory flags
//! interned once per set of flags and compile, not at every instruction. A part of `lower.rs`;
//! touches only the function being built.
//!
//! Cranelift's builder interns an instruction's `MemFlagsData` in the function's set with a
//! SipHash at every `load` and `store` (about 4% of preparing a compile on bench/tuples); the
//! lowering uses a handful of flag sets, kept here with their interned `MemFlags`. The
//! instructions are exactly those `load` and `store` build.

use cranelift_codegen::ir::{self, InstBuilder, MemFlagsData, Opcode, immediates::Offset32};

use super::Lowerer;

impl Lowerer<'_, '_> {
    /// `load.ty flags p+offset`.
    pub(super) fn load(
        &mut self,
        ty: ir::Type,
        flags: MemFlagsData,
        p: ir::Value,
        offset: impl Into<Offset32>,
    ) -> ir::Value {
        let flags = self.interned(flags);
        let (inst, dfg) = self.b.ins().Load(Opcode::Load, ty, flags, offset.into(), p);
        dfg.first_result(inst)
    }

    /// `uload8.i64 flags p+offset`: a byte, zero-extended in the load itself (a load of an
    /// `i8` and a `uextend` became two instructions in a string loop's every char).
    pub(super) fn load_byte(&mut self, flags: MemFlagsData, p: ir::Value, offset: impl Into<Offset32>) -> ir::Value {
        let flags = self.interned(flags);
        let (inst, dfg) = self.b.ins().Load(Opcode::Uload8, ir::types::I64, flags, offset.into(), p);
        dfg.first_result(inst)
    }

    /// `store flags x, p+offset`.
    pub(super) fn store(
        &mut self,
        flags: MemFlagsData,
        x: ir::Value,
        p: ir::Value,
        offset: impl Into<Offset32>,
    ) -> ir::Inst {
        let flags = self.interned(flags);
        let ty = self.b.func.dfg.value_type(x);
        self.b.ins().Store(Opcode::Store, ty, flags, offset.into(), x, p).0
    }

    fn interned(&mut self, flags: MemFlagsData) -> ir::MemFlags {
        if let Some(&(_, interned)) = self.mem_flags.iter().find(|(data, _)| *data == flags) {
            return interned;
        }
        let interned = self.b.func.dfg.mem_flags.insert_unchecked(flags);
        self.mem_flags.push((flags, interned));
        interned
    }
}
