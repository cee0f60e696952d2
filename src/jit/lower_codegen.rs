//! A compile in three parts, so that the expensive one can run on another thread
//! (`compile_thread.rs`). A part of `lower.rs`.
//!
//! ```text
//!   prepare  (interpreter's thread)  the trace IR → a Cranelift `Function`, in a `JITModule` of
//!                                    its own (the runtime's imports named, not declared in it:
//!                                    `RuntimeImports`), the exit plans, the `ConstObj`
//!                                    objects, the Cranelift IR text if asked: everything that
//!                                    touches `Rc`s, `Value`s, the trace IR, the runtime's objects
//!   codegen  (any thread)            `Context::compile` only: the bytes, their alignment, the
//!                                    relocations, the disassembly if asked (Send in, Send out)
//!   finish   (interpreter's thread)  the runtime's addresses written into the code,
//!                                    `define_function_bytes` and `finalize_definitions` in the
//!                                    prepared module: the entry pointer, a `CompiledTrace`
//! ```
//!
//! The same three run one after the other on one thread in [`Prepared::compile_here`]: what
//! `compile_trace` and `compile_tree` do, and what the inline compile mode does.
//!
//! Touches: the module it prepares and the code memory it finalizes; codegen only its own
//! function and Cranelift's contexts of its thread (`lower_contexts.rs`).

use std::time::{Duration, Instant};

use cranelift_codegen::control::ControlPlane;
use cranelift_codegen::ir::{self, types};
use cranelift_codegen::{CodegenError, CompileError};
use cranelift_module::{FuncId, Module, ModuleReloc};

use super::super::exit_plan::ExitPlan;
use super::super::ir::verify::Shape;
use super::super::layout::ListLayout;
use super::contexts::{self, CompileContexts};
use super::module::{OwnedModule, RuntimeImports, host_isa, new_module};
use super::{
    CompileCost, CompiledTrace, Handover, Listings, NativeEntry, Tier, TreeMember, build_function, entry_signature,
    imports,
};
use crate::interp::objects::value::Value;

/// A compile after its first part: the job for code generation and what finishing it needs.
pub struct Prepared {
    pub job: CodegenJob,
    pub rest: FinishParts,
}

/// What code generation needs: the Cranelift function and how to compile it. Owns no `Rc`
/// and no `Value`: it may go to another thread.
pub struct CodegenJob {
    func: ir::Function,
    tier: Tier,
    id: FuncId,
    disassembly: bool,
}

/// Code generation's result: machine code not yet placed in executable memory.
pub struct Code {
    bytes: Vec<u8>,
    alignment: u64,
    relocs: Vec<ModuleReloc>,
    disassembly: Option<String>,
    code_size: usize,
    /// Cranelift's compile (wall time, on the thread that ran it).
    cranelift: Duration,
    /// The compiled function, to be cleared and built again by the next compile
    /// (`lower_contexts.rs`), after a small compile.
    spare_function: Option<ir::Function>,
}

/// What stays on the interpreter's thread until the code comes back: the module, the runtime
/// imports to resolve, the objects and exit plans the code will hold the addresses of.
pub struct FinishParts {
    module: OwnedModule,
    id: FuncId,
    /// The runtime functions and statics the code names, resolved when it comes back.
    imported: RuntimeImports,
    objects: Box<[Box<[Value]>]>,
    exit_plans: Vec<Box<ExitPlan>>,
    clif: Option<String>,
    cost: CompileCost,
}

impl FinishParts {
    /// The cost so far (lowering, the module): known before code generation.
    pub fn cost(&self) -> &CompileCost {
        &self.cost
    }
}

impl Prepared {
    /// Generates and finishes the code on this thread.
    pub fn compile_here(self) -> Result<CompiledTrace, String> {
        let code = codegen(self.job)?;
        finish(self.rest, code)
    }
}

