//! The code memory and target of a compile: a `JITModule` of its own per trace (so that its
//! code is freed with the trace; its pieces of code memory come from one region shared by all
//! modules: `lower_code_memory.rs`), on one of the process-wide Cranelift targets (one per `Tier`),
//! with the runtime's symbols looked up in one table built once per process. A part of
//! `lower.rs`; touches only the modules it makes and the code memory they own.

use std::sync::OnceLock;

use rustc_hash::FxHashMap;

use cranelift_codegen::binemit::Reloc;
use cranelift_codegen::ir;
use cranelift_codegen::isa::OwnedTargetIsa;
use cranelift_codegen::settings::{self, Configurable};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{ModuleReloc, ModuleRelocTarget, default_libcall_names};

use super::Tier;

/// A `JITModule` whose code memory is freed when it is dropped.
pub(super) struct OwnedModule(pub(super) Option<JITModule>);

impl Drop for OwnedModule {
    fn drop(&mut self) {
        if let Some(module) = self.0.take() {
            // SAFETY: nobody calls into this module's code any more: the function pointer
            // lives only in the `CompiledTrace` being dropped (and the VM drops the trace
            // only when it will no longer run it).
            unsafe { module.free_memory() };
        }
    }
}

impl OwnedModule {
    pub(super) fn get(&mut self) -> &mut JITModule {
        self.0.as_mut().expect("module is present until drop")
    }
}

/// A JIT module of its own for one trace, on one of the process-wide ISAs (see [`host_isa`]).
/// The runtime's symbols are looked up in one table built once per process (registering them
/// in each module took 6.5 of the 31 microseconds an empty function cost: `lower_cost_tests.rs`).
pub(super) fn new_module(tier: Tier) -> Result<JITModule, String> {
    let mut builder = JITBuilder::with_isa(host_isa(tier)?, default_libcall_names());
    builder.symbol_lookup_fn(Box::new(|name| runtime_symbols().get(name).map(|&address| address as *const u8)));
    if let Some(pieces) = super::code_memory::provider() {
        builder.memory_provider(Box::new(pieces));
    }
    Ok(JITModule::new(builder))
}

/// The runtime's functions and statics a compile's function names, not declared in its module:
/// they are named as the module would have numbered its declarations (functions in namespace 0,
/// statics in 1, in the order imported: the Cranelift IR reads the same), and their addresses
/// are written into the code by [`RuntimeImports::resolve`]. Declaring them in each module (a
/// `String` and a SipHash per name) and letting it resolve each relocation (another `String`
/// and SipHash) was about a seventh of a compile's prepare and finish on json_parse.
#[derive(Default)]
pub(super) struct RuntimeImports {
    functions: Vec<usize>,
    statics: Vec<usize>,
}

impl RuntimeImports {
    /// Imports the runtime function `name` into `func` (as `declare_func_in_func` would).
    pub(super) fn function(
        &mut self,
        func: &mut ir::Function,
        name: &str,
        signature: ir::Signature,
    ) -> Result<ir::FuncRef, String> {
        let index = self.functions.len() as u32;
        self.functions.push(address_of(name)?);
        let signature = func.import_signature(signature);
        let name = func.declare_imported_user_function(ir::UserExternalName { namespace: 0, index });
        Ok(func.import_function(ir::ExtFuncData {
            name: ir::ExternalName::user(name),
            signature,
            colocated: false,
            patchable: false,
        }))
    }

    /// Imports the runtime static `name` into `func` (as `declare_data_in_func` would).
    pub(super) fn static_value(&mut self, func: &mut ir::Function, name: &str) -> Result<ir::GlobalValue, String> {
        let index = self.statics.len() as u32;
        self.statics.push(address_of(name)?);
        let name = func.declare_imported_user_function(ir::UserExternalName { namespace: 1, index });
        Ok(func.create_global_value(ir::GlobalValueData::Symbol {
            name: ir::ExternalName::user(name),
            offset: ir::immediates::Imm64::new(0),
            colocated: false,
            tls: false,
        }))
    }

