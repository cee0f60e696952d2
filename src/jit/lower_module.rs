//! The code memory and target of a compile: a `JITModule` of its own per trace (so that its
//! code is freed with the trace; its pieces of code memory come from one region shared by all
//! modules: `lower_code_memory.rs`), on one of the process-wide Cranelift targets (one per `Tier`),
//! with the runtime's symbols looked up in one table built once per process. A part of
//! `lower.rs`; touches only the modules it makes and the code memory they own.

use std::sync::OnceLock;

use rustc_hash::FxHashMap;

use cranelift_codegen::binemit::Reloc;
use cranelift_codegen::isa::OwnedTargetIsa;
use cranelift_codegen::settings::{self, Configurable};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{DataId, FuncId, Linkage, Module, ModuleReloc, ModuleRelocTarget, default_libcall_names};

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

/// Writes into `bytes` the addresses of the runtime functions and statics that `relocs` name
/// (exactly what `finalize_definitions` would write there) and keeps in `relocs` only the rest,
/// for the module: it resolves each relocation through a new `String` and a SipHash (about a
/// twentieth of a compile's prepare and finish on json_parse).
pub(super) fn resolve_runtime_relocs(module: &JITModule, bytes: &mut [u8], relocs: &mut Vec<ModuleReloc>) {
    let declarations = module.declarations();
    relocs.retain(|reloc| {
        let ModuleRelocTarget::User { namespace, index } = reloc.name else { return true };
        let (name, linkage) = match namespace {
            0 => {
                let declaration = declarations.get_function_decl(FuncId::from_u32(index));
                (declaration.name.as_deref(), declaration.linkage)
            }
            1 => {
                let declaration = declarations.get_data_decl(DataId::from_u32(index));
                (declaration.name.as_deref(), declaration.linkage)
            }
            _ => return true,
        };
        let address = match name.and_then(|name| runtime_symbols().get(name)) {
            Some(&address) if linkage == Linkage::Import && reloc.kind == Reloc::Abs8 => address,
            _ => return true,
        };
        let Some(target) = isize::try_from(reloc.addend).ok().and_then(|addend| address.checked_add_signed(addend))
        else {
            return true;
        };
        let at = reloc.offset as usize;
        match bytes.get_mut(at..at + 8) {
            Some(slot) => {
                slot.copy_from_slice(&(target as u64).to_ne_bytes());
                false
            }
            None => true,
        }
    });
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