/// Builds the Cranelift function of a tree's `members` in a module of its own.
pub(super) fn prepare_with(
    members: &[TreeMember<'_>],
    layout: &ListLayout,
    listings: Listings,
    shapes: &[Shape],
    tier: Tier,
    handover: &Handover,
) -> Result<Prepared, String> {
    let mut cost = CompileCost::default();
    let started = Instant::now();
    let mut module = OwnedModule(Some(new_module(tier)?));
    cost.module = started.elapsed();
    let started = Instant::now();
    let pointer = module.get().target_config().pointer_type();
    if pointer != types::I64 {
        return Err("the JIT needs a 64-bit target".into());
    }
    let mut func = contexts::take_function();
    func.signature = entry_signature(module.get());
    let mut imported = RuntimeImports::default();
    let runtime = imports::import_runtime(module.get(), &mut func, members, &mut imported)?;
    let config = module.get().target_config();
    // The objects `ConstObj` names, per member, at addresses the machine code holds (owned by
    // the result).
    let objects: Box<[Box<[Value]>]> =
        members.iter().map(|m| m.trace.objects.iter().map(|o| o.to_value()).collect()).collect();
    let exit_plans = contexts::with_builder(|builder| {
        build_function(&mut func, builder, config, members, layout, shapes, runtime, &objects, handover)
    })?;
    let clif = listings.clif.then(|| func.display().to_string());
    cost.clif_insts = func.dfg.num_insts();
    cost.clif_blocks = func.dfg.num_blocks();
    let id = module.get().declare_anonymous_function(&func.signature).map_err(|e| e.to_string())?;
    cost.lowering = started.elapsed();
    Ok(Prepared {
        job: CodegenJob { func, tier, id, disassembly: listings.disassembly },
        rest: FinishParts { module, id, imported, objects, exit_plans, clif, cost },
    })
}

/// Cranelift's compile of a prepared function: on the compile thread, or on the interpreter's
/// in the inline mode. A panic becomes `Err` (`compile_guard.rs`).
pub fn codegen(job: CodegenJob) -> Result<Code, String> {
    super::compile_guard::guarded(|| {
        let isa = host_isa(job.tier)?;
        let mut contexts = CompileContexts::take();
        let ctx = &mut contexts.ctx;
        ctx.func = job.func;
        ctx.set_disasm(job.disassembly);
        let started = Instant::now();
        let compiled = ctx.compile(&*isa, &mut ControlPlane::default());
        let cranelift = started.elapsed();
        super::super::compile_stats::note_cranelift_passes();
        let alignment = match compiled {
            Ok(compiled) => compiled.buffer.alignment as u64,
            Err(e) => return Err(describe_error(e)),
        };
        let compiled = ctx.compiled_code().ok_or("Cranelift produced no code")?;
        let code_size = compiled.code_info().total_size as usize;
        let code = Code {
            bytes: compiled.code_buffer().to_vec(),
            alignment,
            relocs: compiled
                .buffer
                .relocs()
                .iter()
                .map(|reloc| ModuleReloc::from_mach_reloc(reloc, &ctx.func, job.id))
                .collect(),
            disassembly: if job.disassembly { compiled.vcode.clone() } else { None },
            code_size,
            cranelift,
            spare_function: None,
        };
        let spare_function = contexts.keep_after(code_size);
        Ok(Code { spare_function, ..code })
    })
}

/// Places generated code in the prepared module's executable memory: the compiled trace.
pub fn finish(rest: FinishParts, mut code: Code) -> Result<CompiledTrace, String> {
    super::compile_guard::guarded(|| {
        let FinishParts { mut module, id, imported, objects, exit_plans, clif, mut cost } = rest;
        cost.cranelift = code.cranelift;
        if let Some(function) = code.spare_function {
            contexts::keep_function(function);
        }
        let started = Instant::now();
        imported.resolve(&mut code.bytes, &mut code.relocs)?;
        module
            .get()
            .define_function_bytes(id, code.alignment, &code.bytes, &code.relocs)
            .map_err(|e| format!("Cranelift could not place the trace's code: {e}"))?;
        module.get().finalize_definitions().map_err(|e| e.to_string())?;
        cost.module += started.elapsed();
        let address = module.get().get_finalized_function(id);
        // SAFETY: the function was declared with exactly this signature (three pointers in,
        // i32 out) in the host's default calling convention, which is `extern "C"`.
        let entry = unsafe { std::mem::transmute::<*const u8, NativeEntry>(address) };
        Ok(CompiledTrace {
            entry,
            clif,
            disassembly: code.disassembly,
            code_size: code.code_size,
            _objects: objects,
            _exit_plans: exit_plans,
            _module: module,
            cost,
        })
    })
}

fn describe_error(error: CompileError<'_>) -> String {
    match error.inner {
        CodegenError::Verifier(errors) => format!(
            "the Cranelift verifier rejected the code:\n{}",
            cranelift_codegen::print_errors::pretty_verifier_error(error.func, None, errors)
        ),
        other => format!("Cranelift could not compile the trace: {other}"),
    }
}