    /// Writes into `bytes` the addresses `relocs` name (what the module's `finalize_definitions`
    /// would write there for declared imports) and keeps in `relocs` only the rest, for the module.
    pub(super) fn resolve(&self, bytes: &mut [u8], relocs: &mut Vec<ModuleReloc>) -> Result<(), String> {
        let mut failed = None;
        relocs.retain(|reloc| {
            let ModuleRelocTarget::User { namespace, index } = reloc.name else { return true };
            let table = if namespace == 0 { &self.functions } else { &self.statics };
            let target = table
                .get(index as usize)
                .filter(|_| namespace <= 1 && reloc.kind == Reloc::Abs8)
                .and_then(|&address| address.checked_add_signed(isize::try_from(reloc.addend).ok()?));
            let slot = bytes.get_mut(reloc.offset as usize..).and_then(|rest| rest.get_mut(..8));
            match (target, slot) {
                (Some(target), Some(slot)) => slot.copy_from_slice(&(target as u64).to_ne_bytes()),
                _ => {
                    failed =
                        Some(format!("a relocation the JIT does not resolve: {:?} to {:?}", reloc.kind, reloc.name))
                }
            }
            false
        });
        failed.map_or(Ok(()), Err)
    }
}

fn address_of(name: &str) -> Result<usize, String> {
    runtime_symbols().get(name).copied().ok_or_else(|| format!("no runtime symbol {name}"))
}

/// Every runtime function and static the generated code may name, by symbol: built once.
fn runtime_symbols() -> &'static FxHashMap<&'static str, usize> {
    static SYMBOLS: OnceLock<FxHashMap<&'static str, usize>> = OnceLock::new();
    SYMBOLS.get_or_init(|| {
        let mut all: Vec<(&'static str, *const u8)> = Vec::new();
        all.extend(crate::jit::runtime::symbols());
        all.extend(crate::jit::runtime_tuples::symbols());
        all.extend(crate::jit::runtime_strings::symbols());
        all.extend(crate::jit::runtime_str_direct::symbols());
        all.extend(crate::jit::runtime_bigints::symbols());
        all.extend(crate::jit::runtime_lists::symbols());
        all.extend(crate::jit::runtime_dicts::symbols());
        all.extend(crate::jit::runtime_dict_direct::symbols());
        all.into_iter().map(|(name, address)| (name, address as usize)).collect()
    })
}

/// The Cranelift target for the host for `tier`: optimizing for speed, or not at all (and with
/// the single-pass register allocator for code compiled for now); the verifier runs in debug builds
/// only. Built once per process and shared by every trace's module: detecting the CPU's
/// features and building the flags cost about 0.1 ms the first time, per trace otherwise.
pub(super) fn host_isa(tier: Tier) -> Result<OwnedTargetIsa, String> {
    static SPEED: OnceLock<Result<OwnedTargetIsa, String>> = OnceLock::new();
    static PLAIN: OnceLock<Result<OwnedTargetIsa, String>> = OnceLock::new();
    static FOR_NOW: OnceLock<Result<OwnedTargetIsa, String>> = OnceLock::new();
    let (isa, opt_level, regalloc) = match tier {
        Tier::Optimized => (&SPEED, "speed", "backtracking"),
        Tier::Plain => (&PLAIN, "none", "backtracking"),
        Tier::ForNow => (&FOR_NOW, "none", "single_pass"),
    };
    isa.get_or_init(|| {
        let mut flags = settings::builder();
        let verifier = if cfg!(debug_assertions) { "true" } else { "false" };
        for (name, value) in [
            ("opt_level", opt_level),
            ("regalloc_algorithm", regalloc),
            ("enable_verifier", verifier),
            ("use_colocated_libcalls", "false"),
            ("is_pic", "false"),
        ] {
            flags.set(name, value).map_err(|e| format!("Cranelift setting {name}: {e}"))?;
        }
        cranelift_native::builder()
            .map_err(|e| format!("this machine is not supported by Cranelift: {e}"))?
            .finish(settings::Flags::new(flags))
            .map_err(|e| format!("Cranelift could not target this machine: {e}"))
    })
    .clone()
}
