//! Measures what Cranelift itself costs per compile, on each tier (`lower::Tier`): the fixed
//! cost of an empty function (with and without a `JITModule` of its own and its code memory),
//! and the cost per Cranelift instruction of straight-line code with guards and cold exits,
//! the shape the lowering makes. Not a check: an ignored test that prints its numbers, run by
//! hand (`cargo test --release --lib compile_cost_bound -- --ignored --nocapture`) to see the
//! bound under the JIT's compile time (docs/PERFORMANCE.md). Touches nothing but its own
//! modules.

use std::time::{Duration, Instant};

use cranelift_codegen::ir::{InstBuilder, MemFlagsData};

use super::module::{OwnedModule, new_module};
use super::*;
use cranelift_codegen::Context;
use cranelift_jit::JITModule;
use cranelift_module::Module;

/// Builds `fn(frame, globals, side exits) -> i32` with `guards` guards: each loads a slot, adds
/// to a running sum, compares and branches to a cold exit block that stores the sum and returns
/// the exit's number (about 6 Cranelift instructions per guard, 1 block each way).
fn build(module: &JITModule, ctx: &mut Context, builder: &mut FunctionBuilderContext, guards: usize) {
    ctx.func.signature = entry_signature(module.isa());
    let mut b = FunctionBuilder::new(&mut ctx.func, builder);
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    let frame = b.block_params(entry)[0];
    let mut sum = b.ins().iconst(types::I64, 0);
    let mut exits = Vec::new();
    for g in 0..guards {
        let v = b.ins().load(types::I64, MemFlagsData::trusted(), frame, (g * 16 % 4096) as i32);
        sum = b.ins().iadd(sum, v);
        let bad = b.ins().icmp_imm_s(ir::condcodes::IntCC::SignedGreaterThan, sum, 1 << 40);
        let (exit, next) = (b.create_block(), b.create_block());
        b.set_cold_block(exit);
        b.ins().brif(bad, exit, &[], next, &[]);
        exits.push((exit, sum, g));
        b.switch_to_block(next);
    }
    let done = b.ins().iconst(types::I32, -1);
    b.ins().return_(&[done]);
    for (exit, sum, g) in exits {
        b.switch_to_block(exit);
        b.ins().store(MemFlagsData::trusted(), sum, frame, 8);
        let n = b.ins().iconst(types::I32, g as i64);
        b.ins().return_(&[n]);
    }
    b.seal_all_blocks();
    b.finalize(module.target_config());
}

/// The median time of `runs` compiles of a function with `guards` guards on `tier`: each in a
/// module of its own (created, finalized, freed) if `own_module`, else all in one module
/// (Cranelift's compile alone). Returns it and the function's Cranelift instructions.
fn time_compiles(tier: Tier, guards: usize, own_module: bool, runs: usize) -> (Duration, usize) {
    let mut shared = new_module(tier).expect("module");
    let mut ctx = Context::new();
    let mut builder = FunctionBuilderContext::new();
    let mut times = Vec::with_capacity(runs);
    let mut insts = 0;
    for _ in 0..runs {
        ctx.clear();
        let started = Instant::now();
        let mut own = own_module.then(|| OwnedModule(Some(new_module(tier).expect("module"))));
        let module = match own.as_mut() {
            Some(m) => m.get(),
            None => &mut shared,
        };
        build(module, &mut ctx, &mut builder, guards);
        insts = ctx.func.dfg.num_insts();
        let id = module.declare_anonymous_function(&ctx.func.signature).expect("declare");
        module.define_function(id, &mut ctx).expect("compile");
        if own_module {
            module.finalize_definitions().expect("finalize");
        }
        drop(own);
        times.push(started.elapsed());
    }
    times.sort();
    (times[runs / 2], insts)
}

#[test]
#[ignore = "a measurement, run by hand"]
fn compile_cost_bound() {
    for tier in [Tier::Optimized, Tier::Plain, Tier::ForNow] {
        let (empty_own, _) = time_compiles(tier, 0, true, 400);
        let (empty, _) = time_compiles(tier, 0, false, 400);
        let (small, small_insts) = time_compiles(tier, 20, false, 200);
        let (large, large_insts) = time_compiles(tier, 200, false, 50);
        let per_inst = (large.as_secs_f64() - small.as_secs_f64()) / (large_insts - small_insts) as f64;
        println!(
            "{tier:?}: empty function {:.1} us with a module of its own ({:.1} us without); \
             {small_insts} insts {:.1} us, {large_insts} insts {:.1} us: {:.2} us per Cranelift instruction",
            empty_own.as_secs_f64() * 1e6,
            empty.as_secs_f64() * 1e6,
            small.as_secs_f64() * 1e6,
            large.as_secs_f64() * 1e6,
            per_inst * 1e6
        );
    }
}

#[test]
#[ignore = "a measurement, run by hand"]
fn module_cost() {
    let mut times = Vec::new();
    for _ in 0..400 {
        let started = Instant::now();
        let m = new_module(Tier::Plain).expect("module");
        times.push(started.elapsed());
        drop(m);
    }
    times.sort();
    println!("JITModule::new with the symbol tables: {:.1} us", times[200].as_secs_f64() * 1e6);
}
