//! A compile in three parts, so that the expensive one can run on another thread
//! (`compile_thread.rs`). A part of `lower.rs`.
//!
//! ```text
//!   prepare  (interpreter's thread)  the trace IR → a Cranelift `Function` (the runtime's
//!                                    imports named, not declared anywhere: `RuntimeImports`),
//!                                    the exit plans, the `ConstObj` objects, the Cranelift IR
//!                                    text if asked: everything that touches `Rc`s, `Value`s,
//!                                    the trace IR, the runtime's objects
//!   codegen  (any thread)            `Context::compile`: the bytes, the runtime's addresses
//!                                    written into them, the disassembly if asked; then the
//!                                    code placed in executable memory of its own
//!                                    (`lower_code_memory.rs`'s `place`) (Send in, Send out)
//!   finish   (interpreter's thread)  the entry pointer, a `CompiledTrace`; where the code could
//!                                    not be placed (no code region: not x86-64), a `JITModule`
//!                                    of its own places it
//! ```
//!
//! The same three run one after the other on one thread in [`Prepared::compile_here`]: what
//! `compile_trace` and `compile_tree` do, and what the inline compile mode does.
//!
//! Touches: the code memory it places code in (and the module it makes when it cannot); codegen
//! only its own function and Cranelift's contexts of its thread (`lower_contexts.rs`).

use std::time::{Duration, Instant};

use cranelift_codegen::control::ControlPlane;
use cranelift_codegen::ir::{self, types};
use cranelift_codegen::{CodegenError, CompileError};
use cranelift_module::{FuncId, Module, ModuleReloc};

use super::super::exit_plan::ExitPlan;
use super::super::ir::verify::Shape;
use super::super::layout::ListLayout;
use super::code_memory::{self, PlacedCode};
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
    /// The runtime functions and statics the code names, written into it once generated.
    imported: RuntimeImports,
    disassembly: bool,
}

/// The function's id in the module that places it when no code region does (the first and
/// only function declared in a module of its own: `finish`).
const FUNCTION_ID: u32 = 0;

/// Code generation's result: machine code not yet placed in executable memory.
pub struct Code {
    /// The machine code, placed and executable; `None` where no code region is: then `bytes`
    /// are placed by `finish`.
    placed: Option<PlacedCode>,
    bytes: Vec<u8>,
    alignment: u64,
    relocs: Vec<ModuleReloc>,
    /// The placing's wall time (on the thread that generated the code).
    placing: Duration,
    disassembly: Option<String>,
    code_size: usize,
    /// Cranelift's compile (wall time, on the thread that ran it).
    cranelift: Duration,
    /// The compiled function, to be cleared and built again by the next compile
    /// (`lower_contexts.rs`), after a small compile.
    spare_function: Option<ir::Function>,
}

/// What stays on the interpreter's thread until the code comes back: the objects and exit
/// plans the code will hold the addresses of.
pub struct FinishParts {
    tier: Tier,
    objects: Box<[Box<[Value]>]>,
    exit_plans: Vec<Box<ExitPlan>>,
    clif: Option<String>,
    cost: CompileCost,
}

impl FinishParts {
    /// The cost so far (lowering): known before code generation.
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

/// Builds the Cranelift function of a tree's `members`.
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
    let isa = host_isa(tier)?;
    let config = isa.frontend_config();
    if config.pointer_type() != types::I64 {
        return Err("the JIT needs a 64-bit target".into());
    }
    let mut func = contexts::take_function();
    func.signature = entry_signature(&*isa);
    let mut imported = RuntimeImports::default();
    let runtime = imports::import_runtime(&*isa, &mut func, members, &mut imported)?;
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
    cost.lowering = started.elapsed();
    Ok(Prepared {
        job: CodegenJob { func, tier, imported, disassembly: listings.disassembly },
        rest: FinishParts { tier, objects, exit_plans, clif, cost },
    })
}

/// Cranelift's compile of a prepared function, and the code placed: on the compile thread, or on
/// the interpreter's in the inline mode. A panic becomes `Err` (`compile_guard.rs`).
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
        let id = FuncId::from_u32(FUNCTION_ID);
        let mut bytes = compiled.code_buffer().to_vec();
        let mut relocs: Vec<ModuleReloc> =
            compiled.buffer.relocs().iter().map(|reloc| ModuleReloc::from_mach_reloc(reloc, &ctx.func, id)).collect();
        let disassembly = if job.disassembly { compiled.vcode.clone() } else { None };
        let spare_function = contexts.keep_after(code_size);
        let started = Instant::now();
        job.imported.resolve(&mut bytes, &mut relocs)?;
        // Code that names nothing but the runtime is complete: placed here, off the
        // interpreter's thread.
        let placed = if relocs.is_empty() {
            code_memory::place(&bytes).map_err(|e| format!("the trace's code could not be placed: {e}"))?
        } else {
            None
        };
        if placed.is_some() {
            bytes = Vec::new();
        }
        let placing = started.elapsed();
        Ok(Code { placed, bytes, alignment, relocs, placing, disassembly, code_size, cranelift, spare_function })
    })
}

/// The compiled trace of generated code: placed already, or (where no code region is) placed
/// now in a module of its own.
pub fn finish(rest: FinishParts, code: Code) -> Result<CompiledTrace, String> {
    super::compile_guard::guarded(|| {
        let FinishParts { tier, objects, exit_plans, clif, mut cost } = rest;
        cost.cranelift = code.cranelift;
        cost.module += code.placing;
        if let Some(function) = code.spare_function {
            contexts::keep_function(function);
        }
        let started = Instant::now();
        let (address, home) = match code.placed {
            Some(placed) => (placed.address(), CodeHome::Placed { _piece: placed }),
            None => place_in_module(tier, &code.bytes, code.alignment, &code.relocs)?,
        };
        cost.module += started.elapsed();
        // SAFETY: the function was built with exactly this signature (three pointers in, i32
        // out: `entry_signature`) in the host's default calling convention, which is `extern "C"`.
        let entry = unsafe { std::mem::transmute::<*const u8, NativeEntry>(address) };
        Ok(CompiledTrace {
            entry,
            clif,
            disassembly: code.disassembly,
            code_size: code.code_size,
            _objects: objects,
            _exit_plans: exit_plans,
            _code: home,
            cost,
        })
    })
}

/// Where a compiled trace's code lives: held only to be freed when the trace is dropped.
pub(super) enum CodeHome {
    /// A piece of the code region of its own.
    Placed { _piece: PlacedCode },
    /// A `JITModule` of its own (no code region, or relocations only a module resolves).
    Module { _module: OwnedModule },
}

/// Places `bytes` in a new module of its own: the function's address and its owner.
fn place_in_module(
    tier: Tier,
    bytes: &[u8],
    alignment: u64,
    relocs: &[ModuleReloc],
) -> Result<(*const u8, CodeHome), String> {
    let mut module = OwnedModule(Some(new_module(tier)?));
    let signature = entry_signature(&*host_isa(tier)?);
    let id = module.get().declare_anonymous_function(&signature).map_err(|e| e.to_string())?;
    if id != FuncId::from_u32(FUNCTION_ID) {
        return Err("the trace's function has another id in its module".into());
    }
    module
        .get()
        .define_function_bytes(id, alignment, bytes, relocs)
        .map_err(|e| format!("Cranelift could not place the trace's code: {e}"))?;
    module.get().finalize_definitions().map_err(|e| e.to_string())?;
    let address = module.get().get_finalized_function(id);
    Ok((address, CodeHome::Module { _module: module }))
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
